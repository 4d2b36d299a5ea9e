"""``jinjiang-dsl check``: the exact text a drafter sees, and the exit codes.

Most tests call :func:`jinjiang_dsl.cli.main` in-process (with capsys); one runs the real
command in a subprocess, piped, to prove what a shell user gets.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from jinjiang_dsl import cli

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
EVERY_CONSTRUCT = ROOT / "tests" / "fixtures" / "every_construct.pol"

CLEAN = """\
policy "示例" / "Example" {
  issued 2023-04-23
  in force from 2023-05-01 to 2024-12-31
  dated by date
  currency 元
  rounding 0.01元 half_up
}
project {
  date: date "日期" / "date"
  投入: money "投入" / "investment"
}
measure 1.1 "示范" / "Demo" {
  clause 一(一)
  requires 投入 > 0
  amount 20% of 投入
}
"""

# Two errors on lines holding Chinese characters, which take two terminal cells each.
BAD = CLEAN.replace("requires 投入 > 0", 'requires 投入 > 10家 "门槛" / "threshold"').replace(
    "amount 20% of 投入", "amount 20% of 投入 + 投人"
)

# Only a warning: a note without English text.
WARNS = CLEAN + 'note I-1 "只有中文"\n'


def expected_bad(path: str) -> str:
    # Line 15 is "  amount 20% of 投入 + 投人": 21 characters stand before 投人, two of them
    # (投入) two cells wide, so the caret starts after 23 cells and is 4 cells wide.
    return (
        f"{path}:14:12: error: cannot compare money with a count\n"
        '  14 |   requires 投入 > 10家 "门槛" / "threshold"\n'
        "     |            ^^^^^^^^^^^\n"
        "  hint: both sides of a comparison must be in the same unit\n"
        "\n"
        f"{path}:15:22: error: '投人' is not defined\n"
        "  15 |   amount 20% of 投入 + 投人\n"
        "     | " + " " * 23 + "^^^^\n"
        "  hint: did you mean '投入'?\n"
        "\n"
        "2 errors, 0 warnings in 1 file\n"
    )


@pytest.fixture
def write(tmp_path):
    def write(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return write


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err  # plain text when not on a terminal
    return code, out, err


# ---------------------------------------------------------------- clean files


def test_clean_file(capsys, write):
    path = write("clean.pol", CLEAN)
    assert run(capsys, "check", path) == (0, "ok: 0 errors, 0 warnings in 1 file\n", "")


def test_shipped_policies_are_clean(capsys):
    assert run(capsys, "check", str(POLICY), str(EVERY_CONSTRUCT)) == (
        0,
        "ok: 0 errors, 0 warnings in 2 files\n",
        "",
    )


def test_shipped_policies_are_clean_even_strictly(capsys):
    code, out, _ = run(capsys, "check", "--strict", str(POLICY))
    assert (code, out) == (0, "ok: 0 errors, 0 warnings in 1 file\n")


# ---------------------------------------------------------------- errors


def test_errors_are_rendered_with_line_caret_and_hint(capsys, write):
    path = write("bad.pol", BAD)
    code, out, err = run(capsys, "check", path)
    assert code == 1
    assert out == expected_bad(path)
    assert err == ""


def test_syntax_error_rendering(capsys, write):
    path = write("typo.pol", CLEAN.replace("requires 投入 > 0", "requries 投入 > 0"))
    code, out, _ = run(capsys, "check", path)
    assert code == 1
    assert out == (
        f"{path}:14:3: error: unknown word 'requries'\n"
        "  14 |   requries 投入 > 0\n"
        "     |   ^^^^^^^^\n"
        "  hint: did you mean 'requires'?\n"
        "\n"
        "1 error, 0 warnings in 1 file\n"
    )


def test_caret_after_chinese_in_a_measure_title(capsys, write):
    path = write("brace.pol", CLEAN.replace("  amount 20% of 投入\n}\n", "  amount 20% of 投入\n"))
    code, out, _ = run(capsys, "check", path)
    assert code == 1
    # 'measure 1.1 "示范" / "Demo" {': 26 characters before '{', two of them double width.
    assert out == (
        f"{path}:12:27: error: missing '}}': this '{{' is never closed\n"
        '  12 | measure 1.1 "示范" / "Demo" {\n'
        "     | " + " " * 28 + "^\n"
        "  hint: add '}' where the block ends\n"
        "\n"
        "1 error, 0 warnings in 1 file\n"
    )


def test_caret_stays_under_the_span_on_a_line_with_a_tab(capsys, write):
    path = write("tab.pol", CLEAN.replace("  amount 20% of 投入", "\tamount 20% of 投人 + 投入"))
    code, out, _ = run(capsys, "check", path)
    assert code == 1
    lines = out.splitlines()
    i = lines.index(next(line for line in lines if line.startswith("  15 | ")))
    shown, carets = lines[i], lines[i + 1]
    # The tab is expanded the same way on both lines, so the carets start in the cell where 投人 starts.
    assert "\t" not in shown + carets
    assert carets.index("^") == cell_len(shown[: shown.index("投人")])
    assert carets.rstrip().endswith(" ^^^^") and carets.count("^") == 4


def test_multiline_span_is_underlined_to_the_end_of_its_first_line(capsys, write):
    path = write("rounding.pol", CLEAN.replace("  rounding 0.01元 half_up\n", ""))
    code, out, _ = run(capsys, "check", path)
    assert code == 0
    assert out == (
        f"{path}:1:1: warning: the policy declares no rounding\n"
        '   1 | policy "示例" / "Example" {\n'
        "     | " + "^" * 27 + "\n"
        "  hint: add: rounding 0.01元 half_up\n"
        "\n"
        "0 errors, 1 warning in 1 file\n"
    )


# ---------------------------------------------------------------- warnings and --strict


def test_warnings_alone_exit_zero(capsys, write):
    path = write("warn.pol", WARNS)
    code, out, _ = run(capsys, "check", path)
    assert code == 0
    assert out == (
        f"{path}:17:10: warning: note I-1 has no English text\n"
        '  17 | note I-1 "只有中文"\n'
        "     |          ^^^^^^^^^^\n"
        '  hint: write it as "中文" / "English"\n'
        "\n"
        "0 errors, 1 warning in 1 file\n"
    )


def test_strict_makes_warnings_errors(capsys, write):
    path = write("warn.pol", WARNS)
    code, out, _ = run(capsys, "check", "--strict", path)
    assert code == 1
    assert out.endswith("0 errors, 1 warning in 1 file\n")


def test_several_files_are_all_checked(capsys, write):
    clean, bad = write("clean.pol", CLEAN), write("bad.pol", BAD)
    code, out, _ = run(capsys, "check", clean, bad)
    assert code == 1
    assert out == expected_bad(bad).replace("in 1 file", "in 2 files")


# ---------------------------------------------------------------- unreadable files


def test_missing_file(capsys, tmp_path):
    path = str(tmp_path / "missing.pol")
    assert run(capsys, "check", path) == (2, "", f"{path}: cannot read: no such file\n")


def test_directory(capsys, tmp_path):
    assert run(capsys, "check", str(tmp_path)) == (2, "", f"{tmp_path}: cannot read: it is a directory\n")


def test_file_that_is_not_utf8(capsys, tmp_path):
    path = tmp_path / "latin1.pol"
    path.write_bytes('# 说明\npolicy "caf\u00e9" {}\n'.encode("utf-8")[:9] + 'policy "caf\u00e9" {}\n'.encode("latin-1"))
    # where an editor shows it: line 2, column 12 (the 'é' written in Latin-1, byte 0xe9)
    assert run(capsys, "check", str(path)) == (
        2, "", f"{path}: cannot read: not UTF-8 text at line 2, column 12 (byte 0xe9); save it as UTF-8\n")
    # lines as the parser counts them (a lone \r ends one), and a byte-order mark is no column
    path.write_bytes(b"\xef\xbb\xbf# a\r# b\rpolicy \"caf\xe9\" {}\n")
    assert run(capsys, "check", str(path)) == (
        2, "", f"{path}: cannot read: not UTF-8 text at line 3, column 12 (byte 0xe9); save it as UTF-8\n")


def test_reason_is_one_line_however_long_the_path(capsys, tmp_path):
    deep = tmp_path / ("a_directory_with_a_rather_long_name_" * 3)
    deep.mkdir()
    path = str(deep / "missing.pol")
    code, _, err = run(capsys, "check", path)
    assert code == 2
    assert err == f"{path}: cannot read: no such file\n"


def test_unreadable_file_wins_over_errors_but_the_others_are_still_checked(capsys, tmp_path, write):
    bad = write("bad.pol", BAD)
    missing = str(tmp_path / "missing.pol")
    code, out, err = run(capsys, "check", bad, missing)
    assert code == 2
    assert out == expected_bad(bad).replace("in 1 file\n", "in 1 file; 1 file could not be read\n")
    assert err == f"{missing}: cannot read: no such file\n"


def test_clean_file_beside_unreadable_ones_is_summed_up_without_ok(capsys, tmp_path, write):
    clean = write("clean.pol", CLEAN)
    missing = [str(tmp_path / "missing.pol"), str(tmp_path)]
    code, out, err = run(capsys, "check", missing[0], clean, missing[1])
    assert code == 2
    assert out == "0 errors, 0 warnings in 1 file; 2 files could not be read\n"
    assert err == f"{missing[0]}: cannot read: no such file\n{missing[1]}: cannot read: it is a directory\n"


def test_no_file_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["check"])
    assert info.value.code == 2
    assert "FILE" in capsys.readouterr().err


def test_an_internal_error_is_a_message_not_a_traceback(capsys, monkeypatch, write):
    def broken(source, path):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "check_source", broken)
    code, out, err = run(capsys, "check", write("clean.pol", CLEAN))
    assert code == cli.EXIT_INTERNAL
    assert "Traceback" not in out + err
    assert err.startswith("jinjiang-dsl: internal error: RuntimeError: boom\n")


# ---------------------------------------------------------------- the real command, piped


def _plain_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE")}
    env["TERM"] = "xterm-256color"  # a colour terminal, but the output goes to a pipe
    env["COLUMNS"] = "40"  # narrower than the lines: they must not be wrapped
    return env


def test_subprocess_output_is_plain_and_exact(write):
    path = write("bad.pol", BAD)
    proc = subprocess.run(
        [sys.executable, "-m", "jinjiang_dsl.cli", "check", path],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_plain_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout + proc.stderr
    assert proc.stdout == expected_bad(path)
    assert proc.stderr == ""


def test_subprocess_exit_codes(write, tmp_path):
    def code(*argv: str) -> int:
        return subprocess.run(
            [sys.executable, "-m", "jinjiang_dsl.cli", "check", *argv],
            capture_output=True,
            env=_plain_env(),
            timeout=60,
            check=False,
        ).returncode

    assert code(write("clean.pol", CLEAN)) == 0
    assert code(write("warn.pol", WARNS)) == 0
    assert code("--strict", str(tmp_path / "warn.pol")) == 1
    assert code(str(tmp_path / "missing.pol")) == 2


def test_compile_emit_plan_lists_the_rules_in_the_order_they_apply(capsys):
    code, out, _ = run(capsys, "compile", str(POLICY), "--emit", "plan")
    assert code == 0
    rules = [line.split(". ", 1)[1].split(" ", 1)[0] for line in out.splitlines() if line.startswith("  ")]
    # the gate, the measures' own 'once', the rules across measures as written, 1.2's cap before the limit
    assert rules == ["R3", "2.1", "2.3", "4.1", "R1", "1.2", "R2"]
    assert "limit fiscal_contribution − other_municipal_subsidies per applicant per year" in out
    code, out, _ = run(capsys, "compile", str(ROOT / "policies" / "shapes" / "s07_stacking.pol"), "--emit", "plan")
    assert code == 0 and "rules: none (awards stack)" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_reader_that_goes_away_ends_the_run_quietly(fmt: str) -> None:
    # `jinjiang-dsl eval … | head`: the terminal tree (rich) ends as the JSON does, status 0, nothing on stderr
    proc = subprocess.Popen([sys.executable, "-m", "jinjiang_dsl.cli", "eval", str(ROOT / "policies" / "jinjiang_2023.pol"),
                             str(ROOT / "examples" / "applications.json"), "--format", fmt],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(200)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and err == b""


def test_a_document_writes_its_summary_file_as_a_stream_does(capsys, tmp_path: Path) -> None:
    import json

    summary, out = tmp_path / "s.json", tmp_path / "o.json"
    code, _, _ = run(capsys, "eval", str(POLICY), str(ROOT / "examples" / "applications.json"), "--summary",
                     str(summary), "-o", str(out))
    assert code == 0
    assert json.loads(summary.read_text(encoding="utf-8")) == json.loads(out.read_text(encoding="utf-8"))["summary"]


def test_fail_fast_with_a_document_is_refused_rather_than_ignored(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "eval", str(POLICY), str(ROOT / "examples" / "applications.json"), "--fail-fast",
                       "-o", str(tmp_path / "o.json"))
    assert code == 2 and not (tmp_path / "o.json").exists()
    assert "--fail-fast stops a stream (JSON Lines, CSV or Parquet) at its first error; a JSON document is " \
           "evaluated whole: leave it out" in err


def test_chinese_explanations_wrap_between_characters_not_only_at_spaces(capsys, monkeypatch) -> None:
    # rich breaks a line only at spaces, so a run of Chinese went whole to the next line: '解释 ' stood alone
    # above its text, '元' below its number, a line began with '，'. Chinese may break between characters
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "eval", str(POLICY), str(ROOT / "examples" / "applications.json"), "--format", "text")
    assert code == 0
    lines = out.splitlines()
    assert all(cell_len(line) <= 60 for line in lines)
    body = [line.lstrip("│├└─ ") for line in lines]
    assert not any(b.startswith(("，", "。", "、", "；", ":", ")", "）", "元")) for b in body), \
        [b for b in body if b.startswith(("，", "。", "、", "；", ":", ")", "）", "元"))][:5]
    assert not any(b.rstrip() in ("解释", "适用的解释:") for b in body)
    notes = [b for b in body if b.startswith("解释 I-3")]  # the legend: its text begins on the label's line
    assert notes and len(notes[0]) > len("解释 I-3:") + 5


def test_explain_text_wraps_chinese_as_eval_does(capsys) -> None:
    # explain's text is its Markdown rendered by rich, whose paragraphs broke only at spaces: '元' began a
    # line below '所列措施合计 10,000,000', and a run of Chinese went whole to the next line
    code, out, _ = run(capsys, "explain", str(POLICY), str(ROOT / "examples" / "applications.json"), "--format", "text")
    assert code == 0
    body = [line.strip("│├└─┃┏┗━┡┩ ") for line in out.splitlines()]
    starts = ("，", "。", "、", "；", ":", ")", "）", "元", ",")
    assert not any(b.startswith(starts) for b in body), [b for b in body if b.startswith(starts)][:5]
    assert all(cell_len(line) <= 120 for line in out.splitlines())  # a pipe's width


def test_a_measure_number_is_never_parted_from_its_noun_or_a_figure_from_its_unit() -> None:
    # '取最高的措施' ended a line and '1.1(1,000,000 元)' began the next
    from rich.console import Console

    from jinjiang_dsl.explain.text import Prose

    text = "[R1] 就高不重复:本项目同时符合 2 项措施,取最高的措施 1.1(1,000,000 元);不重复享受:2.2(100,000 元)"
    for width in range(24, 80):  # narrower than '施 1.1(1,000,000 元);' (21 cells), a unit is cut
        console = Console(width=width, file=io.StringIO())
        lines = [str(line) for line in Prose(text).wrap(console, width)]
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert not any(line.rstrip().endswith(("措施", "符合", "1,000,000")) for line in lines), (width, lines)
    for width in range(12, 30):  # and '200万元' stays whole
        lines = [str(line) for line in Prose("按“100万元(含)—200万元”第 2 档").wrap(Console(width=width), width)]
        assert not any(line.startswith(("元", "万")) for line in lines), (width, lines)


@pytest.mark.parametrize("trace", [[], ["--no-trace"]])
def test_eval_text_says_why_an_applicant_that_gave_no_measures_facts_has_nothing(capsys: pytest.CaptureFixture[str],
                                                                                 tmp_path: Path, trace: list[str]) -> None:
    # B has no project at all, A a project without a measure's facts: each was an empty branch or nothing
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"applicants": [{"id": "A", "projects": [{"id": "P1", "date": "2024-05-01"}]},
                                              {"id": "B", "projects": []}]}), encoding="utf-8")
    shape = ROOT / "policies" / "shapes" / "s10_instalments.pol"
    for lang, reason in (("zh", "本申请人及其项目均未提供任何措施所依据的事实。"),
                         ("en", "Neither this applicant nor any of its projects gives the facts of a measure.")):
        code, out, _ = run(capsys, "eval", str(shape), str(src), "--format", "text", "--lang", lang, *trace)
        assert code == 0
        lines = out.splitlines()
        for aid in ("A", "B"):
            head = next(i for i, line in enumerate(lines) if line.startswith(f"{aid} — "))
            assert lines[head + 1] == f"└── {reason}", lines[head:head + 3]


def test_a_document_written_as_json_lines_says_its_summary_as_a_stream_does(capsys) -> None:
    # a JSON document with --format jsonl wrote its lines and no summary anywhere; a stream's run says it on
    # standard error (unless --quiet), and the document's JSON holds it
    apps = ROOT / "examples" / "applications.json"
    code, out, err = run(capsys, "eval", str(POLICY), str(apps), "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 16
    assert err.startswith("申请人 16,输入有误 3,给予合计 4,245,000.13 元\n  2,290,000.13 元  1.1 ")
    code, out, err = run(capsys, "eval", str(POLICY), str(apps), "--format", "jsonl", "--quiet")
    assert code == 0 and err == ""


@pytest.mark.parametrize("command", ["eval", "impact"])
@pytest.mark.parametrize("jobs", ["0", "-3"])
def test_jobs_of_no_process_is_a_usage_error(capsys, command: str, jobs: str) -> None:
    # '--jobs 0' and '--jobs -3' were taken without a word (and ran on every core, or on one), where
    # '--max-projects 0' is refused: a number of worker processes is at least 1
    apps = str(ROOT / "examples" / "applications.json")
    policies = [str(POLICY)] * (2 if command == "impact" else 1)
    with pytest.raises(SystemExit) as info:
        cli.main([command, *policies, apps, "--jobs", jobs])
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == ""
    assert f"argument --jobs: expected a whole number of at least 1, got '{jobs}'" in err


@pytest.mark.parametrize("argv", [["eval", "{policy}", "{missing}.csv"], ["eval", "{policy}", "{missing}.jsonl"],
                                  ["explain", "{policy}", "{missing}.csv", "--applicant", "A"],
                                  ["impact", "{policy}", "{policy}", "{missing}.parquet"],
                                  ["eval", "{policy}", "{missing}.json"], ["check", "{missing}.pol"]])
def test_a_missing_file_is_said_in_the_same_words_by_every_command(capsys, tmp_path, argv: list[str]) -> None:
    # a stream said "cannot read: No such file or directory" (and a folder "Is a directory") where a policy or a
    # document says "cannot read: no such file" ("it is a directory"), as cli.md documents
    args = [a.format(policy=POLICY, missing=tmp_path / "nope") for a in argv]
    assert cli.main(args) == 2
    missing = next(a for a in args if "nope" in a)
    assert capsys.readouterr().err.splitlines()[-1] == f"{missing}: cannot read: no such file"
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    assert cli.main(["eval", str(POLICY), str(folder)]) == 2
    assert capsys.readouterr().err == f"{folder}: cannot read: it is a directory\n"


def test_eval_writes_the_format_its_output_file_is_named_for(capsys, tmp_path) -> None:
    # 'eval apps.jsonl -o out.parquet' wrote JSON Lines text into out.parquet (and into out.csv), which a
    # Parquet reader then refused; explain, report and impact choose their format by -o's name
    stream = tmp_path / "apps.jsonl"
    stream.write_text('{"id": "A", "kind": "enterprise"}\n', encoding="utf-8")
    assert cli.main(["eval", str(POLICY), str(stream), "--quiet", "-o", str(tmp_path / "out.csv")]) == 0
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("line,id,status,total,")
    assert cli.main(["eval", str(POLICY), str(stream), "--quiet", "-o", str(tmp_path / "out.parquet")]) == 0
    assert (tmp_path / "out.parquet").read_bytes().startswith(b"PAR1")
    assert cli.main(["eval", str(POLICY), str(stream), "--quiet", "-o", str(tmp_path / "out.json")]) == 0
    assert (tmp_path / "out.json").read_text(encoding="utf-8").startswith('{"line":1,')  # a stream gives lines
    apps = str(ROOT / "examples" / "applications.json")
    assert cli.main(["eval", str(POLICY), apps, "-o", str(tmp_path / "out.txt")]) == 0
    assert (tmp_path / "out.txt").read_text(encoding="utf-8").startswith("晋江市支持产业数字化转型升级十二条措施")
    assert cli.main(["eval", str(POLICY), apps, "--quiet", "-o", str(tmp_path / "doc.jsonl")]) == 0
    assert len((tmp_path / "doc.jsonl").read_text(encoding="utf-8").splitlines()) == 16
    assert cli.main(["eval", str(POLICY), apps, "-o", str(tmp_path / "doc.csv")]) == 2
    assert "-o " + str(tmp_path / "doc.csv") + " (a csv table) writes the decisions of a stream" in capsys.readouterr().err
    assert not (tmp_path / "doc.csv").exists()
    assert cli.main(["eval", str(POLICY), apps, "--format", "json", "-o", str(tmp_path / "doc.txt")]) == 0
    assert (tmp_path / "doc.txt").read_text(encoding="utf-8").startswith("{")  # --format decides over the name


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_eval_s_text_into_a_file_has_no_padding_at_the_ends_of_its_lines(tmp_path, lang: str) -> None:
    # the summary table's centred title ended in 33 spaces, and an English policy title wrapped after its
    # two-space separator; an auditor's diff shows such lines as changed
    out = tmp_path / "decisions.txt"
    assert cli.main(["eval", str(POLICY), str(ROOT / "examples" / "applications.json"), "--format", "text",
                     "--lang", lang, "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 300 and [line for line in lines if line.endswith(" ")] == []


@pytest.mark.parametrize("command", ["eval", "explain", "impact"])
def test_json_lines_in_a_file_named_json_is_told_what_to_do(capsys, tmp_path, command: str) -> None:
    # "apps.json: not valid JSON: Extra data at line 2, column 1", and nothing more, for a file of one applicant
    # per line (as synthetic.py writes) saved as .json; the reverse mistake was already told to give --input-format
    apps = tmp_path / "apps.json"
    apps.write_text('{"id": "A", "kind": "enterprise"}\n{"id": "B", "kind": "enterprise"}\n', encoding="utf-8")
    policies = [str(POLICY)] * (2 if command == "impact" else 1)
    assert cli.main([command, *policies, str(apps)]) == 2
    assert capsys.readouterr().err == (f"{apps}: not valid JSON: Extra data at line 2, column 1; one applicant per "
                                       "line is JSON Lines: name the file .jsonl, or give --input-format jsonl\n")
    assert cli.main(["eval", str(POLICY), str(apps), "--input-format", "jsonl", "--quiet"]) == 0
    assert capsys.readouterr().out.count('"status":"ok"') == 2


def test_report_offers_only_the_input_format_it_reads(capsys):
    # a batch report reads a JSON document; --help offered jsonl, csv and parquet, and each was refused
    with pytest.raises(SystemExit) as done:
        cli.main(["report", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "--input-format {json}" in out and "{json,jsonl" not in out
    with pytest.raises(SystemExit) as done:
        cli.main(["report", str(POLICY), "x.json", "--input-format", "csv"])
    assert done.value.code == 2 and "invalid choice: 'csv'" in capsys.readouterr().err
    # explain still reads one applicant of such a file
    with pytest.raises(SystemExit):
        cli.main(["explain", "--help"])
    assert "--input-format {json,jsonl,csv,parquet}" in capsys.readouterr().out
