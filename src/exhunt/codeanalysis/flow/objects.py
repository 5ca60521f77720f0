"""The type each variable holds, and a callee's path with its variables replaced by their types."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import leftmost, type_last_name, type_named, uncast
from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    dotted,
    last_name,
    member_parts,
    operator,
    role,
    text,
    unwrap,
    vb_as_clause,
)
from exhunt.codeanalysis.syntax import field as child_field
from exhunt.codeanalysis.vocabulary import CALL_RETURNS, COM_CLSIDS, COM_FACTORIES, METHOD_RETURNS

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# The version a ProgID may end with: `.1` of `WScript.Shell.1`, `.6.0` of `MSXML2.ServerXMLHTTP.6.0`.
_PROGID_VERSION = re.compile(r"(?:\.\d+)+$")


_DECL_TYPES = {"variable_declaration", "local_declaration_statement", "field_declaration"}


# Declared types that say nothing of the value: its type is the initializer's (`var`, `dynamic`,
# `object`, as VB's `As Object` already was).
_UNTYPED = frozenset({"var", "dynamic", "object", "System.Object", ""})


# WMI through its moniker (`GetObject("winmgmts:...")`): the services object, or the class the
# moniker ends with (`winmgmts:root\cimv2:Win32_Process`), whose `Create` starts a process.
_WMI_SERVICES = "winmgmts.swbemservices"


# A generic's type arguments, whose dots are not the callee's (`CreateInstance<System.IO.File>`).
_GENERIC_ARGS = re.compile(r"<[^<>]*>")


_STREAM_WRITERS = frozenset({"binarywriter", "streamwriter"})


_WRITER_WRITES = frozenset({"write", "writeline", "writeasync", "writelineasync"})


# A CLSID's text read into a Guid: `Guid.Parse("...")` and its stricter form.
_GUID_PARSERS = frozenset({"parse", "parseexact"})


def _set_type(flow: UnitFlow, name: str, kind: str) -> None:
    """What a variable holds, under its name and its lower-case name (VB's look-ups)."""
    flow.types[name] = kind
    flow._types_lower[name.lower()] = kind


def _item_type(flow: UnitFlow, loop: Node, item: Node, items: Node) -> None:
    """The type of a loop's item: as declared (`foreach (EventLog l in ...)`), or each item of
    a call whose result's type is known (`foreach (var l in EventLog.GetEventLogs())`)."""
    if role(item) is not Role.IDENT:
        return
    declared = loop.child_by_field_name("type")
    if declared is None and loop.type == "for_each_statement":  # VB's `For Each f As HttpPostedFile In ...`
        clause = vb_as_clause(loop)
        declared = clause.child_by_field_name("type") if clause is not None else None
    found = None
    if declared is not None and text(declared) not in _UNTYPED:
        found = text(declared).lower().rsplit(".", 1)[-1]
    elif role(items) is Role.CALL:
        found = _call_type(*flow._resolved_path(call_parts(items)[0], False))  # `typeof(T).GetProperties()`
    if found is not None:
        name = flow._n(text(item))
        flow.types.setdefault(name, found)
        flow._types_lower.setdefault(name.lower(), found)


def _type_of(flow: UnitFlow, name: str, decl: Node, value: Node) -> None:
    cast = unwrap(value)
    if role(cast) is Role.MEMBER and last_name(cast) == "result":
        held = member_parts(cast)[0]  # `l.AcceptTcpClientAsync().Result`: what the task gives
        if held is not None and role(unwrap(held)) is Role.CALL:
            cast = value = unwrap(held)
    cast_to = None
    if role(cast) is Role.CAST and cast.named_child_count > 1:
        # `var wr = (HttpWorkerRequest)sp.GetService(...)`: the type cast to, unless the
        # declaration or the value says more (set below, first).
        cast_to = text(cast.named_children[0]).lower().rsplit(".", 1)[-1]
    if role(uncast(value)) is Role.CALL:
        value = uncast(value)  # `(Func<...>)dm.CreateDelegate(...)`
    r = role(value)
    if r is Role.CALL:
        callee, _ = call_parts(value)
        path, has_receiver = flow._resolved_path(callee, False)
        if has_receiver and path[-2:] == ("dynamicmethod", "createdelegate"):
            # A delegate over a method built at run time: calling it runs the emitted IL.
            flow._set_type(name, "dynamicmethod")
            return
        returned = _call_type(path, has_receiver)
        if returned is None and path[-2:] == ("activator", "createinstance"):
            returned = _type_argument(callee)  # `Activator.CreateInstance<Process>()`
            made = call_parts(value)[1]
            if returned is None and made:
                # `Activator.CreateInstance(typeof(Process))`, `(Type.GetType("System.Diagnostics.Process"))`
                named = type_named(made[0]) or flow._type_by_name(unwrap(made[0]))
                returned = named.lower() if named else None
        if returned is None:
            returned = flow._made_by_name(value, path)
        if returned is not None:  # `var d = AppDomain.CreateDomain("x")`
            flow._set_type(name, returned)
            return
    if r is Role.NEW:
        callee, made = call_parts(value)
        flow.types[name] = last_name(callee)
        if last_name(callee) == "thread" and made:
            flow._thread_bodies[name] = made[0]  # its `Start(state)` hands the state to this
        if last_name(callee) in _STREAM_WRITERS and made:
            over = flow._relay_stream(unwrap(made[0]))
            if over is not None:
                flow._writer_over[name.lower()] = over
    if r in {Role.CALL, Role.NEW}:
        prog = flow._com_class(value)
        if prog:
            flow.types[name] = prog
    elif r is Role.MEMBER and dotted(value).lower().endswith(".standardinput"):
        flow.types[name] = "standardinput"  # `StreamWriter w = p.StandardInput`: a process's input
    parent = decl.parent
    if parent is not None and parent.type in _DECL_TYPES:
        t = parent.child_by_field_name("type")
        if t is not None and text(t) not in _UNTYPED:
            flow.types.setdefault(name, text(t).lower().rsplit(".", 1)[-1])
    elif decl.type == "dim_statement":  # VB `Dim ns As NetworkStream = ...`
        clause = vb_as_clause(decl)
        t = clause.child_by_field_name("type") if clause is not None else None
        if t is not None and text(t).lower() != "object":
            flow.types.setdefault(name, last_name(t))
    if r is Role.NEW and flow._com_class(value):
        flow.types[name] = flow._com_class(value) or ""
    if cast_to is not None and cast_to.isidentifier():
        flow.types.setdefault(name, cast_to)
    if value.type in {"array_creation_expression", "implicit_array_creation_expression"}:
        flow.types.setdefault(name, "array")  # `var a = new string[3]`: an array, whatever its items
    if name in flow.types:
        flow._types_lower[name.lower()] = flow.types[name]


def _com_class(flow: UnitFlow, value: Node, depth: int = 0) -> str | None:
    """The ProgID (lower case) of the COM object or type a call gives: `CreateObject("X")`,
    `new ActiveXObject("X")`, `GetObject("new:{CLSID}")`, `Type.GetTypeFromProgID("X")`,
    `Type.GetTypeFromCLSID(new Guid("..."))`, `Activator.CreateInstance(t)` of such a type."""
    value = uncast(unwrap(value))
    if depth > 3 or role(value) not in {Role.CALL, Role.NEW}:
        if role(value) is Role.IDENT:
            kind = flow._type(flow._n(text(value)))
            return kind if kind is not None and "." in kind else None
        return None
    callee, args = call_parts(value)
    last = last_name(callee)
    if last == "get" and args and callee is not None and role(unwrap(callee)) is Role.MEMBER:
        # `services.Get("Win32_Process")` on WMI's services object: the class it names
        holder, _ = member_parts(unwrap(callee))
        if holder is not None and flow._com_class(holder, depth + 1) == _WMI_SERVICES:
            named = (as_text(flow.fold(unwrap(args[0]))) or "").strip().lower()
            return f"winmgmts.{named}" if named.startswith("win32_") else None
        return None
    if last == "gettype" and not args and callee is not None and role(unwrap(callee)) is Role.MEMBER:
        holder, _ = member_parts(unwrap(callee))  # `sh.GetType()`: the COM class of `sh`
        return flow._com_class(holder, depth + 1) if holder is not None else None
    if last not in COM_FACTORIES or not args:
        return None
    if last == "createinstance":
        return flow._com_class(args[0], depth + 1)
    arg = unwrap(args[0])
    if role(arg) is Role.NEW or (role(arg) is Role.CALL and last_name(call_parts(arg)[0]) in _GUID_PARSERS):
        _, inner = call_parts(arg)  # `new Guid("...")`, `Guid.Parse("...")`
        arg = unwrap(inner[0]) if inner else arg
    named = (as_text(flow.fold(arg)) or "").strip().lower()
    if not named:
        return None
    if named.startswith("winmgmts:"):
        return _wmi_moniker(named)
    clsid = named.removeprefix("new:").removeprefix("clsid:").strip("{}")
    if last == "gettypefromclsid" or named.startswith(("new:", "clsid:")):
        return COM_CLSIDS.get(clsid)
    # A version-dependent ProgID (`WScript.Shell.1`, `ADODB.Connection.6.0`) names the same
    # class as the version-independent one the rules are written for.
    unversioned = _PROGID_VERSION.sub("", named)
    return unversioned if "." in unversioned else None


def _own_object(flow: UnitFlow, receiver: Node) -> bool:
    """Whether a call's receiver is this object or a variable of a class the file declares
    (`conn.Open(host, port)` with `SessionConnection conn` defined in the same page): its
    arguments then flow into that method's parameters like a call of the page's own."""
    name = text(receiver)
    if name in {"this", "Me", "me"}:
        return True
    receiver = unwrap(receiver)
    if role(receiver) is Role.NEW:  # `new Runner().Go(x)`
        callee, _ = call_parts(receiver)
        return last_name(callee) in flow.classes
    if role(receiver) is not Role.IDENT:
        return False
    if name.lower() in flow.classes:
        return True  # `Util.Exec(x)`: a static method of a class the file declares
    kind = flow._type(name)
    return kind is not None and kind.lower() in flow.classes


def _made_by_name(flow: UnitFlow, value: Node, path: tuple[str, ...]) -> str | None:
    """The type (last name, lower case) of an object made from an assembly's name and a type's
    name: `Activator.CreateInstance("System", "System.Diagnostics.Process").Unwrap()` and
    `AppDomain.CurrentDomain.CreateInstanceAndUnwrap(...)` with the names folded."""
    made = value
    if path[-1:] == ("unwrap",):
        callee = call_parts(value)[0]
        held = member_parts(unwrap(callee))[0] if callee is not None and role(unwrap(callee)) is Role.MEMBER else None
        if held is None or role(held) is not Role.CALL or last_name(call_parts(held)[0]) != "createinstance":
            return None
        made = held
    elif path[-1:] != ("createinstanceandunwrap",):
        return None
    args = call_parts(made)[1]
    named = as_text(flow.fold(args[1])) if len(args) > 1 else None
    if not named:
        return None
    flow.note_folded(args[1], named)
    return (type_last_name(named) or "").lower() or None


def _type(flow: UnitFlow, name: str) -> str | None:
    """The type of a variable, by its name as written or in lower case (`Sock` and the
    lower-cased segment `sock` of a callee's path are the same variable)."""
    return flow.types.get(name) or flow._types_lower.get(name.lower())


def _types_text(flow: UnitFlow) -> str:
    return " ".join(flow.types.values())


def _resolved_path(flow: UnitFlow, callee: Node | None, is_new: bool) -> tuple[tuple[str, ...], bool]:
    """Callee as lower-case segments with a leading variable replaced by its type, and a call
    on what another call returns named by the type returned (`CALL_RETURNS`)."""
    if callee is not None and role(unwrap(callee)) is Role.MEMBER and not is_new:
        holder, member = member_parts(unwrap(callee))
        prog = flow._com_class(holder) if holder is not None and role(holder) is not Role.IDENT else None
        if prog:  # `GetObject("new:{...}").Exec(...)`
            return (*prog.split("."), member.lower()), True
        if holder is not None and role(unwrap(holder)) is Role.CALL:
            # `AppDomain.CreateDomain("x").Load(b)`: one level, as a variable holding it would be
            inner, _ = call_parts(unwrap(holder))
            returned = _returned_type(*flow._typed_path(inner))
            if returned is not None:
                return (*returned.split("."), member.lower()), True
    return flow._typed_path(callee)


def _typed_path(flow: UnitFlow, callee: Node | None) -> tuple[tuple[str, ...], bool]:
    """Callee as lower-case segments with a leading variable replaced by its type."""
    written = dotted(callee)
    raw = _GENERIC_ARGS.sub("", written.lower().replace("()", "").replace("[]", ""))
    raw = _GENERIC_ARGS.sub("", raw)  # (nested: `Func<List<string>>`)
    parts = [p.split("<")[0] for p in raw.split(".") if p]
    if len(parts) > 1 and parts[0] in flow._aliases:
        parts = [*flow._aliases[parts[0]], *parts[1:]]  # `using P = System.Diagnostics.Process;` then `P.Start`
    elif len(parts) == 1 and flow._static_types and parts[0] not in flow.methods:
        parts = flow._statically_imported(parts[0])  # `using static System.Diagnostics.Process;` then `Start`
    has_receiver = len(parts) > 1
    kind = flow._receiver_type(written.split(".", 1)[0], parts[0]) if has_receiver else None
    if kind is not None:
        over = flow._writer_over.get(parts[0]) if len(parts) == 2 and parts[1] in _WRITER_WRITES else None
        if over is not None:
            parts = [over, "write"]  # `w.WriteLine(x)` on a writer over a socket: into the socket
        else:
            parts = [*kind.split("."), *parts[1:]]
    elif has_receiver and parts[0] in {"this", "base", "me"}:
        parts = parts[1:]
        has_receiver = len(parts) > 1
    return tuple(parts), has_receiver


def _receiver_type(flow: UnitFlow, written: str, lowered: str) -> str | None:
    """The type of the variable a callee's path starts with (`lowered`, its first segment in
    lower case; `written`, as the code spells it). C# and JScript tell names apart by case:
    `Process.Start` is the class's, not a local `string process`'s, so a variable of another
    spelling is not this name (VB's names are one in any case)."""
    if flow.lang is Lang.VB or written.lower() != lowered:
        return flow._type(lowered)
    exact = flow.types.get(written)
    if exact is not None:
        return exact
    if lowered in flow._types_lower and lowered not in flow.scope.objects:
        return None  # a variable spelled otherwise (`process` beside the class `Process`)
    return flow._types_lower.get(lowered)


def _statically_imported(flow: UnitFlow, name: str) -> list[str]:
    """`Start` under `using static System.Diagnostics.Process;`: the first imported type
    with a method of that name a rule names, else the name alone."""
    for kind in flow._static_types:
        path = (*kind, name)
        if any(pt.matches(path, False, True) for rule in flow.rules for pt in rule.patterns):
            return list(path)
    return [name]


def _in_namespace(flow: UnitFlow, node: Node) -> bool:
    """Whether a type is looked up under a namespace the code fixes
    (`Type.GetType("MyApp.Handlers." + Request["h"])`): the client picks among the
    application's own types, not any type."""
    node = unwrap(node)
    if role(node) is Role.IDENT:  # `t = Type.GetType(...)` first: every value it is set to
        values = flow._values_of(node)
        return bool(values) and all(role(unwrap(v)) is not Role.IDENT and flow._in_namespace(v) for v in values)
    if role(node) is Role.CALL:
        callee, args = call_parts(node)
        if last_name(callee) == "gettype" and args:
            node = unwrap(args[0])
    if role(node) is not Role.BINARY or operator(node) not in {"+", "&"}:
        return False
    prefix = as_text(flow.fold(leftmost(node)))
    return prefix is not None and prefix.endswith(".") and len(prefix) > 1


def _stored_in(flow: UnitFlow, node: Node) -> Node | None:
    """The variable a `new ...()` expression is declared or assigned into (`x = new T()`),
    looked for at most three levels up; None when it is stored in anything else."""
    cur: Node | None = node
    for _ in range(3):
        cur = cur.parent if cur is not None else None
        if cur is None:
            return None
        if cur.type in {"variable_declarator", "dim_statement"} or role(cur) in {Role.DECL, Role.ASSIGN}:
            left, _right = flow._targets(cur)
            return left if left is not None and role(left) is Role.IDENT else None
    return None


def _returned_type(path: tuple[str, ...], has_receiver: bool) -> str | None:
    """The type a call on a receiver returns (or each item of it), by `CALL_RETURNS`."""
    return CALL_RETURNS.get((path[-2], path[-1])) if has_receiver and len(path) >= 2 else None


def _call_type(path: tuple[str, ...], has_receiver: bool) -> str | None:
    """The same, or else by the method alone (`METHOD_RETURNS`: `typeof(T).GetProperty("P")`)."""
    found = _returned_type(path, has_receiver)
    if found is None and has_receiver and path:
        found = METHOD_RETURNS.get(path[-1].removesuffix("()"))
    return found


def _wmi_moniker(moniker: str) -> str:
    """The type a WMI moniker gives, as `_com_class` names COM types (lower case, dotted)."""
    path = moniker.removeprefix("winmgmts:")
    if "!" in path:
        path = path.split("!", 1)[1]  # `{impersonationLevel=impersonate}!\\.\root\cimv2`
    tail = path.rsplit(":", 1)[1].strip() if ":" in path else ""
    return f"winmgmts.{tail}" if tail.startswith("win32_") and tail.isidentifier() else _WMI_SERVICES


def _type_argument(callee: Node | None) -> str | None:
    """The last name of a generic call's single type argument (`CreateInstance<Process>`)."""
    if callee is None:
        return None
    node = unwrap(callee)
    if role(node) is Role.MEMBER:
        node = child_field(node, "name") or node
    args = next((c for c in node.named_children if c.type == "type_argument_list"), None)
    if args is None or args.named_child_count != 1:
        return None
    return text(args.named_children[0]).lower().rsplit(".", 1)[-1] or None
