"""A host's findings moved to a private temporary file are read back equal, in their order, and
every output written from them is the same bytes as from the findings in memory; a spill that
cannot be written keeps them in memory and the host notes it; findings that cannot be read back
fail the output being written, which says why, and the hunt goes on."""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exhunt.codec import to_data
from exhunt.fleet import findingspill, jsonpieces
from exhunt.fleet.findingrows import FACETS, text
from exhunt.fleet.findingspill import SpilledFindings
from exhunt.fleet.hunt_log import finding_rows
from exhunt.fleet.outputs import HuntSink, JsonStream, spill_findings
from exhunt.model import Finding, HostAssessment, ObservationKind, Verdict, in_order, iso
from exhunt.report.findings_jsonl import FindingsStream
from exhunt.report.timeline import TimelineStream
from hostile_strategies import findings, hosts
from test_findingpack import FULL
from test_report_fixtures import compromised_host

STARTED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_TEMPORARY_FILE = tempfile.TemporaryFile  # the real one, before a test replaces it


@given(st.lists(findings(), max_size=12))
def test_spilled_findings_read_back_equal_in_their_order(found: list[Finding]) -> None:
    spilled = SpilledFindings(found)
    try:
        assert len(spilled) == len(found)
        assert list(spilled) == found and spilled == found and found == spilled
        assert [spilled[i] for i in range(-len(found), len(found))] == found + found
        assert spilled[1:3] == found[1:3]
        assert list(spilled.texts()) == [jsonpieces.finding_text(to_data(f)) for f in found]
        keys = [f.sort_key() for f in found]
        assert spilled.ordered == (keys == sorted(keys))
        assert list(in_order(spilled)) == sorted(found, key=Finding.sort_key)
        assert copy.deepcopy(spilled) == found  # a copy (or a pickle) holds them in memory
        with pytest.raises(IndexError):
            spilled[len(found)]
    finally:
        spilled.close()


@given(hosts(), st.lists(findings(), max_size=6))
def test_a_host_written_from_spilled_findings_is_the_same_bytes(host: HostAssessment, more: list[Finding]) -> None:
    host.findings = [*host.findings, *more]
    whole = json.dumps(host.to_dict(), indent=2, ensure_ascii=True)
    record = json.dumps(host.to_dict(), ensure_ascii=True)
    finished = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
    document = "".join(jsonpieces.host_document_pieces(host, STARTED, finished))
    spill_findings(host)
    assert isinstance(host.findings, SpilledFindings) or not host.findings
    assert "".join(jsonpieces.host_pieces(host)) == whole
    assert "".join(jsonpieces.host_pieces(host, "    ")) == whole.replace("\n", "\n    ")
    assert jsonpieces.host_record(host) == record
    assert "".join(jsonpieces.host_document_pieces(host, STARTED, finished)) == document
    assert json.dumps(host.to_dict(), ensure_ascii=True) == record


def _many(n: int) -> HostAssessment:
    host = compromised_host("\\ \u00e9")
    base = host.findings
    host.findings = [
        dataclasses.replace(f, evidence=dataclasses.replace(f.evidence, line=i + 1))
        for i, f in enumerate(base[i % len(base)] for i in range(n))
    ]
    host.findings = sorted(host.findings, key=Finding.sort_key)
    return host


def _row_as_made_from_the_finding(f: Finding) -> dict[str, Any]:
    """A finding's store row as made from the finding itself (before the rows were kept)."""
    facets = {k: data for k in FACETS if (v := getattr(f, k)) and (data := to_data(v))}
    return {
        "rule_id": text(f.rule_id),
        "severity": str(f.severity),
        "implies": str(f.implies),
        "chain": text(f.chain),
        "path": text(f.evidence.path),
        "line": f.evidence.line,
        "timestamp": iso(f.timestamp),
        "source_ip": text(f.source_ip),
        "facets": json.dumps(facets, ensure_ascii=True),
    }


@given(st.lists(findings(), max_size=8))
def test_the_store_rows_kept_beside_spilled_findings_are_those_of_the_findings(found: list[Finding]) -> None:
    found = found + list(_many(12).findings) + [FULL]  # with every facet, accounts and events too
    host = HostAssessment("EX01", Verdict.SUSPICIOUS, findings=found)
    where = {"hunt_id": 7, "root": "k", "host": "EX01"}
    expected = [where | _row_as_made_from_the_finding(f) for f in found]
    assert list(finding_rows(7, host, "k")) == expected  # held in memory: made here
    host.findings = SpilledFindings(found)
    try:
        assert list(host.findings.rows()) != [] and list(finding_rows(7, host, "k")) == expected
    finally:
        host.findings.close()


