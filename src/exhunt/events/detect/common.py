"""What every event detector shares: path helpers, and one way to turn an
event into a finding (evidence path + line + record id, a capped excerpt, flat details)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from exhunt.events.record import EventRecord
from exhunt.hits import Hit, Reporter
from exhunt.model import Account, AccountRole, EventFacet, EvidenceRef, FileFacet, ProcessFacet
from exhunt.rules import catalog, rules_of

if TYPE_CHECKING:
    from exhunt.artefacts.prefilter import Prefilter

P = TypeVar("P")

# Folders IIS serves on an Exchange server (docs/logs.md#where-the-logs-are, docs/detection/proxylogon.md#web-log-rules), and the page types it runs.
WEB_FOLDERS = (
    "\\inetpub\\",
    "\\frontend\\httpproxy\\",
    "\\aspnet_client\\",
    "\\owa\\auth\\",
    "\\ecp\\auth\\",
    "\\clientaccess\\",
)
PAGE_EXTENSIONS = frozenset(
    {".aspx", ".ashx", ".asmx", ".asax", ".ascx", ".asp", ".cshtml", ".php", ".jsp", ".cfm", ".shtml"}
)
_LOOPBACK_SHARE = re.compile(r"^\\\\(?:localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)\\[a-z]\$", re.IGNORECASE)
_IP_FIELDS = ("IpAddress", "SourceIp", "SourceAddress", "ClientIP", "ClientIPAddress", "SourceNetworkAddress")


def each(detector: str, cls: type[P]) -> tuple[tuple[str, P], ...]:
    """(rule id, typed parameters) of every catalog rule whose `detector` is `detector`: what
    an event detector runs, so another rule on it is a rule-file entry only. Worked out once
    per loaded catalog (detectors ask for every event they see)."""
    loaded = catalog()
    known = _TYPED.get((detector, cls))
    if known is None or known[0] is not loaded:
        known = _TYPED[(detector, cls)] = (loaded, tuple((r.id, r.params_as(cls)) for r in rules_of(detector)))
    return known[1]


_TYPED: dict[tuple[str, type], tuple[object, tuple[tuple[str, Any], ...]]] = {}


def matching_group(text: str, groups: Iterable[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The first group whose strings are all in `text` (loops, not `all()`: every process
    start is tested against every group)."""
    for group in groups:
        for s in group:
            if s not in text:
                break
        else:
            return group
    return None


def basename(path: str) -> str:
    """Lower-cased file name of a Windows (or '/') path: 'C:\\Windows\\System32\\cmd.exe' -> 'cmd.exe'."""
    cut = max(path.rfind("\\"), path.rfind("/"))
    return path[cut + 1 :].strip().strip('"').lower()


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def is_web_path(path: str) -> bool:
    """A path IIS would serve, a script page, or the server's own admin share
    (`\\\\127.0.0.1\\c$\\...`, how ProxyLogon and ProxyShell make Exchange write into web folders)."""
    lowered = path.strip().strip("\"'").lower()
    if not lowered:
        return False
    if extension(basename(lowered)) in PAGE_EXTENSIONS or _LOOPBACK_SHARE.match(lowered):
        return True
    return in_web_folder(lowered)


def in_web_folder(lowered_path: str) -> bool:
    return any(folder in lowered_path for folder in WEB_FOLDERS)


def pid(text: str) -> int | None:
    """A process id as logged: decimal, or hexadecimal with 0x (Security log)."""
    text = text.strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return None


def source_ip(record: EventRecord) -> str | None:
    """The remote address an event names, when it names a valid one."""
    for key in _IP_FIELDS:
        value = record.data.get(key)
        if value and value not in {"-", "::1", "127.0.0.1"}:
            try:
                return str(ipaddress.ip_address(value.strip().split("%", 1)[0]))
            except ValueError:
                continue
    return None


def event_label(record: EventRecord) -> str:
    event_id = record.event_id if record.event_id is not None else "?"
    return f"{record.channel or record.provider or '?'} {event_id}"


def account(domain: str, user: str) -> str:
    """DOMAIN\\user as Windows shows it, or whichever part the event has."""
    if domain and domain != "-" and user:
        return f"{domain}\\{user}"
    return user


def report(
    result: Reporter,
    rule_id: str,
    record: EventRecord,
    facts: Mapping[str, str],
    outcome: str = "hit",
    *,
    roles: Mapping[str, AccountRole] | None = None,
    process: ProcessFacet | None = None,
    file: FileFacet | None = None,
    source: str | None = None,
) -> None:
    """Report `rule_id` with outcome tier `outcome` for `record`. `facts` (ordered: the most
    telling first) make both the excerpt, after the channel and event id, and the details;
    `roles` says which facts name accounts, and in what role; `source` is the remote address
    when the detector knows it (else the event's first address field tells)."""
    shown = [f"{key}: {value}" for key, value in facts.items() if value]
    evidence = EvidenceRef(
        path=record.source,
        line=record.line,
        excerpt=f"{event_label(record)}: " + " | ".join(shown),
        record=str(record.record_id) if record.record_id is not None else None,
    )
    details = {"event": event_label(record), "computer": record.computer}
    details.update({key: value for key, value in facts.items() if value})
    event = EventFacet(
        channel=record.channel or None,
        event_id=record.event_id,
        record_id=record.record_id,
        computer=record.computer or None,
        provider=record.provider or None,
    )
    accounts = tuple(
        Account(facts[key], role) for key, role in (roles or {}).items() if facts.get(key) and facts[key] != "-"
    )
    remote = source or source_ip(record)
    hit = Hit(rule_id, outcome, details, remote, event=event, process=process, file=file, accounts=accounts)
    result.report(hit, evidence, record.timestamp)


class TextCheck:
    """Whether an event's JSON text (an EVTX record before it is decoded) may hold one of a
    list's literals, in any letter case: the indicator searches' check of the kinds of event only
    they read. The literals (addresses, host names, hex digests) hold no character JSON escapes,
    so a value is in the text as it is."""

    def __init__(self, literals: Prefilter) -> None:
        self._any = literals.any

    def may_match(self, text: str) -> bool:
        # hyperscan ignores ASCII case only; other text is lowered first (as the lists are)
        return self._any(text.encode("ascii") if text.isascii() else text.lower().encode("utf-8", "surrogatepass"))
