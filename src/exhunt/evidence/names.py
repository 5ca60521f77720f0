"""Names in collections: drive folders, Velociraptor's encoded names, host names, folder roles."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote

from exhunt.registry.iis import is_w3svc as is_w3svc  # re-exported: layouts ask for it here


def velociraptor_decode(component: str) -> str:
    """Undo Velociraptor's %XX escaping of one path component, in one pass.

    `%5C%5C.%5CC%3A` becomes `\\\\.\\C:` and `%254Operational` becomes `%4Operational`
    (KAPE's and Velociraptor's collections write names so); a `%` not followed by two hex digits stays as it is.
    Escaped bytes that are not UTF-8 leave the component as stored rather than lose them.
    """
    if "%" not in component:
        return component
    decoded = unquote(component, errors="replace")
    if "\ufffd" in decoded and "\ufffd" not in component:
        return component
    return decoded


_DRIVE_FOLDER = re.compile(r"^([A-Za-z])(?::|%3[Aa]|\$)?$")
_DEVICE = re.compile(r"^\\\\[.?]\\([A-Za-z]):\\?$")


@lru_cache(maxsize=4096)
def drive_of_folder(name: str) -> str | None:
    """The drive letter a mirror folder stands for: `C`, `c`, `C:`, `C%3A` or `C$` -> 'C'."""
    m = _DRIVE_FOLDER.match(name)
    return m.group(1).upper() if m else None


def device_root(device: str) -> str | None:
    """The Windows path prefix of a decoded Velociraptor device component, without a trailing slash.

    `\\\\.\\C:` and `C:` -> 'C:'; a shadow-copy device keeps its own name; anything that is
    not a Windows device (the Unix `file` accessor's first folder) -> None.
    """
    letter = drive_of_folder(device)
    if letter is not None and ":" in device:
        return f"{letter}:"
    m = _DEVICE.match(device)
    if m:
        return f"{m.group(1).upper()}:"
    if device.startswith("\\\\"):
        return device.rstrip("\\")
    return None


_COLLECTION_NAME = re.compile(r"^Collection-(?P<host>.+?)-(?P<ts>\d{4}-?\d{2}-?\d{2}T[0-9_:.+\-Z]*)$", re.IGNORECASE)


def host_from_collection_name(stem: str) -> str | None:
    """`Collection-EX01.corp.local-2024-05-10T12_34_56Z` -> 'EX01.corp.local' (Velociraptor's default
    file name template `Collection-%FQDN%-%TIMESTAMP%`)."""
    m = _COLLECTION_NAME.match(stem)
    if m:
        return m.group("host")
    if stem.lower().startswith("collection-") and len(stem) > len("collection-"):
        return stem[len("collection-") :]
    return None


def clean_host_name(text: str) -> str | None:
    """A host name taken from evidence, made safe to show: no control characters, bounded length."""
    cleaned = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()
    return cleaned[:255] or None


# Folder names that are part of one server's tree, never a host of their own: a folder holding
# `Logging` and `W3SVC1` is one host's manual triage, not two hosts.
_SERVER_FOLDERS = frozenset(
    {
        "logging",
        "httpproxy",
        "ecp",
        "owa",
        "oab",
        "oabgeneratorlog",
        "cmdletinfra",
        "frontend",
        "clientaccess",
        "bin",
        "v15",
        "v14",
        "exchange server",
        "exchangeserver",
        "exchange",
        "microsoft",
        "program files",
        "program files (x86)",
        "programdata",
        "windows",
        "system32",
        "winevt",
        "logs",
        "logfiles",
        "inetpub",
        "wwwroot",
        "aspnet_client",
        "httperr",
        "inetsrv",
        "config",
        "temp",
        "users",
        "uploads",
        "results",
        "autodiscover",
        "ews",
        "mapi",
        "powershell",
        "rpchttp",
        "eas",
        "owacalendar",
        "$extend",
        "evtx",
        "eventlogs",
        "iis",
        "webroot",
        "web",
        "system_web",
    }
)


def is_server_folder_name(name: str) -> bool:
    low = name.lower()
    return low in _SERVER_FOLDERS or is_w3svc(low) or drive_of_folder(name) is not None
