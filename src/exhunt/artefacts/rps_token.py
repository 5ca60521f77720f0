"""Decode ProxyShell's `X-Rps-CAT` token: which account the attacker impersonated.

The token is base64 of a small binary structure (docs/logs.md#iis, docs/detection/proxyshell.md): one-letter tags
each followed by a one-byte length and text, among them `L` (the logon name, a UPN) and `U`
(the user SID), then group SIDs. A forged or damaged token is read as far as it goes: the
tagged strings first, then any printable SID or UPN in it.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from exhunt.artefacts.urls import decode_uri

MAX_TOKEN = 16 * 1024
_SID = re.compile(r"S-1-\d+(?:-\d+){1,14}")
_UPN = re.compile(r"[A-Za-z0-9._%+$'-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_ACCOUNT = re.compile(r"^[\w.$'@\\ -]{1,256}$")


@dataclass(frozen=True, slots=True)
class RpsToken:
    user: str | None
    sid: str | None
    auth_type: str | None
    strings: tuple[str, ...]  # printable runs, for the responder to read


def _b64(text: str) -> bytes | None:
    text = "".join(text.split())
    text += "=" * (-len(text) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(text)
        except (binascii.Error, ValueError):
            continue
    return None


def _tagged(data: bytes, tag: int) -> list[str]:
    out = []
    for i in range(len(data) - 2):
        if data[i] != tag:
            continue
        n = data[i + 1]
        chunk = data[i + 2 : i + 2 + n]
        if n and len(chunk) == n and all(32 <= b < 127 for b in chunk):
            out.append(chunk.decode("ascii"))
    return out


def printable_runs(data: bytes, minimum: int = 4) -> list[str]:
    return [m.group().decode("ascii") for m in re.finditer(rb"[\x20-\x7e]{%d,}" % minimum, data)]


def decode_rps_cat(value: str) -> RpsToken | None:
    """The impersonated account in an `X-Rps-CAT` value (URL-encoded base64), or None."""
    raw = _b64(decode_uri(value[:MAX_TOKEN]).strip())
    if not raw:
        return None
    sids = [s for s in _tagged(raw, ord("U")) if _SID.fullmatch(s)]
    users = [u for u in _tagged(raw, ord("L")) if _ACCOUNT.match(u)]
    auth = [a for a in _tagged(raw, ord("A")) if a.isalpha()]
    runs = printable_runs(raw)
    text = "\n".join(runs)
    sid = sids[0] if sids else next((m.group() for m in _SID.finditer(text)), None)
    user = users[0] if users else next((m.group() for m in _UPN.finditer(text)), None)
    if user is None and sid is None:
        return None
    return RpsToken(user, sid, auth[0] if auth else None, tuple(runs[:20]))
