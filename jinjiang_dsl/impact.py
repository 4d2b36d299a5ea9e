"""The budget impact of a change: two versions of a policy run on the same applicants, and what differs.

What a finance bureau asks before a rate goes from 20% to 25%: the change in total cost, by measure,
by payer and by year; how many applicants gain, lose or stay, and by how much; the largest individual
changes; and, first, what changed in the policy itself (which measures, requirements, amounts, caps
and rules), with line numbers. Both runs are ordinary batches (either engine), so every figure here
is the difference of two ``eval`` runs.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import Any

import attrs

from .api import EngineName, Policy
from .batch import Tally
from .decide import contribution
from .decisions import BatchDecision
from .inputs import Applicant
from .ir import Arith, Cond, Const, Formula, InputSpec, Measure, measure_key
from .plan import Plan
from .rules import AnnualCap, HighestNotStacked, Limit, Once, Rule, Validity
from .runtime.money import fmt_compact, fmt_money, fmt_plain, percent_text
from .runtime.trace import Label
from .sql.emit import literal

ZERO = Decimal(0)
# The bands of a change per applicant, in yuan: (lower, upper] below zero, [lower, upper) above.
BANDS = (Decimal(10_000), Decimal(100_000), Decimal(1_000_000))


@attrs.frozen
class Change:
    """One difference between the two policies: what, where (its line in each), before and after (each in
    both languages)."""

    what: str
    old_line: int | None
    new_line: int | None
    before: Label
    after: Label

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "old_line": self.old_line, "new_line": self.new_line, "before": self.before.en,
                "after": self.after.en, "before_zh": self.before.zh, "after_zh": self.after.zh}


@attrs.frozen
class Mover:
    id: Any
    before: Decimal
    after: Decimal

    @property
    def delta(self) -> Decimal:
        return self.after - self.before


@attrs.frozen
class Impact:
    old_name: Label  # the policies' titles, in both languages
    new_name: Label
    engine: str
    changes: tuple[Change, ...]
    total: tuple[Decimal, Decimal]
    by_measure: dict[str, tuple[Decimal, Decimal]]
    by_payer: dict[str, tuple[Decimal, Decimal]]
    by_year: dict[str, tuple[Decimal, Decimal]]
    gain: int
    lose: int
    same: int
    errors: int  # applicants with an input error under either version
    bands: tuple[tuple[Label, int], ...]  # as the notice writes figures (1万), and as English does (10,000)
    largest: tuple[Mover, ...]
    titles: dict[str, Label] = attrs.field(factory=dict)  # each measure's, by id (the new version's first)
    payers: dict[str, Label] = attrs.field(factory=dict)  # each payer's English name, by name (the new version's first)
    rule_titles: dict[str, Label] = attrs.field(factory=dict)  # each rule across measures', by id (the new version's first)
    # each version's file and the SHA-256 of its source, the register's key for it: two versions of a notice
    # usually share its title (a rate changed), and only these tell them apart
    old_file: str = ""
    new_file: str = ""
    old_sha256: str = ""
    new_sha256: str = ""

    def payer(self, name: str) -> Label:
        """How a row of the money tables names a payer (the JSON keeps the name as written)."""
        return self.payers.get(name) or Label(name, name)

    def to_json(self) -> dict[str, Any]:
        def pair(before: Decimal, after: Decimal) -> dict[str, str]:
            return {"before": fmt_money(before), "after": fmt_money(after), "change": fmt_money(after - before)}

        return {
            "old": self.old_name.zh, "new": self.new_name.zh, "engine": self.engine,
            "old_file": self.old_file, "new_file": self.new_file,
            "old_sha256": self.old_sha256, "new_sha256": self.new_sha256,
            "policy_changes": [c.to_json() for c in self.changes],
            "total": pair(*self.total),
            "by_measure": {k: pair(*v) for k, v in self.by_measure.items()},
            "by_payer": {k: pair(*v) for k, v in self.by_payer.items()},
            "by_year": {k: pair(*v) for k, v in self.by_year.items()},
            "applicants": {"gain": self.gain, "lose": self.lose, "same": self.same, "errors": self.errors},
            "bands": [{"band": band.zh, "band_en": band.en, "applicants": n} for band, n in self.bands],
            "largest": [{"id": m.id, **pair(m.before, m.after)} for m in self.largest],
        }


def impact(old: Policy, new: Policy, document: Any, engine: EngineName = "python", top: int = 10) -> Impact:
    """Run both versions on the same applications and compare them."""
    apps, before = old.run(document, trace=False, engine=engine)
    _, after = new.run(document, trace=False, engine=engine)
    changes = policy_changes(old.plan, new.plan)
    return compare(old.plan, new.plan, changes, apps, before, after, engine, top)


def impact_of_file(old: Policy, new: Policy, decide: Callable[[Policy, Callable[[str], object]], Tally],
                   engine: str, top: int = 10) -> Impact:
    """Both versions on a file of applications too large to hold (JSON Lines, CSV, Parquet): each decided as
    ``eval`` decides it (``decide``: a policy and where its output lines go, to its tally), into a private
    file, and the two outputs compared line by line in DuckDB — memory stays bounded whatever the file's
    size; the figures are those of :func:`impact` on the same records."""
    import duckdb

    from .sql.native import MEMORY_LIMIT

    changes = policy_changes(old.plan, new.plan)
    with tempfile.TemporaryDirectory(prefix="jinjiang-dsl-") as folder:
        paths, tallies = [os.path.join(folder, f"{i}.jsonl") for i in (0, 1)], []
        for policy, path in zip((old, new), paths):
            with open(path, "w", encoding="utf-8") as out:
                tallies.append(decide(policy, out.write))
        con = duckdb.connect(config={"temp_directory": os.path.join(folder, "spill"), "memory_limit": MEMORY_LIMIT})
        try:
            # an output line of the longest record (1,000 projects, every measure, every error) is a few MB
            lines = [f"read_json({literal(path)}, format = 'newline_delimited', maximum_object_size = {64 << 20}, "
                     "columns = {line: 'BIGINT', id: 'VARCHAR', status: 'VARCHAR', total: 'VARCHAR'})" for path in paths]
            con.execute(f"""CREATE TABLE movers AS SELECT a.id, a.status = 'error' OR b.status = 'error' AS error,
                CAST(a.total AS DECIMAL(38, 2)) AS before, CAST(b.total AS DECIMAL(38, 2)) AS after
                FROM {lines[0]} a JOIN {lines[1]} b USING (line)""")
            errors = (con.execute("SELECT count(*) FROM movers WHERE error").fetchone() or (0,))[0]
            banded = con.execute(f"SELECT sign(after - before), {_band_sql('abs(after - before)')}, count(*) "
                                 "FROM movers WHERE NOT error GROUP BY ALL").fetchall()
            largest = con.execute("SELECT id, before, after FROM movers WHERE NOT error AND after <> before "
                                  f"ORDER BY abs(after - before) DESC, id LIMIT {int(top)}").fetchall()
        finally:
            con.close()
    before, after = tallies
    return _impact(old.plan, new.plan, changes, engine, before, after, errors, banded,
                   tuple(Mover(*row) for row in largest))


def compare(old: Plan, new: Plan, changes: list[Change], apps: list[Applicant], before: BatchDecision,
            after: BatchDecision, engine: str, top: int = 10) -> Impact:
    movers, errors = [], 0
    for a, b in zip(before.applicants, after.applicants):
        if a.status == "error" or b.status == "error":
            errors += 1
        else:
            movers.append(Mover(a.id, a.total, b.total))
    tallies = []
    for plan, batch in ((old, before), (new, after)):
        by_year: dict[str, Decimal] = {}
        for app, decision in zip(apps, batch.applicants):
            for year, amount in contribution(plan, app, decision)[3].items():
                by_year[year] = by_year.get(year, ZERO) + amount
        tallies.append(Tally(total=batch.summary.total, by_measure=batch.summary.by_measure,
                             by_payer=batch.summary.by_payer, by_year=by_year))
    banded: dict[tuple[int, int], int] = {}
    for m in movers:
        key = ((m.delta > 0) - (m.delta < 0), _band(abs(m.delta)))
        banded[key] = banded.get(key, 0) + 1
    largest = sorted((m for m in movers if m.delta), key=lambda m: (-abs(m.delta), str(m.id)))[:top]
    return _impact(old, new, changes, engine, tallies[0], tallies[1], errors,
                   [(sign, band, n) for (sign, band), n in banded.items()], tuple(largest))


def _impact(old: Plan, new: Plan, changes: list[Change], engine: str, before: Tally, after: Tally, errors: int,
            banded: Iterable[tuple[int, int, int]], largest: tuple[Mover, ...]) -> Impact:
    """The report of two runs: their tallies, the errors under either, and how many applicants changed by
    how much (``banded``: the sign of the change, its band, how many)."""
    counted = {(sign, band): n for sign, band, n in banded}
    return Impact(
        old_name=old.name, new_name=new.name, engine=engine, changes=tuple(changes),
        total=(before.total, after.total),
        by_measure=_pairs(before.by_measure, after.by_measure, measure_key),
        by_payer=_pairs(before.by_payer, after.by_payer, str),
        by_year=_pairs(before.by_year, after.by_year, str),
        gain=sum(n for (sign, _), n in counted.items() if sign > 0),
        lose=sum(n for (sign, _), n in counted.items() if sign < 0),
        same=sum(n for (sign, _), n in counted.items() if sign == 0), errors=errors,
        bands=_bands(counted), largest=largest,
        titles={m.id: m.title for plan in (old, new) for m in plan.measures},
        payers={**old.payers, **new.payers},
        rule_titles={r.id: r.title for plan in (old, new) for r in plan.rules if r.own_measure is None},
        old_file=old.path, new_file=new.path, old_sha256=old.source_sha256, new_sha256=new.source_sha256,
    )


def _pairs(before: dict[str, Decimal], after: dict[str, Decimal], key: Any) -> dict[str, tuple[Decimal, Decimal]]:
    return {k: (before.get(k, ZERO), after.get(k, ZERO)) for k in sorted(set(before) | set(after), key=key)}


def _band(size: Decimal) -> int:
    """The band of a change's size: below 1万, 10万, 100万 yuan, or above."""
    return next((i for i, high in enumerate(BANDS) if size < high), len(BANDS))


