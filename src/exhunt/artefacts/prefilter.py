"""Find the few lines worth parsing: many patterns at once over raw bytes.

Most log lines match no rule, so the hunt only parses lines that contain one of the strings
the rules need. All patterns of an artefact kind are compiled into one `hyperscan` database
(hundreds of MB/s over a block, peers-and-building-blocks.md §3.5) and matched case-insensitively
in a single pass; a match offset is mapped to the line that holds it. Without hyperscan the same
patterns run one at a time through Python's `re` (one compiled pattern each, never one big
alternation), which is correct but much slower; `ENGINE` says which one is in use.

Patterns are grouped: a group is usually a rule id, so a candidate line says which rules
it may concern and only those are evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

try:
    import hyperscan

    ENGINE = "hyperscan"
    ENGINE_PROBLEM: str | None = None
except Exception as exc:  # an import failure of a compiled module can be anything
    hyperscan = None
    ENGINE = "python-re"
    ENGINE_PROBLEM = (f"hyperscan unavailable ({exc.__class__.__name__}: {exc}); "
                      "the log prefilter uses Python re, which is much slower")


@dataclass(frozen=True, slots=True)
class Pattern:
    """One thing to look for. `regex` is a byte regex in the common subset of hyperscan and
    Python `re`; a literal is escaped. Matching is always case-insensitive; `line_start`
    anchors at the start of a line."""

    group: str
    regex: bytes

    @staticmethod
    def literal(group: str, text: str) -> Pattern:
        return Pattern(group, re.escape(text.encode("utf-8")))


def encoded_word(word: str) -> str:
    """A regex for `word` with any of its letters URL-encoded, once or repeatedly
    (`%50owershell`, `%2550owershell`), as attackers did to slip past rewrite rules
    (detection-spec.md §4.2). Matched case-insensitively, so both letter cases are covered."""
    parts = []
    for ch in word:
        codes = sorted({f"{ord(ch.lower()):02x}", f"{ord(ch.upper()):02x}"} if ord(ch) < 128 else set())
        if codes:
            parts.append(f"(?:{re.escape(ch)}|%(?:25)*(?:{'|'.join(codes)}))")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def words_on_one_line(words: Sequence[str]) -> list[str]:
    """Regexes matching a line that holds every word (each possibly URL-encoded), in any order."""
    if len(words) == 1:
        return [encoded_word(words[0])]
    if len(words) != 2:
        raise ValueError("only one or two words are supported")
    a, b = (encoded_word(w) for w in words)
    return [f"{a}[^\\n]*{b}", f"{b}[^\\n]*{a}"]


class Prefilter:
    """A compiled set of patterns; `scan(data)` gives (end offset, group index) per match."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self.groups: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in self.patterns))
        index = {g: i for i, g in enumerate(self.groups)}
        self._group_of = [index[p.group] for p in self.patterns]
        self.engine = ENGINE
        self._db = None
        self._compiled: list[re.Pattern[bytes]] = []
        if hyperscan is not None and self.patterns:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE
            db.compile(
                expressions=[p.regex for p in self.patterns],
                ids=list(range(len(self.patterns))),
                elements=len(self.patterns),
                flags=[flags] * len(self.patterns),
            )
            self._db = db
        else:
            self._compiled = [re.compile(p.regex, re.IGNORECASE | re.MULTILINE) for p in self.patterns]

    def scan(self, data: bytes) -> list[tuple[int, int]]:
        """Every match in `data` as (end offset, group index), in no guaranteed order."""
        if not data or not self.patterns:
            return []
        out: list[tuple[int, int]] = []
        if self._db is not None:
            group_of = self._group_of
            append = out.append

            def on_match(pid: int, start: int, end: int, flags: int, context: object) -> None:
                append((end, group_of[pid]))

            self._db.scan(data, match_event_handler=on_match)
            return out
        for pid, rx in enumerate(self._compiled):
            g = self._group_of[pid]
            out.extend((m.end(), g) for m in rx.finditer(data))
        return out


@cache
def compiled(patterns: tuple[Pattern, ...]) -> Prefilter:
    """One compiled database per pattern set per process (compiling takes milliseconds, but a
    hunt calls this once per file)."""
    return Prefilter(patterns)
