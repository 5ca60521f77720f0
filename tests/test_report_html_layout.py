"""The HTML report reads and prints well: findings collapsed, facts once, no attack timeline for
a clean host, a print stylesheet that starts on page 1 and keeps addresses whole."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from exhunt.model import Observation
from exhunt.report.html import distinct_observations, render_html
from test_report_fixtures import clean_host, compromised_host, hunt


def _host_section(page: str, name: str) -> str:
    start = page.index(f'Host <span class="wrap">{name}</span>')
    end = page.find('<section class="host', start)
    return page[start : end if end > 0 else len(page)]


def test_findings_are_collapsed_details_without_script() -> None:
    page = render_html(hunt(compromised_host(), clean_host()))
    assert '<details class="rule">' in page and '<summary class="rule-head">' in page
    assert '<details class="rule" open' not in page
    assert "<script" not in page.lower()


def test_a_clean_host_shows_no_attack_timeline() -> None:
    page = render_html(hunt(compromised_host(), clean_host()))
    assert "Attack timeline" in _host_section(page, "EX01")
    clean = _host_section(page, "EX02")
    assert "Attack timeline" not in clean and '-timeline">timeline</a>' not in clean


def test_observations_repeated_per_log_file_are_shown_once() -> None:
    when = datetime(2021, 3, 3, tzinfo=UTC)
    obs = [Observation("exchange_build", "15.1.2176.2", f"log{i}.LOG", when) for i in range(40)]
    obs.append(Observation("hostname", "EX01", "log0.LOG", when))
    shown = distinct_observations(obs)
    assert [(o.kind, more) for o, more in shown] == [("exchange_build", 39), ("hostname", 0)]
    host = compromised_host()
    host.observations = obs
    page = render_html(hunt(host))
    assert page.count("<td>exchange_build</td>") == 1 and "and 39 more files" in page


def test_print_stylesheet_starts_the_first_host_on_page_one_and_keeps_addresses_whole() -> None:
    page = render_html(hunt(compromised_host(), clean_host()))
    css = page[page.index("<style") : page.index("</style>")]
    print_css = css[css.index("@media print") :]
    assert re.search(r"section\.host\s*~\s*section\.host\s*\{\s*break-before:\s*page", print_css)
    assert not re.search(r"(?<!~ )section\.host\s*\{\s*break-before", print_css)
    assert ".addr" in css and "white-space: nowrap" in css
    assert re.search(r'class="mono addr">198\.51\.100\.\d+<', page)
