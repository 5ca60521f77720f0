"""Damage done to a cache entry (`cachefile.write`'s layout: the magic line, a header line of
JSON holding the key's and the payload's digests in hex, the payload), shared by the tests of
every cache built on it."""

from __future__ import annotations

DAMAGES = ["payload", "sum", "key", "magic", "truncated"]


def _hex_digit_of(out: bytearray, field: bytes) -> int:
    """The offset of the first hex digit of the header's `field` (`"key":"...`)."""
    at = out.index(b'"%s":"' % field, 0, out.index(b"\n", out.index(b"\n") + 1))
    return at + len(field) + 4


def damaged(data: bytes, magic: bytes, damage: str) -> bytes:
    """`data` with one part of the entry spoilt (`damage`, one of `DAMAGES`)."""
    out = bytearray(data)
    assert out.startswith(magic + b"\n"), "not an entry of this cache"
    if damage == "payload":
        out[-2] ^= 0x01
    elif damage in {"sum", "key"}:
        at = _hex_digit_of(out, b"sha256" if damage == "sum" else b"key")
        out[at] = ord("0") if out[at] != ord("0") else ord("1")  # still hex, another digest
    elif damage == "magic":
        out[0] ^= 0xFF
    elif damage == "truncated":
        out = out[: len(magic) + 70]  # within the header line
    else:
        raise ValueError(damage)
    return bytes(out)
