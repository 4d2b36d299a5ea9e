"""The language server (issue 14), spoken to over the protocol: `jinjiang-dsl lsp` in its own process,
JSON-RPC messages on its standard input and output, as an editor would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from jinjiang_dsl.fmt import format_checked

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"


class Client:
    """A minimal language client: framed JSON-RPC, requests answered in order, notifications kept."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "jinjiang_dsl.cli", "lsp"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.notifications: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while (line := self.process.stdout.readline().strip()):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id and "method" not in message:
                assert "error" not in message, message
                return message.get("result")
            self.notifications.append(message)

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        """The next diagnostics published for a document (waiting for them)."""
        while True:
            found = [n for n in self.notifications if n.get("method") == "textDocument/publishDiagnostics"
                     and n["params"]["uri"] == uri]
            if found:
                self.notifications.remove(found[0])
                return list(found[0]["params"]["diagnostics"])
            self.notifications.append(self.receive())

    def close(self) -> None:
        self.request("shutdown", None)
        self.notify("exit", None)
        self.process.wait(timeout=20)


def position_of(text: str, needle: str, offset: int = 0) -> dict[str, int]:
    """Where a needle (and ``offset`` characters into it) stands, as the protocol counts: UTF-16 units."""
    before = text[:text.index(needle) + offset]
    return {"line": before.count("\n"), "character": len(before.rsplit("\n", 1)[-1].encode("utf-16-le")) // 2}


def test_the_language_server_answers_an_editor(tmp_path: Path) -> None:
    source = POLICY.read_text(encoding="utf-8")
    typo = source.replace("amount thresholds on sme_adopters {", "amount thresholds on sme_adoptrs {", 1)
    path = tmp_path / "jinjiang.pol"
    uri = path.as_uri()
    client = Client()
    try:
        capabilities = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        assert capabilities["capabilities"]["hoverProvider"] and capabilities["capabilities"]["definitionProvider"]
        client.notify("initialized", {})
        # a typo'd input name: a diagnostic where it is, with the checker's "did you mean" hint
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jinjiang-policy",
                                                                "version": 1, "text": typo}})
        errors = [d for d in client.diagnostics(uri) if d["severity"] == 1]
        assert errors and "sme_adoptrs" in errors[0]["message"] and "did you mean 'sme_adopters'?" in errors[0]["message"]
        assert errors[0]["range"]["start"] == position_of(typo, "sme_adoptrs {")
        # fixed: the diagnostics go
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": source}]})
        assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []
        # hover on a measure shows its quote; on an input, its labels
        hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                      "position": position_of(source, "measure 2.1 ", 9)})
        assert "**measure 2.1** 中小企业应用平台解决方案" in hover["contents"]["value"]
        assert "对当年度应用工业互联网平台系统解决方案的中小企业数量在10家、20家、50家以上的" in hover["contents"]["value"]
        hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                      "position": position_of(source, "on sme_adopters {", 5)})
        assert "当年度应用其解决方案的中小企业数量 / SMEs that applied its solution this year" in hover["contents"]["value"]
        # go to definition on an input lands on its declaration
        found = client.request("textDocument/definition", {"textDocument": {"uri": uri},
                                                           "position": position_of(source, "on sme_adopters {", 5)})
        assert found["uri"] == uri and found["range"]["start"] == position_of(source, "sme_adopters: count")
        # references: the declaration and every use
        refs = client.request("textDocument/references", {"textDocument": {"uri": uri}, "context": {
            "includeDeclaration": True}, "position": position_of(source, "sme_adopters: count")})
        assert len(refs) == source.count("sme_adopters")
        # completion offers keywords, inputs, measure ids and boundary words
        items = {i["label"] for i in client.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})["items"]}
        assert {"measure", "requires", "sme_adopters", "2.1", "以上"} <= items
        # the outline lists measures and rules
        outline = [s["name"] for s in client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})]
        assert "2.1 中小企业应用平台解决方案" in outline and "R1 就高不重复" in outline
        # each example's outcome above it, as a code lens
        lenses = client.request("textDocument/codeLens", {"textDocument": {"uri": uri}})
        assert len(lenses) == source.count("\nexample ") + source.count("\n  example ")
        assert {lens["command"]["title"] for lens in lenses} == {"✓ example passes"}
        wrong = source.replace("granted 20万", "granted 21万", 1)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3},
                                                 "contentChanges": [{"text": wrong}]})
        client.diagnostics(uri)
        failing = [lens["command"]["title"] for lens in client.request("textDocument/codeLens",
                                                                       {"textDocument": {"uri": uri}})
                   if lens["command"]["title"].startswith("✗")]
        line = wrong[:wrong.index("granted 21万")].count("\n") + 1
        assert len(failing) == 1 and failing[0].startswith(f"✗ line {line}: ") and "expected granted, amount 210,000 (21万); got granted, amount 200,000" \
            in failing[0]
        # formatting goes through fmt: a formatted policy needs no edit, a messy one gets one
        assert client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                          "options": {"tabSize": 2, "insertSpaces": True}}) in ([], None)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 4},
                                                 "contentChanges": [{"text": source.replace("\n  clause", "\n      clause")}]})
        client.diagnostics(uri)
        edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                           "options": {"tabSize": 2, "insertSpaces": True}})
        assert len(edits) == 1 and edits[0]["newText"] == source
    finally:
        client.close()


