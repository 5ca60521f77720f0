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

Each pass is a module of this package: `constants` and `arrays` (2), `objects` (the types),
`request` (where request data enters), `propagate` and `taints` (3), `sinks` (4) with `urls`,
`paths`, `lists` and `mail` for what a sink's arguments name, `reflection` and `delegates` for
methods run by name or through a delegate; `nodes` holds the readings of syntax they share.
This module keeps the state, the first pass and the order of the passes (`run_together`).

Nothing is executed; the tree is only read.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from tree_sitter import Node

from exhunt.codeanalysis import builders
from exhunt.codeanalysis.entry import (
    OPERATION_ATTRIBUTES,
    bound_property,
    controller_action,
    edited_member,
    hub_method,
    page_handler,
)
from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow import (
    arrays,
    constants,
    delegates,
    lists,
    mail,
    objects,
    paths,
    propagate,
    reflection,
    request,
    sinks,
    taints,
    urls,
)
from exhunt.codeanalysis.flow.nodes import LOOPS, REQUEST_TYPE, Method, const_declarator, single_return, vb_const_pairs
from exhunt.codeanalysis.fold import Callable1, Folder, TooDeep, TooLarge, TooSlow, Value, show
from exhunt.codeanalysis.syntax import Parsed, Role, operator, role, text, unwrap
from exhunt.codeanalysis.taint import Budget, SinkHit, SinkRule, Taint
from exhunt.codeanalysis.vocabulary import DANGEROUS_TEXT, SinkPattern, cipher_name

# A method declared as a native function: C#'s `extern` (P/Invoke), VB's `Declare ... Lib "x.dll"`
# (whose node starts at `Function Name Lib`).
_NATIVE_DECLARATION = re.compile(
    r"\bextern\b|^\s*(?:(?:public|private|friend|protected|shared)\s+)*declare\b|^\s*(?:function|sub)\s+\[?\w+\]?\s+lib\s"
)


# C#'s `params` and VB's `ParamArray`: allowed on the last parameter only.
_REST_PARAMETER = re.compile(r"(?<![@\w])params\s|(?i:\bparamarray\s)")


MAX_NESTING = 400


@dataclass(slots=True)
class PageScope:
    """State the units of one file share (see `UnitFlow`)."""

    consts: dict[str, Value] = field(default_factory=dict)
    taints: dict[tuple[str | None, str], Taint] = field(default_factory=dict)
    returns: dict[str, Taint] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    overloads: dict[str, list[Method]] = field(default_factory=dict)  # every method of a name, in order
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


_ATTRIBUTE_LISTS = frozenset({"attribute_list", "attribute_block"})


def _signature(node: Node) -> str:
    """A member's declaration up to its parameters, lower case, its attributes left out: the
    arguments of `[HttpGet("run")]` or `<Route("x")>` must not end it before its modifiers."""
    start = next((c.start_byte for c in node.children if c.type not in _ATTRIBUTE_LISTS), node.start_byte)
    rest = node.text[start - node.start_byte :] if node.text is not None else b""
    return rest.decode("utf-8", "replace").split("(", 1)[0].lower()


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


def _has_holes(node: Node) -> bool:
    """Whether a string literal is C#'s interpolated string with at least one `{...}` hole."""
    return node.type == "interpolated_string_expression" and any(c.type == "interpolation" for c in node.named_children)


# Leaves of no meaning to the flow (VB's blank lines, which inside a method are empty statements,
# every grammar's comments and C#'s lone `;`): not counted
# against the node budget, so a unit padded with hundreds of thousands of them is still followed
# whole rather than handed to the token reader.
_PADDING = frozenset({"blank_line", "comment", "empty_statement"})


_CLASS_DECL = re.compile(r"\b(?:class|Class|CLASS)\s+([A-Za-z_]\w*)")


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


