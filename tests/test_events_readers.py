"""Event readers: the four JSON export shapes, hostile JSON files, EVTX edge cases, zip members."""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import shutil
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.events import normalise, read_event_json
from exhunt.events.record import parse_timestamp
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, EvidenceError, UnitResult

CTX = HostContext("EX01", None, HuntOptions())


def analyze(
    path: Path, kind: ArtefactKind = ArtefactKind.EVENT_JSON, rel: str | None = None, ctx: HostContext = CTX
) -> UnitResult:
    file = EvidenceFile(FileRef(str(path)), rel or path.name, kind, path.stat().st_size)
    return registry()["events"].analyze(file, ctx)


def read(data: bytes, **bounds: int) -> tuple[list, list[EvidenceError]]:
    errors: list[EvidenceError] = []
    return list(read_event_json(io.BytesIO(data), "x.json", errors, **bounds)), errors


FLAT = {
    "SourceName": "Microsoft-Windows-Sysmon",
    "Level": "4",
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "Hostname": "EX01.corp.example",
    "TimeCreated": "2021-03-14T01:40:15.342Z",
    "EventID": 1,
    "RecordNumber": 4050,
    "Message": "Process Create:\r\nImage: C:\\Windows\\System32\\cmd.exe",
    "Image": "C:\\Windows\\System32\\cmd.exe",
    "CommandLine": "cmd /c whoami",
    "ProcessId": "22",
}
ECS = {
    "@timestamp": "2021-03-14T02:40:15.342+01:00",
    "message": 'Cmdlet failed. Cmdlet Install-TransportAgent, parameters -Name "x".',
    "host": {"name": "ex01"},
    "log": {"level": "error"},
    "winlog": {
        "channel": "MSExchange Management",
        "event_id": "6",
        "provider_name": "MSExchange CmdletLogs",
        "computer_name": "EX01.corp.example",
        "record_id": 7184,
        "event_data": {"param1": "Install-TransportAgent", "param2": '-Name "x"'},
    },
}


def test_flat_export_record() -> None:
    rec = normalise(FLAT, "logs/sysmon.json", 3)
    assert rec is not None
    assert rec.timestamp == datetime(2021, 3, 14, 1, 40, 15, 342000, tzinfo=UTC)
    assert (rec.channel, rec.provider, rec.event_id, rec.computer) == (
        "Microsoft-Windows-Sysmon/Operational",
        "Microsoft-Windows-Sysmon",
        1,
        "EX01.corp.example",
    )
    assert rec.record_id == 4050 and rec.level == 4 and rec.line == 3 and rec.source == "logs/sysmon.json"
    assert rec.get("CommandLine") == "cmd /c whoami" and rec.get("Message").startswith("Process Create")
    assert "Channel" not in rec.data and rec.get("ProcessId") == "22"


def test_ecs_record_nested_and_dotted() -> None:
    nested = normalise(ECS, "w.json", 1)
    dotted_doc = {"@timestamp": ECS["@timestamp"], "message": ECS["message"], "log.level": "error"}
    dotted_doc.update({f"winlog.{k}": v for k, v in ECS["winlog"].items() if k != "event_data"})
    dotted_doc.update({f"winlog.event_data.{k}": v for k, v in ECS["winlog"]["event_data"].items()})
    dotted = normalise(dotted_doc, "w.json", 1)
    for rec in (nested, dotted):
        assert rec is not None
        assert rec.timestamp == datetime(2021, 3, 14, 1, 40, 15, 342000, tzinfo=UTC)  # +01:00 to UTC
        assert (rec.channel, rec.event_id, rec.provider) == (
            "MSExchange Management",
            6,
            "MSExchange CmdletLogs",
        )
        assert rec.record_id == 7184 and rec.level == 2 and rec.computer == "EX01.corp.example"
        assert rec.get("param1") == "Install-TransportAgent" and rec.get("Message").startswith("Cmdlet failed")


