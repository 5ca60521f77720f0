from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from rich.console import Console

from exhunt.model import (
    CoverageSpan,
    EvidenceError,
    EvidenceRef,
    Finding,
    HostAssessment,
    HuntResult,
    Implies,
    Severity,
    Verdict,
)
from exhunt.report.console import render
from exhunt.report.jsonout import dumps
from exhunt.report.safe_text import printable

HOSTILE = "[bold red]FAKE[/] \x1b[2J\x1b]0;title\x07 \u202egnp.exe <script>alert(1)</script>"


def _result() -> HuntResult:
    f = Finding(
        "EXH-PL-26855-SSRF",
        1,
        "SSRF " + HOSTILE,
        Severity.CRITICAL,
        "exploitation",
        Implies.COMPROMISE,
        ("CVE-2021-26855",),
        "ProxyLogon",
        EvidenceRef("Logging/" + HOSTILE + ".log", 3, HOSTILE),
        datetime(2021, 3, 3, tzinfo=UTC),
        "1.2.3.4",
        (("user_agent", HOSTILE),),
    )
    host = HostAssessment(
        "EX01" + HOSTILE,
        Verdict.COMPROMISED,
        "because " + HOSTILE,
        findings=[f],
        log_coverage={"HttpProxy": CoverageSpan(None, None, 1, 1)},
        errors=[EvidenceError(HOSTILE, HOSTILE)],
        blind_spots=[HOSTILE],
    )
    return HuntResult("0", datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC), [host, host])


def test_printable_neutralises_control_and_bidi_characters() -> None:
    assert printable("a\x1b[2Jb\u202ec\x00") == "a\\x1b[2Jb\\x202ec\\x00"
    assert printable("x" * 10, limit=5) == "xxxx…"


def test_console_shows_hostile_text_as_text() -> None:
    buf = io.StringIO()
    render(Console(file=buf, width=100, color_system=None, force_terminal=False), _result())
    out = buf.getvalue()
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "[bold red]FAKE[/]" in out  # markup shown literally, not interpreted
    assert "\\x1b[2J" in out
    assert "COMPROMISED" in out and "EXH-PL-26855-SSRF" in out


def test_a_line_feed_in_a_file_or_host_name_cannot_start_a_line_of_the_report() -> None:
    """A file named `sh\\n      C/inetpub/.../legit.aspx:18` must not show as two evidence lines;
    an excerpt keeps its lines (inert all the same)."""
    fake = "\n      C/inetpub/wwwroot/legit.aspx:18"
    f = Finding(
        "EXH-WS-EVAL-REQUEST",
        1,
        "eval of request data",
        Severity.HIGH,
        "webshell",
        Implies.COMPROMISE,
        (),
        None,
        EvidenceRef("C/inetpub/wwwroot/sh" + fake + ".aspx", 18, "line one\nline two"),
    )
    host = HostAssessment(
        "EX01" + fake,
        Verdict.COMPROMISED,
        "because",
        root="/cases/EX01" + fake,
        findings=[f],
        errors=[EvidenceError("C/unread" + fake, "cannot open")],
    )
    buf = io.StringIO()
    render(
        Console(file=buf, width=200, color_system=None, force_terminal=False),
        HuntResult("0", f.timestamp or datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC), [host]),
    )
    out = buf.getvalue()
    assert not [line for line in out.splitlines() if line.lstrip().startswith("C/inetpub/wwwroot/legit.aspx")]
    assert "sh\\x0a      C/inetpub/wwwroot/legit.aspx:18.aspx:18" in out
    assert "EX01\\x0a" in out and "C/unread\\x0a" in out
    assert "line two" in [line.strip() for line in out.splitlines()]  # the excerpt keeps its own lines
    assert printable("a\nb") == "a\nb" and printable("a\nb", lines=False) == "a\\x0ab"


def test_json_is_ascii_and_follows_the_contract() -> None:
    text = dumps(_result())
    assert text.isascii()
    doc = json.loads(text)
    assert doc["schema"] == "exhunt.hunt/2"
    host = doc["hosts"][0]
    for key in ("host", "verdict", "exchange_build", "log_coverage", "findings", "errors"):
        assert key in host
    finding = host["findings"][0]
    for key in (
        "rule_id",
        "rule_version",
        "title",
        "severity",
        "category",
        "cves",
        "chain",
        "timestamp",
        "source_ip",
        "evidence",
    ):
        assert key in finding
    assert set(finding["evidence"]) >= {"path", "line", "excerpt", "sha256"}
    assert finding["evidence"]["excerpt"] == HOSTILE


def test_a_long_path_is_cut_in_its_middle_keeping_its_name_and_line() -> None:
    from exhunt.report.safe_text import printable_middle

    path = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/" * 3 + "HttpProxy_2021030306-1.LOG:12"
    short = printable_middle(path, 80)
    assert len(short) == 80 and short.startswith("C/Program Files/") and short.endswith("HttpProxy_2021030306-1.LOG:12")
    assert "…" in short
    assert printable_middle("C/x.log:3", 80) == "C/x.log:3"
    cut = printable_middle("a\x1b[2Jb" + "c" * 100, 20)
    assert "\x1b" not in cut and cut.startswith("a\\x1b") and len(cut) == 20  # still made printable
