"""The formatter (issue 14): one layout, idempotent, nothing lost, the same policy after as before."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jinjiang_dsl.cli import main
from jinjiang_dsl.fmt import format_source, meaning

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").rglob("*.pol")) + [ROOT / "tests" / "fixtures" / "every_construct.pol"]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_every_policy_is_kept_formatted(path: Path) -> None:
    # CI keeps policies/ formatted: `jinjiang-dsl fmt --write policies/**/*.pol` after an edit
    source = path.read_text(encoding="utf-8")
    assert format_source(source) == source


MESSY = '''# 一个策略
policy "示例" / "example" {
    issued 2024-01-01
  dated by date


  currency 元
  rounding 0.01元 half_up   # 四舍五入
}
project {
date: date "日期" / "date"
  spend:   money "投入"
          / "spend"
  level: one of {a "甲"，b "乙"、c "丙"} "级别" / "level"   # 全角
}
measure 1 "补助" / "grant" {
  clause 一(一)
  quote "投入1,000,000元以上的,给予补助。"
  requires spend in 100万元（含）以上 "投入100万元以上" / "at least 1,000,000"
  amount 20% of spend , at most 1,000,000元
  example "够" / "enough" {
    project P1 { date: 2024-05-01,   spend: 1,000,000元 }
    expect P1 1 granted 20万


  }
}
'''


def test_a_messy_policy_is_laid_out_and_keeps_its_comments_and_words() -> None:
    formatted = format_source(MESSY)
    assert formatted == '''# 一个策略
policy "示例" / "example" {
  issued 2024-01-01
  dated by date

  currency 元
  rounding 0.01元 half_up  # 四舍五入
}
project {
  date: date "日期" / "date"
  spend: money "投入"
    / "spend"
  level: one of {a "甲", b "乙", c "丙"} "级别" / "level"  # 全角
}
measure 1 "补助" / "grant" {
  clause 一(一)
  quote "投入1,000,000元以上的,给予补助。"
  requires spend in 100万元（含）以上 "投入100万元以上" / "at least 1,000,000"
  amount 20% of spend, at most 1,000,000元
  example "够" / "enough" {
    project P1 { date: 2024-05-01, spend: 1,000,000元 }
    expect P1 1 granted 20万
  }
}
'''
    assert format_source(formatted) == formatted
    assert meaning(formatted) == meaning(MESSY)


def noise() -> Any:
    """A way to mess up a policy's layout without changing what it says: extra spaces and indentation
    at line starts and between words, blank lines between lines, the full-width comma of an input method."""
    return st.tuples(st.lists(st.integers(0, 6), min_size=1, max_size=40), st.lists(st.booleans(), max_size=40),
                     st.booleans())


def messed(source: str, how: tuple[list[int], list[bool], bool]) -> str:
    indents, blanks, wide = how
    lines = []
    for i, line in enumerate(source.splitlines()):
        if '"' in line or "#" in line:  # strings and comments are the policy's words: leave them be
            lines.append(" " * indents[i % len(indents)] + line.strip())
        else:
            body = line.strip()
            body = re.sub(r" ", " " * (1 + indents[(i + 1) % len(indents)] % 3), body)
            if wide:
                body = re.sub(r",(?! *[0-9])", "，", body)
            lines.append(" " * indents[i % len(indents)] + body)
        if blanks and blanks[i % len(blanks)] and line.strip():
            lines.append("   ")
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(POLICIES), noise())
def test_formatting_any_layout_is_idempotent_and_keeps_the_policy(path: Path, how: Any) -> None:
    source = path.read_text(encoding="utf-8")
    messy = messed(source, how)
    once = format_source(messy)
    assert format_source(once) == once
    assert meaning(once) == meaning(source)


def test_fmt_check_prints_a_diff_and_exits_1_and_write_rewrites(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "p.pol"
    path.write_text(MESSY, encoding="utf-8")
    assert main(["fmt", "--check", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"--- a/{path}" in out and "-    issued 2024-01-01\n+  issued 2024-01-01\n" in out
    assert err.strip() == f"1 file not formatted: {path} (jinjiang-dsl fmt --write)"
    assert main(["fmt", "--write", str(path)]) == 0
    assert capsys.readouterr().err.strip() == "formatted 1 file"
    assert path.read_text(encoding="utf-8") == format_source(MESSY)
    assert main(["fmt", "--check", str(path)]) == 0
    assert main(["fmt", str(path)]) == 0
    assert capsys.readouterr().out == format_source(MESSY)


def test_fmt_write_keeps_the_file_s_mode_and_a_link_to_it(tmp_path: Path, capsys: Any) -> None:
    # the policy came back 0600 from a temporary file (a group's shared 0664 policy no longer readable by the
    # group), and a link to it was replaced by a copy, leaving the policy it named unformatted
    import os
    import stat

    path, link = tmp_path / "p.pol", tmp_path / "link.pol"
    path.write_text(MESSY, encoding="utf-8")
    os.chmod(path, 0o664)
    link.symlink_to(path)
    assert main(["fmt", "--write", str(link)]) == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o664
    assert link.is_symlink() and path.read_text(encoding="utf-8") == format_source(MESSY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.pol", "p.pol"]  # no temporary file left
    capsys.readouterr()


def test_fmt_check_says_a_windows_file_s_line_endings_once_not_as_a_diff_of_every_line(tmp_path: Path,
                                                                                       capsys: Any) -> None:
    # a formatted policy saved with \r\n came out of --check as a diff removing and adding every line, each
    # pair looking the same on the screen
    formatted = format_source(MESSY)
    path = tmp_path / "p.pol"
    path.write_bytes(formatted.replace("\n", "\r\n").encode("utf-8"))
    assert main(["fmt", "--check", str(path)]) == 1
    assert capsys.readouterr().out == f"{path}: its line endings (\\r\\n, \\r) become \\n\n"
    path.write_bytes(MESSY.replace("\n", "\r\n").encode("utf-8"))  # and a diff of what else changes
    assert main(["fmt", "--check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "-    issued 2024-01-01\n+  issued 2024-01-01\n" in out and "\r" not in out


def test_fmt_keeps_a_leading_byte_order_mark(tmp_path: Path, capsys: Any) -> None:
    # a policy saved by an editor that writes one came back from --write (or printed) without its BOM, though
    # --check found a formatted file with one formatted: it is no part of the layout, kept wherever fmt writes
    path = tmp_path / "p.pol"
    path.write_bytes(b"\xef\xbb\xbf" + MESSY.encode("utf-8"))
    assert main(["fmt", str(path)]) == 0
    assert capsys.readouterr().out == "\ufeff" + format_source(MESSY)
    assert main(["fmt", "--write", str(path)]) == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + format_source(MESSY).encode("utf-8")
    assert main(["fmt", "--check", str(path)]) == 0
    assert capsys.readouterr().out == ""


def test_fmt_leaves_a_file_with_a_syntax_error_as_it_is(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "broken.pol"
    broken = MESSY.replace("amount 20% of spend", "amount 20% of of spend")
    path.write_text(broken, encoding="utf-8")
    assert main(["fmt", "--write", str(path)]) == 1
    err = capsys.readouterr().err
    assert "broken.pol:" in err and "not formatted: fix the syntax first" in err and "Traceback" not in err
    assert path.read_text(encoding="utf-8") == broken
    assert main(["fmt", str(path), str(path)]) == 2  # several files: --check or --write


def test_a_statement_going_on_after_a_comma_or_an_operator_keeps_its_continuation_indented() -> None:
    # language.md's own example: "at most 100万" on the next line was put at statement indent, reading as a
    # statement of its own; so was the rest of a sum broken after '+'. A list inside braces stays as it was
    source = '''policy "p" / "p" {
  issued 2024-01-01
}
project {
  investment: money "投资" / "investment"
  industry: text "产业" / "industry"
}
define tot = investment +
  1万
measure 1 "补助" / "grant" {
  clause 一
  requires industry in {纺织, 鞋服,
    食品, 建材,
    机械}
  amount 20% of tot,     # the rate and the base
    at most 100万        # the cap, on the next line
}
'''
    assert format_source(source) == source.replace("     # the rate", "  # the rate").replace(
        "        # the cap", "  # the cap")


def test_a_lone_carriage_return_ends_a_line_for_fmt_as_for_the_parser() -> None:
    # the parser reads a lone \r as a line break (a comment ends there), fmt's tokens did not: a policy that
    # checks was refused by 'fmt --keywords zh' with "unexpected '{'", shown on the wrong line
    from jinjiang_dsl.fmt import convert_keywords

    source = 'policy "示例" / "Example" {  # a comment\r  issued 2024-01-01\n}\n'
    converted = convert_keywords(source, "zh")
    assert "# a comment\r" in converted and "issued" not in converted
    assert convert_keywords(converted, "en") == source


def test_an_interval_s_notation_is_kept_as_written_between_its_bounds() -> None:
    # '[5万,8万)' became '[5万, 8万)' and '（5万，8万］' '（5万, 8万］': the interval's words, which an explanation quotes,
    # changed, so fmt refused a valid policy ("formatting would change what the policy says … please report this")
    from jinjiang_dsl.fmt import format_checked

    source = MESSY.replace("amount 20% of spend", "amount bands on spend {\n[5万,8万) : 1万\n（8万，10万］: 2万\n[10万,∞): 3万\n}")
    assert "[5万,8万)" in source
    formatted = format_checked(source)
    assert "    [5万,8万) : 1万\n    （8万，10万］: 2万\n    [10万,∞): 3万\n" in formatted
    assert format_checked(formatted) == formatted
    assert format_source("define a = b in {x，y,z}") == "define a = b in {x, y, z}\n"  # elsewhere a comma gets its space
