"""A host's listing kept packed gives back the same files, in the same order, as the list it was
made from; and the hunt's units planned over it are the units planned over that list."""

from __future__ import annotations

import pickle
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from exhunt import engine
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.evidence import discover
from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence
from exhunt.evidence.packed import PackedFiles, kinds_of, sizes_of
from exhunt.fleet.queue import plan_units
from exhunt.model import ArtefactKind


def _whole(f: EvidenceFile) -> tuple[object, ...]:
    return (f.ref, f.rel_path, f.kind, f.size, f.mtime, f.windows_path)


def _odd_files() -> list[EvidenceFile]:
    """Files of several places, kinds and times, some sharing a folder, some names not ASCII."""
    east = timezone(timedelta(hours=3))
    return [
        EvidenceFile(FileRef("/e/C/inetpub/a.aspx"), "C/inetpub/a.aspx", ArtefactKind.FILE, 10, 1614556800.25),
        EvidenceFile(FileRef("/e/C/inetpub/b.aspx"), "C/inetpub/b.aspx", ArtefactKind.FILE, 0, None),
        EvidenceFile(
            FileRef("inner/é€.log", "/e/case.zip", ("EX01.tar",)),
            "case.zip/inner/é€.log",
            ArtefactKind.IIS,
            2**40,
            datetime(2021, 3, 2, 5, 0, tzinfo=east),  # not UTC: kept as given
            "C:\\inetpub\\logs\\é€.log",
        ),
        EvidenceFile(FileRef("/e/x"), "x", ArtefactKind.HTTPPROXY, 7, datetime(2021, 3, 2, 5, 0)),  # no zone
        # A name that is not UTF-8 on disk, as Python gives it back (surrogate-escaped).
        EvidenceFile(FileRef("/e/C/inetpub/\udcff.aspx"), "C/inetpub/\udcff.aspx", ArtefactKind.FILE, 1, 0.0),
        EvidenceFile(
            FileRef("/e/C/inetpub/c.aspx"),
            "C/inetpub/c.aspx",
            ArtefactKind.FILE,
            3,
            datetime(2021, 3, 1, tzinfo=UTC),
            "C:\\inetpub\\c.aspx",
        ),
        EvidenceFile(FileRef("/e/C/inetpub/a.aspx"), "C/inetpub/a.aspx", ArtefactKind.FILE, 10, 1614556800.25),
    ]


def test_packed_files_round_trip_in_order() -> None:
    files = _odd_files()
    packed = PackedFiles(files)
    assert len(packed) == len(files)
    assert [_whole(f) for f in packed] == [_whole(f) for f in files]
    assert packed == files and files == list(packed)
    assert all(type(f) is EvidenceFile for f in packed)
    assert _whole(packed[-1]) == _whole(files[-1]) and _whole(packed[2]) == _whole(files[2])
    assert packed[1:3] == files[1:3]
    assert list(kinds_of(packed)) == [f.kind for f in files]
    assert list(sizes_of(packed)) == [f.size for f in files]
    with pytest.raises(IndexError):
        packed[len(files)]
    assert PackedFiles() == [] and len(PackedFiles()) == 0


def test_packed_files_pickle_as_they_are_and_take_more_after() -> None:
    files = _odd_files()
    packed = PackedFiles(files[:4])
    again = pickle.loads(pickle.dumps(packed, pickle.HIGHEST_PROTOCOL))
    assert isinstance(again, PackedFiles)
    assert [_whole(f) for f in again] == [_whole(f) for f in files[:4]]
    for f in files[4:]:  # its place and folder already held: found again, not held twice
        again.append(f)
    assert [_whole(f) for f in again] == [_whole(f) for f in files]
    assert len(again._places) == len({f.held()[0] for f in files})