DOCTORS = """policy "引进博士补助" / "Doctoral hires" {
  issued 2024-01-01
  dated by hired
}
project {
  hired: date "引进日期" / "date of the hire"
  doctors: count "新引进全职博士人数" / "full-time doctors newly hired"
  yr: count = 0 "年" / "year"
  m: money = 0 "钱" / "m"
}

measure 1 "引进博士" / "Doctors hired" {
  requires doctors >= 1名 and yr >= 20% of
      m
  amount 2万 × doctors, at most 20万
}
"""


def opened(client: Client, uri: str, text: str) -> list[dict[str, Any]]:
    """Start a session, open one document, and return its first diagnostics."""
    client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    client.notify("initialized", {})
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jinjiang-policy",
                                                            "version": 1, "text": text}})
    return client.diagnostics(uri)


def test_a_diagnostic_over_two_lines_ends_where_its_span_does(tmp_path: Path) -> None:
    client = Client()
    try:
        found = opened(client, (tmp_path / "doctors.pol").as_uri(), DOCTORS)
        assert [d["range"] for d in found if "cannot compare a count with money" in d["message"]] == [
            {"start": position_of(DOCTORS, "yr >= 20%"), "end": position_of(DOCTORS, "m\n  amount", 1)}]
    finally:
        client.close()


def test_positions_are_counted_in_utf16_units(tmp_path: Path) -> None:
    """Characters beyond the BMP (an emoji, 𠀀) are two UTF-16 units, the encoding the server announces."""
    source = POLICY.read_text(encoding="utf-8")
    title = 'measure 2.1 "中小企业应用平台解决方案" / "SMEs adopting a platform solution" {'
    typo = source.replace(title, title.replace('"中小', '"😀𠀀中小').replace(" {", " frob {"), 1)
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        errors = [d for d in opened(client, uri, typo) if d["severity"] == 1]
        assert "unexpected 'frob'" in errors[0]["message"]
        assert errors[0]["range"] == {"start": position_of(typo, "frob"), "end": position_of(typo, "frob", 4)}
        wide = source.replace("project S1 { date", 'project S1 { industry: "😀😀😀😀", date', 1)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": wide}]})
        assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []
        use = '"😀😀😀😀", date: 2023-03-01, sme_adopters'
        refs = client.request("textDocument/references", {"textDocument": {"uri": uri}, "context": {
            "includeDeclaration": True}, "position": position_of(wide, "sme_adopters: count")})
        start = position_of(wide, use, len(use) - len("sme_adopters"))
        assert {"start": start, "end": position_of(wide, use, len(use))} in [r["range"] for r in refs]
        hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                      "position": position_of(wide, use, len(use) - 2)})
        assert hover is not None and "SMEs that applied its solution this year" in hover["contents"]["value"]
    finally:
        client.close()


