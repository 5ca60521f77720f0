"""One entry point for event exports that are not EVTX: the format is told by the content.

`<` first: XML (`wevtutil qe /f:xml`, Event Viewer); `{` or `[`: JSON lines or a JSON document
(Windows event JSON, Winlogbeat 6/7/8 and Elastic Agent, Velociraptor, EvtxECmd, Splunk); a CSV
header naming `EventId` and `Channel`: EvtxECmd's CSV. UTF-16 files are read as UTF-8.

A large export can be read in parts (`read_event_export_part`), each by its own worker: JSON
lines in UTF-8 are cut at line starts, each part numbering its lines from where it starts; any
other form is read whole by the first part.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO, cast

from exhunt.events.jsonl import json_lines_in_utf8, read_event_json, read_json_lines
from exhunt.events.jsonl import transcoded_blocks as transcoded_blocks
from exhunt.events.normalise import normalise
from exhunt.events.record import EventRecord
from exhunt.events.xmlevents import read_event_xml
from exhunt.evidence.base import EvidenceFile
from exhunt.model import Problem, ProblemKind
from exhunt.streams import BlockStream

PRODUCER = "event export reader"
_CSV_FIELD_LIMIT = 4 * 1024 * 1024
_BLOCK = 1 << 20


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


def read_in_parts(file: EvidenceFile) -> bool:
    """Whether an export can be read in parts (JSON lines in UTF-8, told from its first block as
    `read_event_export_part` tells it); False when it cannot be opened (its reading says why)."""
    try:
        with file.open() as stream:
            return json_lines_in_utf8(stream.read(_BLOCK))
    except OSError:
        return False


def read_event_export_part(
    stream: IO[bytes], source: str, errors: list[Problem], part: tuple[int, int], size: int
) -> Iterator[EventRecord]:
    """Part (index, count) of an export of `size` bytes (`stream` seekable, at its start): JSON
    lines in UTF-8 from the first line that starts in the part's share of the bytes to the
    next part's first (a line belongs to the part it starts in), numbered as in the whole
    file; any other form read whole by the first part, and nothing by the others."""
    index, count = part
    if not json_lines_in_utf8(stream.read(_BLOCK)):
        if index == 0:
            stream.seek(0)
            yield from read_event_export(stream, source, errors)
        return
    start = _line_start(stream, size * index // count, size)
    end = _line_start(stream, size * (index + 1) // count, size) if index < count - 1 else size
    if start >= end:
        return
    first_line = 1 + _newlines(stream, 0, start)
    yield from read_json_lines(_range(stream, start, end), source, errors, first_line=first_line)


def _line_start(stream: IO[bytes], at: int, size: int) -> int:
    """The first line start at or after `at`: `at` itself when a line ends just before it."""
    if at <= 0:
        return 0
    pos = at - 1
    stream.seek(pos)
    while pos < size:
        block = stream.read(_BLOCK)
        if not block:
            break
        found = block.find(b"\n")
        if found >= 0:
            return pos + found + 1
        pos += len(block)
    return size


def _newlines(stream: IO[bytes], start: int, end: int) -> int:
    return sum(block.count(b"\n") for block in _range(stream, start, end))


def _range(stream: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) of `stream`, in blocks."""
    stream.seek(start)
    left = end - start
    while left > 0:
        block = stream.read(min(_BLOCK, left))
        if not block:
            return
        left -= len(block)
        yield block


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
