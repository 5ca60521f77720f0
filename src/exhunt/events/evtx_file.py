"""Read `.evtx` files with the Rust-backed `evtx` parser, recovering what a damaged file holds.

The parser raises once per unreadable chunk and then carries on with the next one
so every `next()` is guarded: a bad chunk costs its own
records, never the file. A file cut short (a copy of a log in use, a partial download) is not
reported by the parser at all: it stops quietly after the last whole chunk. The file header
says how many chunks there should be, so the reader compares and says so.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from typing import IO, Any, Protocol

import orjson
from evtx import PyEvtxParser

from exhunt.events.normalise import from_evtx_json
from exhunt.events.record import EventRecord
from exhunt.evidence.base import EvidenceFile
from exhunt.model import Problem, ProblemKind

PRODUCER = "EVTX reader"

MEMORY_BOUND = 64 * 1024 * 1024  # zip members up to this size are parsed from memory
SPOOL_BOUND = 4 * 1024 * 1024 * 1024  # a larger member is cut there (temporary space is bounded)
TEMP_BYTES = [0]  # temporary bytes written by this process, counted for the bench and the tests
_HEADER_SIZE = 4096
_CHUNK_SIZE = 65536
_SIGNATURE = b"ElfFile\x00"
_ERRORS_SHOWN = 5
_MAX_CHUNK_ERRORS = 100_000  # a parser that only fails is given up on, not looped on forever


class Skim(Protocol):
    """What the caller wants read in full. An event it does not want is only passed by: its
    time, channel and computer (coverage, host names), taken from the record's header."""

    def pass_text(self, text: str) -> bool:
        """Whether the event (the record's JSON text, of which the skim reads the System
        element only, `skim.decode_system`) can be passed by; if so, the skim has counted it (in
        file order among the ones yielded) and it is not read. False for a header the skim does
        not take as it is: the record is decoded in full."""
        ...


def read_evtx(
    file: EvidenceFile,
    errors: list[Problem],
    *,
    threads: int = 1,
    memory_bound: int = MEMORY_BOUND,
    spool_bound: int = SPOOL_BOUND,
    skim: Skim | None = None,
) -> Iterator[EventRecord]:
    """Yield the readable events of one `.evtx` file; problems go to `errors`.

    `threads` is the parser's own thread count: 1 by default because files are already spread
    over worker processes. With `skim`, only the events it wants are decoded and yielded; the
    others go to `skim.passed`, still counted as read."""
    source = file.rel_path
    with ExitStack() as stack:
        stream = stack.enter_context(file.open())
        header = stream.read(_HEADER_SIZE)
        if not header.startswith(_SIGNATURE):
            errors.append(_problem(source, "not an EVTX file (no ElfFile signature): skipped", ProblemKind.UNSUPPORTED))
            return
        expected = _expected_size(header)
        if file.ref.archive is None:
            # The file already opened (safely: no link, no FIFO), never its path again.
            stream.seek(0)
            target: IO[bytes] = stream
        else:
            target = _seekable_copy(stream, header, memory_bound, stack, spool_bound)
            if getattr(target, "cut", False):
                errors.append(
                    _problem(
                        source,
                        f"EVTX member larger than {spool_bound:,} bytes (the bound on temporary space, "
                        "setting evtx_spool_bound); read up to there",
                        ProblemKind.LIMIT,
                    )
                )
        try:
            # compact JSON: less for the parser to write and for the header match to walk
            parser = PyEvtxParser(target, number_of_threads=threads, indent=False)
        except (OSError, RuntimeError, ValueError) as exc:
            errors.append(_problem(source, f"EVTX file cannot be parsed: {_short(exc)}", ProblemKind.UNREADABLE))
            return
        read, failed = yield from _records(parser, source, errors, skim)
    if failed:
        errors.append(_problem(source, f"{failed} unreadable chunk(s) or record(s) skipped; {read} records read"))
    if expected is not None and file.size < expected:
        errors.append(
            _problem(
                source,
                f"EVTX file truncated: its header declares {expected:,} bytes of chunks, the file "
                f"has {file.size:,}; {read} records read from the complete part",
            )
        )
    elif (file.size - _HEADER_SIZE) % _CHUNK_SIZE:
        errors.append(
            _problem(
                source,
                f"EVTX file ends inside a chunk ({file.size:,} bytes): the last chunk is cut short; "
                f"{read} records read",
            )
        )


def _records(
    parser: Any, source: str, errors: list[Problem], skim: Skim | None
) -> Generator[EventRecord, None, tuple[int, int]]:
    """The generator body: returns (records read, failures) once the parser is exhausted."""
    iterator = parser.records_json()
    read = 0
    failed = 0
    pass_text = None if skim is None else skim.pass_text
    while True:
        try:
            raw = next(iterator)
        except StopIteration:
            break
        except (RuntimeError, OSError, ValueError) as exc:
            failed += 1
            if failed <= _ERRORS_SHOWN:
                errors.append(_problem(source, f"unreadable EVTX chunk skipped: {_short(exc)}"))
            if failed >= _MAX_CHUNK_ERRORS:
                errors.append(
                    _problem(source, "too many unreadable chunks: rest of the file skipped", ProblemKind.UNREADABLE)
                )
                break
            continue
        text = raw["data"]
        if pass_text is not None and pass_text(text):
            read += 1
            continue
        try:
            event = orjson.loads(text)["Event"]
            record = from_evtx_json(event, source)
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            failed += 1
            if failed <= _ERRORS_SHOWN:
                errors.append(
                    _problem(source, f"EVTX record {raw.get('event_record_id')} not understood: {_short(exc)}")
                )
            continue
        read += 1
        yield record
    return read, failed


def _expected_size(header: bytes) -> int | None:
    """File size the header's chunk count calls for (header block + chunks)."""
    if len(header) < 0x2C:
        return None
    header_block = int.from_bytes(header[0x28:0x2A], "little") or _HEADER_SIZE
    chunks = int.from_bytes(header[0x2A:0x2C], "little")
    return header_block + chunks * _CHUNK_SIZE


def _seekable_copy(stream: IO[bytes], header: bytes, memory_bound: int, stack: ExitStack, bound: int) -> IO[bytes]:
    """The parser seeks, a zip member cannot do that cheaply: copy it into memory when small,
    else into an anonymous temporary file (in the system temp folder, never in the evidence), at
    most `bound` bytes either way. The size is found by reading, not taken from the archive's
    directory; the copy says whether it was cut (`cut`)."""
    head = header + stream.read(max(0, min(memory_bound, bound) + 1 - len(header)))
    if len(head) <= memory_bound and len(head) <= bound:
        return io.BytesIO(head)
    if len(head) > bound:
        copy = io.BytesIO(head[:bound])
        copy.cut = True  # type: ignore[attr-defined]
        return copy
    # closed by the caller's ExitStack, once the parser is done with it
    spool = stack.enter_context(tempfile.TemporaryFile(prefix="exhunt-evtx-"))  # noqa: SIM115
    spool.write(head)
    written = len(head)
    while written < bound:
        block = stream.read(min(1 << 20, bound - written))
        if not block:
            break
        spool.write(block)
        written += len(block)
    TEMP_BYTES[0] += written
    cut = written >= bound and bool(stream.read(1))
    spool.seek(0)
    if cut:
        setattr(spool, "cut", True)  # noqa: B010
    return spool


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "..."


def _problem(source: str, message: str, kind: ProblemKind = ProblemKind.MALFORMED) -> Problem:
    return Problem(source, message, None, kind, PRODUCER)
