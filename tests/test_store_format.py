"""On SQLite a record longer than `RECORD_TEXT_MAX` is a blob of the JSON's bytes (SQLite never
builds it in memory), a shorter one text as before; every reader takes both, and the store's
format stays the one earlier versions read (they decode the record with `json.loads` too); a
store of an unknown format is still refused."""

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


def test_a_store_with_long_records_keeps_its_format_and_reads_with_text_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "hunts.sqlite"
    with HuntStore(str(db)) as store:  # a hunt of text records, as before
        first = store.start_hunt(tool_version="t", evidence="e", hosts_total=2)
        store.add_host(first, clean_host(), "a")
        store.add_host(first, compromised_host(), "b")
        store.finish_hunt(first)
    small = len(json.dumps(clean_host().to_dict(), ensure_ascii=True))
    assert len(json.dumps(compromised_host().to_dict(), ensure_ascii=True)) > small
    monkeypatch.setattr(hunt_log, "RECORD_TEXT_MAX", small)  # the compromised host's record a blob
    log = SqliteHuntLog.open(str(db))
    assert log is not None
    with log:
        second = log.start_hunt(tool_version="t", evidence="e", hosts_total=2)
        log.add_host(second, clean_host(), "a")
        log.add_host(second, compromised_host(), "b")
        log.finish_hunt(second)
    assert _format(db) == hunt_log.STORE_FORMAT == OLD
    assert sorted(t for _, t in _records(db)) == ["blob", "text", "text", "text"]
    with HuntStore(str(db)) as store:
        for hunt in (first, second):
            assert [h.to_dict() for h in store.assessments(hunt)] == [
                clean_host().to_dict(),
                compromised_host().to_dict(),
            ]
        assert store.finding_keys(first) == store.finding_keys(second)
        diff = diff_hunts(store, first, second)
        assert not diff.hosts and not diff.new_findings


def test_a_store_of_an_unknown_format_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "hunts.sqlite"
    HuntStore(str(db)).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = 'exhunt.hunt-store/9' WHERE key = 'format'")
    with pytest.raises(HuntStoreError, match="another format"):
        HuntStore(str(db))
    assert SqliteHuntLog.open(str(db)) is None
