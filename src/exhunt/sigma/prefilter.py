"""Which rules of a bucket could fire on an event: one multi-literal scan per field.

Every compiled rule names (field, literal) anchors, one of which must occur in the event for
the rule to be true (`compile.py`). Per field, all literals of a bucket's rules are compiled
into one hyperscan database (a short Python loop when there are only a few); an event's
lower-cased field values are scanned once, and only the rules whose anchors occurred, plus the
rules without anchors, are evaluated.
"""

from __future__ import annotations

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
