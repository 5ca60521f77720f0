"""A hunt written into an existing SQLite hunt store with Python's sqlite3 holds exactly the
rows `HuntStore` writes, and `exhunt hunt` then runs without importing SQLAlchemy."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from exhunt.fleet.hunt_log import SqliteHuntLog
from exhunt.fleet.store import HuntStore
from test_report_fixtures import clean_host, compromised_host

VOLATILE = {"started", "finished", "assessed", "id"}  # times and row ids


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    out = {}
    for table in ("hunts", "hosts", "findings"):
        cur = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
        names = [d[0] for d in cur.description]
        out[table] = [tuple(v for n, v in zip(names, row, strict=True) if n not in VOLATILE) for row in cur]
    conn.close()
    return out


def _write(store: HuntStore | SqliteHuntLog) -> int:
    bad, good = compromised_host("<script>x</script>\udcff"), clean_host()
    hunt = store.start_hunt(tool_version="1.0", evidence="/cases", hosts_total=2)
    store.add_host(hunt, bad, "/cases/EX01")
    store.add_host(hunt, good)
    store.add_host(hunt, bad, "/cases/EX01")  # stored again: replaced, not doubled
    store.finish_hunt(hunt)
    return hunt


def test_the_sqlite_log_writes_the_rows_the_store_writes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite", tmp_path / "b.sqlite"
    for db in (a, b):
        HuntStore(str(db)).close()  # the schema, created by the store
    with HuntStore(str(a)) as store:
        _write(store)
    log = SqliteHuntLog.open(str(b))
    assert log is not None
    with log:
        hunt = _write(log)
    assert _rows(a) == _rows(b)
    assert len(_rows(b)["findings"]) == len(compromised_host("x").findings) > 0
    with HuntStore(str(b)) as store:  # and the store reads it back whole
        (h,) = store.hunts()
        assert (h.id, h.status, h.hosts_done) == (hunt, "finished", 2)
        back = [x.to_dict() for x in store.assessments(hunt)]
        assert sorted(len(d["findings"]) for d in back) == [0, len(_rows(b)["findings"])]


def test_the_log_is_only_for_an_existing_store_of_this_format(tmp_path: Path) -> None:
    assert SqliteHuntLog.open(str(tmp_path / "new.sqlite")) is None  # the store creates it
    assert SqliteHuntLog.open("postgresql://h/db") is None
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('format', 'something/9')")
    conn.commit()
    conn.close()
    assert SqliteHuntLog.open(str(other)) is None
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    assert SqliteHuntLog.open(str(tmp_path / "junk.sqlite")) is None


def test_a_second_hunt_imports_no_sqlalchemy_and_is_stored(tmp_path: Path) -> None:
    db = tmp_path / "hunts.sqlite"
    log = tmp_path / "evidence" / "inetpub" / "logs" / "LogFiles" / "W3SVC1" / "u_ex210303.log"
    log.parent.mkdir(parents=True)
    log.write_text("#Fields: date time cs-method cs-uri-stem\n2021-03-03 05:00:00 GET /aspnet_client/x.aspx\n")
    probe = (
        "import sys\nfrom exhunt.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('SA', any(m.split('.')[0] == 'sqlalchemy' for m in sys.modules))\n"
    )
    runs, said = [], []
    for _ in range(2):
        argv = [sys.executable, "-c", probe, "hunt", str(tmp_path / "evidence"), "--db", str(db), "-q"]
        out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        runs.append(out.stdout.strip().splitlines()[-1])
        said.append(out.stderr)
    assert runs == ["SA True", "SA False"], said  # the first hunt creates the store
    with HuntStore(str(db)) as store:
        hunts = store.hunts()
        assert [(h.status, h.hosts_done) for h in hunts] == [("finished", 1), ("finished", 1)]
        assert store.finding_keys(hunts[0].id) == store.finding_keys(hunts[1].id) != set()
