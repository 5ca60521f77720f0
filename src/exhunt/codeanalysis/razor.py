"""Server code in a Razor file (`.cshtml`, `.vbhtml`): the code the view engine compiles.

ASP.NET Web Pages serve a `.cshtml` page by its name; MVC and ASP.NET Core render views and
Razor Pages through the same engine. Razor marks code with `@`, and the engine switches between
markup and code as it reads:
- `@{ ... }` is a block of statements (VB: `@Code ... End Code`), run in the page's render method
  in order, each block seeing the variables of those before it;
- `@if`, `@foreach`, `@for`, `@while`, `@switch`, `@using (...)`, `@lock`, `@try` and `@do` start a
  statement that runs with its block (VB: `@If ... End If`, `@For Each ... Next` and the like);
- `@( ... )` is an expression written to the page, and so is an implicit one, `@Name.Member(...)[...]`
  with no blanks in it;
- `@functions { ... }` (and Blazor's `@code { ... }`; VB: `@Functions ... End Functions`) holds
  the page class's members;
- inside code, a line that starts with a tag (`<p>`, `<text>`) or `@:` is markup again, with its own
  `@` expressions, until the tag is closed or the line ends.
`@@` is an `@`, `@* ... *@` a comment, and an `@` inside a word (an address) is text.

The statements become one unit at their lines (markup blanked, expressions written as
`__out(...)` as `<%= %>` is), the members another; `@using` (`@Imports`) becomes an `Import`
directive. Lines stay where they were. Nesting deeper than `MAX_DEPTH` (markup in code in
markup...) is left unread and said, never a recursion that fails the file.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from exhunt.codeanalysis.extract import CodeUnit, Directive, Extracted, Lang, Padded, UnitKind

RAZOR_EXTENSIONS = {".cshtml": Lang.CSHARP, ".vbhtml": Lang.VB}
MAX_DEPTH = 24  # markup and code nested in each other, levels read

_IDENT = re.compile(r"[A-Za-z_][\w]*")
# C# statements Razor reads as code after an `@` in markup; each runs with the block after it.
_CS_STATEMENTS = frozenset({"if", "for", "foreach", "while", "switch", "lock", "try", "do"})
# Words after which a C# statement's block goes on (`else`, `catch`, ...).
_CS_CONTINUED = re.compile(r"\s*(?:else\b|catch\b|finally\b)")
_CS_DO_WHILE = re.compile(r"\s*while\s*\(")
_CS_MEMBERS = frozenset({"functions", "code"})
# Directives whose value runs to the line's end and holds no code the page runs. C#'s are written
# as here (`@model T` is a directive, `@Model.Name` an expression); VB's, in any case, are
# `@ModelType` and `@Inherits` (`@Model.Name` is an expression there too). A directive's word is
# followed by white space.
_CS_DIRECTIVES = frozenset(
    {
        "model",
        "inherits",
        "page",
        "inject",
        "layout",
        "namespace",
        "implements",
        "attribute",
        "addTagHelper",
        "removeTagHelper",
        "tagHelperPrefix",
        "preservewhitespace",
        "typeparam",
        "rendermode",
    }
)
_VB_DIRECTIVES = frozenset({"modeltype", "inherits"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
)
_TAG = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z][\w:.-]*)")
_NAMESPACE = re.compile(r"[^\S\n]+(?P<ns>[A-Za-z_][\w.]*(?:\s*=\s*[A-Za-z_][\w.]*)?)")
# VB: the blocks `@Word` opens and the line that closes each (nested blocks of the same word counted).
_VB_BLOCKS = {
    "code": (re.compile(r"(?i)[^\S\n]*@?code\b"), re.compile(r"(?i)[^\S\n]*end\s+code\b")),
    "functions": (re.compile(r"(?i)[^\S\n]*@?functions\b"), re.compile(r"(?i)[^\S\n]*end\s+functions\b")),
    "helper": (re.compile(r"(?i)[^\S\n]*@?helper\b"), re.compile(r"(?i)[^\S\n]*end\s+helper\b")),
    "section": (re.compile(r"(?i)[^\S\n]*@?section\b"), re.compile(r"(?i)[^\S\n]*end\s+section\b")),
    "if": (
        re.compile(r"(?i)[^\S\n]*@?if\b(?![^\n]*\bthen[^\S\n]*\S)"),
        re.compile(r"(?i)[^\S\n]*end\s+if\b"),
    ),
    "for": (re.compile(r"(?i)[^\S\n]*@?for\b"), re.compile(r"(?i)[^\S\n]*next\b")),
    "while": (re.compile(r"(?i)[^\S\n]*@?while\b"), re.compile(r"(?i)[^\S\n]*end\s+while\b")),
    "using": (re.compile(r"(?i)[^\S\n]*@?using\b"), re.compile(r"(?i)[^\S\n]*end\s+using\b")),
    "select": (re.compile(r"(?i)[^\S\n]*@?select\b"), re.compile(r"(?i)[^\S\n]*end\s+select\b")),
    "try": (re.compile(r"(?i)[^\S\n]*@?try\b"), re.compile(r"(?i)[^\S\n]*end\s+try\b")),
    "do": (re.compile(r"(?i)[^\S\n]*@?do\b"), re.compile(r"(?i)[^\S\n]*loop\b")),
    "synclock": (re.compile(r"(?i)[^\S\n]*@?synclock\b"), re.compile(r"(?i)[^\S\n]*end\s+synclock\b")),
    "with": (re.compile(r"(?i)[^\S\n]*@?with\b"), re.compile(r"(?i)[^\S\n]*end\s+with\b")),
}
# What follows a VB expression's call until it is known whether another statement shares its line.
_VB_NEXT = "\ufdd0"  # (a noncharacter: no text holds it)
_VB_LAST = re.compile("\ufdd0(?=[^\\S\n]*(?:\n|$))")
_VB_MARKUP_LINE = re.compile(r"[^\S\n]*(?:@?<[A-Za-z/!]|@:)")


@dataclass
class _State:
    text: str
    lang: Lang
    breaks: list[int]
    members: Padded = field(default_factory=lambda: Padded("\n"))
    imports: list[Directive] = field(default_factory=list)
    unread: bool = False
    markup: int = 0  # characters of markup read (outside code and comments)
    deadline: float | None = None  # a `time.monotonic()` time past which nothing more is read
    stopped: int | None = None  # the offset reading stopped at, past the deadline
    transitions: int = 0

    def late(self, at: int) -> bool:
        """Whether the deadline has passed (looked at every `_CLOCK_EVERY` transitions); the
        first time it has, reading stops at `at`."""
        if self.stopped is not None:
            return True
        self.transitions += 1
        if self.deadline is None or self.transitions % _CLOCK_EVERY or time.monotonic() <= self.deadline:
            return False
        self.stopped = at
        return True

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.breaks, offset) + 1

    def newlines(self, start: int, end: int) -> str:
        return "\n" * self.text.count("\n", start, end)


@dataclass(frozen=True, slots=True)
class RazorReading:
    extracted: Extracted
    unread: bool  # code nested past `MAX_DEPTH` left unread
    stopped_line: int | None  # the line reading stopped at, past its deadline; None: read to the end


def razor(text: str, extension: str) -> tuple[Extracted, bool]:
    """The code of a Razor file as units at their lines (statements, then members), and whether
    code nested past `MAX_DEPTH` was left unread."""
    reading = read_razor(text, extension)
    return reading.extracted, reading.unread


def read_razor(text: str, extension: str, deadline: float | None = None) -> RazorReading:
    """`razor`, stopping once `deadline` (a `time.monotonic()` time) has passed: what follows the
    `@` it stopped at is left unread, and the reading says on which line."""
    lang = RAZOR_EXTENSIONS.get(extension, Lang.CSHARP)
    state = _State(text, lang, [i for i, c in enumerate(text) if c == "\n"], deadline=deadline)
    statements = _markup(state, 0, len(text), 0)
    if lang is Lang.VB:
        # VB ends a statement with its line: expressions on one line are joined by `:`.
        statements = _VB_LAST.sub("", statements).replace(_VB_NEXT, " : ")
    out = Extracted()
    out.directives = state.imports
    if statements.strip():
        out.units.append(CodeUnit(lang, UnitKind.STATEMENTS, statements, 1))
    if state.members.parts:
        out.units.append(CodeUnit(lang, UnitKind.MEMBERS, state.members.text(), state.members.first or 1))
    out.markup_chars = state.markup
    stopped = state.line(state.stopped) if state.stopped is not None else None
    return RazorReading(out, state.unread, stopped)


# Transitions (`@`) read between looks at the clock.
_CLOCK_EVERY = 64


def _markup(s: _State, start: int, end: int, depth: int) -> str:
    """The code of markup between `start` and `end`: what each `@` in it starts, with the
    markup's line breaks and nothing else."""
    if depth > MAX_DEPTH:
        s.unread = True
        return s.newlines(start, end)
    t = s.text
    out: list[str] = []
    pos = start
    while True:
        at = t.find("@", pos, end)
        if at < 0 or at + 1 >= end:
            out.append(s.newlines(pos, end))
            s.markup += end - pos
            return "".join(out)
        out.append(s.newlines(pos, at))
        s.markup += at - pos
        if s.late(at):
            out.append(s.newlines(at, end))
            return "".join(out)
        nxt = t[at + 1]
        if at > pos and (t[at - 1].isalnum() or t[at - 1] == "@") and nxt != "(":
            pos = at + 1  # an address (`name@host`): text
        elif nxt == "@":
            pos = at + 2
        elif nxt == "*":
            close = t.find("*@", at + 2, end)
            stop = end if close < 0 else close + 2
            out.append(s.newlines(at, stop))
            pos = stop
        elif s.lang is Lang.VB:
            code, pos = _vb_transition(s, at, end, depth)
            out.append(code)
        else:
            code, pos = _cs_transition(s, at, end, depth)
            out.append(code)


