"""What each variable, field and constant of a unit holds, folded once before taint is followed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis import builders
from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import (
    STORED_PARTS,
    Method,
    body_statements,
    const_declarator,
    made_by,
    returned_by,
    reversed_array,
    single_return,
    vb_const_pairs,
)
from exhunt.codeanalysis.fold import Callable1, Value, accumulation, as_text, decode_literal, loop_spec, show
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    dotted,
    inline_parts,
    lambda_params,
    last_name,
    member_parts,
    name_text,
    operator,
    role,
    statement_value,
    text,
    unwrap,
)
from exhunt.codeanalysis.vocabulary import DANGEROUS_TEXT, FRAMEWORK_ROOTS

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Loops a method's straight-line body may hold when they only append to a text (`fold.loop_spec`).
_FOLDED_LOOPS = frozenset(
    {"foreach_statement", "for_each_statement", "for_statement", "while_statement", "do_statement"}
)


# Stores a method's body may make before its `return` for the folder to read it (`_straight_return`).
_STRAIGHT_STEPS = 32


def _targets(flow: UnitFlow, node: Node) -> tuple[Node | None, Node | None]:
    """(left side, right side) of a declaration or an assignment."""
    if node.type == "variable_declarator":
        name = node.child_by_field_name("name") or (node.named_children[0] if node.named_child_count else None)
        value = node.child_by_field_name("value")
        if value is None and node.named_child_count > 1:
            value = node.named_children[-1]
        return name, value
    if node.type == "is_pattern_expression":
        pattern = node.child_by_field_name("pattern")
        if pattern is not None and pattern.type == "recursive_pattern":
            # `x is { Count: > 0 } form`: the name is the whole subject, as `x is T form` is
            named = pattern.named_children[-1] if pattern.named_child_count else None
            if named is not None and named.type == "identifier":
                return named, node.child_by_field_name("expression")
            return None, None
        if pattern is None or pattern.type != "declaration_pattern":
            return None, None
        return pattern.child_by_field_name("name"), node.child_by_field_name("expression")
    if node.type == "declaration_pattern":  # `case string s when ...:`, `s => ...`: the switch's subject
        subject = _switch_subject(node)
        return (node.child_by_field_name("name"), subject) if subject is not None else (None, None)
    if node.type == "using_statement":
        name = node.child_by_field_name("resource")
        held = node.child_by_field_name("value")
        inner = unwrap(held) if held is not None and held.type == "expression" else None
        if name is None and inner is not None and role(inner) is Role.BINARY and operator(inner) == "=":
            return flow._targets(inner)  # VB's `Using r = New StreamReader(...)`
        if name is None or name.type != "identifier":
            return None, None  # C#'s `using (...)` (its declarator is read as one), or no name
        value = next((c for c in node.named_children if c.type == "expression"), None)
        if value is None:
            value = next((c for c in node.named_children if c.type == "as_clause" and role(c) is Role.NEW), None)
        return name, value
    if node.type == "const_declaration":
        pairs = vb_const_pairs(node)  # the first; `_constants` reads every one
        return pairs[0] if pairs else (None, None)
    if node.type == "dim_statement":
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("initializer")
        if value is None:
            value = next((c for c in node.named_children if c.type == "expression" or role(c) is Role.NEW), None)
        return name, value
    left, right = inline_parts(node)  # (VB's one-line `If c Then x = y` read through its expression)
    if left is None and node.named_child_count >= 2:
        left, right = node.named_children[0], node.named_children[-1]
    return (unwrap(left) if left is not None else None), right


def _declared_first(flow: UnitFlow) -> None:
    """Constants (C#'s `const`, VB's `Const`) and the class's fields with an initializer hold
    their values before any method runs, wherever the class declares them: a method above the
    declaration reads them too. Twice, for constants built from constants declared below them."""
    for _ in range(2):
        for node, method in flow.nodes:
            if node.type == "const_declaration":
                for const_name, const_value in vb_const_pairs(node):
                    flow._hold(flow._n(text(const_name)), flow.fold(const_value))
            elif role(node) is Role.DECL and (method is None or const_declarator(node)):
                left, right = flow._targets(node)
                if left is not None and right is not None and role(left) is Role.IDENT:
                    value = flow.fold(unwrap(right))
                    if value is not None:
                        flow._hold(flow._n(text(left)), value)


def _constants(flow: UnitFlow) -> None:
    flow._declared_first()
    for node, _method in flow.nodes:
        if node.type == "const_declaration":  # VB's `Const P As String = "cmd" & ".exe", Q = 1`
            for const_name, const_value in vb_const_pairs(node):
                flow._hold(flow._n(text(const_name)), flow.fold(const_value), const_value)
            continue
        r = role(node)
        if r is Role.NEW:
            flow._array_wrapped(node)
            continue
        if r not in {Role.DECL, Role.ASSIGN, Role.BINARY, Role.CALL}:
            continue
        if r is Role.CALL:
            flow._control_added(node)
            flow._array_reverse(node)
            flow._array_written(node)
            flow._passed_by_reference(node)
            flow._array_handed_out(node)
            flow._com_http_open(node)
            continue
        if r is Role.BINARY and operator(node).lower() == "xor":
            flow._vb_xor_store(node)
            continue
        left, right = flow._targets(node)
        if r is Role.DECL and _method is not None and left is not None and role(left) is Role.IDENT:
            flow._builder_declared(flow._n(text(left)), node, right)
        if left is not None and role(left) is Role.IDENT:
            flow._control_made(text(left).lower(), node, right)
            if flow.lang is Lang.VB and r is Role.DECL:
                flow._library_object(text(left).lower(), node, right)
        if right is None and left is not None and node.type == "dim_statement":
            flow._vb_as_new(left, node)
            continue
        if left is not None and right is not None and role(left) is Role.MEMBER:
            holder, member = member_parts(left)
            if holder is not None and text(holder) in {"this", "Me", "me"}:
                flow._request_alias(member, node, unwrap(right))  # `this.req = ctx.Request`
            if member.lower() in STORED_PARTS:
                flow._open_store(member.lower(), unwrap(right))
        if left is not None and right is not None and role(left) in {Role.INDEX, Role.CALL}:
            flow._element_store(node, left, unwrap(right))  # `b[i] ^= k`; VB `b(i) = b(i) Xor k`
            continue
        if left is not None and right is not None and operator(node) in {"", "="}:
            for tupled, element, _ in flow._deconstructed(left, right):
                flow._hold(flow._n(text(tupled)), flow.fold(element), element)
        if left is None or right is None or role(left) is not Role.IDENT:
            continue
        name = flow._n(text(left))
        value_node = unwrap(right)
        flow._request_alias(name, node, value_node)
        if role(value_node) is Role.LAMBDA:
            flow._lambda(name, value_node, _method)
            continue
        flow._type_of(name, node, value_node)
        flow._found_control(name, value_node)
        flow._web_request(name, value_node)
        (flow._named_files if flow._names_file(value_node) else flow._unnamed_files).add(name.lower())
        value = flow.fold(value_node)
        op = operator(node) if r is not Role.DECL else "="
        if op in {"+=", "&="} and value is not None:
            prior = flow.consts.get(name)
            value = (prior + value) if isinstance(prior, str) and isinstance(value, str) else None
        flow._hold(name, value, value_node)


def _builder_declared(flow: UnitFlow, name: str, decl: Node, value: Node | None) -> None:
    """A local declared from `new StringBuilder(...)` (VB's `Dim sb As New ...`), for
    `_held_builder`: a name declared twice is not followed."""
    made = made_by(decl, value)
    if made is None or role(made) is not Role.NEW:
        if name in flow._builder_decls:
            flow._builder_decls[name] = None
        return
    callee, args = call_parts(made)
    fits = last_name(callee) == "stringbuilder" and len(args) <= 1
    flow._builder_decls[name] = decl if fits and name not in flow._builder_decls else None


def _held_builder(flow: UnitFlow, call: Node, depth: int) -> str | None:
    """The text `sb.ToString()` gives, where `sb` is a builder variable `builders` can
    follow; None otherwise."""
    if flow._builders is None:
        declared = {k: d for k, d in flow._builder_decls.items() if d is not None}
        root = flow.parsed.tree.root_node
        flow._builders = builders.find(root, declared, flow.lang is Lang.VB) if declared else {}
    callee, _ = call_parts(call)
    receiver = member_parts(unwrap(callee))[0] if callee is not None and role(unwrap(callee)) is Role.MEMBER else None
    held = flow._builders.get(flow._n(text(unwrap(receiver)))) if receiver is not None else None
    if held is None:
        return None
    return builders.read(held, call, lambda n: flow.folder.value(n, depth + 1), flow._settled)


def _hold(flow: UnitFlow, name: str, value: Value | None, shown: Node | None = None) -> None:
    """The constant a variable holds from here on, or none: a store the folder cannot follow
    forgets what the variable held before, never keeping a stale constant. With `shown`, the
    value is listed among the folded strings at that node."""
    if value is None:
        flow.consts.pop(name, None)
        return
    flow.consts[name] = value
    if shown is not None:
        flow.note_folded(shown, value)


def _vb_library(flow: UnitFlow, callee: Node) -> bool:
    """VB: whether a call is of a method of a namespace or type that is neither the
    framework's nor one the page declares or holds (`Contoso.Relay.Fill(t)`, `Relay.Fill(t)`
    with `Imports Contoso`), or of a variable the page declares as an object of a class
    written under such a namespace (`Dim r As New Contoso.Relay`): its parameters are not
    known, so any may be `ByRef`. Calls on the page's other variables, controls and classes,
    and on the framework's names, are not."""
    if role(callee) is not Role.MEMBER:
        return False
    root = dotted(callee).split(".", 1)[0].lower()
    if root in FRAMEWORK_ROOTS or not root.isidentifier():
        return False
    if root in flow._library_objects:
        return True  # `r.Fill(t)` after `Dim r As New Contoso.Relay`: an object of a library's class
    known = root in flow._declared or root in flow.classes or root in flow.controls or root in flow._requests
    return not known and flow._type(root) is None and root not in flow._parameters()


def _parameters(flow: UnitFlow) -> set[str]:
    """Every method's parameter names (as `_params` gives them), gathered once."""
    if flow._method_params is None:
        flow._method_params = {p for m in flow.methods.values() for p in m.params}
    return flow._method_params


def _parameter_names(flow: UnitFlow) -> set[str]:
    """Every method's parameter names in lower case (C#'s keep their case in `_parameters`),
    gathered once."""
    if flow._lower_params is None:
        flow._lower_params = {p.lower() for p in flow._parameters()}
    return flow._lower_params


def _straight_return(flow: UnitFlow, method: Node) -> tuple[tuple[tuple[str, str, Node | None], ...], Node] | None:
    """A method's body of stores into local names (`var a = "cm";`, `a += "d.exe";`, VB's
    `Dim a As String = ...` and `a &= ...`) ending in its one `return`: the stores in order
    and the returned expression, which the folder reads as the method's value. Anything
    else in the body (a call, a branch, a loop, a store into a member or an item) may
    change what it returns in ways not followed: None."""
    stmts = body_statements(method)
    if len(stmts) < 2 or len(stmts) > _STRAIGHT_STEPS or stmts[-1].type != "return_statement":
        return None
    ret = stmts[-1].named_children[0] if stmts[-1].named_child_count else None
    if ret is None:
        return None
    steps: list[tuple[str, str, Node | None]] = []
    for stmt in stmts[:-1]:
        stores = flow._local_stores(stmt)
        if stores is None:
            return None
        steps.extend(stores)
    return tuple(steps), ret


def _local_stores(flow: UnitFlow, stmt: Node) -> list[tuple[str, str, Node | None]] | None:
    """(name, operator, value) of each store one statement makes into a plain name, or None
    for a statement that is not only such stores."""
    if stmt.type in _FOLDED_LOOPS:  # a loop of one append: `foreach (char c in s) sb.Append(...)`
        spec = loop_spec(stmt)
        return None if spec is None else [(flow._n(spec.accumulator), "loop", stmt)]
    appended = accumulation(stmt)
    if appended is not None and role(statement_value(stmt)) is Role.CALL:
        return [(flow._n(appended[0]), "append", appended[1])]  # `sb.Append(x);`
    reversed_ = reversed_array(statement_value(stmt))
    if reversed_ is not None:
        return [(flow._n(text(reversed_)), "reverse", None)]  # `Array.Reverse(a);`
    if stmt.type == "local_declaration_statement":
        declaration = next((c for c in stmt.named_children if c.type == "variable_declaration"), None)
        found = [c for c in declaration.named_children if c.type == "variable_declarator"] if declaration else []
    elif stmt.type in {"variable_declaration", "lexical_declaration"}:  # JScript's `var r = "";`
        found = [c for c in stmt.named_children if c.type == "variable_declarator"]
    elif stmt.type in {"expression_statement", "call_statement"} and stmt.named_child_count == 1:
        found = [unwrap(stmt.named_children[0])]  # `a = ...;`, VB's `a = ...` read as a comparison
    else:
        found = [stmt]  # VB's `Dim`, `a &= ...`
    out: list[tuple[str, str, Node | None]] = []
    for node in found:
        if node.type == "variable_declarator" or node.type == "dim_statement":
            op = "="
        elif role(node) in {Role.ASSIGN, Role.BINARY}:
            op = operator(node)
        else:
            return None
        left, right = flow._targets(node)
        if left is None or role(left) is not Role.IDENT or op not in {"=", "+=", "&="}:
            return None
        if right is None and node.type not in {"variable_declarator", "dim_statement"}:
            return None
        out.append((flow._n(text(left)), op, right))
    return out


def _overload(flow: UnitFlow, m: Method, count: int) -> Method:
    """The method of `m`'s name a call of `count` arguments runs: the one with that many
    parameters, or one whose `params` array takes the rest, else `m` (optional parameters
    are not told apart). Before, every call went to the first of the name, so a call of
    `Query(host, user, password, ns, text)` handed `user` to the two-parameter
    `Query(ns, text)`'s `text`."""
    found = flow._overloads.get(m.name.lower(), [m])
    if len(found) < 2:
        return m
    exact = next((o for o in found if len(o.params) == count and not o.rest), None)
    if exact is not None:
        return exact
    return next((o for o in found if o.rest and len(o.params) - 1 <= count), m)


def _own_call(flow: UnitFlow, callee: Node) -> bool:
    """Whether a call names a method the file declares (`Decode(b)`, `this.Decode(b)`)."""
    if role(callee) is Role.IDENT:
        return name_text(callee).lower() in flow.methods
    if role(callee) is Role.MEMBER:
        receiver, name = member_parts(callee)
        return receiver is not None and flow._own_object(receiver) and name.lower() in flow.methods
    return False


def _lambda(flow: UnitFlow, name: str, node: Node, method: str | None) -> None:
    params = lambda_params(node)
    flow._lambdas[name] = (params, method)
    flow._lambda_returns[name] = returned_by(node)  # walked once, however often the lambda is called
    body = node.child_by_field_name("body")
    if body is None and node.named_child_count:
        body = node.named_children[-1]
    if body is not None:
        ret = single_return(body) if body.type in {"block", "statement_block"} else body
        if ret is not None:
            flow.folder.functions[name.lower()] = Callable1(params, ret)


def _values_of(flow: UnitFlow, ident: Node) -> list[Node]:
    """Every value a plain variable is set to (the file's assignments indexed once, so a
    page of many calls does not walk them all for each)."""
    return flow._assignments().get(flow._n(text(unwrap(ident))), [])


def _assignments(flow: UnitFlow) -> dict[str, list[Node]]:
    """Each plain variable (as `_n` keys it) and every value it is set to, in document order;
    found once."""
    if flow._assigned is None:
        flow._assigned = {}
        for name, right in flow._variables_set():
            flow._assigned.setdefault(name, []).append(right)
    return flow._assigned


def _constant_getter(flow: UnitFlow, name: str) -> bool:
    """A property or method of the page without parameters that returns a constant."""
    fn = flow.folder.functions.get(name.lower())
    return fn is not None and not fn.params and flow.fold(fn.body) is not None


def _deconstructed(flow: UnitFlow, left: Node, right: Node) -> list[tuple[Node, Node, str | None]]:
    """(name, value, method the value is read in) of a tuple deconstruction: of a tuple
    written out (`var (f, a) = (x, y)`, read where it stands), or of the tuple the page's own
    method returns in one statement (`var (f, a) = Get()`, read in `Get`)."""
    value = unwrap(right)
    where: str | None = None
    if role(value) is Role.CALL:
        callee = unwrap(call_parts(value)[0] or value)
        own = flow.methods.get(name_text(callee).lower()) if role(callee) is Role.IDENT else None
        returned = single_return(own.node) if own is not None else None
        if own is None or returned is None:
            return []
        value, where = returned, own.name
    return [(name, element, where) for name, element in _tuple_pairs(left, value)]


def _variables_set(flow: UnitFlow) -> Iterator[tuple[str, Node]]:
    """Each declaration or assignment of a plain variable, in document order: (its key as
    `_n` gives it, the value written)."""
    for node, _method in flow.nodes:
        if role(node) not in {Role.DECL, Role.ASSIGN}:
            continue
        left, right = flow._targets(node)
        if left is not None and right is not None and role(unwrap(left)) is Role.IDENT:
            yield flow._n(text(unwrap(left))), right


def _literal(flow: UnitFlow, node: Node) -> None:
    raw = text(node)
    if len(raw) < 20:
        return
    value = as_text(flow.fold(node))
    if not value:
        return
    decoded = decode_literal(value.strip())
    if decoded and DANGEROUS_TEXT.search(decoded):
        shown = show(decoded)
        flow.folded.setdefault(shown, flow.line(node))
        flow.hidden.append((flow.line(node), shown))


def _tuple_pairs(left: Node, right: Node) -> list[tuple[Node, Node]]:
    """(name, value) of each element of a C# tuple deconstruction, `var (a, b) = (x, y)`,
    `(a, b) = (x, y)` or `(string a, string b) = (x, y)`; none unless both sides are tuples of
    as many elements and every element on the left is a name."""
    if left.type not in {"tuple_pattern", "tuple_expression"}:
        return []
    value = unwrap(right)
    if value.type != "tuple_expression":
        return []
    names: list[Node] = []
    for element in left.named_children:
        if element.type == "argument" and element.named_child_count == 1:
            element = element.named_children[0]
        if element.type == "declaration_expression":
            element = element.child_by_field_name("name") or element.named_children[-1]
        if element.type != "identifier":
            return []
        names.append(element)
    values = [v.named_children[0] if v.type == "argument" and v.named_child_count else v for v in value.named_children]
    return list(zip(names, values, strict=True)) if len(names) == len(values) else []


def _switch_subject(pattern: Node) -> Node | None:
    """What a switch's case pattern is matched against: the `switch (x)` statement's value, or
    the `x switch { ... }` expression's; None for a pattern anywhere else (`is` reads its own)."""
    holder = pattern.parent
    if holder is not None and holder.type == "switch_section":
        body = holder.parent
        switch = body.parent if body is not None and body.type == "switch_body" else None
        return switch.child_by_field_name("value") if switch is not None else None
    if holder is not None and holder.type == "switch_expression_arm":
        switch = holder.parent
        if switch is not None and switch.type == "switch_expression" and switch.named_child_count:
            return switch.named_children[0]
    return None
