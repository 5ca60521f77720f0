"""Read event exports written as JSON: one object per line (the usual case), or one JSON
array / pretty-printed object per file (PowerShell `ConvertTo-Json`).

Bad input is normal input here: lines that are not JSON, binary junk, lines of hundreds of MB,
UTF-16 files written by Windows PowerShell's `Out-File`. Each problem is recorded as an
`Problem` (a few with their line numbers, then a count) and reading goes on; memory stays
bounded by the longest accepted line.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

import orjson

from exhunt.events import jsontext
from exhunt.events.normalise import normalise
from exhunt.events.record import EventRecord
from exhunt.model import Problem, ProblemKind

PRODUCER = "event JSON reader"

MAX_LINE = 8 * 1024 * 1024  # one event is a few KB; a longer line is junk or an attack on memory
MAX_DOCUMENT = 64 * 1024 * 1024  # whole-file JSON arrays are parsed in memory up to this size
_BLOCK = 1 << 20
_ERRORS_SHOWN = 5  # per kind of problem; the rest are counted
_GIVE_UP_AFTER = 1000  # bad lines before the first event: the file is not an event export
_OTHER_JSON_LIMIT = 20  # valid JSON objects before the first event: some other tool's JSON lines


@dataclass
class _Problems:
    """Counts of skipped lines by reason, with the first few kept as errors."""

    source: str
    errors: list[Problem]
    counts: dict[str, int] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)

    def add(self, reason: str, line: int | None, detail: str = "") -> None:
        n = self.counts.get(reason, 0) + 1
        self.counts[reason] = n
        if n == 1 and line is not None:
            self.first_line[reason] = line
        if n <= _ERRORS_SHOWN:
            message = f"{reason}, skipped" + (f" ({detail})" if detail else "")
            self.errors.append(Problem(self.source, message, line, ProblemKind.MALFORMED, PRODUCER))

    def repaired(self, line: int | None) -> None:
        """Lone surrogate escapes were replaced so the record could be read (said once per file)."""
        if "repaired" not in self.first_line:
            self.first_line["repaired"] = line or 0
            message = "lone UTF-16 surrogate escapes replaced by U+FFFD; the record was read"
            self.errors.append(Problem(self.source, message, line, ProblemKind.MALFORMED, PRODUCER))

    def total(self) -> int:
        return sum(self.counts.values())

    def summarise(self) -> None:
        for reason, n in self.counts.items():
            if n > _ERRORS_SHOWN:
                first = self.first_line.get(reason)
                where = f", first at line {first}" if first is not None else ""
                self.errors.append(
                    Problem(
                        self.source, f"{n} lines skipped in all: {reason}{where}", None, ProblemKind.MALFORMED, PRODUCER
                    )
                )


def read_event_json(
    stream: IO[bytes],
    source: str,
    errors: list[Problem],
    *,
    max_line: int = MAX_LINE,
    max_document: int = MAX_DOCUMENT,
) -> Iterator[EventRecord]:
    """Yield the events of one JSON export; problems go to `errors` (never raised)."""
    problems = _Problems(source, errors)
    head = stream.read(_BLOCK)
    blocks: Iterable[bytes] = _blocks(stream, head)
    encoding = _sniff_encoding(head)
    if encoding is not None:
        blocks = _transcode(blocks, encoding)
    blocks = iter(blocks)
    first = next(blocks, b"")
    if _one_document(first):
        yield from _read_document(first, blocks, source, problems, max_document)
    else:
        yield from _read_lines(_chain(first, blocks), source, problems, max_line)
    problems.summarise()


def read_json_lines(
    blocks: Iterable[bytes], source: str, errors: list[Problem], *, first_line: int = 1, max_line: int = MAX_LINE
) -> Iterator[EventRecord]:
    """The events of JSON lines in UTF-8 (`blocks`, starting with line `first_line` of their
    file: a part of a large export read in parts); problems go to `errors` (never raised)."""
    problems = _Problems(source, errors)
    yield from _read_lines(blocks, source, problems, max_line, first_line - 1)
    problems.summarise()


def _read_lines(
    blocks: Iterable[bytes], source: str, problems: _Problems, max_line: int, before: int = 0
) -> Iterator[EventRecord]:
    """`before`: the lines of the file before these (a part of it read in parts). Whether the
    file is an event export at all is judged on its beginning: a later part (`before` > 0) never
    gives the rest of its lines up for it, as a whole reading that has met events does not."""
    events = 0
    judged = before > 0  # an event export, as far as these lines go: their bad lines are counted, not given up on
    other_objects = 0  # valid JSON objects that are not events, before the first event
    for number, line in _lines(blocks, max_line, before):
        if line is None:
            problems.add(f"line longer than {_size(max_line)}", number)
        else:
            if number == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            line = line.strip()
            if not line:
                continue
            try:
                doc, repaired = jsontext.loads(line)
            except orjson.JSONDecodeError as exc:
                problems.add("line is not JSON", number, str(exc).split(":", 1)[0])
            else:
                if repaired:
                    problems.repaired(number)
                record = normalise(doc, source, number)
                if record is not None:
                    events += 1
                    judged = True
                    yield record
                    continue
                if judged:
                    problems.add("JSON line is not a Windows event", number)
                else:
                    # JSON lines of some other kind (another tool's results): one message, not one per line
                    other_objects += 1
                    if other_objects >= _OTHER_JSON_LIMIT:
                        problems.errors.append(
                            Problem(
                                source,
                                (
                                    f"not a Windows event export: the first {other_objects} JSON objects have no "
                                    "channel or event id; file skipped"
                                ),
                                None,
                                ProblemKind.UNSUPPORTED,
                                PRODUCER,
                            )
                        )
                        return
        if not judged and problems.total() >= _GIVE_UP_AFTER:
            problems.errors.append(
                Problem(
                    source,
                    f"no Windows event in the first {number} lines: not an event export, rest skipped",
                    None,
                    ProblemKind.UNSUPPORTED,
                    PRODUCER,
                )
            )
            return
    if other_objects and events:
        problems.errors.append(
            Problem(
                source,
                f"{other_objects} JSON lines before the first event are not Windows events, skipped",
                None,
                ProblemKind.MALFORMED,
                PRODUCER,
            )
        )


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n // mib} MiB" if n % mib == 0 else f"{n:,} bytes"


def _read_document(
    first: bytes, blocks: Iterator[bytes], source: str, problems: _Problems, max_document: int
) -> Iterator[EventRecord]:
    parts: list[bytes] = []
    size = 0
    for block in _chain(first, blocks):
        size += len(block)
        if size > max_document:
            problems.errors.append(
                Problem(
                    source,
                    f"whole-file JSON document larger than {_size(max_document)}: "
                    "not read (export as JSON lines instead)",
                    None,
                    ProblemKind.LIMIT,
                    PRODUCER,
                )
            )
            return
        parts.append(block)
    try:
        doc, repaired = jsontext.loads(b"".join(parts).lstrip().removeprefix(b"\xef\xbb\xbf"))
        if repaired:
            problems.repaired(None)
    except orjson.JSONDecodeError as exc:
        problems.errors.append(
            Problem(source, f"file is not valid JSON: {exc}", None, ProblemKind.UNREADABLE, PRODUCER)
        )
        return
    items = doc if isinstance(doc, list) else [doc]
    for n, item in enumerate(items, 1):
        record = normalise(item, source, None)
        if record is None:
            problems.add("array element is not a Windows event", None, f"element {n}")
            continue
        yield record


def _blocks(stream: IO[bytes], head: bytes) -> Iterator[bytes]:
    if head:
        yield head
    while True:
        block = stream.read(_BLOCK)
        if not block:
            return
        yield block


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


def transcoded_blocks(stream: IO[bytes]) -> Iterator[bytes]:
    """A stream's content in blocks of UTF-8, whatever UTF it was written in."""
    head = stream.read(_BLOCK)
    blocks: Iterable[bytes] = _blocks(stream, head)
    encoding = _sniff_encoding(head)
    if encoding is not None:
        blocks = _transcode(blocks, encoding)
    return iter(blocks)


