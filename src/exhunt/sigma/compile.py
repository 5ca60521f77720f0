"""A Sigma rule's condition, in its plain form (`plain.py`), compiled into Python predicates.

The plain form is nested lists of the tree pySigma resolved (AND/OR/NOT over field and value
leaves); this module turns it into closures over an `EventView`, with no query language in
between, and works out what the prefilter may ask of an event before a rule is evaluated:

- string leaves become one of five operations on the lower-cased value (equals, contains,
  starts with, ends with, wildcard pattern); an OR of such leaves on one field is folded into a
  single set lookup or tuple test;
- `anchors` names, per compiled node, (field, literal) pairs of which at least one must occur
  in the event for the node to be true; the ruleset runs one multi-literal scan per field and
  evaluates only the rules whose anchors occurred.

Anything the compiler does not understand raises `Unsupported` with the reason; the rule is
then reported, never silently dropped. It needs no pySigma: a rule set read from the cache is
compiled without it.
"""

from __future__ import annotations

import ipaddress
import re
import re._constants as sre_c  # type: ignore[import-not-found]  # the stdlib parser behind re
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from exhunt.sigma.view import ANY_FIELD, HEADER_FIELDS, EventView

Predicate = Callable[[EventView], bool]
Anchor = tuple[str, str]  # (field, lower-case literal); field ANY_FIELD for keywords
Anchors = frozenset[Anchor] | None  # None: the node cannot be prefiltered
Part = str | int  # a literal piece of a string value, or one of the wildcards below
WILDCARD_MULTI, WILDCARD_SINGLE = 0, 1

EQ, CONTAINS, STARTS, ENDS = "eq", "contains", "startswith", "endswith"
_REGEX_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL


class Unsupported(ValueError):
    """A rule uses something this engine cannot evaluate; the message says what."""


@dataclass(frozen=True, slots=True)
class Node:
    """A compiled piece of a condition: the predicate and what the prefilter may require."""

    test: Predicate
    anchors: Anchors


@dataclass(frozen=True, slots=True)
class StrLeaf:
    """A case-insensitive string test on one field, kept apart so ORs of them can be folded."""

    field: str
    op: str
    literal: str  # lower case


def compile_condition(tree: Any, renames: Mapping[str, str]) -> Node:
    """The predicate for a condition in its plain form (`plain.py`); field names are renamed
    for the log the rule is compiled for (e.g. Image -> NewProcessName in Security 4688)."""
    item = _compile(tree, renames)
    return _node(item)


def _compile(tree: Any, renames: Mapping[str, str]) -> Node | StrLeaf:
    if not isinstance(tree, list) or not tree:
        raise Unsupported(f"condition element {type(tree).__name__}")
    kind, args = tree[0], tree[1:]
    if kind == "and":
        return _all([_node(_compile(arg, renames)) for arg in _items(args)])
    if kind == "or":
        return _any([_compile(arg, renames) for arg in _items(args)])
    if kind == "not":
        (child,) = args
        inner = _node(_compile(child, renames)).test
        return Node(lambda e: not inner(e), None)
    if kind in ("kw", "kwre"):
        return _keyword(kind, args)
    if not args or not isinstance(args[0], str):
        raise Unsupported(f"condition element {kind!r} without a field")
    field, rest = renames.get(args[0], args[0]), args[1:]
    leaf = _LEAVES.get(kind)
    if leaf is None:
        raise Unsupported(f"condition element {kind!r}")
    if kind == "ref":
        other, starts, ends = rest
        return _fieldref(field, renames.get(other, other), bool(starts), bool(ends))
    return leaf(field, *rest)


# Deeper conditions are not taken from the cache: compiling them later, inside a hunt, could
# exceed Python's recursion limit (`compile_condition` recurses about twice per level).
MAX_CHECKED_DEPTH = 150


