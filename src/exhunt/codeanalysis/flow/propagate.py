"""Taint followed to a fixed point: stores into variables, fields, the session, and calls between methods."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from exhunt.codeanalysis.entry import EVENT_ARGUMENTS
from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import (
    CONFIGURED,
    LOOPS,
    SET_LATER,
    SHARED_FIELD,
    Method,
    base_ident,
    by_reference,
    callback_node,
    copy_parts,
    each_parts,
    extends,
    file_number,
    leftmost,
    makes_guid,
    own_member,
)
from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    called,
    index_parts,
    lambda_params,
    last_name,
    loop_parts,
    member_parts,
    operator,
    role,
    text,
    unwrap,
)
from exhunt.codeanalysis.taint import Taint, merge
from exhunt.codeanalysis.vocabulary import READ_INTO, WRITE_INTO

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Calls that hand a state object to the callback they take first: the state's argument position.
_STATE_PASSED = {"queueuserworkitem": 1, "unsafequeueuserworkitem": 1, "startnew": 1}


# Where a page keeps values between requests. The view state round-trips through the client but
# is signed by the server (MAC), so like the others it only carries what the page put there.
_STORES = {"session", "application", "cache", "viewstate"}


# Their methods that keep a value under a key (the value's argument follows the key).
_STORE_CALLS = frozenset({"add", "set", "insert"})


# What names one item of a store: `Session.Contents["k"]`, `Cache.Item("k")`, `Cache.Get("k")`.
_ITEM_PARTS = frozenset({"contents", "item", "staticobjects"})


_ITEM_CALLS = frozenset({"item", "get", "contents"})


_WORDS = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


# Stream methods that write their receiver's bytes into the stream they are given.
_STREAM_COPIES = frozenset({"copyto", "copytoasync"})


_VB_FILE_WRITES = frozenset({"print", "printline", "write", "writeline", "fileput", "fileputobject"})


_QUERY_MEMBERS = frozenset(SET_LATER.values())


_PROPERTY_TYPES = frozenset({"property_declaration", "indexer_declaration"})


_BUILDER_STEPS = frozenset({"append", "appendline", "appendformat", "insert"})


def _names_in(flow: UnitFlow, node: Node) -> frozenset[str]:
    """The lower-case words of what a statement reads (a loop: its collection), kept."""
    key = node.id
    found = flow._words.get(key)
    if found is None:
        if node.type in LOOPS:
            node = loop_parts(node)[1] or node
        found = frozenset(w.decode().lower() for w in _WORDS.findall(node.text or b""))
        flow._words[key] = found
    return found


def _reads_changed(flow: UnitFlow, node: Node, method: str | None, names: frozenset[tuple[str | None, str]]) -> bool:
    """Whether a statement of `method` names a variable of its method or of the page whose
    taint changed in the round before (`names`) or in this one."""
    own = method.lower() if method else None
    changed = flow._changed or set()
    for word in flow._names_in(node):
        if (None, word) in names or (None, word) in changed:
            return True
        if own is not None and ((own, word) in names or (own, word) in changed):
            return True
    return False


def _propagate(flow: UnitFlow, names: frozenset[tuple[str | None, str]] | None = None) -> None:
    """One round over the statements; with `names`, only those naming one of them
    (`run_together`)."""
    for node, method in flow.nodes:
        r = role(node)
        if names is not None:
            if r is Role.METHOD:
                continue  # what it sets (web-method parameters) is the same every round
            if not flow._reads_changed(node, method, names):
                continue
        if r in {Role.DECL, Role.ASSIGN, Role.BINARY}:
            _assigned(flow, node, r, method)
        elif r in {Role.CALL, Role.NEW}:
            flow._call_effects(node, method)  # `new Own(x)`: into the constructor's parameters
        elif node.type in LOOPS:
            _looped(flow, node, method)
        elif r is Role.RETURN and method:
            _returned(flow, node, method)
        elif r is Role.METHOD and method:
            _entered(flow, node, method)


def _assigned(flow: UnitFlow, node: Node, r: Role, method: str | None) -> None:
    """A declaration or assignment: the target takes the value's taint (each name its own in a
    deconstruction), and an untainted value is noted as a site path or a configured setting."""
    left, right = flow._targets(node)
    if left is None or right is None:
        return
    pairs = flow._deconstructed(left, right)
    if pairs:  # `var (f, a) = ("cmd.exe", Request["c"])`: each name its own value
        for name, value, where in pairs:
            t = flow.taint(value, method if where is None else where)
            if t is not None:
                flow._store(name, t, method)
        return
    t = flow.taint(right, method)
    if t is not None and r is Role.ASSIGN and operator(node) in {"+=", "&="}:
        t = t.join()  # `sql += x`: added to what the variable held
    if t is None:
        if role(left) is Role.IDENT and flow._in_site(leftmost(right), method):
            flow._site_paths.add(text(left).lower())
        if role(left) is Role.IDENT:
            configured = CONFIGURED.search(text(right)[:400]) is not None
            (flow._configured if configured else flow._not_configured).add(flow._n(text(left)))
        return
    flow._store(left, t, method)
    setter = flow._setter(left)
    if setter is not None:
        flow._set(setter, t)  # `Cmd = x`, `o.Cmd = x`, `o[i] = x`: the setter's `value`
    if flow.lang is Lang.VB and method and role(left) is Role.IDENT and text(left).lower() == method.lower():
        # VB's `GetIt = Request("c")` inside `Function GetIt()`: what it returns
        flow._put(flow.returns, method.lower(), t, None, method)


def _looped(flow: UnitFlow, node: Node, method: str | None) -> None:
    """`foreach (string path in paths)`: each item is as tainted as the collection."""
    item, items = loop_parts(node)
    if item is not None and items is not None:
        flow._item_type(node, unwrap(item), unwrap(items))
    t = flow.taint(items, method) if items is not None else None
    if t is not None and item is not None:
        for each in _loop_names(unwrap(item)):  # `foreach (var (k, v) in d)`: each name
            flow._store(each, t, method)


def _returned(flow: UnitFlow, node: Node, method: str) -> None:
    """A `return`: what the method returns is as tainted as the value."""
    expr = node.named_children[0] if node.named_child_count else None
    t = flow.taint(expr, method) if expr is not None else None
    if t is not None:
        key = method.lower()
        flow._put(flow.returns, key, t, None, key)


def _entered(flow: UnitFlow, node: Node, method: str) -> None:
    """A method's declaration: the parameters the framework fills from the request (a web
    method's, an action's, a hub's or a Razor handler's; an event's argument) and a bound
    property's value are tainted."""
    m = flow.methods.get(method.lower())
    if method.lower() in flow._bound:
        # `[BindProperty] public string Cmd { get; set; }`: model binding sets it from
        # the request before the handler runs, so reading it reads the client's value.
        bound = Taint((f"bound property '{method}'",), frozenset({"webmethod"}), (), frozenset({flow.line(node)}))
        flow._put(flow.returns, method.lower(), bound, None, method)
    if m is not None and (m.webmethod or method.lower() in flow.operations):
        low = method.lower()
        kind = (
            "action"
            if low in flow._actions
            else "hub method"
            if low in flow._hub_methods
            else "handler"
            if low in flow._handlers
            else "web-method"
        )
        for p in flow._params(node):
            t = Taint((f"{kind} parameter '{p}'",), frozenset({"webmethod"}), (), frozenset({flow.line(node)}))
            flow._set((method, p), t)
    event = EVENT_ARGUMENTS.get(method.lower())
    if m is not None and event is not None and len(m.params) > event[0]:
        p = m.params[event[0]]
        flow._set(
            (method, p),
            Taint((f"{event[1]} '{p}'",), frozenset({"request"}), (), frozenset({flow.line(node)})),
        )


