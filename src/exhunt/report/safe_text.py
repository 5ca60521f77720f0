"""Attacker text made safe for a terminal: no control characters, no escape sequences."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, limit: int | None = None) -> str:
    """Show control characters (and bidi overrides) as \\xNN so a logged value can neither move
    the cursor, recolour the terminal nor reorder what the reader sees."""
    out = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\t", " "))
    if limit is not None and len(out) > limit:
        out = out[: limit - 1] + "…"
    return out
