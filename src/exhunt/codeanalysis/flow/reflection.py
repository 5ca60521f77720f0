"""Methods run by name: reflection, late binding, IL emitted at run time and expression trees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import base_ident, type_last_name, type_named, uncast
from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    dotted,
    lambda_params,
    last_name,
    loop_parts,
    member_parts,
    operator,
    role,
    text,
    unwrap,
)
from exhunt.codeanalysis.taint import SinkHit, Taint, merge

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# LINQ calls that pick one method of a type's list by a test (`_picked_method`), and how many
# nodes of the test are looked through for the name it compares.
_PICKS = frozenset({"first", "firstordefault", "single", "singleordefault", "last", "lastordefault"})


_NAME_TEST_NODES = 256


_PICKED_BY = _PICKS | {"find", "createdelegate", "compile"}


def _reflective(flow: UnitFlow, node: Node, callee: Node | None, args: list[Node], method: str | None) -> None:
    """`x.GetMethod("Lo" + "ad").Invoke(...)`: resolve the names by folding, match again."""
    names: list[str] = []
    cur = unwrap(callee) if callee is not None else None
    if cur is not None and role(cur) is Role.MEMBER and args:
        holder, member = member_parts(cur)
        prog = flow._com_class(holder) if holder is not None else None
        verb = as_text(flow.fold(args[0])) if member.lower() == "invokemember" else None
        typed = flow._reflected_type(holder) if holder is not None and verb and not prog else None
        if prog and verb:  # `t.InvokeMember("Run", ..., obj, args)` on a COM type
            names = [*prog.split("."), verb]
            cur = None
        elif typed and verb:  # `typeof(Process).InvokeMember("Start", flags, null, null, args)`
            names = [typed, verb]
            flow.note_folded(args[0], verb)
            cur = None
        elif holder is not None and member.lower() in {"invoke", "dynamicinvoke"}:
            # `m.Invoke(null, args)` with `m = typeof(T).GetMethod("M")`, a delegate's
            # `DynamicInvoke`, or a method picked by its name in place (`.First(m => ...).Invoke`)
            picked = role(holder) is Role.CALL and last_name(call_parts(holder)[0]) in _PICKED_BY
            ref = flow._method_ref(holder, flow._method_variables()) if picked or role(holder) is Role.IDENT else None
            if ref is not None:
                names = list(ref)
                cur = None
    for _ in range(8):
        if cur is None or role(cur) is not Role.MEMBER:
            break
        obj, _n = member_parts(cur)
        if obj is None or role(obj) is not Role.CALL:
            cur = obj
            continue
        inner_callee, inner_args = call_parts(obj)
        inner = last_name(inner_callee)
        if inner in {"getmethod", "gettype", "getproperty", "getfield"} and inner_args:
            v = as_text(flow.fold(inner_args[0]))
            if v:
                flow.note_folded(inner_args[0], v)
                if inner == "gettype":  # `"System.Diagnostics.Process, System"`: the type, not its assembly
                    v = v.split(",", 1)[0].strip()
                names.insert(0, v)
            holder = member_parts(unwrap(inner_callee))[0] if inner_callee is not None else None
            named = None
            if holder is not None:
                named = type_named(holder)
                if named is None and role(holder) is Role.IDENT:
                    named = flow._type_variables().get(flow._n(text(holder)))  # `t.GetMethod(...)`
            if named:
                names.insert(0, named)
        elif inner in {"load"}:
            names.insert(0, "Assembly")
        cur = unwrap(inner_callee) if inner_callee is not None else None
    if names:
        flow._call_as(node, args, method, names, f"called by reflection as {'.'.join(names)}")


def _method_ref(flow: UnitFlow, node: Node, names: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The method `typeof(T).GetMethod("M", ...)` names, directly or through a variable set
    to it: (T, M) as written, the name folded (`"Lo" + "ad"`)."""
    node = uncast(unwrap(node))  # `(Func<byte[], Assembly>)Delegate.CreateDelegate(...)`
    if role(node) is Role.IDENT:
        return names.get(flow._n(text(node)))
    if role(node) is not Role.CALL:
        return None
    callee, args = call_parts(node)
    if callee is None or role(unwrap(callee)) is not Role.MEMBER:
        return None
    holder, member = member_parts(unwrap(callee))
    if member.lower() in _PICKS or (member.lower() == "find" and len(args) == 2):
        return flow._picked_method(holder, member.lower(), args)
    if member.lower() == "compile" and holder is not None:
        return flow._compiled_call(holder, names)
    if not args:
        return None
    if member.lower() == "createdelegate" and len(args) > 1:
        return flow._method_ref(args[1], names)  # `Delegate.CreateDelegate(typeof(F), m)`
    type_name = flow._reflected_type(holder) if holder is not None and member.lower() == "getmethod" else None
    name = as_text(flow.fold(args[0])) if type_name else None
    if not type_name or not name:
        return None
    flow.note_folded(args[0], name)
    return type_name, name


