"""`jinjiang-dsl test --lang en`: a failed 'expect … shared' names each payer by its English name, as the
explanation beside it does; in Chinese, as the policy writes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinjiang_dsl.cli import main

POLICY = '''policy "资金分担" / "Cost sharing" {
  issued 2024-01-01
  dated by date
  currency 元
  rounding 0.01元 half_up
  shared 6:4 by 市级财政 / "city treasury", 区级财政 / "district treasury"
}

project {
  date: date "认定日期" / "date recognised"
  base: money "补助基数" / "subsidy base"
}

measure 1 "分担" / "Shared" {
  clause 一
  amount 100% of base

  example "6:4" / "6:4" {
    project P1 { date: 2024-05-01, base: 10万 }
    expect P1 1 granted 10万 shared 市级财政 5万, 区级财政 5万
  }
}
'''


def failure(tmp_path: Path, capsys: Any, lang: str) -> str:
    path = tmp_path / "p.pol"
    path.write_text(POLICY, encoding="utf-8")
    assert main(["test", str(path), "--lang", lang]) == 1
    return next(line.strip() for line in capsys.readouterr().out.splitlines() if line.strip().startswith(("line 20:", "第 20 行")))


def test_a_failed_split_names_the_payers_in_english(tmp_path: Path, capsys: Any) -> None:
    assert failure(tmp_path, capsys, "en") == (
        "line 20: P1 1: expected shared city treasury 50,000 (5万), district treasury 50,000 (5万); "
        "got city treasury 60,000, district treasury 40,000")


def test_a_failed_split_names_the_payers_as_written_in_chinese(tmp_path: Path, capsys: Any) -> None:
    assert failure(tmp_path, capsys, "zh") == (
        "第 20 行:P1 1:预期分担 市级财政 50,000 (5万), 区级财政 50,000 (5万);实际 市级财政 60,000, 区级财政 40,000")


def test_one_example_is_counted_in_the_singular(tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "p.pol"
    path.write_text(POLICY, encoding="utf-8")
    main(["test", str(path)])
    assert capsys.readouterr().out.splitlines()[0] == f"{path}: 1 example"
