"""The message catalogue: every sentence an explanation can say, in Chinese and English.

Labels (measure titles, input and requirement names) come from the policy source;
only the connecting words live here, so no English leaks into a Chinese report.
"""

from __future__ import annotations

from typing import Any

from ..runtime.trace import Label, Shown, Step, show_value

LANGS = ("zh", "en")

# key → (zh, en). Keys are a step kind, refined by a variant where the sentence differs.
CATALOGUE: dict[str, tuple[str, str]] = {
    "period.in_force": (
        "项目日期 {date} 在施行期内({start} 至 {end})。",
        "Project date {date} is within the period in force ({start} to {end}).",
    ),
    "period.by_reference": (
        "项目日期 {date} 在正式施行前({start} 至 {end}),参照执行。",
        "Project date {date} is before the measures took effect ({start} to {end}): applied by reference (参照执行).",
    ),
    "period.out_of_period": (
        "项目日期 {date} 不在施行期({start} 至 {end})内,也不在参照执行期内,不予认定。",
        "Project date {date} is outside the period in force ({start} to {end}) and the by-reference period: "
        "not considered.",
    ),
    "beneficiary.ok": ("受益对象符合:{label} ✓({shown})", "Beneficiary: {label} ✓ ({shown})"),
    "beneficiary.fail": ("受益对象不符:{label} ✗({shown})", "Not a beneficiary: {label} ✗ ({shown})"),
    "beneficiary.missing": ("受益对象不符:{label} ✗(未提供{missing})",
                            "Not a beneficiary: {label} ✗ ({missing} not provided)"),
    "requirement.ok": ("条件满足:{label} ✓({shown})", "Requirement met: {label} ✓ ({shown})"),
    "requirement.fail": ("条件不满足:{label} ✗({shown})", "Requirement not met: {label} ✗ ({shown})"),
    "requirement.missing": ("条件不满足:{label} ✗(未提供{missing})",
                            "Requirement not met: {label} ✗ ({missing} not provided)"),
    "referred": ("不按公式计算,转个案审定:{reason}。", "No formula: referred for a case-by-case decision: {reason}."),
    "override.applies": ("适用提高标准:{label} ✓", "Higher rate applies: {label} ✓"),
    "override.not": ("不适用提高标准:{label} ✗", "Higher rate does not apply: {label} ✗"),
    "base": ("计算基数:{label} = {shown} = {value} 元", "Base: {label} = {shown} = {value} yuan"),
    "base.simple": ("计算基数:{shown} 元", "Base: {shown} yuan"),
    "rate": ("补助比例 {rate}:{base} × {rate} = {value} 元", "Rate {rate}: {base} × {rate} = {value} yuan"),
    "rate.by": ("补助比例 {rate}(因{by}):{base} × {rate} = {value} 元",
                "Rate {rate} (because: {by}): {base} × {rate} = {value} yuan"),
    "formula": ("金额:{shown} = {value} 元", "Amount: {shown} = {value} yuan"),
    "tier.bands": ("{label} {value} ∈ {interval}(“{words}”):第 {index} 档,补助 {amount} 元",
                   "{label} {value} ∈ {interval} (\"{words}\"): tier {index}, pays {amount} yuan"),
    "shares": ("资金分担({ratio}):{amount} 元由 {parts} 承担",
               "Cost sharing ({ratio}): {amount} yuan paid by {parts}"),
    "instalments": ("分期拨付({shares}):{amount} 元分为 {parts}",
                    "Paid in instalments ({shares}): {amount} yuan as {parts}"),
    "category": ("{label}为{value}:补助 {amount} 元", "{label} is {value}: {amount} yuan"),
    "category_none": ("{label}为{value},不是所列类别({listed}),不予补助",
                      "{label} is {value}, not one of the listed categories ({listed}): nothing is granted"),
    "bracket": ("{label} {value} 中位于 {interval}(“{words}”)的部分 {part} × {rate} = {amount} 元",
                "The part of {label} {value} in {interval} (“{words}”): {part} × {rate} = {amount} yuan"),
    "tier.thresholds": ("{label} {value} 达到 {interval}(“{words}”):第 {index} 档(取所达最高档),补助 {amount} 元",
                        "{label} {value} reaches {interval} (\"{words}\"): tier {index} (the highest reached), "
                        "pays {amount} yuan"),
    "tier_none": ("{label} {value} 未达到任何档次(最低一档为 {lowest}),不予补助",
                  "{label} {value} reaches no tier (the lowest is {lowest}): nothing is paid"),
    "cap.bound": ("封顶:{before} 元超过单个项目上限 {cap} 元,按上限 {cap} 元计",
                  "Cap: {before} yuan exceeds the per-project cap of {cap} yuan; the cap binds"),
    "cap.free": ("未触及单个项目上限:{before} 元 ≤ {cap} 元", "Per-project cap not reached: {before} ≤ {cap} yuan"),
    "round.half_up": ("按 {unit} 元四舍五入:{before} → {after} 元", "Rounded half-up to {unit} yuan: {before} → {after}"),
    "round.half_even": ("按 {unit} 元银行家舍入:{before} → {after} 元",
                        "Rounded half-even to {unit} yuan: {before} → {after}"),
    "round.down": ("按 {unit} 元舍去:{before} → {after} 元", "Rounded down to {unit} yuan: {before} → {after}"),
    "round.up": ("按 {unit} 元进位:{before} → {after} 元", "Rounded up to {unit} yuan: {before} → {after}"),
    "missing": ("未提供{name},无法计算金额", "{name} was not provided: the amount cannot be computed"),
    "zero": ("计算结果为 {amount} 元,不予补助", "The amount comes to {amount} yuan: nothing is granted"),
    "earmark": ("资金用途:{text}", "Condition of use: {text}"),
    "entitlement": ("按本条可得 {value} 元", "Entitlement under this measure: {value} yuan"),
    "cross_check": ("核对不一致:{label}为 {other} 元,按公式计算为 {formula} 元;以公式计算数为准",
                    "Cross-check differs: {label} is {other} yuan, the formula gives {formula} yuan; "
                    "the formula decides"),
    "once.year": ("本措施每个申请人每年限一次:{year} 年度由可得金额最高的项目 {project}({amount} 元)享受",
                  "Once per applicant per year: in {year} the year goes to project {project}, the highest claim "
                  "({amount} yuan)"),
    "once.ever": ("本措施每个申请人限享受一次(一次性):已由项目 {project}({amount} 元)享受",
                  "Once per applicant (一次性): already awarded to project {project} ({amount} yuan)"),
    "note": ("解释 {id}:{text}", "Interpretation {id}: {text}"),
    "r1.won": ("{title}:本项目同时符合 {count} 项措施,取最高的 {measure}({amount} 元);不重复享受:{others}",
               "{title}: the project qualifies under {count} measures; the highest is {measure} "
               "({amount} yuan); not stacked: {others}"),
    "r1.won_applicant": ("{title}:本申请人 {year} 年度符合 {count} 项奖励,取最高的 {measure}({amount} 元);不重复享受:{others}",
                         "{title}: the applicant qualifies for {count} awards in {year}; the highest is "
                         "{measure} ({amount} yuan); not stacked: {others}"),
    "r1.won_tie_applicant": ("{title}:本申请人 {year} 年度符合 {count} 项奖励,最高额 {amount} 元并列,取序号较小的"
                             "(申报顺序在前的){measure};不重复享受:{others}",
                             "{title}: the applicant qualifies for {count} awards in {year}; {amount} yuan "
                             "is the highest more than once; the lower measure number (the earlier project) {measure} "
                             "is granted; not stacked: {others}"),
    "r1.lost_applicant": ("{title}:本申请人本年度已由项目 {project} 的 {winner}({winner_amount} 元)享受,本项不重复享受",
                          "{title}: this year the applicant is granted {winner} for project {project} "
                          "({winner_amount} yuan); this award is not stacked on it"),
    "r1.won_tie": ("{title}:本项目同时符合 {count} 项措施,最高额 {amount} 元并列,取序号较小的 {measure};"
                   "不重复享受:{others}",
                   "{title}: the project qualifies under {count} measures; {amount} yuan is a tie, "
                   "and the lower measure number {measure} wins; not stacked: {others}"),
    "r1.kept.winner": ("就高不重复的选择不再改变:本措施胜出后经年度上限核减为 {amount} 元(原可得 {entitlement} 元);"
                       "未获享受的 {others}不再重新比较",
                       "The choice of the highest stands: after winning, this measure was reduced to {amount} yuan "
                       "(from {entitlement} yuan) by the annual limits; {others}, superseded, is not reconsidered"),
    "r1.kept.superseded": ("就高不重复的选择不再改变:胜出的 {winner} 经年度上限核减为 {amount} 元(原可得 {entitlement} 元),"
                           "低于本措施的 {own} 元,但本措施不再重新比较",
                           "The choice of the highest stands: the winner {winner} was reduced to {amount} yuan (from "
                           "{entitlement} yuan) by the annual limits, below this measure's {own} yuan, but this "
                           "measure is not reconsidered"),
    "r1.lost": ("{title}:{winner} 可得 {winner_amount} 元,高于本措施的 {amount} 元,本措施不重复享受",
                "{title}: {winner} pays {winner_amount} yuan, more than this measure's {amount} yuan; "
                "superseded"),
    "r1.lost_tie": ("{title}:{winner} 与本措施同为 {amount} 元,取序号较小的 {winner},本措施不重复享受",
                    "{title}: {winner} and this measure both pay {amount} yuan; the lower measure "
                    "number {winner} wins; superseded"),
    "r1.other_policy": ("{title}:本项目依其他政策已获补助 {other} 元,不低于本通知最高可得的 {best} 元,"
                        "本通知不再给予",
                        "{title}: the project already has {other} yuan under another policy, not less "
                        "than the {best} yuan this notice would give; nothing is granted here"),
    "r1.other_lower": ("{title}:其他政策补助 {other} 元低于本通知可得的 {best} 元,按本通知给予",
                       "{title}: the award under another policy ({other} yuan) is less than "
                       "{best} yuan here; this notice decides"),
    "acap.free": ("单家企业年度上限 {cap} 元:{year} 年度本措施累计 {total} 元,未超过",
                  "Annual cap per enterprise {cap} yuan: {total} yuan under this measure in {year}, within the cap"),
    "acap.reduced": ("单家企业年度上限 {cap} 元:{year} 年度此前项目已得 {before} 元,本项目按申报顺序由 {amount} 元"
                     "核减为 {after} 元",
                     "Annual cap per enterprise {cap} yuan: earlier projects in {year} already have {before} yuan; "
                     "in input order this project is reduced from {amount} to {after} yuan"),
    "acap.reduced_pro_rata": ("单家企业年度上限 {cap} 元:{year} 年度本措施合计 {total} 元,按比例由 {amount} 元"
                              "核减为 {after} 元",
                              "Annual cap per enterprise {cap} yuan: {total} yuan in {year}; reduced pro rata from "
                              "{amount} to {after} yuan"),
    "r2.free": ("年度补助总额上限:可用额度 {headroom} 元({limit});{year} 年度本通知合计 {total} 元,未超过",
                "Annual limit: headroom {headroom} yuan ({limit}); {total} yuan granted in {year}, within it"),
    "r2.reduced": ("年度补助总额上限:可用额度 {headroom} 元({limit});{year} 年度本通知合计 {total} 元,超出部分按比例"
                   "核减:{amount} × {headroom} ÷ {total} = {share},按最大余数法分配到分后为 {after} 元",
                   "Annual limit: headroom {headroom} yuan ({limit}); {total} yuan in {year} exceeds it, so grants "
                   "are reduced pro rata: {amount} × {headroom} ÷ {total} = {share}, {after} yuan after the "
                   "largest-remainder split to the fen"),
    "change.next_tier": ("若{label}达到 {needed}(进入 {interval}),第 {index} 档补助 {pays} 元",
                         "With {label} of {needed} (in {interval}), tier {index} would pay {pays} yuan"),
    "change.cap_binds": ("计算基数达到 {base} 元时,按 {rate} 计算即达单个项目上限 {cap} 元;基数再大也不增加",
                         "From a base of {base} yuan, {rate} reaches the per-project cap of {cap} yuan; "
                         "a larger base pays no more"),
    "change.cap_bound": ("已达单个项目上限:基数自 {base} 元起按 {rate} 计算即为 {cap} 元,超出部分不增加补助",
                         "The cap binds: from a base of {base} yuan, {rate} already gives the cap of {cap} yuan; "
                         "more base pays no more"),
    "change.lift_r2": ("若当年对本级财政经济贡献达到 {needed} 元,{year} 年度补助(合计 {total} 元)不再按比例核减",
                       "With a contribution to municipal finances of {needed} yuan, the {year} grants "
                       "({total} yuan in all) would not be reduced"),
    "r2.reduced_in_order": ("年度补助总额上限:可用额度 {headroom} 元({limit});{year} 年度本通知合计 {total} 元,超出部分"
                            "按申报顺序核减:本项目由 {amount} 元核减为 {after} 元",
                            "Annual limit: headroom {headroom} yuan ({limit}); {total} yuan in {year} exceeds it, so "
                            "grants are reduced in input order: this one from {amount} to {after} yuan"),
    "r2.not_applicable": ("申请人为{kind},不是企业,不适用本级财政经济贡献上限",
                          "The applicant is {kind}, not an enterprise: the annual limit does not apply"),
}

STATUS = {
    "granted": ("给予", "granted"),
    "superseded": ("不重复享受", "superseded"),
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
        return f"{k}.{'ok' if p['ok'] else 'missing' if p.get('missing') else 'fail'}"
    if k == "override":
        return "override.applies" if p["applies"] else "override.not"
    if k == "cap":
        return "cap.bound" if p["bound"] else "cap.free"
    if k == "round":
        return f"round.{p['mode']}"
    if k == "tier":
        return f"tier.{p['mode']}"
    if k == "rate" and p.get("by"):
        return "rate.by"
    if k == "base" and p["shown"].names and len(p["shown"].names) == 1 and p["shown"].template.zh == "{0}":
        return "base.simple"
    return f"{k}.{p['variant']}" if "variant" in p else k


def render(step: Step, lang: str) -> str:
    zh, en = CATALOGUE[key_of(step)]
    template = en if lang == "en" else zh
    params = {"value": step.value, **step.params}
    return template.format(**{k: fmt(v, lang) for k, v in params.items()})
