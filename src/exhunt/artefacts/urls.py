"""Request URLs as logged: the full URI, bounded URL-decoding, and Exchange's query additions."""

from __future__ import annotations

import re
from urllib.parse import unquote

# Attackers stack encodings (`%2550` -> `%50` -> `P`); a few rounds undo any real-world stack
# while a hostile value cannot make decoding loop.
MAX_DECODE_ROUNDS = 5

_CAFE_REQ_ID = re.compile(r"cafeReqId=([0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})")


def decode_uri(text: str, rounds: int = MAX_DECODE_ROUNDS) -> str:
    """URL-decode until nothing changes (at most `rounds` times). `+` stays `+`, as IIS and the
    rewrite module's UrlDecode treat it in paths (docs/detection/mitigations.md#eomtv2-rule)."""
    for _ in range(rounds):
        if "%" not in text:
            break
        decoded = unquote(text, errors="replace")
        if decoded == text:
            break
        text = decoded
    return text


def full_uri(stem: str, query: str) -> str:
    """Stem and query joined as the client sent them; IIS logs them apart, split at the first
    `?`, and rules about the whole URI must see both (docs/logs.md#iis). HttpProxy's
    UrlQuery keeps its leading `?`."""
    if not query:
        return stem
    if query.startswith("?"):
        return stem + query
    return f"{stem}?{query}"


def cafe_request_id(query: str) -> str | None:
    """The front end's request id that Exchange appends to IIS queries (`&cafeReqId=<guid>;`);
    the same GUID is the HttpProxy RequestId of that request (docs/logs.md#iis)."""
    m = _CAFE_REQ_ID.search(query)
    return m.group(1) if m else None


def query_value(query: str, name: str) -> str | None:
    """The raw value of one query parameter (case-insensitive name), or None."""
    m = re.search(r"(?:^|[?&;])" + re.escape(name) + r"=([^&;]*)", query, re.IGNORECASE)
    return m.group(1) if m else None