def check_condition(tree: Any) -> None:
    """Raise as `compile_condition` would on a condition in its plain form, without building
    its predicates: a rule set read from the cache is checked in full when it loads, and each
    rule compiled when an event first needs it. At least as strict as the compiler (a form it
    accepts that this refuses only costs reading the rule file again)."""
    pending = [(tree, 0)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_CHECKED_DEPTH:
            raise Unsupported("condition nested too deeply")
        if not isinstance(item, list) or not item:
            raise Unsupported(f"condition element {type(item).__name__}")
        kind, args = item[0], item[1:]
        if kind in ("and", "or"):
            pending.extend((child, depth + 1) for child in _items(args))
        elif kind == "not":
            (child,) = args
            pending.append((child, depth + 1))
        elif kind == "kw":
            raw_parts, _ = args
            _check_parts(raw_parts)
        elif kind == "kwre":
            pattern, flags = args
            _checked_regex(pattern, flags)
        elif not args or not isinstance(args[0], str):
            raise Unsupported(f"condition element {kind!r} without a field")
        elif not isinstance(kind, str) or kind not in _CHECKS:
            raise Unsupported(f"condition element {kind!r}")
        else:
            _CHECKS[kind](*args[1:])


def _check_str(parts: Any, cased: Any) -> None:
    _check_parts(parts)


def _check_num(number: Any) -> None:
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise Unsupported(f"number {number!r}")


def _check_re(pattern: Any, flags: Any) -> None:
    _checked_regex(pattern, flags)


def _check_cidr(text: Any) -> None:
    try:
        ipaddress.ip_network(text, strict=False)
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"network {text!r}: {exc}") from exc


def _check_cmp(op: Any, number: Any) -> None:
    if not isinstance(op, str) or op not in _COMPARE:
        raise Unsupported(f"comparison {op!r} {number!r}")
    _check_num(number)


def _check_ref(other: Any, starts: Any, ends: Any) -> None:
    if not isinstance(other, str):
        raise Unsupported("field reference without a field")


def _check_none() -> None:
    return None


def _check_exists(exists: Any) -> None:
    return None


def _items(args: list[Any]) -> list[Any]:
    (items,) = args
    if not isinstance(items, list) or not items:
        raise Unsupported("empty AND/OR")
    return items


# --- boolean structure --------------------------------------------------------------------


def _all(nodes: list[Node]) -> Node:
    tests = tuple(n.test for n in nodes)
    if len(tests) == 2:
        a, b = tests

        def test(e: EventView) -> bool:
            return a(e) and b(e)

    else:

        def test(e: EventView) -> bool:
            for t in tests:  # noqa: SIM110 (a loop: all() would make a generator per event)
                if not t(e):
                    return False
            return True

    # Every child is necessary: the best-prefiltering one stands for the whole.
    candidates = [n.anchors for n in nodes if n.anchors]
    return Node(test, min(candidates, key=_anchor_cost) if candidates else None)


def _anchor_cost(anchors: frozenset[Anchor]) -> tuple[bool, int, int]:
    """Prefer anchor sets on the event's own fields (the header's EventID, Provider_Name,
    Channel... hold the same value in every event of a bucket), then those whose shortest
    literal is long (rare), then the smaller set."""
    return (
        any(field in HEADER_FIELDS for field, _ in anchors),
        -min(len(lit) for _, lit in anchors),
        len(anchors),
    )


def _any(items: list[Node | StrLeaf]) -> Node:
    leaves = [i for i in items if isinstance(i, StrLeaf)]
    nodes = [i for i in items if isinstance(i, Node)]
    by_field: dict[str, list[StrLeaf]] = {}
    for leaf in leaves:
        by_field.setdefault(leaf.field, []).append(leaf)
    nodes += [_fold(field, group) for field, group in by_field.items()]
    if len(nodes) == 1:
        return nodes[0]
    tests = tuple(n.test for n in nodes)
    if len(tests) == 2:
        a, b = tests

        def test(e: EventView) -> bool:
            return a(e) or b(e)

    else:

        def test(e: EventView) -> bool:
            for t in tests:  # noqa: SIM110 (a loop: any() would make a generator per event)
                if t(e):
                    return True
            return False

    anchors: set[Anchor] = set()
    for n in nodes:
        if n.anchors is None:
            return Node(test, None)
        anchors |= n.anchors
    return Node(test, frozenset(anchors))


