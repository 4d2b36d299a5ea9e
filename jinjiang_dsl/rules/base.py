"""What every rule works with: the applicant's claims, the figures a backend computes, the split.

A *claim* is one measure for one project (or for the applicant itself) after the measure's own
computation: granted at its entitlement, or not. Rules then act on the claims of one applicant
in the order the plan lists them; each rule kind is a record class in a module of its own that
says what it does to the claims, which steps it writes, how they read, what coverage wants of
it and what change an applicant could make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ..ir import Cond, Measure, Note
from ..problem import Problem
from ..runtime.money import fmt_plain
from ..runtime.trace import Label, Step

if TYPE_CHECKING:
    from ..compile.applicant import RuleCode
    from ..decisions import ApplicantDecision
    from ..inputs import Applicant

Facts = dict[str, Any]
CENT = Decimal("0.01")
ZERO = Decimal(0)
REDUCE = {"pro_rata": "pro rata by largest remainder", "input_order": "in input order"}
REDUCE_ZH = {"pro_rata": "按比例(最大余数法)核减", "input_order": "按申报顺序核减"}


@attrs.define
class Claim:
    """One measure's award while the rules are still acting on it."""

    measure: Measure
    status: str  # granted | superseded | not_eligible | referred | out_of_period
    entitlement: Decimal | None
    amount: Decimal | None
    steps: list[Step] | None  # None when evaluating without a trace
    warnings: tuple[Step, ...]
    order: int  # the project's position in the applicant's input
    project: str = ""
    date: dt.date | None = None  # the project's qualifying date
    facts: Facts = attrs.field(factory=dict)  # the project's facts
    taken_by: str | None = None  # the rule that superseded it
    held: Decimal = ZERO  # what earlier batches already paid of its entitlement (a top-up pays the rest)

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None

    @property
    def label(self) -> Label:
        """The claim as a table row names it: its project (or the applicant) and measure."""
        return Label(f"{self.project or '申请人本身'} · {self.measure.id}",
                     f"{self.project or 'the applicant'} · {self.measure.id}")

    def note(self, step: Step) -> None:
        if self.steps is not None:
            self.steps.append(step)

    def paid(self) -> Decimal:
        return self.amount if self.status == "granted" and self.amount else ZERO


@attrs.frozen(slots=True)
class Effect:
    """What a change does to the whole applicant, found by deciding it again with the change made:
    the award's granted amount and the applicant's total, before and after, and the rules across
    measures that kept part of the entitlement's gain from the total."""

    field: str  # the input set, in the project's facts when the change names a project
    label: Label  # that input's label
    value: Any
    granted: Decimal | None  # the award's granted amount after the change (None: a rule's change)
    granted_now: Decimal | None
    total: Decimal
    total_now: Decimal
    blocked: Decimal  # the part of the promised gain the total does not get
    blocked_by: tuple[Label, ...]

    @property
    def gain(self) -> Decimal:
        return self.total - self.total_now

    @property
    def variant(self) -> str:
        if self.gain < 0:
            return "lower"
        if self.gain == 0:
            return "nothing"
        return "blocked" if self.blocked > 0 else "gain"


@attrs.frozen(slots=True)
class Change:
    """A suggestion: set ``field`` (None when a derived base decides) to ``value``, and ``expect``
    is what the measure's entitlement (or, for a rule, the year's total) would then be; ``effect``
    is what deciding the whole applicant again with it gives."""

    kind: str  # the catalogue key after "change."
    rule: str  # the measure's or the rule's id, as steps name it
    project: str | None
    measure: str | None
    field: str | None
    value: Any
    expect: Decimal | None  # None: what deciding again gives (a requirement met)
    params: dict[str, Any]
    effect: Effect | None = None
    set_in: str | None = None  # the project whose fact is set, when it is not the award's (a year's sum)
    year: int | None = None  # the award's year, for a measure over the year (one award per year, same measure)

    @property
    def offered(self) -> bool:
        """A change the applicant gains by; the others are shown as warnings, not suggestions."""
        return self.effect is None or self.effect.gain > 0

    def step(self) -> Step:
        return Step(self.rule, f"change.{self.kind}", self.params, value=self.value)

    def steps(self) -> tuple[Step, ...]:
        """The suggestion, and what it does to the whole applicant."""
        e = self.effect
        if e is None:
            return (self.step(),)
        total_only = "" if e.granted is not None else ".total"
        return self.step(), Step(self.rule, f"change.effect.{e.variant}{total_only}", {
            "label": e.label, "set": e.value, "granted": e.granted, "granted_now": e.granted_now,
            "total": e.total, "total_now": e.total_now, "gain": abs(e.gain), "blocked": e.blocked,
            "rules": named_rules(e.blocked_by)})


