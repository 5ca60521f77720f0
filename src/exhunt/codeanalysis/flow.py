"""Flows from request data, through decoders and ciphers, to what a shell does with it.

One `UnitFlow` per parsed unit (a page's statements, its members, a code file). Passes over the
tree in document order, all bounded by a node budget and a deadline:

1. methods, lambdas and one-line functions (for folding and for calls between methods);
2. constants: what each local and field holds, folded (`fold.Folder`), and the declared or
   constructed type of each variable (`new Process()`, `CreateObject("WScript.Shell")`);
3. taint, to a fixed point: each variable assigned from request data, with the transforms on
   the way (base64, AES/XOR, decompression), across assignments, property stores
   (`psi.Arguments = ...`), stream reads and writes, the session, and calls between methods;
4. sinks: each call or object creation matched against the rules' `apis` (with variables
   replaced by their types, and reflection `GetMethod("..").Invoke` resolved by folding).

Nothing is executed; the tree is only read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tree_sitter import Node

from exhunt.codeanalysis import builders
from exhunt.codeanalysis.entry import (
    EVENT_ARGUMENTS,
    OPERATION_ATTRIBUTES,
    bound_property,
    controller_action,
    edited_member,
    hub_method,
    page_handler,
)
from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.fold import (
    Callable1,
    Folder,
    TooDeep,
    TooLarge,
    TooSlow,
    Value,
    accumulation,
    as_bytes,
    as_text,
    decode_literal,
    inline_lambda,
    loop_spec,
    show,
)
from exhunt.codeanalysis.syntax import (
    Parsed,
    Role,
    call_parts,
    called,
    dotted,
    index_parts,
    inline_parts,
    lambda_params,
    last_name,
    loop_parts,
    member_parts,
    name_text,
    operator,
    role,
    statement_value,
    text,
    unwrap,
    vb_as_clause,
    with_object,
)
from exhunt.codeanalysis.syntax import field as child_field
from exhunt.codeanalysis.taint import Budget, SinkHit, SinkRule, Taint, merge, password_named
from exhunt.codeanalysis.vocabulary import (
    ARRAY_COPIERS,
    ARRAY_READERS,
    CALL_RETURNS,
    CIPHER_CALLS,
    COM_CLSIDS,
    COM_FACTORIES,
    CONTROL_MEMBERS,
    DANGEROUS_TEXT,
    FRAMEWORK_ROOTS,
    INPUT_CONTROLS,
    METHOD_RETURNS,
    NAME_ONLY,
    PAGE_MEMBERS,
    PATH_KINDS,
    READ_INTO,
    SITE_FOLDERS,
    SOURCE_MEMBERS,
    TRANSFORMS,
    WEB_PATH,
    WORKER_REQUEST,
    WRITE_INTO,
    SinkPattern,
    cipher_name,
)

# An environment variable as a command line expands it: cmd's `%NAME%`, PowerShell's `$env:NAME`
# (`{}` around the name too), in lower case.
_EXPANDED = re.compile(r"%([^%\s]{1,255})%|\$env:\{?([\w()]{1,255})")


@dataclass
class _Method:
    name: str
    params: list[str]
    node: Node
    webmethod: bool
    steps: tuple[str, ...] = ()
    byref: frozenset[str] = frozenset()  # VB's `ByRef` parameters: the caller's variable is the parameter
    rest: bool = False  # the last parameter takes the arguments from its place on (C# `params`, VB `ParamArray`)
    native: bool = False  # a native function declared (`extern`, VB's `Declare ... Lib`), no code of its own


# Calls that hand a state object to the callback they take first: the state's argument position.
_STATE_PASSED = {"queueuserworkitem": 1, "unsafequeueuserworkitem": 1, "startnew": 1}
# Calls on a collection (or a task) whose one lambda is given each item (the task): what the
# receiver holds is the lambda's parameter (`items.ForEach(x => Run(x))`, `.Select(x => ...)`,
# `task.ContinueWith(t => t.Result)`).
_EACH_ITEM = frozenset(
    {"foreach", "select", "selectmany", "where", "any", "all", "first", "firstordefault", "single"}
    | {"singleordefault", "last", "lastordefault", "takewhile", "skipwhile", "orderby", "orderbydescending"}
    | {"groupby", "todictionary", "tolookup", "count", "sum", "max", "min", "continuewith"}
    | {"convertall", "exists", "find", "findall", "findlast", "findindex", "trueforall", "removeall"}
)
# The same given the collection first: `Array.ForEach(items, f)`, `Parallel.ForEach(items, f)`,
# `Array.ConvertAll(items, f)`, `Array.Exists(items, f)`...
_EACH_OF = frozenset({"foreach", "convertall", "exists", "find", "findall", "findlast", "findindex", "trueforall"})
_EACH_ANY = _EACH_ITEM | _EACH_OF


def _each_parts(name: str, receiver: Node | None, args: list[Node]) -> tuple[Node, Node] | None:
    """(callback, collection) of a call of an item helper named `name` (lower case): the callback
    alone on the collection (`items.ForEach(f)`, `.Select(f)`), or the collection first
    (`Array.ForEach(items, f)`, `Parallel.ForEach`); None for any other call."""
    if name in _EACH_ITEM and len(args) == 1 and receiver is not None:
        return args[0], receiver
    if name in _EACH_OF and len(args) == 2:
        return args[1], args[0]
    return None


# Visual Basic's late-binding helpers (`Microsoft.VisualBasic.CompilerServices`): object, type,
# member name, arguments.
_LATE_BINDERS = frozenset(
    {
        ("newlatebinding", "latecall"),
        ("newlatebinding", "lateget"),
        ("latebinding", "latecall"),
        ("latebinding", "lateget"),
    }
)

# A method declared as a native function: C#'s `extern` (P/Invoke), VB's `Declare ... Lib "x.dll"`
# (whose node starts at `Function Name Lib`).
_NATIVE_DECLARATION = re.compile(
    r"\bextern\b|^\s*(?:(?:public|private|friend|protected|shared)\s+)*declare\b|^\s*(?:function|sub)\s+\[?\w+\]?\s+lib\s"
)

# The version a ProgID may end with: `.1` of `WScript.Shell.1`, `.6.0` of `MSXML2.ServerXMLHTTP.6.0`.
_PROGID_VERSION = re.compile(r"(?:\.\d+)+$")

# C#'s `params` and VB's `ParamArray`: allowed on the last parameter only.
_REST_PARAMETER = re.compile(r"(?<![@\w])params\s|(?i:\bparamarray\s)")

# Properties that make up a process or a connection, by the capability whose sink uses them.
_STORES_OF = {"process": ("filename", "arguments"), "sql": ("connectionstring",)}
_STORED_PARTS = frozenset(m for ms in _STORES_OF.values() for m in ms)
# The calls that start a process whose command line may have been stored into the object they
# are given or make (`_fixed_command`).
_PROCESS_CALLS = frozenset({"Process.Start", "new ProcessStartInfo", "new Process"})
_STORE_HOLDERS = frozenset(
    {"processstartinfo", "process", "sqlconnection", "oledbconnection", "odbcconnection", "dbconnection"}
)
_INITIALIZERS = frozenset(
    {"initializer_expression", "object_initializer", "object_creation_initializer", "with_initializer"}
)
_CONFIGURED = re.compile(r"ConfigurationManager|ConfigurationSettings|AppSettings|ConnectionStrings", re.I)

# Where a page keeps values between requests. The view state round-trips through the client but
# is signed by the server (MAC), so like the others it only carries what the page put there.
_STORES = {"session", "application", "cache", "viewstate"}
# Their methods that keep a value under a key (the value's argument follows the key).
_STORE_CALLS = frozenset({"add", "set", "insert"})
# Calls that return what a query read from the database (`_call_taint`): the client may have
# written part of the query, but the records are the database's.
_QUERY_READS = frozenset({"executescalar", "executereader", "executexmlreader"})
# The types of query results (lower case, last name): a page's own method declared to return one
# gives what its body puts in it, not its arguments (`DataSet GetData(string sql)`).
_RECORD_TYPES = frozenset(
    {"dataset", "datatable", "datarow", "datarowcollection", "idatareader", "dbdatareader", "sqldatareader"}
    | {"oledbdatareader", "odbcdatareader", "oracledatareader", "npgsqldatareader", "mysqldatareader"}
)
# What names one item of a store: `Session.Contents["k"]`, `Cache.Item("k")`, `Cache.Get("k")`.
_ITEM_PARTS = frozenset({"contents", "item", "staticobjects"})
_ITEM_CALLS = frozenset({"item", "get", "contents"})
# `MapPath` arguments naming the page's own folder or the site's root (without a trailing slash).
_OWN_FOLDERS = frozenset({"", ".", "~", "/"})
# How sources from an uploaded file are described: the file or its own name (`Request.Files`, a
# FileUpload control's `FileName` or `PostedFile`).
_OWN_NAME = re.compile(r"uploaded file|\.(?:filename|postedfile|filebytes|filecontent)\)")
# Kinds of taint that are text the client sent: not a file it uploaded, nor only a file name, nor
# the raw request body (how script uploaders post a file).
_CLIENT_TEXT = frozenset({"request", "control", "webmethod"})
MAX_NESTING = 400
_DECL_TYPES = {"variable_declaration", "local_declaration_statement", "field_declaration"}


@dataclass(slots=True)
class PageScope:
    """State the units of one file share (see `UnitFlow`)."""

    consts: dict[str, Value] = field(default_factory=dict)
    taints: dict[tuple[str | None, str], Taint] = field(default_factory=dict)
    returns: dict[str, Taint] = field(default_factory=dict)
    methods: dict[str, _Method] = field(default_factory=dict)
    overloads: dict[str, list[_Method]] = field(default_factory=dict)  # every method of a name, in order
    functions: dict[str, Callable1] = field(default_factory=dict)
    fields: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)  # static (VB `Shared`) fields: one value for every request
    classes: set[str] = field(default_factory=set)  # classes the file declares (lower case)
    # Stores into what a process or a connection is made of (`psi.Arguments = ...`,
    # `cn.ConnectionString = ...`) whose value does not fold: member -> [(text, line)].
    open_stores: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    # The same stores whose value folds to text (`p.StartInfo.Arguments = "/c ..."`): member ->
    # [text]: what a process made empty and started later runs (`_fixed_command`).
    fixed_stores: dict[str, list[str]] = field(default_factory=dict)
    # A `.soap` file is a .NET remoting service: every public method answers a remote caller,
    # so its parameters are request data as a [WebMethod]'s are.
    remote_public: bool = False
    # A Razor page (`.cshtml`, `.vbhtml`): its members' `OnGet`/`OnPost...` methods are the page's
    # handlers, whose parameters model binding fills from the request.
    razor_page: bool = False
    # Methods (lower case) declared as a service's operations ([WebMethod], WCF's
    # [OperationContract] on the method or on the contract interface it implements).
    operations: set[str] = field(default_factory=set)
    # Fields the page's server-side object tags declare: id (lower case) -> type (`Extracted.objects`).
    objects: dict[str, str] = field(default_factory=dict)
    # How many times each name (lower case) is declared in the file, and which are constants
    # (C#'s `const`, VB's `Const`): a store key named by a constant declared once is its text.
    declarations: dict[str, int] = field(default_factory=dict)
    const_names: set[str] = field(default_factory=set)
    # A code-behind read without its page's markup: a name the file never declares whose
    # `.Text` (`.Value`, `.PostedFile`...) it reads is taken for a control the markup declares.
    unread_markup: bool = False


def _taint_size(taints: Collection[Taint]) -> tuple[int, int]:
    return len(taints), sum(len(t.steps) + len(t.sources) for t in taints)


# Rounds of taint propagation over a page: each carries values one call or assignment further
# when the code that uses them comes before the code that makes them (a chain of helpers written
# below their callers needs a round a link). A page still growing after the last is reported.
PROPAGATION_ROUNDS = 12

# Pages of at least this many statements (large helper classes, generated files) re-read, after
# the first round, only the statements that name something whose taint changed since that
# statement was last read. A round of those that changes nothing is followed by a round of every
# statement, so the propagation still ends only where a full round changes nothing: the same
# fixed point, in fewer full readings.
NARROW_FROM = 4000
_WORDS = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _flow_size(flow: UnitFlow) -> tuple[int, int, int, int]:
    """What a round of propagation can grow: the variables' taint and the methods' returns (a
    method whose return is tainted only after its callers were read needs another round)."""
    return (*_taint_size(flow.taints.values()), *_taint_size(flow.returns.values()))


def run_together(flows: list[UnitFlow]) -> None:
    """Constants, then taint to a fixed point over every unit of a page (a call in a `<% %>`
    block reaches a method in `<script runat=server>`, a field set in one is read in the other),
    then sinks. Flows built on one `PageScope` share their state."""
    for flow in flows:
        flow._constants()
    for flow in flows:
        flow._settled = True
    narrow = sum(len(f.nodes) for f in flows) >= NARROW_FROM
    # A narrowed round may find in two rounds what a full one finds in one.
    limit = PROPAGATION_ROUNDS * (2 if narrow else 1)
    names: frozenset[tuple[str | None, str]] | None = None  # None: every statement
    grown = 0
    while True:
        before = [_flow_size(f) for f in flows]
        # (method or None, name) changed this round, lower case: kept only where rounds narrow
        changed: set[tuple[str | None, str]] | None = set() if narrow else None
        for flow in flows:
            flow._changed = changed
        for flow in flows:
            flow._check_time()
            flow._memo.clear()
            flow._propagate(names)
        if [_flow_size(f) for f in flows] != before:
            grown += 1
            if grown >= limit:  # still growing: what reaches a sink may be short of what the page does
                for flow in flows:
                    flow.unsettled = grown
                break
            names = frozenset(changed) if changed is not None else None
        elif names is None:
            break  # a round of every statement changed nothing: the fixed point
        else:
            names = None  # the narrowed rounds are done: a full round confirms or goes on
    for flow in flows:
        flow._memo.clear()
        flow._sinks()


# Types whose methods, called by a name the request gives, run commands, load code or change
# files and keys (`_any_method`), and methods that do so on a type the request names: the
# method's name (lower case) -> the framework's method of that name it reaches.
_REACHING_TYPES = frozenset(
    {"process", "file", "directory", "assembly", "appdomain", "registry", "registrykey", "interaction", "powershell"}
)
_REACHING_METHODS = {
    "start": "Process.Start",
    "shell": "Interaction.Shell",
    "load": "Assembly.Load",
    "loadfrom": "Assembly.LoadFrom",
    "loadfile": "Assembly.LoadFile",
    "unsafeloadfrom": "Assembly.UnsafeLoadFrom",
    "executeassembly": "AppDomain.ExecuteAssembly",
    "writeallbytes": "File.WriteAllBytes",
    "writealltext": "File.WriteAllText",
    "appendalltext": "File.AppendAllText",
}
_ATTRIBUTE_LISTS = frozenset({"attribute_list", "attribute_block"})


def _signature(node: Node) -> str:
    """A member's declaration up to its parameters, lower case, its attributes left out: the
    arguments of `[HttpGet("run")]` or `<Route("x")>` must not end it before its modifiers."""
    start = next((c.start_byte for c in node.children if c.type not in _ATTRIBUTE_LISTS), node.start_byte)
    rest = node.text[start - node.start_byte :] if node.text is not None else b""
    return rest.decode("utf-8", "replace").split("(", 1)[0].lower()


class UnitFlow:
    def __init__(
        self,
        parsed: Parsed,
        lang: Lang,
        rules: list[SinkRule],
        deadline: float,
        node_budget: int,
        controls: Mapping[str, str] | None = None,
        scope: PageScope | None = None,
    ) -> None:
        self.parsed = parsed
        self.controls = dict(controls or {})  # input controls the page declares: id -> class
        self.lang = lang
        self.rules = rules
        self.deadline = deadline
        scope = scope or PageScope()
        self.scope = scope
        # What the units of one page share: its `<script runat=server>` members and its `<% %>`
        # statements are one class, so fields, constants, methods and their taint are common.
        self.consts = scope.consts
        self._declared: set[str] = set()  # names the unit declares (fields, locals), lower case
        self.types: dict[str, str] = dict(scope.objects)
        self._xored = 0  # bytes decoded in place so far (`_xor_all`), against `_XOR_BUDGET`
        self._types_lower: dict[str, str] = dict(scope.objects)
        self.taints = scope.taints
        self.returns = scope.returns
        self.methods = scope.methods
        self._overloads = scope.overloads
        self.folder = Folder(self._lookup, deadline=deadline, case_blind=lang is Lang.VB)
        self.folder.held_builder = self._held_builder
        self._library_objects: set[str] = set()  # VB variables (lower case) of a library's class
        self._method_params: set[str] | None = None  # every method's parameters (`_vb_library`)
        self._lower_params: set[str] | None = None  # the same in lower case (`_parameter_names`)
        # parameters (lower case) declared as a data control's edit event arguments
        # (`GridViewUpdateEventArgs e`) -> the member holding what the client typed (`_params`)
        self._edit_args: dict[str, str] = {}
        self._made_controls: dict[str, str] = {}  # variable (lower case) -> input control class made in code
        self._builder_decls: dict[str, Node | None] = {}  # local builder -> its one declaration (None: more)
        self._builders: dict[str, builders.Builder] | None = None  # those that can be followed
        self._settled = False  # the constants are final (after `_constants`)
        self.folder.functions = scope.functions
        self.remote_public = scope.remote_public
        self.razor_page = scope.razor_page
        self.operations = scope.operations
        self.folded: dict[str, int] = {}  # folded string -> first line
        self.hidden: list[tuple[int, str]] = []  # (line, dangerous folded text)
        self.hits: list[SinkHit] = []
        self.unsettled = 0  # rounds after which propagation stopped while taint still grew (0: it settled)
        self.oversized: list[int] = []  # lines of values not folded because they would pass `MAX_VALUE`
        self.tainted_writes = False
        self._actions: set[str] = set()  # methods (lower case) that are MVC or Web API controller actions
        self._hub_methods: set[str] = set()  # methods (lower case) a SignalR hub's clients invoke
        self._handlers: set[str] = set()  # methods (lower case) that are a Razor page's handlers
        self._bound: set[str] = set()  # properties (lower case) model binding fills from the request
        self._written_to: dict[str, Taint] = {}  # writer variable -> what tainted `Write` calls write into it
        self._memo: dict[int, Taint | None] = {}
        self._words: dict[int, frozenset[str]] = {}  # statement -> the words it reads (`_names_in`)
        self._written_streams: set[str] | None = None  # variables the unit writes through (`_stream_written`)
        # (method or None, name), lower case, whose taint the current round changed (`run_together`;
        # None on a page whose rounds read every statement)
        self._changed: set[tuple[str | None, str]] | None = None
        self.fields = scope.fields  # class fields: one variable for every method
        self.classes = scope.classes
        self.classes.update(m.lower() for m in _CLASS_DECL.findall(parsed.source.decode("utf-8", "replace")))
        self._site_paths: set[str] = set()  # variables holding a fixed path inside the site
        # Variables (lower case) every assignment of which ends in a file name the code writes.
        self._named_files: set[str] = set()
        self._unnamed_files: set[str] = set()
        # Variables set from the application's configuration (`cs = ConnectionStrings["x"]...`),
        # and those also set from anything else: only the first kind is a setting.
        self._configured: set[str] = set()
        self._constant_items: set[str] | None = None  # `_loop_constants`
        self._changed_held: set[str] | None = None  # `_changed_collections`
        self._not_configured: set[str] = set()
        self._urls: dict[str, Node] = {}  # web request variable -> the URL it was created with
        self._assigned: dict[str, list[Node]] | None = None  # variable -> every value set (`_values_of`)
        self._requests: set[str] = set()  # variables (lower case) holding the request object itself
        # (variable, member), lower case -> what is stored into a query object's text member
        # (`cmd.CommandText`, `ds.Filter`, `searcher.Query`) or a mail client's server (`c.Host`):
        # `_SET_LATER`
        self._query_texts: dict[tuple[str, str], Taint] = {}
        self._emitted_methods: list[tuple[str, str]] | None = None  # methods the unit's IL calls
        self._emitted_loads: list[Node] = []  # values the unit's IL loads as strings (with the above)
        self._method_vars: dict[str, tuple[str, str]] | None = None  # variable -> reflected (type, method)
        # delegate variable -> (path, as written) of the method it is bound to
        self._groups: dict[str, tuple[tuple[str, ...], str]] | None = None
        self._own_groups: dict[str, str] | None = None  # delegate variable -> a method of the file it is bound to
        self._type_vars: dict[str, str] | None = None  # variable -> the type it holds (`t = typeof(Process)`)
        self._script_cmdlet: bool | None = None  # whether a PowerShell pipeline gets a script-running cmdlet
        self._lambdas: dict[str, tuple[list[str], str | None]] = {}  # variable -> (params, method it is in)
        self._followed = 0  # expressions whose taint was worked out, for the deadline's checks
        self._by_name: dict[str, list[tuple[SinkRule, SinkPattern]]] | None = None  # `_patterns_named`
        self._lambda_returns: dict[str, list[Node]] = {}  # variable -> what the lambda it holds returns
        self._thread_bodies: dict[str, Node] = {}  # `var t = new Thread(o => ...)`: t -> the callback
        # `var w = new BinaryWriter(client.GetStream())`: w (lower case) -> the socket's or pipe's
        # stream type, so what `w.Write` writes is written into that stream
        self._writer_over: dict[str, str] = {}
        self._lambda_params: dict[str | None, dict[str, int]] | None = None  # `_lambda_names`
        self._mailed: dict[str, list[Value | None]] | None = None  # `_mail_addresses`
        self._environ: dict[str, Taint] | None = None  # `_environment`
        self._open_stores = scope.open_stores
        self._fixed_stores = scope.fixed_stores
        self._param_names: set[str] | None = None
        self.nodes = self._collect(node_budget)
        self._aliases, self._static_types = _imports(self.parsed.tree.root_node)

    # ------------------------------------------------------------------ plumbing
    def _n(self, name: str) -> str:
        """A variable's key: VB names are one whatever their case (`Cmd` and `cmd`)."""
        return name.lower() if self.lang is Lang.VB else name

    def line(self, node: Node) -> int:
        return node.start_point[0] + 1 - self.parsed.line_shift

    def _check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise Budget("deadline")

    def _collect(self, budget: int) -> list[tuple[Node, str | None]]:
        """Interesting nodes in document order, each with its enclosing method's name."""
        out: list[tuple[Node, str | None]] = []
        # The flag: under a lambda of the method, whose `return` gives the lambda's value, not the method's.
        stack: list[tuple[Node, str | None, int, bool]] = [(self.parsed.tree.root_node, None, 0, False)]
        seen = visited = 0
        keep = {Role.CALL, Role.NEW, Role.DECL, Role.ASSIGN, Role.RETURN, Role.METHOD, Role.STRING, Role.INDEX}
        while stack:
            node, method, level, in_lambda = stack.pop()
            visited += 1
            if visited % 4096 == 0:
                self._check_time()
            if node.type in _PADDING or (
                node.type == "statement" and node.child_count == 1 and node.children[0].type == "empty_statement"
            ):
                continue  # kept by no later pass: padding costs this walk only, which the deadline bounds
            seen += 1
            if level > MAX_NESTING:
                raise Budget(f"code nested more than {MAX_NESTING} levels deep")
            if seen > budget:
                raise Budget(f"more than {budget} syntax nodes")
            r = role(node)
            if r is Role.METHOD:
                name_node = node.child_by_field_name("name")
                # C#'s indexer (`public string this[string k] { get ... }`) has no name: `this`.
                method = "this" if node.type == "indexer_declaration" else self._n(text(name_node)) or method
                self._method(node, method or "?")
                in_lambda = False
            elif r is Role.LAMBDA:
                in_lambda = True
            elif r is Role.RETURN and in_lambda:
                r = Role.OTHER  # the lambda's value (`_returned_by`), not one the method returns
            elif node.type == "call_statement" and node.named_child_count:
                inner = unwrap(node.named_children[0])
                if role(inner) is Role.BINARY and operator(inner) == "=":
                    out.append((inner, method))  # VB: `x = value` parsed as a comparison statement
                elif role(inner) is Role.BINARY and operator(inner).lower() == "xor":
                    out.append((inner, method))  # VB: `b(i) = b(i) Xor k`, read as `(b(i) = b(i)) Xor k`
            if r is Role.DECL:
                named: list[Node | None] = (
                    [n for n, _ in _vb_const_pairs(node)] if node.type == "const_declaration" else []
                )
                for name_node in named or [node.child_by_field_name("name")]:
                    if name_node is None:
                        continue
                    lname = text(name_node).lower()
                    self.scope.declarations[lname] = self.scope.declarations.get(lname, 0) + 1
                    if node.type == "const_declaration" or _const_declarator(node):
                        self.scope.const_names.add(lname)
                    self._declared.add(lname)
                    if method is None:
                        self.fields.add(self._n(text(name_node)))
                        if _static_field(node):
                            self.scope.shared.add(self._n(text(name_node)))
            if r in keep or node.type in _LOOPS or node.type == "add_handler_statement":
                out.append((node, method))
            # A chain of one operator (a + b + c ...) nests left; it is one level, not thousands.
            chained = r is Role.BINARY
            stack.extend(
                (c, method, level if chained and role(c) is Role.BINARY else level + 1, in_lambda)
                for c in reversed(node.named_children)
            )
        return out

    def _params(self, node: Node) -> list[str]:
        """The names of a method's parameters (keys as `_n` gives them)."""
        params_node = node.child_by_field_name("parameters")
        params: list[str] = []
        if params_node is not None:
            for p in params_node.named_children:
                n = p.child_by_field_name("name") or p.child_by_field_name("pattern")
                if n is None and p.type == "identifier":
                    n = p
                if n is not None:
                    params.append(self._n(text(n)))
                    if _REQUEST_TYPE.search(text(p)):
                        self._requests.add(text(n).lower())  # `void Run(HttpRequest r)`
                    edited = edited_member(text(p))
                    if edited is not None:  # `GridViewUpdateEventArgs e`, VB's `e As GridViewUpdateEventArgs`
                        self._edit_args[text(n).lower()] = edited
        return params

    def _method(self, node: Node, name: str) -> None:
        params = self._params(node)
        head = self.parsed.source[max(0, node.start_byte - 200) : node.start_byte].decode("utf-8", "replace")
        signature = _signature(node)
        attributes = (head + text(node)[:200]).lower().replace(" ", "")
        action = controller_action(node, signature, attributes)
        if action:
            self._actions.add(name.lower())
        hub = not action and hub_method(node, signature)
        if hub:
            self._hub_methods.add(name.lower())
        handler = not action and not hub and page_handler(node, name, signature, self.razor_page)
        if handler:
            self._handlers.add(name.lower())
        if bound_property(node, self.razor_page):
            self._bound.add(name.lower())
        webmethod = (
            action
            or hub
            or handler
            or any(a in attributes for a in OPERATION_ATTRIBUTES)
            or (self.remote_public and re.search(r"\bpublic\b", signature) is not None)
        )
        if webmethod:
            self.operations.add(name.lower())  # a contract's operation: its implementation answers too
        body_text = text(node).lower()
        steps: list[str] = []
        if "^" in body_text or " xor " in body_text:
            steps.append("XOR-decodes it")
        if any(c in body_text for c in ("createdecryptor", "transformfinalblock", "cryptostream")):
            steps.append(f"decrypts it with {cipher_name(body_text)}")
        if "frombase64string" in body_text:
            steps.append("base64-decodes it")
        if "gzipstream" in body_text or "deflatestream" in body_text:
            steps.append("decompresses it")
        params_node = node.child_by_field_name("parameters")
        byref = frozenset(
            self._n(p)
            for p, declared in zip(params, params_node.named_children if params_node is not None else (), strict=False)
            if self.lang is Lang.VB and text(declared).lstrip()[:6].lower() == "byref "
        )
        rest = params_node is not None and _REST_PARAMETER.search(text(params_node)) is not None
        native = _NATIVE_DECLARATION.search(text(node)[:300].lower()) is not None
        m = _Method(name, params, node, webmethod, tuple(steps), byref, rest, native)
        self.methods.setdefault(name.lower(), m)
        self._overloads.setdefault(name.lower(), []).append(m)
        ret = _single_return(node)  # a block of one `return`, or an expression body (`=> ...`)
        if ret is not None:
            self.folder.functions.setdefault(name.lower(), Callable1(params, ret, rest))
        else:
            straight = self._straight_return(node)
            if straight is not None:
                self.folder.functions.setdefault(name.lower(), Callable1(params, straight[1], rest, straight[0]))

    def _lookup(self, name: str) -> Value | None:
        return self.consts.get(self._n(name))

    def fold(self, node: Node | None) -> Value | None:
        try:
            return self.folder.value(node)
        except TooLarge:
            if node is not None:
                self.oversized.append(self.line(node))
            return None
        except TooSlow:
            raise Budget("deadline") from None
        except TooDeep:
            raise Budget("expression nested too deep to fold") from None
        except RecursionError:
            raise Budget("expression nested too deep to fold") from None

    def note_folded(self, node: Node, value: Value | None) -> None:
        inner = unwrap(node)
        written = role(inner) in {Role.STRING, Role.INT, Role.CHAR, Role.IDENT}
        if value is None or isinstance(value, int) or (written and not _has_holes(inner)):
            # a literal as written (an interpolated string with holes was built, so it is shown),
            # or a number (a length, a count): not a string the code hides
            return
        shown = show(value)
        if len(shown) < 2 or shown.startswith("<array"):
            return
        if shown not in self.folded and len(self.folded) < 64:
            self.folded[shown] = self.line(node)
            if DANGEROUS_TEXT.search(shown.strip()):
                self.hidden.append((self.line(node), shown))

    # ------------------------------------------------------------------ passes
    def run(self) -> None:
        run_together([self])

    def _targets(self, node: Node) -> tuple[Node | None, Node | None]:
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
                return self._targets(inner)  # VB's `Using r = New StreamReader(...)`
            if name is None or name.type != "identifier":
                return None, None  # C#'s `using (...)` (its declarator is read as one), or no name
            value = next((c for c in node.named_children if c.type == "expression"), None)
            if value is None:
                value = next((c for c in node.named_children if c.type == "as_clause" and role(c) is Role.NEW), None)
            return name, value
        if node.type == "const_declaration":
            pairs = _vb_const_pairs(node)  # the first; `_constants` reads every one
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

    def _declared_first(self) -> None:
        """Constants (C#'s `const`, VB's `Const`) and the class's fields with an initializer hold
        their values before any method runs, wherever the class declares them: a method above the
        declaration reads them too. Twice, for constants built from constants declared below them."""
        for _ in range(2):
            for node, method in self.nodes:
                if node.type == "const_declaration":
                    for const_name, const_value in _vb_const_pairs(node):
                        self._hold(self._n(text(const_name)), self.fold(const_value))
                elif role(node) is Role.DECL and (method is None or _const_declarator(node)):
                    left, right = self._targets(node)
                    if left is not None and right is not None and role(left) is Role.IDENT:
                        value = self.fold(unwrap(right))
                        if value is not None:
                            self._hold(self._n(text(left)), value)

    def _constants(self) -> None:
        self._declared_first()
        for node, _method in self.nodes:
            if node.type == "const_declaration":  # VB's `Const P As String = "cmd" & ".exe", Q = 1`
                for const_name, const_value in _vb_const_pairs(node):
                    self._hold(self._n(text(const_name)), self.fold(const_value), const_value)
                continue
            r = role(node)
            if r is Role.NEW:
                self._array_wrapped(node)
                continue
            if r not in {Role.DECL, Role.ASSIGN, Role.BINARY, Role.CALL}:
                continue
            if r is Role.CALL:
                self._control_added(node)
                self._array_reverse(node)
                self._array_written(node)
                self._passed_by_reference(node)
                self._array_handed_out(node)
                self._com_http_open(node)
                continue
            if r is Role.BINARY and operator(node).lower() == "xor":
                self._vb_xor_store(node)
                continue
            left, right = self._targets(node)
            if r is Role.DECL and _method is not None and left is not None and role(left) is Role.IDENT:
                self._builder_declared(self._n(text(left)), node, right)
            if left is not None and role(left) is Role.IDENT:
                self._control_made(text(left).lower(), node, right)
                if self.lang is Lang.VB and r is Role.DECL:
                    self._library_object(text(left).lower(), node, right)
            if right is None and left is not None and node.type == "dim_statement":
                self._vb_as_new(left, node)
                continue
            if left is not None and right is not None and role(left) is Role.MEMBER:
                holder, member = member_parts(left)
                if holder is not None and text(holder) in {"this", "Me", "me"}:
                    self._request_alias(member, node, unwrap(right))  # `this.req = ctx.Request`
                if member.lower() in _STORED_PARTS:
                    self._open_store(member.lower(), unwrap(right))
            if left is not None and right is not None and role(left) in {Role.INDEX, Role.CALL}:
                self._element_store(node, left, unwrap(right))  # `b[i] ^= k`; VB `b(i) = b(i) Xor k`
                continue
            if left is not None and right is not None and operator(node) in {"", "="}:
                for tupled, element, _ in self._deconstructed(left, right):
                    self._hold(self._n(text(tupled)), self.fold(element), element)
            if left is None or right is None or role(left) is not Role.IDENT:
                continue
            name = self._n(text(left))
            value_node = unwrap(right)
            self._request_alias(name, node, value_node)
            if role(value_node) is Role.LAMBDA:
                self._lambda(name, value_node, _method)
                continue
            self._type_of(name, node, value_node)
            self._found_control(name, value_node)
            self._web_request(name, value_node)
            (self._named_files if self._names_file(value_node) else self._unnamed_files).add(name.lower())
            value = self.fold(value_node)
            op = operator(node) if r is not Role.DECL else "="
            if op in {"+=", "&="} and value is not None:
                prior = self.consts.get(name)
                value = (prior + value) if isinstance(prior, str) and isinstance(value, str) else None
            self._hold(name, value, value_node)

    def _builder_declared(self, name: str, decl: Node, value: Node | None) -> None:
        """A local declared from `new StringBuilder(...)` (VB's `Dim sb As New ...`), for
        `_held_builder`: a name declared twice is not followed."""
        made = _made_by(decl, value)
        if made is None or role(made) is not Role.NEW:
            if name in self._builder_decls:
                self._builder_decls[name] = None
            return
        callee, args = call_parts(made)
        fits = last_name(callee) == "stringbuilder" and len(args) <= 1
        self._builder_decls[name] = decl if fits and name not in self._builder_decls else None

    def _held_builder(self, call: Node, depth: int) -> str | None:
        """The text `sb.ToString()` gives, where `sb` is a builder variable `builders` can
        follow; None otherwise."""
        if self._builders is None:
            declared = {k: d for k, d in self._builder_decls.items() if d is not None}
            root = self.parsed.tree.root_node
            self._builders = builders.find(root, declared, self.lang is Lang.VB) if declared else {}
        callee, _ = call_parts(call)
        receiver = (
            member_parts(unwrap(callee))[0] if callee is not None and role(unwrap(callee)) is Role.MEMBER else None
        )
        held = self._builders.get(self._n(text(unwrap(receiver)))) if receiver is not None else None
        if held is None:
            return None
        return builders.read(held, call, lambda n: self.folder.value(n, depth + 1), self._settled)

    def _hold(self, name: str, value: Value | None, shown: Node | None = None) -> None:
        """The constant a variable holds from here on, or none: a store the folder cannot follow
        forgets what the variable held before, never keeping a stale constant. With `shown`, the
        value is listed among the folded strings at that node."""
        if value is None:
            self.consts.pop(name, None)
            return
        self.consts[name] = value
        if shown is not None:
            self.note_folded(shown, value)

    def _vb_as_new(self, left: Node, node: Node) -> None:
        """VB's `Dim s As New MemoryStream(b)`: the object folded as its `New` would be (a stream
        over constant bytes); the declaration otherwise holds no constant."""
        clause = vb_as_clause(node)
        self._hold(self._n(text(left)), self.fold(clause) if clause is not None else None)

    def _element_store(self, node: Node, left: Node, right: Node) -> None:
        """A store into an item of an array the page holds as a constant. The loop that decodes
        it (`b[i] ^= k`, `b[i] = (byte)(b[i] ^ k)`, VB's `b(i) = b(i) Xor k`; `k` one constant,
        or a key array's items in turn, `key[i % key.Length]`) is applied to the whole array, as
        such loops run over it; any other store leaves the array unknown, never the constant it
        started as."""
        held = self._held_array(left)
        if held is None:
            return  # not a constant array (a VB call's result, a string's characters): nothing to change
        key_node: Node | None = None
        op = operator(node)
        if op == "=" and self._item_set(node, left, right, *held):
            return  # `a[0] = "cmd.exe"`: that item, the others as they were
        if op == "^=":
            key_node = right
        elif op == "=":
            inner = _uncast(right)
            if role(inner) is Role.BINARY and operator(inner).lower() in {"^", "xor"} and inner.named_child_count == 2:
                a, b = (unwrap(c) for c in inner.named_children)
                key_node = b if text(_uncast(a)) == text(left) else a if text(_uncast(b)) == text(left) else None
        self._decoded_in_place(node, *held, key_node)

    def _item_set(self, node: Node, left: Node, right: Node, name: str, held: bytes | list[Value]) -> bool:
        """A constant stored at an index written as a number in a constant array: the array with
        that item changed (False when the index, the value or its type is not one the array can
        hold)."""
        keys = index_parts(left)[1] if role(left) is Role.INDEX else call_parts(left)[1]
        # A number written out: a loop's variable folds to its first value only (`b[i] = ...`).
        at = self.fold(keys[0]) if len(keys) == 1 and role(unwrap(keys[0])) is Role.INT else None
        if not isinstance(at, int) or not 0 <= at < len(held):
            return False
        value = self.fold(right)
        if value is None:
            return False
        if isinstance(held, bytes):
            if not isinstance(value, int) or not 0 <= value <= 255:
                return False
            self._hold(name, held[:at] + bytes([value]) + held[at + 1 :], node)
            return True
        if type(value) is not type(held[at]):
            return False
        self._hold(name, [*held[:at], value, *held[at + 1 :]], node)
        return True

    def _held_array(self, item: Node) -> tuple[str, bytes | list[Value]] | None:
        """For an item of an array (`b[i]`, VB's `b(i)`): the array's name and the constant it
        holds, when it holds one."""
        base, _ = index_parts(item) if role(item) is Role.INDEX else call_parts(item)
        if base is None or role(base) is not Role.IDENT:
            return None
        name = self._n(text(base))
        held = self.consts.get(name)
        return (name, held) if isinstance(held, (bytes, list)) else None

    def _decoded_in_place(self, node: Node, name: str, held: bytes | list[Value], key_node: Node | None) -> None:
        """The array after an XOR of each item with the key; unknown when there is no key."""
        decoded = self._xor_all(held, key_node) if key_node is not None else None
        self._hold(name, decoded, node)

    def _array_written(self, node: Node) -> None:
        """A call that writes into a constant array: a copy (`Array.Copy`, `Buffer.BlockCopy`) of
        a constant at constant offsets is applied; any other copy, a read into it (`s.Read(buf,
        ...)`, `src.CopyTo(buf, 0)`) or `buf.SetValue(...)` leaves it unknown, never the value
        it was declared with. So does a call of the page's own method, which may change an
        array it is given (`Decode(buf)`)."""
        callee, args = call_parts(node)
        if callee is not None and self._own_call(callee):
            for a in args:
                if role(a) is Role.IDENT and isinstance(self.consts.get(self._n(text(a))), (bytes, list)):
                    self.consts.pop(self._n(text(a)), None)
            return
        if callee is None or role(callee) is not Role.MEMBER:
            return
        receiver, name = member_parts(callee)
        lname = name.lower()
        if self._stream_filled(receiver, lname, args):
            return
        if (
            lname in {"copy", "blockcopy"}
            and receiver is not None
            and text(receiver).lower() in {"array", "buffer", "system.array", "system.buffer"}
        ):
            src, dest, offsets = _copy_parts(lname, args)
        elif lname in {"read", "readblock", "copyto"} and args:
            src, dest, offsets = None, args[0], list[Node | int]()
        elif lname == "setvalue" and receiver is not None:
            src, dest, offsets = None, receiver, list[Node | int]()
        else:
            return
        if dest is None or role(dest) is not Role.IDENT:
            return
        target = self._n(text(dest))
        held = self.consts.get(target)
        if not isinstance(held, (bytes, list)):
            return
        self._hold(target, self._copied(held, src, offsets) if src is not None else None)

    def _stream_filled(self, receiver: Node | None, lname: str, args: list[Node]) -> bool:
        """A memory stream the page made empty and filled from a constant stream
        (`gz.CopyTo(ms)`, a decompressed resource) holds those bytes; any write into a memory
        stream held so (`ms.Write(...)`, `WriteByte`, `SetLength`) leaves it unknown. True when
        the call was one of these."""
        if lname == "copyto" and receiver is not None and args and role(args[0]) is Role.IDENT:
            target = self._n(text(args[0]))
            if not self._memory_stream(args[0]):
                return False
            data = as_bytes(self.fold(receiver))
            self._hold(target, data if target not in self.consts else None)  # (filled twice: unknown)
            return True
        written = lname in {"write", "writebyte", "setlength", "writeasync"}
        if written and receiver is not None and role(receiver) is Role.IDENT and self._memory_stream(receiver):
            self.consts.pop(self._n(text(receiver)), None)
            return True
        return False

    def _memory_stream(self, name: Node) -> bool:
        return self._type(self._n(text(name))) == "memorystream"

    def _passed_by_reference(self, node: Node) -> None:
        """Variables a call may set: C#'s `ref` and `out` arguments, VB's arguments to the
        page's own method where it declares them `ByRef`, to a `Try...` method
        (`Integer.TryParse(s, n)`, `d.TryGetValue(k, v)`) and to a library's (`_vb_library`),
        since VB does not mark a `ByRef` argument where it is passed. What they held is
        forgotten: a planted library's `Fill(out t)` must not leave `t` the constant it was
        before."""
        callee, args = call_parts(node)
        if callee is None:
            return
        if self.lang is Lang.VB:
            own = self.methods.get(last_name(callee)) if self._own_call(callee) else None
            own = self._overload(own, len(args)) if own is not None else None
            if own is not None and own.byref:
                changed = [a for p, a in zip(own.params, args, strict=False) if p in own.byref]
            elif last_name(callee).startswith("try") or self._vb_library(callee):
                changed = args
            else:
                changed = []
        else:
            args_node = next((c for c in node.named_children if c.type == "argument_list"), None)
            found = map(_by_reference, args_node.named_children if args_node is not None else [])
            changed = [t for t in found if t is not None]
        for a in changed:
            if role(a) is Role.IDENT:
                self._hold(self._n(text(a)), None)

    def _array_handed_out(self, node: Node) -> None:
        """A constant array given to a call of code the page does not show, which may change
        its items (`Contoso.Relay.Fill(a)`, `rng.GetBytes(b)`, `Array.Clear(b, 0, 4)`): what it
        held is forgotten, everywhere in the unit. The folder keeps one value per variable, so
        a sink before the call is unresolved too: said too often, never a command hidden behind
        the items the array started with. Framework calls known only to read what they are
        given (`string.Join`, `Encoding.GetString`, a sink given the whole array) keep it; the calls that
        copy, read or reverse into it are followed where they are seen (`_array_written`,
        `_array_reverse`); the page's own methods are `_array_written`'s."""
        callee, args = call_parts(node)
        if callee is None or self._own_call(callee):
            return
        lname = last_name(callee)
        if (lname in ARRAY_READERS and lname != "getbytes") or lname in _ARRAY_FOLLOWED:
            return
        for name, held in self._constant_arrays(args):
            if lname == "getbytes" and isinstance(held, list) and all(isinstance(x, str) for x in held):
                continue  # an encoding's `GetBytes(chars)` reads them; a generator's `GetBytes(b)` fills `b`
            self._hold(name, None)

    def _constant_arrays(self, args: list[Node]) -> list[tuple[str, bytes | list[Value]]]:
        """The arguments that are variables holding a constant array: (name, what it holds)."""
        found: list[tuple[str, bytes | list[Value]]] = []
        for a in args:
            if role(a) is Role.IDENT:
                name = self._n(text(a))
                held = self.consts.get(name)
                if isinstance(held, (bytes, list)):
                    found.append((name, held))
        return found

    def _array_wrapped(self, node: Node) -> None:
        """A constant array given to a constructor that may keep it rather than copy it: a
        stream over it (`new MemoryStream(buf)`), a view (`Span`, `ArraySegment`), or any
        object not known to copy what it is given. A write through the object changes the
        array's items (`Request.InputStream.CopyTo(ms)` overwrites `buf`), so what it held is
        forgotten, as for a call of code the page does not show (`_array_handed_out`). A memory
        stream kept in a variable forgets it only if the page writes through that variable
        (`_stream_written`): one only read from (an embedded assembly unpacked) keeps it."""
        callee, args = call_parts(node)
        kind = _class_named(callee) if callee is not None else ""
        if callee is None or kind in ARRAY_COPIERS:
            return
        held = self._constant_arrays(args)
        if not held:
            return
        stream = self._made_into(node) if kind == "memorystream" else None
        if stream is not None and not self._stream_written(stream):
            return
        for name, _ in held:
            self._hold(name, None)

    def _made_into(self, node: Node) -> str | None:
        """The variable an object creation is stored into (`var ms = new MemoryStream(b)`,
        VB's `Dim ms As New MemoryStream(b)`), if it is one plain name."""
        up = node.parent
        for _ in range(3):
            if up is None:
                return None
            if up.type in {"variable_declarator", "assignment_expression", "dim_statement", "assignment_statement"}:
                break
            up = up.parent
        else:
            return None
        left, _right = self._targets(up)
        if up.type == "dim_statement":
            left = next((c for c in up.named_children if role(c) is Role.IDENT), left)
        return self._n(text(left)) if left is not None and role(unwrap(left)) is Role.IDENT else None

    def _stream_written(self, stream: str) -> bool:
        """Whether the page may write through a stream variable: a `Write...`, `SetLength` or
        `BeginWrite` call on it, the variable handed to anything but a reader of it (a
        `StreamReader` or `BinaryReader`, a decompressing stream, a crypto stream in read mode,
        an image or XML loader; `Request.InputStream.CopyTo(ms)` writes into it), or stored
        into another name or returned, which may write through it unseen. The names so
        written are found in one pass over the unit, on first need."""
        if self._written_streams is None:
            written: set[str] = set()
            for node, _method in self.nodes:
                r = role(node)
                if r in {Role.DECL, Role.ASSIGN, Role.RETURN}:
                    # `Stream s = ms;`, `return ms;`: written through another name, unseen
                    value = self._targets(node)[1] if r is not Role.RETURN else _first_named(node)
                    if value is not None and role(unwrap(value)) is Role.IDENT:
                        written.add(self._n(text(unwrap(value))))
                    continue
                if r not in {Role.CALL, Role.NEW}:
                    continue
                callee, args = call_parts(node)
                if callee is None:
                    continue
                callee = unwrap(callee)
                if role(node) is Role.CALL:
                    receiver, name = called(callee)
                    lname = name.lower()
                    if receiver is not None and (lname.startswith("write") or lname in {"setlength", "beginwrite"}):
                        written.add(self._n(text(unwrap(receiver))))
                given = [self._n(text(a)) for a in args if role(a) is Role.IDENT]
                if not given:
                    continue
                target = _class_named(callee)
                if target in _STREAM_READERS_OF or (
                    target in _MODED_STREAMS and re.search(r"Decompress|CryptoStreamMode\.Read", text(node))
                ):
                    continue
                written.update(given)
            self._written_streams = written
        return stream in self._written_streams

    def _vb_library(self, callee: Node) -> bool:
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
        if root in self._library_objects:
            return True  # `r.Fill(t)` after `Dim r As New Contoso.Relay`: an object of a library's class
        known = root in self._declared or root in self.classes or root in self.controls or root in self._requests
        return not known and self._type(root) is None and root not in self._parameters()

    def _parameters(self) -> set[str]:
        """Every method's parameter names (as `_params` gives them), gathered once."""
        if self._method_params is None:
            self._method_params = {p for m in self.methods.values() for p in m.params}
        return self._method_params

    def _parameter_names(self) -> set[str]:
        """Every method's parameter names in lower case (C#'s keep their case in `_parameters`),
        gathered once."""
        if self._lower_params is None:
            self._lower_params = {p.lower() for p in self._parameters()}
        return self._lower_params

    def _straight_return(self, method: Node) -> tuple[tuple[tuple[str, str, Node | None], ...], Node] | None:
        """A method's body of stores into local names (`var a = "cm";`, `a += "d.exe";`, VB's
        `Dim a As String = ...` and `a &= ...`) ending in its one `return`: the stores in order
        and the returned expression, which the folder reads as the method's value. Anything
        else in the body (a call, a branch, a loop, a store into a member or an item) may
        change what it returns in ways not followed: None."""
        stmts = _body_statements(method)
        if len(stmts) < 2 or len(stmts) > _STRAIGHT_STEPS or stmts[-1].type != "return_statement":
            return None
        ret = stmts[-1].named_children[0] if stmts[-1].named_child_count else None
        if ret is None:
            return None
        steps: list[tuple[str, str, Node | None]] = []
        for stmt in stmts[:-1]:
            stores = self._local_stores(stmt)
            if stores is None:
                return None
            steps.extend(stores)
        return tuple(steps), ret

    def _local_stores(self, stmt: Node) -> list[tuple[str, str, Node | None]] | None:
        """(name, operator, value) of each store one statement makes into a plain name, or None
        for a statement that is not only such stores."""
        if stmt.type in _FOLDED_LOOPS:  # a loop of one append: `foreach (char c in s) sb.Append(...)`
            spec = loop_spec(stmt)
            return None if spec is None else [(self._n(spec.accumulator), "loop", stmt)]
        appended = accumulation(stmt)
        if appended is not None and role(statement_value(stmt)) is Role.CALL:
            return [(self._n(appended[0]), "append", appended[1])]  # `sb.Append(x);`
        reversed_ = _reversed_array(statement_value(stmt))
        if reversed_ is not None:
            return [(self._n(text(reversed_)), "reverse", None)]  # `Array.Reverse(a);`
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
            left, right = self._targets(node)
            if left is None or role(left) is not Role.IDENT or op not in {"=", "+=", "&="}:
                return None
            if right is None and node.type not in {"variable_declarator", "dim_statement"}:
                return None
            out.append((self._n(text(left)), op, right))
        return out

    def _overload(self, m: _Method, count: int) -> _Method:
        """The method of `m`'s name a call of `count` arguments runs: the one with that many
        parameters, or one whose `params` array takes the rest, else `m` (optional parameters
        are not told apart). Before, every call went to the first of the name, so a call of
        `Query(host, user, password, ns, text)` handed `user` to the two-parameter
        `Query(ns, text)`'s `text`."""
        found = self._overloads.get(m.name.lower(), [m])
        if len(found) < 2:
            return m
        exact = next((o for o in found if len(o.params) == count and not o.rest), None)
        if exact is not None:
            return exact
        return next((o for o in found if o.rest and len(o.params) - 1 <= count), m)

    def _own_call(self, callee: Node) -> bool:
        """Whether a call names a method the file declares (`Decode(b)`, `this.Decode(b)`)."""
        if role(callee) is Role.IDENT:
            return name_text(callee).lower() in self.methods
        if role(callee) is Role.MEMBER:
            receiver, name = member_parts(callee)
            return receiver is not None and self._own_object(receiver) and name.lower() in self.methods
        return False

    def _copied(self, held: bytes | list[Value], src: Node, offsets: list[Node | int]) -> bytes | list[Value] | None:
        """`held` with a constant source's items copied in: offsets and count all constant."""
        data = self.fold(src)
        numbers = [o if isinstance(o, int) else self.fold(o) for o in offsets]
        if not isinstance(data, (bytes, list)) or not all(isinstance(n, int) for n in numbers) or len(numbers) != 3:
            return None
        start, at, count = (int(n) for n in numbers if isinstance(n, int))
        if min(start, at, count) < 0 or start + count > len(data):
            return None  # what .NET would refuse (ArgumentException): not folded
        out = list(held)
        if not out and at == 0:
            out = [0] * count  # `new byte[n]` folds without its length: at least what is copied in
        if at + count > len(out):
            return None
        out[at : at + count] = list(data)[start : start + count]
        return bytes(int(x) & 0xFF for x in out if isinstance(x, int)) if isinstance(held, bytes) else out

    def _vb_xor_store(self, node: Node) -> None:
        """VB's `b(i) = b(i) Xor k` as a statement: the grammar reads it `(b(i) = b(i)) Xor k`
        (Xor binds looser than `=` in an expression), so the store is rebuilt from the parts."""
        if node.named_child_count != 2:
            return
        compared, key_node = (unwrap(c) for c in node.named_children)
        if role(compared) is not Role.BINARY or operator(compared) != "=" or compared.named_child_count != 2:
            return
        target, value = (unwrap(c) for c in compared.named_children)
        held = self._held_array(target) if role(target) in {Role.INDEX, Role.CALL} else None
        if held is not None:
            self._decoded_in_place(node, *held, key_node if text(value) == text(target) else None)

    def _xor_all(self, held: bytes | list[Value], key_node: Node) -> bytes | list[Value] | None:
        """Each item of `held` XORed with the key: one constant, or the items of a constant key
        indexed by the position modulo something (`key[i % key.Length]`)."""
        if not held or self._xored + len(held) > _XOR_BUDGET:
            return None  # past what a unit may decode in place: unknown, as any other store
        self._xored += len(held)
        items = list(held)
        if not all(isinstance(x, int) for x in items):
            return None
        key: list[int] | None = None
        cycled = False
        if role(key_node) in {Role.INDEX, Role.CALL}:
            # `key[i % key.Length]` first: with the loop's variable at its first value and the
            # length folded, the item would read as one constant (the key's first)
            kbase, kidx = index_parts(key_node) if role(key_node) is Role.INDEX else call_parts(key_node)
            stored = self.consts.get(self._n(text(kbase))) if kbase is not None and role(kbase) is Role.IDENT else None
            index_text = f" {text(kidx[0]).lower()} " if len(kidx) == 1 else ""
            if "%" in index_text or " mod " in index_text:
                cycled = True
                if isinstance(stored, str):
                    key = [ord(c) for c in stored]
                elif isinstance(stored, (bytes, list)) and all(isinstance(x, int) for x in stored):
                    key = [int(x) for x in stored if isinstance(x, int)]
        if not cycled:
            single = self.fold(key_node)
            key = [single] if isinstance(single, int) else None
        if not key:
            return None
        out = [(int(x) ^ key[i % len(key)]) & 0xFF for i, x in enumerate(items) if isinstance(x, int)]
        return bytes(out) if isinstance(held, bytes) else list(out)

    def _array_reverse(self, node: Node) -> None:
        reversed_ = _reversed_array(node)
        if reversed_ is not None:
            name = self._n(text(reversed_))
            v = self.consts.get(name)
            if isinstance(v, (list, str)):
                self.consts[name] = v[::-1]

    def _lambda(self, name: str, node: Node, method: str | None) -> None:
        params = lambda_params(node)
        self._lambdas[name] = (params, method)
        self._lambda_returns[name] = _returned_by(node)  # walked once, however often the lambda is called
        body = node.child_by_field_name("body")
        if body is None and node.named_child_count:
            body = node.named_children[-1]
        if body is not None:
            ret = _single_return(body) if body.type in {"block", "statement_block"} else body
            if ret is not None:
                self.folder.functions[name.lower()] = Callable1(params, ret)

    def _request_alias(self, name: str, decl: Node, value: Node) -> None:
        """`HttpRequest r = HttpContext.Current.Request` or `var q = this.Request`: `r` and `q`
        are the request, and `r.Form["x"]`, `q["x"]` request data like `Request.Form["x"]`."""
        for _ in range(4):
            if role(value) is not Role.CAST or not value.named_child_count:
                break
            cast_to = value.child_by_field_name("type")
            if cast_to is not None and _REQUEST_TYPE.search(text(cast_to)):
                # `var r = (HttpRequest)parts[0]`: an object handed over as the request (a payload
                # class's `Equals(new object[] { Request, Response })`)
                self._requests.add(name.lower())
                return
            value = unwrap(value.named_children[-1])
        if role(value) is Role.NEW and _REQUEST_TYPE.search(text(value).split("(", 1)[0]):
            self._requests.add(name.lower())  # `var r = new HttpRequestWrapper(Request)`
            return
        if role(value) in {Role.MEMBER, Role.IDENT} and last_name(value) == "request":
            self._requests.add(name.lower())
            return
        parent = decl.parent if decl.type == "variable_declarator" else decl
        kind = parent.child_by_field_name("type") if parent is not None else None
        if kind is None and decl.type == "dim_statement":
            kind = next((c for c in decl.named_children if c.type == "as_clause"), None)
        if kind is not None and _REQUEST_TYPE.search(text(kind)):
            self._requests.add(name.lower())

    def _web_request(self, name: str, value: Node) -> None:
        """`req = (HttpWebRequest)WebRequest.Create(url)`: remember which expression is the URL of
        the request `req` stands for, so what is later sent through it can be tied to the URL."""
        value = _uncast(value)
        if role(value) is not Role.CALL:
            return
        callee, args = call_parts(value)
        if args and dotted(callee).lower().endswith(_REQUEST_FACTORIES):
            self._urls[name] = args[0]

    def _fetch_taint(self, args: list[Node], method: str | None, argument: int | None) -> Taint | None:
        """Taint of the URL a fetch goes to (the first argument, or the one its rule names),
        when the client picks the server: a URL whose scheme and host the code writes before the
        request's part (`"https://updates.example.com/" + v`) reaches only that server."""
        at = argument or 0
        if len(args) <= at or self._fixed_server(args[at], method):
            return None
        return self.taint(args[at], method)

    def _fixed_server(self, node: Node, method: str | None, depth: int = 0) -> bool:
        """Whether a URL starts with a scheme and host the code fixes, followed by a path, query
        or fragment separator: `"http://h/x?v=" + x`, `string.Format("http://h/{0}", x)`,
        `$"http://h/{x}"`, `new Uri(that)`, or a variable only ever set to such a value. A start
        the code computes from no request data (a base address from the application's settings,
        `baseUrl + path`) is taken for the code's own server too."""
        node = unwrap(node)
        if depth > 8:
            return False
        r = role(node)
        if r is Role.IDENT:
            values = self._values_of(node)
            return bool(values) and all(self._fixed_server(v, method, depth + 1) for v in values)
        if r is Role.NEW:
            callee, args = call_parts(node)
            return last_name(callee) == "uri" and len(args) == 1 and self._fixed_server(args[0], method, depth + 1)
        if node.type == "interpolated_string_expression":
            return _fixed_host(text(node).lstrip("$@").lstrip('"').split("{", 1)[0])
        if r is Role.CALL:
            callee, args = call_parts(node)
            name = last_name(callee)
            if name in {"format", "concat"} and args:
                return self._code_start(args[0], method, "{" if name == "format" else "")
            return False
        if r is Role.BINARY and operator(node) in {"+", "&"}:
            start = _leftmost(node)
            values = self._values_of(start) if role(start) is Role.IDENT else []
            if _SITE_ORIGIN.match(text(node)) or (values and all(_SITE_ORIGIN.match(text(v)) for v in values)):
                return True  # the page's own site (`Request.Url.GetLeftPart(UriPartial.Authority) + "/x"`)
            return self._code_start(start, method, "")
        return False

    def _code_start(self, start: Node, method: str | None, hole: str) -> bool:
        """Whether the start of a URL fixes its server: a constant naming the scheme and host
        (up to the first `hole` of a format string), or a value no request data reaches and the
        folder cannot know (a configured base address)."""
        prefix = as_text(self.fold(start))
        if prefix is not None:
            return _fixed_host(prefix.split(hole, 1)[0] if hole else prefix)
        return self.taint(start, method) is None

    def _values_of(self, ident: Node) -> list[Node]:
        """Every value a plain variable is set to (the file's assignments indexed once, so a
        page of many calls does not walk them all for each)."""
        return self._assignments().get(self._n(text(unwrap(ident))), [])

    def _assignments(self) -> dict[str, list[Node]]:
        """Each plain variable (as `_n` keys it) and every value it is set to, in document order;
        found once."""
        if self._assigned is None:
            self._assigned = {}
            for name, right in self._variables_set():
                self._assigned.setdefault(name, []).append(right)
        return self._assigned

    def _com_http_open(self, node: Node) -> None:
        """`h.Open("POST", url, False)` on an `MSXML2.ServerXMLHTTP` or `WinHttp.WinHttpRequest`
        object: remember the URL the object's later `Send` goes to."""
        callee, args = call_parts(node)
        callee = unwrap(callee) if callee is not None else None
        if callee is None or role(callee) is not Role.MEMBER or len(args) < 2:
            return
        receiver, name = member_parts(callee)
        if name.lower() != "open" or receiver is None or role(unwrap(receiver)) is not Role.IDENT:
            return
        key = self._n(text(unwrap(receiver)))
        if self._type(key) not in _COM_HTTP:
            return
        verb = as_text(self.fold(args[0]))
        if verb is not None and verb.strip().upper() in {"GET", "HEAD"}:
            self._urls.pop(key, None)  # a GET sends no body, even one `Send` is given
        else:
            self._urls[key] = args[1]

    def _url_taint(self, api: str, args: list[Node], receiver: Node | None, method: str | None) -> Taint | None:
        """Taint of the URL a send goes to: the first argument of `UploadData(url, data)` and
        the like, or the URL a `GetRequestStream()` receiver was created with, or a COM client
        was opened on (`Send(body)`; a `Send()` of no body sends nothing of the client's)."""
        sends = api.lower().endswith(".send")
        if sends or api.lower().endswith("getrequeststream"):
            base = _base_ident(receiver) if receiver is not None and (args or not sends) else None
            url = self._urls.get(self._n(text(base))) if base is not None else None
            return self.taint(url, method) if url is not None else None
        return self.taint(args[0], method) if args else None

    def _library_object(self, name: str, decl: Node, value: Node | None) -> None:
        """VB: `Dim r As New Contoso.Relay` (or `As Contoso.Relay = ...`, `= New Contoso.Relay()`):
        a variable of a class named under a namespace that is not the framework's, for
        `_vb_library`."""
        made = _made_by(decl, value)
        if made is not None and role(made) is Role.NEW:
            written = dotted(call_parts(made)[0])
        else:
            clause = vb_as_clause(decl) if decl.type == "dim_statement" else None
            kind = next((c for c in clause.named_children if c.type == "type"), None) if clause is not None else None
            written = text(kind) if kind is not None else ""
        parts = written.split("(", 1)[0].split(".")
        if len(parts) > 1 and parts[0].lower() not in FRAMEWORK_ROOTS and parts[0].isidentifier():
            self._library_objects.add(name)

    def _control_made(self, name: str, decl: Node, value: Node | None) -> None:
        """`var t = new TextBox()` (VB's `Dim t As New TextBox()`): an input control made in
        code, whose posted value is the client's once the page adds it (`_control_added`)."""
        made = _made_by(decl, value)
        if made is None or role(made) is not Role.NEW:
            return
        cls = last_name(call_parts(made)[0])
        kind = next((c for c in _INPUT_CONTROL_CLASSES if c.lower() == cls), None)
        if kind is not None:
            self._made_controls[name] = kind

    def _control_added(self, node: Node) -> None:
        """`form1.Controls.Add(t)` (or `AddAt`) of an input control made in code: ASP.NET loads
        what the client posts for it into its value, as for a control the markup declares."""
        callee, args = call_parts(node)
        if callee is None or last_name(callee) not in {"add", "addat"} or not args:
            return
        receiver = member_parts(unwrap(callee))[0] if role(unwrap(callee)) is Role.MEMBER else None
        if receiver is None or last_name(receiver) != "controls":
            return
        added = unwrap(args[-1])
        kind = self._made_controls.get(text(added).lower()) if role(added) is Role.IDENT else None
        if kind is not None:
            self.controls[text(added).lower()] = kind

    def _found_control(self, name: str, value: Node) -> None:
        """`var t = (TextBox)FindControl("cmd")` (also `Page.FindControl`, `Form.FindControl`,
        `PreviousPage.FindControl`): the variable is an input control, whose posted value is the
        client's, as the declared control is. Its class is the cast's, or the markup's for that id."""
        found = self._find_control(value)
        if found is not None:
            self.controls[name.lower()] = found[1]

    def _find_control(self, value: Node) -> tuple[str, str] | None:
        """The id and class of the input control `(TextBox)FindControl("cmd")` (or `FindControl("cmd")
        as TextBox`) gives, if it is one; or the name of any value cast to an input control's
        class (`(TextBox)sender`)."""
        if value.type == "as_expression":
            left, right = value.child_by_field_name("left"), value.child_by_field_name("right")
            if left is None or right is None:
                return None
            cast_to: Node | None = right
            value = unwrap(left)
        else:
            cast_to = value.child_by_field_name("type") if role(value) is Role.CAST else None
        cls = text(cast_to).rsplit(".", 1)[-1] if cast_to is not None else None
        cast_kind = next((c for c in _INPUT_CONTROL_CLASSES if cls and c.lower() == cls.lower()), None)
        value = _uncast(value)
        if role(value) is Role.IDENT and cls:
            # `((TextBox)sender).Text` in a control's own event handler: whatever the object,
            # cast to an input control its value is the one the client posted
            return (text(value), cast_kind) if cast_kind is not None else None
        if role(value) is not Role.CALL:
            return None
        callee, args = call_parts(value)
        if not args or last_name(callee) != "findcontrol":
            return None
        found = (as_text(self.fold(args[0])) or "").lower()
        kind = cast_kind or self.controls.get(found)
        return (found or "?", kind) if kind is not None else None

    def _set_type(self, name: str, kind: str) -> None:
        """What a variable holds, under its name and its lower-case name (VB's look-ups)."""
        self.types[name] = kind
        self._types_lower[name.lower()] = kind

    def _item_type(self, loop: Node, item: Node, items: Node) -> None:
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
            found = _call_type(*self._resolved_path(call_parts(items)[0], False))  # `typeof(T).GetProperties()`
        if found is not None:
            name = self._n(text(item))
            self.types.setdefault(name, found)
            self._types_lower.setdefault(name.lower(), found)

    def _type_of(self, name: str, decl: Node, value: Node) -> None:
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
        if role(_uncast(value)) is Role.CALL:
            value = _uncast(value)  # `(Func<...>)dm.CreateDelegate(...)`
        r = role(value)
        if r is Role.CALL:
            callee, _ = call_parts(value)
            path, has_receiver = self._resolved_path(callee, False)
            if has_receiver and path[-2:] == ("dynamicmethod", "createdelegate"):
                # A delegate over a method built at run time: calling it runs the emitted IL.
                self._set_type(name, "dynamicmethod")
                return
            returned = _call_type(path, has_receiver)
            if returned is None and path[-2:] == ("activator", "createinstance"):
                returned = _type_argument(callee)  # `Activator.CreateInstance<Process>()`
                made = call_parts(value)[1]
                if returned is None and made:
                    # `Activator.CreateInstance(typeof(Process))`, `(Type.GetType("System.Diagnostics.Process"))`
                    named = _type_named(made[0]) or self._type_by_name(unwrap(made[0]))
                    returned = named.lower() if named else None
            if returned is None:
                returned = self._made_by_name(value, path)
            if returned is not None:  # `var d = AppDomain.CreateDomain("x")`
                self._set_type(name, returned)
                return
        if r is Role.NEW:
            callee, made = call_parts(value)
            self.types[name] = last_name(callee)
            if last_name(callee) == "thread" and made:
                self._thread_bodies[name] = made[0]  # its `Start(state)` hands the state to this
            if last_name(callee) in _STREAM_WRITERS and made:
                over = self._relay_stream(unwrap(made[0]))
                if over is not None:
                    self._writer_over[name.lower()] = over
        if r in {Role.CALL, Role.NEW}:
            prog = self._com_class(value)
            if prog:
                self.types[name] = prog
        elif r is Role.MEMBER and dotted(value).lower().endswith(".standardinput"):
            self.types[name] = "standardinput"  # `StreamWriter w = p.StandardInput`: a process's input
        parent = decl.parent
        if parent is not None and parent.type in _DECL_TYPES:
            t = parent.child_by_field_name("type")
            if t is not None and text(t) not in _UNTYPED:
                self.types.setdefault(name, text(t).lower().rsplit(".", 1)[-1])
        elif decl.type == "dim_statement":  # VB `Dim ns As NetworkStream = ...`
            clause = vb_as_clause(decl)
            t = clause.child_by_field_name("type") if clause is not None else None
            if t is not None and text(t).lower() != "object":
                self.types.setdefault(name, last_name(t))
        if r is Role.NEW and self._com_class(value):
            self.types[name] = self._com_class(value) or ""
        if cast_to is not None and cast_to.isidentifier():
            self.types.setdefault(name, cast_to)
        if value.type in {"array_creation_expression", "implicit_array_creation_expression"}:
            self.types.setdefault(name, "array")  # `var a = new string[3]`: an array, whatever its items
        if name in self.types:
            self._types_lower[name.lower()] = self.types[name]

    def _com_class(self, value: Node, depth: int = 0) -> str | None:
        """The ProgID (lower case) of the COM object or type a call gives: `CreateObject("X")`,
        `new ActiveXObject("X")`, `GetObject("new:{CLSID}")`, `Type.GetTypeFromProgID("X")`,
        `Type.GetTypeFromCLSID(new Guid("..."))`, `Activator.CreateInstance(t)` of such a type."""
        value = _uncast(unwrap(value))
        if depth > 3 or role(value) not in {Role.CALL, Role.NEW}:
            if role(value) is Role.IDENT:
                kind = self._type(self._n(text(value)))
                return kind if kind is not None and "." in kind else None
            return None
        callee, args = call_parts(value)
        last = last_name(callee)
        if last == "get" and args and callee is not None and role(unwrap(callee)) is Role.MEMBER:
            # `services.Get("Win32_Process")` on WMI's services object: the class it names
            holder, _ = member_parts(unwrap(callee))
            if holder is not None and self._com_class(holder, depth + 1) == _WMI_SERVICES:
                named = (as_text(self.fold(unwrap(args[0]))) or "").strip().lower()
                return f"winmgmts.{named}" if named.startswith("win32_") else None
            return None
        if last == "gettype" and not args and callee is not None and role(unwrap(callee)) is Role.MEMBER:
            holder, _ = member_parts(unwrap(callee))  # `sh.GetType()`: the COM class of `sh`
            return self._com_class(holder, depth + 1) if holder is not None else None
        if last not in COM_FACTORIES or not args:
            return None
        if last == "createinstance":
            return self._com_class(args[0], depth + 1)
        arg = unwrap(args[0])
        if role(arg) is Role.NEW or (role(arg) is Role.CALL and last_name(call_parts(arg)[0]) in _GUID_PARSERS):
            _, inner = call_parts(arg)  # `new Guid("...")`, `Guid.Parse("...")`
            arg = unwrap(inner[0]) if inner else arg
        named = (as_text(self.fold(arg)) or "").strip().lower()
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

    def _names_in(self, node: Node) -> frozenset[str]:
        """The lower-case words of what a statement reads (a loop: its collection), kept."""
        key = node.id
        found = self._words.get(key)
        if found is None:
            if node.type in _LOOPS:
                node = loop_parts(node)[1] or node
            found = frozenset(w.decode().lower() for w in _WORDS.findall(node.text or b""))
            self._words[key] = found
        return found

    def _reads_changed(self, node: Node, method: str | None, names: frozenset[tuple[str | None, str]]) -> bool:
        """Whether a statement of `method` names a variable of its method or of the page whose
        taint changed in the round before (`names`) or in this one."""
        own = method.lower() if method else None
        changed = self._changed or set()
        for word in self._names_in(node):
            if (None, word) in names or (None, word) in changed:
                return True
            if own is not None and ((own, word) in names or (own, word) in changed):
                return True
        return False

    def _propagate(self, names: frozenset[tuple[str | None, str]] | None = None) -> None:
        """One round over the statements; with `names`, only those naming one of them
        (`run_together`)."""
        for node, method in self.nodes:
            r = role(node)
            if names is not None:
                if r is Role.METHOD:
                    continue  # what it sets (web-method parameters) is the same every round
                if not self._reads_changed(node, method, names):
                    continue
            if r in {Role.DECL, Role.ASSIGN, Role.BINARY}:
                left, right = self._targets(node)
                if left is None or right is None:
                    continue
                pairs = self._deconstructed(left, right)
                if pairs:  # `var (f, a) = ("cmd.exe", Request["c"])`: each name its own value
                    for name, value, where in pairs:
                        t = self.taint(value, method if where is None else where)
                        if t is not None:
                            self._store(name, t, method)
                    continue
                t = self.taint(right, method)
                if t is not None and r is Role.ASSIGN and operator(node) in {"+=", "&="}:
                    t = t.join()  # `sql += x`: added to what the variable held
                if t is None:
                    if role(left) is Role.IDENT and self._in_site(_leftmost(right), method):
                        self._site_paths.add(text(left).lower())
                    if role(left) is Role.IDENT:
                        configured = _CONFIGURED.search(text(right)[:400]) is not None
                        (self._configured if configured else self._not_configured).add(self._n(text(left)))
                    continue
                self._store(left, t, method)
                setter = self._setter(left)
                if setter is not None:
                    self._set(setter, t)  # `Cmd = x`, `o.Cmd = x`, `o[i] = x`: the setter's `value`
                if (
                    self.lang is Lang.VB
                    and method
                    and role(left) is Role.IDENT
                    and text(left).lower() == method.lower()
                ):
                    # VB's `GetIt = Request("c")` inside `Function GetIt()`: what it returns
                    self._put(self.returns, method.lower(), t, None, method)
            elif r in {Role.CALL, Role.NEW}:
                self._call_effects(node, method)  # `new Own(x)`: into the constructor's parameters
            elif node.type in _LOOPS:
                # `foreach (string path in paths)`: each item is as tainted as the collection.
                item, items = loop_parts(node)
                if item is not None and items is not None:
                    self._item_type(node, unwrap(item), unwrap(items))
                t = self.taint(items, method) if items is not None else None
                if t is not None and item is not None:
                    for each in _loop_names(unwrap(item)):  # `foreach (var (k, v) in d)`: each name
                        self._store(each, t, method)
            elif r is Role.RETURN and method:
                expr = node.named_children[0] if node.named_child_count else None
                t = self.taint(expr, method) if expr is not None else None
                if t is not None:
                    key = method.lower()
                    self._put(self.returns, key, t, None, key)
            elif r is Role.METHOD and method:
                m = self.methods.get(method.lower())
                if method.lower() in self._bound:
                    # `[BindProperty] public string Cmd { get; set; }`: model binding sets it from
                    # the request before the handler runs, so reading it reads the client's value.
                    bound = Taint(
                        (f"bound property '{method}'",), frozenset({"webmethod"}), (), frozenset({self.line(node)})
                    )
                    self._put(self.returns, method.lower(), bound, None, method)
                if m is not None and (m.webmethod or method.lower() in self.operations):
                    low = method.lower()
                    kind = (
                        "action"
                        if low in self._actions
                        else "hub method"
                        if low in self._hub_methods
                        else "handler"
                        if low in self._handlers
                        else "web-method"
                    )
                    for p in self._params(node):
                        t = Taint(
                            (f"{kind} parameter '{p}'",), frozenset({"webmethod"}), (), frozenset({self.line(node)})
                        )
                        self._set((method, p), t)
                event = EVENT_ARGUMENTS.get(method.lower())
                if m is not None and event is not None and len(m.params) > event[0]:
                    p = m.params[event[0]]
                    self._set(
                        (method, p),
                        Taint((f"{event[1]} '{p}'",), frozenset({"request"}), (), frozenset({self.line(node)})),
                    )

    def _put(self, table: dict[Any, Taint], key: Any, t: Taint, method: str | None, name: str) -> None:
        """Merge `t` into a table's entry; a change is noted under the method (None: the page's)
        and the name it is read by (a store's `session:=key` as `session`), for the rounds that
        re-read only what changed."""
        old = table.get(key)
        new = t if old is None else old.merge(t)
        table[key] = new
        if self._changed is not None and new != old:
            self._changed.add((method.lower() if method else None, name.split(":", 1)[0].lower()))

    def _set(self, key: tuple[str | None, str], t: Taint) -> None:
        self._put(self.taints, key, t, *key)

    def _store(self, left: Node, t: Taint, method: str | None) -> None:
        r = role(left)
        item = self._store_item(left)
        if item is not None:  # `Session["k"] = x`, VB's `Session("k") = x`
            self._keep(item[0], item[1], t, left)
            return
        own = _own_member(left) or self._class_member(left)
        if own is not None:  # `this.cmd = ...`, `Holder.Cmd = ...`: a field, one for every method
            self.fields.add(self._n(own))
            self._set((None, self._n(own)), self._shared_step(self._n(own), t, left))
            return
        base = _base_ident(left)
        if base is None and self.lang is Lang.VB and r is Role.CALL:
            callee, _ = call_parts(left)  # VB's `a(0) = x`: a store into an item of the array `a`
            callee = unwrap(callee) if callee is not None else None
            if callee is not None and role(callee) is Role.IDENT and text(callee).lower() not in self.methods:
                base = callee
        if base is None:
            return
        name = self._n(text(base))
        member = member_parts(left)[1].lower() if r is Role.MEMBER else ""
        if member in _QUERY_MEMBERS:
            key = (name.lower(), member)  # `cmd.CommandText = x`: the text the command will run, `c.Host = x`
            self._put(self._query_texts, key, t, None, name)
        if r is Role.IDENT and self._is_property(name):
            self.fields.add(name)  # `Cmd = ...` into `string Cmd { get; set; }`: the page's, like a field
        self._set((None if name in self.fields else method, name), self._shared_step(name, t, left))

    def _shared_step(self, name: str, t: Taint, node: Node) -> Taint:
        """`t` stored into the field `name`: a static field's value is kept for every later request."""
        return t.step(SHARED_FIELD, self.line(node)) if name in self.scope.shared else t

    def _keep(self, store: str, key: Node | None, t: Taint, node: Node) -> None:
        """A value kept in the session, application, cache or view state (`_STORES`) under a key:
        read back by the same key (folded, in any case), by a key the code does not fix, and, when
        the code does not fix this key, by any key. Every value is also kept under `all`, for
        reads whose key the code does not fix."""
        kept = t.step(f"keeps it in the {store}", self.line(node))
        self._set((None, f"{store}:{self._store_key(key)}"), kept)
        self._set((None, f"{store}:all"), kept)

    def _store_key(self, key: Node | None) -> str:
        """`=name` for a key written as literal text (`"k"`, `"a" + "b"`; lower case) or named by a
        constant the file declares once (`const string Key = "k"`), `?` for any other: a key held
        in a variable may hold another text where the value is stored than where it is read, so
        it is not taken as fixed."""
        if key is None or not (_literal_text(key) or self._constant_name(key)):
            return "?"
        named = as_text(self.fold(key))
        return f"={named.lower()}" if named is not None else "?"

    def _constant_name(self, key: Node) -> bool:
        """Whether a key is one name of a constant declared once in the file, and no parameter."""
        inner = unwrap(key)
        if inner.type != "identifier":
            return False
        lname = text(inner).lower()
        return (
            lname in self.scope.const_names
            and self.scope.declarations.get(lname) == 1
            and lname not in self._parameter_names()
        )

    def _kept(self, store: str, key: Node | None) -> Taint | None:
        """What a read of a store's key may give (`_keep`)."""
        named = self._store_key(key)
        if named == "?":
            return self.taints.get((None, f"{store}:all"))
        return merge(self.taints.get((None, f"{store}:{named}")), self.taints.get((None, f"{store}:?")))

    def _store_item(self, node: Node) -> tuple[str, Node | None] | None:
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
            if self.lang is not Lang.VB or len(keys) != 1:
                return None
        else:
            return None
        if obj is not None and role(obj) is Role.MEMBER:
            holder, part = member_parts(obj)
            if part.lower() in _ITEM_PARTS:
                obj = holder  # `Session.Contents["k"]`
        store = _store_named(obj)
        return (store, keys[0] if keys else None) if store is not None else None

    def _is_property(self, name: str) -> bool:
        m = self.methods.get(name.lower())
        return m is not None and m.node.type == "property_declaration"

    def _class_member(self, node: Node) -> str | None:
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
        if named.lower() not in self.classes and (self._type(named) or "").lower() not in self.classes:
            return None
        return name or None

    def _call_effects(self, node: Node, method: str | None) -> None:
        callee, args = call_parts(node)
        if callee is None:
            return
        callee = unwrap(callee)
        receiver, name = called(callee)
        receiver, name, args = self._js_called(receiver, name, args)
        lname = name.lower()
        if lname == "callbyname" and len(args) >= 4 and re.search(r"(?i)\b(?:let|set)$", text(args[2])):
            # VB `CallByName(p.StartInfo, "Arguments", CallType.Let, x)`: `p.StartInfo.Arguments = x`
            t = self.taint(args[3], method)
            if t is not None:
                self._store(unwrap(args[0]), t, method)
        # Calls to methods of this file: arguments flow into their parameters.
        m = self.methods.get(lname)
        bound = self._delegate_call(receiver, name) if m is None else None
        if bound is not None:  # `run(x)`, `run.Invoke(x)` of `Action<string> run = Go;`: a call of Go
            lname, receiver, m = bound, None, self.methods.get(bound)
        own = m is not None and (receiver is None or self._own_object(receiver))
        if m is not None and (own or (receiver is not None and m.params and _extends(m.node))):
            # `x.Run()` of `static void Run(this string s)`: x into s
            passed = args if own or receiver is None else [receiver, *args]
            m = self._overload(m, len(passed))
            if own:
                self._own_out_arguments(node, m, method)
            for pname, arg in _bound_arguments(m.params, passed):
                t = self.taint(arg, method)
                if m.rest and pname == m.params[-1]:
                    for more in passed[len(m.params) :]:  # `R("cmd.exe", Request["c"])` into `params string[] a`
                        t = merge(t, self.taint(more, method))
                if t is not None:
                    self._set((m.name, pname), t)
                a = unwrap(arg)
                kind = self._type(self._n(text(a))) if role(a) is Role.IDENT else None
                if kind is not None and self._type(pname) in {None, "object"}:
                    self._set_type(pname, kind)  # `Send(stream, data)` into `Sub Send(o As Object, ...)`
        held = self._lambda_called(receiver, name)
        lam = self._lambdas.get(held) if held is not None else None
        if lam is not None:  # `run(x)`, `run.Invoke(x)` with `Action<string> run = c => ...`: x into c
            params, where = lam
            for pname, arg in zip(params, args, strict=False):
                t = self.taint(arg, method)
                if t is not None:
                    self._set((where, self._n(pname)), t)
        state = _STATE_PASSED.get(lname)
        if state is not None and receiver is not None and len(args) > state:
            self._state_into(args[0], args[state], method)
        if receiver is not None and args and self._item_callback(args[-1]):
            parts = _each_parts(lname, receiver, args)
            if parts is not None:  # `items.ForEach(x => ...)`, `.Select(Run)`, `Array.ForEach(items, x => ...)`
                self._each_into(parts[0], parts[1], method)
        if lname == "start" and len(args) == 1 and receiver is not None and role(unwrap(receiver)) is Role.IDENT:
            body = self._thread_bodies.get(self._n(text(unwrap(receiver))))
            if body is not None:
                self._state_into(body, args[0], method)  # `t.Start(Request["c"])`
        self._out_arguments(node, receiver, args, method)
        own = receiver is None and lname in self.methods  # a page's own `Write` is that method
        if lname in _VB_FILE_WRITES and len(args) >= 2 and not own and _vb_file_call(receiver, self.lang):
            written: Taint | None = None  # `PrintLine(1, Request("c"))`: into the file opened as number 1
            for a in args[1:]:
                written = merge(written, self.taint(a, method))
            if written is not None:
                self.tainted_writes = True
                key = _file_number(args[0])
                self._put(self._written_to, key, written, None, key)
        if receiver is None or role(node) is Role.NEW:
            return
        base = _base_ident(_builder_root(receiver) if lname in WRITE_INTO else receiver)
        arg_taint: Taint | None = None
        for a in args:
            arg_taint = merge(arg_taint, self.taint(a, method))
        store = _store_named(receiver)
        if arg_taint is not None and lname in _STORE_CALLS and store is not None and len(args) >= 2:
            self._keep(store, unwrap(args[0]), arg_taint, node)  # `Session.Add("p", x)`: as `Session["p"] = x`
        if arg_taint is not None and base is not None and lname in WRITE_INTO:
            held = self._n(text(base))  # one piece of what it builds
            self._set((None if held in self.fields else method, held), self._shared_step(held, arg_taint.join(), node))
            if lname.startswith("write"):
                self.tainted_writes = True
                key = self._n(text(base))
                self._put(self._written_to, key, arg_taint, None, key)
        rt = self.taint(receiver, method)
        if rt is not None and lname in READ_INTO:
            for a in args:
                if role(unwrap(a)) is Role.NEW:  # `ReceiveAsync(new ArraySegment<byte>(buf), ...)`: into `buf`
                    a = next(iter(call_parts(unwrap(a))[1]), a)
                b = _base_ident(a)
                if b is not None and role(b) is Role.IDENT:
                    self._set((method, self._n(text(b))), rt)
                    if lname in _STREAM_COPIES:  # `upload.InputStream.CopyTo(o)`: written into the stream `o`
                        key = self._n(text(b))
                        self.tainted_writes = True
                        self._put(self._written_to, key, rt, None, key)
        if lname == "blockcopy" or (lname == "copy" and text(receiver).lower() == "array"):
            src = self.taint(args[0], method) if args else None
            dest = _copy_parts(lname, args)[1]
            if src is not None and dest is not None:
                b = _base_ident(dest)
                if b is not None:
                    self._set((method, self._n(text(b))), src)

    def _state_into(self, callback: Node, state: Node, method: str | None) -> None:
        """`ThreadPool.QueueUserWorkItem(o => Run((string)o), Request["c"])`: the state object
        given with a callback is the callback's first parameter (a lambda's, an anonymous
        method's, or a method's of this file, also through `new WaitCallback(Work)`)."""
        t = self.taint(state, method)
        if t is None:
            return
        cb = _callback(callback)
        if role(cb) is Role.LAMBDA:
            params = lambda_params(cb)
            if params:
                self._set((method, self._n(params[0])), t)
            return
        m = self.methods.get(last_name(cb)) if role(cb) in {Role.IDENT, Role.MEMBER} else None
        if m is not None and m.params:
            self._set((m.name, m.params[0]), t)

    def _setter(self, left: Node) -> tuple[str, str] | None:
        """The key of the value a property's or an indexer's setter receives, when an assignment
        stores into one the file declares: `Cmd = x`, `this.Cmd = x`, `o.Cmd = x` (a property named
        `Cmd` with a `set` accessor) and `o[i] = x` (an indexer, `this[...]`). C# names the value
        `value`; VB's `Set(v As String)` names its own."""
        r = role(left)
        if r is Role.IDENT:
            name = text(left)
        elif r is Role.MEMBER:
            name = member_parts(left)[1]
        elif r is Role.INDEX and self.lang is Lang.CSHARP:
            name = "this"
        else:
            return None
        m = self.methods.get(name.lower())
        if m is None or m.node.type not in _PROPERTY_TYPES:
            return None
        if m.node.type == "indexer_declaration" and r is not Role.INDEX:
            return None
        param = _setter_parameter(m.node)
        return (m.name, self._n(param)) if param is not None else None

    def _item_callback(self, node: Node) -> bool:
        """Whether an argument is a callback a collection's items can be handed to: a lambda, or a
        method of this file named as a method group (`items.ForEach(Run)`)."""
        cb = _callback(node)
        r = role(cb)
        return r is Role.LAMBDA or (r in {Role.IDENT, Role.MEMBER} and last_name(cb) in self.methods)

    def _each_into(self, callback: Node, items: Node, method: str | None) -> None:
        """What a collection holds, handed to the lambda (or the file's method) called with each
        item, as a state object is (`_state_into`). A lambda's parameter is keyed by its method
        and name, so `x` of one lambda must not be another's: the binding is made only when no
        other lambda of the method names its parameter so. A method's parameter is its own."""
        cb = _callback(callback)
        if role(cb) is not Role.LAMBDA:
            self._state_into(callback, items, method)
            return
        params = lambda_params(cb)
        if params and self._lambda_names(method).get(params[0].lower(), 0) == 1:
            self._state_into(callback, items, method)

    def _lambda_names(self, method: str | None) -> dict[str, int]:
        """How many lambdas of each method (given to a call or held in a variable) name each
        parameter (lower case); found once for the unit."""
        if self._lambda_params is None:
            counts: dict[str | None, dict[str, int]] = {}
            for node, where in self.nodes:
                r = role(node)
                held = call_parts(node)[1] if r in {Role.CALL, Role.NEW} else []
                if r in {Role.DECL, Role.ASSIGN}:
                    right = self._targets(node)[1]
                    held = [right] if right is not None else []
                per = counts.setdefault(where, {})
                for a in held:
                    cb = _callback(a)
                    if role(cb) is Role.LAMBDA:
                        for name in {n.lower() for n in lambda_params(cb)}:
                            per[name] = per.get(name, 0) + 1
            self._lambda_params = counts
        return self._lambda_params.get(method, {})

    def _own_out_arguments(self, node: Node, m: _Method, method: str | None) -> None:
        """`Read(out cmd)` with `void Read(out string v) { v = Request["c"]; }`: an `out` or `ref`
        argument of a method of this file takes what the method stores into that parameter."""
        args_node = next((c for c in node.named_children if c.type == "argument_list"), None)
        if args_node is None:
            return
        for pname, a in zip(m.params, args_node.named_children, strict=False):
            target: Node | None
            if pname in m.byref:  # VB: `GetIt(c)` of `Sub GetIt(ByRef v As String)`
                target = unwrap(a)
            elif (target := _by_reference(a)) is None:
                continue
            given = self.taints.get((m.name, pname))
            if given is not None and target is not None and role(target) is Role.IDENT:
                name = self._n(text(target))
                self._set((None if name in self.fields else method, name), given)

    def _out_arguments(self, node: Node, receiver: Node | None, args: list[Node], method: str | None) -> None:
        """`int.TryParse(Request["p"], out port)`, `d.TryGetValue(k, out v)`: an `out` or `ref`
        argument takes what the call is given (its other arguments and its receiver)."""
        args_node = next((c for c in node.named_children if c.type == "argument_list"), None)
        if args_node is None:
            return
        outs = [t for t in map(_by_reference, args_node.named_children) if t is not None]
        if not outs or _makes_guid(call_parts(node)[0]):
            return
        given = self.taint(receiver, method) if receiver is not None else None
        for a in args:
            given = merge(given, self.taint(a, method))
        if given is None:
            return
        for target in outs:
            self._set((method, self._n(text(target))), given)

    # ------------------------------------------------------------------ taint of an expression
    def taint(self, node: Node | None, method: str | None, depth: int = 0) -> Taint | None:
        if node is None:
            return None
        if depth > 150:
            raise Budget("expression nested too deep to follow")
        node = unwrap(node)
        key = node.id
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # cycles
        self._followed += 1
        if self._followed & 1023 == 0:
            self._check_time()  # the deadline holds inside the following of one statement too
        t = self._taint(node, method, depth)
        self._memo[key] = t
        return t

    def _taint(self, node: Node, method: str | None, depth: int) -> Taint | None:
        r = role(node)
        if r is Role.STRING and node.type == "string_literal" and node.named_child_count:
            node = node.named_children[0]  # VB wraps `$"..."` in a string literal
        if r is Role.STRING and node.type in _INTERPOLATED:
            return self._interpolated(node, method, depth)
        if r in {Role.STRING, Role.INT, Role.CHAR, Role.LAMBDA}:
            return None
        if r is Role.IDENT:
            name = self._n(text(node))
            found = self.taints.get((method, name)) or self.taints.get((None, name))
            prop = self.methods.get(name.lower()) if found is None else None
            if prop is not None and prop.node.type == "property_declaration":
                found = self.returns.get(name.lower())  # `Cmd` read through its getter
            if found is None and name.lower() == "clientquerystring" and name not in self.fields and prop is None:
                # `Page.ClientQueryString`: the query string of the URL the client asked for.
                return Taint(("the query string",), frozenset({"request"}), (), frozenset({self.line(node)}))
            if found is None and self._type(name) == WORKER_REQUEST:
                # The raw request: what any of its methods returns or reads into a buffer.
                return Taint(
                    ("the request body (HttpWorkerRequest)",), frozenset({"body"}), (), frozenset({self.line(node)})
                )
            if found is None and (kind := self._type(name)) in _SOCKETS:
                # A connection the page opened: what is read from it is the far end's to choose.
                shown = "data read from a named pipe" if kind in _PIPES else "data read from a socket"
                return Taint((shown,), frozenset({"network"}), (), frozenset({self.line(node)}))
            return found
        src = self._source(node)
        if src is not None:
            return src
        if r is Role.CALL and (fetched := self._fetched(node, method, depth)) is not None:
            return fetched
        if r is Role.BINARY:
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
                            sub = merge(sub, self.taint(p, method, depth + 1))
                    if sub is not None and op in {"^", "Xor"}:
                        sub = sub.step("XOR-decodes it", self.line(cur))
                    out = merge(out, sub)
            if out is not None and operator(node) in {"+", "&"}:
                if not out.joined and any(self.taint(p, method, depth + 1) is None for p in _operands(node)):
                    out = out.join()  # joined with text the request did not give
                first = _leftmost(node)
                prefix = as_text(self.fold(first))
                if self._in_site(first, method) or _fixed_folder(prefix):
                    out = out.only(frozenset({"web-path"}))  # a path under a folder the code fixes
                elif _fixed_host(prefix):
                    out = out.only(frozenset({"fixed-host"}))  # a URL whose server the code fixes
            return out
        if r is Role.MEMBER:
            obj, _name = member_parts(node)
            own = _own_member(node) or self._class_member(node)
            if own is not None:
                return self.taints.get((None, self._n(own))) or self.taint(obj, method, depth + 1)
            return self.taint(obj, method, depth + 1)
        if r is Role.INDEX:
            obj, _keys = index_parts(node)
            item = self._store_item(node)
            if item is not None:
                return self._kept(*item)
            if obj is not None and text(unwrap(obj)) == "this" and "this" in self.methods:
                return self.returns.get("this")  # `this["c"]`: what the page's own indexer returns
            return self.taint(obj, method, depth + 1)
        if r in {Role.CALL, Role.NEW}:
            return self._call_taint(node, method, depth)
        out = None
        for c in node.named_children:
            if role(c) in {Role.METHOD, Role.LAMBDA}:
                continue
            out = merge(out, self.taint(c, method, depth + 1))
        return out

    def _call_taint(self, node: Node, method: str | None, depth: int) -> Taint | None:
        item = self._store_item(node)
        if item is not None:
            return self._kept(*item)  # VB's `Session("k")`, `Cache.Get("k")`
        callee, args = call_parts(node)
        callee = unwrap(callee) if callee is not None else None
        if _makes_guid(callee):
            return None  # an identifier parsed from the text: it names a record, not a path, type or command
        receiver: Node | None = None
        name = ""
        if callee is not None and role(callee) is Role.MEMBER:
            receiver, name = member_parts(callee)
        elif callee is not None:
            name = text(callee).rsplit(".", 1)[-1]
        receiver, name, args = self._js_called(receiver, name, args)
        lname = name.lower().split("<")[0]
        if lname in _QUERY_READS and receiver is not None and lname not in self.methods:
            return None  # `cmd.ExecuteScalar()`: what the database holds, whoever wrote the query
        out: Taint | None = None
        if receiver is not None:
            out = self.taint(receiver, method, depth + 1)
        elif self.lang is Lang.VB and callee is not None and role(callee) is Role.IDENT and lname not in self.methods:
            # VB's `a(0)` of an array variable: an item of what the variable holds
            key = self._n(name)
            out = self.taints.get((method, key)) or self.taints.get((None, key))
            if out is None and name.lower() in self._declared and self._constant_item(node):
                return None  # `tools(i)` of an array of fixed texts: the index only picks one
        for a in args:
            out = merge(out, self.taint(a, method, depth + 1))
            if lname not in _RUNS_LAMBDA:
                continue
            for returned in _returned_by(unwrap(a)):  # `Task.Run(() => Request["c"])`, or a block's returns
                out = merge(out, self.taint(returned, method, depth + 1))
        held = self._lambda_called(receiver, name)
        lam = self._lambdas.get(held) if held is not None else None
        if lam is not None and held is not None:
            # `f()` or `f.Invoke()` of `Func<string> f = () => Request["c"]`: what it returns, where it was written
            for returned in self._lambda_returns.get(held, ()):
                out = merge(out, self.taint(returned, lam[1], depth + 1))
        local = self.methods.get(lname)
        bound = self._delegate_call(receiver, name) if local is None else None
        if bound is not None:  # `run(x)` of `Func<string, string> run = Go;`: what Go returns
            lname, receiver, local = bound, None, self.methods.get(bound)
        if local is not None and (
            receiver is None or self._own_object(receiver) or (local.params and _extends(local.node))
        ):  # (an extension method of the file: `"c".Q()` of `static string Q(this string k)`)
            ret = self.returns.get(lname)
            if _returns_records(local.node):
                out = None  # `DataSet Load(string sql)`: the records are what its body puts in them
            if out is not None:
                for s in local.steps:
                    out = out.step(s, self.line(node))
                out = out.merge(ret) if ret is not None else out
            else:
                out = ret
        if out is None:
            return None
        if lname in _JOINING and any(self.taint(a, method, depth + 1) is None for a in args):
            out = out.join()  # `string.Format("... {0}", x)`, `string.Concat(a, x)`: text around it
        line = self.line(node)
        step = TRANSFORMS.get(lname)
        if step:
            out = out.step(step, line)
        if lname in CIPHER_CALLS:
            out = out.step(f"decrypts it with {cipher_name(text(node) + ' ' + self._types_text())}", line)
        if lname in NAME_ONLY:
            out = out.only(frozenset({"name"}))
        elif (
            lname in WEB_PATH
            or (lname == "combine" and args and self._in_site(args[0], method))
            or (lname == "format" and args and _fixed_folder((as_text(self.fold(args[0])) or "").split("{")[0]))
        ):
            out = out.only(frozenset({"web-path"}))
        return out

    def _own_object(self, receiver: Node) -> bool:
        """Whether a call's receiver is this object or a variable of a class the file declares
        (`conn.Open(host, port)` with `SessionConnection conn` defined in the same page): its
        arguments then flow into that method's parameters like a call of the page's own."""
        name = text(receiver)
        if name in {"this", "Me", "me"}:
            return True
        receiver = unwrap(receiver)
        if role(receiver) is Role.NEW:  # `new Runner().Go(x)`
            callee, _ = call_parts(receiver)
            return last_name(callee) in self.classes
        if role(receiver) is not Role.IDENT:
            return False
        if name.lower() in self.classes:
            return True  # `Util.Exec(x)`: a static method of a class the file declares
        kind = self._type(name)
        return kind is not None and kind.lower() in self.classes

    def _made_by_name(self, value: Node, path: tuple[str, ...]) -> str | None:
        """The type (last name, lower case) of an object made from an assembly's name and a type's
        name: `Activator.CreateInstance("System", "System.Diagnostics.Process").Unwrap()` and
        `AppDomain.CurrentDomain.CreateInstanceAndUnwrap(...)` with the names folded."""
        made = value
        if path[-1:] == ("unwrap",):
            callee = call_parts(value)[0]
            held = (
                member_parts(unwrap(callee))[0] if callee is not None and role(unwrap(callee)) is Role.MEMBER else None
            )
            if held is None or role(held) is not Role.CALL or last_name(call_parts(held)[0]) != "createinstance":
                return None
            made = held
        elif path[-1:] != ("createinstanceandunwrap",):
            return None
        args = call_parts(made)[1]
        named = as_text(self.fold(args[1])) if len(args) > 1 else None
        if not named:
            return None
        self.note_folded(args[1], named)
        return (_type_last_name(named) or "").lower() or None

    def _type(self, name: str) -> str | None:
        """The type of a variable, by its name as written or in lower case (`Sock` and the
        lower-cased segment `sock` of a callee's path are the same variable)."""
        return self.types.get(name) or self._types_lower.get(name.lower())

    def _in_site(self, node: Node, method: str | None) -> bool:
        """Whether a path starts at a folder of the site: `Server.MapPath(...)`, or a variable
        holding such a path."""
        node = unwrap(node)
        r = role(node)
        if r is Role.CALL:
            callee, _ = call_parts(node)
            return last_name(callee) in WEB_PATH
        if r is Role.IDENT:
            key = self._n(text(node))
            t = self.taints.get((method, key)) or self.taints.get((None, key))
            if t is not None:
                return t.kinds == frozenset({"web-path"})
            return text(node).lower() in self._site_paths
        return dotted(node).lower() in SITE_FOLDERS

    def _types_text(self) -> str:
        return " ".join(self.types.values())

    def _fetched(self, node: Node, method: str | None, depth: int) -> Taint | None:
        """What a download call returns (`WebClient.DownloadData(url)`, `HttpClient.GetStringAsync`),
        or the body of a response already received (`resp.GetResponseStream()`): the far server's
        to choose, as data read from a socket is (it counts only where it is run as code or as a
        command). A response whose request the client steered keeps that taint instead."""
        callee, args = call_parts(node)
        if callee is None or role(unwrap(callee)) is not Role.MEMBER:
            return None
        name = last_name(callee)
        if name in _RESPONSE_BODIES and not args:
            receiver = member_parts(unwrap(callee))[0]
            if receiver is not None and self.taint(receiver, method, depth + 1) is not None:
                return None
            return Taint(("the body of a web response",), frozenset({"network"}), (), frozenset({self.line(node)}))
        if not args or name not in _DOWNLOADS:
            return None
        url = as_text(self.fold(args[0]))
        where = f"the file downloaded from {show(url, 80)}" if url else "a file downloaded from the network"
        return Taint((where,), frozenset({"network"}), (), frozenset({self.line(node)}))

    def _source(self, node: Node) -> Taint | None:
        """Request data named directly: Request.Form["x"], Request("x"), Request.InputStream..."""
        r = role(node)
        keys: list[Node] = []
        if r is Role.INDEX:
            obj, keys = index_parts(node)
        elif r is Role.CALL:
            obj, keys = call_parts(node)
            obj = unwrap(obj) if obj is not None else None
            holder = member_parts(obj)[0] if obj is not None and role(obj) is Role.MEMBER else None
            if holder is not None and role(unwrap(holder)) in {Role.CALL, Role.INDEX}:
                # VB's `Request.Form("c").Trim()`: a call on what a call gave, not a look-up
                # whose arguments are the keys; the value comes through the receiver, key and all.
                return None
        elif r is Role.MEMBER:
            obj = node
        else:
            return None
        if obj is None:
            return None
        path = dotted(obj).lower().replace("()", "").split(".")
        while len(path) > 1 and path[0] in {"this", "me"}:
            path = path[1:]
        if r is Role.MEMBER and path in (["clientquerystring"], ["page", "clientquerystring"]):
            return Taint(("the query string",), frozenset({"request"}), (), frozenset({self.line(node)}))
        if path and path[0] == "?":
            root = _chain_root(obj)
            found = self._find_control(root) if root is not None else None
            if found is not None and len(path) > 1 and path[1] in CONTROL_MEMBERS:
                # `((TextBox)FindControl("cmd")).Text`, `(FindControl("cmd") as TextBox).Text`:
                # the control's posted value, inline
                shown = f"page control '{found[0]}' ({found[1]}.{path[1]})"
                kind = "name" if path[-1] == "filename" else CONTROL_MEMBERS[path[1]]
                return Taint((shown,), frozenset({kind}), (), frozenset({self.line(node)}))
            if root is not None and role(root) is Role.CAST and root.named_child_count:
                inner = unwrap(root.named_children[-1])  # `((HttpRequest)o).Form`: `o`
                if role(inner) is Role.IDENT:
                    path[0] = text(inner).lower()
                elif role(inner) is Role.NEW and _REQUEST_TYPE.search(text(inner).split("(", 1)[0]):
                    path[0] = "request"  # `((HttpRequestBase)new HttpRequestWrapper(...)).Form`
        # `new HttpRequestWrapper(Request).Form`: the same request, wrapped
        path = ["request" if seg == "httprequestwrapper" else seg for seg in path]
        if path and path[0] in SOURCE_MEMBERS and self._with_request(node):
            path = ["request", *path]  # `Form("c")` in JScript's `with (Request) {...}`
        if path and path[0] in self._requests:
            path = ["request", *path[1:]]  # a variable holding the request object
        line = self.line(node)
        control = self._control(path, line)
        if control is not None:
            return control
        if len(path) > 1 and path[1] == self._edit_args.get(path[0]):
            # `e.NewValues["c"]` of a GridView's update event: what the client typed into the row
            return Taint(("values edited in a data control's row",), frozenset({"control"}), (), frozenset({line}))
        if len(path) > 1 and (path[-1] == "websocket" or path[-2:] == ["websockets", "acceptwebsocketasync"]):
            # The server's end of a WebSocket the client opened (`AspNetWebSocketContext.WebSocket`,
            # ASP.NET Core's `WebSockets.AcceptWebSocketAsync()`): what it receives is the client's.
            return Taint(("a WebSocket message from the client",), frozenset({"request"}), (), frozenset({line}))
        if "routedata" in path and path[path.index("routedata") + 1 :][:1] == ["values"]:
            # `RouteData.Values["x"]` (the page's, or `Request.RequestContext`'s): a segment of
            # the URL the client chose, as a route template cut it out
            if keys or r is Role.INDEX:
                key = as_text(self.fold(keys[0])) if keys else None
                keyed = f" '{key}'" if key else ""
                return Taint((f"route value{keyed}",), frozenset({"request"}), (), frozenset({line}))
            return None
        if "request" in path:
            # the last request of the chain: `Request.RequestContext.HttpContext.Request.Form`
            i = len(path) - 1 - path[::-1].index("request")
            rest = path[i + 1 :]
            key = as_text(self.fold(keys[0])) if keys else None
            keyed = f" '{key}'" if key else ""
            if not rest:
                if r is Role.MEMBER:
                    return None  # the Request object itself, passed along
                return Taint((f"request parameter{keyed}",), frozenset({"request"}), (), frozenset({line}))
            if rest[0] == "unvalidated":  # `Request.Unvalidated.Form[...]`: the same data, unchecked
                rest = rest[1:]
                if not rest:
                    return Taint((f"request parameter{keyed}",), frozenset({"request"}), (), frozenset({line}))
            member = rest[0]
            if member in SOURCE_MEMBERS:
                kind, desc = SOURCE_MEMBERS[member]
                if member == "files" and len(rest) > 1 and rest[-1] == "filename":
                    return Taint(("an uploaded file's name",), frozenset({"name"}), (), frozenset({line}))
                if kind == "body" or member == "files":
                    return Taint((desc,), frozenset({kind}), (), frozenset({line}))
                if len(rest) == 1 and r is Role.MEMBER:
                    if desc.startswith("the "):  # one value (the URL, the user agent), not a collection
                        return Taint((desc,), frozenset({kind}), (), frozenset({line}))
                    return Taint((f"{desc}s",), frozenset({kind}), (), frozenset({line}))
                return Taint((f"{desc}{keyed}",), frozenset({kind}), (), frozenset({line}))
            return None
        return None

    def _with_request(self, node: Node) -> bool:
        """Whether the nearest `with` block around a node (JScript's `with (Request) {...}`,
        VB's `With Request ... End With`) is on the request object."""
        held = with_object(node)
        if held is None:
            return False
        named = dotted(held).lower().replace("()", "").split(".")
        while len(named) > 1 and named[0] in {"this", "me", "page", "context", "httpcontext", "current"}:
            named = named[1:]
        return named == ["request"] or (len(named) == 1 and named[0] in self._requests)

    def _control(self, path: list[str], line: int) -> Taint | None:
        """What the client posted back through a page control (`cmd.Text`, `up.PostedFile`)."""
        while path and path[0] in {"this", "me", "page"}:
            path = path[1:]
        if len(path) < 2:
            return None
        kind = CONTROL_MEMBERS.get(path[1])
        if kind is None:
            return None
        if path[0] in self.controls:
            shown = f"page control '{path[0]}' ({self.controls[path[0]]}.{path[1]})"
        elif self._markup_control(path[0]):
            shown = f"control '{path[0]}' (.{path[1]}; declared in markup that was not read)"
        else:
            return None
        if path[-1] == "filename":
            kind = "name"
        return Taint((shown,), frozenset({kind}), (), frozenset({line}))

    def _markup_control(self, name: str) -> bool:
        """In a code-behind read without its markup: whether `name` can only be a control the
        markup declares. The class's own members, locals, parameters and types are not, nor are
        the page's inherited members (`Request`, `Session`, `Master`...) or the framework's names."""
        return (
            self.scope.unread_markup
            and name.isidentifier()
            and name not in self._declared
            and name not in self.scope.declarations
            and name not in self.methods  # the class's own properties (and methods)
            and name not in self.classes
            and name not in self._requests
            and name not in FRAMEWORK_ROOTS
            and name not in PAGE_MEMBERS
            and self._type(name) is None
            and name not in self._parameter_names()
        )

    def _upload_control(self, node: Node) -> Taint | None:
        """`Upload.SaveAs(...)` on a FileUpload or `<input type=file>` control the page declares:
        the content saved is the file the client posted."""
        name = text(unwrap(node)).lower()
        for prefix in ("this.", "me.", "page."):
            name = name.removeprefix(prefix)
        kind = self.controls.get(name)
        if kind not in {"FileUpload", "HtmlInputFile"}:
            return None
        line = self.line(node)
        return Taint((f"page control '{name}' ({kind})",), frozenset({"upload"}), (), frozenset({line}))

    # ------------------------------------------------------------------ sinks
    def _resolved_path(self, callee: Node | None, is_new: bool) -> tuple[tuple[str, ...], bool]:
        """Callee as lower-case segments with a leading variable replaced by its type, and a call
        on what another call returns named by the type returned (`CALL_RETURNS`)."""
        if callee is not None and role(unwrap(callee)) is Role.MEMBER and not is_new:
            holder, member = member_parts(unwrap(callee))
            prog = self._com_class(holder) if holder is not None and role(holder) is not Role.IDENT else None
            if prog:  # `GetObject("new:{...}").Exec(...)`
                return (*prog.split("."), member.lower()), True
            if holder is not None and role(unwrap(holder)) is Role.CALL:
                # `AppDomain.CreateDomain("x").Load(b)`: one level, as a variable holding it would be
                inner, _ = call_parts(unwrap(holder))
                returned = _returned_type(*self._typed_path(inner))
                if returned is not None:
                    return (*returned.split("."), member.lower()), True
        return self._typed_path(callee)

    def _typed_path(self, callee: Node | None) -> tuple[tuple[str, ...], bool]:
        """Callee as lower-case segments with a leading variable replaced by its type."""
        written = dotted(callee)
        raw = _GENERIC_ARGS.sub("", written.lower().replace("()", "").replace("[]", ""))
        raw = _GENERIC_ARGS.sub("", raw)  # (nested: `Func<List<string>>`)
        parts = [p.split("<")[0] for p in raw.split(".") if p]
        if len(parts) > 1 and parts[0] in self._aliases:
            parts = [*self._aliases[parts[0]], *parts[1:]]  # `using P = System.Diagnostics.Process;` then `P.Start`
        elif len(parts) == 1 and self._static_types and parts[0] not in self.methods:
            parts = self._statically_imported(parts[0])  # `using static System.Diagnostics.Process;` then `Start`
        has_receiver = len(parts) > 1
        kind = self._receiver_type(written.split(".", 1)[0], parts[0]) if has_receiver else None
        if kind is not None:
            over = self._writer_over.get(parts[0]) if len(parts) == 2 and parts[1] in _WRITER_WRITES else None
            if over is not None:
                parts = [over, "write"]  # `w.WriteLine(x)` on a writer over a socket: into the socket
            else:
                parts = [*kind.split("."), *parts[1:]]
        elif has_receiver and parts[0] in {"this", "base", "me"}:
            parts = parts[1:]
            has_receiver = len(parts) > 1
        return tuple(parts), has_receiver

    def _receiver_type(self, written: str, lowered: str) -> str | None:
        """The type of the variable a callee's path starts with (`lowered`, its first segment in
        lower case; `written`, as the code spells it). C# and JScript tell names apart by case:
        `Process.Start` is the class's, not a local `string process`'s, so a variable of another
        spelling is not this name (VB's names are one in any case)."""
        if self.lang is Lang.VB or written.lower() != lowered:
            return self._type(lowered)
        exact = self.types.get(written)
        if exact is not None:
            return exact
        if lowered in self._types_lower and lowered not in self.scope.objects:
            return None  # a variable spelled otherwise (`process` beside the class `Process`)
        return self._types_lower.get(lowered)

    def _statically_imported(self, name: str) -> list[str]:
        """`Start` under `using static System.Diagnostics.Process;`: the first imported type
        with a method of that name a rule names, else the name alone."""
        for kind in self._static_types:
            path = (*kind, name)
            if any(pt.matches(path, False, True) for rule in self.rules for pt in rule.patterns):
                return list(path)
        return [name]

    def _patterns_named(self, name: str) -> list[tuple[SinkRule, SinkPattern]]:
        """The rules' patterns whose call ends in `name`, in the rules' order: a pattern only
        matches a call whose last name is its own, so a page of thousands of calls does not try
        every pattern on each."""
        if self._by_name is None:
            self._by_name = {}
            for rule in self.rules:
                for pattern in rule.patterns:
                    self._by_name.setdefault(pattern.parts[-1], []).append((rule, pattern))
        return self._by_name.get(name, [])

    def _sinks(self) -> None:
        for node, method in self.nodes:
            r = role(node)
            if r is Role.STRING:
                self._literal(node)
                continue
            if r is Role.INDEX:
                self._indexed(node, method)
                continue
            if (r is Role.ASSIGN and operator(node) == "+=") or node.type == "add_handler_statement":
                self._event_hook(node, method)
                continue
            if r not in {Role.CALL, Role.NEW}:
                continue
            self._check_time()
            callee, args = call_parts(node)
            is_new = r is Role.NEW
            path, has_receiver = self._resolved_path(callee, is_new)
            values = [self.fold(a) for a in args]
            for a, v in zip(args, values, strict=False):
                self.note_folded(a, v)
            if not is_new and path and path[-1] in {"invoke", "invokemember", "dynamicinvoke"}:
                self._reflective(node, callee, args, method)
            if not is_new and path and path[-1] == "callbyname" and len(args) > 1:
                self._called_by_name(node, args, method)
            if not is_new and path[-2:] in _LATE_BINDERS and len(args) > 3:
                self._late_bound(node, args, method)
            if not is_new and path[-2:] == ("expression", "call") and args:
                self._expression_call(node, args, method)
            if not is_new and (
                path[-2:] in _DYNAMIC_METHOD_CALLS or (len(path) == 1 and self._type(path[0]) == "dynamicmethod")
            ):
                self._emitted_calls(node, args, method)  # `dm.Invoke(...)`, or `run(...)` of its delegate
            if not is_new and len(path) == 1 and callee is not None and role(unwrap(callee)) is Role.IDENT:
                ref = self._method_variables().get(self._n(text(unwrap(callee))))
                if ref is not None:  # `load(data)` of a delegate over `typeof(Assembly).GetMethod("Load")`
                    how = f"called through a delegate made by reflection, as {ref[0]}.{ref[1]}"
                    self._call_as(node, args, method, ref, how)
            if (
                not is_new
                and self.lang is Lang.JSCRIPT
                and callee is not None
                and role(unwrap(callee)) is Role.INDEX
                and self._js_global_eval(callee)
            ):  # `this["ev" + "al"](code, "unsafe")`
                self._call_as(node, args, method, ("eval",), f"called as {' '.join(text(callee).split())}")
            if not is_new and path and path[-1] in _EACH_ANY:
                self._framework_group(node, callee, args, path[-1], method)
            bound = self._bound_method(path, callee) if not is_new else None
            if bound is not None:  # `run(x)` or `run.Invoke(x)` of `Func<string, Process> run = Process.Start`
                self._call_as(node, args, method, bound[0], f"called through a delegate bound to {bound[1]}")
            if not is_new and not has_receiver and len(path) == 1 and self._own_body(path[0]):
                continue  # `Rename(a, b)` of the file's own `Rename`: not VB's function of that name
            if not is_new and args and (path[-2:] == ("response", "write") or path[-3:] == _OUTPUT_WRITE):
                self._served_back(node, args, values, method)
            hit_rules: set[str] = set()  # each rule's first matching pattern only
            for rule, pattern in self._patterns_named(path[-1] if path else ""):
                if rule.rule_id in hit_rules or not pattern.matches(path, is_new, has_receiver):
                    continue
                if pattern.label in {"eval", "new Function"} and self.lang is not Lang.JSCRIPT:
                    continue
                if pattern.label == ".SetValue" and _not_a_key(path):
                    continue  # an array's item or a reflected property set, not a registry value
                if pattern.label == ".AddCommand" and len(args) > 2:
                    continue  # PowerShell's takes a command and a scope flag; a menu's command list takes more
                self._hit(rule, pattern.label, node, callee, args, values, method, pattern.argument)
                hit_rules.add(rule.rule_id)
            if not is_new and has_receiver and path and path[-1] in _POWERSHELL_ARGS and self._runs_scripts():
                # `ps.AddCommand("Invoke-Expression").AddParameter("Command", x)`: the value of a
                # script-running cmdlet's parameter is a script, as AddScript's argument is
                at = 1 if path[-1] == "addparameter" else 0
                process = next((rule for rule in self.rules if rule.capability == "process"), None)
                if process is not None and len(args) > at:
                    label = "AddParameter" if at else "AddArgument"
                    self._hit(process, f"{label} of a script-running cmdlet", node, callee, args, values, method, at)

    def _framework_group(
        self, node: Node, callee: Node | None, args: list[Node], name: str, method: str | None
    ) -> None:
        """`items.Select(Process.Start)`, `Array.ForEach(items, File.Delete)`: a method of the
        framework named as a method group is called with each item, and counts as a call of it
        with the collection would (the file's own methods are followed as lambdas are)."""
        holder = member_parts(unwrap(callee))[0] if callee is not None and role(unwrap(callee)) is Role.MEMBER else None
        parts = _each_parts(name, holder, args)
        if parts is None:
            return
        group, items = parts
        cb = _callback(group)
        if role(cb) is not Role.MEMBER or last_name(cb) in self.methods:
            return
        target, _ = self._resolved_path(cb, False)
        if len(target) > 1:
            shown = " ".join(text(cb).split())
            self._call_as(node, [items], method, target, f"called with each item as the method group {show(shown, 80)}")

    def _own_body(self, name: str) -> bool:
        """Whether the file declares a method of this name with code of its own: a bare call of it
        is that method (which the flow follows into), not a global function of the same name. A
        native function the file declares (`extern`, VB's `Declare`) is the function itself."""
        m = self.methods.get(name)
        return m is not None and not m.native

    def _runs_scripts(self) -> bool:
        """Whether the unit adds a cmdlet that runs its argument as a script to a PowerShell
        pipeline (`AddCommand("Invoke-Expression")`, `iex`, `Invoke-Command`)."""
        if self._script_cmdlet is None:
            self._script_cmdlet = False
            for node, _method in self.nodes:
                if role(node) is not Role.CALL:
                    continue
                callee, args = call_parts(node)
                if args and dotted(callee).lower().replace("()", "").endswith(".addcommand"):
                    named = (as_text(self.fold(args[0])) or "").strip().lower()
                    if named in _SCRIPT_CMDLETS:
                        self._script_cmdlet = True
                        break
        return self._script_cmdlet

    def _indexed(self, node: Node, method: str | None) -> None:
        """`ConfigurationManager.ConnectionStrings[key]`: an indexer a rule names (`Member[]`)
        acts on its key as a call acts on its argument."""
        obj, keys = index_parts(node)
        if obj is None or not keys or role(obj) not in {Role.MEMBER, Role.IDENT}:
            return
        path, has_receiver = self._resolved_path(obj, False)
        for rule in self.rules:
            for pattern in rule.patterns:
                if pattern.indexer and pattern.matches(path, False, has_receiver, indexed=True):
                    self._check_time()
                    values = [self.fold(k) for k in keys]
                    self._hit(rule, pattern.label, node, None, keys, values, method, pattern.argument)
                    break

    def _hit(
        self,
        rule: SinkRule,
        api: str,
        node: Node,
        callee: Node | None,
        args: list[Node],
        values: list[Value | None],
        method: str | None,
        argument: int | None = None,
    ) -> None:
        if rule.capability == "credential-capture" and any(".config" in text(a).lower() for a in args):
            return  # an installer writing the database password it was given into web.config
        if (
            rule.capability == "dynamic-code"
            and api == "Activator.CreateInstance"
            and (len(args) < 2 or self._names_a_type(args[0]))
        ):
            return  # `CreateInstance(type, ...)`: reflection's; only `(assemblyName, typeName)` loads one
        if rule.capability == "dynamic-code" and callee is not None and role(unwrap(callee)) is Role.MEMBER:
            held, called_name = member_parts(unwrap(callee))
            if self._delegate_call(held, called_name) is not None:
                return  # `run.Invoke(x)` of `Action<string> run = Go`: a call of the page's own method
            lam = self._lambda_called(held, called_name)
            if lam is not None and lam in self._lambdas:
                return  # `run.Invoke(x)` of `Action<string> run = c => ...`: the lambda's body is read as called
        t: Taint | None = None
        for i, a in enumerate(args):
            if rule.capability in _NAMED_BY_CODE and self._names_file(a):
                continue  # the client picks at most the folder; the code names the file
            if rule.capability in _QUERY_TEXTS and self._query_option(a):
                continue  # the directory entry or WMI scope searched (a sign-in's password), not the query
            if rule.capability == "wmi-query" and len(args) > 1 and i != 1:
                continue  # `(scope, query[, options])`: the scope names a machine, not what is asked of it
            if rule.capability == "com-object":
                a = _guid_text(a)  # a class ID the client writes names the class, Guid or not
            if argument is None or i == argument:  # `Label#N`: the other arguments are names or options
                t = merge(t, self.taint(a, method))
        receiver = None
        if callee is not None and role(unwrap(callee)) is Role.MEMBER:
            receiver, _ = member_parts(unwrap(callee))
            named = receiver is not None and rule.capability in _NAMED_BY_CODE and self._names_file(receiver)
            if argument is None and not named:
                t = merge(t, self.taint(receiver, method))
        if rule.capability == "file-read" and args and _response_body(args[0]):
            t = None  # a reader over a web response: the far server's answer, not a file the client names
        if rule.capability == "file-read" and args and _in_memory_reader(args[0]):
            t = None  # `XmlReader.Create(new StringReader(Request["x"]))`: the text itself, no path
        if api in _RESOURCE_READERS and args and not (_in_memory_reader(args[0]) or _request_stream(args[0])):
            t = None  # `new ResXResourceReader(path)`: a file the request names, not resources it carries
        if api == "new Attachment" and args and self._stream_given(args[0]):
            t = None  # `new Attachment(upload.InputStream, name)`: the stream's bytes, not a path it names
        if rule.capability == "file-read" and api in _VB_FILE_OPENS and _vb_output(args):
            t = None  # `FileOpen(1, path, OpenMode.Output)`: opened to write (the file-write rule's)
        message = rule.capability == "credential-capture" and api in _MESSAGE_SENDS and 0 < len(args) < 4
        if message:  # `smtp.Send(m)`: what was stored into the message, sent where it names
            t = self.taint(args[0], method)
        if t is None and rule.capability == "process":
            t = self._expanded(args, values)  # `cmd /c %X%` after `SetEnvironmentVariable("X", Request["c"])`
        built = False
        if t is None and rule.capability == "process" and not args and role(node) is Role.NEW:
            t = self._built_with(node, method)
            built = t is not None
        if t is None and rule.capability in _SET_LATER and role(node) is Role.NEW:
            t = self._query_text(node, _SET_LATER[rule.capability])
        first = text(args[0])[:120] if args else ""
        hit = SinkHit(rule.rule_id, rule.capability, api, self.line(node), t, method, values, built=built, first=first)
        if api == ".SetValue" and receiver is not None:
            hit.key = self._writable_key(receiver)
        hit.unresolved = self._unresolved(rule.capability, args, values)
        if api in _PROCESS_CALLS and not any(as_text(v) for v in values):
            hit.args = self._fixed_command(args) or values  # what it was given to run, stored or initialized
        if message:
            hit.recipients = self._recipients(args[0])
        if rule.capability == "file-write":
            hit.taint, hit.content = self._write_taint(node, api, args, receiver, method)
        elif rule.capability == "page-write":
            hit.taint, page = self._page_write(node, api, args, receiver, method)
            hit.note = f"into {show(page, 80)}" if page else ""
        elif rule.capability == "http-tunnel":
            hit.taint = self._url_taint(api, args, receiver, method)
        elif rule.capability == "http":
            hit.taint = self._fetch_taint(args, method, argument)
        elif rule.capability == "any-method":
            hit.taint, hit.note = self._any_method(api, args, receiver, method)
        self.hits.append(hit)

    def _names_a_type(self, node: Node, depth: int = 0) -> bool:
        """Whether an argument is a `Type` (`typeof(T)`, `Type.GetType(...)`, `o.GetType()`, or
        a variable declared as one or set to one), not an assembly's name: which overload of
        `Activator.CreateInstance` a call is."""
        inner = unwrap(node)
        said = re.sub(r"\s+", "", text(inner)).lower()
        if said.startswith("typeof(") or "gettype(" in said or said.endswith(".type"):
            return True
        if role(inner) is not Role.IDENT or depth > 2:
            return False
        if (self._type(self._n(text(inner))) or "").rsplit(".", 1)[-1] == "type":
            return True
        return any(self._names_a_type(v, depth + 1) for v in self._values_of(inner)[:4])

    def _writable_key(self, receiver: Node, depth: int = 0) -> str:
        """The path of the registry key a value is set on, hive first, when the code opened or
        created it for writing (`Registry.LocalMachine.OpenSubKey(@"...\\Run", true)`,
        `CreateSubKey(...)`, or a variable set only to one); "" otherwise."""
        node = unwrap(receiver)
        if role(node) is Role.IDENT and depth < 2:
            values = self._values_of(node)
            return self._writable_key(values[0], depth + 1) if len(values) == 1 else ""
        if role(node) is not Role.CALL:
            return ""
        callee, args = call_parts(node)
        opened = last_name(callee)
        if callee is None or opened not in {"opensubkey", "createsubkey"} or not args:
            return ""
        if role(unwrap(callee)) is not Role.MEMBER:
            return ""
        if opened == "opensubkey" and (len(args) < 2 or not _WRITABLE.search(text(args[1]))):
            return ""
        path = as_text(self.fold(args[0]))
        held = member_parts(unwrap(callee))[0]
        hive = self._hive(held) if held is not None else None
        return f"{hive}\\{path}" if path and hive else ""

    def _hive(self, node: Node, depth: int = 0) -> str | None:
        """The hive a registry key object stands for: `Registry.LocalMachine`,
        `RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry64)` (the 64-bit
        view of 64-bit code), or a variable set only to one of them."""
        node = unwrap(node)
        if role(node) is Role.IDENT and depth < 2:
            values = self._values_of(node)
            return self._hive(values[0], depth + 1) if len(values) == 1 else _HIVES.get(last_name(node))
        if role(node) is Role.CALL:
            callee, args = call_parts(node)
            if last_name(callee) == "openbasekey" and args:
                return _HIVES.get(last_name(unwrap(args[0])))
            return None
        return _HIVES.get(last_name(node))

    def _in_namespace(self, node: Node) -> bool:
        """Whether a type is looked up under a namespace the code fixes
        (`Type.GetType("MyApp.Handlers." + Request["h"])`): the client picks among the
        application's own types, not any type."""
        node = unwrap(node)
        if role(node) is Role.IDENT:  # `t = Type.GetType(...)` first: every value it is set to
            values = self._values_of(node)
            return bool(values) and all(role(unwrap(v)) is not Role.IDENT and self._in_namespace(v) for v in values)
        if role(node) is Role.CALL:
            callee, args = call_parts(node)
            if last_name(callee) == "gettype" and args:
                node = unwrap(args[0])
        if role(node) is not Role.BINARY or operator(node) not in {"+", "&"}:
            return False
        prefix = as_text(self.fold(_leftmost(node)))
        return prefix is not None and prefix.endswith(".") and len(prefix) > 1

    def _any_method(
        self, api: str, args: list[Node], receiver: Node | None, method: str | None
    ) -> tuple[Taint | None, str]:
        """`Type.GetType(Request["t"]).GetMethod(Request["m"])`, its `InvokeMember` form and VB's
        `CallByName(obj, Request("m"), ...)` on an object of such a type: the client names both
        the type and the method, so any method of any loaded type is called. Also half of it,
        where the other half is one that reaches a command, code or files: the method the client
        names on a type such as `Process` or `File` (`typeof(Process).GetMethod(Request["m"])`),
        or a method such as `Start` or `Load` on the type the client names
        (`Type.GetType(Request["t"]).GetMethod("Start")`). (taint, what was named)."""
        callbyname = api.lower().endswith("callbyname")
        if callbyname:
            target, name = (args[0], args[1]) if len(args) > 1 else (None, None)
        else:
            target, name = receiver, (args[0] if args else None)
        if target is None or name is None or self._in_namespace(target):
            return None, ""
        type_t, name_t = self.taint(target, method), self.taint(name, method)
        by_type = type_t is not None and bool(type_t.kinds & _CLIENT_TEXT)
        by_name = name_t is not None and bool(name_t.kinds & _CLIENT_TEXT)
        if by_type and by_name and type_t is not None and name_t is not None:
            return type_t.merge(name_t), "the method it names, on the type it names"
        if callbyname:
            return None, ""
        if by_name and type_t is None:
            typed = self._reflected_type(target)
            if typed is not None and typed.lower() in _REACHING_TYPES:
                return name_t, f"the method it names, on {typed}"
        if by_type and name_t is None:
            named = as_text(self.fold(name))
            example = _REACHING_METHODS.get((named or "").lower())
            if named and example is not None:
                return type_t, f"{named} on the type it names, {example} when it names that type"
        return None, ""

    def _names_file(self, node: Node) -> bool:
        """Whether a path ends in a file name the code writes after a separator (`root + skin +
        "\\config\\templates.json"`, `$"{dir}/{lang}/strings.xml"`, `Path.Combine(dir, "a.txt")`,
        or a variable only ever so assigned): whatever the request adds before it, it cannot name
        the file read. Configuration and key files are left out: a fixed `web.config` under a
        folder the client picks is how a shell reaches another site's machine key."""
        node = unwrap(node)
        r = role(node)
        tail: str | None = None
        if r is Role.IDENT:
            name = text(node).lower()
            return name in self._named_files and name not in self._unnamed_files
        if r is Role.MEMBER:  # `info.FullName` of such a FileInfo
            obj, member = member_parts(node)
            return member.lower() == "fullname" and obj is not None and self._names_file(obj)
        if r is Role.NEW:  # `new FileInfo(dir + "\\a.json")`
            callee, args = call_parts(node)
            return dotted(callee).lower().endswith("fileinfo") and bool(args) and self._names_file(args[0])
        if r is Role.BINARY and operator(node) in {"+", "&"}:
            tail = as_text(self.fold(_last_joined(node)))
        elif r is Role.STRING and node.type in _INTERPOLATED:
            parts: list[str] = []
            for part in node.named_children:
                if part.type in _HOLES:
                    parts = []
                elif part.type in _HOLE_TEXT:
                    parts.append(text(part))
            tail = "".join(parts)
        elif r is Role.CALL:
            callee, args = call_parts(node)
            if dotted(callee).lower().endswith("path.combine") and len(args) >= 2:
                last = as_text(self.fold(args[-1]))
                tail = "/" + last if last and not _FOLDER.match(last) else None
        if not tail:
            return False
        m = _FILE_NAME_TAIL.search(tail)
        return m is not None and m.group(1).lower() not in _SECRET_FILES

    def _built_with(self, node: Node, method: str | None) -> Taint | None:
        """`psi = new ProcessStartInfo()` (or `new Process()`) created empty: what is stored into
        the variable afterwards (`psi.Arguments = "/c " + cmd`, `p.StartInfo = psi`) is what it
        runs, however it is then started (directly, by a delegate, `CallByName`, `dynamic`)."""
        left = self._stored_in(node)
        return None if left is None else self.taint(left, method)

    def _query_text(self, node: Node, member: str) -> Taint | None:
        """`cmd = new SqlCommand()` (`new DirectorySearcher(entry)`, `new
        ManagementObjectSearcher()`) created without its text: what is stored into
        `cmd.CommandText` (`ds.Filter`, `searcher.Query`) is the text it runs, not what goes
        into its parameters or the entry it searches; a mail client's `Host`, the server it
        sends through."""
        left = self._stored_in(node)
        return None if left is None else self._query_texts.get((text(left).lower(), member))

    def _query_option(self, node: Node) -> bool:
        """Whether an argument of a query object is the place it searches or an option, not
        its text: a directory entry (`new DirectorySearcher(entry)`, made with a sign-in's user
        and password), a WMI scope, its connection or enumeration options, or the attributes a
        search loads (an array: `new DirectorySearcher(filter, new[] { "cn" })`)."""
        inner = unwrap(node)
        if role(inner) is Role.ARRAY:
            return True
        if role(inner) is Role.NEW:
            kind = last_name(call_parts(inner)[0])
        elif role(inner) is Role.IDENT:
            kind = (self._type(self._n(text(inner))) or "").lower()
        else:
            return False
        return kind in _QUERY_OPTIONS

    def _recipients(self, message: Node) -> tuple[Value | None, ...]:
        """Where a mail message held in a variable goes: each address given to its `To`, `CC`
        or `Bcc` (`m.To.Add("x@example.com")`, `m.To.Add(new MailAddress(a))`, System.Web.Mail's
        `m.To = "..."`) or to its constructor (`new MailMessage(from, to)`), folded (None: an
        address the code does not fix). Anywhere in the unit: one it cannot place is no address."""
        inner = unwrap(message)
        if role(inner) is not Role.IDENT:
            return (None,)
        return tuple(self._mail_addresses().get(self._n(text(inner)).lower(), ()))

    def _expanded(self, args: list[Node], values: list[Value | None]) -> Taint | None:
        """What a command line takes from the environment: an environment variable it names as
        the shell expands one (`%X%` for cmd, `$env:X` for PowerShell) that the page set from the
        request (`_environment`), in the folded line or, where it does not fold (`Environ("ComSpec")
        & " /c %X%"`), in the code that builds it. A child process inherits the server process's
        variables, so the request's text is what runs, though the code fixes the command."""
        environ = self._environment()
        if not environ:
            return None
        t: Taint | None = None
        for a, v in zip(args, values, strict=False):
            line = (as_text(v) or text(a)).lower()
            if "%" not in line and "$env:" not in line:
                continue
            for m in _EXPANDED.finditer(line):  # each name the line expands, looked up once
                t = merge(t, environ.get(m.group(1) or m.group(2) or ""))
        return t

    def _environment(self) -> dict[str, Taint]:
        """Environment variables the unit sets from the request (`Environment.SetEnvironmentVariable
        (name, value)` with a name the code fixes), by lower-case name, each with its value's
        taint and the step that set it; found in one walk of the unit."""
        if self._environ is not None:
            return self._environ
        found: dict[str, Taint] = {}
        self._environ = found
        for node, method in self.nodes:
            if role(node) is not Role.CALL:
                continue
            callee, args = call_parts(node)
            if callee is None or len(args) < 2 or last_name(callee) != "setenvironmentvariable":
                continue
            name = as_text(self.fold(args[0]))
            held = self.taint(args[1], method) if name else None
            if name and held is not None:
                step = held.step(f"sets it as environment variable '{show(name, 40)}'", self.line(node))
                found[name.lower()] = step.merge(found.get(name.lower()))
        return found

    def _mail_addresses(self) -> dict[str, list[Value | None]]:
        """Every message variable's addresses (`_recipients`), found in one walk of the unit."""
        if self._mailed is not None:
            return self._mailed
        found: dict[str, list[Value | None]] = {}
        self._mailed = found
        for node, _method in self.nodes:
            r = role(node)
            if r is Role.NEW and last_name(call_parts(node)[0]) == "mailmessage":
                args = call_parts(node)[1]
                held = self._stored_in(node)
                if len(args) > 1 and held is not None:
                    found.setdefault(self._n(text(held)).lower(), []).append(self._address(args[1]))
            elif r is Role.CALL:
                callee, args = call_parts(node)
                inner_callee = unwrap(callee) if callee is not None else None
                if inner_callee is None or role(inner_callee) is not Role.MEMBER or not args:
                    continue
                held_list, verb = member_parts(inner_callee)
                owner = self._mail_field(held_list) if verb.lower() == "add" and held_list is not None else None
                if owner is not None:
                    found.setdefault(owner, []).append(self._address(args[0]))
            elif r is Role.ASSIGN:
                left, right = self._targets(node)
                owner = self._mail_field(left) if left is not None and right is not None else None
                if owner is not None and right is not None:
                    found.setdefault(owner, []).append(self._address(right))  # System.Web.Mail's `m.To = "a@x; b@y"`
        return found

    def _mail_field(self, node: Node) -> str | None:
        """The message variable (`_n`, lower case) whose `To`, `CC` or `Bcc` `node` is, if it is one."""
        if role(node) is not Role.MEMBER:
            return None
        owner, member = member_parts(node)
        if member.lower() not in _RECIPIENT_FIELDS or owner is None or role(owner) is not Role.IDENT:
            return None
        return self._n(text(owner)).lower()

    def _address(self, node: Node) -> Value | None:
        """An address as folded: `new MailAddress("x@example.com", "X")` is its first argument."""
        inner = unwrap(node)
        if role(inner) is Role.NEW and last_name(call_parts(inner)[0]) == "mailaddress":
            args = call_parts(inner)[1]
            return self.fold(args[0]) if args else None
        return self.fold(inner)

    def _served_back(self, node: Node, args: list[Node], values: list[Value | None], method: str | None) -> None:
        """`Response.Write(x)` of a value kept where every request sees it (the application, the
        cache, a static field): what one visitor submitted, written to another's response. A
        password among it is a credential trap that hands its harvest to whoever asks."""
        t = self.taint(args[0], method)
        if t is None or not _SHARED_STEPS.intersection(t.steps) or not password_named(t):
            return
        rule = next((r for r in self.rules if r.capability == "credential-capture"), None)
        if rule is not None:
            note = "writes what it kept for every request into a response"
            self.hits.append(
                SinkHit(rule.rule_id, rule.capability, "Response.Write", self.line(node), t, method, values, note=note)
            )

    def _stored_in(self, node: Node) -> Node | None:
        """The variable a `new ...()` expression is declared or assigned into (`x = new T()`),
        looked for at most three levels up; None when it is stored in anything else."""
        cur: Node | None = node
        for _ in range(3):
            cur = cur.parent if cur is not None else None
            if cur is None:
                return None
            if cur.type in {"variable_declarator", "dim_statement"} or role(cur) in {Role.DECL, Role.ASSIGN}:
                left, _right = self._targets(cur)
                return left if left is not None and role(left) is Role.IDENT else None
        return None

    def _interpolated(self, node: Node, method: str | None, depth: int) -> Taint | None:
        """An interpolated string (C# `$"/c {cmd}"`, a JavaScript template `${cmd}`) carries what
        its holes hold, as `"/c " + cmd` does; text before the first hole that names a folder or a
        server fixes where a path or URL leads, as the same prefix of a concatenation does."""
        out: Taint | None = None
        prefix: list[str] = []
        first: Node | None = None
        untainted = False
        for part in node.named_children:
            if part.type in _HOLES:
                expr = next((c for c in part.named_children if c.type not in _HOLE_CLAUSES), None)
                if expr is None:
                    continue
                if first is None:
                    first = expr
                t = self.taint(expr, method, depth + 1)
                untainted = untainted or t is None
                out = merge(out, t)
            elif part.type in _HOLE_TEXT:
                untainted = untainted or bool(text(part).strip())
                if first is None:
                    prefix.append(text(part))
        if out is None:
            return None
        if untainted:
            out = out.join()
        lead = "".join(prefix)
        if (not lead and first is not None and self._in_site(first, method)) or _fixed_folder(lead):
            return out.only(frozenset({"web-path"}))
        if _fixed_host(lead):
            return out.only(frozenset({"fixed-host"}))
        return out

    def _fixed(self, node: Node) -> bool:
        """A value the analysis places without folding it: a path in the site (`MapPath`), a
        setting of the application (`ConfigurationManager...`), a literal of another kind."""
        node = unwrap(node)
        if role(node) in {Role.STRING, Role.INT, Role.CHAR, Role.LAMBDA} or self._site_rooted(node):
            return True
        if role(node) is Role.IDENT:
            key = self._n(text(node))
            if key in self._configured and key not in self._not_configured:
                return True
            if key in self._loop_constants():
                return True
        if self._constant_item(node):
            return True
        return _CONFIGURED.search(text(node)[:400]) is not None

    def _constant_item(self, node: Node) -> bool:
        """An item of an array of texts the code fixes, whatever the index (`tools[i]`, VB's
        `tools(i)`): one of those constants, even where the request picks which."""
        r = role(node)
        if r is Role.INDEX:
            held_in = index_parts(node)[0]
        elif r is Role.CALL and self.lang is Lang.VB:
            held_in, _ = call_parts(node)
            if (
                held_in is None
                or role(unwrap(held_in)) is not Role.IDENT
                or text(unwrap(held_in)).lower() in self.methods
            ):
                return False
        else:
            return False
        return held_in is not None and self._fixed_texts(held_in)

    def _fixed_texts(self, node: Node, depth: int = 0) -> bool:
        """Whether a collection holds only texts the code fixes: an array that folds to them, a
        list or set made with them (`new List<string> { "a", "b" }`), or a variable set only to one
        of these that nothing adds to or stores into."""
        node = unwrap(node)
        held = self.fold(node)
        if isinstance(held, list):
            return bool(held) and all(isinstance(v, str) for v in held)
        if role(node) is Role.NEW:  # (an array that does not fold is the folder's to judge: it may have been filled)
            callee, made_with = call_parts(node)
            if callee is None or last_name(callee).split("<")[0] not in _LIST_TYPES:
                return False
            made = [a for a in made_with if a.type in _INITIALIZERS or a.type == "initializer_expression"]
            items = [unwrap(c) for m in made for c in m.named_children if c.type != "comment"]
            return bool(items) and all(isinstance(self.fold(i), str) for i in items)
        if role(node) is Role.IDENT and depth < 2:
            values = self._values_of(node)
            key = self._n(text(node))
            return (
                bool(values)
                and all(self._fixed_texts(v, depth + 1) for v in values)
                and key not in self._changed_collections()
            )
        return False

    def _changed_collections(self) -> set[str]:
        """Variables whose collection the code changes after making it, or may: an item added,
        inserted or stored (`l.Add(x)`, `l[0] = x`, VB's `l(0) = x`), or the list handed whole to a
        call that may fill it (`Fill(l)`); found once."""
        if self._changed_held is None:
            found: set[str] = set()
            for node, _method in self.nodes:
                r = role(node)
                if r in {Role.CALL, Role.NEW}:
                    callee, passed = call_parts(node)
                    found.update(self._n(text(unwrap(a))) for a in passed if role(unwrap(a)) is Role.IDENT)
                if r is Role.CALL:
                    inner = unwrap(callee) if callee is not None else None
                    if inner is not None and role(inner) is Role.MEMBER and last_name(inner) in _COLLECTION_CHANGES:
                        held = member_parts(inner)[0]
                        if held is not None and role(held) is Role.IDENT:
                            found.add(self._n(text(held)))
                elif r is Role.ASSIGN:
                    left = self._targets(node)[0]
                    if left is not None and role(left) in {Role.INDEX, Role.CALL}:
                        base = index_parts(left)[0] if role(left) is Role.INDEX else call_parts(left)[0]
                        if base is not None and role(unwrap(base)) is Role.IDENT:
                            found.add(self._n(text(unwrap(base))))
            self._changed_held = found
        return self._changed_held

    def _loop_constants(self) -> set[str]:
        """Items of loops over a collection the code fixes (`foreach (var t in new[] { "a", "b" })`,
        VB's `For Each t In New String() {...}`): each turn's value is one of its constants. A name
        any other loop or statement sets is left out. Found once."""
        if self._constant_items is None:
            fixed: set[str] = set()
            other: set[str] = set()
            for node, _method in self.nodes:
                if node.type not in _LOOPS:
                    continue
                item, items = loop_parts(node)
                if item is None or items is None or role(unwrap(item)) is not Role.IDENT:
                    continue
                key = self._n(text(unwrap(item)))
                (fixed if self._fixed_texts(items) else other).add(key)
            self._constant_items = fixed - other - self._assignments().keys()
        return self._constant_items

    def _site_rooted(self, node: Node) -> bool:
        """A path that starts at a folder of the site: `MapPath(...)`, or that joined with more
        (`MapPath("~/up/") + name`, `Path.Combine(MapPath(...), name)`), or given another
        extension (`Path.ChangeExtension(MapPath(...), ".xml")`). A variable set to such a path
        is not followed: shells' upload and file-manager code keeps its target so, and the
        unresolved-sink rule is what reports them."""
        for _ in range(16):
            node = unwrap(node)
            r = role(node)
            if r is Role.BINARY and node.named_child_count:
                node = node.named_children[0]
                continue
            if r is Role.CALL:
                callee, args = call_parts(node)
                if dotted(callee).lower().endswith(("path.combine", "path.changeextension")) and args:
                    node = args[0]  # (another extension keeps the path where it was)
                    continue
            return self._in_site(node, None)
        return False

    def _from_callers(self, node: Node) -> bool:
        """Whether every name in an expression is a parameter of the page's methods or lambdas
        (its value is what the callers pass, which the taint pass follows into the call) or a
        getter of a constant."""
        if self._param_names is None:  # once, after the constants pass has seen every lambda
            self._param_names = {p for m in self.methods.values() for p in m.params}
            self._param_names.update(p for ps, _m in self._lambdas.values() for p in ps)
            self._param_names.update(self._callback_params())
        params = self._param_names
        names: list[str] = []
        stack = [node]
        for _ in range(64):
            if not stack:
                break
            cur = unwrap(stack.pop())
            r = role(cur)
            if r is Role.IDENT:
                names.append(self._n(text(cur)))
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
        return bool(names) and all(n in params or self._constant_getter(n) for n in names)

    def _callback_params(self) -> set[str]:
        """Parameters of the lambdas given a state object (`QueueUserWorkItem(o => ..., state)`,
        `new Thread(o => ...)`): what they hold is what the caller hands over, followed as such."""
        bodies = list(self._thread_bodies.values())
        for node, _method in self.nodes:
            if role(node) is Role.CALL:
                callee, args = call_parts(node)
                if last_name(callee) in _STATE_PASSED and args:
                    bodies.append(args[0])
        out: set[str] = set()
        for body in bodies:
            cb = _callback(body)
            if role(cb) is Role.LAMBDA:
                out.update(self._n(p) for p in lambda_params(cb))
        return out

    def _constant_getter(self, name: str) -> bool:
        """A property or method of the page without parameters that returns a constant."""
        fn = self.folder.functions.get(name.lower())
        return fn is not None and not fn.params and self.fold(fn.body) is not None

    def _open_store(self, member: str, value: Node) -> None:
        folded = self.fold(value)
        if folded is None and not self._fixed(value):
            stores = self._open_stores.setdefault(member, [])
            if len(stores) < 8:
                stores.append((text(value)[:120], self.line(value)))
        elif said := as_text(folded):
            kept = self._fixed_stores.setdefault(member, [])
            if len(kept) < 8 and said not in kept:
                kept.append(said)

    def _fixed_command(self, args: list[Node]) -> list[Value | None]:
        """The file and arguments a process runs when the call names neither (`new Process()`
        then `p.StartInfo.Arguments = "..."`, `Process.Start(psi)`, `new ProcessStartInfo {
        FileName = ..., Arguments = ... }`): the texts stored into those members, file first, as
        `Process.Start(file, arguments)` would give them. What the file's code stores anywhere,
        as `_unresolved` reads the stores that do not fold."""
        found: dict[str, list[str]] = {}
        for a in args:
            if a.type in _INITIALIZERS:
                for item in a.named_children:
                    left, right = self._targets(item) if role(item) in {Role.ASSIGN, Role.DECL} else (None, None)
                    if left is None and item.named_child_count == 2:  # VB's `.FileName = "x"`
                        left, right = item.named_children
                    said = as_text(self.fold(right)) if right is not None else None
                    if left is not None and said and (member := text(left).lstrip(".").lower()) in _STORED_PARTS:
                        found.setdefault(member, []).append(said)
        if not found:
            found = self._fixed_stores
        return [v for member in _STORES_OF["process"] for v in found.get(member, ())]

    def _unresolved(
        self, capability: str, args: list[Node], values: list[Value | None]
    ) -> tuple[tuple[int, str, int], ...]:
        """Arguments of a sink that neither fold to a constant nor are fixed by the site or its
        configuration. An object passed whole (`Process.Start(psi)`, `new Process()` then
        `p.StartInfo = psi`) stands for what was stored into it (`psi.Arguments = ...`)."""
        out: list[tuple[int, str, int]] = []
        objects = not args
        for i, (a, v) in enumerate(zip(args, values, strict=False)):
            if v is not None or self._fixed(a) or self._from_callers(a):
                continue
            inner = unwrap(a)
            if role(inner) is Role.NEW or inner.type in _INITIALIZERS:
                continue  # an object made in place (a sink of its own when it is one), `{ X = ... }`
            if text(inner).strip().lower() in _LITERAL_WORDS:
                continue  # `False`, `null`: options, as constant as a number
            if self._servers_own(inner):
                continue  # a fixed text with the time, a new GUID, a temporary file: the server's own
            if role(inner) is Role.IDENT and (self._type(self._n(text(inner))) or "") in _STORE_HOLDERS:
                objects = True
                continue
            if self._a_stream(inner):
                continue  # `new StreamWriter(client.GetStream())`: a writer over a stream, no path
            out.append((i, text(a)[:120], self.line(a)))
        if objects:
            for member in _STORES_OF.get(capability, ()):
                out.extend((-1, t, line) for t, line in self._open_stores.get(member, ()))
        return tuple(out)

    def _servers_own(self, node: Node, depth: int = 0) -> bool:
        """Whether a value is fixed text joined with values of the server's own (the time, a new
        GUID, the machine's name, a temporary file's path), also through variables only ever set
        to such values (`p = Path.GetTempFileName()`, then `p + ".png"`)."""
        for o in _operands(node):
            if self._fixed(o) or _SERVER_VALUE.match(text(o)[:200]):
                continue
            if depth < 4 and role(o) is Role.IDENT:
                # each value the variable is set to holds one of the server's values: a variable
                # set only to fixed text that did not fold may be set by a call (`Fill(out t)`)
                values = self._values_of(o)
                made = all(any(_SERVER_VALUE.match(text(x)[:200]) for x in _operands(v)) for v in values)
                if values and made and all(self._servers_own(v, depth + 1) for v in values):
                    continue
                if values and all(self._constant_item(unwrap(v)) for v in values):
                    continue  # `t = tools[i]`: one of the code's own texts, whichever is picked
            return False
        return True

    def _deconstructed(self, left: Node, right: Node) -> list[tuple[Node, Node, str | None]]:
        """(name, value, method the value is read in) of a tuple deconstruction: of a tuple
        written out (`var (f, a) = (x, y)`, read where it stands), or of the tuple the page's own
        method returns in one statement (`var (f, a) = Get()`, read in `Get`)."""
        value = unwrap(right)
        where: str | None = None
        if role(value) is Role.CALL:
            callee = unwrap(call_parts(value)[0] or value)
            own = self.methods.get(name_text(callee).lower()) if role(callee) is Role.IDENT else None
            returned = _single_return(own.node) if own is not None else None
            if own is None or returned is None:
                return []
            value, where = returned, own.name
        return [(name, element, where) for name, element in _tuple_pairs(left, value)]

    def _relay_stream(self, node: Node) -> str | None:
        """The type of a socket's or named pipe's stream a writer is made over: a variable of
        such a type, a client's `GetStream()`, or such a stream made in place."""
        r = role(node)
        if r is Role.IDENT:
            kind = self._type(self._n(text(node)))
            return kind if kind in _RELAY_STREAMS else None
        if r is Role.CALL and last_name(call_parts(node)[0]) == "getstream":
            return "networkstream"
        if r is Role.NEW and last_name(call_parts(node)[0]) in _RELAY_STREAMS:
            return last_name(call_parts(node)[0])
        return None

    def _stream_given(self, node: Node) -> bool:
        """Whether an argument is a stream rather than a path: a stream variable or one a call
        gives, a reader over bytes in memory, the request's or an upload's stream, or a file
        upload control's `FileContent`."""
        inner = unwrap(node)
        return (
            self._a_stream(inner)
            or _in_memory_reader(inner)
            or _request_stream(inner)
            or last_name(inner) == "filecontent"
        )

    def _a_stream(self, node: Node) -> bool:
        """Whether a value is an open stream, not a path: a variable of a stream type, or a
        stream a call or property gives (`client.GetStream()`, `Response.OutputStream`)."""
        r = role(node)
        if r is Role.IDENT:
            return (self._type(self._n(text(node))) or "") in _STREAM_TYPES
        if r in {Role.CALL, Role.MEMBER}:
            callee = call_parts(node)[0] if r is Role.CALL else node
            return last_name(callee) in _STREAMS_GIVEN
        return False

    def _write_taint(
        self, node: Node, api: str, args: list[Node], receiver: Node | None, method: str | None
    ) -> tuple[Taint | None, Taint | None]:
        """A writer counts when the client picks both where and what (path and content): the
        write's taint, and what it writes (whoever picks the path)."""
        if api.lower() == "scripting.filesystemobject.opentextfile" and not self._fso_writes(args):
            return None, None  # opened for reading (the default): a read, not a write
        number: str | None = None
        if api in _VB_FILE_OPENS:  # `FileOpen(1, path, OpenMode.Output)`: written through its number
            if len(args) < 3 or not _VB_WRITE_MODE.search(text(args[2])):
                return None, None
            number, args = _file_number(args[0]), args[1:2]
        path_t = self.taint(args[0], method) if args else None
        opened = False
        if api.lower().startswith("fileinfo.") and receiver is not None:
            path_t = self.taint(receiver, method)  # `new FileInfo(path).CreateText()`: the path is the object
        if api.lower().endswith("saveas"):
            content_t = self.taint(receiver, method) if receiver is not None else None
            if content_t is None and receiver is not None:
                content_t = self._upload_control(receiver)
        elif api.lower() == "adodb.stream.savetofile":
            content_t = self.taint(receiver, method) if receiver is not None else None  # what was written into it
        elif len(args) >= 2 and not api.lower().startswith(
            ("new ", "file.create", "file.openwrite", "fileinfo.", "scripting.filesystemobject.")
        ):
            content_t = self.taint(args[1], method)
        else:
            content_t = path_t if self.tainted_writes else None
            opened = True  # a file opened for writing: what is written into it comes later
        web_content = content_t
        holder = self._stored_in(node) if opened and number is None else None
        if holder is not None or number is not None:  # `w = new StreamWriter(path)` then `w.Write(Request["d"])`
            web_content = self._written_to.get(number or self._n(text(holder)))
            # what is written into it, where that is known; VB writes a file by its number only
            content_t = web_content if number is not None else web_content or content_t
        client_text = web_content is not None and bool(web_content.kinds & _CLIENT_TEXT)
        if web_content is not None and path_t is not None and "upload" in web_content.kinds:
            # an upload saved under a name a parameter gives, no part of it the file's own name
            client_text = client_text or not any(_OWN_NAME.search(source) for source in path_t.sources)
            # or under its own name, straight into the page's own folder or the site's root
            client_text = client_text or (bool(args) and self._beside_itself(args[0]))
            # or under its own name into the bin or App_Code folder, whose files the server runs
            client_text = client_text or (bool(args) and self._into_code_folder(args[0]))
        if web_content is not None and "body" in web_content.kinds and args and not client_text:
            # the raw body saved where the request names the whole path, not a name under a
            # folder the code keeps for uploads (`MapPath(Request["p"])`), or beside the page
            client_text = self._client_rooted(args[0], method) or self._beside_itself(args[0])
        if (
            path_t is not None
            and content_t is not None
            and path_t.kinds == frozenset({"web-path"})
            and client_text
            and not api.lower().startswith("fileinfo.")
            and args
            and not self._fixes_extension(args[0])
        ):
            # `File.WriteAllText(Server.MapPath(Request["p"]), Request["d"])`: the client picks a
            # file of the site and what it holds, so it can put a page where the server runs it
            merged = path_t.merge(web_content)
            return merged if merged.kinds & PATH_KINDS else merged.only(merged.kinds | {"request"}), web_content
        if path_t is None or content_t is None or not path_t.kinds & PATH_KINDS:
            return None, web_content  # a fixed path, a file name or a path kept in the site: not the client's choice
        return path_t.merge(content_t), web_content

    def _page_write(
        self, node: Node, api: str, args: list[Node], receiver: Node | None, method: str | None
    ) -> tuple[Taint | None, str | None]:
        """A write of the client's text (or of what a URL the client names serves) to a path the
        code fixes, whose file the server runs as a page (`File.WriteAllText(Server.MapPath(
        "x.aspx"), Request["c"])`): the taint of what is written, and the file's name. A path
        the client picks is the file-write rule's."""
        download = api.lower().endswith(("downloadfile", "downloadfileasync", "downloadfiletaskasync"))
        if download:
            if len(args) < 2:
                return None, None
            path, content = args[1], self.taint(args[0], method)
            if content is not None:
                content = content.step("fetches the URL it names", self.line(node))
        else:
            target = receiver if api.lower().startswith("fileinfo.") else (args[0] if args else None)
            if api in _VB_FILE_OPENS:
                target = args[1] if len(args) > 1 else None
            if target is None:
                return None, None
            path = target
            content = self._write_taint(node, api, args, receiver, method)[1]
        if content is None or not content.kinds & _DROPPED or self.taint(path, method) is not None:
            return None, None
        tail = self._path_tail(path)
        m = _EXTENSION.search(tail.strip()) if tail else None
        if tail is None or m is None:
            return None, None
        shown = tail.strip().replace("\\", "/").split("/")
        where = [segment.lower() for segment in shown]
        code = _runs_as_code(where, m.group(1).lower())
        if m.group(1).lower() not in _PAGE_EXTENSIONS and not code:
            return None, None
        if where[-1] == "web.config" and content.joined:
            return None, None  # an installer putting the settings it was given into its web.config
        in_folder = code and where[-1] != "web.config" and len(shown) > 1
        return content, "/".join(shown[-2:]) if in_folder else shown[-1]  # `bin/x.dll`, `x.aspx`

    def _path_tail(self, node: Node) -> str | None:
        """The fixed text a path ends with (`MapPath("~/x/" + "a.aspx")`, `Path.Combine(dir,
        "a.aspx")`, an interpolation's last text), if the code spells it."""
        node = unwrap(node)
        if role(node) in {Role.CALL, Role.NEW}:
            callee, args = call_parts(node)
            name = last_name(callee)
            if role(node) is Role.NEW:  # `new FileInfo(path)`: the file it stands for
                return self._path_tail(args[0]) if name == "fileinfo" and args else None
            if name in WEB_PATH and args:
                return self._path_tail(args[0])
            if name == "combine" and args:
                return self._path_tail(args[-1])
            return None
        if role(node) is Role.BINARY and operator(node) in {"+", "&"}:
            return as_text(self.fold(_last_joined(node)))
        if node.type in _INTERPOLATED and node.named_child_count:
            last = node.named_children[-1]
            return text(last) if last.type in _HOLE_TEXT else None
        if role(node) in {Role.STRING, Role.IDENT}:
            return as_text(self.fold(node))
        return None

    def _into_code_folder(self, node: Node) -> bool:
        """Whether a path starts in the site's bin or App_Code folder (`MapPath("~/bin/" +
        name)`, `Path.Combine(MapPath("~/App_Code"), name)`), whose files the server loads or
        compiles."""
        node = unwrap(node)
        if role(node) is Role.BINARY and operator(node) in {"+", "&"}:
            return self._into_code_folder(_leftmost(node))
        if role(node) is Role.CALL:
            callee, args = call_parts(node)
            name = last_name(callee)
            if (name in WEB_PATH and len(args) == 1) or (name == "combine" and len(args) == 2):
                return self._into_code_folder(args[0])
            return False
        folded = as_text(self.fold(node))
        return folded is not None and _CODE_FOLDER.fullmatch(folded.strip().replace("\\", "/").lower()) is not None

    def _client_rooted(self, node: Node, method: str | None, depth: int = 0) -> bool:
        """Whether a path starts with what the client sent (`MapPath(Request["p"])`,
        `Path.Combine(Request["dir"], name)`, `Request["d"] + "/" + name`, or a variable set only
        to such a path), so no folder of the code's holds what is written."""
        node = unwrap(node)
        r = role(node)
        if r is Role.CALL:
            callee, args = call_parts(node)
            name = last_name(callee)
            if (name in WEB_PATH and len(args) == 1) or (name == "combine" and args):
                return self._client_rooted(args[0], method, depth)
        if r is Role.BINARY and operator(node) in {"+", "&"}:
            return self._client_rooted(_leftmost(node), method, depth)
        if r is Role.IDENT and depth < 2:
            values = self._values_of(node)
            if len(values) == 1:
                return self._client_rooted(values[0], method, depth + 1)
        if as_text(self.fold(node)) is not None:
            return False
        t = self.taint(node, method)
        return t is not None and bool(t.kinds & _CLIENT_TEXT)

    def _beside_itself(self, node: Node) -> bool:
        """Whether a path starts at the page's own folder or the site's root (`MapPath(".")`,
        `MapPath("~/")`, `Request.PhysicalApplicationPath`), not at a folder kept for uploads."""
        node = unwrap(node)
        if role(node) is Role.CALL:
            callee, args = call_parts(node)
            name = last_name(callee)
            if name == "combine" and args:
                return self._beside_itself(args[0])
            if name in WEB_PATH and len(args) == 1:
                if _bare_file_name(args[0]):
                    return True  # `MapPath(f.FileName)`: a name alone maps into the page's own folder
                folded = as_text(self.fold(args[0]))
                return folded is not None and folded.strip().replace("\\", "/").rstrip("/") in _OWN_FOLDERS
            return False
        if role(node) is Role.BINARY and operator(node) in {"+", "&"}:
            return self._beside_itself(_leftmost(node))
        return dotted(node).lower() in SITE_FOLDERS

    def _fixes_extension(self, node: Node) -> bool:
        """Whether the code ends a path with a fixed extension that the server does not run
        (`MapPath("~/App_Data/" + id + ".txt")`): the client may pick the name, not a page."""
        node = unwrap(node)
        if role(node) is Role.CALL:
            callee, args = call_parts(node)
            name = last_name(callee)
            if name in WEB_PATH and args:
                return self._fixes_extension(args[0])
            if name == "changeextension" and len(args) == 2:
                tail = as_text(self.fold(args[1]))
                return tail is not None and _safe_extension("." + tail.lstrip("."))
            if name == "combine" and args:
                return self._fixes_extension(args[-1])
            return False
        tail = self._path_tail(node)
        return tail is not None and _safe_extension(tail)

    def _fso_writes(self, args: list[Node]) -> bool:
        """`fso.OpenTextFile(path, mode)` opens for writing or appending (IOMode 2 or 8)."""
        if len(args) < 2:
            return False
        raw = text(unwrap(args[1])).strip().lower()
        return raw in {"2", "8", "forwriting", "forappending"} or as_text(self.fold(args[1])) in {"2", "8"}

    def _reflective(self, node: Node, callee: Node | None, args: list[Node], method: str | None) -> None:
        """`x.GetMethod("Lo" + "ad").Invoke(...)`: resolve the names by folding, match again."""
        names: list[str] = []
        cur = unwrap(callee) if callee is not None else None
        if cur is not None and role(cur) is Role.MEMBER and args:
            holder, member = member_parts(cur)
            prog = self._com_class(holder) if holder is not None else None
            verb = as_text(self.fold(args[0])) if member.lower() == "invokemember" else None
            typed = self._reflected_type(holder) if holder is not None and verb and not prog else None
            if prog and verb:  # `t.InvokeMember("Run", ..., obj, args)` on a COM type
                names = [*prog.split("."), verb]
                cur = None
            elif typed and verb:  # `typeof(Process).InvokeMember("Start", flags, null, null, args)`
                names = [typed, verb]
                self.note_folded(args[0], verb)
                cur = None
            elif holder is not None and member.lower() in {"invoke", "dynamicinvoke"}:
                # `m.Invoke(null, args)` with `m = typeof(T).GetMethod("M")`, a delegate's
                # `DynamicInvoke`, or a method picked by its name in place (`.First(m => ...).Invoke`)
                picked = role(holder) is Role.CALL and last_name(call_parts(holder)[0]) in _PICKED_BY
                ref = (
                    self._method_ref(holder, self._method_variables()) if picked or role(holder) is Role.IDENT else None
                )
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
                v = as_text(self.fold(inner_args[0]))
                if v:
                    self.note_folded(inner_args[0], v)
                    if inner == "gettype":  # `"System.Diagnostics.Process, System"`: the type, not its assembly
                        v = v.split(",", 1)[0].strip()
                    names.insert(0, v)
                holder = member_parts(unwrap(inner_callee))[0] if inner_callee is not None else None
                named = None
                if holder is not None:
                    named = _type_named(holder)
                    if named is None and role(holder) is Role.IDENT:
                        named = self._type_variables().get(self._n(text(holder)))  # `t.GetMethod(...)`
                if named:
                    names.insert(0, named)
            elif inner in {"load"}:
                names.insert(0, "Assembly")
            cur = unwrap(inner_callee) if inner_callee is not None else None
        if names:
            self._call_as(node, args, method, names, f"called by reflection as {'.'.join(names)}")

    def _method_ref(self, node: Node, names: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
        """The method `typeof(T).GetMethod("M", ...)` names, directly or through a variable set
        to it: (T, M) as written, the name folded (`"Lo" + "ad"`)."""
        node = _uncast(unwrap(node))  # `(Func<byte[], Assembly>)Delegate.CreateDelegate(...)`
        if role(node) is Role.IDENT:
            return names.get(self._n(text(node)))
        if role(node) is not Role.CALL:
            return None
        callee, args = call_parts(node)
        if callee is None or role(unwrap(callee)) is not Role.MEMBER:
            return None
        holder, member = member_parts(unwrap(callee))
        if member.lower() in _PICKS or (member.lower() == "find" and len(args) == 2):
            return self._picked_method(holder, member.lower(), args)
        if member.lower() == "compile" and holder is not None:
            return self._compiled_call(holder, names)
        if not args:
            return None
        if member.lower() == "createdelegate" and len(args) > 1:
            return self._method_ref(args[1], names)  # `Delegate.CreateDelegate(typeof(F), m)`
        type_name = self._reflected_type(holder) if holder is not None and member.lower() == "getmethod" else None
        name = as_text(self.fold(args[0])) if type_name else None
        if not type_name or not name:
            return None
        self.note_folded(args[0], name)
        return type_name, name

    def _compiled_call(self, lam: Node, names: Mapping[str, tuple[str, str]]) -> tuple[str, str] | None:
        """The method a compiled expression tree calls: `Expression.Lambda(Expression.Call(m, p),
        p).Compile()`, the call held in a variable or written in place, `m` found by reflection.
        Invoked (`f(x)`, `f.Invoke(x)`, `f.DynamicInvoke(x)`), its arguments go to `m`."""
        lam = unwrap(lam)
        if role(lam) is not Role.CALL or last_name(call_parts(lam)[0]) != "lambda":
            return None
        body = next(iter(call_parts(lam)[1]), None)
        body = unwrap(body) if body is not None else None
        if body is not None and role(body) is Role.IDENT:
            body = next((unwrap(r) for r in self._values_of(body)), None)
        if body is None or role(body) is not Role.CALL:
            return None
        called_by, call_args = call_parts(body)
        if called_by is None or [p.lower() for p in dotted(called_by).split(".")[-2:]] != ["expression", "call"]:
            return None
        for a in call_args[:2]:
            ref = self._method_ref(a, names)
            if ref is not None:
                return ref
        return None

    def _picked_method(self, holder: Node | None, member: str, args: list[Node]) -> tuple[str, str] | None:
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
        type_name = self._listed_type(methods) if methods is not None and test is not None else None
        name = self._name_tested(unwrap(test)) if type_name and test is not None else None
        return (type_name, name) if type_name and name else None

    def _listed_type(self, methods: Node) -> str | None:
        """The type whose methods a call lists (`typeof(T).GetMethods(...)`, a type variable's)."""
        if role(methods) is not Role.CALL:
            return None
        listed = call_parts(methods)[0]
        if listed is None or last_name(listed) != "getmethods" or role(unwrap(listed)) is not Role.MEMBER:
            return None
        owner = member_parts(unwrap(listed))[0]
        return self._reflected_type(owner) if owner is not None else None

    def _looped_method(self, items: Node, body: Node, item: str) -> tuple[str, str] | None:
        """The method a loop over a type's methods stops at: the name its body compares the
        loop's item with (`foreach (var m in typeof(T).GetMethods()) if (m.Name == "M")`)."""
        type_name = self._listed_type(items)
        name = self._name_compared(body, {item}) if type_name else None
        return (type_name, name) if type_name and name else None

    def _name_tested(self, lam: Node) -> str | None:
        """The name a lambda over a method tests for: `m => m.Name == "Start" && ...` (VB's
        `Function(m) m.Name = "Start"`, `m.Name.Equals("Start")`), the text folded."""
        head = lam
        for _ in range(8):  # VB reads `Function(m) m.Name = "M" AndAlso ...` as `(Function(m) ...) AndAlso ...`
            if role(head) is not Role.BINARY or not head.named_child_count:
                break
            head = unwrap(head.named_children[0])
        if role(head) is not Role.LAMBDA:
            return None
        return self._name_compared(lam, set(lambda_params(head)))

    def _name_compared(self, root: Node, params: set[str]) -> str | None:
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
                        name = as_text(self.fold(b))
                        if name and name.isidentifier():
                            self.note_folded(b, name)
                            return name
            stack.extend(reversed(cur.named_children))
        return None

    def _reflected_type(self, node: Node) -> str | None:
        """The last name of the type an expression gives: `typeof(T)`, VB `GetType(T)`,
        `Type.GetType("N.T")` or an assembly's `GetType("N.T")` with the name folded, or a
        variable set to one of these."""
        node = unwrap(node)
        named = _type_named(node)
        if named is not None:
            return named
        if role(node) is Role.IDENT:
            return self._type_variables().get(self._n(text(node)))
        return self._type_by_name(node)

    def _type_by_name(self, node: Node) -> str | None:
        """The last name of the type `Type.GetType("N.T")` or an assembly's `GetType("N.T")`
        looks up, with the name folded."""
        if role(node) is not Role.CALL:
            return None
        callee, args = call_parts(node)
        if len(args) != 1 or last_name(callee) != "gettype":
            return None
        folded = as_text(self.fold(args[0]))
        if not folded:
            return None
        self.note_folded(args[0], folded)
        return _type_last_name(folded)

    def _type_variables(self) -> dict[str, str]:
        """Variables set to a type (`var t = Type.GetType("System.Diagnostics.Process")`, VB
        `Dim t As Type = GetType(Process)`): name -> the type's last name; found once, in order."""
        if self._type_vars is not None:
            return self._type_vars
        found: dict[str, str] = {}
        self._type_vars = found
        for name, right in self._variables_set():
            named = self._reflected_type(right)
            if named is not None:
                found[name] = named
        return found

    def _event_hook(self, node: Node, method: str | None) -> None:
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
        self._call_as(node, [handler], method, names, "a handler hooked into the application's requests")

    def _called_by_name(self, node: Node, args: list[Node], method: str | None) -> None:
        """VB's `CallByName(sh, "Run", CallType.Method, cmd)` on a COM object of a known class
        (`sh = CreateObject("WScript.Shell")`): the method the folded name says, with the
        arguments after the call type."""
        self._com_call_by_name(node, args[0], args[1], args[3:], method, "called by name as")

    def _late_bound(self, node: Node, args: list[Node], method: str | None) -> None:
        """`NewLateBinding.LateCall(sh, null, "Run", new object[] { cmd }, ...)`: the late-binding
        helper VB compiles its calls on `Object` into, called by hand from C# on a COM object of a
        known class; the method the folded name says, with the argument array."""
        self._com_call_by_name(node, args[0], args[2], args[3:4], method, "called late-bound as")

    def _com_call_by_name(
        self, node: Node, target: Node, name: Node, passed: list[Node], method: str | None, how: str
    ) -> None:
        """A method of a COM object of a known class called by its name as a string: matched as
        `class.Method` with `passed` as its arguments, when the name folds to an identifier."""
        prog = self._com_class(target)
        verb = as_text(self.fold(name))
        if prog and verb and verb.isidentifier():
            self.note_folded(name, verb)
            self._call_as(node, passed, method, [*prog.split("."), verb], f"{how} {prog}.{verb}")

    def _call_as(self, node: Node, args: list[Node], method: str | None, names: Sequence[str], note: str) -> None:
        """A call that runs the method `names` spell (`Assembly`, `Load`) with `args`, matched
        against the rules as if it were written so (the first rule that names it); `note` says
        how the call reaches it. Every argument counts (reflection, IL or a delegate may pass any
        of them on)."""
        path = tuple(".".join(names).lower().split("."))
        for rule in self.rules:
            pattern = next((pt for pt in rule.patterns if pt.matches(path, False, len(path) > 1)), None)
            if pattern is None:
                continue
            t: Taint | None = None
            for a in args:
                t = merge(t, self.taint(a, method))
            values = [self.fold(a) for a in args]  # what folds (`"unsafe"`, a command line) is shown
            self.hits.append(
                SinkHit(rule.rule_id, rule.capability, pattern.label, self.line(node), t, method, values, note)
            )
            return

    def _emitted(self) -> list[tuple[str, str]]:
        """The methods the unit's IL generators emit calls to (`il.EmitCall(OpCodes.Call, m, ...)`,
        `il.Emit(OpCodes.Callvirt, m)`), with `m` resolved as `_method_ref` does, that a rule
        names (the others can match nothing when the method runs); found once, each once, with
        the values the IL loads as strings (`_emitted_loads`) in the same walk."""
        if self._emitted_methods is not None:
            return self._emitted_methods
        found: dict[tuple[str, str], None] = {}
        names = self._method_variables()
        self._emitted_loads = []
        for node, _method in self.nodes:
            if role(node) is not Role.CALL:
                continue
            callee, args = call_parts(node)
            emits = last_name(callee)
            if emits in {"emit", "emitcall"}:
                for a in args[1:2]:
                    ref = self._method_ref(a, names)
                    if ref is not None and ref not in found and self._named_by_rule(ref):
                        found[ref] = None
            if emits == "emit" and len(args) == 2 and last_name(unwrap(args[0])) == "ldstr":
                self._emitted_loads.append(args[1])  # `il.Emit(OpCodes.Ldstr, x)`
        self._emitted_methods = list(found)
        return self._emitted_methods

    def _named_by_rule(self, names: Sequence[str]) -> bool:
        path = tuple(".".join(names).lower().split("."))
        return any(pt.matches(path, False, len(path) > 1) for rule in self.rules for pt in rule.patterns)

    def _method_variables(self) -> dict[str, tuple[str, str]]:
        """Variables set to a method found by reflection (`var m = typeof(T).GetMethod("M")`,
        VB `Dim m = GetType(T).GetMethod("M")`): name -> (T, M); found once."""
        if self._method_vars is not None:
            return self._method_vars
        names: dict[str, tuple[str, str]] = {}
        self._method_vars = names
        for node, _method in self.nodes:
            if node.type in {"foreach_statement", "for_each_statement"}:
                # `foreach (var m in typeof(T).GetMethods()) if (m.Name == "M") ...`, VB's `For Each m In ...`
                item, items = loop_parts(node)
                body = node.child_by_field_name("body") or node
                if item is not None and items is not None and body is not None and role(unwrap(item)) is Role.IDENT:
                    ref = self._looped_method(unwrap(items), body, text(unwrap(item)))
                    if ref is not None:
                        names[self._n(text(unwrap(item)))] = ref
        for name, right in self._variables_set():
            ref = self._method_ref(unwrap(right), names)
            if ref is not None:
                names[name] = ref
        return names

    def _variables_set(self) -> Iterator[tuple[str, Node]]:
        """Each declaration or assignment of a plain variable, in document order: (its key as
        `_n` gives it, the value written)."""
        for node, _method in self.nodes:
            if role(node) not in {Role.DECL, Role.ASSIGN}:
                continue
            left, right = self._targets(node)
            if left is not None and right is not None and role(unwrap(left)) is Role.IDENT:
                yield self._n(text(unwrap(left))), right

    def _bound_method(self, path: tuple[str, ...], callee: Node | None) -> tuple[tuple[str, ...], str] | None:
        """The method a called delegate variable is bound to, when a rule names it: `run` of
        `run(x)` or `run.Invoke(x)` where `run = Process.Start` (C# method group, a delegate's
        constructor or cast over one, VB `AddressOf`)."""
        if callee is None or not path or len(path) > 2 or (len(path) == 2 and path[1] != "invoke"):
            return None
        root = _base_ident(unwrap(callee)) if len(path) == 2 else unwrap(callee)
        if root is None or role(root) is not Role.IDENT:
            return None
        return self._method_groups().get(self._n(text(root)))

    def _method_groups(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """Variables set to a method a rule names, not called (`Func<string, Process> run =
        Process.Start`): name -> the method's path as `_resolved_path` gives it, and as written;
        found once."""
        if self._groups is not None:
            return self._groups
        groups: dict[str, tuple[tuple[str, ...], str]] = {}
        self._groups = groups
        for name, right in self._variables_set():
            target = self._group_target(right)
            if target is None and self.lang is Lang.JSCRIPT and self._js_global_eval(right):
                groups[name] = (("eval",), text(unwrap(right)))  # `var f = eval;` (or `this["ev" + "al"]`)
                continue
            if target is None:
                continue
            path, has_receiver = self._resolved_path(target, False)
            if any(
                not pt.any_receiver and pt.matches(path, False, has_receiver)
                for rule in self.rules
                for pt in rule.patterns
            ):
                groups[name] = (path, dotted(target))
        return groups

    def _js_global_eval(self, node: Node) -> bool:
        """JScript's `eval` taken as a value: the bare name, or the global object's member named
        by a folded string (`this["ev" + "al"]`)."""
        node = unwrap(node)
        if role(node) is Role.IDENT:
            return text(node) == "eval"
        if role(node) is not Role.INDEX:
            return False
        obj, keys = index_parts(node)
        if obj is None or text(obj) not in {"this", "globalThis"} or len(keys) != 1:
            return False
        return as_text(self.fold(keys[0])) == "eval"

    def _js_called(self, receiver: Node | None, name: str, args: list[Node]) -> tuple[Node | None, str, list[Node]]:
        """JScript's `f.call(self, a, b)` and `f.apply(self, [a, b])` of a function variable or
        a function of the page, read as `f(a, b)`: the receiver, name and arguments of the call
        they make (the call as written for any other)."""
        if self.lang is not Lang.JSCRIPT or receiver is None or name.lower() not in {"call", "apply"}:
            return receiver, name, args
        held = unwrap(receiver)
        target = text(held)
        if role(held) is not Role.IDENT or (
            self._n(target) not in self._lambdas and target.lower() not in self.methods
        ):
            return receiver, name, args
        if name.lower() == "call":
            return None, target, args[1:]
        listed = unwrap(args[1]) if len(args) > 1 else None
        return None, target, list(listed.named_children) if listed is not None and listed.type == "array" else []

    def _lambda_called(self, receiver: Node | None, name: str) -> str | None:
        """The variable whose delegate a call runs, as `_lambdas` keys it: `run` of `run(x)`, and of
        `run.Invoke(x)`, `run.DynamicInvoke(x)` and `run.BeginInvoke(x, callback, state)` (the
        delegate's own ways to be called); None for any other call."""
        if receiver is None:
            return self._n(name)
        if name.lower() in _DELEGATE_INVOKES and role(unwrap(receiver)) is Role.IDENT:
            return self._n(text(unwrap(receiver)))
        return None

    def _delegate_call(self, receiver: Node | None, name: str) -> str | None:
        """The method of this file a call of a delegate variable runs (`run(x)`, `run.Invoke(x)`
        where `run = Go`), by its name in lower case; None for any other call."""
        if not self.methods:
            return None
        if receiver is None:
            variable = name
        elif name.lower() in _DELEGATE_INVOKES and role(unwrap(receiver)) is Role.IDENT:
            variable = text(unwrap(receiver))
        else:
            return None
        if self._own_groups is None:
            self._own_groups = {}
            for held, right in self._variables_set():
                target = self._group_target(right, own=True)
                if target is not None and held.lower() not in self.methods:
                    self._own_groups[held] = text(target).lower()
        return self._own_groups.get(self._n(variable))

    def _group_target(self, value: Node, own: bool = False) -> Node | None:
        """The member a delegate is made from: `Process.Start` of itself, of `AddressOf
        Process.Start`, `(Func<...>)Process.Start` or `new Func<...>(Process.Start)`; with `own`,
        the name of a method of this file made into a delegate the same ways (`Go`)."""
        node = unwrap(value)
        for _ in range(4):
            r = role(node)
            if own and r is Role.IDENT:
                return node if text(node).lower() in self.methods else None
            if r is Role.MEMBER and not own:
                return node
            if _delegate_wrapper(node) and node.named_child_count:
                node = unwrap(node.named_children[-1])
            elif r is Role.NEW:
                callee, args = call_parts(node)
                kind = last_name(callee)
                if len(args) != 1 or kind not in _DELEGATE_TYPES:
                    return None
                node = unwrap(args[0])
            else:
                return None
        return None

    def _emitted_calls(self, node: Node, args: list[Node], method: str | None) -> None:
        """`dm.Invoke(null, new object[] { data })` on a DynamicMethod whose IL calls
        `Assembly.Load`: the arguments go to each method the IL calls, and so do the strings the
        IL loads (`il.Emit(OpCodes.Ldstr, Request["c"])`)."""
        refs = self._emitted()
        if not refs:
            return
        loaded = [*args, *self._emitted_loads]
        for ref in refs:
            how = f"called from IL the code emits into a method built at run time, as {ref[0]}.{ref[1]}"
            self._call_as(node, loaded, method, ref, how)

    def _expression_call(self, node: Node, args: list[Node], method: str | None) -> None:
        """`Expression.Call(m, Expression.Constant(x), ...)` (or with an instance first) of a
        method found by reflection: compiled and run, it calls `m` with those arguments."""
        names = self._method_variables()
        for i, a in enumerate(args[:2]):
            ref = self._method_ref(a, names)
            if ref is not None and self._named_by_rule(ref):
                how = f"called from an expression tree compiled at run time, as {ref[0]}.{ref[1]}"
                self._call_as(node, args[i + 1 :], method, ref, how)
                return

    def _literal(self, node: Node) -> None:
        raw = text(node)
        if len(raw) < 20:
            return
        value = as_text(self.fold(node))
        if not value:
            return
        decoded = decode_literal(value.strip())
        if decoded and DANGEROUS_TEXT.search(decoded):
            shown = show(decoded)
            self.folded.setdefault(shown, self.line(node))
            self.hidden.append((self.line(node), shown))


# Stream methods that write their receiver's bytes into the stream they are given.
_STREAM_COPIES = frozenset({"copyto", "copytoasync"})
# Query objects whose text may be set after they are made (`_query_text`): the capability, and
# the member holding the text. The query's place and options are not its text (`_query_option`).
_QUERY_TEXTS = {"sql-query": "commandtext", "directory-query": "filter", "wmi-query": "query"}
# The member that names what an object made without it acts on, by capability: a query's text,
# and the server a mail client sends through (`c = new SmtpClient(); c.Host = ...`).
_SET_LATER = {**_QUERY_TEXTS, "mail": "host"}
# LINQ calls that pick one method of a type's list by a test (`_picked_method`), and how many
# nodes of the test are looked through for the name it compares.
_PICKS = frozenset({"first", "firstordefault", "single", "singleordefault", "last", "lastordefault"})
_NAME_TEST_NODES = 256
_PICKED_BY = _PICKS | {"find", "createdelegate", "compile"}
# What a value kept for every request carries as a step (`_keep`'s, and a static field's).
SHARED_FIELD = "keeps it in a static field, shared by every request"
_SHARED_STEPS = frozenset({"keeps it in the application", "keeps it in the cache", SHARED_FIELD})
_OUTPUT_WRITE = ("response", "output", "write")
# Registry hives by the `Registry` field that opens them, and the second argument of
# `OpenSubKey` that opens a key for writing.
_HIVES = {"localmachine": "HKEY_LOCAL_MACHINE", "currentuser": "HKEY_CURRENT_USER", "users": "HKEY_USERS"}
_WRITABLE = re.compile(r"(?i)^\s*true\s*$|ReadWriteSubTree|SetValue|FullControl|WriteKey")

# Declared types that say nothing of the value: its type is the initializer's (`var`, `dynamic`,
# `object`, as VB's `As Object` already was).
_UNTYPED = frozenset({"var", "dynamic", "object", "System.Object", ""})
# VB's file functions (Microsoft.VisualBasic.FileSystem): a file opened by number, written by
# number (`FileOpen(1, path, OpenMode.Output)`, then `PrintLine(1, text)`).
_VB_FILE_OPENS = frozenset({"FileOpen", "FileSystem.FileOpen"})
_VB_FILE_WRITES = frozenset({"print", "printline", "write", "writeline", "fileput", "fileputobject"})
_VB_WRITE_MODE = re.compile(r"(?i)\b(?:output|append|binary|random)\b|^\s*(?:2|4|8|32)\s*$")  # (OpenMode's values)
_VB_OUTPUT_MODE = re.compile(r"(?i)\b(?:output|append)\b|^\s*[28]\s*$")


def _vb_file_call(receiver: Node | None, lang: Lang) -> bool:
    """Whether a call of one of VB's file functions is one: unqualified in VB, or on the module
    (`FileSystem.PrintLine`, `Microsoft.VisualBasic.FileSystem.PrintLine`)."""
    if receiver is None:
        return lang is Lang.VB
    return text(receiver).replace(" ", "").lower() in {"filesystem", "microsoft.visualbasic.filesystem"}


def _vb_output(args: list[Node]) -> bool:
    """Whether `FileOpen(number, path, mode)` opens the file to write or append only."""
    return len(args) > 2 and _VB_OUTPUT_MODE.search(text(args[2])) is not None


def _file_number(node: Node) -> str:
    """The key of a file VB opened by number (`1`, `#1`, `n`) in the written-to table."""
    return "#file:" + text(node).strip().lstrip("#").strip().lower()


# Mail calls given a message built beforehand (`Send(m)`, `SendAsync(m, token)`), and the members
# of a message that name where it goes (`SinkHit.recipients`).
_MESSAGE_SENDS = frozenset({"SmtpClient.Send", "SmtpClient.SendAsync", "SmtpClient.SendMailAsync", "SmtpMail.Send"})
_RECIPIENT_FIELDS = frozenset({"to", "cc", "bcc"})
_QUERY_MEMBERS = frozenset(_SET_LATER.values())
_QUERY_OPTIONS = frozenset(
    {"directoryentry", "managementscope", "connectionoptions", "enumerationoptions", "objectgetoptions"}
)


# Calls that change an array in ways followed where the call is seen (`_array_written`,
# `_array_reverse`).
_ARRAY_FOLLOWED = frozenset({"reverse", "copy", "blockcopy", "read", "readblock", "copyto", "setvalue"})
# What reads a memory stream it is given without writing into it (`_stream_written`), and the
# streams that do either by their mode (`CompressionMode.Decompress`, `CryptoStreamMode.Read`).
_STREAM_READERS_OF = frozenset(
    {"streamreader", "binaryreader", "xmltextreader", "create", "load", "fromstream", "bitmap", "deserialize"}
)
_MODED_STREAMS = frozenset({"gzipstream", "deflatestream", "brotlistream", "zlibstream", "cryptostream"})


# Receivers whose SetValue is not the registry's (the type as declared, or the call that made it).
_SETVALUE_ELSEWHERE = frozenset(
    {"propertyinfo", "fieldinfo", "memberinfo", "array", "getproperty()", "getfield()", "getproperty", "getfield"}
    | {"engine", "v8scriptengine", "jscriptengine", "vbscriptengine"}  # a script engine's variable (Jint, ClearScript)
)


def _not_a_key(path: tuple[str, ...]) -> bool:
    """Whether `x.SetValue(...)` is on an array (`byte[] x`), a reflected member or a script
    engine (`engine.SetValue("q", value)` hands the script a variable), by what the analysis
    knows of `x`."""
    receiver = path[-2] if len(path) >= 2 else ""
    return receiver.endswith("[]") or receiver in _SETVALUE_ELSEWHERE


def _returned_type(path: tuple[str, ...], has_receiver: bool) -> str | None:
    """The type a call on a receiver returns (or each item of it), by `CALL_RETURNS`."""
    return CALL_RETURNS.get((path[-2], path[-1])) if has_receiver and len(path) >= 2 else None


def _call_type(path: tuple[str, ...], has_receiver: bool) -> str | None:
    """The same, or else by the method alone (`METHOD_RETURNS`: `typeof(T).GetProperty("P")`)."""
    found = _returned_type(path, has_receiver)
    if found is None and has_receiver and path:
        found = METHOD_RETURNS.get(path[-1].removesuffix("()"))
    return found


def _copy_parts(lname: str, args: list[Node]) -> tuple[Node | None, Node | None, list[Node | int]]:
    """(source, destination, [source offset, destination offset, count]) of `Array.Copy` (three
    arguments: from the start of both) or `Buffer.BlockCopy` and five-argument `Array.Copy`."""
    if lname == "copy" and len(args) == 3:
        return args[0], args[1], [0, 0, args[2]]
    if len(args) == 5:
        return args[0], args[2], [args[1], args[3], args[4]]
    return (args[0] if args else None), None, []


# Bytes a unit may decode in place by XOR loops, all loops together: a page of a thousand loops over
# one large array costs what one pass over 4 MiB does, and is then left unknown.
_XOR_BUDGET = 4 * 1024 * 1024


# WMI through its moniker (`GetObject("winmgmts:...")`): the services object, or the class the
# moniker ends with (`winmgmts:root\cimv2:Win32_Process`), whose `Create` starts a process.
_WMI_SERVICES = "winmgmts.swbemservices"


def _wmi_moniker(moniker: str) -> str:
    """The type a WMI moniker gives, as `_com_class` names COM types (lower case, dotted)."""
    path = moniker.removeprefix("winmgmts:")
    if "!" in path:
        path = path.split("!", 1)[1]  # `{impersonationLevel=impersonate}!\\.\root\cimv2`
    tail = path.rsplit(":", 1)[1].strip() if ":" in path else ""
    return f"winmgmts.{tail}" if tail.startswith("win32_") and tail.isidentifier() else _WMI_SERVICES


def _extends(method: Node) -> bool:
    """Whether a C# method is an extension method (`static void Run(this string s)`)."""
    params = method.child_by_field_name("parameters")
    first = params.named_children[0] if params is not None and params.named_child_count else None
    return first is not None and re.match(r"this\s", text(first)) is not None


# A generic's type arguments, whose dots are not the callee's (`CreateInstance<System.IO.File>`).
_GENERIC_ARGS = re.compile(r"<[^<>]*>")


def _imports(root: Node) -> tuple[dict[str, list[str]], list[tuple[str, ...]]]:
    """A file's `using`/`Imports` aliases (`using P = System.Diagnostics.Process;`: "p" -> its
    parts in lower case) and the types of its `using static` directives, at the top level or in a
    namespace."""
    aliases: dict[str, list[str]] = {}
    static: list[tuple[str, ...]] = []
    stack = [root]
    seen = 0
    while stack and seen < 4096:
        node = stack.pop()
        seen += 1
        for child in node.named_children:
            if child.type in {"using_directive", "imports_statement"}:
                names = child.named_children
                target = text(names[-1]).lower().replace(" ", "") if names else ""
                parts = [p for p in target.removeprefix("global::").split(".") if p]
                if len(names) == 2 and names[0].type == "identifier":
                    aliases[text(names[0]).lower()] = parts
                elif len(names) == 1 and re.match(r"using\s+static\b", text(child)):
                    static.append(tuple(parts))
            elif child.type in {"namespace_declaration", "file_scoped_namespace_declaration", "declaration_list"}:
                stack.append(child)
    return aliases, static


def _delegate_wrapper(node: Node) -> bool:
    """A cast or VB's `AddressOf` around the method or lambda a delegate is made from."""
    return role(node) is Role.CAST or (node.type == "unary_expression" and text(node)[:9].lower() == "addressof")


_PROPERTY_TYPES = frozenset({"property_declaration", "indexer_declaration"})


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


def _callback(node: Node) -> Node:
    """The lambda or method name a callback argument stands for: through a cast, a delegate's
    constructor (`new WaitCallback(Work)`) and VB's `AddressOf Work`."""
    cb = unwrap(node)
    for _ in range(4):
        made = call_parts(cb)[1] if role(cb) is Role.NEW else []
        if _delegate_wrapper(cb) and cb.named_child_count:
            cb = unwrap(cb.named_children[-1])
        elif made:
            cb = unwrap(made[0])
        else:
            break
    return cb


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


def _has_holes(node: Node) -> bool:
    """Whether a string literal is C#'s interpolated string with at least one `{...}` hole."""
    return node.type == "interpolated_string_expression" and any(c.type == "interpolation" for c in node.named_children)


def _uncast(node: Node) -> Node:
    """The value under up to four casts (`(HttpWebRequest)WebRequest.Create(u)`, `(Func<...>)x`)."""
    for _ in range(4):
        if role(node) is not Role.CAST or not node.named_child_count:
            break
        node = unwrap(node.named_children[-1])
    return node


def _type_named(node: Node) -> str | None:
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


def _first_named(node: Node) -> Node | None:
    """A node's first named child (a `return` statement's value), if it has one."""
    return node.named_children[0] if node.named_child_count else None


def _class_named(callee: Node) -> str:
    """The lower-case name a constructor or call names, without generic arguments:
    `new System.Collections.Generic.List<string>(a)` and VB's `New List(Of String)(a)` -> "list"."""
    return re.split(r"[<(]", last_name(callee), maxsplit=1)[0].strip()


def _made_by(decl: Node, value: Node | None) -> Node | None:
    """What a declaration makes: its value (`var t = new TextBox()`), or VB's `As` clause
    (`Dim t As New TextBox()`, which is a `New` of its own)."""
    if value is not None:
        return unwrap(value)
    return vb_as_clause(decl) if decl.type == "dim_statement" else None


# Loops a method's straight-line body may hold when they only append to a text (`fold.loop_spec`).
_FOLDED_LOOPS = frozenset(
    {"foreach_statement", "for_each_statement", "for_statement", "while_statement", "do_statement"}
)


def _reversed_array(call: Node) -> Node | None:
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


def _body_statements(body: Node) -> list[Node]:
    """The statements of a block, or of a method's block body, comments left out (C#'s block,
    VB's statements between the signature and `End Function`: its modifiers, name, parameters
    and type are not statements)."""
    block = body if body.type in {"block", "statement_block"} else body.child_by_field_name("body")
    children = block.named_children if block is not None else body.named_children
    stmts = [s.named_children[0] if s.type == "statement" and s.named_child_count else s for s in children]
    return [s for s in stmts if s.type not in _NOT_STATEMENTS and role(s) is not Role.IDENT]


# What a VB method's node holds beside its statements, and comments.
_NOT_STATEMENTS = frozenset(
    {"comment", "parameter_list", "identifier", "type", "predefined_type", "as_clause", "modifier", "modifiers"}
)


def _single_return(body: Node) -> Node | None:
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
            return _single_return(inner) if inner is not None else None
    stmts = _body_statements(body)
    if len(stmts) == 1 and stmts[0].type == "return_statement" and stmts[0].named_child_count:
        return stmts[0].named_children[0]
    return None


# Stores a method's body may make before its `return` for the folder to read it (`_straight_return`).
_STRAIGHT_STEPS = 32
_LOOPS = frozenset({"foreach_statement", "for_in_statement", "for_each_statement"})
_IN_MEMORY_READERS = frozenset({"stringreader", "memorystream"})
# Collections made with an initializer that `_fixed_texts` reads (last name, lower case).
_LIST_TYPES = frozenset({"list", "hashset", "sortedset", "collection", "readonlycollection"})
# Calls that change a collection after it is made (`_changed_collections`).
_COLLECTION_CHANGES = frozenset({"add", "addrange", "insert", "insertrange", "setvalue", "push", "enqueue"})
# Resource readers that open a path or read a stream: only a stream of the request's is its data.
_RESOURCE_READERS = frozenset(
    {"new ResourceReader", "new ResXResourceReader", "new ResourceSet", "new ResXResourceSet"}
)


# Leaves of no meaning to the flow (VB's blank lines, which inside a method are empty statements,
# every grammar's comments and C#'s lone `;`): not counted
# against the node budget, so a unit padded with hundreds of thousands of them is still followed
# whole rather than handed to the token reader.
_PADDING = frozenset({"blank_line", "comment", "empty_statement"})


# Variables' types and the calls or properties whose value is an open stream, not a file's path.
_STREAM_TYPES = frozenset(
    {"stream", "networkstream", "sslstream", "memorystream", "bufferedstream", "cryptostream"}
    | {"gzipstream", "deflatestream", "standardinput", "filestream", "namedpipeclientstream", "namedpipeserverstream"}
    | {"anonymouspipeclientstream", "anonymouspipeserverstream", "pipestream"}
)
# Streams to another process or host, and the writers a page may wrap them in: what the writer
# writes goes down the socket or pipe.
_RELAY_STREAMS = frozenset({"networkstream", "namedpipeclientstream", "namedpipeserverstream"})
_STREAM_WRITERS = frozenset({"binarywriter", "streamwriter"})
_WRITER_WRITES = frozenset({"write", "writeline", "writeasync", "writelineasync"})
_STREAMS_GIVEN = frozenset(
    {"getstream", "outputstream", "basestream", "getresponsestream", "getrequeststream", "openstandardoutput"}
    | {"openstandardinput", "openstandarderror"}
)
# Pipes count too: a named pipe is reachable over SMB, and an implant waits on one for commands.
_PIPES = frozenset({"namedpipeserverstream", "namedpipeclientstream"})
_SOCKETS = frozenset({"tcpclient", "networkstream", "socket", "sslstream", "udpclient", *_PIPES})
# PowerShell calls that give a value to the cmdlet added before them, and the cmdlets (lower case)
# that run such a value as a script.
_POWERSHELL_ARGS = frozenset({"addparameter", "addargument"})
_SCRIPT_CMDLETS = frozenset(
    {"invoke-expression", "iex", "invoke-command", "icm", "microsoft.powershell.utility\\invoke-expression"}
)
# Literals that are words, not numbers or strings: constants the folder leaves alone.
_LITERAL_WORDS = frozenset({"true", "false", "null", "nothing"})
_REQUEST_TYPE = re.compile(r"\bHttpRequest(?:Base|Wrapper)?\b", re.I)
# Classes of the server controls whose values the client posts back (what `FindControl`'s result
# may be cast to).
_INPUT_CONTROL_CLASSES = frozenset(
    {*INPUT_CONTROLS.values(), "HtmlInputFile", "HtmlInputHidden", "HtmlInputPassword", "HtmlTextArea"}
)
# Calls that run a method built at run time with Reflection.Emit (`DynamicMethod.Invoke`), by
# the callee's resolved type and name.
# Delegate types a method group is wrapped in by name (`new Func<string, Process>(Process.Start)`).
_DELEGATE_TYPES = frozenset({"func", "action", "predicate", "converter", "threadstart", "parameterizedthreadstart"})
# Calls that return what a URL they are given serves (WebClient's and HttpClient's).
_DOWNLOADS = frozenset(
    {
        "downloaddata",
        "downloadstring",
        "downloaddatataskasync",
        "downloadstringtaskasync",
        "getstringasync",
        "getbytearrayasync",
        "getstreamasync",
    }
)
# Calls that give the body of a web response already received: `WebResponse`'s stream, and
# `HttpContent`'s readers (on a response's `Content`; the request's own is a source).
_RESPONSE_BODIES = frozenset({"getresponsestream", "readasstringasync", "readasbytearrayasync", "readasstreamasync"})
# A delegate's own methods that run it with the arguments given (`BeginInvoke` adds a callback
# and a state object after them).
_DELEGATE_INVOKES = frozenset({"invoke", "dynamicinvoke", "begininvoke"})
_DYNAMIC_METHOD_CALLS = frozenset({("dynamicmethod", "invoke"), ("dynamicmethod", "dynamicinvoke")})
# A CLSID's text read into a Guid: `Guid.Parse("...")` and its stricter form.
_GUID_PARSERS = frozenset({"parse", "parseexact"})
# Calls that keep a file's name from a path (an extension alone is no file name).
_FILE_NAME_ONLY = NAME_ONLY - {"getextension"}


def _bare_file_name(node: Node) -> bool:
    """Whether a path is a file's name alone: an upload's own `FileName`, or what
    `Path.GetFileName(...)` keeps of any path."""
    node = unwrap(node)
    if role(node) is Role.CALL:
        return last_name(call_parts(node)[0]) in _FILE_NAME_ONLY
    return role(node) is Role.MEMBER and member_parts(node)[1].lower() == "filename"


def _const_declarator(node: Node) -> bool:
    """Whether a C# declarator is of a `const` field or local (`const string K = "k";`)."""
    if node.type != "variable_declarator" or node.parent is None or node.parent.parent is None:
        return False
    holder = node.parent.parent  # variable_declaration -> field_declaration / local_declaration_statement
    return any(c.type == "modifier" and text(c) == "const" for c in holder.children)


def _vb_const_pairs(node: Node) -> list[tuple[Node, Node]]:
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


def _returns_records(method: Node) -> bool:
    """Whether a method is declared to return query results (`_RECORD_TYPES`): C#'s return type,
    VB's `As` type of a function."""
    declared = method.child_by_field_name("returns") or method.child_by_field_name("return_type")
    return declared is not None and text(declared).lower().rsplit(".", 1)[-1] in _RECORD_TYPES


def _store_named(node: Node | None) -> str | None:
    """The store (`_STORES`) an expression names by its last part: `Session`, `this.Cache`,
    `HttpContext.Current.Application`."""
    if node is None:
        return None
    last = text(unwrap(node)).lower().rsplit(".", 1)[-1]
    return last if last in _STORES else None


def _returned_by(lam: Node) -> list[Node]:
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


_REQUEST_FACTORIES = ("webrequest.create", "webrequest.createhttp", "webrequest.createdefault")
# The page's own site as the start of a URL: the scheme and authority of the URL it was asked
# for (`Request.Url.GetLeftPart(UriPartial.Authority)`, `Request.Url.Scheme + "://" +
# Request.Url.Authority`), as script combiners and warm-up pages fetch their own pages.
_SITE_ORIGIN = re.compile(
    r"(?i)\s*(?:[\w.]+\.)?request\.url\.(?:getleftpart\s*\(|authority\b|host\b|scheme\b.{0,60}?\.url\.(?:authority|host)\b)",
    re.DOTALL,
)
# Calls that run a lambda and give what it returns (`await Task.Run(() => x)`,
# `Task.Factory.StartNew(...)`, `new Lazy<string>(() => x).Value`).
_RUNS_LAMBDA = frozenset({"run", "startnew", "lazy"})
# COM HTTP clients (ProgIDs without their version): `Open(verb, url, ...)` names the URL that a
# later `Send(body)` posts to, as `WebRequest.Create(url)` does for `GetRequestStream()`.
_COM_HTTP = frozenset({"msxml2.serverxmlhttp", "msxml2.xmlhttp", "microsoft.xmlhttp", "winhttp.winhttprequest"})
_CLASS_DECL = re.compile(r"\b(?:class|Class|CLASS)\s+([A-Za-z_]\w*)")
_FOLDER = re.compile(r"^(?:~|[A-Za-z]:)?[\\/]?(?:[\w.-]+[\\/])+")


# Strings with holes (C# and VB interpolation, JavaScript template literals), their holes, the parts of
# a hole that are not its value (`{x,5:F2}`), and the literal text between holes.
_INTERPOLATED = frozenset({"interpolated_string_expression", "interpolated_string_literal", "template_string"})
_HOLES = frozenset({"interpolation", "template_substitution"})
# Calls that build a string from their arguments: one the request did not give joins the rest.
_JOINING = frozenset({"format", "concat", "join", "append", "appendformat", "appendline", "insert"})
_HOLE_CLAUSES = frozenset({"interpolation_alignment_clause", "interpolation_format_clause", "interpolation_brace"})
_HOLE_TEXT = frozenset({"string_content", "string_fragment", "escape_sequence"})


_GUID_MAKERS = frozenset({"guid", "guid.parse", "guid.tryparse", "guid.parseexact", "guid.tryparseexact"})


def _guid_text(node: Node) -> Node:
    """The text a Guid is made from (`new Guid(s)`, `Guid.Parse(s)`: `s`), else the node."""
    inner = unwrap(node)
    if role(inner) in {Role.NEW, Role.CALL}:
        callee, args = call_parts(inner)
        if args and _makes_guid(callee):
            return args[0]
    return node


def _makes_guid(callee: Node | None) -> bool:
    """Whether a call or creation turns its argument into a Guid (`new Guid(s)`, `Guid.Parse(s)`):
    sixteen bytes that look up a record, which carry no path, type name or command the client
    wrote."""
    if callee is None:
        return False
    name = dotted(unwrap(callee)).lower().removesuffix("()").removeprefix("system.")
    return name in _GUID_MAKERS


# Sinks whose path argument counts only when the client can name the file itself.
_NAMED_BY_CODE = frozenset({"file-read", "file-manage"})
# A path's last component written by the code after a separator: `\\config\\templates.json`.
_FILE_NAME_TAIL = re.compile(r"[\\/](?:[\w .-]*\w)?\.([A-Za-z0-9]{1,8})$")
# Extensions IIS hands to ASP.NET or classic ASP to run (and web.config), which a file of the
# site may not be given by the client's choice; any other fixed extension keeps a written file data.
_RUN_BY_SERVER = frozenset(
    {
        "aspx",
        "ashx",
        "asmx",
        "ascx",
        "asax",
        "master",
        "soap",
        "svc",
        "rem",
        "cshtml",
        "vbhtml",
        "asp",
        "asa",
        "cer",
        "cdx",
        "config",
        "axd",
        "shtml",
        "stm",
        "shtm",
        "xamlx",
        "cs",
        "vb",
        "resx",
    }
)
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,8})$")
# Of those, the pages a request runs by their name (not configuration or source files, which a
# site's own tools write): what a writer of the client's text into a fixed file plants.
_PAGE_EXTENSIONS = _RUN_BY_SERVER - {"config", "cs", "vb", "resx"}
# What the client sends as text or a body (not an upload, whose own file a fixed name renames).
_DROPPED = frozenset({"request", "control", "webmethod", "body"})
# The site's folders whose files the server loads or compiles (the start of a path, as written).
_CODE_FOLDER = re.compile(r"(?:~|\.)?/?(?:bin|app_code)/?")