def _cs_transition(s: _State, at: int, end: int, depth: int) -> tuple[str, int]:
    """What a C# `@` at `at` starts: (its code, where markup goes on)."""
    t = s.text
    nxt = t[at + 1]
    if nxt == "{":
        body, close = _cs_code(s, at + 2, end, depth, block=True)
        return body, min(close + 1, end)
    if nxt == "(":
        close = _matching(t, at + 1, end, "(", ")")
        expr = t[at + 2 : close]
        return f"__out({_cs_inline(s, expr, at + 2, depth)});", min(close + 1, end)
    m = _IDENT.match(t, at + 1, end)
    if m is None:
        return "", at + 1  # a lone `@`: text
    word = m.group()
    after = m.end()
    if word in _CS_STATEMENTS or (word == "using" and _next_char(t, after, end) == "("):
        return _cs_statement(s, at + 1, end, word, depth)
    if word in _CS_MEMBERS and _next_char(t, after, end) == "{":
        brace = t.index("{", after)
        body, close = _cs_code(s, brace + 1, end, depth, block=True)
        s.members.add(body, s.line(brace + 1))
        close = min(close + 1, end)
        return s.newlines(at, close), close
    if word == "helper":
        # MVC 5's `@helper Name(args) { ... }`: a method whose body is code and markup.
        brace = t.find("{", after, end)
        if brace < 0:
            return "", after
        body, close = _cs_code(s, brace + 1, end, depth, block=True)
        s.members.add(f"void {t[after:brace].strip()} {{{body}}}", s.line(at))
        close = min(close + 1, end)
        return s.newlines(at, close), close
    if word == "using":
        return _imported(s, at, after, end)
    if word in _CS_DIRECTIVES and (after >= end or t[after].isspace()):
        return "", _line_end(t, after, end)
    if word == "section":
        # `@section Name { ... }`: markup, with its own code, wherever it stands
        brace = t.find("{", after, end)
        if brace < 0:
            return "", after
        close = _brace_end(t, brace, end)
        return s.newlines(at, brace + 1) + _markup(s, brace + 1, close, depth + 1), min(close + 1, end)
    if word == "await":
        # `@await Component.InvokeAsync(...)`: the implicit expression after it is awaited
        awaited = _AWAITED.match(t, after, end)
        if awaited is not None:
            after = awaited.end()
    stop = _implicit_end(t, after, end)
    return f"__out({_cs_inline(s, t[at + 1 : stop], at + 1, depth)});", stop