def _compiled_call(flow: UnitFlow, lam: Node, names: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The method a compiled expression tree calls: `Expression.Lambda(Expression.Call(m, p),
    p).Compile()`, the call held in a variable or written in place, `m` found by reflection.
    Invoked (`f(x)`, `f.Invoke(x)`, `f.DynamicInvoke(x)`), its arguments go to `m`."""
    lam = unwrap(lam)
    if role(lam) is not Role.CALL or last_name(call_parts(lam)[0]) != "lambda":
        return None
    body = next(iter(call_parts(lam)[1]), None)
    body = unwrap(body) if body is not None else None
    if body is not None and role(body) is Role.IDENT:
        body = next((unwrap(r) for r in flow._values_of(body)), None)
    if body is None or role(body) is not Role.CALL:
        return None
    called_by, call_args = call_parts(body)
    if called_by is None or [p.lower() for p in dotted(called_by).split(".")[-2:]] != ["expression", "call"]:
        return None
    for a in call_args[:2]:
        ref = flow._method_ref(a, names)
        if ref is not None:
            return ref
    return None


def _picked_method(flow: UnitFlow, holder: Node | None, member: str, args: list[Node]) -> tuple[str, str] | None:
    """The method picked from a type's list by a test of its name: `typeof(T).GetMethods()
    .First(m => m.Name == "M" && ...)` (`Single`, `Last`, their `OrDefault`, after a
    `Where(...)` too) or `Array.Find(typeof(T).GetMethods(), m => m.Name == "M")`: (T, M)."""
    methods: Node | None
    test: Node | None
    if member == "find":
        methods, test = unwrap(args[0]), args[1]
    else:
        methods, test = (unwrap(holder) if holder is not None else None), (args[0] if args else None)
        if test is None and methods is not None and role(methods) is Role.CALL:
            where, where_args = call_parts(methods)  # `.Where(m => ...).First()`
            if where is not None and last_name(where) == "where" and len(where_args) == 1:
                test = where_args[0]
                methods = member_parts(unwrap(where))[0]
    type_name = flow._listed_type(methods) if methods is not None and test is not None else None
    name = flow._name_tested(unwrap(test)) if type_name and test is not None else None
    return (type_name, name) if type_name and name else None


def _listed_type(flow: UnitFlow, methods: Node) -> str | None:
    """The type whose methods a call lists (`typeof(T).GetMethods(...)`, a type variable's)."""
    if role(methods) is not Role.CALL:
        return None
    listed = call_parts(methods)[0]
    if listed is None or last_name(listed) != "getmethods" or role(unwrap(listed)) is not Role.MEMBER:
        return None
    owner = member_parts(unwrap(listed))[0]
    return flow._reflected_type(owner) if owner is not None else None


def _looped_method(flow: UnitFlow, items: Node, body: Node, item: str) -> tuple[str, str] | None:
    """The method a loop over a type's methods stops at: the name its body compares the
    loop's item with (`foreach (var m in typeof(T).GetMethods()) if (m.Name == "M")`)."""
    type_name = flow._listed_type(items)
    name = flow._name_compared(body, {item}) if type_name else None
    return (type_name, name) if type_name and name else None


def _name_tested(flow: UnitFlow, lam: Node) -> str | None:
    """The name a lambda over a method tests for: `m => m.Name == "Start" && ...` (VB's
    `Function(m) m.Name = "Start"`, `m.Name.Equals("Start")`), the text folded."""
    head = lam
    for _ in range(8):  # VB reads `Function(m) m.Name = "M" AndAlso ...` as `(Function(m) ...) AndAlso ...`
        if role(head) is not Role.BINARY or not head.named_child_count:
            break
        head = unwrap(head.named_children[0])
    if role(head) is not Role.LAMBDA:
        return None
    return flow._name_compared(lam, set(lambda_params(head)))


def _name_compared(flow: UnitFlow, root: Node, params: set[str]) -> str | None:
    """The first text `root` compares a method's name with, the method held in one of
    `params` (`m.Name == "Start"`, `"Start" == m.Name`, `m.Name.Equals("Start")`), folded."""
    stack = [root]
    for _ in range(_NAME_TEST_NODES):
        if not stack:
            return None
        cur = stack.pop()
        r = role(cur)
        sides: tuple[Node | None, Node | None] = (None, None)
        if r is Role.BINARY and operator(cur) in {"==", "="}:
            sides = (cur.child_by_field_name("left"), cur.child_by_field_name("right"))
        elif r is Role.CALL:
            called_on, called_args = call_parts(cur)
            if called_on is not None and last_name(called_on) == "equals" and len(called_args) == 1:
                sides = (member_parts(unwrap(called_on))[0], called_args[0])
        for a, b in (sides, sides[::-1]):
            if a is None or b is None:
                continue
            a = unwrap(a)
            if role(a) is Role.MEMBER:
                obj, prop = member_parts(a)
                if prop.lower() == "name" and obj is not None and text(obj) in params:
                    name = as_text(flow.fold(b))
                    if name and name.isidentifier():
                        flow.note_folded(b, name)
                        return name
        stack.extend(reversed(cur.named_children))
    return None


def _reflected_type(flow: UnitFlow, node: Node) -> str | None:
    """The last name of the type an expression gives: `typeof(T)`, VB `GetType(T)`,
    `Type.GetType("N.T")` or an assembly's `GetType("N.T")` with the name folded, or a
    variable set to one of these."""
    node = unwrap(node)
    named = type_named(node)
    if named is not None:
        return named
    if role(node) is Role.IDENT:
        return flow._type_variables().get(flow._n(text(node)))
    return flow._type_by_name(node)


def _type_by_name(flow: UnitFlow, node: Node) -> str | None:
    """The last name of the type `Type.GetType("N.T")` or an assembly's `GetType("N.T")`
    looks up, with the name folded."""
    if role(node) is not Role.CALL:
        return None
    callee, args = call_parts(node)
    if len(args) != 1 or last_name(callee) != "gettype":
        return None
    folded = as_text(flow.fold(args[0]))
    if not folded:
        return None
    flow.note_folded(args[0], folded)
    return type_last_name(folded)


def _type_variables(flow: UnitFlow) -> dict[str, str]:
    """Variables set to a type (`var t = Type.GetType("System.Diagnostics.Process")`, VB
    `Dim t As Type = GetType(Process)`): name -> the type's last name; found once, in order."""
    if flow._type_vars is not None:
        return flow._type_vars
    found: dict[str, str] = {}
    flow._type_vars = found
    for name, right in flow._variables_set():
        named = flow._reflected_type(right)
        if named is not None:
            found[name] = named
    return found


def _event_hook(flow: UnitFlow, node: Node, method: str | None) -> None:
    """`Context.ApplicationInstance.BeginRequest += H` (VB's `AddHandler ..., AddressOf H`): a
    handler hooked into every later request of the application, matched against the rules
    by the event's name (`ApplicationInstance.BeginRequest`)."""
    if node.type == "add_handler_statement":
        event, handler = node.child_by_field_name("event"), node.child_by_field_name("handler")
    else:
        event, handler = node.child_by_field_name("left"), node.child_by_field_name("right")
    if event is None or handler is None:
        return
    event = unwrap(event)
    if role(event) is not Role.MEMBER:
        return
    names = dotted(event).split(".")
    if len(names) < 2 or names[-2].lower() != "applicationinstance":
        return
    flow._call_as(node, [handler], method, names, "a handler hooked into the application's requests")


def _called_by_name(flow: UnitFlow, node: Node, args: list[Node], method: str | None) -> None:
    """VB's `CallByName(sh, "Run", CallType.Method, cmd)` on a COM object of a known class
    (`sh = CreateObject("WScript.Shell")`): the method the folded name says, with the
    arguments after the call type."""
    flow._com_call_by_name(node, args[0], args[1], args[3:], method, "called by name as")


def _late_bound(flow: UnitFlow, node: Node, args: list[Node], method: str | None) -> None:
    """`NewLateBinding.LateCall(sh, null, "Run", new object[] { cmd }, ...)`: the late-binding
    helper VB compiles its calls on `Object` into, called by hand from C# on a COM object of a
    known class; the method the folded name says, with the argument array."""
    flow._com_call_by_name(node, args[0], args[2], args[3:4], method, "called late-bound as")


def _com_call_by_name(
    flow: UnitFlow, node: Node, target: Node, name: Node, passed: list[Node], method: str | None, how: str
) -> None:
    """A method of a COM object of a known class called by its name as a string: matched as
    `class.Method` with `passed` as its arguments, when the name folds to an identifier."""
    prog = flow._com_class(target)
    verb = as_text(flow.fold(name))
    if prog and verb and verb.isidentifier():
        flow.note_folded(name, verb)
        flow._call_as(node, passed, method, [*prog.split("."), verb], f"{how} {prog}.{verb}")


def _call_as(flow: UnitFlow, node: Node, args: list[Node], method: str | None, names: Sequence[str], note: str) -> None:
    """A call that runs the method `names` spell (`Assembly`, `Load`) with `args`, matched
    against the rules as if it were written so (the first rule that names it); `note` says
    how the call reaches it. Every argument counts (reflection, IL or a delegate may pass any
    of them on)."""
    path = tuple(".".join(names).lower().split("."))
    for rule in flow.rules:
        pattern = next((pt for pt in rule.patterns if pt.matches(path, False, len(path) > 1)), None)
        if pattern is None:
            continue
        t: Taint | None = None
        for a in args:
            t = merge(t, flow.taint(a, method))
        values = [flow.fold(a) for a in args]  # what folds (`"unsafe"`, a command line) is shown
        flow.hits.append(
            SinkHit(rule.rule_id, rule.capability, pattern.label, flow.line(node), t, method, values, note)
        )
        return


def _emitted(flow: UnitFlow) -> list[tuple[str, str]]:
    """The methods the unit's IL generators emit calls to (`il.EmitCall(OpCodes.Call, m, ...)`,
    `il.Emit(OpCodes.Callvirt, m)`), with `m` resolved as `_method_ref` does, that a rule
    names (the others can match nothing when the method runs); found once, each once, with
    the values the IL loads as strings (`_emitted_loads`) in the same walk."""
    if flow._emitted_methods is not None:
        return flow._emitted_methods
    found: dict[tuple[str, str], None] = {}
    names = flow._method_variables()
    flow._emitted_loads = []
    for node, _method in flow.nodes:
        if role(node) is not Role.CALL:
            continue
        callee, args = call_parts(node)
        emits = last_name(callee)
        if emits in {"emit", "emitcall"}:
            for a in args[1:2]:
                ref = flow._method_ref(a, names)
                if ref is not None and ref not in found and flow._named_by_rule(ref):
                    found[ref] = None
        if emits == "emit" and len(args) == 2 and last_name(unwrap(args[0])) == "ldstr":
            flow._emitted_loads.append(args[1])  # `il.Emit(OpCodes.Ldstr, x)`
    flow._emitted_methods = list(found)
    return flow._emitted_methods


def _named_by_rule(flow: UnitFlow, names: Sequence[str]) -> bool:
    path = tuple(".".join(names).lower().split("."))
    return any(pt.matches(path, False, len(path) > 1) for rule in flow.rules for pt in rule.patterns)


def _method_variables(flow: UnitFlow) -> dict[str, tuple[str, str]]:
    """Variables set to a method found by reflection (`var m = typeof(T).GetMethod("M")`,
    VB `Dim m = GetType(T).GetMethod("M")`): name -> (T, M); found once."""
    if flow._method_vars is not None:
        return flow._method_vars
    names: dict[str, tuple[str, str]] = {}
    flow._method_vars = names
    for node, _method in flow.nodes:
        if node.type in {"foreach_statement", "for_each_statement"}:
            # `foreach (var m in typeof(T).GetMethods()) if (m.Name == "M") ...`, VB's `For Each m In ...`
            item, items = loop_parts(node)
            body = node.child_by_field_name("body") or node
            if item is not None and items is not None and body is not None and role(unwrap(item)) is Role.IDENT:
                ref = flow._looped_method(unwrap(items), body, text(unwrap(item)))
                if ref is not None:
                    names[flow._n(text(unwrap(item)))] = ref
    for name, right in flow._variables_set():
        ref = flow._method_ref(unwrap(right), names)
        if ref is not None:
            names[name] = ref
    return names


def _bound_method(flow: UnitFlow, path: tuple[str, ...], callee: Node | None) -> tuple[tuple[str, ...], str] | None:
    """The method a called delegate variable is bound to, when a rule names it: `run` of
    `run(x)` or `run.Invoke(x)` where `run = Process.Start` (C# method group, a delegate's
    constructor or cast over one, VB `AddressOf`)."""
    if callee is None or not path or len(path) > 2 or (len(path) == 2 and path[1] != "invoke"):
        return None
    root = base_ident(unwrap(callee)) if len(path) == 2 else unwrap(callee)
    if root is None or role(root) is not Role.IDENT:
        return None
    return flow._method_groups().get(flow._n(text(root)))


def _method_groups(flow: UnitFlow) -> dict[str, tuple[tuple[str, ...], str]]:
    """Variables set to a method a rule names, not called (`Func<string, Process> run =
    Process.Start`): name -> the method's path as `_resolved_path` gives it, and as written;
    found once."""
    if flow._groups is not None:
        return flow._groups
    groups: dict[str, tuple[tuple[str, ...], str]] = {}
    flow._groups = groups
    for name, right in flow._variables_set():
        target = flow._group_target(right)
        if target is None and flow.lang is Lang.JSCRIPT and flow._js_global_eval(right):
            groups[name] = (("eval",), text(unwrap(right)))  # `var f = eval;` (or `this["ev" + "al"]`)
            continue
        if target is None:
            continue
        path, has_receiver = flow._resolved_path(target, False)
        if any(
            not pt.any_receiver and pt.matches(path, False, has_receiver) for rule in flow.rules for pt in rule.patterns
        ):
            groups[name] = (path, dotted(target))
    return groups


def _emitted_calls(flow: UnitFlow, node: Node, args: list[Node], method: str | None) -> None:
    """`dm.Invoke(null, new object[] { data })` on a DynamicMethod whose IL calls
    `Assembly.Load`: the arguments go to each method the IL calls, and so do the strings the
    IL loads (`il.Emit(OpCodes.Ldstr, Request["c"])`)."""
    refs = flow._emitted()
    if not refs:
        return
    loaded = [*args, *flow._emitted_loads]
    for ref in refs:
        how = f"called from IL the code emits into a method built at run time, as {ref[0]}.{ref[1]}"
        flow._call_as(node, loaded, method, ref, how)


def _expression_call(flow: UnitFlow, node: Node, args: list[Node], method: str | None) -> None:
    """`Expression.Call(m, Expression.Constant(x), ...)` (or with an instance first) of a
    method found by reflection: compiled and run, it calls `m` with those arguments."""
    names = flow._method_variables()
    for i, a in enumerate(args[:2]):
        ref = flow._method_ref(a, names)
        if ref is not None and flow._named_by_rule(ref):
            how = f"called from an expression tree compiled at run time, as {ref[0]}.{ref[1]}"
            flow._call_as(node, args[i + 1 :], method, ref, how)
            return
