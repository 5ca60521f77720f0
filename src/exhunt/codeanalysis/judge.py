"""A sink hit judged: the chain of steps from the request to it, its severity, and its rule."""

from __future__ import annotations

import re

from exhunt.codeanalysis.actsalone import acts_alone, any_match, written_scripts
from exhunt.codeanalysis.extract import Extracted, references
from exhunt.codeanalysis.families import memory_shell, native_code
from exhunt.codeanalysis.fold import as_bytes, decode_base64, show
from exhunt.codeanalysis.report import FILE_CAPABILITIES, SOURCE_SUFFIXES, Capability, CodeReport, hit_lines
from exhunt.codeanalysis.taint import SinkHit, Taint, password_named
from exhunt.codeanalysis.vocabulary import PATH_KINDS
from exhunt.ruleparams import ACTS_ALONE_CAPABILITIES, CodeFlowParams, CodeUnresolvedParams
from exhunt.rules import params, rule, rules_of

# What data read from a socket the page opened counts for: run as a command or as code (a
# reverse shell), not sent on, saved or looked up.
_NETWORK_RUNS = frozenset({"process", "dynamic-code"})


# Taint kinds by which the client itself names an address (not the user agent or a session value).
# Page controls are left out: settings pages let an administrator type a service's URL.
_CLIENT_URL = frozenset({"request", "body", "webmethod"})


# Taint kinds by which the client writes a SQL command's whole text (a text box of the page too).
_WRITTEN_BY_CLIENT = frozenset({"request", "body", "webmethod", "control"})


# Readers that also take a stream, the request body among them (`XmlDocument.Load(Request.InputStream)`:
# the XML a client posts, not a path it names).
_STREAM_READERS = frozenset(
    {"new StreamReader", "XmlDocument.Load", "XDocument.Load", "XElement.Load", "XmlReader.Create"}
    | {"new XmlTextReader", "new XPathDocument"}
)


# The sources that are the visitor's own address, as the server saw the connection.
_VISITOR_ADDRESS = re.compile(r"server variable '(?:REMOTE_ADDR|REMOTE_HOST)'", re.I)


# Capabilities whose whole text the client must write for a call to count: a query, the class of
# a COM object, the page or control run (a value joined with text the code holds is not counted).
_WHOLE_TEXT = frozenset({"sql-query", "directory-query", "wmi-query", "com-object", "run-page"})


# Taint kinds of what a user submits: request fields, a page's controls, a service's arguments
# (and such a value put into a URL whose host the code fixes: sent to that server).
_SUBMITTED = frozenset({"request", "control", "webmethod", "fixed-host"})


# Mail calls given (from, to, subject, body), or a message built beforehand (`Send(m)`): a
# password in the mail counts only when the code fixes every recipient
# (`new MailMessage(from, "x@example.com", subject, body)`, `m.To.Add("x@example.com")`).
_MAIL_SENDS = frozenset(
    {"new MailMessage", "SmtpClient.Send", "SmtpClient.SendAsync", "SmtpClient.SendMailAsync", "SmtpMail.Send"}
)


# Characters of folded arguments the act-alone rules' patterns may search in one file, all calls
# and patterns together: a page of thousands of calls each given a megabyte built at run time
# would take minutes after the analysis's deadline, which does not cover this step.
_ARGUMENT_SCAN_CHARS = 64 << 20


_PAGES = (".aspx", ".ascx", ".master")


_KEY_OPENED = re.compile(r"subkey|basekey", re.I)


def _context(hit: SinkHit, name: str) -> str:
    method = (hit.method or "").lower()
    lname = name.lower()
    if lname.endswith("global.asax") and method.startswith("application_"):
        return f"on every request (Global.asax {hit.method})"
    if method == "processrequest":
        return "in an HTTP handler"
    if hit.taint is not None and "webmethod" in hit.taint.kinds:
        if any(source.startswith("action parameter") for source in hit.taint.sources):
            return "in a controller action"
        if any(source.startswith("hub method parameter") for source in hit.taint.sources):
            return "in a SignalR hub, for any client connected to it"
        if any(source.startswith(("handler parameter", "bound property")) for source in hit.taint.sources):
            return "in a Razor page's handler"
        return "in a web method"
    return ""


