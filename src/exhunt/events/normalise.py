"""Turn one decoded event (a JSON object) into an `EventRecord`, whichever exporter wrote it.

Shapes understood (README, "Event logs"):
- the `evtx` parser's JSON and exports that keep it (`Event.System`, `Event.EventData`, also
  `System`/`EventData` at the top level as Velociraptor writes them);
- Winlogbeat / ECS (`winlog.channel`, `winlog.event_id`, `winlog.event_data.*`, nested or as
  dotted keys);
- flat exports (`Channel`, `EventID`, `Message`, `TimeCreated`/`@timestamp`, `Hostname`, event
  fields at the top level: OTRF datasets, NXLog);
- PowerShell `Get-WinEvent | ConvertTo-Json` (`LogName`, `Id`, `ProviderName`, `Properties`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from exhunt.events import shapes
from exhunt.events.record import (
    MAX_VALUE,
    EventRecord,
    as_text,
    parse_event_id,
    parse_level,
    parse_record_id,
    parse_timestamp,
)

# Top-level keys of flat exports that describe the event rather than being its data.
_FLAT_SYSTEM_KEYS = frozenset(
    {
        "Channel",
        "EventID",
        "EventId",
        "TimeCreated",
        "@timestamp",
        "Hostname",
        "Computer",
        "ComputerName",
        "SourceName",
        "ProviderName",
        "ProviderGuid",
        "Level",
        "Keywords",
        "Task",
        "EventRecordID",
        "RecordNumber",
        "Opcode",
        "OpcodeValue",
        "Version",
        "EventTime",
        "EventReceivedTime",
        "SeverityValue",
        "Severity",
        "EventType",
        "Provider",
        "EventRecordId",
        "ChunkNumber",
        "SourceFile",
        "ExtraDataOffset",
        "HiddenRecord",
    }
)
_MAX_DEPTH = 4  # EventData nests a level or two; deeper is hostile input, kept as JSON text
_FLAT_TIME_KEYS = ("@timestamp", "TimeCreated", "EventTime", "timestamp", "Timestamp", "SystemTime")


def normalise(doc: Any, source: str = "", line: int | None = None) -> EventRecord | None:
    """The event `doc` describes, or None when it is not recognisably a Windows event."""
    if not isinstance(doc, dict):
        return None
    event = doc.get("Event")
    if isinstance(event, dict) and isinstance(event.get("System"), dict):
        return from_evtx_json(event, source, line)
    if isinstance(doc.get("System"), dict):
        return from_evtx_json(doc, source, line)
    if isinstance(doc.get("winlog"), dict) or "winlog.channel" in doc or "winlog.event_id" in doc:
        return _from_ecs(doc, source, line)
    if "EventID" in doc or "EventId" in doc:
        return _from_flat(doc, source, line)
    if "log_name" in doc and "event_id" in doc:
        return _from_winlogbeat6(doc, source, line)
    result = doc.get("result")
    if isinstance(result, dict) and ("_raw" in result or "EventCode" in result):
        return _from_splunk(result, source, line)
    if "Id" in doc and ("LogName" in doc or "ProviderName" in doc):
        return _from_get_winevent(doc, source, line)
    return None


def from_evtx_json(event: dict[str, Any], source: str, line: int | None = None) -> EventRecord:
    """An event in the `evtx` parser's JSON layout (`System` + `EventData`/`UserData`).

    Every event of an EVTX file passes here, so the common shapes take the short paths. An
    event whose `System` is not an object raises TypeError (the record is not understood)."""
    system = event["System"]
    if not isinstance(system, dict):
        raise TypeError(f"System is {type(system).__name__}, not an object")
    provider = system.get("Provider")
    provider_name = ""
    if isinstance(provider, dict):
        attributes = provider.get("#attributes")
        if isinstance(attributes, dict):
            provider_name = as_text(attributes.get("Name") or attributes.get("EventSourceName"))
    record_id = system.get("EventRecordID")
    if record_id.__class__ is not int:
        record_id = parse_record_id(record_id)
    event_id = system.get("EventID")
    if event_id.__class__ is not int:
        event_id = parse_event_id(event_id)
    level = system.get("Level")
    if level.__class__ is not int:
        level = parse_level(level)
    channel = system.get("Channel")
    computer = system.get("Computer")
    data = event_data_fields(event.get("EventData"))
    user_data = event.get("UserData")
    if user_data is not None:
        data.update(event_data_fields(user_data))
    rendered = event.get("RenderingInfo") or event.get("Message")
    if isinstance(rendered, dict):
        rendered = rendered.get("Message")
    if rendered:
        data["Message"] = as_text(rendered)
    return EventRecord(
        timestamp=_system_time(system.get("TimeCreated")),
        channel=channel if channel.__class__ is str else as_text(channel),
        provider=provider_name,
        event_id=event_id,
        computer=computer if computer.__class__ is str else as_text(computer),
        record_id=record_id,
        data=data,
        level=level,
        source=source,
        line=line if line is not None else record_id,
    )


def _system_time(created: Any) -> datetime | None:
    """TimeCreated is {"#attributes": {"SystemTime": "...Z"}}: parse that directly."""
    try:
        ts = datetime.fromisoformat(created["#attributes"]["SystemTime"])
    except (KeyError, TypeError, ValueError):
        return parse_timestamp(created)
    return ts if ts.tzinfo is UTC else parse_timestamp(created)


def event_data_fields(section: Any, depth: int = 0) -> dict[str, str]:
    """EventData/UserData as flat string fields. Named `<Data Name=...>` become their name;
    unnamed ones become param1, param2... (as Winlogbeat names them); UserData's single
    wrapper element is opened."""
    out: dict[str, str] = {}
    if section is None:
        return out
    if not isinstance(section, dict) or depth > _MAX_DEPTH:
        _unnamed(section, out)
        return out
    for key, value in section.items():
        if value.__class__ is str and len(value) <= MAX_VALUE:
            out[key] = value
        elif key == "#attributes":
            continue
        elif key == "Data":
            if isinstance(value, dict) and "#text" in value:
                _unnamed(value["#text"], out)
            elif isinstance(value, dict):
                out.update(event_data_fields(value, depth + 1))
            else:
                _unnamed(value, out)
        elif isinstance(value, dict) and "#text" not in value:
            # a UserData wrapper element such as <LogFileCleared>
            for inner_key, inner in value.items():
                if inner_key != "#attributes":
                    out[inner_key] = as_text(inner)
        else:
            out[key] = as_text(value)
    return out


def _unnamed(value: Any, out: dict[str, str]) -> None:
    values = value if isinstance(value, list) else [value]
    for n, item in enumerate(values, 1):
        out[f"param{n}"] = as_text(item)


def _from_flat(doc: dict[str, Any], source: str, line: int | None) -> EventRecord:
    data: dict[str, str] = {}
    for key, value in doc.items():
        if key in _FLAT_SYSTEM_KEYS:
            continue
        if key in ("EventData", "UserData") and isinstance(value, dict):
            data.update(event_data_fields(value) if "Data" not in value else shapes.named_data(value))
        elif key == "Payload":  # EvtxECmd: the event's data as a JSON string
            data.update(shapes.payload_fields(value))
        else:
            data.setdefault(key, as_text(value))
    timestamp = None
    for key in _FLAT_TIME_KEYS:
        if key in doc:
            timestamp = parse_timestamp(doc[key])
            if timestamp is not None:
                break
    record_id = parse_record_id(doc.get("EventRecordID", doc.get("EventRecordId", doc.get("RecordNumber"))))
    return EventRecord(
        timestamp=timestamp,
        channel=as_text(doc.get("Channel")),
        provider=as_text(doc.get("SourceName") or doc.get("ProviderName") or doc.get("Provider")),
        event_id=parse_event_id(doc.get("EventID", doc.get("EventId"))),
        computer=as_text(doc.get("Hostname") or doc.get("Computer") or doc.get("ComputerName")),
        record_id=record_id,
        data=data,
        level=parse_level(doc.get("Level")),
        source=source,
        line=line,
    )


def _from_ecs(doc: dict[str, Any], source: str, line: int | None) -> EventRecord:
    winlog = _part(doc, "winlog")
    event_data = winlog.get("event_data")
    if not isinstance(event_data, dict):
        event_data = _dotted(winlog, "event_data.")
    data = {key: as_text(value) for key, value in event_data.items()}
    user_data = winlog.get("user_data")
    if isinstance(user_data, dict):
        data.update({key: as_text(value) for key, value in user_data.items()})
    message = doc.get("message")
    if message:
        data["Message"] = as_text(message)
    event = _part(doc, "event")
    host = _part(doc, "host")
    log = _part(doc, "log")
    event_id = parse_event_id(winlog.get("event_id"))
    if event_id is None:
        event_id = parse_event_id(event.get("code"))
    return EventRecord(
        timestamp=parse_timestamp(doc.get("@timestamp") or event.get("created")),
        channel=as_text(winlog.get("channel")),
        provider=as_text(winlog.get("provider_name") or event.get("provider")),
        event_id=event_id,
        computer=as_text(winlog.get("computer_name") or host.get("name") or host.get("hostname")),
        record_id=parse_record_id(winlog.get("record_id")),
        data=data,
        level=parse_level(log.get("level") or winlog.get("level")),
        source=source,
        line=line,
    )


def _from_get_winevent(doc: dict[str, Any], source: str, line: int | None) -> EventRecord:
    data: dict[str, str] = {}
    properties = doc.get("Properties")
    if isinstance(properties, list):
        values = [p.get("Value") if isinstance(p, dict) else p for p in properties]
        _unnamed(values, data)
    if doc.get("Message"):
        data["Message"] = as_text(doc["Message"])
    return EventRecord(
        timestamp=parse_timestamp(doc.get("TimeCreated")),
        channel=as_text(doc.get("LogName")),
        provider=as_text(doc.get("ProviderName")),
        event_id=parse_event_id(doc.get("Id")),
        computer=as_text(doc.get("MachineName")),
        record_id=parse_record_id(doc.get("RecordId")),
        data=data,
        level=parse_level(doc.get("Level") if doc.get("Level") is not None else doc.get("LevelDisplayName")),
        source=source,
        line=line,
    )


def _part(doc: dict[str, Any], key: str) -> dict[str, Any]:
    """An ECS object, nested (`{"winlog": {...}}`) or written flat with dots (`winlog.channel`)."""
    value = doc.get(key)
    return value if isinstance(value, dict) else _dotted(doc, key + ".")


def _dotted(doc: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Keys written flat with dots (`winlog.event_data.Image`) as a dict one level down."""
    n = len(prefix)
    return {key[n:]: value for key, value in doc.items() if key.startswith(prefix)}


