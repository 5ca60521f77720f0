"""Reading the small CSV lists users and the package keep (indicators, allow-lists).

One format for both: UTF-8 (a BOM is fine), comma-separated with the usual CSV quoting, a
header row naming the columns, blank lines and lines starting with '#' ignored. Every line that
cannot be used becomes a `ListProblem` naming the file and line; nothing is dropped silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from exhunt.evidence.safe_open import TooLarge, read_regular
from exhunt.textencoding import text_encoding

MAX_LIST_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ListProblem:
    origin: str  # the list file
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.line is not None else self.origin
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ListRow:
    origin: str
    line: int
    fields: dict[str, str]


def read_rows(
    text: str, origin: str, required: tuple[str, ...], known: tuple[str, ...], problems: list[ListProblem]
) -> Iterator[ListRow]:
    """Yield the data rows of one list; problems are appended, never raised."""
    lines = text.splitlines()
    header: list[str] | None = None
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            cells = next(csv.reader(io.StringIO(raw), skipinitialspace=True))
        except (csv.Error, StopIteration) as exc:
            problems.append(ListProblem(origin, number, f"not a CSV line ({exc})"))
            continue
        cells = [c.strip() for c in cells]
        if header is None:
            header = [c.lower() for c in cells]
            missing = [c for c in required if c not in header]
            unknown = [c for c in header if c not in known]
            if missing or unknown:
                message = "header must name the columns"
                if missing:
                    message += f"; missing {', '.join(missing)}"
                if unknown:
                    message += f"; unknown {', '.join(unknown)}"
                problems.append(ListProblem(origin, number, f"{message} (expected {', '.join(known)})"))
                return
            continue
        if len(cells) > len(header):
            problems.append(ListProblem(origin, number, f"{len(cells)} fields but the header names {len(header)}"))
            continue
        fields = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        empty = [c for c in required if not fields.get(c)]
        if empty:
            problems.append(ListProblem(origin, number, f"empty {', '.join(empty)}"))
            continue
        yield ListRow(origin, number, fields)
    if header is None:
        problems.append(ListProblem(origin, None, "no header line: the file holds no entries"))


def read_list_file(path: str, problems: list[ListProblem]) -> str | None:
    """The text of a user list, or None (with a problem recorded) when it cannot be read."""
    try:
        data = read_regular(path, MAX_LIST_BYTES)
    except TooLarge:
        problems.append(ListProblem(path, None, f"larger than {MAX_LIST_BYTES // 2**20} MiB, not loaded"))
        return None
    except OSError as exc:
        problems.append(ListProblem(path, None, f"cannot read: {exc.strerror or exc}"))
        return None
    encoding = text_encoding(data[:2])
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        kind = "UTF-16" if encoding == "utf-16" else "UTF-8"
        problems.append(ListProblem(path, None, f"not {kind} text (byte {exc.start})"))
        return None


def expand_paths(paths: tuple[str, ...], suffixes: tuple[str, ...], problems: list[ListProblem]) -> list[str]:
    """User-given files and folders -> the files to load (folders: their files with these suffixes)."""
    out: list[str] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(str(f) for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(suffixes))
            if not found:
                problems.append(ListProblem(given, None, f"folder holds no {'/'.join(suffixes)} files"))
            out.extend(found)
        elif p.is_file():
            out.append(str(p))
        elif p.exists():
            problems.append(
                ListProblem(given, None, "not a regular file or folder (a device, FIFO or socket); not read")
            )
        else:
            problems.append(ListProblem(given, None, "no such file or folder"))
    return out
