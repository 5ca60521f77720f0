"""Which rules of a bucket could fire on an event: one multi-literal scan per field.

Every compiled rule names (field, literal) anchors, one of which must occur in the event for
the rule to be true (`compile.py`). Per field, all literals of a bucket's rules are compiled
into one hyperscan database (a short Python loop when there are only a few); an event's
lower-cased field values are scanned once, and only the rules whose anchors occurred, plus the
rules without anchors, are evaluated.
"""

from __future__ import annotations

import hashlib
import platform
import re
from collections.abc import Mapping, Sequence
from typing import Any

from exhunt.artefacts import prefilter as _logs
from exhunt.sigma.view import ANY_FIELD, HEADER_FIELDS, EventView

hyperscan: Any = getattr(_logs, "hyperscan", None)  # None when it cannot be imported (the log prefilter reports that)
_PYTHON_LIMIT = 8  # up to this many literals, `in` tests beat a hyperscan call


def database_tag() -> str:
    """What a serialized database is good for: this hyperscan, this kind of machine."""
    version = getattr(hyperscan, "__version__", "none") if hyperscan is not None else "none"
    return f"hyperscan {version} {platform.machine()} {platform.system()}"


class DatabaseStore:
    """Hyperscan databases by the literals and flags they were compiled from. Compiling the
    databases of SigmaHQ's Windows rules takes seconds; a database serialized by hyperscan
    (`known`, kept by the rule cache) is loaded in a fraction of a millisecond. One that does
    not load or scan is compiled anew."""

    def __init__(self, known: Mapping[str, bytes] | None = None) -> None:
        self.known: dict[str, bytes] = dict(known or {})
        self.compiled = 0  # compiled in this process
        self.loaded = 0  # loaded from `known` as given
        self._here: dict[str, Any] = {}  # compiled or loaded in this process, by key

    def database(self, literals: Sequence[str], flags: int) -> Any:
        expressions = [lit.encode("utf-8", "surrogatepass") for lit in literals]
        digest = hashlib.sha256(str(flags).encode())
        for expression in expressions:
            digest.update(len(expression).to_bytes(4, "little") + expression)
        key = digest.hexdigest()
        here = self._here.get(key)
        if here is not None:
            return here
        blob = self.known.get(key)
        if blob is not None:
            try:
                db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
                db.scratch = hyperscan.Scratch(db)
                db.scan(b"")
            except hyperscan.error:
                del self.known[key]  # of another hyperscan or machine: compiled below
            else:
                self.loaded += 1
                self._here[key] = db
                return db
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        # the literal compiler: no pattern syntax, so literals may hold NUL (wide/utf16) or `*`
        db.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH | flags] * len(expressions),
            literal=True,
        )
        self.known[key] = hyperscan.dumpb(db)
        self.compiled += 1
        self._here[key] = db
        return db


class LiteralScanner:
    """Which of `literals` occur in a text. Case-sensitive, callers pass lower-case text;
    `any_caseless` takes the text as it is (the literals must then be ASCII)."""

    def __init__(self, literals: Sequence[str], store: DatabaseStore | None = None, caseless: bool = False) -> None:
        self.literals = tuple(literals)
        self._db: Any = None
        if caseless and not all(lit.isascii() for lit in self.literals):
            raise ValueError("caseless scanning needs ASCII literals")
        if hyperscan is not None and (caseless or len(self.literals) > _PYTHON_LIMIT) and self.literals:
            self._db = (store or DatabaseStore()).database(self.literals, hyperscan.HS_FLAG_CASELESS if caseless else 0)

    @property
    def database(self) -> Any:
        """The hyperscan database, or None when the literals are tested in Python."""
        return self._db

    def found(self, text: str, out: set[int]) -> None:
        """Add the indexes of the literals found in `text` to `out`."""
        if self._db is None:
            for i, lit in enumerate(self.literals):
                if lit in text:
                    out.add(i)
            return
        self._db.scan(text.encode("utf-8", "surrogatepass"), _collect, 0, out)

    def any(self, text: str) -> bool:
        """Whether any of the literals occurs in `text`."""
        if self._db is None:
            return any(lit in text for lit in self.literals)
        return self._any(text.encode("utf-8", "surrogatepass"))

    def any_caseless(self, text: str) -> bool:
        """Whether any of the (lower-case, ASCII) literals occurs in `text` lowered. ASCII text
        is scanned as it is, with hyperscan ignoring ASCII case (the same as lowering it);
        other text is lowered first, since lowering some non-ASCII characters gives ASCII ones
        (the Kelvin sign gives `k`)."""
        if self._db is None:
            return self.any(text.lower())
        if text.isascii():
            return self._any(text.encode("ascii"))
        return self._any(text.lower().encode("utf-8", "surrogatepass"))

    def _any(self, data: bytes) -> bool:
        try:
            self._db.scan(data, match_event_handler=_stop)
        except hyperscan.ScanTerminated:
            return True
        return False


