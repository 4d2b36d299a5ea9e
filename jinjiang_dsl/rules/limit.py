"""A limit across measures per applicant per year (e.g. 以…为上限): what all of an applicant's
grants in a year may add up to — or, when the rule lists some (``among 4, 6.1``: "第四条、第六条补助合计
每年不超过500万元"), what the listed measures' grants may: only they count toward it and are reduced.

The limit is an expression of applicant facts; below 0 it allows nothing. Over it, the year's
grants are brought down to it by the declared reduction, pro rata by largest remainder (to the
policy's rounding unit, so the parts add up exactly) or in input order. ``applies to`` names the
applicants it binds; the others are told it does not apply and why.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ..ir import Cond
from ..problem import Problem
from ..runtime.money import fmt_plain
from ..runtime.outcome import Missing
from ..runtime.trace import Label, Shown, Step
from .base import (
    REDUCE,
    REDUCE_ZH,
    ZERO,
    Change,
    Claim,
    Evaluation,
    Rule,
    allocation,
    among_label,
    by_year,
    reduce,
)

if TYPE_CHECKING:
    from ..compile.applicant import RuleCode
    from ..decisions import ApplicantDecision
    from ..inputs import Applicant

WHAT = "limit across measures"
NO_CLAMP = Label("", "")


def _made_of(limit: Shown | None, clamp: Label, reads_facts: bool) -> Shown | Label:
    """What a headroom is made of, after it in brackets: the limit read with its figures, and any clamp or
    earlier grants — nothing for a limit that is a figure alone, which the headroom already is (not
    "headroom 2,000,000 yuan (2,000,000)")."""
    if limit is None or (not reads_facts and not clamp.zh):
        return NO_CLAMP
    return Shown(_bracketed(limit.template, clamp), limit.names, limit.values, limit.choices)


@lru_cache(maxsize=256)  # bounded: a clamp below 0 shows the applicant's figure
def _bracketed(template: Label, clamp: Label) -> Label:
    """The limit's template and its clamp in brackets; remembered, since most applicants' are the same
    (a traced batch asks for it once per applicant and year)."""
    zh, en = (t.replace("{", "{{").replace("}", "}}") for t in (clamp.zh, clamp.en))  # figures, kept as text
    return Label(f"({template.zh}{zh})", f" ({template.en}{en})")


@lru_cache(maxsize=64)
def _facts_only(n: int) -> Label:
    """A template of ``n`` facts alone, each with its value."""
    return Label("、".join(f"{{{i}}}" for i in range(n)), ", ".join(f"{{{i}}}" for i in range(n)))


@lru_cache(maxsize=256)  # bounded: policies, loaded one after another (the language server), list others
def _about(among: tuple[str, ...]) -> dict[str, Label]:
    """:meth:`Limit.about`, made once per list of measures: every step of the rule copies it (never changes it)."""
    return {"among": among_label(among), "counted": Label("所列措施" if among else "本通知", "")}


@attrs.frozen(slots=True)
class Limit(Rule):
    limit: Cond | None = None
    applies_to: Cond | None = None
    reduction: str = "pro_rata"  # pro_rata | input_order
    among: tuple[str, ...] = ()  # the measures whose grants count toward the limit, as listed; () when all do

    KIND: ClassVar[str] = "limit"
    WITHHOLDING: ClassVar[frozenset[str]] = frozenset({"reduced", "reduced_in_order"})
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "limit.free": ("{title}{among}:可用额度 {headroom} 元{limit};{year} 年度{counted}合计 {total} 元,未超过",
                       "{title}{among}: headroom {headroom} yuan{limit}; {total} yuan in all in {year}, within it"),
        "limit.free.reached": ("{title}{among}:可用额度 {headroom} 元{limit};{year} 年度{counted}合计 {total} 元,恰好达到,"
                               "不核减",
                               "{title}{among}: headroom {headroom} yuan{limit}; {total} yuan in all in {year} "
                               "reaches it exactly; nothing is reduced"),
        "limit.reduced": ("{title}{among}:可用额度 {headroom} 元{limit};{year} 年度{counted}合计 {total} 元,超出部分按比例"
                          "核减:{amount} × {headroom} ÷ {total} = {share},按最大余数法分配后为 {after} 元",
                          "{title}{among}: headroom {headroom} yuan{limit}; {total} yuan in {year} exceeds it, so grants "
                          "are reduced pro rata: {amount} × {headroom} ÷ {total} = {share}, {after} yuan after the "
                          "largest-remainder split"),
        "limit.reduced_in_order": ("{title}{among}:可用额度 {headroom} 元{limit};{year} 年度{counted}合计 {total} 元,超出部分"
                                   "按申报顺序核减:本项目由 {amount} 元核减为 {after} 元",
                                   "{title}{among}: headroom {headroom} yuan{limit}; {total} yuan in {year} exceeds it, "
                                   "so grants are reduced in input order: this one from {amount} to {after} yuan"),
        "limit.not_applicable": ("{title}{among}不适用:本规则只适用于{applies};本申请人:{shown}",
                                 "{title}{among} does not apply: it binds {applies} only; this applicant: {shown}"),
        # the rule named in quotes, as a suggestion names the rules that keep a gain back (rules.base.named_rules)
        "change.lift_limit": ("若{label}达到 {needed} 元,{year} 年度补助(合计 {total} 元)不再因“{title}”{among}核减",
                              "With {label} of {needed} yuan, the {year} grants ({total} yuan in all) would not be "
                              "reduced by \"{title}\"{among}"),
    }

    @property
    def key(self) -> str:
        return f"{self.id} limit"

    @property
    def applies_key(self) -> str:
        return f"{self.id} applies to"

    def figures(self) -> tuple[tuple[str, Cond], ...]:
        found = ((self.key, self.limit),) if self.limit else ()
        return found + (((self.applies_key, self.applies_to),) if self.applies_to else ())

    def describe(self, lang: str = "en") -> str:
        limit = self.limit.shown.template.get(lang).format(*self.limit.inputs) if self.limit else ""
        if lang == "zh":
            applies = f",适用于{self.applies_to.label.zh}" if self.applies_to else ""
            among = f"(限于措施 {'、'.join(self.among)} 合计,其他措施不计入)" if self.among else ""
            return f"每个申请人每年限额 {limit}{among}{applies},{REDUCE_ZH[self.reduction]}"
        applies = f", applies to {self.applies_to.label.en}" if self.applies_to else ""
        among = f" among measures {', '.join(self.among)} (the others do not count)" if self.among else ""
        return f"limit {limit} per applicant per year{among}{applies}, reduce {REDUCE[self.reduction]}"

    def counts(self, c: Claim) -> bool:
        """Does this grant count toward the limit (and so may be reduced by it)? Every one, or the listed measures'."""
        return c.status == "granted" and bool(c.amount) and (not self.among or c.measure.id in self.among)

    def about(self) -> dict[str, Label]:
        """What every step of the rule says of the measures it counts: after its title, and whose total it is."""
        return _about(self.among)

    def name(self) -> Label:
        named, among = Rule.name(self), among_label(self.among)
        return Label(named.zh + among.zh, named.en + among.en)

    def shown(self, cond: Cond, ev: Evaluation, facts_only: bool = False, facts: dict[str, Any] | None = None
              ) -> Shown:
        """The condition with the applicant's figures (``facts``: the year's); ``facts_only``: just the facts
        it reads, each with its value — for a condition that does not hold, which would read as a false
        statement."""
        s, n = cond.shown, len(cond.inputs)  # the facts alone, not a ratio's figure
        template = _facts_only(n) if facts_only else s.template
        given = ev.app.facts if facts is None else facts
        return Shown(template, s.names, tuple(map(given.get, cond.inputs)), s.choices)

    def apply(self, ev: Evaluation, claims: list[Claim]) -> Problem | None:
        years = by_year(claims, self.counts)
        if not years or self.limit is None:
            return None
        if self.applies_to is not None and not ev.figure(self.applies_key, ev.app.facts):
            if ev.trace:
                shown = self.shown(self.applies_to, ev, facts_only=True)
                for granted in years.values():
                    for c in granted:
                        c.note(Step(self.id, self.KIND, {"variant": "not_applicable", "title": self.title,
                                                         **self.about(), "applies": self.applies_to.label,
                                                         "shown": shown}))
            return None
        for year, granted in sorted(years.items()):
            facts = ev.facts_in(year, self.limit.inputs, granted, self.id)  # 'from register': the year's own
            try:
                limit: Decimal = ev.figure(self.key, facts)
            except Missing as exc:
                return self.missing(ev.app, exc.name)
            headroom = max(limit, ZERO).quantize(ev.unit, rounding=ROUND_DOWN)
            limit_shown = self.shown(self.limit, ev, facts=facts) if ev.trace else None
            # below 0 it allows nothing, and says so, with the minus sign the other subtractions are written with
            shown_limit = f"−{fmt_plain(-limit)}" if limit < 0 else ""
            clamp = Label(f" = {shown_limit},不足 0 按 0 计", f" = {shown_limit}, so 0") if shown_limit else NO_CLAMP
            amounts = [c.amount or ZERO for c in granted]
            total = sum(amounts, ZERO)
            left = self.left(ev, granted, headroom, year)
            less = Label(f";减去此前批次已给予的 {fmt_plain(headroom - left)} 元", f"; less "
                         f"{fmt_plain(headroom - left)} yuan granted by earlier batches") if left != headroom else NO_CLAMP
            after_limit = less if clamp is NO_CLAMP else clamp if less is NO_CLAMP else \
                Label(clamp.zh + less.zh, clamp.en + less.en)
            made_of = _made_of(limit_shown, after_limit, bool(self.limit.inputs))
            common = {"title": self.title, **self.about(), "headroom": left, "limit": made_of, "year": str(year),
                      "total": total}
            if total <= left:
                if ev.trace:  # one step, the same for each grant of the year (steps never change)
                    free = Step(self.id, self.KIND, {"variant": "free", "reached": total == left, **common}, limit=left)
                    for c in granted:
                        c.note(free)
                continue
            in_order = self.reduction == "input_order"
            reduced = reduce(amounts, left, self.reduction, ev.unit)
            among = among_label(self.among)
            title = Label(f"[{self.id}] {self.title.zh}{among.zh}", f"[{self.id}] {self.title.en}{among.en}")
            table = allocation(self.id, title, str(year), self.reduction, [c.label for c in granted], amounts,
                               left, reduced, ev.unit) if ev.trace else None
            for c, amount, after in zip(granted, amounts, reduced):
                if ev.trace:
                    share = (amount * left / total).quantize(ev.unit * Decimal("0.0001"))  # as the table shows it
                    c.note(Step(self.id, self.KIND, {"variant": "reduced_in_order" if in_order else "reduced",
                                                     **common, "amount": amount, "share": share, "after": after,
                                                     "allocation": table},
                                value=after, limit=left))
                    self.write_notes(c)
                c.amount = after
        return None

    def left(self, ev: Evaluation, granted: list[Claim], headroom: Decimal, year: int) -> Decimal:
        """The headroom less what earlier batches granted the applicant in the year (of the listed measures, when
        the rule lists some), each cited on the claims."""
        if not ev.earlier:  # no register, or nothing in it yet: the whole headroom
            return headroom
        paid, found = ev.paid_before(year, among=self.among)
        if not found:
            return headroom
        left = max(headroom - paid, ZERO)
        if ev.trace:
            step = Step(self.id, "earlier", {"variant": "limit", "name": self.name(), "year": str(year),
                                             "whole": headroom, "paid": paid, "left": left,
                                             "earlier": [e.label for e in found]})
            for c in granted:
                c.note(step)
        return left

    def missing(self, app: Applicant, name: str) -> Problem:
        """The limit needs a fact the applicant did not give: an input problem, since it has grants."""
        return Problem(f"missing; it is required for {self.id} ({self.title.en}) because the applicant has grants",
                       f"缺少;本申请人有补助,{self.id}({self.title.zh})需要此项").at(f"{app.path}.{name}").of(app.id)

    def emit(self, code: RuleCode) -> None:
        out = code.out
        if self.limit is None:
            return
        listed = f" and c.measure.id in {self.among!r}" if self.among else ""  # ids are digits and dots
        code.by_year(f"c.status == 'granted' and c.amount{listed}")
        applies = f" and {code.figure(self.applies_key)}(a)" if self.applies_to is not None else ""
        out(f"if years{applies}:")
        with out.indent():
            out("try:")
            with out.indent():
                out(f"limit = {code.figure(self.key)}(a)")
            out("except KeyError as exc:")
            with out.indent():
                out(f"return d.error(app, RULES[{self.id!r}].missing(app, exc.args[0]))")
            out("headroom = max(limit, ZERO).quantize(UNIT, rounding=ROUND_DOWN)")
            code.reduce_each_year("headroom", self.reduction)

    def coverage(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        cases = ("within", "reduced") + (("not applicable",) if self.applies_to else ())
        return ((WHAT, cases),)

    def covered(self, step: Step) -> tuple[str, str] | None:
        if step.kind != self.KIND:
            return None
        v = step.params["variant"]
        return WHAT, {"free": "within", "not_applicable": "not applicable"}.get(v, "reduced")

    def changes(self, ev: Evaluation, decision: ApplicantDecision) -> list[Change]:
        """For each year this limit reduced: the value of one input of the limit that lifts it to the year's
        total, found by computing the limit again with that value — so the suggestion is true by construction."""
        if self.limit is None:
            return []
        found: dict[str, Change] = {}
        for p in decision.groups():
            for award in p.awards:
                step = next((s for s in award.trace if s.kind == self.KIND and s.rule == self.id
                             and s.params["variant"].startswith("reduced")), None)
                if step is None or step.params["year"] in found:
                    continue
                change = self.lift(ev, step.params["total"], step.params["year"], step.params["headroom"])
                if change is not None:
                    found[step.params["year"]] = change
        return list(found.values())

    def lift(self, ev: Evaluation, total: Decimal, year: str, granted: Decimal) -> Change | None:
        """``granted``: what the year's grants come to under this limit today (its headroom, as it reduced them)."""
        assert self.limit is not None
        now: Decimal = ev.figure(self.key, ev.app.facts)
        for name in self.limit.inputs:
            value = ev.app.facts.get(name)
            if not isinstance(value, Decimal):
                continue
            needed = value + (total - now)
            if needed < 0:
                continue
            try:
                reached = ev.figure(self.key, {**ev.app.facts, name: needed})
            except (Missing, ArithmeticError):
                continue
            if reached == total:
                return Change("lift_limit", self.id, None, None, name, needed, total, {
                    "label": ev.input_label(name), "needed": needed, "year": year, "total": total, "granted": granted,
                    "title": self.title, "among": self.about()["among"]})
        return None