def test_a_byte_order_mark_is_read_as_the_command_line_reads_it(tmp_path: Path) -> None:
    """`jinjiang-dsl check` drops a leading BOM; so does the server, the BOM staying one unit of line 0."""
    uri = (tmp_path / "doctors.pol").as_uri()
    client = Client()
    try:
        found = opened(client, uri, "\ufeff" + DOCTORS.replace("policy", "polcy"))
        assert [(d["message"].splitlines()[0], d["range"]["start"]) for d in found if d["severity"] == 1] == [
            ("unknown word 'polcy'", {"line": 0, "character": 1})]
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": "\ufeff" + DOCTORS}]})
        messages = [d["message"].splitlines()[0] for d in client.diagnostics(uri) if d["severity"] == 1]
        assert messages == ["measure 1 cites no clause of the notice", "cannot compare a count with money"]
        options = {"tabSize": 2, "insertSpaces": True}
        edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": options})
        assert [e["newText"] for e in edits] == [format_checked(DOCTORS, "doctors.pol")]
        assert edits[0]["range"]["start"] == {"line": 0, "character": 1}  # after the BOM: kept, as fmt keeps it
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"text": "\ufeff" + format_checked(DOCTORS, "doctors.pol")}]})
        client.diagnostics(uri)
        assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": options}) in ([], None)
    finally:
        client.close()


INVESTMENT = """policy "技改补助" / "Upgrades" {
  issued 2024-01-01
  dated by 日期
}
项目 {
  日期: 日期 "申报日期" / "date"
  投资额: money "软硬件投资额" / "investment"
}

措施 1 "技改" / "Upgrades" {
  条款 一
  金额 20%的投资额, 最高100万
}
"""


def locate(client: Client, method: str, uri: str, position: dict[str, int]) -> Any:
    return client.request(f"textDocument/{method}", {"textDocument": {"uri": uri}, "position": position,
                                                     "context": {"includeDeclaration": True}})


def test_a_name_written_against_a_keyword_is_found(tmp_path: Path) -> None:
    """'20%的投资额': 的 is a keyword the grammar lets stand against the name after it."""
    uri = (tmp_path / "upgrades.pol").as_uri()
    client = Client()
    try:
        assert [d for d in opened(client, uri, INVESTMENT) if d["severity"] == 1] == []
        use = position_of(INVESTMENT, "的投资额", 1)
        assert "软硬件投资额 / investment" in locate(client, "hover", uri, use)["contents"]["value"]
        assert locate(client, "definition", uri, use)["range"]["start"] == position_of(INVESTMENT, "投资额: money")
        refs = [r["range"] for r in locate(client, "references", uri, position_of(INVESTMENT, "投资额: money"))]
        assert {"start": use, "end": position_of(INVESTMENT, "的投资额", 4)} in refs and len(refs) == 2
    finally:
        client.close()


def test_a_value_or_a_number_is_not_taken_for_a_name(tmp_path: Path) -> None:
    """'enterprise' is a value of kind and a definition; '1' is a measure and a share of 'shared 1:1'."""
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        opened(client, uri, source)
        assert locate(client, "hover", uri, position_of(source, "applicant { kind: enterprise", 19)) is None
        declared = position_of(source, "define enterprise", 8)
        uses = len(re.findall(r"(?:beneficiary|applies to) enterprise\b", source))
        assert len(locate(client, "references", uri, declared)) == 1 + uses
        # a definition's hover says what it is (it showed the name alone): its labels
        assert locate(client, "hover", uri, declared)["contents"]["value"] == \
            "definition `enterprise` — 企业(含平台、系统服务商) / an enterprise (providers included)"
        shapes = (ROOT / "policies" / "shapes" / "s06_cost_sharing.pol").read_text(encoding="utf-8")
        shared = (tmp_path / "s06.pol").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": shared, "languageId": "jinjiang-policy",
                                                                "version": 1, "text": shapes}})
        client.diagnostics(shared)
        refs = locate(client, "references", shared, position_of(shapes, 'measure 1 "', 8))
        assert len(refs) == 1 + shapes.count("expect P1 1 ")
    finally:
        client.close()


def test_while_a_line_is_half_typed_the_last_parse_answers(tmp_path: Path) -> None:
    """A broken line typed in above moves the names below it; they are still found where they are now."""
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        opened(client, uri, source)
        typing = source.replace("\nmeasure 2.1 ", "\nmeasure 2.2 \"半\n\nmeasure 2.1 ", 1)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": typing}]})
        assert [d for d in client.diagnostics(uri) if d["severity"] == 1]
        hover = locate(client, "hover", uri, position_of(typing, "on sme_adopters {", 5))
        assert "SMEs that applied its solution this year" in hover["contents"]["value"]
        refs = locate(client, "references", uri, position_of(typing, "on sme_adopters {", 5))
        assert position_of(typing, "on sme_adopters {", 3) in [r["range"]["start"] for r in refs]
    finally:
        client.close()


