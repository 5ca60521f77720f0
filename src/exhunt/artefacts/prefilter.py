"""Find the few lines worth parsing: many patterns at once over raw bytes.

Most log lines match no rule, so the hunt only parses lines that contain one of the strings
the rules need. All patterns of an artefact kind are compiled into one `hyperscan` database
(hundreds of MB/s over a block) and matched case-insensitively
in a single pass; a match offset is mapped to the line that holds it. Without hyperscan the same
patterns run one at a time through Python's `re` (one compiled pattern each, never one big
alternation), which is correct but much slower; `ENGINE` says which one is in use.

Patterns are grouped: a group is usually a rule id, so a candidate line says which rules
it may concern and only those are evaluated. A group can also ask for two words on one line
(`all_words`), each possibly URL-encoded: the prefilter matches one word and the scan keeps the
line only when it `also` holds the other (or a `%`, the other one encoded).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from exhunt import hscache

hyperscan: Any
try:
    import hyperscan

    ENGINE = "hyperscan"
    ENGINE_PROBLEM: str | None = None
except Exception as exc:  # an import failure of a compiled module can be anything
    hyperscan = None
    ENGINE = "python-re"
    ENGINE_PROBLEM = (
        f"hyperscan unavailable ({exc.__class__.__name__}: {exc}); "
        "the log prefilter uses Python re, which is much slower"
    )


@dataclass(frozen=True, slots=True)
class Pattern:
    """One thing to look for. `regex` is a byte regex in the common subset of hyperscan and
    Python `re`; a literal is escaped. Matching is always case-insensitive. With `also`, a
    line that matches is a candidate only when it holds one of these lower-case byte strings
    too (anywhere, in any case). With `unless`, a match is no candidate when the space-delimited
    token that holds it, lowered, with doubled slashes folded, is one of these and is the first
    token of its line that starts with `/` (the URI stem of a web log line: stock pages)."""

    group: str
    regex: bytes
    also: tuple[bytes, ...] = ()
    unless: frozenset[bytes] = frozenset()

    @staticmethod
    def literal(group: str, text: str) -> Pattern:
        return Pattern(group, re.escape(text.encode("utf-8")))


def encoded_word(word: str) -> str:
    """A regex for `word` with any of its characters URL-encoded once or twice (`%50owershell`,
    `%2550owershell`), as attackers did to slip past rewrite rules (docs/detection/proxynotshell.md).
    Matched case-insensitively, so both letter cases are covered. (Deeper stacks would not
    survive the front end's own decoding; the detectors themselves decode up to five times.)"""
    parts = []
    for ch in word:
        codes = sorted({f"{ord(ch.lower()):02x}", f"{ord(ch.upper()):02x}"} if ord(ch) < 128 else set())
        if codes:
            parts.append(f"(?:{re.escape(ch)}|%(?:25)?(?:{'|'.join(codes)}))")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def all_words(group: str, words: Sequence[str]) -> list[Pattern]:
    """Patterns that make a line a candidate of `group` when it holds every word (one or two),
    each possibly URL-encoded, in any order.

    For two words A and B: B possibly encoded (B'), on a line that also holds A literally or a
    `%` (A encoded has one). That is a superset of "both words, each possibly encoded". One
    pattern and a test of the few lines it matches cost far less than patterns spanning the
    line (`A[^\n]*B'`...), which took hyperscan two thirds of its time over an IIS log, and it
    avoids the shape `A'[^\n]*B'` (both encoded), which Vectorscan 5.4 (in the hyperscan 0.9.1
    wheels) misses on some lines. A differential test holds every analyzer's pattern set
    against Python's `re`.
    """
    if len(words) == 1:
        return [Pattern(group, encoded_word(words[0]).encode("utf-8"))]
    if len(words) != 2:
        raise ValueError("all_words takes one or two words")
    also = (words[0].lower().encode("utf-8"), b"%")
    return [Pattern(group, encoded_word(words[1]).encode("utf-8"), also)]


class Prefilter:
    """A compiled set of patterns; `scan(data)` gives (end offset, group index) per match."""

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        self.patterns = tuple(patterns)
        self.groups: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in self.patterns))
        index = {g: i for i, g in enumerate(self.groups)}
        self._group_of = [index[p.group] for p in self.patterns]
        self.also: tuple[tuple[bytes, ...], ...] = tuple(p.also for p in self.patterns)  # by pattern id
        self.unless: tuple[frozenset[bytes], ...] = tuple(p.unless for p in self.patterns)  # by pattern id
        self.engine = ENGINE
        # Each distinct regex is compiled once; a match stands for every pattern that uses it.
        members: dict[bytes, list[int]] = {}
        for i, p in enumerate(self.patterns):
            members.setdefault(p.regex, []).append(i)
        self._regexes = list(members)
        self._members = [tuple(m) for m in members.values()]
        self._db = None
        self._compiled: list[re.Pattern[bytes]] = []
        if hyperscan is not None and self.patterns:
            flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE
            ids = list(range(len(self._regexes)))
            self._db = hscache.database(hyperscan, self._regexes, ids, [flags] * len(self._regexes))
        else:
            self._compiled = [re.compile(rx, re.IGNORECASE | re.MULTILINE) for rx in self._regexes]

    def scan(self, data: bytes | bytearray | memoryview) -> list[tuple[int, int]]:
        """Every match in `data` as (end offset, pattern id), in no guaranteed order."""
        if not data or not self.patterns:
            return []
        out: list[tuple[int, int]] = []
        members = self._members
        if self._db is not None:
            append = out.append

            def on_match(uid: int, start: int, end: int, flags: int, context: object) -> None:
                for pid in members[uid]:
                    append((end, pid))

            self._db.scan(data, match_event_handler=on_match)
            return out
        for uid, rx in enumerate(self._compiled):
            out.extend((m.end(), pid) for m in rx.finditer(data) for pid in members[uid])
        return out

    def any(self, data: bytes | bytearray | memoryview) -> bool:
        """Whether any pattern matches `data`: the scan stops at the first match (asked of
        nearly every event of some kinds, most of which hold none)."""
        if not data or not self.patterns:
            return False
        if self._db is not None:
            try:
                self._db.scan(data, match_event_handler=_stop)
            except hyperscan.ScanTerminated:
                return True
            return False
        return any(rx.search(data) for rx in self._compiled)

    @staticmethod
    def stock_token(data: bytes | bytearray, start: int, end: int, line_end: int, tokens: frozenset[bytes]) -> bool:
        """True when the match ending at `end`, on the line `data[start:line_end]`, lies in the
        line's first `/` token and that token is one of `tokens` (see `Pattern.unless`)."""
        space = data.rfind(b" ", start, end)
        first = space + 1 if space >= 0 else start
        if data.startswith(b"/", start, first) or data.find(b" /", start, first) >= 0:
            return False  # an earlier token starts with `/`: this one is not the stem
        last = data.find(b" ", end, line_end)
        last = line_end if last < 0 else last
        token = bytes(data[first:last]).rstrip(b"\r").lower()
        while b"//" in token:
            token = token.replace(b"//", b"/")
        return token in tokens

    def groups_of(self, pids: set[int]) -> frozenset[str]:
        """The groups a line belongs to, given the pattern ids that matched on it."""
        groups, group_of = self.groups, self._group_of
        return frozenset(groups[group_of[p]] for p in pids)


def _stop(uid: int, start: int, end: int, flags: int, context: object) -> bool:
    return True  # hyperscan stops the scan: the first match answers the question


@cache
def compiled(patterns: tuple[Pattern, ...]) -> Prefilter:
    """One compiled database per pattern set per process (compiling takes milliseconds, but a
    hunt calls this once per file)."""
    return Prefilter(patterns)