def names_as_source(markup: str, name: str) -> bool:
    """Whether a page's directive names the code file `name` as its `CodeFile` or `Src`: ASP.NET
    compiles that file when the page is first requested, so it is the page's own served code (a
    `CodeBehind` file is only the project's source of a compiled assembly)."""

    def leaf(path: str) -> str:
        return path.replace("\\", "/").rsplit("/", 1)[-1].casefold()

    return any(r.kind == "codefile" and leaf(r.path) == leaf(name) for r in references(markup))


def judge_hit(
    hits: list[SinkHit], name: str, extracted: Extracted, report: CodeReport, compiled_live: bool = False
) -> None:
    # A source file is judged as one (code-running capabilities only), unless its page compiles
    # it at run time (`CodeFile`/`Src`): then it is the page's code.
    code_file = (name.lower().endswith(SOURCE_SUFFIXES) or extracted.bare_source) and not compiled_live
    # An object reached only through what was stored into it counts when the call that starts
    # it is not itself reached (started by a delegate, `CallByName` or `dynamic`).
    direct = {h.capability for h in hits if h.taint is not None and not h.built}
    alone: set[tuple[str, int]] = {(c.rule_id, c.line) for c in report.capabilities}  # `acts_alone`'s, once each
    scan = [_ARGUMENT_SCAN_CHARS]  # what the act-alone rules may still search of folded arguments
    matched: dict[tuple[tuple[str, ...], str], bool] = {}  # texts already searched, by patterns
    scripts, more_scripts = written_scripts(hits)
    for hit in hits:
        if hit.built and hit.capability in direct:
            continue
        flow = params(hit.rule_id, CodeFlowParams)
        if code_file and not flow.in_code_files:
            continue  # source files: an admin feature there is not a served page's back door
        phrase = flow.phrase
        if hit.capability == "embedded-assembly":
            _embedded(hit, phrase, report)
            continue
        if hit.capability == "native-code":
            native_code(hit, phrase, extracted, report)
            continue
        if hit.capability == "memory-shell":
            memory_shell(hit, phrase, hits, name, report)
            continue
        if hit.capability in ACTS_ALONE_CAPABILITIES:
            acts_alone(hit, flow, report, alone, scan, matched, scripts, more_scripts)
            continue
        if hit.capability == "credential-capture":
            _captured(hit, phrase, name, extracted, report)
            continue
        t = hit.taint
        if t is None:
            continue
        context = _context(hit, name)
        if not _counts(hit, t, context, code_file):
            continue
        context = _bare_source_noted(context, extracted)
        chain = _chain(t, phrase, hit, context)
        report.capabilities.append(Capability(hit.rule_id, hit.line, chain, hit_lines(hit), hit.api, context))


def _embedded(hit: SinkHit, phrase: str, report: CodeReport) -> None:
    """An assembly kept in the page itself (bytes or base64 that decode to a Windows
    executable), loaded whatever the request says."""
    blob = next((v for v in hit.args if as_bytes(v) is not None or isinstance(v, str)), None)
    data = as_bytes(blob) if blob is not None else None
    if data is None and isinstance(blob, str):
        data = decode_base64(blob)
    if hit.taint is None and data is not None and data[:2] == b"MZ":
        report.folded.setdefault(show(data), hit.line)
        report.capabilities.append(Capability(hit.rule_id, hit.line, f"{phrase} ({show(data)})", (hit.line,), hit.api))


