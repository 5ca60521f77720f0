"""The fleet HTML in a real browser: the index (verdict counts, hosts worst first, links) and a
host page with its way back. Skips with a reason where /usr/bin/chromium is absent."""

from __future__ import annotations

import re
from pathlib import Path

from exhunt.cli import main
from test_browser import CSP_VIOLATION, _dom, _Elements, _screenshot, _title
from test_fleet import make_fleet


def test_fleet_index_and_a_host_page(tmp_path: Path) -> None:
    fleet = make_fleet(tmp_path / "fleet", compromised=2, clean=5)
    index = tmp_path / "fleet.html"
    assert main(["hunt", str(fleet), "--no-db", "--html", str(index), "-q"]) == 1
    dom, log = _dom(tmp_path, index)
    assert _title(dom).startswith("exhunt fleet report: 7 hosts")
    elements = _Elements()
    elements.feed(dom)
    assert "script" not in elements.tags and CSP_VIOLATION not in log
    counts = dict(re.findall(r'data-verdict="([a-z-]+)">\1: (\d+)<', dom))
    assert counts["compromised"] == "2" and counts["clean"] == "5"
    rows = re.findall(r'<tr class="v-[a-z-]+" data-verdict="([a-z-]+)">', dom)
    assert rows == ["compromised"] * 2 + ["clean"] * 5  # worst first, set by the server
    links = re.findall(r'<a href="(fleet\.hosts/[^"]+\.html)">(BAD\d\d)</a>', dom)
    assert len(links) == 2
    page = tmp_path / links[0][0]
    host_dom, host_log = _dom(tmp_path, page)
    assert links[0][1] in host_dom and '<div class="word">Compromised</div>' in host_dom
    assert 'id="fleet-index" href="../fleet.html"' in host_dom or 'href="../fleet.html" id="fleet-index"' in host_dom
    assert CSP_VIOLATION not in host_log
    _screenshot(tmp_path, index, "fleet-index.png")
