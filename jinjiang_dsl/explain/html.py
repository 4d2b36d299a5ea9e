"""A report as one self-contained HTML file: inline CSS, no scripts, no network, prints on A4."""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal
from html import escape

from .. import __version__
from ..safe_text import visible
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

# the page's typeface, named again in the printed page's margins, which do not inherit it from the body
FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'

CSS = f"\nbody {{ font-family: {FONTS}; }}" + """
@page { size: A4; margin: 14mm 12mm; }
:root { --ink: #1b1f24; --muted: #5b6670; --line: #d5dbe1; --granted: #1a7f37; --superseded: #9a6700;
        --not: #6e7781; --referred: #0969da; --out: #8250df; --error: #cf222e; }
* { box-sizing: border-box; }
body { color: var(--ink); margin: 0 auto; max-width: 190mm; padding: 12px;
       font-size: 10.5pt; line-height: 1.5; overflow-wrap: break-word; }  /* an id of 150 digits breaks, not the page */
h1 { font-size: 17pt; margin: 0 0 6px; }
h2 { font-size: 13.5pt; border-bottom: 2px solid var(--ink); padding-bottom: 3px; margin-top: 22px; }
h3 { font-size: 11.5pt; margin: 18px 0 6px; }
dl.meta { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 0 0 8px; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
dl.meta code.hash { overflow-wrap: normal; }  /* only at its <wbr>, in the middle */
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
div.wide { overflow-x: auto; margin: 6px 0 10px; } div.wide > table { margin: 0; }
ul.errors code { overflow-wrap: anywhere; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
table.allocation caption { caption-side: top; text-align: left; font-weight: 600; padding: 2px 0; }
table.allocation td:first-child, table.allocation th:first-child, table.allocation th:nth-last-child(2) {
  white-space: nowrap; }  /* the claim, and the +1 column, each on one line */
p.note { color: var(--muted); margin: 0 0 10px; }
span.fig { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }  /* a figure on one line; its heading ("Exact share = before × …") may wrap */
td.what { min-width: 5em; }  /* a policy change's name, not squeezed to a character a line by the texts beside it */
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
tr.matched td { background: #dafbe1; font-weight: 700; }
table.reference { border: 2px dashed var(--muted); } table.reference td, table.reference .status { color: var(--muted); }
.status { font-weight: 600; white-space: nowrap; }
.status.granted { color: var(--granted); } .status.superseded { color: var(--superseded); }
.status.reduced_to_zero { color: var(--superseded); }
.status.not_eligible { color: var(--not); } .status.referred { color: var(--referred); }
.status.out_of_period, .status.undated { color: var(--out); } .error { color: var(--error); }
section.award { border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 4px;
                padding: 4px 12px 8px; margin: 12px 0; break-inside: avoid-page; }
section.award.granted { border-left-color: var(--granted); }
section.award.superseded, section.award.reduced_to_zero { border-left-color: var(--superseded); }
section.award.referred { border-left-color: var(--referred); }
blockquote { margin: 6px 0; padding: 4px 10px; border-left: 3px solid var(--line); color: #3d444d;
             background: #f8f9fa; font-size: 9.5pt; }
ol.steps { padding-left: 22px; margin: 4px 0; } ol.steps li { margin: 1px 0; }
ul.rules ul.steps { padding-left: 18px; margin: 4px 0 8px; } ul.rules ul.steps li { margin: 1px 0; }
span.who { color: #5b6670; }
ul.why-not li, ul.change li { margin: 2px 0; }
.warning { color: var(--superseded); }
p.label { font-weight: 600; margin: 8px 0 2px; }
svg text { font-family: inherit; font-size: 10px; }
svg.chart { max-width: 100%; min-width: var(--least); height: auto; }
@media (max-width: 560px) { dl.meta { grid-template-columns: minmax(0, 1fr); gap: 0; } dl.meta dd { margin-bottom: 4px; } }
@media print { body { max-width: none; padding: 0; } h2, h3, p.label { break-after: avoid; }
  div.wide { overflow: visible; } svg.chart { min-width: 0; }
  /* a table whole on one page, with its caption and the note under it, where it fits; never a row cut */
  table, tr, li, blockquote, svg.chart, section.keep { break-inside: avoid; } div.wide + p.note { break-before: avoid; } }
"""