def test_a_listing_packed_is_the_listing(tmp_path: Path) -> None:
    root = tmp_path / "case" / "EX01" / "C"
    for rel in ("inetpub/wwwroot/aspnet_client/x.aspx", "inetpub/wwwroot/y.aspx", "Windows/Temp/z.txt"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("<%@ Page %>")
    with zipfile.ZipFile(root / "Windows" / "Temp" / "drop.zip", "w") as zf:
        zf.writestr("inner/a.txt", "text")
        zf.writestr("inner/b.aspx", "<% Response.Write(1) %>")
    (host,) = discover(str(tmp_path / "case"))
    assert isinstance(host.files, PackedFiles)  # packed as it is listed
    assert len(host.files) >= 5
    assert [_whole(f) for f in PackedFiles(host.files)] == [_whole(f) for f in host.files]
    shown = sorted(f.rel_path for f in host.files)
    assert [p for p in shown if "drop.zip" not in p] == [
        "EX01/C/Windows/Temp/z.txt",
        "EX01/C/inetpub/wwwroot/aspnet_client/x.aspx",
        "EX01/C/inetpub/wwwroot/y.aspx",
    ]


def _host(sizes: list[int], kinds: list[ArtefactKind]) -> HostEvidence:
    host = HostEvidence("EX01", "/e", "disk-mirror")
    host.files = [
        EvidenceFile(FileRef(f"/e/C/d{n % 7}/f{n}.x"), f"C/d{n % 7}/f{n}.x", kinds[n % len(kinds)], size)
        for n, size in enumerate(sizes)
    ]
    return host


@pytest.mark.parametrize("coarse", [False, True])
def test_units_planned_over_a_packed_listing_are_the_units_over_the_list(coarse: bool) -> None:
    big, solo = engine.BATCH_BYTES // 3, engine.SOLO_BYTES
    # Ties in size (their order is the listing's), files alone, batches cut by size and by count.
    sizes = [5, solo * 2, 5, big, big, 7, solo, big, *[1] * (engine.BATCH_FILES + 3), 5, big]
    host = _host(sizes, [ArtefactKind.FILE, ArtefactKind.IIS, ArtefactKind.HTTPPROXY, ArtefactKind.EVTX])
    packed = HostEvidence(host.name, host.root, host.layout, PackedFiles(host.files))
    ctx = HostContext("EX01", None, HuntOptions())

    def shown(units: list) -> list[list[tuple[object, ...]]]:  # type: ignore[type-arg]
        return [
            [(t.analyzer, _whole(t.file)) if isinstance(t, engine.Task) else t.analyzer for t in u.tasks] for u in units
        ]

    over_list, over_packed = plan_units(0, host, ctx, coarse=coarse), plan_units(0, packed, ctx, coarse=coarse)
    assert shown(over_packed) == shown(over_list)
    # The file tasks in order are `batches(plan_tasks(host))`'s, and a unit never mixes hosts.
    flat = [t for u in over_list for t in u.tasks if isinstance(t, engine.Task)]
    expected = [t for b in engine.batches(engine.plan_tasks(host)) for t in b]
    assert [(t.analyzer, _whole(t.file)) for t in flat] == [(t.analyzer, _whole(t.file)) for t in expected]
    assert [u.seq for u in over_packed] == list(range(len(over_packed)))
    if not coarse:
        cuts = [len([t for t in u.tasks if isinstance(t, engine.Task)]) for u in over_list]
        assert cuts == [len(b) for b in engine.batches(engine.plan_tasks(host))] + [0] * len(engine.host_tasks(host))


def test_files_no_analyzer_reads_are_named_from_a_packed_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = engine.file_analyzers
    monkeypatch.setattr(engine, "file_analyzers", lambda kind: () if kind is ArtefactKind.EVTX else real(kind))
    host = _host([1, 2, 3], [ArtefactKind.EVTX, ArtefactKind.FILE])
    packed = HostEvidence(host.name, host.root, host.layout, PackedFiles(host.files))
    assert [p.path for p in engine.not_analyzed(packed)] == ["C/d0/f0.x", "C/d2/f2.x"]
    assert engine.not_analyzed(packed) == engine.not_analyzed(host)
    assert engine.planned_bytes(packed) == engine.planned_bytes(host)
