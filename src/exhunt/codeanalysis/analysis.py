"""One file's server code: extract, parse, fold, follow flows, and say what it can do.

`analyze_code` is pure: bytes and a file name in, a `CodeReport` out. Each capability is a
`Capability` naming its rule, the line of the sink, the chain in words ("takes the request body,
base64-decodes it, decrypts it with AES (Rijndael) and loads it as an assembly") and the lines it
runs through. Costs are bounded: code above `MAX_PARSE_BYTES` or a tree above the node budget
goes to the token-level reader, and the deadline stops the analysis; each such limit is
reported as a `CodeProblem` for the file.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import time
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exhunt.codeanalysis.charset import sniff, wide_codec
from exhunt.codeanalysis.encoded import encoded_page, maybe_encoded
from exhunt.codeanalysis.encodedcommand import MAX_DECODED, decoded_commands
from exhunt.codeanalysis.extract import (
    CODE_EXTENSIONS,
    PAGE_EXTENSIONS,
    CodeUnit,
    Extracted,
    Lang,
    UnitKind,
    extract,
    input_controls,
    is_code_behind,
    language_of,
    references,
)
from exhunt.codeanalysis.flow import PageScope, UnitFlow, run_together
from exhunt.codeanalysis.fold import MAX_ITEMS, MAX_MAPPED, MAX_VALUE, as_bytes, as_text, decode_base64, show
from exhunt.codeanalysis.pinvoke import declared
from exhunt.codeanalysis.razor import MAX_DEPTH, RAZOR_EXTENSIONS, read_razor
from exhunt.codeanalysis.staged import staged_runs
from exhunt.codeanalysis.stylesheet import MAX_PREFIXES, MAX_SCRIPTS, STYLESHEET_EXTENSIONS, stylesheet
from exhunt.codeanalysis.syntax import Parsed, ParseDeadline, error_share, parse
from exhunt.codeanalysis.taint import Budget, SinkHit, SinkRule, Taint, password_named
from exhunt.codeanalysis.tokens import MAX_STATEMENT, read_tokens
from exhunt.codeanalysis.vocabulary import DANGEROUS_TEXT, PATH_KINDS, SinkPattern
from exhunt.filehunt.saferegex import LinearRegexError, compile_linear
from exhunt.ruleparams import (
    ACTS_ALONE_CAPABILITIES,
    CodeCloakParams,
    CodeFlowParams,
    CodeIncludeParams,
    CodePlantedDllParams,
    CodeToolkitParams,
    CodeUnresolvedParams,
)
from exhunt.rules import catalog, params, per_catalog, rule, rules_of
from exhunt.ruleschema import REGEX_FLAGS

MAX_PARSE_BYTES = 4 * 1024 * 1024  # code beyond this is read token by token
NODE_BUDGET = 400_000
# Names of source files (not served pages): C#, VB and JScript.NET code, as `extract` reads them.
SOURCE_SUFFIXES = tuple(CODE_EXTENSIONS)
DEFAULT_DEADLINE = 5.0  # seconds per file
# The token-level reader, the fallback of a unit whose parse or flow ran out, may read on past the
# file's deadline for this share of it; then it stops too, and says where.
TOKEN_GRACE = 0.5
HIDDEN_NAME = "code-hidden-name"  # the detector of names built at run time or split by comments
ENCODED_PAGE = "code-encoded-page"  # the detector of pages kept as base64 text
_PADDED = re.compile(r"(?<=\w)/\*[^*\n]{0,80}\*/(?=\w)")
_CRAWLER_CONTEXT = re.compile(r"useragent|user_agent|urlreferrer|http_referer|user-agent", re.I)


@dataclass(frozen=True, slots=True)
class _Clock:
    deadline: float  # time.monotonic() past which the parse and the flows stop
    grace: float  # seconds the token-level reader may read on past it

    def token_stop(self) -> float:
        return max(self.deadline, time.monotonic() + self.grace)


@dataclass(frozen=True, slots=True)
class CodeProblem:
    kind: str  # "limit", "timed-out", "unsupported"
    message: str
    line: int | None = None


@dataclass(slots=True)
class Capability:
    rule_id: str
    line: int
    chain: str
    lines: tuple[int, ...]
    api: str = ""
    context: str = ""


@dataclass(frozen=True, slots=True)
class Included:
    """A file the page pulls in (`extract.references`), as read from beside it."""

    kind: str  # "include", "script", "register", "assembly", "codefile", "transform"
    path: str  # as the page names it
    line: int  # the page line that names it
    data: bytes


@dataclass(frozen=True, slots=True)
class IncludedSpan:
    """Lines `first`..`last` of the analysis are lines 1.. of an included file (its lines
    shifted past the page's own)."""

    first: int
    last: int
    path: str
    line: int  # the page line that names it
    textual: bool  # a server-side include: its text is the page's text
    own_class: bool = False  # the page's own code file (`CodeFile`/`Src`): its class is the page's


@dataclass(slots=True)
class CodeReport:
    capabilities: list[Capability] = field(default_factory=list)
    folded: dict[str, int] = field(default_factory=dict)  # folded string -> line
    problems: list[CodeProblem] = field(default_factory=list)
    readers: set[str] = field(default_factory=set)  # "tree-sitter:csharp", "tokens:vb"...
    languages: set[str] = field(default_factory=set)
    units: int = 0  # units of server code with text
    sinks: int = 0  # calls of a sink API found, whatever reaches them
    reached: int = 0  # of those, calls that a value from the request reaches
    # What the text was read in when not UTF-8 or UTF-16: UTF-32, a legacy code page, or "unknown".
    encoding: str = ""
    included: list[IncludedSpan] = field(default_factory=list)
    # Classes of user controls the page registers (`@ Control ClassName`): their members are
    # called as `Name.Member(...)`.
    control_classes: set[str] = field(default_factory=set)

    def where(self, line: int) -> str:
        """A line of the analysis as the user reads it: the page's own, or `file line n`."""
        for span in self.included:
            if span.first <= line <= span.last:
                return f"{span.path} line {line - span.first + 1}"
        return str(line)

    def page_line(self, line: int) -> int:
        """The page line of a line of the analysis: an included file's lines are where it is named."""
        return next((s.line for s in self.included if s.first <= line <= s.last), line)


@per_catalog
def sink_rules() -> tuple[SinkRule, ...]:
    """Every `code-flow` rule's sinks, in catalog order."""
    out = []
    for entry in catalog().values():
        if entry.detector == "code-flow":
            p = entry.params_as(CodeFlowParams)
            out.append(SinkRule(entry.id, p.capability, tuple(SinkPattern.parse(a) for a in p.apis)))
    return tuple(out)


def depad(code: str, report: CodeReport, first_line: int) -> str:
    """Join tokens split by comments (`e/*x*/v/*x*/a/*x*/l`), recording what they spelled."""
    if "/*" not in code:
        return code
    joined = _PADDED.sub("", code)
    if joined != code:
        for m in re.finditer(r"\w+", joined):
            word = m.group(0)
            if len(word) > 2 and word not in code:
                line = joined.count("\n", 0, m.start()) + first_line
                report.folded.setdefault(f"{word} (comment-padded)", line)
                if DANGEROUS_TEXT.search(word):
                    for r in rules_of(HIDDEN_NAME):
                        report.capabilities.append(
                            Capability(r.id, line, f"spells '{word}' with comments between its letters", (line,))
                        )
    return joined


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")
# A whole word (letters and escapes) holding an escape. It starts only where no letter precedes
# it, the lookahead finds the escape past a run of plain letters taken whole, and the word is
# taken whole: a long word without an escape (a base64 literal) is passed over once, where
# backtracking into it from each of its letters took time in the square of its length.
_ESCAPED_WORD = re.compile(
    r"(?<!\w)(?=\w*+(?:\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}))(?:\w|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8})++"
)
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")


def _escaped(m: re.Match[str]) -> str:
    """The character a `\\uXXXX` or `\\UXXXXXXXX` escape stands for ("" beyond Unicode)."""
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code < 0x110000 else ""


def _unescape(m: re.Match[str]) -> str:
    ch = _escaped(m)
    if ch and unicodedata.category(ch) == "Cf":
        return ""  # a formatting character: the compiler drops it from a name
    return ch if _NAME_CHAR.fullmatch(ch) else m.group(0)


# Formatting characters (Unicode category Cf: zero-width joiners and marks, the byte-order mark,
# the Mongolian vowel separator, bidirectional marks) written between the letters of a name.
_FORMAT_CHARS = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
_FORMAT_IN_WORD = re.compile(f"(?<=\\w)[{_FORMAT_CHARS}]+(?=\\w)")
_HAS_FORMAT = re.compile(f"[{_FORMAT_CHARS}]")


def unescape_names(code: str, report: CodeReport) -> str:
    """C# and JScript let identifiers (and strings) spell letters as `\\u0052`: `\\u0052equest`
    is `Request` to the compiler. Letters, digits and `_` written so are read as themselves
    (the meaning is the same in a name and in a string), and each word so spelled is recorded.
    C# also drops formatting characters from names (`Re\\u200Equest`, or the character itself,
    is `Request`): they are removed between letters, escaped or not."""
    if _HAS_FORMAT.search(code, 1) is not None:  # a byte-order mark at the start is not in a name
        code = _drop_format_chars(code, report)
    if "\\u" not in code and "\\U" not in code:
        return code
    out = []
    last = 0
    for m in _ESCAPED_WORD.finditer(code):
        if _escaped_backslash(code, m.start()):
            continue  # `"\\u0053"` in a string: a backslash written as `\\`, then the letter `u`
        word = _ESCAPE.sub(_unescape, m.group(0))
        out.append(code[last : m.start()])
        out.append(word)
        last = m.end()
        if "\\" not in word and len(word) > 2 and _ESCAPE.sub(_unescape_letters_only, m.group(0)) != m.group(0):
            line = code.count("\n", 0, m.start()) + 1
            report.folded.setdefault(f"{word} (unicode escapes)", line)
            _hidden_name(report, word, line, f"spells '{word}' with unicode escapes")
    out.append(code[last:])
    return "".join(out)


def _escaped_backslash(code: str, at: int) -> bool:
    """Whether the backslash at `at` is escaped itself: an odd run of backslashes before it."""
    run = 0
    while at - run > 0 and code[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _unescape_letters_only(m: re.Match[str]) -> str:
    """An escape of a letter, digit or `_` as that character; anything else as written (to tell
    a name spelled with escapes from one that only carries escaped formatting characters)."""
    ch = _escaped(m)
    return ch if _NAME_CHAR.fullmatch(ch) else m.group(0)


def _drop_format_chars(code: str, report: CodeReport) -> str:
    joined = _FORMAT_IN_WORD.sub("", code)
    if joined == code:
        return code
    for m in _FORMAT_IN_WORD.finditer(code):
        start = m.start()
        while start > 0 and (code[start - 1].isalnum() or code[start - 1] == "_" or _HAS_FORMAT.match(code[start - 1])):
            start -= 1
        end = m.end()
        while end < len(code) and (code[end].isalnum() or code[end] == "_" or _HAS_FORMAT.match(code[end])):
            end += 1
        word = _HAS_FORMAT.sub("", code[start:end])
        line = code.count("\n", 0, m.start()) + 1
        report.folded.setdefault(f"{word} (formatting characters)", line)
        _hidden_name(report, word, line, f"spells '{word}' with invisible formatting characters between its letters")
    return joined


def _hidden_name(report: CodeReport, word: str, line: int, said: str) -> None:
    """A dangerous name spelled so that string signatures miss it is a capability of its own
    (once per spelling)."""
    if (DANGEROUS_TEXT.search(word) or word.lower() in _ESCAPE_WATCH) and all(
        c.chain != said for c in report.capabilities
    ):
        for r in rules_of(HIDDEN_NAME):
            report.capabilities.append(Capability(r.id, line, said, (line,)))


_ESCAPE_WATCH = {"request", "binaryread", "session", "assembly", "system.reflection"}


def analyze_code(
    data: bytes,
    name: str,
    deadline_s: float = DEFAULT_DEADLINE,
    settings: Mapping[str, Any] | None = None,
    markup: bytes | None = None,
    included: Sequence[Included] = (),
) -> CodeReport:
    """`markup`: for a code-behind file (`x.aspx.cs`), the page it belongs to (`x.aspx`), whose
    input controls are then what the client posts back to this code. `included`: files the page
    pulls in (`extract.references`), analysed with the page as one class; a flow that crosses
    between the page and a compiled file is the page's, one inside that file is that file's own."""
    found = encoded_page(data) if maybe_encoded(data) else None
    if found is not None:
        return _encoded(found[0], analyze_code(found[1], name, deadline_s, settings, markup, included))
    report = CodeReport()
    started = time.monotonic()  # the deadline counts from here: telling code from markup is part of the work
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    text = unescape_names(_decode(data, report), report)
    if ext in STYLESHEET_EXTENSIONS:
        extracted = _stylesheet(text, report)
    elif ext in RAZOR_EXTENSIONS:
        extracted = _razor(text, ext, report, started + deadline_s)
    else:
        extracted = extract(text, ext)
    _unknown_code_text(extracted, report)
    compiled_live = False
    # A code-behind whose page was not read: its controls are names it uses and never declares.
    unread_markup = markup is None and ext in CODE_EXTENSIONS and is_code_behind(text)
    if markup is not None:
        markup_text = _decode(markup)
        for ident, kind in input_controls(markup_text).items():
            extracted.controls.setdefault(ident, kind)
        compiled_live = _names_as_source(markup_text, name)
    # What the page itself holds, for the checks of a page with no code of its own.
    own = dataclasses.replace(extracted, units=list(extracted.units))
    if included:
        _merge_included(extracted, included, text.count("\n") + 1, report)
    clock = _Clock(started + deadline_s, deadline_s * TOKEN_GRACE)
    rules = list(sink_rules())
    units = []
    for unit in extracted.units:
        units.append(CodeUnit(unit.lang, unit.kind, depad(unit.text, report, 1), unit.first_line))
        report.languages.add(str(unit.lang))
    classes = {c.lower() for c in report.control_classes}
    hits = _analyze_units(
        units,
        rules,
        clock,
        report,
        extracted.controls,
        remote=ext == ".soap",
        razor=ext in RAZOR_EXTENSIONS,
        classes=classes,
        objects=extracted.objects,
        unread_markup=unread_markup,
    )
    if report.included:
        hits = [h for h in hits if _page_owns(h, report.included)]
    # A call whose rule needs a setting the file lacks is no sink at all (not even for the tool
    # kit's count of capabilities): an SQL command is a command runner only beside an xp_cmdshell.
    hits = _settings_met(hits, extracted)
    hits = staged_runs(hits)  # a fixed command running the file the page wrote with client data
    report.units = sum(1 for u in units if u.text.strip())
    # A call counts once, however many rules name it (Process.Start: commands and log clearing).
    report.sinks = len({(h.line, h.api) for h in hits})
    report.reached = len({(h.line, h.api) for h in hits if h.taint is not None})
    _judge(hits, name, extracted, report, compiled_live)
    if not name.lower().endswith(SOURCE_SUFFIXES):
        # (a password written down is its own finding, not one of a tool kit's capabilities)
        shell_hits = [h for h in hits if h.capability != "credential-capture"]
        _toolkit(shell_hits, report)
        _unresolved(shell_hits, name, report)
    _includes(extracted, report)
    _planted(own, text, len(data), report, razor=ext in RAZOR_EXTENSIONS)
    if not name.lower().endswith(SOURCE_SUFFIXES) and not extracted.bare_source:
        _pinvoke(units, report)
    if not name.lower().endswith(SOURCE_SUFFIXES) or name.lower().endswith("global.asax.cs"):
        _cloaking(text, report)
    return report


def _encoded(layers: int, page: CodeReport) -> CodeReport:
    """A file that is the base64 text of a page: what the page's code does, said of the file as a
    whole (line 1; the page's own lines are not the file's), when it does something a finding
    would report at medium or above."""
    report = CodeReport(
        problems=page.problems, readers=page.readers, languages=page.languages, units=page.units, sinks=page.sinks
    )
    report.reached = page.reached
    shown = [c.chain for c in page.capabilities if rule(c.rule_id).severity.rank >= 2]
    if not shown:
        return report
    times = "once" if layers == 1 else f"{layers} times over"
    does = "; ".join(dict.fromkeys(shown[:3])) + ("; ..." if len(shown) > 3 else "")
    for r in rules_of(ENCODED_PAGE):
        chain = f"is an ASP.NET page encoded in base64 ({times}), whose code {does}"
        report.capabilities.append(Capability(r.id, 1, chain, (1,), "base64"))
    return report


def _merge_included(extracted: Extracted, included: Sequence[Included], page_lines: int, report: CodeReport) -> None:
    """The code of each included file joins the page's units, its lines placed after the page's
    (`CodeReport.where` maps them back). A server-side include's markup is the page's markup, so
    its input controls are the page's; a user control's or source file's are its own class's."""
    language = next(
        (u.lang for u in extracted.units),
        next((lang for d in extracted.directives if (lang := language_of(d.attrs.get("language"))) is not None), None),
    )
    offset = page_lines
    for inc in included:
        text = unescape_names(_decode(inc.data), report)
        leaf = inc.path.replace("\\", "/").rsplit("/", 1)[-1]
        ext = "." + leaf.rsplit(".", 1)[-1].lower() if "." in leaf else ""
        if inc.kind == "script":
            # The members a server script block loads from its `src` file: a script block's body,
            # in the file's language (by its extension) or the page's.
            lang = CODE_EXTENSIONS.get(ext) or language or Lang.CSHARP
            text = f'<script runat="server" language="{_LANGUAGE_NAMES[lang]}">' + text + "</script>"
            ext = ".aspx"
        elif ext not in CODE_EXTENSIONS and ext not in PAGE_EXTENSIONS:
            ext = ".aspx"  # an include's text (`.inc`, `.txt`) is read as the page reads it: markup and code
        if inc.kind == "transform":
            # A stylesheet the page's `<asp:Xml>` control runs, whatever its name: its script's
            # findings are the page's, as an include's are.
            sub = _stylesheet(text, report, f"{inc.path} (named at line {inc.line})", inc.line)
        else:
            sub = extract(text, ext, language)
        lines = text.count("\n") + 1
        for unit in sub.units:
            extracted.units.append(CodeUnit(unit.lang, unit.kind, "\n" * offset + unit.text, unit.first_line + offset))
        textual = inc.kind in {"include", "script", "transform"}
        for d in sub.directives:
            name = d.attrs.get("classname", "").strip()  # attribute names are lower case
            if d.name.lower() == "control" and name:
                report.control_classes.add(name.rsplit(".", 1)[-1])
        if textual:
            for ident, kind in sub.controls.items():
                extracted.controls.setdefault(ident, kind)
        own = inc.kind == "codefile"
        report.included.append(IncludedSpan(offset + 1, offset + lines, inc.path, inc.line, textual, own))
        offset += lines


def _razor(text: str, ext: str, report: CodeReport, deadline: float) -> Extracted:
    """A Razor file's code (`razor.read_razor`); code nested past its limit, or left when the
    file's deadline passed, a problem."""
    reading = read_razor(text, ext, deadline)
    if reading.unread:
        message = f"markup and code nested more than {MAX_DEPTH} levels deep: the code inside not read"
        report.problems.append(CodeProblem("limit", message))
    if reading.stopped_line is not None:
        message = (
            f"Razor markup and code separated up to line {reading.stopped_line} only: past the deadline; "
            "the code after it was not read"
        )
        report.problems.append(CodeProblem("timed-out", message, reading.stopped_line))
    return reading.extracted


def _stylesheet(text: str, report: CodeReport, name: str = "the stylesheet", line: int = 1) -> Extracted:
    """A stylesheet's script (`stylesheet.stylesheet`), script left unread past its limits a
    problem at `line`."""
    extracted, unread = stylesheet(text)
    if unread:
        message = (
            f"more than {MAX_SCRIPTS} script elements, or script under more than {MAX_PREFIXES} prefixes, "
            f"in {name}: the rest not read"
        )
        report.problems.append(CodeProblem("limit", message, line))
    return extracted


_LANGUAGE_NAMES = {Lang.CSHARP: "C#", Lang.VB: "VB", Lang.JSCRIPT: "JScript"}


def _page_owns(hit: SinkHit, spans: Sequence[IncludedSpan]) -> bool:
    """Whether a sink call is the page's to judge: in the page or in text it includes, or in a
    file compiled with it that a value from the page's own lines reaches."""

    def own(line: int) -> bool:
        return not any(s.first <= line <= s.last and not s.textual for s in spans)

    if own(hit.line):
        return True
    if any(s.own_class and s.first <= hit.line <= s.last for s in spans) and not _code_file_reports(hit):
        return True  # the page's own class, in its code file: what that file alone is not judged for
    if hit.taint is None:
        return False
    # Input controls are the page's markup's (and its includes'): the compiled file reads the page.
    return bool(hit.taint.kinds & {"control", "upload"}) or any(own(line) for line in hit.taint.lines)


def _code_file_reports(hit: SinkHit) -> bool:
    """Whether a source file analysed on its own reports this call: rules that count in code
    files, and of those file operations only in a handler (see `_judge`)."""
    if hit.capability in _FILE_CAPABILITIES:
        return (hit.method or "").lower() == "processrequest"
    return params(hit.rule_id, CodeFlowParams).in_code_files


def _decode(data: bytes, report: CodeReport | None = None) -> str:
    """The text of a page (`_decoded`), each line break the compilers take for one written as a
    line feed: a lone carriage return (old Mac files), NEL and the Unicode line and paragraph
    separators end a line for C#, VB and JScript, while the grammars and the token reader end a
    `//` or `'` comment only at a line feed, so `// x<CR>Process.Start(...)` hid a call the
    compiler runs."""
    return _LONE_BREAKS.sub("\n", _decoded(data, report))  # (the same object when there is none)


_LONE_BREAKS = re.compile("\r(?!\n)|[\u0085\u2028\u2029]")


def _decoded(data: bytes, report: CodeReport | None = None) -> str:
    """The text of a page: UTF-32, UTF-16 or UTF-8 by their marks or shape, else the code page the page
    declares (`CodePage="936"`, `ResponseEncoding="gb2312"`, `charset=`) or one its bytes fit
    (`charset.sniff`). Bytes that fit none are read as UTF-8 with replacement characters, and
    reported when they fall in server code: names spelled in them may not be what the compiler reads."""
    wide = wide_codec(data)
    if wide is not None:
        if report is not None and wide == "utf-32":
            report.encoding = "UTF-32"
        return data.decode(wide, "replace")
    if data.startswith(_UTF8_MARK):
        # The mark decides, as it does for the compiler's reader: bytes after it that are not
        # UTF-8 (an editor's GBK comments) are replaced, not a reason to read it all in a code page
        # that would join the mark to the first word (`using` read as `锘縰sing`).
        return data.decode("utf-8", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    found = sniff(data)
    if found is not None:
        if report is not None:
            report.encoding = found[1]
        return found[0]
    if report is not None:
        report.encoding = UNKNOWN_ENCODING
    return data.decode("utf-8", "replace")


UNKNOWN_ENCODING = "unknown"
_UTF8_MARK = b"\xef\xbb\xbf"


def _unknown_code_text(extracted: Extracted, report: CodeReport) -> None:
    """Bytes in no known encoding matter where they fall in server code (a name or a string may
    not be what the compiler reads); in the markup or binary around it they do not."""
    if report.encoding != UNKNOWN_ENCODING:
        return
    unit = next((u for u in extracted.units if "\ufffd" in u.text), None)
    if unit is not None:
        report.problems.append(
            CodeProblem(
                "unsupported",
                "server code in no known encoding (not UTF-8, no declared or recognisable code page): read "
                "as UTF-8 with replacement characters",
                unit.first_line,
            )
        )


def _analyze_units(
    units: list[CodeUnit],
    rules: list[SinkRule],
    clock: _Clock,
    report: CodeReport,
    controls: Mapping[str, str],
    remote: bool = False,
    classes: set[str] | None = None,
    objects: Mapping[str, str] | None = None,
    razor: bool = False,
    unread_markup: bool = False,
) -> list[SinkHit]:
    """The units of one file, analysed together where they are one class (members and
    statements of a page in one language); a unit that cannot be parsed or followed is read
    token by token, and a page whose joint analysis runs out is followed unit by unit."""
    deadline = clock.deadline

    def new_scope() -> PageScope:  # each analysis its own: a scope collects what its units declare
        return PageScope(
            remote_public=remote,
            razor_page=razor,
            classes=set(classes or ()),
            objects=dict(objects or {}),
            unread_markup=unread_markup,
        )

    hits: list[SinkHit] = []
    parsed_units: list[tuple[CodeUnit, Parsed]] = []
    for unit in units:
        if not unit.text.strip():
            continue
        if len(unit.text) > MAX_PARSE_BYTES:
            report.problems.append(
                CodeProblem(
                    "limit",
                    f"{len(unit.text)} characters of {unit.lang} code: read token by token, not parsed",
                    unit.first_line,
                )
            )
            hits.extend(_tokens(unit, rules, report, controls, clock))
            continue
        try:
            parsed = parse(unit, deadline)
        except ParseDeadline as exc:
            message = f"{unit.lang} code analysis stopped: deadline ({exc}); read token by token"
            report.problems.append(CodeProblem("timed-out", message, unit.first_line))
            hits.extend(_tokens(unit, rules, report, controls, clock))
            continue
        if isinstance(parsed, str):
            report.problems.append(CodeProblem("unsupported", parsed, unit.first_line))
            hits.extend(_tokens(unit, rules, report, controls, clock))
            continue
        parsed_units.append((unit, parsed))
    groups: dict[Lang, list[tuple[CodeUnit, Parsed]]] = {}
    for unit, parsed in parsed_units:
        key = unit.lang
        groups.setdefault(key, []).append((unit, parsed))
    for group in groups.values():
        if len(group) > 1:
            try:
                scope = new_scope()
                flows = [UnitFlow(pu, u.lang, rules, deadline, NODE_BUDGET, controls, scope) for u, pu in group]
                run_together(flows)
            except Budget:
                pass  # each unit alone below, each with its own limits reported
            else:
                for (unit, parsed), flow in zip(group, flows, strict=True):
                    hits.extend(_report_flow(unit, parsed, flow, rules, report, controls, clock))
                continue
        for unit, parsed in group:
            try:
                flow = UnitFlow(parsed, unit.lang, rules, deadline, NODE_BUDGET, controls, new_scope())
                flow.run()
            except Budget as exc:
                kind = "timed-out" if exc.what == "deadline" else "limit"
                report.problems.append(
                    CodeProblem(
                        kind, f"{unit.lang} code analysis stopped: {exc.what}; read token by token", unit.first_line
                    )
                )
                hits.extend(_tokens(unit, rules, report, controls, clock))
                continue
            hits.extend(_report_flow(unit, parsed, flow, rules, report, controls, clock))
    return hits


def _report_flow(
    unit: CodeUnit,
    parsed: Parsed,
    flow: UnitFlow,
    rules: list[SinkRule],
    report: CodeReport,
    controls: Mapping[str, str],
    clock: _Clock,
) -> list[SinkHit]:
    report.readers.add(f"tree-sitter:{unit.lang}")
    if flow.unsettled:
        report.problems.append(
            CodeProblem(
                "limit",
                f"{unit.lang} code analysis stopped after {flow.unsettled} rounds of taint propagation while "
                "values were still spreading: request data may reach calls it did not follow",
                unit.first_line,
            )
        )
    if flow.oversized:
        report.problems.append(
            CodeProblem(
                "limit",
                f"{len(flow.oversized)} value(s) too large to fold (over {MAX_VALUE >> 20} MiB, or LINQ mappings, "
                f"ranges or loops over {MAX_ITEMS:,} items, {MAX_MAPPED:,} in all): names or commands built from them were "
                "not resolved",
                flow.oversized[0],
            )
        )
    for text_, line in flow.folded.items():
        report.folded.setdefault(text_, line)
    for line, shown in dict.fromkeys(flow.hidden):  # a name both decoded in place and by a helper: once
        for r in rules_of(HIDDEN_NAME):
            report.capabilities.append(Capability(r.id, line, f"builds '{shown}' at run time", (line,)))
    hits = flow.hits
    share = error_share(parsed.tree.root_node)
    if share > 0.5 or (share > 0 and not hits and unit.text.count("}") > unit.text.count("{")):
        # Mostly unparsed, or a tree with errors in which no sink was found at all and a brace
        # too many (one closing the render method can hide every statement after it): the
        # tokens say what the tree could not.
        hits = hits + _tokens(unit, rules, report, controls, clock)
    return hits


def _tokens(
    unit: CodeUnit, rules: list[SinkRule], report: CodeReport, controls: Mapping[str, str], clock: _Clock
) -> list[SinkHit]:
    if unit.kind is UnitKind.FILE and unit.first_line == 1:
        return []  # a code file: its statements lie too far apart for token-level flows to mean much
    report.readers.add(f"tokens:{unit.lang}")
    result = read_tokens(
        unit.text[: MAX_PARSE_BYTES * 8], rules, controls=controls, vb=unit.lang is Lang.VB, stop_at=clock.token_stop()
    )
    if result.stopped_at is not None:
        message = (
            f"{unit.lang} code read token by token stopped at line {result.stopped_at}: past the deadline; "
            "the statements after it were not read"
        )
        report.problems.append(CodeProblem("timed-out", message, result.stopped_at))
    for text_, line in result.folded.items():
        report.folded.setdefault(text_, line)
    if result.too_long:
        message = (
            f"{len(result.too_long)} statement(s) of more than {MAX_STATEMENT:,} characters were not read "
            "by the token-level reader"
        )
        report.problems.append(CodeProblem("limit", message, result.too_long[0]))
    return result.hits


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


_FILE_CAPABILITIES = frozenset({"file-manage", "file-read", "file-write", "page-write"})
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


def _names_as_source(markup: str, name: str) -> bool:
    """Whether a page's directive names the code file `name` as its `CodeFile` or `Src`: ASP.NET
    compiles that file when the page is first requested, so it is the page's own served code (a
    `CodeBehind` file is only the project's source of a compiled assembly)."""

    def leaf(path: str) -> str:
        return path.replace("\\", "/").rsplit("/", 1)[-1].casefold()

    return any(r.kind == "codefile" and leaf(r.path) == leaf(name) for r in references(markup))


def _judge(
    hits: list[SinkHit], name: str, extracted: Extracted, report: CodeReport, compiled_live: bool = False
) -> None:
    # A source file is judged as one (code-running capabilities only), unless its page compiles
    # it at run time (`CodeFile`/`Src`): then it is the page's code.
    code_file = (name.lower().endswith(SOURCE_SUFFIXES) or extracted.bare_source) and not compiled_live
    # An object reached only through what was stored into it counts when the call that starts
    # it is not itself reached (started by a delegate, `CallByName` or `dynamic`).
    direct = {h.capability for h in hits if h.taint is not None and not h.built}
    alone: set[tuple[str, int]] = {(c.rule_id, c.line) for c in report.capabilities}  # `_acts_alone`'s, once each
    scan = [_ARGUMENT_SCAN_CHARS]  # what the act-alone rules may still search of folded arguments
    matched: dict[tuple[tuple[str, ...], str], bool] = {}  # texts already searched, by patterns
    scripts, more_scripts = _written_scripts(hits)
    for hit in hits:
        if hit.built and hit.capability in direct:
            continue
        flow = params(hit.rule_id, CodeFlowParams)
        if code_file and not flow.in_code_files:
            continue  # source files: an admin feature there is not a served page's back door
        phrase = flow.phrase
        if hit.capability == "embedded-assembly":
            blob = next((v for v in hit.args if as_bytes(v) is not None or isinstance(v, str)), None)
            data = as_bytes(blob) if blob is not None else None
            if data is None and isinstance(blob, str):
                data = decode_base64(blob)
            if hit.taint is None and data is not None and data[:2] == b"MZ":
                report.folded.setdefault(show(data), hit.line)
                report.capabilities.append(
                    Capability(hit.rule_id, hit.line, f"{phrase} ({show(data)})", (hit.line,), hit.api)
                )
            continue
        if hit.capability == "native-code":
            _native(hit, phrase, extracted, report)
            continue
        if hit.capability == "memory-shell":
            _memory_shell(hit, phrase, hits, name, report)
            continue
        if hit.capability in ACTS_ALONE_CAPABILITIES:
            _acts_alone(hit, flow, report, alone, scan, matched, scripts, more_scripts)
            continue
        if hit.capability == "credential-capture":
            _captured(hit, phrase, name, extracted, report)
            continue
        t = hit.taint
        if t is None:
            continue
        if hit.capability in {"file-manage", "file-read", "file-write", "registry", "config-secret"} and not (
            t.kinds & PATH_KINDS
        ):
            continue  # only a file name, or a path kept inside the site (or a setting's name the server chose)
        if hit.capability == "sql" and t.kinds <= {"name", "upload", "web-path"}:
            # A data file the client uploaded (or only its name, or a path the code keeps in the
            # site) opened as the data source of an Excel or Access import: neither a server nor
            # credentials of the client's choosing.
            continue
        if hit.capability == "file-read" and hit.api in _STREAM_READERS and t.kinds <= {"body"}:
            continue  # a reader over the request body stream (an XML document posted), not a path
        context = _context(hit, name)
        if code_file and hit.capability in _FILE_CAPABILITIES and context != "in an HTTP handler":
            continue  # a code file's files count in a handler's ProcessRequest (a payload class), not in admin code
        if hit.capability == "dynamic-code" and t.kinds == frozenset({"client"}):
            continue
        if t.kinds == frozenset({"network"}) and hit.capability not in _NETWORK_RUNS:
            continue  # what a socket the page opened returns, sent on or saved: a client, not a back door
        if hit.capability in {"http-tunnel", "http", "mail", "network-probe"} and not t.kinds & _CLIENT_URL:
            continue  # a fixed address, or one the server chose or an administrator typed in
        if hit.capability == "network-probe" and all(_VISITOR_ADDRESS.fullmatch(s) for s in t.sources):
            continue  # the visitor's own address looked up (a log's host names), not a host it names
        if hit.capability in _WHOLE_TEXT and (t.joined or not t.kinds & _WRITTEN_BY_CLIENT):
            continue  # a query (a class, a page) the code builds around a value or keeps, not the client's own
        if hit.capability == "run-page" and hit.api.startswith("Server.") and _url_only(t):
            continue  # `Server.Transfer(Request.Path)`: a rewriter sending a URL to its page, routing
        if hit.api.endswith(".ReadXml") and not t.kinds & {"body", "upload"}:
            continue  # a DataSet read from a file the request names: a file path, not the payload
        if hit.api.startswith("Xsl") and not t.kinds & PATH_KINDS:
            continue  # a stylesheet of the site (MapPath) chosen by name, not one the client sends
        context = _bare_source_noted(context, extracted)
        chain = _chain(t, phrase, hit, context)
        report.capabilities.append(Capability(hit.rule_id, hit.line, chain, _hit_lines(hit), hit.api, context))


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


# Taint kinds of what a user submits: request fields, a page's controls, a service's arguments
# (and such a value put into a URL whose host the code fixes: sent to that server).
_SUBMITTED = frozenset({"request", "control", "webmethod", "fixed-host"})


# Mail calls given (from, to, subject, body), or a message built beforehand (`Send(m)`): a
# password in the mail counts only when the code fixes every recipient
# (`new MailMessage(from, "x@example.com", subject, body)`, `m.To.Add("x@example.com")`).
_MAIL_SENDS = frozenset(
    {"new MailMessage", "SmtpClient.Send", "SmtpClient.SendAsync", "SmtpClient.SendMailAsync", "SmtpMail.Send"}
)


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
    report.capabilities.append(Capability(hit.rule_id, hit.line, chain, _hit_lines(hit), hit.api, context))


def _hit_lines(hit: SinkHit) -> tuple[int, ...]:
    """The lines a finding names for a call: its own and those its data came through."""
    return tuple(sorted((hit.taint.lines if hit.taint is not None else frozenset()) | {hit.line}))


# Characters of folded arguments the act-alone rules' patterns may search in one file, all calls
# and patterns together: a page of thousands of calls each given a megabyte built at run time
# would take minutes after the analysis's deadline, which does not cover this step.
_ARGUMENT_SCAN_CHARS = 64 << 20


def _acts_alone(
    hit: SinkHit,
    flow: CodeFlowParams,
    report: CodeReport,
    reported: set[tuple[str, int]],
    scan: list[int],
    matched: dict[tuple[tuple[str, ...], str], bool],
    scripts: tuple[tuple[int, str], ...] = (),
    more_scripts: bool = False,
) -> None:
    """A call of a capability that counts whatever its data's source: an event log cleared or
    deleted, whatever names it; a command when the text its arguments fold to matches the rule's
    `arguments` (a command line clearing logs, an Exchange cmdlet's name). Once per rule and line
    (`reported`: the rules and lines already reported, kept up to date here). `scan` holds what
    the file's patterns may still search (`_ARGUMENT_SCAN_CHARS`): past it a call is not matched,
    and the file has a `limit` problem, never a silent miss. `matched`: what the patterns gave on
    texts already searched (a page of many calls with the same arguments is searched once)."""
    if (hit.rule_id, hit.line) in reported:
        return
    source = f"takes {' and '.join(hit.taint.sources[:2])}, then " if hit.taint is not None else ""
    if flow.arguments:
        command = hit.command_text()
        if scripts and hit.api in _STARTS_PROCESS:
            # a batch or PowerShell file the page wrote with fixed text, which this start may run
            command = " ".join([command, *(f"[the script written at line {line}: {text}]" for line, text in scripts)])
            if more_scripts:
                _limit(
                    report,
                    f"only the first {_MAX_SCRIPTS} texts the file writes were read as scripts it may start",
                    hit.line,
                )
        # (the call's own name counts too: a method reached by reflection names what it reads)
        key = (flow.arguments, f"{hit.api} {command}")
        found = matched.get(key)
        if found is None:
            cost = len(key[1]) * (len(flow.arguments) + 1)  # (+1: the look for encoded commands)
            if cost > scan[0]:
                if scan[0] >= 0:
                    message = "folded arguments past the search budget were not matched against the rules' patterns"
                    report.problems.append(CodeProblem("limit", message, hit.line))
                    scan[0] = -1
                return
            scan[0] -= cost
            unpacked, cut = _unpacked(command)
            if cut:
                _limit(
                    report,
                    f"only the first {MAX_DECODED} encoded PowerShell commands of a command line were decoded",
                    hit.line,
                )
            found = matched[key] = _any_match(flow.arguments, " ".join([key[1], *unpacked]))
        if not found:
            return
        unpacked = _unpacked(command)[0]
        shown = show(command) if command.strip() else ""
        unpacked_shown = [f"-EncodedCommand decoded: {show(t)}" for t in unpacked]
        how = f"{flow.phrase} ({'; '.join(x for x in (shown, *unpacked_shown, hit.api, hit.note) if x)})"
    else:
        how = f"{flow.phrase} ({hit.api})"
    lines = _hit_lines(hit)
    report.capabilities.append(Capability(hit.rule_id, hit.line, f"{source}{how}", lines, hit.api))
    reported.add((hit.rule_id, hit.line))


# Calls that start a program, which may be a script the page wrote first (`_written_scripts`).
_STARTS_PROCESS = frozenset(
    {
        "Process.Start",
        "new ProcessStartInfo",
        "new Process",
        "Interaction.Shell",
        "Shell",
        "wscript.shell.Exec",
        "wscript.shell.Run",
        "Win32_Process.Create",
        "ManagementClass.InvokeMethod",
    }
)
# File writes that are given their whole content (`File.WriteAllText(path, text)`).
_WRITES_CONTENT = frozenset(
    {
        "File.WriteAllText",
        "File.WriteAllLines",
        "File.AppendAllText",
        "File.AppendAllLines",
        "File.WriteAllTextAsync",
        "File.WriteAllLinesAsync",
        "File.AppendAllTextAsync",
        "File.AppendAllLinesAsync",
        "FileSystem.WriteAllText",
    }
)
_MAX_SCRIPTS = 8
_LINE_BREAKS = re.compile(r"[\r\n]+")


def _written_scripts(hits: list[SinkHit]) -> tuple[tuple[tuple[int, str], ...], bool]:
    """Text the file's code writes whole into a file (`File.WriteAllText(p, "vssadmin delete
    shadows /all /quiet")`), by line: a page that writes a batch file and then starts it runs
    that text, which the call that starts it does not spell. At most `_MAX_SCRIPTS`, and whether
    the file writes more (left out: the caller records a limit where a program start reads them)."""
    found: list[tuple[int, str]] = []
    for hit in hits:
        if hit.capability == "file-write" and hit.api in _WRITES_CONTENT and len(hit.args) > 1:
            text = as_text(hit.args[1])
            text = _LINE_BREAKS.sub(" ; ", text).strip() if text else None  # one line, as a finding shows it
            if text and (hit.line, text) not in found:
                if len(found) == _MAX_SCRIPTS:
                    return tuple(found), True
                found.append((hit.line, text))
    return tuple(found), False


def _limit(report: CodeReport, message: str, line: int) -> None:
    """A `limit` problem of the file, once per message: what was left unread keeps it from clean."""
    if not any(p.kind == "limit" and p.message == message for p in report.problems):
        report.problems.append(CodeProblem("limit", message, line))


@functools.lru_cache(maxsize=64)
def _unpacked(command: str) -> tuple[tuple[str, ...], bool]:
    """What each `powershell -enc <base64>` of a command line runs (`encodedcommand`), and
    whether more were left undecoded; looked for once per command line however many rules
    search it."""
    texts, cut = decoded_commands(command)
    return tuple(texts), cut


def _settings_met(hits: list[SinkHit], extracted: Extracted) -> list[SinkHit]:
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
                met[flow.requires] = _any_match(flow.requires, text)
            if not met[flow.requires]:
                continue
        kept.append(hit)
    return kept


def _setting_text(extracted: Extracted) -> str:
    named = [v for d in extracted.directives if d.name.lower() in {"import", "assembly"} for v in d.attrs.values()]
    return "\n".join([u.text for u in extracted.units] + named)


def _any_match(patterns: tuple[str, ...], text: str) -> bool:
    """Whether one of a rule's patterns occurs in text the page controls (its code, a folded
    command line): searched on RE2, in time linear in the text, where `re` backtracks for minutes
    over a long line built to defeat it."""
    return any(_linear(p).search(text) for p in patterns)


@functools.lru_cache(maxsize=256)
def _linear(pattern: str) -> Any:
    """A rule's pattern (matched with `REGEX_FLAGS`: case-insensitive, `.` across lines) compiled
    on RE2; on Python's `re` if RE2 refuses it (look-around, back-references), as validated."""
    try:
        return compile_linear("(?s)" + pattern, ignore_case=True)
    except LinearRegexError:  # RE2 does not take every pattern `re` does; `re` still reads it
        return re.compile(pattern, REGEX_FLAGS)


# What a registered handler may do with request data for a code file's registration to count.
_HANDLER_DOES = frozenset({"dynamic-code", "process", "tunnel", "file-write", "http-tunnel"})


def _memory_shell(hit: SinkHit, phrase: str, hits: list[SinkHit], name: str, report: CodeReport) -> None:
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


def _native(hit: SinkHit, phrase: str, extracted: Extracted, report: CodeReport) -> None:
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
    lines = _hit_lines(hit)
    report.capabilities.append(Capability(hit.rule_id, hit.line, chain, lines, hit.api))


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


def _toolkit(hits: list[SinkHit], report: CodeReport) -> None:
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


_CAN = {
    "process": "run commands",
    "file-write": "write or manage files",
    "sql": "open databases",
    "registry": "open registry keys",
    "tunnel": "open sockets",
    "dynamic-code": "run code",
}


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


_PAGES = (".aspx", ".ascx", ".master")
_KEY_OPENED = re.compile(r"subkey|basekey", re.I)


def _unresolved(hits: list[SinkHit], name: str, report: CodeReport) -> None:
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


# Directives whose `Src` or `CodeFile` ASP.NET compiles as source at run time.
_SOURCE_DIRECTIVES = frozenset({"page", "control", "master", "application", "webhandler", "webservice", "assembly"})


def _extension(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _includes(extracted: Extracted, report: CodeReport) -> None:
    for r in rules_of("code-include"):
        p = r.params_as(CodeIncludeParams)
        for path, line in extracted.includes:
            if _extension(path) not in p.code_extensions:
                report.capabilities.append(
                    Capability(r.id, line, f"includes server code from '{path}'", (line,), "#include")
                )
        if not p.source_extensions:
            continue
        for path, line in extracted.script_sources:
            if _extension(path) not in p.source_extensions:
                how = f"has ASP.NET compile '{path}' as server code (script runat=server src)"
                report.capabilities.append(Capability(r.id, line, how, (line,), "<script src>"))
        for d in extracted.directives:
            if d.name.lower() not in _SOURCE_DIRECTIVES:
                continue
            for attr in ("Src", "CodeFile"):
                path = next((v for k, v in d.attrs.items() if k.lower() == attr.lower()), "").strip()
                if path and _extension(path) not in p.source_extensions:
                    how = f"has ASP.NET compile '{path}' as server code ({d.name} {attr})"
                    report.capabilities.append(Capability(r.id, d.line, how, (d.line,), f"@{d.name} {attr}"))


_TYPE_USE = re.compile(
    r"\bnew\s+(?P<t>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)\s*\(|(?P<s>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){1,})\s*\.\s*\w+\s*\(\s*(?:this|Context|HttpContext\.Current|Me)\b"
)
# Names the framework gives a page or handler (a handler's `HttpContext` parameter is usually
# `context` or `Context`, the page's own property too).
_FRAMEWORK = (
    "system.",
    "microsoft.",
    "httpcontext.",
    "context.",
    "response.",
    "request.",
    "server.",
    "page.",
    "this.",
    "me.",
)


def _pinvoke(units: list[CodeUnit], report: CodeReport) -> None:
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


def _planted(extracted: Extracted, text: str, size: int, report: CodeReport, razor: bool = False) -> None:
    """`razor`: a Razor view, whose code hands `this` (the view) to its model's and helpers'
    methods as a matter of course; there only a custom class created counts."""
    for r in rules_of("code-planted-dll"):
        if size <= r.params_as(CodePlantedDllParams).max_page_bytes:
            _planted_of(r.id, extracted, text, report, razor)


# Only a page can be the trigger: ASP.NET refuses to serve user controls and master pages
# (`.ascx`, `.master`: HttpForbiddenHandler), which run only inside a page that names them, and
# precompiled applications ship every skin, container and control as such a directive.
_PAGE_DIRECTIVES = frozenset({"page"})
_OWN_CODE = frozenset({"codebehind", "codefile", "src"})


def _inherited_only(rule_id: str, extracted: Extracted, report: CodeReport) -> None:
    """A page with no server code and next to no markup that inherits a class it does not
    bring (no `CodeBehind`, `CodeFile` or `Src`): everything it does is in that class, from an
    assembly in bin or the GAC. Handlers and services naming a library's class are left out:
    libraries ship such one-line stubs for their handlers; so are user controls and master
    pages, which no request reaches by their own URL."""
    if extracted.code_chars or extracted.markup_chars > 400:
        return
    for d in extracted.directives:
        attrs = {k.lower(): v for k, v in d.attrs.items()}
        base = attrs.get("inherits", "").strip()
        if d.name.lower() not in _PAGE_DIRECTIVES or not base or attrs.keys() & _OWN_CODE:
            continue
        if base.lower().startswith(_FRAMEWORK) or "." not in base:
            continue
        assemblies = [a.attrs.get("name") or "" for a in extracted.directives if a.name.lower() == "assembly"]
        where = f" (assembly {', '.join(a for a in assemblies if a)})" if any(assemblies) else ""
        report.capabilities.append(
            Capability(
                rule_id,
                d.line,
                f"has no code or markup of its own and inherits {base}{where}, a class from a custom assembly",
                (d.line,),
                base,
            )
        )
        return


def _planted_of(rule_id: str, extracted: Extracted, text: str, report: CodeReport, razor: bool = False) -> None:
    if not extracted.units or not extracted.code_chars:
        _inherited_only(rule_id, extracted, report)
        return
    if extracted.markup_chars > 400 or any(
        u.kind is UnitKind.FILE and u.lang is not Lang.JSCRIPT and not extracted.directives for u in extracted.units
    ):
        return
    code = " ".join(u.text for u in extracted.units)
    for m in _TYPE_USE.finditer(code):
        name = m.group("t") or m.group("s") or ""
        if name.lower().startswith(_FRAMEWORK) or (razor and not m.group("t")):
            continue
        line = text.count("\n", 0, text.find(name)) + 1 if name in text else 1
        assemblies = [
            d.attrs.get("name") or d.attrs.get("src") or ""
            for d in extracted.directives
            if d.name.lower() == "assembly"
        ]
        where = f" (assembly {', '.join(a for a in assemblies if a)})" if any(assemblies) else ""
        report.capabilities.append(
            Capability(
                rule_id, line, f"only hands the request to {name}{where}, a class from a custom assembly", (line,), name
            )
        )
        return


def _cloaking(text: str, report: CodeReport) -> None:
    # Each name `_CRAWLER_CONTEXT` looks for holds "agent" or "refer", letters that match in any
    # case only themselves and their capitals: a text holding neither (nearly every page) is
    # told so by two substring searches, not by the caseless regex (about 20 MB/s on pages).
    low = text.lower()
    if ("agent" not in low and "refer" not in low) or not _CRAWLER_CONTEXT.search(text):
        return
    for r in rules_of("code-seo-cloak"):
        _cloaking_of(r.id, r.params_as(CodeCloakParams), text, report)


def _cloaking_of(rule_id: str, words: CodeCloakParams, text: str, report: CodeReport) -> None:
    low = text.lower()
    crawlers = [c for c in words.crawlers if f'"{c}' in low or f'{c}"' in low or f"|{c}" in low or f"{c}|" in low]
    actions = [a for a in words.actions if a in low]
    if len(crawlers) >= 2 and actions:
        m = _CRAWLER_CONTEXT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else 1
        report.capabilities.append(
            Capability(
                rule_id,
                line,
                f"compares the user agent or referer with crawler names ({', '.join(crawlers[:4])}) and then {', '.join(actions[:3])}",
                (line,),
            )
        )
