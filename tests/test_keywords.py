"""Chinese keywords (issue 14, item 2): every keyword in both spellings, in one file if need be;
``fmt --keywords zh|en`` converts losslessly; the Jinjiang policy in Chinese keywords decides alike."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from jinjiang_dsl import load_policy
from jinjiang_dsl.api import check_source, policy_from_source
from jinjiang_dsl.cli import main
from jinjiang_dsl.examples import run_all
from jinjiang_dsl.fmt import (
    Unconvertible,
    convert_keywords,
    format_source,
    is_english_keyword,
    meaning,
    tokens_of,
)
from jinjiang_dsl.syntax import parser
from jinjiang_dsl.syntax.errors import keywords
from jinjiang_dsl.syntax.keyword_table import english_words
from jinjiang_dsl.syntax.keyword_table import keywords as table

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = sorted(p for p in (ROOT / "policies").rglob("*.pol") if not p.name.endswith(".zh.pol")) \
    + [ROOT / "tests" / "fixtures" / "every_construct.pol"]
JINJIANG, JINJIANG_ZH = ROOT / "policies" / "jinjiang_2023.pol", ROOT / "policies" / "jinjiang_2023.zh.pol"


def english_keywords_left(source: str) -> list[str]:
    return [str(t) for t in tokens_of(source, "<policy>") if is_english_keyword(t)]


@pytest.mark.parametrize("path", ENGLISH, ids=lambda p: p.name)
def test_every_policy_converts_to_chinese_keywords_and_back_unchanged(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    chinese = format_source(convert_keywords(source, "zh"))
    assert english_keywords_left(chinese) == []
    assert meaning(chinese) == meaning(source)
    back = format_source(convert_keywords(chinese, "en"))
    assert back == format_source(convert_keywords(source, "en"))  # what was in Chinese comes back in English
    if not any(t.type.lstrip("_").startswith("ZH_") for t in tokens_of(source, str(path))):
        assert back == source


def test_the_table_spells_every_english_keyword_once_each_way() -> None:
    grammar_words = {w for w in keywords(parser()) if w.isascii()}
    assert grammar_words <= english_words()  # nothing the grammar knows is left without a Chinese spelling
    assert len({k.english for k in table()}) == len({k.chinese for k in table()}) == len(table())
    grammar = (ROOT / "grammar" / "policy.lark").read_text(encoding="utf-8")
    assert [k.terminal for k in table() if k.terminal not in grammar] == []


def test_the_jinjiang_policy_in_chinese_keywords_says_and_decides_the_same() -> None:
    english, chinese = JINJIANG.read_text(encoding="utf-8"), JINJIANG_ZH.read_text(encoding="utf-8")
    title, note = chinese.split("\n", 1)[0] + "\n", "".join(chinese.splitlines(True)[1:4])
    assert note.startswith("# The same policy as jinjiang_2023.pol")
    assert title + note + format_source(convert_keywords(english, "zh")).split("\n", 1)[1] == chinese  # in step
    assert meaning(chinese) == meaning(english)
    assert english_keywords_left(chinese) == []
    zh = load_policy(JINJIANG_ZH)
    outcomes = run_all(zh)
    assert len(outcomes) == len(run_all(load_policy(JINJIANG))) >= 42 and all(o.passed for o in outcomes)

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import synthetic

    people = list(synthetic.applicants(300, seed=14))
    document = json.loads((ROOT / "examples" / "applications.json").read_text(encoding="utf-8"))
    for records in (document, {"applicants": people}):
        decided = [load_policy(path).run(records)[1].to_json("zh")["applicants"] for path in (JINJIANG, JINJIANG_ZH)]
        assert decided[0] == decided[1]
        assert any(award["status"] == "granted" for a in decided[0] for p in a["projects"] for award in p["awards"])


MIXED = '''policy "混合" / "mixed" {
  in force from 2024-01-01 to 2024-12-31
  日期依据 date
  rounding 0.01元 四舍五入
}

project {
  date: date "日期" / "date"
  投资额: 货币 "投资额" / "investment"
  是否示范: bool "示范" / "demonstration"
}

define 最高限额 = 100万

措施 1 "甲" / "A" {
  clause 一
  条件 是否示范 且 投资额 > 0
  金额 20%的投资额, 最高 最高限额
  cap 150万 每家每年, 按输入顺序核减
  example "上限" / "capped" {
    project { 是否示范: true, 投资额: 600万 }
    预期 granted 100万
  }
}

measure 2 "乙" / "B" {
  clause 二
  requires 是否示范
  amount 10% of 投资额, 最高50万
  每家每年限一次
}
'''


def test_both_spellings_mix_in_one_file_and_a_keyword_splits_off_a_number_not_a_name() -> None:
    assert check_source(MIXED) == []
    policy = policy_from_source(MIXED)
    assert [o.passed for o in run_all(policy)] == [True]
    assert meaning(format_source(convert_keywords(MIXED, "en"))) == meaning(MIXED)
    assert "最高限额" in format_source(convert_keywords(MIXED, "en"))  # a name that starts like a keyword stays
    one = policy.run({"applicants": [{"id": "E1", "projects": [{"id": "P1", "date": "2024-03-01",
                                                                 "投资额": "6000000", "是否示范": True}]}]})[1]
    awards = {a["measure"]: a["amount"] for p in one.to_json("zh", trace=False)["applicants"][0]["projects"]
              for a in p["awards"]}
    assert awards == {"1": "1000000.00", "2": "500000.00"}  # 最高 最高限额 binds, and 最高50万 reads as 最高 50万


def problems(source: str) -> list[tuple[str, str | None]]:
    return [(d.message, d.hint) for d in check_source(source)]


def test_messages_quote_keywords_as_the_file_spells_them() -> None:
    chinese = JINJIANG_ZH.read_text(encoding="utf-8")
    found = problems(chinese.replace("  日期依据 date\n", ""))
    assert ("the policy has an in-force window but no '日期依据' input",
            "add '日期依据 date', where date is the project's qualifying date") in found
    assert any("'每家每年限一次'" in message for message, _ in found)
    english = problems(JINJIANG.read_text(encoding="utf-8").replace("  dated by date\n", ""))
    assert ("the policy has an in-force window but no 'dated by' input",
            "add 'dated by date', where date is the project's qualifying date") in english

    glued = problems(chinese.replace("  条件 selected_demo", "  条件selected_demo", 1))
    assert glued == [("unknown word '条件selected_demo'",
                      "a keyword is followed by a space before a name: '条件 selected_demo'")]
    [(message, hint)] = problems(chinese.replace("金额 20% 的 investment", "金额 20% investment", 1))
    assert message == "unexpected 'investment'" and hint is not None
    assert hint == "a share of a base is written with '的': '20% 的 investment'"
    [(_, hint)] = problems(JINJIANG.read_text(encoding="utf-8").replace("amount 20% of investment",
                                                                         "amount 20% investment", 1))
    assert hint == "a share of a base is written with 'of': '20% of investment'"
    [(message, hint)] = problems(chinese.replace("金额 20% 的 investment", "金额 20% 的 investment 元", 1))
    assert message == "unexpected '元'" and hint is not None  # the list of what may stand there
    assert "'上限'" in hint and "'cap'" not in hint


def test_fmt_keywords_converts_checks_and_writes(tmp_path: Path, capsys: Any) -> None:
    english = JINJIANG.read_text(encoding="utf-8")
    path = tmp_path / "j.pol"
    path.write_text(english, encoding="utf-8")
    assert main(["fmt", "--keywords", "zh", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "措施 1.1" in printed and meaning(printed) == meaning(english)
    assert main(["fmt", "--check", "--keywords", "zh", str(path)]) == 1
    assert "+措施 1.1" in capsys.readouterr().out
    assert main(["fmt", "--write", "--keywords", "zh", str(path)]) == 0
    assert english_keywords_left(path.read_text(encoding="utf-8")) == []
    assert main(["fmt", "--write", "--keywords", "en", str(path)]) == 0
    assert path.read_text(encoding="utf-8") == english


def test_a_phrase_broken_over_lines_is_not_converted(tmp_path: Path, capsys: Any) -> None:
    source = MIXED.replace("  cap 150万 每家每年, 按输入顺序核减", "  cap 150万 per applicant\n    per year, reduce in input order")
    assert check_source(source) == []
    with pytest.raises(Unconvertible, match=r"<policy>:19:12: the phrase 'per applicant per year' is broken over lines"):
        convert_keywords(source, "zh")
    path = tmp_path / "m.pol"
    path.write_text(source, encoding="utf-8")
    assert main(["fmt", "--write", "--keywords", "zh", str(path)]) == 1
    assert "join it onto one line to convert it" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == source


def test_a_chinese_keyword_cannot_be_a_name_but_date_can() -> None:
    dated = MIXED.replace("日期依据 date", "日期依据 日期").replace('  date: date "日期" / "date"', '  日期: 日期 "日期" / "date"')
    assert check_source(dated) == []
    assert problems(dated.replace("投资额: 货币", "金额: 货币")) == [
        ("'金额' is a keyword, so it cannot be a name", "choose another name, e.g. 金额_value (docs/language.md §13 lists the keywords)")]
