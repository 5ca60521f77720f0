"""Sigma correlation rules: conditions over several events of one host.

A correlation names base rules (by id or `name`) and fires when their matches, grouped by the
values of some fields (`group-by`), meet a condition within a time span:

- `event_count`: at least (`gte`) or more than (`gt`) N matches;
- `value_count`: matches with at least / more than N distinct values of a field;
- `temporal`: every named rule matched (or as many as the condition says);
- `temporal_ordered`: every named rule matched, in the order named.

The workers keep, for each match of a base rule a correlation names, a `Hit` (the group's
values, the counted value, the time and where the event is); the hunt's own process gathers the
hits of all of a host's files and evaluates each correlation on them when the host is assessed,
so a burst spread over two rotated logs still counts. A finding is an episode: the first window
that meets the condition, extended while matches keep coming within the time span of the last;
the next episode starts after it. Events without a time cannot be placed in a window and are left out
(counted). Base rules named by a correlation do not give findings of their own unless one of
the correlations naming them says `generate: true` (counted as suppressed).

Conditions other than `gte` and `gt` (fewer than N events in a span is a statement about
windows with no event, which a hunt over files cannot bound) and the value aggregations
(`value_sum`, `value_avg`, `value_percentile`, `value_median`) are rejected with the reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from exhunt.model import EvidenceRef, Finding, Problem, ProblemKind, UnitResult, utc
from exhunt.sigma.compile import Node
from exhunt.sigma.entries import CompiledRule, LazyNode, SigmaMeta
from exhunt.sigma.findings import sigma_finding
from exhunt.sigma.logsources import Target
from exhunt.sigma.view import EventView

TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")
OPERATORS = ("gte", "gt")
MAX_HITS_PER_UNIT = 200_000  # base-rule matches one file may keep for correlations
MAX_HITS_PER_HOST = 500_000  # and one host, all files together (about 150 MB in the hunt's process)
MAX_FINDINGS = 200  # findings per correlation and host; the rest are counted as suppressed

# One base-rule match kept for a correlation: correlation id, rule id (as the correlation
# names it), the group's values, the counted value (value_count) or None, the time (POSIX
# seconds), and where the event is: path, line and record id.
Hit = tuple[str, str, tuple[str, ...], str | None, float, str, int | None, str | None]


@dataclass(frozen=True)
class SigmaCorrelation:
    meta: SigmaMeta
    kind: str
    refs: tuple[str, ...]  # rule ids (canonical) or names, as the correlation names them
    group_by: tuple[str, ...]
    aliases: Mapping[str, Mapping[str, str]]  # group-by name -> rule reference -> that rule's field
    timespan: int  # seconds
    op: str
    count: int
    field: str | None  # value_count: the field whose distinct values are counted
    generate: bool  # the base rules give findings of their own too

    def plain(self) -> dict[str, Any]:
        return {
            "meta": self.meta.plain(),
            "type": self.kind,
            "refs": list(self.refs),
            "group_by": list(self.group_by),
            "aliases": {k: dict(v) for k, v in self.aliases.items()},
            "timespan": self.timespan,
            "op": self.op,
            "count": self.count,
            "field": self.field,
            "generate": self.generate,
        }

    @classmethod
    def from_plain(cls, doc: Mapping[str, Any], where: str) -> SigmaCorrelation:
        """From the cache's plain form; raises on anything of the wrong shape."""
        kind, op, count, timespan, field = doc["type"], doc["op"], doc["count"], doc["timespan"], doc["field"]
        refs, group_by, aliases = doc["refs"], doc["group_by"], doc["aliases"]
        if kind not in TYPES or op not in OPERATORS or not _ints(count, timespan) or timespan <= 0:
            raise ValueError("correlation of the wrong shape")
        if not (_strings(refs) and refs and _strings(group_by) and isinstance(aliases, dict)):
            raise ValueError("correlation references of the wrong shape")
        if not all(isinstance(a, str) and isinstance(m, dict) and _pairs(m) for a, m in aliases.items()):
            raise ValueError("correlation aliases of the wrong shape")
        if (field is not None and not isinstance(field, str)) or (kind == "value_count" and not field):
            raise ValueError("correlation field of the wrong shape")
        if not isinstance(doc["generate"], bool):
            raise ValueError("correlation generate of the wrong shape")
        return cls(
            SigmaMeta.from_plain(doc["meta"], where),
            kind,
            tuple(refs),
            tuple(group_by),
            aliases,
            timespan,
            op,
            count,
            field,
            doc["generate"],
        )

    def ref_for(self, meta: SigmaMeta) -> str | None:
        """How this correlation names the rule of `meta` (its id or its name), or None."""
        for ref in self.refs:
            if ref == meta.id or (meta.name is not None and ref == meta.name):
                return ref
        return None

    def fields_for(self, ref: str) -> tuple[str, ...]:
        """The group-by fields as the rule named `ref` calls them (aliases resolved)."""
        return tuple(self.aliases.get(name, {}).get(ref, name) for name in self.group_by)

    def listed(self) -> CompiledRule:
        """The correlation as `exhunt rules --sigma` lists it beside the rules: what its
        findings say of it, and the rules it reads in place of logs. Never matched itself."""
        reads = Target((f"correlation of {', '.join(self.refs)}",), None)
        listing = {
            "type": self.kind,
            "rules": list(self.refs),
            "group_by": list(self.group_by),
            "timespan": self.timespan,
            "condition": {"op": self.op, "count": self.count, "field": self.field},
            "generate": self.generate,
        }
        return CompiledRule(self.meta, LazyNode(None, _never), reads, listing=listing)

    def met(self, count: int) -> bool:
        return count >= self.count if self.op == "gte" else count > self.count

    def describe(self) -> str:
        span = f"within {self.timespan} s"
        if self.kind == "event_count":
            return f"{self.op} {self.count} matches of {', '.join(self.refs)} {span}"
        if self.kind == "value_count":
            return f"{self.op} {self.count} distinct {self.field} in matches of {', '.join(self.refs)} {span}"
        order = " in this order" if self.kind == "temporal_ordered" else ""
        return f"every one of {', '.join(self.refs)}{order} {span}"