def _line_end(t: str, pos: int, end: int) -> int:
    eol = t.find("\n", pos, end)
    return end if eol < 0 else eol


def _imported(s: _State, at: int, after: int, end: int) -> tuple[str, int]:
    """`@using Namespace` (VB: `@Imports`): an `Import` directive; no code, markup after its line."""
    ns = _NAMESPACE.match(s.text, after, end)
    if ns is not None:
        s.imports.append(Directive("Import", {"namespace": ns.group("ns")}, s.line(at)))
    return "", _line_end(s.text, after, end)


def _cs_inline(s: _State, expr: str, offset: int, depth: int) -> str:
    """An expression's text; one holding a templated delegate (`@<b>...</b>`) has that markup read too."""
    if "@<" not in expr:
        return expr
    code, _ = _cs_code(s, offset, offset + len(expr), depth, block=False)
    return code


# How far a templated delegate inside an expression is looked into for its end tag: characters,
# tags, and tags open at once (a page of thousands of unclosed `@<b>` is not read to the window's
# end from each: those after one left open are inside it, so each look ends within a few tags).
_DELEGATE_WINDOW = 4096
_DELEGATE_TAGS = 64
_DELEGATE_DEPTH = 16


def _delegate_end(t: str, pos: int, end: int) -> int:
    """Just past the markup of a templated delegate whose first tag is at `pos`, read for its tags
    alone (its code is not entered, so this costs at most `_DELEGATE_WINDOW` characters or
    `_DELEGATE_TAGS` tags and calls nothing that could come back here); `pos - 1` (its `@`,
    nothing skipped) when it does not close within them."""
    stop = min(end, pos + _DELEGATE_WINDOW)
    first = _TAG.match(t, pos, stop)
    if first is not None and not first.group("close") and first.group("name").lower() not in _VOID:
        window = t[first.end() : stop].lower()
        if f"</{first.group('name').lower()}" not in window and "/>" not in window:
            return pos - 1  # its first tag is never closed within the window: no need to read it
    opened: list[str] = []
    i = pos
    for _ in range(_DELEGATE_TAGS):
        if i >= stop:
            break
        lt = t.find("<", i, stop)
        if lt < 0:
            break
        m = _TAG.match(t, lt, stop)
        if m is None:
            i = lt + 1
            continue
        gt = t.find(">", m.end(), stop)
        if gt < 0:
            break
        gt += 1
        _keep_open(opened, t, m, gt)
        i = gt
        if not opened:
            return i
        if len(opened) > _DELEGATE_DEPTH:
            break
    return pos - 1