def _fold(field: str, leaves: list[StrLeaf]) -> Node:
    """One test for an OR of string tests on one field: a set lookup for equalities, one
    startswith/endswith call with a tuple, one loop over contained literals."""
    eq = frozenset(lf.literal for lf in leaves if lf.op == EQ)
    starts = tuple(lf.literal for lf in leaves if lf.op == STARTS)
    ends = tuple(lf.literal for lf in leaves if lf.op == ENDS)
    contains = tuple(lf.literal for lf in leaves if lf.op == CONTAINS)
    anchors = frozenset((field, lf.literal) for lf in leaves) if all(lf.literal for lf in leaves) else None

    if not eq and not starts and not ends and len(contains) == 1:
        (only,) = contains  # the most frequent form: one `contains` literal

        def test_one(e: EventView) -> bool:
            value = e.low(field)
            return value is not None and only in value

        return Node(test_one, anchors)
    has_eq, has_starts, has_ends = bool(eq), bool(starts), bool(ends)

    def test(e: EventView) -> bool:
        value = e.low(field)
        if value is None:
            return False
        if (has_eq and value in eq) or (has_starts and value.startswith(starts)) or (has_ends and value.endswith(ends)):
            return True
        for c in contains:  # noqa: SIM110 (as above)
            if c in value:
                return True
        return False

    return Node(test, anchors)


def _node(item: Node | StrLeaf) -> Node:
    return _fold(item.field, [item]) if isinstance(item, StrLeaf) else item


# --- leaves -------------------------------------------------------------------------------


def _str(field: str, parts: list[Part], cased: bool) -> Node | StrLeaf:
    _check_parts(parts)
    return _cased(field, parts) if cased else _string(field, parts)


def _check_parts(parts: list[Part]) -> None:
    if not isinstance(parts, list) or not all(
        isinstance(p, str) or p in (WILDCARD_MULTI, WILDCARD_SINGLE) for p in parts
    ):
        raise Unsupported("string value of unknown parts")


def _null(field: str) -> Node:
    return Node(lambda e: not e.raw(field), None)


def _exists(field: str, exists: bool) -> Node:
    wanted = bool(exists)
    return Node(lambda e: (e.raw(field) is not None) is wanted, None)


def _string(field: str, raw_parts: list[Part]) -> Node | StrLeaf:
    parts = [p.lower() if isinstance(p, str) else p for p in raw_parts]
    simple = _simple(parts)
    if simple is not None:
        op, literal = simple
        return StrLeaf(field, op, literal)
    rx = _lazy(_wildcard_regex(parts), re.DOTALL)
    anchor = _longest_literal(parts)

    def test(e: EventView) -> bool:
        v = e.low(field)
        return v is not None and rx().fullmatch(v) is not None

    return Node(test, frozenset({(field, anchor)}) if anchor else None)


def _lazy(pattern: str, flags: int) -> Callable[[], re.Pattern[str]]:
    """The compiled expression, compiled when first used: most rules of a large set are never
    evaluated, and compiling thousands of patterns is a good part of loading one."""
    compiled: list[re.Pattern[str]] = []

    def get() -> re.Pattern[str]:
        if not compiled:
            compiled.append(re.compile(pattern, flags))
        return compiled[0]

    return get


