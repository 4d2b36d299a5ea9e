"""The message catalogue: every sentence an explanation can say, in Chinese and English.

Labels (measure titles, input and requirement names) come from the policy source;
only the connecting words live here, so no English leaks into a Chinese report.
"""

from __future__ import annotations

from typing import Any

from ..rules import MESSAGES
from ..runtime.intervals import Interval
from ..runtime.trace import Label, Shown, Step, show_value

LANGS = ("zh", "en")


def known_lang(lang: str) -> str:
    """``lang``, when it is one of :data:`LANGS`: any other ('EN', 'fr') would fall to Chinese, unnoticed."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGS)}")
    return lang

# key → (zh, en). Keys are a step kind, refined by a variant where the sentence differs; each rule
# kind brings the sentences of its own steps.
CATALOGUE: dict[str, tuple[str, str]] = {
    "beneficiary.ok": ("受益对象符合:{label} ✓({shown})", "Beneficiary: {label} ✓ ({shown})"),
    "beneficiary.fail": ("受益对象不符:{label} ✗({shown})", "Not a beneficiary: {label} ✗ ({shown})"),
    "beneficiary.missing": ("受益对象不符:{label} ✗(未提供{missing})",
                            "Not a beneficiary: {label} ✗ ({missing} not provided)"),
    "beneficiary.undecided": ("受益对象无法判断:{label}(除数{zero}为 0;另有条件不满足,不影响结论)",
                              "Beneficiary not decided: {label} ({zero} divides and is 0 here; another condition "
                              "is not met, so this does not change the outcome)"),
    "requirement.undecided": ("条件无法判断:{label}(除数{zero}为 0;另有条件不满足,不影响结论)",
                              "Requirement not decided: {label} ({zero} divides and is 0 here; another condition "
                              "is not met, so this does not change the outcome)"),
    "requirement.ok": ("条件满足:{label} ✓({shown})", "Requirement met: {label} ✓ ({shown})"),
    "requirement.fail": ("条件不满足:{label} ✗({shown})", "Requirement not met: {label} ✗ ({shown})"),
    "requirement.missing": ("条件不满足:{label} ✗(未提供{missing})",
                            "Requirement not met: {label} ✗ ({missing} not provided)"),
    "referred": ("不按公式计算,转审定({reason})。", "No formula: referred ({reason})."),
    "override.applies": ("适用另行规定的标准:{label} ✓({shown})", "Provision for this case applies: {label} ✓ ({shown})"),
    "override.not": ("不适用另行规定的标准:{label} ✗({shown})",
                     "Provision for this case does not apply: {label} ✗ ({shown})"),
    "base": ("计算基数:{label} = {shown} = {value} 元", "Base: {label} = {shown} = {value} yuan"),
    "base.simple": ("计算基数:{shown} 元", "Base: {shown} yuan"),
    "rate": ("补助比例 {rate}:{base} × {rate} = {value} 元", "Rate {rate}: {base} × {rate} = {value} yuan"),
    "rate.by": ("补助比例 {rate}(因{by}):{base} × {rate} = {value} 元",
                "Rate {rate} (because: {by}): {base} × {rate} = {value} yuan"),
    "defined": ("{label}:{shown} = {value} 元", "{label}: {shown} = {value} yuan"),
    "formula": ("金额:{shown} = {value} 元", "Amount: {shown} = {value} yuan"),
    # a fixed sum: Chinese shows 50万 as the figure it is; English would say 500,000 = 500,000
    "formula.fixed": ("金额:{shown} = {value} 元", "Amount: a fixed sum of {value} yuan"),
    # a ratio looked up, read with its figures: "R&D 400,000 ÷ revenue 10,000,000 = 4% ∈ [3%, 5%)"
    "tier.bands.ratio": ("{shown} ∈ {interval}(“{words}”):第 {index} 档,补助 {amount} 元",
                         "{shown} ∈ {interval} (\"{words}\"): tier {index}, pays {amount} yuan"),
    "tier.thresholds.ratio": ("{shown} 达到门槛 {interval}(“{words}”):第 {index} 档(取所达最高档),补助 {amount} 元",
                              "{shown} reaches the threshold {interval} (\"{words}\"): tier {index} (the highest "
                              "reached), pays {amount} yuan"),
    "tier_none.ratio": ("{shown} 未达到任何档次(最低一档为 {lowest}),不予补助",
                        "{shown} reaches no tier (the lowest is {lowest}): nothing is paid"),
    "tier_none.thresholds.ratio": ("{shown} 未达到任何档次(最低门槛为 {lowest}),不予补助",
                                   "{shown} reaches no tier (the lowest threshold is {lowest}): nothing is paid"),
    "tier_amount": ("第 {index} 档的金额:{shown} = {value} 元", "Tier {index} pays {shown} = {value} yuan"),
    "tier.bands": ("{label} {value} ∈ {interval}(“{words}”):第 {index} 档,补助 {amount} 元",
                   "{label} {value} ∈ {interval} (\"{words}\"): tier {index}, pays {amount} yuan"),
    "shares": ("资金分担({ratio}):{amount} 元由 {parts} 承担",
               "Cost sharing ({ratio}): {amount} yuan paid by {parts}"),
    "shares.whole": ("资金由 {payer} 全额承担:{amount} 元", "Paid in full by {payer}: {amount} yuan"),
    "instalments": ("分期拨付({shares}):{amount} 元分为 {parts}",
                    "Paid in instalments ({shares}): {amount} yuan as {parts}"),
    "category": ("{label}为{value}:补助 {amount} 元", "{label} is {value}: {amount} yuan"),
    "category_none": ("{label}为{value},不是所列类别({listed}),不予补助",
                      "{label} is {value}, not one of the listed categories ({listed}): nothing is granted"),
    "bracket": ("{label} {value} 中位于 {interval}(“{words}”)的部分 {part} × {rate} = {amount} 元",
                "The part of {label} {value} in {interval} (“{words}”): {part} × {rate} = {amount} yuan"),
    "bracket_sum": ("各部分合计:{parts} = {total} 元", "The parts added up: {parts} = {total} yuan"),
    "tier.thresholds": ("{label} {value} 达到门槛 {interval}(“{words}”):第 {index} 档(取所达最高档),补助 {amount} 元",
                        "{label} {value} reaches the threshold {interval} (\"{words}\"): tier {index} (the highest "
                        "reached), pays {amount} yuan"),
    "tier_none": ("{label} {value} 未达到任何档次(最低一档为 {lowest}),不予补助",
                  "{label} {value} reaches no tier (the lowest is {lowest}): nothing is paid"),
    "tier_none.thresholds": ("{label} {value} 未达到任何档次(最低门槛为 {lowest}),不予补助",
                             "{label} {value} reaches no tier (the lowest threshold is {lowest}): nothing is paid"),
    "cap.bound": ("封顶:{before} 元超过单个项目上限 {cap} 元,按上限 {cap} 元计",
                  "Cap: {before} yuan exceeds the per-project cap of {cap} yuan; the cap binds"),
    "cap.free": ("未触及单个项目上限:{before} 元 ≤ {cap} 元", "Per-project cap not reached: {before} ≤ {cap} yuan"),
    "cap.reached": ("恰好达到单个项目上限:{before} 元 = 上限 {cap} 元", "The per-project cap is reached exactly: "
                    "{before} = {cap} yuan"),
    "cap.reached.own": ("恰好达到上限:{before} 元 = 上限 {cap} 元", "The cap is reached exactly: {before} = {cap} yuan"),
    "cap.bound.own": ("封顶:{before} 元超过上限 {cap} 元,按上限 {cap} 元计",
                      "Cap: {before} yuan exceeds the cap of {cap} yuan; the cap binds"),
    "cap.free.own": ("未触及上限:{before} 元 ≤ {cap} 元", "Cap not reached: {before} ≤ {cap} yuan"),
    "round.half_up": ("按 {unit} 元四舍五入:{before} → {after} 元", "Rounded half-up to {unit} yuan: {before} → {after} yuan"),
    "round.half_even": ("按 {unit} 元银行家舍入:{before} → {after} 元",
                        "Rounded half-even to {unit} yuan: {before} → {after} yuan"),
    "round.down": ("按 {unit} 元舍去:{before} → {after} 元", "Rounded down to {unit} yuan: {before} → {after} yuan"),
    "round.up": ("按 {unit} 元进位:{before} → {after} 元", "Rounded up to {unit} yuan: {before} → {after} yuan"),
    "missing": ("未提供{name},无法计算金额", "{name} was not provided: the amount cannot be computed"),
    "zero": ("计算结果为 {amount} 元,不予补助", "The amount comes to {amount} yuan: nothing is granted"),
    "earmark": ("资金用途:{text}", "Condition of use: {text}"),
    "entitlement": ("按本条可得 {value} 元", "Entitlement under this measure: {value} yuan"),
    # compared before any cap: "the formula decides" beside a figure a cap then lowers must say so
    "cross_check": ("核对不一致:{label}为 {other} 元,按公式计算(封顶前)为 {formula} 元;以公式计算数为准",
                    "Cross-check differs: {label} is {other} yuan, the formula gives {formula} yuan before any cap; "
                    "the formula decides"),
    "note": ("解释 {id}:{text}", "Interpretation {id}: {text}"),
    "dated": ("依{label} {date} 计入 {year} 年度", "Placed in the year {year} by its {label}, {date}"),
    "year_sum": ("{year} 年度{label}累计:{parts} = {total}", "Summed over {year}, {label}: {parts} = {total}"),
    "change.next_tier": ("若{label}达到 {needed}(进入 {interval}),第 {index} 档补助 {pays} 元",
                         "With {label} of {needed} (in {interval}), tier {index} would pay {pays} yuan"),
    "change.next_tier.thresholds": ("若{label}达到 {needed}(门槛 {interval}),第 {index} 档补助 {pays} 元",
                                    "With {label} of {needed} (threshold {interval}), tier {index} would pay {pays} "
                                    "yuan"),
    "change.cap_binds": ("计算基数达到 {base} 元时,按 {rate} 计算即达上限 {cap} 元;基数再大也不增加",
                         "From a base of {base} yuan, {rate} reaches the cap of {cap} yuan; "
                         "a larger base pays no more"),
    "change.cap_bound": ("已达上限:基数自 {base} 元起按 {rate} 计算即为 {cap} 元,超出部分不增加补助",
                         "The cap binds: from a base of {base} yuan, {rate} already gives the cap of {cap} yuan; "
                         "more base pays no more"),
    "change.cap_binds.rounded": ("计算基数达到 {base} 元时,按 {rate} 计算为 {product} 元,舍入后即达上限 {cap} 元;基数再大也不增加",
                                 "From a base of {base} yuan, {rate} gives {product}, which rounds to the cap of {cap} "
                                 "yuan; a larger base pays no more"),
    "change.cap_bound.rounded": ("已达上限:基数自 {base} 元起按 {rate} 计算为 {product} 元,舍入后即为上限 {cap} 元,超出部分不增加补助",
                                 "The cap binds: from a base of {base} yuan, {rate} already gives {product}, which "
                                 "rounds to the cap of {cap} yuan; more base pays no more"),
    "needs.at_least": ("此处界限为 {bound}:{label}至少需要 {needed}", "The bound here is {bound}: {label} needs to be at "
                       "least {needed}"),
    "needs.at_most": ("此处界限为 {bound}:{label}至多为 {needed}", "The bound here is {bound}: {label} needs to be at "
                      "most {needed}"),
    "change.requirement_at_least": ("若{label}达到 {needed}(此处界限为 {bound}),即满足“{requirement}”",
                                    "With {label} of at least {needed} (the bound here is {bound}), "
                                    "'{requirement}' would be met"),
    "change.requirement_at_most": ("若{label}不超过 {needed}(此处界限为 {bound}),即满足“{requirement}”",
                                   "With {label} of at most {needed} (the bound here is {bound}), "
                                   "'{requirement}' would be met"),
    # what a change does to the whole applicant, decided again with it (explain/counterfactual.py)
    "change.effect.gain": ("按{label}为 {set} 重新测算:本项给予 {granted} 元(现为 {granted_now} 元),申请人合计 {total} 元,"
                           "增加 {gain} 元",
                           "Decided again with {label} = {set}: this award {granted} yuan (now {granted_now}), the "
                           "applicant's total {total} yuan, {gain} more"),
    "change.effect.blocked": ("按{label}为 {set} 重新测算:本项给予 {granted} 元(现为 {granted_now} 元),申请人合计 {total} 元,"
                              "增加 {gain} 元;另有 {blocked} 元因{rules}而未能给予",
                              "Decided again with {label} = {set}: this award {granted} yuan (now {granted_now}), the "
                              "applicant's total {total} yuan, {gain} more; {blocked} yuan more is kept back by {rules}"),
    "change.effect.nothing": ("注意:按{label}为 {set} 重新测算,本项给予 {granted} 元(现为 {granted_now} 元),申请人合计仍为 "
                              "{total} 元,不增加:可得增加的 {blocked} 元因{rules}而未能给予",
                              "Beware: decided again with {label} = {set}, this award {granted} yuan (now "
                              "{granted_now}), but the applicant's total stays {total} yuan: the {blocked} yuan more it "
                              "is entitled to is kept back by {rules}"),
    "change.effect.lower": ("注意:按{label}为 {set} 重新测算,本项给予 {granted} 元(现为 {granted_now} 元),申请人合计将由 "
                            "{total_now} 元降为 {total} 元,减少 {gain} 元(因{rules}),不宜如此调整",
                            "Beware: decided again with {label} = {set}, this award {granted} yuan (now "
                            "{granted_now}), but the applicant's total would fall from {total_now} to {total} yuan, "
                            "{gain} less (because of {rules}); not a change to make"),
    "change.effect.gain.total": ("按{label}为 {set} 重新测算:申请人合计 {total} 元(现为 {total_now} 元),增加 {gain} 元",
                                 "Decided again with {label} = {set}: the applicant's total {total} yuan (now "
                                 "{total_now}), {gain} more"),
    "change.effect.blocked.total": ("按{label}为 {set} 重新测算:申请人合计 {total} 元(现为 {total_now} 元),增加 {gain} 元;"
                                    "另有 {blocked} 元因{rules}而未能给予",
                                    "Decided again with {label} = {set}: the applicant's total {total} yuan (now "
                                    "{total_now}), {gain} more; {blocked} yuan more is kept back by {rules}"),
    "change.effect.nothing.total": ("注意:按{label}为 {set} 重新测算,申请人合计仍为 {total} 元,不增加:"
                                    "可得增加的部分因{rules}而未能给予",
                                    "Beware: decided again with {label} = {set}, the applicant's total stays {total} yuan: "
                                    "what it would add is kept back by {rules}"),
    "change.effect.lower.total": ("注意:按{label}为 {set} 重新测算,申请人合计将由 {total_now} 元降为 {total} 元,减少 {gain} 元"
                                  "(因{rules}),不宜如此调整",
                                  "Beware: decided again with {label} = {set}, the applicant's total would fall from "
                                  "{total_now} to {total} yuan, {gain} less (because of {rules}); not a change to make"),
    **MESSAGES,
}

STATUS = {
    "granted": ("给予", "granted"),
    "superseded": ("不重复享受", "superseded"),
    "reduced_to_zero": ("给予,但经核减为 0", "granted, but reduced to 0"),
    # what an applicant with input errors would get (reports, for reference): granted it is not
    "would_grant": ("可予给予(仅供参考)", "would be granted (for reference)"),
    "would_grant_zero": ("可予给予,但经核减为 0(仅供参考)", "would be granted, but reduced to 0 (for reference)"),
    "undated": ("无法判定是否在施行期(日期有误或未填)", "period undecided (no readable date)"),
    "not_eligible": ("不符合条件", "not eligible"),
    "referred": ("个案审定", "referred"),
    "out_of_period": ("不在施行期", "out of period"),
    "ok": ("正常", "ok"),
    "error": ("输入有误", "input error"),
}

WORDS = {
    "none": ("无", "none"),
    "total": ("合计", "total"),
    "other policy": ("其他政策", "another policy"),
}


def word(key: str, lang: str) -> str:
    zh, en = WORDS.get(key) or STATUS[key]
    return en if lang == "en" else zh


def fmt(value: Any, lang: str) -> str:
    """A figure or label as it reads in a sentence."""
    if isinstance(value, Label):
        return value.get(lang)
    if isinstance(value, Shown):
        return value.render(lang)
    if isinstance(value, Interval):
        return value.read(lang)
    if isinstance(value, (list, tuple)):
        sep = ";" if lang == "zh" else "; "
        return sep.join(fmt(v, lang) for v in value) or word("none", lang)
    if value is None:
        return word("none", lang)
    return show_value(value, lang)


def key_of(step: Step) -> str:
    """The catalogue key for a step: its kind, refined by what happened."""
    k, p = step.kind, step.params
    if k in ("beneficiary", "requirement"):
        return f"{k}.{'ok' if p['ok'] else 'missing' if p.get('missing') else 'undecided' if p.get('zero') else 'fail'}"
    if k == "override":
        return "override.applies" if p["applies"] else "override.not"
    if k == "cap":  # a cap is per project unless the measure is decided for the applicant (or its year)
        state = "bound" if p["bound"] else "reached" if p["before"] == p["cap"] else "free"
        return f"cap.{state}" + ("" if p.get("per_project", True) else ".own")
    if k == "round":
        return f"round.{p['mode']}"
    if k == "tier":
        return f"tier.{p['mode']}" + (".ratio" if "shown" in p else "")
    if k == "tier_none":
        return k + (".thresholds" if p.get("mode") == "thresholds" else "") + (".ratio" if "shown" in p else "")
    if k == "change.next_tier" and p.get("mode") == "thresholds":
        return f"{k}.thresholds"
    if k == "rate" and p.get("by"):
        return "rate.by"
    if k == "formula" and not p["shown"].names and " " not in p["shown"].template.en:
        return "formula.fixed"  # one figure, no input and no operator
    if k == "base" and p["shown"].names and len(p["shown"].names) == 1 and p["shown"].template.zh == "{0}":
        return "base.simple"
    if "variant" not in p:
        return k
    return f"{k}.{p['variant']}" + (".reached" if p.get("reached") else "")  # a sum exactly at its limit reaches it


def render(step: Step, lang: str) -> str:
    zh, en = CATALOGUE[key_of(step)]
    template = en if known_lang(lang) == "en" else zh
    params = {"value": step.value, **step.params}
    text = template.format(**{k: fmt(v, lang) for k, v in params.items()})
    return text[:1].upper() + text[1:] if lang == "en" else text  # a sentence may open with a policy's label