def test_a_measures_own_definition_is_found_in_that_measure(tmp_path: Path) -> None:
    """'define investment' in measure 1.1 is the investment of 1.1's amount; 1.2's own is another."""
    source = POLICY.read_text(encoding="utf-8").replace(
        "  amount 15% of quanzhou_recognized_investment,",
        "  define investment = quanzhou_recognized_investment\n  amount 15% of investment,", 1)
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        assert [d for d in opened(client, uri, source) if d["severity"] == 1] == []
        use = position_of(source, "20% of investment", 8)
        assert "definition `investment`" in locate(client, "hover", uri, use)["contents"]["value"]
        assert locate(client, "definition", uri, use)["range"]["start"] == \
            position_of(source, "define investment = software", 7)
        other = locate(client, "definition", uri, position_of(source, "15% of investment", 8))
        assert other["range"]["start"] == position_of(source, "define investment = quanzhou", 7)
        refs = locate(client, "references", uri, position_of(source, "define investment = software", 7))
        assert position_of(source, "20% of investment", 7) in [r["range"]["start"] for r in refs]
        assert position_of(source, "15% of investment", 7) not in [r["range"]["start"] for r in refs]
    finally:
        client.close()


def test_a_lone_carriage_return_ends_a_line_as_the_parser_counts(tmp_path: Path) -> None:
    """An old Mac file: lines end in a lone \\r, for the parser as for the editor."""
    source = POLICY.read_text(encoding="utf-8").replace("\n", "\r")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        typo = source.replace("amount thresholds on sme_adopters {", "amount thresholds on sme_adoptrs {", 1)
        errors = [d for d in opened(client, uri, typo) if d["severity"] == 1]
        at = position_of(typo.replace("\r", "\n"), "sme_adoptrs {")
        assert errors[0]["range"]["start"] == at
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": source}]})
        assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []
        hover = locate(client, "hover", uri, at)
        assert "SMEs that applied its solution this year" in hover["contents"]["value"]
    finally:
        client.close()


def test_a_burst_of_edits_is_checked_once_when_the_typing_stops(tmp_path: Path) -> None:
    # each didChange was checked at once (0.1–0.3 s each): sixty quick edits kept a hover waiting 18 s. The
    # check now waits for a pause in the typing and runs once, on the last version
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jinjiang-policy",
                                                                "version": 1, "text": source}})
        assert client.diagnostics(uri) == []
        word = "requires selected_demo"
        for n in range(1, 21):  # typed a character at a time, the last one leaving a typo
            typed = source.replace("  requires selected_demo ", f"  {word[:n]}x ", 1)
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": n + 1},
                                                     "contentChanges": [{"text": typed}]})
        [error] = [d for d in client.diagnostics(uri) if d["severity"] == 1]
        assert "selected_dex" in error["message"]  # the last version's (requires selected_de + x)
        client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}})
        published = [n for n in client.notifications if n.get("method") == "textDocument/publishDiagnostics"]
        assert published == []  # one check for the whole burst, none for the versions typed over
    finally:
        client.close()


def test_a_document_closed_while_its_check_waits_is_not_checked(tmp_path: Path) -> None:
    # the check waiting for the typing to pause fired after didClose: it read the file from disk (a stale
    # version, or, for an unsaved buffer, a FileNotFoundError traceback on stderr). Closing now cancels it,
    # and clears what the editor shows
    source = POLICY.read_text(encoding="utf-8")
    on_disk = tmp_path / "jinjiang.pol"
    on_disk.write_text(source.replace("  requires selected_demo ", "  requires selected_dem ", 1), encoding="utf-8")
    client = Client()
    try:
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        for uri in (on_disk.as_uri(), "untitled:Untitled-1"):
            client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jinjiang-policy",
                                                                    "version": 1, "text": source}})
            assert client.diagnostics(uri) == []
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                     "contentChanges": [{"text": source + "\n"}]})
            client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            assert client.diagnostics(uri) == []  # cleared on close
        import time
        time.sleep(0.5)  # past the pause a waiting check would have fired after
        client.request("textDocument/hover", {"textDocument": {"uri": on_disk.as_uri()},
                                              "position": {"line": 0, "character": 0}})
        assert [n for n in client.notifications if n.get("method") == "textDocument/publishDiagnostics"] == []
    finally:
        client.close()


