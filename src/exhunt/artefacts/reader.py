"""Read a log file as newline-aligned UTF-8 blocks, whatever state the file is in.

Logs are hundreds of MB a day on a busy front end, so a file is read in big binary blocks and
never as a whole. Every block ends on a line boundary, so the prefilter and the line numbering
can work on it without looking back. What is wrong with a file (UTF-16 encoding, NUL or binary
junk, lines too long to keep, an unreadable stream) is recorded as a `Problem` and the
reading goes on with what can be used (docs/logs.md#reading-logs-at-scale).
"""

from __future__ import annotations

import codecs
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

_TEXT_BYTES = bytes(range(0x20, 0x100)) + b"\t\n\r\f\v\x1b"


@dataclass(slots=True)
class Block:
    """Whole lines of one file. `data` ends with a newline except, perhaps, at the end of the file."""

    data: bytes
    first_line: int  # 1-based number of the block's first line
    # Newline characters in `data`; None until counted. A consumer that walks the whole block
    # anyway (the log scan numbers its candidate lines) sets it, so the bytes are counted once.
    newlines: int | None
    final: bool  # nothing follows


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
    # NULs are junk to remove (a crash leaves zero-filled runs in a text log), not a verdict.
    return looks_binary(sample.replace(b"\x00", b""))


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
            self.log.add(f"read error, the rest of the file was not examined: {exc}", kind=ProblemKind.UNREADABLE)
            return b""

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
        line = 1
        carry = b""
        skipping = False  # inside an over-long line, dropping bytes until its end
        kept = b""
        dropped = 0
        while True:
            at_end = not chunk
            if decoder is not None:
                chunk = decoder.decode(chunk, final=at_end).encode("utf-8", "replace")
            if b"\x00" in chunk:
                nuls = chunk.count(0)
                if self.first_nul_line is None:
                    self.first_nul_line = line + carry.count(b"\n") + chunk.count(b"\n", 0, chunk.find(0))
                self.nul_bytes += nuls
                chunk = chunk.replace(b"\x00", b"")
            if skipping:
                end = chunk.find(b"\n")
                if end < 0:
                    dropped += len(chunk)
                    if at_end:
                        self._overlong(line, dropped)
                        yield Block(kept, line, 0, True)
                        return
                    chunk = self._read()
                    continue
                dropped += end
                self._overlong(line, dropped)
                skipping = False
                carry = kept
                chunk = chunk[end:]
            if at_end:
                if carry:
                    yield Block(carry, line, carry.count(b"\n"), True)
                elif line == 1:
                    yield Block(b"", 1, 0, True)
                return
            data = carry + chunk if carry else chunk
            cut = data.rfind(b"\n")
            if cut < 0:
                if len(data) > self.max_line:
                    kept, dropped, carry = data[: self.max_line], len(data) - self.max_line, b""
                    skipping = True
                else:
                    carry = data
                chunk = self._read()
                continue
            if cut == len(data) - 1:
                body, carry = data, b""
            else:
                body, carry = data[: cut + 1], data[cut + 1 :]
            block = Block(body, line, None, False)
            yield block
            line += block.newlines if block.newlines is not None else body.count(b"\n")
            if len(carry) > self.max_line:
                kept, dropped, skipping, carry = carry[: self.max_line], len(carry) - self.max_line, True, b""
            chunk = self._read()

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
