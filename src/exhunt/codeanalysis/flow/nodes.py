"""Small readings of syntax nodes, and the names, that several passes of the flow share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from exhunt.codeanalysis.fold import inline_lambda
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    dotted,
    index_parts,
    last_name,
    member_parts,
    operator,
    role,
    text,
    unwrap,
    vb_as_clause,
)

# Calls on a collection (or a task) whose one lambda is given each item (the task): what the
# receiver holds is the lambda's parameter (`items.ForEach(x => Run(x))`, `.Select(x => ...)`,
# `task.ContinueWith(t => t.Result)`).
EACH_ITEM = frozenset(
    {"foreach", "select", "selectmany", "where", "any", "all", "first", "firstordefault", "single"}
    | {"singleordefault", "last", "lastordefault", "takewhile", "skipwhile", "orderby", "orderbydescending"}
    | {"groupby", "todictionary", "tolookup", "count", "sum", "max", "min", "continuewith"}
    | {"convertall", "exists", "find", "findall", "findlast", "findindex", "trueforall", "removeall"}
)


# The same given the collection first: `Array.ForEach(items, f)`, `Parallel.ForEach(items, f)`,
# `Array.ConvertAll(items, f)`, `Array.Exists(items, f)`...
EACH_OF = frozenset({"foreach", "convertall", "exists", "find", "findall", "findlast", "findindex", "trueforall"})


# Properties that make up a process or a connection, by the capability whose sink uses them.
STORES_OF = {"process": ("filename", "arguments"), "sql": ("connectionstring",)}


STORED_PARTS = frozenset(m for ms in STORES_OF.values() for m in ms)


INITIALIZERS = frozenset(
    {"initializer_expression", "object_initializer", "object_creation_initializer", "with_initializer"}
)


CONFIGURED = re.compile(r"ConfigurationManager|ConfigurationSettings|AppSettings|ConnectionStrings", re.I)


# Kinds of taint that are text the client sent: not a file it uploaded, nor only a file name, nor
# the raw request body (how script uploaders post a file).
CLIENT_TEXT = frozenset({"request", "control", "webmethod"})


# Query objects whose text may be set after they are made (`_query_text`): the capability, and
# the member holding the text. The query's place and options are not its text (`_query_option`).
QUERY_TEXTS = {"sql-query": "commandtext", "directory-query": "filter", "wmi-query": "query"}


# The member that names what an object made without it acts on, by capability: a query's text,
# and the server a mail client sends through (`c = new SmtpClient(); c.Host = ...`).
SET_LATER = {**QUERY_TEXTS, "mail": "host"}


# What a value kept for every request carries as a step (`_keep`'s, and a static field's).
SHARED_FIELD = "keeps it in a static field, shared by every request"


# VB's file functions (Microsoft.VisualBasic.FileSystem): a file opened by number, written by
# number (`FileOpen(1, path, OpenMode.Output)`, then `PrintLine(1, text)`).
VB_FILE_OPENS = frozenset({"FileOpen", "FileSystem.FileOpen"})


# What a VB method's node holds beside its statements, and comments.
_NOT_STATEMENTS = frozenset(
    {"comment", "parameter_list", "identifier", "type", "predefined_type", "as_clause", "modifier", "modifiers"}
)


LOOPS = frozenset({"foreach_statement", "for_in_statement", "for_each_statement"})


_IN_MEMORY_READERS = frozenset({"stringreader", "memorystream"})


REQUEST_TYPE = re.compile(r"\bHttpRequest(?:Base|Wrapper)?\b", re.I)


FOLDER = re.compile(r"^(?:~|[A-Za-z]:)?[\\/]?(?:[\w.-]+[\\/])+")


# Strings with holes (C# and VB interpolation, JavaScript template literals), their holes, the parts of
# a hole that are not its value (`{x,5:F2}`), and the literal text between holes.
INTERPOLATED = frozenset({"interpolated_string_expression", "interpolated_string_literal", "template_string"})


HOLES = frozenset({"interpolation", "template_substitution"})


HOLE_TEXT = frozenset({"string_content", "string_fragment", "escape_sequence"})


_GUID_MAKERS = frozenset({"guid", "guid.parse", "guid.tryparse", "guid.parseexact", "guid.tryparseexact"})


# A URL's scheme and host written out, then its port or the start of its path, query or
# fragment (a backslash is a slash to .NET's `Uri` in http URLs): what follows cannot change the
# server it goes to.
_HOST = re.compile(r"(?i)\s*[a-z][a-z0-9+.-]*://[^/?#\\\s]+[/?#\\:]")


@dataclass
class Method:
    name: str
    params: list[str]
    node: Node
    webmethod: bool
    steps: tuple[str, ...] = ()
    byref: frozenset[str] = frozenset()  # VB's `ByRef` parameters: the caller's variable is the parameter
    rest: bool = False  # the last parameter takes the arguments from its place on (C# `params`, VB `ParamArray`)
    native: bool = False  # a native function declared (`extern`, VB's `Declare ... Lib`), no code of its own


def each_parts(name: str, receiver: Node | None, args: list[Node]) -> tuple[Node, Node] | None:
    """(callback, collection) of a call of an item helper named `name` (lower case): the callback
    alone on the collection (`items.ForEach(f)`, `.Select(f)`), or the collection first
    (`Array.ForEach(items, f)`, `Parallel.ForEach`); None for any other call."""
    if name in EACH_ITEM and len(args) == 1 and receiver is not None:
        return args[0], receiver
    if name in EACH_OF and len(args) == 2:
        return args[1], args[0]
    return None


def file_number(node: Node) -> str:
    """The key of a file VB opened by number (`1`, `#1`, `n`) in the written-to table."""
    return "#file:" + text(node).strip().lstrip("#").strip().lower()


def copy_parts(lname: str, args: list[Node]) -> tuple[Node | None, Node | None, list[Node | int]]:
    """(source, destination, [source offset, destination offset, count]) of `Array.Copy` (three
    arguments: from the start of both) or `Buffer.BlockCopy` and five-argument `Array.Copy`."""
    if lname == "copy" and len(args) == 3:
        return args[0], args[1], [0, 0, args[2]]
    if len(args) == 5:
        return args[0], args[2], [args[1], args[3], args[4]]
    return (args[0] if args else None), None, []


def extends(method: Node) -> bool:
    """Whether a C# method is an extension method (`static void Run(this string s)`)."""
    params = method.child_by_field_name("parameters")
    first = params.named_children[0] if params is not None and params.named_child_count else None
    return first is not None and re.match(r"this\s", text(first)) is not None