def test_a_check_waiting_at_shutdown_is_dropped(tmp_path: Path) -> None:
    # a check waiting for the typing to pause published diagnostics after the shutdown response
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    client.notify("initialized", {})
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jinjiang-policy",
                                                            "version": 1, "text": source}})
    assert client.diagnostics(uri) == []
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": source + "\n"}]})
    client.request("shutdown", None)
    import time
    time.sleep(0.5)  # past the pause
    client.notify("exit", None)
    assert client.process.stdout is not None
    rest = client.process.stdout.read()  # everything the server wrote after the shutdown response
    client.process.wait(timeout=20)
    assert b"publishDiagnostics" not in rest


def outline(client: Client, uri: str) -> list[tuple[str, int, int, list[Any]]]:
    """Each outline entry's name, first and last line, and its children's."""
    def entry(s: dict[str, Any]) -> tuple[str, int, int, list[Any]]:
        return s["name"], s["range"]["start"]["line"], s["range"]["end"]["line"], [entry(c) for c in s["children"]]
    return [entry(s) for s in client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})]


def test_the_outline_follows_the_text_while_it_does_not_parse(tmp_path: Path) -> None:
    # the outline was the last parse's, on the lines of that text: a line typed in above a measure left its
    # entry on the line above it, and the measure being typed was missing. It is now read from the headers
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        opened(client, uri, source)
        parsed = outline(client, uri)
        assert ("R1 就高不重复", source[:source.index("rule R1")].count("\n")) in [(n, s) for n, s, _, _ in parsed]
        assert ("同一年度取最高", source[:source.index('example "同一年度取最高"')].count("\n")) in [
            (n, s) for _, _, _, c in parsed for n, s, _, _ in c]  # a measure's examples lie within it
        typing = source.replace("\nmeasure 2.1 ", "\nmeasure 2.2 \"半\n\nmeasure 2.1 ", 1)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": typing}]})
        found = outline(client, uri)
        at = typing[:typing.index("measure 2.1 ")].count("\n")
        assert [e[:2] for e in found if e[0].startswith(("2.1 ", "2.2 半"))] == [("2.2 半", at - 2), ("2.1 中小企业应用平台解决方案", at)]
        def moved(line: int) -> int:  # two lines typed in above measure 2.1
            return line + 2 if line >= at - 2 else line
        assert [e for e in found if not e[0].startswith("2.2 半")] == [(n, moved(s), moved(e), [
            (cn, moved(cs), moved(ce), []) for cn, cs, ce, _ in c]) for n, s, e, c in parsed]
    finally:
        client.close()


def test_a_policy_that_does_not_parse_is_outlined_as_it_would_be_if_it_did(tmp_path: Path) -> None:
    """Every shipped policy, with a stray brace at its end: the outline read from its headers is the parse's."""
    client = Client()
    try:
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        for path in sorted((ROOT / "policies").rglob("*.pol")):
            uri = (tmp_path / path.name).as_uri()
            source = path.read_text(encoding="utf-8")
            client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jinjiang-policy",
                                                                    "version": 1, "text": source}})
            parsed = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
            assert parsed, path
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                     "contentChanges": [{"text": source + "}\n"}]})
            assert client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}}) == parsed, path
    finally:
        client.close()


def test_hover_answers_from_the_text_just_typed(tmp_path: Path) -> None:
    # hover read the last check's parse, which waits 0.2 s for the typing to pause: on the line just edited
    # it found nothing until then. It now parses the latest text when it has not been yet
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        opened(client, uri, source)
        edited = source.replace("amount thresholds on sme_adopters {", "amount thresholds on  sme_adopters {", 1)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": edited}]})
        hover = locate(client, "hover", uri, position_of(edited, "on  sme_adopters {", 6))
        assert hover is not None and "SMEs that applied its solution this year" in hover["contents"]["value"]
        refs = locate(client, "references", uri, position_of(edited, "sme_adopters: count"))
        assert position_of(edited, "on  sme_adopters {", 4) in [r["range"]["start"] for r in refs]
        assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []  # the check still comes, once
    finally:
        client.close()


