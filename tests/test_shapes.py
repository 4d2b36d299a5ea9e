"""Every policy in policies/ — the Jinjiang notice and the clause shapes of clause-shapes.md —
checks clean, and its examples decide the same, step for step, on both backends.

The examples themselves run as pytest items (jinjiang_dsl.pytest_plugin); this module adds what
they cannot: no warnings, and the compiled evaluator against the reference interpreter.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jinjiang_dsl import check_source, load_policy
from jinjiang_dsl.examples import run_all

ROOT = Path(__file__).resolve().parents[1]
POLICIES = sorted((ROOT / "policies").rglob("*.pol"))


def test_the_shapes_are_there() -> None:
    shapes = {p.name.split("_")[0] for p in POLICIES if p.parent.name == "shapes"}
    assert {"s04", "s05", "s07", "s09", "s11", "s12", "s14"} <= shapes


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_policy_checks_clean(path: Path) -> None:
    assert check_source(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_both_backends_decide_every_example_alike(path: Path) -> None:
    compiled = run_all(load_policy(path))
    interpreted = run_all(load_policy(path, backend="interpreter"))
    assert compiled and len(compiled) == len(interpreted)
    for c, i in zip(compiled, interpreted):
        assert c.passed and i.passed, (c.example.title.en, c.failures, i.failures)
        for lang in ("zh", "en"):
            assert c.decision.to_json(lang) == i.decision.to_json(lang), c.example.title.en  # type: ignore[union-attr]
