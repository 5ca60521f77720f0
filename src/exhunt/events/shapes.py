"""Event shapes that SIEMs and triage tools write, turned into the fields the detectors read.

- Winlogbeat 6 (before ECS): `log_name`, `event_id`, `source_name`, `computer_name`,
  `record_number`, `event_data`, `user_data`, `message`, `@timestamp`.
- EvtxECmd (KAPE's event log module), JSON lines and CSV: `Channel`, `Provider`, `EventId`,
  `EventRecordId`, `Computer`, `TimeCreated`, and `Payload`, the event's data as a JSON string
  `{"EventData": {"Data": [{"@Name": ..., "#text": ...}]}}`.
- Velociraptor `Windows.EventLogs.*` results: `EventTime`, `Computer`, `Channel`, `Provider`,
  `EventID`, `EventRecordID`, and `EventData`/`UserData` as objects.
- Splunk JSON exports (`{"result": {...}}` per line) of `WinEventLog` (classic text in `_raw`:
  `LogName=`, `EventCode=`... then `Message=`) and `XmlWinEventLog` (the event's XML in `_raw`).

Security 4688's message labels and Sysmon's field names end up in the same fields
(`NewProcessName`/`Image`, `CommandLine`, `ParentProcessName`/`ParentImage`), so the process
detectors see one shape whatever the export.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from exhunt.events.record import MAX_VALUE, as_text

# Security 4688 (and 4656/4663) message labels, as the classic text rendering writes them, to the
# EventData names the evtx XML has.
_MESSAGE_LABELS = {
    "new process name": "NewProcessName",
    "process command line": "CommandLine",
    "creator process name": "ParentProcessName",
    "new process id": "NewProcessId",
    "creator process id": "ProcessId",
    "account name": "SubjectUserName",
    "account domain": "SubjectDomainName",
    "object name": "ObjectName",
    "process name": "ProcessName",
    "accesses": "AccessList",
    "access mask": "AccessMask",
}
_MESSAGE_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z ]{0,40}?):\s*(.*?)\s*$")
_SYSMON_NAME = re.compile(r"^[A-Z][A-Za-z]{1,40}$")


def payload_fields(payload: Any) -> dict[str, str]:
    """EvtxECmd's `Payload` (a JSON string, or already an object) as named fields."""
    if isinstance(payload, str):
        if not payload.startswith("{") or len(payload) > 4 * MAX_VALUE:
            return {}
        try:
            payload = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return {}
    if not isinstance(payload, dict):
        return {}
    out: dict[str, str] = {}
    for section in ("EventData", "UserData"):
        value = payload.get(section)
        if isinstance(value, dict):
            out.update(named_data(value))
    return out


def named_data(section: dict[str, Any]) -> dict[str, str]:
    """`{"Data": [{"@Name": n, "#text": v}, ...]}` (XML converted to JSON) as {n: v}; a lone Data
    element is an object, unnamed ones become param1, param2..."""
    out: dict[str, str] = {}
    data = section.get("Data")
    items = data if isinstance(data, list) else [data] if data is not None else []
    unnamed = 0
    for item in items:
        if isinstance(item, dict):
            name = item.get("@Name") or item.get("Name")
            text = as_text(item.get("#text"))
        else:
            name, text = None, as_text(item)
        if isinstance(name, str) and name:
            out[name] = text
        else:
            unnamed += 1
            out[f"param{unnamed}"] = text
    for key, value in section.items():
        if key != "Data" and not key.startswith(("@", "#")):
            if isinstance(value, dict):  # a UserData wrapper element
                out.update({k: as_text(v) for k, v in value.items() if not k.startswith(("@", "#"))})
            else:
                out[key] = as_text(value)
    return out


def message_fields(message: str) -> dict[str, str]:
    """Fields from a rendered message: Security's labels (`New Process Name:`) under their
    EventData names, Sysmon's `Image: ...` lines as they are. The first label of a name wins."""
    out: dict[str, str] = {}
    for line in message.splitlines()[:400]:
        match = _MESSAGE_LINE.match(line)
        if match is None:
            continue
        label, value = match.group(1), match.group(2)
        name = _MESSAGE_LABELS.get(label.strip().lower())
        if name is None and _SYSMON_NAME.match(label):
            name = label
        if name is not None and value and name not in out:
            out[name] = value[:MAX_VALUE]
    return out


def classic_text(raw: str) -> tuple[dict[str, str], str]:
    """Splunk's classic `WinEventLog` text: `Key=value` header lines, then `Message=` and the
    message to the end. Returns the header fields and the message."""
    header: dict[str, str] = {}
    lines = raw.splitlines()
    for n, line in enumerate(lines):
        key, sep, value = line.partition("=")
        if not sep or " " in key.strip():
            continue
        key = key.strip()
        if key == "Message":
            return header, "\n".join([value, *lines[n + 1 :]])[: 4 * MAX_VALUE]
        header[key] = value.strip()
    return header, ""
