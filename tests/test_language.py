"""Language purity (issue 11): every sentence of a report is in the report's language.

Every example applicant of the Jinjiang notice and every example of every shape policy is rendered
in both languages. In English, Chinese may appear only where it is quoted — the notice's own words
(block quotes, “…”), clause ids, the notice's wording of a tier — or where it is data: a value of
the input, a value of a closed set, a payer's name as the policy declares it, the applicant's name.
In Chinese, no English word may appear but those of the data and the policy's own Chinese texts
(ERP/SCM …), ids, hashes and JSON paths.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jinjiang_dsl import ir, load_policy
from jinjiang_dsl.api import Policy
from jinjiang_dsl.examples import record
from jinjiang_dsl.explain import html, markdown, report

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
QUOTED = re.compile(r"“[^”]*”|「[^」]*」")
ENGLISH_WORD = re.compile(r"(?<![A-Za-z0-9_.\-\[\\])[A-Za-z]{3,}(?![A-Za-z0-9_\-\]\\])")  # not in an identifier


def cases() -> Iterator[tuple[str, Path, dict[str, Any]]]:
    yield "jinjiang", ROOT / "policies" / "jinjiang_2023.pol", json.loads(
        (ROOT / "examples" / "applications.json").read_text(encoding="utf-8"))
    for path in sorted((ROOT / "policies" / "shapes").glob("*.pol")):
        yield path.stem, path, {}


def document(policy: Policy, given: dict[str, Any]) -> dict[str, Any]:
    if given:
        return given
    records = []
    for i, example in enumerate(policy.checked.policy.all_examples()):
        rec = record(policy, example)
        rec["id"] = f"X{i}"
        records.append(rec)
    return {"applicants": records}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def data_and_identifiers(policy: Policy, doc: dict[str, Any]) -> set[str]:
    """What may stay as written in either language: the input's values and the policy's identifiers."""
    plan = policy.plan
    found = set(strings(doc))
    for m in plan.measures:
        found |= {m.clause, *(t.text for t in m.formula.tiers), *(payer for payer, _ in m.shared)}
    found |= {r.clause for r in plan.rules}
    for spec in plan.inputs.values():
        found |= set(spec.values)
    for m in plan.measures:  # the values a condition lists (industry in {纺织, 鞋服, …})
        for cond in (*((m.beneficiary,) if m.beneficiary else ()), *m.requirements, *(o.condition for o in m.overrides)):
            stack: list[ir.Expr] = [cond.expr]
            while stack:
                e = stack.pop()
                if isinstance(e, ir.Member):
                    found |= {str(v) for v in e.values}
                stack.extend(ir.children(e))
    return {s for s in found if s}


def without(text: str, allowed: set[str]) -> str:
    for s in sorted(allowed, key=len, reverse=True):
        text = text.replace(s, " ")
    return text


@pytest.mark.parametrize(("name", "path", "given"), list(cases()), ids=[c[0] for c in cases()])
def test_every_report_sentence_is_in_its_language(name: str, path: Path, given: dict[str, Any]) -> None:
    policy = load_policy(path)
    doc = document(policy, given)
    apps, batch = policy.run(doc)
    built = report.build(policy.decider(), apps, batch, is_batch=True)
    allowed = data_and_identifiers(policy, doc)
    for render in (markdown.render, html.render):
        en = render(built, "en")
        if render is markdown.render:  # the notice quoted, as a block
            en = "\n".join(line for line in en.splitlines() if not line.startswith(">"))
        else:
            en = re.sub(r'<blockquote lang="zh">.*?</blockquote>', " ", en, flags=re.S)
        leaks = {line.strip() for line in without(QUOTED.sub(" ", en), allowed).splitlines() if CJK.search(line)}
        assert not leaks, sorted(leaks)[:10]

    zh = "\n".join(line for line in markdown.render(built, "zh").splitlines() if not line.startswith(">"))
    own_zh = {policy.plan.name.zh, *(m.title.zh for m in policy.plan.measures),
              *(s.label.zh for s in policy.plan.inputs.values())}
    zh = re.sub(r"`[^`]*`", " ", zh)  # hashes, report ids
    zh = re.sub(r"applicants\\?\[\d+\\?\][\w\\\[\].]*", " ", zh)  # JSON paths of input errors
    zh = without(zh, allowed | own_zh | {"jinjiang-dsl", "SHA-256"})
    words = set(ENGLISH_WORD.findall(zh))
    assert not words, sorted(words)[:20]