def _runs_as_code(where: list[str], extension: str) -> bool:
    """Whether a file of a fixed path (its lower-case segments) runs on the server though it is
    no page: a DLL in the site's bin folder (picked up for the next requests), a code file
    under App_Code (compiled), or web.config (which can hand any extension to the page
    compiler)."""
    folders = where[:-1]
    if extension == "dll":
        return "bin" in folders
    if extension in {"cs", "vb"}:
        return "app_code" in folders
    return where[-1] == "web.config"


def _safe_extension(tail: str) -> bool:
    m = _EXTENSION.search(tail.strip())
    return m is not None and m.group(1).lower() not in _RUN_BY_SERVER


_SECRET_FILES = frozenset({"config", "pfx", "p12", "pem", "key", "dit", "hiv", "sav"})


def _response_body(node: Node) -> bool:
    """Whether an expression is the body stream of a web response (`resp.GetResponseStream()`):
    a reader over it reads what a server answered, whatever URL the request chose."""
    node = unwrap(node)
    if role(node) is not Role.CALL:
        return False
    callee, _ = call_parts(node)
    return dotted(callee).lower().endswith("getresponsestream")


def _in_memory_reader(node: Node) -> bool:
    """Whether an argument is a reader over text or bytes already in memory (`new
    StringReader(x)`, `new MemoryStream(b)`): an XML reader or document loaded from it reads that
    text, not a file its value names."""
    node = unwrap(node)
    return role(node) is Role.NEW and last_name(call_parts(node)[0]) in _IN_MEMORY_READERS