def _band_sql(size: str) -> str:
    """:func:`_band` in SQL."""
    return "CASE " + " ".join(f"WHEN {size} < {high} THEN {i}" for i, high in enumerate(BANDS)) + f" ELSE {len(BANDS)} END"


def _bands(counted: dict[tuple[int, int], int]) -> tuple[tuple[Label, int], ...]:
    """How many applicants changed by how much: losses and gains in bands of 1万, 10万, 100万 yuan
    (``counted``: by the sign of the change and its band)."""
    lows: list[Decimal] = [ZERO, *BANDS]
    edges: list[Decimal | None] = [*BANDS, None]

    def spans(figure: Callable[[Decimal], str]) -> list[str]:  # (0, 1万): no change at all is the band "0"
        return [f"{'(' if lo == 0 else '['}{figure(lo)}, {figure(hi) if hi is not None else '∞'})"
                for lo, hi in zip(lows, edges)]

    named = [Label(zh, en) for zh, en in zip(spans(fmt_compact), spans(fmt_plain))]
    counts = [(Label(f"−{s.zh}", f"−{s.en}"), counted.get((-1, i), 0)) for i, s in reversed(list(enumerate(named)))]
    counts.append((Label("0", "0"), sum(n for (sign, _), n in counted.items() if sign == 0)))
    counts += [(Label(f"+{s.zh}", f"+{s.en}"), counted.get((1, i), 0)) for i, s in enumerate(named)]
    return tuple(counts)


