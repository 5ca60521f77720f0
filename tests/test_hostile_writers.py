"""Every writer is total over any value a finding can hold, and makes evidence text inert."""

from __future__ import annotations

import io
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

pytest.importorskip("hypothesis", reason="hypothesis (a test extra) is not installed")
from hypothesis import given, settings

from exhunt.model import (
    CoverageSpan,
    EvidenceRef,
    FileFacet,
    Finding,
    HostAssessment,
    HuntResult,
    Implies,
    Incident,
    Severity,
    Verdict,
)
from exhunt.report import console
from exhunt.report.findings_jsonl import write_lines
from exhunt.report.html import render_html
from exhunt.report.jsonout import dumps
from exhunt.report.misp import dumps as misp_dumps
from exhunt.report.stix import build_bundle
from exhunt.report.terminal import InertConsole
from exhunt.report.timeline import write_timeline
from hostile_strategies import hunt_results

# C0 and C1 controls (tab and newline aside), DEL and the bidi overrides: none may reach a terminal.
_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
WHEN = datetime(2021, 3, 3, 4, 5, tzinfo=UTC)


def _finding(path: str, ts: datetime | None, excerpt: str = "x") -> Finding:
    return Finding(
        rule_id="webshell-file",
        rule_version=1,
        title="web shell",
        severity=Severity.CRITICAL,
        category="webshell",
        implies=Implies.COMPROMISE,
        cves=(),
        chain="proxylogon",
        evidence=EvidenceRef(path, 3, excerpt, "ab" * 32, None),
        timestamp=ts,
        source_ip="203.0.113.9",
        details=(("url", "/owa/auth/x.aspx"),),
        file=FileFacet(path, "ab" * 32),
    )


def _result(*found: Finding) -> HuntResult:
    last = max((f.timestamp for f in found if f.timestamp), default=WHEN)
    host = HostAssessment(
        host="EX01",
        verdict=Verdict.COMPROMISED,
        verdict_reason="web shell",
        findings=list(found),
        incidents=[Incident("i1", "203.0.113.9", WHEN, last, ("proxylogon",), ("webshell-file",), 1, Severity.HIGH)],
        log_coverage={"httpproxy": CoverageSpan(WHEN, last, 1, 10)},
    )
    return HuntResult("test", WHEN, WHEN, [host])


def _all_writers(result: HuntResult, tmp: Path) -> dict[str, str]:
    out = io.StringIO()
    console.render(InertConsole(file=out, width=100, force_terminal=True), result)
    write_timeline(result, tmp / "t.csv")
    write_timeline(result, tmp / "t.jsonl")
    lines = io.StringIO()
    write_lines(result, lines)
    return {
        "console": out.getvalue(),
        "html": render_html(result),
        "stix": build_bundle(result).serialize(),
        "json": dumps(result),
        "timeline.csv": (tmp / "t.csv").read_text(encoding="utf-8", errors="surrogateescape"),
        "timeline.jsonl": (tmp / "t.jsonl").read_text(encoding="utf-8", errors="surrogateescape"),
        "misp": misp_dumps(result),
        "jsonl": lines.getvalue(),
    }


@pytest.mark.parametrize("year", [1, 9999])
def test_a_date_at_the_end_of_the_calendar_does_not_stop_any_writer(tmp_path: Path, year: int) -> None:
    far = datetime(year, 12, 31, 23, 59, tzinfo=UTC) if year == 9999 else datetime(1, 1, 1, tzinfo=UTC)
    outputs = _all_writers(_result(_finding("inetpub/x.aspx", WHEN), _finding("inetpub/y.aspx", far)), tmp_path)
    assert "<svg" in outputs["html"]  # the chart was drawn, held at the calendar's end
    assert str(year).rjust(4, "0") in outputs["json"]