def safe(text: str) -> str:
    """Text for the page, escaped, with each control and bidirectional character shown as an escape (``\\u202e``),
    never obeyed: an override in a project's id reversed the rest of its sentence on the page, figures included."""
    return escape(visible(text))


_FIGURE = re.compile(r"(?<![\w.,])([−+]?\d[\d,]*(?:\.\d+)?) (元|分|yuan\b|fen\b)")


def prose(text: str) -> str:
    """Text escaped, with each figure kept on one line with its unit: a line that ends "headroom 650,000" and a
    next that begins "yuan" is misread. The space stays a space (copied, the text is as written)."""
    return _FIGURE.sub(r'<span class="fig">\1 \2</span>', safe(text))


def _status(status: str, lang: str) -> str:
    return f'<span class="status {status}">{safe(status_word(status, lang))}</span>'


def _money_td(value: Decimal | None) -> str:
    return f'<td class="num">{money(value)}</td>'


def wide(table: list[str]) -> list[str]:
    """A table in a box of its own that scrolls sideways when the screen is narrower than the table (a phone):
    the page keeps the screen's width, and its text does not move under the reader's thumb."""
    return ['<div class="wide">', *table, "</div>"]


def _hash(digest: str) -> str:
    """A SHA-256 that breaks, if the column is narrow, only in its middle: not with one digit left alone."""
    return f'<code class="hash">{safe(digest[:32])}<wbr>{safe(digest[32:])}</code>'


def header(report: Report, lang: str, title: str) -> list[str]:
    p = report.plan
    return [
        f"<h1>{safe(title)}</h1>",
        '<dl class="meta">',
        f"<dt>{word('policy', lang)}</dt><dd>{safe(p.name.get(lang))}</dd>",
        f"<dt>{word('sha', lang)}</dt><dd>{_hash(p.source_sha256)}</dd>",
        *([f"<dt>{word('input_sha', lang)}</dt><dd>{_hash(report.batch.input_sha256)}</dd>"]
          if report.batch.input_sha256 else []),
        f"<dt>{word('engine', lang)}</dt><dd>jinjiang-dsl {__version__}</dd>",
        f"<dt>{word('report_id', lang)}</dt><dd><code>{report.report_id}</code></dd>",
        f"<dt>{word('evaluated', lang)}</dt><dd>{report.evaluated_at.isoformat()}</dd>",
        "</dl>",
    ]


def summary_table(a: ApplicantReport, lang: str, reference: bool = False) -> list[str]:
    """Project × measure → status and amounts, with the total. ``reference``: what an applicant with input
    errors would otherwise get, set apart and with a total that says nothing is granted."""
    out = [f'<table class="summary{" reference" if reference else ""}">', "<thead><tr>",
           f"<th>{word('project', lang)}</th><th>{word('measure', lang)}</th><th>{word('status', lang)}</th>",
           f"<th class=\"num\">{word('entitlement', lang)}</th><th class=\"num\">{word('amount', lang)}</th>",
           "</tr></thead><tbody>"]
    for r in a.awards:
        out.append(f"<tr><td>{safe(r.where(lang))}</td><td>{r.measure.id} {safe(r.measure.title.get(lang))}</td>"
                   f"<td>{_status(r.status, lang)}</td>{_money_td(r.award.entitlement)}"
                   f"{_money_td(r.award.amount)}</tr>")
    out += [f'<tr><td>{safe(pid)}</td><td colspan="4">{word(what, lang)}</td></tr>' for pid, what in a.unlisted()]
    total = word("total_reference" if reference else "total", lang)
    out.append(f'<tr class="total"><td colspan="4">{total}</td>{_money_td(a.decision.total)}</tr>')
    out.append("</tbody></table>")
    return wide(out)


def clause(name: str, en: str, lang: str) -> str:
    """A clause cited so that it reads as one, the notice's name in corner brackets: beside "Clause" or a dash,
    in a proportional font, a clause named 一 reads as a dash itself ("Clause —"). In English the drafter's
    name comes first, in quotes."""
    if lang == "zh":
        return f"{word('clause', lang)}「{safe(name)}」"
    return f"{word('clause', lang)} " + (f"“{safe(en)}” " if en else "") + f"「{safe(name)}」"