def test_half_of_a_surrogate_pair_is_refused_where_it_stands(tmp_path: Path) -> None:
    # JSON lets a client send "\ud800", which no UTF-8 file holds: it parsed inside a title, and the code
    # lenses failed on it (a UnicodeEncodeError traceback, hashing the policy's text). It is now an error there
    source = POLICY.read_text(encoding="utf-8")
    broken = source.replace("中小企业应用平台", "中小\ud800企业应用平台", 1)
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        [error] = [d for d in opened(client, uri, broken) if d["severity"] == 1]
        assert error["message"] == "U+D800 is half of a surrogate pair, not a character\n" \
            "delete it, or type the character it was half of"
        assert error["range"]["start"] == position_of(broken, "\ud800")
        assert client.request("textDocument/codeLens", {"textDocument": {"uri": uri}}) == []
        assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {
            "tabSize": 2, "insertSpaces": True}}) in ([], None)
        assert "2.1 中小\ud800企业应用平台解决方案" in [s["name"] for s in client.request(
            "textDocument/documentSymbol", {"textDocument": {"uri": uri}})]
    finally:
        client.close()


def test_a_document_not_open_is_not_read_from_disk(tmp_path: Path) -> None:
    # a request for a document the editor had not opened read the file from disk: a missing one answered
    # with a FileNotFoundError traceback, /dev/zero was read until memory ran out. It is now not known
    client = Client()
    try:
        client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        for uri in ((tmp_path / "missing.pol").as_uri(), "untitled:Untitled-9", "file:///dev/zero", POLICY.as_uri()):
            document = {"textDocument": {"uri": uri}}
            assert locate(client, "hover", uri, {"line": 0, "character": 0}) is None
            assert locate(client, "definition", uri, {"line": 0, "character": 0}) is None
            assert locate(client, "references", uri, {"line": 0, "character": 0}) == []
            assert client.request("textDocument/documentSymbol", document) == []
            assert client.request("textDocument/codeLens", document) == []
            assert client.request("textDocument/formatting", {**document, "options": {
                "tabSize": 2, "insertSpaces": True}}) == []
    finally:
        client.close()


def test_a_long_document_with_many_equal_lines_is_followed_through_an_edit(tmp_path: Path) -> None:
    # while the text did not parse, the lines of its last parse were matched to the lines now by difflib over
    # the whole document, which compares each line with every other of the same text: 20,000 blank lines held
    # a hover for minutes. The lines above and below the change are now matched as they are
    source = POLICY.read_text(encoding="utf-8").replace("\nmeasure 2.1 ", "\n" * 20_000 + "\nmeasure 2.1 ", 1)
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    guard = threading.Timer(120, client.process.kill)  # a hang fails the test instead of holding the run
    guard.start()
    try:
        opened(client, uri, source)
        typing = source.replace("policy", "polcy", 1)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": typing}]})
        hover = locate(client, "hover", uri, position_of(typing, "on sme_adopters {", 5))
        assert "SMEs that applied its solution this year" in hover["contents"]["value"]
    finally:
        guard.cancel()
        client.close()


def test_completion_offers_definitions_and_only_measure_ids_where_one_must_stand(tmp_path: Path) -> None:
    # definitions were not offered (a drafter writing 'beneficiary enterprise' got inputs only), and after
    # 'among' or 'expect P1' every keyword came first, where only a measure id may stand
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        opened(client, uri, source)

        def offered(text: str, needle: str, offset: int) -> set[str]:
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                     "contentChanges": [{"text": text}]})
            return {i["label"] for i in client.request("textDocument/completion", {
                "textDocument": {"uri": uri}, "position": position_of(text, needle, offset)})["items"]}

        everything = offered(source, "define enterprise", 0)
        assert {"enterprise", "sme_adopters", "measure", "措施", "2.1", "以上"} <= everything
        measures = {"1.1", "2.1", "4.1", "6.1"}
        typing = re.sub(r"    expect P1 not_eligible.*", "    expect P1 2.", source, count=1)
        assert measures <= offered(typing, "expect P1 2.\n", len("expect P1 2.")) <= everything - {"measure", "enterprise"}
        typing = source.replace("\nrule R1 ", '\nrule R9 "新" / "new" {\n  highest not stacked per project per year among 4.1, \n}\n\nrule R1 ', 1)
        assert measures <= offered(typing, "among 4.1, \n", len("among 4.1, ")) <= everything - {"measure", "enterprise"}
        typing = re.sub(r"    expect P1 not_eligible.*", "    expect total ", source, count=1)
        assert "measure" in offered(typing, "expect total \n", len("expect total "))
    finally:
        client.close()


