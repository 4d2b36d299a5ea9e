"""The budget impact of a change, as a terminal table and as one self-contained HTML page with SVG charts
(inline CSS, no scripts, no network). Every text from a policy or an input is escaped."""

from __future__ import annotations

import math
from decimal import Decimal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..impact import Change, Impact
from ..runtime.trace import Label
from ..safe_text import visible
from .html import CHART_END, CSS, _fit, _text_width, bar_chart, chart_open, safe, wide

# Headings (titles, columns, rows) are capitalised in English; the words inside a line are not.
WORDS = {
    "title": ("政策调整的预算影响", "Budget impact of a policy change"),
    "changes": ("政策改动", "What changed in the policy"),
    "no_changes": ("两版政策的措施与规则相同", "The two versions have the same measures and rules"),
    "what": ("改动", "Change"), "line": ("行", "Line"), "lines": ("行(调整前 / 调整后)", "Line (before / after)"), "before": ("调整前", "Before"), "after": ("调整后", "After"),
    "change": ("变化", "Change"), "total": ("合计", "Total"), "by_measure": ("按措施", "By measure"),
    "by_payer": ("按出资方", "By payer"), "by_year": ("按年度", "By year"),
    "applicants": ("申请人", "Applicants"), "gain": ("增加", "gain"), "lose": ("减少", "lose"),
    "same": ("不变", "same"), "errors": ("输入有误", "input errors"), "bands": ("按变化幅度", "By size of change"),
    "largest": ("变化最大的申请人", "Largest changes"), "engine": ("计算引擎", "engine"), "yuan": ("元", "yuan"),
    "id": ("申请人", "Applicant"),
    "removed": ("已删除:{name}(调整前第 {line} 行)", "removed: {name} (line {line} before)"),
    "added": ("新增:{name}(调整后第 {line} 行)", "added: {name} (line {line} after)"),
}
MINUS = "−"  # the minus sign of every figure the report writes, its bands' as well (the JSON keeps "-")


# The parts of a policy a change names (impact.Change.what, in English in the JSON), as a Chinese reader
# reads them: "measure 1.1: amount" → "措施 1.1:金额".
WHAT_ZH = {"measure": "措施", "rule": "规则", "input": "输入", "title": "标题", "beneficiary": "受益对象",
           "requirements": "条件", "amount": "金额", "at most": "最高", "cross checks": "交叉核对",
           "paid in instalments": "分期拨付", "shared": "分担", "quota": "名额", "in force": "施行期间",
           "by reference": "参照执行", "rounding": "舍入", "dated by": "日期口径", "earmark": "资金用途", "when": "情形",
           "once": "限次", "annual cap": "年度上限", "order of the rules": "规则的先后"}


def what(text: str, lang: str) -> str:
    """A change's subject in the report's language, a row's heading (capitalised in English)."""
    if lang != "zh":
        return text[:1].upper() + text[1:]
    head, _, part = text.partition(": ")
    kind, _, rest = head.partition(" ")
    head = f"{WHAT_ZH.get(kind, kind)} {rest}".strip() if kind in ("measure", "rule", "input") else WHAT_ZH.get(head, head)
    if not part:
        return head
    name, _, number = part.partition(" #")
    return f"{head}:{WHAT_ZH.get(name, name)}" + (f" #{number}" if number else "")


