"""pytest collects the examples written in ``.pol`` files (in a ``policies`` folder, or named on the command
line): one test item per example.

Enable it in a ``conftest.py`` (this repository's root one does)::

    from jinjiang_dsl.pytest_plugin import pytest_collect_file  # noqa: F401

A failing example reports its location in the policy, what differs, and the explanation of
the awards it is about — the same text as ``jinjiang-dsl test``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import ast
from .api import Policy, load_policy
from .diagnostics import PolicyError
from .examples import explanation, run


class PolicyFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            policy = load_policy(self.path)
        except PolicyError as exc:
            yield PolicyErrors.from_parent(self, name="check", error=str(exc))
            return
        for example in policy.checked.policy.all_examples():
            name = f"line {example.span.line}: {example.title.zh}"
            yield ExampleItem.from_parent(self, name=name, policy=policy, example=example)


class ExampleItem(pytest.Item):
    def __init__(self, *, policy: Policy, example: ast.Example, **kw: Any):
        super().__init__(**kw)
        self.policy = policy
        self.example = example

    def runtest(self) -> None:
        outcome = run(self.policy, self.example)
        if not outcome.passed:
            raise ExampleFailed("\n".join([*outcome.failures, *explanation(self.policy, outcome)]))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, ExampleFailed):
            return f"{self.example.span} example {self.example.title.zh!r} failed:\n{excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.example.span.line - 1, f"example {self.example.title.zh}"


class PolicyErrors(pytest.Item):
    def __init__(self, *, error: str, **kw: Any):
        super().__init__(**kw)
        self.error = error

    def runtest(self) -> None:
        raise ExampleFailed(self.error)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        return str(excinfo.value)


class ExampleFailed(Exception):
    """An example's expectations were not met (or its policy does not check)."""


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> PolicyFile | None:
    """A policy in a ``policies`` folder (and its folders), or one named on the command line; not the other
    ``.pol`` files a run meets (test fixtures, policies a test writes)."""
    if file_path.suffix == ".pol" and ("policies" in file_path.parent.parts or parent.session.isinitpath(file_path)):
        return PolicyFile.from_parent(parent, path=file_path)
    return None
