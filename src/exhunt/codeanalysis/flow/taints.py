"""The taint of one expression: request data, the transforms on the way, and what calls return."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import (
    CONFIGURED,
    FOLDER,
    HOLE_TEXT,
    HOLES,
    INTERPOLATED,
    extends,
    fixed_host,
    leftmost,
    makes_guid,
    operands,
    own_member,
    returned_by,
)
from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.syntax import Role, call_parts, index_parts, member_parts, operator, role, text, unwrap
from exhunt.codeanalysis.taint import Budget, Taint, merge
from exhunt.codeanalysis.vocabulary import CIPHER_CALLS, NAME_ONLY, TRANSFORMS, WEB_PATH, WORKER_REQUEST, cipher_name

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Calls that return what a query read from the database (`_call_taint`): the client may have
# written part of the query, but the records are the database's.
_QUERY_READS = frozenset({"executescalar", "executereader", "executexmlreader"})


# The types of query results (lower case, last name): a page's own method declared to return one
# gives what its body puts in it, not its arguments (`DataSet GetData(string sql)`).
_RECORD_TYPES = frozenset(
    {"dataset", "datatable", "datarow", "datarowcollection", "idatareader", "dbdatareader", "sqldatareader"}
    | {"oledbdatareader", "odbcdatareader", "oracledatareader", "npgsqldatareader", "mysqldatareader"}
)


# Pipes count too: a named pipe is reachable over SMB, and an implant waits on one for commands.
_PIPES = frozenset({"namedpipeserverstream", "namedpipeclientstream"})


_SOCKETS = frozenset({"tcpclient", "networkstream", "socket", "sslstream", "udpclient", *_PIPES})


# Calls that run a lambda and give what it returns (`await Task.Run(() => x)`,
# `Task.Factory.StartNew(...)`, `new Lazy<string>(() => x).Value`).
_RUNS_LAMBDA = frozenset({"run", "startnew", "lazy"})


# Calls that build a string from their arguments: one the request did not give joins the rest.
_JOINING = frozenset({"format", "concat", "join", "append", "appendformat", "appendline", "insert"})


_HOLE_CLAUSES = frozenset({"interpolation_alignment_clause", "interpolation_format_clause", "interpolation_brace"})


def taint(flow: UnitFlow, node: Node | None, method: str | None, depth: int = 0) -> Taint | None:
    if node is None:
        return None
    if depth > 150:
        raise Budget("expression nested too deep to follow")
    node = unwrap(node)
    key = node.id
    if key in flow._memo:
        return flow._memo[key]
    flow._memo[key] = None  # cycles
    flow._followed += 1
    if flow._followed & 1023 == 0:
        flow._check_time()  # the deadline holds inside the following of one statement too
    t = flow._taint(node, method, depth)
    flow._memo[key] = t
    return t


def _taint(flow: UnitFlow, node: Node, method: str | None, depth: int) -> Taint | None:
    r = role(node)
    if r is Role.STRING and node.type == "string_literal" and node.named_child_count:
        node = node.named_children[0]  # VB wraps `$"..."` in a string literal
    if r is Role.STRING and node.type in INTERPOLATED:
        return flow._interpolated(node, method, depth)
    if r in {Role.STRING, Role.INT, Role.CHAR, Role.LAMBDA}:
        return None
    if r is Role.IDENT:
        return _name_taint(flow, node, method)
    src = flow._source(node)
    if src is not None:
        return src
    if r is Role.CALL and (fetched := flow._fetched(node, method, depth)) is not None:
        return fetched
    if r is Role.BINARY:
        return _binary_taint(flow, node, method, depth)
    if r is Role.MEMBER:
        obj, _name = member_parts(node)
        own = own_member(node) or flow._class_member(node)
        if own is not None:
            return flow.taints.get((None, flow._n(own))) or flow.taint(obj, method, depth + 1)
        return flow.taint(obj, method, depth + 1)
    if r is Role.INDEX:
        obj, _keys = index_parts(node)
        item = flow._store_item(node)
        if item is not None:
            return flow._kept(*item)
        if obj is not None and text(unwrap(obj)) == "this" and "this" in flow.methods:
            return flow.returns.get("this")  # `this["c"]`: what the page's own indexer returns
        return flow.taint(obj, method, depth + 1)
    if r in {Role.CALL, Role.NEW}:
        return flow._call_taint(node, method, depth)
    out = None
    for c in node.named_children:
        if role(c) in {Role.METHOD, Role.LAMBDA}:
            continue
        out = merge(out, flow.taint(c, method, depth + 1))
    return out


def _name_taint(flow: UnitFlow, node: Node, method: str | None) -> Taint | None:
    """What a name holds: a variable or field of the method or page, a property read through its
    getter, the page's query string, the raw request, or a socket or pipe the page opened."""
    name = flow._n(text(node))
    found = flow.taints.get((method, name)) or flow.taints.get((None, name))
    prop = flow.methods.get(name.lower()) if found is None else None
    if prop is not None and prop.node.type == "property_declaration":
        found = flow.returns.get(name.lower())  # `Cmd` read through its getter
    if found is None and name.lower() == "clientquerystring" and name not in flow.fields and prop is None:
        # `Page.ClientQueryString`: the query string of the URL the client asked for.
        return Taint(("the query string",), frozenset({"request"}), (), frozenset({flow.line(node)}))
    if found is None and flow._type(name) == WORKER_REQUEST:
        # The raw request: what any of its methods returns or reads into a buffer.
        return Taint(("the request body (HttpWorkerRequest)",), frozenset({"body"}), (), frozenset({flow.line(node)}))
    if found is None and (kind := flow._type(name)) in _SOCKETS:
        # A connection the page opened: what is read from it is the far end's to choose.
        shown = "data read from a named pipe" if kind in _PIPES else "data read from a socket"
        return Taint((shown,), frozenset({"network"}), (), frozenset({flow.line(node)}))
    return found


