"""`exhunt rules --sigma PATH`: the user's Sigma rules as a hunt given the same paths loads them,
listed beside the shipped rules or explained one by one, with the files and rules not loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

from exhunt.report.safe_text import printable

if TYPE_CHECKING:
    from exhunt.sigma.entries import CompiledRule
    from exhunt.sigma.ruleset import SigmaRuleset


def load(paths: list[str], levels_file: str | None) -> SigmaRuleset:
    """The rules exactly as `exhunt hunt --sigma` reads them (the same cache)."""
    from exhunt.sigma.cache import cache_dir
    from exhunt.sigma.ruleset import build_ruleset

    return build_ruleset(tuple(paths), levels_file, cache_dir())


def summary(rules: SigmaRuleset) -> str:
    return (
        f"{len(rules.loaded)} Sigma rules loaded from {rules.files} files; {len(rules.rejected)} not loaded; "
        f"{len(rules.not_applicable)} for logs exhunt does not read (Linux, cloud, network...)"
    ) + "".join(f"; {printable(note)}" for note in rules.notes)


SigmaEntry = tuple["CompiledRule", ...]
"""One Sigma rule as loaded: compiled once per log its logsource maps to (process_creation is
Sysmon 1 and Security 4688, webserver the IIS and the HttpProxy logs), the first being its own."""


def by_id(rules: SigmaRuleset) -> dict[str, SigmaEntry]:
    """Loaded rules by their id in upper case (how `exhunt rules ID` looks ids up), each with
    every log it reads; the first of two files giving one id, as findings name it."""
    found: dict[str, SigmaEntry] = {}
    for rule in rules.rules:
        key = rule.meta.id.upper()
        first = found.get(key)
        if first is None:
            found[key] = (rule,)
        elif first[0].meta is rule.meta:
            found[key] = (*first, rule)
    for correlation in rules.correlations:  # their findings carry their own ids
        found.setdefault(correlation.meta.id.upper(), (correlation.listed(),))
    return found


def where(entry: SigmaEntry) -> str:
    """Every log the rule reads: its channels (or web log kinds) and event ids, per target."""
    parts = []
    for rule in entry:
        channels = ", ".join(rule.target.channels) or "-"
        ids = rule.target.event_ids
        parts.append(channels + (f" (event ids {', '.join(map(str, sorted(ids)))})" if ids is not None else ""))
    return "; ".join(parts)


def facts(entry: SigmaEntry) -> tuple[str, str | None, str]:
    """Its id, chain and severity, as `exhunt rules --chain/--severity` choose by them."""
    m = entry[0].meta
    return m.id, m.chain, m.severity


def explanation(entry: SigmaEntry) -> tuple[Text, list[str]]:
    """A Sigma rule as its findings will show it: a head line and the lines below it. Its text
    is the rule author's: control characters made visible, never read as console markup."""
    m = entry[0].meta
    head = Text.assemble((printable(m.id), "bold"), f" (Sigma) - {printable(m.title)}")
    return head, [
        f"level {printable(m.level)}: severity {m.severity}, a hit means: {m.implies}; category {m.category}",
        f"from {printable(m.path)}",
        f"reads: {printable(where(entry))}",
        f"chain {printable(m.chain)}" if m.chain else "",
        f"ATT&CK {', '.join(m.techniques)}" if m.techniques else "",
        f"tags {printable(', '.join(m.tags))}" if m.tags else "",
        f"counts only where these Sigma filters let it: {', '.join(sorted({f for f, _ in entry[0].gates}))}"
        if entry[0].gates
        else "",
        printable(m.description),
        *(f"false positives: {printable(fp)}" for fp in m.falsepositives),
    ]


def table(chosen: list[SigmaEntry], total: int) -> Table:
    """The Sigma rules a hunt given the same paths runs; the rule author's text made printable."""
    shown = f"{len(chosen)} Sigma rules" if len(chosen) == total else f"{len(chosen)} of {total} Sigma rules"
    out = Table(title=shown, box=box.SIMPLE_HEAD, show_lines=False, expand=False, pad_edge=False)
    out.add_column("rule", no_wrap=True, min_width=36)
    out.add_column("sev", no_wrap=True)
    out.add_column("level", no_wrap=True)
    out.add_column("title", overflow="fold")
    for entry in chosen:
        r = entry[0]
        out.add_row(
            Text(printable(r.meta.id, 40)),
            str(r.meta.severity),
            Text(printable(r.meta.level, 16)),
            Text(printable(r.meta.title)),
        )
    return out


def to_dict(entry: SigmaEntry) -> dict[str, Any]:
    """The rule for `--json`: `channels` and `event_ids` are those of every log it reads
    (`event_ids` null when one of them takes any id), `reads` pairs them per log."""
    m = entry[0].meta
    any_id = any(rule.target.event_ids is None for rule in entry)
    channels = list(dict.fromkeys(channel for rule in entry for channel in rule.target.channels))
    ids = None if any_id else sorted({i for rule in entry for i in rule.target.event_ids or ()})
    return {
        "id": m.id,
        "title": m.title,
        "level": m.level,
        "severity": str(m.severity),
        "implies": str(m.implies),
        "category": str(m.category),
        "chain": m.chain,
        "tags": list(m.tags),
        "path": m.path,
        "channels": channels,
        "event_ids": ids,
        "reads": [
            {
                "channels": list(rule.target.channels),
                "event_ids": sorted(rule.target.event_ids) if rule.target.event_ids is not None else None,
            }
            for rule in entry
        ],
        "correlation": dict(entry[0].listing) if entry[0].listing is not None else None,
    }
