"""Loops whose effect folding can compute: a counted or `while` loop over an array, and accumulation."""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    called,
    index_parts,
    inline_parts,
    loop_parts,
    operator,
    role,
    statement_value,
    text,
    unwrap,
)

# Longest `if ... else if ...` chain a loop body may be (each branch one append).
_MAX_BRANCHES = 32


@dataclass(frozen=True, slots=True)
class LoopSpec:
    """A loop whose body is one append to a text: over a collection's items, or an index from
    `start` (None: the value the index holds before a `while` loop) to `end`, by `step` (None:
    one), counting down when `down`; `outer` when the index is a local declared before the loop
    (a `while` loop's always is), which keeps its last value after it."""

    variable: str
    accumulator: str
    appended: Node
    collection: Node | None = None
    start: Node | None = None
    end: Node | None = None
    inclusive: bool = False
    step: Node | None = None
    down: bool = False
    # "append" for `acc += E`; "=" or "^=" for a store into the array's item at the index
    # (`acc[i] = E`, `acc[i] ^= E`)
    store: str = "append"
    prelude: tuple[tuple[str, Node], ...] = ()  # locals the body declares first (`char c = s[i];`)
    outer: bool = False


def loop_spec(loop: Node) -> LoopSpec | None:
    """The shape of a loop that appends one value per turn to a text, or None: C#'s `foreach (T x
    in c)`, `for (int i = a; i < b; i++)` (or `<=`, `++i`, `i += k`, `i = i + k`, and counting
    down with `>`, `>=`, `i--`, `i -= k`) and `while (i < b) { acc += E; i++; }`; VB's `For Each
    x In c`, `For i = a To b [Step k]`, `While i < b ... End While` and `Do While i < b ...
    Loop`; JScript's `for` and `while` alike. Each body is one append, `acc.Append(E)`, `acc +=
    E` or `acc &= E`, and in a `while` loop the index's step after it."""
    if loop.type in {"foreach_statement", "for_each_statement"}:
        csharp = loop.type == "foreach_statement"
        var, coll = loop_parts(loop)
        # (with no index, a body is an append: a store into an item needs one)
        body = _body(_loop_statements(loop.child_by_field_name("body") if csharp else loop), None)
        if var is None or coll is None or body is None or (csharp and var.type != "identifier"):
            return None
        return LoopSpec(text(var), body[0], body[1], collection=coll, store=body[2], prelude=body[3])
    if loop.type == "for_statement":
        return _counted_loop(loop)
    if loop.type in {"while_statement", "do_statement"}:
        return _while_loop(loop)
    return None


def _counted_loop(loop: Node) -> LoopSpec | None:
    """`for (int i = a; i < b; i++) acc += E;` or VB's `For i = a To b [Step k] ... Next`."""
    vb_var = loop.child_by_field_name("variable")
    if vb_var is not None:  # VB: `For i [As Integer] = start To end [Step k]`
        start, end = loop.child_by_field_name("start"), loop.child_by_field_name("end")
        acc = _body(_loop_statements(loop), text(vb_var))
        if start is None or end is None or acc is None:
            return None
        step = loop.child_by_field_name("step")
        outer = not any(c.type == "as_clause" for c in loop.named_children)  # `For i = ...` of a `Dim i` before
        return LoopSpec(
            text(vb_var),
            acc[0],
            acc[1],
            start=start,
            end=end,
            inclusive=True,
            step=step,
            store=acc[2],
            prelude=acc[3],
            outer=outer,
        )
    init, cond = loop.child_by_field_name("initializer"), loop.child_by_field_name("condition")
    update = loop.child_by_field_name("update") or loop.child_by_field_name("increment")  # C#, JavaScript
    if init is None or cond is None or update is None:
        return None
    body = _loop_statements(loop.child_by_field_name("body"))
    set_before = statement_value(init)
    if role(set_before) is Role.ASSIGN and operator(set_before) == "=":  # `for (i = 0; ...)` of an `int i;` before
        left, start = set_before.child_by_field_name("left"), set_before.child_by_field_name("right")
        if left is None or start is None or role(unwrap(left)) is not Role.IDENT:
            return None
        return _indexed(text(unwrap(left)), start, body, cond, update, outer=True)
    if init.type != "variable_declaration":
        return None
    declarators = [c for c in init.named_children if c.type == "variable_declarator"]
    if len(declarators) != 1 or declarators[0].named_child_count != 2:
        return None
    var, start = text(declarators[0].named_children[0]), declarators[0].named_children[1]
    return _indexed(var, start, body, cond, update)


