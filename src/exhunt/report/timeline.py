"""The forensic timeline: one row per dated finding, importable by Timesketch as CSV or JSONL.

Timesketch needs `message`, `datetime` (ISO 8601) and `timestamp_desc` on every row and takes
`timestamp` in microseconds and any number of extra flat fields
(Timesketch's documentation on importing CSV and JSONL). Values are written exactly as logged: the CSV quotes
attacker commas, quotes and line breaks, the JSONL escapes them, and nothing is nested.
Findings without a time cannot sit on a timeline and are counted, not written.
"""

from __future__ import annotations

import csv
import heapq
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from exhunt.fleet.spool import HostOrder, SpooledOutput
from exhunt.model import Finding, HostAssessment, HuntResult, in_order, utc
from exhunt.outfile import replaced, written_in_place
from exhunt.report.csvsafe import safe_cell
from exhunt.report.findings_jsonl import one_line

FIELDS = (
    "message",
    "datetime",
    "timestamp_desc",
    "timestamp",
    "host",
    "rule_id",
    "rule_version",
    "title",
    "severity",
    "category",
    "implies",
    "chain",
    "cves",
    "source_ip",
    "path",
    "line",
    "record",
    "sha256",
    "excerpt",
)
TIMESTAMP_DESC = "Event Time"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_KEY = re.compile(r"[^a-z0-9_]+")


@dataclass(frozen=True, slots=True)
class TimelineStats:
    rows: int
    undated: int  # findings left out because they carry no time


class TimelineFormatError(ValueError):
    """The output name does not end in .csv or .jsonl (the two formats Timesketch imports)."""


def _clean(text: str) -> str:
    """Lone surrogates (undecodable evidence bytes) cannot be written as UTF-8; keep them visible."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _message(host: str, f: Finding) -> str:
    parts = [f"[{f.severity}] {f.title} ({f.rule_id})", f"on {host}"]
    if f.source_ip:
        parts.append(f"from {f.source_ip}")
    where = f"{f.evidence.path}:{f.evidence.line}" if f.evidence.line else f.evidence.path
    parts.append(f"in {where}")
    return " ".join(parts)


def _datetime(ts: datetime | None) -> str:
    """ISO 8601 in UTC, always to the microsecond: a log with whole seconds beside one with
    milliseconds gave `...:12Z` and `...:12.388000Z`, which a spreadsheet or `sort` puts in the
    wrong order (`.` sorts before `Z`); at one width, text order is time order."""
    if ts is None:
        return ""
    # isoformat, not strftime: %Y does not pad a year before 1000 (a clock reset, a forged log)
    return utc(ts).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _detail_key(key: str) -> str:
    name = _KEY.sub("_", key.lower()).strip("_") or "detail"
    return f"detail_{name}"


def rows(result: HuntResult, undated: bool = False) -> Iterator[dict[str, str | int]]:
    """Flat timeline rows in one time order across hosts (equal times in host order, then as
    each host has them). Findings without a time are skipped, unless `undated` (the findings
    table of `exhunt hunt --csv`): that goes host by host, each host's undated ones last."""
    if undated:
        for host in result.hosts:
            yield from host_rows(host, undated)
        return
    yield from heapq.merge(*(host_rows(host) for host in result.hosts), key=_micros)


def _micros(row: dict[str, str | int]) -> int:
    return int(row["timestamp"])


def _undated(result: HuntResult) -> int:
    return sum(1 for h in result.hosts for f in h.findings if f.timestamp is None)


def host_rows(host: HostAssessment, undated: bool = False) -> Iterator[dict[str, str | int]]:
    """One host's timeline rows in time order. Findings without a time are skipped, unless
    `undated`: they come last, time empty."""
    for f in in_order(host.findings):
        if f.timestamp is None and not undated:
            continue
        ts = utc(f.timestamp) if f.timestamp is not None else None
        micros: str | int = (ts - _EPOCH) // timedelta(microseconds=1) if ts is not None else ""
        row: dict[str, str | int] = {
            "message": _message(host.host, f),
            "datetime": _datetime(ts),
            "timestamp_desc": TIMESTAMP_DESC if ts is not None else "",
            "timestamp": micros,
            "host": host.host,
            "rule_id": f.rule_id,
            "rule_version": f.rule_version,
            "title": f.title,
            "severity": str(f.severity),
            "category": f.category,
            "implies": str(f.implies),
            "chain": f.chain or "",
            "cves": " ".join(f.cves),
            "source_ip": f.source_ip or "",
            "path": f.evidence.path,
            "line": f.evidence.line if f.evidence.line is not None else "",
            "record": f.evidence.record or "",
            "sha256": f.evidence.sha256 or "",
            "excerpt": f.evidence.excerpt or "",
        }
        for key, value in f.details:
            row.setdefault(_detail_key(key), value)
        yield {k: _clean(v) if isinstance(v, str) else v for k, v in row.items()}