def _request_stream(node: Node) -> bool:
    """Whether an argument is a stream of what the request carries: its body
    (`Request.InputStream`, `GetBufferedInputStream()`) or an upload's (`Files[0].InputStream`)."""
    return last_name(unwrap(node)) in {"inputstream", "getbufferedinputstream", "getbufferlessinputstream"}


def _fixed_folder(prefix: str | None) -> bool:
    """Whether text a path starts with names a folder (`Modules/Logo/`, `C:\\data\\`): the code,
    not the client, then chooses where the path leads."""
    return bool(prefix) and _FOLDER.match(prefix or "") is not None


# A URL's scheme and host written out, then its port or the start of its path, query or
# fragment (a backslash is a slash to .NET's `Uri` in http URLs): what follows cannot change the
# server it goes to.
_HOST = re.compile(r"(?i)\s*[a-z][a-z0-9+.-]*://[^/?#\\\s]+[/?#\\:]")


def _fixed_host(prefix: str | None) -> bool:
    """Whether text a URL starts with names its server (`https://maps.example.com/geo?lat=`): the
    client then fills in parameters, not where the request goes."""
    return bool(prefix) and _HOST.match(prefix or "") is not None


# Values the server makes up itself, never the client nor anyone else: the clock, a new GUID,
# the machine's and the worker process's own names and numbers, with what is read
# off them (`DateTime.Now.ToString("yyyyMMdd")`, `Guid.NewGuid().ToString("N")`). A format
# argument counts only as a standard one-letter format or a custom one made of digit-giving
# specifiers and separators: other letters are copied as they are (`"\\c\\m\\d"` gives "cmd").
_SERVER_VALUE = re.compile(
    r"(?:System\.)?(?:DateTime\.(?:Now|UtcNow|Today)|DateTimeOffset\.(?:Now|UtcNow)|Guid\.NewGuid\s*\(\s*\)"
    r"|Environment\.(?:MachineName|TickCount64|TickCount|ProcessorCount|ProcessId)"
    r"|(?:IO\.)?Path\.(?:GetTempFileName|GetRandomFileName|GetTempPath)\s*\(\s*\)"
    r"|(?:System\.Diagnostics\.)?Process\.GetCurrentProcess\s*\(\s*\)\.Id|Now|Today|Timer)"
    r"(?:\s*\.\s*\w+(?:\s*\(\s*(?:\"(?:[dDfFgGMmOoRrstTuUYyNBPX]|[yMdHhmsfFz:/. _-]*)\"|-?\d+)?\s*\))?)*\s*$"
)


