"""Which rules of a bucket could fire on an event: one multi-literal scan per field.

Every compiled rule names (field, literal) anchors, one of which must occur in the event for
the rule to be true (`compile.py`). Per field, all literals of a bucket's rules are compiled
into one hyperscan database (a short Python loop when there are only a few); an event's
lower-cased field values are scanned once, and only the rules whose anchors occurred, plus the
rules without anchors, are evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from exhunt.artefacts import prefilter as _logs
from exhunt.sigma.view import ANY_FIELD, EventView

hyperscan: Any = getattr(_logs, "hyperscan", None)  # None when it cannot be imported (the log prefilter reports that)
_PYTHON_LIMIT = 8  # up to this many literals, `in` tests beat a hyperscan call


class LiteralScanner:
    """Which of `literals` occur in a text (case-sensitive: callers pass lower-case text)."""

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = tuple(literals)
        self._db = None
        if hyperscan is not None and len(self.literals) > _PYTHON_LIMIT:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            # every byte hex-escaped: literals may hold NUL (wide/utf16 modifiers) or regex syntax
            expressions = ["".join(f"\\x{b:02x}" for b in lit.encode("utf-8")).encode() for lit in self.literals]
            db.compile(
                expressions=expressions,
                ids=list(range(len(expressions))),
                elements=len(expressions),
                flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions),
            )
            self._db = db

    def found(self, text: str, out: set[int]) -> None:
        """Add the indexes of the literals found in `text` to `out`."""
        if self._db is None:
            for i, lit in enumerate(self.literals):
                if lit in text:
                    out.add(i)
            return

        def on_match(uid: int, start: int, end: int, flags: int, context: object) -> None:
            out.add(uid)

        self._db.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=on_match)

    def any(self, text: str) -> bool:
        """Whether any of the literals occurs in `text`."""
        if self._db is None:
            return any(lit in text for lit in self.literals)
        try:
            self._db.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=_stop)
        except hyperscan.ScanTerminated:
            return True
        return False


def _stop(uid: int, start: int, end: int, flags: int, context: object) -> bool:
    return True  # the first match answers the question: hyperscan stops the scan


def json_form(literal: str) -> str | None:
    """How a lower-case literal found in an event's field looks in the event's JSON text (lower
    case), or None when that cannot be told: `\\` is written `\\\\`; a quote may be a
    structural one (a nested value is shown as JSON), control characters are escaped, and
    non-ASCII text may be written as escapes."""
    if not literal or not literal.isascii() or '"' in literal or any(ord(c) < 0x20 or c == "\x7f" for c in literal):
        return None
    return literal.replace("\\", "\\\\")


_UNSURE_IN_JSON = re.compile(r'["\x00-\x1f\x7f]|[^\x00-\x7f]+')


def json_piece(literal: str) -> str | None:
    """The JSON form of the longest part of a literal that `json_form` cannot place as a
    whole (it holds a quote, a control character or non-ASCII text): the parts between those
    characters are in the field's value, hence in the JSON text, wherever the literal is."""
    pieces = [p for p in _UNSURE_IN_JSON.split(literal) if p]
    if not pieces:
        return None
    return json_form(max(pieces, key=len))


class TextPrefilter:
    """Whether a Windows event may match any rule of a bucket, asked of the record's JSON text
    before it is decoded: every rule's anchors name literals one of which its event must hold
    in some field, and a field's value is in the JSON text with only `\\` doubled. None of
    them in the lower-cased text: no rule of the bucket can match."""

    def __init__(self, literals: Sequence[str]) -> None:
        self._scanner = LiteralScanner(sorted(set(literals)))

    @classmethod
    def of(cls, anchors: Sequence[frozenset[tuple[str, str]] | None]) -> TextPrefilter | None:
        """The prefilter of a bucket's rules, or None when some rule has no anchors or an
        anchor whose JSON form cannot be told (every event must then be read in full)."""
        forms: list[str] = []
        for rule_anchors in anchors:
            if not rule_anchors:
                return None
            for _, literal in rule_anchors:
                form = json_form(literal) or json_piece(literal)
                if form is None:
                    return None
                forms.append(form)
        return cls(forms)

    def may_match(self, text: str) -> bool:
        return self._scanner.any(text.lower())


class RulePrefilter:
    """Anchors of a list of rules, indexed by field. `candidates(view)` gives the positions of
    the rules worth evaluating, in order."""

    def __init__(self, anchors: Sequence[frozenset[tuple[str, str]] | None]) -> None:
        self.always = [i for i, a in enumerate(anchors) if a is None]
        by_field: dict[str, dict[str, set[int]]] = {}
        for i, rule_anchors in enumerate(anchors):
            for field, literal in rule_anchors or ():
                by_field.setdefault(field, {}).setdefault(literal, set()).add(i)
        self.fields: list[tuple[str, LiteralScanner, list[tuple[int, ...]]]] = []
        for field, literals in by_field.items():
            words = list(literals)
            self.fields.append((field, LiteralScanner(words), [tuple(sorted(literals[w])) for w in words]))

    def candidates(self, view: EventView) -> list[int]:
        chosen: set[int] = set()
        found: set[int] = set()
        for field, scanner, owners in self.fields:
            text = view.low_joined() if field == ANY_FIELD else view.low(field)
            if not text:
                continue
            found.clear()
            scanner.found(text, found)
            for i in found:
                chosen.update(owners[i])
        if not chosen:
            return self.always  # most events: no rule's literal occurred
        chosen.update(self.always)
        return sorted(chosen)
