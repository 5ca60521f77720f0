"""The legacy code page of a page that is not UTF-8: the one it declares, or one its bytes fit.

ASP.NET reads a page without a byte-order mark in the encoding the site configures
(`<globalization fileEncoding>`), often the server's ANSI code page: GBK on a Chinese server,
Windows-1252 on a Western one. A page may name its own (`<%@ Page CodePage="936" %>`,
`ResponseEncoding="gb2312"`, `<meta charset=...>`). Otherwise a code page is taken only when every
byte decodes in it and what the non-ASCII bytes spell is mostly that script's letters; `sniff`
gives None when no code page fits, and the caller reports server code read in no known encoding.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter

_DECLARED = re.compile(
    rb"(?i)\bcodepage\s*=\s*[\"']?(\d{3,5})|\b(?:responseencoding|charset|fileencoding)\s*=\s*[\"']?([a-z][\w.:-]{1,30})"
)
# Multi-byte code pages of East Asian servers, then the Western single-byte default.
_CANDIDATES = ("gb18030", "big5", "shift_jis", "euc_kr", "cp1252")
_EAST_ASIAN = ("CJK", "HIRAGANA", "KATAKANA", "HANGUL", "FULLWIDTH", "IDEOGRAPHIC", "HALFWIDTH")
FIT = 0.8  # share of the non-ASCII characters that must be the code page's letters or punctuation
SNIFF_BYTES = 256 * 1024  # how much of the text is weighed (all of it is decoded)


# Server code spelled in single bytes: a page is then read byte by byte whatever zeros surround it.
_SINGLE_BYTE_CODE = re.compile(rb"<%|(?i:runat)")
_BOMS = (b"\xff\xfe", b"\xfe\xff")
# UTF-32's marks, little- and big-endian. The little-endian one starts with UTF-16's: .NET's
# StreamReader, which ASP.NET reads a page with, takes FF FE 00 00 as UTF-32 before UTF-16.
_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


def wide_codec(data: bytes) -> str | None:
    """The codec to read text of more than one byte a character with: "utf-32" when it starts
    with UTF-32's byte-order mark (the compiler reads such a page, string signatures written
    for single-byte or UTF-16 text do not); else UTF-16's (`utf16_codec`)."""
    if data[:4] in _UTF32_BOMS:
        return "utf-32"
    return utf16_codec(data)


def utf16_codec(data: bytes) -> str | None:
    """The codec to read UTF-16 text with: "utf-16" when it has its byte-order mark; without it,
    "utf-16-le" or "utf-16-be" by the zero bytes of its ASCII letters (more than 24 of the first
    64 odd or even bytes); None for anything else. Not when server code is spelled in single
    bytes, as in a mailbox export (PST) whose message holds a page: the zeros there are the
    container's, and ASP.NET reads such a file byte by byte."""
    if data[:2] in _BOMS:
        return "utf-16"
    if len(data) < 8:
        return None
    if data[1:129:2].count(0) > 24:
        codec = "utf-16-le"
    elif data[0:128:2].count(0) > 24:
        codec = "utf-16-be"
    else:
        return None
    return None if _SINGLE_BYTE_CODE.search(data) else codec


def sniff(data: bytes) -> tuple[str, str] | None:
    """(text, code page) for bytes that are not UTF-8, or None when no code page fits."""
    for name in _declared(data[:8192]):
        text = _strict(data, name)
        if text is not None:
            return text, name
    for name in _CANDIDATES:
        text = _strict(data, name)
        if text is not None and _fits(text[:SNIFF_BYTES], east_asian=name != "cp1252"):
            return text, name
    return None


def _declared(head: bytes) -> list[str]:
    out = []
    for m in _DECLARED.finditer(head):
        name = f"cp{int(m.group(1))}" if m.group(1) else m.group(2).decode("ascii", "replace").lower()
        try:
            out.append(codecs.lookup(name).name)
        except LookupError:
            continue
    return [n for n in out if n not in {"utf-8", "utf-16", "utf-16-le", "utf-16-be"}]


def _strict(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None


def _fits(text: str, east_asian: bool) -> bool:
    # Each distinct character is judged once, weighed by how often it occurs: a page's
    # non-ASCII text repeats few characters many times.
    wide = Counter(c for c in text if c > "\x7f")
    if not wide:
        return True
    good = 0
    for c, count in wide.items():
        name = unicodedata.name(c, "")
        if east_asian:
            fits = name.startswith(_EAST_ASIAN) or unicodedata.category(c).startswith("P")
        else:
            fits = unicodedata.category(c)[0] in {"L", "P", "S", "Z", "N"} and not name.startswith(_EAST_ASIAN)
        good += count if fits else 0
    return good >= FIT * wide.total()
