"""A report as Markdown: readable as plain text, and on a terminal through rich.

Every text that comes from the policy or the applications (names, ids, titles, quotes, the
sentences of the computation, which quote facts) goes through :func:`md`: it cannot open a
heading, a link, a code span or HTML, nor split a table cell (docs/security.md).
"""

from __future__ import annotations

from .. import __version__
from ..runtime.trace import cited
from ..safe_text import markdown as md
from .report import (
    ApplicantReport,
    AwardReport,
    Report,
    Table,
    allocation_table,
    change_text,
    error_text,
    money,
    sentence,
    status_word,
    word,
)


def header(report: Report, lang: str, title: str) -> list[str]:
    p = report.plan
    return [
        f"# {title}",
        "",
        f"- {word('policy', lang)}: {md(p.name.get(lang))}",
        f"- {word('sha', lang)}: `{p.source_sha256}`",
        *([f"- {word('input_sha', lang)}: `{report.batch.input_sha256}`"] if report.batch.input_sha256 else []),
        f"- {word('engine', lang)}: jinjiang-dsl {__version__}",
        f"- {word('report_id', lang)}: `{report.report_id}`",
        f"- {word('evaluated', lang)}: {report.evaluated_at.isoformat()}",
        "",
    ]


def summary_table(a: ApplicantReport, lang: str, reference: bool = False) -> list[str]:
    """Project × measure → status and amounts, with the total. ``reference``: what an applicant with input
    errors would otherwise get, with a total that says nothing is granted."""
    lines = [
        f"| {word('project', lang)} | {word('measure', lang)} | {word('status', lang)} | "
        f"{word('entitlement', lang)} | {word('amount', lang)} |",
        "|---|---|---|---:|---:|",
    ]
    for r in a.awards:
        lines.append(f"| {md(r.where(lang))} | {r.measure.id} {md(r.measure.title.get(lang))} | "
                     f"{status_word(r.status, lang)} | {money(r.award.entitlement)} | {money(r.award.amount)} |")
    lines += [f"| {md(pid)} | {word(what, lang)} | | | |" for pid, what in a.unlisted()]
    lines.append(f"| **{word('total_reference' if reference else 'total', lang)}** | | | | **{money(a.decision.total)}** |")
    return lines


def award_section(r: AwardReport, lang: str) -> list[str]:
    m, a = r.measure, r.award
    head = f"### {md(r.where(lang))} · {m.id} {md(m.title.get(lang))} — {status_word(r.status, lang)}"
    if r.status == "granted":
        head += f" {money(a.amount)} {word('yuan', lang)}"
    out = [head, "", f"**{word('clause', lang)}** {md(cited(m.clause, m.clause_en, lang))}", ""]
    if m.quote:
        out += [f"> {md(m.quote)}", ""]
    out += [f"**{word('computation', lang)}**", ""]
    out += [f"{i}. {md(r.tagged(s, lang))}" for i, s in enumerate(r.steps, 1)]
    out.append("")
    if r.notes:
        out += [f"**{word('notes', lang)}**", ""] + [f"- {md(sentence(s, lang))}" for s in r.notes] + [""]
    for w in a.warnings:
        out += [f"> ⚠ {md(sentence(w, lang))}", ""]
    if r.tier_rows:
        band = r.tier_rows[0].band is not None  # a thresholds table: which values each tier pays
        out += [f"**{word('tier_table', lang)}**", "",
                f"| {word('tier', lang)} | {word(r.tier_column, lang)} | {word('words', lang)} | {word('pays', lang)} | "
                + (f"{word('band', lang)} | |" if band else "|"),
                "|---:|---|---|---:|---|" + ("---|" if band else "")]
        for t in r.tier_rows:
            mark = f"**← {word('matched', lang)}**" if t.matched else ""
            cells = [str(t.index), t.interval.read(lang), md(t.words), md(t.pays.get(lang))]  # an interval is written by us
            if t.band is not None:
                cells.append(t.band.read(lang))
            if t.matched:
                cells = [f"**{c}**" for c in cells]
            out.append("| " + " | ".join(cells) + f" | {mark} |")
        out.append("")
    if r.why_not:
        out += [f"**{word('why_not', lang)}**", ""] + [f"- {md(sentence(s, lang))}" for s in r.why_not] + [""]
    if r.changes:
        out += [f"**{word('what_would_change', lang)}**", ""]
        out += [f"- {md(change_text(c, lang))}" for c in r.changes] + [""]
    return out


