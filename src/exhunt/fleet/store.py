"""The hunt store: every hunt, its hosts, their verdicts and findings, kept for history.

SQLite by default (`hunts.sqlite` beside the scan store), PostgreSQL when given a
`postgresql://` URL; one schema for both through SQLAlchemy Core. Tables: `hunts` (one row per
run), `hosts` (one row per host per hunt: verdict, counts, and the full assessment as JSON so
any report can be rendered again; on SQLite a record longer than `RECORD_TEXT_MAX` is a blob
of the JSON's UTF-8 bytes, see `hunt_log`) and `findings` (one row per finding: rule id, severity, chain,
file and line, and the typed facets as JSON). A host is written as soon as it is assessed, so
an interrupted hunt keeps every finished host and can be resumed.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from exhunt.fleet.hunt_log import (
    STORE_FORMAT,
    SpilledRecord,
    default_hunt_db,
    finding_rows,
    host_key_of,
    host_row,
    record_as_text,
    write_record,
)
from exhunt.fleet.hunt_log import HuntStoreError as HuntStoreError  # where callers import it from
from exhunt.fleet.hunt_log import now as _now
from exhunt.fleet.hunt_log import text as _text
from exhunt.model import HostAssessment, HuntResult, Verdict, iso, parse_iso

_meta = sa.MetaData()
meta_table = sa.Table(
    "meta",
    _meta,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
hunts_table = sa.Table(
    "hunts",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started", sa.String(40), nullable=False),
    sa.Column("finished", sa.String(40)),
    sa.Column("status", sa.String(16), nullable=False),  # running, finished, interrupted
    sa.Column("tool_version", sa.String(40)),
    sa.Column("evidence", sa.Text),
    sa.Column("hosts_total", sa.Integer),
)
hosts_table = sa.Table(
    "hosts",
    _meta,
    sa.Column("hunt_id", sa.Integer, sa.ForeignKey("hunts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("root", sa.Text, primary_key=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("layout", sa.String(40)),
    sa.Column("verdict", sa.String(32), nullable=False),
    sa.Column("verdict_reason", sa.Text),
    sa.Column("exchange_build", sa.String(40)),
    sa.Column("findings", sa.Integer, nullable=False),
    sa.Column("problems", sa.Integer, nullable=False),
    sa.Column("assessed", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),
)
findings_table = sa.Table(
    "findings",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("hunt_id", sa.Integer, sa.ForeignKey("hunts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("root", sa.Text, nullable=False),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("rule_id", sa.String(80), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("implies", sa.String(16), nullable=False),
    sa.Column("chain", sa.String(32)),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("line", sa.Integer),
    sa.Column("timestamp", sa.String(40)),
    sa.Column("source_ip", sa.String(64)),
    sa.Column("facets", sa.Text, nullable=False),
)
sa.Index("hosts_by_host", hosts_table.c.host)
sa.Index("findings_by_hunt", findings_table.c.hunt_id, findings_table.c.root)
sa.Index("findings_by_rule", findings_table.c.rule_id)


def store_url(db: str | None) -> str:
    """A SQLAlchemy URL for `--db`: a postgresql:// or sqlite:// URL as given, else a file path."""
    if db and "://" in db:
        if db.startswith("postgres://"):
            db = "postgresql://" + db[len("postgres://") :]
        if db.startswith("postgresql://"):
            return "postgresql+psycopg://" + db[len("postgresql://") :]
        if db.startswith(("sqlite://", "postgresql+psycopg://")):
            return db
        raise HuntStoreError(
            f"{shown_url(db)}: not a store exhunt can use: give a SQLite file, sqlite:///PATH or postgresql://..."
        )
    path = Path(db) if db else default_hunt_db()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def shown_url(db: str) -> str:
    """A store named in a message: a URL without its password (the terminal and logs keep it)."""
    if "://" not in db:
        return db
    try:
        return sa.engine.make_url(db).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return db.split("://", 1)[0] + "://..."


def _raced(exc: SQLAlchemyError) -> bool:
    """Whether a failure to set up the store is another process setting it up at the same time."""
    text = str(exc).lower()
    return isinstance(exc, sa.exc.IntegrityError) or "already exists" in text or "database is locked" in text