def _put(flow: UnitFlow, table: dict[Any, Taint], key: Any, t: Taint, method: str | None, name: str) -> None:
    """Merge `t` into a table's entry; a change is noted under the method (None: the page's)
    and the name it is read by (a store's `session:=key` as `session`), for the rounds that
    re-read only what changed."""
    old = table.get(key)
    new = t if old is None else old.merge(t)
    table[key] = new
    if flow._changed is not None and new != old:
        flow._changed.add((method.lower() if method else None, name.split(":", 1)[0].lower()))


def _set(flow: UnitFlow, key: tuple[str | None, str], t: Taint) -> None:
    flow._put(flow.taints, key, t, *key)


def _store(flow: UnitFlow, left: Node, t: Taint, method: str | None) -> None:
    r = role(left)
    item = flow._store_item(left)
    if item is not None:  # `Session["k"] = x`, VB's `Session("k") = x`
        flow._keep(item[0], item[1], t, left)
        return
    own = own_member(left) or flow._class_member(left)
    if own is not None:  # `this.cmd = ...`, `Holder.Cmd = ...`: a field, one for every method
        flow.fields.add(flow._n(own))
        flow._set((None, flow._n(own)), flow._shared_step(flow._n(own), t, left))
        return
    base = base_ident(left)
    if base is None and flow.lang is Lang.VB and r is Role.CALL:
        callee, _ = call_parts(left)  # VB's `a(0) = x`: a store into an item of the array `a`
        callee = unwrap(callee) if callee is not None else None
        if callee is not None and role(callee) is Role.IDENT and text(callee).lower() not in flow.methods:
            base = callee
    if base is None:
        return
    name = flow._n(text(base))
    member = member_parts(left)[1].lower() if r is Role.MEMBER else ""
    if member in _QUERY_MEMBERS:
        key = (name.lower(), member)  # `cmd.CommandText = x`: the text the command will run, `c.Host = x`
        flow._put(flow._query_texts, key, t, None, name)
    if r is Role.IDENT and flow._is_property(name):
        flow.fields.add(name)  # `Cmd = ...` into `string Cmd { get; set; }`: the page's, like a field
    flow._set((None if name in flow.fields else method, name), flow._shared_step(name, t, left))


