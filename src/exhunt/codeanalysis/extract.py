"""Server-side code out of an ASP.NET file: what the compiler would see, at its original lines.

A page (`.aspx .ascx .ashx .asmx .asax .soap .svc .master`, and `web.config`, which IIS can be
told to run) mixes markup with code: `<%@ %>` directives, `<% %>` statements, `<%= %>` / `<%: %>`
expressions, `<script runat="server">` members, and, for handlers and services (WCF's `.svc`
among them), a whole code file after the directive. Code files (`.cs .vb .js`) are code throughout. The extractor returns
one `CodeUnit` per kind of code (members, statements, whole file), each padded with newlines so
that line N of the unit is line N of the file. `<%# %>` data-binding expressions are read when
the page binds: it calls `DataBind`, or a control binds itself to a declared data source
(`DataSourceID`). A declared `<asp:ObjectDataSource>` is code without code: the page calls the
method it names with the request values its parameters name, and is read as that call.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from exhunt.codeanalysis.compileroptions import config_compilers
from exhunt.codeanalysis.vocabulary import COM_CLSIDS, INPUT_CONTROLS


class Lang(StrEnum):
    CSHARP = "csharp"
    VB = "vb"
    JSCRIPT = "jscript"


class UnitKind(StrEnum):
    MEMBERS = "members"  # <script runat=server> bodies: fields, methods
    STATEMENTS = "statements"  # <% %> blocks and <%= %> expressions, in page order
    FILE = "file"  # a code file, or a handler/service after its directive


@dataclass(frozen=True, slots=True)
class CodeUnit:
    lang: Lang
    kind: UnitKind
    text: str  # line-preserving: line N here is line N of the file
    first_line: int


@dataclass(frozen=True, slots=True)
class Directive:
    name: str  # Page, Control, WebHandler, WebService, Assembly, Import, Application...
    attrs: dict[str, str]
    line: int


@dataclass(slots=True)
class Extracted:
    units: list[CodeUnit] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    includes: list[tuple[str, int]] = field(default_factory=list)  # (path, line)
    # Files server script blocks load their code from (`<script runat="server" src="...">`).
    script_sources: list[tuple[str, int]] = field(default_factory=list)  # (path, line)
    markup_chars: int = 0  # characters of the file outside any server code
    binding_expressions: int = 0  # <%# %> seen (read as expressions when the file calls DataBind)
    # A page's name holding bare source code (`using ...; class X : IHttpHandler`, no markup and
    # no `<%`): read as a code file, since the platform would not compile it as a page.
    bare_source: bool = False
    # Input controls declared in the markup (runat="server"): id (lower case) -> control class.
    controls: dict[str, str] = field(default_factory=dict)
    # Objects declared by server-side object tags (`<object id="sh" runat="server"
    # progid="WScript.Shell">`): id (lower case) -> the type as a variable of it would hold it
    # (a ProgID, or the last name of a .NET class), in lower case.
    objects: dict[str, str] = field(default_factory=dict)
    # The command lines of the compilers a configuration file registers (`<compiler
    # compilerOptions="...">`), with their lines: see `compileroptions`.
    compilers: list[tuple[str, int]] = field(default_factory=list)

    @property
    def code_chars(self) -> int:
        return sum(len(u.text.strip()) for u in self.units)


PAGE_EXTENSIONS = frozenset({".aspx", ".ascx", ".ashx", ".asmx", ".asax", ".soap", ".svc", ".master", ".config"})
CODE_EXTENSIONS = {".cs": Lang.CSHARP, ".vb": Lang.VB, ".js": Lang.JSCRIPT}
# Handlers and services: the code follows the directive in the same file (a WCF service's
# `@ ServiceHost` compiles the code after it, as `@ WebService` does).
WHOLE_FILE_DIRECTIVES = frozenset({"webhandler", "webservice", "servicehost"})
# The directive a `<%@ %>` block without a name is, by the file's type: each parser's default
# (`DefaultDirectiveName`: a handler's `<%@ Language="C#" Class="H" %>` is its WebHandler
# directive, and the rest of the file its code).
DEFAULT_DIRECTIVES = {
    ".ashx": "WebHandler",
    ".asmx": "WebService",
    ".svc": "ServiceHost",
    ".ascx": "Control",
    ".master": "Master",
    ".asax": "Application",
}

# ASP.NET's page parser takes white space between `<%` and `@` (`<% @ WebHandler ... %>`): its
# directive pattern starts `<%\s*@`.
# ASP.NET's own patterns allow blanks before a directive's `@` and an expression's `=`
# (`<% =Title %>`), and before an expression builder's `$` in an attribute (`"<% $Resources: a %>"`).
_BLOCK = re.compile(r"<%(?P<mark>\s*[@=$]|[:#]?)(?P<body>.*?)%>", re.S)
# A script element: `<script` and its attributes up to the first `>`, then the body up to the
# first `</script>` after it (`_script_elements`).
_SCRIPT_START = re.compile(r"<script\b", re.I)
# A script tag read as ASP.NET's tag pattern reads one: a quoted attribute value may hold `>`
# (`title="a>b" runat="server"`), and a quote only opens a value after `=`. Possessive, and
# tried over at most `_TAG_SPAN` characters and never past the next closing tag.
_SCRIPT_TAG = re.compile(
    r"""<script\b(?:\s*+[^\s=>"'/]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s>"']*+))?+)*+\s*+/?>""", re.I
)
_TAG_SPAN = 4096
_SCRIPT_END = re.compile(r"</script\s*>", re.I)
_RUNAT = re.compile(r"""\brunat\s*=\s*["']?server""", re.I)
# The start of a C# or VB source file, once its leading comments are skipped: `using`/`Imports` of
# a namespace, a namespace, or a class declaration.
_SOURCE_START = re.compile(
    r"(?:using\s+(?:static\s+)?[\w.]+\s*(?:=\s*[\w.]+\s*)?;|namespace\s+[\w.]+"
    r"|imports\s+[\w.]+|(?:(?:public|internal|sealed|partial|abstract|static|friend|notinheritable)\s+){0,4}class\s+\w+)",
    re.I,
)
_LEADING_COMMENTS = 200  # comments skipped before giving up: a source file's header is shorter


def _after_comments(text: str) -> int:
    """Where the text's code starts after white space and `//`, `/* */` or VB `'` comments (a
    comment ends at its first end mark: one pass, linear in the text)."""
    pos = 1 if text.startswith("\ufeff") else 0
    for _ in range(_LEADING_COMMENTS):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith(("//", "'"), pos):
            end = text.find("\n", pos)
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            end = -1 if end < 0 else end + 1
        else:
            return pos
        if end < 0:
            return len(text)
        pos = end + 1
    return pos


# A name starts where no name character precedes it, and is taken whole (possessive): a run of
# name characters with no `=` after it is then passed over once, not once per character.
_ATTR = re.compile(r"""(?<![\w:.-])(?P<k>[\w:.-]++)\s*=\s*(?:"(?P<v1>[^"]*)"|'(?P<v2>[^']*)'|(?P<v3>[^\s"'>]+))""")
# Expression builders ASP.NET registers itself (`<%$ AppSettings: key %>`...): values, not code.
_BUILT_IN_BUILDERS = frozenset({"appsettings", "connectionstrings", "resources", "routeurl", "routevalue"})
_DIRECTIVE_NAME = re.compile(r"^\s*(?P<name>[A-Za-z]+)\b(?!\s*=)")
# Attribute values may hold `<` and `>` (ToolTip="<command>"): quoted values are taken whole.
_CONTROL_TAG = re.compile(
    r"<(?P<tag>asp:[A-Za-z]+|input|textarea|select)\b(?P<attrs>(?:\"[^\"]{0,1000}\"|'[^']{0,1000}'|[^<>\"']){0,2000})>",
    re.I,
)
# The path never runs into another comment's start: tried from each of many unclosed includes,
# it would otherwise be scanned to the end of the page from every one.
_INCLUDE = re.compile(
    r"<!--\s*#include\s+(?:file|virtual)\s*=\s*[\"']?(?P<path>(?:(?!<!--)[^\"'>])+?)[\"']?\s*-->", re.I
)


# Files a page pulls in from beside it: server-side includes (textual), user controls
# (`<%@ Register Src=... %>`), source files compiled with the page (`<%@ Assembly Src=... %>`) and
# the code file a page compiles from (`CodeFile=`, `Src=` of `@ Page`, `@ Control`, `@ Master`,
# `@ WebService`, `@ WebHandler`). `CodeBehind=` is left out: ASP.NET does not read it (Visual
# Studio compiles that file into the site's assembly), and a code-behind beside its page is paired
# by name already.
_DIRECTIVE_TEXT = re.compile(r"<%\s*@\s*(?P<name>[A-Za-z]+)\b(?P<body>[^%]{0,4000})%>")
_SOURCE_ATTRS = {
    "register": ("src",),
    "assembly": ("src",),
    "page": ("codefile", "src"),
    "control": ("codefile", "src"),
    "master": ("codefile", "src"),
    "webservice": ("codefile", "src"),
    "webhandler": ("codefile", "src"),
    "application": ("codefile", "src"),
}
MAX_REFERENCES = 16  # files one page may pull in that are read with it


@dataclass(frozen=True, slots=True)
class Reference:
    # "include" (a server-side include), "script" (`<script runat=server src=>`), "register",
    # "assembly", "codefile", "transform" (the stylesheet an `<asp:Xml>` control's `TransformSource`
    # or an `<asp:XmlDataSource>`'s `TransformFile` names)
    kind: str
    path: str  # as written: `file=` relative to the page, `virtual=`, `~/` and `/` from the site
    line: int
    virtual: bool = False  # a site-relative path (`virtual=`, `~/...`, `/...`)


# Server controls that run a stylesheet, and the attribute naming it (lower case).
_STYLESHEET_CONTROLS = (("asp:xml", "transformsource"), ("asp:xmldatasource", "transformfile"))


def references(text: str) -> list[Reference]:
    """Files the page's text names as part of its code, in page order (all of them: the reader
    decides how many it follows, and says when it stops short)."""
    found: list[tuple[int, Reference]] = []
    low = text.lower()
    if "#include" in low:
        lines = [0, 1]  # each pass meets its matches in page order: lines are counted once
        for m in _INCLUDE.finditer(text):
            path = m.group("path").strip()
            virtual = "virtual" in m.group(0)[: m.start("path") - m.start()].lower() or path.startswith(("/", "~"))
            found.append((m.start(), Reference("include", path, _line_at(text, m.start(), lines), virtual)))
    if "src" in low or "codefile" in low:
        lines = [0, 1]
        for m in _DIRECTIVE_TEXT.finditer(text):
            name = m.group("name").lower()
            attrs = attributes(m.group("body"))
            for key in _SOURCE_ATTRS.get(name, ()):
                path = attrs.get(key, "").strip()
                if not path:
                    continue
                kind = {"register": "register", "assembly": "assembly"}.get(name, "codefile")
                line = _line_at(text, m.start(), lines)
                found.append((m.start(), Reference(kind, path, line, path.startswith(("/", "~")))))
        # A server script block may load its members from a file (`<script runat="server"
        # src="x.cs">`, the code declaration block's `src`): that code is the page's own.
        found += _server_tag_paths(text, _script_tags(text), "src", "script")
    # An `<asp:Xml runat="server" TransformSource="...">` control loads that stylesheet and runs
    # its script (`codeanalysis.stylesheet`): whatever the file is called, it is code. An
    # `<asp:XmlDataSource runat="server" TransformFile="...">` does the same when a control bound
    # to it asks for the data.
    for tag, attr in _STYLESHEET_CONTROLS:
        if attr in low:
            controls = (
                _Tag(m.start(), m.group("attrs")) for m in _CONTROL_TAG.finditer(text) if m.group("tag").lower() == tag
            )
            found += _server_tag_paths(text, controls, attr, "transform")
    found.sort(key=lambda x: x[0])
    return [r for _, r in found]


# A server-side tag: where it starts and its attribute text.
class _Tag(NamedTuple):
    start: int
    attrs: str


def _server_tag_paths(text: str, tags: Iterable[_Tag], attr: str, kind: str) -> list[tuple[int, Reference]]:
    """The file each server-side tag of `tags` (in page order) names in `attr`, as references of
    `kind` with their offsets."""
    found: list[tuple[int, Reference]] = []
    lines = [0, 1]
    for start, attrs in tags:
        path = attributes(attrs).get(attr, "").strip()
        if path and _RUNAT.search(attrs):
            line = _line_at(text, start, lines)
            found.append((start, Reference(kind, path, line, path.startswith(("/", "~")))))
    return found


def _script_tag_end(text: str, start: int, limit: int, plain_limit: int) -> int:
    """Where the `>` of the `<script` tag at `start` is: read as ASP.NET's tag pattern reads it
    (`_SCRIPT_TAG`, a quoted value may hold `>`) within `limit`, else the first `>` after
    `<script` before `plain_limit` (a quote left open); -1 when there is none."""
    tag = _SCRIPT_TAG.match(text, start, limit)
    return tag.end() - 1 if tag is not None else text.find(">", start + len("<script"), plain_limit)


def _script_tags(text: str) -> Iterator[_Tag]:
    """Each `<script ...>` tag of a page in order, read as `_script_elements` reads one (a quoted
    value may hold `>`), whether or not a closing tag follows (`<script runat="server" src="x.cs"
    />`). A tag is read no further than the next `<script` or `</script`, so every character is
    read at most once however many tags are left open."""
    opens = [m.start() for m in _SCRIPT_START.finditer(text)]
    closes = [m.start() for m in _SCRIPT_END.finditer(text)]
    pos = 0
    for i, start in enumerate(opens):
        if start < pos:
            continue  # inside the previous tag's quoted value
        after = start + len("<script")
        j = bisect.bisect_left(closes, after)
        limit = min(
            start + _TAG_SPAN,
            opens[i + 1] if i + 1 < len(opens) else len(text),
            closes[j] if j < len(closes) else len(text),
        )
        gt = _script_tag_end(text, start, limit, limit)
        if gt < 0:
            continue
        yield _Tag(start, text[after:gt])
        pos = gt + 1


class ScriptElement(NamedTuple):
    start: int
    end: int
    attrs: str
    body_start: int
    body: str


def _script_elements(text: str) -> Iterator[ScriptElement]:
    """Each `<script ...>...</script>` of a page in order, as the pattern `<script\\b[^>]*>.*?
    </script\\s*>` would find them, in time linear in the page: the pattern itself, tried again
    from every `<script` that has no `>` or closing tag after it, took time in the square of the
    number of such tags."""
    ends = [(m.start(), m.end()) for m in _SCRIPT_END.finditer(text)]
    starts = [e[0] for e in ends]
    pos = 0
    while True:
        m = _SCRIPT_START.search(text, pos)
        if m is None:
            return
        # The tag is read up to the next closing tag at most: every character is read once.
        j = bisect.bisect_left(starts, m.end())
        limit = min(m.start() + _TAG_SPAN, starts[j] if j < len(starts) else len(text))
        gt = _script_tag_end(text, m.start(), limit, len(text))
        if gt < 0:
            return  # no later `<script` has a `>` after it either
        i = bisect.bisect_left(starts, gt + 1)
        if i == len(ends):
            return  # nor a closing tag after its `>`
        close, after = ends[i]
        yield ScriptElement(m.start(), after, text[m.end() : gt], gt + 1, text[gt + 1 : close])
        pos = after


def language_of(value: str | None) -> Lang | None:
    v = (value or "").strip().lower()
    if v in {"c#", "cs", "csharp"}:
        return Lang.CSHARP
    if v in {"vb", "vbs", "vbscript", "visualbasic", "vb.net"}:
        return Lang.VB
    if v in {"jscript", "javascript", "js", "jscript.net", "ecmascript"}:
        return Lang.JSCRIPT
    return None


def attributes(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        out[m.group("k").lower()] = m.group("v1") or m.group("v2") or m.group("v3") or ""
    return out


def _line_at(text: str, offset: int, cache: list[int]) -> int:
    # cache: [last_offset, last_line] so page-order lookups stay linear
    last_off, last_line = cache
    if offset < last_off:
        last_off, last_line = 0, 1
    line = last_line + text.count("\n", last_off, offset)
    cache[0], cache[1] = offset, line
    return line


class Padded:
    """Code pieces placed at their file lines, separated by newlines (and `sep` on one line)."""

    def __init__(self, sep: str) -> None:
        self.parts: list[str] = []
        self.line = 1
        self.first: int | None = None
        self.sep = sep

    def add(self, code: str, line: int) -> None:
        if self.first is None:
            self.first = line
        if line > self.line:
            self.parts.append("\n" * (line - self.line))
            self.line = line
        elif self.parts:
            self.parts.append(self.sep)
        self.parts.append(code)
        self.line += code.count("\n")

    def text(self) -> str:
        return "".join(self.parts)


# A line that only VB writes: a declaration, a block's end, a procedure, or a one-line `If ... Then`
# (C# and JScript have no `Then`), sought from a line's start with white space within the line
# only (a run of blank lines is not scanned again from each of them, and a long line is read
# once); and JScript's marks (an `eval(` is read up to the next one, not again from each of many).
_VB_LINE = re.compile(
    r"(?im)^[^\S\n]*(?:dim\s+\w|end\s+(?:sub|function|if|class)\b|sub\s+\w+\s*\(|(?:else)?if\b[^\n]*(?<![.\w])then\b)"
)
_JSCRIPT_MARK = re.compile(
    r"\bfunction\s+\w*\s*\(|\bvar\s+\w+\s*=\s*new\s+ActiveXObject|\beval\s*\((?:(?!\beval\s*\()[^)])*\"unsafe\""
)


def guess_language(code: str) -> Lang:
    """For pages without a Language attribute: the language the code reads as."""
    if _VB_LINE.search(code):
        return Lang.VB
    if _JSCRIPT_MARK.search(code):
        return Lang.JSCRIPT
    return Lang.CSHARP


_CONTROL_CLASSES = {
    "TextBox",
    "DropDownList",
    "ListBox",
    "HiddenField",
    "FileUpload",
    "RadioButtonList",
    "CheckBoxList",
    "HtmlInputText",
    "HtmlTextArea",
    "HtmlSelect",
    "HtmlInputFile",
    "HtmlInputHidden",
    "HtmlInputPassword",
}
_CLASS = r"(?:global::)?(?:System\.Web\.UI\.(?:WebControls|HtmlControls)\.)?(?P<cls>[A-Za-z]+)"
# C# `protected TextBox txtCmd;` (also the designer's `global::System.Web.UI.WebControls.TextBox`),
# VB `Protected WithEvents txtCmd As System.Web.UI.WebControls.TextBox`.
_FIELD_DECL = re.compile(
    rf"\b(?:protected|public|private|internal|friend)\s+(?:withevents\s+(?P<vb>\w+)\s+as\s+{_CLASS}"
    rf"|(?:(?:new|readonly)\s+)*{_CLASS.replace('cls', 'cscls')}\s+(?P<cs>\w+)\s*;)",
    re.I,
)


def declared_controls(text: str) -> dict[str, str]:
    """Input controls a code-behind file declares as fields (the page's own markup is another
    file): id -> control class."""
    found: dict[str, str] = {}
    for m in _FIELD_DECL.finditer(text):
        cls = m.group("cls") or m.group("cscls") or ""
        name = m.group("vb") or m.group("cs") or ""
        kind = next((c for c in _CONTROL_CLASSES if c.lower() == cls.lower()), None)
        if kind is not None and name:
            found[name.lower()] = kind
    return found


# A code-behind's class: C# `partial class X : Base`, VB `Partial Class X` then `Inherits Base`,
# or any class deriving from the page, user-control or master-page classes of System.Web.UI.
# Each run of white space that may hold a line break is followed by a fixed word, never by
# another such run, so a file of blank lines is passed over in linear time.
_PAGE_CLASS = re.compile(
    r"\bpartial\s+(?:(?:public|internal|sealed|abstract)\s+){0,3}class\s+\w+\s*:\s*[\w.]+"
    r"|\bpartial\s+(?:(?:public|friend|notinheritable|mustinherit)\s+){0,3}class\s+\w+[ \t]*\r?\n\s*inherits\s+[\w.]+"
    r"|(?::|\binherits)\s*(?:global::)?(?:System\.Web\.UI\.)?(?:Page|UserControl|MasterPage)\b",
    re.I,
)
_WEB_IMPORT = re.compile(r"^[ \t]*(?:using|imports)[ \t]+System\.Web\b|\bSystem\.Web\.UI\.", re.I | re.M)
_DESKTOP_IMPORT = re.compile(r"^[ \t]*(?:using|imports)[ \t]+System\.Windows\b", re.I | re.M)


def is_code_behind(text: str) -> bool:
    """Whether a source file is a web page's or user control's code-behind: a partial class (or
    one deriving from `Page`, `UserControl`, `MasterPage`) in a file that uses `System.Web` and
    not the desktop's `System.Windows` (whose forms are partial classes with controls too). Such
    a class's controls are declared by the page's markup (or a designer file), not by itself."""
    return (
        _WEB_IMPORT.search(text) is not None
        and _DESKTOP_IMPORT.search(text) is None
        and _PAGE_CLASS.search(text) is not None
    )


def _server_controls(text: str, tags: Container[str]) -> Iterator[tuple[str, dict[str, str], str]]:
    """The markup's server controls (`runat="server"`) of the given tags (lower case) whose id can
    name a field: (tag, attributes, id) each, in page order."""
    for m in _CONTROL_TAG.finditer(text):
        tag = m.group("tag").lower()
        if tag not in tags or not _RUNAT.search(m.group("attrs")):
            continue
        attrs = attributes(m.group("attrs"))
        ident = attrs.get("id", "").strip()
        if ident.isidentifier():
            yield tag, attrs, ident


def input_controls(text: str, low: str | None = None) -> dict[str, str]:
    """Server controls declared in the markup that carry client input: id -> control class.
    `low`: the text in lower case, when the caller has it."""
    found: dict[str, str] = {}
    if "runat" not in (text.lower() if low is None else low):
        return found
    for tag, attrs, ident in _server_controls(text, INPUT_CONTROLS):
        kind = INPUT_CONTROLS[tag]
        if tag == "input":
            kind = {"file": "HtmlInputFile", "hidden": "HtmlInputHidden", "password": "HtmlInputPassword"}.get(
                attrs.get("type", "").lower(), kind
            )
            if attrs.get("type", "").lower() in {"submit", "button", "reset", "image", "checkbox", "radio"}:
                continue
        found[ident.lower()] = kind
    return found


# Declarative data sources. `<asp:ObjectDataSource TypeName="T" SelectMethod="M">` makes the page
# call `T.M` (also its Insert/Update/Delete methods) when a data-bound control binds to it, with
# the arguments its parameter collections name: a query-string or form field, a cookie, a route
# value, a page control's value, a literal default. The page holds no code, yet calls the method:
# it is read as that call, written in C#, at the line of the tag.
_TAG_ATTRS = r"(?P<attrs>(?:\"[^\"]{0,2000}\"|'[^']{0,2000}'|[^<>\"']){0,4000})"
_OBJECT_SOURCE = re.compile(
    r"<asp:ObjectDataSource\b" + _TAG_ATTRS + r"(?:/>|>(?P<body>.{0,20000}?)</asp:ObjectDataSource\s*>|>)",
    re.I | re.S,
)
_PARAMETERS = re.compile(
    r"<(?:asp:)?(?P<op>Select|Insert|Update|Delete)Parameters\b[^>]{0,200}>(?P<body>.{0,20000}?)"
    r"</(?:asp:)?(?P=op)Parameters\s*>",
    re.I | re.S,
)
_PARAMETER = re.compile(r"<asp:(?P<kind>[A-Za-z]{0,40})Parameter\b" + _TAG_ATTRS + r">", re.I)
# `<asp:SqlDataSource SelectCommand="...">` runs its command text on the connection it names, with
# its parameters' values bound to the command's `@names`: read as an SQL command built from the
# text and those values (a stored procedure's name as an EXEC of it), so the SQL rules judge it.
_SQL_SOURCE = re.compile(
    r"<asp:SqlDataSource\b" + _TAG_ATTRS + r"(?:/>|>(?P<body>.{0,20000}?)</asp:SqlDataSource\s*>|>)",
    re.I | re.S,
)
_TYPE_NAME = re.compile(r"^[A-Za-z_]\w*(?:[.+][A-Za-z_]\w*)*$")
# The property a ControlParameter reads when it names none (the control's value property).
_CONTROL_VALUE = {
    "DropDownList": "SelectedValue",
    "ListBox": "SelectedValue",
    "RadioButtonList": "SelectedValue",
    "CheckBoxList": "SelectedValue",
    "HiddenField": "Value",
    "HtmlInputHidden": "Value",
    "HtmlInputText": "Value",
    "HtmlInputPassword": "Value",
    "HtmlTextArea": "Value",
    "HtmlSelect": "Value",
    "FileUpload": "FileBytes",
}


def _cs_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "") + '"'


def _parameter_value(kind: str, attrs: dict[str, str], controls: dict[str, str]) -> str:
    """The C# expression an ASP.NET data-source parameter reads."""
    kind = kind.lower()
    keyed = {
        "querystring": ("querystringfield", "Request.QueryString[{}]"),
        "form": ("formfield", "Request.Form[{}]"),
        "cookie": ("cookiename", "Request.Cookies[{}].Value"),
        "route": ("routekey", "Page.RouteData.Values[{}]"),
        "session": ("sessionfield", "Session[{}]"),
    }.get(kind)
    if keyed is not None and attrs.get(keyed[0], "").strip():
        return keyed[1].format(_cs_string(attrs[keyed[0]].strip()))
    if kind == "control":
        ident = attrs.get("controlid", "").strip()
        if ident.isidentifier():
            prop = attrs.get("propertyname", "").strip() or _CONTROL_VALUE.get(controls.get(ident.lower(), ""), "Text")
            if prop.isidentifier():
                return f"{ident}.{prop}"
    default = attrs.get("defaultvalue")
    return _cs_string(default) if default is not None else "null"


def declared_calls(text: str, controls: dict[str, str], low: str | None = None) -> list[tuple[str, int]]:
    """The calls a page's `<asp:ObjectDataSource>` and `<asp:SqlDataSource>` declarations make, as
    C# statements with the line of their tag. `low`: the text in lower case, when the caller has it."""
    low = text.lower() if low is None else low
    calls: list[tuple[str, int]] = []
    lines = [0, 1]
    if "sqldatasource" in low:
        calls.extend(_sql_commands(text, controls, lines))
    if "objectdatasource" not in low:
        return calls
    for m in _OBJECT_SOURCE.finditer(text):
        attrs = attributes(m.group("attrs"))
        if not _RUNAT.search(m.group("attrs")):
            continue
        type_name = attrs.get("typename", "").split(",", 1)[0].strip()
        if not _TYPE_NAME.match(type_name):
            continue
        type_name = type_name.replace("+", ".")
        arguments = _bound_arguments(m.group("body") or "", controls)
        line = _line_at(text, m.start(), lines)
        for op in ("select", "insert", "update", "delete"):
            method = attrs.get(f"{op}method", "").strip()
            if method.isidentifier():
                calls.append((f"{type_name}.{method}({', '.join(arguments.get(op, []))});", line))
    return calls


# Server-side object tags create an object for the page as a field named by their id: a .NET
# class (`class=`), or a COM object by ProgID or CLSID (`progid=`, `classid=`).
_OBJECT_TAG = re.compile(r"<object\b(?P<attrs>[^>]{0,2000})>", re.I)


def declared_objects(text: str) -> dict[str, str]:
    """The page's server-side object tags: id (lower case) -> its type (see `Extracted.objects`)."""
    out: dict[str, str] = {}
    for m in _OBJECT_TAG.finditer(text):
        if not _RUNAT.search(m.group("attrs")):
            continue
        attrs = attributes(m.group("attrs"))
        ident = attrs.get("id", "").strip()
        if not ident.isidentifier():
            continue
        clsid = attrs.get("classid", "").strip().strip("{}").lower().removeprefix("clsid:").strip("{}")
        kind = attrs.get("progid", "").strip().lower() or COM_CLSIDS.get(clsid, "")
        if not kind and _TYPE_NAME.match(attrs.get("class", "").strip()):
            kind = attrs["class"].strip().lower().rsplit(".", 1)[-1]
        if kind:
            out[ident.lower()] = kind
    return out


def stylesheet_controls(text: str) -> dict[str, str]:
    """The page's `<asp:Xml>` and `<asp:XmlDataSource>` server controls: id (lower case) -> the
    control's class in lower case, as a field of that type (`flow.xmlcontrols`)."""
    tags = {tag for tag, _ in _STYLESHEET_CONTROLS}
    return {ident.lower(): tag.removeprefix("asp:") for tag, _, ident in _server_controls(text, tags)}


def _bound_arguments(body: str, controls: dict[str, str]) -> dict[str, list[str]]:
    """A data-source tag's parameter lists by operation (select, insert...): each parameter as
    the value it is bound to (see `_parameter_value`)."""
    return {
        group.group("op").lower(): [
            _parameter_value(p.group("kind"), attributes(p.group("attrs")), controls)
            for p in _PARAMETER.finditer(group.group("body"))
        ]
        for group in _PARAMETERS.finditer(body)
    }


def _sql_commands(text: str, controls: dict[str, str], lines: list[int]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for m in _SQL_SOURCE.finditer(text):
        attrs = attributes(m.group("attrs"))
        if not _RUNAT.search(m.group("attrs")):
            continue
        arguments = _bound_arguments(m.group("body") or "", controls)
        line = _line_at(text, m.start(), lines)
        for op in ("select", "insert", "update", "delete"):
            command = attrs.get(f"{op}command", "").strip()
            if not command or command.startswith("<%"):
                continue
            if attrs.get(f"{op}commandtype", "").strip().lower() == "storedprocedure":
                command = "exec " + command
            values = "".join(f" + {v}" for v in arguments.get(op, []))
            out.append((f"new System.Data.SqlClient.SqlCommand({_cs_string(command)}{values});", line))
    return out


# What ASP.NET's page parser looks for at each point of the markup: a server comment, another
# `<%` block, or a server script block, whose body is the script's up to `</script>`.
_PARSER_MARK = re.compile(r"<%|<script\b[^>]{0,2000}\brunat\s*=\s*[\"']?server[^>]{0,2000}>", re.I)
# The parser's comment (`<%--(([^-]*)-)*?-%>` in System.Web.RegularExpressions.CommentRegex).
_SERVER_COMMENT = re.compile(r"<%--(?:-%>|.*?--%>)", re.S)
_SCRIPT_END = re.compile(r"</script\s*>", re.I)


def without_server_comments(text: str) -> str:
    """The markup with its server comments (`<%-- ... --%>`) blanked, new lines kept: the parser
    drops them before compiling, so a script block or code inside one never runs. Read in the
    parser's order, so `<%--` inside a code block or a server script (a string of its code) is
    not taken for a comment."""
    if "<%--" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (m := _PARSER_MARK.search(text, pos)) is not None:
        if m.group().startswith("<%"):
            c = _SERVER_COMMENT.match(text, m.start())
            if c is not None:
                out.append(text[pos : m.start()])
                out.append(re.sub(r"[^\n]", " ", c.group()))
                pos = c.end()
                continue
            end = text.find("%>", m.end())
        else:
            e = _SCRIPT_END.search(text, m.end())
            end = e.start() if e is not None else -1
        if end < 0:
            break
        out.append(text[pos:end])
        pos = end
    out.append(text[pos:])
    return "".join(out)


def is_bare_source(text: str) -> bool:
    """Whether a page's text is bare C# or VB source: no `<%`, no server script, and it starts
    (after comments) as a source file does."""
    if "<%" in text or _SOURCE_START.match(text, _after_comments(text)) is None:
        return False
    return _RUNAT.search(text) is None  # the whole text last: most pages fail the bounded checks first


def extract(text: str, extension: str, language: Lang | None = None) -> Extracted:
    """The server code of one file. `extension` is lower case with its dot; `language`, the
    language of a page this text is included in (an include declares none of its own)."""
    out = Extracted()
    lang = CODE_EXTENSIONS.get(extension)
    if lang is not None:
        out.units.append(CodeUnit(lang, UnitKind.FILE, text, 1))
        out.controls = declared_controls(text)
        return out
    if extension in PAGE_EXTENSIONS and is_bare_source(text):
        # Source code kept under a page's name (a handler's class without its directive): what
        # it does is read as for a source file of the same language.
        out.units.append(CodeUnit(guess_language(text[:8192]), UnitKind.FILE, text, 1))
        out.controls = declared_controls(text)
        out.bare_source = True
        return out
    text = without_server_comments(text)
    low = text.lower()  # read once, for the markup checks
    _markup(text, extension, low, out)
    taken: list[tuple[int, int]] = []  # (start, end) of every server script and block
    scripts = _server_scripts(text, out, taken)
    blocks = _blocks(text, extension, low, out, taken)
    code_sample = " ".join(b for _, b, _ in blocks.pieces) + " ".join(s for _, s, _ in scripts)
    if blocks.whole_from is not None:
        code_sample += text[blocks.whole_from :][:4096]
    default = blocks.page_lang or language or guess_language(code_sample)
    _units(text, low, default, blocks, scripts, out)
    if blocks.whole_from is not None:
        taken.append((blocks.whole_from, len(text)))
    covered = sum(e - s for s, e in taken)
    out.markup_chars = max(0, len(text) - covered)
    return out


def _markup(text: str, extension: str, low: str, out: Extracted) -> None:
    """What the markup itself declares: server-side includes, input controls, server objects,
    and (in a configuration file) the compilers' command lines."""
    lines = [0, 1]  # matches come in page order: each line counted once, not once per match
    for m in _INCLUDE.finditer(text):
        out.includes.append((m.group("path").strip(), _line_at(text, m.start(), lines)))
    out.controls = input_controls(text, low)
    if "<object" in low:
        out.objects = declared_objects(text)
    if "asp:xml" in low:
        out.objects.update(stylesheet_controls(text))
    if extension == ".config" and "compileroptions" in low:
        out.compilers = config_compilers(text)


def _server_scripts(text: str, out: Extracted, taken: list[tuple[int, int]]) -> list[tuple[Lang | None, str, int]]:
    """The `<script runat="server">` blocks: (language, body, line) each, in page order; the
    files they load their code from join `out.script_sources`, their spans `taken`."""
    scripts: list[tuple[Lang | None, str, int]] = []
    lines = [0, 1]
    for el in _script_elements(text):
        if not _RUNAT.search(el.attrs):
            continue
        a = attributes(el.attrs)
        line = _line_at(text, el.body_start, lines)
        if a.get("src", "").strip():  # `<script runat="server" src="...">`: code loaded from that file
            out.script_sources.append((a["src"].strip(), line))
        scripts.append((language_of(a.get("language")), el.body, line))
        taken.append((el.start, el.end))
    return scripts


@dataclass(slots=True)
class _Blocks:
    pieces: list[tuple[str, str, int]] = field(default_factory=list)  # (mark, body, line) of code blocks
    page_lang: Lang | None = None  # the first language a directive names
    whole_from: int | None = None  # where a handler's or service's code starts, after its directive


def _blocks(text: str, extension: str, low: str, out: Extracted, taken: list[tuple[int, int]]) -> _Blocks:
    """The `<% %>` blocks outside server scripts: directives join `out.directives`; statements,
    expressions, data-binding expressions of a file that binds, and values of custom expression
    builders are the pieces of code, in page order. Their spans join `taken`."""
    found = _Blocks()
    cache = [0, 1]
    binds: bool | None = None  # whether the file calls DataBind, looked up at its first <%# %>
    # A block inside a server script is the script's. (The blocks themselves never overlap: each
    # starts after the last one's end, so only the scripts need checking, not every block taken.)
    script_starts = [s for s, _ in taken]  # in page order, none overlapping
    script_ends = [e for _, e in taken]
    # No block starts after the last `%>`: the search stops there, so a page of many `<%` with no
    # `%>` after them is not scanned to its end again from each of them.
    for m in _BLOCK.finditer(text, 0, text.rfind("%>") + 2):
        i = bisect.bisect_right(script_starts, m.start()) - 1
        if i >= 0 and m.start() < script_ends[i]:
            continue
        mark, body = m.group("mark").strip(), m.group("body")
        line = _line_at(text, m.start("body"), cache)
        taken.append((m.start(), m.end()))
        if mark == "@":
            d = _DIRECTIVE_NAME.match(body)
            name = d.group("name") if d else DEFAULT_DIRECTIVES.get(extension, "Page")
            attrs = attributes(body[d.end() :] if d else body)
            out.directives.append(Directive(name, attrs, line))
            found.page_lang = found.page_lang or language_of(attrs.get("language"))
            if name.lower() in WHOLE_FILE_DIRECTIVES and found.whole_from is None:
                found.whole_from = m.end()
            continue
        if mark == "#":
            # Data-binding expressions are code the page runs when it (or a control) binds:
            # `<%# Process.Start(...) %>` with `Page.DataBind()` runs like `<%= %>`, and so does
            # one in the template of a control bound to a declared data source (`DataSourceID`),
            # which binds itself before it renders. Read when the file itself binds (an
            # application's pages bind in their code-behind).
            out.binding_expressions += 1
            if binds is None:
                binds = "databind" in low or "datasourceid" in low
            if binds:
                found.pieces.append(("=", body, line))
            continue
        if mark == "$":
            # `<%$ Prefix: value %>`: the built-in builders read settings and resources; any other
            # prefix is a builder registered in web.config, whose value may be code (`Code:`).
            prefix, colon, value = body.partition(":")
            if colon and prefix.strip().lower() not in _BUILT_IN_BUILDERS:
                found.pieces.append(("=", value, line))
            continue
        found.pieces.append((mark, body, line))
    return found


def _units(
    text: str,
    low: str,
    default: Lang,
    blocks: _Blocks,
    scripts: list[tuple[Lang | None, str, int]],
    out: Extracted,
) -> None:
    """The code units of a page: its statements and expressions, the calls its declared data
    sources make, its server scripts by language, and a handler's or service's code."""
    statements = Padded("\n")
    end = "" if default is Lang.VB else ";"  # VB ends a statement with its line, not a `;`
    for mark, body, line in blocks.pieces:
        statements.add(f"__out({body}){end}" if mark in {"=", ":"} and body.strip() else body, line)
    if blocks.pieces:
        out.units.append(CodeUnit(default, UnitKind.STATEMENTS, statements.text(), statements.first or 1))
    declared = Padded("\n")
    for call, line in declared_calls(text, out.controls, low):
        declared.add(call, line)
    if declared.parts:
        out.units.append(CodeUnit(Lang.CSHARP, UnitKind.STATEMENTS, declared.text(), declared.first or 1))
    by_lang: dict[Lang, Padded] = {}
    for slang, body, line in scripts:
        by_lang.setdefault(slang or default, Padded("\n")).add(body, line)
    for slang, padded in by_lang.items():
        out.units.append(CodeUnit(slang, UnitKind.MEMBERS, padded.text(), padded.first or 1))
    if blocks.whole_from is not None:
        line = _line_at(text, blocks.whole_from, [0, 1])
        out.units.append(CodeUnit(default, UnitKind.FILE, "\n" * (line - 1) + text[blocks.whole_from :], line))
