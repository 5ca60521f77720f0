"""JScript.NET's type annotations blanked out, so the JavaScript grammar reads the code around them.

JScript.NET is JavaScript with optional types: `var c : String = ...`, `function Page_Load(sender
: Object, e : EventArgs) : void`. The JavaScript grammar takes each annotation for an error, and
an error in a declaration or a function's head loses the statement or the whole function to it:
the flow from the request to a sink inside was not followed. Each annotation is replaced by as
many spaces as it has characters, so every byte, line and column of the code stays where it was.
Nothing else changes: a type written anywhere else (a cast such as `String(x)`, a class member)
is read as it was.
"""

from __future__ import annotations

import re

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


def untyped(source: str) -> str:
    """The source with its declarations' and function heads' type annotations blanked."""
    if ":" not in source:
        return source
    out = list(source)

    def blank(start: int, end: int) -> None:
        out[start:end] = " " * (end - start)

    for m in _DECLARED.finditer(source):
        blank(*m.span("type"))
    for m in _HEAD.finditer(source):
        base = m.start("params")
        for p in _PARAM_TYPE.finditer(m.group("params")):
            blank(base + p.start("type"), base + p.end("type"))
        if m.group("returns"):
            blank(*m.span("returns"))
    return "".join(out)
