"""JSON as event exports write it, including what a strict parser refuses but Windows produces.

A lone UTF-16 surrogate escape (`"\\ud800"`) is valid JSON text that no UTF-8 string can hold;
orjson refuses the whole document for it. An attacker can put one in any field to have the event
skipped, so such escapes are replaced by U+FFFD and the event is read (and the repair counted).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

# An escape for a high surrogate not followed by a low one, or a low one not preceded by a high
# one; group 1 keeps the (even) run of backslashes before it, so `\\ud800` (an escaped backslash
# and the letters "ud800") is left alone.
_LONE_SURROGATE = re.compile(
    rb"((?:^|[^\\])(?:\\\\)*)(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)


def loads(data: bytes) -> tuple[Any, bool]:
    """The parsed document, and whether lone surrogate escapes had to be replaced to read it.
    Raises orjson.JSONDecodeError when it is not JSON even so."""
    try:
        return orjson.loads(data), False
    except orjson.JSONDecodeError:
        if b"\\u" not in data:
            raise
        repaired = _LONE_SURROGATE.sub(rb"\1\\ufffd", data)
        if repaired == data:
            raise
        return orjson.loads(repaired), True
