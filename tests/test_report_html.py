from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from exhunt.builds.assess import read_assessment
from exhunt.model import HostAssessment, HuntResult, Verdict
from exhunt.report import html as report_html
from exhunt.report.chart import BINS, attack_timeline
from exhunt.report.html import MAX_ROWS_PER_RULE, content_security_policy, render_html, write_html
from exhunt.rules import parse_rules
from test_report_fixtures import HOSTILE, T0, clean_host, compromised_host, finding, hunt


class _Elements(HTMLParser):
    """Every element and attribute the browser's parser would build from the document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.style_text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend((tag, k, v) for k, v in attrs)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_text.append(data)


def _parse(text: str) -> _Elements:
    parser = _Elements()
    parser.feed(text)
    parser.close()
    return parser


def test_injected_markup_in_every_evidence_field_is_shown_as_text() -> None:
    result = hunt(compromised_host(HOSTILE))
    text = render_html(result)
    elements = _parse(text)
    # The report has no script and no image of its own: any such element came from evidence.
    assert "script" not in elements.tags
    assert "img" not in elements.tags
    assert not [a for a in elements.attrs if a[1].startswith("on")]
    assert "<script" not in text.lower() and "<img" not in text.lower()
    escaped = "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;&lt;img src=x onerror="
    # host name, verdict reason, build source, URL, user agents, excerpts, file name (finding, plan),
    # blind spot, suppression, error path and message, incident source, chart tooltips...
    assert text.count(escaped) >= 20
    for visible in (
        "python-requests/2.25.1" + escaped,
        "antSword/v2.1" + escaped,
        "/ecp/y.js" + escaped,
        "aspnet_client/Q7kf2LmA" + escaped,
    ):
        assert visible in text, visible


ESCAPES = "\x1b[2J\x1b]0;title\x07\u202egnp.exe\x9b"


def test_escape_sequences_in_every_evidence_field_are_shown_and_inert() -> None:
    """`cat report.html` must not clear the screen; the reader still sees that they were there."""
    text = render_html(hunt(compromised_host(ESCAPES)))
    for live in ("\x1b", "\x07", "\u202e", "\x9b"):
        assert live not in text, repr(live)
    assert text.count("\u241b[2J\u241b]0;title\u2407\ufffdgnp.exe\ufffd") >= 20
    assert "\n" in text and "<style" in text  # the report's own whitespace and markup as they were


def test_hostile_strings_inside_svg_tooltips_stay_text() -> None:
    host = compromised_host(HOSTILE)
    text = render_html(hunt(host))
    svg = text[text.index("<svg") : text.index("</svg>")]
    assert "<title>" in svg and "&lt;script&gt;" in svg
    assert "<script" not in svg


def test_content_security_policy_allows_only_the_reports_own_stylesheet() -> None:
    text = render_html(hunt(compromised_host(), clean_host()))
    elements = _parse(text)
    csp = [v for tag, k, v in elements.attrs if tag == "meta" and k == "content" and v and "default-src" in v]
    assert csp == [content_security_policy()]
    policy = csp[0]
    assert "default-src 'none'" in policy and "script-src" not in policy and "unsafe-inline" not in policy
    (css,) = elements.style_text
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    # Nothing the policy would block or that would reach out: no style attributes, no external links.
    assert not [a for a in elements.attrs if a[1] == "style"]
    links = [v for _, k, v in elements.attrs if k in ("href", "src")]
    assert links and all(v and v.startswith("#") for v in links)
    assert "@media print" in css


def test_reread_json_renders_exactly_like_the_direct_result() -> None:
    result = hunt(compromised_host(HOSTILE), clean_host())
    again = HuntResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert render_html(again) == render_html(result)


def test_verdict_comes_first_in_words_and_colour() -> None:
    text = render_html(hunt(compromised_host(), clean_host()))
    first, second = text.split('<section class="host card')[1:3]
    assert first.index("Compromised") < first.index("Exposure of the build") < first.index("Attack timeline")
    assert "v-compromised" in first.split(">", 1)[0]
    assert "Web shell on disk and a complete ProxyLogon chain" in first
    assert "v-clean" in second.split(">", 1)[0] and ">Clean<" in second


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_renders_with_its_own_words(verdict: Verdict) -> None:
    host = HostAssessment(host="EX9", verdict=verdict, verdict_reason="")
    text = render_html(hunt(host))
    assert report_html.VERDICT_WORDS[verdict][0] in text
    assert f"v-{verdict.value}" in text


def test_exposure_per_chain_and_update_to_install() -> None:
    text = render_html(hunt(compromised_host()))
    for chain in ("ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"):
        assert f"<td>{chain}</td>" in text
    assert text.count('class="badge x-vulnerable"') == 4
    assert "Exchange Server 2016 CU19 Mar21SU (15.1.2176.9, KB5000871)" in text


def test_findings_grouped_by_chain_with_file_line_and_catalog_explanation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (rule,) = parse_rules(
        '[EXH-PL-26855-SSRF]\nversion = 1\ntitle = "ProxyLogon SSRF"\nseverity = "critical"\n'
        'category = "exploitation"\nimplies = "compromise"\nchain = "ProxyLogon"\n'
        'explanation = "An X-BEResource cookie made the front end <b>proxy</b> to a back-end path."\n'
        'references = ["docs/detection/proxylogon.md#test-proxylogon-checks"]\ndetector = "yara"\n',
        "t.toml",
    )
    monkeypatch.setattr(report_html, "catalog", lambda: {rule.id: rule})
    text = render_html(hunt(compromised_host()))
    findings = text[text.index("Findings by attack chain") : text.index("Suppressed on purpose")]
    assert findings.index("<h4>ProxyLogon") < findings.index("<h4>Other traces")
    assert "make the front end" not in findings and "&lt;b&gt;proxy&lt;/b&gt;" in findings
    assert "docs/detection/proxylogon.md#test-proxylogon-checks" in findings
    assert "HttpProxy_2021030306-1.LOG:12" in findings and "u_ex210303.log:40" in findings
    # A rule the catalog does not know still shows its findings, with a note instead of an explanation.
    assert findings.count("not in this version's catalog") == 5
    assert "EXH-FS-LSASS-DUMP" in findings


def test_suppressed_coverage_blind_spots_errors_and_plan_are_shown() -> None:
    text = render_html(hunt(compromised_host()))
    assert "scanner probe (ServerInfo~localhost)" in text
    assert "no Rps_Http logs" in text
    assert "truncated line" in text and "C/bad.log" in text
    assert "Install Exchange Server 2016 CU19 Mar21SU" in text  # derived plan when none was stored
    assert "2021-02-22 00:00:00 UTC" in text  # coverage start


def test_timeline_chart_draws_lanes_markers_and_incidents() -> None:
    host = compromised_host()
    chart = attack_timeline(host.findings, host.incidents)
    assert chart is not None
    assert [lane.label for lane in chart.lanes] == ["Incidents", "ProxyLogon", "Other traces"]
    assert chart.undated == 2  # the web shell file and the dump carry no time
    assert len(chart.bars) == 2 and all(chart.plot_left <= b.x <= chart.plot_right for b in chart.bars)
    assert all(chart.plot_left <= m.x <= chart.plot_right for m in chart.markers)
    assert sum(m.count for m in chart.markers) == 5
    assert chart.markers[-1].severity == "critical"  # worst painted last, on top
    assert chart.ticks and all(chart.plot_left <= t.x <= chart.plot_right for t in chart.ticks)
    text = render_html(hunt(host))
    assert text.count('<circle class="m-') == len(chart.markers)


def test_a_flood_of_findings_is_binned_on_the_chart_and_capped_in_the_list() -> None:
    many = [
        finding(
            "EXH-IIS-WEBSHELL-ACCESS",
            "high",
            "webshell-access",
            "compromise",
            "u_ex.log",
            line=i,
            ts=T0 + timedelta(seconds=37 * i),
            ip="198.51.100.23",
        )
        for i in range(1, 2501)
    ]
    host = HostAssessment(host="EX1", verdict=Verdict.COMPROMISED, verdict_reason="", findings=many)
    chart = attack_timeline(host.findings, [])
    assert chart is not None and len(chart.markers) <= BINS
    assert sum(m.count for m in chart.markers) == 2500
    text = render_html(hunt(host))
    assert text.count('<div class="hit">') == MAX_ROWS_PER_RULE
    assert f"{2500 - MAX_ROWS_PER_RULE} more hits of this rule" in text
    assert len(text) < 600_000


def test_empty_and_bare_results_render() -> None:
    assert "found no host" in render_html(hunt())
    bare = HostAssessment(
        host="EX3",
        verdict=Verdict.INSUFFICIENT,
        verdict_reason="No HttpProxy logs",
        blind_spots=["no HttpProxy logs at all"],
    )
    text = render_html(hunt(bare))
    assert "Not enough evidence" in text and "no HttpProxy logs at all" in text
    assert "did not tell the Exchange build" in text
    assert "<svg" not in text


def test_broken_exposure_item_from_an_edited_json_does_not_break_the_report() -> None:
    host = compromised_host()
    host.exposure = read_assessment(
        {
            "exposure": {"ProxyLogon": "yes", "ProxyShell": {"status": 7, "cves": "CVE"}},
            "next_update": ["x"],
            "build": {"a": 1},
        }
    )
    text = render_html(hunt(host))
    assert text.count('class="badge x-unknown"') == 4


def test_write_html_survives_undecodable_evidence(tmp_path: Path) -> None:
    host = compromised_host("\udcff\udc80")
    out = tmp_path / "report.html"
    write_html(hunt(host), out)
    content = out.read_text(encoding="utf-8")
    assert "\\udcff" in content
    assert re.search(r"<title>exhunt report: 1 host", content)


def test_a_clean_host_with_a_dated_recon_hit_has_no_attack_window() -> None:
    """An informational hit (a scanner's request) on a clean host is dated, but no attack."""
    host = clean_host()
    host.findings = [finding("EXH-RECON-EXPORTTOOL", "info", "reconnaissance", "nothing", "C/x.log", line=3, ts=T0)]
    page = render_html(hunt(host))
    assert "Attack window" not in page and "Dated findings" in page
    bad = render_html(hunt(compromised_host()))
    assert "Attack window" in bad
