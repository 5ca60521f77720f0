"""What every log format shares: header state fed by directive lines, records made on request."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, ClassVar

from exhunt.artefacts.prefilter import Pattern
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.records import LogRecord
from exhunt.artefacts.scan import Line, LogScan


class LogFormat:
    """Parses the lines of one file. A format sees every directive line (in order) before the
    data lines that follow it, so its header is always the one in force."""

    kind: ClassVar[str] = ""
    header_prefixes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, path: str, log: ErrorLog) -> None:
        self.path = path
        self.log = log
        self.version: str | None = None  # a `#Version:` directive, when the file has one

    def directive(self, line: Line) -> None:
        raise NotImplementedError

    def record(self, line: Line) -> LogRecord | None:
        raise NotImplementedError

    def feed(self, line: Line) -> LogRecord | None:
        """Hand one scanned line to the format: directives update it, data lines become records."""
        if line.directive:
            self.directive(line)
            return None
        if not line.text.strip():
            return None
        return self.record(line)


def directive_value(text: str, name: str) -> str | None:
    """The value of `#Name: value` when the line is that directive (case-insensitive)."""
    prefix = f"#{name}:"
    if text[: len(prefix)].lower() == prefix.lower():
        return text[len(prefix) :].strip()
    return None


def iter_records(
    stream: IO[bytes],
    fmt: LogFormat,
    *,
    patterns: Sequence[Pattern] = (),
    every_line: bool = True,
) -> Iterator[LogRecord]:
    """Every record of a stream (or, with `every_line=False`, only prefilter candidates and edge
    lines). Errors go to the format's log. The hunt uses `LogScan` directly; this is for callers
    that want plain records."""
    scan = LogScan(stream, fmt.log, patterns, header_prefixes=fmt.header_prefixes, every_line=every_line)
    for line in scan:
        rec = fmt.feed(line)
        if rec is not None:
            yield rec
