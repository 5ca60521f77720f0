"""Tree-sitter grammars for C#, VB.NET and JScript.NET, and a language-neutral view of their trees.

Grammars come from PyPI wheels (`tree-sitter-c-sharp`, `tree-sitter-vb-dotnet`,
`tree-sitter-javascript`; JScript.NET reads as JavaScript once its type annotations, imports,
class heads and member modifiers are blanked, `jscript.untyped`). The `?` of C#'s and VB's
null-conditional access is taken out and the code parsed again, so `a?.b` reads as `a.b` does;
VB's dictionary member access `a!b` is read as `a("b")`. A
grammar that cannot be imported is reported once and its code goes to the token-level reader. Page statements and `<script runat=server>` members are wrapped in a
class (and a method) the way the page compiler does, on the first line, so lines stay the file's.
"""

from __future__ import annotations

import importlib
import itertools
import re
import time
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from tree_sitter import Language, Node, Parser, Point, Query, QueryCursor, Tree

from exhunt.codeanalysis.extract import CodeUnit, Lang, UnitKind
from exhunt.codeanalysis.jscript import untyped

_MODULES = {
    Lang.CSHARP: "tree_sitter_c_sharp",
    Lang.VB: "tree_sitter_vb_dotnet",
    Lang.JSCRIPT: "tree_sitter_javascript",
}


@cache
def grammar(lang: Lang) -> Language | str:
    """The grammar, or why it could not be loaded."""
    try:
        module: Any = importlib.import_module(_MODULES[lang])
        return Language(module.language())
    except (ImportError, AttributeError, ValueError, OSError) as exc:
        return f"{_MODULES[lang]} not usable: {exc}"


@dataclass(frozen=True, slots=True)
class Parsed:
    tree: Tree
    line_shift: int  # subtract from a node's row (0-based) + 1 to get the file line
    source: bytes


# VB takes the typographic double quotes (U+201C, U+201D) for `"` wherever a string literal may
# begin or end (the language specification's DoubleQuoteCharacter), so `Request(“f”)` is
# `Request("f")` to the compiler; the grammar knows only `"`. Each is read as `"` (lines keep
# their places; only byte offsets within a line move).
_VB_QUOTES = {0x201C: '"', 0x201D: '"'}


def wrap(unit: CodeUnit) -> tuple[str, int]:
    """(source to parse, lines added before the unit's first line)."""
    if unit.lang is Lang.JSCRIPT:
        return untyped(unit.text), 0
    code = unit.text.translate(_VB_QUOTES) if unit.lang is Lang.VB else unit.text
    if unit.kind is UnitKind.FILE:
        return code, 0
    if unit.lang is Lang.CSHARP:
        if unit.kind is UnitKind.MEMBERS:
            return "class __Page { " + code + "\n}", 0
        return "class __Page { void __Render() { " + code + "\n}}", 0
    if unit.kind is UnitKind.MEMBERS:
        return "Class __Page\n" + code + "\nEnd Class\n", 1
    return "Class __Page\nSub __Render()\n" + code + "\nEnd Sub\nEnd Class\n", 2


class ParseDeadline(Exception):
    """The grammar's parse of a unit ran past the analysis's deadline and was halted."""


_CHUNK = 1 << 16  # bytes handed to the parser per read
_CLOCK_EVERY = 64  # progress calls between looks at the clock


class _Bounded:
    """A parser that stops at a deadline. Tree-sitter's error recovery can take time far out of
    proportion to the text on hostile input (a 96 KB unit of unbalanced code took 13 s), so each
    parse reads its source through a callback and is halted from its progress callback once half
    the time left has passed (`ParseDeadline`); None parses without one."""

    def __init__(self, lang: Language, deadline: float | None) -> None:
        self.parser = Parser(lang)
        self.deadline = deadline

    def parse(self, source: bytes) -> Tree:
        if self.deadline is None:
            return self.parser.parse(source)
        # Half of the time left for the parse through the callback, the rest for the parse over
        # the bytes that follows it, which takes no longer than the first (less when it reuses).
        now = time.monotonic()
        deadline = now + max(self.deadline - now, 0.0) / 2
        calls = 0

        def read(offset: int, _point: Point) -> bytes:
            return source[offset : offset + _CHUNK]

        def halt(_offset: int, _has_error: bool) -> bool:
            nonlocal calls
            calls += 1
            return calls % _CLOCK_EVERY == 0 and time.monotonic() > deadline

        try:
            tree = self.parser.parse(read, progress_callback=halt)
        except ValueError as exc:  # what the binding raises for a halted parse
            self.parser.reset()
            if time.monotonic() > deadline:
                raise ParseDeadline(f"parsing {len(source):,} bytes ran past the deadline") from exc
            return self.parser.parse(source)  # not halted by the clock: parsed as before, over the bytes
        # A tree read through a callback reads its nodes' text through it too; parsed again over
        # the bytes with itself as the old tree (no edit: every subtree without an error is
        # reused, about a tenth of the first parse's time on the corpora), it holds them.
        return self.parser.parse(source, old_tree=tree)


