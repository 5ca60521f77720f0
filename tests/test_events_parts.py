"""A large EVTX file read in parts by several workers finds, covers and names what it gives read whole."""

from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exhunt import engine
from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.analyzers import events as event_analyzer
from exhunt.events.evtx_file import chunk_span, read_evtx
from exhunt.events.exports import read_event_export, read_event_export_part
from exhunt.events.record import EventRecord
from exhunt.evidence import discover
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.hunt import hunt_hosts
from exhunt.model import ArtefactKind, HostAssessment, Problem, ProblemKind

HEADER = 4096
CHUNK = 65536


@given(chunks=st.integers(0, 300), tail=st.sampled_from([0, 1, 4000]), count=st.integers(1, 40))
def test_parts_cover_every_byte_once(chunks: int, tail: int, count: int) -> None:
    size = HEADER + chunks * CHUNK + tail
    spans = [chunk_span(size, (k, count)) for k in range(count)]
    assert spans[0][0] == HEADER
    assert spans[-1][1] == size
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end == start  # no gap, no overlap
    for start, end in spans[:-1]:
        assert (start - HEADER) % CHUNK == 0 and (end - HEADER) % CHUNK == 0  # whole chunks


def _big_log(shared_data: Path, folder: Path) -> Path:
    """One EVTX file of every chunk of the shared samples (chunks stand alone, so this is a
    valid log of attack recordings, about 3 MB)."""
    header = b""
    chunks: list[bytes] = []
    for path in sorted((shared_data / "evtx").glob("*/*.evtx")):
        data = path.read_bytes()
        header = header or data[:HEADER]
        chunks += [data[n : n + CHUNK] for n in range(HEADER, len(data) - CHUNK + 1, CHUNK)]
    logs = folder / "Windows" / "System32" / "winevt" / "Logs"
    logs.mkdir(parents=True)
    out = logs / "Security.evtx"
    out.write_bytes(header + b"".join(c for c in chunks if c.startswith(b"ElfChnk\x00")))
    return out


def _hunt(folder: Path, jobs: int) -> HostAssessment:
    (host,) = hunt_hosts(list(discover(str(folder))), HuntOptions(), jobs=jobs).hosts
    return host


def _facts(host: HostAssessment) -> dict[str, Any]:
    return {
        "findings": Counter(
            (f.rule_id, f.evidence.path, f.evidence.record, f.evidence.line, f.timestamp) for f in host.findings
        ),
        "coverage": {k: (s.first, s.last, s.files, s.records) for k, s in host.log_coverage.items()},
        "hosts": sorted((o.value, o.source, o.timestamp, o.note) for o in host.observations if o.kind == "hostname"),
        "errors": sorted((e.path, e.message, e.kind) for e in host.errors),
        "verdict": host.verdict,
    }


