"""One finding as bytes: msgpack, else pickle, for the pipe from the workers and the spill files.

A compromised host gives thousands of findings, and each crosses from a worker to the main
process (pickled) and sits in a temporary file until the outputs read it
(`exhunt.fleet.findingspill`). The default pickle of a frozen dataclass with slots walks
`dataclasses.fields` and sets each field apart, for the finding and each of its facets: about
15 microseconds to pickle and as many to read back, in the main process that every finding of
the hunt goes through. Its msgpack (msgspec) is made and read in a fraction of that.

`packed` is what the spill files hold: msgpack behind `M`, or the pickle behind `P` of a finding
msgpack cannot carry (text with lone surrogates, the undecodable bytes of an evidence file's
name; an integer beyond 64 bits). `reduced` is how a `Finding` pickles: its msgpack when that
reads back equal to it, else its fields as they are, so a pickle never changes a finding (a list
given for a tuple, a value of another type than its field's stays as it was).
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import msgspec

from exhunt.model import Finding

_ENCODE = msgspec.msgpack.Encoder()
_DECODE = msgspec.msgpack.Decoder(Finding)
# What msgpack cannot carry: lone surrogates, integers beyond 64 bits, types it does not know.
_CANNOT = (UnicodeEncodeError, OverflowError, msgspec.EncodeError, TypeError)
_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))


def packed(finding: Finding) -> bytes:
    """The finding as msgpack behind `M`, or pickled behind `P` when msgpack cannot carry it."""
    try:
        return b"M" + _ENCODE.encode(finding)
    except _CANNOT:
        return b"P" + pickle.dumps(finding, protocol=pickle.HIGHEST_PROTOCOL)


def unpacked(data: bytes | memoryview) -> Finding:
    """The finding `packed` made; raises (msgspec's or pickle's error) on other bytes."""
    kind, body = bytes(data[:1]), data[1:]
    if kind == b"M":
        return _DECODE.decode(body)
    if kind == b"P":
        finding = pickle.loads(body)
        if isinstance(finding, Finding):
            return finding
    raise ValueError(f"not a packed finding (it starts with {kind!r})")


def from_msgpack(data: bytes) -> Finding:
    """A finding from its msgpack: what a pickled `Finding` is read back with (`reduced`)."""
    return _DECODE.decode(data)


def reduced(finding: Finding) -> tuple[Any, ...]:
    """`Finding.__reduce__`: its msgpack, when that reads back equal; else its fields."""
    try:
        data = _ENCODE.encode(finding)
        same = _DECODE.decode(data) == finding
    except (*_CANNOT, msgspec.DecodeError):  # a value its field's type does not take
        same = False
    if same:
        return (from_msgpack, (data,))
    return (Finding, tuple(getattr(finding, name) for name in _FIELDS))
