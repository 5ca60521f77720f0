"""What each file is: decided by its path where the path is conclusive, else by its first bytes.

What makes each kind is declared in the artefact registry (`exhunt.registry`). Paths follow the Exchange and IIS defaults (docs/logs.md#where-the-logs-are); the header lines come from
the log formats themselves (§2.2-§2.7). Only a bounded prefix of a file is ever read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from exhunt.artefacts.siem import is_elastic_iis, is_splunk_iis_header
from exhunt.model import ArtefactKind
from exhunt.registry import ARTEFACTS

SNIFF_BYTES = 64 * 1024  # a JSON event can be longer than 4 KB: a few whole lines are judged
# Extensions worth opening when the path says nothing: logs and exports of logs.
SNIFF_EXTENSIONS = frozenset({".log", ".txt", ".csv", ".json", ".jsonl", ".ndjson", ".xml"})
_JSON_EXTENSIONS = frozenset({".json", ".jsonl", ".ndjson"})


def extension(name_lower: str) -> str:
    dot = name_lower.rfind(".")
    return name_lower[dot:] if dot > 0 else ""


def kind_from_path(parts: tuple[str, ...], *, exchange_logging: bool = False) -> ArtefactKind | None:
    """The kind of a file from its lower-case path components, or None when only content can tell.

    Each artefact in the registry says which extensions, names, `Logging` sub-folders, file names
    and folders make it. `exchange_logging` says the file lies under a known Exchange `Logging`
    folder: a log there in a folder we do not hunt is a plain file, and nothing needs to be
    opened to know it.
    """
    name = parts[-1]
    ext = extension(name)
    for art in ARTEFACTS:
        if ext in art.extensions or name in art.names:
            return art.kind
    folders = parts[:-1]
    if ext == ".log":
        for test in (_logging_kind, _name_kind, _folder_kind):
            kind = test(folders, name)
            if kind is not None:
                return kind
    if exchange_logging:
        return ArtefactKind.FILE
    if ext in SNIFF_EXTENSIONS:
        return None
    return ArtefactKind.FILE


def _logging_kind(folders: tuple[str, ...], name: str) -> ArtefactKind | None:
    """Kinds given by the folders under an Exchange `Logging` folder (docs/logs.md#where-the-logs-are)."""
    for i in range(len(folders) - 1):
        if folders[i] != "logging":
            continue
        below = folders[i + 1 :]
        for art in ARTEFACTS:
            for sub in art.logging_folders:
                if below[: len(sub)] == sub and art.logging_name_word in name:
                    return art.kind
    return None


def _name_kind(folders: tuple[str, ...], name: str) -> ArtefactKind | None:
    """Kinds given by the file names Exchange and IIS write, wherever the file was copied to."""
    for art in ARTEFACTS:
        if art.name_pattern is not None and art.name_pattern.search(name):
            return art.kind
    return None


def _folder_kind(folders: tuple[str, ...], name: str) -> ArtefactKind | None:
    """Kinds given by a folder the file lies in (`W3SVC1`, `HTTPERR`)."""
    for art in ARTEFACTS:
        if art.folder_test is not None and any(art.folder_test(f) for f in folders):
            return art.kind
    return None


def decode_prefix(data: bytes) -> str:
    """Text of a file's first bytes: UTF-16 (with or without BOM), UTF-8 with or without BOM."""
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[:64]
    if len(head) >= 8:
        if head[1::2].count(0) >= len(head) // 2 - 1 and head[0::2].count(0) == 0:
            return data.decode("utf-16-le", errors="replace")
        if head[0::2].count(0) >= len(head) // 2 - 1 and head[1::2].count(0) == 0:
            return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def _first_lines(text: str, count: int) -> list[str]:
    """At least the first `count` lines of `text`, as `text.splitlines()` gives them, without
    splitting the whole prefix when its start already holds them (a line break cut at the end of
    the start can only change the last line there, which is not used)."""
    start = text[:8192].splitlines()
    return start if len(start) > count else text.splitlines()


def kind_from_content(data: bytes, name_lower: str) -> ArtefactKind:
    """The kind of a file from its first bytes (a bounded prefix), `File` when nothing matches."""
    text = decode_prefix(data).replace("\x00", "")
    body = text.lstrip().removeprefix("\ufeff")
    if body.startswith("<"):
        return ArtefactKind.EVENT_JSON if _looks_like_event_xml(body[:SNIFF_BYTES]) else ArtefactKind.FILE
    if extension(name_lower) in _JSON_EXTENSIONS or body[:1] in ("{", "["):
        if _looks_like_event_json(text):
            return next(a.kind for a in ARTEFACTS if a.json_events)
        if _first_record_is(text, is_elastic_iis):
            return ArtefactKind.IIS
        return ArtefactKind.FILE
    if extension(name_lower) == ".csv":
        from exhunt.events.exports import is_event_csv_header

        header = body.split("\n", 1)[0]
        if is_event_csv_header(header):
            return ArtefactKind.EVENT_JSON
        if is_splunk_iis_header(header):
            return ArtefactKind.IIS
    for number, raw in enumerate(_first_lines(text, 24)):
        if number >= 24:
            break
        line = raw.strip()
        low = line.lower()
        if low.startswith("#log-type:"):
            kind = _sniffed(low[len("#log-type:") :].strip(), "log_types")
        elif low.startswith("#software:"):
            kind = _sniffed(low[len("#software:") :].strip(), "software")
        elif low.startswith(("#fields:", "datetime,")):
            # Bare CSV headers (docs/logs.md): the first columns tell the log apart.
            kind = _sniffed(low.removeprefix("#fields:").strip(), "csv_headers")
        elif line and not line.startswith("#"):
            break
        else:
            continue
        if kind is not None:
            return kind
    return ArtefactKind.FILE


def _sniffed(value: str, marker: str) -> ArtefactKind | None:
    """The artefact whose `marker` list (log types, software, CSV headers) starts `value`."""
    for art in ARTEFACTS:
        prefixes: tuple[str, ...] = getattr(art, marker)
        if value.startswith(prefixes):
            return art.kind
    return None


_EVENT_KEYS = re.compile(
    r'"(Channel|EventID|EventId|winlog|winlog\.channel|winlog\.event_id|System|log_name|event_id|_raw)"\s*:'
)
_SNIFF_LINES = 20


def _first_record_is(text: str, test: Callable[[dict[str, Any]], bool]) -> bool:
    """Whether the first complete JSON record of a prefix (a line, or an array's first element)
    passes `test`."""
    body = text.lstrip().removeprefix("[").lstrip()
    for line in body.split("\n")[:-1][:_SNIFF_LINES]:
        line = line.strip().rstrip(",")
        if line.startswith("{"):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            return isinstance(record, dict) and test(record)
    return False


def _looks_like_event_xml(head: str) -> bool:
    """`wevtutil qe /f:xml` output or an Event Viewer XML file: events in Microsoft's schema."""
    return "<Event" in head and ("schemas.microsoft.com/win/2004/08/events/event" in head or "<EventID" in head)


def _looks_like_event_json(text: str) -> bool:
    """True when one of the first records looks like a Windows event (a metadata object or a
    line of another kind may come first), or, when the first record is longer than the prefix,
    by the keys seen so far."""
    body = text.lstrip()
    if body.startswith("["):
        body = body[1:].lstrip()
    lines = body.split("\n")
    complete = lines[:-1] if len(lines) > 1 else []
    for line in complete[:_SNIFF_LINES]:
        line = line.strip().rstrip(",")
        if not line.startswith("{"):
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(record, dict) and _is_event_record(record):
            return True
    keys = {m.group(1) for m in _EVENT_KEYS.finditer(body[:SNIFF_BYTES])}
    if "Channel" in keys and ({"EventID", "EventId"} & keys):
        return True
    if {"log_name", "event_id"} <= keys:
        return True
    return bool(keys & {"winlog", "winlog.channel", "winlog.event_id"})


def _is_event_record(record: dict[str, object]) -> bool:
    if "Channel" in record and ("EventID" in record or "EventId" in record):
        return True
    if "log_name" in record and "event_id" in record:  # Winlogbeat 6
        return True
    result = record.get("result")  # a Splunk export of Windows events
    if isinstance(result, dict):
        raw = result.get("_raw")
        if isinstance(raw, str) and (raw.lstrip().startswith("<Event") or "EventCode=" in raw):
            return True
        if "EventCode" in result:
            return True
    if "winlog.channel" in record or "winlog.event_id" in record:
        return True
    winlog = record.get("winlog")
    if isinstance(winlog, dict) and ("channel" in winlog or "event_id" in winlog):
        return True
    event = record.get("Event")
    system = event.get("System") if isinstance(event, dict) else record.get("System")
    return isinstance(system, dict) and ("EventID" in system or "Channel" in system)