def _keep_open(opened: list[str], t: str, m: re.Match[str], gt: int) -> None:
    """The stack of open tags after the tag `m` (ending at `gt`), as the view engine keeps it: an
    end tag closes the nearest open tag of its name and every tag opened after it, one nothing
    opened is text; void and self-closed tags open nothing."""
    name = m.group("name").lower()
    if m.group("close"):
        if name in opened:
            del opened[len(opened) - 1 - opened[::-1].index(name) :]
    elif not (t[gt - 2 : gt] == "/>" or name in _VOID):
        opened.append(name)


def _brace_end(t: str, pos: int, end: int) -> int:
    """The brace closing the one at `pos` in markup (braces counted, nothing else: markup's
    quotes and slashes are text), or `end`."""
    level = 0
    for i in range(pos, end):
        c = t[i]
        if c == "{":
            level += 1
        elif c == "}":
            level -= 1
            if level == 0:
                return i
    return end


_RAZOR_IN_TAG = re.compile(r"[<@]")


def _skip_razor(t: str, at: int, end: int) -> int:
    """Past the code an `@` at `at` starts inside markup that is being measured (a tag's
    attributes, an element's extent): its `>` and `<` are code, not the markup's."""
    nxt = t[at + 1] if at + 1 < end else ""
    if nxt == "(":
        return min(_matching(t, at + 1, end, "(", ")") + 1, end)
    if nxt == "{":
        return min(_brace_end(t, at + 1, end) + 1, end)
    if nxt == "*":
        close = t.find("*@", at + 2, end)
        return end if close < 0 else close + 2
    m = _IDENT.match(t, at + 1, end)
    if m is None or (at > 0 and t[at - 1].isalnum()):
        return at + 1
    if m.group() in _CS_STATEMENTS:
        pos = m.end()
        while True:
            i = pos
            while i < end and t[i] != "{":
                i = _matching(t, i, end, "(", ")") + 1 if t[i] == "(" else i + 1
            if i >= end:
                return end
            pos = min(_brace_end(t, i, end) + 1, end)
            if _CS_CONTINUED.match(t, pos, end) is None:
                return pos
    return _implicit_end(t, m.end(), end)