def _counts(hit: SinkHit, t: Taint, context: str, code_file: bool) -> bool:
    """Whether what reaches a call is what its capability is about: a path the client names, a
    server or address it chooses, a query it writes whole, code it sends."""
    if hit.capability in {"file-manage", "file-read", "file-write", "registry", "config-secret"} and not (
        t.kinds & PATH_KINDS
    ):
        return False  # only a file name, or a path kept inside the site (or a setting's name the server chose)
    if hit.capability == "sql" and t.kinds <= {"name", "upload", "web-path"}:
        # A data file the client uploaded (or only its name, or a path the code keeps in the
        # site) opened as the data source of an Excel or Access import: neither a server nor
        # credentials of the client's choosing.
        return False
    if hit.capability == "file-read" and hit.api in _STREAM_READERS and t.kinds <= {"body"}:
        return False  # a reader over the request body stream (an XML document posted), not a path
    if code_file and hit.capability in FILE_CAPABILITIES and context != "in an HTTP handler":
        return False  # a code file's files count in a handler's ProcessRequest (a payload class), not in admin code
    if hit.capability == "dynamic-code" and t.kinds == frozenset({"client"}):
        return False
    if t.kinds == frozenset({"network"}) and hit.capability not in _NETWORK_RUNS:
        return False  # what a socket the page opened returns, sent on or saved: a client, not a back door
    if hit.capability in {"http-tunnel", "http", "mail", "network-probe"} and not t.kinds & _CLIENT_URL:
        return False  # a fixed address, or one the server chose or an administrator typed in
    if hit.capability == "network-probe" and all(_VISITOR_ADDRESS.fullmatch(s) for s in t.sources):
        return False  # the visitor's own address looked up (a log's host names), not a host it names
    if hit.capability in _WHOLE_TEXT and (t.joined or not t.kinds & _WRITTEN_BY_CLIENT):
        return False  # a query (a class, a page) the code builds around a value or keeps, not the client's own
    if hit.capability == "run-page" and hit.api.startswith("Server.") and _url_only(t):
        return False  # `Server.Transfer(Request.Path)`: a rewriter sending a URL to its page, routing
    if hit.api.endswith(".ReadXml") and not t.kinds & {"body", "upload"}:
        return False  # a DataSet read from a file the request names: a file path, not the payload
    # a stylesheet of the site (MapPath) chosen by name, not one the client sends
    return not (hit.api.startswith("Xsl") and not t.kinds & PATH_KINDS)


def _url_only(t: Taint) -> bool:
    """Whether every source of a value is the requested URL or its path (`Request.Path`,
    `RawUrl`): the page the client asked for, which a rewriter maps to a page of the site."""
    return all(source.startswith("the URL") for source in t.sources)


def _bare_source_noted(context: str, extracted: Extracted) -> str:
    """A finding's context, saying when the file is source code kept under a page's name: the
    responder should know the page would not run as it is."""
    if not extracted.bare_source:
        return context
    return ", ".join(c for c in (context, "in source code kept under a page's name") if c)


def _captured(hit: SinkHit, phrase: str, name: str, extracted: Extracted, report: CodeReport) -> None:
    """A password the user submits, written to a file or an event log or sent to another server:
    counts when a source of the call's data is named like a password (`Request.Form["password"]`,
    a `txtPwd` control). (A write naming a .config file is no such call: see `UnitFlow._hit`.)"""
    t = hit.taint
    if t is None or not t.kinds & _SUBMITTED:
        return
    if not password_named(t):
        return
    if hit.api in _MAIL_SENDS:
        to = hit.recipients if hit.recipients is not None else tuple(hit.args[1:2]) or (None,)
        if not to or not all(isinstance(a, str) and "@" in a for a in to):
            return  # mailed to the address the user gave (a welcome or reset mail), or to one not known
    context = _bare_source_noted(_context(hit, name), extracted)
    chain = _chain(t, phrase, hit, context)
    report.capabilities.append(Capability(hit.rule_id, hit.line, chain, hit_lines(hit), hit.api, context))


