"""String, character and number literals as the compilers read them, and encoded text inside one."""

from __future__ import annotations

import re

from tree_sitter import Node

from exhunt.codeanalysis.fold.values import char_of, decode_base64
from exhunt.codeanalysis.syntax import text

# ---------------------------------------------------------------------- literals
ESCAPES = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{1,4}|[0-7]{1,3}|.)", re.S)


SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


B64 = re.compile(r"^[A-Za-z0-9+/]{16,}={0,2}$")


_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}){8,}$")


def unescape(body: str) -> str:
    def one(m: re.Match[str]) -> str:
        e = m.group(1)
        if e[0] in "uU" and len(e) > 1:
            return char_of(int(e[1:].strip("{}"), 16))
        if e[0] == "x" and len(e) > 1:
            return char_of(int(e[1:], 16))
        if e[0].isdigit() and len(e) > 1:
            return char_of(int(e, 8))
        return SIMPLE_ESCAPES.get(e, e)

    return ESCAPES.sub(one, body) if "\\" in body else body


def string_literal(node: Node) -> str | None:
    raw = text(node)
    if raw[-3:] in ('"u8', '"U8'):
        raw = raw[:-2]  # C# 11's UTF-8 literal (`"cmd.exe"u8`): the bytes of the text before the suffix
    if node.type == "interpolated_string_expression":
        return None if "{" in raw.replace("{{", "") else unescape(raw.lstrip("$@")[1:-1])
    if raw.startswith('@"'):
        return raw[2:-1].replace('""', '"')
    if node.type == "raw_string_literal":
        return raw.strip('"')
    # VB's literals sit in a `literal` node. Asked only when the two readings could differ (a
    # backslash, a doubled quote, a delimiter other than `"`: VB's `$"..."` and typographic
    # quotes): a node's parent is found by walking down from the root, so asking it of every
    # item of a long concatenation costs time in the square of its length.
    vb_differs = raw[:1] != '"' or "\\" in raw or '""' in raw[1:-1]
    if vb_differs and node.type == "string_literal" and node.parent is not None and node.parent.type == "literal":
        if raw.startswith("$"):  # VB interpolation: a constant only without holes
            return None if "{" in raw.replace("{{", "") else raw[2:-1].replace('""', '"').replace("{{", "{")
        return raw[1:-1].replace('""', '"')  # VB: "" is a quote, no backslash escapes
    if node.type == "template_string":
        return None if "${" in raw else unescape(raw[1:-1])
    if len(raw) >= 2 and raw[0] in "\"'":
        return unescape(raw[1:-1])
    return None


def char_literal(node: Node) -> str | None:
    raw = text(node)
    if raw.endswith(("c", "C")) and raw.startswith('"'):
        return raw[1:-2][:1]
    body = raw[1:-1] if len(raw) >= 2 else ""
    value = unescape(body)
    return value if len(value) == 1 else None


def int_literal(raw: str) -> int | None:
    t = raw.strip().lower().rstrip("ulsi%&")
    try:
        if t.startswith("&h"):
            return int(t[2:], 16)
        if t.startswith("0x"):
            return int(t[2:], 16)
        return int(t)
    except ValueError:
        return None


def decode_literal(s: str) -> str | None:
    """A base64 or hex literal's text, when it decodes to printable text (else None)."""
    data: bytes | None = None
    if _HEX.match(s):
        data = bytes.fromhex(s)
    elif B64.match(s) and len(s) % 4 == 0:
        data = decode_base64(s)
    if not data:
        return None
    if data[1:2] == b"\0":
        t = data.decode("utf-16-le", "replace")
    else:
        t = data.decode("utf-8", "replace")
    printable = sum(1 for ch in t if ch.isprintable() or ch in "\r\n\t")
    return t if printable >= 0.95 * len(t) else None