def parse(unit: CodeUnit, deadline: float | None = None) -> Parsed | str:
    """The unit's tree, after the rewrites below where the first parse shows their forms; a
    string says why there is none (a grammar that cannot be loaded). `deadline` (a
    `time.monotonic()` value) halts a parse that runs past it with `ParseDeadline`."""
    lang = grammar(unit.lang)
    if isinstance(lang, str):
        return lang
    text, shift = wrap(unit)
    source = text.encode("utf-8", "surrogatepass")
    if unit.lang is Lang.VB and (named := _with_new_objects(source)) is not None:
        source = named
    parser = _Bounded(lang, deadline)
    tree = parser.parse(source)
    if unit.lang is Lang.VB and tree.root_node.has_error and (keyed := _bang_keys(source)) is not None:
        source = keyed
        tree = parser.parse(source)
    if unit.lang is Lang.VB and tree.root_node.has_error and (dimmed := _static_locals(source)) is not None:
        source = dimmed
        tree = parser.parse(source)
    if unit.lang is Lang.VB and tree.root_node.has_error and (flat := _nested_inline_ifs(source)) is not None:
        source = flat
        tree = parser.parse(source)
    # VB's grammar may show the next `?` of a chain as its own error only once the one before is
    # gone: a few rounds, each a parse of a file that has them.
    for _ in range(_CONDITIONAL_ROUNDS):
        plain = _unconditional(unit.lang, lang, tree, source)
        if plain is None:
            break
        source = plain
        tree = parser.parse(source)
    if (called := _generic_calls(unit.lang, tree, source)) is not None:
        source = called
        tree = parser.parse(source)
    if unit.lang is Lang.CSHARP and tree.root_node.has_error and (named := _contextual_names(tree, source)) is not None:
        source = named
        tree = parser.parse(source)
    if (blanked := _inner_comments(unit.lang, lang, tree, source)) is not None:
        source = blanked
        tree = parser.parse(source)
    return Parsed(tree, shift, source)


# VB's dictionary member access, `Request.Form!cmd` or `Session![a key]`: the default indexed
# property called with the name as a string. The grammar has no such operator, so `!name` is
# rewritten as `("name")` outside strings and comments; a type character (`x!`, `1.5!`) is
# followed by no name and stays.
_BANG = re.compile(rb'"(?:[^"\n]|"")*"?|\'[^\n]*|(?<=[\w)\]])!(?:([A-Za-z_]\w*)|\[([^\]\n]+)\])')


def _bang_keys(source: bytes) -> bytes | None:
    """VB source with each `!name` member access written as `("name")`, or None when there is none
    (only lines move within themselves: no line is added or removed)."""
    if b"!" not in source:
        return None

    def keyed(m: re.Match[bytes]) -> bytes:
        name = m.group(1) or m.group(2)
        return m.group(0) if name is None else b'("' + name.replace(b'"', b'""') + b'")'

    out = _BANG.sub(keyed, source)
    return out if out != source else None


# VB's `Static x As T` inside a procedure: a local that keeps its value between calls. The grammar
# knows no such statement and ends the procedure there, so the rest reads as fields; to data flow it
# is a `Dim`, written in its place with the same length.
_STATIC = re.compile(rb"(?im)^([ \t]*)Static(?=[ \t]+[A-Za-z_\[])")


def _static_locals(source: bytes) -> bytes | None:
    """VB source with each statement-opening `Static` written as `Dim   `, or None when there is
    none (no line moves)."""
    out = _STATIC.sub(rb"\1Dim   ", source)
    return out if out != source else None


# VB's `With New Process()`: a block over an object no variable holds. What `.StartInfo.Arguments
# = x` stores in it, and what `.Start()` then runs, belong to no name the data flow can follow, so
# the object is given one on the same line: `Dim __with1 As New Process() : With __with1`.
# (The object's text may hold strings, each taken whole so that `""""` cannot be read two ways;
# it must end the line, or meet a comment, after a name or a `)`: a head continued on the next
# line is left alone.)
_WITH_NEW = re.compile(
    rb"(?im)^([ \t]*)With([ \t]+)(New[ \t]+[A-Za-z_](?:[^\n'\":]|(?>\"(?:[^\"\n]|\"\")*\"))*?(?<=[\w)]))[ \t]*(?=\r?$|')"
)