def _shared_step(flow: UnitFlow, name: str, t: Taint, node: Node) -> Taint:
    """`t` stored into the field `name`: a static field's value is kept for every later request."""
    return t.step(SHARED_FIELD, flow.line(node)) if name in flow.scope.shared else t


def _keep(flow: UnitFlow, store: str, key: Node | None, t: Taint, node: Node) -> None:
    """A value kept in the session, application, cache or view state (`_STORES`) under a key:
    read back by the same key (folded, in any case), by a key the code does not fix, and, when
    the code does not fix this key, by any key. Every value is also kept under `all`, for
    reads whose key the code does not fix."""
    kept = t.step(f"keeps it in the {store}", flow.line(node))
    flow._set((None, f"{store}:{flow._store_key(key)}"), kept)
    flow._set((None, f"{store}:all"), kept)


def _store_key(flow: UnitFlow, key: Node | None) -> str:
    """`=name` for a key written as literal text (`"k"`, `"a" + "b"`; lower case) or named by a
    constant the file declares once (`const string Key = "k"`), `?` for any other: a key held
    in a variable may hold another text where the value is stored than where it is read, so
    it is not taken as fixed."""
    if key is None or not (_literal_text(key) or flow._constant_name(key)):
        return "?"
    named = as_text(flow.fold(key))
    return f"={named.lower()}" if named is not None else "?"


def _constant_name(flow: UnitFlow, key: Node) -> bool:
    """Whether a key is one name of a constant declared once in the file, and no parameter."""
    inner = unwrap(key)
    if inner.type != "identifier":
        return False
    lname = text(inner).lower()
    return (
        lname in flow.scope.const_names
        and flow.scope.declarations.get(lname) == 1
        and lname not in flow._parameter_names()
    )


def _kept(flow: UnitFlow, store: str, key: Node | None) -> Taint | None:
    """What a read of a store's key may give (`_keep`)."""
    named = flow._store_key(key)
    if named == "?":
        return flow.taints.get((None, f"{store}:all"))
    return merge(flow.taints.get((None, f"{store}:{named}")), flow.taints.get((None, f"{store}:?")))


