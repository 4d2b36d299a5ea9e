"""Highest, not stacked: of the claims that compete, only the highest is paid.

The claims that compete are a project's (per project), or all of an applicant's in a year (per
applicant); only the listed measures' when the rule lists some (``among 4, 6.1``: the others stack).
The highest current amount wins; equal amounts go to the lower measure number (then the earlier
project). A project's award under another policy, when the rule names that fact, takes the place of
the whole notice when it is not lower. The choice is made once: when a later rule reduces the winner,
the superseded claims are not looked at again, and the explanation says so on the winner and on each
of them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar, Literal

import attrs

from ..problem import Problem
from ..runtime.money import fmt_plain
from ..runtime.trace import Label, Step
from .base import ZERO, Claim, Evaluation, Rule, among_label, held

if TYPE_CHECKING:
    from ..compile.applicant import RuleCode

WHAT = "highest, not stacked"
CASES = {"earlier_applicant": "one winner", "top_up_applicant": "one winner", "won": "one winner", "lost": "one winner", "won_tie": "tie", "lost_tie": "tie",
         "won_applicant": "one winner", "won_tie_applicant": "tie", "lost_applicant": "one winner",
         "other_policy": "other policy higher", "other_lower": "other policy lower"}


def _amount(c: Claim) -> Decimal:
    return c.amount or ZERO


def highest_first(c: Claim) -> tuple[Decimal, int, int]:
    """The highest current amount wins (a top-up counts what earlier batches paid of it too, as one batch
    of all the records would); equal amounts go to the lower measure number, then the earlier project."""
    return (c.amount or ZERO) + c.held, -c.measure.rank, -c.order


@attrs.frozen(slots=True)
class HighestNotStacked(Rule):
    scope: Literal["project", "applicant"] = "project"
    other_policy: str | None = None  # a project fact: the award for the same project under another policy
    among: tuple[str, ...] = ()  # the measures that compete, as listed; () when all do

    KIND: ClassVar[str] = "highest"
    WITHHOLDING: ClassVar[frozenset[str]] = frozenset(
        {"lost", "lost_tie", "lost_applicant", "earlier_applicant", "other_policy"})
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "highest.won": ("{title}{among}:本项目同时符合 {count} 项措施,取最高的措施 {measure}({amount} 元);不重复享受:{others}",
                        "{title}{among}: the project qualifies under {count} measures; the highest is measure {measure} "
                        "({amount} yuan); not stacked: {others}"),
        "highest.won_tie": ("{title}{among}:本项目同时符合 {count} 项措施,最高额 {amount} 元并列,取序号较小的措施 {measure};"
                            "不重复享受:{others}",
                            "{title}{among}: the project qualifies under {count} measures; {amount} yuan is a tie, "
                            "and the lower measure number, measure {measure}, wins; not stacked: {others}"),
        "highest.lost": ("{title}{among}:措施 {winner} 可得 {winner_amount} 元,高于本措施的 {amount} 元,本措施不重复享受",
                         "{title}{among}: measure {winner} pays {winner_amount} yuan, more than this measure's {amount} yuan; "
                         "superseded"),
        "highest.lost_tie": ("{title}{among}:措施 {winner} 与本措施同为 {amount} 元,取序号较小的措施 {winner},本措施不重复享受",
                             "{title}{among}: measure {winner} and this measure both pay {amount} yuan; the lower "
                             "measure number, measure {winner}, wins; superseded"),
        "highest.won_applicant": ("{title}{among}:本申请人 {year} 年度符合 {count} 项奖励,取最高的措施 {measure}({amount} 元);"
                                  "不重复享受:{others}",
                                  "{title}{among}: the applicant qualifies for {count} awards in {year}; the highest is "
                                  "measure {measure} ({amount} yuan); not stacked: {others}"),
        "highest.won_tie_applicant": ("{title}{among}:本申请人 {year} 年度符合 {count} 项奖励,最高额 {amount} 元并列,按序号较小、"
                                      "再按申报顺序在前,给予项目 {project} 的措施 {measure};不重复享受:{others}",
                                      "{title}{among}: the applicant qualifies for {count} awards in {year}; {amount} yuan "
                                      "is the highest more than once; by the lower measure number, then the earlier "
                                      "project, measure {measure} of project {project} is granted; not stacked: {others}"),
        "highest.lost_applicant": ("{title}{among}:本申请人本年度已由项目 {project} 的措施 {winner}({winner_amount} 元)享受,"
                                   "本项不重复享受",
                                   "{title}{among}: this year the applicant is granted measure {winner} for project {project} "
                                   "({winner_amount} yuan); this award is not stacked on it"),
        "highest.earlier_applicant": ("{title}{among}:本申请人 {year} 年度已由此前的 {earlier} 享受(可得 {held} 元),不低于本项的 "
                                      "{amount} 元,本项不重复享受",
                                      "{title}{among}: in {year} the applicant already has {earlier} from an earlier batch "
                                      "(entitled to {held} yuan), not less than this award's {amount} yuan; not "
                                      "stacked"),
        "highest.top_up_applicant": ("{title}{among}:措施 {measure}(可得 {entitlement} 元)高于此前的 {earlier}(可得 {held} 元,"
                                     "已付 {paid} 元),补足差额:{entitlement} − {paid} = {amount} 元",
                                     "{title}{among}: measure {measure} ({entitlement} yuan) is higher than {earlier} from an "
                                     "earlier batch (entitled to {held} yuan, {paid} yuan paid); it pays the "
                                     "difference: {entitlement} − {paid} = {amount} yuan"),
        "highest.other_policy": ("{title}{among}:本项目依其他政策已获补助 {other} 元,不低于本通知最高可得的 {best} 元,"
                                 "本通知不再给予",
                                 "{title}{among}: the project already has {other} yuan under another policy, not less "
                                 "than the {best} yuan this notice would give; nothing is granted here"),
        "highest.other_lower": ("{title}{among}:其他政策补助 {other} 元低于本通知可得的 {best} 元,按本通知给予",
                                "{title}{among}: the award under another policy ({other} yuan) is less than "
                                "{best} yuan here; this notice decides"),
        "highest.kept.winner": ("{title}{among}的选择不再改变:本措施胜出后经其后的规则核减为 {amount} 元(原可得 {entitlement} 元);"
                                "未获享受的 {others}不再重新比较",
                                "{title}{among}: the choice stands: after winning, this measure was reduced to {amount} "
                                "yuan (from {entitlement} yuan) by the rules applied after it; {others}, superseded, "
                                "is not reconsidered"),
        "highest.kept.superseded": ("{title}{among}的选择不再改变:胜出的措施 {winner} 经其后的规则核减为 {amount} 元"
                                    "(原可得 {entitlement} 元),低于本措施的 {own} 元,但本措施不再重新比较",
                                    "{title}{among}: the choice stands: the winner, measure {winner}, was reduced to {amount} yuan "
                                    "(from {entitlement} yuan) by the rules applied after it, below this measure's "
                                    "{own} yuan, but this measure is not reconsidered"),
        "highest.kept.superseded_still": ("{title}{among}的选择不再改变:胜出的措施 {winner} 经其后的规则核减为 {amount} 元"
                                          "(原可得 {entitlement} 元),仍不低于本措施的 {own} 元",
                                          "{title}{among}: the choice stands: the winner, measure {winner}, was reduced to {amount} "
                                          "yuan (from {entitlement} yuan) by the rules applied after it, still not "
                                          "below this measure's {own} yuan"),
    }

    def describe(self, lang: str = "en") -> str:
        if lang == "zh":
            other = f",另有其他政策 {self.other_policy}" if self.other_policy else ""
            among = f"(限于措施 {'、'.join(self.among)} 之间,其他措施叠加)" if self.among else ""
            return f"每{'个项目' if self.scope == 'project' else '个申请人'}每年取最高的一项,不叠加{among}{other}"
        other = f", other policy {self.other_policy}" if self.other_policy else ""
        among = f" among measures {', '.join(self.among)} (the others stack)" if self.among else ""
        return f"highest not stacked per {self.scope} per year{among}{other}"

    def competing(self, claims: list[Claim]) -> list[Claim]:
        """The claims of the measures the rule lists; a claim of another measure is not this rule's."""
        return [c for c in claims if c.measure.id in self.among] if self.among else claims

    def groups(self, claims: list[Claim]) -> list[list[Claim]]:
        """The claims that compete: a project's, or the applicant's in one year."""
        found: dict[object, list[Claim]] = {}
        for c in self.competing(claims):
            # per project: a project's claims; a claim of the applicant itself is no project's, so alone
            found.setdefault(c.year if self.scope == "applicant" else c.order if c.order >= 0 else id(c), []).append(c)
        return list(found.values())

    def apply(self, ev: Evaluation, claims: list[Claim]) -> Problem | None:
        claims = self.competing(claims)
        if not claims or len(claims) == 1 and self.other_policy is None and not (ev.earlier and self.scope == "applicant"):
            return None  # one claim competes with nothing (most applicants: one project, one measure)
        for group in self.groups(claims):
            candidates = [c for c in group if c.status == "granted"]
            if candidates and self.scope == "applicant" and ev.earlier:
                candidates = self.after_earlier(ev, candidates)
            if candidates:
                other = candidates[0].facts.get(self.other_policy) if self.other_policy else None
                if other is not None or len(candidates) > 1:  # else one claim, and nothing to compare it with
                    self.choose(ev, candidates, other)
        return None

    def after_earlier(self, ev: Evaluation, candidates: list[Claim]) -> list[Claim]:
        """Per applicant, with earlier batches: the year's award they paid stands unless a claim now is
        higher, which then pays the difference from what was paid (a top-up); the claims that compete on."""
        year = candidates[0].year
        _, found = ev.paid_before(year, among=self.among)
        if not found:
            return candidates
        first, paid_before = held(found)
        best = max(candidates, key=highest_first)
        whole = _amount(best) + best.held
        common = {"title": self.title, "year": str(year), "earlier": first.label, "held": first.entitlement,
                  "paid": paid_before}
        if whole <= first.entitlement:
            for c in candidates:
                own = _amount(c)
                self.lose(c)
                self.step(c, variant="earlier_applicant", **common, amount=own)
                self.write_notes(c)
            return []
        best.amount, best.held = whole - paid_before, paid_before
        self.step(best, variant="top_up_applicant", **common, measure=best.measure.id, entitlement=whole,
                  amount=best.amount)
        return candidates

    def step(self, claim: Claim, **params: object) -> None:
        claim.note(Step(self.id, self.KIND, {"title": self.title, "among": among_label(self.among, " 之间"), **params}))

    def lose(self, claim: Claim) -> None:
        claim.status, claim.amount, claim.taken_by = "superseded", ZERO, self.id

    def choose(self, ev: Evaluation, candidates: list[Claim], other: Decimal | None) -> None:
        best = max(candidates, key=highest_first)
        if other is not None and other >= _amount(best):
            top = _amount(best)  # before losing: a lost claim's amount is 0
            for c in candidates:
                self.lose(c)
                self.step(c, variant="other_policy", other=other, best=top)
                self.write_notes(c)
            return
        per = "_applicant" if self.scope == "applicant" else ""
        tie = sum(_amount(c) == _amount(best) for c in candidates) > 1
        others = ([self.named(o, per) for o in candidates if o is not best]  # amounts read before any is lost
                  if ev.trace and len(candidates) > 1 else [])
        for c in candidates:
            if c is best:
                if len(candidates) > 1 and ev.trace:
                    self.step(c, variant=("won_tie" if tie else "won") + per, count=len(candidates),
                              measure=best.measure.id, amount=_amount(best), others=others, year=str(c.year or ""),
                              project=best.project)
                    self.write_notes(c)
                if other is not None:
                    self.step(c, variant="other_lower", other=other, best=_amount(best))
                continue
            own = _amount(c)
            self.lose(c)
            if ev.trace:
                variant = "lost_applicant" if per else "lost_tie" if own == _amount(best) else "lost"
                self.step(c, variant=variant, winner=best.measure.id, project=best.project,
                          winner_amount=_amount(best), amount=own)
                self.write_notes(c)

    @staticmethod
    def named(c: Claim, per: str) -> Label:
        """A claim not stacked, as the winner's step lists it: its measure and amount, and across an
        applicant's projects, its project ("P2 · 1(500,000 元)")."""
        where = f"{c.project} · " if per and c.project else ""
        return Label(f"{where}{c.measure.id}({fmt_plain(_amount(c))} 元)",
                     f"{where}{c.measure.id} ({fmt_plain(_amount(c))} yuan)")

    def finish(self, ev: Evaluation, claims: list[Claim]) -> None:
        """A winner reduced by a later rule: the choice stands, and each claim says so."""
        claims = self.competing(claims)
        if not ev.trace or not any(c.taken_by == self.id for c in claims):
            return  # nothing superseded here: no choice to restate
        for group in self.groups(claims):
            winner = next((c for c in group if c.status == "granted"), None)
            superseded = [c for c in group if c.taken_by == self.id]
            if winner is None or not superseded or winner.amount is None or winner.entitlement is None \
                    or winner.amount >= winner.entitlement:
                continue
            others = [Label(f"{o.measure.id}({fmt_plain(o.entitlement or ZERO)} 元)",
                            f"{o.measure.id} ({fmt_plain(o.entitlement or ZERO)} yuan)") for o in superseded]
            self.step(winner, variant="kept.winner", amount=winner.amount, entitlement=winner.entitlement,
                      others=others)
            for c in superseded:  # below this measure's own figure, or not: said as it is
                below = winner.amount < (c.entitlement or ZERO)
                self.step(c, variant="kept.superseded" if below else "kept.superseded_still", winner=winner.measure.id,
                          amount=winner.amount, entitlement=winner.entitlement, own=c.entitlement)

    def emit(self, code: RuleCode) -> None:
        out = code.out
        key = "c.year" if self.scope == "applicant" else "c.order if c.order >= 0 else id(c)"
        pool = "claims"
        if self.among:  # measure ids are digits and dots: written as a literal
            pool = "competing"
            out(f"competing = [c for c in claims if c.measure.id in {self.among!r}]")
        out(f"if len({pool}) > 1:" if self.other_policy is None else f"if {pool}:")
        with out.indent():
            out("groups = {}")
            out(f"for c in {pool}:")
            with out.indent():
                out(f"groups.setdefault({key}, []).append(c)")
            out("for group in groups.values():")
            with out.indent():
                out("candidates = [c for c in group if c.status == 'granted']")
                if self.other_policy is None:
                    out("if len(candidates) > 1:")
                    with out.indent():
                        out("best = max(candidates, key=highest_first)")
                        out("for c in candidates:")
                        with out.indent():
                            out("if c is not best:")
                            with out.indent():
                                out(f"c.status, c.amount, c.taken_by = 'superseded', ZERO, {self.id!r}")
                    return
                out("if candidates:")
                with out.indent():
                    out("best = max(candidates, key=highest_first)")
                    out(f"other = candidates[0].facts.get({self.other_policy!r})")
                    out("everyone = other is not None and other >= (best.amount or ZERO)")
                    out("for c in candidates:")
                    with out.indent():
                        out("if everyone or c is not best:")
                        with out.indent():
                            out(f"c.status, c.amount, c.taken_by = 'superseded', ZERO, {self.id!r}")

    def coverage(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        extra = ("other policy higher", "other policy lower") if self.other_policy else ()
        return ((WHAT, ("one winner", "tie", *extra)),)

    def covered(self, step: Step) -> tuple[str, str] | None:
        case = CASES.get(step.params.get("variant", ""))  # "kept.…" restates a choice already seen
        return (WHAT, case) if step.kind == self.KIND and case else None
