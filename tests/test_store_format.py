"""Store format 2: on SQLite a record longer than `RECORD_TEXT_MAX` is a blob of the JSON's
bytes (SQLite never builds it in memory), a shorter one text as before; every reader takes
both. A store of format 1 is read as it is and marked format 2 by the next hunt written into
it, never by a reader; a store of an unknown format is still refused."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exhunt.fleet import hunt_log
from exhunt.fleet.diff import diff_hunts
from exhunt.fleet.hunt_log import HuntStoreError, SqliteHuntLog
from exhunt.fleet.store import HuntStore
from test_report_fixtures import clean_host, compromised_host
from test_store_spill import many_findings

OLD = "exhunt.hunt-store/1"


def _format(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()[0])


def _records(db: Path) -> list[tuple[Any, str]]:
    with sqlite3.connect(db) as conn:
        return [(r, t) for r, t in conn.execute("SELECT record, typeof(record) FROM hosts ORDER BY root")]


@pytest.fixture(params=["sqlite-log", "sqlite-store"])
def writer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    db = tmp_path / "hunts.sqlite"
    HuntStore(str(db)).close()
    w: Any = SqliteHuntLog.open(str(db)) if request.param == "sqlite-log" else HuntStore(str(db))
    assert w is not None
    yield w, db
    w.close()


def test_a_long_record_is_a_blob_of_the_same_bytes_and_reads_back(
    writer: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, db = writer
    big, small = many_findings(300), clean_host()
    whole = json.dumps(big.to_dict(), ensure_ascii=True).encode("ascii")
    monkeypatch.setattr(hunt_log, "RECORD_TEXT_MAX", len(whole) - 1)
    hunt = w.start_hunt(tool_version="t", evidence="e", hosts_total=2)
    w.add_host(hunt, big, "a")
    w.add_host(hunt, small, "b")
    w.add_host(hunt, big, "a")  # replaced, not doubled
    (big_record, big_kind), (small_record, small_kind) = _records(db)
    assert (big_kind, small_kind) == ("blob", "text")
    assert big_record == whole
    assert small_record == json.dumps(small.to_dict(), ensure_ascii=True)
    with sqlite3.connect(db) as conn:  # SQL gets the text of both by a cast
        texts = [r for (r,) in conn.execute("SELECT CAST(record AS TEXT) FROM hosts ORDER BY root")]
    assert texts == [whole.decode("ascii"), small_record]
    with HuntStore(str(db)) as store:
        back = {key: host.to_dict() for key, host in store.keyed_assessments(hunt)}
        assert back == {"a": big.to_dict(), "b": small.to_dict()}
        assert [h.findings for h in store.result(hunt).hosts] == [small.findings, big.findings]  # as assessed


def test_a_record_at_the_limit_stays_text(writer: tuple[Any, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    w, db = writer
    host = many_findings(50)
    whole = json.dumps(host.to_dict(), ensure_ascii=True)
    monkeypatch.setattr(hunt_log, "RECORD_TEXT_MAX", len(whole))
    hunt = w.start_hunt(tool_version="t", evidence="e", hosts_total=1)
    w.add_host(hunt, host, "a")
    assert _records(db) == [(whole, "text")]


def _old_store(db: Path) -> int:
    """A store of format 1 with one finished hunt of two hosts."""
    with HuntStore(str(db)) as store:
        hunt = store.start_hunt(tool_version="t", evidence="e", hosts_total=2)
        store.add_host(hunt, clean_host(), "a")
        store.add_host(hunt, compromised_host(), "b")
        store.finish_hunt(hunt)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'format'", (OLD,))
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the file, so a write would show
    return hunt


def test_a_store_of_format_1_is_read_as_it_is(tmp_path: Path) -> None:
    db = tmp_path / "hunts.sqlite"
    hunt = _old_store(db)
    before = db.read_bytes()
    with HuntStore(str(db)) as store:
        hosts = list(store.assessments(hunt))
        assert [h.host for h in hosts] == [clean_host().host, compromised_host().host]
        assert hosts[1].findings == compromised_host().findings
        assert store.finding_keys(hunt)
        assert diff_hunts(store, hunt, hunt) is not None
    assert _format(db) == OLD and db.read_bytes() == before  # a reader never writes it
    assert SqliteHuntLog.open(str(db)) is None  # the light writer leaves it to HuntStore


def test_a_hunt_written_into_a_store_of_format_1_marks_it_format_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "hunts.sqlite"
    first = _old_store(db)
    monkeypatch.setattr(hunt_log, "RECORD_TEXT_MAX", 1000)
    with HuntStore(str(db)) as store:
        second = store.start_hunt(tool_version="t", evidence="e", hosts_total=1)
        store.add_host(second, compromised_host(), "b")
        assert [h.to_dict() for h in store.assessments(first)][1] == compromised_host().to_dict()
        assert [h.to_dict() for h in store.assessments(second)] == [compromised_host().to_dict()]
    assert _format(db) == hunt_log.STORE_FORMAT
    kinds = {t for _, t in _records(db)}
    assert kinds == {"text", "blob"}  # the old rows as they were, the new long one a blob
    log = SqliteHuntLog.open(str(db))
    assert log is not None
    log.close()


def test_a_store_of_an_unknown_format_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "hunts.sqlite"
    HuntStore(str(db)).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = 'exhunt.hunt-store/9' WHERE key = 'format'")
    with pytest.raises(HuntStoreError, match="another format"):
        HuntStore(str(db))
    assert SqliteHuntLog.open(str(db)) is None