def _binary_taint(flow: UnitFlow, node: Node, method: str | None, depth: int) -> Taint | None:
    """A chain of binary operations: what its operands carry (XOR a decoding step), joined with
    fixed text, and kept to a folder or a server when the code fixes the start of a path or URL."""
    out: Taint | None = None
    stack = [node]
    while stack:
        cur = stack.pop()
        if role(cur) is Role.BINARY:
            op = operator(cur)
            parts = [unwrap(c) for c in cur.named_children]
            sub: Taint | None = None
            for p in parts:
                if role(p) is Role.BINARY:
                    stack.append(p)
                else:
                    sub = merge(sub, flow.taint(p, method, depth + 1))
            if sub is not None and op in {"^", "Xor"}:
                sub = sub.step("XOR-decodes it", flow.line(cur))
            out = merge(out, sub)
    if out is not None and operator(node) in {"+", "&"}:
        if not out.joined and any(flow.taint(p, method, depth + 1) is None for p in operands(node)):
            out = out.join()  # joined with text the request did not give
        first = leftmost(node)
        prefix = as_text(flow.fold(first))
        if flow._in_site(first, method) or _fixed_folder(prefix):
            out = out.only(frozenset({"web-path"}))  # a path under a folder the code fixes
        elif fixed_host(prefix):
            out = out.only(frozenset({"fixed-host"}))  # a URL whose server the code fixes
    return out


def _call_taint(flow: UnitFlow, node: Node, method: str | None, depth: int) -> Taint | None:
    item = flow._store_item(node)
    if item is not None:
        return flow._kept(*item)  # VB's `Session("k")`, `Cache.Get("k")`
    callee, args = call_parts(node)
    callee = unwrap(callee) if callee is not None else None
    if makes_guid(callee):
        return None  # an identifier parsed from the text: it names a record, not a path, type or command
    receiver: Node | None = None
    name = ""
    if callee is not None and role(callee) is Role.MEMBER:
        receiver, name = member_parts(callee)
    elif callee is not None:
        name = text(callee).rsplit(".", 1)[-1]
    receiver, name, args = flow._js_called(receiver, name, args)
    lname = name.lower().split("<")[0]
    if lname in _QUERY_READS and receiver is not None and lname not in flow.methods:
        return None  # `cmd.ExecuteScalar()`: what the database holds, whoever wrote the query
    out: Taint | None = None
    if receiver is not None:
        out = flow.taint(receiver, method, depth + 1)
    elif flow.lang is Lang.VB and callee is not None and role(callee) is Role.IDENT and lname not in flow.methods:
        # VB's `a(0)` of an array variable: an item of what the variable holds
        key = flow._n(name)
        out = flow.taints.get((method, key)) or flow.taints.get((None, key))
        if out is None and name.lower() in flow._declared and flow._constant_item(node):
            return None  # `tools(i)` of an array of fixed texts: the index only picks one
    for a in args:
        out = merge(out, flow.taint(a, method, depth + 1))
        if lname not in _RUNS_LAMBDA:
            continue
        for returned in returned_by(unwrap(a)):  # `Task.Run(() => Request["c"])`, or a block's returns
            out = merge(out, flow.taint(returned, method, depth + 1))
    held = flow._lambda_called(receiver, name)
    lam = flow._lambdas.get(held) if held is not None else None
    if lam is not None and held is not None:
        # `f()` or `f.Invoke()` of `Func<string> f = () => Request["c"]`: what it returns, where it was written
        for returned in flow._lambda_returns.get(held, ()):
            out = merge(out, flow.taint(returned, lam[1], depth + 1))
    lname, out = _through_own_method(flow, node, lname, receiver, name, out)
    if out is None:
        return None
    return _called(flow, node, lname, args, out, method, depth)