def award_section(r: AwardReport, lang: str) -> list[str]:
    m, a = r.measure, r.award
    amount = f" {money(a.amount)} {word('yuan', lang)}" if r.status == "granted" else ""
    out = [f'<section class="award {r.status}">',
           f"<h3>{safe(r.where(lang))} · {m.id} {safe(m.title.get(lang))} — {_status(r.status, lang)}"
           f"{prose(amount)}</h3>",
           f'<p class="label">{clause(m.clause, m.clause_en, lang)}</p>']
    if m.quote:
        out.append(f"<blockquote lang=\"zh\">{safe(m.quote)}</blockquote>")
    out.append(f'<p class="label">{word("computation", lang)}</p><ol class="steps">')
    out += [f"<li>{prose(r.tagged(s, lang))}</li>" for s in r.steps]
    out.append("</ol>")
    if r.notes:
        out.append(f'<p class="label">{word("notes", lang)}</p><ul class="notes">')
        out += [f"<li>{prose(sentence(s, lang))}</li>" for s in r.notes]
        out.append("</ul>")
    for w in a.warnings:
        out.append(f'<p class="warning">⚠ {prose(sentence(w, lang))}</p>')
    if r.tier_rows:
        out.append(f'<p class="label">{word("tier_table", lang)}</p>')
        tiers = ['<table class="tiers"><thead><tr>',
                 f"<th class=\"num\">{word('tier', lang)}</th><th>{word(r.tier_column, lang)}</th>"
                 f"<th>{word('words', lang)}</th><th class=\"num\">{word('pays', lang)}</th>"
                 + (f"<th>{word('band', lang)}</th>" if r.tier_rows[0].band is not None else "") + "<th></th>",
                 "</tr></thead><tbody>"]
        for t in r.tier_rows:
            cls = ' class="matched"' if t.matched else ""
            mark = f"← {word('matched', lang)}" if t.matched else ""
            band = f"<td>{safe(t.band.read(lang))}</td>" if t.band is not None else ""
            tiers.append(f"<tr{cls}><td class=\"num\">{t.index}</td><td>{safe(t.interval.read(lang))}</td>"
                         f"<td>{safe(t.words)}</td><td class=\"num\">{safe(t.pays.get(lang))}</td>{band}<td>{mark}</td></tr>")
        out += wide([*tiers, "</tbody></table>"])
    if r.why_not:
        out.append(f'<p class="label">{word("why_not", lang)}</p><ul class="why-not">')
        out += [f"<li>{prose(sentence(s, lang))}</li>" for s in r.why_not]
        out.append("</ul>")
    if r.changes:
        out.append(f'<p class="label">{word("what_would_change", lang)}</p><ul class="change">')
        out += [f"<li>{prose(change_text(c, lang))}</li>" for c in r.changes]
        out.append("</ul>")
    out.append("</section>")
    return out


def table(t: Table) -> list[str]:
    def cell(tag: str, text: str, numeric: bool) -> str:
        cls = ' class="num"' if numeric else ""
        return f"<{tag}{cls}>{safe(text)}</{tag}>"

    out = ['<table class="allocation">', f"<caption>{prose(t.caption)}</caption>",
           "<thead><tr>" + "".join(cell("th", h, n) for h, n in zip(t.head, t.numeric)) + "</tr></thead><tbody>"]
    out += ["<tr>" + "".join(cell("td", c, n) for c, n in zip(row, t.numeric)) + "</tr>" for row in t.rows]
    return [*wide([*out, "</tbody></table>"]), f'<p class="note">{prose(t.note)}</p>']


def anchors(applicants: tuple[ApplicantReport, ...]) -> list[str]:
    """Each applicant section's anchor, from its id. Two records with one id get two anchors (the second
    ``-2``), so that a link to the second, from the list of input errors, does not open the first."""
    used: set[str] = set()
    tried: dict[str, int] = {}  # the last suffix tried for an id: a batch of one id repeated stays linear
    out = []
    for a in applicants:
        anchor = base = f"applicant-{a.decision.id}"
        while anchor in used:
            tried[base] = tried.get(base, 1) + 1
            anchor = f"{base}-{tried[base]}"
        used.add(anchor)
        out.append(anchor)
    return out


