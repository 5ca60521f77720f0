"""What changed between two stored hunts: hosts newly compromised, resolved, new findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exhunt.fleet.store import HostRow, HuntStore
from exhunt.fleet.verdicts import FOUND, verdict_rank
from exhunt.model import Verdict


@dataclass(frozen=True, slots=True)
class HostChange:
    host: str
    change: str  # newly-compromised, worse, resolved, better, new, gone
    before: Verdict | None
    after: Verdict | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "change": self.change,
            "before": str(self.before) if self.before else None,
            "after": str(self.after) if self.after else None,
        }


@dataclass(slots=True)
class HuntDiff:
    old: int
    new: int
    hosts: list[HostChange] = field(default_factory=list)
    new_findings: list[tuple[str, str, str, int | None]] = field(default_factory=list)

    def of(self, change: str) -> list[HostChange]:
        return [h for h in self.hosts if h.change == change]

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "hosts": [h.to_dict() for h in self.hosts],
            "new_findings": [
                {"host": host, "rule_id": rule, "path": path, "line": line}
                for host, rule, path, line in self.new_findings
            ],
        }


def _by_host(rows: list[HostRow]) -> dict[str, Verdict]:
    """A host hunted twice in one hunt (two collections) counts with its worst verdict."""
    out: dict[str, Verdict] = {}
    for r in rows:
        if r.host not in out or verdict_rank(r.verdict) < verdict_rank(out[r.host]):
            out[r.host] = r.verdict
    return out


def _change(before: Verdict | None, after: Verdict | None) -> str | None:
    if before is None:
        return "newly-compromised" if after is Verdict.COMPROMISED else "new"
    if after is None:
        return "gone"
    if before == after:
        return None
    if after is Verdict.COMPROMISED:
        return "newly-compromised"
    if before in FOUND and after not in FOUND:
        return "resolved"
    return "worse" if verdict_rank(after) < verdict_rank(before) else "better"


def diff_hunts(store: HuntStore, old: int, new: int) -> HuntDiff:
    before = _by_host(store.host_rows(old))
    after = _by_host(store.host_rows(new))
    out = HuntDiff(old, new)
    for host in sorted(before.keys() | after.keys()):
        change = _change(before.get(host), after.get(host))
        if change:
            out.hosts.append(HostChange(host, change, before.get(host), after.get(host)))
    out.new_findings = sorted(
        store.finding_keys(new) - store.finding_keys(old), key=lambda k: (k[0], k[1], k[2], k[3] or 0)
    )
    return out