class TimelineStream(SpooledOutput):
    """The timeline (or, with `undated`, the findings table of `--csv`) fed host by host as
    hosts finish, so a fleet hunt holds no host for it.

    Each host's rows go as JSON lines to a spool beside the output; `close` writes them, the
    timeline in one time order across hosts (each host's rows merged by time as they are read
    back, equal times in host order, see `exhunt.fleet.spool`), the findings table host by host: JSONL as they are, CSV under a header naming every column
    (the `detail_*` columns are known only at the end; only their names are held in memory),
    spreadsheet-safe unless `safe` is false (`--csv-raw`). `fmt` is taken from the file name
    unless given (`--csv` takes any name); standard output (`-`) gets JSONL unless told.
    """

    def __init__(self, path: str | Path, safe: bool = True, *, fmt: str | None = None, undated: bool = False) -> None:
        self._csv = (fmt or timeline_format(path)) == "csv"
        super().__init__(path)
        self.block = 0 if undated else MERGE_BYTES
        self.newline = "" if self._csv else "\n"
        self._safe = safe
        self._undated = undated
        self._extra: set[str] = set()
        self.rows = 0
        self.undated = 0

    def add(self, host: HostAssessment, order: HostOrder | None = None) -> None:
        lines = []
        for row in host_rows(host, self._undated):
            self._extra.update(k for k in row if k not in FIELDS)
            text = one_line(json.dumps(row, ensure_ascii=False))
            # The timeline's rows carry their time before a tab (JSON text holds none raw), for
            # the merge across hosts in `write_parts`.
            lines.append(f"{text}\n" if self._undated else f"{row['timestamp']}\t{text}\n")
            self.rows += 1
        self.add_text(order, "".join(lines))
        if not self._undated:
            self.undated += sum(1 for f in host.findings if f.timestamp is None)

    def stats(self) -> TimelineStats:
        return TimelineStats(self.rows, self.undated)

    def write_parts(self, out: IO[str], parts: Iterator[Iterator[str]]) -> None:
        """The findings table host by host; the timeline in one time order across hosts: each
        host's rows (already in time order) merged as they are read back, equal times in host
        order, then as the host has them. One block (MERGE_BYTES) of each host is held."""
        if self._undated:
            super().write_parts(out, parts)
            return
        hosts = [_keyed_lines(part) for part in parts]
        merged = (line for _when, line in heapq.merge(*hosts, key=lambda keyed: keyed[0]))
        self.write(out, merged)

    def write(self, out: IO[str], pieces: Iterator[str]) -> None:
        if not self._csv:
            super().write(out, pieces)
            return
        fields = [*FIELDS, *sorted(self._extra)]
        writer = csv.DictWriter(out, fieldnames=fields, restval="", quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for piece in pieces:
            for line in piece.split("\n")[:-1]:  # not splitlines: U+2028 and the like stay in a row
                row = json.loads(line)
                writer.writerow({k: safe_cell(v) if self._safe and isinstance(v, str) else v for k, v in row.items()})

    def close(self) -> TimelineStats:  # type: ignore[override]
        super().close()
        return self.stats()


def _keyed_lines(blocks: Iterator[str]) -> Iterator[tuple[int, str]]:
    """A host's spooled timeline rows (`timestamp<TAB>json`), one at a time with their time."""
    rest: list[str] = []  # a row's start, when it runs past a block
    for block in blocks:
        if "\n" not in block:
            rest.append(block)
            continue
        lines = block.split("\n")  # not splitlines: U+2028 and the like stay in a row
        if rest:
            lines[0] = "".join((*rest, lines[0]))
        last = lines.pop()
        rest = [last] if last else []
        for line in lines:
            when, _, text = line.partition("\t")
            yield int(when), text + "\n"
    if rest:
        raise ValueError("a spooled timeline row was cut short")


MERGE_BYTES = 1 << 16


def write_csv(all_rows: list[dict[str, str | int]], out: IO[str], safe: bool = True) -> None:
    """The rows as CSV; `safe` neutralises cells a spreadsheet would run as formulas."""
    extra = sorted({k for row in all_rows for k in row if k not in FIELDS})
    writer = csv.DictWriter(out, fieldnames=[*FIELDS, *extra], restval="", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    for row in all_rows:
        writer.writerow({k: safe_cell(v) if safe and isinstance(v, str) else v for k, v in row.items()})


def write_jsonl(all_rows: list[dict[str, str | int]], out: IO[str]) -> None:
    for row in all_rows:
        out.write(one_line(json.dumps(row, ensure_ascii=False)) + "\n")


def timeline_format(path: str | Path) -> str:
    """`csv` or `jsonl` from the file name; standard output (`-`), and a FIFO or device whose
    name says neither (`/dev/stdout`, `>(...)`), get JSON lines."""
    if str(path) == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".jsonl") and written_in_place(path):
        return "jsonl"
    if suffix not in (".csv", ".jsonl"):
        raise TimelineFormatError(f"timeline file must end in .csv or .jsonl, not {Path(path).name!r}")
    return suffix[1:]


def write_timeline_to(result: HuntResult, out: IO[str], fmt: str, safe: bool = True) -> TimelineStats:
    all_rows = list(rows(result))
    if fmt == "jsonl":
        write_jsonl(all_rows, out)
    else:
        write_csv(all_rows, out, safe)
    return TimelineStats(len(all_rows), _undated(result))


def write_timeline(result: HuntResult, path: str | Path, safe: bool = True) -> TimelineStats:
    """Write the timeline; the format follows the file name: `.csv` or `.jsonl`."""
    fmt = timeline_format(path)
    with replaced(path, newline="" if fmt == "csv" else "\n") as out:
        return write_timeline_to(result, out, fmt, safe)
