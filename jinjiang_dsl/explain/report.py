"""Decision reports for people: what each award is, why, why not, and what would change it.

The report is built once as plain data (:class:`ApplicantReport`), in no language; the
Markdown and HTML writers (:mod:`.markdown`, :mod:`.html`) put it into words from the
catalogue, in Chinese or English.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import attrs

from .. import ir
from ..decide import Decider
from ..decisions import ApplicantDecision, Award, BatchDecision, now_in_shanghai
from ..inputs import Applicant
from ..ir import Measure
from ..plan import Plan
from ..rules import Allocation, HighestNotStacked, Once, Rule
from ..runtime.intervals import Interval, lower_key
from ..runtime.money import fmt_plain, percent_text
from ..runtime.trace import Label, Step
from .counterfactual import Change, changes, requirement
from .messages import STATUS, render

WORDS: dict[str, tuple[str, str]] = {
    "title": ("补助测算说明", "Subsidy decision report"),
    "batch_title": ("批次测算报告", "Batch decision report"),
    "policy": ("政策", "Policy"),
    "sha": ("政策源文件 SHA-256", "Policy source SHA-256"),
    "input_sha": ("申请数据 SHA-256", "Input SHA-256"),
    "policy_short": ("政策", "policy"),
    "input_short": ("申请数据", "input"),
    "engine": ("引擎版本", "Engine version"),
    "report_id": ("报告编号", "Report id"),
    "page": ("第 {page} 页,共 {pages} 页", "page {page} of {pages}"),
    "evaluated": ("测算时间", "Evaluated at"),
    "applicant": ("申请人", "Applicant"),
    "summary": ("汇总", "Summary"),
    "project": ("项目", "Project"),
    "measure": ("措施", "Measure"),
    "status": ("结果", "Status"),
    "amount": ("金额(元)", "Amount (yuan)"),
    "entitlement": ("可得(元)", "Entitlement (yuan)"),
    "total": ("合计", "Total"),
    "total_reference": ("合计(仅供参考,不予给予)", "Total (for reference only; nothing granted)"),
    "clause": ("条款", "Clause"),
    "computation": ("计算过程", "Computation"),
    "notes": ("适用的解释", "Interpretations that apply"),
    "no_measure": ("未涉及任何措施的事实", "gives the facts of no measure"),
    "summed_only": ("无本项目的措施;其数据计入申请人本身的年度奖励", "no measure of its own; its figures count in the "
                    "applicant's own awards"),
    "why_not": ("未获补助的原因", "Why not granted"),
    "what_would_change": ("怎样会不同", "What would change it"),
    "tier_table": ("档次表", "Tier table"),
    "tier": ("档", "Tier"),
    "interval": ("区间", "Interval"),
    "threshold": ("门槛", "Threshold"),
    "band": ("本档适用区间(取所达最高档)", "Values this tier pays (the highest reached)"),
    "words": ("通知用语", "Notice wording"),
    "pays": ("补助(元)", "Pays (yuan)"),
    "matched": ("适用", "applies"),
    "errors": ("输入错误", "Input errors"),
    "warnings": ("警告", "Warnings"),
    "rules": ("跨措施规则", "Rules across measures"),
    "rules_applied": ("适用的跨措施规则", "Rules across measures that applied"),
    "applicant_itself": ("申请人本身", "The applicant itself"),
    "by_measure": ("各措施给予金额", "Granted by measure"),
    "by_status": ("各结果项数", "Awards by status"),
    "by_payer": ("各出资方承担金额", "Granted by payer"),
    "payer": ("出资方", "Payer"),
    "applicants_with_errors": ("输入有误的申请人", "Applicants with input errors"),
    "none": ("无", "none"),
    "count": ("项数", "Awards"),
    "applicants_n": ("申请人数", "Applicants"),
    "otherwise_rules": ("暂不适用 {rules}(缺少其所需数据),本申请人可得如下。仅供参考:补齐数据前不予给予",
                        "Leaving out {rules}, which needs a fact the applicant did not give, the applicant would be "
                        "entitled to the following. For reference only: nothing is granted until the input is "
                        "completed"),
    "otherwise": ("暂不计输入错误(无法读取的值略去,其余按所填),本申请人可得如下。仅供参考:更正前不予给予",
                  "Setting the input errors aside (values that cannot be read left out, the rest as given), the "
                  "applicant would be entitled to the following. For reference only: nothing is granted until "
                  "the input is corrected"),
    # an applicant-level measure reads the applicant's own facts, a project's its project's: neither gave any
    "no_awards": ("本申请人及其项目均未提供任何措施所依据的事实。",
                  "Neither this applicant nor any of its projects gives the facts of a measure."),
    "yuan": ("元", "yuan"),
    "applicants": ("申请人一览", "Applicants"),
    "allocations": ("分配表", "Allocation tables"),
    # allocation tables (rules/base.py, Allocation): a caption, the columns, a closing note
    "alloc.pro_rata": ("{who}{year}:合计 {total} 元超过 {target} 元,按比例核减(最大余数法,以{unit}为单位)",
                       "{who}{year}: {total} yuan exceeds {target} yuan; reduced pro rata (largest remainder, in "
                       "units of {unit})"),
    "alloc.input_order": ("{who}{year}:合计 {total} 元超过 {target} 元,按申报顺序核减",
                          "{who}{year}: {total} yuan exceeds {target} yuan; reduced in input order"),
    "alloc.payers": ("{who} 资金分担:{target} 元按 {ratio} 分担(最大余数法,以{unit}为单位)",
                     "{who} cost sharing: {target} yuan split {ratio} (largest remainder, in units of {unit})"),
    "alloc.instalments": ("{who} 分期拨付:{target} 元", "{who} instalments: {target} yuan"),
    "col.who": ("项目 · 措施", "Project · measure"),
    "col.payer": ("承担方", "Payer"),
    "col.year": ("年度", "Year"),
    "col.before": ("核减前(元)", "Before (yuan)"),
    "col.weight": ("比例", "Weight"),
    "col.share": ("比例", "Share"),
    "col.exact": ("精确份额 = 核减前 × {target} ÷ {total}", "Exact share = before × {target} ÷ {total}"),
    "col.exact_payers": ("精确份额 = {target} × 比例 ÷ {total}", "Exact share = {target} × weight ÷ {total}"),
    "col.exact_instalment": ("精确金额 = {target} × 比例", "Exact = {target} × share"),
    "col.floor": ("取整(元)", "Rounded down (yuan)"),
    "col.remainder": ("余数({unit})", "Remainder ({unit})"),
    "col.extra": ("加 1 {unit}", "+1 {unit}"),
    "col.granted": ("给予(元)", "Granted (yuan)"),
    "col.part": ("承担(元)", "Pays (yuan)"),
    "col.paid": ("拨付(元)", "Paid (yuan)"),
    "note.pro_rata": ("取整合计 {floors} 元;余下 {left} {unit}按余数从大到小各加 1 {unit},余数相同的,表中排在前面的优先;合计 {target} 元。",
                      "Rounded down, the parts come to {floors} yuan; {left} {unit} are left over and go one each "
                      "to the largest remainders (equal remainders: the earlier row); in all {target} yuan."),
    "note.pro_rata_one": ("取整合计 {floors} 元;余下 1 {unit},加给余数最大者,余数相同的,表中排在前面的优先;合计 {target} 元。",
                          "Rounded down, the parts come to {floors} yuan; 1 {unit} is left over and goes to the "
                          "largest remainder (equal remainders: the earlier row); in all {target} yuan."),
    "note.pro_rata_exact": ("取整合计即为 {target} 元,没有余下的{unit}。",
                            "Rounded down, the parts already come to {target} yuan; no {unit} is left over."),
    "note.input_order": ("表中排在前面的先得足额,直至用尽 {target} 元。", "Earlier rows are paid in full until the {target} yuan "
                         "is used up."),
    "note.instalments": ("除末期外各期按比例计算后{rounding};末期为余额,各期合计恰为 {target} 元。",
                         "Each instalment but the last is its share, {rounding}; the last is what is left, so "
                         "they add up to exactly {target} yuan."),
}

UNITS = {"0.01": ("分", "fen"), "0.1": ("角", "jiao"), "1": ("元", "yuan")}
ROUNDED = {"half_up": ("四舍五入", "rounded half-up"), "half_even": ("银行家舍入", "rounded half-even"),
           "down": ("舍去", "rounded down"), "up": ("进位", "rounded up")}

WHY_NOT_KINDS = {"missing", "tier_none", "category_none", "zero", Once.KIND, HighestNotStacked.KIND}
# A referral is not a refusal: its award says so in its own words, not among the reasons for nothing.


def error_text(error: str, lang: str) -> str:
    """An input error in the report's language (errors carry a Chinese twin; see inputs.Problem)."""
    return error.text(lang) if hasattr(error, "text") else error


