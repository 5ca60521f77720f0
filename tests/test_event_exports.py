"""Each event export format responders hand over, read into the same events and findings.

The example trees under `tests/data/event-exports/` (written by `build.py` there, from each
tool's documented output) hold the same four events per format: a web-shell command as Sysmon 1
and as Security 4688, and two benign events."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.events import EventLogAnalyzer
from exhunt.cli import main
from exhunt.evidence import discover
from exhunt.model import ArtefactKind

EXPORTS = REPO / "tests" / "data" / "event-exports"
FORMATS = sorted(p.name for p in EXPORTS.iterdir() if p.is_dir())


def events_in_file(path: Path) -> int:
    """Counted without exhunt's readers: lines, CSV rows or `<Event ` elements."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        return len(re.findall(r"<Event[ >]", text))
    if path.suffix == ".csv":
        import csv

        return sum(1 for _ in csv.DictReader(text.splitlines()))
    return sum(1 for line in text.splitlines() if line.strip())


def test_every_format_has_an_example() -> None:
    assert set(FORMATS) >= {
        "winlogbeat-6",
        "winlogbeat-7",
        "winlogbeat-8",
        "elastic-agent-8",
        "velociraptor",
        "evtxecmd-json",
        "evtxecmd-csv",
        "wevtutil-xml",
        "event-viewer-xml",
        "splunk-json",
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_is_sniffed_and_every_event_read(fmt: str) -> None:
    (host,) = discover(str(EXPORTS / fmt))
    (export,) = host.files
    assert export.kind is ArtefactKind.EVENT_JSON
    result = EventLogAnalyzer().analyze(export, HostContext(host.name, None, HuntOptions()))
    assert not result.errors, result.errors
    assert result.coverage["EventLog"].records == events_in_file(Path(export.ref.path)) == 4
    channels = {name for name in result.coverage if name.startswith("EventLog/")}
    assert channels == {"EventLog/Security", "EventLog/System", "EventLog/Microsoft-Windows-Sysmon/Operational"}
    assert {o.value for o in result.observations if o.kind == "hostname"} == {"EX01.corp.local"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_gives_the_same_process_findings(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["hunt", str(EXPORTS / fmt), "--json", "-"])
    (host,) = json.loads(capsys.readouterr().out)["hosts"]
    assert host["verdict"] == "compromised"
    shells = [f for f in host["findings"] if f["rule_id"] == "EXH-EVT-W3WP-SHELL"]
    # Sysmon 1 and Security 4688 end up in the same process fields
    assert len(shells) == 2
    for f in shells:
        assert f["details"]["image"].lower().endswith("cmd.exe")
        assert f["details"]["parent_image"].lower().endswith("w3wp.exe")
        assert "whoami" in f["details"]["command_line"]