def test_every_streamed_output_is_the_same_from_spilled_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exhunt.fleet.outputs as outputs

    def written(folder: Path) -> dict[str, bytes]:
        folder.mkdir()
        (folder / "hosts").mkdir()
        host = _many(3000)
        streams: dict[str, Any] = {
            "timeline": TimelineStream(str(folder / "t.csv"), safe=True),
            "csv": TimelineStream(str(folder / "f.csv"), safe=True, fmt="csv", undated=True),
            "jsonl": FindingsStream(str(folder / "f.jsonl"), STARTED),
        }
        sink = HuntSink(
            started=STARTED,
            out_dir=folder / "hosts",
            json=JsonStream(str(folder / "all.json"), STARTED),
            streams=streams,
            keep=True,
        )
        sink.host_done("k", host)
        sink.close(interrupted=False)
        kept = sink.kept[0].findings
        assert isinstance(kept, SpilledFindings) == (outputs.spill_findings is spill_findings)
        assert kept == _many(3000).findings  # readable to the end, as a kept host needs
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return {str(p.relative_to(folder)): p.read_bytes() for p in files}

    spilled = written(tmp_path / "spilled")
    monkeypatch.setattr(outputs, "spill_findings", lambda host: None)  # the findings held in memory
    held = written(tmp_path / "held")
    assert spilled.keys() == held.keys() and len(spilled) == 5
    for name, data in spilled.items():
        # the JSON outputs carry the time they were written: the same bytes apart from it
        timed = name == "all.json" or name.startswith("hosts/")
        assert (_no_times(data) == _no_times(held[name])) if timed else (data == held[name]), name


def _no_times(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if b'"finished"' not in line]


class _FullDisk:
    def __init__(self) -> None:
        self._file = _TEMPORARY_FILE()

    def write(self, data: bytes) -> int:
        if self._file.tell() + len(data) > 5000:
            raise OSError(28, "No space left on device")
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def test_findings_that_cannot_be_spilled_stay_in_memory_and_the_host_notes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing was lost and no evidence went unread: a notice, not a problem (no problem, of
    any kind, is added; the verdict assessed before stands)."""
    host = _many(200)
    held = list(host.findings)
    disks: list[_FullDisk] = []

    def full(*args: Any, **kwargs: Any) -> _FullDisk:
        disks.append(_FullDisk())
        return disks[-1]

    monkeypatch.setattr(findingspill.tempfile, "TemporaryFile", full)
    errors, observations, verdict = list(host.errors), len(host.observations), host.verdict
    spill_findings(host)
    assert host.findings == held and isinstance(host.findings, list)
    assert disks and all(d.closed for d in disks)
    assert host.errors == errors and host.verdict is verdict
    (notice,) = host.observations[observations:]
    assert notice.kind is ObservationKind.NOTICE
    assert "200 findings could not be moved to a temporary file" in notice.value
    assert "No space left" in notice.value and "kept in memory" in notice.value


def test_the_spill_file_is_private_and_closed_with_the_findings() -> None:
    into = findingspill.SpillFile()
    spilled = SpilledFindings(_many(20).findings, into=into)
    other = SpilledFindings(_many(3).findings, into=into)
    fd = into.fileno()
    del into
    st_ = os.fstat(fd)
    assert st_.st_mode & 0o077 == 0 and st_.st_nlink == 0  # no one else's, and no name left behind
    del spilled
    gc.collect()
    assert os.fstat(fd) and len(list(other)) == 3  # still read by another host's findings
    del other
    gc.collect()
    with pytest.raises(OSError):
        os.fstat(fd)


def test_hosts_kept_to_the_end_share_one_open_file() -> None:
    """Thousands of hosts held for STIX, MISP or the console's details: one descriptor, not one each."""
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    kept = [SpilledFindings(_many(2).findings) for _ in range(1500)]
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) - before <= 1
    assert len({id(k._spill) for k in kept}) == 1
    assert [len(list(k)) for k in kept[:3]] == [2, 2, 2] and list(kept[-1]) == list(_many(2).findings)