def _never() -> Node:
    raise RuntimeError("a correlation is not matched against events")


def _ints(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _pairs(mapping: Mapping[Any, Any]) -> bool:
    return all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())


class HitKeeper:
    """Keeps, for one file, the matches of rules that correlations name (`result.correlation_hits`),
    at most `MAX_HITS_PER_UNIT` (then a problem says the rest were not correlated)."""

    def __init__(self, result: UnitResult, path: str) -> None:
        self.result = result
        self.path = path
        self.full = False

    def keep(
        self,
        fired: list[CompiledRule],
        view: Callable[[], EventView],
        when: datetime | None,
        line: int | None,
        record: str | None,
    ) -> list[CompiledRule]:
        """Keep the hits of the rules that fired; the rules whose own findings are to be made."""
        shown = []
        seen: EventView | None = None
        hits = self.result.correlation_hits
        for rule in fired:
            if rule.generate:
                shown.append(rule)
            else:
                self.result.suppress(rule.meta.id, "named by Sigma correlations only (generate: false): counted there")
            if not rule.links:
                continue
            if when is None:
                for corr_id, *_ in rule.links:
                    self.result.suppress(corr_id, "a match without a time: not placed in any window")
                continue
            if seen is None:
                seen = view()
            for corr_id, ref, fields, counted in rule.links:
                if len(hits) >= MAX_HITS_PER_UNIT:
                    self._full()
                    break
                group = tuple(seen.raw(name) or "" for name in fields)
                value = seen.raw(counted) if counted else None
                hits.append((corr_id, ref, group, value, utc(when).timestamp(), self.path, line, record))
        return shown

    def _full(self) -> None:
        if not self.full:
            self.full = True
            self.result.errors.append(
                Problem(
                    self.path,
                    f"more than {MAX_HITS_PER_UNIT:,} matches of rules Sigma correlations name: "
                    "the rest of the file's matches were not correlated",
                    None,
                    ProblemKind.LIMIT,
                    "sigma",
                )
            )


def bound_host(held: int, result: UnitResult, host: str) -> int:
    """Keep a host's correlation hits within `MAX_HITS_PER_HOST` as its units' results come in:
    `held` hits so far, the new total returned; a result that would pass the bound loses its
    excess and says so (once per host: when `held` reaches the bound)."""
    hits = result.correlation_hits
    room = MAX_HITS_PER_HOST - held
    if len(hits) <= room:
        return held + len(hits)
    del hits[max(room, 0) :]
    if room >= 0:
        result.errors.append(
            Problem(
                host,
                f"more than {MAX_HITS_PER_HOST:,} matches of rules Sigma correlations name on this host: "
                "the rest were not correlated",
                None,
                ProblemKind.LIMIT,
                "sigma",
            )
        )
    return MAX_HITS_PER_HOST + 1