def _through_own_method(
    flow: UnitFlow, node: Node, lname: str, receiver: Node | None, name: str, out: Taint | None
) -> tuple[str, Taint | None]:
    """A call of a method of the file (or of a delegate bound to one): what its arguments carry
    goes through the steps its body takes, joined with what it returns; a method returning
    records returns what its body puts in them. The name of the method called, and the taint."""
    local = flow.methods.get(lname)
    bound = flow._delegate_call(receiver, name) if local is None else None
    if bound is not None:  # `run(x)` of `Func<string, string> run = Go;`: what Go returns
        lname, receiver, local = bound, None, flow.methods.get(bound)
    if local is not None and (
        receiver is None or flow._own_object(receiver) or (local.params and extends(local.node))
    ):  # (an extension method of the file: `"c".Q()` of `static string Q(this string k)`)
        ret = flow.returns.get(lname)
        if _returns_records(local.node):
            out = None  # `DataSet Load(string sql)`: the records are what its body puts in them
        if out is not None:
            for s in local.steps:
                out = out.step(s, flow.line(node))
            out = out.merge(ret) if ret is not None else out
        else:
            out = ret
    return lname, out


def _called(
    flow: UnitFlow, node: Node, lname: str, args: list[Node], out: Taint, method: str | None, depth: int
) -> Taint:
    """What a call of a known name makes of what reaches it: text joined around it, a decoding or
    decryption step, only a file's name, or a path kept inside the site."""
    if lname in _JOINING and any(flow.taint(a, method, depth + 1) is None for a in args):
        out = out.join()  # `string.Format("... {0}", x)`, `string.Concat(a, x)`: text around it
    line = flow.line(node)
    step = TRANSFORMS.get(lname)
    if step:
        out = out.step(step, line)
    if lname in CIPHER_CALLS:
        out = out.step(f"decrypts it with {cipher_name(text(node) + ' ' + flow._types_text())}", line)
    if lname in NAME_ONLY:
        out = out.only(frozenset({"name"}))
    elif (
        lname in WEB_PATH
        or (lname == "combine" and args and flow._in_site(args[0], method))
        or (lname == "format" and args and _fixed_folder((as_text(flow.fold(args[0])) or "").split("{")[0]))
    ):
        out = out.only(frozenset({"web-path"}))
    return out


def _interpolated(flow: UnitFlow, node: Node, method: str | None, depth: int) -> Taint | None:
    """An interpolated string (C# `$"/c {cmd}"`, a JavaScript template `${cmd}`) carries what
    its holes hold, as `"/c " + cmd` does; text before the first hole that names a folder or a
    server fixes where a path or URL leads, as the same prefix of a concatenation does."""
    out: Taint | None = None
    prefix: list[str] = []
    first: Node | None = None
    untainted = False
    for part in node.named_children:
        if part.type in HOLES:
            expr = next((c for c in part.named_children if c.type not in _HOLE_CLAUSES), None)
            if expr is None:
                continue
            if first is None:
                first = expr
            t = flow.taint(expr, method, depth + 1)
            untainted = untainted or t is None
            out = merge(out, t)
        elif part.type in HOLE_TEXT:
            untainted = untainted or bool(text(part).strip())
            if first is None:
                prefix.append(text(part))
    if out is None:
        return None
    if untainted:
        out = out.join()
    lead = "".join(prefix)
    if (not lead and first is not None and flow._in_site(first, method)) or _fixed_folder(lead):
        return out.only(frozenset({"web-path"}))
    if fixed_host(lead):
        return out.only(frozenset({"fixed-host"}))
    return out


def _fixed(flow: UnitFlow, node: Node) -> bool:
    """A value the analysis places without folding it: a path in the site (`MapPath`), a
    setting of the application (`ConfigurationManager...`), a literal of another kind."""
    node = unwrap(node)
    if role(node) in {Role.STRING, Role.INT, Role.CHAR, Role.LAMBDA} or flow._site_rooted(node):
        return True
    if role(node) is Role.IDENT:
        key = flow._n(text(node))
        if key in flow._configured and key not in flow._not_configured:
            return True
        if key in flow._loop_constants():
            return True
    if flow._constant_item(node):
        return True
    return CONFIGURED.search(text(node)[:400]) is not None


def _open_store(flow: UnitFlow, member: str, value: Node) -> None:
    folded = flow.fold(value)
    if folded is None and not flow._fixed(value):
        stores = flow._open_stores.setdefault(member, [])
        if len(stores) < 8:
            stores.append((text(value)[:120], flow.line(value)))
    elif said := as_text(folded):
        kept = flow._fixed_stores.setdefault(member, [])
        if len(kept) < 8 and said not in kept:
            kept.append(said)


def _returns_records(method: Node) -> bool:
    """Whether a method is declared to return query results (`_RECORD_TYPES`): C#'s return type,
    VB's `As` type of a function."""
    declared = method.child_by_field_name("returns") or method.child_by_field_name("return_type")
    return declared is not None and text(declared).lower().rsplit(".", 1)[-1] in _RECORD_TYPES


def _fixed_folder(prefix: str | None) -> bool:
    """Whether text a path starts with names a folder (`Modules/Logo/`, `C:\\data\\`): the code,
    not the client, then chooses where the path leads."""
    return bool(prefix) and FOLDER.match(prefix or "") is not None