def _store_item(flow: UnitFlow, node: Node) -> tuple[str, Node | None] | None:
    """The store and key of an item of the session, application, cache or view state:
    `Session["k"]`, `Session.Contents["k"]`, VB's `Session("k")`, `Cache.Item("k")` and
    `Cache.Get("k")`; None for anything else."""
    r = role(node)
    if r is Role.INDEX:
        obj, keys = index_parts(node)
    elif r is Role.CALL:
        callee, keys = call_parts(node)
        obj = unwrap(callee) if callee is not None else None
        if obj is not None and role(obj) is Role.MEMBER and len(keys) == 1:
            holder, part = member_parts(obj)
            held = _store_named(holder) if part.lower() in _ITEM_CALLS else None
            if held is not None:
                return held, unwrap(keys[0])
        if flow.lang is not Lang.VB or len(keys) != 1:
            return None
    else:
        return None
    if obj is not None and role(obj) is Role.MEMBER:
        holder, part = member_parts(obj)
        if part.lower() in _ITEM_PARTS:
            obj = holder  # `Session.Contents["k"]`
    store = _store_named(obj)
    return (store, keys[0] if keys else None) if store is not None else None


def _is_property(flow: UnitFlow, name: str) -> bool:
    m = flow.methods.get(name.lower())
    return m is not None and m.node.type == "property_declaration"


def _class_member(flow: UnitFlow, node: Node) -> str | None:
    """`Cmd` of `Holder.Cmd` where `Holder` is a class the file declares (its static field or
    property), or of `o.Cmd` where `o` holds an instance of one (`var o = new Holder()`): one
    value wherever it is read, whichever instance holds it."""
    node = unwrap(node)
    if role(node) is not Role.MEMBER:
        return None
    holder, name = member_parts(node)
    if holder is None or role(holder) is not Role.IDENT:
        return None
    named = text(holder)
    if named.lower() not in flow.classes and (flow._type(named) or "").lower() not in flow.classes:
        return None
    return name or None


def _call_effects(flow: UnitFlow, node: Node, method: str | None) -> None:
    callee, args = call_parts(node)
    if callee is None:
        return
    callee = unwrap(callee)
    receiver, name = called(callee)
    receiver, name, args = flow._js_called(receiver, name, args)
    lname = name.lower()
    if lname == "callbyname" and len(args) >= 4 and re.search(r"(?i)\b(?:let|set)$", text(args[2])):
        # VB `CallByName(p.StartInfo, "Arguments", CallType.Let, x)`: `p.StartInfo.Arguments = x`
        t = flow.taint(args[3], method)
        if t is not None:
            flow._store(unwrap(args[0]), t, method)
    lname, receiver = _into_parameters(flow, node, receiver, name, args, method)
    state = _STATE_PASSED.get(lname)
    if state is not None and receiver is not None and len(args) > state:
        flow._state_into(args[0], args[state], method)
    if receiver is not None and args and flow._item_callback(args[-1]):
        parts = each_parts(lname, receiver, args)
        if parts is not None:  # `items.ForEach(x => ...)`, `.Select(Run)`, `Array.ForEach(items, x => ...)`
            flow._each_into(parts[0], parts[1], method)
    if lname == "start" and len(args) == 1 and receiver is not None and role(unwrap(receiver)) is Role.IDENT:
        body = flow._thread_bodies.get(flow._n(text(unwrap(receiver))))
        if body is not None:
            flow._state_into(body, args[0], method)  # `t.Start(Request["c"])`
    flow._out_arguments(node, receiver, args, method)
    _vb_file_write(flow, receiver, lname, args, method)
    if receiver is None or role(node) is Role.NEW:
        return
    _into_receiver(flow, node, receiver, lname, args, method)