# ---------------------------------------------------------------------- what changed in the policy


# Each text below is written as the policy writes it, or, ``ordered``, with each set's values in one order:
# the diff compares the ordered texts (``in {纺织, 鞋服}`` and ``in {鞋服, 纺织}`` decide the same, and are not
# a change) and shows the written ones.


def _cond(c: Cond | None, lang: str, ordered: bool = False) -> str:
    if c is None:
        return ""
    written = c.shown.render(lang, with_values=False)
    label = c.label.get(lang)  # a condition without a label of its own is labelled by its reading
    return f"{_reads(c, lang, ordered) if label == written else label} [{_reads(c, lang, ordered)}]"


def _reads(c: Cond, lang: str, ordered: bool = False) -> str:
    """How a condition reads, as written or ``ordered``."""
    shown = c.shown._replace(template=c.compared) if ordered and c.compared else c.shown
    return shown.render(lang, with_values=False)


KINDS_ZH = {"bands": "分档", "thresholds": "按门槛", "brackets": "超额累进"}
MODES = {"half_up": ("四舍五入", "half up"), "half_even": ("四舍六入五成双", "half even"), "down": ("舍去", "down"),
         "up": ("进一", "up")}


def _formula(f: Formula, lang: str, ordered: bool = False) -> str:
    base = _reads(f.base, lang, ordered) if f.base else ""
    if f.kind != "expr" and isinstance(f.expr, Arith):  # 20% of (a + b), not 20% of a, plus b
        base = f"({base})"
    zh = lang == "zh"
    if f.kind == "rate":
        return f"{base}的 {f.rate_text}" if zh else f"{f.rate_text} of {base}"
    if f.kind in ("bands", "thresholds", "brackets"):
        rows = "; ".join(_rows(f, lang, ordered))
        return f"{base}{KINDS_ZH[f.kind]} {{{rows}}}" if zh else f"{f.kind} on {base} {{{rows}}}"
    if f.kind == "category":
        rows = "; ".join(_rows(f, lang, ordered))
        return f"按{base} {{{rows}}}" if zh else f"by {base} {{{rows}}}"
    if f.kind == "referred":
        return "另行规定" if zh else "referred"
    return base


