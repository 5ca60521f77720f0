"""A host's record reaches the hunt store from a private temporary file a block at a time: the
stored text is the one `json.dumps` writes for the whole host, stored as text, on every writer;
the temporary file is gone afterwards; a record that cannot be spilled or read back is an
error, and the host's earlier row stays as it was."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from exhunt.fleet import hunt_log
from exhunt.fleet.hunt_log import RECORD_BLOCK, HuntStoreError, SpilledRecord, SqliteHuntLog
from exhunt.fleet.store import HuntStore, _meta
from exhunt.model import HostAssessment
from test_report_fixtures import clean_host, compromised_host

PG = os.environ.get("EXHUNT_TEST_PG")
_TEMPORARY_FILE = tempfile.TemporaryFile  # the real one, before a test replaces it


def many_findings(n: int) -> HostAssessment:
    """A compromised host with `n` findings, one of them holding text COPY and JSON escape."""
    host = compromised_host("\\ tab\there\nline \u00e9 \x7f")
    base = host.findings
    findings = []
    for i in range(n):
        f = base[i % len(base)]
        findings.append(dataclasses.replace(f, evidence=dataclasses.replace(f.evidence, line=i + 1)))
    host.findings = findings
    return host


def _whole(host: HostAssessment) -> str:
    return json.dumps(host.to_dict(), ensure_ascii=True)


class _Writers:
    """Each writer of a running hunt, on a fresh store."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp

    def sqlite_log(self) -> tuple[Any, Path]:
        db = self.tmp / "log.sqlite"
        HuntStore(str(db)).close()  # the schema, as the first hunt makes it
        log = SqliteHuntLog.open(str(db))
        assert log is not None
        return log, db

    def sqlite_store(self) -> tuple[Any, Path]:
        db = self.tmp / "store.sqlite"
        return HuntStore(str(db)), db


@pytest.fixture(params=["sqlite-log", "sqlite-store", "postgresql"])
def writer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Path | None]]:
    w: Any
    db: Path | None = None
    if request.param == "sqlite-log":
        w, db = _Writers(tmp_path).sqlite_log()
    elif request.param == "sqlite-store":
        w, db = _Writers(tmp_path).sqlite_store()
    else:
        if not PG:
            pytest.skip("EXHUNT_TEST_PG is not set (`.ci/run` starts a PostgreSQL on loopback and sets it)")
        w = HuntStore(PG)
        _meta.drop_all(w._engine)  # each test starts from an empty schema
        w.close()
        w = HuntStore(PG)
    yield w, db
    w.close()


def _stored(writer: Any, db: Path | None, hunt: int) -> tuple[str, str, int]:
    """(record, its SQL type, count of findings rows) of the one host stored in `hunt`."""
    if db is not None:
        with sqlite3.connect(db) as conn:
            record, kind = conn.execute(
                "SELECT record, typeof(record) FROM hosts WHERE hunt_id = ?", (hunt,)
            ).fetchone()
            count = conn.execute("SELECT count(*) FROM findings WHERE hunt_id = ?", (hunt,)).fetchone()[0]
        return record, kind, count
    import sqlalchemy as sa

    with writer._engine.connect() as conn:
        record, kind = conn.execute(
            sa.text("SELECT record, pg_typeof(record)::text FROM hosts WHERE hunt_id = :h"), {"h": hunt}
        ).one()
        count = conn.execute(sa.text("SELECT count(*) FROM findings WHERE hunt_id = :h"), {"h": hunt}).scalar()
    return record, "text", int(count)


def test_a_record_of_thousands_of_findings_is_the_whole_dump(writer: tuple[Any, Path | None]) -> None:
    w, db = writer
    host = many_findings(4000)
    whole = _whole(host)
    assert len(whole) > 2 * RECORD_BLOCK  # read back in several blocks
    hunt = w.start_hunt(tool_version="t", evidence="e", hosts_total=1)
    w.add_host(hunt, host, "k\\\t\n")
    w.add_host(hunt, host, "k\\\t\n")  # replaced, not doubled
    record, kind, count = _stored(w, db, hunt)
    assert record == whole and kind == "text"
    assert count == 4000
    if isinstance(w, HuntStore):
        (back,) = list(w.assessments(hunt))
        assert back.to_dict() == host.to_dict()


def test_the_spilled_record_is_private_and_gone_afterwards(
    writer: tuple[Any, Path | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, _db = writer
    opened: list[IO[bytes]] = []
    real = _TEMPORARY_FILE

    def watched(*args: Any, **kwargs: Any) -> IO[bytes]:
        f = real(*args, **kwargs)
        opened.append(f)
        mode = os.fstat(f.fileno()).st_mode
        assert stat.S_IMODE(mode) & 0o077 == 0  # no one else can read it
        assert os.fstat(f.fileno()).st_nlink == 0  # no name: gone with the process
        return f

    monkeypatch.setattr(hunt_log.tempfile, "TemporaryFile", watched)
    hunt = w.start_hunt(tool_version="t", evidence="e", hosts_total=2)
    w.add_host(hunt, many_findings(50), "a")
    w.add_host(hunt, clean_host(), "b")
    assert len(opened) == 2 and all(f.closed for f in opened)


class _FullDisk:
    """A temporary file that takes `room` bytes, then fails as a full disk does."""

    def __init__(self, room: int) -> None:
        self._file = _TEMPORARY_FILE()
        self.room = room

    def write(self, data: bytes) -> int:
        if self._file.tell() + len(data) > self.room:
            raise OSError(28, "No space left on device")
        return self._file.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _one_host_stored(w: Any) -> tuple[int, HostAssessment]:
    """A hunt with one host of ten findings stored under the key `k`: the row a failed
    rewrite must leave as it was."""
    first = many_findings(10)
    hunt = w.start_hunt(tool_version="t", evidence="e", hosts_total=1)
    w.add_host(hunt, first, "k")
    return hunt, first


def test_a_record_that_cannot_be_spilled_is_an_error_and_the_earlier_row_stays(
    writer: tuple[Any, Path | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, db = writer
    hunt, first = _one_host_stored(w)
    disks: list[_FullDisk] = []

    def full(*args: Any, **kwargs: Any) -> _FullDisk:
        disks.append(_FullDisk(20_000))
        return disks[-1]

    monkeypatch.setattr(hunt_log.tempfile, "TemporaryFile", full)
    with pytest.raises(HuntStoreError, match=r"could not be spilled.*No space left"):
        w.add_host(hunt, many_findings(500), "k")
    assert disks and all(d.closed for d in disks)
    record, _kind, count = _stored(w, db, hunt)
    assert record == _whole(first) and count == 10


def test_a_record_read_back_short_is_an_error_and_nothing_half_written_stays(
    writer: tuple[Any, Path | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, db = writer
    hunt, first = _one_host_stored(w)

    def short(self: SpilledRecord) -> Iterator[bytes]:
        self._file.seek(0)
        yield self._file.read(1000)
        raise OSError("the spilled record ended early")

    monkeypatch.setattr(SpilledRecord, "blocks", short)
    with pytest.raises(HuntStoreError, match="ended early"):
        w.add_host(hunt, many_findings(300), "k")
    record, _kind, count = _stored(w, db, hunt)
    assert record == _whole(first) and count == 10