def named_rules(names: tuple[Label, ...]) -> Label:
    """Rules as a sentence names them, each quoted: bare, a rule's id runs into the words around it ("因R1 …而"),
    and two names joined by "and" read as one long name when a title has a comma of its own."""
    zh = "、".join(f"“{n.zh}”" for n in names)
    en = [f'"{n.en}"' for n in names]
    return Label(zh, " and ".join((", ".join(en[:-1]), en[-1])) if len(en) > 1 else "".join(en))


@attrs.frozen(slots=True)
class Earlier:
    """An award an earlier batch decided for this applicant under the same policy, from the decision
    register: final, never clawed back, so the rules that span rounds count it."""

    batch: str
    decision: int
    project: str | None
    measure: str
    year: int | None
    status: str
    entitlement: Decimal
    amount: Decimal
    superseded: tuple[str, ...] = ()  # the measures of its project that highest-not-stacked superseded then
    policy: str = ""  # the other policy's name, for a grant under another notice (what 'from register' sums)

    @property
    def label(self) -> Label:
        where = f"{self.project} · " if self.project else ""
        other = f"{self.policy} " if self.policy else ""
        zh_year, en_year = (f"({self.year}年)", f" ({self.year})") if self.year is not None else ("", "")
        return Label(f"{other}批次 {self.batch} {where}措施 {self.measure}{zh_year} {fmt_plain(self.amount)} 元",
                     f"{other}batch {self.batch} {where}measure {self.measure}{en_year} {fmt_plain(self.amount)} yuan")


def held(earlier: list[Earlier]) -> tuple[Earlier, Decimal]:
    """Of the earlier awards that took a turn: the one that holds it (the highest entitlement), and what
    earlier batches paid in all — a later, higher claim pays the difference (a top-up)."""
    return max(earlier, key=lambda e: e.entitlement), sum((e.amount for e in earlier if e.status == "granted"), ZERO)


@attrs.frozen(slots=True)
class Evaluation:
    """What a rule sees of one applicant: its facts, the backend's figures, and whether to explain."""

    app: Applicant
    figure: Callable[[str, Facts], Any]  # the value of a figure a rule declared, by key
    trace: bool
    input_label: Callable[[str], Label]
    unit: Decimal  # the policy's rounding unit: splits are exact in it
    earlier: tuple[Earlier, ...] = ()  # what earlier batches granted this applicant (with a register)
    supplied: tuple[tuple[str, Label], ...] = ()  # the 'from register' inputs the record left out, and labels

    def paid_before(self, year: int | None, measure: str | None = None, among: tuple[str, ...] = ()
                    ) -> tuple[Decimal, list[Earlier]]:
        """What earlier batches paid this applicant in a year under this policy (of one measure, of those a
        rule lists, or of all), and the awards."""
        found = [e for e in self.earlier if e.status == "granted" and e.amount and e.year == year and not e.policy
                 and (measure is None or e.measure == measure) and (not among or e.measure in among)]
        return sum((e.amount for e in found), ZERO), found

    def facts_in(self, year: int | None, uses: tuple[str, ...], notes: list[Claim], rule: str) -> Facts:
        """The applicant's facts for a year, for a figure that reads ``uses``: a 'from register' input the
        record left out is what other policies granted it that year (said, with the grants, on ``notes``)."""
        if not self.supplied:  # without a register (every traced run but a register's round)
            return self.app.facts
        supplied = [(name, label) for name, label in self.supplied if name in uses]
        if not supplied:
            return self.app.facts
        others = [e for e in self.earlier if e.policy and e.status == "granted" and e.year == year]
        total = sum((e.amount for e in others), ZERO)
        if self.trace:
            for _, label in supplied:
                step = Step(rule, "earlier", {"variant": "supplied", "label": label, "year": str(year), "value": total,
                                              "earlier": [e.label for e in others]})
                for c in notes:
                    c.note(step)
        return {**self.app.facts, **{name: total for name, _ in supplied}}