def _simple(parts: list[Part]) -> tuple[str, str] | None:
    """(operation, literal) when the pattern is a plain literal, *literal*, literal* or *literal."""
    multi = WILDCARD_MULTI
    inner = parts
    lead = bool(inner) and inner[0] == multi
    trail = len(inner) > (1 if lead else 0) and inner[-1] == multi
    core = inner[(1 if lead else 0) : (len(inner) - 1 if trail else len(inner))]
    if any(not isinstance(p, str) for p in core):
        return None
    literal = "".join(p for p in core if isinstance(p, str))
    if lead and trail:
        return (CONTAINS, literal)
    if lead:
        return (ENDS, literal)
    if trail:
        return (STARTS, literal)
    return (EQ, literal)


def _wildcard_regex(parts: list[Part]) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(re.escape(p))
        elif p == WILDCARD_MULTI:
            out.append(".*")
        else:
            out.append(".")
    return "".join(out)


def _longest_literal(parts: list[Part]) -> str:
    return max((p for p in parts if isinstance(p, str)), key=len, default="")


def _cased(field: str, parts: list[Part]) -> Node:
    rx = _lazy(_wildcard_regex(parts), re.DOTALL)
    anchor = _longest_literal(parts).lower()

    def test(e: EventView) -> bool:
        v = e.raw(field)
        return v is not None and rx().fullmatch(v) is not None

    return Node(test, frozenset({(field, anchor)}) if anchor else None)


def _number(field: str, number: float) -> Node:
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise Unsupported(f"number {number!r}")
    text = str(number)

    def test(e: EventView) -> bool:
        v = e.raw(field)
        if v is None:
            return False
        if v == text:
            return True
        return _as_number(v) == number

    return Node(test, frozenset({(field, text)}))


def _as_number(text: str) -> float | None:
    text = text.strip()
    try:
        return int(text, 0) if text[:2].lower() == "0x" else float(text)
    except ValueError:
        return None


def _checked_regex(pattern: str, flags: int) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not isinstance(flags, int) or flags & ~_REGEX_FLAGS:
        raise Unsupported("regular expression of unknown form")
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise Unsupported(f"regular expression not accepted by Python re: {exc}") from exc


def _regex(field: str, pattern: str, flags: int) -> Node:
    rx = _checked_regex(pattern, flags)

    def test(e: EventView) -> bool:
        v = e.raw(field)
        return v is not None and rx.search(v) is not None

    literals = regex_literals(rx)
    return Node(test, frozenset((field, lit) for lit in literals) if literals else None)


# Characters that Python's case-insensitive matching pairs with a character whose lower case is
# not theirs (s ~ U+017F, i ~ U+0131/U+0130): a literal run under IGNORECASE is cut at them.
_FOLD_UNSAFE = frozenset("iIsS")
_Candidate = frozenset[str]