def test_evtx_json_and_get_winevent_shapes() -> None:
    evtx_doc = {
        "Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "MSExchange CmdletLogs"}},
                "EventID": {"#attributes": {"Qualifiers": 49152}, "#text": 6},
                "Level": 2,
                "TimeCreated": {"#attributes": {"SystemTime": "2021-06-04T08:41:47.9821284Z"}},
                "EventRecordID": 7184,
                "Channel": "MSExchange Management",
                "Computer": "exchange01",
            },
            "EventData": {
                "Data": {"#text": ["Install-TransportAgent", '-Name "Evil"', None]},
                "Binary": None,
            },
        }
    }
    rec = normalise(evtx_doc)
    assert rec is not None and rec.event_id == 6 and rec.record_id == 7184 and rec.line == 7184
    assert rec.data == {
        "param1": "Install-TransportAgent",
        "param2": '-Name "Evil"',
        "param3": "",
        "Binary": "",
    }
    user_data = normalise(
        {
            "System": {"EventID": 1102, "Channel": "Security"},
            "UserData": {"LogFileCleared": {"#attributes": {"xmlns": "x"}, "SubjectUserName": "bob"}},
        }
    )
    assert user_data is not None and user_data.data == {"SubjectUserName": "bob"}
    ps = normalise(
        {
            "Id": 4688,
            "LogName": "Security",
            "ProviderName": "Microsoft-Windows-Security-Auditing",
            "TimeCreated": "/Date(1615686015342)/",
            "MachineName": "EX01",
            "RecordId": 9,
            "LevelDisplayName": "Information",
            "Properties": [{"Value": "S-1-5-18"}, {"Value": 7}],
        }
    )
    assert ps is not None and ps.event_id == 4688 and ps.level == 4 and ps.record_id == 9
    assert ps.timestamp == datetime(2021, 3, 14, 1, 40, 15, 342000, tzinfo=UTC)
    assert ps.data == {"param1": "S-1-5-18", "param2": "7"}
    assert normalise({"hello": "world"}) is None and normalise([1, 2]) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-14 06:39:30.227", datetime(2021, 3, 14, 6, 39, 30, 227000, tzinfo=UTC)),
        ("2019-05-24T01:33:53.1124861Z", datetime(2019, 5, 24, 1, 33, 53, 112486, tzinfo=UTC)),
        ("2019-05-24T01:33:53.112486Z UTC", datetime(2019, 5, 24, 1, 33, 53, 112486, tzinfo=UTC)),
        (1615686015342, datetime(2021, 3, 14, 1, 40, 15, 342000, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        ("9" * 500, None),
        (True, None),
    ],
)
def test_timestamps(text: object, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected


def test_hostile_lines_are_recorded_and_skipped() -> None:
    good = json.dumps(FLAT).encode()
    data = b"\r\n".join(
        [
            b"\xef\xbb\xbf" + good,  # UTF-8 BOM on the first line
            b"\x00\x01\x02\xff\xfe binary junk \x00",
            b'{"EventID": 1, "Channel": ',  # cut JSON
            b"",
            b"[1, 2, 3]",
            b'{"not": "an event"}',
            b"\xff" * 5000,  # longer than the bound below
            good,
        ]
    )
    records, errors = read(data, max_line=4096)
    assert [r.line for r in records] == [1, 8]
    by_line = {e.line: e.message for e in errors}
    assert "not JSON" in by_line[2] and "not JSON" in by_line[3]
    assert "not a Windows event" in by_line[5] and "not a Windows event" in by_line[6]
    assert "longer than" in by_line[7]
    assert all(e.path == "x.json" for e in errors)


def test_huge_line_through_the_analyzer(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with path.open("wb") as out:
        out.write(json.dumps(FLAT).encode() + b"\n")
        out.write(b'{"Message": "' + b"A" * (9 * 1024 * 1024) + b'"}\n')
        out.write(json.dumps(FLAT).encode() + b"\n")
    result = analyze(path)
    assert result.coverage["EventLog"].records == 2
    assert [e.line for e in result.errors] == [2] and "longer than 8 MiB" in result.errors[0].message


def test_many_bad_lines_are_counted_not_listed() -> None:
    good = json.dumps(FLAT).encode()
    records, errors = read(b"\n".join([good] + [b"not json"] * 40 + [good]))
    assert len(records) == 2
    assert len(errors) == 6
    assert errors[-1].message == "40 lines skipped in all: line is not JSON, first at line 2"


def test_binary_file_is_given_up_on() -> None:
    records, errors = read(b"\x00\xff\x13garbage\n" * 50_000)
    assert records == []
    assert len(errors) <= 8
    assert any("no Windows event in the first 1000 lines" in e.message for e in errors)


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_exports_are_read(codec: str) -> None:
    text = json.dumps(FLAT) + "\r\n" + json.dumps(ECS) + "\r\n"
    data = text.encode(codec)  # "utf-16" writes a BOM, the others none (as some tools do)
    records, errors = read(data)
    assert errors == []
    assert [(r.event_id, r.line) for r in records] == [(1, 1), (6, 2)]


def test_utf16_without_newline_at_block_edges() -> None:
    lines = [json.dumps({**FLAT, "RecordNumber": n}) for n in range(3000)]
    data = codecs.BOM_UTF16_LE + "\n".join(lines).encode("utf-16-le")
    records, errors = read(data)
    assert errors == [] and [r.record_id for r in records] == list(range(3000))


def test_json_array_and_pretty_object_documents() -> None:
    array = json.dumps([FLAT, {"x": 1}, ECS], indent=2).encode()
    records, errors = read(array)
    assert [r.event_id for r in records] == [1, 6]
    assert len(errors) == 1 and "element 2" in errors[0].message
    pretty = json.dumps(FLAT, indent=4).encode("utf-8")
    records, errors = read(pretty)
    assert [r.event_id for r in records] == [1] and errors == []
    records, errors = read(array, max_document=100)
    assert records == [] and "larger than" in errors[0].message
    records, errors = read(b'[{"EventID": 1,')
    assert records == [] and "not valid JSON" in errors[0].message


def test_cut_last_line(tmp_path: Path) -> None:
    records, errors = read(json.dumps(FLAT).encode() + b"\n" + json.dumps(FLAT).encode()[:50])
    assert len(records) == 1 and errors[0].line == 2


def test_analyzer_coverage_and_hostname(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    other = {
        **FLAT,
        "Channel": "Security",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "EventID": 4624,
        "TimeCreated": "2021-03-13T00:00:00Z",
    }
    path.write_text("\n".join(json.dumps(d) for d in (FLAT, other, FLAT)) + "\n", encoding="utf-8")
    result = analyze(path, rel="EX01/export.jsonl")
    total = result.coverage["EventLog"]
    assert (total.files, total.records) == (1, 3)
    assert total.first == datetime(2021, 3, 13, tzinfo=UTC)
    assert total.last == datetime(2021, 3, 14, 1, 40, 15, 342000, tzinfo=UTC)
    assert result.coverage["EventLog/Security"].records == 1
    assert result.coverage["EventLog/Microsoft-Windows-Sysmon/Operational"].records == 2
    (host,) = result.observations
    assert (host.kind, host.value, host.source) == ("hostname", "EX01.corp.example", "EX01/export.jsonl")
    assert host.note == "Computer field of 3 events"


def test_missing_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    file = EvidenceFile(FileRef(str(tmp_path / "gone.evtx")), "gone.evtx", ArtefactKind.EVTX, 100)
    result = registry()["events"].analyze(file, CTX)
    assert result.findings == [] and len(result.errors) == 1 and "cannot read" in result.errors[0].message


def test_not_an_evtx_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.evtx"
    path.write_bytes(b"MZ" + b"\x00" * 5000)
    result = analyze(path, ArtefactKind.EVTX)
    assert [e.message for e in result.errors] == ["not an EVTX file (no ElfFile signature): skipped"]
    assert result.coverage["EventLog"].records == 0


def test_analyzer_is_registered_for_both_kinds() -> None:
    analyzer = registry()["events"]
    assert analyzer.kinds == frozenset({ArtefactKind.EVTX, ArtefactKind.EVENT_JSON})


# --- EVTX from the shared samples ---------------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.shared
def test_corrupt_chunk_is_skipped_and_reading_goes_on(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "evtx" / "plaso" / "System.evtx"
    damaged = bytearray(source.read_bytes())
    chunk = 4096 + 3 * 65536
    damaged[chunk : chunk + 8] = b"XXXXXXXX"  # chunk 3 loses its signature
    path = tmp_path / "System.evtx"
    path.write_bytes(bytes(damaged))
    before = _sha256(path)
    result = analyze(path, ArtefactKind.EVTX)
    assert _sha256(path) == before  # evidence is read, never written
    read = result.coverage["EventLog"].records
    assert 4000 < read < 5009
    messages = [e.message for e in result.errors]
    assert any(m.startswith("unreadable EVTX chunk skipped: ") and "chunk" in m for m in messages)
    assert f"1 unreadable chunk(s) or record(s) skipped; {read} records read" in messages


@pytest.mark.shared
def test_evtx_inside_a_zip_from_memory_and_spooled(shared_data: Path, tmp_path: Path) -> None:
    sample = shared_data / "evtx" / "EVTX-ATTACK-SAMPLES" / "sysmon_10_1_memdump_comsvcs_minidump.evtx"
    archive = tmp_path / "collection.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(sample, "C/Windows/System32/winevt/Logs/Sysmon.evtx")
    file = EvidenceFile(
        FileRef("C/Windows/System32/winevt/Logs/Sysmon.evtx", archive=str(archive)),
        "collection.zip/C/Windows/System32/winevt/Logs/Sysmon.evtx",
        ArtefactKind.EVTX,
        sample.stat().st_size,
    )
    spooled = HostContext("EX01", None, HuntOptions(settings={"evtx_memory_bound": 0}))
    for ctx in (CTX, spooled):
        result = registry()["events"].analyze(file, ctx)
        assert result.errors == []
        assert result.coverage["EventLog"].records == 6
        assert {f.rule_id for f in result.findings} == {"EXH-EVT-COMSVCS-MINIDUMP"}
        assert result.findings[0].evidence.path == file.rel_path


@pytest.mark.shared
def test_copy_of_evtx_keeps_its_bytes(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "System2.evtx"
    shutil.copyfile(shared_data / "evtx" / "plaso" / "System2-truncated.evtx", path)
    before = _sha256(path)
    analyze(path, ArtefactKind.EVTX)
    assert _sha256(path) == before


def test_other_tools_json_lines_give_one_message() -> None:
    rows = b"\n".join(json.dumps({"Name": f"svc{n}", "PathName": "C:\\x.exe"}).encode() for n in range(500))
    records, errors = read(rows)
    assert records == []
    assert [e.message for e in errors] == [
        "not a Windows event export: the first 20 JSON objects have no channel or event id; file skipped"
    ]
    records, errors = read(b'{"export": "header"}\n' + json.dumps(FLAT).encode())
    assert len(records) == 1
    assert [e.message for e in errors] == ["1 JSON lines before the first event are not Windows events, skipped"]


def test_hostile_nesting_and_odd_values_do_not_stop_reading() -> None:
    deep: object = "x"
    for _ in range(900):
        deep = [deep]
    nested_data: dict = {"Data": "y"}
    for _ in range(50):
        nested_data = {"Data": nested_data}
    docs = [
        {**FLAT, "CommandLine": deep, "Image": {"a": 1}, "ProcessId": 1e308, "User": True},
        {"Event": {"System": {"EventID": {"#text": {"#text": 4}}, "Channel": "X"}, "EventData": nested_data}},
        {"EventID": "4688" * 10, "Channel": None, "TimeCreated": {"nested": [1, 2]}},
        FLAT,
    ]
    records, errors = read(b"\n".join(json.dumps(d).encode() for d in docs))
    assert errors == [] and len(records) == 4
    first = records[0]
    assert first.get("CommandLine").startswith("[[[") and first.get("Image") == '{"a":1}'
    assert first.get("User") == "true"
    assert records[1].event_id is None and records[2].event_id is None and records[2].timestamp is None
