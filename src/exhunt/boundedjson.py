"""JSON decoding with a bound on nesting, for text that comes from evidence or from users.

The standard library's decoder recurses once per nesting level, so a few kilobytes of `[`
raise `RecursionError` (not a `ValueError`), which escapes every `except ValueError`. Text is
measured first, in one linear pass, and refused as a `ValueError` when it nests too deep.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 256  # far beyond any real event, config or results file; far below the recursion limit


class TooDeep(ValueError):
    """The JSON text nests deeper than allowed."""


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def nesting_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in `text` (strings skipped), stopping past `limit`."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth = max(depth - 1, 0)
    return deepest


def _check(text: str, max_depth: int) -> None:
    if nesting_depth(text, max_depth) > max_depth:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` that raises `ValueError` (never `RecursionError`) on any input."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8-sig")
    _check(text, max_depth)
    return json.loads(text)


def raw_decode(text: str, *, max_depth: int = MAX_DEPTH) -> tuple[Any, int]:
    """`JSONDecoder().raw_decode` with the same guarantee as `loads`."""
    _check(text, max_depth)
    return json.JSONDecoder().raw_decode(text)
