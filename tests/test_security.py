"""Hostile input: one named regression test for each reproduction of the hostile-input issue.

Policies and applications come from outside (docs/security.md). Each test below is a way the
tool once broke its promises — ran a policy's text as code, hung on a tiny input, lost or
silently changed a line, wrote through its own input — and shows that it no longer does.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from jinjiang_dsl import batch, load_policy
from jinjiang_dsl.api import check_source
from jinjiang_dsl.cli import main
from jinjiang_dsl.compile import _pieces, generate
from jinjiang_dsl.output import Output, remembering_interrupts

ROOT = Path(__file__).resolve().parents[1]
JINJIANG = ROOT / "policies" / "jinjiang_2023.pol"


@contextlib.contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """Fail instead of hanging: a guard against a run that never ends, not a speed target."""

    def stop(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def quoted(text: str) -> str:
    """A text as a policy writes it between double quotes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def small_policy(title: str = "测试", label: str = "至少一个", extra: str = "", cap: str = "100万",
                 measure_id: str = "1.1", requires: str = "n >= 1") -> str:
    return f"""policy "小政策" / "small" {{
  issued 2023-04-23
  in force from 2023-05-01 to 2024-12-31
  dated by date
  currency 元
  rounding 0.01元 half_up
}}
project {{
  date: date "日期" / "date"
  spend: money "投入" / "spend"
  n: count "数量" / "n"
}}
{extra}
measure {measure_id} {quoted(title)} / "t" {{
  clause 一(一)
  quote "q"
  requires {requires} {quoted(label)} / "label"
  amount 20% of spend, at most {cap}
}}
"""


APPLICATION = {"applicants": [{"id": "A", "projects": [{"id": "P", "date": "2023-06-01", "spend": "100", "n": 2}]}]}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def eval_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    status = main(["eval", *args, "--format", "json"])
    out, err = capsys.readouterr()
    return status, json.loads(out) if out.strip() else None, err


# ---------------------------------------------------------------- 1. a policy can run arbitrary Python


@pytest.mark.parametrize("title", [
    '"""+__import__(\'os\').system(\'touch {sentinel}\')+"""',
    "'''+__import__('os').system('touch {sentinel}')+'''",
    "x\n__import__('os').system('touch {sentinel}')\n",
    "C:\\Users\\{sentinel}",
    '"""',
    "\\N{{DIGIT ONE}}",
])
def test_policy_text_never_runs_as_code(title: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sentinel = tmp_path / "PWNED"
    title = title.format(sentinel=sentinel)
    pol = write(tmp_path, "p.pol", small_policy(title=title, label=title))
    app = write(tmp_path, "a.json", json.dumps(APPLICATION))
    assert check_source(pol.read_text(encoding="utf-8")) == []
    status, out, err = eval_json(capsys, str(pol), str(app))
    assert status == 0, err
    assert out["applicants"][0]["total"] == "20.00"
    assert not sentinel.exists()


def test_a_label_with_an_escaped_newline_stays_a_comment(tmp_path: Path) -> None:
    sentinel = tmp_path / "PWNED"
    label = f"x\nimport os; os.system('touch {sentinel}')"
    policy = load_policy(write(tmp_path, "p.pol", small_policy(label=label)))
    source = generate(policy.plan)
    assert "\nimport os" not in source
    assert policy.evaluate(APPLICATION).applicants[0].total == Decimal("20.00")
    assert not sentinel.exists()


@pytest.mark.parametrize("name", ['q"uote.pol', "new\nline.pol", 'tri"""ple.pol', "back\\slash.pol"])
def test_the_policy_file_name_never_becomes_code(name: str, tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, name, small_policy()))
    assert policy.evaluate(APPLICATION).applicants[0].total == Decimal("20.00")
    compile(generate(policy.plan), "<test>", "exec")


def test_generated_code_has_no_import_open_or_eval(tmp_path: Path) -> None:
    from jinjiang_dsl.compile import BUILTINS, load

    namespace = load(load_policy(write(tmp_path, "p.pol", small_policy())).plan)
    assert namespace["__builtins__"] is BUILTINS
    # pure functions of their arguments: nothing that imports, opens, evaluates or reaches an attribute by name
    assert set(BUILTINS) == {"bool", "frozenset", "KeyError", "enumerate", "id", "len", "list", "max", "min", "set",
                             "sum", "tuple", "zip"}


# ---------------------------------------------------------------- 2. tiny inputs hang the tool

HUGE_EXPONENT = ('{"applicants": [{"id": "X", "kind": "provider", "projects": [{"id": "p", "date": "2023-06-01", '
                 '"sme_adopters": 1e999999999}]}]}')


def test_a_huge_exponent_is_an_input_error_not_a_billion_digit_integer(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    app = write(tmp_path, "a.json", HUGE_EXPONENT)
    with no_hang():
        status, out, _ = eval_json(capsys, str(JINJIANG), str(app))
    assert status == 0
    (error,) = out["applicants"][0]["errors"]
    assert error == ("applicants[0].projects[0].sme_adopters: expected a whole number, got 1E+999999999 "
                     "(applicant X, project p)")


@pytest.mark.parametrize("zeros", [60_000, 1_000_000])
def test_a_money_string_of_a_million_zeros_is_refused_on_its_length(zeros: int) -> None:
    policy = load_policy(JINJIANG)
    record = {"id": "X", "kind": "enterprise", "fiscal_contribution": "1." + "0" * zeros, "projects": []}
    with no_hang(10):
        decision = policy.evaluate_applicant(record)
    assert decision.status == "error"
    (error,) = decision.errors
    assert error.startswith("applicants[0].fiscal_contribution: not an amount: '1.00000")
    assert f"({zeros + 2} characters)" in error and len(error) < 200


# ---------------------------------------------------------------- 3. one bad value aborts a batch


def test_bad_numbers_are_error_lines_and_the_batch_goes_on(tmp_path: Path) -> None:
    good = {"id": "G", "kind": "enterprise", "manufacturer": True, "fiscal_contribution": "10000000",
            "projects": [{"id": "p", "date": "2023-06-01", "mis_software_spend": "600000"}]}
    lines = [json.dumps(dict(good, id=f"G{i}")) for i in range(3001)]
    lines[100] = '{"id": "B1", "kind": "provider", "projects": [{"id": "p", "date": "2023-06-01", ' \
                 '"sme_adopters": ' + "9" * 5000 + "}]}"
    lines[2500] = '{"id": "B2", "kind": "provider", "projects": [{"id": "p", "date": "2023-06-01", ' \
                  '"sme_adopters": 1e5000}]}'
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with no_hang():
        assert main(["eval", str(JINJIANG), str(src), "-o", str(out), "--jobs", "1", "--quiet"]) == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in results] == list(range(1, 3002))
    assert results[100]["errors"][0].startswith("line 101: $.projects[0].sme_adopters: the number 99999")
    assert results[100]["errors"][0].endswith("…(5000 characters) is out of range (applicant B1, project p)")
    assert results[2500]["errors"] == ["line 2501: $.projects[0].sme_adopters: expected a whole number, got 1E+5000 "
                                       "(applicant B2, project p)"]
    assert sum(r["status"] == "ok" for r in results) == 2999