def delegate_wrapper(node: Node) -> bool:
    """A cast or VB's `AddressOf` around the method or lambda a delegate is made from."""
    return role(node) is Role.CAST or (node.type == "unary_expression" and text(node)[:9].lower() == "addressof")


def callback_node(node: Node) -> Node:
    """The lambda or method name a callback argument stands for: through a cast, a delegate's
    constructor (`new WaitCallback(Work)`) and VB's `AddressOf Work`."""
    cb = unwrap(node)
    for _ in range(4):
        made = call_parts(cb)[1] if role(cb) is Role.NEW else []
        if delegate_wrapper(cb) and cb.named_child_count:
            cb = unwrap(cb.named_children[-1])
        elif made:
            cb = unwrap(made[0])
        else:
            break
    return cb


def uncast(node: Node) -> Node:
    """The value under up to four casts (`(HttpWebRequest)WebRequest.Create(u)`, `(Func<...>)x`)."""
    for _ in range(4):
        if role(node) is not Role.CAST or not node.named_child_count:
            break
        node = unwrap(node.named_children[-1])
    return node


def type_named(node: Node) -> str | None:
    """The last name of the type an operator names: C#'s `typeof(T)`, VB's `GetType(T)`."""
    node = unwrap(node)
    if node.type == "typeof_expression" and node.named_child_count:
        return text(node.named_children[-1]).rsplit(".", 1)[-1] or None
    if role(node) is Role.CALL:
        callee, args = call_parts(node)
        vb_gettype = (
            callee is not None and role(unwrap(callee)) is Role.IDENT and text(unwrap(callee)).lower() == "gettype"
        )
        if vb_gettype and len(args) == 1 and role(unwrap(args[0])) in {Role.IDENT, Role.MEMBER}:
            return text(unwrap(args[0])).rsplit(".", 1)[-1] or None
    return None


def made_by(decl: Node, value: Node | None) -> Node | None:
    """What a declaration makes: its value (`var t = new TextBox()`), or VB's `As` clause
    (`Dim t As New TextBox()`, which is a `New` of its own)."""
    if value is not None:
        return unwrap(value)
    return vb_as_clause(decl) if decl.type == "dim_statement" else None


