"""Events no detector wants are passed by on their header: the header must be the one the full
decoding reads, and the file's coverage, host names and findings must not change."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest
from evtx import PyEvtxParser

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.analyzers import events as events_analyzer
from exhunt.events.normalise import from_evtx_json
from exhunt.events.skim import system_head, system_time
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, UnitResult

SCM = (
    '{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},'
    '"System":{"Provider":{"#attributes":{"Name":"Service Control Manager",'
    '"Guid":"{555908d1-a6d7-4695-8e1e-26931d2012f4}","EventSourceName":"Service Control Manager"}},'
    '"EventID":{"#attributes":{"Qualifiers":16384},"#text":7036},"Version":0,"Level":4,"Task":0,'
    '"Opcode":0,"Keywords":"0x8080000000000000","TimeCreated":{"#attributes":{"SystemTime":'
    '"2015-09-04T17:33:44.690125Z"}},"EventRecordID":2835,"Correlation":null,"Execution":'
    '{"#attributes":{"ProcessID":436,"ThreadID":4964}},"Channel":"System","Computer":'
    '"DC1.internal.greendale.edu","Security":null},"EventData":{"param1":"Software Protection",'
    '"param2":"running"}}}'
)


def full_header(text: str) -> tuple[object, ...]:
    record = from_evtx_json(orjson.loads(text)["Event"], "f")
    return (record.provider, record.event_id, record.timestamp, record.record_id, record.channel, record.computer)


def skim_header(text: str) -> tuple[object, ...] | None:
    head = system_head(text)
    if head is None:
        return None
    return (head.provider, head.event_id, system_time(head.created), head.record_id, head.channel, head.computer)


def test_header_of_a_classic_event_with_qualifiers() -> None:
    assert skim_header(SCM) == full_header(SCM)
    assert skim_header(SCM) == (
        "Service Control Manager",
        7036,
        full_header(SCM)[2],
        2835,
        "System",
        "DC1.internal.greendale.edu",
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"Channel":"System"', '"Channel":"Security","Channel":"System"'),  # duplicates: the last wins
        ('"Computer":"DC1.internal.greendale.edu"', '"Computer":"a\\\\b\\u00e9"'),  # escapes decoded
        ('"SystemTime":"2015-09-04T17:33:44.690125Z"', '"SystemTime":"not a time"'),
    ],
)
def test_header_is_what_the_full_decoding_reads(old: str, new: str) -> None:
    text = SCM.replace(old, new, 1)
    assert skim_header(text) == full_header(text)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"Channel":"System"', '"Channel":null'),
        ('"#text":7036', '"#text":"7036"'),
        ('"Name":"Service Control Manager",', '"Name":"",'),  # the full decoding reads EventSourceName
        ('"EventRecordID":2835,', ""),
        ('"EventData":{', '"EventData":{"x":'),  # not JSON at all
    ],
)
def test_unusual_headers_are_left_to_the_full_decoding(old: str, new: str) -> None:
    assert system_head(SCM.replace(old, new, 1)) is None


def test_a_second_system_further_on_is_the_one_read() -> None:
    text = (
        SCM[:-2]
        + ',"System":'
        + SCM[SCM.index('{"Provider"') : SCM.index(',"EventData"')].replace('"System"', '"Security"')
        + "}}"
    )
    assert skim_header(text) == full_header(text)
    assert full_header(text)[4] == "Security"


def samples(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "evtx").rglob("*.evtx"))


def test_headers_of_the_shared_samples(shared_data: Path) -> None:
    checked = 0
    for path in samples(shared_data):
        try:
            for raw in PyEvtxParser(str(path), number_of_threads=1, indent=False).records_json():
                assert skim_header(raw["data"]) == full_header(raw["data"])
                checked += 1
        except RuntimeError:  # a deliberately damaged sample: its readable records were checked
            continue
    assert checked > 5000


def analyze(path: Path, monkeypatch: pytest.MonkeyPatch, skim: bool, options: HuntOptions) -> UnitResult:
    if not skim:
        monkeypatch.setattr(events_analyzer, "_decode_system", lambda text: None)
    file = EvidenceFile(FileRef(str(path)), path.name, ArtefactKind.EVTX, os.path.getsize(path))
    result = registry()["events"].analyze(file, HostContext("h", None, options))
    monkeypatch.undo()
    return result


@pytest.mark.parametrize("sigma", [(), ("sigma/rules/windows/builtin", "sigma/rules/windows/process_creation")])
def test_passing_events_by_changes_nothing_found_or_covered(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, sigma: tuple[str, ...]
) -> None:
    """With exhunt's detectors, and with SigmaHQ's rules for the System, Security... logs (among
    them keyword rules for any Windows log, read through the JSON-text prefilter)."""
    options = HuntOptions(sigma_paths=tuple(str(shared_data / p) for p in sigma))
    sigma_findings = 0
    for path in samples(shared_data):
        skimmed, full = analyze(path, monkeypatch, True, options), analyze(path, monkeypatch, False, options)
        assert skimmed.findings == full.findings
        assert skimmed.coverage == full.coverage
        assert skimmed.observations == full.observations
        assert skimmed.errors == full.errors
        assert skimmed.suppressed == full.suppressed
        sigma_findings += sum(1 for f in skimmed.findings if not f.rule_id.startswith("EXH-"))
    assert (sigma_findings > 0) is bool(sigma)