@pytest.mark.parametrize("cell", ["①", "²", "１０", "٣"])
def test_a_csv_count_in_other_digits_is_an_input_error(cell: str, tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_text("applicant_id,kind,fiscal_contribution,project_id,date,sme_adopters\n"
                   f"A1,provider,1000000,p1,2023-06-01,{cell}\nA2,provider,1000000,p1,2023-06-01,12\n",
                   encoding="utf-8")
    assert main(["eval", str(JINJIANG), str(src), "-o", str(out), "--quiet"]) == 0
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["errors"] == [f"line 2: $.projects[0].sme_adopters: expected a whole number, got '{cell}' "
                               "(applicant A1, project p1)"]
    assert second["status"] == "ok"


# ---------------------------------------------------------------- 4. -o naming the input empties it


@pytest.mark.parametrize("which", ["applications", "policy"])
def test_output_naming_an_input_is_refused_and_the_input_kept(which: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(APPLICATION["applicants"][0]) + "\n", encoding="utf-8")
    policy = write(tmp_path, "p.pol", small_policy())
    before = {p: p.read_bytes() for p in (src, policy)}
    target = src if which == "applications" else policy
    assert main(["eval", str(policy), str(src), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err == f"jinjiang-dsl: {target}: refusing to overwrite an input of this run; name another output\n"
    assert {p: p.read_bytes() for p in (src, policy)} == before


def test_output_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps(APPLICATION["applicants"][0]) + "\n", encoding="utf-8")
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o640)
    assert main(["eval", str(write(tmp_path, "p.pol", small_policy())), str(src), "-o", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["total"] == "20.00"
    assert out.stat().st_mode & 0o777 == 0o640
    assert glob.glob(str(tmp_path / ".*.part")) == []


# ---------------------------------------------------------------- 5. a bad byte mid-stream truncates the output


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_bad_byte_is_the_error_of_its_line_and_nothing_else(jobs: str, tmp_path: Path) -> None:
    record = json.dumps(APPLICATION["applicants"][0])
    lines = [record.replace('"A"', f'"A{i}"').encode() for i in range(3000)]
    lines[1999] = lines[1999].replace(b'"A1999"', b'"A1\xff999"')
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\n".join(lines) + b"\n")
    assert main(["eval", str(write(tmp_path, "p.pol", small_policy())), str(src), "-o", str(out), "--jobs", jobs,
                 "--quiet"]) == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(results) == 3000
    assert results[1999]["errors"] == ["line 2000: not UTF-8 text (byte 11 of the line is 0xff)"]
    assert all(r["status"] == "ok" for i, r in enumerate(results) if i != 1999)


# ---------------------------------------------------------------- 6. Ctrl-C during --jobs 2


@pytest.mark.parametrize(("engine", "delay"), [("python", 0.0), ("python", 0.3), ("duckdb", 0.3), ("duckdb", 1.0)],
                         ids=["while the workers start", "while they work", "while DuckDB screens",
                              "while DuckDB decides"])
def test_ctrl_c_stops_quietly_and_leaves_no_half_file(engine: str, delay: float, tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(synthetic.lines(60_000, seed=3, broken_share=0.0)), encoding="utf-8")
    out.write_text("the previous result\n", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "jinjiang_dsl.cli", "eval", str(JINJIANG), str(src), "-o", str(out),
                             "--jobs", "2", "--quiet", "--engine", engine, "--no-trace"], stderr=subprocess.PIPE,
                            start_new_session=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not glob.glob(str(tmp_path / ".out.jsonl.*.part")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: to the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.decode() == f"jinjiang-dsl: interrupted; {out} was not written\n"
    assert out.read_text(encoding="utf-8") == "the previous result\n"
    assert glob.glob(str(tmp_path / ".*.part")) == []


class _CtrlCInFinalizer:
    """Presses Ctrl-C while Python finalizes it: the KeyboardInterrupt is raised inside ``__del__``,
    where Python prints "Exception ignored" and drops it, as it can in multiprocessing's finalizers."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))  # bytecode, so the handler runs here and not after the finalizer


def _lose_a_ctrl_c() -> bool:
    _CtrlCInFinalizer()
    return True  # reached: the exception was lost


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the lost exception
def test_a_ctrl_c_lost_in_a_finalizer_still_leaves_the_output_unwritten(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("the previous result\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), remembering_interrupts(), Output(str(out)) as written:
        written.write("half of a result\n")
        assert _lose_a_ctrl_c()
    assert out.read_text(encoding="utf-8") == "the previous result\n"
    assert glob.glob(str(tmp_path / ".*.part")) == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the lost exception
def test_a_ctrl_c_lost_in_a_finalizer_stops_a_stream_at_the_next_chunk() -> None:
    policy = load_policy(JINJIANG)
    line = json.dumps({"id": "E1", "projects": []})

    def items() -> Iterator[batch.Item]:
        for n in range(1, 3 * batch.CHUNK):
            if n == 2:
                assert _lose_a_ctrl_c()
            yield batch.Item(n, text=line)

    written: list[str] = []
    with pytest.raises(KeyboardInterrupt), remembering_interrupts():
        batch.run(policy, items(), written.append)
    assert written == []  # the first chunk was never handed on


# ---------------------------------------------------------------- 7. Markdown reports let input inject markup

EVIL = "x\n# Owned <script>alert(1)</script><img src=x onerror=alert(1)> `code` | cell [a](http://e) **b**"


def test_markdown_escapes_everything_from_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"applicants": [{"id": EVIL, "name": EVIL, "projects": [{"id": EVIL, "date": "2023-06-01", "spend": "100",
                                                                   "n": 2}]}]}
    app = write(tmp_path, "a.json", json.dumps(doc))
    report = tmp_path / "r.md"
    assert main(["report", str(write(tmp_path, "p.pol", small_policy(title=EVIL))), str(app), "-o", str(report),
                 "--format", "md"]) == 0
    html = MarkdownIt("commonmark").enable("table").render(report.read_text(encoding="utf-8"))
    for forbidden in ("<script", "<img", "<code>code", '<a href', "<strong>b", "<h1>Owned", "<h2>Owned", "<h3>Owned"):
        assert forbidden not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for table in html.split("<table>")[1:]:  # "|" never splits a cell: every row has the header's cells
        header, *rows = table.split("</table>")[0].split("<tr>")[1:]
        assert all(row.count("<td") == header.count("<th") for row in rows)


def test_html_pages_show_input_s_controls_and_bidirectional_overrides_as_escapes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the HTML report and impact page escaped markup, but an id's U+202E reordered it on the page (an id ending
    # "\u202e321" read "123") and an escape character reached the page as it was
    spoof, title = "E\u202e321", "标题\x1b[2J\u2066"
    doc = {"applicants": [{"id": spoof, "name": f"<b>{spoof}", "projects": [
        {"id": "P\x1b", "date": "2023-06-01", "spend": "100", "n": 2}]}]}
    app, old = write(tmp_path, "a.json", json.dumps(doc)), write(tmp_path, "old.pol", small_policy(title=title))
    new = write(tmp_path, "new.pol", small_policy(title=title, cap="10"))
    pages = [tmp_path / "r.html", tmp_path / "i.html"]
    assert main(["report", str(old), str(app), "-o", str(pages[0])]) == 0
    assert main(["impact", str(old), str(new), str(app), "--format", "html", "-o", str(pages[1])]) == 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not {"\x1b", "\u202e", "\u2066"} & set(text)
        assert "\\x1b[2J\\u2066" in text and "<b>" not in text
        assert {"script", "img", "b", "iframe"}.isdisjoint(tag.lower() for tag in re.findall(r"<([A-Za-z]\w*)", text))
    assert "E\\u202e321" in pages[0].read_text(encoding="utf-8")


# ---------------------------------------------------------------- 8. terminal escape codes pass through


@pytest.mark.parametrize("command", ["eval", "explain"])
def test_terminal_output_never_carries_escape_codes_from_input(command: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    name = "\x1b[2J\x1b]0;owned\x07\u202eevil"
    doc = {"applicants": [{"id": "A", "name": name, "projects": [{"id": "P\x1b[8m", "date": "2023-06-01",
                                                                  "spend": "100", "n": 2}]}]}
    app = write(tmp_path, "a.json", json.dumps(doc))
    args = [command, str(write(tmp_path, "p.pol", small_policy())), str(app), "--format", "text"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b[2J\\x1b]0;owned\\x07\\u202eevil" in out


FORMULAS = ["=HYPERLINK(\"http://e\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tP", "\rQ", "'kept"]


def test_csv_tables_never_hand_a_spreadsheet_a_formula(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an applicant's id "=HYPERLINK(…)" was written as it is, a formula for the spreadsheet a CSV is made for
    lines = [json.dumps({"id": f, "projects": [{"id": f, "date": "2023-06-01", "spend": "100", "n": 2}]})
             for f in FORMULAS]
    app, table, register = write(tmp_path, "a.jsonl", "\n".join(lines) + "\n"), tmp_path / "t.csv", tmp_path / "r.db"
    pol = str(write(tmp_path, "p.pol", small_policy()))
    assert main(["eval", pol, str(app), "--format", "csv", "-o", str(table), "--quiet"]) == 0
    assert main(["eval", pol, str(app), "--register", str(register), "--quiet", "-o", str(tmp_path / "o.jsonl")]) == 0
    capsys.readouterr()
    assert main(["register", "export", "--format", "csv", "--register", str(register)]) == 0
    for rows, columns in ((list(csv.DictReader(table.open(encoding="utf-8", newline=""))), ("id", "project")),
                          (list(csv.DictReader(io.StringIO(capsys.readouterr().out, newline=""))),
                           ("applicant", "project"))):
        for column in columns:  # a leading ' keeps each a text, and dropping it gives the value back
            assert [r[column] for r in rows] == ["'" + f for f in FORMULAS]


# ---------------------------------------------------------------- 9. records are silently altered


def test_a_key_given_twice_is_an_error_not_a_choice() -> None:
    policy = load_policy(JINJIANG)
    text = ('{"applicants": [{"id": "E", "kind": "enterprise", "fiscal_contribution": "100", '
            '"fiscal_contribution": "5000000", "projects": []}]}')
    (decision,) = policy.evaluate(text).applicants
    assert decision.errors == ("applicants[0].fiscal_contribution: given more than once; which value is meant is "
                               "unclear (applicant E)",)


def test_applicants_given_twice_is_a_document_error() -> None:
    from jinjiang_dsl.inputs import DocumentError

    with pytest.raises(DocumentError, match='"applicants" is given twice'):
        load_policy(JINJIANG).evaluate('{"applicants": [], "applicants": []}')


def csv_results(tmp_path: Path, text: str) -> list[dict[str, Any]]:
    src, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_text(text, encoding="utf-8")
    assert main(["eval", str(JINJIANG), str(src), "-o", str(out), "--quiet"]) == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_a_column_named_twice_in_a_csv_header_is_an_error(tmp_path: Path) -> None:
    (result,) = csv_results(tmp_path, "applicant_id,kind,fiscal_contribution,project_id,date,fiscal_contribution\n"
                                      "A,enterprise,100,p,2023-06-01,5000000\n")
    assert result["errors"] == ["line 1: column 6 'fiscal_contribution' repeats column 3; which one holds the "
                                "value is unclear (applicant A)"]


def test_csv_rows_of_one_applicant_that_disagree_are_an_error(tmp_path: Path) -> None:
    results = csv_results(tmp_path, "applicant_id,kind,fiscal_contribution,project_id,date,cloud_service_fee\n"
                                    "A,enterprise,100,p1,2023-06-01,60000\n"
                                    "A,enterprise,5000000,p2,2023-06-01,60000\n"
                                    "A,enterprise,,p3,2023-06-01,60000\n")
    (result,) = results
    assert result["line"] == 2 and result["status"] == "error"
    assert result["errors"] == [  # each an error of its own, at its path and naming the applicant (they were one)
        "line 3: $.fiscal_contribution: column 'fiscal_contribution' is '5000000' here but '100' on line 2, the "
        "applicant's first row (applicant A)",
        "line 4: $.fiscal_contribution: column 'fiscal_contribution' is empty here but '100' on line 2, the "
        "applicant's first row (applicant A)"]


# ---------------------------------------------------------------- 10. write failures are internal errors


@pytest.mark.parametrize("target, status, reason", [
    ("/dev/full", 1, "/dev/full: cannot write: No space left on device"),
    ("{tmp}/missing/out.jsonl", 2, "{tmp}/missing/out.jsonl: cannot write: the folder {tmp}/missing does not exist"),
    ("{tmp}", 2, "{tmp}: cannot write: it is a directory"),
])
@pytest.mark.parametrize("option", ["-o", "--summary"])
def test_write_failures_are_one_line(target: str, status: int, reason: str, option: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    if target == "/dev/full" and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(APPLICATION["applicants"][0]) + "\n", encoding="utf-8")
    target, reason = target.format(tmp=tmp_path), reason.format(tmp=tmp_path)
    other = ["-o", str(tmp_path / "out.jsonl")] if option == "--summary" else []
    assert main(["eval", str(write(tmp_path, "p.pol", small_policy())), str(src), option, target, *other,
                 "--quiet"]) == status
    assert capsys.readouterr().err == f"jinjiang-dsl: {reason}\n"


# ---------------------------------------------------------------- 11. policies that pass check crash eval


def located(source: str) -> list[tuple[int, int, str]]:
    return [(d.span.line, d.span.column, d.message) for d in check_source(source, "p.pol") if d.is_error]


def test_a_hundred_anded_conditions_are_a_located_error() -> None:
    source = small_policy(requires=" and ".join(["n >= 1"] * 100))
    assert located(source) == [(17, 12, "this expression nests more than 48 levels deep, counting the definitions "
                                        "it uses")]


def test_forty_anded_conditions_evaluate(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, "p.pol", small_policy(requires=" and ".join(["n >= 1"] * 40))))
    assert policy.evaluate(APPLICATION).applicants[0].total == Decimal("20.00")


def test_two_hundred_and_ten_terms_are_a_located_error() -> None:
    source = small_policy(requires=" + ".join(["n"] * 210) + " >= 1")
    assert located(source) == [(17, 12, "this nests more than 120 levels deep (an expression may nest at most 48)")]


def test_definitions_that_double_are_refused_before_they_are_expanded() -> None:
    defines = "\n".join(["define d0 = spend", *(f"define d{i} = d{i - 1} + d{i - 1}" for i in range(1, 40))])
    with no_hang(10):
        errors = located(small_policy(extra=defines).replace("20% of spend", "20% of d39"))
    assert errors == [  # d10 is the first to hold more than 2000 terms; the later ones are not reported again
        (23, 14, "this expression holds more than 2000 names, numbers and operators, counting the definitions it uses"),
        (57, 10, "this expression nests more than 48 levels deep, counting the definitions it uses")]


def test_a_cap_of_ten_to_the_thirty_wan_is_a_located_error() -> None:
    assert located(small_policy(cap="1" + "0" * 30 + "万")) == [
        (18, 32, "'" + "1" + "0" * 30 + "万' is too large: numbers in a policy are below 10^15")]


def test_a_five_thousand_digit_measure_id_is_a_located_error() -> None:
    assert located(small_policy(measure_id="1" * 5000)) == [(14, 1, "a measure number of 5000 characters; at most 24")]


def test_a_measure_of_too_many_parts_is_a_located_error() -> None:
    source = small_policy().replace("  amount 20% of spend", "".join(f"  requires n >= {i}\n" for i in range(300))
                                    + "  amount 20% of spend")
    assert located(source) == [(273, 3, "301 requirements; a measure may have at most 256")]


def test_two_hundred_and_fifty_six_overrides_compile_flat(tmp_path: Path) -> None:
    overrides = "".join(f"  when n >= {i + 3}: {i % 50 + 21}%\n" for i in range(256))
    source = small_policy().replace("  amount 20% of spend, at most 100万\n", "  amount 20% of spend, at most 100万\n"
                                    + overrides)
    policy = load_policy(write(tmp_path, "p.pol", source))
    assert max(len(line) - len(line.lstrip()) for line in generate(policy.plan).splitlines()) <= 24
    assert policy.evaluate(APPLICATION).applicants[0].total == Decimal("20.00")


def test_a_table_of_thousands_of_overlapping_bands_reports_each_band_once() -> None:
    bands = "".join(f"    {i}元以上: {i}元\n" for i in range(256))
    source = small_policy().replace("amount 20% of spend, at most 100万", "amount bands on spend {\n" + bands + "  }")
    with no_hang(10):
        errors = located(source)
    assert len(errors) == 255
    assert errors[0] == (20, 5, "tier [1, ∞) overlaps tier [0, ∞) (line 19) on [1, ∞)")
    assert errors[-1] == (274, 5, "tier [255, ∞) overlaps tier [0, ∞) (line 19) on [255, ∞)")


def test_full_width_digits_in_a_policy_get_a_hint() -> None:
    (d,) = check_source(small_policy(measure_id="１.1"), "p.pol")
    assert (d.span.line, d.span.column, d.message, d.hint) == (
        14, 9, "unexpected character '１'", "numbers are written with the digits 0-9: write '1'")


# ---------------------------------------------------------------- 12. memory grows without bound


def test_an_applicant_with_too_many_projects_is_an_error_without_evaluating_them() -> None:
    policy = load_policy(JINJIANG)
    record = {"id": "X", "kind": "enterprise", "projects": [{"id": f"p{i}"} for i in range(1001)]}
    decision = policy.evaluate_applicant(record)
    assert decision.errors == ("applicants[0].projects: 1,001 projects; an applicant may have at most 1,000 "
                               "(--max-projects) (applicant X)",)


def test_the_project_limit_is_set_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"applicants": [{"id": "A", "projects": [{"id": f"p{i}", "date": "2023-06-01", "spend": "100", "n": 2}
                                                   for i in range(3)]}]}
    app = write(tmp_path, "a.json", json.dumps(doc))
    status, out, _ = eval_json(capsys, str(write(tmp_path, "p.pol", small_policy())), str(app), "--max-projects", "2")
    assert status == 0
    assert out["applicants"][0]["errors"] == ["applicants[0].projects: 3 projects; an applicant may have at most 2 "
                                              "(--max-projects) (applicant A)"]


@pytest.mark.parametrize("unknown", [False, True], ids=["rows", "rows with an unknown column"])
def test_a_csv_applicant_over_the_project_bound_is_read_in_bounded_memory(unknown: bool) -> None:
    # 2,000,000 rows of one applicant took 1.26 GB (Python engine) and 1.98 GB (DuckDB): every row was kept once
    # the bound was passed, and every row's problem. Now rows past the bound are counted, not kept, and so are
    # the problems past the first hundred; the message still says how many there were
    policy = load_policy(JINJIANG)
    extra = ",x" if unknown else ""
    data = (f"applicant_id,kind,project_id,date{extra}\n"
            + "".join(f"BIG,enterprise,P{i},2023-08-15{',1' if unknown else ''}\n" for i in range(50_000))
            + f"Z,enterprise,P,2023-08-15{extra}\n").encode()
    tracemalloc.start()
    try:
        big, after = batch.read_csv(batch.csv_text(io.BytesIO(data)), policy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 << 20, f"{peak:,} bytes"  # the rows and problems kept took 15-20 MB
    assert (big.line, big.record["projects"], after.line) == (2, [], 50_002)
    errors = batch.read_item(policy, big)[1].errors  # type: ignore[union-attr]
    assert errors[0] == ("line 2: $.projects: 50,000 projects; an applicant may have at most 1,000 "
                         "(--max-projects) (applicant BIG)")
    assert len(errors) == 1  # its projects are not read, an unknown column's cells among them, as in JSON


def test_a_csv_applicant_over_the_project_bound_is_one_error_line_in_both_engines(tmp_path: Path) -> None:
    table = write(tmp_path, "in.csv", "applicant_id,kind,project_id,date,cloud_service_fee\n"
                  + "".join(f"A,enterprise,p{i},2023-06-01,-{i}\n" for i in range(5)) + "B,enterprise,p,2023-06-01,\n")
    written = []
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.jsonl"
        assert main(["eval", str(JINJIANG), str(table), "-o", str(out), "--quiet", "--no-trace", "--engine", engine,
                     "--max-projects", "3"]) == 0
        written.append(out.read_text(encoding="utf-8"))
    assert written[0] == written[1]
    a, b = (json.loads(line) for line in written[0].splitlines())
    assert a["errors"] == ["line 2: $.projects: 5 projects; an applicant may have at most 3 (--max-projects) "
                           "(applicant A)"]  # the projects past the bound are not read: their money goes unsaid
    assert (b["line"], b["status"]) == (7, "ok")


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_an_id_or_a_name_over_its_bound_is_an_error_at_its_path_on_both_engines(tmp_path: Path, suffix: str) -> None:
    # a 5,000-character applicant id was accepted, and written into every row and message about it
    import duckdb

    def project(pid: str) -> dict[str, Any]:
        return {"id": pid, "date": "2023-06-01", "spend": "100", "n": 2}

    records = [{"id": "E" * 5000, "name": "甲", "projects": [project("P")]},
               {"id": "B", "name": "乙", "projects": [project("P" * 129)]},
               {"id": "C", "name": "名" * 257, "projects": [project("P")]},
               {"id": "D" * 128, "name": "名" * 256, "projects": [project("P" * 128)]},  # at the bounds: decided
               {"id": "F", "name": "名" * 256, "projects": [project("P")]}]  # its JSON text \u540d…: 1,538 characters
    src = write(tmp_path, "in.jsonl", "".join(json.dumps(r, ensure_ascii=i == 4) + "\n" for i, r in enumerate(records)))
    if suffix == "parquet":  # typed text columns, which the native path's screen reads by their values
        duckdb.sql(f"COPY (SELECT * FROM read_json('{src}')) TO '{tmp_path / 'in.parquet'}' (FORMAT parquet)")
        src = tmp_path / "in.parquet"
    from streams import both_engines

    results = both_engines(tmp_path, src, policy=str(write(tmp_path, "p.pol", small_policy())))
    assert [r["id"] for r in results] == [r["id"] for r in records]  # kept whole, never cut
    assert [r["errors"] for r in results] == [
        ["line 1: $.id: an id of 5,000 characters; an id has at most 128 (applicant " + "E" * 40 + "…(5000 characters))"],
        ["line 2: $.projects[0].id: an id of 129 characters; an id has at most 128 (applicant B, project "
         + "P" * 40 + "…(129 characters))"],
        ["line 3: $.name: a name of 257 characters; a name has at most 256 (applicant C)"],
        [], []]
    assert [r["status"] for r in results[3:]] == ["ok", "ok"]


def test_a_stream_of_overlong_ids_is_written_in_bounded_memory() -> None:
    # every applicant id of a stream was kept to find repeated ones, an error's too: 300 lines of 1 MB ids held
    # 464 MB. An id over the bound is an error wherever it stands, so no later line can repeat it as a valid one
    written: list[int] = []
    emitted = batch.Emitted(lambda text: written.append(len(text)))
    tracemalloc.start()
    try:
        for n in range(1, 41):
            aid = f"{n}" + "x" * 1_000_000
            emitted.emit(batch.error_result(n, aid, [f"line {n}: $.id: an id of {len(aid):,} characters"]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(written) == 40 and min(written) > 1_000_000  # each line written whole, its id uncut
    assert peak < 10_000_000  # a few lines' worth, not forty


def test_duckdb_s_native_path_carries_overlong_ids_in_bounded_memory(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # 300 lines of 1 MB ids took 3.1 GB with DuckDB's engine (the Python engine's: 221 MB): the lines the Python
    # engine decides were copied for it, fetched 2,048 at a time, their output copied again and sorted whole, and
    # every id kept in the tables that find repeated ones. Now they are fetched and written in slices of about
    # FETCH_BYTES, their text held once in DuckDB (the part as read, and its output), an overlong id nowhere
    from streams import both_engines

    from jinjiang_dsl.sql import native

    source = tmp_path / "ids.jsonl"
    source.write_text("".join(json.dumps({"id": f"{n}" + "E" * 1_000_000, "kind": "enterprise", "projects": []}) + "\n"
                              for n in range(30)))
    monkeypatch.setattr(native, "FETCH_BYTES", 1 << 20)  # a slice of a line or two
    held: list[int] = []
    write = native.Native.write

    def measured(self: native.Native, *args: Any) -> None:
        write(self, *args)
        held.append(self.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory() "
                                     "WHERE tag = 'OVERFLOW_STRINGS'").fetchone()[0])

    monkeypatch.setattr(native.Native, "write", measured)
    peaks = native_peaks(monkeypatch)
    results = both_engines(tmp_path, source)  # byte for byte alike
    assert [r["status"] for r in results] == ["error"] * 30 and len(results[0]["id"]) == 1_000_001
    assert held and max(held) < 2.5 * source.stat().st_size  # the part as read and its output: twice the file (was 7 times)
    assert peaks and max(peaks) < 80_000_000  # the reader's 8 MB blocks and a few slices (212 MB: every line, many times)


def overlong_ids_parquet(tmp_path: Path) -> Path:
    """40 rows whose ids are a million characters and more: each an input error, each to be written whole."""
    import duckdb

    source = tmp_path / "ids.parquet"
    duckdb.execute(f"COPY (SELECT i::VARCHAR || repeat('E', 1000000) AS id, 'enterprise' AS kind FROM range(40) t(i)) "
                   f"TO '{source}' (FORMAT parquet)")
    return source


def native_peaks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The peak of Python's allocations during each run of DuckDB's native path, appended as each ends."""
    from jinjiang_dsl.sql import native

    peaks: list[int] = []
    run = native.run

    def traced(*args: Any, **kwargs: Any) -> batch.Tally:
        tracemalloc.start()
        try:
            return run(*args, **kwargs)
        finally:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    monkeypatch.setattr(native, "run", traced)
    return peaks


def test_a_parquet_file_of_overlong_ids_is_read_and_chunked_in_bounded_memory(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # 100 rows of 1 MB ids took 682 MB with the Python engine: the reader fetched 4,096 rows at once, and a chunk
    # for the workers counted only a JSON line's text, so a Parquet row's 1 MB id counted nothing (1,024 rows a chunk)
    source = overlong_ids_parquet(tmp_path)
    monkeypatch.setattr(batch, "CHUNK_BYTES", 4 << 20)
    tracemalloc.start()
    try:
        sizes = [len(chunk) for chunk in batch._chunks(batch.read_parquet(str(source)), batch.CHUNK)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sum(sizes) == 40 and max(sizes) <= 5  # about CHUNK_BYTES of ids a chunk, not the whole file
    assert peak < 30_000_000  # the first 16 rows, then a chunk's worth at a time (was 40 MB: every row at once)


def test_duckdb_s_native_path_fetches_parquet_rows_of_overlong_ids_in_bounded_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 100 rows of 1 MB ids took 1.76 GB with DuckDB's engine: the rows the Python engine decides were fetched
    # 2,048 at a time, the whole file at once. Now as many as hold about CHUNK_BYTES of text (batch.fetched)
    from streams import both_engines

    from jinjiang_dsl.sql import native

    source = overlong_ids_parquet(tmp_path)
    monkeypatch.setattr(batch, "CHUNK_BYTES", 2 << 20)
    monkeypatch.setattr(native, "FETCH_BYTES", 2 << 20)  # the output written a few lines at a time
    peaks = native_peaks(monkeypatch)
    results = both_engines(tmp_path, source)  # byte for byte alike
    assert [r["status"] for r in results] == ["error"] * 40 and len(results[0]["id"]) == 1_000_001
    assert peaks and max(peaks) < 125_000_000  # was 250 MB: every row fetched at once, then decided


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_a_text_fact_over_its_bound_is_an_error_at_its_path_on_both_engines(tmp_path: Path, suffix: str) -> None:
    # a text input's value of 100,000 characters was quoted whole in every sentence of the explanation about it
    import duckdb

    def record(aid: str, region: str) -> dict[str, Any]:
        return {"id": aid, "projects": [{"id": "P", "date": "2023-06-01", "spend": "100", "n": 2, "region": region}]}

    records = [record("A", "区" * 257), record("B", "区" * 256), record("C", "区" * 256)]
    src = write(tmp_path, "in.jsonl", "".join(json.dumps(r, ensure_ascii=i == 2) + "\n" for i, r in enumerate(records)))
    if suffix == "parquet":  # a typed text column, which the native path's screen reads by its values
        duckdb.sql(f"COPY (SELECT * FROM read_json('{src}')) TO '{tmp_path / 'in.parquet'}' (FORMAT parquet)")
        src = tmp_path / "in.parquet"
    from streams import both_engines

    policy = write(tmp_path, "p.pol", small_policy(requires='n >= 1 and region != "x"'
                                                   ).replace("  n: count", '  region: text "地区" / "region"\n  n: count'))
    results = both_engines(tmp_path, src, policy=str(policy))
    assert results[0]["errors"] == ["line 1: $.projects[0].region: a text of 257 characters; a text has at most 256 "
                                    "(applicant A, project P)"]
    assert [r["status"] for r in results[1:]] == ["ok", "ok"]  # at the bound, written plainly or escaped


def test_a_record_nested_past_its_bound_is_an_error_line_and_the_batch_is_recorded(tmp_path: Path,
                                                                                   capsys: Any) -> None:
    # a line nesting 500 lists in an unknown field was decided (an error), but recording it in the register
    # ended in 'internal error: RecursionError' and recorded nothing: the register's copy of the record recursed
    def line(depth: int) -> str:  # a record nesting `depth` levels: its object, then lists
        return '{"id": "A", "x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}\n"

    src = write(tmp_path, "in.jsonl", line(500) + line(64).replace('"A"', '"B"') + json.dumps(
        APPLICATION["applicants"][0]).replace('"A"', '"C"') + "\n")
    policy, register = write(tmp_path, "p.pol", small_policy()), tmp_path / "r.sqlite"
    written = []
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.jsonl"
        recording = ["--register", str(register)] if engine == "python" else []
        assert main(["eval", str(policy), str(src), "-o", str(out), "--quiet", "--no-trace", "--engine", engine,
                     *recording]) == 0
        written.append(out.read_text(encoding="utf-8"))
    assert written[0] == written[1]
    results = [json.loads(line) for line in written[0].splitlines()]
    assert results[0]["errors"] == ["line 1: nested more than 64 levels deep (a record may nest at most 64)"]
    assert results[1]["errors"] == ["line 2: $.x: unknown field 'x' (applicant B)"]  # 64 levels are read
    assert results[2]["status"] == "ok"
    assert main(["register", "replay", "--register", str(register), "1"]) == 0
    assert "decision 1: identical" in capsys.readouterr().out
    document = write(tmp_path, "in.json", '{"applicants": [' + line(65).strip() + "]}")
    assert main(["eval", str(policy), str(document)]) == 2
    assert capsys.readouterr().err.endswith("applicants[0]: nested more than 64 levels deep (a record may nest at "
                                            "most 64)\n")


def test_a_parquet_row_nested_past_the_bound_is_the_error_line_a_json_line_is(tmp_path: Path) -> None:
    # a Parquet row was held to no bound but DuckDB's (it reads about 120 levels of lists): nesting 65 to 121 levels
    # it was decided (an unknown field), where the same record as a JSON Lines line is a nesting error
    import duckdb
    from streams import both_engines

    depths = [63, 64, 100, 120]  # lists inside the row's object: 64 to 121 levels
    records = [{"id": f"A{k}", "kind": "enterprise", "projects": [], f"x{d}": json.loads("[" * d + "1" + "]" * d)}
               for k, d in enumerate(depths)]
    lines = write(tmp_path, "in.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    parquet = tmp_path / "in.parquet"
    columns = ", ".join(f"CASE WHEN i = {k} THEN {'[' * d + '1' + ']' * d} END AS x{d}" for k, d in enumerate(depths))
    duckdb.execute(f"COPY (SELECT 'A' || i AS id, 'enterprise' AS kind, CAST([] AS STRUCT(id VARCHAR)[]) AS projects, "
                   f"{columns} FROM range({len(depths)}) r(i) ORDER BY i) TO '{parquet}' (FORMAT parquet)")
    as_lines = both_engines(tmp_path, lines)
    assert [r["errors"] for r in as_lines] == [
        ["line 1: $.x63: unknown field 'x63' (applicant A0)"],  # 64 levels are read
        *[[f"line {n}: nested more than 64 levels deep (a record may nest at most 64)"] for n in (2, 3, 4)]]
    assert both_engines(tmp_path, parquet) == as_lines


def test_an_overlong_line_is_skipped_unread_and_reported(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    record = json.dumps(APPLICATION["applicants"][0])
    src.write_text(record + "\n" + '{"id": "' + "x" * 5000 + '"}\n' + record.replace('"A"', '"B"') + "\n",
                   encoding="utf-8")
    assert main(["eval", str(write(tmp_path, "p.pol", small_policy())), str(src), "-o", str(out), "--quiet",
                 "--max-line-bytes", "1000"]) == 0
    results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in results] == ["ok", "error", "ok"]
    assert results[1]["errors"] == ["line 2: a line of 5,011 bytes; at most 1,000 are read (--max-line-bytes)"]


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_csv_line_is_measured_in_bytes_as_a_json_lines_line_is(tmp_path: Path, engine: str) -> None:
    """--max-line-bytes counts bytes in both formats: 399 Chinese characters are 1,197 bytes, over 1,000."""
    table, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    table.write_text("applicant_id,name,kind,project_id,date,industry\nA,a,enterprise,p,2023-06-01,a\n"
                     f"B,{'企' * 200},enterprise,p,2023-06-01,{'企' * 199}\n"  # each text within its bound of 256
                     f"C,{'企' * 150},enterprise,p,2023-06-01,{'企' * 150}\n", encoding="utf-8")
    assert main(["eval", str(JINJIANG), str(table), "-o", str(out), "--quiet", "--engine", engine,
                 "--max-line-bytes", "1000"]) == 0
    a, b, c = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert a["status"] == c["status"] == "ok"  # 300 characters: 900 bytes and the rest of the row, under 1,000
    assert b["errors"] == ["line 3: a line of 1,225 bytes; at most 1,000 are read (--max-line-bytes)"]


def test_a_csv_record_over_the_line_bound_is_skipped_unread_in_bounded_memory() -> None:
    # a quoted cell may hold line breaks: each line was under --max-line-bytes, but nothing bounded the record, which
    # the csv module gathered whole (400 MB of such cells took 1.23 GB with the Python engine, 1.27 GB with DuckDB's,
    # to say '505 cells, but the header has 5'). A record is bounded as a line is, and past the bound read unkept
    policy = load_policy(JINJIANG)
    head, tail = "applicant_id,kind,project_id,date\n", "B,enterprise,p,2023-06-01\n"
    record = "A,enterprise,p,2023-06-01" + (',"' + ("x" * 2_000 + "\n") * 4 + '"') * 1_000 + "\n"  # lines 2-4002
    data = (head + record + tail).encode()
    tracemalloc.start()
    try:
        big, after = batch.read_csv(batch.csv_text(io.BytesIO(data)), policy, 100_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak:,} bytes"  # the record is 8 MB
    assert (big.line, big.record, big.error) == (2, None, f"line 2: a record of {len(record):,} bytes over lines "
                                                          "2–4002; at most 100,000 are read (--max-line-bytes)")
    assert (after.line, after.record["id"], after.error) == (4003, "B", None)  # read from its own first line


def test_a_csv_record_is_bounded_by_its_bytes_line_breaks_within_it_counted() -> None:
    policy = load_policy(JINJIANG)
    for size in (1_000, 1_001):
        first = 'A,enterprise,p,2023-06-01,"two\r\n'
        record = first + "x" * (size - len(first) - 1) + '"'  # the record's bytes, its own line break left out
        assert len(record.encode()) == size
        (item,) = batch.read_csv(batch.csv_text(io.BytesIO(
            f"applicant_id,kind,project_id,date,name\n{record}\r\n".encode())), policy, 1_000)
        if size == 1_000:
            assert (item.line, item.error, item.record["name"]) == (2, None, "two\r\n" + "x" * (size - len(first) - 1))
        else:
            assert (item.line, item.error) == (2, "line 2: a record of 1,003 bytes over lines 2–3; at most 1,000 are "
                                                  "read (--max-line-bytes)")


def test_a_csv_record_over_the_bound_is_one_error_line_and_the_next_is_read_at_its_own_line(tmp_path: Path) -> None:
    # the reader skips the rest of the record as the csv module would read it: past doubled quotes, a closing
    # quote, further quoted cells with line breaks, a quote the record never closes; an overlong line that opens a
    # quote is the first of a record that goes on; a line the csv module would refuse ends there
    rows = [
        "applicant_id,name,kind,project_id,date\n",
        'A,"two\nlines",enterprise,p,2023-06-01\n',  # 2-3: under the bound
        'B,"' + ("x" * 300 + "\n") * 5 + 'a ""quoted"" word, then",enterprise,"p\nq",2023-06-01\n',  # 4-10
        "C,,enterprise,p,2023-06-01\n",  # 11
        'D,"' + "y" * 1_200 + '\nmore",enterprise,p,2023-06-01\n',  # 12-13: its first line over the bound
        'E,"' + "z" * 1_200 + '"z,enterprise,p\n',  # 14: ',' expected after '"', as the csv module says
        "F,,enterprise,p,2023-06-01\n",  # 15
        'G,"' + ("w" * 400 + "\r\n") * 3 + '",enterprise,p,2023-06-01\r\n',  # 16-19
        "H,,enterprise,p,2023-06-01\n",  # 20
        'I,"' + ("v" * 600 + "\n") * 2,  # 21-22: never closed
    ]
    results = csv_both_engines(tmp_path, "".join(rows).encode(), "--max-line-bytes", "1000")
    assert [(r["line"], r["id"], r["status"]) for r in results] == [
        (2, "A", "ok"), (4, None, "error"), (11, "C", "ok"), (12, None, "error"), (14, None, "error"),
        (15, "F", "ok"), (16, None, "error"), (20, "H", "ok"), (21, None, "error")]
    bound = "at most 1,000 are read (--max-line-bytes)"
    assert [r["errors"] for r in results if r["status"] == "error"] == [
        [f"line 4: a record of {len(rows[2].encode()):,} bytes over lines 4–10; {bound}"],
        [f"line 12: a record of {len(rows[4].encode()):,} bytes over lines 12–13; {bound}"],
        [f"line 14: a line of {len(rows[5].encode()):,} bytes; {bound}"],
        [f"line 16: a record of {len(rows[7].encode()):,} bytes over lines 16–19; {bound}"],
        [f"line 21: a record of {len(rows[9].encode()):,} bytes over lines 21–22; {bound}"]]


def test_a_csv_header_over_the_bound_is_named_by_every_row_it_leaves_unread(tmp_path: Path) -> None:
    # the header was skipped as overlong without a word: every row said only "5 cells, but the header has 0"
    header = "applicant_id,kind," + "x" * 1_200 + "\n"
    results = csv_both_engines(tmp_path, (header + "A,enterprise,p,2023-06-01,1\n").encode(), "--max-line-bytes", "1000")
    assert [r["errors"] for r in results] == [[f"line 1: a line of {len(header):,} bytes; at most 1,000 are read "
                                               "(--max-line-bytes)", "line 2: 5 cells, but the header has 0"]]


@settings(max_examples=300)
@example(text='xx,"\n"\n', limit=1, part=1)  # a part of a line that ends in a comma, the next opens a quote
@example(text='a,x"\n"\n', limit=1, part=2)  # one that ends in an unquoted cell: the quote is a character
@given(text=st.text(alphabet='",\n\rx', max_size=60), limit=st.integers(1, 12), part=st.integers(1, 4))
def test_a_csv_record_over_the_bound_ends_where_the_csv_module_ends_it(text: str, limit: int, part: int) -> None:
    """The lines each record takes, read whole and past a bound of a few bytes (a few characters at a time), are
    the same."""

    def spans(bound: int) -> list[tuple[int, int]]:
        lines = batch._Lines(io.StringIO(text, newline="\n"), bound)
        lines.part = part
        reader = csv.reader(lines, strict=True)
        found = []
        while True:
            start = lines.begin()
            try:
                next(reader)
            except StopIteration:
                break
            except csv.Error:
                pass
            found.append((start, lines.number))
        return found

    before = csv.field_size_limit()
    try:
        csv.field_size_limit(1 << 20)
        whole = spans(1 << 20)
        csv.field_size_limit(limit + 2)  # as read_csv sets it: a record past the bound never reaches it
        assert spans(limit) == whole
    finally:
        csv.field_size_limit(before)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_record_reports_its_first_hundred_errors_and_how_many_more(tmp_path: Path, engine: str) -> None:
    # one unknown field or column per value made the output ~17 times the input (50,000 unknown CSV columns:
    # 20 MB in, 342 MB out, DuckDB's path out of memory); now a record lists 100 errors and counts the rest
    fields = {f"x{i}": 1 for i in range(250)}
    src, table, out = tmp_path / "in.jsonl", tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": "A", "kind": "enterprise", **fields, "projects": []}) + "\n", encoding="utf-8")
    assert main(["eval", str(JINJIANG), str(src), "-o", str(out), "--quiet", "--engine", engine]) == 0
    (result,) = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert len(result["errors"]) == 101 and result["errors"][99].startswith("line 1: $.x99: unknown field 'x99'")
    assert result["errors"][100] == "line 1: $: 150 more errors in this record (the first 100 are listed) (applicant A)"
    table.write_text("applicant_id,kind,project_id,date," + ",".join(fields) + "\n"
                     "A,enterprise,p,2023-06-01," + ",".join("1" for _ in fields) + "\n", encoding="utf-8")
    assert main(["eval", str(JINJIANG), str(table), "-o", str(out), "--quiet", "--engine", engine]) == 0
    (result,) = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert len(result["errors"]) == 101
    assert result["errors"][99].startswith("line 2: $.projects[0].x99: unknown field 'x99'")
    assert result["errors"][100] == "line 2: $: 150 more errors in this record (the first 100 are listed) (applicant A)"


def test_spellings_are_suggested_only_for_the_errors_a_record_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    # each of a line's 35,000 unknown fields was compared with every input, listed or not: 9 s for one line
    from jinjiang_dsl import inputs

    compared: list[str] = []
    monkeypatch.setattr(inputs, "did_you_mean", lambda word, names: compared.append(word) or "software_investment")
    fields = {f"softwre_investment{i}": 1 for i in range(250)}
    record = {"id": "A", "kind": "enterprise", "projects": [{"id": "p", "date": "2023-06-01", **fields}]}
    decision = load_policy(JINJIANG).evaluate_applicant(record)
    assert compared == list(fields)[:100]
    assert decision.errors[99] == ("applicants[0].projects[0].softwre_investment99: unknown field 'softwre_investment99'"
                                   "; did you mean 'software_investment'? (applicant A, project p)")
    assert decision.errors[100] == "applicants[0]: 150 more errors in this record (the first 100 are listed) (applicant A)"


def test_a_document_over_its_bound_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = tmp_path / "a.json"
    app.write_bytes(b'{"applicants": []}' + b" " * (16 << 20))
    assert main(["eval", str(JINJIANG), str(app)]) == 2
    assert capsys.readouterr().err == f"{app}: cannot read: larger than 16,777,216 bytes\n"


def test_a_parquet_file_duckdbs_reader_fails_on_is_one_line_on_both_engines(tmp_path: Path, capsys: Any) -> None:
    # a column of lists nested 245 deep: DuckDB's Parquet reader fails on its rows with an INTERNAL Error. The
    # Python engine said 'cannot read: not a Parquet file DuckDB can read (…)'; the DuckDB engine ended in
    # 'internal error: InternalException' (exit 70)
    import duckdb

    path = tmp_path / "deep.parquet"
    duckdb.sql(f"COPY (SELECT 'A' AS id, {'[' * 245}1{']' * 245} AS x UNION ALL SELECT 'B', NULL) TO '{path}' "
               "(FORMAT parquet)")
    said = []
    for engine in ("python", "duckdb"):
        code = main(["eval", str(write(tmp_path, "p.pol", small_policy())), str(path), "--engine", engine,
                     "--no-trace", "--format", "jsonl"])
        out, err = capsys.readouterr()
        said.append((code, out, err))
    assert said[0] == said[1]
    assert "internal error" not in said[1][2] and len(said[1][2].splitlines()) <= 2  # one line, or a summary


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_a_parquet_file_of_too_many_columns_is_refused_before_its_rows_are_read(
        engine: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 20,000 columns and one row made DuckDB's native path run out of its 1 GB (about 55 KB a column)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from jinjiang_dsl.sql import native

    def table(columns: int) -> Path:
        path = tmp_path / f"{columns}.parquet"
        facts = {"id": ["E1"], "kind": ["enterprise"], "fiscal_contribution": ["1000"]}
        pq.write_table(pa.table({**facts, **{f"c{i}": [None] for i in range(columns - len(facts))}},
                                schema=pa.schema([(n, pa.string()) for n in [*facts, *(f"c{i}" for i in
                                                                                       range(columns - len(facts)))]])),
                       path)
        return path

    wide, out = table(1_001), tmp_path / "out.jsonl"  # limits.MAX_PARQUET_COLUMNS is 1,000
    for command in (["eval", str(JINJIANG), str(wide), "--engine", engine, "-o", str(out)],
                    ["explain", str(JINJIANG), str(wide), "--applicant", "E1"]):
        assert main(command) == 2
        assert capsys.readouterr().err == (f"{wide}: cannot read: 1,001 columns, more than the 1,000 a Parquet file "
                                           "of applications may have (an applicant's are its id, name, projects and "
                                           "the policy's inputs)\n")
    assert not out.exists()
    with pytest.raises(batch.Unreadable, match="1,001 columns"):  # the API's native path says so too
        native.run(load_policy(JINJIANG), "parquet", "en", lambda text: None, path=str(wide))
    assert main(["eval", str(JINJIANG), str(table(1_000)), "--engine", engine, "-o", str(out)]) == 0
    assert json.loads(out.read_text())["status"] == "ok"  # null columns are fields not given


def test_explain_names_the_ids_it_has_each_shortened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 'no applicant with id …' listed the document's first 20 ids whole: 20 ids of 800 KB in a 16 MiB document
    # were 16 MB of standard error
    doc = {"applicants": [{"id": f"{n}" + "x" * 100_000, "projects": []} for n in range(3)]}
    app = write(tmp_path, "a.json", json.dumps(doc))
    assert main(["explain", str(write(tmp_path, "p.pol", small_policy())), str(app), "--applicant", "NOBODY"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{app}: no applicant with id 'NOBODY' (ids: 0xxx") and len(err) < 1000
    assert err.count("…(100001 characters)") == 3


def test_a_policy_of_many_measures_compiles_in_pieces(tmp_path: Path) -> None:
    measures = "".join(f'measure {i}.1 "t" / "t" {{\n  clause 一(一)\n  amount 20% of spend\n}}\n' for i in range(1, 401))
    source = small_policy().split("measure 1.1")[0] + measures
    policy = load_policy(write(tmp_path, "p.pol", source))
    lines = generate(policy.plan).splitlines(True)
    assert len(_pieces(lines)) > 1
    assert policy.evaluate(APPLICATION).applicants[0].total == Decimal("8000.00")


# ---------------------------------------------------------------- 13. smaller


def test_a_byte_order_mark_opening_a_stream_is_dropped(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + json.dumps(APPLICATION["applicants"][0]).encode() + b"\n")
    assert main(["eval", str(write(tmp_path, "p.pol", small_policy())), str(src), "-o", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["status"] == "ok"


def test_a_lone_carriage_return_keeps_one_record_one_line(tmp_path: Path) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(b'{"id": "A",\r"name": "a\rb", "projects": []}\r\n{"id": "B",\r"projects": []}\n')
    assert main(["eval", str(write(tmp_path, "p.pol", small_policy())), str(src), "-o", str(out), "--quiet"]) == 0
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["line"] == 1 and first["errors"][0].startswith("line 1: not valid JSON: Invalid control character at column ")
    assert second == {"line": 2, "id": "B", "status": "ok", "total": "0.00", "projects": [], "errors": []}


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_half_a_surrogate_pair_is_a_located_error_not_a_crash(tmp_path: Path, engine: str) -> None:
    # "\ud800" alone decodes to no character: written out as UTF-8 it stopped the run (an internal error)
    src, out, doc = tmp_path / "in.jsonl", tmp_path / "out.jsonl", tmp_path / "doc.json"
    src.write_bytes(b'{"id": "A\\ud800", "projects": []}\n{"id": "B", "projects": [{"id": "p\\uDC00"}]}\n'
                    b'{"id": "C\\ud83d\\ude00", "projects": []}\n')  # a whole pair is a character
    policy = str(write(tmp_path, "p.pol", small_policy()))
    assert main(["eval", policy, str(src), "-o", str(out), "--quiet", "--engine", engine]) == 0
    first, second, third = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["errors"] == ["line 1: not valid JSON: $.id: \\ud800 is half of a surrogate pair, not a character"]
    assert second["errors"] == ["line 2: not valid JSON: $.projects[0].id: \\udc00 is half of a surrogate pair, "
                                "not a character"]
    assert third["status"] == "ok" and third["id"] == "C\U0001f600"
    doc.write_text('{"applicants": [{"id": "A", "projects": [], "x\\udfff": 1}]}', encoding="utf-8")
    assert main(["eval", policy, str(doc), "-o", str(out), "--quiet", "--engine", engine]) == 2


def test_a_multi_line_csv_record_is_named_by_its_first_line(tmp_path: Path) -> None:
    result, after = csv_results(tmp_path, 'applicant_id,name,kind,project_id,date,cloud_service_fee\n'
                                      'A,"two\nlines",enterprise,p,2023-06-01,-5\n'
                                      'B,,enterprise,p,2023-06-01,-5\n')
    assert result["line"] == 2
    assert result["errors"] == ["line 2: $.projects[0].cloud_service_fee: negative money -5 (applicant A, project p)"]
    assert after["line"] == 4 and after["errors"] == [
        "line 4: $.projects[0].cloud_service_fee: negative money -5 (applicant B, project p)"]


def csv_both_engines(tmp_path: Path, data: bytes, *options: str) -> list[dict[str, Any]]:
    """A CSV file's output lines, written byte for byte alike by both engines."""
    from streams import both_engines

    table = tmp_path / "in.csv"
    table.write_bytes(data)
    return both_engines(tmp_path, table, *options)


def test_a_csv_row_of_empty_cells_is_an_error_line_and_a_blank_line_is_skipped(tmp_path: Path) -> None:
    # a row of commas only vanished from the output, as a blank line does: the input had a row the output did not
    results = csv_both_engines(tmp_path, b"applicant_id,kind,project_id,date\nA,enterprise,p,2023-06-01\n,,,\n\n \t\r\n"
                                         b"B,enterprise,p,2023-06-01\n , ,\t\n")
    assert [(r["line"], r["id"], r["status"]) for r in results] == [
        (2, "A", "ok"), (3, None, "error"), (6, "B", "ok"), (7, None, "error")]
    assert results[1]["errors"] == ["line 3: an empty row: every cell is empty"]
    assert results[3]["errors"] == ["line 7: an empty row: every cell is empty"]


def test_a_lone_carriage_return_in_csv_starts_no_line(tmp_path: Path) -> None:
    # a lone \r ended a CSV record as a line feed does, and each later line was named one too many (C, on line 3,
    # was "line 4"): only \n ends a line, as in JSON Lines; a \r outside quotes is its line's error, inside stays
    results = csv_both_engines(tmp_path, b"applicant_id,name,kind,project_id,date\r\n"
                                         b"A,,enterprise,P,2023-08-15\rB,,enterprise,P,2023-08-15\n"
                                         b'C,"c\rd",enterprise,P,2023-08-15\r\n'
                                         b"D,,enterprise,P,2023-08-15\n"
                                         b'E,"e\r\nf",enterprise,P,2023-08-15\n'
                                         b"F,,enterprise,P,2023-08-15\rG")
    assert [(r["line"], r["id"], r["status"]) for r in results] == [
        (2, None, "error"), (3, "C", "ok"), (4, "D", "ok"), (5, "E", "ok"), (7, None, "error")]
    reason = ("not valid CSV: a carriage return (\\r) within the line, outside quotes (only \\n ends a line; "
              "quote a cell that holds a \\r)")
    assert (results[0]["errors"], results[4]["errors"]) == ([f"line 2: {reason}"], [f"line 7: {reason}"])


@pytest.mark.parametrize("text", ["１００", "١٠٠", "1００"])
def test_only_ascii_digits_are_numbers_in_applications(text: str) -> None:
    decision = load_policy(JINJIANG).evaluate_applicant(
        {"id": "E", "kind": "enterprise", "fiscal_contribution": text, "projects": []})
    assert decision.errors == (f"applicants[0].fiscal_contribution: not an amount: '{text}' (write digits 0-9, "
                               'e.g. "1200000" or "1200000.50") (applicant E)',)


# ---------------------------------------------------------------- 14. the Python API raises where the docs say it won't


@pytest.mark.parametrize("value, error", [
    (10**5000, "amount an integer of about 5,000 digits is implausibly large (money is below 10^15)"),
    (Decimal("sNaN"), "not an amount: sNaN"),
    (Decimal("NaN"), "not an amount: NaN"),
    (Decimal("-Infinity"), "not an amount: -Infinity"),
    (Decimal("1E+999999999"), "amount 1E+999999999 is implausibly large (money is below 10^15)"),
    (b"100", "expected money as a string or number, got a bytes"),
], ids=["int of 5000 digits", "sNaN", "NaN", "-Infinity", "huge exponent", "bytes"])
def test_the_api_reports_any_money_value_as_an_input_error(value: Any, error: str) -> None:
    decision = load_policy(JINJIANG).evaluate_applicant(
        {"id": "E", "kind": "enterprise", "fiscal_contribution": value, "projects": []})
    assert decision.errors == (f"applicants[0].fiscal_contribution: {error} (applicant E)",)


def test_the_api_reports_a_key_that_is_not_a_string() -> None:
    decision = load_policy(JINJIANG).evaluate_applicant({"id": "E", "kind": "enterprise", 1: 2, "projects": []})
    assert decision.errors == ("applicants[0]: a key must be a string, got 1 (applicant E)",)


def test_an_unknown_backend_is_refused_when_the_policy_is_loaded() -> None:
    with pytest.raises(ValueError, match="unknown backend 'bogus'; choose one of compiled, interpreter"):
        load_policy(JINJIANG, backend="bogus")  # type: ignore[arg-type]


# ---------------------------------------------------------------- the parser's cache is private


def test_the_parser_cache_is_used_only_in_a_private_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jinjiang_dsl.syntax.grammar import cache_file

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_file() == str(tmp_path / "jinjiang-dsl" / "parser.lark-cache")
    assert (tmp_path / "jinjiang-dsl").stat().st_mode & 0o777 == 0o700
    (tmp_path / "jinjiang-dsl").chmod(0o777)  # anyone could plant a pickle here now
    assert cache_file() is None


def test_a_document_s_text_is_counted_for_brackets_once_not_once_a_record(monkeypatch: pytest.MonkeyPatch) -> None:
    # the nesting bound looked at the whole document's text for each of its records: 5,000 records (440 KB) took
    # 1.5 s, 50,000 would take minutes — quadratic in a document's size
    from jinjiang_dsl import inputs

    looked: list[int] = []
    bracketed = inputs._bracketed_past
    monkeypatch.setattr(inputs, "_bracketed_past", lambda text: looked.append(len(text)) or bracketed(text))
    records = [{"id": f"E{i}", "kind": "enterprise", "projects": [{"id": "P", "date": "2023-06-01"}]} for i in range(100)]
    assert len(inputs.read_document(json.dumps({"applicants": records}))) == 100
    assert len(looked) == 1
