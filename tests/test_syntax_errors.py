"""Syntax errors a drafter can act on: exact messages, hints and locations.

The common mistakes (a misspelt keyword, a missing brace, 万 written twice, a range that
does not say which end is included, an unclosed quote, a date that does not exist) each
get a hand-written message rather than the parser's list of expected tokens.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jinjiang_dsl import check_source
from jinjiang_dsl.diagnostics import PolicyError, render_plain
from jinjiang_dsl.syntax import parse

HEAD = 'policy "示例" / "Example" {\n  issued 2023-04-23\n}\n'


def problems(src: str) -> list[tuple[str, str | None, int, int, int]]:
    """(message, hint, line, column, end column) of every diagnostic; syntax errors are errors."""
    found = check_source(src, "p.pol")
    assert all(d.is_error for d in found)
    return [(d.message, d.hint, d.span.line, d.span.column, d.span.end_column) for d in found]


def at(src: str, needle: str) -> tuple[int, int]:
    """Line and column (1-based, in characters) of the first occurrence of needle."""
    pos = src.index(needle)
    return src.count("\n", 0, pos) + 1, pos - (src.rfind("\n", 0, pos) + 1) + 1


def measure(body: str) -> str:
    return HEAD + f'measure 1.1 "示范" / "Demo" {{\n  clause 一(一)\n{body}\n}}\n'


# ---------------------------------------------------------------- misspelt keywords


def test_misspelt_requires():
    src = measure("  requries x > 0\n  amount 10万")
    assert problems(src) == [("unknown word 'requries'", "did you mean 'requires'?", 6, 3, 11)]


@pytest.mark.parametrize(
    ("src", "word", "guess"),
    [
        ('policy "示例" / "Example" {\n  isued 2023-04-23\n}\n', "isued", "issued"),
        ('measrue 1.1 "示范" / "Demo" {\n}\n', "measrue", "measure"),
        (measure("  amount 10万\n  cluase 一(一)"), "cluase", "clause"),
        (measure("  benificiary x"), "benificiary", "beneficiary"),
        ('rule R1 "规则" / "Rule" {\n  valdity\n}\n', "valdity", "validity"),
        ("projcet {\n  x: money\n}\n", "projcet", "project"),
    ],
)
def test_misspelt_keywords(src, word, guess):
    line, col = at(src, word)
    assert problems(src) == [
        (f"unknown word '{word}'", f"did you mean '{guess}'?", line, col, col + len(word))
    ]



@pytest.mark.parametrize(
    ("expectation", "word", "guess"),
    [
        ("expect grantd 20万", "grantd", "granted"),  # read as a project id, 20 as a measure number
        ("expect not_elligible", "not_elligible", "not_eligible"),  # the error was at the next line's '}'
        ("expect P1 grantd 20万", "grantd", "granted"),
        ("expect 1.1 superceded", "superceded", "superseded"),
        ("expect totl 10万", "totl", "total"),  # read as a project id, 10 as a measure number
        ('expect eror "x"', "eror", "error"),
        ("预期 给与 6万", "给与", "给予"),
        ("预期 P1 1.1 不符合条见", "不符合条见", "不符合条件"),
    ],
)
def test_misspelt_status_in_an_expectation(expectation, word, guess):
    src = measure(f'  amount 10万\n  example "例" / "e" {{\n    project {{ x: 1万 }}\n    {expectation}\n  }}')
    line, col = at(src, word)
    assert problems(src) == [
        (f"unknown word '{word}'", f"did you mean '{guess}'?", line, col, col + len(word))
    ]


def test_misspelt_status_in_a_policy_written_in_chinese_keywords():
    src = ('措施 1 "示范" / "Demo" {\n  金额 10万\n  例子 "例" / "e" {\n    项目 { x: 1万 }\n'
           '    预期 给与 10万\n  }\n}\n')
    line, col = at(src, "给与")
    assert problems(src) == [("unknown word '给与'", "did you mean '给予'?", line, col, col + 2)]
@pytest.mark.parametrize(
    ("body", "word", "guess"),
    [
        ("  amounts 10万", "amounts", "amount"),  # read as 'amount' then 's'
        ("  amount 10万\n  notes I-1", "notes", "note"),
        ('  amount 10万\n  quotes "原文"', "quotes", "quote"),
    ],
)
def test_keyword_run_into_more_letters(body, word, guess):
    src = measure(body)
    line, col = at(src, word)
    assert problems(src) == [
        (f"unknown word '{word}'", f"did you mean '{guess}'?", line, col, col + len(word))
    ]


def test_keyword_run_into_more_letters_at_top_level():
    src = 'rulex R1 "规则" / "Rule" {\n}\n'
    assert problems(src) == [("unknown word 'rulex'", "did you mean 'rule'?", 1, 1, 6)]


@pytest.mark.parametrize("before", ['  a: money "甲" / "a"\n', "  a: money\n", ""])
def test_a_keyword_is_never_an_input_name_whatever_comes_before(before: str):
    # The parser reads a word as a keyword only where one may stand: after a label 'limit' was refused, after
    # an unlabelled input it was a name. Now it is refused the same everywhere, at its declaration.
    src = f'project {{\n{before}  limit: money "限额" / "limit"\n}}\n'
    line = src.count("\n", 0, src.index("limit:")) + 1
    assert problems(src) == [
        ("'limit' is a keyword, so it cannot be a name",
         "choose another name, e.g. limit_value (docs/language.md §13 lists the keywords)", line, 3, 8),
    ]


def test_a_keyword_of_expressions_is_refused_where_it_is_declared_not_where_it_is_read():
    src = 'define sum = 1万\n'
    assert problems(src) == [
        ("'sum' is a keyword, so it cannot be a name",
         "choose another name, e.g. sum_value (docs/language.md §13 lists the keywords)", 1, 8, 11),
    ]


# ---------------------------------------------------------------- punctuation is not a keyword


@pytest.mark.parametrize(
    "body",
    ["  beneficiary kind = enterprise\n  amount 10万", "  requires x = 5万\n  amount 10万", "  amount 10万\n  when x=1万: 2万"],
)
def test_a_single_equals_sign_where_a_comparison_fits(body):
    src = measure(body)
    line, col = at(src, "=")
    assert problems(src) == [("unexpected '='", "did you mean '=='?", line, col, col + 1)]


@pytest.mark.parametrize(
    ("body", "written"),
    [
        ("  amount 200000.", "200000"),
        ("  amount .5万", "0.5万"),
        ("  amount 200000.万", "200000万"),
        ("  amount 1万\n  requires x > .5 万", "0.5 万"),
    ],
)
def test_a_decimal_point_without_a_digit_on_each_side(body, written):
    src = measure(body)
    statement = body.split("\n")[-1]
    line, col = at(src, statement)
    col += statement.index(".")
    assert problems(src) == [
        ("unexpected '.'", f"a decimal point needs a digit on each side: write '{written}'", line, col, col + 1),
    ]


# ---------------------------------------------------------------- braces


def test_missing_brace_before_the_next_measure():
    src = (
        HEAD
        + 'measure 1.1 "示范" / "Demo" {\n  clause 一(一)\n  amount 10万\n\n'
        + 'measure 1.2 "二" / "Two" {\n  clause 一(二)\n  amount 10万\n}\n'
    )
    assert problems(src) == [
        ("missing '}' before 'measure'", "the '{' at line 4, column 27 is not closed", 8, 1, 8),
    ]


@pytest.mark.parametrize(
    ("keyword", "tail"),
    [("rule", 'rule R1 "规则" / "Rule" {\n  validity\n}\n'), ("project", "project {\n  x: money\n}\n")],
)
def test_missing_brace_before_other_blocks(keyword, tail):
    src = HEAD + 'measure 1.1 "示范" / "Demo" {\n  amount 10万\n\n' + tail
    assert problems(src) == [
        (
            f"missing '}}' before '{keyword}'",
            "the '{' at line 4, column 27 is not closed",
            7,
            1,
            1 + len(keyword),
        ),
    ]


def test_missing_brace_before_the_next_example_points_at_the_example_left_open():
    # It said "unknown word 'example'" with "did you mean 'expect'?", of a keyword spelled right.
    src = measure('  amount 10万\n  example "一" / "one" {\n    project { x: 1万 }\n    expect granted 10万\n\n'
                  '  example "二" / "two" {\n    project { x: 2万 }\n    expect granted 10万\n  }')
    line, col = at(src, "example \"二\"")
    assert problems(src) == [
        ("missing '}' before 'example'", "the '{' at line 7, column 23 is not closed", line, col, col + 7),
    ]


@pytest.mark.parametrize(
    ("body", "tail", "opening"),
    [
        ('  金额 10万\n  例子 "一" / "one" {\n    预期 给予 10万\n\n', '  例子 "二" / "two" {\n  }\n}\n', (3, 18)),
        ("  金额 10万\n\n", '措施 2 "二" / "two" {\n  金额 10万\n}\n', (1, 20)),
        ("  金额 10万\n\n", '规则 R1 "规则" / "Rule" {\n  有效期校验\n}\n', (1, 20)),
    ],
)
def test_missing_brace_before_a_block_in_chinese_keywords(body, tail, opening):
    src = '措施 1 "示范" / "Demo" {\n' + body + tail
    keyword, (open_line, open_col) = tail.split()[0], opening
    line, col = at(src, tail.lstrip())
    assert problems(src) == [
        (f"missing '}}' before '{keyword}'", f"the '{{' at line {open_line}, column {open_col} is not closed",
         line, col, col + 2),
    ]


def test_missing_brace_after_an_inputs_block():
    src = HEAD + 'project {\n  x: money "x" / "x"\n\nmeasure 1.1 "示范" / "Demo" {\n}\n'
    assert problems(src) == [
        ("missing '}' before 'measure'", "the '{' at line 4, column 9 is not closed", 7, 1, 8),
    ]


def test_define_after_an_unclosed_measure_belongs_to_the_measure():
    src = HEAD + 'measure 1.1 "示范" / "Demo" {\n  amount 10万\n\ndefine y = 1\n'
    assert problems(src) == [
        ("missing '}': this '{' is never closed", "add '}' where the block ends", 4, 27, 28)
    ]


def test_missing_brace_at_end_of_file():
    src = HEAD + 'measure 1.1 "示范" / "Demo" {\n  clause 一(一)\n  amount 10万\n'
    assert problems(src) == [
        ("missing '}': this '{' is never closed", "add '}' where the block ends", 4, 27, 28)
    ]


def test_missing_brace_of_the_header_at_end_of_file():
    src = 'policy "示例" / "Example" {\n  issued 2023-04-23\n\n\n'
    assert problems(src) == [
        ("missing '}': this '{' is never closed", "add '}' where the block ends", 1, 25, 26)
    ]


def test_braces_inside_quotes_and_comments_do_not_count():
    src = HEAD + 'measure 1.1 "示范{" / "Demo" {  # a { in a comment\n  amount 10万\n'
    assert problems(src) == [
        ("missing '}': this '{' is never closed", "add '}' where the block ends", 4, 28, 29)
    ]


def test_stray_closing_brace():
    src = HEAD + "}\n"
    ((message, hint, line, col, _),) = problems(src)
    assert (message, line, col) == ("unexpected '}'", 4, 1)
    assert hint.startswith("expected 'applicant', 'define', ") and "'measure'" in hint


# ---------------------------------------------------------------- numbers


def test_wan_written_twice():
    src = measure("  amount 100万万")
    assert problems(src) == [("万 written twice in '100万万'", "write '100万'", 6, 10, 15)]


@pytest.mark.parametrize(
    ("written", "hint"),
    [("100万万元", "write '100万元'"), ("5万 万", "write '5万'"), ("2亿亿", "write '2亿'")],
)
def test_magnitude_written_twice(written, hint):
    src = measure(f"  amount {written}")
    magnitude = "亿" if "亿" in written else "万"
    assert problems(src) == [(f"{magnitude} written twice in '{written}'", hint, 6, 10, 10 + len(written))]


def test_mixed_magnitudes():
    src = measure("  amount 1万亿")
    assert problems(src) == [("'1万亿' mixes 万 and 亿; use one magnitude", None, 6, 10, 13)]


def test_wan_twice_in_a_tier_bound():
    src = measure("  amount bands on x {\n    50万万以上: 1万\n  }")
    assert problems(src) == [("万 written twice in '50万万'", "write '50万'", 7, 5, 9)]


def test_percent_without_a_number():
    src = measure("  amount %")
    assert problems(src) == [
        ("unexpected character '%'", "a percentage is written right after its number, e.g. 20%", 6, 10, 11),
    ]


def test_a_percentage_with_a_boundary_word_is_a_bound():
    from jinjiang_dsl.runtime.intervals import from_ast
    from jinjiang_dsl.syntax import parse

    src = measure("  amount bands on x {\n    不满20%: 1万\n    20%(含)以上: 2万\n    超过50%: 3万\n    [60%, 70%]: 4万\n  }")
    tiers = parse(src, "p.pol").measures[0].amount.formula.tiers
    assert [str(from_ast(t.interval)) for t in tiers] == ["(-∞, 20%)", "[20%, ∞)", "(50%, ∞)", "[60%, 70%]"]


@pytest.mark.parametrize(
    ("body", "share"),
    [
        ("  amount 1万 + 20% of b", "20% of b"),
        ("  amount 5万 × 20 % of applicant.spend, at most 10万", "20% of applicant.spend"),
        ("  requires x > 1万 - 20% of 投入\n  amount 1万", "20% of 投入"),
    ],
)
def test_share_on_the_right_of_an_operator(body, share):
    src = measure(body)
    line, col = at(src, " of ")
    assert problems(src) == [
        ("unexpected 'of'", f"put a share of a base in brackets: ({share})", line, col + 1, col + 3),
    ]


def test_a_share_without_of():
    src = measure("  amount 5% rd_expense, at most 200万")
    line, col = at(src, "rd_expense")
    assert problems(src) == [
        ("unexpected 'rd_expense'", "a share of a base is written with 'of': '5% of rd_expense'", line, col, col + 10),
    ]


def test_an_annual_cap_written_on_the_amount_line():
    # the notice's 每家企业每年最高50万元, read into the amount's 'at most'
    src = measure("  amount 5万 × doctors, at most 50万 per applicant per year")
    line, col = at(src, "per applicant")
    assert problems(src) == [
        ("unexpected 'per'", "a cap per applicant per year is a line of its own: 'cap 50万 per applicant per year' "
                             "followed by ', reduce in input order'; 'at most' caps each project alone",
         line, col, col + 3),
    ]
    zh = ('政策 "示例" / "Example" {\n  发布日期 2023-04-23\n}\n措施 1 "人才" / "Talent" {\n  条款 一\n'
          '  金额 5万 × doctors, 最高 50万 每家每年\n}\n')
    assert problems(zh)[0][:2] == (
        "unexpected '每家每年'", "a cap per applicant per year is a line of its own: '上限 50万 每家每年' followed by "
                              "', 按输入顺序核减'; '最高' caps each project alone")


def test_an_annual_cap_that_does_not_say_how_it_reduces_is_reported_on_its_own_line():
    # it was 'unexpected 'shared'', at the next line, with the hint "expected ',', 'reduce'"
    src = measure("  amount 5万 × doctors\n  cap 50万 per applicant per year\n  shared 1:1 by 市级, 区级")
    line, col = at(src, "per year")
    assert problems(src) == [
        ("the annual cap does not say how grants over it are reduced",
         "end the line with ', reduce in input order' (or ', reduce pro rata')", line, col + 8, col + 9),
    ]


def test_percentage_as_a_quota():
    src = measure("  quota 20% per kind per year")
    assert problems(src) == [
        ("a percentage '20%' cannot stand here", "write the number without '%'", 6, 9, 12)
    ]


# ---------------------------------------------------------------- intervals


def test_range_that_does_not_say_which_end_is_included():
    src = measure("  amount bands on x {\n    50万至100万: 5万\n  }")
    assert problems(src) == [
        (
            "'50万…100万' does not say which end is included",
            "write '50万(含)至100万' for [50万, 100万), or use interval notation such as [50万, 100万)",
            7,
            5,
            13,
        ),
    ]


def test_bare_range_with_a_dash_in_a_condition():
    src = measure("  requires x in 10家—20家\n  amount 1万")
    ((message, hint, line, col, _),) = problems(src)
    assert (message, line, col) == ("'10家…20家' does not say which end is included", 6, 17)
    assert hint.startswith("write '10家(含)至20家' for [10家, 20家)")


def test_interval_starting_at_infinity():
    src = measure("  amount bands on x {\n    (∞, 5万]: 1万\n  }")
    assert problems(src) == [
        ("an interval cannot start at ∞", "write -∞ for no lower end: (-∞, X], or 不超过X", 7, 6, 7),
    ]


def test_an_interval_from_minus_infinity_reads_as_at_most():
    from jinjiang_dsl.runtime.intervals import from_ast
    from jinjiang_dsl.syntax import parse

    for written in ("(-∞, 5万]", "(−∞，5万］"):
        policy = parse(measure(f"  amount bands on x {{\n    {written}: 1万\n  }}"), "p.pol")
        (tier,) = policy.measures[0].amount.formula.tiers
        assert str(from_ast(tier.interval)) == "(-∞, 5万]"


def test_an_interval_ending_at_minus_infinity():
    src = measure("  amount bands on x {\n    [5万, -∞): 1万\n  }")
    assert problems(src) == [
        ("an interval cannot end at -∞", "write ∞ for no upper end: [X, ∞), or X以上", 7, 10, 12),
    ]


# ---------------------------------------------------------------- quotes, dates, characters


def test_unterminated_string_at_end_of_line():
    src = HEAD + 'measure 1.1 "示范" / "Demo {\n  clause 一(一)\n  amount 10万\n}\n'
    assert problems(src) == [
        ("unexpected character '\"'", "a quoted text is not closed: add the closing '\"'", 4, 20, 21),
    ]


def test_unterminated_string_does_not_run_into_later_lines():
    src = measure('  quote "原文\n  amount 10万 "x"')
    assert problems(src) == [
        ("unexpected character '\"'", "a quoted text is not closed: add the closing '\"'", 6, 9, 10),
    ]


def test_quote_closed_too_early():
    src = HEAD + 'measure 1.1 "示范 / "Demo" {\n  amount 10万\n}\n'
    assert problems(src) == [
        (
            "unexpected 'Demo'",
            "a quoted text on this line is not closed where it should be: check its '\"' marks",
            4,
            20,
            24,
        ),
    ]


def test_date_that_does_not_exist():
    src = 'policy "示例" / "Example" {\n  issued 2023-02-30\n}\n'
    assert problems(src) == [("'2023-02-30' is not a date", "that day does not exist", 2, 10, 20)]


def test_dates_that_do_not_exist_in_a_window():
    src = 'policy "示例" / "Example" {\n  in force from 2023-13-01 to 2023-04-31\n}\n'
    assert problems(src) == [
        ("'2023-13-01' is not a date", "that day does not exist", 2, 17, 27),
        ("'2023-04-31' is not a date", "that day does not exist", 2, 31, 41),
    ]


@pytest.mark.parametrize(
    ("body", "quote"),
    [
        ('  quote “原文”\n  amount 10万', "“"),
        ("  requires x == ”纺织”\n  amount 10万", "”"),
        ('  requires industry in {“纺织”}\n  amount 10万', "“"),
    ],
)
def test_curly_quotes_around_a_text(body, quote):
    src = measure(body)
    line, col = at(src, quote)
    assert problems(src) == [
        (f"unexpected character '{quote}'", 'use straight quotes "…" around texts', line, col, col + 1),
    ]


def test_curly_quotes_inside_a_text_are_fine():
    (m,) = parse(measure('  quote "“数字工匠”培训"\n  amount 10万')).measures
    assert m.quote.text == "“数字工匠”培训"


def test_unexpected_character():
    src = measure("  amount 10万 @ 5")
    ((message, hint, line, col, end),) = problems(src)
    assert (message, line, col, end) == ("unexpected character '@'", 6, 14, 15)
    assert hint.startswith("expected ")


@pytest.mark.parametrize("ch", ["$", "\x00", "€", "😀"])
def test_unexpected_characters_of_any_kind(ch):
    src = f"{ch}\n"
    ((message, _, line, col, _),) = problems(src)
    assert (message, line, col) == (f"unexpected character {ch!r}", 1, 1)


@pytest.mark.parametrize("ch, name, hint", [
    ("\u3000", "U+3000 IDEOGRAPHIC SPACE", "write a plain space"),
    ("\u00a0", "U+00A0 NO-BREAK SPACE", "write a plain space"),
    ("\u2003", "U+2003 EM SPACE", "write a plain space"),
    ("\u200b", "U+200B ZERO WIDTH SPACE", "delete it"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE", "delete it"),
])
def test_a_space_or_an_invisible_character_is_named_where_it_stands(ch, name, hint):
    # an input method's full-width space, or a zero-width one pasted in, shows as nothing on the printed line
    between = measure(f"  amount{ch}10万")
    ((message, got, line, col, _),) = problems(between)
    assert (message, got, line, col) == (f"invisible character {name}", hint, 6, 9)
    # inside a keyword the word before it is not 'unknown': the character is what is wrong
    inside = measure(f"  amo{ch}unt 10万")
    ((message, got, line, col, _),) = problems(inside)
    assert (message, got, line, col) == (f"invisible character {name}", hint, 6, 6)


def test_a_look_alike_letter_in_a_word_is_named():
    src = measure("  \u0430mount 10万")  # Cyrillic а
    ((message, hint, line, col, _),) = problems(src)
    assert message == "unknown word '\u0430mount'"
    assert hint == "did you mean 'amount'? 'а' is U+0430 CYRILLIC SMALL LETTER A, not a Latin letter"


def test_file_ending_in_the_middle_of_a_statement():
    src = "define x =\n\n"
    ((message, hint, line, col, _),) = problems(src)
    assert (message, line, col) == ("the file ends in the middle of a statement", 1, 11)
    assert hint.startswith("expected ")


def test_expressions_nested_too_deeply_are_reported_where_they_get_too_deep():
    src = "define x = " + "not " * 5000 + "true\n"
    ((message, hint, line, col, _),) = problems(src)
    assert message == "this nests more than 120 levels deep (an expression may nest at most 48)"
    assert (line, col) == (1, len("define x = ") + 4 * 118 + 1)  # the 'not' that is one level too deep
    assert hint.startswith("split the expression")


# ---------------------------------------------------------------- statements the grammar allows once


def test_second_amount_in_a_measure():
    src = measure("  amount 10万\n  amount 20万")
    assert problems(src) == [
        ("measure 1.1 has a second 'amount'", "keep one; the first one is at line 6", 7, 3, 13)
    ]


def test_second_policy_header():
    src = HEAD + 'policy "又一个" / "another" {\n}\n'
    assert problems(src) == [("a second policy header", "the first is at line 1", 4, 1, 2)]


def test_rule_stating_two_things():
    src = 'rule R1 "规则" / "Rule" {\n  highest not stacked per project per year\n  validity\n}\n'
    assert problems(src) == [
        (
            "rule R1 mixes 'highest not stacked' and 'validity'",
            "each rule states one thing; split it into two rules",
            3,
            3,
            11,
        ),
    ]


def test_every_surface_problem_is_reported_in_one_run_in_source_order():
    src = measure("  amount 100万万\n  amount 2023-02-30")
    assert [(m, line, col) for m, _, line, col, _ in problems(src)] == [
        ("万 written twice in '100万万'", 6, 10),
        ("measure 1.1 has a second 'amount'", 7, 3),
        ("'2023-02-30' is not a date", 7, 10),
    ]


def test_parse_raises_policy_error_rendered_like_the_cli():
    src = measure("  requries x > 0")
    with pytest.raises(PolicyError) as info:
        parse(src, "p.pol")
    assert str(info.value) == (
        "p.pol:6:3: error: unknown word 'requries'\n"
        "   6 |   requries x > 0\n"
        "     |   ^^^^^^^^\n"
        "  hint: did you mean 'requires'?\n"
    )


# ---------------------------------------------------------------- source text quoted in messages


def test_control_characters_from_the_source_are_escaped_in_messages():
    src = measure("  amount 100\t万万")
    assert problems(src) == [("万 written twice in '100\\t万万'", "write '100万'", 6, 10, 16)]


def test_terminal_escapes_in_the_source_cannot_reach_the_terminal():
    src = '"\x1b[31m红"\n'
    ((message, _, line, col, _),) = problems(src)
    assert (message, line, col) == ("unexpected '\"\\x1b[31m红\"'", 1, 1)
    rendered = render_plain(check_source(src, "p.pol"), {"p.pol": src})
    assert "\x1b" not in rendered
    assert rendered.split("\n")[1:3] == ['   1 | "[31m红"', "     | " + "^" * 8]  # ESC takes no cell


def test_the_documented_keywords_are_the_grammars() -> None:
    from pathlib import Path

    from jinjiang_dsl.syntax import parser
    from jinjiang_dsl.syntax.errors import keywords
    from jinjiang_dsl.syntax.keyword_table import keywords as table

    doc = (Path(__file__).resolve().parents[1] / "docs" / "language.md").read_text(encoding="utf-8")
    listed = doc.split("**Reserved words.**", 1)[1].split("```")[1].split()
    chinese = {k.chinese for k in table()}
    assert sorted(listed) == sorted(set(keywords(parser())) - chinese - {"date"})
    rows = doc.split("## 15. Keywords in Chinese", 1)[1].split("|---|---|\n", 1)[1].strip().splitlines()
    assert rows == [f"| `{k.english}` | `{k.chinese}` |" for k in table()]  # §15's table is grammar/keywords.tsv


def test_an_input_with_a_default_cannot_also_be_required() -> None:
    src = 'project {\n  spend: money = 0 required "投入" / "spend"\n}\n'
    assert problems(src) == [
        ("input 'spend' has a default, so it cannot be required",
         "keep one: a default stands in when the fact is left out; 'required' refuses that", 2, 20, 28),
    ]


def test_a_sum_that_does_not_say_over_what() -> None:
    src = (HEAD + 'project {\n  spend: money "投入" / "spend"\n}\n'
           'measure 1 "m" / "m" {\n  clause 一\n  requires sum of spend > 0\n  amount 10% of spend\n}\n')
    line = src.count("\n", 0, src.index("requires sum")) + 1
    assert problems(src) == [
        ("'sum of spend' does not say over what it adds up", "write: sum of spend per applicant per year", line, 25, 26),
    ]


@pytest.mark.parametrize("written, meant", [("=<", "<="), ("=>", ">=")])
def test_a_comparison_written_backwards_is_told_the_right_way_round(written, meant):
    src = measure(f"  requires 投入 {written} 10万\n  amount 20% of 投入")
    ((message, hint, _, _, _),) = problems(src)
    assert (message, hint) == ("unexpected '='", f"did you mean '{meant}'?")


def test_a_file_whose_lines_end_in_a_lone_carriage_return_reads_as_its_lines():
    # an old Mac file: \r alone ended no line, so the first comment ran to the end of the file ("no header")
    from jinjiang_dsl import check_source

    shape = Path(__file__).resolve().parents[1] / "policies" / "shapes" / "s09_per_unit.pol"
    source = shape.read_text(encoding="utf-8")
    assert list(check_source(source.replace("\n", "\r"), "cr.pol")) == []
    broken = source.replace("amount ", "amonut ", 1)
    [(line, text)] = [(d.span.line, d.message) for d in check_source(broken, "lf.pol") if d.is_error]
    [(cr_line, cr_text)] = [(d.span.line, d.message) for d in check_source(broken.replace("\n", "\r"), "cr.pol")
                            if d.is_error]
    assert (cr_line, cr_text) == (line, text)


@pytest.mark.parametrize("phrase", ["once", "once per", "once per applicant per"])
def test_once_without_its_period_is_named_at_the_end_of_its_line(phrase):
    src = measure(f"  amount 10万\n  {phrase}")
    line, col = at(src, phrase)
    assert problems(src) == [("'once' does not say over what period",
                              "write 'once per applicant' (one grant ever) or 'once per applicant per year'",
                              line, col + len(phrase), col + len(phrase) + 1)]


def test_a_notices_own_word_for_a_keyword_is_pointed_to_the_keyword():
    src = measure("  amount 10万\n  一次性")
    line, col = at(src, "一次性")
    assert problems(src) == [("unknown word '一次性'", "did you mean 'once per applicant' (每家限一次) or "
                              "'once per applicant per year' (每家每年限一次)?", line, col, col + 3)]
    zh = '措施 1 "示范" / "Demo" {\n  金额 10万\n  一次性\n}\n'
    line, col = at(zh, "一次性")
    assert problems(zh) == [("unknown word '一次性'", "did you mean '每家限一次' (once per applicant) or "
                             "'每家每年限一次' (once per applicant per year)?", line, col, col + 3)]


# ---------------------------------------------------------------- escapes in a text


@pytest.mark.parametrize("escape", ["\\u", "\\U", "\\x", "\\N", "\\d"])
def test_an_escape_a_text_does_not_know_is_an_error_at_its_backslash(escape):
    # "\u4e2d" was read as "u4e2d" and "C:\Users" as "C:Users": the backslash dropped unseen
    src = measure(f'  quote "路径 C:{escape}sers"\n  amount 10万')
    line, col = at(src, escape)
    assert problems(src) == [(f"unknown escape '{escape}' in a text",
                              'write \\\\ for a backslash; a text knows \\" \\\\ \\n and \\t', line, col, col + 2)]


def test_the_escapes_a_text_knows_are_read():
    src = measure('  quote "他说\\"好\\"\\n\\t\\\\u4e2d"\n  amount 10万')
    assert not [d for d in check_source(src, "p.pol") if d.is_error]
    assert parse(src, "p.pol").measures[0].quote.text == '他说"好"\n\t\\u4e2d'


def test_a_listing_of_many_diagnostics_splits_the_source_once(monkeypatch):
    # every diagnostic split the whole file again: 30,000 unused inputs in an 890 KB policy were still
    # printing their warnings after 5 minutes
    from jinjiang_dsl import diagnostics

    src = HEAD + "project {\n" + "".join(f"  f{i}: money \"金额\" / \"sum\"\n" for i in range(300)) + "}\n"
    found = [d for d in check_source(src, "p.pol") if "never used" in d.message]
    assert len(found) == 300
    splits = []
    monkeypatch.setattr(diagnostics, "source_lines", lambda text: splits.append(text) or text.split("\n"))
    rendered = render_plain(found, {"p.pol": src})
    assert splits == [src]
    assert rendered.split("\n\n")[-1].split("\n")[:3] == [
        "p.pol:304:3: warning: input 'f299' is never used", ' 304 |   f299: money "金额" / "sum"', "     |   ^^^^"]


def test_a_policy_is_read_again_for_its_keyword_spelling_only_when_a_message_quotes_a_keyword(monkeypatch):
    # every check read the whole policy a second time, through Lark's interactive parser, to learn whether its
    # keywords were mostly Chinese, even when no message quoted a keyword: a third of a 1 MiB policy's check
    from jinjiang_dsl.syntax import errors

    reads: list[tuple[object, ...]] = []
    real = errors._tokens_until
    monkeypatch.setattr(errors, "_tokens_until", lambda *args: reads.append(args[2:]) or real(*args))
    unused = HEAD + "project {\n" + "".join(f"  f{i}: money \"金额\" / \"sum\"\n" for i in range(50)) + "}\n"
    assert "input 'f49' is never used" in [d.message for d in check_source(unused, "p.pol")]
    assert reads == []
    window = 'policy "示例" / "Example" {\n  issued 2023-04-23\n  in force from 2023-05-01 to 2024-12-31\n}\n'
    zh = window.replace("policy", "政策").replace("issued", "发布日期").replace("in force from", "施行期间 自")
    zh = zh.replace(" to ", " 至 ")
    assert "the policy has an in-force window but no 'dated by' input" in [d.message for d in check_source(window, "p.pol")]
    assert "the policy has an in-force window but no '日期依据' input" in [d.message for d in check_source(zh, "p.pol")]
    assert reads == [(errors.SPELLING_TOKENS,)] * 2  # judged on the first tokens, not on the whole file


@pytest.mark.parametrize("chinese", [False, True])
def test_a_syntax_error_is_told_from_the_tokens_its_parse_read_never_reading_the_policy_again(monkeypatch, chinese):
    # the message re-read every token before the failure, and its keyword spelling the first 20,000 again:
    # a 1 MiB policy failing at its end took three times its parse (4.9 s of CPU where Lark's parse is 1.8 s)
    import lark.lexer

    lexed: list[int] = []
    real = lark.lexer.ContextualLexer.lex

    def counted(self, *args):
        lexed.append(0)
        for token in real(self, *args):
            lexed[-1] += 1
            yield token

    monkeypatch.setattr(lark.lexer.ContextualLexer, "lex", counted)
    inputs = "project {\n" + "".join(f'  f{i}: money "金额" / "sum"\n' for i in range(5000)) + "}\n"
    if chinese:
        broken = ('措施 1 "示范" / "Demo" {\n  金额 10万\n  例子 "例" / "e" {\n    项目 { f1: 1万 }\n'
                  '    预期 给与 10万\n  }\n}\n')
    else:
        broken = 'measure 1 "示范" / "Demo" {\n  amount 10万 once per applicant per\n}\n'
    small, large = problems(HEAD + broken), problems(HEAD + inputs + broken)
    assert len(lexed) == 2 and lexed[1] > 30_000  # each policy lexed once: no second reading
    assert [p[:2] for p in large] == [p[:2] for p in small]  # the same message and hint, however long the policy
    assert large[0][2] == small[0][2] + 5002
    assert small[0][0] == ("unknown word '给与'" if chinese else "'once' does not say over what period")


def test_a_listing_without_colour_is_written_as_plain_text(monkeypatch):
    # rich printed each diagnostic piece by piece even into a file: as long as parsing a 1 MiB policy of
    # 40,000 warnings. Without colour, the text is the same written as it is
    import io

    from rich.console import Console

    from jinjiang_dsl.diagnostics import print_diagnostics

    src = HEAD + "project {\n" + "".join(f"  f{i}: money \"金\\t额\" / \"sum\"\n" for i in range(3)) + "}\n"
    src += "define 投入x\t= 1 \t+ 2\n"  # tabs, after wide characters too: expanded as rich expands them
    found = check_source(src, "p.pol")
    piped, coloured = io.StringIO(), io.StringIO()
    print_diagnostics(found, {"p.pol": src}, Console(file=coloured, force_terminal=True, highlight=False))
    monkeypatch.setattr(Console, "print", lambda *a, **k: pytest.fail("rich renders plain text"))
    print_diagnostics(found, {"p.pol": src}, Console(file=piped, highlight=False))
    assert piped.getvalue().count("\n\n") == len(found) and "\t" not in piped.getvalue()
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured.getvalue()) == piped.getvalue()


def test_a_diagnostic_on_a_long_line_shows_the_part_around_its_span():
    # each diagnostic showed its whole line: 3,000 unused inputs on a line of 68 KB printed 305 MB
    inputs = " ".join(f'f{i}: money "x" / "x"' for i in range(3000))
    src = HEAD + f"project {{ {inputs} }}\n"
    found = [d for d in check_source(src, "p.pol") if "never used" in d.message]
    assert len(found) == 3000
    rendered = render_plain(found, {"p.pol": src})
    assert len(rendered) < 3000 * 400
    first, middle, last = (render_plain([found[i]], {"p.pol": src}).split("\n")[1:3] for i in (0, 1500, 2999))
    for (shown, carets), name in ((first, "f0"), (middle, "f1500"), (last, "f2999")):
        at = carets.index("^")
        assert shown[at:at + len(name) + 1] == f"{name}:" and carets[at:].rstrip() == "^" * len(name)
        assert len(shown) < 200
    assert first[0].startswith("   4 | project { f0:") and first[0].endswith("…")
    assert middle[0].startswith("   4 | …") and middle[0].endswith("…") and last[0].endswith('"x" }')


def test_spellings_are_suggested_within_one_budget_and_every_error_is_still_reported(monkeypatch):
    # each unknown name was compared with every name: 4,000 of each took a minute, a 1 MiB policy hours
    import jinjiang_dsl.check as checker
    from jinjiang_dsl.diagnostics import Guesses

    budgets = []
    monkeypatch.setattr(checker, "Guesses", lambda: budgets.append(Guesses(budget=1_000)) or budgets[-1])
    src = HEAD + "".join(f"define d{i} = u{i} + 1\n" for i in range(100))
    found = [d for d in check_source(src, "p.pol") if d.message.endswith("is not defined")]
    assert [d.message for d in found] == [f"'u{i}' is not defined" for i in range(100)]
    hinted = [d for d in found if d.hint and d.hint.startswith("did you mean")]
    assert hinted == found[:len(hinted)] and 0 < len(hinted) < 100  # the first ones, while the budget lasts
    assert hinted[0].hint == "did you mean 'd0'?" and budgets[0].left == 0


def test_among_outside_a_highest_not_stacked_or_limit_line_says_where_it_belongs():
    src = ('rule R1 "有效期" / "Validity" {\n  clause "三"\n  validity among 1, 2\n}\n')
    line, col = at(src, "among")
    assert problems(src) == [("'among' cannot stand here",
                              "'among' ends a rule's 'highest not stacked … per year' or 'limit … per applicant per "
                              "year' line, listing the measures the rule is about", line, col, col + 5)]