def _into_parameters(
    flow: UnitFlow, node: Node, receiver: Node | None, name: str, args: list[Node], method: str | None
) -> tuple[str, Node | None]:
    """A call of a method or a lambda of this file: its arguments into their parameters. Gives
    the call's name (lower case) and receiver as the rest of its effects read them: those of the
    method a delegate variable is bound to, when the call is of that variable."""
    lname = name.lower()
    # Calls to methods of this file: arguments flow into their parameters.
    m = flow.methods.get(lname)
    bound = flow._delegate_call(receiver, name) if m is None else None
    if bound is not None:  # `run(x)`, `run.Invoke(x)` of `Action<string> run = Go;`: a call of Go
        lname, receiver, m = bound, None, flow.methods.get(bound)
    own = m is not None and (receiver is None or flow._own_object(receiver))
    if m is not None and (own or (receiver is not None and m.params and extends(m.node))):
        # `x.Run()` of `static void Run(this string s)`: x into s
        passed = args if own or receiver is None else [receiver, *args]
        m = flow._overload(m, len(passed))
        if own:
            flow._own_out_arguments(node, m, method)
        for pname, arg in _bound_arguments(m.params, passed):
            t = flow.taint(arg, method)
            if m.rest and pname == m.params[-1]:
                for more in passed[len(m.params) :]:  # `R("cmd.exe", Request["c"])` into `params string[] a`
                    t = merge(t, flow.taint(more, method))
            if t is not None:
                flow._set((m.name, pname), t)
            a = unwrap(arg)
            kind = flow._type(flow._n(text(a))) if role(a) is Role.IDENT else None
            if kind is not None and flow._type(pname) in {None, "object"}:
                flow._set_type(pname, kind)  # `Send(stream, data)` into `Sub Send(o As Object, ...)`
    held = flow._lambda_called(receiver, name)
    lam = flow._lambdas.get(held) if held is not None else None
    if lam is not None:  # `run(x)`, `run.Invoke(x)` with `Action<string> run = c => ...`: x into c
        params, where = lam
        for pname, arg in zip(params, args, strict=False):
            t = flow.taint(arg, method)
            if t is not None:
                flow._set((where, flow._n(pname)), t)
    return lname, receiver


def _vb_file_write(flow: UnitFlow, receiver: Node | None, lname: str, args: list[Node], method: str | None) -> None:
    """VB's `PrintLine(1, x)` and the other writes to a file opened by number: what they write
    goes into that file."""
    own = receiver is None and lname in flow.methods  # a page's own `Write` is that method
    if lname in _VB_FILE_WRITES and len(args) >= 2 and not own and _vb_file_call(receiver, flow.lang):
        written: Taint | None = None  # `PrintLine(1, Request("c"))`: into the file opened as number 1
        for a in args[1:]:
            written = merge(written, flow.taint(a, method))
        if written is not None:
            flow.tainted_writes = True
            key = file_number(args[0])
            flow._put(flow._written_to, key, written, None, key)


def _into_receiver(
    flow: UnitFlow, node: Node, receiver: Node, lname: str, args: list[Node], method: str | None
) -> None:
    """What a method call puts into its receiver or takes from it: a store's `Add`, a builder's or
    writer's `Append`/`Write`, a stream's `Read` into an array, an array copied."""
    base = base_ident(_builder_root(receiver) if lname in WRITE_INTO else receiver)
    arg_taint: Taint | None = None
    for a in args:
        arg_taint = merge(arg_taint, flow.taint(a, method))
    store = _store_named(receiver)
    if arg_taint is not None and lname in _STORE_CALLS and store is not None and len(args) >= 2:
        flow._keep(store, unwrap(args[0]), arg_taint, node)  # `Session.Add("p", x)`: as `Session["p"] = x`
    if arg_taint is not None and base is not None and lname in WRITE_INTO:
        held = flow._n(text(base))  # one piece of what it builds
        flow._set((None if held in flow.fields else method, held), flow._shared_step(held, arg_taint.join(), node))
        if lname.startswith("write"):
            flow.tainted_writes = True
            key = flow._n(text(base))
            flow._put(flow._written_to, key, arg_taint, None, key)
    rt = flow.taint(receiver, method)
    if rt is not None and lname in READ_INTO:
        for a in args:
            if role(unwrap(a)) is Role.NEW:  # `ReceiveAsync(new ArraySegment<byte>(buf), ...)`: into `buf`
                a = next(iter(call_parts(unwrap(a))[1]), a)
            b = base_ident(a)
            if b is not None and role(b) is Role.IDENT:
                flow._set((method, flow._n(text(b))), rt)
                if lname in _STREAM_COPIES:  # `upload.InputStream.CopyTo(o)`: written into the stream `o`
                    key = flow._n(text(b))
                    flow.tainted_writes = True
                    flow._put(flow._written_to, key, rt, None, key)
    if lname == "blockcopy" or (lname == "copy" and text(receiver).lower() == "array"):
        src = flow.taint(args[0], method) if args else None
        dest = copy_parts(lname, args)[1]
        if src is not None and dest is not None:
            b = base_ident(dest)
            if b is not None:
                flow._set((method, flow._n(text(b))), src)


