"""A host's findings moved to a private temporary file are read back equal, in their order, and
every output written from them is the same bytes as from the findings in memory; a spill that
cannot be written keeps them in memory and the host says so."""

from __future__ import annotations

import copy
import dataclasses
import gc
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exhunt.codec import to_data
from exhunt.fleet import findingspill, jsonpieces
from exhunt.fleet.findingspill import SpilledFindings
from exhunt.fleet.outputs import HuntSink, JsonStream, spill_findings
from exhunt.model import Finding, HostAssessment, ProblemKind, in_order
from exhunt.report.findings_jsonl import FindingsStream
from exhunt.report.timeline import TimelineStream
from hostile_strategies import findings, hosts
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


def test_findings_that_cannot_be_spilled_stay_in_memory_and_the_host_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    host = _many(200)
    held = list(host.findings)
    disks: list[_FullDisk] = []

    def full(*args: Any, **kwargs: Any) -> _FullDisk:
        disks.append(_FullDisk())
        return disks[-1]

    monkeypatch.setattr(findingspill.tempfile, "TemporaryFile", full)
    errors = len(host.errors)
    spill_findings(host)
    assert host.findings == held and isinstance(host.findings, list)
    assert disks and all(d.closed for d in disks)
    (problem,) = host.errors[errors:]
    assert problem.kind is ProblemKind.PARTIAL and not problem.kind.blocks_clean
    assert "200 findings could not be moved to a temporary file" in problem.message
    assert "No space left" in problem.message and "kept in memory" in problem.message


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