def applicant_section(a: ApplicantReport, lang: str, rounding: str, anchor: str) -> list[str]:
    d = a.decision
    name = f" {d.name}" if d.name else ""
    kind = f" ({a.category.get(lang)})" if a.category else ""
    out = [f'<h2 id="{safe(anchor)}">{word("applicant", lang)} {safe(str(d.id))}'
           f"{safe(name)}{safe(kind)}</h2>"]
    if d.status == "error":
        out.append(f'<p class="label error">{word("errors", lang)}</p><ul class="errors">')
        out += [f"<li><code>{safe(error_text(e, lang))}</code></li>" for e in d.errors]
        out.append("</ul>")
        if a.otherwise is not None:
            out += [f'<p class="label otherwise">{prose(a.otherwise.otherwise_caption(lang))}</p>',
                    *summary_table(a.otherwise, lang, reference=True)]
        return out
    if not a.awards:
        return out + [f"<p>{word('no_awards', lang)}</p>"]
    out += summary_table(a, lang)
    for r in a.awards:
        out += award_section(r, lang)
    if a.allocations:
        out.append(f'<p class="label">{word("allocations", lang)}</p>')
        for alloc in a.allocations:
            out += table(allocation_table(alloc, rounding, lang))
    if a.rules:
        out.append(f'<p class="label">{word("rules_applied", lang)}</p><ul class="rules">')
        for rule in a.rules:
            quote = f'<blockquote lang="zh">{safe(rule.quote)}</blockquote>' if rule.quote else ""
            steps = "".join(f"<li><span class=\"who\">{safe(who)}</span>: {prose(text)}</li>"
                            for who, text in a.rule_steps(rule.id, lang))
            out.append(f"<li><strong>{safe(rule.id)} {safe(rule.title.get(lang))}</strong> — "
                       f"{clause(rule.clause, rule.clause_en, lang)}{quote}<ul class=\"steps\">{steps}</ul></li>")
        out.append("</ul>")
    if a.rule_changes:
        out.append(f'<p class="label">{word("rules", lang)} — {word("what_would_change", lang)}</p><ul>')
        out += [f"<li>{prose(change_text(c, lang))}</li>" for c in a.rule_changes]
        out.append("</ul>")
    return out


def _text_width(text: str) -> float:
    """About how wide a text is at the chart's 10px: a CJK character a full em, others about half."""
    return sum(10.0 if unicodedata.east_asian_width(ch) in "WF" else 5.8 for ch in text)


def _fit(text: str, room: float) -> str:
    """The text, cut with "…" when it is wider than ``room``."""
    if _text_width(text) <= room:
        return text
    while text and _text_width(text + "…") > room:
        text = text[:-1]
    return text + "…"


def chart_open(width: int, height: int, title: str) -> list[str]:
    """A chart's opening tags and title. It shrinks to fit its column, but to no less than 90% of its size: on a
    phone its 10-pixel text would shrink to half, unreadable; it scrolls sideways in a box of its own instead."""
    return [f'<div class="wide"><svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" '
            f'height="{height}" style="--least: {width * 9 // 10}px" viewBox="0 0 {width} {height}">'
            f"<title>{safe(title)}</title>", f'<text x="0" y="14" font-weight="bold">{safe(title)}</text>']


CHART_END = "</svg></div>"