def _next_char(t: str, pos: int, end: int) -> str:
    while pos < end and t[pos].isspace():
        pos += 1
    return t[pos] if pos < end else ""


def _implicit_end(t: str, pos: int, end: int, vb: bool = False) -> int:
    """Where an implicit expression (`@a.b(c)[d]`; VB's `@a.b(c)`) ends: names joined by dots,
    calls and indexes, no blanks."""
    brackets = "(" if vb else "(["
    skip = _skip_vb_string if vb else _skip_literal
    while pos < end:
        c = t[pos]
        if c in brackets:
            pos = _matching(t, pos, end, c, ")" if c == "(" else "]", skip) + 1
        elif c == "." and pos + 1 < end and (t[pos + 1].isalpha() or t[pos + 1] == "_"):
            m = _IDENT.match(t, pos + 1, end)
            pos = m.end() if m else pos + 1
        else:
            break
    return min(pos, end)


def _skip_literal(t: str, pos: int, end: int) -> int:
    """If a C# string, character literal or comment starts at `pos`, where it ends; else `pos`. A
    templated delegate's markup (`@<b>...</b>`) is skipped whole too: its quotes and slashes are
    text (`<a href='https://x'>` holds no comment)."""
    c = t[pos]
    if c == "@" and t.startswith("@<", pos):
        return _delegate_end(t, pos + 1, end)
    if c == "/" and pos + 1 < end and t[pos + 1] in "/*":
        if t[pos + 1] == "/":
            return _line_end(t, pos, end)
        close = t.find("*/", pos + 2, end)
        return end if close < 0 else close + 2
    if c == '"':
        if t.startswith('"""', pos):  # a raw string literal: up to the next three quotes
            close = t.find('"""', pos + 3, end)
            return end if close < 0 else close + 3
        verbatim = (pos > 0 and t[pos - 1] == "@") or (pos > 1 and t[pos - 2 : pos] in {"$@", "@$"})
        i = pos + 1
        while i < end:
            if t[i] == '"':
                if verbatim and i + 1 < end and t[i + 1] == '"':
                    i += 2
                    continue
                return i + 1
            if t[i] == "\\" and not verbatim:
                i += 2
                continue
            if t[i] == "\n" and not verbatim:
                return i  # an unclosed string ends with its line
            i += 1
        return end
    if c == "'":
        i = pos + 1
        while i < end and i < pos + 12:
            if t[i] == "\\":
                i += 2
                continue
            if t[i] == "'":
                return i + 1
            if t[i] == "\n":
                break
            i += 1
        return pos + 1
    return pos


def _matching(
    t: str, pos: int, end: int, opener: str, closer: str, skip: Callable[[str, int, int], int] = _skip_literal
) -> int:
    """The offset of the bracket closing the one at `pos` (strings and comments skipped: C#'s,
    or those `skip` knows), or `end`. Only the brackets and the characters a string, comment or
    delegate can start at are looked at (`_SKIP_STARTS`)."""
    level = 0
    i = pos
    while i < end:
        found = _SKIP_STARTS.search(t, i, end)
        if found is None:
            return end
        i = found.start()
        c = t[i]
        j = skip(t, i, end)
        if j != i:
            i = j
            continue
        if c == opener:
            level += 1
        elif c == closer:
            level -= 1
            if level == 0:
                return i
        i += 1
    return end


