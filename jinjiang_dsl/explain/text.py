"""Decisions on a terminal: a rich tree per applicant → project → measure, amount first."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from rich.cells import cell_len, chop_cells
from rich.console import Console, Group
from rich.containers import Lines
from rich.markdown import Markdown, Paragraph, TableDataElement
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..decisions import ApplicantDecision, Award, BatchDecision
from ..plan import Plan
from ..runtime.money import fmt_plain
from ..runtime.trace import Step
from ..safe_text import visible
from .messages import render as _render
from .messages import word
from .report import error_text
from .report import word as report_word


def render(step: Step, lang: str) -> str:
    """A step's sentence, safe on a terminal: it quotes facts from the applications."""
    return visible(_render(step, lang))

# what a line may not begin with (Chinese line-breaking rules): it stays with the unit before it
CLOSING = "，。、；：？！）》」』】〉,.;:?!)]}%"
UNITS = re.compile(r"\s+|[^\s]")  # whitespace runs, and single characters (joined into words below)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _units(text: str) -> list[str]:
    """The pieces a line may break between: a run of spaces; a word of narrow characters; a single wide
    (Chinese) character — each with the closing punctuation after it; and a number kept with the unit after
    it (1,000,000 元, 2023 年度, 200万元) and with the word before it (措施 1.1, 第 2 档)."""
    units: list[str] = []
    for piece in UNITS.findall(text):
        last = units[-1] if units else ""
        if piece in CLOSING and last and not last.isspace():
            units[-1] += piece
        elif not piece.isspace() and not _wide(piece) and last and not last.isspace() and not _wide(last[-1]):
            units[-1] += piece  # a narrow character goes on its word
        elif _wide(piece) and (last[-1:].isdigit() or last[-1:] in ("万", "亿") and any(c.isdigit() for c in last)):
            units[-1] += piece  # "200万元": a figure and the unit written against it
        elif len(units) >= 2 and last == " " and (_wide(piece) and units[-2][-1:].isdigit()
                                                  or piece.isdigit() and _wide(units[-2][-1:] or " ")):
            space = units.pop()
            units[-1] += space + piece  # "1,000,000 元", "措施 1.1": a number on one line with its unit or its noun
        else:
            units.append(piece)
    return units


def _breaks(text: str, width: int) -> list[int]:
    """Where to break a line of ``width`` cells: before a unit that does not fit (a unit wider than a line is
    cut across lines)."""
    breaks, offset, used = [], 0, 0
    for unit in _units(text):
        size = cell_len(unit)
        if used and not unit.isspace() and used + size > width:
            breaks.append(offset)
            used = 0
        if size > width and not unit.isspace():
            for part in chop_cells(unit, width)[:-1]:
                offset += len(part)
                breaks.append(offset)
            size = cell_len(chop_cells(unit, width)[-1])
        used += size
        offset += len(unit)
    return breaks


class Prose(Text):
    """Text that wraps as Chinese is written: between characters, not only at spaces (rich's own wrapping
    sent a run of Chinese whole to the next line, leaving '解释' or '元' alone), never before closing
    punctuation, and keeping a number with its unit and its noun."""

    def wrap(self, console: Console, width: int, *, justify: Any = None, overflow: Any = None,
             tab_size: int = 8, no_wrap: bool | None = None) -> Lines:
        if no_wrap or self.no_wrap:
            return super().wrap(console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=no_wrap)
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            for part in line.divide(_breaks(str(line), width)):
                part.rstrip_end(width)
                part.rstrip()
                lines.append(part)
        return lines


class _ProseParagraph(Paragraph):
    def on_enter(self, context: Any) -> None:
        super().on_enter(context)
        self.text = Prose(justify="left")


class _ProseCell(TableDataElement):
    def __init__(self, justify: Any) -> None:
        super().__init__(justify)
        self.content = Prose("", justify=justify)


class ProseMarkdown(Markdown):
    """Markdown on a terminal whose paragraphs, list items and table cells wrap as :class:`Prose` does;
    rich's own broke them only at spaces ('元' below its number, a run of Chinese sent whole to the next
    line)."""

    elements = {**Markdown.elements, "paragraph_open": _ProseParagraph, "td_open": _ProseCell,
                "th_open": _ProseCell}


STATUS_STYLE = {
    "granted": "bold green",
    "superseded": "yellow",
    "not_eligible": "dim",
    "referred": "cyan",
    "out_of_period": "magenta",
}

WORDS = {
    "total": ("合计", "total"),
    "entitlement": ("可得", "entitled"),
    "yuan": ("元", "yuan"),
    "warning": ("警告", "warning"),
    "summary": ("汇总", "Summary"),
    "measure": ("措施", "measure"),
    "payer": ("出资方", "payer"),
    "amount": ("金额(元)", "amount (yuan)"),
    "applicants": ("申请人", "applicants"),
    "errors": ("输入有误", "with input errors"),
    "no_awards": ("未涉及任何措施", "no measure's facts given"),
    "applicant_itself": ("申请人本身", "the applicant itself"),
    "summed": ("无本项目的措施;其数据计入申请人本身的年度奖励", "no measure of its own; its figures count in the "
               "applicant's own awards"),
    "notes": ("适用的解释", "interpretations that apply"),
}