def test_hover_on_a_keyword_gives_its_other_spelling(tmp_path: Path) -> None:
    # a keyword answered nothing on hover; a drafter reading the Chinese policy beside the English one
    # now sees each keyword's other spelling (a phrase whole, from any of its words)
    source = POLICY.read_text(encoding="utf-8")
    chinese = POLICY.with_suffix(".zh.pol").read_text(encoding="utf-8")
    uri, zh = (tmp_path / "jinjiang.pol").as_uri(), (tmp_path / "jinjiang.zh.pol").as_uri()
    client = Client()
    try:
        opened(client, uri, source)
        client.notify("textDocument/didOpen", {"textDocument": {"uri": zh, "languageId": "jinjiang-policy",
                                                                "version": 1, "text": chinese}})
        client.diagnostics(zh)

        def said(at: str, needle: str, offset: int) -> str | None:
            found = locate(client, "hover", at, position_of(source if at == uri else chinese, needle, offset))
            return found["contents"]["value"] if found else None

        assert said(uri, "  amount 15% of", 3) == "keyword `amount` — 中文: `金额`"
        assert said(uri, "  once per applicant per year", 14) == "keyword `once per applicant per year` — 中文: `每家每年限一次`"
        assert said(zh, "每家每年限一次", 2) == "keyword `每家每年限一次` — English: `once per applicant per year`"
        assert said(uri, 'measure 2.1 "中小企业', 15) is None  # in a text
        assert said(uri, "on sme_adopters {", 5).startswith("**")  # a name is still a name
    finally:
        client.close()


def test_a_request_the_protocol_does_not_allow_is_answered_with_an_error(tmp_path: Path) -> None:
    # a request whose parameters are not the protocol's (a negative position) was never answered: pygls
    # dropped it, and the editor waited for ever. It is now answered with "invalid params", and the next one too
    source = POLICY.read_text(encoding="utf-8")
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    guard = threading.Timer(60, client.process.kill)  # a request left unanswered fails the test instead of holding it
    guard.start()
    try:
        opened(client, uri, source)
        client.send({"id": "bad", "method": "textDocument/hover",
                     "params": {"textDocument": {"uri": uri}, "position": {"line": -1, "character": 0}}})
        while (answer := client.receive()).get("id") != "bad":
            client.notifications.append(answer)
        assert answer["error"]["code"] == -32602
        hover = locate(client, "hover", uri, position_of(source, "on sme_adopters {", 5))
        assert "SMEs that applied its solution this year" in hover["contents"]["value"]
    finally:
        guard.cancel()
        client.close()


def test_an_edit_lands_where_the_editor_made_it_past_a_line_separator(tmp_path: Path) -> None:
    # pygls applied an incremental edit to lines split by str.splitlines, which also breaks at a form feed
    # or U+2028 (text pasted from a PDF): past one, the edit landed a line off, and the server's copy of the
    # text silently differed from the editor's (formatting would have written it back). The editor now
    # sends the whole text with each change
    source = "# 附件\u2028第二页\x0c第三页\n" + POLICY.read_text(encoding="utf-8")
    typo = source.replace("amount thresholds on sme_adopters {", "amount thresholds on sme_adoptrs {", 1)
    uri = (tmp_path / "jinjiang.pol").as_uri()
    client = Client()
    try:
        capabilities = client.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jinjiang-policy",
                                                                "version": 1, "text": typo}})
        assert [d for d in client.diagnostics(uri) if d["severity"] == 1]
        at = position_of(typo, "sme_adoptrs {", len("sme_adopt"))
        sync = capabilities["capabilities"]["textDocumentSync"]
        if sync["change"] == 1:  # the whole text, as an editor sends it when the server asks for that
            change: dict[str, Any] = {"text": source}
        else:
            change = {"range": {"start": at, "end": at}, "text": "e"}
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [change]})
        assert [d for d in client.diagnostics(uri) if d["severity"] == 1] == []
        assert client.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": {
            "tabSize": 2, "insertSpaces": True}}) in ([], None)
    finally:
        client.close()