def reason(exc: BaseException) -> str:
    """What went wrong with a store, on one line: the database's own words, without SQLAlchemy's
    wrapper (the exception's class, the statement, a link to its documentation)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        text = str(exc.orig)
    elif isinstance(exc, ImportError):
        text = f"its driver is not installed ({exc.name or exc}; `pip install 'exhunt[postgresql]'`)"
    else:
        text = str(exc)
    return " ".join(text.split()) or type(exc).__name__


@dataclass(frozen=True, slots=True)
class HuntRecord:
    id: int
    started: datetime | None
    finished: datetime | None
    status: str
    tool_version: str | None
    evidence: str | None
    hosts_total: int
    hosts_done: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": iso(self.started),
            "finished": iso(self.finished),
            "status": self.status,
            "tool_version": self.tool_version,
            "evidence": self.evidence,
            "hosts_total": self.hosts_total,
            "hosts_done": self.hosts_done,
        }


@dataclass(frozen=True, slots=True)
class HostRow:
    """One host's stored verdict in one hunt."""

    hunt_id: int
    root: str
    host: str
    verdict: Verdict
    findings: int
    problems: int
    assessed: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "hunt_id": self.hunt_id,
            "root": self.root,
            "host": self.host,
            "verdict": str(self.verdict),
            "findings": self.findings,
            "problems": self.problems,
            "assessed": iso(self.assessed),
        }