def regex_literals(rx: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case literals one of which every match of `rx` contains, or None when the
    expression does not require one (only printable ASCII runs are taken, so lowering the
    searched value keeps them; under IGNORECASE runs are also cut where Unicode folding could
    match a character that lowers to something else)."""
    try:
        parsed = sre_parse.parse(rx.pattern, rx.flags)
    except re.error:  # pragma: no cover - rx compiled from the same pattern
        return None
    found = _sequence_literals(list(parsed), bool(rx.flags & re.IGNORECASE))
    return found if found else None


def _sequence_literals(items: list[tuple[Any, Any]], fold: bool) -> _Candidate | None:
    candidates: list[_Candidate] = []
    run: list[str] = []

    def close() -> None:
        if run:
            candidates.append(frozenset({"".join(run).lower()}))
            run.clear()

    pending = list(reversed(items))
    while pending:
        op, av = pending.pop()
        if op is sre_c.LITERAL and 0x20 <= av < 0x7F and not (fold and chr(av) in _FOLD_UNSAFE):
            run.append(chr(av))
            continue
        close()
        if op is sre_c.SUBPATTERN and not av[1] and not av[2]:
            pending.extend(reversed(list(av[3])))  # a plain group: its items in line
        elif op is sre_c.BRANCH:
            branches = [_sequence_literals(list(b), fold) for b in av[1]]
            if branches and all(branches):
                candidates.append(frozenset().union(*(b for b in branches if b)))
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT) and av[0] >= 1:
            inner = _sequence_literals(list(av[2]), fold)
            if inner:
                candidates.append(inner)
    close()
    if not candidates:
        return None
    return min(candidates, key=lambda c: (-min(len(x) for x in c), len(c)))


def _cidr(field: str, text: str) -> Node:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except (TypeError, ValueError) as exc:
        raise Unsupported(f"network {text!r}: {exc}") from exc

    def test(e: EventView) -> bool:
        v = e.raw(field)
        if not v:
            return False
        try:
            address = ipaddress.ip_address(v.strip().split("%", 1)[0].removeprefix("::ffff:"))
        except ValueError:
            return False
        return address.version == network.version and address in network

    return Node(test, None)


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "neq": lambda a, b: a != b,
}
COMPARE_OPS = frozenset(_COMPARE)


def _compare(field: str, op: str, number: float) -> Node:
    compare = _COMPARE.get(op)
    if compare is None or isinstance(number, bool) or not isinstance(number, int | float):
        raise Unsupported(f"comparison {op!r} {number!r}")

    def test(e: EventView) -> bool:
        v = e.raw(field)
        n = _as_number(v) if v else None
        return n is not None and compare(n, number)

    return Node(test, None)


def _fieldref(field: str, other: str, starts: bool, ends: bool) -> Node:
    def test(e: EventView) -> bool:
        v, w = e.low(field), e.low(other)
        if v is None or w is None:
            return False
        if starts:
            return v.startswith(w)
        if ends:
            return v.endswith(w)
        return v == w

    return Node(test, None)


def _keyword(kind: str, args: list[Any]) -> Node:
    """A value without a field: searched in every field of the event (full-text search)."""
    if kind == "kwre":
        pattern, flags = args
        rx = _checked_regex(pattern, flags)
        literals = regex_literals(rx)
        keyword_anchors = frozenset((ANY_FIELD, lit) for lit in literals) if literals else None
        return Node(lambda e: any(rx.search(v) for v in e.values()), keyword_anchors)
    raw_parts, cased = args
    _check_parts(raw_parts)
    parts = [p if cased or not isinstance(p, str) else p.lower() for p in raw_parts]
    while parts and parts[0] == WILDCARD_MULTI:
        parts.pop(0)
    while parts and parts[-1] == WILDCARD_MULTI:
        parts.pop()
    anchor = _longest_literal(parts).lower()
    anchors = frozenset({(ANY_FIELD, anchor)}) if anchor else None
    if all(isinstance(p, str) for p in parts):
        literal = "".join(str(p) for p in parts)
        if cased:
            return Node(lambda e: any(literal in v for v in e.values()), anchors)
        return Node(lambda e: any(literal in v for v in e.low_values()), anchors)
    pattern = _lazy(_wildcard_regex(parts), re.DOTALL)
    if cased:
        return Node(lambda e: any(pattern().search(v) for v in e.values()), anchors)
    return Node(lambda e: any(pattern().search(v) for v in e.low_values()), anchors)


_LEAVES: dict[str, Callable[..., Node | StrLeaf]] = {
    "str": _str,
    "num": _number,
    "null": _null,
    "exists": _exists,
    "re": _regex,
    "cidr": _cidr,
    "cmp": _compare,
    "ref": _fieldref,
}


_CHECKS: dict[str, Callable[..., None]] = {
    "str": _check_str,
    "num": _check_num,
    "null": _check_none,
    "exists": _check_exists,
    "re": _check_re,
    "cidr": _check_cidr,
    "cmp": _check_cmp,
    "ref": _check_ref,
}
assert set(_CHECKS) == set(_LEAVES)
