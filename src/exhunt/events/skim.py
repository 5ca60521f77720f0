"""The System header of one `evtx` JSON record, decoded without building the rest of the record.

Most events of a Windows server (service state changes, logons, driver messages) are wanted by
no detector and no Sigma rule; for them only the time, channel and computer matter (coverage and
host names). Decoding the whole record into Python objects and building the normalised event
costs several times what the Rust parser spent producing it, so the header is decoded first
(`system_head`: msgspec reads the whole text, validating it as JSON, but makes Python objects of
the six header values only), and only events someone could want are decoded in full.

The decoding is strict: a header value of another type than the parser writes (an event id that
is not a number, a null channel, no provider name...) gives `None`, and the caller decodes the
record in full, so an event is never judged on a header the full decoding would read otherwise.
Duplicate keys resolve as in the full decoding (the last one wins).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

import msgspec

from exhunt.events.record import MAX_VALUE, parse_timestamp


class _ProviderAttributes(msgspec.Struct, gc=False):
    Name: str = ""


class _Provider(msgspec.Struct, gc=False):
    attributes: _ProviderAttributes = msgspec.field(name="#attributes", default_factory=_ProviderAttributes)


class _QualifiedId(msgspec.Struct, gc=False, frozen=True):  # frozen: hashable, part of a key
    """`<EventID Qualifiers="16384">7036</EventID>` of classic event sources."""

    number: int | None = msgspec.field(name="#text", default=None)


class _TimeAttributes(msgspec.Struct, gc=False):
    SystemTime: str = ""


class _TimeCreated(msgspec.Struct, gc=False):
    attributes: _TimeAttributes = msgspec.field(name="#attributes", default_factory=_TimeAttributes)


class System(msgspec.Struct, gc=False):
    """The System element as decoded (`decode_system`); `head_of` checks and flattens it."""

    Provider: _Provider
    EventID: int | _QualifiedId
    TimeCreated: _TimeCreated
    EventRecordID: int
    Channel: str
    Computer: str


class _Event(msgspec.Struct, gc=False):
    System: System


class _Record(msgspec.Struct, gc=False):
    Event: _Event


_DECODER = msgspec.json.Decoder(_Record)


class Head(NamedTuple):
    provider: str
    event_id: int
    created: str  # TimeCreated/SystemTime as written
    record_id: int
    channel: str
    computer: str


def decode_system(text: str) -> System | None:
    """The System element of one record of `PyEvtxParser(...).records_json()`, as decoded; None
    when the text is not JSON or the element not of the parser's types (decode it in full).
    Its values are still to be checked (`head_of`); the caller that keeps its decisions per
    (Provider Name, EventID, Channel, Computer) checks each of those once."""
    try:
        return _DECODER.decode(text).Event.System
    except msgspec.DecodeError:  # ValidationError is one too
        return None


def head_of(system: System) -> Head | None:
    """The header of a decoded System element, or None when it is not in the parser's usual
    shape (then decode the record in full)."""
    number = system.EventID
    event_id = number if isinstance(number, int) else number.number
    if event_id is None:
        return None
    provider = system.Provider.attributes.Name
    if not provider or len(provider) > MAX_VALUE:  # the full decoding: EventSourceName, or cut
        return None
    return Head(
        provider,
        event_id,
        system.TimeCreated.attributes.SystemTime,
        system.EventRecordID,
        system.Channel,
        system.Computer,
    )


def system_head(text: str) -> Head | None:
    """The header of one record of `PyEvtxParser(...).records_json()`, or None when it is not
    in the parser's usual shape (then decode it in full)."""
    system = decode_system(text)
    return None if system is None else head_of(system)


def system_time(text: str) -> datetime | None:
    """TimeCreated's SystemTime ("2021-03-03T05:00:00.123456Z") as a UTC datetime, as the full
    decoding reads it."""
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return parse_timestamp(text)
    return ts if ts.tzinfo is UTC else parse_timestamp(text)
