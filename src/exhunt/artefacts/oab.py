"""OABGeneratorLog files, read as free-text lines (docs/logs.md#oab-generator).

No public source shows these files' column layout, so a line is kept whole as `message` and
its timestamp is the first timestamp-looking text in it. When a file does carry a `#Fields`
header, the columns are kept too.
"""

from __future__ import annotations

from exhunt.artefacts.exchange_csv import split_csv
from exhunt.artefacts.formats import LogFormat, directive_value
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.records import Header, LogRecord
from exhunt.artefacts.scan import Line
from exhunt.artefacts.timestamps import find_timestamp, parse_iso

_MESSAGE_ONLY = Header(["message"])


class OabGeneratorFormat(LogFormat):
    kind = "OABGeneratorLog"

    def __init__(self, path: str, log: ErrorLog) -> None:
        super().__init__(path, log)
        self.header: Header | None = None

    def directive(self, line: Line) -> None:
        fields = directive_value(line.text, "Fields")
        if fields is not None:
            names = split_csv(fields)
            self.header = Header(["message", *names]) if any(n.strip() for n in names) else None
            return
        version = directive_value(line.text, "Version")
        if version is not None:
            self.version = version

    def record(self, line: Line) -> LogRecord | None:
        text = line.text
        if self.header is not None:
            values = [text, *split_csv(text)]
            ts = parse_iso(values[1]) if len(values) > 1 else None
            return LogRecord(self.path, line.number, text, self.header, values, ts or find_timestamp(text))
        return LogRecord(self.path, line.number, text, _MESSAGE_ONLY, [text], find_timestamp(text))
