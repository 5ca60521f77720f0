"""Read a log file as newline-aligned UTF-8 blocks, whatever state the file is in.

Logs are hundreds of MB a day on a busy front end, so a file is read in big binary blocks and
never as a whole. Every block ends on a line boundary, so the prefilter and the line numbering
can work on it without looking back. What is wrong with a file (UTF-16 encoding, NUL or binary
junk, lines too long to keep, an unreadable stream) is recorded as a `Problem` and the
reading goes on with what can be used (docs/logs.md#reading-logs-at-scale).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from exhunt.model import Problem, ProblemKind

BLOCK_SIZE = 8 * 1024 * 1024
# Real log lines are a few KB; anything longer than this is junk or an attack on the parser.
MAX_LINE = 1024 * 1024
# More damaged-record problems than this in one file are summarised in one last problem. Only
# `evidence-malformed` is capped: every other kind is listed, since each one blocks `clean`.
MAX_ERRORS = 25

_READS_INTO = (io.BufferedReader, io.FileIO, io.BytesIO)
_TEXT_BYTES = bytes(range(0x20, 0x100)) + b"\t\n\r\f\v\x1b"


@dataclass(slots=True)
class Block:
    """Whole lines of one file: `data[:size]`, which ends with a newline except, perhaps, at the
    end of the file. `data` may be the reader's reusable buffer: it is valid until the next block
    is asked for (copy `body` to keep it)."""

    data: bytes | bytearray
    first_line: int  # 1-based number of the block's first line
    # Newline characters in the block; None until counted. A consumer that walks the whole block
    # anyway (the log scan numbers its candidate lines) sets it, so the bytes are counted once.
    newlines: int | None
    final: bool  # nothing follows
    size: int = -1  # bytes of `data` that belong to the block; -1: all of them

    def __post_init__(self) -> None:
        if self.size < 0:
            self.size = len(self.data)

    @property
    def body(self) -> bytes:
        """A copy of the block's bytes."""
        return bytes(self.data[: self.size])


# Block buffers of this process, reused from file to file (allocating and zeroing 9 MiB per file
# would cost more than reading a small one).
_SPARE: dict[int, list[bytearray]] = {}


def _take_buffer(size: int) -> bytearray:
    spare = _SPARE.get(size)
    return spare.pop() if spare else bytearray(size)


def _give_buffer(buf: bytearray, size: int) -> None:
    spare = _SPARE.setdefault(size, [])
    if len(buf) == size and len(spare) < 2:
        spare.append(buf)


class ErrorLog:
    """Problems of one file. Damaged records (`evidence-malformed`) are capped so a file full of
    junk cannot flood the report; the rest are all kept, and a detector that raises on records is
    counted and reported once per file with its first failure."""

    def __init__(self, path: str, limit: int = MAX_ERRORS, *, producer: str = "reader") -> None:
        self.path = path
        self.limit = limit
        self.producer = producer
        self.errors: list[Problem] = []
        self.malformed = 0
        self.dropped = 0
        self._failures: dict[str, tuple[int | None, str, int]] = {}  # producer -> first line, message, count

    def add(
        self,
        message: str,
        line: int | None = None,
        *,
        kind: ProblemKind = ProblemKind.MALFORMED,
        producer: str | None = None,
    ) -> None:
        if kind is ProblemKind.MALFORMED:
            if self.malformed >= self.limit:
                self.dropped += 1
                return
            self.malformed += 1
        self.errors.append(Problem(self.path, message, line, kind, producer or self.producer))

    def failed(self, producer: str, line: int | None, message: str) -> None:
        """A detector raised on one record: counted, the first one kept with its line."""
        first = self._failures.get(producer)
        if first is None:
            self._failures[producer] = (line, message, 1)
        else:
            self._failures[producer] = (first[0], first[1], first[2] + 1)

    def finish(self) -> list[Problem]:
        out = list(self.errors)
        for producer, (line, message, count) in self._failures.items():
            more = f" ({count} records failed in all)" if count > 1 else ""
            out.append(
                Problem(
                    self.path,
                    f"{producer} could not evaluate a record: {message}{more}",
                    line,
                    ProblemKind.ANALYZER_FAILED,
                    producer,
                )
            )
        if self.dropped:
            out.append(
                Problem(
                    self.path,
                    f"{self.dropped} more damaged records in this file were not listed",
                    None,
                    ProblemKind.MALFORMED,
                    self.producer,
                )
            )
        return out


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) for the start of a file. Exchange and IIS write UTF-8 (sometimes with
    a BOM); a copied or re-saved log may be UTF-16, with or without its BOM."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = head[:4096]
    if len(sample) >= 16:
        half = len(sample) // 2
        odd_nuls = sample[1::2].count(0)
        even_nuls = sample[0::2].count(0)
        # ASCII text in UTF-16 has a NUL in every other byte and (almost) none in the others.
        if odd_nuls > 0.7 * half and even_nuls < 0.1 * half:
            return "utf-16-le", 0
        if even_nuls > 0.7 * half and odd_nuls < 0.1 * half:
            return "utf-16-be", 0
    return "utf-8", 0


