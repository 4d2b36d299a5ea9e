"""Decisions: what evaluation returns, as frozen records that write the output contract's JSON."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs

from . import __version__
from .explain.messages import known_lang, render
from .runtime.money import fmt_figure, fmt_money
from .runtime.trace import Label, Step

AwardStatus = str  # granted | superseded | not_eligible | referred | out_of_period


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt_figure(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    return str(value)


def step_json(step: Step, lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {"rule": step.rule, "kind": step.kind, "text": render(step, lang)}
    for key in ("value", "limit", "tier", "interval"):
        v = getattr(step, key)
        if v is not None:
            out[key] = _json_value(v)
    return out


@attrs.frozen(slots=True)
class Award:
    """One measure for one project: its status, the entitlement before the rules, the amount."""

    measure: str
    status: AwardStatus
    entitlement: Decimal | None
    amount: Decimal | None
    trace: tuple[Step, ...] = ()
    warnings: tuple[Step, ...] = ()
    instalments: tuple[tuple[int, Decimal], ...] = ()  # (year, amount), adding up to amount
    shares: tuple[tuple[str, Decimal], ...] = ()  # (payer, amount), adding up to amount
    year: int | None = None  # the year a measure over the year was decided for

    def year_sums(self) -> dict[str, dict[str, Any]]:
        """For a measure over the year: each fact it added up, with the step that did (its total and the
        projects summed), as its explanation lists them."""
        return {s.params["name"]: s.params for s in self.trace if s.kind == "year_sum"}

    def to_json(self, lang: str = "zh", trace: bool = True) -> dict[str, Any]:
        known_lang(lang)  # raises ValueError for another: its sentences would be Chinese, whatever it says
        out: dict[str, Any] = {"measure": self.measure}
        if self.year is not None:
            out["year"] = self.year
        out |= {
            "status": self.status,
            "entitlement": None if self.entitlement is None else fmt_money(self.entitlement),
            "amount": None if self.amount is None else fmt_money(self.amount),
        }
        if self.shares:
            out["shares"] = [{"payer": payer, "amount": fmt_money(part)} for payer, part in self.shares]
        if self.instalments:
            out["instalments"] = [{"year": year, "amount": fmt_money(part)} for year, part in self.instalments]
        if trace:
            out["trace"] = [step_json(s, lang) for s in self.trace]
        if self.warnings:
            out["warnings"] = [render(w, lang) for w in self.warnings]
        return out


@attrs.frozen(slots=True)
class ProjectDecision:
    """A project's awards; with ``id`` None, the applicant's own (measures decided on its facts alone)."""

    id: str | None
    awards: tuple[Award, ...]

    def to_json(self, lang: str = "zh", trace: bool = True) -> dict[str, Any]:
        return {"id": self.id, "awards": [a.to_json(lang, trace) for a in self.awards]}


@attrs.frozen(slots=True)
class ApplicantDecision:
    id: str | None  # None when the record gave no usable id (its errors say why)
    name: str | None
    status: str  # ok | error
    total: Decimal
    projects: tuple[ProjectDecision, ...]
    errors: tuple[str, ...] = ()
    awards: tuple[Award, ...] = ()  # the applicant-level measures' awards

    def groups(self) -> tuple[ProjectDecision, ...]:
        """Every award, in groups: the applicant's own first (id None), then each project's."""
        return ((ProjectDecision(None, self.awards),) if self.awards else ()) + self.projects

    def summed_projects(self) -> frozenset[str]:
        """The projects whose figures a measure over the year added up, as its explanation lists them."""
        return frozenset(pid for a in self.awards for summed in a.year_sums().values() for pid in summed["projects"])

    def to_json(self, lang: str = "zh", trace: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "status": self.status, "total": fmt_money(self.total)}
        if self.awards:
            out["awards"] = [a.to_json(lang, trace) for a in self.awards]
        out["projects"] = [p.to_json(lang, trace) for p in self.projects]
        out["errors"] = list(self.errors)
        return out


@attrs.frozen(slots=True)
class Summary:
    applicants: int
    errors: int
    total: Decimal
    by_measure: dict[str, Decimal]
    warnings: tuple[Label, ...]
    by_payer: dict[str, Decimal] = attrs.field(factory=dict)

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        known_lang(lang)
        out: dict[str, Any] = {
            "applicants": self.applicants,
            "errors": self.errors,
            "total": fmt_money(self.total),
            "by_measure": {k: fmt_money(v) for k, v in self.by_measure.items()},
            "warnings": [w.get(lang) for w in self.warnings],
        }
        if self.by_payer:
            out["by_payer"] = {k: fmt_money(v) for k, v in self.by_payer.items()}
        return out


@attrs.frozen(slots=True)
class BatchDecision:
    policy_name: str
    source_sha256: str
    applicants: tuple[ApplicantDecision, ...]
    summary: Summary
    input_sha256: str | None = None  # of the bytes read, when the batch was read from a file
    evaluated_at: dt.datetime | None = None  # in Asia/Shanghai; set by whoever runs the batch

    def to_json(self, lang: str = "zh", trace: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": {"name": self.policy_name, "source_sha256": self.source_sha256,
                                          "engine_version": __version__}}
        if self.input_sha256 is not None:
            out["input"] = {"sha256": self.input_sha256}
        if self.evaluated_at is not None:
            out["evaluated_at"] = self.evaluated_at.isoformat()
        out["applicants"] = [a.to_json(lang, trace) for a in self.applicants]
        out["summary"] = self.summary.to_json(lang)
        return out


SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991


def now_in_shanghai() -> dt.datetime:
    """The time a batch is decided, as the contract writes it (2026-11-26T20:15:00+08:00)."""
    return dt.datetime.now(SHANGHAI).replace(microsecond=0)