def _state_into(flow: UnitFlow, callback: Node, state: Node, method: str | None) -> None:
    """`ThreadPool.QueueUserWorkItem(o => Run((string)o), Request["c"])`: the state object
    given with a callback is the callback's first parameter (a lambda's, an anonymous
    method's, or a method's of this file, also through `new WaitCallback(Work)`)."""
    t = flow.taint(state, method)
    if t is None:
        return
    cb = callback_node(callback)
    if role(cb) is Role.LAMBDA:
        params = lambda_params(cb)
        if params:
            flow._set((method, flow._n(params[0])), t)
        return
    m = flow.methods.get(last_name(cb)) if role(cb) in {Role.IDENT, Role.MEMBER} else None
    if m is not None and m.params:
        flow._set((m.name, m.params[0]), t)


def _setter(flow: UnitFlow, left: Node) -> tuple[str, str] | None:
    """The key of the value a property's or an indexer's setter receives, when an assignment
    stores into one the file declares: `Cmd = x`, `this.Cmd = x`, `o.Cmd = x` (a property named
    `Cmd` with a `set` accessor) and `o[i] = x` (an indexer, `this[...]`). C# names the value
    `value`; VB's `Set(v As String)` names its own."""
    r = role(left)
    if r is Role.IDENT:
        name = text(left)
    elif r is Role.MEMBER:
        name = member_parts(left)[1]
    elif r is Role.INDEX and flow.lang is Lang.CSHARP:
        name = "this"
    else:
        return None
    m = flow.methods.get(name.lower())
    if m is None or m.node.type not in _PROPERTY_TYPES:
        return None
    if m.node.type == "indexer_declaration" and r is not Role.INDEX:
        return None
    param = _setter_parameter(m.node)
    return (m.name, flow._n(param)) if param is not None else None


def _item_callback(flow: UnitFlow, node: Node) -> bool:
    """Whether an argument is a callback a collection's items can be handed to: a lambda, or a
    method of this file named as a method group (`items.ForEach(Run)`)."""
    cb = callback_node(node)
    r = role(cb)
    return r is Role.LAMBDA or (r in {Role.IDENT, Role.MEMBER} and last_name(cb) in flow.methods)


def _each_into(flow: UnitFlow, callback: Node, items: Node, method: str | None) -> None:
    """What a collection holds, handed to the lambda (or the file's method) called with each
    item, as a state object is (`_state_into`). A lambda's parameter is keyed by its method
    and name, so `x` of one lambda must not be another's: the binding is made only when no
    other lambda of the method names its parameter so. A method's parameter is its own."""
    cb = callback_node(callback)
    if role(cb) is not Role.LAMBDA:
        flow._state_into(callback, items, method)
        return
    params = lambda_params(cb)
    if params and flow._lambda_names(method).get(params[0].lower(), 0) == 1:
        flow._state_into(callback, items, method)


def _lambda_names(flow: UnitFlow, method: str | None) -> dict[str, int]:
    """How many lambdas of each method (given to a call or held in a variable) name each
    parameter (lower case); found once for the unit."""
    if flow._lambda_params is None:
        counts: dict[str | None, dict[str, int]] = {}
        for node, where in flow.nodes:
            r = role(node)
            held = call_parts(node)[1] if r in {Role.CALL, Role.NEW} else []
            if r in {Role.DECL, Role.ASSIGN}:
                right = flow._targets(node)[1]
                held = [right] if right is not None else []
            per = counts.setdefault(where, {})
            for a in held:
                cb = callback_node(a)
                if role(cb) is Role.LAMBDA:
                    for name in {n.lower() for n in lambda_params(cb)}:
                        per[name] = per.get(name, 0) + 1
        flow._lambda_params = counts
    return flow._lambda_params.get(method, {})


