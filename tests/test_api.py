"""The Python API as a developer embedding the engine meets it (docs/api.md): what it exports, what
it accepts, and that a user's type checker sees its type hints."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "jinjiang_2023.pol"

USER_SCRIPT = f"""\
from decimal import Decimal

from jinjiang_dsl import PolicyError, load_policy


def total(path: str) -> Decimal:
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        raise SystemExit(str(exc)) from exc
    return policy.evaluate({{"applicants": []}}).summary.total


print(total({str(POLICY)!r}))
"""


def test_the_package_ships_the_pep_561_marker():
    """Without ``py.typed`` a user's mypy skips the package ('missing library stubs or py.typed
    marker') and every value it returns is ``Any``."""
    assert (resources.files("jinjiang_dsl") / "py.typed").is_file()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_a_user_script_passes_mypy_strict(tmp_path):
    """A script outside the repository, as a developer writes one, type-checks under ``--strict``:
    the package's hints reach it (money comes back as ``Decimal``, not ``Any``)."""
    script = tmp_path / "user.py"
    script.write_text(USER_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("MYPYPATH", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", os.devnull, "user.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
