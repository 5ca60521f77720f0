"""StringBuilders kept in a variable, for folding: the text `sb.ToString()` gives where it is read.

A builder changes after it is made, so its text depends on where it is read. It is followed only
when that is certain: one local declaration made from a constant (`var sb = new
StringBuilder("a")`, VB's `Dim sb As New StringBuilder()`), and every other use of the name
either a statement of appends in the declaration's own block (`sb.Append("b").Append(c);`,
`Insert`, `Replace`, `AppendLine`) or a `ToString()` read. The text read is then the appends made
before the read, in the block's order. Any other use (the builder passed to a call, assigned,
cleared, appended to inside a branch or a loop) leaves it unfolded, and a read inside a lambda
(which may run after later appends) is not folded either.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from exhunt.codeanalysis.fold import MAX_VALUE, TooLarge, replaced
from exhunt.codeanalysis.syntax import Role, call_parts, called, last_name, member_parts, role, text, unwrap

# Methods of StringBuilder a step may call, as statements of the declaration's block.
STEPS = frozenset({"append", "appendline", "insert", "replace"})
# Statements as the grammars write them: C#'s, and VB's (a `statement` around its kind).
_STATEMENTS = frozenset(
    {"expression_statement", "local_declaration_statement", "statement", "call_statement", "dim_statement"}
)
# Builders a unit may have followed: a page of thousands is read without them.
MAX_BUILDERS = 64


@dataclass
class Builder:
    """One builder variable that can be followed."""

    init: Node | None  # the constructor's argument (its first text), None for an empty builder
    container: Node  # the block holding the declaration: steps are its statements
    steps: list[tuple[int, Node]] = field(default_factory=list)  # (statement start, outermost call)
    # (steps applied, text) of the last read, for the next read further down to go on from
    # (`read` with `settled`: the constants the steps fold with no longer change)
    last: tuple[int, str | None] | None = None


def find(root: Node, declared: dict[str, Node], case_blind: bool) -> dict[str, Builder]:
    """The builders of `declared` (name as the unit keys it -> the declaration made from `new
    StringBuilder(...)`) that can be followed, found in one walk of the unit's tree."""
    found: dict[str, Builder] = {}
    names: dict[str, Node] = {}
    for key, decl in list(declared.items())[:MAX_BUILDERS]:
        statement = _statement_of(decl)
        if statement is None or statement.parent is None:
            continue
        found[key] = Builder(_constructor_argument(decl), statement.parent)
        names[key] = _declared_name(decl)
    broken: set[str] = set()
    for node in _identifiers(root):
        key = text(node).lower() if case_blind else text(node)
        builder = found.get(key)
        if builder is None or key in broken or node == names[key]:
            continue
        if not _use(node, builder):
            broken.add(key)
    return {k: b for k, b in found.items() if k not in broken}


def read(builder: Builder, at: Node, fold: Callable[[Node], object], settled: bool = False) -> str | None:
    """The text of `builder` read at `at` (a `ToString()` call): the appends before it, in order.
    None when the read is outside the block or inside a lambda, or a step does not fold. With
    `settled`, a read below the last one goes on from the text that one found, so a page of
    reads between its appends costs each step once, not once per read."""
    if not builder.container.start_byte <= at.start_byte < builder.container.end_byte:
        return None
    parent = at.parent
    while parent is not None and parent != builder.container:
        if role(parent) in {Role.LAMBDA, Role.METHOD}:
            return None  # run when it is called, perhaps after appends written below it
        parent = parent.parent
    count = bisect.bisect_left(builder.steps, at.start_byte, key=lambda step: step[0])
    done, built = 0, None
    if settled and builder.last is not None and builder.last[0] <= count:
        done, built = builder.last
    else:
        first = fold(builder.init) if builder.init is not None else ""
        built = first if isinstance(first, str) else None
    for _, top in builder.steps[done:count]:
        if built is None:
            break
        for name, args in _chain(top):
            built = _step(built, name, [fold(a) for a in args])
            if built is None:
                break
    if settled:
        builder.last = (count, built)
    return built