def _own_out_arguments(flow: UnitFlow, node: Node, m: Method, method: str | None) -> None:
    """`Read(out cmd)` with `void Read(out string v) { v = Request["c"]; }`: an `out` or `ref`
    argument of a method of this file takes what the method stores into that parameter."""
    args_node = next((c for c in node.named_children if c.type == "argument_list"), None)
    if args_node is None:
        return
    for pname, a in zip(m.params, args_node.named_children, strict=False):
        target: Node | None
        if pname in m.byref:  # VB: `GetIt(c)` of `Sub GetIt(ByRef v As String)`
            target = unwrap(a)
        elif (target := by_reference(a)) is None:
            continue
        given = flow.taints.get((m.name, pname))
        if given is not None and target is not None and role(target) is Role.IDENT:
            name = flow._n(text(target))
            flow._set((None if name in flow.fields else method, name), given)


def _out_arguments(flow: UnitFlow, node: Node, receiver: Node | None, args: list[Node], method: str | None) -> None:
    """`int.TryParse(Request["p"], out port)`, `d.TryGetValue(k, out v)`: an `out` or `ref`
    argument takes what the call is given (its other arguments and its receiver)."""
    args_node = next((c for c in node.named_children if c.type == "argument_list"), None)
    if args_node is None:
        return
    outs = [t for t in map(by_reference, args_node.named_children) if t is not None]
    if not outs or makes_guid(call_parts(node)[0]):
        return
    given = flow.taint(receiver, method) if receiver is not None else None
    for a in args:
        given = merge(given, flow.taint(a, method))
    if given is None:
        return
    for target in outs:
        flow._set((method, flow._n(text(target))), given)


def _from_callers(flow: UnitFlow, node: Node) -> bool:
    """Whether every name in an expression is a parameter of the page's methods or lambdas
    (its value is what the callers pass, which the taint pass follows into the call) or a
    getter of a constant."""
    if flow._param_names is None:  # once, after the constants pass has seen every lambda
        flow._param_names = {p for m in flow.methods.values() for p in m.params}
        flow._param_names.update(p for ps, _m in flow._lambdas.values() for p in ps)
        flow._param_names.update(flow._callback_params())
    params = flow._param_names
    names: list[str] = []
    stack = [node]
    for _ in range(64):
        if not stack:
            break
        cur = unwrap(stack.pop())
        r = role(cur)
        if r is Role.IDENT:
            names.append(flow._n(text(cur)))
        elif r is Role.CAST and cur.named_child_count:
            stack.append(cur.child_by_field_name("value") or cur.named_children[-1])  # not the type's name
        elif r is Role.MEMBER:
            holder, _member = member_parts(cur)  # `o.ToString()`: the object, not the member's name
            if holder is None:
                return False
            stack.append(holder)
        else:
            stack.extend(cur.named_children)
    else:
        return False
    return bool(names) and all(n in params or flow._constant_getter(n) for n in names)


def _callback_params(flow: UnitFlow) -> set[str]:
    """Parameters of the lambdas given a state object (`QueueUserWorkItem(o => ..., state)`,
    `new Thread(o => ...)`): what they hold is what the caller hands over, followed as such."""
    bodies = list(flow._thread_bodies.values())
    for node, _method in flow.nodes:
        if role(node) is Role.CALL:
            callee, args = call_parts(node)
            if last_name(callee) in _STATE_PASSED and args:
                bodies.append(args[0])
    out: set[str] = set()
    for body in bodies:
        cb = callback_node(body)
        if role(cb) is Role.LAMBDA:
            out.update(flow._n(p) for p in lambda_params(cb))
    return out


def _vb_file_call(receiver: Node | None, lang: Lang) -> bool:
    """Whether a call of one of VB's file functions is one: unqualified in VB, or on the module
    (`FileSystem.PrintLine`, `Microsoft.VisualBasic.FileSystem.PrintLine`)."""
    if receiver is None:
        return lang is Lang.VB
    return text(receiver).replace(" ", "").lower() in {"filesystem", "microsoft.visualbasic.filesystem"}