# Where `_matching` stops to look: brackets, and what a C# or VB string, character literal,
# comment or templated delegate starts with.
_SKIP_STARTS = re.compile(r"[()\[\]\"'/@]")


def _cs_statement(s: _State, pos: int, end: int, word: str, depth: int) -> tuple[str, int]:
    """A C# statement started by `@word` at `pos`: (its code, where it ends), after its block and
    the blocks of any `else`, `catch` or `finally` (or a `do`'s `while (...);`) that follow."""
    t = s.text
    out: list[str] = []
    while True:
        brace = pos
        while brace < end and t[brace] != "{":
            j = _skip_literal(t, brace, end)
            if t[brace] == "(":
                j = _matching(t, brace, end, "(", ")") + 1
            brace = j if j != brace else brace + 1
        out.append(t[pos : brace + 1])
        if brace >= end:
            return "".join(out), end
        body, close = _cs_code(s, brace + 1, end, depth, block=True)
        out.append(body + "}")
        pos = min(close + 1, end)
        if word == "do":
            m = _CS_DO_WHILE.match(t, pos, end)
            if m is not None:
                stop = _matching(t, m.end() - 1, end, "(", ")") + 1
                semi = _CS_SEMICOLON.match(t, stop, end)
                stop = semi.end() if semi else min(stop, end)
                out.append(t[pos:stop])
                return "".join(out), stop
            return "".join(out), pos
        if _CS_CONTINUED.match(t, pos, end) is None:
            return "".join(out), pos


_CS_SEMICOLON = re.compile(r"\s*;")
_AWAITED = re.compile(r"[ \t]+[A-Za-z_]\w*")
# What precedes the brace of an initializer rather than a block: `=`, `,`, `(`, an array type's
# `]`, a generic type's `>` (not a lambda's `=>`) or `new T(...)`.
_INITIALIZED = re.compile(r"(?:[=,(\]]|(?<!=)>|\bnew\s+[\w.<>\[\], ]*\([^()]*\)|\bnew)\s*$")
# A switch section's label, up to its colon: markup may follow it as it may a statement's end.
_CASE_LABEL = re.compile(r"\s*(?:case\b[^;{}]*|default\s*)$")


_ASSIGNED = re.compile(r"\s*=(?!=)")
_KEYWORDS = frozenset(
    [
        "abstract",
        "as",
        "base",
        "bool",
        "break",
        "byte",
        "case",
        "catch",
        "char",
        "checked",
        "class",
        "const",
        "continue",
        "decimal",
        "default",
        "delegate",
        "double",
        "else",
        "enum",
        "event",
        "explicit",
        "extern",
        "false",
        "finally",
        "fixed",
        "float",
        "goto",
        "implicit",
        "in",
        "int",
        "interface",
        "internal",
        "is",
        "long",
        "namespace",
        "null",
        "object",
        "operator",
        "out",
        "override",
        "params",
        "private",
        "protected",
        "public",
        "readonly",
        "ref",
        "return",
        "sbyte",
        "sealed",
        "short",
        "sizeof",
        "stackalloc",
        "static",
        "string",
        "struct",
        "this",
        "throw",
        "true",
        "typeof",
        "uint",
        "ulong",
        "unchecked",
        "unsafe",
        "ushort",
        "virtual",
        "void",
        "volatile",
    ]
)


def _verbatim(t: str, pos: int, end: int) -> bool:
    """Whether the name at `pos`, after an `@` in code, is C#'s verbatim identifier (`new { @class =
    "x" }`, `@as`) rather than an expression written out."""
    m = _IDENT.match(t, pos, end)
    return m is not None and (m.group() in _KEYWORDS or _ASSIGNED.match(t, m.end(), end) is not None)