def _rows(f: Formula, lang: str, ordered: bool = False) -> list[str]:
    """Each row of a tier or category table as text: its interval or category, and what it pays."""
    if f.kind == "category":
        readings = f.row_readings or (None,) * len(f.rows)
        return [f"{label.get(lang)}: {_pays(a, reading, lang, ordered)}" for (_, label, a), reading in zip(f.rows, readings)]
    return [f"{t.text}: {_pays(t.amount, t.reading, lang, ordered)}" for t in f.tiers]


def _first_changed_row(was: Formula, now: Formula, old_line: int, new_line: int) -> tuple[int, int]:
    """The lines of the first row of two tables that reads differently (or is added or taken away), so
    that a change to a table's third row points at it; the table's own line when only its head changed."""
    if not (was.row_lines and now.row_lines):
        return old_line, new_line
    rows_a, rows_b = (list(zip(_rows(f, "zh", True), _rows(f, "en", True))) for f in (was, now))
    for i in range(max(len(rows_a), len(rows_b))):
        if i >= len(rows_a) or i >= len(rows_b) or rows_a[i] != rows_b[i]:
            return (was.row_lines[i] if i < len(was.row_lines) else old_line,
                    now.row_lines[i] if i < len(now.row_lines) else new_line)
    return old_line, new_line


def _pays(amount: Any, reading: Cond | None, lang: str, ordered: bool = False) -> str:
    """What a tier or a category's row pays: its figure, or how an amount the facts decide reads (10% × R&D
    spending), so that changing its base (10% of rd → 10% of revenue) is a change seen, not the same '10%'."""
    if reading is not None:
        return _reads(reading, lang, ordered)
    return _figure(amount, None, lang)


def _cap(e: Any, text: str | None, reading: Cond | None, lang: str, ordered: bool = False) -> str:
    """A cap as text, "" when there is none: a figure, or how a cap the facts decide reads (50% × R&D
    spending), so that changing it is a change seen, not the same no cap."""
    if e is None:
        return ""
    return _pays(e, reading, lang, ordered) if reading is not None else _figure(e, text, lang)