def _use(node: Node, builder: Builder) -> bool:
    """Whether one use of the name is a `ToString()` read or a step of the builder's block
    (which it records)."""
    member = _up(node)
    if member is None or role(member) is not Role.MEMBER or unwrap(member_parts(member)[0] or member) != node:
        return False
    call = _up(member)
    if call is None or role(call) is not Role.CALL or unwrap(call_parts(call)[0] or call) != member:
        return False
    name = member_parts(member)[1].lower()
    if name == "tostring":
        return not call_parts(call)[1]
    if name not in STEPS:
        return False
    top = call
    while True:
        outer = _up(top)
        further = _up(outer) if outer is not None and role(outer) is Role.MEMBER else None
        if further is None or role(further) is not Role.CALL or last_name(call_parts(further)[0]) not in STEPS:
            break
        top = further
    statement = _statement_of(top)
    if statement is None or statement.parent != builder.container or _up(top) is None:
        return False
    if role(_up(top) or top) is not Role.OTHER:
        return False  # the chain's value is used (`x = sb.Append(...)`): not a statement of its own
    builder.steps.append((statement.start_byte, top))
    return True


def _chain(top: Node) -> list[tuple[str, list[Node]]]:
    """The steps of `sb.Append(a).Insert(0, b)`, from the builder outward."""
    out: list[tuple[str, list[Node]]] = []
    cur: Node | None = top
    while cur is not None and role(cur) is Role.CALL:
        callee, args = call_parts(cur)
        if callee is None:
            break
        receiver, name = called(unwrap(callee))
        out.append((name.lower(), args))
        cur = unwrap(receiver) if receiver is not None else None
    return out[::-1]


def _step(built: str, name: str, vals: list[object]) -> str | None:
    """One step on the text built so far. Past the folder's longest value it raises `TooLarge`,
    as any folded string does (a page appending a long constant thousands of times)."""
    texts = [
        v if isinstance(v, str) else str(v) if isinstance(v, int) and not isinstance(v, bool) else None for v in vals
    ]
    if name == "replace" and len(texts) == 2 and texts[0] and texts[1] is not None:
        return replaced(built, texts[0], texts[1])
    if name == "append" and len(texts) == 1 and texts[0] is not None:
        head, piece, tail = built, texts[0], ""
    elif name == "appendline" and len(texts) <= 1 and None not in texts:
        head, piece, tail = built, (texts[0] or "") + "\r\n", ""  # Environment.NewLine on Windows
    elif name == "insert" and len(vals) == 2 and isinstance(vals[0], int) and texts[1] is not None:
        if not 0 <= vals[0] <= len(built):
            return None
        head, piece, tail = built[: vals[0]], texts[1], built[vals[0] :]
    else:
        return None
    if len(head) + len(piece) + len(tail) > MAX_VALUE:
        raise TooLarge
    return head + piece + tail


def _up(node: Node) -> Node | None:
    """The parent of a node, past the grammars' wrappers (VB's `expression` around a name)."""
    parent = node.parent
    while parent is not None and role(parent) is Role.WRAP and parent.named_child_count == 1:
        parent = parent.parent
    return parent


def _statement_of(node: Node) -> Node | None:
    """The statement a node stands in, the outermost of VB's nested statement nodes."""
    cur: Node | None = node
    while cur is not None and cur.type not in _STATEMENTS:
        if role(cur) in {Role.LAMBDA, Role.METHOD}:
            return None
        cur = cur.parent
    while cur is not None and cur.parent is not None and cur.parent.type in _STATEMENTS:
        cur = cur.parent
    return cur


def _constructor_argument(decl: Node) -> Node | None:
    made = next((c for c in _walk(decl) if role(c) is Role.NEW), None)
    args = call_parts(made)[1] if made is not None else []
    return args[0] if args else None


def _declared_name(decl: Node) -> Node:
    named = decl.child_by_field_name("name")
    return named if named is not None else decl.named_children[0]


def _identifiers(root: Node) -> Iterator[Node]:
    for node in _walk(root):
        if node.type == "identifier":
            yield node


def _walk(root: Node) -> Iterator[Node]:
    cursor = root.walk()
    while True:
        node = cursor.node
        if node is not None:
            yield node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return