def _with_new_objects(source: bytes) -> bytes | None:
    """VB source with each `With New T(...)` block's object held by a variable of its own
    (`Dim __withN As New T(...) : With __withN`), or None when there is none (no line moves)."""
    count = 0

    def named(m: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        name = b"__with%d" % count
        return m.group(1) + b"Dim " + name + b" As " + m.group(3) + b" : With" + m.group(2) + name

    out = _WITH_NEW.sub(named, source)
    return out if out != source else None


# VB's one-line `If a Then x Else If b Then y Else z`: an `If` nested in a one-line `If`'s `Else`.
# The grammar takes no `If` among a one-line `If`'s statements and reads the rest of the line
# as errors, losing the calls in it. Each nested `If` is written as statements of the `Else`
# before it: its condition as the argument of a call no code declares, `__cond(b)`, then its
# statements, separated by `:` where its `Then` and `Else` were. The data flow, which does not
# weigh conditions, sees the same calls and values; no line is added or removed.
_NESTED_IF = re.compile(rb"(?i)\belse[ \t]+if\b")
_OUTER_IF = re.compile(rb"(?i)^[ \t]*if\b[^\n]*?\bthen[ \t]+(?=[^ \t\r'])")
_IF_WORDS = re.compile(rb"(?i)\b(?:else[ \t]+if|then|else)\b")
_VB_TEXT = re.compile(rb'"(?:[^"\n]|"")*"?|\'[^\n]*|(?i:\brem\b)[^\n]*')


def _nested_inline_ifs(source: bytes) -> bytes | None:
    """VB source with each one-line `If` nested in another's `Else` written as the outer `Else`'s
    statements, or None when there is none."""
    if _NESTED_IF.search(source) is None:
        return None
    lines = source.split(b"\n")
    changed = 0
    for i, line in enumerate(lines):
        if _NESTED_IF.search(line) is None:
            continue
        rewritten = _flattened(line)
        if rewritten is not None:
            lines[i] = rewritten
            changed += 1
    return b"\n".join(lines) if changed else None


def _flattened(line: bytes) -> bytes | None:
    """One line's nested one-line `If`s as statements of the `Else` before them (see above)."""
    masked = _VB_TEXT.sub(lambda m: b" " * len(m.group(0)), line)  # keywords in strings/comments are text
    outer = _OUTER_IF.match(masked)
    if outer is None:
        return None
    first = _NESTED_IF.search(masked, outer.end())
    if first is None:
        return None
    edits: list[tuple[int, int, bytes]] = []
    last = len(masked.rstrip())  # where the line's text ends
    open_if = False
    for m in _IF_WORDS.finditer(masked, first.start()):
        word = m.group(0).lower()
        if word.startswith(b"else") and word.endswith(b"if"):
            if open_if:
                return None  # `Else If` before the nested `If`'s `Then`: not a form read here
            keep = m.start() + 4 if m.start() == first.start() else m.start()
            edits.append((keep, m.end(), b" __cond(" if keep > m.start() else b": __cond("))
            open_if = True
        elif word == b"then":
            if not open_if or m.end() >= last:
                return None  # a block `If` after `Else`, or a `Then` of no nested `If`
            edits.append((m.start(), m.end(), b") :"))
            open_if = False
        else:
            edits.append((m.start(), m.end(), b":"))
    if open_if:
        return None
    pieces: list[bytes] = []
    at = 0
    for start, end, text_ in edits:  # in line order, each once: linear in the line's length
        pieces += [line[at:start], text_]
        at = end
    pieces.append(line[at:])
    return b"".join(pieces)


# The `?` of null-conditional access (`Request.Form?["c"]?.Trim()`, VB's `Request.Form?("c")`):
# C#'s grammar makes it a node type no member or index reading knows, and VB's grammar an error.
_CONDITIONAL_ROUNDS = 3
# Files with more candidate operators than this are read as the grammar gives them: finding the
# operators of a chain nested thousands deep takes time in the square of its length (a 32,000-long
# chain: 15 s), while 4,096 of them cost a fraction of a second however they nest.
_MAX_CONDITIONALS = 4096
_CONDITIONAL = {
    Lang.CSHARP: '(conditional_access_expression "?" @mark)',
    Lang.VB: "(ERROR) @mark",
}


def _unconditional(lang: Lang, grammar_: Language, tree: Tree, source: bytes) -> bytes | None:
    """The source with each null-conditional `?` taken out, so `a?.b` and `a?[k]` read as `a. b` and
    `a[ k]` (which is what they are to data flow), or None when there is none. Only the operator's
    own token is replaced, by the character after it and a space: a `?` in a string, a comment or
    a conditional expression stays, and every other byte keeps its place."""
    pattern = _CONDITIONAL.get(lang)
    if pattern is None or (b"?." not in source and b"?[" not in source and b"?(" not in source):
        return None
    if sum(source.count(mark) for mark in (b"?.", b"?[", b"?(")) > _MAX_CONDITIONALS:
        return None  # a query over a chain of thousands nested in each other costs their square
    marks = [
        n
        for nodes in QueryCursor(_query(grammar_, pattern)).captures(tree.root_node).values()
        for n in nodes
        if n.end_byte - n.start_byte == 1
        and source[n.start_byte : n.end_byte] == b"?"
        and source[n.end_byte : n.end_byte + 1] in (b".", b"[", b"(")
    ]
    if not marks:
        return None
    out = bytearray(source)
    for n in marks:  # `a?.b` -> `a. b`, `a?[k]` -> `a[ k]`: the access stays against its receiver
        out[n.start_byte], out[n.start_byte + 1] = source[n.start_byte + 1], 0x20
    return bytes(out)


# C#'s grammar reads a generic call whose type argument is itself generic, with one argument and an
# index after it (`JsonConvert.DeserializeObject<Dictionary<string, string>>(body)["c"]`), as two
# comparisons whose right side casts a collection expression (`(body)["c"]`) to the type `body`,
# with no parse error: the call and its argument are lost. Such a comparison chain means nothing in
# C# (a bool compared with a cast), so the call is put in parentheses and the code parsed again,
# once: a call inside another's argument has parentheses around it, so the outer one is read well.
# Where that can be: `>>`, one argument with no parentheses in it (else it is no type to cast to),
# then `[`. Each is found by a walk from the root, so a file is given as many as `_GENERIC_BUDGET`
# bytes over its size allows (a chain nested thousands deep makes each walk that long).
_GENERIC_HINT = re.compile(rb">\s*(>)\s*\([^()]*\)\s*\[")
_GENERIC_BUDGET = 1 << 21


def _inserted(source: bytes, inserts: list[tuple[int, bytes]]) -> bytes:
    """The source with each text inserted at its byte offset (offsets of the original source)."""
    pieces, at = [], 0
    for where, added in sorted(inserts, key=lambda insert: insert[0]):
        pieces += [source[at:where], added]
        at = where
    pieces.append(source[at:])
    return b"".join(pieces)


def _generic_calls(lang: Lang, tree: Tree, source: bytes) -> bytes | None:
    """C# source with each generic call misread as comparisons wrapped in parentheses
    (`(D<A<B>>(x))[0]`), or None when there is none. Only two bytes are added per call, both on
    the call's own lines, so every line keeps its number. The comparisons are found from the
    text, each by the node around its second `>`: a query for them over a chain nested thousands
    deep costs the square of its depth."""
    if lang is not Lang.CSHARP:
        return None
    inserts: list[tuple[int, bytes]] = []
    hints = itertools.islice(_GENERIC_HINT.finditer(source), max(1, _GENERIC_BUDGET // max(1, len(source))))
    for hint in hints:  # the smallest named node around the second `>` (an unnamed token)
        mark = tree.root_node.named_descendant_for_byte_range(hint.start(1), hint.end(1))
        spans = _misread_call(mark) if mark is not None and mark.type == "binary_expression" else None
        if spans is not None:
            inserts += [(spans[0], b"("), (spans[1], b")")]
    return _inserted(source, inserts) if inserts else None


# `async` and `await` are keywords only where C# expects one (a modifier, an `await` before an
# expression); elsewhere they are names (`string async = ...`, `if (async)`), which the grammar
# does not parse. Written as verbatim names (`@async`) they parse, and `text` reads them without
# the `@`. Only where a name is followed by what a value is followed by, outside strings and
# comments, in a unit that did not parse; none in a unit of more than `_MAX_CONTEXTUAL` of them.
_CONTEXTUAL = re.compile(rb"(?<![\w@.])(?:async|await)(?=\s*[=;,).\[+\-*/%<>!&|?:\]}])")
_MAX_CONTEXTUAL = 256


def _contextual_names(tree: Tree, source: bytes) -> bytes | None:
    """C# source with `async`/`await` used as names written `@async`/`@await`, or None."""
    hits = list(itertools.islice(_CONTEXTUAL.finditer(source), _MAX_CONTEXTUAL + 1))
    if len(hits) > _MAX_CONTEXTUAL:
        return None
    starts = []
    for hit in hits:
        node = tree.root_node.descendant_for_byte_range(hit.start(), hit.end())
        for _ in range(3):  # a string's content sits at most two levels below the string
            if node is None or node.type in _LITERAL_TEXT:
                break
            node = node.parent
        if node is None or node.type not in _LITERAL_TEXT:
            starts.append(hit.start())
    return _inserted(source, [(start, b"@") for start in starts]) if starts else None


# Comments inside an expression (`Server/*x*/./*y*/UrlDecode(c)`, a line comment between a call's
# chained lines): the grammar keeps them as children of the member access or the argument list, so
# the access's text holds them and the call's name is not read. Each is written over with spaces
# (its line breaks kept, so no byte or line moves) and the unit parsed again, once. Comments
# between statements and members, where the grammar expects them, are left alone and cost no
# second parse; a unit with no comment beside a dot (`_BY_A_DOT`) is not searched for them.
_COMMENT_HOLDERS = frozenset(
    {
        "compilation_unit",
        "declaration_list",
        "block",
        "switch_section",
        "switch_body",
        "namespace_declaration",
        "file_scoped_namespace_declaration",
        "global_statement",
        "accessor_list",
        "enum_member_declaration_list",
        "program",
        "statement_block",
        "class_body",
        "switch_case",
        "switch_default",
        "ERROR",
    }
)


# A comment beside a member access's dot, the only place one breaks a name: most files have none,
# and are not walked for their comments at all.
# (A line comment is found from the start of its line, committed to its first `//`: tried from
# every `//` of a line of slashes, the pattern took time in the square of the line's length.)
_BY_A_DOT = re.compile(rb"\.[ \t\r\n]*/[/*]|\*/[ \t\r\n]*\.|^(?>[^\n]*?//)[^\n]*+\n[ \t\r]*\.", re.M)


def _inner_comments(lang: Lang, grammar_: Language, tree: Tree, source: bytes) -> bytes | None:
    """C# or JScript source with the comments inside expressions blanked, or None when there is
    none."""
    if lang is Lang.VB or (b"/*" not in source and b"//" not in source) or _BY_A_DOT.search(source) is None:
        return None
    out: bytearray | None = None
    for nodes in QueryCursor(_query(grammar_, "(comment) @c")).captures(tree.root_node).values():
        for n in nodes:
            if n.parent is None or n.parent.type in _COMMENT_HOLDERS:
                continue
            if out is None:
                out = bytearray(source)
            for i in range(n.start_byte, n.end_byte):
                if out[i] not in (0x0A, 0x0D):
                    out[i] = 0x20
    return bytes(out) if out is not None else None


# Nodes whose text is not code: a name inside them stays as it is.
_LITERAL_TEXT = frozenset(
    {
        "string_literal",
        "verbatim_string_literal",
        "raw_string_literal",
        "interpolated_string_expression",
        "comment",
        "character_literal",
    }
)


def _misread_call(mark: Node) -> tuple[int, int] | None:
    """(where the call starts, where its index starts) for `a < G<T> > (x)[i]` read from a
    generic call `a<G<T>>(x)[i]`, or None when the node is a real comparison."""
    less, right = mark.child_by_field_name("left"), mark.child_by_field_name("right")
    if less is None or right is None or less.type != "binary_expression" or not _ends_generic(less):
        return None
    if operator(mark) != ">" or operator(less) != "<":
        return None
    cast: Node | None = right
    while cast is not None and cast.type != "cast_expression":  # `(x)[0] + 1`: leftmost operand
        cast = cast.child(0) if cast.type == "binary_expression" else None
    if cast is None:
        return None
    value = cast.child_by_field_name("value")
    while value is not None and value.type != "collection_expression":
        value = value.child(0) if value.type in _LEFTMOST else None
    callee = less.child_by_field_name("left")
    while callee is not None and callee.type in ("binary_expression", "prefix_unary_expression"):
        callee = callee.children[-1] if callee.children else None  # `a + D<..>(x)[0]`, `!D<..>(x)[0]`
    if value is None or callee is None:
        return None
    if not callee.end_byte <= cast.start_byte < value.start_byte:
        return None
    return callee.start_byte, value.start_byte


def _ends_generic(less: Node) -> bool:
    right = less.child_by_field_name("right")
    return right is not None and right.type == "generic_name"


# Node types whose first child is what the expression starts with (`[0].ToString()`, `[0]["k"]`).
_LEFTMOST = frozenset({"invocation_expression", "member_access_expression", "element_access_expression"})


@cache
def _query(grammar_: Language, pattern: str) -> Query:
    return Query(grammar_, pattern)


def error_share(root: Node) -> float:
    """Share of the source's bytes inside ERROR nodes (top two levels: cheap, good enough)."""
    total = max(1, root.end_byte - root.start_byte)
    if not root.has_error:
        return 0.0
    bad = 0
    for child in root.children:
        if child.is_error:
            bad += child.end_byte - child.start_byte
        elif child.has_error:
            bad += sum(g.end_byte - g.start_byte for g in child.children if g.is_error)
    return bad / total


class Role(StrEnum):
    CALL = "call"
    MEMBER = "member"
    INDEX = "index"
    NEW = "new"
    ARRAY = "array"
    STRING = "string"
    CHAR = "char"
    INT = "int"
    BINARY = "binary"
    WRAP = "wrap"  # parentheses and single-child wrappers
    CAST = "cast"
    IDENT = "ident"
    ASSIGN = "assign"
    DECL = "decl"
    LAMBDA = "lambda"
    METHOD = "method"
    RETURN = "return"
    COND = "cond"
    OTHER = "other"


ROLES: dict[str, Role] = {
    # C#
    "invocation_expression": Role.CALL,
    "member_access_expression": Role.MEMBER,
    "element_access_expression": Role.INDEX,
    "object_creation_expression": Role.NEW,
    "array_creation_expression": Role.ARRAY,
    "implicit_array_creation_expression": Role.ARRAY,
    "initializer_expression": Role.ARRAY,
    "collection_expression": Role.ARRAY,
    "string_literal": Role.STRING,
    "verbatim_string_literal": Role.STRING,
    "raw_string_literal": Role.STRING,
    "interpolated_string_expression": Role.STRING,
    "character_literal": Role.CHAR,
    "integer_literal": Role.INT,
    "binary_expression": Role.BINARY,
    "parenthesized_expression": Role.WRAP,
    "cast_expression": Role.CAST,
    "identifier": Role.IDENT,
    "predefined_type": Role.IDENT,
    "generic_name": Role.IDENT,
    "qualified_name": Role.IDENT,
    "this_expression": Role.IDENT,
    "this": Role.IDENT,
    "assignment_expression": Role.ASSIGN,
    "variable_declarator": Role.DECL,
    "is_pattern_expression": Role.DECL,  # `x is string c` declares `c` (other patterns declare nothing)
    "declaration_pattern": Role.DECL,  # `case string s:` declares `s`, the switch's subject
    "lambda_expression": Role.LAMBDA,
    "anonymous_method_expression": Role.LAMBDA,  # `delegate(string s) { ... }`
    "method_declaration": Role.METHOD,
    "constructor_declaration": Role.METHOD,
    "local_function_statement": Role.METHOD,
    "property_declaration": Role.METHOD,  # a getter is a method without parameters
    "indexer_declaration": Role.METHOD,  # `this[string k] { get ... }`: a getter of the key's parameters
    "return_statement": Role.RETURN,
    "arrow_expression_clause": Role.RETURN,  # `string Cmd => Request["c"];`: what the member returns
    "yield_statement": Role.RETURN,  # `yield return x;`: one of what an iterator returns
    "await_expression": Role.WRAP,  # `await t`: what the task gives
    "conditional_expression": Role.COND,
    "ternary_expression": Role.COND,
    "argument": Role.WRAP,
    "expression": Role.WRAP,
    "literal": Role.WRAP,
    "checked_expression": Role.WRAP,
    # JavaScript
    "call_expression": Role.CALL,
    "member_expression": Role.MEMBER,
    "subscript_expression": Role.INDEX,
    "new_expression": Role.NEW,
    "array": Role.ARRAY,
    "string": Role.STRING,
    "template_string": Role.STRING,
    "number": Role.INT,
    "property_identifier": Role.IDENT,
    "augmented_assignment_expression": Role.ASSIGN,
    "arrow_function": Role.LAMBDA,
    "function_expression": Role.LAMBDA,
    "function_declaration": Role.METHOD,
    # VB.NET
    "invocation": Role.CALL,
    "member_access": Role.MEMBER,
    "with_member_access": Role.MEMBER,  # `.Arguments` inside `With psi ... End With`
    "array_literal": Role.ARRAY,
    "object_initializers": Role.ARRAY,
    "dim_statement": Role.DECL,
    "const_declaration": Role.DECL,  # VB's `Const P As String = "cmd.exe"`
    "using_statement": Role.DECL,  # VB's `Using r As New StreamReader(...)` declares `r` (C#'s holds a declarator)
    "compound_assignment_statement": Role.ASSIGN,
    "assignment_statement": Role.ASSIGN,
    "left_hand_side": Role.WRAP,
    "function_declaration_vb": Role.METHOD,
}


# Kinds whose role depends on more than their name (`role`); none of them is in `ROLES`.
_READ_FURTHER = frozenset({"inline_statement", "element_access", "as_clause"})


def role(node: Node) -> Role:
    kind = node.type
    if kind not in _READ_FURTHER:
        return ROLES.get(kind, Role.OTHER)  # nearly every node: the walks ask this millions of times
    if kind == "inline_statement":
        # a statement of VB's one-line `If c Then x = y Else x &= z`
        return Role.ASSIGN if _inline_assignment(node) else Role.OTHER
    if kind == "element_access":
        # VB `Run(Of String)(x)`: the call's arguments follow its type arguments
        return Role.CALL if _vb_generic_head(node) is not None else Role.OTHER
    if kind == "as_clause":
        if any(c.type == "argument_list" for c in node.children):
            return Role.NEW  # VB `Dim x As New T(args)`: the grammar hides the New keyword
        if node.text is not None and _AS_NEW.match(node.text):
            return Role.NEW  # VB `Dim x As New T()`: parsed as an array type `T()`, New dropped
    return Role.OTHER


_AS_NEW = re.compile(rb"(?i)as\s+new\b")


def _inline_assignment(node: Node) -> bool:
    """Whether a statement of a one-line VB `If` is an assignment: `x &= y` (with a `left`), or
    `x = y`, which the grammar reads as an expression (a comparison) but can only be a store there."""
    if node.child_by_field_name("left") is not None:
        return True
    if node.named_child_count != 1:
        return False
    inner = unwrap(node.named_children[0])
    return inner.type == "binary_expression" and operator(inner) == "="


def inline_parts(node: Node) -> tuple[Node | None, Node | None]:
    """(left, right) of a one-line `If`'s `x = y`, read through the expression the grammar makes
    of it; the node's own fields for any other."""
    if node.type == "inline_statement" and node.child_by_field_name("left") is None and node.named_child_count == 1:
        node = unwrap(node.named_children[0])
    return node.child_by_field_name("left"), node.child_by_field_name("right")


_WRAPS = frozenset(kind for kind, r in ROLES.items() if r is Role.WRAP)


def unwrap(node: Node) -> Node:
    """Through parentheses, `argument`/`expression` wrappers and `checked(...)` to the value."""
    for _ in range(64):
        if node.type not in _WRAPS:
            return node
        inner = node.named_children
        if not inner:
            return node
        node = inner[-1]  # C# `argument` may carry a name first: the value is last
    return node


def text(node: Node | None) -> str:
    """A node's source text; an identifier's without C#'s verbatim `@` or VB's escaping brackets
    (`@Process` and `[Process]` are `Process`)."""
    if node is None or node.text is None:
        return ""
    raw = node.text
    if raw[:1] in (b"@", b"[") and node.type == "identifier":
        raw = raw[1:-1] if raw[:1] == b"[" and raw[-1:] == b"]" else raw.lstrip(b"@")
    return raw.decode("utf-8", "replace")


def field(node: Node, *names: str) -> Node | None:
    for name in names:
        child = node.child_by_field_name(name)
        if child is not None:
            return child
    return None


def statement_value(stmt: Node) -> Node:
    """The expression an expression statement holds (VB's call statement too), else the node."""
    if stmt.type in {"expression_statement", "call_statement", "inline_statement"} and stmt.named_child_count == 1:
        return unwrap(stmt.named_children[0])
    return stmt


def loop_parts(loop: Node) -> tuple[Node | None, Node | None]:
    """(item, collection) of a loop over a collection: C#'s `foreach`, JavaScript's `for ... in`,
    VB's `For Each x [As T] In c`, whose parts the VB grammar names otherwise."""
    if loop.type == "for_each_statement":
        return loop.child_by_field_name("variable"), loop.child_by_field_name("collection")
    return loop.child_by_field_name("left"), loop.child_by_field_name("right")


def _vb_generic_head(node: Node) -> Node | None:
    """`Run(Of String)` of VB's `Run(Of String)(x)`, which the grammar reads as an index of a call
    without arguments: a call with type arguments and no argument list, first in `node`."""
    head = unwrap(node.named_children[0]) if node.named_child_count else None
    if head is None or head.type != "invocation":
        return None
    kinds = {c.type for c in head.named_children}
    return head if "type_argument_list" in kinds and "argument_list" not in kinds else None


def call_parts(node: Node) -> tuple[Node | None, list[Node]]:
    """(callee, argument values) of a call or an object creation."""
    if node.type == "element_access" and (head := _vb_generic_head(node)) is not None:
        callee, _ = call_parts(head)
        return callee, [unwrap(a) for a in node.named_children[1:] if a.type != "comment"]
    kids = node.named_children  # made once: each read makes the list again
    callee = field(node, "function", "target", "type", "constructor")
    if callee is None and kids:
        callee = kids[0]
    args_node = node.child_by_field_name("arguments")
    if args_node is None:
        args_node = next((c for c in kids if c.type in _ARGUMENT_LISTS), None)
    args: list[Node] = []
    if args_node is not None:
        args = [unwrap(a) for a in args_node.named_children if a.type != "comment"]
    args.extend(extra for extra in kids if extra.type in _INITIALIZERS)
    return callee, args


_ARGUMENT_LISTS = frozenset({"argument_list", "arguments"})
_INITIALIZERS = frozenset({"initializer_expression", "object_initializers", "with_initializer"})


def called(callee: Node) -> tuple[Node | None, str]:
    """(receiver, name) of what a call calls: `a.b.M` -> (`a.b`, "M"), `M` -> (None, "M")."""
    if role(callee) is Role.MEMBER:
        return member_parts(callee)
    return None, name_text(callee)


def name_text(node: Node | None) -> str:
    """A name's text without its type arguments (`Run<List<string>>` -> "Run"), so a generic
    method is called by the name it is declared with."""
    if node is not None and node.type == "generic_name" and node.named_child_count:
        return text(node.named_children[0])
    return text(node)


def member_parts(node: Node) -> tuple[Node | None, str]:
    if node.type == "with_member_access":
        return with_object(node), text(node.named_children[-1] if node.named_child_count else None)
    obj = field(node, "expression", "object")
    name = field(node, "name", "property", "member")
    if obj is None or name is None:
        kids = node.named_children
        if obj is None and kids:
            obj = kids[0]
        if name is None and len(kids) > 1:
            name = kids[-1]
    return (unwrap(obj) if obj is not None else None), name_text(name)


def with_object(node: Node) -> Node | None:
    """The object of the nearest `With` block around `node` (what VB's `.Member` in it belongs
    to; JScript's `with (o) {...}` has the same shape)."""
    cur = node.parent
    for _ in range(MAX_WITH_DEPTH):
        if cur is None:
            return None
        obj = cur.named_children[0] if cur.type == "with_statement" and cur.named_child_count else None
        if obj is not None and not obj.start_byte <= node.start_byte < obj.end_byte:
            return unwrap(obj)  # (a `With .Inner` belongs to the block around it, not to itself)
        cur = cur.parent
    return None


MAX_WITH_DEPTH = 512


def lambda_params(node: Node) -> list[str]:
    """The parameter names of a lambda: C#'s `(a, b) => ...` and `x => ...` (a typed parameter's
    last word), an anonymous method's `delegate(string s)`, a JavaScript function's, and VB's
    `Function(ByVal a As String)` (the first name of each parameter)."""
    p = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
    if p is not None:
        names = [p] if p.type in {"identifier", "implicit_parameter"} else list(p.named_children)
        return [text(c).split()[-1] for c in names if text(c).strip()]
    out: list[str] = []
    for c in node.named_children:
        if c.type == "lambda_parameter":
            name = next((n for n in c.named_children if n.type == "identifier"), None)
            if name is not None:
                out.append(text(name))
    return out


def index_parts(node: Node) -> tuple[Node | None, list[Node]]:
    obj = field(node, "expression", "object")
    if obj is None and node.named_child_count:
        obj = node.named_children[0]
    sub = field(node, "subscript", "index")
    keys: list[Node] = []
    if sub is not None:
        keys = [unwrap(a) for a in sub.named_children] if sub.type == "bracketed_argument_list" else [unwrap(sub)]
    return (unwrap(obj) if obj is not None else None), keys


def operator(node: Node) -> str:
    if node.type == "inline_statement" and node.named_child_count == 1:
        inner = unwrap(node.named_children[0])  # VB's one-line `If c Then x = y`
        return operator(inner) if inner.type == "binary_expression" else ""
    op = node.child_by_field_name("operator")
    if op is not None:
        return text(op)
    for child in node.children:
        if not child.is_named:
            return text(child)
    kids = node.named_children
    if len(kids) >= 2 and node.text is not None:
        # VB.NET's grammar hides the operator token: it is the text between the operands.
        start = kids[0].end_byte - node.start_byte
        end = kids[1].start_byte - node.start_byte
        return node.text[start:end].decode("utf-8", "replace").strip()
    return ""


def _spaceless(name: str) -> str:
    """A name's text without the white space a qualified name may hold between its parts."""
    return "".join(name.split()) if " " in name or "\n" in name or "\t" in name else name


def dotted(node: Node | None, depth: int = 0) -> str:
    """`System.Diagnostics.Process.Start` for a callee; `?` for parts that are not names."""
    if node is None or depth > 32:
        return "?"
    node = unwrap(node)
    r = role(node)
    if r is Role.IDENT:
        if node.type == "generic_name":
            first = node.named_children[0] if node.named_child_count else None
            return text(first)
        return _spaceless(text(node))  # a qualified name broken across lines: `System.Diagnostics\n.Process`
    if r is Role.MEMBER:
        obj, name = member_parts(node)
        return f"{dotted(obj, depth + 1)}.{name}"
    if r in {Role.CALL, Role.NEW}:
        callee, _ = call_parts(node)
        return dotted(callee, depth + 1) + "()"
    if r is Role.INDEX:
        obj, _ = index_parts(node)
        return dotted(obj, depth + 1) + "[]"
    if node.type in {"type", "namespace_name", "array_type", "primitive_type"}:
        return text(node).split("(")[0].strip()
    return "?"


def last_name(node: Node | None) -> str:
    """The last name of a dotted expression, lower case, without a call's parentheses
    (`System.Diagnostics.Process.Start` -> "start", `OpCodes.Ldstr` -> "ldstr")."""
    return dotted(node).lower().replace("()", "").rsplit(".", 1)[-1]


def vb_as_clause(dim: Node) -> Node | None:
    """The `As ...` clause of a VB `Dim` statement (`Dim s As New MemoryStream(b)`), if it has one."""
    return next((c for c in dim.named_children if c.type == "as_clause"), None)
