"""The .NET and VB library calls folding computes on constants: `Convert`, `Encoding`, string methods..."""

from __future__ import annotations

import html
import re
import urllib.parse
from collections.abc import Callable

from exhunt.codeanalysis.fold.literals import int_literal
from exhunt.codeanalysis.fold.values import (
    MAX_VALUE,
    TooLarge,
    Value,
    as_bytes,
    as_text,
    as_texts,
    char_of,
    decode_base64,
    joined_text,
    replaced,
    text_of,
)

# The integer types whose `Parse` folds, by the names C# and VB give them: their ranges.
_NUMBER_TYPES = {
    "byte": (0, 255),
    "sbyte": (-128, 127),
    "short": (-(2**15), 2**15 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "ushort": (0, 2**16 - 1),
    "uint16": (0, 2**16 - 1),
    "int": (-(2**31), 2**31 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "uint32": (0, 2**32 - 1),
    "long": (-(2**63), 2**63 - 1),
    "int64": (-(2**63), 2**63 - 1),
}


# Which type a static function must be called on (its last segment before the name, "" when
# called bare): an instance method of a value the folder cannot see, as `now.ToString("N")` or
# `list.Concat(more)`, is not the static function of that name and folds to nothing.
_OWNERS = {
    "tostring": frozenset({"", "convert", "conversions"}),
    "cstr": frozenset({""}),
    "concat": frozenset({"string"}),
    "join": frozenset({"", "string", "strings", "visualbasic"}),
    "format": frozenset({"string"}),
}


_REGEX_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}]")


# .NET's `Regex.Unescape`: `\xHH`, `\uHHHH`, octal `\0`-`\777`, `\cX` and the letter escapes; a
# backslash before any other character stands for that character.
_REGEX_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|([0-7]{1,3})|c([A-Za-z])|(.))", re.S)


_REGEX_LETTERS = {"a": "\a", "b": "\b", "t": "\t", "r": "\r", "v": "\v", "f": "\f", "n": "\n", "e": "\x1b"}


_MAX_SPACE = 4096  # VB's `Space(n)` folded up to this many spaces (names and commands are short)


def builder_step(built: str, name: str, vals: list[Value | None]) -> str | None:
    """One `Append(x)`, `Insert(i, x)` or `Replace(a, b)` of a StringBuilder on its text (the
    last two as the string methods of those names do)."""
    if name == "append" and len(vals) == 1:
        piece = text_of(vals[0])
        return joined_text([built, piece]) if piece is not None else None
    if name in {"insert", "replace"} and len(vals) == 2:
        out = method(name, built, vals)
        return out if isinstance(out, str) else None
    return None


def _decode(data: bytes, encoding_path: str) -> str:
    if "unicode" in encoding_path or "utf16" in encoding_path or "utf-16" in encoding_path:
        return data.decode("utf-16-le", "replace")
    if "utf32" in encoding_path:
        return data.decode("utf-32-le", "replace")
    return data.decode("utf-8", "replace")


def function(name: str, path: str, vals: list[Value | None]) -> Value | None:
    """Static and global functions over folded arguments."""
    owners = _OWNERS.get(name)
    if owners is not None and path.removesuffix(name).rstrip(".").rsplit(".", 1)[-1] not in owners:
        return None
    if any(v is None for v in vals) and name not in {"concat"}:
        return None
    return _asked(_FAMILIES, name, path, vals)


class _NotMine:
    """A family's answer for a call it does not fold: the next family is asked."""


_NOT_MINE = _NotMine()
_Folded = Value | None | _NotMine
_Family = Callable[[str, str, list[Value | None]], _Folded]


def _asked(families: tuple[_Family, ...], name: str, text_: str, vals: list[Value | None]) -> Value | None:
    """The first family's answer for a call (`text_`: the function's path, or the text a method
    is called on), None when none folds it."""
    for family in families:
        out = family(name, text_, vals)
        if not isinstance(out, _NotMine):
            return out
    return None


def _joined(name: str, path: str, vals: list[Value | None]) -> _Folded:
    """`String.Concat`, `String.Join` (and VB's `Join`) and `String.Format`."""
    first = vals[0] if vals else None
    if name == "concat":
        if any(v is None for v in vals):
            return None
        flat: list[Value | None] = []
        for v in vals:
            flat.extend(v if isinstance(v, list) else [v])
        parts = [text_of(v) for v in flat]
        return joined_text([p for p in parts if p is not None]) if all(p is not None for p in parts) else None
    if name == "join" and len(vals) in {1, 2} and isinstance(first, list):  # VB's Join(array[, separator])
        sep = vals[1] if len(vals) == 2 else " "
        texts = as_texts(first)
        return joined_text(texts, sep) if texts is not None and isinstance(sep, str) else None
    if name == "join" and len(vals) >= 2 and isinstance(first, str):
        items = vals[1] if len(vals) == 2 and isinstance(vals[1], list) else vals[1:]
        texts = as_texts(items)
        return joined_text(texts, first) if texts is not None else None
    if name == "format" and isinstance(first, str):
        args = vals[1:] if not (len(vals) == 2 and isinstance(vals[1], list)) else vals[1]
        out = first
        for i, a in enumerate(args):
            hole = re.compile(r"\{" + str(i) + r"(?:[,:][^}]*)?\}")
            if len(out) + len(hole.findall(out)) * len(str(a)) > MAX_VALUE:
                raise TooLarge
            out = hole.sub(lambda _m, a=a: str(a), out)  # type: ignore[misc]
        return out.replace("{{", "{").replace("}}", "}")
    return _NOT_MINE


