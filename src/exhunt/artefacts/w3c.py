"""IIS W3C extended logs (docs/logs.md#iis).

Space-separated values named by the `#Fields` directive, which may change within a file (IIS
writes a new directive block after a restart or a configuration change). `-` is an empty value;
spaces in the user agent, referer and cookie are written as `+`. Times are UTC; a field list
without `date` takes the date of the `#Date` directive.
"""

from __future__ import annotations

from datetime import datetime

from exhunt.artefacts.formats import LogFormat, directive_value
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.records import Header, LogRecord
from exhunt.artefacts.scan import Line
from exhunt.artefacts.timestamps import parse_w3c
from exhunt.model import ProblemKind

# The field list IIS writes by default, used only for data that comes before any `#Fields`.
DEFAULT_FIELDS = (
    "date",
    "time",
    "s-ip",
    "cs-method",
    "cs-uri-stem",
    "cs-uri-query",
    "s-port",
    "cs-username",
    "c-ip",
    "cs(User-Agent)",
    "cs(Referer)",
    "sc-status",
    "sc-substatus",
    "sc-win32-status",
    "time-taken",
)
# Columns IIS writes with '+' for a space; the reader turns them back (Sigma rules that give
# these values as logged are read the same way: `exhunt.sigma.entries`).
PLUS_ENCODED = ("cs(user-agent)", "cs(referer)", "cs(cookie)")


class W3CHeader(Header):
    __slots__ = ("date_i", "plus_i", "time_i")

    def __init__(self, names: list[str]) -> None:
        super().__init__(names)
        self.date_i = self.index.get("date")
        self.time_i = self.index.get("time")
        self.plus_i = tuple(self.index[n] for n in PLUS_ENCODED if n in self.index)


class W3CFormat(LogFormat):
    kind = "IIS"

    def __init__(self, path: str, log: ErrorLog) -> None:
        super().__init__(path, log)
        self.header: W3CHeader | None = None
        self.date: str | None = None  # from `#Date:`, for field lists without `date`
        self.software: str | None = None
        self._warned_headerless = False

    def directive(self, line: Line) -> None:
        text = line.text
        fields = directive_value(text, "Fields")
        if fields is not None:
            names = fields.split()
            if names:
                self.header = W3CHeader(names)
            else:
                self.log.add(f"line {line.number}: empty #Fields directive", line.number)
            return
        date = directive_value(text, "Date")
        if date is not None:
            self.date = date.split()[0] if date.split() else None
            return
        version = directive_value(text, "Version")
        if version is not None:
            self.version = version
            return
        software = directive_value(text, "Software")
        if software is not None:
            self.software = software

    def record(self, line: Line) -> LogRecord | None:
        header = self.header
        values = line.text.split()
        if header is None:
            if len(values) != len(DEFAULT_FIELDS):
                if not self._warned_headerless:
                    self._warned_headerless = True
                    self.log.add(
                        f"line {line.number}: data before any #Fields directive; not parsed",
                        line.number,
                        kind=ProblemKind.NOT_ANALYZED,
                    )
                return None
            if not self._warned_headerless:
                self._warned_headerless = True
                self.log.add(
                    f"line {line.number}: no #Fields directive; assumed the default IIS field list", line.number
                )
            header = self.header = W3CHeader(list(DEFAULT_FIELDS))
        if len(values) != len(header):
            what = f"{len(values)} values where #Fields names {len(header)}"
            if not line.complete:
                what = "cut short"
            self.log.add(f"line {line.number}: malformed record ({what})", line.number)
        values = ["" if v == "-" else v for v in values]
        for i in header.plus_i:
            if i < len(values):
                values[i] = values[i].replace("+", " ")
        return LogRecord(self.path, line.number, line.text, header, values, self._timestamp(header, values))

    def _timestamp(self, header: W3CHeader, values: list[str]) -> datetime | None:
        ti = header.time_i
        if ti is None or ti >= len(values):
            return None
        di = header.date_i
        if di is not None:
            return parse_w3c(values[di], values[ti]) if di < len(values) else None
        return parse_w3c(self.date, values[ti]) if self.date else None


class HttpErrFormat(W3CFormat):
    """HTTP.sys error logs: W3C extended, with `cs-uri` (path and query in one) and `s-reason`."""

    kind = "HTTPERR"
