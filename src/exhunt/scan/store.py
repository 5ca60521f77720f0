"""The results store: every scan and its per-host results in one SQLite file, so scans build a history.

Two tables: `scans` (one row per run, with start and finish times) and `results` (one row per
host per scan: the columns people query - build, exposure per chain - plus the full result as
JSON). `diff` compares two scans host by host: newly patched, newly exposed, gone, new.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from exhunt.datadir import default_db_path as default_db_path  # where it used to live
from exhunt.model import CHAINS, Exposure, iso, parse_iso
from exhunt.scan.checks import CheckVerdict
from exhunt.scan.result import EXPOSED, HostResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT,
    tool_version TEXT,
    targets INTEGER,
    checks TEXT,
    options TEXT
);
CREATE TABLE IF NOT EXISTS results (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    target TEXT,
    address TEXT,
    port INTEGER,
    reachable INTEGER NOT NULL,
    is_exchange INTEGER NOT NULL,
    product TEXT,
    build TEXT,
    build_source TEXT,
    proxylogon TEXT,
    proxyshell TEXT,
    proxynotshell TEXT,
    owassrf TEXT,
    scanned_at TEXT,
    record TEXT NOT NULL,
    PRIMARY KEY (scan_id, key)
);
CREATE INDEX IF NOT EXISTS results_by_key ON results(key);
"""
_STORE_FORMAT = "exhunt.scan-store/1"


class StoreError(Exception):
    """The store cannot be opened or written (not a database, locked, no permission...)."""


@dataclass(frozen=True, slots=True)
class ScanRecord:
    id: int
    started: datetime | None
    finished: datetime | None
    tool_version: str | None
    targets: int
    checks: tuple[str, ...]
    hosts: int  # results stored
    exchange: int
    exposed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "started": iso(self.started),
            "finished": iso(self.finished),
            "tool_version": self.tool_version,
            "targets": self.targets,
            "checks": list(self.checks),
            "hosts": self.hosts,
            "exchange": self.exchange,
            "exposed": self.exposed,
        }


class ScanStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), timeout=10.0)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if row is None:
                self._db.execute("INSERT INTO meta (key, value) VALUES ('format', ?)", (_STORE_FORMAT,))
            elif row[0] != _STORE_FORMAT:
                raise StoreError(f"{path}: a results store of another format ({row[0]})")
            self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot use {path} as the results store: {exc}") from None
        self._pending = 0

    def close(self) -> None:
        try:
            self._db.commit()
        finally:
            self._db.close()

    def __enter__(self) -> ScanStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def begin_scan(
        self,
        started: datetime,
        tool_version: str,
        targets: int,
        checks: Iterable[str],
        options: dict[str, Any] | None = None,
    ) -> int:
        try:
            cur = self._db.execute(
                "INSERT INTO scans (started, tool_version, targets, checks, options) VALUES (?, ?, ?, ?, ?)",
                (iso(started), tool_version, targets, ",".join(checks), json.dumps(options or {})),
            )
            self._db.commit()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        assert cur.lastrowid is not None
        return cur.lastrowid

    def add_result(self, scan_id: int, result: HostResult) -> None:
        ex = result.exposure
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO results (scan_id, key, target, address, port, reachable, "
                "is_exchange, product, build, build_source, proxylogon, proxyshell, proxynotshell, owassrf, "
                "scanned_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    scan_id,
                    result.key,
                    result.target,
                    result.address,
                    result.port,
                    int(result.reachable),
                    int(result.is_exchange),
                    result.product,
                    result.build,
                    result.build_source,
                    ex.get("ProxyLogon"),
                    ex.get("ProxyShell"),
                    ex.get("ProxyNotShell"),
                    ex.get("OWASSRF"),
                    iso(result.scanned_at),
                    json.dumps(result.to_dict()),
                ),
            )
            self._pending += 1
            if self._pending >= 200:  # commit in batches: results survive a crash, the disk is spared
                self._db.commit()
                self._pending = 0
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    def finish_scan(self, scan_id: int, finished: datetime) -> None:
        try:
            self._db.execute("UPDATE scans SET finished = ? WHERE id = ?", (iso(finished), scan_id))
            self._db.commit()
            self._pending = 0
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None

    def scans(self, finished_only: bool = False) -> list[ScanRecord]:
        where = "WHERE s.finished IS NOT NULL" if finished_only else ""
        query = f"""
            SELECT s.id, s.started, s.finished, s.tool_version, s.targets, s.checks,
                   COUNT(r.key), COALESCE(SUM(r.is_exchange), 0),
                   COALESCE(SUM(r.proxylogon IN ({_EXPOSED_SQL}) OR r.proxyshell IN ({_EXPOSED_SQL})
                                OR r.proxynotshell IN ({_EXPOSED_SQL}) OR r.owassrf IN ({_EXPOSED_SQL})), 0)
            FROM scans s LEFT JOIN results r ON r.scan_id = s.id {where}
            GROUP BY s.id ORDER BY s.id"""
        try:
            rows = self._db.execute(query).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        return [
            ScanRecord(
                r[0],
                parse_iso(r[1]),
                parse_iso(r[2]),
                r[3],
                r[4] or 0,
                tuple(c for c in (r[5] or "").split(",") if c),
                r[6],
                r[7],
                r[8],
            )
            for r in rows
        ]

    def results(self, scan_id: int) -> list[HostResult]:
        try:
            rows = self._db.execute("SELECT record FROM results WHERE scan_id = ? ORDER BY key", (scan_id,)).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        out = []
        for (record,) in rows:
            try:
                out.append(HostResult.from_dict(json.loads(record)))
            except (ValueError, KeyError, TypeError) as exc:
                raise StoreError(f"{self.path}: scan {scan_id} holds an unreadable result ({exc})") from None
        return out