def json_lines_in_utf8(head: bytes) -> bool:
    """Whether a file beginning with `head` is read as JSON lines in UTF-8 (neither UTF-16, nor
    a JSON array or pretty-printed document, which are read whole)."""
    if _sniff_encoding(head) is not None:
        return False
    return _start(head)[:1] == b"{" and not _one_document(head)


def _start(head: bytes) -> bytes:
    """A file's first block from its first character: white space and a UTF-8 BOM left out."""
    return head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()


def _one_document(head: bytes) -> bool:
    """Whether a file beginning with `head` (UTF-8) is one JSON document, an array or a
    pretty-printed object (its first line a lone `{`), rather than JSON lines."""
    start = _start(head)
    return start[:1] == b"[" or start.split(b"\n", 1)[0].strip() == b"{"


def _sniff_encoding(head: bytes) -> str | None:
    """UTF-16 files, with a BOM or (written without one) recognised by their zero bytes."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] in b"{[< \r\n" and head[0] != 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] in b"{[< \r\n" and head[1] != 0:
        return "utf-16-be"
    return None


def _transcode(blocks: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    for block in blocks:
        text = decoder.decode(block)
        if text:
            yield text.encode("utf-8", errors="replace")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8", errors="replace")


def _lines(blocks: Iterable[bytes], max_line: int, before: int = 0) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) from blocks, numbered after `before` lines; None instead of a line
    longer than `max_line`, whose bytes are dropped as they arrive so memory stays bounded."""
    number = before
    carry = b""
    overlong = False
    for block in blocks:
        pieces = block.split(b"\n")
        for piece in pieces[:-1]:
            number += 1
            if overlong or len(carry) + len(piece) > max_line:
                yield number, None
            else:
                yield number, carry + piece if carry else piece
            carry = b""
            overlong = False
        tail = pieces[-1]
        if overlong:
            continue
        if len(carry) + len(tail) > max_line:
            carry = b""
            overlong = True
        else:
            carry = carry + tail if carry else tail
    if carry or overlong:
        number += 1
        yield number, None if overlong else carry