def _while_loop(loop: Node) -> LoopSpec | None:
    """`while (i < b) { acc += E; i++; }`, VB's `While i < b` and `Do While i < b` with the same
    two statements: the index starts at what it holds before the loop."""
    cond = loop.child_by_field_name("condition")
    if loop.type == "do_statement":  # VB's `Do While c ... Loop`; not `Do Until`, nor a test after the body
        words = text(loop).split(None, 2)
        if len(words) < 2 or words[0].lower() != "do" or words[1].lower() != "while":
            return None
        cond = next((c for c in loop.named_children if c.type == "expression"), None)
    if cond is None:
        return None
    body = loop.child_by_field_name("body")
    stmts = _loop_statements(body if body is not None else loop)
    if len(stmts) < 2:
        return None
    left = unwrap(cond)
    left = left.child_by_field_name("left") or (left.named_children[0] if left.named_child_count else left)
    return _indexed(text(unwrap(left)), None, stmts[:-1], cond, stmts[-1], outer=True)


def _indexed(
    var: str, start: Node | None, stmts: list[Node], cond: Node, step: Node, outer: bool = False
) -> LoopSpec | None:
    """A loop over the index `var` from `start` (None: what it holds before the loop) while
    `cond` holds, stepped by `step` (a `for` loop's update, or a `while` loop's last statement),
    whose body is `stmts`; `outer` when the index is declared before the loop. None unless the
    test and the step go the same way."""
    acc = _body(stmts, var)
    bound = _bound(cond, var)
    stepped = _index_step(step, var)
    if acc is None or bound is None or stepped is None or bound[2] != stepped[1] or acc[0] == var:
        return None
    return LoopSpec(
        var,
        acc[0],
        acc[1],
        start=start,
        end=bound[0],
        inclusive=bound[1],
        step=stepped[0],
        down=bound[2],
        store=acc[2],
        prelude=acc[3],
        outer=outer,
    )


def _body(stmts: list[Node], index: str | None) -> tuple[str, Node, str, tuple[tuple[str, Node], ...]] | None:
    """(target, value, store, prelude) of a loop body: locals declared with a value (at most
    four, none named as the index), then one append to a text (store "append"), or, in a loop
    over an `index`, one store into an array's item at it (`b[i] = E`, C#'s and JScript's
    `b[i] ^= E`)."""
    if not stmts or len(stmts) > 5:
        return None
    prelude: list[tuple[str, Node]] = []
    for stmt in stmts[:-1]:
        declared = _declared(stmt)
        if declared is None or any(name == index for name, _ in declared):
            return None
        prelude += declared
    acc = accumulation(stmts[-1])
    branched = _branch_target(stmts[-1]) if acc is None else None
    if acc is not None:
        body = acc[0], acc[1], "append"
    elif branched is not None:
        body = branched, stmts[-1], "append-if"  # `if (...) r += a; else r += b;`
    else:
        stored = _item_store(stmts[-1], index) if index is not None else None
        if stored is None:
            return None
        body = stored
    if any(name in {body[0], index} for name, _ in prelude):
        return None
    return body[0], body[1], body[2], tuple(prelude)


def _vb_xor_store(node: Node) -> tuple[Node, Node] | None:
    """(item, key) of VB's `b(i) = b(i) Xor k` as a statement, which the grammar reads `(b(i) =
    b(i)) Xor k` (Xor binds looser than a comparison): the store `b(i) ^= k`."""
    kids = node.named_children
    if role(node) is not Role.BINARY or operator(node).lower() != "xor" or len(kids) != 2:
        return None
    compared = unwrap(kids[0])
    pair = compared.named_children
    if role(compared) is not Role.BINARY or operator(compared) != "=" or len(pair) != 2:
        return None
    return (pair[0], kids[1]) if text(unwrap(pair[0])) == text(unwrap(pair[1])) else None


def _branch_target(stmt: Node) -> str | None:
    """The accumulator every branch of an `if` chain appends to, one append per branch (C#'s and
    JScript's `if ... else if ... else`, VB's `If ... ElseIf ... Else ... End If`; a chain
    without a final `else` appends nothing on that turn), or None."""
    targets: set[str] = set()
    for _condition, statements in branches(stmt) or [(None, [])]:
        piece = branch_append(statements)
        if piece is None:
            return None
        targets.add(piece[0])
    return targets.pop() if len(targets) == 1 else None