def _encoded(name: str, path: str, vals: list[Value | None]) -> _Folded:
    """Base64 and hex texts to bytes, character codes to text, digits in base 2, 8 or 16."""
    first = vals[0] if vals else None
    if name == "frombase64string" and isinstance(first, str):
        return decode_base64(first)
    if name == "fromhexstring" and isinstance(first, str):
        try:
            return bytes.fromhex(first)
        except ValueError:
            return None
    if name in {"chr", "chrw", "tochar", "fromcharcode", "convertfromutf32"}:
        if all(isinstance(v, int) for v in vals):
            return "".join(char_of(v) for v in vals if isinstance(v, int))
        return None
    if name in {"toint32", "toint16", "tobyte", "touint16"} and len(vals) == 2 and isinstance(first, str):
        base = vals[1]
        if base not in {2, 8, 16}:
            return None
        try:
            parsed = int(first.strip(), base) if isinstance(base, int) else None
        except ValueError:
            return None
        return parsed & 0xFF if name == "tobyte" and parsed is not None else parsed
    return _NOT_MINE


def _numbers(name: str, path: str, vals: list[Value | None]) -> _Folded:
    """`int.Parse` and the like, VB's `CByte`, `CInt` and `Asc`, `Convert.ToInt32` of one value."""
    first = vals[0] if vals else None
    owner = path.removesuffix(f".{name}").rsplit(".", 1)[-1]
    if name == "parse" and owner in _NUMBER_TYPES and isinstance(first, str) and len(vals) == 1:
        try:
            number = int(first.strip())  # `int.Parse("83")`: decimal, with a sign and spaces around
        except ValueError:
            return None
        low, high = _NUMBER_TYPES[owner]
        return number if low <= number <= high else None
    if name == "cbyte" and isinstance(first, int) and not isinstance(first, bool):
        return first if 0 <= first <= 255 else None  # VB's CByte: out of range it throws
    if name in {"toint32", "toint16", "tobyte", "asc", "ascw", "cint"} and isinstance(first, (int, str)):
        if isinstance(first, int):
            return first
        if len(first) == 1:
            return ord(first)
        return int_literal(first)
    return _NOT_MINE


def _texts(name: str, path: str, vals: list[Value | None]) -> _Folded:
    """VB's string functions (`StrReverse`, `Mid`, `Len`, `Split`, `Space`...), `Regex.Replace`
    with a plain pattern, and `Array.Reverse`."""
    first = vals[0] if vals else None
    if name == "strreverse" and isinstance(first, str):
        return first[::-1]
    if name == "replace" and path.endswith("regex.replace") and len(vals) == 3:
        pattern, replacement = vals[1], vals[2]
        plain = isinstance(pattern, str) and pattern and not _REGEX_SPECIAL.search(pattern)
        if isinstance(first, str) and plain and isinstance(replacement, str) and "$" not in replacement:
            return replaced(first, str(pattern), replacement)  # a pattern without metacharacters is plain text
        return None
    if isinstance(first, str) and path in _vb_paths(name) and (vb := _vb_string(name, first, vals[1:])) is not None:
        return vb
    if name == "len" and len(vals) == 1 and isinstance(first, str) and path in _vb_paths(name):
        return len(first)  # VB's `Len(s)`
    if name == "split" and isinstance(first, str) and path in _vb_paths(name) and 1 <= len(vals) <= 3:
        return _vb_split(first, vals[1:])  # VB's `Split(s[, delimiter[, limit]])`
    if name == "space" and len(vals) == 1 and isinstance(first, int) and path in _vb_paths(name):
        return " " * first if 0 <= first <= _MAX_SPACE else None  # VB's `Space(n)`
    if name == "reverse" and path.startswith("array.") and isinstance(first, list):
        return first[::-1]
    return _NOT_MINE


_URL_UNESCAPES = frozenset(
    {"unescape", "decodeuricomponent", "decodeuri", "urldecode", "unescapedatastring", "unescapeuristring"}
)


