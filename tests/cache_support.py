"""Damage done to a cache entry (`hscache.write_entry`'s layout: magic, key digest, payload
digest, payload), shared by the tests of every cache built on it."""

from __future__ import annotations

DAMAGES = ["payload", "sum", "key", "magic", "truncated"]


def damaged(data: bytes, magic: bytes, damage: str) -> bytes:
    """`data` with one part of the entry spoilt (`damage`, one of `DAMAGES`)."""
    out = bytearray(data)
    head = len(magic)
    if damage == "payload":
        out[-2] ^= 0x01
    elif damage == "sum":
        out[head + 40] ^= 0xFF
    elif damage == "key":
        out[head + 3] ^= 0xFF
    elif damage == "magic":
        out[0] ^= 0xFF
    elif damage == "truncated":
        out = out[: head + 70]
    else:
        raise ValueError(damage)
    return bytes(out)
