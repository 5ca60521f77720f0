"""Writing one hunt into an existing SQLite hunt store through Python's own `sqlite3`.

`exhunt hunt` keeps every hunt in the hunt store (`store.py`) by default. What a hunt writes
is small: a row in `hunts` when it starts and ends, and per assessed host a row in `hosts` and
its rows in `findings`. Importing SQLAlchemy for that costs a third of a CPU-second, as much as
hunting a hundred megabytes of logs, so when the store is a SQLite file that already holds the
current schema (every hunt after the first), the hunt writes it with `sqlite3`. The rows are
built here for both writers, so they hold the same values; creating the schema, PostgreSQL,
resuming a hunt and every query stay with `HuntStore`.

A host's `record` (its whole assessment as one JSON text, tens of megabytes for a host of a
million events) is never held whole: it is written a finding at a time to a private temporary
file (`SpilledRecord`), and from there into the row a block at a time: on SQLite through the
row's value opened as a blob (`write_record`), on PostgreSQL through `COPY` (`store.py`).

SQLite makes a text value of N bytes with two N-byte buffers (the value, then the row built
from it), even one made by `CAST(zeroblob(N) AS TEXT)`; a `zeroblob(N)` left a blob and placed
last in the row costs none (SQLite writes its zeros page by page). So a record longer than
`RECORD_TEXT_MAX` is stored on SQLite as a blob of the same UTF-8 bytes; a shorter one stays
text. The store's format is the same: every reader of it, earlier versions of exhunt included,
decodes the record with `json.loads`, which takes either; in SQL, `CAST(record AS TEXT)` gives
the text of both.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from exhunt.codec import to_data
from exhunt.datadir import default_db_path
from exhunt.fleet.findingrows import COLUMNS, row_values
from exhunt.fleet.findingrows import text as text  # where the store imports it from
from exhunt.fleet.findingspill import SpillReadError
from exhunt.fleet.jsonpieces import host_record_pieces
from exhunt.model import HostAssessment

STORE_FORMAT = "exhunt.hunt-store/1"
RECORD_BLOCK = 1 << 20  # bytes of a spilled record read back at a time
# Bytes of a record stored on SQLite as text; a longer one is stored as a blob (see above).
RECORD_TEXT_MAX = 4 << 20


class HuntStoreError(Exception):
    """The store cannot be opened, read or written."""


class HuntWriter(Protocol):
    """What a running hunt writes: `HuntStore`, or `SqliteHuntLog` on an existing SQLite store."""

    def start_hunt(self, *, tool_version: str, evidence: str | None, hosts_total: int) -> int: ...

    def finish_hunt(self, hunt_id: int, status: str = "finished") -> None: ...

    def add_host(self, hunt_id: int, host: HostAssessment, key: str | None = None) -> None: ...


def default_hunt_db() -> Path:
    """`hunts.sqlite` in the scan store's folder (`$EXHUNT_DB`'s, else ~/.local/share/exhunt)."""
    return default_db_path().with_name("hunts.sqlite")


def now() -> str:
    return datetime.now(UTC).isoformat()


def host_key_of(host: HostAssessment, key: str | None) -> str:
    """The stored evidence key of a host: `key`, else its root and host name."""
    return key or f"{host.root}#{host.host}"


def host_row(hunt_id: int, host: HostAssessment, key: str) -> dict[str, Any]:
    """The `hosts` row of one assessed host but its `record` (`SpilledRecord`)."""
    return {
        "hunt_id": hunt_id,
        "root": text(key),
        "host": text(host.host),
        "layout": text(host.layout),
        "verdict": str(host.verdict),
        "verdict_reason": text(host.verdict_reason),
        "exchange_build": text(host.exchange_build),
        "findings": len(host.findings),
        "problems": len(host.errors),
        "assessed": now(),
    }


class SpilledRecord:
    """A host's whole assessment as the store's JSON text (`host_record`), written a finding at
    a time to a temporary file that only this process can read (created 0600 in the system's
    temporary folder, unlinked at once, so it is gone when closed or when the process dies), and
    read back a block at a time. A text that cannot be written whole raises `HuntStoreError`:
    the host is not stored, and the hunt says so."""

    def __init__(self, host: HostAssessment, where: str) -> None:
        self.size = 0
        try:
            self._file: IO[bytes] = tempfile.TemporaryFile(prefix="exhunt-record-")  # noqa: SIM115
        except OSError as exc:
            raise HuntStoreError(
                f"cannot write the hunt store {where}: no temporary file for {host.host}: {exc}"
            ) from None
        try:
            for piece in host_record_pieces(host):
                data = piece.encode("utf-8")
                self._file.write(data)
                self.size += len(data)
            self._file.flush()
        except SpillReadError as exc:  # reading the host's findings, not writing the record
            self._file.close()
            raise HuntStoreError(f"cannot write the hunt store {where}: {host.host}: {exc}") from None
        except OSError as exc:
            self._file.close()
            raise HuntStoreError(
                f"cannot write the hunt store {where}: the record of {host.host} could not be spilled "
                f"to a temporary file: {exc}"
            ) from None
        except BaseException:
            self._file.close()
            raise

    def blocks(self) -> Iterator[bytes]:
        """The text, `RECORD_BLOCK` bytes at a time; an OSError if less comes back than was written."""
        self._file.seek(0)
        left = self.size
        while left > 0:
            data = self._file.read(min(left, RECORD_BLOCK))
            if not data:
                raise OSError(f"the spilled record ended {left} bytes short")
            left -= len(data)
            yield data

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SpilledRecord:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def record_as_text(size: int) -> bool:
    """Whether a record of `size` bytes is stored on SQLite as text (else as a blob)."""
    return size <= RECORD_TEXT_MAX


def sqlite_record_slot(size: int) -> str:
    """SQL for a `hosts` row's record as long as the spilled text (`:record` its size), to be
    overwritten with it (`write_record`): text up to `RECORD_TEXT_MAX`, else a blob, which
    SQLite never builds in memory."""
    return "CAST(zeroblob(:record) AS TEXT)" if record_as_text(size) else "zeroblob(:record)"


def write_record(conn: sqlite3.Connection, rowid: int, record: SpilledRecord) -> None:
    """Fill the `record` of the `hosts` row `rowid`, inserted as `sqlite_record_slot`, from the
    spilled text, a block at a time (SQLite writes it page by page)."""
    at = 0
    with conn.blobopen("hosts", "record", rowid) as blob:
        if len(blob) != record.size:
            raise sqlite3.DatabaseError(f"the record's slot holds {len(blob)} bytes, not {record.size}")
        for data in record.blocks():
            blob.write(data)
            at += len(data)
    if at != record.size:  # pragma: no cover - blocks() raises first
        raise sqlite3.DatabaseError(f"{at} of the record's {record.size} bytes were written")


# The columns of a `findings` row as `finding_values` gives them.
FINDING_COLUMNS = ("hunt_id", "root", "host", *COLUMNS)


def finding_values(hunt_id: int, host: HostAssessment, key: str) -> Iterator[tuple[Any, ...]]:
    """The `findings` rows of one assessed host as values of `FINDING_COLUMNS`, made one at a
    time as they are written: as kept beside spilled findings (`SpilledFindings.rows`), else
    made here. SQLite takes them as they are, without a dict of named values for each (a row
    of other length is refused there)."""
    kept: Callable[[], Iterator[tuple[Any, ...]]] | None = getattr(host.findings, "rows", None)
    each = kept() if kept is not None else (row_values(to_data(f)) for f in host.findings)
    where = (hunt_id, text(key), text(host.host))
    for values in each:
        yield where + values


def finding_rows(hunt_id: int, host: HostAssessment, key: str) -> Iterator[dict[str, Any]]:
    """`finding_values` as rows of named values."""
    for values in finding_values(hunt_id, host, key):
        yield dict(zip(FINDING_COLUMNS, values, strict=True))


def _insert(table: str, row: dict[str, Any]) -> str:
    return f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"


_FINDINGS_INSERT = (
    f"INSERT INTO findings ({', '.join(FINDING_COLUMNS)}) VALUES ({', '.join('?' for _ in FINDING_COLUMNS)})"
)


class SqliteHuntLog:
    """A hunt written into an existing SQLite hunt store of the current format."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.where = str(path)

    @staticmethod
    def open(db: str | None) -> SqliteHuntLog | None:
        """The store `--db` names when it is a SQLite file that exists and holds the current
        format; None for anything else (a URL, a new file, another format, an unreadable file),
        which `HuntStore` then creates or reports."""
        if db and "://" in db:
            return None
        path = Path(db) if db else default_hunt_db()
        if not path.is_file():
            return None
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(path, timeout=10.0)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            found = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if found is not None and found[0] == STORE_FORMAT:
                return SqliteHuntLog(conn, path)
        except sqlite3.Error:
            pass  # HuntStore opens it again and says what is wrong
        if conn is not None:
            conn.close()
        return None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> SqliteHuntLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, statements: list[tuple[str, Any]]) -> sqlite3.Cursor | None:
        cursor = None
        try:
            with self._conn:  # one transaction
                for sql, params in statements:
                    if isinstance(params, dict):
                        cursor = self._conn.execute(sql, params)
                    else:
                        cursor = self._conn.executemany(sql, params)
        except sqlite3.Error as exc:
            raise HuntStoreError(f"cannot write the hunt store {self.where}: {exc}") from None
        return cursor

    def start_hunt(self, *, tool_version: str, evidence: str | None, hosts_total: int) -> int:
        row = {
            "started": now(),
            "status": "running",
            "tool_version": tool_version,
            "evidence": evidence,
            "hosts_total": hosts_total,
        }
        cursor = self._write([(_insert("hunts", row), row)])
        if cursor is None or cursor.lastrowid is None:
            raise HuntStoreError(f"cannot write the hunt store {self.where}: no hunt id")
        return int(cursor.lastrowid)

    def finish_hunt(self, hunt_id: int, status: str = "finished") -> None:
        sql = "UPDATE hunts SET finished = :finished, status = :status WHERE id = :id"
        self._write([(sql, {"finished": now(), "status": status, "id": hunt_id})])

    def add_host(self, hunt_id: int, host: HostAssessment, key: str | None = None) -> None:
        """Store one assessed host, replacing an earlier row for the same evidence in this hunt
        (as `HuntStore.add_host`)."""
        key = host_key_of(host, key)
        which = {"hunt_id": hunt_id, "root": text(key)}
        with SpilledRecord(host, self.where) as record:
            hosts = host_row(hunt_id, host, key)
            columns = ", ".join([*hosts, "record"])
            values = ", ".join([*(":" + k for k in hosts), sqlite_record_slot(record.size)])
            findings = finding_values(hunt_id, host, key)
            try:
                with self._conn:  # one transaction
                    self._conn.execute("DELETE FROM findings WHERE hunt_id = :hunt_id AND root = :root", which)
                    self._conn.execute("DELETE FROM hosts WHERE hunt_id = :hunt_id AND root = :root", which)
                    cursor = self._conn.execute(
                        f"INSERT INTO hosts ({columns}) VALUES ({values})", {**hosts, "record": record.size}
                    )
                    if cursor.lastrowid is None:  # pragma: no cover - an INSERT into a rowid table has one
                        raise sqlite3.DatabaseError("no row id for the host")
                    write_record(self._conn, cursor.lastrowid, record)
                    # executemany takes the rows as they are made: never all of a host's at once
                    self._conn.executemany(_FINDINGS_INSERT, findings)
            except (sqlite3.Error, OSError) as exc:
                raise HuntStoreError(f"cannot write the hunt store {self.where}: {exc}") from None
