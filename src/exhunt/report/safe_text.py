"""Attacker text made safe for a terminal: no control characters, no escape sequences."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from enum import Enum
from typing import TypeVar, cast

T = TypeVar("T")

# Lone surrogates too: an undecodable byte of a file name, which no UTF-8 output can carry.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str, limit: int | None = None, *, lines: bool = True) -> str:
    """Show control characters (and bidi overrides) as \\xNN so a logged value can neither move
    the cursor, recolour the terminal nor reorder what the reader sees. Without `lines`, a line
    feed is shown so too: a file name (or anything meant as one line) cannot start a line of its
    own that reads as another part of the report."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\t", " "))
    if not lines:
        out = out.replace("\n", "\\x0a")
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out


def printable_middle(text: str, limit: int) -> str:
    """`printable`, shortened in the middle when longer than `limit`: a file's folder is cut
    before its name and line number are (`C/Program Files/…/HttpProxy_2021030306-1.LOG:12`), on
    one line (a line feed shown as \\x0a)."""
    out = printable(text, lines=False)
    if len(out) <= limit:
        return out
    head = (limit - 1) // 3
    return out[:head] + "…" + out[len(out) - (limit - 1 - head) :]


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def valid_unicode(text: str) -> str:
    """`text` as valid Unicode, for formats that must be (STIX): an undecodable byte of a file
    name (a `surrogateescape` lone surrogate) becomes `%XX`, the byte in hex, as browsers show
    such bytes in URLs (no backslash, which a Windows path would split at); any other lone
    surrogate (a `\\ud800` escape in an event) becomes U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(_byte_or_replacement, text)


def _byte_or_replacement(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"%{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else "\ufffd"


def unicode_safe(value: T) -> T:
    """A copy of a model value (dataclasses, tuples, lists, dicts, strings) with every string
    made `valid_unicode`; other values are returned as they are."""
    return cast(T, _clean(value))


def _clean(value: object) -> object:
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return [_clean(v) for v in value]  # a list, or findings read back from a temporary file
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value


_INERT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _stand_in(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # the Control Pictures block: ␛ for ESC, ␇ for BEL
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def inert_same_length(text: str) -> str:
    """`text` with every control character, bidi override and lone surrogate replaced by one
    visible character; `text` itself (the same object) when there was none."""
    if not _INERT.search(text):
        return text
    return _INERT.sub(lambda m: _stand_in(m.group()), text)


# What a terminal acts on or a reader cannot see, but the whitespace a document keeps as such.
_LIVE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert_text(text: str) -> str:
    """`text` with every control character but tab, line feed and carriage return, and every
    bidi override, replaced by one visible character (as `inert_same_length`); lone surrogates
    are left to the writer. For documents (HTML), where escaping makes markup inert but not an
    escape sequence that `cat` would send to a terminal."""
    if not _LIVE.search(text):
        return text
    return _LIVE.sub(lambda m: _stand_in(m.group()), text)