def _cs_code(s: _State, start: int, end: int, depth: int, block: bool) -> tuple[str, int]:
    """C# code from `start`: (its text with markup in it replaced by that markup's code, where
    it stops). A block (`block`) stops at the brace closing it; otherwise at `end`. Markup starts
    where a statement may: a tag, `<text>`, `@:` or a templated delegate's `@<`."""
    t = s.text
    if depth > MAX_DEPTH:
        s.unread = True
        stop = _brace_end(t, start - 1, end) if block else end  # (the block's own brace is at start - 1)
        return s.newlines(start, stop), stop
    out: list[str] = []
    level = 0
    i = start
    copied = start
    statement_start = True  # at the block's start, after `{`, `}` or `;`, or a `case ...:` label
    began = start  # where the current statement began
    while i < end:
        c = t[i]
        markup_at = -1
        if c == "@" and s.late(i):
            out.append(t[copied:i] + s.newlines(i, end))
            return "".join(out), end
        if c == "@" and t.startswith("@*", i):  # a Razor comment, in code as in markup
            close = t.find("*@", i + 2, end)
            stop = end if close < 0 else close + 2
            out.append(t[copied:i] + s.newlines(i, stop))
            i = copied = stop
            continue
        if c == "<" and statement_start and i + 1 < end and (t[i + 1].isalpha() or t[i + 1] in "/!"):
            markup_at = i
        elif c == "@" and i + 1 < end and t[i + 1] in "<:" and (t[i + 1] == "<" or statement_start):
            markup_at = i + 1
        elif (
            c == "@"
            and statement_start
            and i + 1 < end
            and (t[i + 1] in "(_" or t[i + 1].isalpha())
            and not _verbatim(t, i + 1, end)
        ):
            # `@Html.Raw(x)` or `@(x)` where a statement may start: an expression written out
            out.append(t[copied:i])
            code, i = _cs_transition(s, i, end, depth + 1)
            out.append(code)
            copied = i
            continue
        if markup_at >= 0:
            out.append(t[copied:i])
            if t[markup_at] == ":":
                stop = _line_end(t, markup_at, end)
                out.append(_markup(s, markup_at + 1, stop, depth + 1))
            else:
                stop = _element_end(t, markup_at, end)
                markup = _markup(s, markup_at, stop, depth + 1)
                if t[i] == "@" and not statement_start:
                    # A templated delegate inside an expression (`Helper(x, @<b>@y</b>)`): the
                    # `Func<dynamic, HelperResult>` it is, whose body writes the markup's code;
                    # the expression goes on after it.
                    out.append(f"item => {{{markup} return null; }}")
                    i = copied = stop
                    continue
                out.append(markup)
            i = copied = stop
            statement_start = True
            continue
        j = _skip_literal(t, i, end)
        if j != i:
            i = j
            continue
        if c == "{":
            level += 1
        elif c == "}":
            level -= 1
            if level < 0 and block:
                out.append(t[copied:i])
                return "".join(out), i
        if not c.isspace():
            statement_start = c in "{};" or (c == ":" and _CASE_LABEL.match(t, began, i) is not None)
            if c == "{" and _INITIALIZED.search(t, max(began, i - 400), i) is not None:
                statement_start = False  # an initializer's items (`new[] { @T("a"), @<b>x</b> }`): expressions
            if c in "{};":
                began = i + 1
        i += 1
    out.append(t[copied:end])
    return "".join(out), end


def _element_end(t: str, pos: int, end: int) -> int:
    """Where the markup element starting at `pos` ends: after the tag closing it, `<text>` after its
    `</text>`; an unclosed element runs to `end`. Open tags are kept on a stack (`_keep_open`), so
    a `<p>` left open inside a `<div>` ends with it."""
    opened: list[str] = []
    i = pos
    while i < end:
        found = _RAZOR_IN_TAG.search(t, i, end)
        if found is None:
            return end
        lt = found.start()
        if t[lt] == "@":
            i = _skip_razor(t, lt, end)
            continue
        if t.startswith("<!--", lt):
            close = t.find("-->", lt + 4, end)
            i = end if close < 0 else close + 3
            if not opened:
                return i
            continue
        m = _TAG.match(t, lt, end)
        if m is None:
            i = lt + 1
            continue
        gt = _tag_end(t, m.end(), end)
        _keep_open(opened, t, m, gt)
        i = gt
        if not opened:
            return i
    return end