def reversed_array(call: Node) -> Node | None:
    """The array variable `Array.Reverse(a)` reverses whole, in place (the page's constants and a
    helper's straight-line body both read it)."""
    if role(call) is not Role.CALL:
        return None
    callee, args = call_parts(call)
    if dotted(callee).lower() not in {"array.reverse", "system.array.reverse"} or not args:
        return None
    if role(args[0]) is not Role.IDENT:
        return None
    if len(args) == 3:  # `Array.Reverse(a, 0, a.Length)` is the whole array; another part is not
        whole = "".join(text(args[1]).split()) == "0" and "".join(text(args[2]).split()).lower() in {
            f"{text(args[0]).lower()}.length",
            f"{text(args[0]).lower()}.count",
        }
        return args[0] if whole else None
    return args[0] if len(args) == 1 else None


def body_statements(body: Node) -> list[Node]:
    """The statements of a block, or of a method's block body, comments left out (C#'s block,
    VB's statements between the signature and `End Function`: its modifiers, name, parameters
    and type are not statements)."""
    block = body if body.type in {"block", "statement_block"} else body.child_by_field_name("body")
    children = block.named_children if block is not None else body.named_children
    stmts = [s.named_children[0] if s.type == "statement" and s.named_child_count else s for s in children]
    return [s for s in stmts if s.type not in _NOT_STATEMENTS and role(s) is not Role.IDENT]


def single_return(body: Node) -> Node | None:
    """The expression of a body that is one `return <expr>` (or an expression-bodied member)."""
    arrow = body.child_by_field_name("body") if body.type != "block" else None
    if arrow is not None and arrow.type == "arrow_expression_clause" and arrow.named_child_count:
        return arrow.named_children[0]
    for child in body.named_children:
        if child.type == "arrow_expression_clause" and child.named_child_count:
            return child.named_children[0]
        if child.type == "accessor_list":  # `string Cmd { get { return "x"; } }`: its getter
            getter = next((a for a in child.named_children if text(a).lstrip().startswith("get")), None)
            inner = getter.child_by_field_name("body") if getter is not None else None
            return single_return(inner) if inner is not None else None
    stmts = body_statements(body)
    if len(stmts) == 1 and stmts[0].type == "return_statement" and stmts[0].named_child_count:
        return stmts[0].named_children[0]
    return None


def const_declarator(node: Node) -> bool:
    """Whether a C# declarator is of a `const` field or local (`const string K = "k";`)."""
    if node.type != "variable_declarator" or node.parent is None or node.parent.parent is None:
        return False
    holder = node.parent.parent  # variable_declaration -> field_declaration / local_declaration_statement
    return any(c.type == "modifier" and text(c) == "const" for c in holder.children)


def vb_const_pairs(node: Node) -> list[tuple[Node, Node]]:
    """(name, value) of each constant a VB `Const` statement declares."""
    pairs: list[tuple[Node, Node]] = []
    name: Node | None = None
    for i, child in enumerate(node.children):
        kind = node.field_name_for_child(i)
        if kind == "name":
            name = child
        elif kind == "value" and name is not None:
            pairs.append((name, child))
            name = None
    return pairs


def returned_by(lam: Node) -> list[Node]:
    """What a lambda returns: its expression body, or what the `return` statements of its block
    body (or VB's multi-line body) give, not those of lambdas or local functions inside it; none
    for anything else."""
    if role(lam) is not Role.LAMBDA:
        return []
    inline = inline_lambda(lam)
    if inline is not None:
        return [inline.body]
    body = lam.child_by_field_name("body")
    if body is not None and body.type not in {"block", "statement_block"}:
        return []
    out: list[Node] = []
    stack = list((body or lam).named_children)  # VB's multi-line `Function()` holds its statements itself
    while stack:
        node = stack.pop()
        if role(node) in {Role.LAMBDA, Role.METHOD} or node.type == "local_function_statement":
            continue
        if role(node) is Role.RETURN:
            out.extend(node.named_children[:1])
            continue
        stack.extend(node.named_children)
    return out


def makes_guid(callee: Node | None) -> bool:
    """Whether a call or creation turns its argument into a Guid (`new Guid(s)`, `Guid.Parse(s)`):
    sixteen bytes that look up a record, which carry no path, type name or command the client
    wrote."""
    if callee is None:
        return False
    name = dotted(unwrap(callee)).lower().removesuffix("()").removeprefix("system.")
    return name in _GUID_MAKERS


