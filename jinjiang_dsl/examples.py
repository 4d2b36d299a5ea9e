"""Examples written in a policy: run them, compare with what they expect, say what differs.

An example states an applicant and its projects in the policy's own terms and the expected
result per measure; ``jinjiang-dsl test`` and pytest both run them through the compiled
evaluator, so a drafter who changes a number sees at once which example, and which clause,
it breaks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import attrs

from . import ast
from .api import Policy
from .decisions import ApplicantDecision, Award
from .explain.messages import render, word
from .inputs import Applicant
from .plan import literal_value
from .problem import Problem
from .runtime.money import fmt_plain, percent_text
from .runtime.trace import Label, cited


@attrs.frozen(slots=True)
class Outcome:
    """One example's run: what failed (empty when it passed) and the decision it was compared with."""

    example: ast.Example
    failures: tuple[Problem, ...]  # each in both languages (Problem.text)
    decision: ApplicantDecision | None
    applicant: Applicant | None = None  # as read, with its facts
    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def where(self) -> str:
        return str(self.example.span)


def fact_value(kind: str, v: ast.Expr | ast.Quote) -> Any:
    """An example's written value as the JSON value an application file would hold."""
    value = literal_value(kind, v)
    if isinstance(value, Decimal):  # exact decimal text; a percentage with its sign, as an application writes it
        return percent_text(value) if kind == "percent" else f"{value:f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def record(policy: Policy, example: ast.Example) -> dict[str, Any]:
    """The application an example states: one applicant (id ``example``) with its projects.

    A project that gives no date is dated the first day the policy is in force, when the policy is
    dated by a project input; a date of the applicant is the applicant's to give.
    """
    inputs = policy.plan.inputs
    rec: dict[str, Any] = {"id": "example"}
    for f in example.applicant:
        rec[f.name] = fact_value(inputs[f.name].kind if f.name in inputs else "", f.value)
    dated = policy.plan.dated_by
    if dated is not None and inputs[dated].scope != "project":
        dated = None
    first_day = policy.plan.in_force[0].isoformat() if policy.plan.in_force else None
    projects = []
    for p in example.projects:
        project: dict[str, Any] = {"id": p.id}
        for f in p.facts:
            project[f.name] = fact_value(inputs[f.name].kind if f.name in inputs else "", f.value)
        if dated and dated not in project and first_day:
            project[dated] = first_day
        projects.append(project)
    rec["projects"] = projects
    return rec


def _money(q: ast.Quantity | None) -> str:
    return "—" if q is None else f"{fmt_plain(q.value)} ({q.text})"


def _award_said(status: str, amount: str | None, entitled: str | None, lang: str) -> str:
    """An award's status, amount and entitlement, as a failure says what was expected or what came."""
    parts = [word(status, lang) if status else ""]
    if amount is not None:
        parts.append(f"{'金额' if lang == 'zh' else 'amount'} {amount}")
    if entitled is not None:
        parts.append(f"{'可得' if lang == 'zh' else 'entitled'} {entitled}")
    return ", ".join(parts) if lang == "en" else ",".join(parts)


def _describe(award: Award | None, lang: str) -> str:
    if award is None:
        return "未列出(该项目未提供本措施的任何事实)" if lang == "zh" else \
            "not listed (the project gives none of the measure's facts)"
    return _award_said(award.status, None if award.amount is None else fmt_plain(award.amount),
                       None if award.entitlement is None else fmt_plain(award.entitlement), lang)


def _failed(line: int, en: str, zh: str) -> Problem:
    """What differs, in both languages (``jinjiang-dsl test --lang``), at the expectation's line."""
    return Problem(f"line {line}: {en}", f"第 {line} 行:{zh}")