def w(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return zh if lang == "zh" else en


def in_yuan(key: str, lang: str) -> str:
    """A heading over figures, with their unit: the page's tables and charts carry no other."""
    return w(key, lang) + ("(元)" if lang == "zh" else " (yuan)")


def _money(value: Decimal) -> str:
    return (MINUS if value < 0 else "") + f"{abs(value):,.2f}"


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + _money(value)


def shown(text: Label, lang: str) -> str:
    """One side of a change: its text, or a dash where the part is not written (a cap taken away)."""
    return text.get(lang) or "—"


def sides(impact: Impact, c: Change, lang: str) -> tuple[str, str]:
    """A change's two sides. A whole measure, rule or input added or taken away says so on the side where it
    is not, with its name and the line it is written on in the other version — a bare dash would read as a
    part left empty."""
    before, after = shown(c.before, lang), shown(c.after, lang)
    kind, _, ident = c.what.partition(" ")
    if kind not in ("measure", "rule", "input") or ": " in c.what or (c.old_line is None) == (c.new_line is None):
        return before, after
    title = (impact.titles if kind == "measure" else impact.rule_titles if kind == "rule" else {}).get(ident)
    name = f"{what(c.what, lang) if lang == 'zh' else c.what}" + (f" {title.get(lang)}" if title else "")
    if c.new_line is None:
        return before, w("removed", lang).format(name=name, line=c.old_line)
    return w("added", lang).format(name=name, line=c.new_line), after


def measure(impact: Impact, mid: str, lang: str) -> str:
    """A measure as a row of the money tables names it: its number and its title."""
    title = impact.titles.get(mid)
    return f"{mid} {title.get(lang)}" if title else mid


def names(impact: Impact, lang: str) -> str:
    """The two versions' names: once when they are the same (a rate changed, the title kept)."""
    old, new = impact.old_name.get(lang), impact.new_name.get(lang)
    return old if old == new else f"{old} → {new}"


def versions(impact: Impact, lang: str) -> list[tuple[str, str]]:
    """Each version as a heading and a line: its file and the first 12 digits of its source's SHA-256 (the
    decision register's key for it, as ``register history`` prints it), and its title when the titles differ
    — two versions with one title (a rate changed) are told apart only so."""
    same = names(impact, lang) == impact.old_name.get(lang)
    return [(w(key, lang), f"{path} · sha256 {sha[:12]}" + ("" if same else f" · {name.get(lang)}"))
            for key, name, path, sha in (("before", impact.old_name, impact.old_file, impact.old_sha256),
                                         ("after", impact.new_name, impact.new_file, impact.new_sha256))]


def counts(impact: Impact, lang: str, sep: str) -> str:
    """How many applicants gain, lose, stay the same, and have an input error."""
    return sep.join(f"{w(k, lang)} {n:,}" for k, n in (("gain", impact.gain), ("lose", impact.lose),
                                                        ("same", impact.same), ("errors", impact.errors)))


def print_impact(console: Console, impact: Impact, lang: str) -> None:
    """The impact as tables on a terminal."""
    console.print(f"{w('title', lang)}: {visible(names(impact, lang))} ({w('engine', lang)}: {impact.engine})", markup=False)
    for heading, version in versions(impact, lang):
        console.print(f"  {heading}: {visible(version)}", markup=False, soft_wrap=True)  # a path is not cut
    changes = Table(title=w("changes", lang), show_lines=False)
    for column in (w("what", lang), w("line", lang), w("before", lang), w("after", lang)):
        changes.add_column(column, overflow="fold")  # a tier table is read whole, never cut short with '…'
    for c in impact.changes:
        lines = "/".join(str(n) if n else "—" for n in (c.old_line, c.new_line)) if (c.old_line or c.new_line) else ""
        # Text, not markup: a condition's '[…]' is the policy's, not a style
        changes.add_row(*(Text(visible(t)) for t in (what(c.what, lang), lines, *sides(impact, c, lang))))
    console.print(changes if impact.changes else w("no_changes", lang))
    money = Table(title=w("total", lang))
    for column in ("", *(in_yuan(k, lang) for k in ("before", "after", "change"))):  # headed as on the page
        money.add_column(column, justify="right" if column else "left")
    rows = [(w("total", lang), impact.total)]
    rows += [(f"{w('by_measure', lang)} {visible(measure(impact, k, lang))}", v) for k, v in impact.by_measure.items()]
    rows += [(f"{w('by_payer', lang)} {visible(impact.payer(k).get(lang))}", v) for k, v in impact.by_payer.items()]
    rows += [(f"{w('by_year', lang)} {k}", v) for k, v in impact.by_year.items()]
    for label, (before, after) in rows:
        money.add_row(label, _money(before), _money(after), _signed(after - before))
    console.print(money)
    console.print(f"{w('applicants', lang)}: {counts(impact, lang, ', ')}", markup=False)
    bands = Table(title=w("bands", lang))
    bands.add_column(in_yuan("change", lang), justify="right")
    bands.add_column(w("applicants", lang), justify="right")
    for band, n in impact.bands:
        bands.add_row(band.get(lang), f"{n:,}")
    console.print(bands)
    if impact.largest:
        largest = Table(title=w("largest", lang))
        for i, column in enumerate((w("id", lang), *(in_yuan(k, lang) for k in ("before", "after", "change")))):
            largest.add_column(column, justify="right" if i else "left")
        for m in impact.largest:
            largest.add_row(visible(str(m.id)), _money(m.before), _money(m.after), _signed(m.delta))
        console.print(largest)


def diverging_chart(rows: list[tuple[str, Decimal]], title: str, unit: str) -> str:
    """Bars to the left for a fall and to the right for a rise, from one zero line, as inline SVG. On either
    side, room for the widest figure beside the longest bar: a large one is not cut at the edge, nor written
    over the labels."""
    label_w = math.ceil(min(max((_text_width(label) for label, _ in rows), default=0.0) + 12, 320))
    shown = [_signed(value) + unit for _, value in rows]
    bar_h, gap, half = 18, 6, 200
    room = math.ceil(max(max((_text_width(s) for s in shown), default=0.0) + 10, 130))
    zero = label_w + room + half
    width = zero + half + room
    height = len(rows) * (bar_h + gap) + 28
    top = max((abs(v) for _, v in rows), default=Decimal(0)) or Decimal(1)
    parts = [*chart_open(width, height, title), f'<line x1="{zero}" y1="20" x2="{zero}" y2="{height}" stroke="#5b6670"/>']
    for i, (label, value) in enumerate(rows):
        y = 24 + i * (bar_h + gap)
        length = int(half * abs(value) / top) if value else 0
        x = zero - length if value < 0 else zero
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end"><title>{safe(label)}</title>'
                     f"{safe(_fit(label, label_w - 12))}</text>")
        parts.append(f'<rect x="{x}" y="{y}" width="{max(length, 1)}" height="{bar_h}" '
                     f'fill="{"#cf222e" if value < 0 else "#2f81f7"}"/>')
        if value < 0:
            parts.append(f'<text x="{x - 4}" y="{y + 13}" text-anchor="end">{safe(shown[i])}</text>')
        else:
            parts.append(f'<text x="{zero + length + 4}" y="{y + 13}">{safe(shown[i])}</text>')
    parts.append(CHART_END)
    return "".join(parts)