def _collect(uid: int, start: int, end: int, flags: int, out: set[int]) -> None:
    out.add(uid)


def _stop(uid: int, start: int, end: int, flags: int, context: object) -> bool:
    return True  # the first match answers the question: hyperscan stops the scan


_UNSURE_ASCII = re.compile(r'["\x00-\x1f\x7f]')


def json_form(literal: str) -> str | None:
    """How a lower-case literal found in an event's field looks in the event's JSON text (lower
    case), or None when that cannot be told: `\\` is written `\\\\`; a quote may be a
    structural one (a nested value is shown as JSON), control characters are escaped, and
    non-ASCII text may be written as escapes."""
    if not literal or not literal.isascii() or _UNSURE_ASCII.search(literal):
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

    def __init__(self, literals: Sequence[str], store: DatabaseStore | None = None) -> None:
        self._scanner = LiteralScanner(sorted(set(literals)), store, caseless=True)
        # asked of nearly every event of a hunt: the database's scan, bound once
        self._scan = None if self._scanner.database is None else self._scanner.database.scan

    @classmethod
    def of(
        cls, anchors: Sequence[frozenset[tuple[str, str]] | None], store: DatabaseStore | None = None
    ) -> TextPrefilter | None:
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
        return cls(forms, store)

    def may_match(self, text: str) -> bool:
        """`LiteralScanner.any_caseless` in one call: ASCII text as it is, other text lowered."""
        scan = self._scan
        if scan is None:
            return self._scanner.any_caseless(text)
        try:
            scan(text.encode("ascii") if text.isascii() else text.lower().encode("utf-8", "surrogatepass"), _stop)
        except hyperscan.ScanTerminated:
            return True
        return False


class RulePrefilter:
    """Anchors of a list of rules, indexed by field. `candidates(view)` gives the positions of
    the rules worth evaluating, in order.

    With `joined` (Windows events), the literals of every field but the event's header are
    looked for in one scan of the event's values joined (`EventView.low_joined`) instead of one
    scan per field: a field's value is one of those values, so a literal in the field is in the
    joined text. Each literal found is then checked in the fields whose rules name it (a
    substring test), so the rules chosen are those a scan per field would choose. The header's
    fields (EventID, Channel, ...) are not among the values: they keep a scan of their own."""

    def __init__(
        self,
        anchors: Sequence[frozenset[tuple[str, str]] | None],
        store: DatabaseStore | None = None,
        joined: bool = False,
    ) -> None:
        self.always = [i for i, a in enumerate(anchors) if a is None]
        by_field: dict[str, dict[str, set[int]]] = {}
        in_values: dict[str, dict[str, set[int]]] = {}  # literal -> field -> rules, `joined` only
        for i, rule_anchors in enumerate(anchors):
            for field, literal in rule_anchors or ():
                if joined and field not in HEADER_FIELDS:
                    in_values.setdefault(literal, {}).setdefault(field, set()).add(i)
                else:
                    by_field.setdefault(field, {}).setdefault(literal, set()).add(i)
        self.fields: list[tuple[str, LiteralScanner, list[tuple[int, ...]]]] = []
        for field, literals in by_field.items():
            words = sorted(literals)  # one order in every process: the database store finds it again
            self.fields.append((field, LiteralScanner(words, store), [tuple(sorted(literals[w])) for w in words]))
        words = sorted(in_values)
        self.values = LiteralScanner(words, store) if words else None
        # per literal of `values`: (field, rules) to check, ANY_FIELD needing no check
        self.value_owners: list[tuple[tuple[str, tuple[int, ...]], ...]] = [
            tuple((f, tuple(sorted(rules))) for f, rules in sorted(in_values[w].items())) for w in words
        ]

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
        if self.values is not None:
            joined = view.low_joined()
            if joined:
                found.clear()
                self.values.found(joined, found)
                literals, value_owners = self.values.literals, self.value_owners
                for i in found:
                    literal = literals[i]
                    for field, rules in value_owners[i]:
                        if field == ANY_FIELD or literal in (view.low(field) or ""):
                            chosen.update(rules)
        if not chosen:
            return self.always  # most events: no rule's literal occurred
        chosen.update(self.always)
        return sorted(chosen)
