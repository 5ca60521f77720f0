"""One entry point for event exports that are not EVTX: the format is told by the content.

`<` first: XML (`wevtutil qe /f:xml`, Event Viewer); `{` or `[`: JSON lines or a JSON document
(Windows event JSON, Winlogbeat 6/7/8 and Elastic Agent, Velociraptor, EvtxECmd, Splunk); a CSV
header naming `EventId` and `Channel`: EvtxECmd's CSV. UTF-16 files are read as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO, cast

from exhunt.events.jsonl import read_event_json
from exhunt.events.jsonl import transcoded_blocks as transcoded_blocks
from exhunt.events.normalise import normalise
from exhunt.events.record import EventRecord
from exhunt.events.xmlevents import read_event_xml
from exhunt.model import Problem, ProblemKind
from exhunt.streams import BlockStream

PRODUCER = "event export reader"
_CSV_FIELD_LIMIT = 4 * 1024 * 1024


def read_event_export(stream: IO[bytes], source: str, errors: list[Problem]) -> Iterator[EventRecord]:
    """Yield the events of one export file; problems go to `errors` (never raised)."""
    blocks = iter(transcoded_blocks(stream))
    first = next(blocks, b"")
    start = first.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"<"):
        yield from read_event_xml(_chain(first, blocks), source, errors)
    elif start[:1] in (b"{", b"[") or not start:
        yield from read_event_json(cast(IO[bytes], BlockStream(_chain(first, blocks))), source, errors)
    elif _is_event_csv(start):
        yield from _read_csv(_chain(first, blocks), source, errors)
    else:
        yield from read_event_json(cast(IO[bytes], BlockStream(_chain(first, blocks))), source, errors)


def is_event_csv_header(line: str) -> bool:
    """A CSV header of an event export: EvtxECmd's (`EventId`, `Channel`, `Payload`...)."""
    columns = {c.strip().strip('"').lower() for c in line.split(",")}
    return {"eventid", "channel"} <= columns or {"eventcode", "logname"} <= columns


def _is_event_csv(start: bytes) -> bool:
    return is_event_csv_header(start.split(b"\n", 1)[0].decode("utf-8", errors="replace"))


def _read_csv(blocks: Iterable[bytes], source: str, errors: list[Problem]) -> Iterator[EventRecord]:
    text = io.TextIOWrapper(io.BufferedReader(BlockStream(blocks)), encoding="utf-8-sig", errors="replace", newline="")
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.DictReader(text)
    skipped = 0
    try:
        for row in reader:
            doc = {k: v for k, v in row.items() if isinstance(k, str) and v not in (None, "")}
            if "EventCode" in doc and "EventId" not in doc:
                doc["EventId"] = doc["EventCode"]
                doc.setdefault("Channel", doc.get("LogName", ""))
            record = normalise(doc, source, reader.line_num)
            if record is None:
                skipped += 1
                continue
            yield record
    except csv.Error as exc:
        errors.append(
            Problem(
                source,
                f"CSV damaged at line {reader.line_num}: {exc}; rest skipped",
                None,
                ProblemKind.MALFORMED,
                PRODUCER,
            )
        )
    if skipped:
        errors.append(
            Problem(
                source, f"{skipped} CSV rows are not Windows events, skipped", None, ProblemKind.MALFORMED, PRODUCER
            )
        )


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest
