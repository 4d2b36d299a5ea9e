"""The checker: every kind of error and warning, with its exact message, hint and place.

Each test builds a small policy that is clean except for one mistake and asserts the
*whole* list of diagnostics, so a test also proves that nothing else is reported.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jinjiang_dsl import check_source, load_policy
from jinjiang_dsl.check import check
from jinjiang_dsl.diagnostics import Diagnostic, PolicyError
from jinjiang_dsl.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
EVERY_CONSTRUCT = ROOT / "tests" / "fixtures" / "every_construct.pol"

HEADER = """\
policy "测试" / "Test" {
  issued 2023-04-23
  in force from 2023-05-01 to 2024-12-31
  dated by date
  currency 元
  rounding 0.01元 half_up
}
"""

INPUTS = """\
project {
  date: date "日期" / "date"
  spend: money "投入" / "spend"
  fee: money "服务费" / "fee"
  n: count "数量" / "count"
  flag: bool "标志" / "flag"
  kind: one of {enterprise, provider} "类别" / "kind"
}
"""

# A clean measure that uses every input, so that a test's own mistake is all that is reported.
USES = """\
measure 9.9 "用尽" / "uses every input" {
  clause 九(九)
  requires flag and n > 0 and kind in {enterprise} and date >= 2023-05-01
  amount 20% of spend + fee
}
"""


def measure(body: str, head: str = 'measure 1.1 "示范" / "Demo"', clause: str = "  clause 一(一)\n") -> str:
    """A measure; one whose amount and conditions name no project fact reads 'requires flag' first,
    since a measure that reads none is never evaluated (and the checker warns of it)."""
    reads = re.search(r"^  (requires|beneficiary|amount|when|cross check)\b.*\b(spend|fee|n|flag|kind)\b", body, re.M)
    first = "" if reads else "  requires flag\n"
    return f"{head} {{\n{clause}{first}{body}\n}}\n"


def source(body: str = "", *, header: str = HEADER, inputs: str = INPUTS, uses: str = USES) -> str:
    return header + inputs + uses + body


def at(src: str, needle: str, nth: int | None = None) -> tuple[int, int]:
    """Line and column (1-based, in characters) of the nth occurrence of needle; the last one by default.

    A test's own text comes last in its source, so the last occurrence is usually the one meant.
    """
    if nth is None:
        pos = src.rindex(needle)
    else:
        pos = -1
        for _ in range(nth):
            pos = src.index(needle, pos + 1)
    line = src.count("\n", 0, pos) + 1
    return line, pos - (src.rfind("\n", 0, pos) + 1) + 1


def line_of(src: str, needle: str, nth: int | None = None) -> int:
    return at(src, needle, nth)[0]


def found(src: str) -> list[tuple[str, str, str | None, tuple[int, int]]]:
    return [(d.severity, d.message, d.hint, (d.span.line, d.span.column)) for d in check_source(src, "t.pol")]


def error(message: str, hint: str | None, where: tuple[int, int]):
    return ("error", message, hint, where)


def warning(message: str, hint: str | None, where: tuple[int, int]):
    return ("warning", message, hint, where)


# ---------------------------------------------------------------- clean policies


def test_shipped_policy_checks_clean():
    assert check_source(POLICY.read_text(encoding="utf-8"), str(POLICY)) == []


def test_shipped_policy_loads_strictly():
    checked = load_policy(POLICY, strict=True).checked
    assert checked.diagnostics == () and checked.errors == () and checked.warnings == ()
    assert checked.input("software_investment").type.kind == "money"
    assert checked.input("enterprise") is None  # a definition, not an input
    assert checked.symbols["enterprise"].kind == "define"


def test_every_construct_fixture_checks_clean():
    assert check_source(EVERY_CONSTRUCT.read_text(encoding="utf-8"), str(EVERY_CONSTRUCT)) == []


def test_the_test_scaffold_is_clean():
    assert found(source()) == []


@pytest.mark.parametrize(
    "amount",
    [
        "spend + fee",  # money + money is money
        "spend - fee",
        "spend × 20%",  # money × percent is money
        "20% × spend",
        "20% of spend",
        "5万元 × n",  # money per unit × a count
        "n × 5万",
        "(20% of n) × 5万元",  # a share of a count, paid per unit
        "spend / 2",
        "10万",
        "100万元",
        "(spend + fee) × 10%",
        "spend × (20% + 5%)",
    ],
)
def test_amounts_that_are_money(amount):
    assert found(source(measure(f"  amount {amount}"))) == []


@pytest.mark.parametrize(
    "condition",
    [
        "spend > 100万",  # a plain number takes the unit of the other side
        "spend >= 50万元",
        "n >= 10",
        "n >= 10家",
        "spend >= 20% of fee",
        "n >= 20% of n",
        "spend / fee > 50%",
        "kind == enterprise",
        "kind != provider",
        "flag == true",
        "not flag or spend in 50万以上",
        "n in [1, 10家)",
        "date >= 2023-05-01",
    ],
)
def test_conditions_that_are_well_typed(condition):
    assert found(source(measure(f"  requires {condition}\n  amount 1万"))) == []


# ---------------------------------------------------------------- names


def test_undefined_name_with_did_you_mean():
    src = source(measure("  amount 20% of spned"))
    assert found(src) == [error("'spned' is not defined", "did you mean 'spend'?", at(src, "spned"))]


def test_undefined_name_without_a_close_match():
    src = source(measure("  amount 20% of investment"))
    assert found(src) == [
        error(
            "'investment' is not defined",
            "declare it as an input of the applicant or the project",
            at(src, "investment"),
        ),
    ]


def test_and_glued_to_names_suggests_spaces():
    src = source(measure("  requires flag且n > 0\n  amount 1万"))
    assert found(src) == [
        error("'flag且n' is not defined", "put spaces around 且: 'flag 且 n'", at(src, "flag且n")),
    ]


def test_or_and_not_glued_to_names_suggest_spaces():
    src = source(measure("  requires flag或非flag\n  amount 1万"))
    assert found(src) == [
        error("'flag或非flag' is not defined", "put spaces around 或 and 非: 'flag 或 非 flag'",
              at(src, "flag或非flag")),
    ]


def test_a_chinese_name_containing_fei_is_not_split():
    src = source(measure("  requires 非公企业\n  amount 1万"))
    assert found(src) == [
        error("'非公企业' is not defined", "declare it as an input of the applicant or the project",
              at(src, "非公企业")),
    ]


@pytest.mark.parametrize(("written", "value"), [("enterprise", "enterprise"), ("企业", "enterprise")])
def test_a_value_of_a_one_of_written_alone_says_to_compare_it_with_its_input(written, value):
    # 'beneficiary enterprise', as the notice says "企业", with no definition of that name: the hint was
    # "declare it as an input of the applicant or the project", where the name is a value of kind
    labelled = INPUTS.replace("{enterprise, provider}", '{enterprise "企业" / "enterprise", provider "平台" / "platform"}')
    src = source(measure(f"  beneficiary {written}\n  amount 1万"), inputs=labelled)
    line, column = at(src, f"beneficiary {written}")
    assert found(src) == [
        error(f"'{written}' is not defined", f"'{value}' is a value of the input 'kind': write 'kind == {value}', "
              f"or define a name for it: 'define {value} = kind in {{{value}}}'", (line, column + len("beneficiary "))),
    ]


def test_undefined_name_suggests_a_measure_local_definition():
    src = source(measure("  define base = spend\n  amount 20% of bse"))
    assert found(src) == [
        warning("definition 'base' is never used", "remove it", at(src, "base =")),
        error("'bse' is not defined", "did you mean 'base'?", at(src, "bse")),
    ]


def test_duplicate_input_across_applicant_and_project():
    src = source(inputs=INPUTS + 'applicant {\n  spend: money "投入" / "spend"\n}\n')
    assert found(src) == [
        error(
            f"'spend' is already declared (line {line_of(src, 'spend:', 1)})",
            "each input and definition needs its own name",
            at(src, "spend:"),
        ),
    ]


def test_duplicate_definition_of_an_input_name():
    src = source("define fee = 1万\n")
    assert found(src) == [
        error(
            f"'fee' is already declared (line {line_of(src, 'fee:')})",
            "each input and definition needs its own name",
            at(src, "fee ="),
        ),
    ]


def test_duplicate_measure_local_definition():
    src = source(measure("  define base = spend\n  define base = fee\n  amount 20% of base"))
    assert found(src) == [
        error(
            f"'base' is already declared (line {line_of(src, 'base = spend')})",
            "each input and definition needs its own name",
            at(src, "base = fee"),
        ),
    ]


def test_measure_local_definition_may_not_shadow_an_input():
    src = source(measure("  define spend = fee\n  amount 20% of spend"))
    assert found(src) == [
        error(
            f"'spend' is already declared (line {line_of(src, 'spend:')})",
            "each input and definition needs its own name",
            at(src, "spend = fee"),
        ),
    ]


def test_two_measures_may_use_the_same_local_name():
    body = measure("  define base = spend\n  amount 20% of base")
    body += measure("  define base = fee\n  amount 20% of base", head='measure 1.2 "二" / "Two"')
    assert found(source(body)) == []


def test_qualified_name_in_the_wrong_scope():
    src = source(measure("  amount 20% of applicant.spend"))
    assert found(src) == [
        error(
            "'spend' is not an input of the applicant",
            "it is an input of the project",
            at(src, "applicant.spend"),
        ),
    ]


def test_qualified_name_in_the_right_scope_is_clean():
    assert found(source(measure("  amount 20% of project.spend"))) == []


def test_definition_in_terms_of_itself_is_reported_once():
    src = source("define a = b + 1万\ndefine b = a\n" + measure("  amount a"))
    assert found(src) == [error("'a' is defined in terms of itself (a → b → a)", None, at(src, "define a"))]


def test_definitions_may_come_after_their_use():
    assert found(source(measure("  amount subtotal") + "define subtotal = spend + fee\n")) == []


def test_enum_value_typo():
    src = source(measure("  requires kind in {entreprise}\n  amount 1万"))
    assert found(src) == [
        error(
            "'entreprise' is not one of the values of kind",
            "did you mean 'enterprise'?",
            at(src, "entreprise"),
        ),
    ]


def test_enum_value_not_close_to_any():
    src = source(measure("  requires kind not in {college}\n  amount 1万"))
    assert found(src) == [
        error(
            "'college' is not one of the values of kind",
            "the values are: enterprise, provider",
            at(src, "college"),
        ),
    ]


def test_enum_value_compared_with_equals_must_exist():
    src = source(measure("  requires kind == entreprise\n  amount 1万"))
    assert found(src) == [
        error(
            "'entreprise' is not one of the values of kind",
            "did you mean 'enterprise'?",
            at(src, "entreprise"),
        ),
    ]


@pytest.mark.parametrize("written", ["kind == 平台服务商", "kind in {平台服务商}", "kind != platform"])
def test_a_value_s_label_written_for_the_value_says_which_value_it_labels(written):
    # a Chinese drafter writes the label: it was "'平台服务商' is not defined; declare it as an input"
    labelled = INPUTS.replace("{enterprise, provider}", '{enterprise "企业" / "enterprise", '
                                                        'provider "平台服务商" / "platform"}')
    src = source(measure(f"  requires {written}\n  amount 1万"), inputs=labelled)
    label = written.split(" ")[-1].strip("{}")
    assert found(src) == [
        error(f"'{label}' is not one of the values of kind", "that is how the value 'provider' is labelled: "
              "write provider", at(src, label)),
    ]


def test_a_category_row_keyed_by_a_value_s_label():
    labelled = INPUTS.replace("{enterprise, provider}", '{enterprise "企业" / "enterprise", provider "平台" / "platform"}')
    src = source(measure("  amount by kind {\n    企业: 1万\n    provider: 2万\n  }"), inputs=labelled)
    assert [(d.message, d.hint) for d in check(parse(src, "p.pol")).errors] == [
        ("'企业' is not a value of kind", "that is how the value 'enterprise' is labelled: write enterprise")]


def test_enum_value_declared_twice():
    src = source(inputs=INPUTS.replace("{enterprise, provider}", "{enterprise, provider, enterprise}"))
    assert found(src) == [
        error("'enterprise' appears twice in the values of kind", None, at(src, "enterprise}", 1)),
    ]


def test_free_text_input_accepts_any_listed_words():
    inputs = INPUTS.replace(
        '  flag: bool "标志" / "flag"\n',
        '  flag: bool "标志" / "flag"\n  industry: text "产业" / "industry"\n',
    )
    assert found(source(measure("  requires industry in {纺织, 鞋服}\n  amount 1万"), inputs=inputs)) == []


TEXT_INPUTS = INPUTS.replace("}\n", '  industry: text "产业" / "industry"\n}\n')


def test_quoted_texts_as_set_values():
    body = measure('  requires industry in {"5G", 纺织} and industry not in {"集成 电路"}\n  amount 1万')
    assert found(source(body, inputs=TEXT_INPUTS)) == []


def test_quoted_enum_values_in_a_set_are_checked():
    src = source(measure('  requires kind in {"enterprise", "colege"}\n  amount 1万'))
    assert found(src) == [
        error("'colege' is not one of the values of kind", "the values are: enterprise, provider",
              at(src, '"colege"')),
    ]


def test_text_input_compared_with_a_quoted_text():
    body = measure('  requires industry == "纺织" or "5G" != industry\n  amount 1万')
    assert found(source(body, inputs=TEXT_INPUTS)) == []


def test_choice_compared_with_a_quoted_value():
    assert found(source(measure('  requires kind == "provider"\n  amount 1万'))) == []
    src = source(measure('  requires kind == "entreprise"\n  amount 1万'))
    assert found(src) == [
        error("'entreprise' is not one of the values of kind", "did you mean 'enterprise'?", at(src, '"entreprise"')),
    ]


def test_quoted_text_spelled_like_a_name():
    src = source(measure('  requires industry == "spend"\n  amount 1万'), inputs=TEXT_INPUTS)
    assert found(src) == [
        error(
            "the text \"spend\" would be read as the name 'spend'",
            "test it with 'in {\"spend\"}' instead",
            at(src, '"spend"'),
        ),
    ]


def test_quoted_text_is_not_money():
    src = source(measure('  amount "10万"'))
    assert found(src) == [error("the amount of measure 1.1 must be money, but this is text", None, at(src, '"10万"'))]


# ---------------------------------------------------------------- types and units


def test_comparing_money_with_a_count():
    src = source(measure("  requires spend > n\n  amount 1万"))
    assert found(src) == [
        error(
            "cannot compare money with a count",
            "both sides of a comparison must be in the same unit",
            at(src, "spend > n"),
        ),
    ]


def test_comparing_a_date_with_money():
    src = source(measure("  requires date > spend\n  amount 1万"))
    assert found(src) == [error("cannot compare a date with money", None, at(src, "date > spend"))]


def test_comparing_money_with_a_counted_literal():
    src = source(measure("  requires spend >= 10家\n  amount 1万"))
    assert found(src) == [
        error(
            "cannot compare money with a count",
            "both sides of a comparison must be in the same unit",
            at(src, "spend >= 10家"),
        ),
    ]


def test_ordering_yes_no_values():
    src = source(measure("  requires flag > flag\n  amount 1万"))
    assert found(src) == [
        error("'>' does not order a yes/no value", "use '==' or 'in {…}'", at(src, "flag > flag"))
    ]


def test_bool_in_arithmetic():
    src = source(measure("  amount 5万 × flag"))
    assert found(src) == [
        error(
            "a yes/no value cannot be used in arithmetic ('*')",
            "use it in a condition instead",
            at(src, "flag\n}"),
        ),
    ]


def test_date_in_arithmetic():
    src = source(measure("  amount spend + date"))
    assert found(src) == [error("a date cannot be used in arithmetic ('+')", None, at(src, "date\n}"))]


def test_money_times_money():
    src = source(measure("  amount spend × fee"))
    assert found(src) == [
        error(
            "money × money is not an amount", "one side should be a rate or a count", at(src, "spend × fee")
        ),
    ]


def test_adding_a_count_to_money():
    src = source(measure("  amount spend + n"))
    assert found(src) == [error("cannot add a count to money", None, at(src, "spend + n"))]


def test_subtracting_a_count_from_money():
    src = source(measure("  amount spend - n"))
    assert found(src) == [error("cannot subtract a count from money", None, at(src, "spend - n"))]


def test_dividing_by_money():
    src = source(measure("  amount n / spend"))
    assert found(src) == [error("cannot divide a count by money", None, at(src, "n / spend"))]


def test_percent_of_a_yes_no_value():
    src = source(measure("  amount 20% of flag"))
    assert found(src) == [
        error(
            "20% of a yes/no value means nothing",
            "the base of a percentage is money or a count",
            at(src, "flag\n}"),
        ),
    ]


def test_condition_that_is_money():
    src = source(measure("  requires spend\n  amount 1万"))
    assert found(src) == [
        error(
            "'requires' needs a yes/no condition, but this is money",
            "compare it, e.g. x > 0",
            at(src, "spend\n"),
        ),
    ]


def test_condition_that_is_a_choice():
    src = source(measure("  beneficiary kind\n  amount 1万"))
    assert found(src) == [
        error(
            "'beneficiary' needs a yes/no condition, but this is a choice from a set",
            "use 'in {…}' or '==' to test it",
            at(src, "kind\n"),
        ),
    ]


def test_and_of_non_conditions():
    src = source(measure("  requires flag and n\n  amount 1万"))
    assert found(src) == [
        error(
            "'and' needs a yes/no condition, but this is a count", "compare it, e.g. x > 0", at(src, "n\n")
        ),
    ]


def test_in_set_on_money():
    src = source(measure("  requires spend in {a}\n  amount 1万"))
    assert found(src) == [
        error("'in {…}' tests a choice from a set, but 'spend' is money", None, at(src, "spend in")),
    ]


def test_yes_no_value_in_an_interval():
    src = source(measure("  requires flag in 10以上\n  amount 1万"))
    assert found(src) == [error("a yes/no value cannot lie in an interval", None, at(src, "flag in"))]


def test_interval_bound_in_the_wrong_unit():
    src = source(measure("  requires n in 50万元以上\n  amount 1万"))
    assert found(src) == [error("bound 50万元 is money, but 'n' is a count", None, at(src, "50万元"))]


# ---------------------------------------------------------------- amounts


PERCENT_INPUTS = INPUTS.replace("}\n", '  share: percent "比例" / "share"\n}\n')
PERCENT_USE = measure("  requires share >= 10%\n  amount 1万", head='measure 9.8 "比例" / "share"')


def test_share_of_a_count_is_a_count_not_money():
    src = source(measure("  amount 20% of n"))
    assert found(src) == [
        error(
            "the amount of measure 1.1 is a count, not money",
            "multiply it by an amount, e.g. '5万元 × sessions'",
            at(src, "20% of n"),
        ),
    ]


def test_count_times_a_percentage_is_a_count_not_money():
    src = source(measure("  amount n × 20%"))
    assert found(src) == [
        error(
            "the amount of measure 1.1 is a count, not money",
            "multiply it by an amount, e.g. '5万元 × sessions'",
            at(src, "n × 20%"),
        ),
    ]


def test_share_of_a_count_compares_with_a_count():
    src = source(measure("  requires spend >= 20% of n\n  amount 1万"))
    assert found(src) == [
        error(
            "cannot compare money with a count",
            "both sides of a comparison must be in the same unit",
            at(src, "spend >= 20% of n"),
        ),
    ]


def test_share_of_a_percentage_is_not_money():
    src = source(PERCENT_USE + measure("  amount 20% of share"), inputs=PERCENT_INPUTS)
    assert found(src) == [
        error(
            "the amount of measure 1.1 is a percentage, not money",
            "a share of a percentage is a percentage: take it of an amount, e.g. '20% of investment'",
            at(src, "20% of share"),
        ),
    ]


@pytest.mark.parametrize(
    ("condition", "hint"),
    [
        ("share > 10", "write 10%"),
        ("10 <= share", "write 10%"),
        ("share == 0", "write 0%"),
        ("share < 0.5", "write 50% (if 0.5 is a share) or 0.5%"),
    ],
)
def test_percentage_compared_with_a_plain_number(condition, hint):
    src = source(measure(f"  requires {condition}\n  amount 1万"), inputs=PERCENT_INPUTS)
    assert found(src) == [error("cannot compare a percentage with a plain number", hint, at(src, condition))]


def test_percentage_compared_with_a_percentage_is_clean():
    assert found(source(measure("  requires share > 10% and spend / fee < share\n  amount 1万"),
                        inputs=PERCENT_INPUTS)) == []


def test_percent_input_defaulting_to_a_plain_number():
    inputs = PERCENT_INPUTS.replace("share: percent", "share: percent = 20")
    src = source(PERCENT_USE, inputs=inputs)
    assert found(src) == [
        error("the default of share is a number, but the input is a percentage", "write 20%", at(src, "20 ")),
    ]


def test_percent_input_defaulting_to_a_percentage_is_clean():
    assert found(source(PERCENT_USE, inputs=PERCENT_INPUTS.replace("share: percent", "share: percent = 20%"))) == []


def test_percent_with_no_base():
    src = source(measure("  amount 20%"))
    assert found(src) == [
        error(
            "the amount of measure 1.1 is a percentage with no base",
            "write it as a share of a base, e.g. '20% of investment'",
            at(src, "20%", 2),
        ),
    ]


def test_count_as_amount():
    src = source(measure("  amount n"))
    assert found(src) == [
        error(
            "the amount of measure 1.1 is a count, not money",
            "multiply it by an amount, e.g. '5万元 × sessions'",
            at(src, "n\n}"),
        ),
    ]


def test_date_as_amount():
    src = source(measure("  amount date"))
    assert found(src) == [
        error("the amount of measure 1.1 must be money, but this is a date", None, at(src, "date\n}")),
    ]


def test_cap_that_is_a_percentage():
    src = source(measure("  amount 10万, at most 20%"))
    assert found(src) == [
        error(
            "the cap is a percentage with no base",
            "write it as a share of a base, e.g. '20% of investment'",
            at(src, "20%", 2),
        ),
    ]


def test_cross_check_that_is_a_count():
    src = source(measure("  amount 20% of spend\n  cross check n"))
    assert found(src) == [
        error(
            "the cross-check is a count, not money",
            "multiply it by an amount, e.g. '5万元 × sessions'",
            at(src, "n\n}"),
        ),
    ]


def test_missing_amount():
    src = source(measure("  requires flag"))
    assert found(src) == [
        error(
            "measure 1.1 has no amount",
            "add a line such as: amount 20% of investment, at most 100万",
            at(src, "measure 1.1"),
        ),
    ]


def test_override_rate_without_a_base():
    src = source(measure("  amount 10万\n  when flag: 25%"))
    assert found(src) == [
        error(
            "this override gives a rate, but the amount has no base to apply it to",
            "give a full amount here, or make the amount '20% of <base>'",
            at(src, "25%"),
        ),
    ]


def test_override_with_a_full_amount_needs_no_base():
    assert found(source(measure("  amount 10万\n  when flag: 20万, at most 30万"))) == []


def test_override_condition_must_be_yes_no():
    src = source(measure("  amount 20% of spend\n  when spend: 25%"))
    assert found(src) == [
        error(
            "'when' needs a yes/no condition, but this is money",
            "compare it, e.g. x > 0",
            at(src, "spend: 25%"),
        ),
    ]


def test_referred_amount_is_clean():
    assert found(source(measure('  amount referred "一事一议" / "case by case"'))) == []


# ---------------------------------------------------------------- tier tables


def bands(*lines: str, on: str = "spend") -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return measure(f"  amount bands on {on} {{\n{body}  }}")


def thresholds(*lines: str, on: str = "n") -> str:
    body = "".join(f"    {line}\n" for line in lines)
    return measure(f"  amount thresholds on {on} {{\n{body}  }}")


def test_clean_bands():
    assert found(source(bands("50万(含)至100万: 5万", "100万(含)至200万: 10万", "200万以上: 20万"))) == []


def test_overlapping_bands():
    src = source(bands("50万(含)至100万(含): 5万", "100万(含)至200万: 10万", "200万以上: 20万"))
    assert found(src) == [
        error(
            f"tier [100万, 200万) overlaps tier [50万, 100万] (line {line_of(src, '50万(含)')}) at 100万",
            "bands must not overlap: a value would match two tiers",
            at(src, "100万(含)至200万"),
        ),
    ]


def test_bands_overlapping_on_a_range():
    src = source(bands("[50万, 150万): 5万", "[100万, 200万): 10万", "200万以上: 20万"))
    assert found(src) == [
        error(
            f"tier [100万, 200万) overlaps tier [50万, 150万) (line {line_of(src, '[50万')}) on [100万, 150万)",
            "bands must not overlap: a value would match two tiers",
            at(src, "[100万, 200万)"),
        ),
    ]


def test_gap_between_bands_is_a_warning():
    src = source(bands("50万(含)至100万: 5万", "200万以上: 20万"))
    assert found(src) == [
        warning(
            "no tier covers [100万, 200万): values there get nothing",
            "close the gap, or write 'allow gap' in the table if the notice means it",
            at(src, "200万以上"),
        ),
    ]


def test_gap_of_a_single_value_is_a_warning():
    src = source(bands("不满10万: 1万", "超过10万: 2万"))
    assert found(src) == [
        warning(
            "no tier covers [10万, 10万]: values there get nothing",
            "close the gap, or write 'allow gap' in the table if the notice means it",
            at(src, "超过10万"),
        ),
    ]


def test_allow_gap_silences_the_gap():
    assert found(source(bands("50万(含)至100万: 5万", "200万以上: 20万", "allow gap"))) == []


def test_cliff_between_bands_is_a_warning():
    src = source(bands("50万(含)至100万: 10万", "100万以上: 5万"))
    assert found(src) == [
        warning(
            "cliff: tier [100万, ∞) pays 5万 but the tier below it pays 10万",
            "a larger value would get less; write 'allow cliff' if the notice means it",
            at(src, "100万以上"),
        ),
    ]


def test_bounded_top_band_is_a_cliff():
    src = source(bands("50万(含)至100万: 5万", "100万(含)至200万: 10万"))
    assert found(src) == [
        warning(
            "cliff: values above [100万, 200万) get nothing, less than the 10万 this tier pays",
            "add a top tier such as '200万以上', or write 'allow cliff'",
            at(src, "100万(含)至200万"),
        ),
    ]


def test_bounded_top_band_that_includes_its_upper_end():
    src = source(bands("50万(含)至100万: 5万", "[100万, 250万元]: 10万"))
    assert found(src) == [
        warning(
            "cliff: values above [100万, 250万] get nothing, less than the 10万 this tier pays",
            "add a top tier such as '超过250万元', or write 'allow cliff'",
            at(src, "[100万, 250万元]"),
        ),
    ]


def test_bounded_top_band_on_a_count():
    src = source(bands("[10, 20): 5万", "20(含)至50: 10万", on="n"))
    assert found(src) == [
        warning(
            "cliff: values above [20, 50) get nothing, less than the 10万 this tier pays",
            "add a top tier such as '50家以上', or write 'allow cliff'",
            at(src, "20(含)至50"),
        ),
    ]


def test_allow_cliff_silences_cliffs():
    assert found(source(bands("50万(含)至100万: 10万", "100万(含)至200万: 5万", "allow cliff"))) == []


def test_reversed_band_is_empty():
    src = source(bands("[100万, 50万): 5万", "100万以上: 10万"))
    assert found(src) == [
        error(
            "tier [100万, 50万) is empty: no value lies in it",
            "write the smaller bound first",
            at(src, "[100万, 50万)"),
        ),
    ]


def test_band_of_no_value_is_empty():
    src = source(bands("[50万, 50万): 5万", "50万以上: 10万"))
    assert found(src) == [
        error(
            "tier [50万, 50万) is empty: no value lies in it",
            "include both ends, or widen it",
            at(src, "[50万, 50万)"),
        ),
    ]


def test_tier_table_without_tiers():
    src = source(measure("  amount bands on spend {\n  }"))
    assert found(src) == [
        error("the bands table has no tiers", "add a line such as '10家以上: 10万'", at(src, "bands on")),
    ]


def test_tier_table_on_a_yes_no_value():
    src = source(bands("10以上: 1万", on="flag"))
    assert found(src) == [
        error(
            "a tier table needs money or a count to look up, but this is a yes/no value",
            None,
            at(src, "flag {"),
        ),
    ]


def test_tier_bound_in_the_wrong_unit():
    src = source(bands("10家以上: 1万"))
    assert found(src) == [error("bound 10家 is a count, but 'spend' is money", None, at(src, "10家"))]


def test_tier_amount_that_is_a_percentage():
    src = source(bands("10万以上: 5%"))
    assert found(src) == [
        error(
            "a tier's amount is a percentage with no base",
            "write it as a share of a base, e.g. '5% of spend'",
            at(src, "5%"),
        ),
    ]


def test_clean_thresholds():
    assert found(source(thresholds("10家以上: 10万", "20家以上: 20万", "50家以上: 30万"))) == []


def test_threshold_with_an_upper_bound():
    src = source(thresholds("10家以上: 10万", "不满20家: 20万"))
    assert found(src) == [
        error(
            "a threshold is a lower bound such as '10家以上' or '超过5万', not '不满20家'",
            "use 'bands on …' for a table of intervals",
            at(src, "不满20家"),
        ),
    ]


def test_threshold_with_both_bounds():
    src = source(thresholds("[10, 20家): 10万"))
    assert found(src) == [
        error(
            "a threshold is a lower bound such as '10家以上' or '超过5万', not '[10, 20家)'",
            "use 'bands on …' for a table of intervals",
            at(src, "[10, 20家)"),
        ),
    ]


def test_duplicate_threshold():
    src = source(thresholds("10家以上: 10万", "不少于10家: 20万"))
    assert found(src) == [
        error(
            f"threshold [10, ∞) appears twice (first at line {line_of(src, '10家以上')})",
            None,
            at(src, "不少于10家"),
        ),
    ]


def test_threshold_cliff_is_a_warning():
    src = source(thresholds("10家以上: 20万", "20家以上: 10万"))
    assert found(src) == [
        warning(
            "cliff: reaching [20, ∞) pays 10万, less than 20万 for [10, ∞)",
            "the highest threshold reached wins; write 'allow cliff' if the notice means it",
            at(src, "20家以上"),
        ),
    ]


def test_allow_cliff_in_thresholds():
    assert found(source(thresholds("10家以上: 20万", "20家以上: 10万", "allow cliff"))) == []


def test_allow_gap_in_thresholds_has_no_effect():
    src = source(thresholds("10家以上: 10万", "20家以上: 20万", "allow   gap  # gaps?", "allow cliff"))
    assert found(src) == [
        warning(
            "'allow gap' has no effect here",
            "thresholds leave no gaps: each one holds from its bound upward",
            at(src, "allow   gap"),
        ),
    ]
    (d,) = check_source(src, "t.pol")
    assert (d.span.end_line, d.span.end_column) == (d.span.line, d.span.column + len("allow   gap"))


# ---------------------------------------------------------------- measures


def test_missing_clause():
    src = source(measure("  amount 1万", clause=""))
    assert found(src) == [
        error(
            "measure 1.1 cites no clause of the notice",
            "add a line such as: clause 一(一)",
            at(src, "measure 1.1"),
        ),
    ]


def test_measure_without_english_title():
    src = source(measure("  amount 1万", head='measure 1.1 "示范"'))
    assert found(src) == [
        warning("measure 1.1 has no English title", 'write it as "中文" / "English"', at(src, '"示范"')),
    ]


def test_duplicate_measure_id():
    src = source(measure("  amount 1万") + measure("  amount 2万"))
    first = line_of(src, "measure 1.1", 1)
    assert found(src) == [
        error(f"measure 1.1 is declared twice (first at line {first})", None, at(src, "measure 1.1"))
    ]


def test_quota_per_money():
    src = source(measure("  amount 1万\n  quota 2 per spend per year"))
    assert found(src) == [
        error("a quota is counted per value of a set, but 'spend' is money", None, at(src, "spend per")),
    ]


def test_quota_of_zero():
    src = source(measure("  amount 1万\n  quota 0 per kind per year"))
    assert found(src) == [error("a quota of 0 grants nothing", None, at(src, "quota 0"))]


def test_unused_measure_local_definition():
    src = source(measure("  define base = spend\n  amount 1万"))
    assert found(src) == [warning("definition 'base' is never used", "remove it", at(src, "base ="))]


def test_annual_cap_that_is_a_count():
    src = source(measure("  amount 1万\n  cap n per applicant per year, reduce in input order"))
    assert found(src) == [
        error("the annual cap is a count, not money", "a cap is an amount of money, e.g. 100万", at(src, "n per")),
    ]


def test_cap_that_is_a_count():
    src = source(measure("  amount 20% of spend, at most 5家"))
    assert found(src) == [
        error("the cap is a count, not money", "a cap is an amount of money, e.g. 100万", at(src, "5家")),
    ]


# ---------------------------------------------------------------- inputs and definitions


def test_unused_input():
    inputs = INPUTS.replace(
        '  flag: bool "标志" / "flag"\n', '  flag: bool "标志" / "flag"\n  spare: money "备用" / "spare"\n'
    )
    src = source(inputs=inputs)
    assert found(src) == [
        warning("input 'spare' is never used", "remove it, or use it in a measure", at(src, "spare:")),
    ]


def test_input_used_only_in_an_assertion_counts_as_used():
    inputs = INPUTS.replace("}\n", '  m: count "另一" / "m"\n  assert m <= n\n}\n')
    assert found(source(inputs=inputs)) == []


def test_unused_global_definition():
    src = source("define spare = spend + fee\n")
    assert found(src) == [
        warning("definition 'spare' is never used", "remove it, or use it in a measure", at(src, "spare =")),
    ]


def test_input_without_label():
    src = source(inputs=INPUTS.replace('flag: bool "标志" / "flag"', "flag: bool"))
    assert found(src) == [
        warning(
            "input 'flag' has no label",
            'add "中文" / "English" so explanations can name it',
            at(src, "flag: bool"),
        ),
    ]


def test_input_without_english_label():
    src = source(inputs=INPUTS.replace('"标志" / "flag"', '"标志"'))
    assert found(src) == [
        warning(
            "input 'flag' has no English label", 'write the label as "中文" / "English"', at(src, '"标志"')
        ),
    ]


def test_enum_default_that_is_not_a_value():
    src = source(inputs=INPUTS.replace("{enterprise, provider}", "{enterprise, provider} = college"))
    assert found(src) == [
        error(
            "the default of kind must be one of its values",
            "the values are: enterprise, provider",
            at(src, "college"),
        ),
    ]


def test_enum_default_hint_lists_each_value_once():
    src = source(inputs=INPUTS.replace("{enterprise, provider}", "{enterprise, provider, enterprise} = college"))
    assert found(src) == [
        error("'enterprise' appears twice in the values of kind", None, at(src, "enterprise}", 1)),
        error(
            "the default of kind must be one of its values",
            "the values are: enterprise, provider",
            at(src, "college"),
        ),
    ]


def test_count_default_that_is_not_whole():
    src = source(inputs=INPUTS.replace("n: count", "n: count = 1.5"))
    assert found(src) == [error("a count cannot default to 1.5", "counts are whole numbers", at(src, "1.5"))]


def test_default_of_the_wrong_type():
    src = source(inputs=INPUTS.replace("spend: money", "spend: money = 2023-01-01"))
    assert found(src) == [
        error("the default of spend is a date, but the input is money", None, at(src, "2023-01-01")),
    ]


@pytest.mark.parametrize("default", ["0", "0元", "100万"])
def test_money_defaults(default):
    assert found(source(inputs=INPUTS.replace("spend: money", f"spend: money = {default}"))) == []


# ---------------------------------------------------------------- header and windows


def test_no_header():
    src = source(header="")
    assert found(src) == [
        error(
            "the policy has no header",
            'start the file with: policy "名称" / "Name" { issued … in force from … to … }',
            (1, 1),
        ),
    ]


def test_policy_without_english_name():
    src = source(header=HEADER.replace('"测试" / "Test"', '"测试"'))
    assert found(src) == [
        warning("the policy has no English name", 'write it as "中文" / "English"', at(src, '"测试"')),
    ]


def test_window_that_ends_before_it_starts():
    src = source(header=HEADER.replace("from 2023-05-01 to 2024-12-31", "from 2024-12-31 to 2023-05-01"))
    assert found(src) == [
        error("the window starts 2024-12-31 after it ends 2023-05-01", None, at(src, "from 2024-12-31")),
    ]


def test_by_reference_window_overlapping_in_force():
    header = HEADER.replace("  dated by", "  by reference from 2023-01-01 to 2023-06-30\n  dated by")
    src = source(header=header)
    assert found(src) == [
        error(
            "the by-reference window overlaps the in-force window",
            "a date is either in force or applied by reference, not both",
            at(src, "from 2023-01-01"),
        ),
    ]


@pytest.mark.parametrize(
    ("reference_end", "message"),
    [
        # The days named are the uncovered ones: after the by-reference window, before the in-force one.
        ("2023-03-30", "dates from 2023-03-31 to 2023-04-30 are neither in force nor by reference"),
        ("2023-03-31", "dates from 2023-04-01 to 2023-04-30 are neither in force nor by reference"),
        ("2023-04-29", "2023-04-30 is neither in force nor by reference"),
    ],
)
def test_dates_between_the_windows_are_a_warning(reference_end, message):
    header = HEADER.replace("  dated by", f"  by reference from 2023-01-01 至 {reference_end}\n  dated by")
    src = source(header=header)
    assert found(src) == [warning(message, None, at(src, "from 2023-01-01"))]


def test_adjacent_windows_are_clean():
    header = HEADER.replace("  dated by", "  by reference from 2023-01-01 to 2023-04-30\n  dated by")
    assert found(source(header=header)) == []


def test_no_in_force_window_is_clean():
    # A notice may state no period of validity (clause-shapes.md, S14): nothing is then out of period.
    header = HEADER.replace("  in force from 2023-05-01 to 2024-12-31\n", "")
    assert found(source(header=header)) == []


def test_dated_by_an_input_that_is_not_a_date():
    src = source(header=HEADER.replace("dated by date", "dated by spend"))
    assert found(src) == [
        error("'dated by' needs a date input, but 'spend' is money", None, at(src, "spend", 1)),
    ]


def test_in_force_window_without_dated_by():
    src = source(header=HEADER.replace("  dated by date\n", ""), uses=USES)
    assert found(src) == [
        error(
            "the policy has an in-force window but no 'dated by' input",
            "add 'dated by date', where date is the project's qualifying date",
            at(src, "from 2023-05-01"),
        ),
    ]


def test_unsupported_currency():
    src = source(header=HEADER.replace("currency 元", "currency USD"))
    assert found(src) == [error("currency 'USD' is not supported", "write: currency 元", at(src, "currency USD"))]


def test_no_rounding():
    src = source(header=HEADER.replace("  rounding 0.01元 half_up\n", ""))
    assert found(src) == [warning("the policy declares no rounding", "add: rounding 0.01元 half_up", (1, 1))]


@pytest.mark.parametrize("unit", ["0元", "1家"])
def test_rounding_unit_must_be_positive_money(unit):
    src = source(header=HEADER.replace("0.01元", unit))
    assert found(src) == [
        error(f"rounding unit {unit} must be a positive amount of money", None, at(src, unit))
    ]


# ---------------------------------------------------------------- rules


def rule(body: str, rid: str = "R1", clause: str = '  clause "结语"\n') -> str:
    return f'rule {rid} "规则" / "Rule" {{\n{clause}{body}\n}}\n'


def test_clean_rules():
    inputs = INPUTS.replace(
        "}\n", '  contribution: money "贡献" / "contribution"\n  other_award: money "其他" / "other"\n}\n'
    )
    body = (
        rule(
            "  highest not stacked per project per year\n  ties go to lower measure\n  other policy other_award"
        )
        + rule("  applies to flag\n  limit contribution per applicant per year\n  reduce pro rata", rid="R2")
        + rule("  validity", rid="R3")
    )
    assert found(source(body, inputs=inputs)) == []


def test_rule_limit_without_reduction():
    src = source(rule("  limit spend per applicant per year", rid="R2"))
    assert found(src) == [
        error(
            "rule R2 sets a limit but not how grants are reduced to it",
            "add: reduce pro rata by largest remainder  (or: reduce in input order)",
            at(src, '"规则"'),
        ),
    ]


def test_rule_limit_that_is_a_count():
    src = source(rule("  limit n per applicant per year\n  reduce in input order", rid="R2"))
    assert found(src) == [
        error("the limit is a count, not money", "a limit is an amount of money, e.g. 100万", at(src, "n per")),
    ]


def test_rule_without_clause():
    src = source(rule("  validity", clause=""))
    assert found(src) == [
        error("rule R1 cites no clause of the notice", 'add a line: clause "…"', at(src, '"规则"'))
    ]


def test_rule_that_says_nothing():
    src = source(rule("  ties go to lower measure"))
    assert found(src) == [
        error(
            "rule R1 says nothing",
            "add 'highest not stacked per project per year', 'limit … per applicant per year' or 'validity'",
            at(src, '"规则"'),
        ),
    ]


def test_duplicate_rule_id():
    src = source(rule("  validity") + rule("  validity"))
    first = line_of(src, "rule R1", 1)
    assert found(src) == [
        error(f"rule R1 is declared twice (first at line {first})", None, at(src, "rule R1"))
    ]


def test_other_policy_that_is_not_money():
    src = source(rule("  highest not stacked per project per year\n  ties go to lower measure\n  other policy n"))
    assert found(src) == [
        error("'other policy' needs a money input, but this is a count", None, at(src, "n\n}"))
    ]


def test_applies_to_must_be_a_condition():
    src = source(rule("  applies to spend\n  limit fee per applicant per year\n  reduce in input order"))
    assert found(src) == [
        error(
            "'applies to' needs a yes/no condition, but this is money",
            "compare it, e.g. x > 0",
            at(src, "spend\n"),
        ),
    ]


R1_ONLY = "it belongs in a 'highest not stacked per project per year' rule"
R2_ONLY = "it belongs in a 'limit … per applicant per year' rule"


@pytest.mark.parametrize(
    ("kind", "written", "statement", "hint"),
    [
        ("validity", "reduce in input order", "reduce", R2_ONLY),
        ("validity", "ties go to lower measure", "ties go to lower measure", R1_ONLY),
        ("validity", "applies to flag", "applies to", R2_ONLY),
        ("validity", "other policy fee", "other policy", R1_ONLY),
        ("limit spend per applicant per year\n  reduce pro rata", "ties go\n    to lower measure",
         "ties go to lower measure", R1_ONLY),
        ("limit spend per applicant per year\n  reduce pro rata", "other policy fee", "other policy", R1_ONLY),
        ("highest not stacked per project per year\n  ties go to lower measure", "applies to flag and n > 0",
         "applies to", R2_ONLY),
        ("highest not stacked per project per year\n  ties go to lower measure",
         "reduce pro rata by largest remainder", "reduce", R2_ONLY),
    ],
)
def test_rule_statement_that_has_no_effect_for_the_rules_kind(kind, written, statement, hint):
    # The statement comes first: 'ties' right after 'reduce pro rata' would be read as part of it.
    src = source(rule(f"  {written}\n  {kind}"))
    assert found(src) == [warning(f"'{statement}' has no effect here", hint, at(src, written))]
    (d,) = check_source(src, "t.pol")
    assert (d.span.end_line, d.span.end_column) == _end_of(src, written)


def _end_of(src: str, needle: str) -> tuple[int, int]:
    end = src.rindex(needle) + len(needle)
    return src.count("\n", 0, end) + 1, end - src.rfind("\n", 0, end)


def test_rule_statement_words_in_quotes_and_comments_are_skipped():
    src = source(rule('  quote "ties go to lower measure"  # ties go to lower measure\n'
                      "  validity\n  ties go to lower measure"))
    assert found(src) == [
        warning("'ties go to lower measure' has no effect here",
                "it belongs in a 'highest not stacked per project per year' rule", at(src, "ties go to lower measure")),
    ]


def test_validity_rule_without_in_force_window():
    header = HEADER.replace("  in force from 2023-05-01 to 2024-12-31\n", "")
    src = source(rule("  validity", rid="R3"), header=header)
    assert found(src) == [
        error("rule R3 checks validity, but the header has no in-force window", None, at(src, '"规则"')),
    ]


# ---------------------------------------------------------------- notes


def test_note_stated_twice():
    src = source('note I-1 "一" / "one"\n' + measure('  amount 1万\n  note I-1 "二" / "two"'))
    assert found(src) == [
        error(
            f"note I-1 is stated twice (first at line {line_of(src, 'note I-1', 1)})",
            "state it once; elsewhere write 'note I-1' alone to attach it",
            at(src, 'note I-1 "二"'),
        ),
    ]


def test_note_stated_twice_names_the_first_in_source_order():
    # The measure comes first in the file; the top-level note repeats it.
    src = source(measure('  amount 1万\n  note I-1 "一" / "one"') + 'note I-1 "二" / "two"\n')
    assert found(src) == [
        error(
            f"note I-1 is stated twice (first at line {line_of(src, 'note I-1', 1)})",
            "state it once; elsewhere write 'note I-1' alone to attach it",
            at(src, 'note I-1 "二"'),
        ),
    ]


def test_note_stated_in_the_header_and_at_top_level():
    header = HEADER.replace("}\n", '  note I-1 "一" / "one"\n}\n')
    src = source('note I-1 "二" / "two"\n', header=header)
    assert found(src) == [
        error(
            f"note I-1 is stated twice (first at line {line_of(src, 'note I-1', 1)})",
            "state it once; elsewhere write 'note I-1' alone to attach it",
            at(src, 'note I-1 "二"'),
        ),
    ]


def test_note_attached_but_never_stated_suggests_no_other_id():
    # I-2 and I-3 are different interpretations, not typos of each other.
    src = source('note I-2 "二" / "two"\n' + measure("  amount 1万\n  note I-3"))
    assert found(src) == [
        error(
            "note I-3 is attached here but never stated",
            'state it once: note I-3 "中文" / "English"',
            at(src, "note I-3"),
        ),
    ]


def test_note_attached_but_never_stated():
    src = source(measure("  amount 1万\n  note J-7"))
    assert found(src) == [
        error(
            "note J-7 is attached here but never stated",
            'state it once: note J-7 "中文" / "English"',
            at(src, "note J-7"),
        ),
    ]


def test_note_attached_before_it_is_stated_is_clean():
    assert found(source(measure("  amount 1万\n  note I-2") + 'note I-2 "以上包含本数" / "includes"\n')) == []


def test_note_without_english_text():
    src = source('note I-1 "只有中文"\n')
    assert found(src) == [
        warning("note I-1 has no English text", 'write it as "中文" / "English"', at(src, '"只有中文"')),
    ]


# ---------------------------------------------------------------- all problems at once, in order


def test_every_problem_is_reported_in_source_order():
    src = source(
        measure("  requires spend > n\n  amount 20%", clause="")
        + measure("  amount spned", head='measure 1.2 "二" / "Two"')
    )
    got = found(src)
    assert [m for _, m, _, _ in got] == [
        "measure 1.1 cites no clause of the notice",
        "cannot compare money with a count",
        "the amount of measure 1.1 is a percentage with no base",
        "'spned' is not defined",
    ]
    assert [where for *_, where in got] == sorted(where for *_, where in got)


def test_errors_come_before_warnings_at_the_same_place():
    src = source(inputs=INPUTS.replace("}\n", "  fee: money\n}\n"))
    diagnostics = check(parse(src, "t.pol")).diagnostics
    assert all(isinstance(d, Diagnostic) for d in diagnostics)
    assert [(d.severity, d.message, (d.span.line, d.span.column)) for d in diagnostics] == [
        ("error", f"'fee' is already declared (line {line_of(src, 'fee:', 1)})", at(src, "fee: money\n")),
        ("warning", "input 'fee' has no label", at(src, "fee: money\n")),
    ]


def test_load_policy_raises_with_every_diagnostic(tmp_path):
    path = tmp_path / "bad.pol"
    path.write_text(source(measure("  amount 20%")), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    (d,) = info.value.diagnostics
    assert d.message == "the amount of measure 1.1 is a percentage with no base"
    line, col = at(path.read_text(encoding="utf-8"), "20%")
    assert f"bad.pol:{line}:{col}: error: the amount of measure 1.1 is a percentage with no base" in str(
        info.value
    )


def test_load_policy_strict_turns_warnings_into_failures(tmp_path):
    path = tmp_path / "warn.pol"
    path.write_text(source('note I-1 "只有中文"\n'), encoding="utf-8")
    assert load_policy(path).checked.warnings[0].message == "note I-1 has no English text"
    with pytest.raises(PolicyError):
        load_policy(path, strict=True)


def test_a_set_value_that_is_also_a_definition_is_an_error() -> None:
    from jinjiang_dsl.api import check_source

    source = (
        'policy "t" / "t" {\n  issued 2023-04-23\n  rounding 0.01元 half_up\n}\n'
        'applicant { kind: one of {enterprise "企业" / "enterprise", provider "服务商" / "provider"} "类别" / "kind" }\n'
        'define enterprise = kind == enterprise "企业" / "enterprise"\n'
        'measure 1.1 "x" / "x" {\n  clause 一(一)\n  beneficiary enterprise\n  amount 10万\n}\n'
    )
    errors = [(d.span.line, d.message, d.hint) for d in check_source(source, "t.pol") if d.is_error]
    assert errors == [(6, "'enterprise' is both a value of kind and a name defined in the policy",
                       "rename the definition, or test with 'kind in {enterprise}'")]


def test_highest_not_stacked_must_say_how_ties_are_broken() -> None:
    from jinjiang_dsl.api import check_source

    source = (
        'policy "t" / "t" {\n  issued 2023-04-23\n  rounding 0.01元 half_up\n}\n'
        'rule R1 "就高" / "highest" {\n  clause "x"\n  highest not stacked per project per year\n}\n'
    )
    errors = [(d.span.line, d.message, d.hint) for d in check_source(source, "t.pol") if d.is_error]
    assert errors == [(5, "rule R1 does not say how a tie is broken", "add: ties go to lower measure")]


# ---------------------------------------------------------------- rules and measures that would silently do nothing


def test_rules_of_one_kind_may_repeat_and_each_applies():
    # policies/shapes/s05_two_limits.pol shows both limits acting; here: the checker accepts them
    limit = "  limit fee per applicant per year\n  reduce in input order"
    assert found(source(rule(limit) + rule(limit.replace("fee", "spend"), rid="R2"))) == []


def test_a_second_validity_rule_is_a_warning_it_changes_nothing():
    src = source(rule("  validity") + rule("  validity", rid="R2"))
    assert found(src) == [
        warning("rule R2 repeats the validity rule R1 (line 21): both read the header's windows, so it changes "
                "nothing", "remove it, or R1", at(src, '"规则"', 2)),
    ]


NO_DATE = HEADER.replace("  dated by date\n", "").replace("  in force from 2023-05-01 to 2024-12-31\n", "")


def test_a_limit_rule_without_a_date_is_an_error():
    src = source(rule("  limit fee per applicant per year\n  reduce in input order"), header=NO_DATE)
    assert found(src) == [
        error("rule R1 sets a limit per year, but the policy says no date decides the year",
              "add 'dated by <a date input>' to the policy header", at(src, '"规则"')),
    ]


@pytest.mark.parametrize("statement, what, needle", [
    ("  cap 50万 per applicant per year, reduce in input order", "an annual cap", "cap 50万"),
    ("  once per applicant per year", "'once per applicant per year'", "measure 1.1"),
])
def test_a_per_year_statement_without_a_date_is_an_error(statement, what, needle):
    src = source(measure(statement + "\n  amount 10万"), header=NO_DATE)
    assert found(src) == [
        error(f"measure 1.1 has {what}, but the policy says no date decides the year",
              "add 'dated by <a date input>' to the policy header; without it this would never apply",
              at(src, needle)),
    ]


def test_a_measure_that_reads_no_fact_is_never_evaluated():
    src = source('measure 1.1 "示范" / "Demo" {\n  clause 一(一)\n  requires date >= 2023-05-01\n  amount 10万\n}\n')
    assert found(src) == [
        ("warning", "measure 1.1 reads no fact of the applicant or of a project, so nothing lists it: it is never "
         "evaluated", "a project (or the applicant) lists the measures whose facts it gives; name a fact in a "
         "requirement or in the amount", at(src, "measure 1.1")),
    ]


def test_a_measure_reading_a_project_fact_through_a_definition_is_evaluated():
    src = source('define big = spend > 100万\nmeasure 1.1 "示范" / "Demo" {\n  clause 一(一)\n  requires big\n'
                 '  amount 10万\n}\n')
    assert found(src) == []


def test_an_empty_interval_in_a_condition_is_an_error():
    src = source(measure("  requires spend in [100万, 50万)\n  amount 10万"))
    assert found(src) == [
        error("interval [100万, 50万) is empty: no value lies in it, so this is never true",
              "write the smaller bound first", at(src, "[100万")),
    ]


def test_an_interval_from_minus_infinity_checks_clean():
    src = source(measure("  amount bands on spend {\n    (-∞, 50万]: 1万\n    (50万, ∞): 2万\n  }"))
    assert found(src) == []


@pytest.mark.parametrize("words", ["10家以上", "10家及以上", "10家(含)以上", "10家（含）以上"])
def test_ji_yishang_and_han_yishang_mean_yishang(words):
    from jinjiang_dsl.runtime.intervals import from_ast
    from jinjiang_dsl.syntax import parse

    src = source(measure(f"  amount thresholds on n {{\n    {words}: 1万\n    20家以上: 2万\n  }}"))
    assert found(src) == []
    tiers = parse(src, "p.pol").measures[-1].amount.formula.tiers
    assert [str(from_ast(t.interval)) for t in tiers] == ["[10, ∞)", "[20, ∞)"]


PERCENT_INPUT = INPUTS.replace('  flag: bool', '  rate: percent "比例" / "rate"\n  flag: bool')


def test_a_percentage_bound_on_a_ratio_is_clean():
    src = source(measure("  requires spend / fee in 3%及以上 and rate in 超过50%\n  amount 10万"), inputs=PERCENT_INPUT)
    assert [d for d in found(src) if d[0] == "error"] == []


def test_a_percentage_bound_on_money_is_an_error():
    src = source(measure("  requires spend in 3%以上\n  amount 10万"))
    assert found(src) == [error("bound 3% is a percentage, but 'spend' is money", None, at(src, "3%以上"))]


def test_a_plain_number_bound_on_a_percentage_is_ambiguous():
    src = source(measure("  requires rate in 10以上\n  amount 10万"), inputs=PERCENT_INPUT)
    errors = [d for d in found(src) if d[0] == "error"]
    assert errors == [error("bound 10 is a plain number, but 'rate' is a percentage", "write it as a percentage: 10%",
                            at(src, "10以上"))]


def test_year_takes_a_date():
    assert found(source(measure("  requires year(date) == 2024 and flag\n  amount 10万"))) == []
    src = source(measure("  requires year(spend) == 2024\n  amount 10万"))
    assert found(src) == [error("year() takes a date, but this is money", None, at(src, "spend) =="))]


def brackets(rows: str) -> str:
    return source(measure(f"  amount brackets on spend {{\n{rows}  }}, at most 200万"))


def test_clean_brackets():
    assert found(brackets("    500万以下: 10%\n    500万(含)至1000万: 8%\n    1000万以上: 5%\n")) == []


def test_brackets_with_a_gap_an_overlap_a_late_start_and_a_money_rate():
    src = brackets("    [100万, 500万): 10%\n    [600万, 1000万): 8%\n    [900万, ∞): 5万元\n")
    assert found(src) == [
        error("the first bracket starts at 100万, so the part below it has no rate", "start it at 0, or write it as 'X以下'",
              at(src, "[100万")),
        error("bracket [600万, 1000万) leaves a gap after bracket [100万, 500万) (line 24)",
              "each bracket begins where the one below it ends", at(src, "[600万")),
        error("bracket [900万, ∞) overlaps bracket [600万, 1000万) (line 25)",
              "each bracket begins where the one below it ends", at(src, "[900万")),
        error("a bracket's rate is a percentage, but this is money", "write the rate the notice gives the part, e.g. 10%",
              at(src, "5万元")),
    ]


def test_two_brackets_open_below_overlap():
    # both start at -∞: the second overlaps the first (it was said to leave a gap after it)
    src = brackets("    50万以下: 10%\n    100万以下: 8%\n    100万以上: 5%\n")
    assert [m for _, m, _, _ in found(src)] == ["bracket (-∞, 100万] overlaps bracket (-∞, 50万] (line 24)"]


def test_brackets_with_a_bounded_top_warn():
    src = brackets("    500万以下: 10%\n    500万(含)至1000万: 8%\n")
    assert found(src) == [
        warning("the part of the value above 1000万 has no rate", "add a top bracket such as '1000万以上', if the notice has one",
                at(src, "500万(含)至1000万")),
    ]


def test_other_policy_cannot_stand_in_a_rule_per_applicant():
    src = source(rule("  highest not stacked per applicant per year\n  ties go to lower measure\n  other policy spend"))
    assert found(src) == [
        error("'other policy' names an award for the same project; it cannot stand in a rule per applicant",
              "use 'highest not stacked per project per year'", at(src, "spend\n}")),
    ]


DATED = ('policy "t" / "t" {\n  issued 2024-01-01\n  rounding 0.01元 half_up\n}\n'
         'project {\n  accepted: date "a" / "a"\n  revenue: money "r" / "r"\n}\n'
         'measure 1 "m" / "m" {\n  clause 一\n  requires accepted in 2024-01-01后 and revenue > 0\n  %s\n  amount 1万\n}\n')


@pytest.mark.parametrize("statement, message, hint, needle", [
    ("requires accepted in 100万以上", "'accepted' is a date, but the interval 100万以上 is of figures",
     "write the window in dates, e.g. 2025年6月30日前(含) or [2024-01-01, 2024-12-31]", "100万以上"),
    ("requires revenue in 2025年6月30日前(含)", "the interval 2025年6月30日前(含) is a window of days, but 'revenue' is "
     "money", "compare a date input with a window of days", "2025年6月30日前(含)"),
    ("requires accepted in 2024年2月30日前", "'2024年2月30日' is not a date", "that day does not exist", "2024年2月30日"),
])
def test_a_window_of_days_bounds_dates_only(statement: str, message: str, hint: str, needle: str) -> None:
    src = DATED % statement
    assert found(src) == [error(message, hint, at(src, needle))]


APPLICANT_LEVEL = ('policy "t" / "t" {\n  issued 2024-01-01\n  dated by date\n  rounding 0.01元 half_up\n}\n'
                   'applicant {\n  giant: bool "g" / "g"\n}\n'
                   'project {\n  date: date "d" / "d"\n  spend: money "s" / "s"\n}\n'
                   'measure 1 "m" / "m" {\n  clause 一\n  requires giant\n  amount 50万\nSTATEMENT}\n'
                   'measure 2 "p" / "p" {\n  clause 二\n  amount 3% of spend\n}\nRULES')


def applicant_level(statement: str, rules: str = "") -> str:
    return APPLICANT_LEVEL.replace("STATEMENT", statement).replace("RULES", rules)


@pytest.mark.parametrize("statement, rules, needs", [
    ("  once per applicant per year\n", "", "'once per applicant per year'"),
    ("  paid in instalments 50%, 50%\n", "", "its instalments by year"),
    ("  cap 100万 per applicant per year, reduce in input order\n", "", "its annual cap"),
    ("", rule("  limit 60万 per applicant per year\n  reduce pro rata by largest remainder"), "rule R1 (a limit per year)"),
    ("", rule("  highest not stacked per applicant per year\n  ties go to lower measure"),
     "rule R1 (highest not stacked per applicant per year)"),
])
def test_an_applicant_level_measure_in_a_policy_dated_by_a_project_has_no_year(
        statement: str, rules: str, needs: str) -> None:
    # it has no project, so no date: its award was counted in no year (a limit let it stack)
    src = applicant_level(statement, rules)
    assert found(src) == [
        error(f"measure 1 is decided on the applicant's own facts, so it has no project and no date, but the policy "
              f"is dated by the project input 'date': {needs} cannot place its award in a year",
              "give the measure its own date: 'dated by <an applicant date input>' in measure 1 (or date the policy "
              "by an applicant input, or make the measure read a fact of a project)", at(src, "measure 1")),
    ]


@pytest.mark.parametrize("statement, rules", [
    ("  once per applicant per year\n", ""),
    ("  paid in instalments 50%, 50%\n", ""),
    ("  cap 100万 per applicant per year, reduce in input order\n", ""),
    ("", rule("  limit 60万 per applicant per year\n  reduce pro rata by largest remainder")),
    ("", rule("  highest not stacked per applicant per year\n  ties go to lower measure")),
])
def test_an_applicant_level_measure_dated_by_its_own_date_has_a_year(statement: str, rules: str) -> None:
    # the gap a drafter hit: a one-off award in the year of the applicant's recognition, beside project
    # measures dated by each project's date; the measure now says its own date
    src = applicant_level(statement + "  dated by recognised_on\n", rules).replace(
        "applicant {\n", 'applicant {\n  recognised_on: date "认定日期" / "recognised on"\n', 1)
    assert found(src) == []


@pytest.mark.parametrize("line, message, hint", [
    ("  dated by spend\n", "'dated by' needs a date input, but 'spend' is money", None),
    ("  dated by date\n", "measure 1 is dated by 'date', which is not an input of the applicant",
     "a measure's own date is the applicant's: declare it in the applicant block; a project's date is the header's "
     "'dated by'"),
    ("  dated by giant\n", "'dated by' needs a date input, but 'giant' is a yes/no value", None),
])
def test_a_measures_own_date_must_be_a_date_of_the_applicant(line: str, message: str, hint: str | None) -> None:
    src = applicant_level("  once per applicant\n" + line)
    line_no, column = at(src, line.strip())
    assert found(src) == [error(message, hint, (line_no, column + len("dated by ")))]


def test_a_project_measure_is_dated_by_its_project_not_by_its_own_line() -> None:
    src = applicant_level("  once per applicant\n").replace(
        "  amount 3% of spend\n", "  amount 3% of spend\n  dated by recognised_on\n").replace(
        "applicant {\n", 'applicant {\n  recognised_on: date "认定日期" / "recognised on"\n', 1)
    assert found(src) == [
        error("measure 2 reads a fact of a project, so its award is dated by its project's date; 'dated by "
              "recognised_on' is for a measure decided on the applicant's own facts",
              "remove this line; the policy header's 'dated by' dates each project",
              (at(src, "dated by recognised_on")[0], at(src, "dated by recognised_on")[1] + len("dated by "))),
    ]


def test_an_applicant_level_measure_needs_no_date_when_nothing_counts_years() -> None:
    assert found(applicant_level("  once per applicant\n")) == []


S6 = (ROOT / "policies" / "shapes" / "s06_cost_sharing.pol").read_text(encoding="utf-8")


@pytest.mark.parametrize("shared, message, hint", [
    ("shared 1:0 by 市级财政, 县级财政", "a payer's share must be at least 1",
     "leave out a payer that pays nothing, or write the ratio the notice gives, e.g. 4:3:3"),
    ("shared 1:1 by 市级财政, 市级财政", "the payer '市级财政' is named twice", "name each payer once, with its share of the ratio"),
])
def test_a_cost_split_s_own_mistakes(shared: str, message: str, hint: str) -> None:
    src = S6.replace("shared 1:1 by 市级财政, 县级财政", shared, 1)
    assert [(m, h) for severity, m, h, _ in found(src) if severity == "error"] == [(message, hint)]


S1 = (ROOT / "policies" / "shapes" / "s01_applicant_level.pol").read_text(encoding="utf-8")


def test_an_example_of_an_applicant_level_measure_cannot_pay_a_refused_award() -> None:
    src = S1.replace("expect 1 not_eligible explains", "expect 1 not_eligible 5万 explains", 1)
    assert [(m, h) for severity, m, h, _ in found(src) if severity == "error"] == [
        ("a not_eligible award pays nothing", "leave the amount out, or use 'entitled' for the amount before the rules")]


def test_an_example_must_give_every_required_input() -> None:
    # a required input left out of an example made 'test' fail with an input error; 'check' said ok
    src = S1.replace('first_little_giant: bool "首次认定为国家级专精特新“小巨人”"',
                     'first_little_giant: bool required "首次认定为国家级专精特新“小巨人”"', 1)
    src = src.replace("applicant { recognised_on: 2024-05-01, first_little_giant: false }",
                      "applicant { recognised_on: 2024-05-01 }", 1)
    assert [(m, h) for severity, m, h, _ in found(src) if severity == "error"] == [
        ("the example's applicant does not give 'first_little_giant', which every applicant must give",
         "add first_little_giant: … to its applicant { … }")]


S5 = (ROOT / "policies" / "shapes" / "s05_annual_cap.pol").read_text(encoding="utf-8")


def test_an_example_s_project_needs_its_date_when_the_policy_has_no_in_force_window() -> None:
    # a project without a date is dated the first day in force; with no window 'check' said ok and 'test' failed
    src = S5.replace("project C1 { signed: 2024-03-01, contract: 100万 }", "project C1 { contract: 100万 }", 1)
    assert found(src) == [
        error("the example's project C1 does not give 'signed', and the policy has no in-force window to date it by",
              "give it a date, e.g. signed: 2024-06-01, or declare an in-force window in the header",
              at(src, "project C1 { contract")),
    ]


def test_an_example_s_project_without_a_date_is_dated_the_first_day_in_force() -> None:
    src = S5.replace("  dated by signed\n", "  in force from 2024-01-01 to 2025-12-31\n  dated by signed\n", 1)
    assert found(src.replace("project C1 { signed: 2024-03-01, contract: 100万 }", "project C1 { contract: 100万 }")) == []


def test_an_example_s_applicant_must_give_the_date_the_policy_is_dated_by() -> None:
    # an applicant is never dated for it: 'check' said ok and 'test' failed with 'recognised_on: missing'
    src = S1.replace("applicant { recognised_on: 2024-05-01, first_little_giant: true }",
                     "applicant { first_little_giant: true }", 1)
    assert [(m, h) for severity, m, h, _ in found(src) if severity == "error"] == [
        ("the example's applicant does not give 'recognised_on', which every applicant must give",
         "add recognised_on: … to its applicant { … }")]


RATE_HINT = "check the figure against the notice: a share of a base is at most 100% of it, unless the notice says more"


@pytest.mark.parametrize("body, rate", [
    ("  amount 120% of spend, at most 100万", "120%"),
    ("  amount fee + spend × 150%", "150%"),
    ("  amount 20% of spend\n  when flag: 125%", "125%"),
    ("  amount 20% of spend\n  when flag: 110% of fee", "110%"),
    ("  amount brackets on spend {\n    500万以下: 150%\n    超过500万: 10%\n  }", "150%"),
    ("  amount thresholds on spend {\n    10万以上: 200% of fee\n  }", "200%"),
])
def test_a_rate_above_100_percent_is_warned_of(body: str, rate: str) -> None:
    # it paid more than its base and checked clean: a slip for 12% or 20% went unnoticed
    src = source(measure(body))
    assert found(src) == [warning(f"a rate of {rate} pays more than its base", RATE_HINT, at(src, rate))]


@pytest.mark.parametrize("body", [
    "  amount 100% of spend",
    "  requires spend >= 150% of fee\n  amount 10% of spend",  # a condition compares, it pays nothing
    "  amount 10% of spend, at most 120% of fee",  # a cap bounds the amount, it pays nothing
])
def test_a_rate_of_at_most_100_percent_or_outside_an_amount_is_not_warned_of(body: str) -> None:
    assert found(source(measure(body))) == []


def test_a_misspelt_fact_in_a_measure_is_one_error_not_one_per_example() -> None:
    # 'sme_adoptrs' makes 2.1 read no project fact; taking it for an applicant-level measure then made every
    # example naming a project for it an error (12 of them), telling the drafter to change correct examples
    src = (ROOT / "policies" / "jinjiang_2023.pol").read_text(encoding="utf-8").replace(
        "amount thresholds on sme_adopters {", "amount thresholds on sme_adoptrs {")
    errors = [d for d in check_source(src, "jinjiang.pol") if d.is_error]
    assert [(d.message, d.hint) for d in errors] == [("'sme_adoptrs' is not defined", "did you mean 'sme_adopters'?")]


@pytest.mark.parametrize("amount", ["5万/人 × n", "5万元/人 × n", "每人5万 × n"])
def test_a_sum_per_person_written_as_the_notice_does_points_to_amount_times_count(amount):
    [d] = [d for d in check_source(source(measure(f"  amount {amount}"))) if d.is_error]
    assert d.message.endswith("is not defined")
    assert d.hint == ("'人' is a unit, not an input: a sum per 人 is the sum times a count input, "
                      "'AMOUNT × COUNT' (5万元/人 → 5万 × doctors)")


@pytest.mark.parametrize("field", ["id", "name", "projects", "applicant_id", "project_id"])
def test_an_input_named_as_a_field_of_every_record_is_an_error(field: str) -> None:
    # 'name: money' passed check, and the record's "name" (the applicant's name) was read in its place: the input
    # was never given, its measure never eligible, and compile --emit schema typed the name as money
    from jinjiang_dsl import check_source

    src = ('policy "p" / "p" {\n  issued 2023-04-23\n  rounding 0.01元 half_up\n}\n'
           f'applicant {{\n  {field}: money "n" / "n"\n}}\n'
           f'measure 1.1 "t" / "t" {{\n  clause 一(一)\n  quote "q"\n  amount 20% of {field}\n}}\n')
    found = [(d.message, d.span.line, d.span.column) for d in check_source(src, "p.pol") if d.is_error]
    assert len(found) == 1 and found[0][1:] == (6, 3)
    assert found[0][0].startswith(f"'{field}' is a field every applicant record has (")