def _from_winlogbeat6(doc: dict[str, Any], source: str, line: int | None) -> EventRecord:
    """Winlogbeat 6 (before ECS): `log_name`, `event_id`, `event_data`, `computer_name`..."""
    data: dict[str, str] = {}
    for section in ("event_data", "user_data"):
        value = doc.get(section)
        if isinstance(value, dict):
            data.update({key: as_text(v) for key, v in value.items()})
    if doc.get("message"):
        data["Message"] = as_text(doc["message"])
    return EventRecord(
        timestamp=parse_timestamp(doc.get("@timestamp")),
        channel=as_text(doc.get("log_name")),
        provider=as_text(doc.get("source_name")),
        event_id=parse_event_id(doc.get("event_id")),
        computer=as_text(doc.get("computer_name") or _dotted(doc, "beat.").get("hostname")),
        record_id=parse_record_id(doc.get("record_number")),
        data=data,
        level=parse_level(doc.get("level")),
        source=source,
        line=line,
    )


def _from_splunk(result: dict[str, Any], source: str, line: int | None) -> EventRecord | None:
    """One Splunk search result exported as JSON: `_raw` holds the event as the forwarder read it,
    XML (`XmlWinEventLog`) or classic text (`WinEventLog`)."""
    raw = as_text(result.get("_raw"))
    if raw.lstrip().startswith("<Event"):
        from exhunt.events.xmlevents import parse_event_xml

        event = parse_event_xml(raw.strip())
        if event is None:
            return None
        record = from_evtx_json(event, source, line)
        if not record.computer:
            record.computer = as_text(result.get("host"))
        return record
    header, message = shapes.classic_text(raw)
    if not header and "EventCode" not in result:
        return None
    fields = {**{k: as_text(v) for k, v in result.items() if not k.startswith("_")}, **header}
    data = shapes.message_fields(message)
    if message:
        data["Message"] = message
    channel = fields.get("LogName") or as_text(result.get("source")).removeprefix("WinEventLog:")
    return EventRecord(
        timestamp=parse_timestamp(result.get("_time")) or _classic_time(raw),
        channel=channel,
        provider=fields.get("SourceName", ""),
        event_id=parse_event_id(fields.get("EventCode")),
        computer=fields.get("ComputerName") or as_text(result.get("host")),
        record_id=parse_record_id(fields.get("RecordNumber")),
        data=data,
        level=None,
        source=source,
        line=line,
    )


def _classic_time(raw: str) -> datetime | None:
    """The first line of a classic WinEventLog event: `03/03/2021 05:00:00 AM` (local time of the
    forwarder, taken as UTC when nothing better is known)."""
    first = raw.split("\n", 1)[0].strip()
    for pattern in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S"):
        try:
            return datetime.strptime(first, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
