"""What folding yields (text, bytes, numbers, arrays), its limits, and the conversions between them."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Sequence

Value = str | bytes | int | list["Value"]


MAX_VALUE = 1 << 20  # longest string or array folded (1 MiB); longer raises `TooLarge`


MAX_DEPTH = 200


MAX_ITEMS = 1 << 16  # most items a LINQ mapping or a range folds (each item costs an evaluation)


# Most items all the LINQ mappings of one folder evaluate together, and most loop turns one folded
# value runs (nested ones multiply).
MAX_MAPPED = 1 << 17


class TooDeep(Exception):
    """An expression nested deeper than the folder follows: the caller reports it."""


class TooSlow(Exception):
    """The folder passed its deadline inside one expression: the caller stops the unit as it does
    at a deadline between nodes (a short LINQ mapping over a long range costs seconds)."""


class TooLarge(Exception):
    """A value that would be longer than `MAX_VALUE` once folded, or a mapping over more than
    `MAX_ITEMS` items: not folded, and the caller reports it (a few bytes of code can name a
    megabyte value many times over)."""


def text_of(v: Value | None) -> str | None:
    """A value as the text it stands for in a string, integers in decimal."""
    return str(v) if isinstance(v, int) else as_text(v)


def as_texts(items: Sequence[Value | None]) -> list[str] | None:
    """Strings as they are and integers in decimal; None when any item is something else."""
    out: list[str] = []
    for x in items:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, int):
            out.append(str(x))
        else:
            return None
    return out


def joined_text(parts: list[str], sep: str = "") -> str:
    """`sep.join(parts)`; `TooLarge` when it would be longer than `MAX_VALUE` (measured first)."""
    if sum(len(p) for p in parts) + len(sep) * max(len(parts) - 1, 0) > MAX_VALUE:
        raise TooLarge
    return sep.join(parts)


def replaced(s: str, old: str, new: str) -> str | None:
    """`s.replace(old, new)`, or None for an empty `old`; `TooLarge` for a result longer than
    `MAX_VALUE` (a short page can replace each letter of a long string with another long one)."""
    if not old:
        return None
    if len(s) + s.count(old) * (len(new) - len(old)) > MAX_VALUE:
        raise TooLarge
    return s.replace(old, new)


def char_of(code: int) -> str:
    return chr(code) if 0 <= code <= 0x10FFFF else "?"


# ---------------------------------------------------------------------- operations
def as_text(v: Value | None) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, list) and v and all(isinstance(x, (str, int)) for x in v):
        return "".join(x if isinstance(x, str) else char_of(x) if isinstance(x, int) else "" for x in v)
    return None


def inflate(data: bytes, gzip: bool) -> bytes | None:
    """GZip or raw deflate data decompressed, as .NET's GZipStream and DeflateStream read it;
    None when it is not such data. Output is bounded by `MAX_VALUE` (`TooLarge` past it): a few
    bytes of a page can decompress to gigabytes."""
    inflater = zlib.decompressobj(31 if gzip else -15)
    try:
        out = inflater.decompress(data, MAX_VALUE + 1)
    except zlib.error:
        return None
    if len(out) > MAX_VALUE:
        raise TooLarge
    return out


def as_bytes(v: Value | None) -> bytes | None:
    if isinstance(v, bytes):
        return v
    if isinstance(v, list) and all(isinstance(x, int) for x in v):
        return bytes(x & 0xFF for x in v if isinstance(x, int))
    return None


def combine(op: str, values: list[Value]) -> Value | None:
    if op in {"+", "&"} and any(isinstance(v, str) for v in values):
        parts = as_texts(values)
        return joined_text(parts) if parts is not None else None
    if op not in {"+", "&"}:
        # A char in arithmetic is its code (`c ^ 5`, `c - 1`): a string supports none of these.
        values = [ord(v) if isinstance(v, str) and len(v) == 1 else v for v in values]
    if all(isinstance(v, int) for v in values):
        ints = [v for v in values if isinstance(v, int)]
        acc = ints[0]
        for v in ints[1:]:
            if op == "+":
                acc += v
            elif op == "-":
                acc -= v
            elif op == "*":
                acc *= v
            elif op in {"^", "Xor"}:
                acc ^= v
            elif op in {"|", "Or"}:
                acc |= v
            elif op in {"&", "And"}:
                acc &= v
            elif op in {"%", "Mod"} and v != 0:
                acc = abs(acc) % abs(v) * (-1 if acc < 0 else 1)  # the sign of the dividend, as C# and JS give it
            else:
                return None
            if abs(acc) > 1 << 32:
                return None
        return acc
    return None


def decode_base64(s: str) -> bytes | None:
    try:
        return base64.b64decode(s.strip() + "=" * (-len(s.strip()) % 4), validate=False)
    except (binascii.Error, ValueError):
        return None


def show(v: Value, limit: int = 200) -> str:
    """A folded value as shown in a finding."""
    if isinstance(v, bytes):
        if v[:2] == b"MZ":
            return f"<{len(v)} bytes: a Windows executable (MZ)>"
        decoded = v.decode("utf-8", "replace")
        if sum(ch.isprintable() for ch in decoded) >= 0.9 * max(1, len(decoded)):
            return decoded[:limit]
        return f"<{len(v)} bytes>"
    t: str | None = as_text(v) if isinstance(v, list) else str(v) if isinstance(v, int) else v
    if t is None:
        return f"<array of {len(v) if isinstance(v, list) else 0}>"
    return t[:limit] + ("..." if len(t) > limit else "")