def bar_chart(rows: list[tuple[str, Decimal]], title: str, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG: one bar per row, its value written beside it. The label
    column is as wide as the longest label needs (up to a limit; a longer one is cut with "…", and
    whole in its tooltip), so English labels are not clipped; the room right of the bars as wide as the widest
    figure needs, so that a large one is never cut at the chart's edge."""
    label_w = math.ceil(min(max((_text_width(label) for label, _ in rows), default=0.0) + 12, 420))
    shown = [(f"{value:,.2f}" if unit else f"{value:,}") + unit for _, value in rows]
    room = math.ceil(max(max((_text_width(s) for s in shown), default=0.0) + 12, 110))
    bars, bar_h, gap = 280, 18, 6
    width = label_w + bars + room
    height = len(rows) * (bar_h + gap) + 28
    top = max((v for _, v in rows), default=Decimal(0)) or Decimal(1)
    parts = chart_open(width, height, title)
    for i, (label, value) in enumerate(rows):
        y = 24 + i * (bar_h + gap)
        w = int(bars * value / top) if value else 0  # pixels, from the exact ratio
        shown_label = _fit(label, label_w - 12)
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end">'
                     f"<title>{safe(label)}</title>{safe(shown_label)}</text>")
        parts.append(f'<rect x="{label_w}" y="{y}" width="{max(w, 1)}" height="{bar_h}" fill="#2f81f7"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 13}">{safe(shown[i])}</text>')
    parts.append(CHART_END)
    return "".join(parts)


def render(report: Report, lang: str) -> str:
    single = not report.is_batch
    title = word("title", lang) if single else word("batch_title", lang)
    body = header(report, lang, title)
    anchor = anchors(report.applicants)
    if not single:
        s = report.batch.summary
        body += [f"<h2>{word('summary', lang)}</h2>",
                 f"<p>{word('applicants_n', lang)}: {s.applicants} · {word('total', lang)}: "
                 f"<span class=\"fig\"><strong>{money(s.total)}</strong> {word('yuan', lang)}</span></p>"]
        by_measure = [(f"{mid} {report.plan.measure(mid).title.get(lang)}", v) for mid, v in s.by_measure.items()]
        body.append(bar_chart(by_measure, word("by_measure", lang), " " + word("yuan", lang)))
        if s.by_payer:  # what each treasury must budget (cost sharing)
            payers = [(report.plan.payer(payer).get(lang), v) for payer, v in s.by_payer.items()]
            body.append(bar_chart(payers, word("by_payer", lang), " " + word("yuan", lang)))
        counts = [(status_word(k, lang), Decimal(v)) for k, v in report.status_counts().items()]
        body.append(bar_chart(counts, word("by_status", lang)))
        body.append(f"<h3>{word('applicants_with_errors', lang)}</h3>")
        errors = [(a, anchor[i]) for i, a in enumerate(report.applicants) if a.decision.status == "error"]
        if errors:
            body.append('<ul class="errors">')
            # each error on a line of its own: run together, "…(applicant E013, project P1);applicants[14]…" read as one
            body += [f"<li><a href=\"#{safe(to)}\">{safe(str(a.decision.id))}</a><ul>"
                     + "".join(f"<li><code>{safe(error_text(e, lang))}</code></li>" for e in a.decision.errors)
                     + "</ul></li>" for a, to in errors]
            body.append("</ul>")
        else:
            body.append(f"<p>{word('none', lang)}</p>")
        body += [f'<p class="warning">⚠ {prose(w.get(lang))}</p>' for w in s.warnings]
    for a, to in zip(report.applicants, anchor):
        body += applicant_section(a, lang, report.plan.rounding_mode, to)
    html_lang = "en" if lang == "en" else "zh-CN"
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{safe(title)}</title>\n'
            f"<style>{CSS}{print_margins(report, lang)}</style>\n</head>\n<body>\n" + "\n".join(body)
            + "\n</body>\n</html>\n")


def print_margins(report: Report, lang: str) -> str:
    """A running header (the report id and the hashes) and page numbers on every printed page. Only
    fixed words, hex digits and the version go into this CSS: no text from a policy or an input."""
    head = (f"{word('report_id', lang)} {report.report_id} · {word('policy_short', lang)} {report.plan.source_sha256[:12]}"
            + (f" · {word('input_short', lang)} {report.batch.input_sha256[:12]}" if report.batch.input_sha256 else "")
            + f" · jinjiang-dsl {__version__}")
    page = word("page", lang).replace("{page}", '" counter(page) "').replace("{pages}", '" counter(pages) "')
    return (f'\n@page {{ @top-left {{ content: "{head}"; font-family: {FONTS}; font-size: 7.5pt; color: #5b6670; }}\n'
            f'  @bottom-right {{ content: "{page}"; font-family: {FONTS}; font-size: 8pt; color: #5b6670; }} }}\n')
