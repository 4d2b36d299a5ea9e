"""Regenerate docs/report-screenshot.png: the Chinese report of example applicant E004."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser import screenshot  # noqa: E402

from jinjiang_dsl.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "E004.html"
        main(["explain", str(ROOT / "policies" / "jinjiang_2023.pol"), str(ROOT / "examples" / "applications.json"),
              "--applicant", "E004", "-o", str(page)])
        screenshot(page, ROOT / "docs" / "report-screenshot.png", 1000, 1600)
    print("wrote docs/report-screenshot.png")
