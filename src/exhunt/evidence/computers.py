"""The computer an event export speaks of, read from its first bytes at discovery time.

Per-host folders of bare event exports look alike by structure (`case/EX01/*.evtx`,
`case/EX02/*.evtx`); the `Computer` field of their first events tells them apart. Only a bounded
prefix of at most a few files per folder is read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any, cast

import orjson

from exhunt.evidence.names import clean_host_name
from exhunt.evidence.tree import Entry, Tree

_PREFIX = 64 * 1024
_EVTX_PREFIX = 4096 + 65536  # the file header and the first chunk
_FILES_TRIED = 3
EVENT_EXTENSIONS = (".evtx", ".json", ".jsonl", ".ndjson", ".xml", ".csv")
# The field names exports give the computer (Windows event JSON, Winlogbeat 6, ECS, EvtxECmd,
# Velociraptor, Event Viewer XML).
_JSON_COMPUTER = re.compile(
    rb'"(?:Computer|computer_name|Hostname|ComputerName|MachineName)"\s*:\s*"([^"\\]{1,255})"'
    rb'|"host"\s*:\s*\{[^{}]{0,2000}?"name"\s*:\s*"([^"\\]{1,255})"'
    rb"|<Computer>([^<]{1,255})</Computer>"
)


def is_event_export_name(name_lower: str) -> bool:
    return name_lower.endswith(EVENT_EXTENSIONS)


def first_computer(tree: Tree, entries: Iterable[Entry]) -> str | None:
    """The computer named by the first events of the first event files among `entries`."""
    tried = 0
    for entry in entries:
        name = entry.parts[-1].lower()
        if entry.container or not is_event_export_name(name):
            continue
        tried += 1
        if tried > _FILES_TRIED:
            break
        try:
            if name.endswith(".evtx"):
                found = _evtx_computer(tree.read_prefix(entry, _EVTX_PREFIX))
            else:
                found = _text_computer(tree.read_prefix(entry, _PREFIX))
        except OSError:
            continue
        if found:
            return found
    return None


def _text_computer(data: bytes) -> str | None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 4 and data[1] == 0 and data[3] == 0):
        data = data.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
    match = _JSON_COMPUTER.search(data)
    if match is None:
        return None
    raw = next(g for g in match.groups() if g is not None)
    return clean_host_name(raw.decode("utf-8", errors="replace"))


def _evtx_computer(data: bytes) -> str | None:
    from evtx import PyEvtxParser

    try:
        parser = PyEvtxParser(io.BytesIO(data))
        for record in parser.records_json():
            event = orjson.loads(cast(dict[str, Any], record)["data"])["Event"]
            computer = event["System"].get("Computer")
            return clean_host_name(computer) if isinstance(computer, str) else None
    except (RuntimeError, OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    return None