def test_a_file_name_with_an_undecodable_byte_keeps_the_stix_bundle(tmp_path: Path) -> None:
    name = b"inetpub/wwwroot/aspnet_client/sh\xffell.aspx".decode("utf-8", "surrogateescape")
    outputs = _all_writers(_result(_finding(name, WHEN)), tmp_path)
    bundle = json.loads(outputs["stix"])
    files = [o for o in bundle["objects"] if o["type"] == "file"]
    assert files and files[0]["name"] == "sh%FFell.aspx"
    # The hunt JSON stays exact: the undecodable byte round-trips as its escape.
    assert "\\udcff" in outputs["json"]


def test_a_file_name_with_an_undecodable_byte_keeps_the_misp_event(tmp_path: Path) -> None:
    # pymisp's serialiser refused the lone surrogate: `--misp` was not written at all.
    name = b"inetpub/wwwroot/aspnet_client/sh\xffell.aspx".decode("utf-8", "surrogateescape")
    outputs = _all_writers(_result(_finding(name, WHEN)), tmp_path)
    event = json.loads(outputs["misp"])["Event"]
    (shell,) = [o for o in event["Object"] if o["name"] == "file"]
    names = {a["object_relation"]: a["value"] for a in shell["Attribute"]}
    assert names["filename"] == "sh%FFell.aspx"


@settings(max_examples=max(15, settings.default.max_examples // 3))  # drawing a whole hunt result is slow
@given(hunt_results())
def test_every_writer_is_total_and_terminal_output_inert(
    tmp_path_factory: pytest.TempPathFactory, result: HuntResult
) -> None:
    tmp = tmp_path_factory.mktemp("w")
    started = time.monotonic()
    outputs = _all_writers(result, tmp)
    assert time.monotonic() - started < 20
    # Console: no control character or bidi override from the evidence reaches the terminal,
    # except the colour codes rich writes itself (CSI ... m).
    bare = re.sub(r"\x1b\[[0-9;]*m", "", outputs["console"])
    assert not _RAW_CONTROL.search(bare.replace("\n", ""))
    # HTML: evidence text never becomes markup.
    assert "<script>alert" not in outputs["html"] and "<img src=x" not in outputs["html"]
    # STIX and MISP are valid JSON with valid Unicode; JSON lines one document a line.
    json.loads(outputs["stix"]).get("objects")
    assert json.loads(outputs["misp"])["Event"]["uuid"]
    assert all(json.loads(line)["rule"] for line in outputs["jsonl"].splitlines())
    # The hunt JSON is exact: it reads back to the same hosts and findings.
    assert HuntResult.from_dict(json.loads(outputs["json"])).to_dict() == result.to_dict()


def test_json_lines_stay_one_line_for_readers_that_split_on_unicode_line_breaks(tmp_path: Path) -> None:
    # JSON leaves NEL, U+2028 and U+2029 raw in strings; str.splitlines (and some log shippers)
    # break a line there, cutting a finding whose file name or excerpt holds one in two.
    odd = "inetpub/wwwroot/aspnet_client/a\u2028b\x85c\u2029d.aspx"
    outputs = _all_writers(_result(_finding(odd, WHEN, excerpt="line\u2028two")), tmp_path)
    for name in ("jsonl", "timeline.jsonl"):
        lines = outputs[name].splitlines()
        assert len(lines) == 1, name
        doc = json.loads(lines[0])
        path = doc["exhunt"]["evidence"]["path"] if name == "jsonl" else doc["path"]
        assert path == odd  # the same text once read back


def test_emoji_codes_in_evidence_reach_the_console_as_written(tmp_path: Path) -> None:
    # Rich replaces `:name:` codes with pictures by default; evidence must be shown as logged.
    found = _finding("inetpub/wwwroot/aspnet_client/:x:.aspx", WHEN, excerpt="GET /owa/:warning:/:smile: 200")
    outputs = _all_writers(_result(found), tmp_path)
    assert ":x:.aspx" in outputs["console"]
    assert "\u274c" not in outputs["console"] and "\u26a0" not in outputs["console"]


def test_an_error_message_holding_an_emoji_code_is_printed_as_written() -> None:
    out = io.StringIO()
    InertConsole(file=out, width=200).print("cannot reach the Dask scheduler local:x: bad", markup=False)
    assert out.getvalue().strip() == "cannot reach the Dask scheduler local:x: bad"
