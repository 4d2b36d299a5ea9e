"""Headless Chromium for tests: render a page as a person would see it (screenshot, printed text)."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]


def chromium() -> str:
    """The browser, or a skip — except in CI, where .ci/run installs it and a skip would hide a failure."""
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium package)")
        pytest.skip("chromium is not installed (apt-get install chromium poppler-utils fonts-noto-cjk)")
    return found


def run(args: list[str], page: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=120)


def screenshot(page: Path, out: Path, width: int = 1000, height: int = 1400) -> Path:
    run([f"--window-size={width},{height}", f"--screenshot={out}"], page)
    return out


def printed_text(page: Path, workdir: Path) -> str:
    """The text of the page as Chromium prints it to PDF (A4), extracted with pdftotext."""
    pdf = workdir / (page.stem + ".pdf")
    run([f"--print-to-pdf={pdf}", "--no-pdf-header-footer"], page)
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is not installed (.ci/run installs poppler-utils)")
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    return subprocess.run([tool, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout



def fonts(pdf: Path) -> list[str]:
    """The fonts a PDF embeds, by name (pdffonts), e.g. 'AAAAAA+NotoSansCJK-Regular'."""
    tool = shutil.which("pdffonts")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdffonts is not installed (.ci/run installs poppler-utils)")
        pytest.skip("pdffonts is not installed (apt-get install poppler-utils)")
    listing = subprocess.run([tool, str(pdf)], check=True, capture_output=True, text=True).stdout
    return [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]

# counts the tables wider than the page's column, once laid out, into an element --dump-dom shows
_OVERFLOW = ('<script>addEventListener("load", () => { const right = document.body.getBoundingClientRect().right;'
             ' const n = [...document.querySelectorAll("table")].filter(t => t.getBoundingClientRect().right > right + 1)'
             '.length; const d = document.createElement("output"); d.id = "overflow"; d.textContent = n;'
             ' document.body.append(d); });</script>')


def overflowing_tables(page: Path, workdir: Path, width: int = 1200) -> int:
    """How many tables of the page stick out of its column on a screen ``width`` pixels wide (the page
    itself has no script: a copy gets one that measures)."""
    probe = workdir / (page.stem + ".probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _OVERFLOW + "</body>"), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},2000",
                              "--dump-dom", probe.resolve().as_uri()],
                             check=True, capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<output id="overflow">(\d+)</output>', dom)
    assert found is not None, "the probe did not run"
    return int(found.group(1))


# lists what sticks out of the window sideways, outside a box that scrolls on its own: the page, then each element;
# then each chart shrunk to fit, its text too small to read; then each figure whose unit went to the next line;
# then each table cell squeezed so narrow that its text stands a character or two a line
_WIDE = ('<script>addEventListener("load", () => { const w = document.documentElement.clientWidth;'
         ' const scrolls = e => e && (getComputedStyle(e).overflowX === "auto" || scrolls(e.parentElement));'
         ' const out = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > w + 1'
         ' && !scrolls(e) && !(e.parentElement.getBoundingClientRect().right > w + 1))'
         '.map(e => e.tagName + ": " + e.textContent.slice(0, 60));'
         ' if (document.documentElement.scrollWidth > w) out.unshift("the page scrolls sideways");'
         ' for (const c of document.querySelectorAll("svg")) { const k = c.getBoundingClientRect().width / c.width.baseVal.value;'
         ' if (k < 0.85) out.push("chart drawn at " + Math.round(100 * k) + "%: " + c.querySelector("title").textContent); }'
         ' const text = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); let node;'
         ' while ((node = text.nextNode())) { for (const m of node.data.matchAll(/\\d[ \\u00a0](元|分|yuan|fen)/g)) {'
         ' const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);'
         ' const lines = [...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top));'
         ' if (new Set(lines).size > 1) out.push("figure and unit on two lines: " + node.data.slice(m.index - 20, m.index + 8)); } }'
         ' for (const td of document.querySelectorAll("td")) { const em = parseFloat(getComputedStyle(td).fontSize);'
         ' const r = document.createRange(); r.selectNodeContents(td);'
         ' const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;'
         ' if (lines >= 3 && td.getBoundingClientRect().width < 2 * em + 12)'
         ' out.push("a column squeezed to a character or two a line: " + td.textContent.slice(0, 30)); }'
         ' parent.document.getElementById("wide").textContent = JSON.stringify(out); });</script>')


def sticking_out(page: Path, workdir: Path, width: int = 390) -> list[str]:
    """What of the page sticks out of a phone's screen ``width`` pixels wide, so that the page itself
    scrolls sideways (a table that scrolls in its own box does not count), and each chart drawn much smaller than
    its size, its 10-pixel text shrunk with it, each figure split from its unit ("650,000" | "yuan"), and each
    table cell squeezed to a character or two a line by its neighbours. The page is shown in a frame
    of that width (a headless window is never narrower than 500 pixels), from a copy with a script that measures."""
    frame = html.escape(page.read_text(encoding="utf-8").replace("</body>", _WIDE + "</body>"), quote=True)
    probe = workdir / (page.stem + ".phone.html")
    probe.write_text(f'<!DOCTYPE html><body style="margin:0"><iframe srcdoc="{frame}" style="border:0; width: {width}px;'
                     ' height: 800px"></iframe><output id="wide"></output></body>', encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--window-size=1000,1000",
                              "--dump-dom", probe.resolve().as_uri()],
                             check=True, capture_output=True, text=True, timeout=120).stdout
    found = re.search(r'<output id="wide">(.*?)</output>', dom, re.S)
    assert found is not None and found.group(1), "the probe did not run"
    return list(json.loads(html.unescape(found.group(1))))
