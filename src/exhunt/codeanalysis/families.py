"""Shell families told by what several sinks of a page do together: memory shells, toolkits, native code."""

from __future__ import annotations

from exhunt.codeanalysis.extract import CodeUnit, Extracted
from exhunt.codeanalysis.fold import show
from exhunt.codeanalysis.pinvoke import declared
from exhunt.codeanalysis.report import SOURCE_SUFFIXES, Capability, CodeReport, hit_lines
from exhunt.codeanalysis.taint import SinkHit
from exhunt.codeanalysis.vocabulary import PATH_KINDS
from exhunt.ruleparams import CodeFlowParams, CodeToolkitParams
from exhunt.rules import rule, rules_of

# What a registered handler may do with request data for a code file's registration to count.
_HANDLER_DOES = frozenset({"dynamic-code", "process", "tunnel", "file-write", "http-tunnel"})


# The functions by which code finds a Windows function's address to call it through a delegate.
_RESOLVERS = frozenset({"getprocaddress", "ldrgetprocedureaddress"})


_NATIVE_NAMES = (
    "VirtualAlloc",
    "VirtualAllocEx",
    "VirtualAllocExNuma",
    "VirtualProtect",
    "CreateThread",
    "CreateRemoteThread",
    "WriteProcessMemory",
    "QueueUserAPC",
    "NtCreateThreadEx",
    "CreateProcess",
    "CreateProcessA",
    "CreateProcessW",
    "CreateProcessAsUser",
    "CreateProcessWithLogonW",
    "WSASocket",
    "NtAllocateVirtualMemory",
    "NtQueueApcThread",
    "NtMapViewOfSection",
    "HeapCreate",
    "CreateFiber",
    "EnumSystemLocalesA",
    "ShellExecute",
    "MiniDumpWriteDump",
    "ImpersonateNamedPipeClient",
)


_CAN = {
    "process": "run commands",
    "file-write": "write or manage files",
    "sql": "open databases",
    "registry": "open registry keys",
    "tunnel": "open sockets",
    "dynamic-code": "run code",
}


def memory_shell(hit: SinkHit, phrase: str, hits: list[SinkHit], name: str, report: CodeReport) -> None:
    """A route, provider, module or listener registered at run time: from a served page always
    (applications register theirs at start, in Global.asax or App_Start); from a code file when
    the same file takes request data to code, commands, sockets or files."""
    lname = name.lower()
    if lname.endswith((".asax", ".asax.cs", ".asax.vb")) or any(c.rule_id == hit.rule_id for c in report.capabilities):
        return
    how = f" ({hit.api}{'; ' + hit.note if hit.note else ''})"
    if lname.endswith(SOURCE_SUFFIXES):
        handled = [
            h for h in hits if h.capability in _HANDLER_DOES and h.taint is not None and h.taint.kinds & PATH_KINDS
        ]
        if not handled:
            return
        served = max(handled, key=lambda h: rule(h.rule_id).severity.rank)  # the gravest use first
        assert served.taint is not None
        chain = (
            f"{phrase}{how}; the handler takes {' and '.join(served.taint.sources[:2])} to {served.api} "
            f"(line {served.line})"
        )
        lines = tuple(sorted({hit.line, served.line}))
    else:
        chain = f"{phrase}{how} from a page: the handler answers requests after the page is gone"
        lines = (hit.line,)
    report.capabilities.append(Capability(hit.rule_id, hit.line, chain, lines, hit.api))


def native_code(hit: SinkHit, phrase: str, extracted: Extracted, report: CodeReport) -> None:
    """A call of a Windows memory or thread function counts when the page itself declares it by
    P/Invoke: its own method of the same name is not the Windows API. A declaration built at run
    time counts too: a P/Invoke stub emitted into a dynamic assembly, or a delegate made of the
    address GetProcAddress returns (not of a managed callback's pointer)."""
    if any(c.rule_id == hit.rule_id for c in report.capabilities):
        return
    natives = {d.name.lower() for d in declared(extracted.units)}
    name = hit.api.lower()
    source = f"takes {' and '.join(hit.taint.sources[:2])}, " if hit.taint is not None else ""
    if name.endswith(".definepinvokemethod"):
        how = "emits a Windows function's P/Invoke stub at run time (DefinePInvokeMethod)"
    elif name.endswith(".getdelegateforfunctionpointer"):
        if not natives & _RESOLVERS:
            return
        how = "makes a delegate of a Windows function's address from GetProcAddress (GetDelegateForFunctionPointer)"
    elif name not in natives:
        return
    else:
        others = [a for a in _NATIVE_NAMES if a.lower() in natives and a.lower() != name]
        also = f" (with {', '.join(others)})" if others else ""
        how = f"declares {hit.api} by P/Invoke{also}"
    chain = f"{source}{how} and calls it, then {phrase}"
    lines = hit_lines(hit)
    report.capabilities.append(Capability(hit.rule_id, hit.line, chain, lines, hit.api))


def toolkit(hits: list[SinkHit], report: CodeReport) -> None:
    """A page that holds the calls of several shell capabilities at once (commands, file
    management, SQL...) with client input reaching at least one of them."""
    if not any(h.taint is not None and h.taint.kinds & PATH_KINDS for h in hits):
        return
    for r in rules_of("code-toolkit"):
        _toolkit_of(r.id, r.params_as(CodeToolkitParams), hits, report)


def _toolkit_of(rule_id: str, kit: CodeToolkitParams, hits: list[SinkHit], report: CodeReport) -> None:
    met: list[tuple[str, SinkHit]] = []
    for group in kit.groups:
        first = next((h for h in hits if h.capability in group), None)
        if first is not None:
            met.append((group[0], first))
    if len(met) < kit.min_groups:
        return
    parts = [f"{_CAN.get(cap, cap)} ({h.api}, line {h.line})" for cap, h in met]
    tainted = next(h for h in hits if h.taint is not None and h.taint.kinds & PATH_KINDS)
    assert tainted.taint is not None
    said = ", ".join(parts[:-1]) + " and " + parts[-1]
    chain = f"{said} in one page; {' and '.join(tainted.taint.sources[:2])} reaches {tainted.api} (line {tainted.line})"
    lines = tuple(sorted({h.line for _, h in met} | {tainted.line}))
    report.capabilities.append(Capability(rule_id, met[0][1].line, f"can {chain}", lines, "toolkit"))


def pinvoke_calls(units: list[CodeUnit], report: CodeReport) -> None:
    """A served page that declares native Windows functions by P/Invoke, unless the calls it
    makes of them are already reported (`EXH-WS-CODE-NATIVE-CODE` names them)."""
    found = declared(units)
    if not found or any(_runs_native(c.rule_id) for c in report.capabilities):
        return
    libraries = sorted({d.library.lower() for d in found if d.library})
    names = ", ".join(dict.fromkeys(d.name for d in found))
    how = f"declares native Windows functions by P/Invoke: {show(names, 160)}"
    if libraries:
        how += f" ({show(', '.join(libraries), 120)})"
    lines = tuple(sorted({d.line for d in found}))[:20]
    for r in rules_of("code-pinvoke"):
        report.capabilities.append(Capability(r.id, found[0].line, how, lines, found[0].name))


def _runs_native(rule_id: str) -> bool:
    flow = rule(rule_id).params
    return isinstance(flow, CodeFlowParams) and flow.capability == "native-code"