class UnitFlow:
    """What one parsed unit does with request data (see the module's passes)."""

    def __init__(
        self,
        parsed: Parsed,
        lang: Lang,
        rules: Sequence[SinkRule],
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
        # `SET_LATER`
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
            kind = node.type  # read once: each read makes a new string
            if kind in _PADDING or (
                kind == "statement" and node.child_count == 1 and node.children[0].type == "empty_statement"
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
                method = "this" if kind == "indexer_declaration" else self._n(text(name_node)) or method
                self._method(node, method or "?")
                in_lambda = False
            elif r is Role.LAMBDA:
                in_lambda = True
            elif r is Role.RETURN and in_lambda:
                r = Role.OTHER  # the lambda's value (`returned_by`), not one the method returns
            elif kind == "call_statement" and node.named_child_count:
                inner = unwrap(node.named_children[0])
                if role(inner) is Role.BINARY and operator(inner) == "=":
                    out.append((inner, method))  # VB: `x = value` parsed as a comparison statement
                elif role(inner) is Role.BINARY and operator(inner).lower() == "xor":
                    out.append((inner, method))  # VB: `b(i) = b(i) Xor k`, read as `(b(i) = b(i)) Xor k`
            if r is Role.DECL:
                named: list[Node | None] = [n for n, _ in vb_const_pairs(node)] if kind == "const_declaration" else []
                for name_node in named or [node.child_by_field_name("name")]:
                    if name_node is None:
                        continue
                    lname = text(name_node).lower()
                    self.scope.declarations[lname] = self.scope.declarations.get(lname, 0) + 1
                    if kind == "const_declaration" or const_declarator(node):
                        self.scope.const_names.add(lname)
                    self._declared.add(lname)
                    if method is None:
                        self.fields.add(self._n(text(name_node)))
                        if _static_field(node):
                            self.scope.shared.add(self._n(text(name_node)))
            if r in keep or kind in LOOPS or kind == "add_handler_statement":
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
                    if REQUEST_TYPE.search(text(p)):
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
        m = Method(name, params, node, webmethod, tuple(steps), byref, rest, native)
        self.methods.setdefault(name.lower(), m)
        self._overloads.setdefault(name.lower(), []).append(m)
        ret = single_return(node)  # a block of one `return`, or an expression body (`=> ...`)
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

    # The passes, each a module of functions whose first parameter is this flow, bound here as
    # its methods so that each pass calls the others as `flow._name(...)`.

    # constants.py: what each name holds, folded once
    _targets = constants._targets
    _declared_first = constants._declared_first
    _constants = constants._constants
    _builder_declared = constants._builder_declared
    _held_builder = constants._held_builder
    _hold = constants._hold
    _vb_library = constants._vb_library
    _parameters = constants._parameters
    _parameter_names = constants._parameter_names
    _straight_return = constants._straight_return
    _local_stores = constants._local_stores
    _overload = constants._overload
    _own_call = constants._own_call
    _lambda = constants._lambda
    _values_of = constants._values_of
    _assignments = constants._assignments
    _constant_getter = constants._constant_getter
    _deconstructed = constants._deconstructed
    _variables_set = constants._variables_set
    _literal = constants._literal

    # arrays.py: constant arrays and streams filled in place
    _vb_as_new = arrays._vb_as_new
    _element_store = arrays._element_store
    _item_set = arrays._item_set
    _held_array = arrays._held_array
    _decoded_in_place = arrays._decoded_in_place
    _array_written = arrays._array_written
    _stream_filled = arrays._stream_filled
    _memory_stream = arrays._memory_stream
    _passed_by_reference = arrays._passed_by_reference
    _array_handed_out = arrays._array_handed_out
    _constant_arrays = arrays._constant_arrays
    _array_wrapped = arrays._array_wrapped
    _made_into = arrays._made_into
    _stream_written = arrays._stream_written
    _copied = arrays._copied
    _vb_xor_store = arrays._vb_xor_store
    _xor_all = arrays._xor_all
    _array_reverse = arrays._array_reverse

    # objects.py: the type each variable holds
    _set_type = objects._set_type
    _item_type = objects._item_type
    _type_of = objects._type_of
    _com_class = objects._com_class
    _own_object = objects._own_object
    _made_by_name = objects._made_by_name
    _type = objects._type
    _types_text = objects._types_text
    _resolved_path = objects._resolved_path
    _typed_path = objects._typed_path
    _receiver_type = objects._receiver_type
    _statically_imported = objects._statically_imported
    _in_namespace = objects._in_namespace
    _stored_in = objects._stored_in

    # request.py: where request data enters
    _request_alias = request._request_alias
    _library_object = request._library_object
    _control_made = request._control_made
    _control_added = request._control_added
    _found_control = request._found_control
    _find_control = request._find_control
    _source = request._source
    _with_request = request._with_request
    _control = request._control
    _markup_control = request._markup_control
    _upload_control = request._upload_control

    # propagate.py: taint carried to a fixed point
    _names_in = propagate._names_in
    _reads_changed = propagate._reads_changed
    _propagate = propagate._propagate
    _put = propagate._put
    _set = propagate._set
    _store = propagate._store
    _shared_step = propagate._shared_step
    _keep = propagate._keep
    _store_key = propagate._store_key
    _constant_name = propagate._constant_name
    _kept = propagate._kept
    _store_item = propagate._store_item
    _is_property = propagate._is_property
    _class_member = propagate._class_member
    _call_effects = propagate._call_effects
    _state_into = propagate._state_into
    _setter = propagate._setter
    _item_callback = propagate._item_callback
    _each_into = propagate._each_into
    _lambda_names = propagate._lambda_names
    _own_out_arguments = propagate._own_out_arguments
    _out_arguments = propagate._out_arguments
    _from_callers = propagate._from_callers
    _callback_params = propagate._callback_params

    # taints.py: the taint of one expression
    taint = taints.taint
    _taint = taints._taint
    _call_taint = taints._call_taint
    _interpolated = taints._interpolated
    _fixed = taints._fixed
    _open_store = taints._open_store

    # urls.py: the servers a unit fetches from or sends to
    _web_request = urls._web_request
    _fetch_taint = urls._fetch_taint
    _fixed_server = urls._fixed_server
    _code_start = urls._code_start
    _com_http_open = urls._com_http_open
    _url_taint = urls._url_taint
    _fetched = urls._fetched
    _servers_own = urls._servers_own

    # sinks.py: the calls the rules name, and what reaches them
    _patterns_named = sinks._patterns_named
    _sinks = sinks._sinks
    _framework_group = sinks._framework_group
    _own_body = sinks._own_body
    _runs_scripts = sinks._runs_scripts
    _indexed = sinks._indexed
    _hit = sinks._hit
    _names_a_type = sinks._names_a_type
    _writable_key = sinks._writable_key
    _hive = sinks._hive
    _any_method = sinks._any_method
    _built_with = sinks._built_with
    _query_text = sinks._query_text
    _query_option = sinks._query_option
    _expanded = sinks._expanded
    _environment = sinks._environment
    _fixed_command = sinks._fixed_command
    _unresolved = sinks._unresolved

    # paths.py: where a write goes
    _in_site = paths._in_site
    _names_file = paths._names_file
    _site_rooted = paths._site_rooted
    _relay_stream = paths._relay_stream
    _stream_given = paths._stream_given
    _a_stream = paths._a_stream
    _write_taint = paths._write_taint
    _page_write = paths._page_write
    _path_tail = paths._path_tail
    _into_code_folder = paths._into_code_folder
    _client_rooted = paths._client_rooted
    _beside_itself = paths._beside_itself
    _fixes_extension = paths._fixes_extension
    _fso_writes = paths._fso_writes

    # lists.py: collections the code fixes
    _constant_item = lists._constant_item
    _fixed_texts = lists._fixed_texts
    _changed_collections = lists._changed_collections
    _loop_constants = lists._loop_constants

    # mail.py: where a message goes
    _recipients = mail._recipients
    _mail_addresses = mail._mail_addresses
    _mail_field = mail._mail_field
    _address = mail._address
    _served_back = mail._served_back

    # reflection.py: methods run by name
    _reflective = reflection._reflective
    _method_ref = reflection._method_ref
    _compiled_call = reflection._compiled_call
    _picked_method = reflection._picked_method
    _listed_type = reflection._listed_type
    _looped_method = reflection._looped_method
    _name_tested = reflection._name_tested
    _name_compared = reflection._name_compared
    _reflected_type = reflection._reflected_type
    _type_by_name = reflection._type_by_name
    _type_variables = reflection._type_variables
    _event_hook = reflection._event_hook
    _called_by_name = reflection._called_by_name
    _late_bound = reflection._late_bound
    _com_call_by_name = reflection._com_call_by_name
    _call_as = reflection._call_as
    _emitted = reflection._emitted
    _named_by_rule = reflection._named_by_rule
    _method_variables = reflection._method_variables
    _bound_method = reflection._bound_method
    _method_groups = reflection._method_groups
    _emitted_calls = reflection._emitted_calls
    _expression_call = reflection._expression_call

    # delegates.py: delegates and functions called as values
    _js_global_eval = delegates._js_global_eval
    _js_called = delegates._js_called
    _lambda_called = delegates._lambda_called
    _delegate_call = delegates._delegate_call
    _group_target = delegates._group_target