def looks_binary(sample: bytes) -> bool:
    """True when a sample (NULs already set aside) is mostly not text: control bytes a log never
    holds, or byte runs that are not UTF-8 (a compressed or binary file named like a log)."""
    if not sample:
        return False
    control = len(sample.translate(None, _TEXT_BYTES))
    if control > 0.05 * len(sample):
        return True
    text = sample.decode("utf-8", "replace")
    return text.count("\ufffd") > 0.2 * len(text)


def _not_text(sample: bytes) -> bool:
    """Whether the start of a file is not a text log. Judged line by line: a damaged sector
    (kilobytes of binary junk) among text lines costs its own lines, never the file; a file is
    binary when its few text-looking lines (under 8) hold under a tenth of the sample."""
    # NULs are junk to remove (a crash leaves zero-filled runs in a text log), not a verdict.
    sample = sample.replace(b"\x00", b"")
    if not looks_binary(sample):
        return False
    lines = [line for line in sample.split(b"\n") if len(line.strip()) >= 16 and not looks_binary(line)]
    return sum(map(len, lines)) < 0.1 * len(sample) and len(lines) < 8


class BlockReader:
    """Iterate over newline-aligned UTF-8 blocks of one stream; problems go to `log`."""

    def __init__(
        self,
        stream: IO[bytes],
        log: ErrorLog,
        *,
        block_size: int = BLOCK_SIZE,
        max_line: int = MAX_LINE,
    ) -> None:
        self.stream = stream
        self.log = log
        self.block_size = block_size
        self.max_line = max_line
        self.encoding = "utf-8"
        self.nul_bytes = 0
        self.first_nul_line: int | None = None
        self.binary = False

    def _read(self) -> bytes:
        try:
            return self.stream.read(self.block_size)
        except Exception as exc:  # zip members fail with zlib/zipfile errors, disks with OSError
            self._read_failed(exc)
            return b""

    def _read_failed(self, exc: Exception) -> None:
        self.log.add(f"read error, the rest of the file was not examined: {exc}", kind=ProblemKind.UNREADABLE)

    def __iter__(self) -> Iterator[Block]:
        chunk = self._read()
        codec, bom = sniff_encoding(chunk)
        self.encoding = codec
        chunk = chunk[bom:]
        decoder = None
        if codec != "utf-8":
            decoder = codecs.getincrementaldecoder(codec)(errors="replace")
            self.log.add(f"file is {codec.upper()}, not UTF-8; read it transcoded")
        elif _not_text(chunk[:65536]):
            self.binary = True
            self.log.add("file holds binary data, not a text log; skipped", kind=ProblemKind.UNSUPPORTED)
            return
        capacity = self.max_line + self.block_size
        buf = _take_buffer(capacity)
        try:
            yield from self._blocks(buf, chunk, decoder)
        finally:
            _give_buffer(buf, capacity)

    def _fill(self, buf: bytearray, at: int, first: bytes | None, decoder: codecs.IncrementalDecoder | None) -> int:
        """Put the next bytes of the stream into `buf` at `at`, read straight into it when the
        file is UTF-8; how many (0 at the end of the stream)."""
        # Only streams known to fill a buffer themselves (a file, BytesIO); any other stream is
        # read and copied in, since a `readinto` of its own may be missing or built on `read`.
        readinto = self.stream.readinto if isinstance(self.stream, _READS_INTO) else None
        if first is None and decoder is None and readinto is not None:
            try:
                with memoryview(buf) as whole, whole[at : at + self.block_size] as view:
                    return int(readinto(view) or 0)
            except Exception as exc:  # as in `_read`
                self._read_failed(exc)
                return 0
        chunk = self._read() if first is None else first
        if not chunk:
            return 0
        if decoder is not None:
            chunk = decoder.decode(chunk).encode("utf-8", "replace")
        buf[at : at + len(chunk)] = chunk  # may grow `buf` (transcoding): its length is not relied on
        return len(chunk)

    def _blocks(self, buf: bytearray, first: bytes, decoder: codecs.IncrementalDecoder | None) -> Iterator[Block]:
        """Blocks of the stream, each line read once into `buf` and never copied after it: the
        partial line at the end of a block moves to the front of the buffer for the next one."""
        line = 1
        at = 0  # the partial line carried over fills buf[:at]
        pending: bytes | None = first
        skipping = False  # inside an over-long line, dropping bytes until its end
        kept = b""
        dropped = 0
        while True:
            n = self._fill(buf, at, pending, decoder)
            pending = None
            at_end = not n  # (a read of nothing but NULs is not the end)
            if n and buf.find(0, at, at + n) >= 0:
                region = bytes(buf[at : at + n])
                if self.first_nul_line is None:
                    self.first_nul_line = line + buf.count(b"\n", 0, at) + region.count(b"\n", 0, region.find(0))
                self.nul_bytes += region.count(0)
                region = region.replace(b"\x00", b"")
                n = len(region)
                buf[at : at + n] = region
            if skipping:
                end = buf.find(b"\n", 0, n)
                if end < 0:
                    dropped += n
                    if at_end:
                        self._overlong(line, dropped)
                        yield Block(kept, line, 0, True)
                        return
                    continue
                dropped += end
                self._overlong(line, dropped)
                skipping = False
                buf[len(kept) : len(kept) + n - end] = buf[end:n]
                buf[: len(kept)] = kept
                at, n = 0, len(kept) + n - end
            length = at + n
            if at_end:
                if at:
                    yield Block(bytes(buf[:at]), line, buf.count(b"\n", 0, at), True)
                elif line == 1:
                    yield Block(b"", 1, 0, True)
                return
            cut = buf.rfind(b"\n", at, length)
            if cut < 0:
                if length > self.max_line:
                    kept, dropped, skipping, at = bytes(buf[: self.max_line]), length - self.max_line, True, 0
                else:
                    at = length  # the line goes on in the next read
                continue
            block = Block(buf, line, None, False, cut + 1)
            yield block
            line += block.newlines if block.newlines is not None else buf.count(b"\n", 0, cut + 1)
            carry = length - cut - 1
            if carry > self.max_line:
                kept, dropped, skipping, at = (
                    bytes(buf[cut + 1 : cut + 1 + self.max_line]),
                    carry - self.max_line,
                    True,
                    0,
                )
            else:
                buf[:carry] = buf[cut + 1 : length]
                at = carry

    def _overlong(self, line: int, dropped: int) -> None:
        self.log.add(
            f"line {line} is longer than {self.max_line // 1024} KiB; only its first "
            f"{self.max_line // 1024} KiB were examined ({dropped} bytes skipped)",
            line,
        )

    def finish(self) -> None:
        """Record what was noticed over the whole file (call after iterating)."""
        if self.nul_bytes:
            self.log.add(
                f"{self.nul_bytes} NUL bytes (binary junk, e.g. after a crash) were removed",
                self.first_nul_line,
            )
