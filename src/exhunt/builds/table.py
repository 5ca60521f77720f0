"""The Exchange build table: every known build, with lookups by build and by cumulative update.

The table ships as `exhunt/data/builds/exchange-builds.tsv` (its header names the sources and
the points where they disagree). Builds are compared as 4-tuples of ints, so zero padding in a
source ("15.01.2176.002") never matters.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

BuildTuple = tuple[int, int, int, int]

TABLE_FILE = "exchange-builds.tsv"

# Kinds that start a servicing level: security and hotfix updates install on top of one of these.
LEVEL_KINDS = frozenset({"Preview", "RTM", "SP", "CU"})
UPDATE_KINDS = frozenset({"RU", "SU", "HU"})
# Updates that carry security fixes (hotfix updates only repair earlier ones).
SECURITY_KINDS = frozenset({"RU", "SU"})
_COLUMNS = ("build", "name", "product", "cu", "update", "kind", "released", "kb", "sources", "note")


class BuildTableError(ValueError):
    """The shipped table is malformed: a packaging bug, never the user's input."""


@dataclass(frozen=True, slots=True)
class BuildEntry:
    build: BuildTuple
    name: str
    product: str  # "Exchange Server 2016", "Exchange Server SE"
    cu: str  # the level the build belongs to: "CU19", "SP1", "RTM", "Preview"
    update: str  # "Mar21SU", "RU32"; empty for the level itself
    kind: str  # Preview RTM SP CU RU SU HU
    released: date | None
    kb: str
    sources: tuple[str, ...]
    note: str

    @property
    def version(self) -> str:
        return ".".join(str(p) for p in self.build)

    @property
    def is_level(self) -> bool:
        return self.kind in LEVEL_KINDS

    @property
    def minor_key(self) -> tuple[int, int]:
        return self.build[0], self.build[1]


def split_build(text: str) -> BuildTuple:
    """ "15.01.2176.002" -> (15, 1, 2176, 2); only for the table's own, trusted cells."""
    parts = tuple(int(p) for p in text.strip().split("."))
    if len(parts) != 4:
        raise BuildTableError(f"build {text!r} does not have four parts")
    return parts


class BuildTable:
    """Lookups over the build table. Build one with `build_table()` (cached)."""

    def __init__(self, entries: list[BuildEntry]) -> None:
        self.entries: tuple[BuildEntry, ...] = tuple(sorted(entries, key=lambda e: e.build))
        self._by_build: dict[BuildTuple, BuildEntry] = {}
        for e in self.entries:
            if e.build in self._by_build:
                raise BuildTableError(f"build {e.version} is listed twice")
            self._by_build[e.build] = e
        levels: dict[tuple[int, int], list[BuildEntry]] = defaultdict(list)
        self._members: dict[tuple[str, str], list[BuildEntry]] = defaultdict(list)
        by_minor: dict[tuple[int, int], list[BuildEntry]] = defaultdict(list)
        for e in self.entries:
            by_minor[e.minor_key].append(e)
            self._members[(e.product, e.cu)].append(e)
            if e.is_level:
                levels[e.minor_key].append(e)
        self._levels = dict(levels)
        self._level_keys = {k: [e.build for e in v] for k, v in self._levels.items()}
        self._by_minor = dict(by_minor)
        self._minor_keys = {k: [e.build for e in v] for k, v in self._by_minor.items()}
        for (product, cu), members in self._members.items():
            if not any(m.is_level for m in members):
                raise BuildTableError(f"{product} {cu} has updates but no level row")
        self._newest_level: dict[str, BuildEntry] = {}
        self._newest_security: dict[str, BuildEntry] = {}
        for e in self.entries:
            if e.is_level:
                self._newest_level[e.product] = e  # entries are sorted, so the last one wins
            elif e.kind in SECURITY_KINDS and e.released:
                best = self._newest_security.get(e.product)
                if best is None or (e.released, e.build) > (best.released, best.build):
                    self._newest_security[e.product] = e

    # -- exact and level lookups ------------------------------------------------------------

    def get(self, build: BuildTuple) -> BuildEntry | None:
        return self._by_build.get(build)

    def level_of(self, build: BuildTuple) -> BuildEntry | None:
        """The CU (or RTM, service pack) holding `build`: the largest level build <= it, same major.minor."""
        keys = self._level_keys.get((build[0], build[1]))
        if not keys:
            return None
        i = bisect.bisect_right(keys, build)
        return self._levels[(build[0], build[1])][i - 1] if i else None

    def members(self, level: BuildEntry) -> list[BuildEntry]:
        """The level itself and every update released for it, oldest build first."""
        return self._members[(level.product, level.cu)]

    def updates(self, level: BuildEntry) -> list[BuildEntry]:
        return [m for m in self.members(level) if not m.is_level]

    def nearest_below(self, build: BuildTuple) -> BuildEntry | None:
        """The known build just below `build` in the same major.minor."""
        key = (build[0], build[1])
        i = bisect.bisect_right(self._minor_keys.get(key, []), build)
        return self._by_minor[key][i - 1] if i else None

    # -- per version and per product ------------------------------------------------------

    def minor_span(self, major: int, minor: int) -> tuple[BuildEntry, BuildEntry] | None:
        """First and newest known builds of a major.minor version, or None if none is known."""
        minor_entries = self._by_minor.get((major, minor))
        if not minor_entries:
            return None
        return minor_entries[0], minor_entries[-1]

    def newest_level(self, product: str) -> BuildEntry:
        return self._newest_level[product]

    def newest_security_update(self, product: str) -> BuildEntry | None:
        """The product's most recent security update or rollup (by date, then build)."""
        return self._newest_security.get(product)

    def is_serviced(self, level: BuildEntry) -> bool:
        """Whether `level` received the product's most recent security update (else it is retired)."""
        newest = self.newest_security_update(level.product)
        if newest is None:
            return False
        return any(m.update == newest.update for m in self.updates(level))

    def latest_member(self, level: BuildEntry) -> BuildEntry:
        return self.members(level)[-1]


