"""The one normalised Windows event, whatever file it was read from.

`.evtx` files, flat JSON-lines exports (OTRF style), Winlogbeat/ECS records and PowerShell
`Get-WinEvent` exports all become an `EventRecord`: when, which channel and provider, which
event id, from which computer, the event's fields as a flat string dict, and where in the
evidence it sits (file and line or record number), so every finding can point back at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

# Windows event levels by the names exports use instead of numbers (Winlogbeat `log.level`,
# Get-WinEvent `LevelDisplayName`).
_LEVEL_NAMES = {
    "critical": 1,
    "error": 2,
    "warning": 3,
    "information": 4,
    "info": 4,
    "verbose": 5,
}
_MS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")  # PowerShell ConvertTo-Json dates
MAX_VALUE = 1 << 16  # a field longer than this is cut: detectors never need more


@dataclass(slots=True)
class EventRecord:
    """One event. `data` holds the event's own fields (EventData/UserData, or the top-level
    fields of a flat export) as strings, plus `Message` when the export rendered one."""

    timestamp: datetime | None
    channel: str
    provider: str
    event_id: int | None
    computer: str
    record_id: int | None
    data: dict[str, str] = field(default_factory=dict)
    level: int | None = None
    source: str = ""  # evidence path, relative to the evidence root
    line: int | None = None  # JSON line number, or the EVTX record number

    def get(self, key: str) -> str:
        """A field's value, or "" when the event does not have it."""
        return self.data.get(key, "")

    def text(self) -> str:
        """Every field value in one string, for message-contains checks on EVTX events that
        carry no rendered message."""
        return "\n".join(self.data.values())


def as_text(value: Any) -> str:
    """A field value as a string: JSON nulls become "", numbers their decimal form, lists one
    item a line, other structures compact JSON; long values are cut. Never recurses deeper than
    one `#text` wrapper, so hostile nesting cannot exhaust the stack."""
    if isinstance(value, dict):
        text = value.get("#text")
        value = text if text is not None else value
    if isinstance(value, list):
        return "\n".join(_scalar_text(v) for v in value)[:MAX_VALUE]
    return _scalar_text(value)


def _scalar_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE else value[:MAX_VALUE]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    try:
        return orjson.dumps(value).decode("utf-8")[:MAX_VALUE]
    except (TypeError, orjson.JSONEncodeError):  # nested deeper than orjson writes, or not JSON
        return _bounded_text(value)[:MAX_VALUE]


_MAX_NESTING = 32
_MAX_NODES = 4096


def _bounded_text(value: Any) -> str:
    """Compact text of a structure of any depth or breadth, with at most `_MAX_NESTING` levels
    and `_MAX_NODES` values written: one hostile field nested a thousand deep (or a million wide)
    costs that field's text, never the file."""
    budget = [_MAX_NODES]

    def walk(node: Any, depth: int) -> str:
        budget[0] -= 1
        if depth >= _MAX_NESTING or budget[0] < 0:
            return "..."
        if isinstance(node, dict):
            return (
                "{"
                + ",".join(f"{_scalar_json(k)}:{walk(v, depth + 1)}" for k, v in node.items() if budget[0] > 0)
                + "}"
            )
        if isinstance(node, list | tuple):
            return "[" + ",".join(walk(v, depth + 1) for v in node if budget[0] > 0) + "]"
        return _scalar_json(node)

    return walk(value, 0)


def _scalar_json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return repr(type(value).__name__)


def parse_event_id(value: Any) -> int | None:
    """EventID as exports write it: 4688, "4688", {"#text": 6, "#attributes": {...}}."""
    if isinstance(value, dict):
        value = value.get("#text")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = value.strip()
        if value.isdigit() and len(value) <= 10:
            return int(value)
    return None


def parse_record_id(value: Any) -> int | None:
    number = parse_event_id(value)
    return number if number is not None and number >= 0 else None


def parse_level(value: Any) -> int | None:
    if isinstance(value, str) and not value.strip().isdigit():
        return _LEVEL_NAMES.get(value.strip().lower())
    return parse_event_id(value)


def parse_timestamp(value: Any) -> datetime | None:
    """A UTC datetime from the shapes event exports use: ISO 8601 with or without zone
    (zone-less times are UTC, as Sysmon's UtcTime is), `/Date(ms)/`, or epoch numbers."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, dict):
        return parse_timestamp(
            value.get("#attributes", {}).get("SystemTime")
            if isinstance(value.get("#attributes"), dict)
            else value.get("SystemTime")
        )
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if text.startswith("/Date("):
        match = _MS_DATE.match(text)
        return parse_timestamp(int(match.group(1))) if match else None
    if text.endswith(" UTC"):
        text = text[:-4]
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        return None
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)
