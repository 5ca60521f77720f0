"""Verdicts across a fleet: worst first, counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from exhunt.model import HostAssessment, Verdict

# Worst first: a host without the logs to tell comes before a clean one.
VERDICT_ORDER: tuple[Verdict, ...] = (
    Verdict.COMPROMISED,
    Verdict.ATTEMPTED,
    Verdict.SUSPICIOUS,
    Verdict.INSUFFICIENT,
    Verdict.CLEAN,
)
FOUND = frozenset({Verdict.COMPROMISED, Verdict.ATTEMPTED, Verdict.SUSPICIOUS})


def verdict_rank(verdict: Verdict) -> int:
    """0 for the worst verdict."""
    return VERDICT_ORDER.index(verdict)


def verdict_counts(verdicts: Iterable[Verdict]) -> dict[Verdict, int]:
    """Every verdict with its count, worst first, zeros included."""
    seen = Counter(verdicts)
    return {v: seen.get(v, 0) for v in VERDICT_ORDER}


@dataclass(frozen=True, slots=True)
class HostSummary:
    """What the index and the console table need of a host, kept for every host of the hunt."""

    host: str
    verdict: Verdict
    reason: str
    findings: int
    problems: int
    build: str | None
    page: str  # the host page, relative to the index

    @classmethod
    def of(cls, host: HostAssessment, page: str = "") -> HostSummary:
        return cls(
            host.host,
            host.verdict,
            host.verdict_reason,
            len(host.findings),
            len(host.errors),
            host.exchange_build,
            page,
        )
