"""Event detectors, chosen per event by where it comes from (provider, else channel) and its id.

Most events match no detector and cost one dictionary lookup. Each detector adds findings or
suppression counts to the file's `Reporter`; rules and their parameters live in
`exhunt/data/rules/events.toml`.
"""

from __future__ import annotations

from collections.abc import Callable

from exhunt.events.detect import files, intrusion, lsass, management, process, system
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter

Detector = Callable[[EventRecord, Reporter], None]

# provider or channel name (lower case) -> source family
_BY_PROVIDER = {
    "microsoft-windows-sysmon": "sysmon",
    "microsoft-windows-security-auditing": "security",
    "microsoft-windows-eventlog": "eventlog",
    "msexchange cmdletlogs": "exchange-management",
    "msexchange unified messaging": "unified-messaging",
    "microsoft-windows-powershell": "powershell",
    "microsoft-windows-windows defender": "defender",
    "microsoft-windows-iis-configuration": "iis-configuration",
}
_BY_CHANNEL = {
    "microsoft-windows-sysmon/operational": "sysmon",
    "security": "security",
    "msexchange management": "exchange-management",
    "microsoft-windows-powershell/operational": "powershell",
    "microsoft-windows-windows defender/operational": "defender",
    "microsoft-iis-configuration/operational": "iis-configuration",
}
ANY_ID = -1

_DETECTORS: dict[tuple[str, int], tuple[Detector, ...]] = {
    ("sysmon", 1): (process.sysmon_process, intrusion.sysmon_process),
    ("sysmon", 10): (lsass.process_access, intrusion.process_access),
    ("sysmon", 11): (files.file_created, intrusion.file_created),
    ("sysmon", 23): (intrusion.file_deleted,),
    ("sysmon", 26): (intrusion.file_deleted,),
    ("security", 4688): (process.security_process, intrusion.security_process),
    ("security", 4656): (lsass.object_access,),
    ("security", 4663): (lsass.object_access,),
    ("security", 4648): (system.explicit_logon,),
    ("security", 4728): (system.group_member_added,),
    ("security", 4732): (system.group_member_added,),
    ("security", 4756): (system.group_member_added,),
    ("security", 1102): (system.log_cleared,),
    ("eventlog", 1102): (system.log_cleared,),
    ("eventlog", 104): (system.log_cleared,),
    ("powershell", 4104): (process.script_block, intrusion.script_block),
    ("exchange-management", 1): (management.management_event, intrusion.management_event),
    ("exchange-management", 6): (management.management_event, intrusion.management_event),
    ("unified-messaging", ANY_ID): (system.unified_messaging,),
    ("defender", ANY_ID): (intrusion.defender,),
    ("iis-configuration", 29): (intrusion.iis_config_change,),
}
_family_cache: dict[tuple[str, str], str | None] = {}


def family(record: EventRecord) -> str | None:
    """Which log an event belongs to for detection: its provider decides, its channel when the
    provider is unknown (exports that drop it)."""
    return family_of(record.provider, record.channel)


def family_of(provider: str, channel: str) -> str | None:
    key = (provider, channel)
    try:
        return _family_cache[key]
    except KeyError:
        pass
    found = _BY_PROVIDER.get(provider.lower()) if provider else None
    if found is None:
        found = _BY_CHANNEL.get(channel.lower())
    if len(_family_cache) < 4096:  # hostile files could invent endless names
        _family_cache[key] = found
    return found


def wants(provider: str, channel: str, event_id: int | None) -> bool:
    """Whether any detector runs on events of this provider, channel and id (`detect` would
    call one): the others need not be read in full."""
    source = family_of(provider, channel)
    if source is None or event_id is None:
        return False
    return (source, event_id) in _DETECTORS or (source, ANY_ID) in _DETECTORS


def detect(record: EventRecord, result: Reporter) -> None:
    """Run every detector that applies to `record`."""
    source = family(record)
    if source is None or record.event_id is None:
        return
    detectors = _DETECTORS.get((source, record.event_id)) or _DETECTORS.get((source, ANY_ID))
    if detectors:
        for detector in detectors:
            detector(record, result)
