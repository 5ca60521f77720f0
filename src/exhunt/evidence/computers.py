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

from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.evidence.entries import Entry
from exhunt.evidence.names import clean_host_name
from exhunt.evidence.tree import Tree
from exhunt.model import ArtefactKind

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


def file_computer(file: EvidenceFile) -> str | None:
    """The computer named by the first events of one event file (a bounded prefix)."""
    try:
        with file.open() as fh:
            data = fh.read(_EVTX_PREFIX if file.kind is ArtefactKind.EVTX else _PREFIX)
    except OSError:
        return None
    return _evtx_computer(data) if file.kind is ArtefactKind.EVTX else _text_computer(data)


def split_by_computer(hosts: list[HostEvidence]) -> list[HostEvidence]:
    """Each host whose event files name several computers becomes one host per computer (its
    event files, by the computer of their first events), plus the host itself for everything else.
    A file that mixes computers stays with the computer of its first events: said in a note."""
    out: list[HostEvidence] = []
    for host in hosts:
        groups: dict[str, list[EvidenceFile]] = {}
        rest: list[EvidenceFile] = []
        for f in host.files:
            computer = file_computer(f) if f.kind in (ArtefactKind.EVTX, ArtefactKind.EVENT_JSON) else None
            if computer:
                groups.setdefault(computer.lower(), []).append(f)
            else:
                rest.append(f)
        if len(groups) < 2:
            out.append(host)
            continue
        for files in groups.values():
            name = file_computer(files[0]) or host.name
            note = (
                f"split from {host.name} by the computer its events name (--split-by-computer); "
                "a file holding several computers' events stays with the first one's"
            )
            out.append(
                HostEvidence(name, host.root, host.layout, files, host.exchange_install, [*host.notes, note], [], name)
            )
        if rest or host.errors:
            host.files = rest
            host.notes.append(f"event files of {len(groups)} computers hunted as hosts of their own")
            out.append(host)
    return out
