"""Events no detector wants are passed by on their header: the header must be the one the full
decoding reads, and the file's coverage, host names and findings must not change."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import orjson
import pytest
from evtx import PyEvtxParser
from hypothesis import given, settings
from hypothesis import strategies as st

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.analyzers import events as events_analyzer
from exhunt.events import evtx_file
from exhunt.events.normalise import from_evtx_json
from exhunt.events.skim import system_head, system_time
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, Problem, UnitResult

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


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["System", "Security", "7036", "", "2015-09-04T17:33:44Z", "Service Control Manager"]),
    st.dictionaries(st.sampled_from(["#text", "#attributes", "Name", "SystemTime"]), st.integers(0, 70000), max_size=2),
)
_SCM_SYSTEM = orjson.loads(SCM)["Event"]["System"]
_HEADER_KEYS = ["Provider", "EventID", "TimeCreated", "EventRecordID", "Channel", "Computer", "System", "Event"]


def _key(name: str, escaped: bool) -> str:
    """A JSON key, written plainly or with every character as a \\u escape."""
    return '"' + "".join(f"\\u{ord(c):04x}" for c in name) + '"' if escaped else json.dumps(name)


@given(
    changes=st.lists(
        st.tuples(
            st.sampled_from(_HEADER_KEYS), _VALUES, st.booleans(), st.sampled_from(["replace", "before", "after"])
        ),
        max_size=3,
    ),
    cut=st.integers(min_value=0, max_value=40),
)
@settings(max_examples=max(50, settings.default.max_examples))
def test_generated_headers_are_read_as_the_full_decoding_reads_them(
    changes: list[tuple[str, object, bool, str]], cut: int
) -> None:
    """Header values of other types, keys written with escapes, keys repeated before or after the
    usual one, and records cut short: the header is the full decoding's, or not read at all."""
    text = SCM
    for name, value, escaped, where in changes:
        key = f'"{name}":'
        at = text.find(key)
        written = _key(name, escaped) + ":" + json.dumps(value)
        if at < 0 or where == "before":
            at = text.index('"System":{') + len('"System":{')
            text = text[:at] + written + "," + text[at:]
        elif where == "after":
            end = text.index(',"EventData"')
            text = text[:end] + "," + written + text[end:]
        else:  # the value in place, when it is the usual one; else one more key before it
            end = at + len(key)
            usual = _SCM_SYSTEM.get(name)
            written_before = orjson.dumps(usual).decode() if usual is not None else ""
            if usual is not None and text.startswith(written_before, end):
                text = text[:at] + written + text[end + len(written_before) :]
            else:
                text = text[:at] + written + "," + text[at:]
    if cut:
        text = text[:-cut]
    head = skim_header(text)
    try:
        full = full_header(text)
    except (orjson.JSONDecodeError, KeyError, TypeError):
        assert head is None  # not JSON, or not an event: never judged on its header
        return
    assert head is None or head == full


class _Parser:
    """Stands in for PyEvtxParser: yields the given JSON texts as records."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def records_json(self) -> Iterator[dict[str, object]]:
        for number, text in enumerate(self.texts, 1):
            yield {"event_record_id": number, "timestamp": "", "data": text}


@pytest.mark.parametrize("skim", [True, False])
def test_a_record_whose_system_is_not_an_object_is_not_understood_and_reading_goes_on(skim: bool) -> None:
    """A later `"System":null` is the one the full decoding reads: that record is a problem of its
    own; the records before and after it are read."""
    odd = SCM[:-2] + ',"System":null}}'
    scan = events_analyzer._FileScan(EvidenceFile(FileRef("f"), "f", ArtefactKind.EVTX, 0), UnitResult())
    interest = events_analyzer._Interest(scan, None) if skim else None
    errors: list[Problem] = []
    records = evtx_file._records(_Parser([SCM, odd, SCM]), "f", errors, interest)
    events = []
    while True:
        try:
            events.append(next(records))
        except StopIteration as done:
            read, failed = done.value
            break
    assert (read, failed) == (2, 1)
    assert len(events) == (0 if skim else 2)  # Service Control Manager 7036: no detector wants it
    assert [e.message for e in errors] == ["EVTX record 2 not understood: System is NoneType, not an object"]


def _hunt_texts(texts: list[str], skim: bool) -> UnitResult:
    """The coverage and host names the event analyzer gathers from these record texts, with the
    skim or with every record decoded in full."""
    result = UnitResult()
    scan = events_analyzer._FileScan(EvidenceFile(FileRef("f"), "f", ArtefactKind.EVTX, 0), result)
    interest = events_analyzer._Interest(scan, None) if skim else None
    for event in evtx_file._records(_Parser(texts), "f", result.errors, interest):
        scan.see(event)
    scan.finish()
    return result


_TIMES = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
    st.sampled_from(
        [
            "2015-09-04T17:33:44Z",  # no fraction: sorts after a fraction of the same second
            "2015-09-04 17:33:44.690125Z",  # another separator
            "2015-09-04T17:33:44.690125+01:00",
            "2015-02-30T17:33:44.690125Z",  # no such day
            "2015-W36-5T17:33:44.690125Z",  # a week date
            "not a time",
            "",
        ]
    ),
)


@given(
    records=st.lists(
        st.tuples(
            _TIMES, st.sampled_from(["System", "Security", "Application"]), st.sampled_from(["DC1", "WEB1", "-"])
        ),
        min_size=1,
        max_size=12,
    )
)
@settings(max_examples=max(50, settings.default.max_examples))
def test_coverage_and_host_names_of_passed_by_events_are_the_full_decodings(
    records: list[tuple[str, str, str]],
) -> None:
    """Times in other shapes or invalid, several channels and computers: the spans, counts and
    host names of events passed by on their header are those of the same events decoded."""
    texts = [
        SCM.replace("2015-09-04T17:33:44.690125Z", created)
        .replace('"Channel":"System"', f'"Channel":"{channel}"')
        .replace("DC1.internal.greendale.edu", computer)
        for created, channel, computer in records
    ]
    skimmed, full = _hunt_texts(texts, True), _hunt_texts(texts, False)
    assert skimmed.coverage == full.coverage
    assert skimmed.observations == full.observations
    assert skimmed.errors == full.errors == []