def _unescaped(name: str, path: str, vals: list[Value | None]) -> _Folded:
    """HTML, regex and URL escapes undone, bytes decoded to text and text encoded to bytes, and
    `CStr`/`Convert.ToString`."""
    first = vals[0] if vals else None
    if name == "htmldecode" and isinstance(first, str):
        return html.unescape(first)
    if name == "unescape" and path.endswith("regex.unescape"):
        return _regex_unescaped(first) if isinstance(first, str) else None
    if name in _URL_UNESCAPES and isinstance(first, str):
        text_ = re.sub(r"%u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), first)
        return urllib.parse.unquote(text_)
    if name in {"getstring"} and (data := as_bytes(first)) is not None:
        return _decode(data, path)
    if name == "getbytes" and isinstance(first, str):
        return first.encode("utf-16-le" if "unicode" in path else "utf-8", "replace")
    if name in {"cstr", "tostring"} and isinstance(first, (str, int)):
        return str(first)
    return _NOT_MINE


# Tried in this order: a family that folds a call of that name and those arguments answers,
# even with nothing (`Convert.ToInt32("zz", 16)` is no number), and the later ones are not asked.
_FAMILIES = (_joined, _encoded, _numbers, _texts, _unescaped)


def _regex_unescaped(text_: str) -> str | None:
    """What `Regex.Unescape` gives for a text, or None for a backslash at its end (an error)."""
    if text_.endswith("\\") and (len(text_) - len(text_.rstrip("\\"))) % 2:
        return None

    def one(m: re.Match[str]) -> str:
        hex2, hex4, octal, control, other = m.groups()
        if hex2 or hex4:
            return chr(int(hex2 or hex4, 16))
        if octal:
            return chr(int(octal, 8) & 0xFF)
        if control:
            return chr(ord(control.upper()) - 64)
        return _REGEX_LETTERS.get(other, other)

    return _REGEX_ESCAPE.sub(one, text_)


def _vb_split(s: str, rest: list[Value | None]) -> list[Value] | None:
    """VB's `Split(s, delimiter, limit)`: the delimiter is a space when left out, and a whole
    string (not a set of characters); an empty one gives the string whole; a limit of -1 is none."""
    delimiter = rest[0] if rest else " "
    limit = rest[1] if len(rest) > 1 else -1
    if not isinstance(delimiter, str) or not isinstance(limit, int) or isinstance(limit, bool):
        return None
    if limit == 0:
        return []
    if delimiter == "":
        return [s]
    parts = s.split(delimiter, limit - 1) if limit > 0 else s.split(delimiter)
    return list(parts)


def _vb_paths(name: str) -> tuple[str, ...]:
    """How a VB string function is written: bare, or through its module."""
    return (name, f"strings.{name}", f"microsoft.visualbasic.strings.{name}", f"microsoft.visualbasic.{name}")


def _vb_string(name: str, s: str, rest: list[Value | None]) -> str | None:
    """VB's string functions (`Mid`, `Left`, `Right`, `Replace`, `LCase`, `UCase`, `Trim`),
    whose positions count from 1."""
    a = rest[0] if rest else None
    b = rest[1] if len(rest) > 1 else None
    if name == "mid" and isinstance(a, int) and a >= 1:
        return s[a - 1 : a - 1 + b] if isinstance(b, int) and b >= 0 else s[a - 1 :]
    if name == "left" and isinstance(a, int) and len(rest) == 1:
        return s[: max(a, 0)]
    if name == "right" and isinstance(a, int) and len(rest) == 1:
        return s[len(s) - a :] if 0 < a <= len(s) else s if a > len(s) else ""
    if name == "replace" and len(rest) == 2 and isinstance(a, str) and isinstance(b, str):
        return replaced(s, a, b)
    if rest:
        return None
    if name == "lcase":
        return s.lower()
    if name == "ucase":
        return s.upper()
    if name == "trim":
        return s.strip(" ")
    if name == "ltrim":
        return s.lstrip(" ")
    if name == "rtrim":
        return s.rstrip(" ")
    return None


def method(name: str, base: Value, vals: list[Value | None]) -> Value | None:
    """Instance methods on a folded receiver."""
    if any(v is None for v in vals):
        return None
    out = _on_any(name, base, vals)
    if not isinstance(out, _NotMine):
        return out
    s = as_text(base) if not isinstance(base, bytes) else None
    if s is None:
        return None
    return _asked(_TEXT_METHODS, name, s, vals)


def _on_any(name: str, base: Value, vals: list[Value | None]) -> _Folded:
    """Methods of any folded value: conversions that keep it, a constant stream's reads,
    `Reverse`, LINQ's picks, and an array's `Join` or a string's `Concat`."""
    a = vals[0] if vals else None
    if name in {"tostring", "toarray", "tochararray", "tolist", "valueof", "clone"}:
        if name == "tochararray" and isinstance(base, str):
            return list(base)
        return base
    if isinstance(base, bytes) and name in {"readtoend", "getbuffer", "readbytes"}:
        # a constant stream read to its end (`StreamReader.ReadToEnd` as text, UTF-8 as its
        # default), its buffer, or its first bytes (`BinaryReader.ReadBytes(n)`)
        if name == "readtoend":
            wide = base.startswith((b"\xff\xfe", b"\xfe\xff"))
            return base.decode("utf-16" if wide else "utf-8-sig", "replace")
        if name == "readbytes":
            return base[:a] if isinstance(a, int) and a >= 0 else None
        return base
    if name == "reverse":
        if isinstance(base, (str, list)):
            return base[::-1]
        return None
    if isinstance(base, (str, list)) and (picked := _picked(name, base, vals)) is not None:
        return picked
    if name == "join" and isinstance(base, list):
        sep = a if isinstance(a, str) else ","
        texts = as_texts(base)
        return joined_text(texts, sep) if texts is not None else None
    if name == "concat" and isinstance(base, str):
        return joined_text([base, *(x if isinstance(x, str) else str(x) for x in vals if isinstance(x, (str, int)))])
    return _NOT_MINE


def _cut(name: str, s: str, vals: list[Value | None]) -> _Folded:
    """`Replace`, `Substring`/`substr`, `slice`, `Remove`, `Insert` and the case changes."""
    a = vals[0] if vals else None
    b = vals[1] if len(vals) > 1 else None
    if name == "replace" and isinstance(a, str) and isinstance(b, str):
        return replaced(s, a, b)
    if name in {"substring", "substr"} and isinstance(a, int):
        if isinstance(b, int):
            return s[a : a + b]
        return s[a:]
    if name == "slice" and isinstance(a, int):
        return s[a : b if isinstance(b, int) else None]
    if name == "remove" and isinstance(a, int):
        return s[:a] + (s[a + b :] if isinstance(b, int) else "")
    if name == "insert" and isinstance(a, int) and isinstance(b, str):
        return joined_text([s[:a], b, s[a:]])
    if name in {"tolower", "tolowerinvariant", "tolowercase"}:
        return s.lower()
    if name in {"toupper", "toupperinvariant", "touppercase"}:
        return s.upper()
    return _NOT_MINE


def _trimmed(name: str, s: str, vals: list[Value | None]) -> _Folded:
    """`Trim`, `TrimStart`, `TrimEnd` (of the characters given, else white space), `PadLeft`
    and `PadRight`."""
    a = vals[0] if vals else None
    b = vals[1] if len(vals) > 1 else None
    if name in {"trim", "trimstart", "trimend"}:
        chars: list[str] = []
        for v in vals:
            if isinstance(v, str):
                chars.append(v)
            elif isinstance(v, list) and all(isinstance(x, str) for x in v):
                chars.extend(x for x in v if isinstance(x, str))
            else:
                return None
        strip = {"trim": s.strip, "trimstart": s.lstrip, "trimend": s.rstrip}[name]
        return strip("".join(chars)) if chars else strip()
    if name in {"padleft", "padright"} and isinstance(a, int) and (b is None or (isinstance(b, str) and len(b) == 1)):
        if a > MAX_VALUE:
            raise TooLarge
        fill = b if isinstance(b, str) else " "
        return s.rjust(a, fill) if name == "padleft" else s.ljust(a, fill)
    return _NOT_MINE


def _pieces(name: str, s: str, vals: list[Value | None]) -> _Folded:
    """`Split`, and JavaScript's `charAt` and `charCodeAt`."""
    a = vals[0] if vals else None
    if name == "split":
        pieces: list[Value] = list(s) if a == "" else list(s.split(a if isinstance(a, str) else None))
        return pieces
    if name == "charat" and isinstance(a, int):
        return s[a : a + 1]
    if name == "charcodeat" and (a is None or isinstance(a, int)):  # JavaScript: the code of one character
        at = a or 0
        return ord(s[at]) if 0 <= at < len(s) else None
    return _NOT_MINE


_TEXT_METHODS = (_cut, _trimmed, _pieces)


def _picked(name: str, base: str | list[Value], vals: list[Value | None]) -> Value | None:
    """LINQ's `Skip(n)`, `Take(n)`, `ElementAt(i)`, `First()`, `Last()` on a folded string or
    array (a string's items are its characters, as LINQ walks them)."""
    items: list[Value] = list(base) if isinstance(base, str) else base
    n = vals[0] if len(vals) == 1 else None
    if name in {"skip", "take"} and isinstance(n, int):
        return items[max(n, 0) :] if name == "skip" else items[: max(n, 0)]
    if name == "elementat" and isinstance(n, int) and 0 <= n < len(items):
        return items[n]
    if name in {"first", "last"} and not vals and items:
        return items[0] if name == "first" else items[-1]
    return None
