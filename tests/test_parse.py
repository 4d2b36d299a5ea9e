"""The parser: one test per construct of the policy language, literals and statutory intervals.

Everything here goes through :func:`jinjiang_dsl.syntax.parse` and looks at the AST it
returns. Parsing alone does not resolve names, so the snippets need no header or inputs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from jinjiang_dsl import ast
from jinjiang_dsl.diagnostics import PolicyError
from jinjiang_dsl.runtime.intervals import Interval, from_ast
from jinjiang_dsl.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"
EVERY_CONSTRUCT = ROOT / "tests" / "fixtures" / "every_construct.pol"

INF = None  # an unbounded end, as the runtime interval writes it


# ---------------------------------------------------------------- helpers


def measure(body: str, head: str = 'measure 1.1 "示范" / "Demo"') -> ast.Measure:
    (m,) = parse(f"{head} {{\n{body}\n}}\n").measures
    return m


def rule(body: str) -> ast.Rule:
    (r,) = parse(f'rule R1 "规则" / "Rule" {{\n{body}\n}}\n').rules
    return r


def expr(text: str) -> ast.Expr:
    (d,) = parse(f"define d = {text}\n").defines
    return d.expr


def tier_interval(text: str) -> ast.Interval:
    m = measure(f"  amount bands on x {{\n    {text}: 1万\n  }}")
    assert isinstance(m.amount.formula, ast.TierTable)
    return m.amount.formula.tiers[0].interval


def bounds(text: str) -> tuple[D | None, bool, D | None, bool]:
    iv = from_ast(tier_interval(text))
    return (iv.lower, iv.lower_inclusive, iv.upper, iv.upper_inclusive)


def name(ident: str, scope: str | None = None):
    """Match a Name by identifier (and scope), whatever its span."""
    return lambda e: isinstance(e, ast.Name) and e.ident == ident and e.scope == scope


# ---------------------------------------------------------------- the shipped files


def test_shipped_policy_parses():
    policy = parse(POLICY.read_text(encoding="utf-8"), str(POLICY))
    assert [m.id for m in policy.measures] == [
        "1.1",
        "1.2",
        "1.3",
        "2.1",
        "2.2",
        "2.3",
        "3.1",
        "3.2",
        "4.1",
        "5.1",
        "5.2",
        "6.1",
    ]
    assert [r.id for r in policy.rules] == ["R1", "R2", "R3"]
    assert [r.kind for r in policy.rules] == ["highest_not_stacked", "limit", "validity"]
    assert policy.header is not None and policy.header.title.en.startswith("Jinjiang City")


def test_every_construct_fixture_parses():
    policy = parse(EVERY_CONSTRUCT.read_text(encoding="utf-8"), str(EVERY_CONSTRUCT))
    assert len(policy.measures) == 10
    assert len(policy.rules) == 3
    assert {i.scope for i in policy.inputs} == {"applicant", "project"}
    assert [n.id for n in policy.notes] == ["I-2"]
    assert [n.id for n in policy.all_notes()] == ["I-2", "I-1", "I-3", "I-8"]


def test_empty_source_is_an_empty_policy():
    policy = parse("")
    assert policy.header is None and policy.measures == () and policy.inputs == ()


def test_comments_and_blank_lines_are_ignored():
    policy = parse('# a comment\n\n   # another\nnote I-1 "说明" / "note"  # trailing comment\n')
    (note,) = policy.notes
    assert note.id == "I-1" and note.text.en == "note"


# ---------------------------------------------------------------- header


HEADER = """\
policy "示例政策" / "Example policy" {
  issued 2023-04-23
  in force from 2023-05-01 to 2024-12-31
  by reference from 2023-01-01 至 2023-04-30
  dated by date
  currency 元
  rounding 0.01元 half_up
  clause "结语"
  quote "本措施自2023年5月1日起正式施行"
  note I-1 "金额四舍五入到分。" / "Amounts are rounded half-up to 0.01 yuan."
}
"""


def test_header_fields():
    policy = parse(HEADER, "h.pol")
    h = policy.header
    assert h is not None
    assert (h.title.zh, h.title.en) == ("示例政策", "Example policy")
    assert h.issued.value == dt.date(2023, 4, 23)
    assert (h.in_force.start, h.in_force.end) == (dt.date(2023, 5, 1), dt.date(2024, 12, 31))
    assert (h.by_reference.start, h.by_reference.end) == (dt.date(2023, 1, 1), dt.date(2023, 4, 30))
    assert name("date")(h.dated_by)
    assert h.currency == "元"
    assert h.rounding.unit.value == D("0.01") and h.rounding.unit.unit == "money"
    assert h.rounding.mode == "half_up"
    assert h.clause.ref == "结语"
    assert h.quote.text == "本措施自2023年5月1日起正式施行"
    (note,) = h.notes
    assert note.id == "I-1" and note.text.zh == "金额四舍五入到分。"
    assert h.span == ast.Span(path="h.pol", line=1, column=1, end_line=11, end_column=2)
    assert h.in_force.span.line == 3


@pytest.mark.parametrize("mode", ["half_up", "half_even", "down", "up"])
def test_header_rounding_modes(mode):
    h = parse(f'policy "p" {{ rounding 1元 {mode} }}').header
    assert h.rounding.mode == mode and h.rounding.unit.value == 1


def test_header_title_without_english_and_qualified_dated_by():
    h = parse('policy "示例" {\n  dated by project.date\n  currency CNY\n}').header
    assert (h.title.zh, h.title.en) == ("示例", None)
    assert name("date", "project")(h.dated_by)
    assert h.currency == "CNY"
    assert h.issued is None and h.in_force is None and h.rounding is None


def test_header_keeps_the_currency_statements_span():
    h = parse('policy "示例" {\n  issued 2023-04-23\n  currency USD\n}', "c.pol").header
    assert h.currency == "USD"
    assert h.currency_span == ast.Span(path="c.pol", line=3, column=3, end_line=3, end_column=15)
    assert parse('policy "示例" {\n}').header.currency_span is None


def test_header_with_full_width_braces():
    h = parse('policy "示例" / "Example" ｛ issued 2023-04-23 ｝').header
    assert h.issued.value == dt.date(2023, 4, 23)


# ---------------------------------------------------------------- inputs


@pytest.mark.parametrize("kind", ["money", "count", "percent", "bool", "date", "text"])
def test_input_of_each_simple_type(kind):
    (decl,) = parse(f'project {{\n  x: {kind} "中文" / "English"\n}}').inputs
    assert decl.name == "x" and decl.scope == "project"
    assert decl.type.kind == kind and decl.type.values == ()
    assert decl.default is None
    assert (decl.label.zh, decl.label.en) == ("中文", "English")
    assert decl.name_span == ast.Span(path="<policy>", line=2, column=3, end_line=2, end_column=4)


def test_input_one_of_with_labels_and_full_width_separators():
    (decl,) = parse(
        "applicant {\n"
        "  kind: one of {\n"
        '    enterprise "企业" / "enterprise",\n'
        '    provider "服务商"，\n'
        "    association、\n"
        '  } "申请人类别" / "applicant kind"\n'
        "}"
    ).inputs
    assert decl.scope == "applicant"
    assert decl.type.kind == "enum"
    assert [v.name for v in decl.type.values] == ["enterprise", "provider", "association"]
    enterprise, provider, association = decl.type.values
    assert (enterprise.label.zh, enterprise.label.en) == ("企业", "enterprise")
    assert (provider.label.zh, provider.label.en) == ("服务商", None)
    assert association.label is None
    assert decl.label.en == "applicant kind"


def test_input_one_of_chinese_values():
    (decl,) = parse('project { industry: one of {纺织、鞋服, 食品} "产业" }').inputs
    assert [v.name for v in decl.type.values] == ["纺织", "鞋服", "食品"]


@pytest.mark.parametrize(
    ("decl", "check"),
    [
        ("x: money = 0", lambda d: isinstance(d, ast.Quantity) and d.value == 0 and d.unit == "number"),
        ("x: money = 0元", lambda d: isinstance(d, ast.Quantity) and d.value == 0 and d.unit == "money"),
        ("x: count = 10家", lambda d: isinstance(d, ast.Quantity) and d.value == 10 and d.unit == "count"),
        ("x: percent = 20%", lambda d: isinstance(d, ast.Percent) and d.value == D("0.2")),
        ("x: bool = true", lambda d: isinstance(d, ast.BoolLit) and d.value is True),
        ("x: bool = false", lambda d: isinstance(d, ast.BoolLit) and d.value is False),
        ("x: date = 2023-05-01", lambda d: isinstance(d, ast.DateLit) and d.value == dt.date(2023, 5, 1)),
        ("x: one of {a, b} = b", name("b")),
    ],
)
def test_input_defaults(decl, check):
    (d,) = parse(f'project {{\n  {decl} "标签" / "label"\n}}').inputs
    assert check(d.default)
    assert d.label.zh == "标签"


def test_input_labels_zh_only_and_none():
    a, b = parse('applicant {\n  a: money "只有中文"\n  b: money\n}').inputs
    assert (a.label.zh, a.label.en) == ("只有中文", None)
    assert b.label is None


def test_input_names_may_be_chinese():
    (decl,) = parse('project { 投入: money "投入" / "investment" }').inputs
    assert decl.name == "投入"


def test_assert_in_inputs_with_and_without_label():
    policy = parse(
        "project {\n"
        '  started: count "启动" / "started"\n'
        '  assert started <= diagnosed "启动数不多于诊断数" / "started at most diagnosed"\n'
        "  assert started >= 0\n"
        "}"
    )
    assert [i.name for i in policy.inputs] == ["started"]
    first, second = policy.assertions
    assert isinstance(first.expr, ast.Compare) and first.expr.op == "<="
    assert first.label.en == "started at most diagnosed"
    assert second.label is None and second.expr.op == ">="
    assert first.span.line == 3


# ---------------------------------------------------------------- definitions


def test_global_define_with_label():
    (d,) = parse('define enterprise = kind in {enterprise, provider} "企业" / "an enterprise"').defines
    assert d.name == "enterprise"
    assert isinstance(d.expr, ast.InSet) and [v.ident for v in d.expr.values] == ["enterprise", "provider"]
    assert d.label.en == "an enterprise"
    assert d.name_span == ast.Span(path="<policy>", line=1, column=8, end_line=1, end_column=18)


def test_measure_local_define():
    m = measure('  define investment = software + hardware "投入" / "investment"\n  amount 20% of investment')
    (d,) = m.defines
    assert d.name == "investment" and d.label.zh == "投入"
    assert isinstance(d.expr, ast.BinOp) and d.expr.op == "+"
    assert parse('measure 1.1 "t" { define z = 1 amount z }').defines == ()  # local, not global


# ---------------------------------------------------------------- measures


def test_measure_head():
    m = measure("  amount 10万", head='measure 12.3.4 "标题" / "Title"')
    assert m.id == "12.3.4"
    assert (m.title.zh, m.title.en) == ("标题", "Title")
    assert m.span.line == 1 and m.span.end_line == 3


@pytest.mark.parametrize(
    ("written", "ref"),
    [
        ("一(一)", "一(一)"),
        ("一、(一)", "一、(一)"),
        ("一（二）", "一（二）"),
        ("十二", "十二"),
        ("第一条", "第一条"),  # how most notices number their articles
        ("第十二条第二款", "第十二条第二款"),
        ("第三章", "第三章"),
        ('"三、(一)"', "三、(一)"),
        ('"结尾段一"', "结尾段一"),
    ],
)
def test_clause_token_and_string(written, ref):
    assert measure(f"  clause {written}").clause.ref == ref


def test_quote():
    m = measure('  quote "按不超过其投入金额的20%给予补助,单个项目最高补助限额100万元。"')
    assert m.quote.text == "按不超过其投入金额的20%给予补助,单个项目最高补助限额100万元。"


def test_string_escapes():
    m = measure(r'  quote "他说\"好\"\n第二行"')
    assert m.quote.text == '他说"好"\n第二行'


def test_beneficiary_with_and_without_label():
    m = measure('  beneficiary enterprise "企业" / "an enterprise"')
    assert name("enterprise")(m.beneficiary.expr) and m.beneficiary.label.en == "an enterprise"
    m = measure("  beneficiary kind in {provider}")
    assert isinstance(m.beneficiary.expr, ast.InSet) and m.beneficiary.label is None


def test_requires_repeats_in_order():
    m = measure(
        '  requires industry in {纺织, 鞋服} "重点产业" / "a listed industry"\n'
        "  requires date >= 2023-01-01\n"
        "  requires selected_demo"
    )
    first, second, third = m.requirements
    assert isinstance(first.expr, ast.InSet) and first.label.zh == "重点产业"
    assert isinstance(second.expr, ast.Compare) and second.expr.right.value == dt.date(2023, 1, 1)
    assert name("selected_demo")(third.expr) and third.label is None


def test_amount_rate_with_cap():
    a = measure("  amount 20% of investment, at most 100万").amount
    f = a.formula
    assert isinstance(f, ast.ExprFormula) and isinstance(f.expr, ast.PercentOf)
    assert f.expr.rate.value == D("0.20") and f.expr.rate.text == "20%"
    assert name("investment")(f.expr.base)
    assert isinstance(a.cap, ast.Quantity) and a.cap.value == 1_000_000


@pytest.mark.parametrize(
    "cap", ["at most 100万", ", at most 100万", "最高 100万", "， 最高100万", "最高 1,000,000元", "最高100万"]
)
def test_amount_cap_spellings(cap):
    a = measure(f"  amount 15% of x {cap}").amount
    assert a.cap.value == 1_000_000


def test_zuigao_splits_off_the_number_after_it():
    a = measure("  amount 20% of spend 最高50万").amount
    assert name("spend")(a.formula.expr.base) and a.cap.value == 500_000 and a.cap.text == "50万"


def test_zuigao_inside_a_name_is_part_of_the_name():
    a = measure("  amount 20% of 最高限额, at most 最高限额").amount
    assert name("最高限额")(a.formula.expr.base) and name("最高限额")(a.cap)
    assert name("limit_amount")(measure("  amount 20% of x 最高 limit_amount").amount.cap)
    inputs = parse('project {\n  a: money = 0 "甲" / "a"\n  最高额: money\n}\n').inputs
    assert [d.name for d in inputs] == ["a", "最高额"]


def test_amount_without_cap():
    assert measure("  amount 20% of x").amount.cap is None


def test_override_rate_with_cap_and_label():
    m = measure(
        "  amount 20% of investment, at most 100万\n"
        '  when key_project "重点项目" / "key project": 25%, at most 100万元\n'
        "  when a and not b： 30%"
    )
    first, second = m.overrides
    assert name("key_project")(first.condition)
    assert first.label.en == "key project"
    assert isinstance(first.formula, ast.ExprFormula) and isinstance(first.formula.expr, ast.Percent)
    assert first.formula.expr.value == D("0.25")
    assert first.cap.value == 1_000_000 and first.cap.unit == "money"
    assert isinstance(second.condition, ast.BoolOp) and second.cap is None and second.label is None


def test_override_with_full_amount():
    (o,) = measure("  amount 10万\n  when big: 20万").overrides
    assert isinstance(o.formula.expr, ast.Quantity) and o.formula.expr.value == 200_000


def test_amount_bands():
    f = measure(
        "  amount bands on spend {\n"
        "    50万(含)至100万: 5万\n"
        "    100万（含）——200万: 10万\n"
        "    [200万, 300万): 20万\n"
        "    300万元以上: 30万\n"
        "  }"
    ).amount.formula
    assert isinstance(f, ast.TierTable) and f.mode == "bands"
    assert name("spend")(f.on)
    assert [str(from_ast(t.interval)) for t in f.tiers] == [
        "[50万, 100万)",
        "[100万, 200万)",
        "[200万, 300万)",
        "[300万, ∞)",
    ]
    assert [t.amount.value for t in f.tiers] == [50_000, 100_000, 200_000, 300_000]
    assert (f.allow_gap, f.allow_cliff) == (False, False)
    assert [t.span.line for t in f.tiers] == [3, 4, 5, 6]


def test_amount_thresholds_with_full_width_colon():
    f = measure(
        "  amount thresholds on adopters {\n    10家以上: 10万\n    20家以上：20万\n    50家以上: 30万\n  }"
    ).amount.formula
    assert f.mode == "thresholds"
    assert [(t.interval.lower.value.value, t.interval.lower.value.unit) for t in f.tiers] == [
        (10, "count"),
        (20, "count"),
        (50, "count"),
    ]


@pytest.mark.parametrize(
    ("allow", "gap", "cliff"),
    [("allow gap", True, False), ("allow cliff", False, True), ("allow gap\n    allow cliff", True, True)],
)
def test_tier_table_allowances(allow, gap, cliff):
    f = measure(f"  amount bands on x {{\n    10万以上: 1万\n    {allow}\n  }}").amount.formula
    assert (f.allow_gap, f.allow_cliff) == (gap, cliff)
    assert len(f.tiers) == 1


def test_empty_tier_table_parses():
    f = measure("  amount thresholds on x {\n  }").amount.formula
    assert f.tiers == ()


def test_amount_fixed_sum():
    f = measure("  amount 10万").amount.formula
    assert isinstance(f, ast.ExprFormula)
    assert f.expr == ast.Quantity(value=D(100_000), unit="number", text="10万", span=f.expr.span)


@pytest.mark.parametrize("times", ["×", "*"])
def test_amount_per_unit(times):
    e = measure(f"  amount 5万元 {times} qualified_sessions").amount.formula.expr
    assert isinstance(e, ast.BinOp) and e.op == "*"
    assert e.left.value == 50_000 and e.left.unit == "money"
    assert name("qualified_sessions")(e.right)


def test_amount_referred_with_and_without_reason():
    f = measure('  amount referred "一事一议" / "decided case by case"').amount.formula
    assert isinstance(f, ast.Referred) and f.reason.en == "decided case by case"
    f = measure("  amount referred").amount.formula
    assert isinstance(f, ast.Referred) and f.reason is None


def test_cross_check():
    (c,) = measure(
        '  cross check 50% of approved "核定补助的50%" / "50% of the approved subsidy"'
    ).cross_checks
    assert isinstance(c.expr, ast.PercentOf) and c.expr.rate.value == D("0.5")
    assert c.label.zh == "核定补助的50%"


def test_quota():
    q = measure("  quota 2 per industry per year").quota
    assert q.count == 2 and name("industry")(q.per)


@pytest.mark.parametrize(
    ("reduce", "strategy"),
    [
        ("reduce in input order", "input_order"),
        ("reduce pro rata", "pro_rata"),
        ("reduce pro rata by largest remainder, ties in input order", "pro_rata"),
    ],
)
def test_annual_cap_with_reduction(reduce, strategy):
    c = measure(f"  cap 50万 per applicant per year, {reduce}").annual_cap
    assert c.amount.value == 500_000
    assert c.reduction.strategy == strategy


def test_earmark():
    e = measure('  earmark "专项用于平台开发" / "earmarked for platform development"').earmark
    assert (e.zh, e.en) == ("专项用于平台开发", "earmarked for platform development")


def test_once_per_applicant_per_year():
    assert measure("  once per applicant per year").once == "year"
    assert measure("  once per applicant").once == "ever"
    assert measure("  amount 10万").once is None


def test_notes_with_and_without_text():
    m = measure('  note I-3 "名额由主管部门遴选。" / "The authority selects."\n  note J-2')
    stated, attached = m.notes
    assert stated.id == "I-3" and stated.text.en == "The authority selects."
    assert attached.id == "J-2" and attached.text is None


def test_measure_statements_may_come_in_any_order():
    m = measure("  amount 10万\n  note I-1\n  clause 一(一)\n  beneficiary e")
    assert m.clause.ref == "一(一)" and m.amount is not None and name("e")(m.beneficiary.expr)


def test_empty_measure():
    m = measure("")
    assert m.clause is None and m.amount is None and m.requirements == () and m.quota is None


# ---------------------------------------------------------------- rules


def test_rule_highest_not_stacked():
    r = rule(
        '  clause "结语"\n'
        '  quote "就高不重复"\n'
        "  highest not stacked per project per year\n"
        "  ties go to lower measure\n"
        "  other policy other_award\n"
        '  note I-8 "同额时取序号小者。" / "Ties go to the lower measure number."'
    )
    assert r.id == "R1" and r.title.en == "Rule"
    assert r.kind == "highest_not_stacked"
    assert r.ties_to_lower_measure is True
    assert name("other_award")(r.other_policy)
    assert r.clause.ref == "结语" and r.quote.text == "就高不重复"
    assert [n.id for n in r.notes] == ["I-8"]
    assert r.limit is None and r.reduction is None and r.applies_to is None


def test_rule_limit_with_reduction():
    r = rule(
        "  applies to enterprise\n"
        "  limit fiscal_contribution - other_municipal_subsidies per applicant per year\n"
        "  reduce pro rata by largest remainder, ties in input order"
    )
    assert r.kind == "limit"
    assert name("enterprise")(r.applies_to)
    assert isinstance(r.limit, ast.BinOp) and r.limit.op == "-"
    assert r.reduction.strategy == "pro_rata"
    assert r.ties_to_lower_measure is False


def test_rule_validity():
    r = rule('  clause "结语"\n  validity')
    assert r.kind == "validity"


def test_rule_without_kind():
    assert rule('  clause "结语"').kind is None


# ---------------------------------------------------------------- expressions


def test_percent_of_takes_the_whole_sum():
    e = expr("20% of a + b")
    assert isinstance(e, ast.PercentOf) and isinstance(e.base, ast.BinOp) and e.base.op == "+"


def test_product_binds_tighter_than_sum():
    e = expr("a + b × c")
    assert e.op == "+" and name("a")(e.left) and e.right.op == "*"


def test_subtraction_is_left_associative():
    e = expr("a - b - c")
    assert e.op == "-" and e.left.op == "-" and name("c")(e.right)


def test_division():
    e = expr("a / b")
    assert isinstance(e, ast.BinOp) and e.op == "/"


def test_full_width_parentheses_group():
    e = expr("（a + b）× c")
    assert e.op == "*" and e.left.op == "+"


@pytest.mark.parametrize(
    ("written", "op"),
    [
        (">=", ">="),
        ("≥", ">="),
        ("<=", "<="),
        ("≤", "<="),
        ("==", "=="),
        ("!=", "!="),
        ("≠", "!="),
        (">", ">"),
        ("<", "<"),
    ],
)
def test_comparison_operators(written, op):
    e = expr(f"a {written} b")
    assert isinstance(e, ast.Compare) and e.op == op


@pytest.mark.parametrize(("or_", "and_", "not_"), [("or", "and", "not"), ("或", "且", "非")])
def test_boolean_operators_and_precedence(or_, and_, not_):
    e = expr(f"{not_} a {and_} b {or_} c")
    assert isinstance(e, ast.BoolOp) and e.op == "or"
    assert e.left.op == "and" and isinstance(e.left.left, ast.Not) and name("c")(e.right)


def test_in_set_and_not_in_set():
    e = expr("kind in {enterprise, provider,}")
    assert (
        isinstance(e, ast.InSet)
        and not e.negated
        and [v.ident for v in e.values] == ["enterprise", "provider"]
    )
    e = expr("kind not in {enterprise}")
    assert e.negated and name("kind")(e.operand)


def test_in_set_with_quoted_texts():
    e = expr('industry in {"5G", 纺织, "纺织 服装"}')
    assert isinstance(e, ast.InSet) and [v.ident for v in e.values] == ["5G", "纺织", "纺织 服装"]
    assert all(isinstance(v, ast.Name) and v.scope is None for v in e.values)
    assert e.values[0].span.column == e.span.column + len("industry in {")  # the span starts at the quote
    assert [v.ident for v in expr('industry not in {"5G"}').values] == ["5G"]


def test_quoted_text_in_a_comparison():
    e = expr('industry == "纺织"')
    assert isinstance(e, ast.Compare) and name("industry")(e.left)
    assert isinstance(e.right, ast.Name) and e.right.ident == "纺织" and e.right.scope is None


def test_quoted_text_in_a_comparison_before_a_label():
    (r,) = measure('  requires industry == "纺织" "纺织业" / "textiles"\n  amount 1万').requirements
    assert r.expr.right.ident == "纺织" and (r.label.zh, r.label.en) == ("纺织业", "textiles")


def test_in_interval():
    e = expr("diagnosed in 20家以上")
    assert isinstance(e, ast.InInterval)
    assert str(from_ast(e.interval)) == "[20, ∞)"


def test_qualified_names():
    assert name("kind", "applicant")(expr("applicant.kind"))
    assert name("date", "project")(expr("project.date"))


def test_spans_are_one_based_and_end_exclusive():
    (d,) = parse("\n\ndefine d = alpha + 1\n", "s.pol").defines
    assert d.expr.left.span == ast.Span(path="s.pol", line=3, column=12, end_line=3, end_column=17)
    assert d.expr.span == ast.Span(path="s.pol", line=3, column=12, end_line=3, end_column=21)


# ---------------------------------------------------------------- literals


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("100万", D(1_000_000), "number"),
        ("100万元", D(1_000_000), "money"),
        ("1,000,000元", D(1_000_000), "money"),
        ("1,000", D(1000), "number"),
        ("5万元", D(50_000), "money"),
        ("0.01元", D("0.01"), "money"),
        ("1.5万", D(15_000), "number"),
        ("0.5亿", D(50_000_000), "number"),
        ("2亿元", D(200_000_000), "money"),
        ("10家", D(10), "count"),
        ("3场", D(3), "count"),
        ("2项", D(2), "count"),
        ("5人", D(5), "count"),
        ("20", D(20), "number"),
    ],
)
def test_quantity_literals(text, value, unit):
    q = expr(text)
    assert isinstance(q, ast.Quantity)
    assert (q.value, q.unit, q.text) == (value, unit, text)


@pytest.mark.parametrize(("text", "value"), [("20%", D("0.2")), ("20％", D("0.2")), ("12.5%", D("0.125"))])
def test_percent_literals(text, value):
    p = expr(text)
    assert isinstance(p, ast.Percent) and p.value == value and p.text == text


def test_date_and_bool_literals():
    assert expr("2023-05-01").value == dt.date(2023, 5, 1)
    assert expr("true").value is True and expr("false").value is False


def test_quantity_values_are_exact_decimals():
    q = expr("0.1元")
    assert isinstance(q.value, D) and q.value == D("0.1")


# ---------------------------------------------------------------- statutory intervals


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # X(含)至Y: the lower number is included, the upper one is not (I-2).
        ("50万(含)至100万", (D(500_000), True, D(1_000_000), False)),
        ("50万（含）至100万", (D(500_000), True, D(1_000_000), False)),
        ("50万元(含)—100万元", (D(500_000), True, D(1_000_000), False)),
        ("100万(含)——200万", (D(1_000_000), True, D(2_000_000), False)),
        ("50万(含)到100万", (D(500_000), True, D(1_000_000), False)),
        ("50万(含)~100万", (D(500_000), True, D(1_000_000), False)),
        ("50万(含)～100万", (D(500_000), True, D(1_000_000), False)),
        ("50万(含)-100万", (D(500_000), True, D(1_000_000), False)),
        ("50万(含)–100万", (D(500_000), True, D(1_000_000), False)),
        ("50万(含)至100万(含)", (D(500_000), True, D(1_000_000), True)),
        ("50万至100万(含)", (D(500_000), False, D(1_000_000), True)),
        # 以上/以下/以内 include the number.
        ("300万以上", (D(3_000_000), True, INF, False)),
        ("300万元以上", (D(3_000_000), True, INF, False)),
        ("10家以上", (D(10), True, INF, False)),
        ("100万以下", (INF, False, D(1_000_000), True)),
        ("100万以内", (INF, False, D(1_000_000), True)),
        # 超过/高于/大于/多于 exclude it; 不少于/不低于 include it.
        ("超过5万", (D(50_000), False, INF, False)),
        ("高于5万", (D(50_000), False, INF, False)),
        ("大于5万", (D(50_000), False, INF, False)),
        ("多于5家", (D(5), False, INF, False)),
        ("不少于20家", (D(20), True, INF, False)),
        ("不低于5万", (D(50_000), True, INF, False)),
        # 不满/低于/少于/不足/未满 exclude it; 不超过/不高于 include it.
        ("不满10家", (INF, False, D(10), False)),
        ("低于10家", (INF, False, D(10), False)),
        ("少于10家", (INF, False, D(10), False)),
        ("不足10家", (INF, False, D(10), False)),
        ("未满10家", (INF, False, D(10), False)),
        ("不超过5万", (INF, False, D(50_000), True)),
        ("不高于5万", (INF, False, D(50_000), True)),
        # Two bounds, in either order.
        ("不满10万 超过5万", (D(50_000), False, D(100_000), False)),
        ("超过5万 不满10万", (D(50_000), False, D(100_000), False)),
        ("5万以上不满10万", (D(50_000), True, D(100_000), False)),
        ("超过5万 100万以下", (D(50_000), False, D(1_000_000), True)),
        # Notation.
        ("[50万, 100万)", (D(500_000), True, D(1_000_000), False)),
        ("[50万，100万)", (D(500_000), True, D(1_000_000), False)),
        ("(0, 5万]", (D(0), False, D(50_000), True)),
        ("[0, 5万]", (D(0), True, D(50_000), True)),
        ("(5万, 10万)", (D(50_000), False, D(100_000), False)),
        ("[300万, ∞)", (D(3_000_000), True, INF, False)),
        ("[300万, +∞)", (D(3_000_000), True, INF, False)),
        # Full-width brackets, as Chinese input methods type them.
        ("[50万，100万）", (D(500_000), True, D(1_000_000), False)),
        ("（50万, 100万]", (D(500_000), False, D(1_000_000), True)),
        ("［50万, 100万］", (D(500_000), True, D(1_000_000), True)),
        ("（0，5万］", (D(0), False, D(50_000), True)),
        ("［300万, ∞）", (D(3_000_000), True, INF, False)),
    ],
)
def test_statutory_interval(text, expected):
    assert bounds(text) == expected


def test_interval_keeps_the_drafters_words_and_units():
    iv = tier_interval("50万元（含）——100万元")
    assert iv.text == "50万元（含）——100万元"
    assert iv.lower.inclusive is True and iv.lower.value.unit == "money" and iv.lower.value.text == "50万元"
    assert iv.upper.inclusive is False and iv.upper.value.value == 1_000_000


def test_interval_unbounded_ends_are_none():
    iv = tier_interval("超过5万")
    assert iv.upper is None and iv.lower.inclusive is False
    iv = tier_interval("[5万, ∞)")
    assert iv.upper is None


def test_interval_membership_at_the_boundaries():
    band = from_ast(tier_interval("50万(含)至100万"))
    assert D(500_000) in band and D("999999.99") in band
    assert D(1_000_000) not in band and D("499999.99") not in band
    above = from_ast(tier_interval("超过5万"))
    assert D(50_000) not in above and D("50000.01") in above


# ---------------------------------------------------------------- how an interval reads


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (Interval(D(1_000_000), True, D(2_000_000), False), "[100万, 200万)"),
        (Interval(D(50_000), False, None, False), "(5万, ∞)"),
        (Interval(None, False, D(10), False), "(-∞, 10)"),
        (Interval(D(0), False, D(50_000), True), "(0, 5万]"),
        (Interval(D(3_000_000), True, None, False), "[300万, ∞)"),
        (Interval(D(12_345), True, D(1_234_500), True), "[12,345, 123.45万]"),
    ],
)
def test_runtime_interval_str(interval, text):
    assert str(interval) == text


@pytest.mark.parametrize(
    ("written", "text"),
    [
        ("50万(含)至100万", "[50万, 100万)"),
        ("300万以上", "[300万, ∞)"),
        ("超过5万", "(5万, ∞)"),
        ("不满10家", "(-∞, 10)"),
        ("(0, 5万]", "(0, 5万]"),
        ("不满10万 超过5万", "(5万, 10万)"),
    ],
)
def test_parsed_interval_reads_as_notation(written, text):
    assert str(from_ast(tier_interval(written))) == text


# ---------------------------------------------------------------- full-width punctuation


def test_full_width_punctuation_everywhere():
    source = (
        'measure 1.1 "示范" / "Demo" ｛\n'
        "  clause 一（一）\n"
        "  requires kind in ｛a，b、c｝\n"
        "  amount bands on x ｛\n"
        "    50万（含）——100万： 5万\n"
        "    100万以上：10万\n"
        "  ｝\n"
        "  when k： 25%， 最高 100万\n"
        "｝\n"
    )
    (m,) = parse(source).measures
    assert m.clause.ref == "一（一）"
    assert [v.ident for v in m.requirements[0].expr.values] == ["a", "b", "c"]
    assert [str(from_ast(t.interval)) for t in m.amount.formula.tiers] == ["[50万, 100万)", "[100万, ∞)"]
    assert m.overrides[0].cap.value == 1_000_000


def test_full_width_brackets_beside_grouping_and_han():
    (m,) = parse(
        'measure 1.1 "示范" / "Demo" {\n'
        "  requires x in （50万, 100万］ and y in 50万（含）至100万（含）\n"
        "  amount （a + b） × 10%, at most （100万）\n"
        "}\n"
    ).measures
    left, right = m.requirements[0].expr.left, m.requirements[0].expr.right
    assert str(from_ast(left.interval)) == "(50万, 100万]" and left.interval.text == "（50万, 100万］"
    assert str(from_ast(right.interval)) == "[50万, 100万]"
    f = m.amount.formula.expr
    assert isinstance(f, ast.BinOp) and f.op == "*" and isinstance(f.left, ast.BinOp) and f.left.op == "+"
    assert m.amount.cap.value == 1_000_000


def test_parse_errors_raise_policy_error_with_diagnostics():
    with pytest.raises(PolicyError) as info:
        parse("measure 1.1 {", "x.pol")
    (d,) = info.value.diagnostics
    assert d.is_error and d.span.path == "x.pol"
    assert info.value.sources == {"x.pol": "measure 1.1 {"}


DAY = dt.date


@pytest.mark.parametrize(
    "written, expected",
    [
        # (含) makes the day count, before or after the word; 以前/以后/起 count it; 前/之前/后/之后 do not
        ("2025年6月30日前(含)", (None, False, DAY(2025, 6, 30), True)),
        ("2025年6月30日(含)前", (None, False, DAY(2025, 6, 30), True)),
        ("2025-06-30以前", (None, False, DAY(2025, 6, 30), True)),
        ("2025-06-30及以前", (None, False, DAY(2025, 6, 30), True)),
        ("2025-06-30前", (None, False, DAY(2025, 6, 30), False)),
        ("2025年6月30日之前", (None, False, DAY(2025, 6, 30), False)),
        ("2024-07-01后", (DAY(2024, 7, 1), False, None, False)),
        ("2024-07-01之后", (DAY(2024, 7, 1), False, None, False)),
        ("2024-07-01后(含)", (DAY(2024, 7, 1), True, None, False)),
        ("2024-07-01以后", (DAY(2024, 7, 1), True, None, False)),
        ("2024年7月1日起", (DAY(2024, 7, 1), True, None, False)),
        # 自X至Y: both days count, as the notices' own windows do
        ("2024年1月1日至2024年12月31日", (DAY(2024, 1, 1), True, DAY(2024, 12, 31), True)),
        ("[2024-01-01, 2024-12-31)", (DAY(2024, 1, 1), True, DAY(2024, 12, 31), False)),
    ],
)
def test_date_windows_in_boundary_words(written: str, expected: tuple) -> None:
    e = expr(f"signed in {written}")
    assert isinstance(e, ast.InInterval)
    iv = from_ast(e.interval)
    assert (iv.lower, iv.lower_inclusive, iv.upper, iv.upper_inclusive) == expected
    assert e.interval.text == written
    day = expected[0] or expected[2]
    # membership at the bound itself, and a day either side
    assert (day in iv) == (expected[1] if expected[0] else expected[3])
    assert (day - dt.timedelta(days=1) in iv) == (expected[0] is None)
    assert (day + dt.timedelta(days=1) in iv) == (expected[2] is None or expected[0] is not None)
