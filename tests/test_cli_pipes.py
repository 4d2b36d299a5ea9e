"""The command line driven by another program: documents and policies through pipes (``-``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from test_api import SMALL

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
APPLICATIONS = ROOT / "examples" / "applications.json"


def cli(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "jinjiang_dsl.cli", *args], input=stdin, capture_output=True,
                          cwd=ROOT)


def test_a_json_document_on_standard_input_is_evaluated_as_its_file_is():
    """``-`` with ``--input-format json``: the document a program pipes in; it was '-: cannot read: no such
    file' (exit 2), so the output had to go through a temporary file."""
    data = APPLICATIONS.read_bytes()
    piped = cli("eval", str(POLICY), "-", "--input-format", "json", "--format", "json", stdin=data)
    named = cli("eval", str(POLICY), str(APPLICATIONS), "--format", "json", stdin=b"")
    assert (piped.returncode, piped.stderr) == (0, b"")
    decided, expected = json.loads(piped.stdout), json.loads(named.stdout)
    del decided["evaluated_at"], expected["evaluated_at"]
    assert decided == expected  # the input's SHA-256 included: of the bytes read, wherever from


DRAFT = SMALL.replace("at most 100万", "at most 100万万")  # 万 written twice, at 14:37


def test_a_policy_on_standard_input_is_checked_and_located():
    """``check -``: a draft an editor or a script holds, checked without a file; located as a file's is."""
    done = cli("check", "-", stdin=DRAFT.encode("utf-8"))
    assert done.returncode == 1
    assert done.stdout.decode("utf-8").startswith("-:14:37: error: 万 written twice in '100万万'")


def test_parquet_on_standard_input_is_refused_saying_why():
    """A Parquet file is read footer first, so it cannot come through a pipe; DuckDB's 'No files found that
    match the pattern "-"' did not say so."""
    done = cli("eval", str(POLICY), "-", "--input-format", "parquet", stdin=b"PAR1")
    assert done.returncode == 2
    assert done.stderr.decode("utf-8") == ("-: cannot read: Parquet is read from a file, footer first, not from "
                                           "standard input: name the file\n")


def test_a_json_document_read_as_json_lines_is_warned_of():
    """A document piped to ``-`` is read as JSON Lines, one applicant per line: a pretty-printed one was 351
    error lines and exit 0 with nothing said. Every line is still reported (nothing is dropped), and
    standard error says what to give."""
    pretty = json.dumps(json.loads(APPLICATIONS.read_text(encoding="utf-8")), indent=2, ensure_ascii=False)
    for data in (pretty.encode("utf-8"), json.dumps({"applicants": []}).encode("utf-8")):
        done = cli("eval", str(POLICY), "-", stdin=data)
        assert done.returncode == 0
        assert done.stdout.count(b"\n") == len(data.strip().splitlines())
        assert ("-: this looks like one JSON document, not JSON Lines (one applicant per line): "
                "give --input-format json") in done.stderr.decode("utf-8")
    lines = cli("eval", str(POLICY), "-", stdin=b'{"id": "A", "kind": "enterprise", "projects": []}\n')
    assert b"looks like" not in lines.stderr