def word(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return en if lang == "en" else zh


def status_word(status: str, lang: str) -> str:
    zh, en = STATUS[status]
    return en if lang == "en" else zh


ZERO = Decimal(0)


def money(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


@attrs.frozen(slots=True)
class TierRow:
    index: int
    interval: Interval  # read in the report's language
    words: str
    pays: Label  # a figure, or how an amount computed from the facts reads (10% × R&D spending)
    matched: bool
    band: Interval | None = None  # a threshold's: the values whose highest threshold reached it is


@attrs.frozen(slots=True)
class AwardReport:
    project: str
    measure: Measure
    award: Award
    tier_rows: tuple[TierRow, ...]
    why_not: tuple[Step, ...]
    changes: tuple[Change, ...]
    undated: bool = False  # for reference only: its project's date could not be read, so no period decides
    reference: bool = False  # what an applicant with input errors would get: nothing of it is granted

    @property
    def granted(self) -> bool:
        return self.award.status == "granted"

    @property
    def tier_column(self) -> str:
        """The heading of a tier table's bounds: a thresholds table lists thresholds, not intervals."""
        return "threshold" if self.measure.formula.kind == "thresholds" else "interval"

    @property
    def status(self) -> str:
        """The award's status as the report shows it: a winner a later rule cut to nothing (I-10) is
        "granted, reduced to 0", never a plain "granted 0.00" (the output keeps the contract's status); for
        reference, an award an applicant with input errors would get "would be granted", never "granted"."""
        a = self.award
        if self.undated and a.status == "out_of_period":
            return "undated"
        if a.status != "granted":
            return a.status
        zero = not a.amount and bool(a.entitlement)
        if self.reference:
            return "would_grant_zero" if zero else "would_grant"
        return "reduced_to_zero" if zero else a.status

    @property
    def steps(self) -> tuple[Step, ...]:
        """The computation, numbered in a report; the interpretations that apply are listed apart."""
        return tuple(s for s in self.award.trace if s.kind != "note")

    @property
    def notes(self) -> tuple[Step, ...]:
        """Each interpretation that applies to the award, once."""
        seen: dict[str, Step] = {}
        for s in self.award.trace:
            if s.kind == "note":
                seen.setdefault(s.params["id"], s)
        return tuple(seen.values())

    def tagged(self, step: Step, lang: str) -> str:
        """A step's sentence, tagged with its rule when a rule across measures wrote it ("[R2] …")."""
        text = sentence(step, lang)
        return text if step.rule == self.measure.rule else f"[{step.rule}] {text}"

    def where(self, lang: str) -> str:
        """The project, or the applicant itself (with the year, for a measure over the year)."""
        if self.project:
            return self.project
        year = f" ({self.award.year})" if self.award.year is not None else ""
        return word("applicant_itself", lang) + year


@attrs.frozen(slots=True)
class Table:
    """A table in the report's language: an allocation a person can redo on paper."""

    caption: str
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str
    numeric: tuple[bool, ...]  # which columns hold figures (right-aligned)


def unit_word(unit: Decimal, lang: str) -> str:
    zh, en = UNITS.get(f"{unit.normalize():f}", (f"{fmt_plain(unit)} 元", f"{fmt_plain(unit)} yuan"))
    return en if lang == "en" else zh


def allocation_table(a: Allocation, rounding: str, lang: str) -> Table:
    """An allocation as a table with its caption and a note on how the last figures are reached."""
    def w(key: str, **params: object) -> str:
        return word(key, lang).format(**params)

    unit = unit_word(a.unit, lang)
    target, total = fmt_plain(a.target), fmt_plain(a.total)
    year = (f" · {a.year} 年度" if lang == "zh" else f" · {a.year}") if a.year and a.method not in ("payers",
                                                                                                   "instalments") else ""
    ratio = ":".join(fmt_plain(p.amount) for p in a.parts)
    caption = w(f"alloc.{a.method}", who=a.title.get(lang), year=year, total=total, target=target, unit=unit, ratio=ratio)
    caption = caption[:1].upper() + caption[1:]  # a caption opening with "measure 1's annual cap"
    head: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    if a.method == "input_order":
        head = (w("col.who"), w("col.before"), w("col.granted"))
        rows = tuple((p.who.get(lang), money(p.amount), money(p.granted)) for p in a.parts)
        return Table(caption, head, rows, w("note.input_order", target=target), (False, True, True))
    if a.method == "instalments":
        zh, en = ROUNDED[rounding]
        head = (w("col.year"), w("col.share"), w("col.exact_instalment", target=target), w("col.paid"))
        rows = tuple((p.who.get(lang), percent_text(p.amount), fmt_plain(p.exact or ZERO),
                      money(p.granted)) for p in a.parts)
        rounded = f"{en} to {fmt_plain(a.unit)} yuan" if lang == "en" else f"按 {fmt_plain(a.unit)} 元{zh}"
        note = w("note.instalments", target=target, rounding=rounded)
        return Table(caption, head, rows, note, (False, True, True, True))
    payers = a.method == "payers"
    weight = w("col.weight") if payers else w("col.before")
    head = (w("col.payer") if payers else w("col.who"), weight,
            w("col.exact_payers" if payers else "col.exact", target=target, total=total), w("col.floor"),
            w("col.remainder", unit=unit), w("col.extra", unit=unit), w("col.part") if payers else w("col.granted"))
    rows = tuple((p.who.get(lang), fmt_plain(p.amount) if payers else money(p.amount), fmt_plain(p.exact or ZERO),
                  money(p.floor), fmt_plain(p.remainder or ZERO), "+1" if p.extra else "", money(p.granted))
                 for p in a.parts)
    floors = sum((p.floor or ZERO for p in a.parts), ZERO)
    key = "note.pro_rata_exact" if not a.left else "note.pro_rata_one" if a.left == 1 else "note.pro_rata"
    note = w(key, floors=fmt_plain(floors), left=a.left, unit=unit, target=target)
    return Table(caption, head, rows, note, (False, True, True, True, True, False, True))


def allocations(awards: tuple[AwardReport, ...]) -> tuple[Allocation, ...]:
    """Each split that acted on the applicant's awards, once, in the order the awards show them."""
    found: dict[Allocation, None] = {}
    for r in awards:
        for s in r.award.trace:
            table = s.params.get("allocation")
            if isinstance(table, Allocation):
                found.setdefault(table)
    return tuple(found)


@attrs.frozen(slots=True)
class ApplicantReport:
    """One applicant's part of a report (its projects that no measure lists are shown too, from the decision)."""

    decision: ApplicantDecision
    category: Label | None  # the applicant's kind, as its first closed-set input says
    awards: tuple[AwardReport, ...]
    rule_changes: tuple[Change, ...]
    rules: tuple[Rule, ...] = ()  # the rules across measures that acted on its awards, cited with their clause
    allocations: tuple[Allocation, ...] = ()
    otherwise: ApplicantReport | None = None  # for an input error: the decision were the wrong values left out
    without: tuple[Label, ...] = ()  # the rules that otherwise leaves out, for a fact they need and lack

    def otherwise_caption(self, lang: str) -> str:
        if not self.without:
            return word("otherwise", lang)
        return word("otherwise_rules", lang).format(rules=("、" if lang == "zh" else ", ").join(
            r.get(lang) for r in self.without))

    def rule_steps(self, rule: str, lang: str) -> list[tuple[str, str]]:
        """What a rule across measures did, step by step with its figures: (the awards, the sentence), a
        sentence it wrote on several awards (a year's headroom, the same for each grant) said once."""
        found: dict[str, list[str]] = {}
        for r in self.awards:
            who = f"{r.where(lang)} · {r.measure.id}"
            for s in r.award.trace:
                if s.rule == rule and s.kind != "note":  # the interpretations are listed with each award
                    names = found.setdefault(sentence(s, lang), [])
                    if who not in names:
                        names.append(who)
        return [("、".join(names) if lang == "zh" else ", ".join(names), text) for text, names in found.items()]

    def unlisted(self) -> list[tuple[str, str]]:
        """The projects no measure lists, each with the catalogue key of what to say of it."""
        summed = self.decision.summed_projects()
        return [(p.id or "", "summed_only" if p.id in summed else "no_measure")
                for p in self.decision.projects if not p.awards]


def tier_rows(m: Measure, award: Award) -> tuple[TierRow, ...]:
    """The measure's tiers, the one matched marked; none when no tier was looked up (out of the period, not
    a beneficiary, a requirement or the fact missing): a table there would suggest the figure was weighed."""
    if m.formula.kind not in ("bands", "thresholds") or not any(s.kind in ("tier", "tier_none") for s in award.trace):
        return ()
    matched = next((s.tier for s in award.trace if s.kind == "tier"), None)
    bands = threshold_bands(m.formula.tiers) if m.formula.kind == "thresholds" else {}
    return tuple(TierRow(t.index, t.interval, t.text, _pays(t), t.index == matched, bands.get(t.index))
                 for t in m.formula.tiers)


def _pays(t: ir.Tier) -> Label:
    """What a row pays, as the table shows it: its figure, or its reading when the facts decide it."""
    if isinstance(t.amount, ir.Const) and isinstance(t.amount.value, Decimal):
        return Label(fmt_plain(t.amount.value), fmt_plain(t.amount.value))
    return t.reading.label if t.reading is not None else Label("", "")


def threshold_bands(tiers: tuple[ir.Tier, ...]) -> dict[int, Interval]:
    """Each threshold's band: from its bound to the next threshold up. The thresholds themselves ([10, ∞),
    [20, ∞)) read as overlapping intervals; the bands ([10, 20), [20, ∞)) say which tier a value is paid."""
    ordered = sorted(tiers, key=lambda t: lower_key(t.interval))
    return {t.index: Interval(t.interval.lower, t.interval.lower_inclusive,
                              above.interval.lower if above else None, not above.interval.lower_inclusive if above else False,
                              t.interval.percent)
            for t, above in zip(ordered, [*ordered[1:], None])}


def why_not(award: Award, need: Change | None = None) -> tuple[Step, ...]:
    """The reasons an award was not granted; after a failed comparison, the value it needed."""
    if award.status == "granted":
        return ()
    found = []
    for s in award.trace:
        if s.kind in ("beneficiary", "requirement") and not s.params.get("ok") and not s.params.get("zero") or s.kind in WHY_NOT_KINDS or (s.kind == "period" and s.params.get("variant") == "out_of_period"):
            found.append(s)
            if need is not None and s.kind == "requirement" and s.params["label"] == need.params["requirement"]:
                found.append(Step(s.rule, f"needs.{need.kind.removeprefix('requirement_')}", need.params))
    return tuple(found)


def category(plan: Plan, app: Applicant) -> Label | None:
    """What kind of applicant this is, for the heading: its first closed-set input, named with its value,
    since in another notice that input may say anything ("认定情况:重新认定", not a bare "重新认定")."""
    for spec in plan.inputs.values():
        value = app.facts.get(spec.name)
        if spec.scope == "applicant" and spec.kind == "enum" and isinstance(value, str):
            shown = spec.value_labels.get(value, Label(value, value))
            return Label(f"{spec.label.zh}:{shown.zh}", f"{spec.label.en}: {shown.en}")
    return None


def applicant_report(decider: Decider, app: Applicant, decision: ApplicantDecision) -> ApplicantReport:
    plan = decider.plan
    if decision.status == "error":
        return ApplicantReport(decision, category(plan, app), (), (), otherwise=otherwise(decider, app, decision))
    suggestions = changes(decider, app, decision)
    awards = []
    for p in decision.groups():
        for a in p.awards:
            m = plan.measure(a.measure)
            awards.append(AwardReport(p.id or "", m, a, tier_rows(m, a), why_not(a, requirement(plan, app, p.id, a)),
                                      tuple(suggestions.get((p.id, a.measure, a.year), ()))))
    acted = {s.rule for r in awards for s in r.award.trace}
    rules = tuple(r for r in plan.rules if r.clause and r.id in acted)
    return ApplicantReport(decision, category(plan, app), tuple(awards), tuple(suggestions.get((None, None, None), ())),
                           rules, allocations(tuple(awards)))


def otherwise(decider: Decider, app: Applicant, decision: ApplicantDecision) -> ApplicantReport | None:
    """What an applicant with input errors would be entitled to with the errors set aside: a value that
    cannot be read is never among its facts (so it counts as not given), the rest as given; or, when a
    rule across measures needs a fact the applicant did not give, without that rule. For reference;
    nothing is granted until the input is corrected. None when even that cannot be decided."""
    if not (app.facts or app.projects):
        return None
    lacking: set[str] = set()
    if app.errors:
        again = decider.applicant(attrs.evolve(app, errors=()))
    else:  # a rule needs a fact the applicant did not give: decided without the rules that need one
        lacking = {r.id for r in decider.plan.rules for _, cond in r.figures()
                   if any(app.facts.get(name) is None for name in cond.inputs)}
        if not lacking:
            return None
        plan = attrs.evolve(decider.plan, rules=tuple(r for r in decider.plan.rules if r.id not in lacking))
        again = Decider(plan, decider.backend, trace=True).applicant(app)
    if again.status != "ok" or not any(p.awards for p in again.groups()):
        return None
    without = tuple(r.name() for r in decider.plan.rules if r.id in lacking)
    undated = {p.id for p in app.projects if p.date is None}  # a date missing or unreadable: not a period's
    awards = tuple(AwardReport(p.id or "", decider.plan.measure(a.measure), a, (), (), (), undated=p.id in undated,
                               reference=True)
                   for p in again.groups() for a in p.awards)
    return ApplicantReport(again, None, awards, (), without=without)


@attrs.frozen(slots=True)
class Report:
    """Everything a report shows, for one applicant or a batch."""

    plan: Plan
    batch: BatchDecision
    applicants: tuple[ApplicantReport, ...]
    evaluated_at: dt.datetime
    is_batch: bool

    @property
    def report_id(self) -> str:
        """An id for this report: the same policy, input, applicants and time give the same one."""
        who = ",".join(str(a.decision.id) for a in self.applicants)
        seed = "|".join((self.plan.source_sha256, self.batch.input_sha256 or "", self.evaluated_at.isoformat(), who))
        return "R-" + hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:12]

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("granted", "superseded", "not_eligible", "referred", "out_of_period"), 0)
        for a in self.applicants:
            for aw in a.awards:
                counts[aw.award.status] += 1
        return counts


def build(decider: Decider, apps: list[Applicant], batch: BatchDecision, *, only: Any = None,
          evaluated_at: dt.datetime | None = None, is_batch: bool = False) -> Report:
    chosen = [
        applicant_report(decider, app, d)
        for app, d in zip(apps, batch.applicants)
        if only is None or d.id == only
    ]
    when = evaluated_at or batch.evaluated_at or now_in_shanghai()
    return Report(decider.plan, batch, tuple(chosen), when, is_batch)


def sentence(step: Step, lang: str) -> str:
    return render(step, lang)


def change_text(c: Change, lang: str) -> str:
    """A suggestion and what it does to the whole applicant, in one item."""
    return ("。" if lang == "zh" else ". ").join(render(s, lang) for s in c.steps())