@pytest.mark.shared
def test_a_log_read_in_parts_gives_what_it_gives_read_whole(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _big_log(shared_data, tmp_path / "EX01")
    before = hashlib.sha256(log.read_bytes()).hexdigest()
    whole = _facts(_hunt(tmp_path / "EX01", jobs=2))
    assert whole["findings"] and whole["coverage"]["EventLog"][3] > 5000

    monkeypatch.setattr(engine, "SOLO_BYTES", 1 << 20)
    monkeypatch.setattr(event_analyzer, "PART_BYTES", 256 << 10)
    file = EvidenceFile(FileRef(str(log)), "Security.evtx", ArtefactKind.EVTX, log.stat().st_size)
    parts = engine.parts_of(registry()["events"], file, HuntOptions())  # type: ignore[arg-type]
    assert parts == file.size // (256 << 10) > 8  # about 3 MB in parts of 256 KiB
    for jobs in (1, 2):
        assert _facts(_hunt(tmp_path / "EX01", jobs=jobs)) == whole
    assert hashlib.sha256(log.read_bytes()).hexdigest() == before


@pytest.mark.shared
def test_each_part_says_where_it_met_trouble_and_the_last_checks_the_end(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = _big_log(shared_data, tmp_path / "EX01")
    data = bytearray(log.read_bytes())
    data[HEADER + 5 * CHUNK : HEADER + 5 * CHUNK + 8] = b"XXXXXXXX"  # chunk 5 loses its signature
    log.write_bytes(bytes(data[: len(data) - CHUNK // 2]))  # and the last chunk is cut short
    monkeypatch.setattr(engine, "SOLO_BYTES", 1 << 20)
    monkeypatch.setattr(event_analyzer, "PART_BYTES", 1 << 20)
    host = _hunt(tmp_path / "EX01", jobs=2)
    messages = [e.message for e in host.errors]
    parts = "in part 1 of 2 (its chunk 0 is the file's chunk 0)"
    assert sum(m.startswith(f"unreadable EVTX chunk skipped {parts}: ") for m in messages) == 1
    assert sum(m.endswith(f"records read {parts}") for m in messages) == 1
    (end,) = [m for m in messages if "ends inside a chunk" in m]  # said once, by the last part
    assert end.endswith("in part 2 of 2 (its chunk 0 is the file's chunk 23)")
    assert host.verdict != "clean"


def test_only_a_file_on_disk_is_read_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_analyzer, "PART_BYTES", 1 << 20)
    analyzer = registry()["events"]
    size = 40 << 20
    on_disk = EvidenceFile(FileRef("/x/Security.evtx"), "Security.evtx", ArtefactKind.EVTX, size)
    member = EvidenceFile(FileRef("Security.evtx", archive="/x/c.zip"), "c.zip/Security.evtx", ArtefactKind.EVTX, size)
    unopened = EvidenceFile(FileRef("/x/events.json"), "events.json", ArtefactKind.EVENT_JSON, size)
    assert engine.parts_of(analyzer, on_disk, HuntOptions()) == event_analyzer.MAX_PARTS  # type: ignore[arg-type]
    assert engine.parts_of(analyzer, member, HuntOptions()) == 1  # type: ignore[arg-type]
    assert engine.parts_of(analyzer, unopened, HuntOptions()) == 1  # type: ignore[arg-type]  # its reading says why
    small = EvidenceFile(FileRef("/x/System.evtx"), "System.evtx", ArtefactKind.EVTX, engine.SOLO_BYTES - 1)
    assert engine.parts_of(analyzer, small, HuntOptions()) == 1  # type: ignore[arg-type]


def test_a_lost_part_is_named_with_its_part() -> None:
    file = EvidenceFile(FileRef("/x/Security.evtx"), "Security.evtx", ArtefactKind.EVTX, 200 << 20)
    task = engine.Task("events", file, (2, 3))
    (problem,) = engine.lost(task, ProblemKind.TIMED_OUT, "gave no result within 60 s").errors
    assert problem.path == "Security.evtx"
    assert problem.message == "events (part 3 of 3): gave no result within 60 s"
    assert task.size == (200 << 20) // 3
    assert sum(engine.Task("events", file, (k, 3)).size for k in range(3)) == file.size
    assert engine._uncarried(engine._carried(task)) == task


def test_a_part_that_raises_costs_its_part_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "Security.evtx"
    path.write_bytes(b"ElfFile\x00" + bytes(HEADER - 8) + bytes(CHUNK))
    file = EvidenceFile(FileRef(str(path)), "Security.evtx", ArtefactKind.EVTX, path.stat().st_size)

    def boom(*_args: object, **_kw: object) -> None:
        raise RuntimeError("parser bug")

    monkeypatch.setattr(event_analyzer.EventLogAnalyzer, "analyze_part", boom)
    result = engine.run_batch([engine.Task("events", file, (0, 2))], HostContext("EX01", None, HuntOptions()))
    (problem,) = result.errors
    assert problem.kind is ProblemKind.ANALYZER_FAILED
    assert problem.message.startswith("events (part 1 of 2) failed: RuntimeError")


def test_a_large_file_that_is_no_evtx_is_said_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    logs = tmp_path / "EX01" / "Windows" / "System32" / "winevt" / "Logs"
    logs.mkdir(parents=True)
    (logs / "Security.evtx").write_bytes(b"MZ" + bytes(HEADER + 40 * CHUNK))
    monkeypatch.setattr(engine, "SOLO_BYTES", 1 << 20)
    monkeypatch.setattr(event_analyzer, "PART_BYTES", 1 << 20)
    host = _hunt(tmp_path / "EX01", jobs=2)
    assert [(e.message, e.kind) for e in host.errors] == [
        ("not an EVTX file (no ElfFile signature): skipped", ProblemKind.UNSUPPORTED)
    ]
    assert host.log_coverage["EventLog"].files == 1
    assert host.verdict != "clean"


@pytest.mark.shared
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    damage=st.lists(st.tuples(st.integers(0, 33 * CHUNK - 1), st.binary(min_size=1, max_size=16)), max_size=6),
    count=st.integers(2, 9),
)
def test_parts_of_a_damaged_log_read_what_the_whole_reads(
    shared_data: Path, damage: list[tuple[int, bytes]], count: int
) -> None:
    """Chunks stand alone in damage too: whatever is broken, the parts together read the same
    records as the whole file, and lose as many chunks and records."""
    data = bytearray((shared_data / "evtx" / "plaso" / "System.evtx").read_bytes())
    for at, junk in damage:
        at += HEADER  # the header is read once by every part, as by the whole: left whole here
        data[at : at + len(junk)] = junk
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "System.evtx"
        path.write_bytes(bytes(data))
        file = EvidenceFile(FileRef(str(path)), "System.evtx", ArtefactKind.EVTX, len(data))

        def read(part: tuple[int, int] | None) -> tuple[list[tuple[object, ...]], int]:
            errors: list[Problem] = []
            got = [(e.record_id, e.event_id, e.channel, e.timestamp) for e in read_evtx(file, errors, part=part)]
            # the count of every record or chunk lost (each part lists its first five, as a whole file)
            lost = [
                int(e.message.split()[0]) for e in errors if " unreadable chunk(s) or record(s) skipped" in e.message
            ]
            return got, sum(lost)

        whole, broken = read(None)
        pieces = [read((k, count)) for k in range(count)]
    assert [r for got, _ in pieces for r in got] == whole
    assert sum(n for _, n in pieces) == broken


@pytest.mark.shared
@pytest.mark.parametrize("count", [2, 3, 7])
def test_every_shared_sample_read_in_parts_agrees_with_it_read_whole(
    shared_data: Path, tmp_path: Path, count: int
) -> None:
    from fuzz_targets import parts_agree

    samples = sorted((shared_data / "evtx").glob("*/*.evtx"))
    assert len(samples) > 10
    for n, sample in enumerate(samples):
        parts_agree(sample.read_bytes(), tmp_path / str(n), count)  # raises where they differ


def _export(folder: Path, body: bytes) -> Path:
    folder.mkdir(parents=True)
    path = folder / "events.json"
    path.write_bytes(body)
    return path


def _read_export(file: EvidenceFile, part: tuple[int, int] | None) -> tuple[list[EventRecord], list[Problem]]:
    """The events of an export read whole (`part` None) or in one part, and the problems met."""
    errors: list[Problem] = []
    with file.open() as stream:
        events = list(
            read_event_export(stream, "events.json", errors)
            if part is None
            else read_event_export_part(stream, "events.json", errors, part, file.size)
        )
    return events, errors


@pytest.mark.shared
def test_a_large_json_lines_export_read_in_parts_gives_what_it_gives_read_whole(
    otrf_host: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (export,) = otrf_host.glob("*.json")
    whole = _facts(_hunt(otrf_host, jobs=2))
    assert sum(whole["findings"].values()) >= 5 and whole["coverage"]["EventLog"][3] == 10487
    monkeypatch.setattr(engine, "SOLO_BYTES", 1 << 20)
    monkeypatch.setattr(event_analyzer, "PART_BYTES", 1 << 20)
    file = EvidenceFile(FileRef(str(export)), export.name, ArtefactKind.EVENT_JSON, export.stat().st_size)
    assert engine.parts_of(registry()["events"], file, HuntOptions()) == event_analyzer.MAX_EXPORT_PARTS  # type: ignore[arg-type]
    for jobs in (1, 2):
        assert _facts(_hunt(otrf_host, jobs=jobs)) == whole  # lines numbered as in the whole file
    monkeypatch.setattr(event_analyzer, "MAX_EXPORT_PARTS", 16)  # more, smaller parts: the same
    assert _facts(_hunt(otrf_host, jobs=2)) == whole


def test_an_export_that_is_no_json_lines_is_read_whole_by_its_first_part(tmp_path: Path) -> None:
    event = {"Channel": "Security", "EventID": 4624, "Hostname": "EX01", "TimeCreated": "2021-03-03T05:00:00Z"}
    analyzer = registry()["events"]
    for body in (
        json.dumps([event] * 50).encode(),  # one JSON array
        json.dumps(event, indent=2).encode() + b"\n",  # one pretty-printed document
        (json.dumps(event) + "\n").encode("utf-16") * 1,  # UTF-16 lines, as Windows PowerShell writes
    ):
        path = _export(tmp_path / str(len(list(tmp_path.iterdir()))), body)
        file = EvidenceFile(FileRef(str(path)), "events.json", ArtefactKind.EVENT_JSON, len(body))
        ctx = HostContext("EX01", None, HuntOptions())
        whole = analyzer.analyze(file, ctx)  # type: ignore[union-attr]
        parts = [analyzer.analyze_part(file, ctx, (k, 3)) for k in range(3)]  # type: ignore[union-attr]
        assert parts[0].coverage["EventLog"].records == whole.coverage["EventLog"].records > 0
        assert [p.coverage["EventLog"].records for p in parts[1:]] == [0, 0]


_LINE = st.sampled_from(
    [
        b'{"Channel":"Security","EventID":4624,"Hostname":"EX01","TimeCreated":"2021-03-03T05:00:00Z"}',
        b'{"Channel":"MSExchange Management","EventID":1,"Hostname":"EX02","TimeCreated":"2021-03-03T06:00:00Z",'
        b'"Message":"Cmdlet succeeded. Cmdlet New-MailboxExportRequest, parameters -FilePath \\\\\\\\x\\\\y.pst"}',
        b"not json",
        b"",
        b"\r",
        b'{"other":"tool"}',
        b"\xff\xfe\x00junk",
    ]
)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(_LINE, min_size=1, max_size=60), cut=st.booleans(), count=st.integers(2, 7))
def test_json_lines_read_in_parts_are_the_lines_read_whole(lines: list[bytes], cut: bool, count: int) -> None:
    """Wherever the byte shares fall (inside a line, on a line end, in a blank run), each line is
    read once, by the part it starts in, with its number in the whole file."""
    body = b'{"Channel":"System","EventID":7036,"Hostname":"EX01","TimeCreated":"2021-03-03T04:00:00Z"}\n'
    body += b"\n".join(lines) + (b"" if cut else b"\n")
    with tempfile.TemporaryDirectory() as folder:
        path = _export(Path(folder) / "h", body)
        file = EvidenceFile(FileRef(str(path)), "events.json", ArtefactKind.EVENT_JSON, len(body))

        def read(part: tuple[int, int] | None) -> list[tuple[object, ...]]:
            return [(e.line, e.channel, e.event_id, e.computer) for e in _read_export(file, part)[0]]

        whole = read(None)
        assert [r for k in range(count) for r in read((k, count))] == whole


def test_the_part_size_is_a_setting_and_0_reads_every_file_whole(tmp_path: Path) -> None:
    analyzer = registry()["events"]
    file = EvidenceFile(FileRef("/x/Security.evtx"), "Security.evtx", ArtefactKind.EVTX, 300 << 20)
    parts = {
        mb: engine.parts_of(analyzer, file, HuntOptions(settings={"event_part_mb": mb})) for mb in (0, 16, 100, 200)
    }  # type: ignore[arg-type]
    assert parts == {0: 1, 16: event_analyzer.MAX_PARTS, 100: 3, 200: 1}
    assert engine.parts_of(analyzer, file, HuntOptions()) == 300 // 64  # type: ignore[arg-type]


def test_a_negative_part_size_is_refused_on_the_command_line(tmp_path: Path) -> None:
    from exhunt.cli import main

    assert main(["hunt", str(tmp_path), "--event-part-mb", "-1", "--no-db"]) == 2


def test_a_part_starting_in_a_long_run_of_junk_does_not_give_up_the_events_after_it(tmp_path: Path) -> None:
    """A whole reading that has met events counts bad lines and reads on; a later part starts
    without having met any, and must read on all the same (before, 1,000 bad lines at its start
    made it skip the rest of its share as "not an event export")."""
    event = b'{"Channel":"Security","EventID":4624,"Hostname":"EX01","TimeCreated":"2021-03-03T05:00:00Z"}\n'
    body = event * 200 + b"junk\n" * 3000 + event * 200
    path = _export(tmp_path / "h", body)
    file = EvidenceFile(FileRef(str(path)), "events.json", ArtefactKind.EVENT_JSON, len(body))

    def read(part: tuple[int, int] | None) -> tuple[list[int | None], list[Problem]]:
        events, errors = _read_export(file, part)
        return [e.line for e in events], errors

    whole, _ = read(None)
    first, _ = read((0, 2))
    second, errors = read((1, 2))
    assert len(whole) == 400 and first + second == whole
    assert not any(e.kind is ProblemKind.UNSUPPORTED for e in errors)
    assert any("lines skipped in all: line is not JSON" in e.message for e in errors)
