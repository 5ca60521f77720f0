"""The hunt store on SQLite, and on PostgreSQL when EXHUNT_TEST_PG names a server (`.ci/run`
starts one on loopback): the same schema and answers on both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exhunt.fleet.diff import diff_hunts
from exhunt.fleet.store import HuntStore, HuntStoreError, _meta
from exhunt.model import Verdict
from test_report_fixtures import clean_host, compromised_host

PG = os.environ.get("EXHUNT_TEST_PG")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HuntStore]:
    if request.param == "sqlite":
        s = HuntStore(str(tmp_path / "hunts.sqlite"))
    else:
        if not PG:
            pytest.skip("EXHUNT_TEST_PG is not set (`.ci/run` starts a PostgreSQL on loopback and sets it)")
        s = HuntStore(PG)
        _meta.drop_all(s._engine)  # each test starts from an empty schema
        s = HuntStore(PG)
    yield s
    s.close()


def test_a_hunt_its_hosts_and_findings_round_trip(store: HuntStore) -> None:
    bad, good = compromised_host("<script>x</script>"), clean_host()
    hunt = store.start_hunt(tool_version="1.0", evidence="/cases", hosts_total=2)
    store.add_host(hunt, bad, "/cases/EX01")
    store.add_host(hunt, good, "/cases/EX02")
    store.add_host(hunt, bad, "/cases/EX01")  # stored again: replaced, not doubled
    store.finish_hunt(hunt)
    (h,) = store.hunts()
    assert (h.status, h.hosts_done, h.hosts_total, h.evidence) == ("finished", 2, 2, "/cases")
    assert store.done_roots(hunt) == {"/cases/EX01", "/cases/EX02"}
    result = store.result(hunt)
    assert sorted(x.host for x in result.hosts) == sorted([bad.host, good.host])
    back = next(x for x in result.hosts if x.host == bad.host)
    assert back.to_dict() == bad.to_dict()  # the full assessment, hostile text included
    keys = store.finding_keys(hunt)
    assert len(keys) == len({(bad.host, f.rule_id, f.evidence.path, f.evidence.line) for f in bad.findings})
    assert {k[1] for k in keys} == {f.rule_id for f in bad.findings}


def test_latest_per_host_and_diff(store: HuntStore) -> None:
    first = store.start_hunt(tool_version="1.0", evidence="a", hosts_total=1)
    store.add_host(first, clean_host(), "k")
    second = store.start_hunt(tool_version="1.0", evidence="a", hosts_total=1)
    host = compromised_host("x")
    host.host = clean_host().host
    store.add_host(second, host, "k")
    (latest,) = store.latest_per_host()
    assert (latest.hunt_id, latest.verdict) == (second, Verdict.COMPROMISED)
    d = diff_hunts(store, first, second)
    assert [(c.host, c.change) for c in d.hosts] == [(host.host, "newly-compromised")]
    assert d.new_findings
    back = diff_hunts(store, second, first)
    assert [c.change for c in back.hosts] == ["resolved"] and not back.new_findings


def test_unknown_hunt_and_foreign_file_are_clear_errors(store: HuntStore, tmp_path: Path) -> None:
    with pytest.raises(HuntStoreError, match="no hunt 42"):
        store.hunt(42)
    with pytest.raises(HuntStoreError, match="no hunt 42"):
        store.reopen_hunt(42, 1)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(HuntStoreError, match="cannot use"):
        HuntStore(str(junk))


def test_a_store_that_cannot_be_used_is_one_clear_line_without_its_password(tmp_path: Path) -> None:
    """SQLAlchemy's wrapper (class, statement, documentation link, several lines) gives way to the
    database's own words, and a password in the URL is never repeated."""
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HuntStoreError) as refused:
        HuntStore(f"postgresql://hunter:s3cret-pw@127.0.0.1:{port}/hunts")
    text = str(refused.value)
    assert "s3cret-pw" not in text and "hunter:***@127.0.0.1" in text
    assert "\n" not in text and "sqlalche.me" not in text and "OperationalError" not in text
    with pytest.raises(HuntStoreError) as other:
        HuntStore("mysql://u:pw@db.example/hunts")
    assert "not a store exhunt can use" in str(other.value) and ":pw@" not in str(other.value)
    with pytest.raises(HuntStoreError) as folder:
        HuntStore(str(tmp_path))  # a folder, not a database file
    assert "unable to open database file" in str(folder.value) and "\n" not in str(folder.value)


def _open_store_at(path: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        HuntStore(path).close()
    except HuntStoreError as exc:
        results.put(str(exc))
    else:
        results.put("ok")


def test_hunts_started_together_on_a_new_store_all_open_it(tmp_path: Path) -> None:
    """Several hunts launched at once by a script on a store not yet made: each creates the
    tables and marks the format; before, the second to mark it failed on the unique key."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    for round_ in range(3):
        path = str(tmp_path / f"new-{round_}.sqlite")
        barrier, results = ctx.Barrier(6), ctx.Queue()
        procs = [ctx.Process(target=_open_store_at, args=(path, barrier, results)) for _ in range(6)]
        for proc in procs:
            proc.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for proc in procs:
            proc.join(60)
        assert outcomes == ["ok"] * 6, outcomes


def test_a_race_setting_up_the_store_is_tried_again_but_other_failures_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    real = HuntStore._prepare
    calls: list[int] = []

    def raced_once(self: HuntStore, db: str | None) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.IntegrityError("INSERT INTO meta", {}, Exception("UNIQUE constraint failed: meta.key"))
        real(self, db)

    monkeypatch.setattr(HuntStore, "_prepare", raced_once)
    HuntStore(str(tmp_path / "a.sqlite")).close()
    assert len(calls) == 2

    def locked_once(self: HuntStore, db: str | None) -> None:
        # another hunt switching the new store to WAL at the same moment
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("PRAGMA journal_mode = WAL", {}, Exception("database is locked"))
        real(self, db)

    calls.clear()
    monkeypatch.setattr(HuntStore, "_prepare", locked_once)
    HuntStore(str(tmp_path / "c.sqlite")).close()
    assert len(calls) == 2

    def broken(self: HuntStore, db: str | None) -> None:
        calls.append(1)
        raise sa.exc.OperationalError("SELECT", {}, Exception("disk I/O error"))

    calls.clear()
    monkeypatch.setattr(HuntStore, "_prepare", broken)
    with pytest.raises(HuntStoreError, match="disk I/O error"):
        HuntStore(str(tmp_path / "b.sqlite"))
    assert len(calls) == 1, "a failure that is not a race is not tried again"