class HuntStore:
    def __init__(self, db: str | None = None) -> None:
        try:
            self.url = store_url(db)
            self._engine = sa.create_engine(self.url)
            if self._engine.dialect.name == "sqlite":
                sa.event.listen(self._engine, "connect", _sqlite_pragmas)
            for attempt in itertools.count(1):
                try:
                    self._prepare(db)
                    break
                except (sa.exc.IntegrityError, sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
                    # Hunts started together on a new store each create its tables and mark its
                    # format; the one that comes second meets the first one's rows (a unique key,
                    # a table that now exists) and tries again, when they are there to be read.
                    if attempt >= 5 or not _raced(exc):
                        raise
                    time.sleep(0.05 * attempt)
        except (SQLAlchemyError, OSError, ImportError) as exc:
            where = shown_url(db) if db else default_hunt_db()
            raise HuntStoreError(f"cannot use {where} as the hunt store: {reason(exc)}") from None

    def _prepare(self, db: str | None) -> None:
        _meta.create_all(self._engine)
        with self._engine.begin() as conn:
            found = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "format")).scalar()
            if found is None:
                conn.execute(meta_table.insert().values(key="format", value=STORE_FORMAT))
            elif found != STORE_FORMAT:
                raise HuntStoreError(f"{shown_url(db or '')}: a results store of another format ({found})")

    @property
    def where(self) -> str:
        """The store for messages, without a password."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> HuntStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------

    def start_hunt(self, *, tool_version: str, evidence: str | None, hosts_total: int) -> int:
        with self._write() as conn:
            row = conn.execute(
                hunts_table.insert()
                .values(
                    started=_now(),
                    status="running",
                    tool_version=tool_version,
                    evidence=evidence,
                    hosts_total=hosts_total,
                )
                .returning(hunts_table.c.id)
            ).scalar_one()
        return int(row)

    def reopen_hunt(self, hunt_id: int, hosts_total: int) -> None:
        with self._write() as conn:
            updated = conn.execute(
                hunts_table.update()
                .where(hunts_table.c.id == hunt_id)
                .values(status="running", finished=None, hosts_total=hosts_total)
            ).rowcount
        if not updated:
            raise HuntStoreError(f"no hunt {hunt_id} in {self.where}")

    def finish_hunt(self, hunt_id: int, status: str = "finished") -> None:
        with self._write() as conn:
            conn.execute(hunts_table.update().where(hunts_table.c.id == hunt_id).values(finished=_now(), status=status))

    def add_host(self, hunt_id: int, host: HostAssessment, key: str | None = None) -> None:
        """Store one assessed host (replacing an earlier row for the same evidence in this hunt);
        `key` names its evidence (`exhunt.hunt.host_key`), the root and host name by default.
        Its record goes in from a spilled copy a block at a time, and its findings' rows a
        batch at a time: neither is held whole."""
        key = host_key_of(host, key)
        with SpilledRecord(host, self.where) as record, self._write() as conn:
            try:
                conn.execute(findings_table.delete().where(_host_of(findings_table, hunt_id, key)))
                conn.execute(hosts_table.delete().where(_host_of(hosts_table, hunt_id, key)))
                row = host_row(hunt_id, host, key)
                if self._engine.dialect.name == "sqlite":
                    # as long as the text, then overwritten with it (`write_record`); text up to
                    # `RECORD_TEXT_MAX`, else a blob, which SQLite never builds in memory
                    slot: Any = sa.func.zeroblob(record.size)
                    if record_as_text(record.size):
                        slot = sa.cast(slot, sa.Text)
                    inserted = conn.execute(hosts_table.insert().values(**row, record=slot))
                    rowid = inserted.lastrowid
                    if rowid is None:  # pragma: no cover - an INSERT into a rowid table has one
                        raise HuntStoreError(f"cannot write the hunt store {self.where}: no row id for the host")
                    write_record(conn.connection.dbapi_connection, rowid, record)
                elif self._engine.dialect.name == "postgresql":
                    _copy_host(conn, row, record)
                else:  # pragma: no cover - the store is SQLite or PostgreSQL
                    raise HuntStoreError(f"cannot write the hunt store {self.where}: {self._engine.dialect.name}")
                for batch in _batches(finding_rows(hunt_id, host, key)):
                    conn.execute(findings_table.insert(), batch)
            except (SQLAlchemyError, OSError, sqlite3.Error) as exc:
                raise HuntStoreError(f"cannot write the hunt store {self.where}: {reason(exc)}") from None

    def _write(self) -> Any:
        try:
            return self._engine.begin()
        except SQLAlchemyError as exc:
            raise HuntStoreError(f"cannot write the hunt store {self.where}: {reason(exc)}") from None

    # -- reading ------------------------------------------------------------------------------

    def hunts(self) -> list[HuntRecord]:
        done = sa.select(hosts_table.c.hunt_id, sa.func.count().label("n")).group_by(hosts_table.c.hunt_id).subquery()
        q = (
            sa.select(hunts_table, sa.func.coalesce(done.c.n, 0))
            .select_from(hunts_table.outerjoin(done, done.c.hunt_id == hunts_table.c.id))
            .order_by(hunts_table.c.id)
        )
        with self._engine.connect() as conn:
            return [
                HuntRecord(
                    id=r.id,
                    started=parse_iso(r.started),
                    finished=parse_iso(r.finished),
                    status=r.status,
                    tool_version=r.tool_version,
                    evidence=r.evidence,
                    hosts_total=r.hosts_total or 0,
                    hosts_done=int(r[-1]),
                )
                for r in conn.execute(q)
            ]

    def hunt(self, hunt_id: int) -> HuntRecord:
        for h in self.hunts():
            if h.id == hunt_id:
                return h
        raise HuntStoreError(f"no hunt {hunt_id} in {self.where}")

    def latest_hunt(self) -> int | None:
        with self._engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.max(hunts_table.c.id))).scalar()
        return int(found) if found is not None else None

    def is_done(self, done: set[str], key: str) -> bool:
        """Whether a host of evidence `key` is among `done_roots` (keys are stored as `_text`)."""
        return _text(key) in done

    def done_roots(self, hunt_id: int) -> set[str]:
        with self._engine.connect() as conn:
            return set(conn.execute(sa.select(hosts_table.c.root).where(hosts_table.c.hunt_id == hunt_id)).scalars())

    def host_rows(self, hunt_id: int) -> list[HostRow]:
        q = sa.select(hosts_table).where(hosts_table.c.hunt_id == hunt_id)
        with self._engine.connect() as conn:
            return [_host_row(r) for r in conn.execute(q)]

    def latest_per_host(self) -> list[HostRow]:
        """Each host's verdict from the newest hunt that assessed it."""
        newest = (
            sa.select(hosts_table.c.host, sa.func.max(hosts_table.c.hunt_id).label("hunt_id"))
            .group_by(hosts_table.c.host)
            .subquery()
        )
        q = sa.select(hosts_table).join(
            newest, sa.and_(newest.c.host == hosts_table.c.host, newest.c.hunt_id == hosts_table.c.hunt_id)
        )
        with self._engine.connect() as conn:
            return [_host_row(r) for r in conn.execute(q)]

    def finding_keys(self, hunt_id: int) -> set[tuple[str, str, str, int | None]]:
        """(host, rule id, path, line) of every finding of a hunt."""
        q = sa.select(
            findings_table.c.host, findings_table.c.rule_id, findings_table.c.path, findings_table.c.line
        ).where(findings_table.c.hunt_id == hunt_id)
        with self._engine.connect() as conn:
            return {(r.host, r.rule_id, r.path, r.line) for r in conn.execute(q)}

    def finding_places(self, hunt_id: int) -> list[tuple[str, str, str, str, int | None]]:
        """(host, rule id, evidence root, path, line) of every finding of a hunt: the root says
        where the path starts within its host (`fleet.diff.within_host`)."""
        c = findings_table.c
        q = sa.select(c.host, c.rule_id, c.root, c.path, c.line).where(c.hunt_id == hunt_id)
        with self._engine.connect() as conn:
            return [(r.host, r.rule_id, r.root, r.path, r.line) for r in conn.execute(q)]

    def keyed_assessments(self, hunt_id: int) -> Iterator[tuple[str, HostAssessment]]:
        """The stored hosts of a hunt with their evidence keys, one at a time, in the order
        they were assessed. A record is text, or on SQLite a blob of its UTF-8 bytes when long
        (`hunt_log.RECORD_TEXT_MAX`): `json.loads` reads both."""
        q = (
            sa.select(hosts_table.c.root, hosts_table.c.record)
            .where(hosts_table.c.hunt_id == hunt_id)
            .order_by(hosts_table.c.assessed, hosts_table.c.root)
        )
        with self._engine.connect() as conn:
            for root, record in conn.execute(q):
                yield root, HostAssessment.from_dict(json.loads(record))

    def assessments(self, hunt_id: int) -> Iterator[HostAssessment]:
        for _, host in self.keyed_assessments(hunt_id):
            yield host

    def result(self, hunt_id: int) -> HuntResult:
        """A stored hunt as the same result object `exhunt hunt` writes as JSON."""
        h = self.hunt(hunt_id)
        started = h.started or datetime.now(UTC)
        return HuntResult(h.tool_version or "?", started, h.finished or started, list(self.assessments(hunt_id)))


