"""The Python examples of the docs run as written, so that they cannot rot unseen.

A ```python block preceded by the line ``<!-- runnable -->`` is an example a reader can paste into
a Python session at the repository's root. The runnable blocks of one page run in order in one
namespace (a later block uses the names an earlier one made, as a reader's session does); then
every ``test_…`` function they define is called, as pytest would call it. A block that needs what
a test cannot give (a cluster, command-line arguments) is simply not marked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- runnable -->"
FENCE = re.compile(r"```python\s*$")


def runnable_blocks(page: Path) -> list[tuple[int, str]]:
    """Each marked block of a page: the line its code starts on (1-based), and the code."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() != MARK:
            continue
        if i + 1 >= len(lines) or not FENCE.match(lines[i + 1]):
            raise AssertionError(f"{page.name}:{i + 1}: {MARK} is not followed by a ```python block")
        end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
        blocks.append((i + 3, "\n".join(lines[i + 2:end])))
    return blocks


PAGES = [p for p in sorted((ROOT / "docs").glob("*.md")) if runnable_blocks(p)]


def test_the_pages_with_python_examples_have_them_marked():
    """The API, the testing guide and the SQL engine's page show code a developer copies."""
    assert {p.name for p in PAGES} >= {"api.md", "testing.md", "scale.md"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_the_runnable_examples_run(page, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for start, code in runnable_blocks(page):
        # padded so that a traceback names the page's own line
        exec(compile("\n" * (start - 1) + code, str(page), "exec"), namespace)  # noqa: S102
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()
    assert capsys.readouterr().err == ""