def table(t: Table) -> list[str]:
    out = [f"**{md(t.caption)}**", "", "| " + " | ".join(md(h) for h in t.head) + " |",
           "|" + "|".join("---:" if n else "---" for n in t.numeric) + "|"]
    out += ["| " + " | ".join(md(c) for c in row) + " |" for row in t.rows]
    return out + ["", md(t.note), ""]


def applicant_section(a: ApplicantReport, lang: str, rounding: str, level: str = "##") -> list[str]:
    d = a.decision
    name = f" {md(d.name)}" if d.name else ""
    kind = f" ({md(a.category.get(lang))})" if a.category else ""
    out = [f"{level} {word('applicant', lang)} {md(str(d.id))}{name}{kind}", ""]
    if d.status == "error":
        out += [f"**{word('errors', lang)}**", ""] + [f"- {md(error_text(e, lang))}" for e in d.errors] + [""]
        if a.otherwise is not None:
            out += [f"*{md(a.otherwise.otherwise_caption(lang))}*", ""] + summary_table(a.otherwise, lang, reference=True) + [""]
        return out
    if not a.awards:
        return out + [word("no_awards", lang), ""]
    out += summary_table(a, lang) + [""]
    for r in a.awards:
        out += award_section(r, lang)
    if a.allocations:
        out += [f"### {word('allocations', lang)}", ""]
        for alloc in a.allocations:
            out += table(allocation_table(alloc, rounding, lang))
    if a.rules:  # cited as the measures are: their clause, and the notice's words
        out += [f"### {word('rules_applied', lang)}", ""]
        for rule in a.rules:
            out += [f"#### {rule.id} {md(rule.title.get(lang))}", "", f"**{word('clause', lang)}** {md(cited(rule.clause, rule.clause_en, lang))}", ""]
            out += [f"> {md(rule.quote)}", ""] if rule.quote else []
            out += [f"- {md(who)}: {md(text)}" for who, text in a.rule_steps(rule.id, lang)] + [""]
    if a.rule_changes:
        out += [f"**{word('rules', lang)} — {word('what_would_change', lang)}**", ""]
        out += [f"- {md(change_text(c, lang))}" for c in a.rule_changes] + [""]
    return out


def render(report: Report, lang: str) -> str:
    if not report.is_batch:
        out = header(report, lang, word("title", lang))
        for a in report.applicants:
            out += applicant_section(a, lang, report.plan.rounding_mode)
        return "\n".join(out).rstrip() + "\n"
    out = header(report, lang, word("batch_title", lang))
    s = report.batch.summary
    out += [f"## {word('summary', lang)}", "", f"- {word('applicants_n', lang)}: {s.applicants}",
            f"- {word('total', lang)}: {money(s.total)} {word('yuan', lang)}", ""]
    out += [f"| {word('measure', lang)} | {word('amount', lang)} |", "|---|---:|"]
    out += [f"| {mid} {md(report.plan.measure(mid).title.get(lang))} | {money(v)} |" for mid, v in s.by_measure.items()]
    if s.by_payer:  # what each treasury must budget (cost sharing)
        out += ["", f"| {word('payer', lang)} | {word('amount', lang)} |", "|---|---:|"]
        out += [f"| {md(report.plan.payer(payer).get(lang))} | {money(v)} |" for payer, v in s.by_payer.items()]
    out += ["", f"| {word('status', lang)} | {word('count', lang)} |", "|---|---:|"]
    out += [f"| {status_word(k, lang)} | {v} |" for k, v in report.status_counts().items()]
    out += ["", f"### {word('applicants_with_errors', lang)}", ""]
    errors = [a for a in report.applicants if a.decision.status == "error"]
    out += [f"- {md(str(a.decision.id))}: " + "; ".join(md(error_text(e, lang)) for e in a.decision.errors)
            for a in errors] or [word("none", lang)]
    out += [""] + [f"- ⚠ {md(w.get(lang))}" for w in s.warnings] + [""]
    for a in report.applicants:
        out += applicant_section(a, lang, report.plan.rounding_mode)
    return "\n".join(out).rstrip() + "\n"