def render_html(impact: Impact, lang: str) -> str:
    """The impact as one HTML page: the policy changes first, then the money, then the applicants. Each heading,
    its table and its chart make a section kept whole on a printed page where it fits."""
    yuan = " " + w("yuan", lang)
    body = [f"<h1>{safe(w('title', lang))}</h1>",
            f"<p>{safe(names(impact, lang))} · {w('engine', lang)}: "
            f"{safe(impact.engine)}</p>",
            "<dl>" + "".join(f"<dt>{safe(heading)}</dt><dd>{safe(version)}</dd>"
                             for heading, version in versions(impact, lang)) + "</dl>",
            f"<h2>{w('changes', lang)}</h2>"]
    if impact.changes:
        rows = [f"<table><tr><th>{w('what', lang)}</th><th class=\"num\">{w('lines', lang)}</th><th>{w('before', lang)}</th>"
                f"<th>{w('after', lang)}</th></tr>"]
        for c in impact.changes:
            lines = " / ".join(str(n) if n else "—" for n in (c.old_line, c.new_line)) if (c.old_line or c.new_line) \
                else ""
            was, now = sides(impact, c, lang)
            rows.append(f"<tr><td class=\"what\">{safe(what(c.what, lang))}</td><td class=\"num\">{safe(lines)}</td><td>{safe(was)}</td>"
                        f"<td>{safe(now)}</td></tr>")
        body += wide([*rows, "</table>"])
    else:
        body.append(f"<p>{w('no_changes', lang)}</p>")
    before, after = impact.total
    body.append(f"<h2>{w('total', lang)}</h2><p>{_money(before)} → <span class=\"fig\"><strong>{_money(after)}</strong>"
                f"{yuan}</span> <span class=\"fig\">({safe(_signed(after - before))}{yuan})</span></p>")
    for key, table in (("by_measure", impact.by_measure), ("by_payer", impact.by_payer), ("by_year", impact.by_year)):
        if table:
            body.append(f'<section class="keep"><h3>{w(key, lang)}</h3>')
            rows = ["<table><tr><th></th>" + "".join(f'<th class="num">{in_yuan(k, lang)}</th>'
                                                     for k in ("before", "after", "change")) + "</tr>"]
            short = (lambda k: impact.payer(k).get(lang)) if key == "by_payer" else str  # a chart's bar
            named = (lambda k: measure(impact, k, lang)) if key == "by_measure" else short
            rows += [f'<tr><td>{safe(named(k))}</td><td class="num">{_money(a)}</td><td class="num">{_money(b)}</td>'
                     f'<td class="num">{safe(_signed(b - a))}</td></tr>' for k, (a, b) in table.items()]
            body += wide([*rows, "</table>"])
            body.append(diverging_chart([(short(k), b - a) for k, (a, b) in table.items()],
                                        f"{w('change', lang)} · {w(key, lang).lower()}", yuan) + "</section>")
    body.append(f'<section class="keep"><h2>{w("applicants", lang)}</h2><p>{counts(impact, lang, " · ")}</p>')
    # those that changed, by how much: the unchanged, counted just above, would dwarf every other bar
    body.append(bar_chart([(band.get(lang), Decimal(n)) for band, n in impact.bands if band.zh != "0"],
                          in_yuan("bands", lang)) + "</section>")
    if impact.largest:
        body.append(f'<section class="keep"><h3>{w("largest", lang)}</h3>')
        rows = [f"<table><tr><th>{w('id', lang)}</th>" + "".join(
            f'<th class="num">{in_yuan(k, lang)}</th>' for k in ("before", "after", "change")) + "</tr>"]
        rows += [f'<tr><td>{safe(str(m.id))}</td><td class="num">{_money(m.before)}</td>'
                 f'<td class="num">{_money(m.after)}</td><td class="num">{safe(_signed(m.delta))}</td></tr>'
                 for m in impact.largest]
        body += [*wide([*rows, "</table>"]), "</section>"]
    html_lang = "en" if lang == "en" else "zh-CN"
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{safe(w('title', lang))}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
