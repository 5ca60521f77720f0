"""The file hunt's bridge to the code analyzer: which files to analyze, and findings from its report.

A file is analyzed when its type can hold ASP.NET server code and its bytes show some (a cheap
check on the content the hunt has already read, so the analyzer shares the one read per file).
Each capability becomes one pending hit of its rule, weighed by location like the content rules;
the analyzer's limits become problems of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from exhunt.codeanalysis import CodeReport, analyze_code
from exhunt.codeanalysis.analysis import DEFAULT_DEADLINE, MAX_PARSE_BYTES, UNKNOWN_ENCODING
from exhunt.codeanalysis.charset import wide_codec
from exhunt.codeanalysis.encoded import encoded_page, maybe_encoded
from exhunt.codeanalysis.extract import DEFAULT_DIRECTIVES, Reference, is_bare_source, is_code_behind
from exhunt.codeanalysis.extract import references as _references
from exhunt.codeanalysis.razor import RAZOR_EXTENSIONS
from exhunt.codeanalysis.report import Included
from exhunt.codeanalysis.stylesheet import NAMESPACE, STYLESHEET_EXTENSIONS
from exhunt.codeanalysis.vocabulary import INPUT_CONTROLS
from exhunt.filehunt.locations import Location
from exhunt.model import Problem, ProblemKind

PRODUCER = "code-analysis"
CODE_FILE_EXTENSIONS = frozenset(
    {".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".soap", ".svc", ".master", ".cs", ".vb", ".js", ".config"}
    | STYLESHEET_EXTENSIONS
    | frozenset(RAZOR_EXTENSIONS)
)
# Services whose code is read whatever words it holds (rare files, and every public method of a
# `.soap` remoting service, every operation of a `.svc`, is called with the client's arguments).
_SERVICE_EXTENSIONS = frozenset({".soap", ".svc"})
# Markers of server code a page must contain before it is worth parsing (lower case).
_SERVER_MARKERS = (b"<%", b"runat")
# Words at least one of which every flow or trick the analyzer reports needs (lower case).
_WORTH_READING = (
    b"request",
    b"webmethod",
    b"objectdatasource",  # declared data sources: calls and SQL commands with request values
    b"sqldatasource",
    b"raisecallbackevent",  # arguments the page framework hands over from the client
    b"raisepostbackevent",
    b"loadpostdata",
    b"session[",
    b"assembly",
    b"#include",
    # A compiler's command line, in a directive or a compiler web.config registers: files it names
    # are compiled with the page (codeanalysis.compileroptions).
    b"compileroptions",
    b"transformsource",  # an `<asp:Xml>` control running a stylesheet's script (read with the page)
    b"transformfile",  # an `<asp:XmlDataSource>` doing the same
    b"urn:schemas-microsoft-com:xslt",  # a stylesheet's script held in the page (`<Transform>`)
    b"eval",
    b"frombase64",
    b"useragent",
    b"user_agent",
    b"dllimport",  # P/Invoke of Windows functions (shellcode runners)
    b"kernel32",
    b"declare function",  # VB's P/Invoke (`Declare Function WSASocket Lib "ws2_32.dll"`)
    b"declare sub",
    b"declare auto",
    b"declare ansi",
    b"declare unicode",
    b"ws2_32",
    b"ntdll",
    b"advapi32",
    b"\\u00",  # identifiers spelled with unicode escapes (\u0052equest)
    b"routetable",  # handlers registered at run time (memory shells)
    b"virtualpathprovider",
    b"remotingconfiguration",  # .NET Remoting services and channels registered from a page
    b"channelservices",
    # Calls that count when fed by values the analysis cannot resolve (EXH-WS-CODE-UNRESOLVED-SINK),
    # request or not.
    b"process.start",
    b"processstartinfo",
    b"tcpclient",
    b"xslcompiledtransform",
    # Calls whose rules act alone, on a fixed command or object (no request word in the page):
    # PowerShell and script hosts, VB's Shell, event logs, IIS's settings, WMI subscriptions,
    # scriptlet monikers, machine keys and assemblies loaded into the application domain.
    b"addscript",
    b"addcommand",
    b"runspace",
    b"scriptblock",
    b"shell(",
    b"wscript.shell",
    b"shell.application",
    b"win32_process",
    b"eventlog",
    b"directoryentry",
    b"servermanager",
    b"eventconsumer",
    b"__eventfilter",
    b"filtertoconsumerbinding",
    b"schedule.service",  # the Task Scheduler, by COM or its managed wrapper
    b"taskservice",
    b"0f87369f-a4e5-4cfc-bd3e-73e6154572dd",  # (its CLSID)
    b"gacinstall",  # an assembly put into the global assembly cache
    b"getlogicaldrives",  # the server enumerated: drives, environment, network interfaces
    b"getdrives",
    b"getenvironmentvariables",
    b"getallnetworkinterfaces",
    b"getobject",
    b"bindtomoniker",
    b"machinekey",
    b"appdomain",
    # Files that hold the server's credentials, read or copied (EXH-WS-CODE-CREDENTIAL-FILES): the
    # registry hives under System32\config (one backslash or an escaped two), the AD database
    # and IIS's configuration.
    *(b"config" + sep + hive for sep in (b"\\", b"\\\\", b"/") for hive in (b"sam", b"system", b"security")),
    b"ntds.dit",
    b"applicationhost.config",
    # Registry and file changes that plant a way back in (EXH-WS-CODE-PERSIST-COMMAND) made through
    # the registry API or a file copy, not a command: Run keys, a debugger hung on a program,
    # WDigest's clear-text passwords, cmd.exe copied over an accessibility tool.
    *(b"currentversion" + sep + b"run" for sep in (b"\\", b"\\\\")),
    b"image file execution options",
    b"uselogoncredential",
    *(
        name + b".exe"
        for name in (b"sethc", b"utilman", b"osk", b"magnify", b"narrator", b"displayswitch", b"atbroker")
    ),
)
# Server controls that carry client input (see codeanalysis.vocabulary.INPUT_CONTROLS).
_CONTROL_TAGS = tuple(f"<{tag}".encode() for tag in INPUT_CONTROLS if tag.startswith("asp:"))
_HTML_INPUT = re.compile(rb"<(?:input|textarea|select)\b[^<>]{0,400}runat")
# A server script block that loads its code from a file (`<script runat="server" src="x.cs">`).
_SERVER_SCRIPT_SRC = re.compile(rb"<script\b(?=[^>]{0,400}\brunat\s*=\s*[\"']?server)[^>]{0,400}\bsrc\s*=")
# A code-behind's input controls, declared as fields (see codeanalysis.extract.declared_controls).
_CODE_BEHIND_INPUT = re.compile(
    rb"(?:textbox|fileupload|htmlinputfile|htmlinputtext|htmltextarea|hiddenfield)\s+\w+\s*;"
    rb"|withevents\s+\w+\s+as\s+[\w.]*(?:textbox|fileupload|htmlinputfile|htmlinputtext|htmltextarea|hiddenfield)\b"
)
MAX_FOLDED_SHOWN = 12
_SCRIPT_NAMESPACE = NAMESPACE.encode()  # what makes a stylesheet code (codeanalysis.stylesheet)
_STUB_BYTES = 4096  # pages this small are read when they inherit or create a class (EXH-WS-CODE-PLANTED-DLL)
_TRIGGER = re.compile(rb"\binherits\b|\bnew\s+[\w.]+\s*\(|<(?!asp:)\w+:\w+\b[^<>]{0,400}\brunat\b")
_KINDS = {"limit": ProblemKind.LIMIT, "timed-out": ProblemKind.TIMED_OUT, "unsupported": ProblemKind.UNSUPPORTED}


# A page's content under a name IIS does not run as ASP.NET (`cmd.aspx.txt`, `x.jpg`, `a.bak`):
# kept as a copy, staged, or uploaded under an image's name to be renamed later. Read for its
# code as the page its first directive says it is (weighed as unserved where the name is the
# server's own: analyzers/files.py). A directive without a name (`<%@ Language="C#" %>`) is a
# page's, or a handler's when it names the handler's class. Under classic ASP's own names the
# code is VBScript or JScript for asp.dll, whose one directive has no name (`<%@ Language=
# "VBScript" %>`), and whose `<script runat="server">` is its own: such a file is read only when
# its first directive is one of ASP.NET's by name (an ASP.NET shell kept or uploaded as `.asp`
# or `.cer`).
# A directive's name (lower case) -> the extension it is the default directive of (the inverse of
# `extract.DEFAULT_DIRECTIVES`), and the directives only pages and user controls hold, read as a
# page's.
_READ_AS = {
    "page": ".aspx",
    **{name.lower(): ext for ext, name in DEFAULT_DIRECTIVES.items()},
    **dict.fromkeys(("import", "assembly", "register", "implements", "outputcache", "reference"), ".aspx"),
}
_CLASSIC_ASP = frozenset({".asp", ".asa", ".cer", ".cdx", ".inc"})
_PAGE_HEAD = re.compile(
    rb"<%@\s*(" + "|".join(_READ_AS).encode() + rb")\b"
    rb"|<%@\s*([a-z]+\s*=[^%]{0,400})"
    # a quoted value may hold `>`, as the page parser reads a tag (`extract._SCRIPT_TAG`); no look
    # passes a `<`, so each is over by the next tag
    rb"|<script\b(?:[^<>\"']|\"[^\"<]{0,400}\"|'[^'<]{0,400}'){0,400}?\brunat\s*=\s*[\"']?server\b",
    re.IGNORECASE,
)
_CLASS_ATTRIBUTE = re.compile(rb"(?<![\w-])class\s*=", re.IGNORECASE)
_HEAD_BYTES = 65536


def read_as(loc: Location, data: bytes) -> Location | None:
    """The location of a page's content kept under another name (`x.txt` -> `x.txt.aspx`, the
    extension its first directive gives; a server script block alone reads as `.aspx`); None for
    files named as code already, classic ASP (unless an ASP.NET directive names itself), binary
    files and anything without server markup."""
    ext = loc.extension
    if ext in CODE_FILE_EXTENSIONS or data[:2] == b"MZ":
        return None  # named as code already, or a Windows executable or DLL
    if not _holds_server_markup(memoryview(data)[: 2 * _HEAD_BYTES]):
        return None  # one caseless look first (in one, two or four bytes a character): most files hold neither
    head: bytes | memoryview = memoryview(data)[:_HEAD_BYTES]
    wide = wide_codec(data)
    if wide:
        head = _transcoded(data[: 4 * _HEAD_BYTES], wide)[:_HEAD_BYTES]
    elif data.find(b"\x00", 0, 1024) >= 0:
        return None  # a binary file (an archive or image may quote a page)
    m = _PAGE_HEAD.search(head)
    if m is None or (ext in _CLASSIC_ASP and not m.group(1)):
        return None  # (classic ASP's unnamed directive or its own server script)
    if m.group(1):
        as_ext = _READ_AS[m.group(1).decode().lower()]
    else:  # a script block, or a directive without a name: a handler's when it names a class
        as_ext = ".ashx" if m.group(2) and _CLASS_ATTRIBUTE.search(m.group(2)) else ".aspx"
    return Location(f"{loc.path}{as_ext}", loc.place, loc.known)


# A directive's opening or `runat`, in single bytes and as UTF-16 and UTF-32 spell them (either
# byte order: the words' own bytes are searched with the zeros between them).
_MARKUP_WORDS = tuple(
    sep.join(bytes([c]) for c in word) for word in (b"<%@", b"runat") for sep in (b"", b"\x00", b"\x00\x00\x00")
)


def _holds_server_markup(head: bytes | memoryview) -> bool:
    """Whether the bytes hold a directive's opening or `runat` in any letter case (`_MARKUP_WORDS`),
    in a database of their own."""
    return _holds_any(head, _markup_database(), _MARKUP_WORDS)


@cache
def _markup_database() -> Any:
    """`_MARKUP_WORDS` in one caseless hyperscan database, or None without hyperscan."""
    return _literal_database(_MARKUP_WORDS)


def wants(loc: Location, data: bytes) -> bool:
    ext = loc.extension
    if ext not in CODE_FILE_EXTENSIONS:
        return False
    if ext == ".config" and loc.name != "web.config":
        return False
    start = _start(data)
    if ext in STYLESHEET_EXTENSIONS:
        # An XSLT stylesheet is code only where it binds the .NET script namespace.
        return _SCRIPT_NAMESPACE in _lower(start)
    if ext == ".js":
        # Browser scripts (every OWA and ECP folder holds thousands, many naming XMLHttpRequest)
        # are not server code; JScript.NET code files import the framework or use its context.
        return _holds_script_words(start)
    found = _words_in(start)
    if ext == ".config" and b"compileroptions" in found:
        return True  # a compiler web.config registers: files its command line names are compiled too
    if ext in RAZOR_EXTENSIONS:
        # A Razor page marks its code with `@`, not `<%`: read when it names what a flow needs.
        return not (
            found.isdisjoint(_WORTH_READING) and found.isdisjoint(_SCRIPT_WORDS) and found.isdisjoint(_SOURCE_WORDS)
        )
    if ext in {".cs", ".vb"}:
        if not found.isdisjoint(_SOURCE_WORDS) or _CODE_BEHIND_INPUT.search(_lower(start)) is not None:
            return True
        # A page's code-behind reads what the client posts through the page's controls, declared
        # in the markup only: worth reading when it calls something a shell would. It is known by
        # its name (`x.aspx.cs`) or, renamed or collected alone, by its class (a partial class of
        # a page or user control).
        if found.isdisjoint(_CODE_BEHIND_SINKS):
            return False
        return code_behind_of(loc.name) is not None or is_code_behind(bytes(start[:65536]).decode("utf-8", "replace"))
    if found.isdisjoint(_SERVER_MARKERS):
        if not found.isdisjoint(_SOURCE_WORDS) and is_bare_source(bytes(start[:65536]).decode("utf-8", "replace")):
            return True  # a handler's source kept under a page's name, read as a source file
        # A page kept as base64 text holds no marker until it is decoded (codeanalysis.encoded).
        return maybe_encoded(data) and encoded_page(data) is not None
    if ext in _SERVICE_EXTENSIONS:
        return True  # a remoting or WCF service: its methods take the client's arguments without naming Request
    if not found.isdisjoint(_WORTH_READING) or _input_controls(found):
        return True
    if b"runat" in found and _SERVER_SCRIPT_SRC.search(_lower(start)) is not None:
        return True  # its members come from the file a server script block names (read with it)
    # A small page may be only a trigger of a planted assembly: a directive inheriting one of its
    # classes, a block creating one, or a server control of a prefix other than asp
    # (EXH-WS-CODE-PLANTED-DLL).
    return len(data) <= _STUB_BYTES and _TRIGGER.search(_lower(start)) is not None


def _transcoded(data: bytes, codec: str) -> bytes:
    """The first 2 MiB of UTF-16 or UTF-32 text as UTF-8."""
    return data[: 1 << 21].decode(codec, "replace").encode("utf-8", "replace")


def _start(data: bytes) -> bytes | memoryview:
    """What the prefilter reads: the first MiB (a view, not a copy), or the transcoded start of
    UTF-16 or UTF-32 (as the analysis decodes it: `wide_codec`)."""
    wide = wide_codec(data)
    return _transcoded(data, wide) if wide else memoryview(data)[: 1 << 20]


def _lower(start: bytes | memoryview) -> bytes:
    """What the prefilter reads (`_start`), lower-cased."""
    return bytes(start).lower()


def _input_controls(found: frozenset[bytes]) -> bool:
    """Whether the page declares server controls the client fills in (its input then need not
    pass through `Request` at all)."""
    if not found.isdisjoint(_CONTROL_TAGS):
        return True
    return b"runat" in found and _HTML_INPUT_FOUND in found


# Every word `wants` asks about (lower case), and the HTML input pattern under a name of its own.
_SCRIPT_WORDS = (b"httpcontext", b"system.web", b"import system")
_SOURCE_WORDS = (
    b"request",
    b"webmethod",
    b"httpcontext",
    b"dllimport",
    # service operations and controller actions: the framework hands them the client's values
    b"operationcontract",
    b": controller",
    b":controller",
    b"inherits controller",
    b"mvc.controller",
    b"apicontroller",
    b"controllerbase",
    b"asynccontroller",
    b"odatacontroller",
    b"signalr",  # a hub's methods take what its clients invoke them with
    # Razor Pages' handlers: model binding fills their parameters (in a page or a PageModel)
    b"pagemodel",
    b"onget",
    b"onpost",
)
_CODE_BEHIND_SINKS = (
    b"process",
    b"assembly",
    b"socket",
    b"tcpclient",
    b"sqlconnection",
    b"oledbconnection",
    b"file.",
    b"filesystem.",  # VB's My.Computer.FileSystem
    b"directory.",
    b"streamwriter",
    b"filestream",
    b"saveas",
    b"registry",
    b"webrequest",
    b"webclient",
    b"xslcompiledtransform",
)
_WORDS = tuple(
    dict.fromkeys(
        (*_SERVER_MARKERS, *_WORTH_READING, *_CONTROL_TAGS, *_SCRIPT_WORDS, *_SOURCE_WORDS, *_CODE_BEHIND_SINKS)
    )
)
# Code-behind files and the markup they belong to: `Default.aspx.cs` -> `Default.aspx`.
_CODE_BEHIND = re.compile(r"(?i)\.(?:aspx|ascx|master|asmx|ashx)\.(?:cs|vb)$")


def code_behind_of(name: str) -> str | None:
    """The name of the page markup a code-behind file belongs to, or None for other files."""
    m = _CODE_BEHIND.search(name)
    return name[: m.start() + len(m.group(0).rsplit(".", 1)[0])] if m else None


_HTML_INPUT_FOUND = b"<input ... runat>"


def _words_in(head: bytes | memoryview) -> frozenset[bytes]:
    """Which of `_WORDS` the bytes hold, in any letter case (ASCII, as `bytes.lower` folds), and
    whether they hold `_HTML_INPUT`: one pass of hyperscan, else one search per word."""
    database = _database()
    if database is None:
        lowered = bytes(head).lower()
        found = {w for w in _WORDS if w in lowered}
        if b"runat" in found and _HTML_INPUT.search(lowered) is not None:
            found.add(_HTML_INPUT_FOUND)
        return frozenset(found)
    seen: set[int] = set()

    def on_match(pattern: int, _start: int, _end: int, _flags: int, _context: object) -> None:
        seen.add(pattern)

    database.scan(head, match_event_handler=on_match)
    return frozenset(_WORDS[i] if i < len(_WORDS) else _HTML_INPUT_FOUND for i in seen)


def _holds_script_words(head: bytes | memoryview) -> bool:
    """Whether the bytes hold one of `_SCRIPT_WORDS` in any letter case: all a `.js` file is
    asked, so its thousands of browser scripts are searched for three words, not all of `_WORDS`
    (a third of the time), in a database of their own."""
    return _holds_any(head, _script_database(), _SCRIPT_WORDS)


def _holds_any(head: bytes | memoryview, database: Any, words: tuple[bytes, ...]) -> bool:
    """Whether the bytes hold one of `words` in any letter case: one pass of `database` (the
    words in a caseless hyperscan database), else, without hyperscan, a lower-cased copy searched
    once per word."""
    if database is None:
        lowered = bytes(head).lower()
        return any(w in lowered for w in words)
    seen: list[int] = []

    def on_match(pattern: int, _start: int, _end: int, _flags: int, _context: object) -> None:
        seen.append(pattern)

    database.scan(head, match_event_handler=on_match)
    return bool(seen)


@cache
def _script_database() -> Any:
    """`_SCRIPT_WORDS` in one caseless hyperscan database, or None without hyperscan."""
    return _literal_database(_SCRIPT_WORDS)


def _literal_database(words: tuple[bytes, ...], *regexes: bytes) -> Any:
    """`words` (then `regexes`) in one caseless hyperscan database, each reported at most once
    and numbered in that order; None without hyperscan."""
    try:
        import hyperscan
    except ImportError:
        return None
    from exhunt import hscache

    escaped = [b"".join(b"\\x%02x" % c for c in w) for w in words]
    return hscache.database(
        hyperscan,
        [*escaped, *regexes],
        list(range(len(escaped) + len(regexes))),
        hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH,
    )


@cache
def _database() -> Any:
    """`_WORDS` and `_HTML_INPUT` in one caseless hyperscan database, each reported at most once;
    None without hyperscan. Built once per process (`prepare` builds it before workers fork)."""
    return _literal_database(_WORDS, _HTML_INPUT.pattern)


def prepare() -> None:
    """Build the per-process state of `wants` now (in the main process, before workers fork)."""
    _database()
    _script_database()
    _markup_database()


@dataclass(frozen=True, slots=True)
class CodeHit:
    rule_id: str
    line: int
    details: dict[str, str]


# Seconds the code analysis gets for each MiB of a file, beyond its deadline: large generated
# code (a web service proxy, a designer file) is followed whole rather than read token by token.
# Only the bytes the parser reads count (`MAX_PARSE_BYTES`), which bounds the time of any file.
SECONDS_PER_MIB = 5.0
_MIB = 1024 * 1024


def deadline(settings: object, size: int = 0) -> float:
    """Seconds the analysis of one file's code may take: the setting (or 5), plus
    `SECONDS_PER_MIB` for each MiB of the first `MAX_PARSE_BYTES` of the file."""
    value = getattr(settings, "get", lambda *_: None)("code_analysis_timeout", DEFAULT_DEADLINE)
    base = float(value) if isinstance(value, (int, float)) and value > 0 else DEFAULT_DEADLINE
    return base + SECONDS_PER_MIB * min(max(size, 0), MAX_PARSE_BYTES) / _MIB


# Words a page must hold before the files it names are looked for (lower case).
_REFERENCE_WORDS = (b"#include", b"src", b"codefile", b"transformsource", b"transformfile")


def references(data: bytes) -> list[Reference]:
    """The files a page names as part of its code (server-side includes, `Register Src`,
    `Assembly Src`, `CodeFile`/`Src`, an `<asp:Xml>` control's `TransformSource`, an
    `<asp:XmlDataSource>`'s `TransformFile`), from its first
    MiB."""
    head = bytes(_start(data))
    low = head.lower()
    if not any(w in low for w in _REFERENCE_WORDS):
        return []
    return _references(head.decode("utf-8", "replace"))


def analyze(
    data: bytes,
    loc: Location,
    rel_path: str,
    seconds: float,
    markup: bytes | None = None,
    included: tuple[Included, ...] = (),
) -> tuple[list[CodeHit], list[Problem]]:
    report = analyze_code(data, loc.name, seconds, markup=markup, included=included)
    return hits_of(report), problems_of(report, rel_path)


def hits_of(report: CodeReport) -> list[CodeHit]:
    folded = "; ".join(f"line {line}: {text}" for text, line in list(report.folded.items())[:MAX_FOLDED_SHOWN])
    if len(report.folded) > MAX_FOLDED_SHOWN:
        folded += f"; ... {len(report.folded) - MAX_FOLDED_SHOWN} more"
    by_rule: dict[str, CodeHit] = {}
    for cap in report.capabilities:
        chain = f"{cap.chain} (lines {', '.join(report.where(n) for n in cap.lines)})"
        seen = by_rule.get(cap.rule_id)
        if seen is not None:
            if chain not in seen.details["chain"] and seen.details["chain"].count(" | ") < 4:
                seen.details["chain"] += f" | {chain}"
            continue
        details = {"chain": chain, "code_reader": ", ".join(sorted(report.readers)) or "none"}
        if folded:
            details["folded_strings"] = folded
        if report.encoding:  # what a text editor or grep shows of the file may not be its code
            details["text_encoding"] = (
                "none known (read as UTF-8 with replacement characters)"
                if report.encoding == UNKNOWN_ENCODING
                else report.encoding
            )
        if report.included:
            details["included_files"] = "; ".join(f"{s.path} (named at line {s.line})" for s in report.included)
        by_rule[cap.rule_id] = CodeHit(cap.rule_id, report.page_line(cap.line), details)
    return list(by_rule.values())


def problems_of(report: CodeReport, rel_path: str) -> list[Problem]:
    return [
        Problem(rel_path, f"code analysis: {p.message}", p.line, _KINDS.get(p.kind, ProblemKind.LIMIT), PRODUCER)
        for p in report.problems
    ]