def test_spilled_findings_are_made_valid_unicode_for_stix() -> None:
    """The STIX writer's copy of the hunt with every string valid Unicode reaches spilled findings."""
    from exhunt.report.safe_text import unicode_safe

    host = _many(3)
    f = host.findings[0]
    host.findings = [dataclasses.replace(f, evidence=dataclasses.replace(f.evidence, path="sh\udcffell.aspx"))]
    spill_findings(host)
    assert isinstance(host.findings, SpilledFindings)
    clean = unicode_safe(host)
    assert isinstance(clean.findings, list) and clean.findings[0].evidence.path == "sh%FFell.aspx"


class _BadDisk:
    """A spill file whose reads fail as a failing disk's do (or give other bytes back) once
    `failing` is set."""

    def __init__(self, file: Any, how: str) -> None:
        self._file = file
        self.how = how
        self.failing = False

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._file.read(size)
        if not self.failing:
            return data
        if self.how == "eio":
            raise OSError(5, "Input/output error")
        if self.how == "short":
            return data[: len(data) // 2]
        return bytes(len(data))  # zeros where the findings were

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _failing_spill(monkeypatch: pytest.MonkeyPatch, how: str, at_once: bool = False) -> list[_BadDisk]:
    """Spill files (only they: not the outputs' spools) on a disk that fails reads, from the
    start (`at_once`) or once a test sets `failing`."""
    disks: list[_BadDisk] = []
    real_init = findingspill.SpillFile.__init__

    def on_bad_disk(self: findingspill.SpillFile) -> None:
        real_init(self)
        disks.append(_BadDisk(self._file, how))
        disks[-1].failing = at_once
        self._file = disks[-1]

    monkeypatch.setattr(findingspill.SpillFile, "__init__", on_bad_disk)
    monkeypatch.setattr(findingspill, "_shared", None)  # a spill file of this test's making
    return disks


@pytest.mark.parametrize(
    ("how", "said"),
    [("eio", "Input/output error"), ("short", "bytes short"), ("zeros", "does not decode")],
)
def test_findings_that_cannot_be_read_back_raise_naming_the_temporary_file(
    monkeypatch: pytest.MonkeyPatch, how: str, said: str
) -> None:
    disks = _failing_spill(monkeypatch, how)
    spilled = SpilledFindings(_many(5).findings)
    assert list(spilled) == _many(5).findings
    disks[0].failing = True
    readers: list[Callable[[], object]] = [lambda: list(spilled), lambda: spilled[0], lambda: list(spilled.rows())]
    if how != "zeros":  # the JSON text is taken as it is (zeros are ASCII): only the findings decode
        readers.append(lambda: list(spilled.texts()))
    for read in readers:
        with pytest.raises(findingspill.SpillReadError, match=said) as raised:
            read()
        assert isinstance(raised.value, OSError)
        assert "the findings kept in a temporary file cannot be read back" in str(raised.value)


def test_an_output_whose_findings_cannot_be_read_back_fails_with_its_reason_and_the_hunt_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disks = _failing_spill(monkeypatch, "eio")
    shown: list[str] = []

    def show(host: HostAssessment) -> None:
        shown.append(host.host)
        list(host.findings)

    streams: dict[str, Any] = {
        "timeline": TimelineStream(str(tmp_path / "t.csv"), safe=True),
        "jsonl": FindingsStream(str(tmp_path / "f.jsonl"), STARTED),
    }
    (tmp_path / "hosts").mkdir()
    sink = HuntSink(
        started=STARTED,
        out_dir=tmp_path / "hosts",
        json=JsonStream(str(tmp_path / "all.json"), STARTED),
        streams=streams,
        keep=True,
        show=show,
    )
    host = _many(20)
    spill_findings(host)
    disks[0].failing = True
    sink.host_done("k", host)  # raises nothing: each output says why it failed
    sink.close(interrupted=False)
    cause = "the findings kept in a temporary file cannot be read back: [Errno 5] Input/output error"
    assert len(sink.failures) == 5, sink.failures
    for name in ("json", "timeline", "jsonl"):
        assert sink.dropped(name)
        (said,) = [f for f in sink.failures if f.startswith(f"cannot write --{name} ")]
        assert cause in said and said.endswith("; not written")
    assert any(f.startswith(f"cannot write --out-dir {tmp_path / 'hosts'}: ") and cause in f for f in sink.failures)
    assert any(f.startswith(f"cannot show {host.host}: ") and cause in f for f in sink.failures)
    assert shown == [host.host] and len(sink.summaries) == 1 and sink.summaries[0].findings == 20
    # nothing part-written is left to pass for a whole output
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["hosts"]


def test_a_hunt_whose_findings_cannot_be_read_back_says_which_output_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import REPO
    from exhunt.cli import main

    _failing_spill(monkeypatch, "eio", at_once=True)
    out = tmp_path / "all.json"
    code = main(["hunt", str(REPO / "examples"), "--json", str(out), "--jsonl", "-", "--no-db", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    said = " ".join(err.split())
    assert f"cannot write --json {out}: the findings kept in a temporary file cannot be read back" in said
    assert "cannot write --jsonl -: the findings kept in a temporary file cannot be read back" in said
    assert not out.exists()


class _FailingStore:
    """A hunt store that takes the first host and then cannot be written."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        self.status = ""

    def start_hunt(self, *, tool_version: str, evidence: str, hosts_total: int) -> int:
        return 1

    def add_host(self, hunt_id: int, host: HostAssessment, key: str | None = None) -> None:
        if self.hosts:
            from exhunt.fleet.hunt_log import HuntStoreError

            raise HuntStoreError("cannot write the hunt store s.sqlite: disk I/O error")
        self.hosts.append(host.host)

    def finish_hunt(self, hunt_id: int, status: str) -> None:
        self.status = status


def test_a_store_that_fails_mid_hunt_is_said_and_the_other_outputs_are_written(tmp_path: Path) -> None:
    store = _FailingStore()
    sink = HuntSink(started=STARTED, store=store, hunt_id=1, json=JsonStream(str(tmp_path / "all.json"), STARTED))
    first, second, third = _many(2), _many(3), _many(4)
    second.host, third.host = "EX02", "EX03"
    for i, host in enumerate((first, second, third)):
        sink.host_done(str(i), host)
    sink.close(interrupted=False)
    assert store.hosts == [first.host] and store.status == "interrupted"  # left to be resumed
    assert sink.failures == [
        "cannot write the hunt store s.sqlite: disk I/O error; EX02 and the hosts after it were not stored"
    ]
    assert len(json.loads((tmp_path / "all.json").read_text())["hosts"]) == 3


def test_ctrl_c_while_the_outputs_are_written_leaves_the_stored_hunt_to_be_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The hunt is over but an output is still being written (a slow reader of standard output):
    Ctrl-C there must not leave the stored hunt `running` for ever, nor end without saying what."""
    from conftest import REPO
    from exhunt.cli import main

    def stopped(self: FindingsStream) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(FindingsStream, "close", stopped)
    db = tmp_path / "hunts.sqlite"
    out = tmp_path / "f.jsonl"
    code = main(["hunt", str(REPO / "examples"), "-q", "--jsonl", str(out), "--db", str(db), "--jobs", "1"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 130 and "Traceback" not in err
    assert f"interrupted while writing --jsonl {out}: it and the outputs after it were not written." in err
    assert not out.exists(), "an output is written whole or not at all"
    assert f"exhunt report --hunt 1 --db {db} writes the outputs again" in err
    assert "resume with: exhunt hunt" in err and "--resume 1" in err
    assert main(["fleet", "hunts", "--db", str(db)]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if str(REPO / "examples") in line]
    assert "interrupted" in row and "running" not in row


def test_an_output_that_fails_leaves_the_previous_file_and_a_fifo_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The README promises the previous file, never a cut one; an output that failed as it was
    # written was unlinked by name instead, which removed the previous report, a FIFO, or a
    # device given as the output (/dev/full, when run as root).
    import errno
    import threading

    from conftest import REPO
    from exhunt.cli import main
    from exhunt.fleet.spool import SpooledOutput

    def full(self: SpooledOutput, out: Any, parts: Any) -> None:
        out.write("half a report")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(SpooledOutput, "write_parts", full)
    previous = tmp_path / "previous.jsonl"
    previous.write_text("the report of yesterday\n")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    drained: list[bytes] = []
    reader = threading.Thread(target=lambda: drained.append(fifo.read_bytes()), daemon=True)
    reader.start()
    args = ["hunt", str(REPO / "examples"), "--no-db", "--jobs", "1", "-q"]
    code = main([*args, "--jsonl", str(previous), "--csv", str(fifo)])
    reader.join(10)
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2 and f"cannot write --jsonl {previous}: [Errno 28]" in err and f"cannot write --csv {fifo}" in err
    assert previous.read_text() == "the report of yesterday\n"
    assert fifo.is_fifo()
