"""`exhunt rules --sigma PATH`: the user's Sigma rules as a hunt given the same paths loads them,
listed beside the shipped rules or explained one by one, with the files and rules not loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.padding import Padding
from rich.text import Text

from exhunt.report.safe_text import printable

if TYPE_CHECKING:
    from rich.console import Console

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
    )


def by_id(rules: SigmaRuleset) -> dict[str, CompiledRule]:
    """Loaded rules by their id in upper case (how `exhunt rules ID` looks ids up); the first
    of two files giving one id, as findings name it."""
    found: dict[str, CompiledRule] = {}
    for rule in rules.rules:
        found.setdefault(rule.meta.id.upper(), rule)
    return found


def where(rule: CompiledRule) -> str:
    channels = ", ".join(rule.target.channels) or "-"
    ids = rule.target.event_ids
    return f"{channels}" + (f", event ids {', '.join(map(str, sorted(ids)))}" if ids is not None else "")


def explain(console: Console, rule: CompiledRule) -> None:
    """A Sigma rule as its findings will show it. Its text is the rule author's: printed as
    text, control characters made visible, never as console markup."""
    m = rule.meta
    console.print(Text.assemble((printable(m.id), "bold"), f" (Sigma) - {printable(m.title)}"))
    lines = [
        f"level {printable(m.level)}: severity {m.severity}, a hit means: {m.implies}; category {m.category}",
        f"from {printable(m.path)}",
        f"reads: {printable(where(rule))}",
        f"chain {printable(m.chain)}" if m.chain else "",
        f"ATT&CK {', '.join(m.techniques)}" if m.techniques else "",
        f"tags {printable(', '.join(m.tags))}" if m.tags else "",
        printable(m.description),
        *(f"false positives: {printable(fp)}" for fp in m.falsepositives),
    ]
    for line in lines:
        if line:
            console.print(Padding(Text(line), (0, 0, 0, 2)))
    console.print()


def to_dict(rule: CompiledRule) -> dict[str, Any]:
    m = rule.meta
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
        "channels": list(rule.target.channels),
        "event_ids": sorted(rule.target.event_ids) if rule.target.event_ids is not None else None,
    }