def check_expectation(e: ast.Expectation, example: ast.Example, d: ApplicantDecision,
                      applicant_level: frozenset[str] = frozenset(),
                      payer: Callable[[str], Label] = lambda name: Label(name, name)) -> Problem | None:
    """None when the decision meets the expectation; else what differs, in one sentence. ``payer`` names a
    payer of a split in each language, as the explanation beside the failure does (Plan.payer)."""
    n = e.span.line
    if e.kind == "error":
        if d.status != "error":
            return _failed(n, "expected an input error, but the applicant was evaluated", "预期输入有误,但申请人已被测算")
        if e.phrase and not any(e.phrase in err for err in d.errors):
            return _failed(n, f"expected an error containing {e.phrase!r}; got: {'; '.join(d.errors)}",
                           f"预期错误中含有 {e.phrase!r};实际:{'; '.join(d.errors)}")
        return None
    if d.status == "error":
        return _failed(n, f"the example's input has errors: {'; '.join(d.errors)}",
                       f"例子的输入有误:{'; '.join(err.zh if isinstance(err, Problem) else err for err in d.errors)}")
    if e.kind == "total":
        assert e.amount is not None
        if d.total != e.amount.value:
            return _failed(n, f"expected total {_money(e.amount)}, got {fmt_plain(d.total)}",
                           f"预期合计 {_money(e.amount)},实际 {fmt_plain(d.total)}")
        return None
    mid = e.measure or example.measure
    if mid in applicant_level:  # decided on the applicant's facts: its awards, not a project's
        if e.project is not None:
            return _failed(n, f"measure {mid} is decided for the applicant itself, not for project {e.project}",
                           f"措施 {mid} 按申请人本身测算,而非项目 {e.project}")
        pid, awards = "applicant", d.awards
        years = sorted({a.year for a in awards if a.measure == mid and a.year is not None})
        if len(years) > 1:
            return _failed(n, f"measure {mid} is decided for each of {', '.join(map(str, years))}; an example of a "
                              "measure over the year has its projects in one year",
                           f"措施 {mid} 按 {'、'.join(map(str, years))} 各年度分别测算;按年度测算的措施,其例子的项目应在同一年度")
    else:
        named = e.project or (example.projects[0].id if len(example.projects) == 1 else None)
        if named is None or mid is None:
            what = ("project", "项目") if named is None else ("measure", "措施")
            return _failed(n, f"say which {what[0]} this expectation is about", f"请写明本预期针对哪个{what[1]}")
        pid = named
        project = next((p for p in d.projects if p.id == pid), None)
        if project is None:
            return _failed(n, f"the example has no project {pid!r}", f"例子中没有项目 {pid!r}")
        awards = project.awards
    award = next((a for a in awards if a.measure == mid), None)
    differs = (
        award is None
        or award.status != e.status
        or (e.amount is not None and award.amount != e.amount.value)
        or (e.entitled is not None and award.entitlement != e.entitled.value)
    )
    if differs:
        def wanted(lang: str) -> str:
            return _award_said(e.status or "", None if e.amount is None else _money(e.amount),
                               None if e.entitled is None else _money(e.entitled), lang)

        return _failed(n, f"{pid} {mid}: expected {wanted('en')}; got {_describe(award, 'en')}",
                       f"{pid} {mid}:预期 {wanted('zh')};实际 {_describe(award, 'zh')}")
    assert award is not None
    if e.shares and tuple((payer, q.value) for payer, q in e.shares) != award.shares:
        def split(shares: Iterable[tuple[str, str]], lang: str) -> str:
            return ", ".join(f"{payer(name).get(lang)} {amount}" for name, amount in shares)

        expected_split = [(name, _money(q)) for name, q in e.shares]
        got_split = [(name, fmt_plain(v)) for name, v in award.shares]
        return _failed(n, f"{pid} {mid}: expected shared {split(expected_split, 'en')}; "
                          f"got {split(got_split, 'en') or 'no shares'}",
                       f"{pid} {mid}:预期分担 {split(expected_split, 'zh')};实际 {split(got_split, 'zh') or '未分担'}")
    if e.instalments and tuple(q.value for q in e.instalments) != tuple(v for _, v in award.instalments):
        got = ", ".join(f"{year} {fmt_plain(v)}" for year, v in award.instalments)
        expected = ", ".join(_money(q) for q in e.instalments)
        return _failed(n, f"{pid} {mid}: expected paid in instalments {expected}; got {got or 'no instalments'}",
                       f"{pid} {mid}:预期分期支付 {expected};实际 {got or '未分期'}")
    if e.phrase is not None:
        text = " ".join(render(s, lang) for s in award.trace for lang in ("zh", "en"))
        if e.phrase not in text:
            return _failed(n, f"{pid} {mid}: the explanation does not say {e.phrase!r}",
                           f"{pid} {mid}:说明中没有 {e.phrase!r}")
    return None


def run(policy: Policy, example: ast.Example) -> Outcome:
    app = next(iter(policy.read([record(policy, example)])))
    decision = policy.decider().applicant(app)
    own = frozenset(m.id for m in policy.plan.measures if m.level != "project")
    failures = tuple(f for e in example.expectations
                     if (f := check_expectation(e, example, decision, own, policy.plan.payer)))
    if not example.expectations:
        failures = (_failed(example.span.line, "the example expects nothing; add an 'expect' line",
                            "例子没有任何预期;请加一行 'expect'(预期)"),)
    return Outcome(example, failures, decision, app)


def run_all(policy: Policy) -> list[Outcome]:
    return [run(policy, e) for e in policy.checked.policy.all_examples()]


def explanation(policy: Policy, outcome: Outcome, lang: str = "zh") -> list[str]:
    """The trace of every award an example's failed expectations are about, to show beside the diff."""
    if outcome.decision is None or outcome.passed:
        return []
    lines = []
    named = {(e.project, e.measure or outcome.example.measure) for e in outcome.example.expectations}
    for p in outcome.decision.groups():
        for a in p.awards:
            if any((pid in (None, p.id)) and mid == a.measure for pid, mid in named):
                m = policy.plan.measure(a.measure)
                who = p.id or ("申请人本身" if lang == "zh" else "applicant")
                clause = f"{'条款' if lang == 'zh' else 'clause'} {cited(m.clause, m.clause_en, lang)}"
                lines.append(f"{who} {m.id} {m.title.get(lang)} — {clause}:")
                lines += [f"  [{s.rule}] {render(s, lang)}" for s in a.trace]
    return lines
