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
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from exhunt.codeanalysis.accounts import planted_account
from exhunt.codeanalysis.charset import sniff, wide_codec
from exhunt.codeanalysis.encoded import encoded_page, maybe_encoded
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
    stylesheet_controls,
)
from exhunt.codeanalysis.families import pinvoke_calls, toolkit
from exhunt.codeanalysis.flow import PageScope, UnitFlow, run_together
from exhunt.codeanalysis.fold import MAX_ITEMS, MAX_MAPPED, MAX_VALUE
from exhunt.codeanalysis.hiddennames import HIDDEN_NAME, depad, unescape_names
from exhunt.codeanalysis.judge import judge_hit, names_as_source, settings_met, unresolved_sinks
from exhunt.codeanalysis.planted import cloaking, included_files, planted_code
from exhunt.codeanalysis.razor import MAX_DEPTH, RAZOR_EXTENSIONS, read_razor
from exhunt.codeanalysis.report import (
    FILE_CAPABILITIES,
    SOURCE_SUFFIXES,
    Capability,
    CodeProblem,
    CodeReport,
    Included,
    IncludedSpan,
)
from exhunt.codeanalysis.staged import staged_runs
from exhunt.codeanalysis.stylesheet import MAX_PREFIXES, MAX_SCRIPTS, NAMESPACE, STYLESHEET_EXTENSIONS, stylesheet
from exhunt.codeanalysis.syntax import Parsed, ParseDeadline, error_share, parse
from exhunt.codeanalysis.taint import Budget, SinkHit, SinkRule
from exhunt.codeanalysis.tokens import MAX_STATEMENT, read_tokens
from exhunt.codeanalysis.vocabulary import SinkPattern
from exhunt.ruleparams import CodeFlowParams
from exhunt.rules import catalog, params, per_catalog, rule, rules_of

MAX_PARSE_BYTES = 4 * 1024 * 1024  # code beyond this is read token by token


NODE_BUDGET = 400_000


DEFAULT_DEADLINE = 5.0  # seconds per file


# The token-level reader, the fallback of a unit whose parse or flow ran out, may read on past the
# file's deadline for this share of it; then it stops too, and says where.
TOKEN_GRACE = 0.5


ENCODED_PAGE = "code-encoded-page"  # the detector of pages kept as base64 text


@dataclass(frozen=True, slots=True)
class _Clock:
    deadline: float  # time.monotonic() past which the parse and the flows stop
    grace: float  # seconds the token-level reader may read on past it

    def token_stop(self) -> float:
        return max(self.deadline, time.monotonic() + self.grace)


@per_catalog
def sink_rules() -> tuple[SinkRule, ...]:
    """Every `code-flow` rule's sinks, in catalog order."""
    out = []
    for entry in catalog().values():
        if entry.detector == "code-flow":
            p = entry.params_as(CodeFlowParams)
            out.append(SinkRule(entry.id, p.capability, tuple(SinkPattern.parse(a) for a in p.apis)))
    return tuple(out)


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
    extracted = _read(text, ext, report, started + deadline_s)
    # A code-behind whose page was not read: its controls are names it uses and never declares.
    unread_markup = markup is None and ext in CODE_EXTENSIONS and is_code_behind(text)
    compiled_live = _with_markup(markup, name, extracted)
    # What the page itself holds, for the checks of a page with no code of its own.
    own = dataclasses.replace(extracted, units=list(extracted.units))
    if included:
        _merge_included(extracted, included, text.count("\n") + 1, report)
    clock = _Clock(started + deadline_s, deadline_s * TOKEN_GRACE)
    rules = sink_rules()  # one tuple per catalog: the sinks indexed by name once for it (`flow.sinks`)
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
    hits = settings_met(hits, extracted)
    hits = staged_runs(hits)  # a fixed command running the file the page wrote with client data
    report.units = sum(1 for u in units if u.text.strip())
    # A call counts once, however many rules name it (Process.Start: commands and log clearing).
    report.sinks = len({(h.line, h.api) for h in hits})
    report.reached = len({(h.line, h.api) for h in hits if h.taint is not None})
    judge_hit(hits, name, extracted, report, compiled_live)
    _file_checks(hits, name, ext, text, len(data), extracted, own, units, report)
    return report


def _read(text: str, ext: str, report: CodeReport, deadline: float) -> Extracted:
    """The server code of a file by its type: a stylesheet's script, a Razor file's code, or a
    page's (with a data source's inline stylesheet) or code file's."""
    if ext in STYLESHEET_EXTENSIONS:
        extracted = _stylesheet(text, report)
    elif ext in RAZOR_EXTENSIONS:
        extracted = _razor(text, ext, report, deadline)
    else:
        extracted = extract(text, ext)
        _inline_stylesheet(text, extracted, report)
    _unknown_code_text(extracted, report)
    return extracted


