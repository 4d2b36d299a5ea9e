"""Examples in a policy: every fact names an input of the right scope with a value of its type,
and every expectation names a measure and a project that exist."""

from __future__ import annotations

from collections.abc import Callable, Collection

from .. import ast
from ..diagnostics import Severity, did_you_mean

Report = Callable[[Severity, str, ast.Span, str | None], None]
STATUSES_WITH_AMOUNT = {"granted", "superseded"}


def _fits(kind: str, values: tuple[str, ...], v: ast.Expr | ast.Quote) -> str | None:
    """None when the value suits the input's type, else what it should be."""
    if kind == "money":
        ok = isinstance(v, ast.Quantity) and v.unit in ("money", "number")
        return None if ok else "an amount such as 300万 or 1,200,000元"
    if kind == "count":
        ok = isinstance(v, ast.Quantity) and v.unit in ("count", "number") and v.value == v.value.to_integral_value()
        return None if ok else "a whole number such as 20 or 20家"
    if kind == "percent":
        return None if isinstance(v, ast.Percent) else "a percentage such as 20%"
    if kind == "bool":
        return None if isinstance(v, ast.BoolLit) else "true or false"
    if kind == "date":
        return None if isinstance(v, ast.DateLit) else "a date such as 2023-06-01"
    if kind == "enum":
        ok = isinstance(v, ast.Name) and v.ident in values
        return None if ok else f"one of {', '.join(values)}"
    return None if isinstance(v, (ast.Name, ast.Quote)) else 'a word or a quoted text "…"'


def check_examples(policy: ast.Policy, report: Report, own: Collection[str] = (),
                   suggest: Callable[[str, Collection[str]], str | None] = did_you_mean) -> None:
    """``own``: the measures decided for the applicant itself (or per year), which no project names; ``suggest``
    offers a spelling (the checker's, within its budget)."""
    inputs = {d.name: d for d in policy.inputs}
    measures = {m.id: m for m in policy.measures}
    for ex in policy.all_examples():
        for scope, facts in [("applicant", ex.applicant)] + [("project", p.facts) for p in ex.projects]:
            seen: set[str] = set()
            for f in facts:
                decl = inputs.get(f.name)
                if f.name in seen:
                    report("error", f"'{f.name}' is given twice", f.name_span, None)
                seen.add(f.name)
                if decl is None:
                    guess = suggest(f.name, [n for n, d in inputs.items() if d.scope == scope])
                    report("error", f"'{f.name}' is not an input of the {scope}", f.name_span,
                           f"did you mean '{guess}'?" if guess else None)
                    continue
                if decl.scope != scope:
                    report("error", f"'{f.name}' is an input of the {decl.scope}, not the {scope}", f.name_span,
                           f"move it into the {decl.scope} {{ … }} block")
                    continue
                wanted = _fits(decl.type.kind, tuple(v.name for v in decl.type.values), f.value)
                if wanted:
                    report("error", f"'{f.name}' needs {wanted}", f.value.span, None)
        dated = policy.header.dated_by.ident if policy.header and policy.header.dated_by else None
        windowed = policy.header is not None and policy.header.in_force is not None
        for scope, pid, facts, where in [("applicant", "", ex.applicant, ex.title.span)] + [
                ("project", p.id, p.facts, p.span) for p in ex.projects]:
            given = {f.name for f in facts}
            # The date the policy is dated by is needed too, as by every application (inputs.py).
            for name in sorted(n for n, d in inputs.items() if (d.required or n == dated) and d.scope == scope
                               and n not in given):
                if scope == "project" and name == dated:
                    if not windowed:  # else the project is dated the first day in force (examples.record)
                        report("error", f"the example's project {pid} does not give '{name}', and the policy has "
                                        "no in-force window to date it by", where,
                               f"give it a date, e.g. {name}: 2024-06-01, or declare an in-force window in the header")
                    continue
                report("error", f"the example's {scope} does not give '{name}', which every {scope} must give",
                       where, f"add {name}: … to its {scope} {{ … }}")
        ids = [p.id for p in ex.projects]
        for pid in {i for i in ids if ids.count(i) > 1}:
            report("error", f"the example has two projects called {pid}", ex.span, "give each project its own id")
        if not ex.expectations:
            report("warning", "this example expects nothing", ex.title.span, "add a line such as: expect granted 10万")
        for e in ex.expectations:
            if e.kind != "award":
                continue
            if e.measure is not None and e.measure not in measures:
                parts = [m for m in measures if m.startswith(f"{e.measure}.")]  # 'expect 2' for 2.1, 2.2 and 2.3
                guess = " or ".join(parts) if parts else suggest(e.measure, measures)
                report("error", f"there is no measure {e.measure}", e.span, f"did you mean {guess}?" if guess else None)
            if e.measure is None and ex.measure is None:
                report("error", "this expectation names no measure", e.span,
                       "write the measure, e.g. expect 2.2 granted 5万, or put the example inside the measure")
            if e.project is not None and e.project not in ids:
                report("error", f"the example has no project {e.project}", e.span,
                       f"its projects are: {', '.join(dict.fromkeys(ids))}" if ids else "add a project { … }")
            if e.amount is not None and e.status not in STATUSES_WITH_AMOUNT and e.amount.value != 0:
                report("error", f"a {e.status} award pays nothing", e.amount.span,
                       "leave the amount out, or use 'entitled' for the amount before the rules")
            declared = measures.get(e.measure or ex.measure or "")
            if declared is not None:
                split_errors(e, declared, policy.split_of(declared), report)
            if (e.measure or ex.measure) in own:
                if e.project is not None:
                    report("error", f"measure {e.measure or ex.measure} is decided for the applicant itself, not for "
                                    f"a project", e.span, f"leave out {e.project}: expect {e.measure or ex.measure} …")
                continue
            if e.project is None and len(ids) > 1:
                report("error", "this example has several projects: say which one", e.span,
                       f"e.g. expect {ids[0]} …")


def split_errors(e: ast.Expectation, m: ast.Measure, split: ast.CostSplit | None, report: Report) -> None:
    """An expected split must be one the measure declares (or the header, for it): its payers, in its
    order, or as many instalments as it pays."""
    payers = [p.name for p in split.payers] if split else []
    if len(set(payers)) != len(payers):
        return  # the split itself is wrong, and said so: an example cannot be held to it
    if e.shares and not payers:
        report("error", f"measure {m.id} is not shared between payers", e.span,
               "leave out 'shared …', or declare the split in the measure: shared 1:1 by 市级财政, 县级财政")
    elif e.shares and [p for p, _ in e.shares] != payers:
        report("error", f"measure {m.id} is shared by {', '.join(payers)}; the expectation names "
                        f"{', '.join(p for p, _ in e.shares)}", e.span, "name each payer once, in the measure's order")
    if e.instalments and not m.instalments:
        report("error", f"measure {m.id} is not paid in instalments", e.span,
               "leave out 'paid in instalments …', or declare them in the measure: paid in instalments 40%, 30%, 30%")
    elif e.instalments and len(e.instalments) != len(m.instalments):
        report("error", f"measure {m.id} is paid in {len(m.instalments)} instalments; the expectation lists "
                        f"{len(e.instalments)}", e.span, "give one amount per instalment, in order")