def _parse_row(cells: list[str], line_no: int) -> BuildEntry:
    if len(cells) != len(_COLUMNS):
        raise BuildTableError(f"{TABLE_FILE} line {line_no}: {len(cells)} columns, expected {len(_COLUMNS)}")
    row = dict(zip(_COLUMNS, cells, strict=True))
    try:
        released = date.fromisoformat(row["released"]) if row["released"] else None
        build = split_build(row["build"])
    except ValueError as exc:
        raise BuildTableError(f"{TABLE_FILE} line {line_no}: {exc}") from exc
    kind = row["kind"]
    if kind not in LEVEL_KINDS | UPDATE_KINDS:
        raise BuildTableError(f"{TABLE_FILE} line {line_no}: unknown kind {kind!r}")
    if (kind in UPDATE_KINDS) != bool(row["update"]):
        raise BuildTableError(f"{TABLE_FILE} line {line_no}: kind {kind} does not match update {row['update']!r}")
    return BuildEntry(
        build=build,
        name=row["name"],
        product=row["product"],
        cu=row["cu"],
        update=row["update"],
        kind=kind,
        released=released,
        kb=row["kb"],
        sources=tuple(s for s in row["sources"].split(",") if s),
        note=row["note"],
    )


def load_table(text: str) -> BuildTable:
    """Parse the TSV text of a build table (comment lines start with '#', then a header row)."""
    entries: list[BuildEntry] = []
    header_seen = False
    for line_no, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if not header_seen:
            if tuple(cells) != _COLUMNS:
                raise BuildTableError(f"{TABLE_FILE} line {line_no}: unexpected header {cells!r}")
            header_seen = True
            continue
        entries.append(_parse_row(cells, line_no))
    if not entries:
        raise BuildTableError(f"{TABLE_FILE} holds no builds")
    return BuildTable(entries)


@cache
def build_table() -> BuildTable:
    """The shipped table, parsed once per process."""
    # Read beside the package, not through importlib.resources, which imports tempfile and
    # shutil (about 7 ms of every `exhunt build`); exhunt is installed as files, never zipped.
    text = (Path(__file__).resolve().parent.parent / "data" / "builds" / TABLE_FILE).read_text(encoding="utf-8")
    return load_table(text)
