"""The calls of a unit that the rules name as sinks, and how much of the client's data reaches them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow import xmlcontrols
from exhunt.codeanalysis.flow.nodes import (
    CLIENT_TEXT,
    EACH_ITEM,
    EACH_OF,
    INITIALIZERS,
    QUERY_TEXTS,
    SET_LATER,
    STORED_PARTS,
    STORES_OF,
    VB_FILE_OPENS,
    callback_node,
    each_parts,
    in_memory_reader,
    makes_guid,
    request_stream,
)
from exhunt.codeanalysis.fold import Value, as_text, show
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
)
from exhunt.codeanalysis.taint import SinkHit, SinkRule, Taint, merge
from exhunt.codeanalysis.vocabulary import SinkPattern

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# An environment variable as a command line expands it: cmd's `%NAME%`, PowerShell's `$env:NAME`
# (`{}` around the name too), in lower case.
_EXPANDED = re.compile(r"%([^%\s]{1,255})%|\$env:\{?([\w()]{1,255})")


_EACH_ANY = EACH_ITEM | EACH_OF


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


# The calls that start a process whose command line may have been stored into the object they
# are given or make (`_fixed_command`).
_PROCESS_CALLS = frozenset({"Process.Start", "new ProcessStartInfo", "new Process"})


_STORE_HOLDERS = frozenset(
    {"processstartinfo", "process", "sqlconnection", "oledbconnection", "odbcconnection", "dbconnection"}
)


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


_OUTPUT_WRITE = ("response", "output", "write")


# Registry hives by the `Registry` field that opens them, and the second argument of
# `OpenSubKey` that opens a key for writing.
_HIVES = {"localmachine": "HKEY_LOCAL_MACHINE", "currentuser": "HKEY_CURRENT_USER", "users": "HKEY_USERS"}


_WRITABLE = re.compile(r"(?i)^\s*true\s*$|ReadWriteSubTree|SetValue|FullControl|WriteKey")


_VB_OUTPUT_MODE = re.compile(r"(?i)\b(?:output|append)\b|^\s*[28]\s*$")


# Mail calls given a message built beforehand (`Send(m)`, `SendAsync(m, token)`), and the members
# of a message that name where it goes (`SinkHit.recipients`).
_MESSAGE_SENDS = frozenset({"SmtpClient.Send", "SmtpClient.SendAsync", "SmtpClient.SendMailAsync", "SmtpMail.Send"})


_QUERY_OPTIONS = frozenset(
    {"directoryentry", "managementscope", "connectionoptions", "enumerationoptions", "objectgetoptions"}
)


# Receivers whose SetValue is not the registry's (the type as declared, or the call that made it).
_SETVALUE_ELSEWHERE = frozenset(
    {"propertyinfo", "fieldinfo", "memberinfo", "array", "getproperty()", "getfield()", "getproperty", "getfield"}
    | {"engine", "v8scriptengine", "jscriptengine", "vbscriptengine"}  # a script engine's variable (Jint, ClearScript)
)


# Resource readers that open a path or read a stream: only a stream of the request's is its data.
_RESOURCE_READERS = frozenset(
    {"new ResourceReader", "new ResXResourceReader", "new ResourceSet", "new ResXResourceSet"}
)


# PowerShell calls that give a value to the cmdlet added before them, and the cmdlets (lower case)
# that run such a value as a script.
_POWERSHELL_ARGS = frozenset({"addparameter", "addargument"})


_SCRIPT_CMDLETS = frozenset(
    {"invoke-expression", "iex", "invoke-command", "icm", "microsoft.powershell.utility\\invoke-expression"}
)


# Literals that are words, not numbers or strings: constants the folder leaves alone.
_LITERAL_WORDS = frozenset({"true", "false", "null", "nothing"})


_DYNAMIC_METHOD_CALLS = frozenset({("dynamicmethod", "invoke"), ("dynamicmethod", "dynamicinvoke")})


# Sinks whose path argument counts only when the client can name the file itself.
_NAMED_BY_CODE = frozenset({"file-read", "file-manage"})


# The rules' patterns by the last name of their call, per set of rules: the catalog's tuple
# (`analysis.sink_rules`) is indexed once, not once per unit. The set is kept beside its index,
# so the id it is found by stays its own.
_INDEXED: dict[int, tuple[Sequence[SinkRule], dict[str, list[tuple[SinkRule, SinkPattern]]]]] = {}


def _patterns_named(flow: UnitFlow, name: str) -> list[tuple[SinkRule, SinkPattern]]:
    """The rules' patterns whose call ends in `name`, in the rules' order: a pattern only
    matches a call whose last name is its own, so a page of thousands of calls does not try
    every pattern on each."""
    if flow._by_name is None:
        held = _INDEXED.get(id(flow.rules))
        if held is None or held[0] is not flow.rules:
            index: dict[str, list[tuple[SinkRule, SinkPattern]]] = {}
            for rule in flow.rules:
                for pattern in rule.patterns:
                    index.setdefault(pattern.parts[-1], []).append((rule, pattern))
            if len(_INDEXED) >= 8:
                _INDEXED.clear()
            held = _INDEXED[id(flow.rules)] = (flow.rules, index)
        flow._by_name = held[1]
    return flow._by_name.get(name, [])


def _sinks(flow: UnitFlow) -> None:
    for node, method in flow.nodes:
        r = role(node)
        if r is Role.STRING:
            flow._literal(node)
            continue
        if r is Role.INDEX:
            flow._indexed(node, method)
            continue
        if (r is Role.ASSIGN and operator(node) == "+=") or node.type == "add_handler_statement":
            flow._event_hook(node, method)
            continue
        if r is Role.ASSIGN or (r is Role.BINARY and operator(node) == "="):  # (VB's `x = y` statement)
            xmlcontrols.stylesheet_stored(flow, node, method)
            continue
        if r not in {Role.CALL, Role.NEW}:
            continue
        flow._check_time()
        callee, args = call_parts(node)
        is_new = r is Role.NEW
        path, has_receiver = flow._resolved_path(callee, is_new)
        values = [flow.fold(a) for a in args]
        for a, v in zip(args, values, strict=False):
            flow.note_folded(a, v)
        if not is_new:
            _indirect_calls(flow, node, callee, args, path, method)
        if not is_new and not has_receiver and len(path) == 1 and flow._own_body(path[0]):
            continue  # `Rename(a, b)` of the file's own `Rename`: not VB's function of that name
        if not is_new and args and (path[-2:] == ("response", "write") or path[-3:] == _OUTPUT_WRITE):
            flow._served_back(node, args, values, method)
        _pattern_hits(flow, node, callee, args, values, path, is_new, has_receiver, method)


def _indirect_calls(
    flow: UnitFlow, node: Node, callee: Node | None, args: list[Node], path: tuple[str, ...], method: str | None
) -> None:
    """A call that calls something else: by reflection, by name, late bound, through an
    expression tree, emitted IL or a delegate, JScript's global `eval` by index, a framework
    method given a method group; what it calls is checked as if called directly."""
    if path and path[-1] in {"invoke", "invokemember", "dynamicinvoke"}:
        flow._reflective(node, callee, args, method)
    if xmlcontrols.control_transform_loaded(path):
        flow._call_as(node, args, method, xmlcontrols.LOAD, "given to the stylesheet an Xml control transforms with")
    if path and path[-1] == "callbyname" and len(args) > 1:
        flow._called_by_name(node, args, method)
    if path[-2:] in _LATE_BINDERS and len(args) > 3:
        flow._late_bound(node, args, method)
    if path[-2:] == ("expression", "call") and args:
        flow._expression_call(node, args, method)
    if path[-2:] in _DYNAMIC_METHOD_CALLS or (len(path) == 1 and flow._type(path[0]) == "dynamicmethod"):
        flow._emitted_calls(node, args, method)  # `dm.Invoke(...)`, or `run(...)` of its delegate
    if len(path) == 1 and callee is not None and role(unwrap(callee)) is Role.IDENT:
        ref = flow._method_variables().get(flow._n(text(unwrap(callee))))
        if ref is not None:  # `load(data)` of a delegate over `typeof(Assembly).GetMethod("Load")`
            how = f"called through a delegate made by reflection, as {ref[0]}.{ref[1]}"
            flow._call_as(node, args, method, ref, how)
    if (
        flow.lang is Lang.JSCRIPT
        and callee is not None
        and role(unwrap(callee)) is Role.INDEX
        and flow._js_global_eval(callee)
    ):  # `this["ev" + "al"](code, "unsafe")`
        flow._call_as(node, args, method, ("eval",), f"called as {' '.join(text(callee).split())}")
    if path and path[-1] in _EACH_ANY:
        flow._framework_group(node, callee, args, path[-1], method)
    bound = flow._bound_method(path, callee)
    if bound is not None:  # `run(x)` or `run.Invoke(x)` of `Func<string, Process> run = Process.Start`
        flow._call_as(node, args, method, bound[0], f"called through a delegate bound to {bound[1]}")


def _pattern_hits(
    flow: UnitFlow,
    node: Node,
    callee: Node | None,
    args: list[Node],
    values: list[Value | None],
    path: tuple[str, ...],
    is_new: bool,
    has_receiver: bool,
    method: str | None,
) -> None:
    """The rules whose sink patterns the call matches, each by its first matching pattern; and a
    script-running cmdlet's parameter, which is a script as AddScript's argument is."""
    hit_rules: set[str] = set()  # each rule's first matching pattern only
    for rule, pattern in flow._patterns_named(path[-1] if path else ""):
        if rule.rule_id in hit_rules or not pattern.matches(path, is_new, has_receiver):
            continue
        if pattern.label in {"eval", "new Function"} and flow.lang is not Lang.JSCRIPT:
            continue
        if pattern.label == ".SetValue" and _not_a_key(path):
            continue  # an array's item or a reflected property set, not a registry value
        if pattern.label == ".AddCommand" and len(args) > 2:
            continue  # PowerShell's takes a command and a scope flag; a menu's command list takes more
        flow._hit(rule, pattern.label, node, callee, args, values, method, pattern.argument)
        hit_rules.add(rule.rule_id)
    if not is_new and has_receiver and path and path[-1] in _POWERSHELL_ARGS and flow._runs_scripts():
        # `ps.AddCommand("Invoke-Expression").AddParameter("Command", x)`: the value of a
        # script-running cmdlet's parameter is a script, as AddScript's argument is
        at = 1 if path[-1] == "addparameter" else 0
        process = next((rule for rule in flow.rules if rule.capability == "process"), None)
        if process is not None and len(args) > at:
            label = "AddParameter" if at else "AddArgument"
            flow._hit(process, f"{label} of a script-running cmdlet", node, callee, args, values, method, at)


def _framework_group(
    flow: UnitFlow, node: Node, callee: Node | None, args: list[Node], name: str, method: str | None
) -> None:
    """`items.Select(Process.Start)`, `Array.ForEach(items, File.Delete)`: a method of the
    framework named as a method group is called with each item, and counts as a call of it
    with the collection would (the file's own methods are followed as lambdas are)."""
    holder = member_parts(unwrap(callee))[0] if callee is not None and role(unwrap(callee)) is Role.MEMBER else None
    parts = each_parts(name, holder, args)
    if parts is None:
        return
    group, items = parts
    cb = callback_node(group)
    if role(cb) is not Role.MEMBER or last_name(cb) in flow.methods:
        return
    target, _ = flow._resolved_path(cb, False)
    if len(target) > 1:
        shown = " ".join(text(cb).split())
        flow._call_as(node, [items], method, target, f"called with each item as the method group {show(shown, 80)}")


def _own_body(flow: UnitFlow, name: str) -> bool:
    """Whether the file declares a method of this name with code of its own: a bare call of it
    is that method (which the flow follows into), not a global function of the same name. A
    native function the file declares (`extern`, VB's `Declare`) is the function itself."""
    m = flow.methods.get(name)
    return m is not None and not m.native


def _runs_scripts(flow: UnitFlow) -> bool:
    """Whether the unit adds a cmdlet that runs its argument as a script to a PowerShell
    pipeline (`AddCommand("Invoke-Expression")`, `iex`, `Invoke-Command`)."""
    if flow._script_cmdlet is None:
        flow._script_cmdlet = False
        for node, _method in flow.nodes:
            if role(node) is not Role.CALL:
                continue
            callee, args = call_parts(node)
            if args and dotted(callee).lower().replace("()", "").endswith(".addcommand"):
                named = (as_text(flow.fold(args[0])) or "").strip().lower()
                if named in _SCRIPT_CMDLETS:
                    flow._script_cmdlet = True
                    break
    return flow._script_cmdlet


def _indexed(flow: UnitFlow, node: Node, method: str | None) -> None:
    """`ConfigurationManager.ConnectionStrings[key]`: an indexer a rule names (`Member[]`)
    acts on its key as a call acts on its argument."""
    obj, keys = index_parts(node)
    if obj is None or not keys or role(obj) not in {Role.MEMBER, Role.IDENT}:
        return
    path, has_receiver = flow._resolved_path(obj, False)
    for rule in flow.rules:
        for pattern in rule.patterns:
            if pattern.indexer and pattern.matches(path, False, has_receiver, indexed=True):
                flow._check_time()
                values = [flow.fold(k) for k in keys]
                flow._hit(rule, pattern.label, node, None, keys, values, method, pattern.argument)
                break


def _hit(
    flow: UnitFlow,
    rule: SinkRule,
    api: str,
    node: Node,
    callee: Node | None,
    args: list[Node],
    values: list[Value | None],
    method: str | None,
    argument: int | None = None,
) -> None:
    if _not_a_sink(flow, rule, api, callee, args):
        return
    t = _argument_taint(flow, rule, args, method, argument)
    receiver = None
    if callee is not None and role(unwrap(callee)) is Role.MEMBER:
        receiver, _ = member_parts(unwrap(callee))
        named = receiver is not None and rule.capability in _NAMED_BY_CODE and flow._names_file(receiver)
        if argument is None and not named:
            t = merge(t, flow.taint(receiver, method))
    if _no_path_given(flow, rule, api, args):
        t = None
    message = rule.capability == "credential-capture" and api in _MESSAGE_SENDS and 0 < len(args) < 4
    if message:  # `smtp.Send(m)`: what was stored into the message, sent where it names
        t = flow.taint(args[0], method)
    if t is None and rule.capability == "process":
        t = flow._expanded(args, values)  # `cmd /c %X%` after `SetEnvironmentVariable("X", Request["c"])`
    built = False
    if t is None and rule.capability == "process" and not args and role(node) is Role.NEW:
        t = flow._built_with(node, method)
        built = t is not None
    if t is None and rule.capability in SET_LATER and role(node) is Role.NEW:
        t = flow._query_text(node, SET_LATER[rule.capability])
    first = text(args[0])[:120] if args else ""
    hit = SinkHit(rule.rule_id, rule.capability, api, flow.line(node), t, method, values, built=built, first=first)
    if api == ".SetValue" and receiver is not None:
        hit.key = flow._writable_key(receiver)
    hit.unresolved = flow._unresolved(rule.capability, args, values)
    if api in _PROCESS_CALLS and not any(as_text(v) for v in values):
        hit.args = flow._fixed_command(args) or values  # what it was given to run, stored or initialized
    if message:
        hit.recipients = flow._recipients(args[0])
    _taint_by_capability(flow, hit, node, args, receiver, method, argument)
    flow.hits.append(hit)


def _not_a_sink(flow: UnitFlow, rule: SinkRule, api: str, callee: Node | None, args: list[Node]) -> bool:
    """Calls a rule's pattern matches that do not do what the rule is about: an installer
    writing a password into web.config, reflection's `CreateInstance(type)`, a delegate or
    lambda of the page's own invoked."""
    if rule.capability == "credential-capture" and any(".config" in text(a).lower() for a in args):
        return True  # an installer writing the database password it was given into web.config
    if (
        rule.capability == "dynamic-code"
        and api == "Activator.CreateInstance"
        and (len(args) < 2 or flow._names_a_type(args[0]))
    ):
        return True  # `CreateInstance(type, ...)`: reflection's; only `(assemblyName, typeName)` loads one
    if rule.capability == "dynamic-code" and callee is not None and role(unwrap(callee)) is Role.MEMBER:
        held, called_name = member_parts(unwrap(callee))
        if flow._delegate_call(held, called_name) is not None:
            return True  # `run.Invoke(x)` of `Action<string> run = Go`: a call of the page's own method
        lam = flow._lambda_called(held, called_name)
        if lam is not None and lam in flow._lambdas:
            return True  # `run.Invoke(x)` of `Action<string> run = c => ...`: the lambda's body is read as called
    return False


def _argument_taint(
    flow: UnitFlow, rule: SinkRule, args: list[Node], method: str | None, argument: int | None
) -> Taint | None:
    """What of the request reaches a call through the arguments the rule acts on."""
    t: Taint | None = None
    for i, a in enumerate(args):
        if rule.capability in _NAMED_BY_CODE and flow._names_file(a):
            continue  # the client picks at most the folder; the code names the file
        if rule.capability in QUERY_TEXTS and flow._query_option(a):
            continue  # the directory entry or WMI scope searched (a sign-in's password), not the query
        if rule.capability == "wmi-query" and len(args) > 1 and i != 1:
            continue  # `(scope, query[, options])`: the scope names a machine, not what is asked of it
        if rule.capability == "com-object":
            a = _guid_text(a)  # a class ID the client writes names the class, Guid or not
        if argument is None or i == argument:  # `Label#N`: the other arguments are names or options
            t = merge(t, flow.taint(a, method))
    return t


def _no_path_given(flow: UnitFlow, rule: SinkRule, api: str, args: list[Node]) -> bool:
    """Readers given something other than a path the client names: a web response, text or a
    stream in memory, an upload's stream; and VB's `FileOpen` for output (a write)."""
    if rule.capability == "file-read" and args and _response_body(args[0]):
        return True  # a reader over a web response: the far server's answer, not a file the client names
    if rule.capability == "file-read" and args and in_memory_reader(args[0]):
        return True  # `XmlReader.Create(new StringReader(Request["x"]))`: the text itself, no path
    if api in _RESOURCE_READERS and args and not (in_memory_reader(args[0]) or request_stream(args[0])):
        return True  # `new ResXResourceReader(path)`: a file the request names, not resources it carries
    if api == "new Attachment" and args and flow._stream_given(args[0]):
        return True  # `new Attachment(upload.InputStream, name)`: the stream's bytes, not a path it names
    # `FileOpen(1, path, OpenMode.Output)`: opened to write (the file-write rule's)
    return rule.capability == "file-read" and api in VB_FILE_OPENS and _vb_output(args)


def _taint_by_capability(
    flow: UnitFlow,
    hit: SinkHit,
    node: Node,
    args: list[Node],
    receiver: Node | None,
    method: str | None,
    argument: int | None,
) -> None:
    """The capabilities whose taint is what a call writes, where it writes, or what it fetches
    or calls, read by their own pass: it replaces the arguments' taint."""
    api = hit.api
    if hit.capability == "file-write":
        hit.taint, hit.content = flow._write_taint(node, api, args, receiver, method)
    elif hit.capability == "page-write":
        hit.taint, page = flow._page_write(node, api, args, receiver, method)
        hit.note = f"into {show(page, 80)}" if page else ""
    elif hit.capability == "http-tunnel":
        hit.taint = flow._url_taint(api, args, receiver, method)
    elif hit.capability == "http":
        hit.taint = flow._fetch_taint(args, method, argument)
    elif hit.capability == "any-method":
        hit.taint, hit.note = flow._any_method(api, args, receiver, method)


def _names_a_type(flow: UnitFlow, node: Node, depth: int = 0) -> bool:
    """Whether an argument is a `Type` (`typeof(T)`, `Type.GetType(...)`, `o.GetType()`, or
    a variable declared as one or set to one), not an assembly's name: which overload of
    `Activator.CreateInstance` a call is."""
    inner = unwrap(node)
    said = re.sub(r"\s+", "", text(inner)).lower()
    if said.startswith("typeof(") or "gettype(" in said or said.endswith(".type"):
        return True
    if role(inner) is not Role.IDENT or depth > 2:
        return False
    if (flow._type(flow._n(text(inner))) or "").rsplit(".", 1)[-1] == "type":
        return True
    return any(flow._names_a_type(v, depth + 1) for v in flow._values_of(inner)[:4])


def _writable_key(flow: UnitFlow, receiver: Node, depth: int = 0) -> str:
    """The path of the registry key a value is set on, hive first, when the code opened or
    created it for writing (`Registry.LocalMachine.OpenSubKey(@"...\\Run", true)`,
    `CreateSubKey(...)`, or a variable set only to one); "" otherwise."""
    node = unwrap(receiver)
    if role(node) is Role.IDENT and depth < 2:
        values = flow._values_of(node)
        return flow._writable_key(values[0], depth + 1) if len(values) == 1 else ""
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
    path = as_text(flow.fold(args[0]))
    held = member_parts(unwrap(callee))[0]
    hive = flow._hive(held) if held is not None else None
    return f"{hive}\\{path}" if path and hive else ""


def _hive(flow: UnitFlow, node: Node, depth: int = 0) -> str | None:
    """The hive a registry key object stands for: `Registry.LocalMachine`,
    `RegistryKey.OpenBaseKey(RegistryHive.LocalMachine, RegistryView.Registry64)` (the 64-bit
    view of 64-bit code), or a variable set only to one of them."""
    node = unwrap(node)
    if role(node) is Role.IDENT and depth < 2:
        values = flow._values_of(node)
        return flow._hive(values[0], depth + 1) if len(values) == 1 else _HIVES.get(last_name(node))
    if role(node) is Role.CALL:
        callee, args = call_parts(node)
        if last_name(callee) == "openbasekey" and args:
            return _HIVES.get(last_name(unwrap(args[0])))
        return None
    return _HIVES.get(last_name(node))


def _any_method(
    flow: UnitFlow, api: str, args: list[Node], receiver: Node | None, method: str | None
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
    if target is None or name is None or flow._in_namespace(target):
        return None, ""
    type_t, name_t = flow.taint(target, method), flow.taint(name, method)
    by_type = type_t is not None and bool(type_t.kinds & CLIENT_TEXT)
    by_name = name_t is not None and bool(name_t.kinds & CLIENT_TEXT)
    if by_type and by_name and type_t is not None and name_t is not None:
        return type_t.merge(name_t), "the method it names, on the type it names"
    if callbyname:
        return None, ""
    if by_name and type_t is None:
        typed = flow._reflected_type(target)
        if typed is not None and typed.lower() in _REACHING_TYPES:
            return name_t, f"the method it names, on {typed}"
    if by_type and name_t is None:
        named = as_text(flow.fold(name))
        example = _REACHING_METHODS.get((named or "").lower())
        if named and example is not None:
            return type_t, f"{named} on the type it names, {example} when it names that type"
    return None, ""


def _built_with(flow: UnitFlow, node: Node, method: str | None) -> Taint | None:
    """`psi = new ProcessStartInfo()` (or `new Process()`) created empty: what is stored into
    the variable afterwards (`psi.Arguments = "/c " + cmd`, `p.StartInfo = psi`) is what it
    runs, however it is then started (directly, by a delegate, `CallByName`, `dynamic`)."""
    left = flow._stored_in(node)
    return None if left is None else flow.taint(left, method)


def _query_text(flow: UnitFlow, node: Node, member: str) -> Taint | None:
    """`cmd = new SqlCommand()` (`new DirectorySearcher(entry)`, `new
    ManagementObjectSearcher()`) created without its text: what is stored into
    `cmd.CommandText` (`ds.Filter`, `searcher.Query`) is the text it runs, not what goes
    into its parameters or the entry it searches; a mail client's `Host`, the server it
    sends through."""
    left = flow._stored_in(node)
    return None if left is None else flow._query_texts.get((text(left).lower(), member))


def _query_option(flow: UnitFlow, node: Node) -> bool:
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
        kind = (flow._type(flow._n(text(inner))) or "").lower()
    else:
        return False
    return kind in _QUERY_OPTIONS


def _expanded(flow: UnitFlow, args: list[Node], values: list[Value | None]) -> Taint | None:
    """What a command line takes from the environment: an environment variable it names as
    the shell expands one (`%X%` for cmd, `$env:X` for PowerShell) that the page set from the
    request (`_environment`), in the folded line or, where it does not fold (`Environ("ComSpec")
    & " /c %X%"`), in the code that builds it. A child process inherits the server process's
    variables, so the request's text is what runs, though the code fixes the command."""
    environ = flow._environment()
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


def _environment(flow: UnitFlow) -> dict[str, Taint]:
    """Environment variables the unit sets from the request (`Environment.SetEnvironmentVariable
    (name, value)` with a name the code fixes), by lower-case name, each with its value's
    taint and the step that set it; found in one walk of the unit."""
    if flow._environ is not None:
        return flow._environ
    found: dict[str, Taint] = {}
    flow._environ = found
    for node, method in flow.nodes:
        if role(node) is not Role.CALL:
            continue
        callee, args = call_parts(node)
        if callee is None or len(args) < 2 or last_name(callee) != "setenvironmentvariable":
            continue
        name = as_text(flow.fold(args[0]))
        held = flow.taint(args[1], method) if name else None
        if name and held is not None:
            step = held.step(f"sets it as environment variable '{show(name, 40)}'", flow.line(node))
            found[name.lower()] = step.merge(found.get(name.lower()))
    return found


def _fixed_command(flow: UnitFlow, args: list[Node]) -> list[Value | None]:
    """The file and arguments a process runs when the call names neither (`new Process()`
    then `p.StartInfo.Arguments = "..."`, `Process.Start(psi)`, `new ProcessStartInfo {
    FileName = ..., Arguments = ... }`): the texts stored into those members, file first, as
    `Process.Start(file, arguments)` would give them. What the file's code stores anywhere,
    as `_unresolved` reads the stores that do not fold."""
    found: dict[str, list[str]] = {}
    for a in args:
        if a.type in INITIALIZERS:
            for item in a.named_children:
                left, right = flow._targets(item) if role(item) in {Role.ASSIGN, Role.DECL} else (None, None)
                if left is None and item.named_child_count == 2:  # VB's `.FileName = "x"`
                    left, right = item.named_children
                said = as_text(flow.fold(right)) if right is not None else None
                if left is not None and said and (member := text(left).lstrip(".").lower()) in STORED_PARTS:
                    found.setdefault(member, []).append(said)
    if not found:
        found = flow._fixed_stores
    return [v for member in STORES_OF["process"] for v in found.get(member, ())]


def _unresolved(
    flow: UnitFlow, capability: str, args: list[Node], values: list[Value | None]
) -> tuple[tuple[int, str, int], ...]:
    """Arguments of a sink that neither fold to a constant nor are fixed by the site or its
    configuration. An object passed whole (`Process.Start(psi)`, `new Process()` then
    `p.StartInfo = psi`) stands for what was stored into it (`psi.Arguments = ...`)."""
    out: list[tuple[int, str, int]] = []
    objects = not args
    for i, (a, v) in enumerate(zip(args, values, strict=False)):
        if v is not None or flow._fixed(a) or flow._from_callers(a):
            continue
        inner = unwrap(a)
        if role(inner) is Role.NEW or inner.type in INITIALIZERS:
            continue  # an object made in place (a sink of its own when it is one), `{ X = ... }`
        if text(inner).strip().lower() in _LITERAL_WORDS:
            continue  # `False`, `null`: options, as constant as a number
        if flow._servers_own(inner):
            continue  # a fixed text with the time, a new GUID, a temporary file: the server's own
        if role(inner) is Role.IDENT and (flow._type(flow._n(text(inner))) or "") in _STORE_HOLDERS:
            objects = True
            continue
        if flow._a_stream(inner):
            continue  # `new StreamWriter(client.GetStream())`: a writer over a stream, no path
        out.append((i, text(a)[:120], flow.line(a)))
    if objects:
        for member in STORES_OF.get(capability, ()):
            out.extend((-1, t, line) for t, line in flow._open_stores.get(member, ()))
    return tuple(out)


def _vb_output(args: list[Node]) -> bool:
    """Whether `FileOpen(number, path, mode)` opens the file to write or append only."""
    return len(args) > 2 and _VB_OUTPUT_MODE.search(text(args[2])) is not None


def _not_a_key(path: tuple[str, ...]) -> bool:
    """Whether `x.SetValue(...)` is on an array (`byte[] x`), a reflected member or a script
    engine (`engine.SetValue("q", value)` hands the script a variable), by what the analysis
    knows of `x`."""
    receiver = path[-2] if len(path) >= 2 else ""
    return receiver.endswith("[]") or receiver in _SETVALUE_ELSEWHERE


def _guid_text(node: Node) -> Node:
    """The text a Guid is made from (`new Guid(s)`, `Guid.Parse(s)`: `s`), else the node."""
    inner = unwrap(node)
    if role(inner) in {Role.NEW, Role.CALL}:
        callee, args = call_parts(inner)
        if args and makes_guid(callee):
            return args[0]
    return node


def _response_body(node: Node) -> bool:
    """Whether an expression is the body stream of a web response (`resp.GetResponseStream()`):
    a reader over it reads what a server answered, whatever URL the request chose."""
    node = unwrap(node)
    if role(node) is not Role.CALL:
        return False
    callee, _ = call_parts(node)
    return dotted(callee).lower().endswith("getresponsestream")