def settings_met(hits: list[SinkHit], extracted: Extracted) -> list[SinkHit]:
    """The hits whose rule's required settings (`requires`: a deserializer is a sink only beside
    a type-resolving setting) the file holds. The text searched is the file's server code and the
    namespaces and assemblies its directives name (`<%@ Import Namespace="Jint" %>`, `<%@
    Assembly Name="..." %>`), built once, and each rule's patterns are searched once per file."""
    text: str | None = None
    met: dict[tuple[str, ...], bool] = {}
    kept = []
    for hit in hits:
        flow = rule(hit.rule_id).params
        if isinstance(flow, CodeFlowParams) and flow.requires:
            if flow.requires not in met:
                if text is None:
                    text = _setting_text(extracted)
                met[flow.requires] = any_match(flow.requires, text)
            if not met[flow.requires]:
                continue
        kept.append(hit)
    return kept


def _setting_text(extracted: Extracted) -> str:
    named = [v for d in extracted.directives if d.name.lower() in {"import", "assembly"} for v in d.attrs.values()]
    return "\n".join([u.text for u in extracted.units] + named)


def _chain(t: Taint, phrase: str, hit: SinkHit, context: str) -> str:
    sources = " and ".join(t.sources[:3]) or "request data"
    steps = list(t.steps)
    parts = [f"takes {sources}", *steps]
    head = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if len(parts) > 1 else parts[0]
    how = f" ({hit.api}{'; ' + hit.note if hit.note else ''})"
    out = f"{head}, then {phrase}{how}"
    if hit.capability == "dynamic-code" and any(isinstance(v, str) and v.lower() == "unsafe" for v in hit.args):
        out += ' with the "unsafe" option'
    if context:
        out += f", {context}"
    return out


def unresolved_sinks(hits: list[SinkHit], name: str, report: CodeReport) -> None:
    """A page's dangerous call fed by values that neither fold to a constant nor are fixed by
    the site or its configuration, and that no request value was traced to (those are the
    flow rules'). One finding per page: the first such call, with up to three expressions."""
    page = name.lower().endswith(_PAGES)
    # (a rule acting alone reports its call by the command it spells, not by what reaches it:
    # request data reaching that call is no flow finding that covers the call's other rules)
    flowing = [h for h in hits if h.taint is not None and h.capability not in ACTS_ALONE_CAPABILITIES]
    reached = {h.capability for h in flowing}
    reached_calls = {(h.line, h.api) for h in flowing}
    # `.SetValue` is a registry write on a key the page opened (not a field set by reflection).
    key_opened = any(h.capability == "registry" and _KEY_OPENED.search(h.api) for h in hits)
    for r in rules_of("code-unresolved"):
        p = r.params_as(CodeUnresolvedParams)
        positions = p.positions() if hits else {}  # no call to look at (most files): no labels needed
        for hit in hits:
            api = hit.api.lower()
            if hit.taint is not None or not hit.unresolved or api not in positions:
                continue
            if hit.capability in {"any-method", "page-write"} or hit.capability in ACTS_ALONE_CAPABILITIES:
                # the same call is also reflection's, a command's or the file-write rule's hit,
                # judged as that; rules acting alone read their call's command text whatever feeds it
                continue
            if hit.capability in reached or (hit.line, hit.api) in reached_calls:
                continue  # the flow rules report what request data reaches of the same kind
            if (api in p.page_apis and not page) or (
                hit.capability == "registry" and api == ".setvalue" and not key_opened
            ):
                continue
            only = positions[hit.api.lower()]
            open_ = [(t, line) for i, t, line in hit.unresolved if only is None or i in (only, -1)]
            if not open_:
                continue
            flow = params(hit.rule_id, CodeFlowParams)
            shown = "; ".join(f"`{' '.join(t.split())}` (line {line})" for t, line in open_[:3])
            chain = (
                f"takes {shown}, values the analysis could not resolve to a constant, a site path or a "
                f"setting, then {flow.phrase} ({hit.api}, line {hit.line})"
            )
            lines = tuple(sorted({hit.line, *(line for _, line in open_[:3])}))
            report.capabilities.append(Capability(r.id, hit.line, chain, lines, hit.api))
            break