def _with_markup(markup: bytes | None, name: str, extracted: Extracted) -> bool:
    """A code-behind read with its page: the page's input controls and XML controls become
    this code's, and whether the page compiles this file at run time (`CodeFile`/`Src`)."""
    if markup is None:
        return False
    markup_text = _decode(markup)
    for ident, kind in input_controls(markup_text).items():
        extracted.controls.setdefault(ident, kind)
    for ident, kind in stylesheet_controls(markup_text).items():
        extracted.objects.setdefault(ident, kind)
    return names_as_source(markup_text, name)


def _file_checks(
    hits: list[SinkHit],
    name: str,
    ext: str,
    text: str,
    size: int,
    extracted: Extracted,
    own: Extracted,
    units: list[CodeUnit],
    report: CodeReport,
) -> None:
    """The checks of the file as a whole, after its sinks are judged: a tool kit, sinks fed by
    what nothing resolves, an account the page plants, files it hands over to, P/Invoke and
    cloaking."""
    low = name.lower()
    if not low.endswith(SOURCE_SUFFIXES):
        # (a password written down is its own finding, not one of a tool kit's capabilities)
        shell_hits = [h for h in hits if h.capability != "credential-capture"]
        toolkit(shell_hits, report)
        unresolved_sinks(shell_hits, name, report)
        planted_account(hits, report)
    included_files(extracted, report)
    planted_code(own, text, size, report, razor=ext in RAZOR_EXTENSIONS)
    if not low.endswith(SOURCE_SUFFIXES) and not extracted.bare_source:
        pinvoke_calls(units, report)
    if not low.endswith(SOURCE_SUFFIXES) or low.endswith("global.asax.cs"):
        cloaking(text, report)


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


def _inline_stylesheet(text: str, extracted: Extracted, report: CodeReport) -> None:
    """A page whose `<asp:XmlDataSource>` holds its stylesheet inline (the `<Transform>`
    element): the stylesheet's script is code of the page, compiled and run when a control bound
    to the data source asks for the data, as a `TransformFile` would be."""
    low = text.lower()
    if "<asp:xmldatasource" not in low or NAMESPACE not in low:
        return
    sheet = _stylesheet(text, report, "the page's inline stylesheet")
    extracted.units.extend(sheet.units)
    extracted.directives.extend(sheet.directives)


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
    files, and of those file operations only in a handler (see `judge_hit`)."""
    if hit.capability in FILE_CAPABILITIES:
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
    rules: Sequence[SinkRule],
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

    hits, parsed_units = _parsed(units, rules, clock, report, controls)
    groups: dict[Lang, list[tuple[CodeUnit, Parsed]]] = {}
    for unit, parsed in parsed_units:
        groups.setdefault(unit.lang, []).append((unit, parsed))
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
            hits.extend(_alone(unit, parsed, rules, clock, report, controls, new_scope()))
    return hits


def _parsed(
    units: list[CodeUnit], rules: Sequence[SinkRule], clock: _Clock, report: CodeReport, controls: Mapping[str, str]
) -> tuple[list[SinkHit], list[tuple[CodeUnit, Parsed]]]:
    """Each unit with code parsed; a unit too long to parse, or whose parse runs past the deadline
    or is refused, read token by token instead (its hits returned), with its problem."""
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
            parsed = parse(unit, clock.deadline)
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
    return hits, parsed_units


def _alone(
    unit: CodeUnit,
    parsed: Parsed,
    rules: Sequence[SinkRule],
    clock: _Clock,
    report: CodeReport,
    controls: Mapping[str, str],
    scope: PageScope,
) -> list[SinkHit]:
    """One unit followed on its own; one that runs out of its budget or deadline read token by
    token, with its problem."""
    try:
        flow = UnitFlow(parsed, unit.lang, rules, clock.deadline, NODE_BUDGET, controls, scope)
        flow.run()
    except Budget as exc:
        kind = "timed-out" if exc.what == "deadline" else "limit"
        message = f"{unit.lang} code analysis stopped: {exc.what}; read token by token"
        report.problems.append(CodeProblem(kind, message, unit.first_line))
        return _tokens(unit, rules, report, controls, clock)
    return _report_flow(unit, parsed, flow, rules, report, controls, clock)


def _report_flow(
    unit: CodeUnit,
    parsed: Parsed,
    flow: UnitFlow,
    rules: Sequence[SinkRule],
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
    unit: CodeUnit, rules: Sequence[SinkRule], report: CodeReport, controls: Mapping[str, str], clock: _Clock
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
