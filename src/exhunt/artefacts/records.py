"""Typed records shared by every log format: a header, and a row read through it by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class Header:
    """Column names of one header block, looked up case-insensitively. Formats map columns by
    name, never by position: builds add and drop columns (docs/logs.md#httpproxy)."""

    __slots__ = ("index", "names")

    def __init__(self, names: list[str]) -> None:
        self.names = tuple(n.strip() for n in names)
        self.index: dict[str, int] = {}
        for i, name in enumerate(self.names):
            self.index.setdefault(name.lower(), i)

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: str) -> bool:
        return name.lower() in self.index


@dataclass(slots=True)
class LogRecord:
    """One data line of one file, with its number and its values by column name."""

    path: str  # evidence path of the file (EvidenceFile.rel_path)
    line: int
    raw: str
    header: Header
    values: list[str]
    timestamp: datetime | None = None

    def get(self, name: str) -> str:
        """The value of a column ('' when the column is absent, empty, or cut off)."""
        i = self.header.index.get(name)
        if i is None:
            i = self.header.index.get(name.lower())
            if i is None:
                return ""
        return self.values[i] if i < len(self.values) else ""

    def as_dict(self) -> dict[str, str]:
        return {n: (self.values[i] if i < len(self.values) else "") for i, n in enumerate(self.header.names)}