class CorrelationOutcome:
    """What the correlations of one host gave: findings, and what was left out and why."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.suppressed: dict[tuple[str, str], int] = {}

    def suppress(self, rule_id: str, reason: str, count: int = 1) -> None:
        self.suppressed[(rule_id, reason)] = self.suppressed.get((rule_id, reason), 0) + count


def correlate(correlations: Sequence[SigmaCorrelation], hits: Iterable[Hit]) -> CorrelationOutcome:
    """Every correlation evaluated on the hits of one host."""
    out = CorrelationOutcome()
    grouped: dict[str, dict[tuple[str, ...], list[Hit]]] = {}  # correlation id -> group -> hits
    for hit in hits:
        grouped.setdefault(hit[0], {}).setdefault(hit[2], []).append(hit)
    for correlation in correlations:
        made = 0
        groups = grouped.get(correlation.meta.id, {})
        for group in sorted(groups):
            events = sorted(groups[group], key=lambda h: (h[4], h[5], h[6] or 0))
            for window in _windows(correlation, events):
                made += 1
                if made > MAX_FINDINGS:
                    out.suppress(correlation.meta.id, f"more than {MAX_FINDINGS} windows met: counted, not listed")
                    continue
                out.findings.append(_finding(correlation, group, window))
    return out


def _windows(correlation: SigmaCorrelation, events: list[Hit]) -> Iterable[list[Hit]]:
    """The episodes of one group's hits (in time order) that meet the correlation: the first
    window that meets it, extended while the next match comes within the time span of the last
    (a password spray of an hour is one finding, not one per window); the next episode starts
    after it."""
    span = correlation.timespan
    start = 0
    end = 0
    while end < len(events):
        while events[end][4] - events[start][4] > span:
            start += 1
        if _meets(correlation, events[start : end + 1]):
            while end + 1 < len(events) and events[end + 1][4] - events[end][4] <= span:
                end += 1
            yield events[start : end + 1]
            start = end + 1
        end += 1


def _meets(correlation: SigmaCorrelation, window: list[Hit]) -> bool:
    if not window:
        return False
    kind = correlation.kind
    if kind == "event_count":
        return correlation.met(len(window))
    if kind == "value_count":
        return correlation.met(len({hit[3] for hit in window if hit[3] is not None}))
    if kind == "temporal":  # the named rules that matched (all of them unless the condition says)
        return correlation.met(len({hit[1] for hit in window}))
    # temporal_ordered: the named rules in turn, each after the one before
    step = 0
    for hit in window:
        if hit[1] == correlation.refs[step]:
            step += 1
            if step == len(correlation.refs):
                return True
    return False


def _finding(correlation: SigmaCorrelation, group: tuple[str, ...], window: list[Hit]) -> Finding:
    meta = correlation.meta
    first, last = window[0], window[-1]
    when = datetime.fromtimestamp(last[4], UTC)
    began = datetime.fromtimestamp(first[4], UTC)
    grouping = ", ".join(
        f"{name}={value or '(none)'}" for name, value in zip(correlation.group_by, group, strict=False)
    )
    counted = ""
    if correlation.kind == "value_count":
        values = sorted({hit[3] for hit in window if hit[3] is not None})
        counted = f"; {len(values)} distinct {correlation.field}"
    excerpt = (
        f"{len(window)} matches{counted}"
        + (f" for {grouping}" if grouping else "")
        + f" from {began.isoformat()} to {when.isoformat()}: {correlation.describe()}"
    )
    facts: list[tuple[str, str]] = [
        ("correlation", correlation.kind),
        ("condition", correlation.describe()),
        *((f"group_{name}", value) for name, value in zip(correlation.group_by, group, strict=False)),
        ("matches", str(len(window))),
        ("first", f"{began.isoformat()} {first[5]}:{first[6] or '?'}"),
        ("last", f"{when.isoformat()} {last[5]}:{last[6] or '?'}"),
        ("rules", ", ".join(sorted({hit[1] for hit in window}))),
    ]
    if correlation.kind == "value_count":
        facts.append(("values", ", ".join(sorted({h[3] for h in window if h[3] is not None}))[:2000]))
    evidence = EvidenceRef(path=last[5], line=last[6], excerpt=excerpt[:600], record=last[7])
    return sigma_finding(meta, evidence, when, _address(correlation.group_by, group), facts)


# group-by fields that hold the client's address, in Sigma's web names and Windows events' names
_ADDRESS_FIELDS = frozenset({"c-ip", "ipaddress", "sourceip", "sourceaddress", "clientipaddress", "clientip"})


def _address(names: Sequence[str], values: Sequence[str]) -> str | None:
    """The group's client address, when it is grouped by one (an attacker's address for the
    indicator outputs): the value of an address field that is an IP address."""
    for name, value in zip(names, values, strict=False):
        if name.lower() in _ADDRESS_FIELDS:
            try:
                return str(ipaddress.ip_address(value.strip()))
            except ValueError:
                continue
    return None