def _figure(e: Any, text: str | None, lang: str) -> str:
    """An amount of the policy as the report's language writes figures: 50万 in Chinese, 500,000 in English
    (a tier's boundary words stay the notice's); an expression as written."""
    if lang == "en" and isinstance(e, Const) and isinstance(e.value, Decimal):
        return fmt_plain(e.value)
    return text or getattr(e, "text", None) or type(e).__name__


def _measure_parts(plan: Plan, m: Measure, lang: str, ordered: bool = False) -> Iterator[tuple[str, str, int]]:
    """Each part of a measure as text in ``lang``, with the line it is written on (the measure's, when it
    has none) — its 'once' and its annual cap included, which the plan makes rules of."""
    zh, lines = lang == "zh", dict(m.part_lines)
    own = {type(r): r for r in plan.rules if r.own_measure == m.id}
    yield "title", f"{m.title.zh} / {m.title.en}", m.line
    yield "beneficiary", _cond(m.beneficiary, lang, ordered), m.beneficiary.line if m.beneficiary else m.line
    yield "requirements", "; ".join(_cond(c, lang, ordered) for c in m.requirements), \
        m.requirements[0].line if m.requirements else m.line
    yield "amount", _formula(m.formula, lang, ordered), m.amount_line
    yield "at most", _cap(m.cap, m.cap_text, m.cap_reading, lang, ordered), m.amount_line
    for i, o in enumerate(m.overrides, 1):
        cap = _cap(o.cap, o.cap_text, o.cap_reading, lang, ordered)
        most = ("" if not cap else f",最高 {cap}" if zh else f", at most {cap}")
        yield f"when #{i}", f"{_cond(o.condition, lang, ordered)}: {_formula(o.formula_over(m.formula), lang, ordered)}{most}", \
            o.condition.line
    yield "cross checks", "; ".join(_cond(c, lang, ordered) for c in m.cross_checks), \
        m.cross_checks[0].line if m.cross_checks else m.line
    yield "paid in instalments", ", ".join(percent_text(s) for s in m.instalments), \
        lines.get("paid in instalments", m.line)
    weights = ":".join(str(w) for _, w in m.shared)
    payers = ("、" if zh else ", ").join(plan.payer(p).get(lang) for p, _ in m.shared)
    yield "shared", "" if not m.shared else f"{payers} 按 {weights} 分担" if zh else f"{weights} by {payers}", \
        lines.get("shared", m.line)
    per = plan.inputs[m.quota[1]].label.get(lang) if m.quota and m.quota[1] in plan.inputs else m.quota[1] if m.quota else ""
    yield "quota", "" if not m.quota else (f"每年每个{per} {m.quota[0]} 个" if zh else
                                           f"{m.quota[0]} per {per} per year"), lines.get("quota", m.line)
    yield "once", own[Once].describe(lang) if Once in own else "", lines.get("once", m.line)
    yield "annual cap", own[AnnualCap].describe(lang) if AnnualCap in own else "", lines.get("annual cap", m.line)
    yield "dated by", _dated(plan, m.dated_by, lang), lines.get("dated by", m.line)
    yield "earmark", m.earmark.get(lang) if m.earmark else "", lines.get("earmark", m.line)


def _rule(r: Rule, lang: str, ordered: bool = False) -> str:
    """A rule across measures as text; whom a limit applies to with the condition it reads, as a
    requirement is shown, so that a change to what that condition means (a define's values) is seen. The
    measures a rule lists are in measure order: listing them in another order changes nothing."""
    if isinstance(r, (HighestNotStacked, Limit)):  # which measures compete or count, not the order listed
        r = attrs.evolve(r, among=tuple(sorted(r.among, key=measure_key)))
    text = r.describe(lang)
    if isinstance(r, Limit) and r.applies_to is not None:
        text = text.replace(r.applies_to.label.get(lang), _cond(r.applies_to, lang, ordered), 1)
    return text