def _operands(node: Node) -> list[Node]:
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


def _last_joined(node: Node) -> Node:
    """The last operand of a chain of `+` or `&` (`a + b + "\\x.json"` -> `"\\x.json"`)."""
    right = node
    while role(right) is Role.BINARY and operator(right) in {"+", "&"} and right.named_child_count:
        right = unwrap(right.named_children[-1])
    return right


def _leftmost(node: Node) -> Node:
    """The first operand of a chain of binary operators (`a + b + c` -> `a`)."""
    cur = unwrap(node)
    for _ in range(256):
        if role(cur) is not Role.BINARY or not cur.named_child_count:
            break
        cur = unwrap(cur.named_children[0])
    return cur


def _type_last_name(named: str) -> str | None:
    """The last name of a type as written out (`"System.Diagnostics.Process, System"` is
    `Process`): the assembly after a comma left off."""
    return named.split(",", 1)[0].strip().rsplit(".", 1)[-1] or None


def _static_field(declarator: Node) -> bool:
    """Whether a class-level declarator is of a static field (C#'s `static`, VB's `Shared`)."""
    holder = declarator.parent
    if holder is not None and holder.type == "variable_declaration":
        holder = holder.parent  # C#: field_declaration > variable_declaration > variable_declarator
    if holder is None or holder.type != "field_declaration":
        return False
    marks = [c for c in holder.named_children if c.type in {"modifier", "modifiers"}]
    words = {text(m).lower() for c in marks for m in ([c] if c.type == "modifier" else c.named_children)}
    return bool(words & {"static", "shared"})


