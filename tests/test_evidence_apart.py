"""The evidence listed in a forked child comes back the same as listed in the process itself."""

from __future__ import annotations

import os
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from exhunt.engine import host_tasks
from exhunt.evidence import EvidenceUnavailable, discover
from exhunt.evidence.apart import Listed, can_fork, list_apart
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.evidence.containers import add_read_problems, take_read_problems
from exhunt.evidence.tree import Progress
from exhunt.model import ProblemKind

REPO = Path(__file__).resolve().parents[1]

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="listing apart needs fork")


def _evidence(tmp_path: Path) -> Path:
    root = tmp_path / "case"
    page = root / "EX01" / "C" / "inetpub" / "wwwroot" / "aspnet_client" / "x.aspx"
    page.parent.mkdir(parents=True)
    page.write_text('<%@ Page Language="C#" %>')
    (root / "EX01" / "C" / "Windows" / "Temp").mkdir(parents=True)
    with zipfile.ZipFile(root / "EX01" / "C" / "Windows" / "Temp" / "drop.zip", "w") as zf:
        zf.writestr("inner/a.txt", "text")
        zf.writestr("inner/b.aspx", "<% Response.Write(1) %>")
    log = root / "EX02" / "inetpub" / "logs" / "LogFiles" / "W3SVC1" / "u_ex210303.log"
    log.parent.mkdir(parents=True)
    log.write_text("#Fields: date time cs-method cs-uri-stem\n2021-03-03 05:00:00 GET /owa/\n")
    return root


def _listing(path: Path):  # type: ignore[no-untyped-def]
    def work(on_progress: Progress | None) -> list[HostEvidence]:
        return discover(str(path), on_progress=on_progress)

    return work


def _names(host: HostEvidence) -> str:
    return host.name


@needs_fork
def test_a_listing_made_apart_is_the_listing_made_here(tmp_path: Path) -> None:
    root = _evidence(tmp_path)
    here = discover(str(root))
    listed = list_apart(_listing(root), _names)
    assert isinstance(listed, Listed)
    assert listed.outlines == [h.name for h in here]
    apart = listed.hosts()
    assert [h.name for h in apart] == [h.name for h in here]
    for mine, theirs in zip(here, apart, strict=True):
        assert (mine.root, mine.layout, mine.exchange_install, mine.notes, mine.errors) == (
            theirs.root,
            theirs.layout,
            theirs.exchange_install,
            theirs.notes,
            theirs.errors,
        )
        assert mine.files == theirs.files  # ref, shown path, kind, size, time and Windows path
        assert all(type(f) is EvidenceFile for f in theirs.files)
        assert [f.windows_path for f in mine.files] == [f.windows_path for f in theirs.files]
    members = {f.rel_path for h in apart for f in h.files if f.ref.archive is not None}
    assert {p.rsplit("/", 1)[-1] for p in members} == {"a.txt", "b.aspx"}
    assert listed.hosts() is apart  # made once


@needs_fork
def test_progress_comes_from_the_child(tmp_path: Path) -> None:
    seen: list[int] = []
    listed = list_apart(_listing(_evidence(tmp_path)), _names, seen.append)
    files = sum(len(h.files) for h in listed.hosts())
    assert seen and seen[-1] >= files


@needs_fork
def test_what_the_child_raises_is_raised_here(tmp_path: Path) -> None:
    with pytest.raises(EvidenceUnavailable, match="no such file or folder"):
        list_apart(_listing(tmp_path / "missing"), _names)

    def broken(on_progress: Progress | None) -> list[HostEvidence]:
        raise ValueError("a bug in the listing")

    with pytest.raises(ValueError, match="a bug in the listing"):
        list_apart(broken, _names)


@needs_fork
def test_a_child_that_ends_without_an_answer_stops_the_hunt(tmp_path: Path) -> None:
    def dies(on_progress: Progress | None) -> list[HostEvidence]:
        os._exit(7)

    # Listed here instead (another thread running), `dies` would end this process.
    assert can_fork(), "a thread runs beside the test, so the listing would not be made apart"
    with pytest.raises(EvidenceUnavailable, match="exit code 7 without an answer"):
        list_apart(dies, _names)