def w(key: str, lang: str) -> str:
    zh, en = WORDS[key]
    return en if lang == "en" else zh


def money(value: Decimal | None, lang: str) -> str:
    return f"{fmt_plain(value)} {w('yuan', lang)}" if value is not None else "—"


def award_line(plan: Plan, award: Award, lang: str) -> Text:
    m = plan.measure(award.measure)
    line = Prose()
    line.append(f"{m.id} {visible(m.title.get(lang))}", style="bold")
    if award.year is not None:
        line.append(f" ({award.year}{'年度' if lang == 'zh' else ''})", style="bold")
    line.append(" — ")
    line.append(word(award.status, lang), style=STATUS_STYLE.get(award.status, ""))
    if award.status == "granted":
        line.append(f" {money(award.amount, lang)}", style="bold green")
    if award.entitlement is not None and award.status in ("granted", "superseded"):
        line.append(f" ({w('entitlement', lang)} {money(award.entitlement, lang)})", style="dim")
    return line


def applicant_tree(plan: Plan, d: ApplicantDecision, lang: str, trace: bool = True) -> Tree:
    head = Text()
    head.append(visible(str(d.id)), style="bold")
    if d.name:
        head.append(f" {visible(d.name)}")
    if d.status == "error":
        head.append(f" — {word('error', lang)}", style="bold red")
        tree = Tree(head)
        for e in d.errors:
            tree.add(Prose(visible(error_text(e, lang)), style="red"))
        return tree
    head.append(f" — {w('total', lang)} ", style="")
    head.append(money(d.total, lang), style="bold green")
    tree = Tree(head)
    if not any(p.awards for p in d.groups()):  # the reason, as the reports give it: not an empty branch
        tree.add(Prose(report_word("no_awards", lang), style="dim"))
        return tree
    summed = d.summed_projects()
    for p in d.groups():
        branch = tree.add(Text(visible(p.id) if p.id is not None else w("applicant_itself", lang), style="bold blue"))
        if not p.awards:
            # untraced, what a year's sum added up is not at hand: a project beside the applicant's own awards
            feeds = p.id in summed if trace else p.id is not None and bool(d.awards)
            branch.add(Text(w("summed" if feeds else "no_awards", lang), style="dim"))
        for a in p.awards:
            node = branch.add(award_line(plan, a, lang))
            for warning in a.warnings:
                node.add(Prose(f"{w('warning', lang)}: {render(warning, lang)}", style="yellow"))
            if trace:
                notes = []
                for step in a.trace:
                    if step.kind == "note":  # named once here, stated once under the summary
                        notes.append(step.params["id"])
                        continue
                    node.add(Prose.assemble((f"[{step.rule}] ", "dim"), render(step, lang)))
                if notes:
                    node.add(Prose(f"{w('notes', lang)}: {', '.join(notes)}", style="dim"))
    return tree


def notes_legend(batch: BatchDecision, lang: str) -> Group:
    """Each interpretation that applied, stated once (the awards name them by id)."""
    seen: dict[str, Step] = {}
    for d in batch.applicants:
        for p in d.groups():
            for a in p.awards:
                for s in a.trace:
                    if s.kind == "note":
                        seen.setdefault(s.params["id"], s)
    lines = [Text(w("notes", lang), style="bold")]
    def natural(note_id: str) -> tuple[str, int]:  # N-2 before N-10
        prefix, _, number = note_id.partition("-")
        return prefix, int(number) if number.isdigit() else 0

    lines += [Prose(render(seen[k], lang)) for k in sorted(seen, key=natural)]
    return Group(*lines) if seen else Group()


def summary_table(batch: BatchDecision, plan: Plan, lang: str) -> Group:
    s = batch.summary
    table = Table(title=w("summary", lang), show_footer=True)
    table.add_column(w("measure", lang), footer=w("total", lang))
    table.add_column(w("amount", lang), justify="right", footer=fmt_plain(s.total))
    for mid, amount in s.by_measure.items():
        table.add_row(f"{mid} {visible(plan.measure(mid).title.get(lang))}", fmt_plain(amount))
    tables: list[Table] = [table]
    if s.by_payer:  # what each treasury must budget (cost sharing)
        payers = Table(show_footer=True)
        payers.add_column(w("payer", lang), footer=w("total", lang))
        payers.add_column(w("amount", lang), justify="right", footer=fmt_plain(sum(s.by_payer.values(), Decimal(0))))
        for payer, amount in s.by_payer.items():
            payers.add_row(visible(plan.payer(payer).get(lang)), fmt_plain(amount))
        tables.append(payers)
    lines = [Text(f"{w('applicants', lang)}: {s.applicants}; {w('errors', lang)}: {s.errors}")]
    lines += [Prose(f"{w('warning', lang)}: {visible(x.get(lang))}", style="yellow") for x in s.warnings]
    return Group(*tables, *lines)


def print_batch(console: Console, batch: BatchDecision, plan: Plan, lang: str, trace: bool = True) -> None:
    console.print(Text(f"{visible(plan.name.get(lang))}  (sha256 {batch.source_sha256[:12]}…)", style="bold underline"))
    for d in batch.applicants:
        console.print(applicant_tree(plan, d, lang, trace))
    console.print(summary_table(batch, plan, lang))
    if trace:
        console.print(notes_legend(batch, lang))
