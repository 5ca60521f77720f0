"""What changed between two stored hunts: hosts newly compromised, resolved, new findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exhunt.evidence.base import key_place
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
    seen = {_place(place) for place in store.finding_places(old)}
    fresh = {
        (host, rule, path, line)
        for host, rule, root, path, line in store.finding_places(new)
        if _place((host, rule, root, path, line)) not in seen
    }
    out.new_findings = sorted(fresh, key=lambda k: (k[0], k[1], k[2], k[3] or 0))
    return out


def _place(place: tuple[str, str, str, str, int | None]) -> tuple[str, str, str, int | None]:
    host, rule, root, path, line = place
    return host, rule, within_host(root, path, host), line


def within_host(root: str, path: str, host: str = "") -> str:
    """A finding's path from its host's evidence root, whatever folder the hunt was given.

    A finding's path starts at the folder or archive the hunt was given: `EX02/C/inetpub/...`
    when the hunt was given `cases/`, `C/inetpub/...` when it was given `cases/EX02` itself. The
    root is the host's absolute evidence path, so the path's first parts that repeat the root's
    last parts are the way from the hunt's folder to the host, and go; two hunts of one server
    from different folders then name each finding alike. A folder named as the host that
    follows (a zip holding `EX01/C/...`) is part of that way too.
    """
    parts = path.split("/")
    root = key_place(root)  # a split-off computer's key names its folder, then the computer
    root_parts = [p for p in root.replace("\\", "/").split("/") if p]
    for k in range(min(len(root_parts), len(parts) - 1), 0, -1):
        if parts[:k] == root_parts[-k:]:
            parts = parts[k:]
            break
    if host and len(parts) > 1 and parts[0] == host:
        parts = parts[1:]
    return "/".join(parts)