def _tag_end(t: str, pos: int, end: int) -> int:
    """Just past the `>` ending a tag whose attributes start at `pos` (quoted values taken whole)."""
    quote = ""
    i = pos
    while i < end:
        c = t[i]
        if c == "@":
            i = _skip_razor(t, i, end)
            continue
        if quote:
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == ">":
            return i + 1
        elif c == "\n" and i - pos > 4000:
            return i  # a runaway tag
        i += 1
    return end


def _vb_transition(s: _State, at: int, end: int, depth: int) -> tuple[str, int]:
    """What a VB `@` at `at` starts: (its code, where markup goes on)."""
    t = s.text
    nxt = t[at + 1]
    if nxt == "(":
        close = _matching(t, at + 1, end, "(", ")", _skip_vb_string)
        return f"__out({t[at + 2 : close]}){_VB_NEXT}", min(close + 1, end)
    m = _IDENT.match(t, at + 1, end)
    if m is None:
        return "", at + 1
    word = m.group().lower()
    after = m.end()
    if word in _VB_BLOCKS:
        opener, closer = _VB_BLOCKS[word]
        stop = _vb_block_end(t, at + 1, end, opener, closer)
        if word in {"code", "functions"}:
            first = t.find("\n", at, stop)
            body_start = stop if first < 0 else first + 1
            last = t.rfind("\n", body_start, stop)
            body_end = body_start if last < 0 else last
            body = _vb_code(s, body_start, body_end, depth)
            resume = _line_end(t, stop, end)
            if word == "functions":
                s.members.add(body, s.line(body_start))
                return s.newlines(at, resume), resume
            return s.newlines(at, body_start) + body + s.newlines(body_end, resume), resume
        if word == "section":
            return "", _line_end(t, at, end)  # its lines are markup
        resume = _line_end(t, stop, end)
        return _vb_code(s, at + 1, resume, depth), resume
    if word == "imports":
        return _imported(s, at, after, end)
    if word in _VB_DIRECTIVES and (after >= end or t[after].isspace()):
        return "", _line_end(t, after, end)
    stop = _implicit_end(t, after, end, vb=True)
    return f"__out({t[at + 1 : stop]}){_VB_NEXT}", stop


def _skip_vb_string(t: str, pos: int, end: int) -> int:
    """If a VB string starts at `pos` (`""` inside it is a quote), just past its end (an unclosed
    one ends with its line); else `pos`."""
    if t[pos] != '"':
        return pos
    close = pos + 1
    while close < end:
        if t[close] == '"':
            if close + 1 < end and t[close + 1] == '"':
                close += 2
                continue
            break
        if t[close] == "\n":
            break
        close += 1
    return min(close + 1, end)


def _vb_block_end(t: str, pos: int, end: int, opener: re.Pattern[str], closer: re.Pattern[str]) -> int:
    """The end of the line closing a VB block opened on the line at `pos` (blocks of the same
    kind inside it counted), or `end`."""
    level = 0
    line_start = pos
    while line_start < end:
        eol = t.find("\n", line_start, end)
        line_end = end if eol < 0 else eol
        if closer.match(t, line_start, line_end):
            level -= 1
            if level <= 0:
                return line_end
        elif opener.match(t, line_start, line_end):
            level += 1
        line_start = line_end + 1
    return end


def _vb_code(s: _State, start: int, end: int, depth: int) -> str:
    """VB code between `start` and `end`, line by line: a line that starts with a tag, `@<` or
    `@:` is markup, replaced by its expressions' code."""
    t = s.text
    if depth > MAX_DEPTH:
        s.unread = True
        return s.newlines(start, end)
    out: list[str] = []
    line_start = start
    while line_start < end:
        eol = t.find("\n", line_start, end)
        line_end = end if eol < 0 else eol
        m = _VB_MARKUP_LINE.match(t, line_start, line_end)
        if m is not None:
            body = m.end() if t[m.end() - 1] == ":" else m.end() - 2  # (from the `<`)
            out.append(_markup(s, max(body, line_start), line_end, depth + 1))
        else:
            out.append(t[line_start:line_end])
        if eol < 0:
            break
        out.append("\n")
        line_start = eol + 1
    return "".join(out)