FINDING_BATCH = 500  # findings' rows handed to the driver at a time


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := list(itertools.islice(it, FINDING_BATCH)):
        yield batch


_COPY_ESCAPES = ((b"\\", b"\\\\"), (b"\n", b"\\n"), (b"\r", b"\\r"), (b"\t", b"\\t"))


def _copy_field(data: bytes) -> bytes:
    """One value in `COPY ... FROM STDIN`'s text format: backslash, line breaks and tab escaped."""
    for raw, escaped in _COPY_ESCAPES:
        data = data.replace(raw, escaped)
    return data


def _copy_host(conn: sa.Connection, row: dict[str, Any], record: SpilledRecord) -> None:
    """The `hosts` row on PostgreSQL by `COPY`, the record streamed from its spilled copy a block
    at a time, in the store's open transaction. Each block is escaped alone: every escape stands
    for one byte, so none spans two blocks."""
    head = b"\t".join(b"\\N" if value is None else _copy_field(str(value).encode("utf-8")) for value in row.values())
    columns = ", ".join([*row, "record"])  # the row's own columns, then the record streamed after them
    dbapi: Any = conn.connection.dbapi_connection
    with dbapi.cursor() as cursor, cursor.copy(f"COPY hosts ({columns}) FROM STDIN") as copy:
        copy.write(head + b"\t")
        for block in record.blocks():
            copy.write(_copy_field(block))
        copy.write(b"\n")


def _host_of(table: sa.Table, hunt_id: int, root: str) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.hunt_id == hunt_id, table.c.root == _text(root))


def _host_row(r: Any) -> HostRow:
    return HostRow(
        hunt_id=r.hunt_id,
        root=r.root,
        host=r.host,
        verdict=Verdict(r.verdict),
        findings=r.findings,
        problems=r.problems,
        assessed=parse_iso(r.assessed),
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # The wait first: switching a new store to WAL takes a lock another hunt may hold a moment.
    cur.execute("PRAGMA busy_timeout = 10000")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.close()
