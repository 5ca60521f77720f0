"""Helpers for the Sigma tests: rules from YAML text, events from field values."""

from __future__ import annotations

from exhunt.events.record import EventRecord
from exhunt.sigma.ruleset import SigmaRuleset, load_text

SYSMON = "Microsoft-Windows-Sysmon/Operational"


def rule_yaml(detection: str, logsource: str = "category: process_creation\n    product: windows", **meta: str) -> str:
    """A whole rule around a detection block (indented by four spaces)."""
    head = {
        "title": "test rule",
        "id": "11111111-2222-3333-4444-555555555555",
        "status": "test",
        "level": "high",
        **meta,
    }
    lines = [f"{k}: {v}" for k, v in head.items()]
    return "\n".join(lines) + f"\nlogsource:\n    {logsource}\ndetection:\n{detection}\n"


def ruleset_of(*texts: str) -> SigmaRuleset:
    rules = SigmaRuleset()
    for n, text in enumerate(texts):
        load_text(text, f"rule{n}.yml", rules)
    assert not rules.rejected, rules.rejected
    return rules


def attached(*texts: str) -> SigmaRuleset:
    """Rules, filters and correlations from YAML texts (one file each), as a hunt loads them:
    the filters and correlations of every file applied to the rules of every file."""
    rules = SigmaRuleset()
    for n, text in enumerate(texts):
        load_text(text, f"rule{n}.yml", rules)
    rules.attach()
    return rules


def event(channel: str = SYSMON, event_id: int = 1, **fields: str) -> EventRecord:
    return EventRecord(
        timestamp=None,
        channel=channel,
        provider="",
        event_id=event_id,
        computer="EX01",
        record_id=1,
        data=dict(fields),
        source="test.evtx",
        line=1,
    )


def fires(rules: SigmaRuleset, record: EventRecord) -> bool:
    return bool(rules.match_event(record))
