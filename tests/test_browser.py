"""The HTML report in a real browser: headless Chromium renders it, nothing from evidence runs.

Skips with a reason where /usr/bin/chromium is absent (CI installs Debian's `chromium`). The
screenshot is kept in the test's tmp dir and, when EXHUNT_ARTEFACTS names a folder, copied
there for people to look at.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.cli import main
from exhunt.report.html import write_html
from test_report_fixtures import HOSTILE, clean_host, compromised_host, hunt

CHROMIUM = Path("/usr/bin/chromium")
CSP_VIOLATION = "violates the following Content Security Policy"


def _chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (install Debian's chromium package to run the browser tests)")
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    args = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        page.as_uri(),
    ]
    out = subprocess.run(
        args, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "HOME": str(tmp_path)}
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out


def _dom(tmp_path: Path, page: Path) -> tuple[str, str]:
    out = _chromium(tmp_path, page, "--dump-dom")
    return out.stdout, out.stderr


def _screenshot(tmp_path: Path, page: Path, name: str) -> Path:
    shot = tmp_path / name
    _chromium(tmp_path, page, "--hide-scrollbars", "--window-size=1200,2600", f"--screenshot={shot}")
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    artefacts = os.environ.get("EXHUNT_ARTEFACTS")
    if artefacts:
        Path(artefacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(artefacts) / name)
    return shot


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(name for name, _ in attrs)


def _title(dom: str) -> str:
    match = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert match, "no title in the DOM"
    return html.unescape(match.group(1))


def test_the_detection_of_running_script_works(tmp_path: Path) -> None:
    """Control: an unescaped injection in a page without a policy does run and is seen running."""
    page = tmp_path / "unsafe.html"
    page.write_text(
        f"<!DOCTYPE html><html><head><title>intact</title></head><body>{HOSTILE}</body></html>", encoding="utf-8"
    )
    dom, _ = _dom(tmp_path, page)
    assert _title(dom) == "pwned"


def test_report_renders_verdict_and_timeline_and_no_evidence_script_runs(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    write_html(hunt(compromised_host(HOSTILE), clean_host()), page)
    dom, log = _dom(tmp_path, page)
    assert _title(dom).startswith("exhunt report: 2 hosts")
    assert "pwned" not in _title(dom)
    # The DOM the browser built holds no element from evidence and shows the injection as text.
    elements = _Elements()
    elements.feed(dom)
    assert not {"script", "img"} & set(elements.tags)
    assert not [a for a in elements.attrs if a.startswith("on")]
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
    # The verdict and the attack timeline are there.
    assert '<div class="word">Compromised</div>' in dom and '<div class="word">Clean</div>' in dom
    timeline = dom[dom.index('id="host-1-timeline"') : dom.index('id="host-1-plan"')]
    assert "<svg" in timeline and timeline.count("<circle") >= 3 and "ProxyLogon" in timeline
    # The policy blocked nothing the report itself needs (its stylesheet is allowed by hash).
    assert CSP_VIOLATION not in log
    _screenshot(tmp_path, page, "report-hostile.png")


def test_report_of_the_bundled_examples(tmp_path: Path) -> None:
    """The README's main command: hunt examples/ and open the report."""
    from exhunt.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    if "hunt" not in commands:
        pytest.skip("`exhunt hunt` is not part of this build yet")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (install Debian's chromium package to run the browser tests)")
    results, page = tmp_path / "results.json", tmp_path / "examples.html"
    code = main(["hunt", str(REPO / "examples"), "--json", str(results), "--html", str(page)])
    assert code == 1
    dom, log = _dom(tmp_path, page)
    assert re.search(r"EX01-compromised|EX01", dom) and '<div class="word">Compromised</div>' in dom
    assert '<div class="word">Clean</div>' in dom
    assert "<svg" in dom and CSP_VIOLATION not in log
    _screenshot(tmp_path, page, "report-examples.png")