def _rule_parts(r: Rule) -> dict[str, tuple[str, ...]]:
    """What each statement of a rule across measures says, by the name its line is kept under
    (``Rule.part_lines``): the statement that makes it ('limit', 'highest_not_stacked' or 'validity'), its
    'applies to', 'reduce' and 'other policy'."""
    if isinstance(r, Limit):
        limit = tuple(r.limit.shown.template.get(lang).format(*r.limit.inputs) for lang in ("zh", "en")) if r.limit else ()
        return {"limit": (*limit, *sorted(r.among, key=measure_key)), "reduce": (r.reduction,),
                "applies to": tuple(_cond(r.applies_to, lang, True) for lang in ("zh", "en"))}
    if isinstance(r, HighestNotStacked):
        return {"highest_not_stacked": (r.scope, *sorted(r.among, key=measure_key)), "other policy": (r.other_policy or "",)}
    return {"validity": ()}


def _rule_lines(a: Rule, b: Rule) -> tuple[int, int]:
    """The lines of the first statement of a rule across measures that differs in the two versions (the one
    that makes it when it changed kind, or when the other version does not write that statement), so that
    a changed reduction points at its 'reduce', not at the rule's first line."""
    parts_a, parts_b, lines_a, lines_b = _rule_parts(a), _rule_parts(b), dict(a.part_lines), dict(b.part_lines)
    made_a, made_b = (next(iter(lines.values()), r.line) for lines, r in ((lines_a, a), (lines_b, b)))
    changed = next((part for part in parts_a if parts_a[part] != parts_b.get(part)), None)
    if changed is None or type(a) is not type(b):
        return made_a, made_b
    return lines_a.get(changed, made_a), lines_b.get(changed, made_b)


def _dated(plan: Plan, name: str | None, lang: str) -> str:
    """The date input that places an award in a year (and in the windows), by its label and its name: two
    inputs may share a label."""
    if name is None:
        return ""
    spec = plan.inputs.get(name)
    return f"{spec.label.get(lang)} [{name}]" if spec else name


def _input(spec: InputSpec | None, lang: str) -> str:
    """What an input is, as far as amounts depend on it: its type (as written), its values, and what a
    record that leaves it out stands for — its default, or an input error when it is required."""
    if spec is None:
        return ""
    zh = lang == "zh"
    kind = f"{spec.kind} {{{', '.join(spec.values)}}}" if spec.values else spec.kind
    if spec.required:
        return f"{kind},必填" if zh else f"{kind}, required"
    if spec.from_register:
        return f"{kind},缺省时取自决定登记簿" if zh else f"{kind}, from the register when left out"
    default = spec.default
    if default is None:
        return kind
    if isinstance(default, bool):
        shown = ("是" if default else "否") if zh else ("yes" if default else "no")
    elif isinstance(default, Decimal) and spec.kind == "percent":
        shown = percent_text(default)
    elif isinstance(default, Decimal):
        shown = fmt_compact(default) if zh else fmt_plain(default)
    else:
        shown = str(default)
    return f"{kind},缺省为 {shown}" if zh else f"{kind}, {shown} when left out"


def _header(plan: Plan, what: str, lang: str) -> str:
    """A header statement as text: a window, the date input, or the rounding."""
    zh = lang == "zh"
    if what == "dated by":
        return _dated(plan, plan.dated_by, lang)
    if what == "rounding":
        return f"{plan.rounding_unit.normalize():f}{'元' if zh else ' yuan'}, {MODES[plan.rounding_mode][0 if zh else 1]}"
    window = plan.in_force if what == "in force" else plan.by_reference
    return "" if window is None else f"{window[0]} {'至' if zh else 'to'} {window[1]}"


