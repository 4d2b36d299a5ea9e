"""The VS Code grammar (editors/vscode): it tokenises the Jinjiang policy's keywords, amounts and
boundary words as intended, and knows every keyword the language has."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GRAMMAR = json.loads((ROOT / "editors" / "vscode" / "syntaxes" / "jinjiang.tmLanguage.json").read_text(encoding="utf-8"))


def tokens(line: str) -> list[tuple[str, str]]:
    """A line as (text, scope) pairs, as a TextMate engine scans it: at each point the pattern that
    matches earliest (the first listed, on a tie); a begin/end rule runs to its end."""
    rules = [GRAMMAR["repository"][p["include"][1:]] for p in GRAMMAR["patterns"]]
    found, at = [], 0
    while at < len(line):
        best = None
        for rule in rules:
            m = re.compile(rule.get("match") or rule["begin"]).search(line, at)
            if m and m.end() > m.start() and (best is None or m.start() < best[0].start()):
                best = (m, rule)
        if best is None:
            break
        m, rule = best
        end = m.end()
        if "begin" in rule:
            close = re.compile(r'(\\.|[^"\\])*"').match(line, end)
            end = close.end() if close else len(line)
        found.append((line[m.start():end], rule["name"]))
        at = end
    return found


def scope_of(line: str, text: str) -> str:
    return next(scope for token, scope in tokens(line) if token.strip() == text)


def test_the_grammar_scopes_keywords_amounts_boundary_words_strings_and_comments() -> None:
    assert scope_of("measure 2.1 \"中小企业\" / \"SMEs\" {", "measure") == "keyword.control.jinjiang"
    assert scope_of("  requires enterprises_diagnosed in 20家以上 \"…\"", "20家") == "constant.numeric.amount.jinjiang"
    assert scope_of("  requires enterprises_diagnosed in 20家以上 \"…\"", "以上") == "keyword.operator.boundary.jinjiang"
    assert scope_of("    50万(含)至100万: 5万", "(含)") == "keyword.operator.boundary.jinjiang"
    assert scope_of("    50万(含)至100万: 5万", "100万") == "constant.numeric.amount.jinjiang"
    assert scope_of("  amount 20% of platform_it_investment, at most 50万元", "50万元") == \
        "constant.numeric.amount.jinjiang"
    assert scope_of("  amount 20% of platform_it_investment, at most 50万元", "20%") == \
        "constant.numeric.amount.jinjiang"
    assert scope_of("  amount 1,000,000元", "1,000,000元") == "constant.numeric.amount.jinjiang"
    assert scope_of("  in force from 2023-05-01 to 2024-12-31", "2023-05-01") == "constant.numeric.date.jinjiang"
    assert scope_of("  clause 一(一)", "一(一)") == "entity.name.section.clause.jinjiang"
    assert scope_of('  quote "按不超过其软件系统、硬件设备投入金额的20%给予补助"', '"按不超过其软件系统、硬件设备投入金额的20%给予补助"') \
        == "string.quoted.double.jinjiang"
    assert scope_of("  note I-2  # 以上 in a comment is no keyword", "# 以上 in a comment is no keyword") == \
        "comment.line.number-sign.jinjiang"
    # a keyword inside a name is part of the name, not a keyword
    assert all(scope != "keyword.control.jinjiang" for token, scope in tokens("  other_policy_award: money")
               if "other" in token)


def test_the_grammar_tokenises_the_whole_jinjiang_policy() -> None:
    source = (ROOT / "policies" / "jinjiang_2023.pol").read_text(encoding="utf-8")
    scopes: dict[str, set[str]] = {}
    for line in source.splitlines():
        for token, scope in tokens(line):
            scopes.setdefault(scope, set()).add(token.strip())
    assert {"measure", "requires", "amount", "rule", "example", "expect", "highest", "stacked"} \
        <= scopes["keyword.control.jinjiang"]
    assert {"以上", "超过"} <= scopes["keyword.operator.boundary.jinjiang"]
    assert {"100万", "20家", "10万"} <= scopes["constant.numeric.amount.jinjiang"]
    assert "一(一)" in scopes["entity.name.section.clause.jinjiang"]


def test_the_grammar_knows_every_keyword_of_the_language() -> None:
    from jinjiang_dsl.syntax import parser
    from jinjiang_dsl.syntax.errors import keywords

    repo = GRAMMAR["repository"]
    for word in set(keywords(parser())):
        line = f" {word} "
        assert any(re.search(repo[r]["match"], line) and re.search(repo[r]["match"], line).group() == word
                   for r in ("keyword", "keyword-zh", "boundary", "constant")), word


def test_the_extension_starts_the_language_server() -> None:
    package = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
    assert package["contributes"]["languages"][0]["extensions"] == [".pol"]
    assert package["contributes"]["configuration"]["properties"]["jinjiang.serverCommand"]["default"] == \
        ["jinjiang-dsl", "lsp"]
    script = (ROOT / "editors" / "vscode" / "extension.js").read_text(encoding="utf-8")
    assert 'getConfiguration("jinjiang").get("serverCommand")' in script and "new LanguageClient(" in script


def test_the_grammar_scopes_chinese_keywords_as_the_parser_reads_them() -> None:
    line = "  上限50万 每家每年, 按输入顺序核减"
    assert scope_of(line, "上限") == scope_of(line, "每家每年") == scope_of(line, "按输入顺序核减") == \
        "keyword.control.jinjiang"
    assert scope_of(line, "50万") == "constant.numeric.amount.jinjiang"
    line = "  金额 20%的 investment, 最高 100万"
    assert scope_of(line, "的") == scope_of(line, "最高") == "keyword.control.jinjiang"
    # a keyword at either end of a longer name is part of the name (最高限额, 本年合计, 是否制造业)
    for name in ("最高限额", "本年合计", "是否制造业"):
        assert all(scope != "keyword.control.jinjiang" for _, scope in tokens(f"  条件 {name} > 0")[1:]), name


def test_the_grammar_tokenises_the_jinjiang_policy_in_chinese_keywords() -> None:
    source = (ROOT / "policies" / "jinjiang_2023.zh.pol").read_text(encoding="utf-8")
    found = {token.strip() for line in source.splitlines() for token, scope in tokens(line)
             if scope == "keyword.control.jinjiang"}
    assert {"措施", "条件", "金额", "最高", "规则", "就高不重复", "每项目每年", "例子", "预期", "给予"} <= found
