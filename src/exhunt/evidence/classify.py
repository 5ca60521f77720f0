"""What each file is: decided by its path where the path is conclusive, else by its first bytes.

Paths follow the Exchange and IIS defaults (docs/logs.md#where-the-logs-are); the header lines come from
the log formats themselves (§2.2-§2.7). Only a bounded prefix of a file is ever read here.
"""

from __future__ import annotations

import json
import re

from exhunt.evidence.names import is_w3svc
from exhunt.model import ArtefactKind

SNIFF_BYTES = 4096
# Extensions worth opening when the path says nothing: logs and exports of logs.
SNIFF_EXTENSIONS = frozenset({".log", ".txt", ".csv", ".json", ".jsonl", ".ndjson"})
_JSON_EXTENSIONS = frozenset({".json", ".jsonl", ".ndjson"})

_IIS_NAME = re.compile(r"^u?_?ex\d{4,}.*\.log$|^u_(?:in|nc)\d{4,}.*\.log$")
_HTTPERR_NAME = re.compile(r"^httperr\d*\.log$")


def extension(name_lower: str) -> str:
    dot = name_lower.rfind(".")
    return name_lower[dot:] if dot > 0 else ""


def kind_from_path(parts: tuple[str, ...], *, exchange_logging: bool = False) -> ArtefactKind | None:
    """The kind of a file from its lower-case path components, or None when only content can tell.

    `exchange_logging` says the file lies under a known Exchange `Logging` folder: a log there in
    a folder we do not hunt is a plain file, and nothing needs to be opened to know it.
    """
    name = parts[-1]
    ext = extension(name)
    if ext == ".evtx":
        return ArtefactKind.EVTX
    if name in ("applicationhost.config", "web.config"):
        return ArtefactKind.IIS_CONFIG
    folders = parts[:-1]
    if ext == ".log":
        from_folder = _exchange_log_kind(folders, name)
        if from_folder is not None:
            return from_folder
        from_name = _kind_from_log_name(name)
        if from_name is not None:
            return from_name
        if any(is_w3svc(f) for f in folders):
            return ArtefactKind.IIS
        if "httperr" in folders:
            return ArtefactKind.HTTPERR
    if exchange_logging:
        return ArtefactKind.FILE
    if ext in SNIFF_EXTENSIONS:
        return None
    return ArtefactKind.FILE


def _exchange_log_kind(folders: tuple[str, ...], name: str) -> ArtefactKind | None:
    """Kinds given by the folders under an Exchange `Logging` folder (docs/logs.md#where-the-logs-are)."""
    for i in range(len(folders) - 1):
        if folders[i] != "logging":
            continue
        below = folders[i + 1 :]
        top = below[0]
        if top == "httpproxy":  # every protocol folder, scanned recursively
            return ArtefactKind.HTTPPROXY
        if top == "ecp" and len(below) > 1:
            if below[1] == "server":
                return ArtefactKind.ECP_SERVER
            if below[1] == "activity":
                return ArtefactKind.ECP_ACTIVITY
        if top == "oabgeneratorlog":
            return ArtefactKind.OAB_GENERATOR
        if below[:3] == ("cmdletinfra", "powershell-proxy", "http") and "rps_http" in name:
            return ArtefactKind.RPS_HTTP
    return None


def _kind_from_log_name(name: str) -> ArtefactKind | None:
    """Kinds given by the file names Exchange and IIS write, wherever the file was copied to."""
    if name.startswith("httpproxy_"):
        return ArtefactKind.HTTPPROXY
    if name.startswith("ecpserver"):
        return ArtefactKind.ECP_SERVER
    if name.startswith("ecpactivity"):
        return ArtefactKind.ECP_ACTIVITY
    if "rps_http" in name:
        return ArtefactKind.RPS_HTTP
    if name.startswith("oabgenerator"):
        return ArtefactKind.OAB_GENERATOR
    if _IIS_NAME.match(name):
        return ArtefactKind.IIS
    if _HTTPERR_NAME.match(name):
        return ArtefactKind.HTTPERR
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


_LOG_TYPES: tuple[tuple[str, ArtefactKind], ...] = (
    ("httpproxy", ArtefactKind.HTTPPROXY),
    ("ecp activity", ArtefactKind.ECP_ACTIVITY),
    ("ecp server", ArtefactKind.ECP_SERVER),
    ("oab generator", ArtefactKind.OAB_GENERATOR),
    ("oabgenerator", ArtefactKind.OAB_GENERATOR),
)


def kind_from_content(data: bytes, name_lower: str) -> ArtefactKind:
    """The kind of a file from its first bytes (a bounded prefix), `File` when nothing matches."""
    text = decode_prefix(data).replace("\x00", "")
    if extension(name_lower) in _JSON_EXTENSIONS or text.lstrip()[:1] in ("{", "["):
        if _looks_like_event_json(text):
            return ArtefactKind.EVENT_JSON
        return ArtefactKind.FILE
    for number, raw in enumerate(text.splitlines()):
        if number >= 24:
            break
        line = raw.strip()
        low = line.lower()
        if low.startswith("#log-type:"):
            log_type = low[len("#log-type:") :].strip()
            for marker, kind in _LOG_TYPES:
                if log_type.startswith(marker):
                    return kind
        elif low.startswith("#software:"):
            software = low[len("#software:") :].strip()
            if software.startswith("microsoft internet information services"):
                return ArtefactKind.IIS
            if software.startswith("microsoft http api"):
                return ArtefactKind.HTTPERR
        elif low.startswith(("#fields:", "datetime,")):
            fields = low.removeprefix("#fields:").strip()
            # Bare CSV headers (docs/logs.md): the first columns tell the log apart.
            if fields.startswith("datetime,requestid,"):
                return ArtefactKind.HTTPPROXY
            if fields.startswith("datetime,starttime,requestid,"):
                return ArtefactKind.RPS_HTTP
        elif line and not line.startswith("#"):
            break
    return ArtefactKind.FILE


_EVENT_KEYS = re.compile(r'"(Channel|EventID|EventId|winlog|winlog\.channel|winlog\.event_id|System)"\s*:')


def _looks_like_event_json(text: str) -> bool:
    """True when the first record looks like a Windows event (DESIGN.md "Evidence layouts")."""
    body = text.lstrip()
    if body.startswith("["):
        body = body[1:].lstrip()
    try:
        record, _ = json.JSONDecoder().raw_decode(body)
    except ValueError:
        record = None
    if isinstance(record, dict):
        return _is_event_record(record)
    # The first record did not fit in the prefix: judge by the keys seen so far.
    keys = {m.group(1) for m in _EVENT_KEYS.finditer(body)}
    if "Channel" in keys and ({"EventID", "EventId"} & keys):
        return True
    return "winlog" in keys or "winlog.channel" in keys or "winlog.event_id" in keys


def _is_event_record(record: dict[str, object]) -> bool:
    if "Channel" in record and ("EventID" in record or "EventId" in record):
        return True
    if "winlog.channel" in record or "winlog.event_id" in record:
        return True
    winlog = record.get("winlog")
    if isinstance(winlog, dict) and ("channel" in winlog or "event_id" in winlog):
        return True
    event = record.get("Event")
    system = event.get("System") if isinstance(event, dict) else record.get("System")
    return isinstance(system, dict) and ("EventID" in system or "Channel" in system)