def branches(stmt: Node) -> list[tuple[Node | None, list[Node]]] | None:
    """The branches of an `if` chain in order: (condition, or None for the final `else`; the
    branch's statements). None when `stmt` is no `if` or the chain is longer than
    `_MAX_BRANCHES`."""
    if stmt.type != "if_statement" or stmt.child_by_field_name("condition") is None:
        return None
    if stmt.child_by_field_name("consequence") is None:
        return _vb_branches(stmt)
    out: list[tuple[Node | None, list[Node]]] = []
    while len(out) < _MAX_BRANCHES:
        out.append((stmt.child_by_field_name("condition"), _loop_statements(stmt.child_by_field_name("consequence"))))
        alternative = _else_of(stmt)
        if alternative is None:
            return out
        if alternative.type != "if_statement" or alternative.child_by_field_name("condition") is None:
            out.append((None, _loop_statements(alternative)))
            return out
        stmt = alternative
    return None


def _vb_branches(stmt: Node) -> list[tuple[Node | None, list[Node]]] | None:
    """VB's `If c Then ... ElseIf d Then ... Else ... End If`: the statements of each part are
    children of the `If` itself, of an `elseif_clause` and of the `else_clause`; a one-line
    `If c Then x &= a Else x &= b` holds them in its `then_branch` and `else_branch`."""
    condition = stmt.child_by_field_name("condition")
    then = stmt.child_by_field_name("then_branch")
    out: list[tuple[Node | None, list[Node]]]
    if then is not None:
        out = [(condition, _inline_statements(then))]
        otherwise = stmt.child_by_field_name("else_branch")
        return out if otherwise is None else [*out, (None, _inline_statements(otherwise))]
    out = [(condition, _statements_of(stmt))]
    for clause in stmt.named_children:
        if clause.type == "elseif_clause":
            test = clause.child_by_field_name("condition")
            if test is None:
                return None
            out.append((test, _statements_of(clause)))
        elif clause.type == "else_clause":
            out.append((None, _statements_of(clause)))
    return out if len(out) <= _MAX_BRANCHES else None


def _statements_of(part: Node) -> list[Node]:
    """The statements a VB `If`, `ElseIf` or `Else` part holds, wrappers opened."""
    kids = [c for c in part.named_children if c.type == "statement"]
    return [k.named_children[0] if k.named_child_count == 1 else k for k in kids]


def _inline_statements(part: Node) -> list[Node]:
    """The statements of a one-line VB `If`'s `Then` or `Else` part (`a = 1 : b = 2`)."""
    return [c for c in part.named_children if c.type == "inline_statement"]


def _else_of(stmt: Node) -> Node | None:
    """The statement of an `if`'s `else` (JScript wraps it in an `else_clause`)."""
    alternative = stmt.child_by_field_name("alternative")
    if alternative is not None and alternative.type == "else_clause":
        return alternative.named_children[0] if alternative.named_child_count == 1 else None
    return alternative


def branch_append(kids: list[Node]) -> tuple[str, Node] | None:
    """The one append a branch of an `if` makes (its statements: one, or a block of one)."""
    return accumulation(kids[0]) if len(kids) == 1 else None


def _declared(stmt: Node) -> list[tuple[str, Node]] | None:
    """(name, value) of each local a declaration statement declares with a value (`char c =
    s[i];`, JScript's `var c = ...`, VB's `Dim c As Char = s(i)`), or None for another statement."""
    if stmt.type == "local_declaration_statement":
        stmt = next((c for c in stmt.named_children if c.type == "variable_declaration"), stmt)
    if stmt.type in {"variable_declaration", "lexical_declaration"}:
        out: list[tuple[str, Node]] = []
        for d in (c for c in stmt.named_children if c.type == "variable_declarator"):
            name = d.child_by_field_name("name") or (d.named_children[0] if d.named_child_count else None)
            value = d.child_by_field_name("value") or (d.named_children[-1] if d.named_child_count == 2 else None)
            if name is None or value is None or name.type != "identifier":
                return None
            out.append((text(name), value))
        return out or None
    if stmt.type == "dim_statement":
        name, value = stmt.child_by_field_name("name"), stmt.child_by_field_name("initializer")
        return [(text(name), value)] if name is not None and value is not None else None
    return None


def _item_store(stmt: Node, index: str) -> tuple[str, Node, str] | None:
    """(array, value, "=" or "^=") of `b[i] = E` or `b[i] ^= E` (VB's `b(i) = E`; VB's `^=` is a
    power, not an XOR), at the loop's index."""
    if stmt.type == "compound_assignment_statement":
        return None
    node = statement_value(stmt)
    op = operator(node)
    vb_xor = _vb_xor_store(node)
    left: Node | None
    right: Node | None
    if vb_xor is not None:
        left, right, op = vb_xor[0], vb_xor[1], "^="
    else:
        if role(node) not in {Role.ASSIGN, Role.BINARY} or op not in {"=", "^="}:
            return None
        left, right = _sides(node)
    if left is None or right is None:
        return None
    left = unwrap(left)
    base, keys = (
        index_parts(left) if role(left) is Role.INDEX else call_parts(left) if role(left) is Role.CALL else (None, [])
    )
    if base is None or role(unwrap(base)) is not Role.IDENT or len(keys) != 1 or text(unwrap(keys[0])) != index:
        return None
    return text(unwrap(base)), right, op


