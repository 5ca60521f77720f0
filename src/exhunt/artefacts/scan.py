"""One pass over one log file: the lines a format and its rules need, with their numbers.

`LogScan` reads the file in blocks (`reader.py`), runs the prefilter over each block and yields,
in file order, only these lines:

- directive lines (`#...`) and bare header lines, so a format always knows its columns, however
  often they change (IIS rewrites `#Fields` after every restart, docs/logs.md#iis);
- candidate lines, where a rule's pattern matched, with the groups that matched;
- edge lines: the first data line of the file and the last data line of each block, parsed
  for the coverage timestamps.

Everything else is only counted, so the record count and the first/last timestamps are exact
without parsing every line.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from exhunt.artefacts import reader
from exhunt.artefacts.prefilter import Pattern, Prefilter, compiled
from exhunt.artefacts.reader import BlockReader, ErrorLog

DIRECTIVE = "#directive"
HEADER = "#header"
BLANK = "#blank"

# Kept per line handed to a parser; the reader already caps a line at MAX_LINE.
MAX_PARSED_LINE = 256 * 1024


@dataclass(slots=True)
class Line:
    number: int
    text: str
    groups: frozenset[str]  # pattern groups that matched (rule ids), empty for edge-only lines
    directive: bool  # a `#` line or a bare header line
    edge: bool  # first data line of the file, or last data line of a block
    complete: bool  # ended with a newline (the last line of a file may be cut short)


@dataclass(slots=True)
class ScanStats:
    lines: int = 0
    directives: int = 0
    blank: int = 0

    @property
    def records(self) -> int:
        return max(0, self.lines - self.directives - self.blank)


def structural_patterns(header_prefixes: Sequence[str]) -> list[Pattern]:
    """Patterns every scan needs: directive lines, bare header lines and blank lines."""
    # A BOM inside a file marks where another log file was appended to it.
    pats = [Pattern(DIRECTIVE, rb"^(?:\xef\xbb\xbf)?#"), Pattern(BLANK, rb"\n\r?\n")]
    pats += [Pattern(HEADER, b"^" + Pattern.literal(HEADER, p).regex) for p in header_prefixes]
    return pats


def scan_prefilter(patterns: Sequence[Pattern], header_prefixes: Sequence[str] = ()) -> Prefilter:
    """The compiled prefilter of a scan: the structural patterns and `patterns` (once per process)."""
    return compiled(tuple(structural_patterns(header_prefixes)) + tuple(patterns))


class LogScan:
    """Iterate over the interesting lines of one stream. Errors go to `log`, counts to `stats`."""

    def __init__(
        self,
        stream: IO[bytes],
        log: ErrorLog,
        patterns: Sequence[Pattern],
        *,
        header_prefixes: Sequence[str] = (),
        every_line: bool = False,
        block_size: int | None = None,
        max_line: int | None = None,
    ) -> None:
        self.log = log
        self.reader = BlockReader(
            stream, log, block_size=block_size or reader.BLOCK_SIZE, max_line=max_line or reader.MAX_LINE
        )
        self.prefilter = scan_prefilter(patterns, header_prefixes)
        self.header_prefixes = tuple(p.lower().encode() for p in header_prefixes)
        self.every_line = every_line  # parse all lines (a baseline for comparison; never the hunt)
        self.stats = ScanStats()
        self._first_seen = False
        self._blank_pids = frozenset(i for i, p in enumerate(self.prefilter.patterns) if p.group == BLANK)

    def _is_structural(self, raw: bytes | bytearray) -> bool:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
        if raw.startswith(b"#"):
            return True
        head = raw[:32].lower()
        return any(head.startswith(p) for p in self.header_prefixes)

    def _is_data(self, raw: bytes | bytearray) -> bool:
        return bool(raw.strip()) and not self._is_structural(raw)

    def __iter__(self) -> Iterator[Line]:
        blank_pids = self._blank_pids
        also_of = self.prefilter.also
        unless_of = self.prefilter.unless
        stock_token = self.prefilter.stock_token
        for block in self.reader:
            data = block.data  # the block is data[:size]; what follows belongs to the next one
            size = block.size
            ends_line = size > 0 and data[size - 1] == 10
            wanted: dict[int, set[int]] = {}
            last_start = last_end = -1
            lowered: bytes | bytearray | None = None
            with memoryview(data) as whole, whole[:size] as view:
                matches = self.prefilter.scan(view)
            for end, pid in matches:
                if pid in blank_pids:
                    self.stats.blank += 1
                    continue
                if last_start <= end - 1 < last_end:
                    start = last_start
                else:
                    start = data.rfind(b"\n", 0, max(end - 1, 0)) + 1 if end > 0 else 0
                    nl = data.find(b"\n", start, size)
                    last_start, last_end, lowered = start, (nl if nl >= 0 else size), None
                unless = unless_of[pid]
                if unless and stock_token(data, start, end, last_end, unless):
                    continue
                also = also_of[pid]
                if also:
                    if lowered is None:  # once per line, however many of its matches ask
                        lowered = data[start:last_end].lower()
                    if not any(word in lowered for word in also):
                        continue
                wanted.setdefault(start, set()).add(pid)
            if data.startswith(b"\n", 0, size) or data.startswith(b"\r\n", 0, size):
                self.stats.blank += 1
            if self.every_line:
                for start in _line_starts(data, size):
                    wanted.setdefault(start, set())
            edges = self._edges(data, size, ends_line)
            for start in edges:
                wanted.setdefault(start, set())
            newlines = yield from self._lines(data, size, block.first_line, wanted, edges, block.final)
            block.newlines = newlines
            self.stats.lines += newlines + (1 if size and not ends_line else 0)
        self.reader.finish()

    def _edges(self, data: bytes | bytearray, size: int, ends_line: bool) -> set[int]:
        """Start offsets of the file's first data line (until found) and the block's last ones."""
        out: set[int] = set()
        if not self._first_seen:
            pos = 0
            for _ in range(256):
                if pos >= size:
                    break
                nl = data.find(b"\n", pos, size)
                end = nl if nl >= 0 else size
                if self._is_data(data[pos:end]):
                    out.add(pos)
                    self._first_seen = True
                    break
                pos = end + 1
        # The last data line; and when the file ends mid-line, the last complete one too, since
        # a cut-off line may not carry a usable timestamp.
        end = size - 1 if ends_line else size
        needed = 1 if ends_line else 2
        for _ in range(256):
            if end <= 0 or not needed:
                break
            start = data.rfind(b"\n", 0, end) + 1
            if self._is_data(data[start:end]):
                out.add(start)
                needed -= 1
            end = start - 1
        return out

    def _lines(
        self,
        data: bytes | bytearray,
        size: int,
        first_line: int,
        wanted: dict[int, set[int]],
        edges: set[int],
        final: bool,
    ) -> Generator[Line, None, int]:
        """The wanted lines with their numbers; returns the block's newline count, counted in
        the same walk that numbers the lines (each byte is counted once)."""
        number = first_line
        pos = 0
        groups_of = self.prefilter.groups_of
        for start in sorted(wanted):
            names = groups_of(wanted[start])
            number += data.count(b"\n", pos, start)
            pos = start
            nl = data.find(b"\n", start, size)
            complete = nl >= 0
            end = nl if complete else size
            if end > start and data[end - 1] == 13:  # CR of a CRLF line end
                end -= 1
            raw = data[start:end]
            if len(raw) > MAX_PARSED_LINE:
                self.log.add(
                    f"line {number} is {len(raw)} bytes long; only the first {MAX_PARSED_LINE // 1024} KiB were parsed",
                    number,
                )
                raw = raw[:MAX_PARSED_LINE]
            directive = DIRECTIVE in names or HEADER in names
            if directive:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            yield Line(
                number=number,
                text=raw.decode("utf-8", "replace"),
                groups=names - {DIRECTIVE, HEADER},
                directive=directive,
                edge=start in edges,
                complete=complete or not final,
            )
            if directive:
                self.stats.directives += 1
        return number - first_line + data.count(b"\n", pos, size)


def _line_starts(data: bytes | bytearray, size: int) -> Iterator[int]:
    pos = 0
    while pos < size:
        yield pos
        nl = data.find(b"\n", pos, size)
        if nl < 0:
            return
        pos = nl + 1