def _own_member(node: Node) -> str | None:
    """`cmd` of `this.cmd` or `Me.cmd`: a member of the object the code runs in."""
    node = unwrap(node)
    if role(node) is not Role.MEMBER:
        return None
    holder, name = member_parts(node)
    if holder is None or text(holder) not in {"this", "Me", "me", "base", "MyBase"}:
        return None
    return name or None


def _chain_root(node: Node) -> Node | None:
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


def _by_reference(arg: Node) -> Node | None:
    """The variable a C# argument passes with `ref` or `out`, which the callee may set (`out v`,
    `ref v`, `out var v`); None for any other argument."""
    if arg.child_count < 2 or arg.children[0].type not in {"out", "ref"} or not arg.named_children:
        return None
    target = arg.named_children[-1]
    if target.type == "declaration_expression":
        target = target.child_by_field_name("name") or target
    return target if role(target) is Role.IDENT else None


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


_BUILDER_STEPS = frozenset({"append", "appendline", "appendformat", "insert"})


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


def _base_ident(node: Node) -> Node | None:
    """The variable at the root of `a.b.c` or `a[i]`, also through a cast (`((Process)p).StartInfo`,
    `(p as Process).StartInfo`, VB's `CType(p, Process).StartInfo`)."""
    root = _chain_root(node)
    if root is not None and root.type in {"cast_expression", "as_expression"}:
        value = root.child_by_field_name("value") or root.child_by_field_name("left")
        root = unwrap(value) if value is not None else None
    elif root is not None and role(root) is Role.CALL:
        callee, args = call_parts(root)  # VB's `CType(o, ProcessStartInfo).Arguments`
        if args and last_name(callee) in {"ctype", "directcast", "trycast"}:
            root = unwrap(args[0])
    return root if root is not None and root.type == "identifier" and role(root) is Role.IDENT else None