def in_memory_reader(node: Node) -> bool:
    """Whether an argument is a reader over text or bytes already in memory (`new
    StringReader(x)`, `new MemoryStream(b)`): an XML reader or document loaded from it reads that
    text, not a file its value names."""
    node = unwrap(node)
    return role(node) is Role.NEW and last_name(call_parts(node)[0]) in _IN_MEMORY_READERS


def request_stream(node: Node) -> bool:
    """Whether an argument is a stream of what the request carries: its body
    (`Request.InputStream`, `GetBufferedInputStream()`) or an upload's (`Files[0].InputStream`)."""
    return last_name(unwrap(node)) in {"inputstream", "getbufferedinputstream", "getbufferlessinputstream"}


def fixed_host(prefix: str | None) -> bool:
    """Whether text a URL starts with names its server (`https://maps.example.com/geo?lat=`): the
    client then fills in parameters, not where the request goes."""
    return bool(prefix) and _HOST.match(prefix or "") is not None


def operands(node: Node) -> list[Node]:
    """The operands of a chain of concatenations (`"a" + "b" + x` -> "a", "b", x)."""
    out: list[Node] = []
    stack = [unwrap(node)]
    while stack and len(out) < 256:
        cur = stack.pop()
        if role(cur) is Role.BINARY and operator(cur) in {"+", "&"} and cur.named_child_count:
            stack.extend(unwrap(c) for c in reversed(cur.named_children))
        else:
            out.append(cur)
    return out


def leftmost(node: Node) -> Node:
    """The first operand of a chain of binary operators (`a + b + c` -> `a`)."""
    cur = unwrap(node)
    for _ in range(256):
        if role(cur) is not Role.BINARY or not cur.named_child_count:
            break
        cur = unwrap(cur.named_children[0])
    return cur


def type_last_name(named: str) -> str | None:
    """The last name of a type as written out (`"System.Diagnostics.Process, System"` is
    `Process`): the assembly after a comma left off."""
    return named.split(",", 1)[0].strip().rsplit(".", 1)[-1] or None


def own_member(node: Node) -> str | None:
    """`cmd` of `this.cmd` or `Me.cmd`: a member of the object the code runs in."""
    node = unwrap(node)
    if role(node) is not Role.MEMBER:
        return None
    holder, name = member_parts(node)
    if holder is None or text(holder) not in {"this", "Me", "me", "base", "MyBase"}:
        return None
    return name or None


def chain_root(node: Node) -> Node | None:
    """The expression a member chain starts from: `(HttpRequest)o` of `((HttpRequest)o).Form[...]`."""
    cur: Node | None = unwrap(node)
    for _ in range(16):
        if cur is None:
            return None
        r = role(cur)
        if r is Role.MEMBER:
            cur, _ = member_parts(cur)
        elif r is Role.INDEX:
            cur, _ = index_parts(cur)
        else:
            return cur
    return None


def by_reference(arg: Node) -> Node | None:
    """The variable a C# argument passes with `ref` or `out`, which the callee may set (`out v`,
    `ref v`, `out var v`); None for any other argument."""
    if arg.child_count < 2 or arg.children[0].type not in {"out", "ref"} or not arg.named_children:
        return None
    target = arg.named_children[-1]
    if target.type == "declaration_expression":
        target = target.child_by_field_name("name") or target
    return target if role(target) is Role.IDENT else None


def base_ident(node: Node) -> Node | None:
    """The variable at the root of `a.b.c` or `a[i]`, also through a cast (`((Process)p).StartInfo`,
    `(p as Process).StartInfo`, VB's `CType(p, Process).StartInfo`)."""
    root = chain_root(node)
    if root is not None and root.type in {"cast_expression", "as_expression"}:
        value = root.child_by_field_name("value") or root.child_by_field_name("left")
        root = unwrap(value) if value is not None else None
    elif root is not None and role(root) is Role.CALL:
        callee, args = call_parts(root)  # VB's `CType(o, ProcessStartInfo).Arguments`
        if args and last_name(callee) in {"ctype", "directcast", "trycast"}:
            root = unwrap(args[0])
    return root if root is not None and root.type == "identifier" and role(root) is Role.IDENT else None
