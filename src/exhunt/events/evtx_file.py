"""Read `.evtx` files with the Rust-backed `evtx` parser, recovering what a damaged file holds.

The parser raises once per unreadable chunk and then carries on with the next one
so every `next()` is guarded: a bad chunk costs its own
records, never the file. A file cut short (a copy of a log in use, a partial download) is not
reported by the parser at all: it stops quietly after the last whole chunk. The file header
says how many chunks there should be, so the reader compares and says so.

A large file on disk can be read in parts, each by its own worker: its chunks are independent
(each holds its own string and template tables), so a part is the file header followed by a
range of whole chunks (`part`), which the parser reads as if it were the file.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from typing import IO, Any, Protocol, cast

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
    part: tuple[int, int] | None = None,
) -> Iterator[EventRecord]:
    """Yield the readable events of one `.evtx` file; problems go to `errors`.

    `threads` is the parser's own thread count: 1 by default because files are already spread
    over worker processes. With `skim`, only the events it wants are decoded and yielded; the
    others go to `skim.passed`, still counted as read. With `part` (index, count), only that
    share of the file's chunks is read (a file on disk only); the checks of the file's end are
    made by its last part."""
    source = file.rel_path
    last = part is None or part[0] == part[1] - 1
    where = ""
    if part is not None:
        first = (chunk_span(file.size, part)[0] - _HEADER_SIZE) // _CHUNK_SIZE
        where = f" in part {part[0] + 1} of {part[1]} (its chunk 0 is the file's chunk {first})"
    with ExitStack() as stack:
        stream = stack.enter_context(file.open())
        header = stream.read(_HEADER_SIZE)
        if not header.startswith(_SIGNATURE):
            if part is None or part[0] == 0:  # a file read in parts: said once, by its first
                errors.append(
                    _problem(source, "not an EVTX file (no ElfFile signature): skipped", ProblemKind.UNSUPPORTED)
                )
            return
        expected = _expected_size(header)
        target = _parser_input(file, stream, header, part, stack, errors, memory_bound, spool_bound)
        try:
            # compact JSON: less for the parser to write and for the header match to walk
            parser = PyEvtxParser(target, number_of_threads=threads, indent=False)
        except (OSError, RuntimeError, ValueError) as exc:
            errors.append(_problem(source, f"EVTX file cannot be parsed{where}: {_short(exc)}", ProblemKind.UNREADABLE))
            return
        read, failed = yield from _records(parser, source, errors, skim, where)
    if failed:
        errors.append(
            _problem(source, f"{failed} unreadable chunk(s) or record(s) skipped; {read} records read{where}")
        )
    if last:
        errors += _cut_short(file, expected, read, where)


def _parser_input(
    file: EvidenceFile,
    stream: IO[bytes],
    header: bytes,
    part: tuple[int, int] | None,
    stack: ExitStack,
    errors: list[Problem],
    memory_bound: int,
    spool_bound: int,
) -> IO[bytes]:
    """What the parser reads: a part's window of chunks, the file already opened (safely: no
    link, no FIFO; never its path again), or an archive member's seekable copy, cut at the
    bound on temporary space (a `limit` problem)."""
    if part is not None:
        if file.ref.archive is not None:
            raise ValueError("only a file on disk is read in parts")
        return cast(IO[bytes], _ChunkWindow(stream, header, *chunk_span(file.size, part)))
    if file.ref.archive is None:
        stream.seek(0)
        return stream
    target = _seekable_copy(stream, header, memory_bound, stack, spool_bound)
    if getattr(target, "cut", False):
        errors.append(
            _problem(
                file.rel_path,
                f"EVTX member larger than {spool_bound:,} bytes (the bound on temporary space, "
                "setting evtx_spool_bound); read up to there",
                ProblemKind.LIMIT,
            )
        )
    return target


def _cut_short(file: EvidenceFile, expected: int | None, read: int, where: str) -> list[Problem]:
    """The file's end checked against its header: fewer bytes of chunks than it declares, or a
    last chunk cut short."""
    if expected is not None and file.size < expected:
        return [
            _problem(
                file.rel_path,
                f"EVTX file truncated: its header declares {expected:,} bytes of chunks, the file "
                f"has {file.size:,}; {read} records read from the complete part{where}",
            )
        ]
    if (file.size - _HEADER_SIZE) % _CHUNK_SIZE:
        return [
            _problem(
                file.rel_path,
                f"EVTX file ends inside a chunk ({file.size:,} bytes): the last chunk is cut short; "
                f"{read} records read{where}",
            )
        ]
    return []


def _records(
    parser: Any, source: str, errors: list[Problem], skim: Skim | None, where: str = ""
) -> Generator[EventRecord, None, tuple[int, int]]:
    """The generator body: returns (records read, failures) once the parser is exhausted.
    `where` says which part of the file the parser reads, when it reads one."""
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
                errors.append(_problem(source, f"unreadable EVTX chunk skipped{where}: {_short(exc)}"))
            if failed >= _MAX_CHUNK_ERRORS:
                errors.append(
                    _problem(
                        source, f"too many unreadable chunks: rest of the file skipped{where}", ProblemKind.UNREADABLE
                    )
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


def chunk_span(size: int, part: tuple[int, int]) -> tuple[int, int]:
    """The bytes [start, end) of a file of `size` bytes that part (index, count) reads: its
    share of the whole chunks after the header, the last part to the end of the file (a chunk
    cut short included, as the whole file's reading includes it)."""
    index, count = part
    chunks = max(0, -(-(size - _HEADER_SIZE) // _CHUNK_SIZE))
    start = _HEADER_SIZE + chunks * index // count * _CHUNK_SIZE
    end = size if index == count - 1 else _HEADER_SIZE + chunks * (index + 1) // count * _CHUNK_SIZE
    return start, max(start, min(end, size))


class _ChunkWindow(io.RawIOBase):
    """A file's header followed by bytes [start, end) of the file, read through `stream`: what
    the parser sees of one part, as one seekable file."""

    def __init__(self, stream: IO[bytes], header: bytes, start: int, end: int) -> None:
        super().__init__()
        self._stream = stream
        self._header = header
        self._start = start
        self._size = len(header) + end - start
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._size - self._pos)
        if want <= 0:
            return 0
        head = len(self._header)
        if self._pos < head:
            n = min(want, head - self._pos)
            view[:n] = self._header[self._pos : self._pos + n]
        else:
            self._stream.seek(self._start + self._pos - head)
            n = self._stream.readinto(view[:want])  # type: ignore[attr-defined]
            if not n:
                return 0
        self._pos += n
        return int(n)


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