@needs_fork
def test_problems_met_reading_members_in_the_child_come_back(tmp_path: Path) -> None:
    key = (str(tmp_path / "x.zip"), (), "m.txt")

    def records(on_progress: Progress | None) -> list[HostEvidence]:
        add_read_problems({key: [(ProblemKind.MALFORMED, "CRC mismatch")]})
        return []

    assert list_apart(records, _names).hosts() == []
    assert take_read_problems(*key) == [(ProblemKind.MALFORMED, "CRC mismatch")]


def test_with_another_thread_running_the_listing_is_made_here(tmp_path: Path) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
        pid = os.getpid()
        seen: list[int] = []

        def work(on_progress: Progress | None) -> list[HostEvidence]:
            seen.append(os.getpid())
            return discover(str(_evidence(tmp_path)))

        listed = list_apart(work, _names)
        assert seen == [pid] and listed.outlines == [h.name for h in listed.hosts()]
    finally:
        stop.set()
        thread.join()


def test_the_cache_notes_unit_carries_no_file() -> None:
    (host,) = discover(str(REPO / "examples" / "EX02-clean"))
    assert host.files
    carried = {task.analyzer: task.host.files for task in host_tasks(host)}
    assert carried["cache-notes"] == []


@pytest.mark.skipif(sys.platform == "win32", reason="the hunt lists apart where it can fork")
def test_a_hunt_lists_apart_and_finds_the_same(tmp_path: Path) -> None:
    """The whole command, listing apart, against the same hosts hunted from a listing made here."""
    from exhunt.cli import main
    from exhunt.hunt import hunt_hosts

    root = _evidence(tmp_path)
    out = tmp_path / "out.json"
    assert main(["hunt", str(root), "--json", str(out), "-q", "--no-db"]) in (0, 1, 3)
    import json

    got = json.loads(out.read_text())["hosts"]
    expected = hunt_hosts(discover(str(root))).hosts
    assert sorted(h["host"] for h in got) == sorted(h.host for h in expected)
    for host in expected:
        (mine,) = [h for h in got if h["host"] == host.host]
        assert sorted(f["rule_id"] for f in mine["findings"]) == sorted(f.rule_id for f in host.findings)
        assert sorted(e["path"] for e in mine["errors"]) == sorted(e.path for e in host.errors)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="listing apart needs fork")
def test_the_local_workers_fork_before_the_files_are_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hunt makes the listing's files in its own process only once its workers have forked,
    so they inherit none (the order `exhunt.fleet.run` keeps)."""
    import exhunt.hunt
    from exhunt.cli import main
    from exhunt.evidence import apart

    order: list[str] = []
    made = apart.Listed.hosts

    def hosts(self: Listed[object]) -> list[HostEvidence]:
        order.append("files made")
        return made(self)

    backend = exhunt.hunt.local_backend_for

    def local_backend_for(*args: object, **kwargs: object) -> object:
        order.append("backend")
        return backend(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(apart.Listed, "hosts", hosts)
    monkeypatch.setattr(exhunt.hunt, "local_backend_for", local_backend_for)
    out = tmp_path / "out.json"
    assert main(["hunt", str(_evidence(tmp_path)), "--json", str(out), "-q", "--no-db", "--jobs", "2"]) in (0, 1, 3)
    assert order[:2] == ["backend", "files made"]


def test_a_kept_file_on_disk_is_read_in_one_piece(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read in blocks, its content was held twice while they were joined."""
    import exhunt.evidence.base
    from exhunt.evidence.base import FileRef
    from exhunt.filehunt.reading import BLOCK, read_file
    from exhunt.model import ArtefactKind

    page = tmp_path / "big.aspx"
    page.write_bytes(b"<%-- x --%>" * (3 * BLOCK // 11 + 1))
    reads: list[int] = []
    opened = exhunt.evidence.base.open_evidence

    class Counting:
        def __init__(self, path: str) -> None:
            self.fh = opened(path)

        def __enter__(self) -> Counting:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def read(self, size: int = -1) -> bytes:
            block = self.fh.read(size)
            reads.append(len(block))
            return block

    monkeypatch.setattr(exhunt.evidence.base, "open_evidence", Counting)
    size = page.stat().st_size
    file = EvidenceFile(FileRef(str(page)), "big.aspx", ArtefactKind.FILE, size)
    content = read_file(file, 4 * BLOCK)
    assert content.data == page.read_bytes() and not content.over_limit
    assert reads == [size]
    # Past the limit it is still hashed in blocks, its content not kept.
    reads.clear()
    over = read_file(file, BLOCK)
    assert over.over_limit and over.data is None and len(reads) > 1