def policy_changes(old: Plan, new: Plan) -> list[Change]:
    """What differs between two versions of a policy, in the order a reader meets it: the header, each
    measure (in measure order), each rule across measures (in the order they apply), and their order."""
    changes: list[Change] = []
    for what in ("in force", "by reference", "dated by", "rounding"):
        was, now = (Label(_header(p, what, "zh"), _header(p, what, "en")) for p in (old, new))
        if was != now:
            changes.append(Change(what, old.header_lines.get(what), new.header_lines.get(what), was, now))
    # the inputs: a default stands for what an application leaves out, so changing it moves amounts
    for name in list(old.inputs) + [n for n in new.inputs if n not in old.inputs]:
        ia, ib = old.inputs.get(name), new.inputs.get(name)
        was, now = (Label(_input(i, "zh"), _input(i, "en")) for i in (ia, ib))
        if was != now:
            changes.append(Change(f"input {name}", ia.line if ia else None, ib.line if ib else None, was, now))
    ids = sorted(set(old.by_id) | set(new.by_id), key=measure_key)
    for mid in ids:
        a, b = old.by_id.get(mid), new.by_id.get(mid)
        if a is None or b is None:
            m = b or a
            assert m is not None
            title = Label(m.title.zh, m.title.en)
            changes.append(Change(f"measure {mid}", a.line if a else None, b.line if b else None,
                                  _same("") if a is None else title, _same("") if b is None else title))
            continue
        parts = zip(_measure_parts(old, a, "zh"), _measure_parts(old, a, "en"), _measure_parts(new, b, "zh"),
                    _measure_parts(new, b, "en"), _measure_parts(old, a, "zh", True), _measure_parts(old, a, "en", True),
                    _measure_parts(new, b, "zh", True), _measure_parts(new, b, "en", True))
        for (part, was_zh, old_line), (_, was_en, _), (_, now_zh, new_line), (_, now_en, _), *compared in parts:
            if [text for _, text, _ in compared[:2]] != [text for _, text, _ in compared[2:]]:
                if part == "amount":
                    old_line, new_line = _first_changed_row(a.formula, b.formula, old_line, new_line)
                if part in CONDITIONS:
                    old_line, new_line = _first_changed(getattr(a, CONDITIONS[part]), getattr(b, CONDITIONS[part]),
                                                        old_line, new_line)
                changes.append(Change(f"measure {mid}: {part}", old_line, new_line, Label(was_zh, was_en),
                                      Label(now_zh, now_en)))
    # the rules across measures (a measure's own are its parts, above; a validity rule's windows are the
    # header's, so only whether there is one), then the order they apply in, which decides amounts
    across_a = {r.id: r for r in old.rules if r.own_measure is None}
    across_b = {r.id: r for r in new.rules if r.own_measure is None}
    for rid in list(across_a) + [r for r in across_b if r not in across_a]:
        ra, rb = across_a.get(rid), across_b.get(rid)
        was, now = (_same("") if r is None else _same(rid) if isinstance(r, Validity)
                    else Label(_rule(r, "zh"), _rule(r, "en")) for r in (ra, rb))
        alike = ra is not None and rb is not None and all(_rule(ra, lang, True) == _rule(rb, lang, True)
                                                          for lang in ("zh", "en"))  # but for a set's order
        if was != now and not alike:
            old_line, new_line = _rule_lines(ra, rb) if ra and rb else (ra.line if ra else None, rb.line if rb else None)
            changes.append(Change(f"rule {rid}", old_line, new_line, was, now))
    order_a = [rid for rid in across_a if rid in across_b]
    order_b = [rid for rid in across_b if rid in across_a]
    if order_a != order_b:
        changes.append(Change("order of the rules", None, None, _same(" → ".join(order_a)), _same(" → ".join(order_b))))
    return changes


CONDITIONS = {"requirements": "requirements", "cross checks": "cross_checks"}  # parts that are lists of conditions


def _first_changed(was: tuple[Cond, ...], now: tuple[Cond, ...], old_line: int, new_line: int) -> tuple[int, int]:
    """The lines of the first condition that reads differently in the two versions (or is added or
    taken away), so that a change to a measure's third requirement points at it, not at its first."""
    for i in range(max(len(was), len(now))):
        a, b = (conds[i] if i < len(conds) else None for conds in (was, now))
        if a is None or b is None or any(_cond(a, lang, True) != _cond(b, lang, True) for lang in ("zh", "en")):
            return (a.line if a else old_line, b.line if b else new_line)
    return old_line, new_line


def _same(text: str) -> Label:
    """Text that reads the same in both languages (figures, dates, ids)."""
    return Label(text, text)