def _setter_parameter(node: Node) -> str | None:
    """The name a property's or indexer's `set` accessor gives the value stored (C#'s implicit
    `value`; VB's `Set(v As String)` its own, `Value` when it declares none), or None when it has
    no setter."""
    for child in node.named_children:
        if child.type == "accessor_list":  # C#
            setters = (a for a in child.named_children if a.type == "accessor_declaration")
            return "value" if any(text(a).lstrip()[:3].lower() == "set" for a in setters) else None
        if child.type == "set_accessor":  # VB
            params = next((c for c in child.named_children if c.type == "parameter_list"), None)
            first = params.named_children[0] if params is not None and params.named_child_count else None
            named = first.child_by_field_name("name") if first is not None else None
            if named is None and first is not None:
                named = next((c for c in first.named_children if c.type == "identifier"), None)
            return text(named) if named is not None else "value"
    return None


def _literal_text(node: Node) -> bool:
    """Whether an expression is made of literals only (strings, numbers, operators, parentheses):
    no name, member, call or index whose value could change."""
    stack = [node]
    while stack:
        cur = stack.pop()
        if role(cur) in {Role.IDENT, Role.MEMBER, Role.CALL, Role.INDEX, Role.NEW}:
            return False
        stack.extend(cur.named_children)
    return True


def _store_named(node: Node | None) -> str | None:
    """The store (`_STORES`) an expression names by its last part: `Session`, `this.Cache`,
    `HttpContext.Current.Application`."""
    if node is None:
        return None
    last = text(unwrap(node)).lower().rsplit(".", 1)[-1]
    return last if last in _STORES else None


def _loop_names(item: Node) -> list[Node]:
    """What a loop's item declares: itself, or each name of a deconstruction
    (`foreach (var (k, v) in d)`, `foreach ((string k, string v) in d)`)."""
    if item.type == "tuple_pattern":
        return [c for c in item.named_children if c.type == "identifier"]
    if item.type == "tuple_expression":
        named = [
            c.named_children[0] if c.type == "argument" and c.named_child_count else c for c in item.named_children
        ]
        names = [n.child_by_field_name("name") if n.type == "declaration_expression" else n for n in named]
        return [n for n in names if n is not None and n.type == "identifier"]
    return [item]


def _builder_root(receiver: Node) -> Node:
    """The builder a chain of appends starts from: `sb` of `sb.Append("/c ").Append(x)`, each
    append returning the builder it was called on."""
    cur = unwrap(receiver)
    for _ in range(64):
        if role(cur) is not Role.CALL:
            break
        callee = call_parts(cur)[0]
        held = member_parts(unwrap(callee))[0] if callee is not None and role(unwrap(callee)) is Role.MEMBER else None
        if held is None or last_name(callee) not in _BUILDER_STEPS:
            break
        cur = unwrap(held)
    return cur


def _argument_name(value: Node) -> str | None:
    """The parameter a named argument names (C#'s `b: x`, VB's `b:=x`), from the argument's
    value; None for a positional one."""
    cur = value.parent
    for _ in range(3):
        if cur is None:
            return None
        if cur.type == "argument":
            name = cur.child_by_field_name("name")
            return text(name) if name is not None else None
        cur = cur.parent
    return None


def _bound_arguments(params: list[str], passed: list[Node]) -> list[tuple[str, Node]]:
    """(parameter, argument) of a call of the file's own method: by position, and a named
    argument (`Run(cmd: x)`) to the parameter it names."""
    names = [_argument_name(a) for a in passed]
    if not any(names):
        return list(zip(params, passed, strict=False))
    by_name = {p.lower(): p for p in params}
    out: list[tuple[str, Node]] = []
    position = 0
    for a, name in zip(passed, names, strict=True):
        if name is not None and name.lower() in by_name:
            out.append((by_name[name.lower()], a))
        elif position < len(params):
            out.append((params[position], a))
            position += 1
    return out
