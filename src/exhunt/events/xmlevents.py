"""Read Windows events written as XML: `wevtutil qe LOG /f:xml` (one `<Event>` after another, no
root element) and Event Viewer's "Save as XML" (`<Events><Event>...</Event></Events>`).

Parsed with defusedxml (no DTD, no entities, no external references), fed block by block so memory
stays bounded by one event; each `<Event>` becomes the layout the `evtx` parser writes and goes
through the same normaliser as EVTX records. A damaged event costs itself: the parser restarts
after the next `</Event>`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, fromstring

from exhunt.events.normalise import from_evtx_json
from exhunt.events.record import MAX_VALUE, EventRecord
from exhunt.model import Problem, ProblemKind

PRODUCER = "event XML reader"
MAX_EVENT = 4 * 1024 * 1024  # one event's XML; a longer one is junk or an attack on memory
_ERRORS_SHOWN = 5
_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?Event\s*>")
_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Event[\s>/]")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()[:MAX_VALUE]


def event_from_element(event: ET.Element) -> dict[str, Any] | None:
    """One `<Event>` element in the `evtx` JSON layout (`System`, `EventData`, `UserData`,
    `RenderingInfo`), or None when it has no `<System>`."""
    out: dict[str, Any] = {}
    for section in event:
        name = _local(section.tag)
        if name == "System":
            system: dict[str, Any] = {}
            for child in section:
                key = _local(child.tag)
                if child.attrib and not _text(child):
                    system[key] = {"#attributes": {_local(k): v for k, v in child.attrib.items()}}
                else:
                    system[key] = _text(child)
            out["System"] = system
        elif name == "EventData":
            data: dict[str, Any] = {}
            unnamed: list[str] = []
            for child in section:
                field = child.attrib.get("Name")
                if field:
                    data[field] = _text(child)
                else:
                    unnamed.append(_text(child))
            if unnamed:
                data["Data"] = unnamed
            out["EventData"] = data
        elif name == "UserData":
            wrappers = {_local(w.tag): {_local(c.tag): _text(c) for c in w} for w in section}
            out["UserData"] = wrappers
        elif name == "RenderingInfo":
            for child in section:
                if _local(child.tag) == "Message":
                    out["RenderingInfo"] = {"Message": _text(child)}
    return out if isinstance(out.get("System"), dict) else None


def parse_event_xml(text: str | bytes) -> dict[str, Any] | None:
    """One event's XML (Splunk's `XmlWinEventLog` `_raw`), or None when it is not one."""
    try:
        root = fromstring(text, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException, ValueError):
        return None
    return event_from_element(root) if _local(root.tag) == "Event" else None


def read_event_xml(blocks: Iterable[bytes], source: str, errors: list[Problem]) -> Iterator[EventRecord]:
    """The events of one XML export, from UTF-8 blocks; problems go to `errors`."""
    buffer = b""
    bad = 0
    number = 0
    for block in blocks:
        buffer += block
        while True:
            end = _END.search(buffer)
            if end is None:
                if len(buffer) > MAX_EVENT:
                    bad += 1
                    _note(errors, source, bad, f"event XML longer than {MAX_EVENT:,} bytes")
                    buffer = buffer[-64:]
                break
            start = _START.search(buffer, 0, end.start())
            chunk = buffer[start.start() : end.end()] if start else b""
            buffer = buffer[end.end() :]
            number += 1
            event = _parse_one(chunk) if chunk else None
            if event is None:
                bad += 1
                _note(errors, source, bad, f"event {number} is not well-formed event XML")
                continue
            yield from_evtx_json(event, source, number)
    if buffer.strip() and _START.search(buffer):
        bad += 1
        _note(errors, source, bad, "the last event is cut short")
    if bad > _ERRORS_SHOWN:
        errors.append(Problem(source, f"{bad} XML events skipped in all", None, ProblemKind.MALFORMED, PRODUCER))


def _parse_one(chunk: bytes) -> dict[str, Any] | None:
    parser = DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    try:
        parser.feed(chunk)
        root = parser.close()
    except (ET.ParseError, DefusedXmlException, ValueError):
        return None
    return event_from_element(root)


def _note(errors: list[Problem], source: str, n: int, message: str) -> None:
    if n <= _ERRORS_SHOWN:
        errors.append(Problem(source, f"{message}, skipped", None, ProblemKind.MALFORMED, PRODUCER))