def _bound(cond: Node, var: str) -> tuple[Node, bool, bool] | None:
    """(end, inclusive, counting down) of a loop's test `var < end` (`<=`, `>`, `>=`)."""
    cond = unwrap(cond)
    left, end = _sides(cond)
    op = operator(cond)
    if role(cond) is not Role.BINARY or op not in {"<", "<=", ">", ">="} or left is None or end is None:
        return None
    if text(unwrap(left)) != var:
        return None
    return end, op in {"<=", ">="}, op in {">", ">="}


def _index_step(node: Node, var: str) -> tuple[Node | None, bool] | None:
    """(step, counting down) of `i++`, `++i`, `i--`, `i += k`, `i -= k`, `i = i + k` or `i = i -
    k` (a statement or a `for` loop's update; the step None for one), or None."""
    node = statement_value(node)
    flat = "".join(text(node).split()).rstrip(";")
    if flat in {f"{var}++", f"++{var}"}:
        return None, False
    if flat in {f"{var}--", f"--{var}"}:
        return None, True
    op = operator(node)
    left, right = _sides(node)
    if left is None or right is None or text(unwrap(left)) != var:
        return None
    if op in {"+=", "-="}:
        return right, op == "-="
    if op == "=":  # `i = i + k`, VB's `i = i + k` read as a comparison
        right = unwrap(right)
        kids = right.named_children
        if (
            role(right) is Role.BINARY
            and operator(right) in {"+", "-"}
            and len(kids) == 2
            and text(unwrap(kids[0])) == var
        ):
            return kids[1], operator(right) == "-"
    return None


def _sides(node: Node) -> tuple[Node | None, Node | None]:
    """The left and right operands of an assignment or a binary expression: by field, or by
    position where VB's grammar gives its two operands none."""
    left, right = inline_parts(node)
    if left is None and node.named_child_count == 2:
        left, right = node.named_children
    return left, right


def _loop_statements(body: Node | None) -> list[Node]:
    """The statements of a loop's body (a block, or VB's statements in the loop), comments left
    out and VB's `statement` wrappers opened."""
    if body is None:
        return []
    if body.type in {"block", "statement_block"}:
        kids = [c for c in body.named_children if c.type != "comment"]
    elif body.type in {"for_each_statement", "for_statement", "while_statement", "do_statement"}:
        kids = _statements_of(body)
    else:
        kids = [body]
    kids = [k.named_children[0] if k.type == "statement" and k.named_child_count == 1 else k for k in kids]
    return [k for k in kids if k.type != "empty_statement"]  # (VB's line ends after a one-line `If`)


def accumulation(stmt: Node) -> tuple[str, Node] | None:
    """(accumulator, appended value) of a statement that appends to a text held in a plain name:
    `acc.Append(E);`, `acc += E;`, `acc = acc + E;`, VB's `acc &= E`, `acc = acc & E` and
    `acc.Append(E)`."""
    stmt = statement_value(stmt)
    r = role(stmt)
    if r is Role.CALL:
        callee, args = call_parts(stmt)
        if callee is None or role(unwrap(callee)) is not Role.MEMBER or len(args) != 1:
            return None
        receiver, name = called(unwrap(callee))
        if receiver is None or role(receiver) is not Role.IDENT or name.lower() != "append":
            return None
        return text(receiver), args[0]
    if r in {Role.ASSIGN, Role.BINARY} and operator(stmt) in {"+=", "&=", "="}:
        left, right = stmt.child_by_field_name("left"), stmt.child_by_field_name("right")
        if left is None and stmt.named_child_count >= 2:
            left, right = stmt.named_children[0], stmt.named_children[-1]
        if left is None or right is None or role(unwrap(left)) is not Role.IDENT:
            return None
        if operator(stmt) != "=":
            return text(unwrap(left)), right
        # `acc = acc + E`, VB's `acc = acc & E`: the same append written out
        joined = unwrap(right)
        if role(joined) is Role.BINARY and operator(joined) in {"+", "&"} and joined.named_child_count == 2:
            first, appended = joined.named_children
            if text(unwrap(first)) == text(unwrap(left)):
                return text(unwrap(left)), appended
    return None