@attrs.frozen(slots=True)
class Rule:
    """A rule record: its id and title as the policy writes them, and the notes it carries.

    ``KIND`` names the steps the rule writes (``Step.kind``); ``MESSAGES`` are their sentences,
    keyed ``KIND.variant``; ``GATE`` marks a rule that decides which projects are looked at, before
    any measure is computed."""

    id: str
    title: Label
    notes: tuple[Note, ...]
    clause: str = ""  # the clause a rule across measures cites; a measure's own rule is cited by its measure
    quote: str | None = None
    line: int = 0  # the statement that makes it: the rule's, or its measure's 'once' or annual cap
    clause_en: str = ""  # how an English report names the clause ("": by the notice's words)
    # a rule across measures: the line of each statement that makes it ('limit', 'applies to', 'reduce',
    # 'other policy'), where ``impact`` locates a change of it
    part_lines: tuple[tuple[str, int], ...] = ()

    KIND: ClassVar[str] = ""
    GATE: ClassVar[bool] = False
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {}
    WITHHOLDING: ClassVar[frozenset[str]] = frozenset()  # the variants of its steps that keep money back

    def withholds(self, step: Step) -> bool:
        """Did this step of the rule keep part of its award back? (A winner's step, or one saying a limit
        was not reached, keeps nothing back: "what would change it" does not blame the rule for it.)"""
        return step.kind == self.KIND and step.params.get("variant") in self.WITHHOLDING

    @property
    def own_measure(self) -> str | None:
        """The one measure a rule acts on, when it is a measure's own (its once, its annual cap)."""
        return None

    def figures(self) -> tuple[tuple[str, Cond], ...]:
        """The applicant-level expressions the backend computes for this rule, by key."""
        return ()

    def describe(self, lang: str = "en") -> str:
        """What the rule does, in one line (``compile --emit plan``, in English; ``impact`` in either)."""
        return self.KIND

    def apply(self, ev: Evaluation, claims: list[Claim]) -> Problem | None:
        """Act on the applicant's claims; an input problem stops the applicant."""
        return None

    def finish(self, ev: Evaluation, claims: list[Claim]) -> None:
        """After every rule has acted: say what a later rule did to this one's outcome."""

    def emit(self, code: RuleCode) -> None:
        """Write what :meth:`apply` does, untraced, as straight-line code for this rule (see
        :mod:`jinjiang_dsl.compile.applicant` for the names the code works with)."""
        raise NotImplementedError(self.KIND)

    def coverage(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """What coverage wants of this rule: (what, its cases)."""
        return ()

    def covered(self, step: Step) -> tuple[str, str] | None:
        """The (what, case) a step this rule wrote shows."""
        return None

    def changes(self, ev: Evaluation, decision: ApplicantDecision) -> list[Change]:
        """What the applicant could change for this rule to act otherwise."""
        return []

    def name(self) -> Label:
        """How an explanation names the rule when it says what the rule did."""
        return Label(f"{self.id} {self.title.zh}", f"{self.id} {self.title.en}")

    def write_notes(self, claim: Claim) -> None:
        for n in self.notes:
            claim.note(Step(self.id, "note", {"id": n.id, "text": n.text}))


EARLIER_MESSAGES: dict[str, tuple[str, str]] = {
    # what earlier batches already granted, as a rule that spans rounds counts it (decision register)
    "earlier.cap": ("{name}:{year} 年度此前批次已给予 {paid} 元({earlier}),本批次尚余 {whole} − {paid} = {left} 元",
                    "{name}: earlier batches already granted {paid} yuan in {year} ({earlier}); {whole} − {paid} = "
                    "{left} yuan is left for this batch"),
    "earlier.supplied": ("{label}({year} 年度)未填报,由决策登记簿提供:{value} 元,即其他政策已给予的({earlier})",
                         "{label} ({year}) not given: the decision register supplies {value} yuan, what other "
                         "policies granted ({earlier})"),
    "earlier.limit": ("{name}:{year} 年度此前批次已给予 {paid} 元({earlier}),可用额度尚余 {whole} − {paid} = {left} 元",
                      "{name}: earlier batches already granted {paid} yuan in {year} ({earlier}); {whole} − {paid} = "
                      "{left} yuan of the headroom is left"),
}


@lru_cache(maxsize=256)  # bounded: policies loaded one after another (the language server) list others
def among_label(among: tuple[str, ...], zh_after: str = "") -> Label:
    """Which measures a rule lists (``among 4, 6.1``), as its steps say it after its title ("" when it lists none:
    the rule is about every measure). Remembered: each step such a rule writes says it."""
    if not among:
        return Label("", "")
    *rest, last = among
    en = f" (among measures {', '.join(rest)} and {last})" if rest else f" (measure {last} only)"
    return Label(f"(限于措施 {'、'.join(among)}{zh_after})", en)


def by_year(claims: Iterable[Claim], keep: Callable[[Claim], bool]) -> dict[int, list[Claim]]:
    """The claims kept, by the year of their date (claims without one are in no year)."""
    found: dict[int, list[Claim]] = {}
    for c in claims:
        if c.date is not None and keep(c):
            found.setdefault(c.date.year, []).append(c)
    return found


def in_input_order(amounts: list[Decimal], target: Decimal) -> list[Decimal]:
    """Earlier items keep their full amount until the target is used up."""
    left, parts = target, []
    for amount in amounts:
        part = min(amount, max(left, ZERO))
        parts.append(part)
        left -= part
    return parts


def _shares(amounts: list[Decimal], target: Decimal, unit: Decimal) -> tuple[list[int], list[int], int, int]:
    """The pro rata split in whole units: each item's floor and remainder (over the total), the units
    left for the largest remainders, and the total of the weights in units."""
    weights = [int((a / unit).to_integral_value()) for a in amounts]
    total = sum(weights)
    goal = int((target / unit).to_integral_value(rounding=ROUND_DOWN))
    if total == 0:
        return [0] * len(weights), [0] * len(weights), 0, 0
    floors = [w * goal // total for w in weights]
    remainders = [w * goal % total for w in weights]
    return floors, remainders, goal - sum(floors), total


def largest_remainder(amounts: list[Decimal], target: Decimal, unit: Decimal = CENT) -> list[Decimal]:
    """Split ``target`` pro rata to ``amounts`` in whole units (fen by default), adding up to it exactly.

    Each part is first rounded down; the units left over go one each to the largest
    remainders, equal remainders to the earlier item. Integer arithmetic, exact.
    """
    floors, remainders, left, _ = _shares(amounts, target, unit)
    for i in sorted(range(len(floors)), key=lambda i: (-remainders[i], i))[:left]:
        floors[i] += 1
    return [Decimal(f) * unit for f in floors]


def reduce(amounts: list[Decimal], target: Decimal, strategy: str, unit: Decimal) -> list[Decimal]:
    """Amounts brought down to ``target`` by the declared reduction."""
    return in_input_order(amounts, target) if strategy == "input_order" else largest_remainder(amounts, target, unit)


@attrs.frozen(slots=True)
class Part:
    """One row of an allocation table. Pro rata: ``exact`` = amount × target ÷ total, ``floor`` it rounded
    down to the unit, ``remainder`` what is left of it (in units), ``extra`` the unit the largest remainders
    get; in input order only the running figures; for instalments the share and its rounding."""

    who: Label
    amount: Decimal  # the weight: the grant before, the payer's part of the ratio, or the instalment's share
    granted: Decimal
    exact: Decimal | None = None
    floor: Decimal | None = None
    remainder: Decimal | None = None  # in units of the policy's rounding (fen), to six places
    extra: int = 0


@attrs.frozen(slots=True)
class Allocation:
    """How one figure was split between several: a cap or limit's target between an applicant's grants
    in a year, a grant between its payers, or between its instalments — every figure a person needs to
    redo the split on paper. ``method``: pro_rata | input_order | payers | instalments."""

    rule: str
    title: Label
    year: str
    method: str
    target: Decimal
    total: Decimal
    unit: Decimal
    parts: tuple[Part, ...]

    @property
    def left(self) -> int:
        """The units given one each to the largest remainders."""
        return sum(p.extra for p in self.parts)


def allocation(rule: str, title: Label, year: str, method: str, who: list[Label], amounts: list[Decimal],
               target: Decimal, granted: list[Decimal], unit: Decimal) -> Allocation:
    """The table of a split already made (``granted``): for a pro rata split, each item's exact share,
    floor, remainder and extra unit, computed as :func:`largest_remainder` computes them."""
    total = sum(amounts, ZERO)
    if method == "input_order":
        parts = tuple(Part(w, a, g) for w, a, g in zip(who, amounts, granted))
    else:
        floors, remainders, _, units = _shares(amounts, target, unit)
        places = Decimal("0.000001")  # a remainder to a millionth of a unit, an exact share to a ten-thousandth
        parts = tuple(
            Part(w, a, g, (a * target / total).quantize(unit * Decimal("0.0001")) if total else ZERO, f * unit,
                 (Decimal(r) / units).quantize(places) if units else ZERO, int((g - f * unit) / unit))
            for w, a, g, f, r in zip(who, amounts, granted, floors, remainders))
    return Allocation(rule, title, year, method, target, total, unit, parts)
