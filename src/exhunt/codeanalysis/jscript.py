"""JScript.NET's own syntax blanked out, so the JavaScript grammar reads the code around it.

JScript.NET is JavaScript with optional types: `var c : String = ...`, `function Page_Load(sender
: Object, e : EventArgs) : void`. The JavaScript grammar takes each annotation for an error, and
an error in a declaration or a function's head loses the statement or the whole function to it:
the flow from the request to a sink inside was not followed. Each annotation is replaced by as
many spaces as it has characters, so every byte, line and column of the code stays where it was.

Classes are the other half of the language JavaScript lacks: `import System.Web;`, `public class
Svc extends WebService {`, `WebMethodAttribute public function Run(c : String)`. A web service or
handler written so was an error from its first line, and the functions inside were only read as
tokens, so a web method's parameters were not known for the client's values they are. The
`import` statements, the class's head (name, base, interfaces) and the members' modifiers are
blanked the same way. The class's braces stay, so its body is read as a block of function
declarations; an attribute such as `WebMethodAttribute` stays where it is written, and the
grammar takes it for a statement of its own, so the text before a function still names it.
Nothing else changes: a type written anywhere else (a cast such as `String(x)`) is read as it was.
"""

from __future__ import annotations

import re

from exhunt.filehunt.saferegex import compile_linear

# A type as JScript.NET writes one: a dotted name, arrays of it (`byte[]`, `int[][]`).
_TYPE = r"[A-Za-z_$][\w$]*(?:[ \t]*\.[ \t]*[A-Za-z_$][\w$]*)*(?:[ \t]*\[[ \t]*\])*"
# `var c : String`, `const k : int`, also in a `for` head.
_DECLARED = re.compile(rf"\b(?:var|const)[ \t]+[A-Za-z_$][\w$]*[ \t]*(?P<type>:[ \t]*{_TYPE})")
# A function's head: its parameter list and its return type (`function get X() : Boolean`).
_HEAD = re.compile(
    rf"\bfunction\b(?:[ \t]+(?:get[ \t]+|set[ \t]+)?[A-Za-z_$][\w$]*)?[ \t]*\((?P<params>[^()]*)\)"
    rf"(?P<returns>[ \t]*:[ \t]*{_TYPE})?"
)
_PARAM_TYPE = re.compile(rf"(?P<type>:[ \t]*{_TYPE})")
# `import System.Web;` at the start of a line: JavaScript's import needs a module string.
# These three run on RE2: a run of modifiers that never reaches a `function` would make a
# backtracking search quadratic in the run's length.
_IMPORT = compile_linear(r"(?m)^[ \t]*import[ \t]+[A-Za-z_$][\w$]*(?:[ \t]*\.[ \t]*[A-Za-z_$][\w$]*)*[ \t]*;")
_MODIFIERS = frozenset(
    ("public", "private", "protected", "internal", "static", "abstract", "final", "hide", "override", "expando")
)
_MODIFIER = "(?:" + "|".join(sorted(_MODIFIERS)) + ")"
# A class, interface or package's head where a statement starts, up to its opening brace (not
# blanked).
_CLASS_HEAD = compile_linear(
    rf"(?m)(?:^|[{{}};])[ \t]*(?P<head>(?:{_MODIFIER}\s+)*(?:class|interface|package)\s+[A-Za-z_$][\w$.]*"
    rf"(?:\s+extends\s+{_TYPE})?(?:\s+implements\s+{_TYPE}(?:\s*,\s*{_TYPE})*)?\s*)\{{"
)
# A member's modifiers before the function or variable they modify (not blanked), where a
# statement starts, after any attributes (`WebMethodAttribute(...) public function`): the same
# words inside a string are left as they are.
_ATTRIBUTE = r"[A-Za-z_$][\w$.]*(?:\([^()\n]*\))?"
_MEMBER_HEAD = compile_linear(
    rf"(?m)(?:^|[{{}};])[ \t]*(?P<head>(?:{_ATTRIBUTE}[ \t]+)*(?:{_MODIFIER}\s+)+)(?:function|var|const)\b"
)
# The words of such a head: an attribute's arguments are skipped whole.
_HEAD_WORD = re.compile(r"\([^()\n]*\)|[A-Za-z_$][\w$.]*")


def untyped(source: str) -> str:
    """The source with its type annotations, imports, class heads and member modifiers blanked."""
    if ":" not in source and "class" not in source and "import" not in source:
        return source
    out = list(source)

    def blank(start: int, end: int) -> None:
        # A line break stays one: every later line keeps its number.
        out[start:end] = ("\n" if c == "\n" else " " for c in source[start:end])

    for m in _IMPORT.finditer(source):
        blank(*m.span())
    for m in _CLASS_HEAD.finditer(source):
        blank(*m.span(1))
    for m in _MEMBER_HEAD.finditer(source):
        start, end = m.span(1)
        for word in _HEAD_WORD.finditer(source, start, end):
            if word.group() in _MODIFIERS:
                blank(*word.span())

    for m in _DECLARED.finditer(source):
        blank(*m.span("type"))
    for m in _HEAD.finditer(source):
        base = m.start("params")
        for p in _PARAM_TYPE.finditer(m.group("params")):
            blank(base + p.start("type"), base + p.end("type"))
        if m.group("returns"):
            blank(*m.span("returns"))
    return "".join(out)