_EXPOSED_SQL = ", ".join(f"'{s}'" for s in sorted(EXPOSED))


class ChangeKind:
    NEWLY_EXPOSED = "newly-exposed"
    NEWLY_PATCHED = "newly-patched"
    NEW = "new"
    GONE = "gone"
    NOT_SCANNED = "not-scanned"  # answered before, not among the newer scan's targets: not known to be gone
    CHANGED = "changed"  # build or identity changed, exposure did not (or: a check finding not checked again)


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    key: str
    target: str
    chains: tuple[str, ...]
    before: str | None  # the build (or state) in the older scan
    after: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "target": self.target,
            "chains": list(self.chains),
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
        }


def _state(r: HostResult | None) -> str | None:
    if r is None or not r.reachable:
        return None
    if not r.is_exchange:
        return "Exchange not seen"
    return r.build or "Exchange, build unknown"


def _exposure_words(r: HostResult) -> str:
    exposed = [f"{c} {s}" for c, s in r.exposure.items() if s in EXPOSED]
    return "; ".join(exposed) if exposed else "nothing exposed"


def diff(older: list[HostResult], newer: list[HostResult]) -> list[Change]:
    """Host by host, what changed from `older` to `newer` (hosts keyed by scheme://host:port)."""
    before = {r.key: r for r in older}
    after = {r.key: r for r in newer}
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        o, n = before.get(key), after.get(key)
        o_up, n_up = bool(o and o.reachable), bool(n and n.reachable)
        if not o_up and not n_up:
            continue
        target = (n or o).target  # type: ignore[union-attr]
        if o is not None and n is not None and o_up and n_up:
            changes += _exposure_changes(key, target, o, n)
        else:
            changes.append(_reach_change(key, target, o, n))
    return changes


def _reach_change(key: str, target: str, o: HostResult | None, n: HostResult | None) -> Change:
    """A host that answers in one scan only: new, gone, or left out of the newer scan's targets."""
    if n is not None and n.reachable:
        return Change(
            ChangeKind.NEW,
            key,
            target,
            _exposed_chains(n),
            None,
            _state(n),
            f"answers now: {_state(n)}, {_exposure_words(n)}",
        )
    assert o is not None
    if n is None:
        detail = f"last seen as {_state(o)}, {_exposure_words(o)}; not among the newer scan's targets"
        return Change(ChangeKind.NOT_SCANNED, key, target, (), _state(o), None, detail)
    why = n.errors[0] if n.errors else "no answer"
    return Change(ChangeKind.GONE, key, target, (), _state(o), None, f"last seen as {_state(o)}; now: {why}")


def _moved_chains(o: HostResult, n: HostResult) -> tuple[list[str], list[str], list[str]]:
    """The chains newly exposed, newly patched, and patched by the build alone where a check had
    found them open (`unchecked`)."""
    exposed: list[str] = []
    patched: list[str] = []
    unchecked: list[str] = []
    for chain in map(str, CHAINS):
        was, now = o.exposure.get(chain), n.exposure.get(chain)
        if now in EXPOSED and was not in EXPOSED:
            exposed.append(chain)
        elif was in EXPOSED and now == str(Exposure.PATCHED):
            # A chain a check found open and no check of the newer scan found closed is not
            # known to be patched: the newer verdict is the build's, which said patched before.
            (unchecked if _check_found(o, chain) and not _check_cleared(n, chain) else patched).append(chain)
    return exposed, patched, unchecked


def _exposure_changes(key: str, target: str, o: HostResult, n: HostResult) -> list[Change]:
    """A host answering in both scans: the chains that opened or closed, and a build that changed."""
    exposed, patched, unchecked = _moved_chains(o, n)
    was, now = _state(o), _state(n)
    builds = f"{was} -> {now}" if was != now else f"{now}"
    out: list[Change] = []
    if exposed:
        words = ", ".join(f"{c} {n.exposure[c]}" for c in exposed)
        out.append(Change(ChangeKind.NEWLY_EXPOSED, key, target, tuple(exposed), was, now, f"{words} ({builds})"))
    if patched:
        words = f"{', '.join(patched)} patched ({builds})"
        out.append(Change(ChangeKind.NEWLY_PATCHED, key, target, tuple(patched), was, now, words))
    if unchecked:
        words = (
            f"{', '.join(unchecked)}: found vulnerable by a check before, not cleared by one now (not run, mitigated"
            f" or unknown); the build alone says patched, as it did then: not a sign of a fix, run the check"
            f" again ({builds})"
        )
        out.append(Change(ChangeKind.CHANGED, key, target, tuple(unchecked), was, now, words))
    elif not exposed and not patched and was != now:
        out.append(Change(ChangeKind.CHANGED, key, target, (), was, now, builds))
    return out


def _check_found(r: HostResult, chain: str) -> bool:
    return any(c.chain == chain and c.verdict is CheckVerdict.VULNERABLE for c in r.checks)


def _check_cleared(r: HostResult, chain: str) -> bool:
    """A check of `chain` ran and saw no flaw (a mitigation, a skipped or failed check is not that)."""
    return any(c.chain == chain and c.verdict is CheckVerdict.NOT_VULNERABLE for c in r.checks)


def _exposed_chains(r: HostResult) -> tuple[str, ...]:
    return tuple(c for c, s in r.exposure.items() if s in EXPOSED)
