"""The one shape a detector reports (`Hit`) and the one place hits become findings (`Reporter`).

Log, event and file detectors all say the same thing: rule R fired with outcome O (one of the
tiers R declares in its rule file), and here are the facts. The reporter of one unit of work
(one file) caps findings per rule and source address (the rule's `max_findings_per_source`,
else `DEFAULT_MAX_PER_SOURCE`) and counts the rest as suppressed, truncates excerpts and
details, and asks the rule for the finding, so severity and `implies` always come from the
rule's declared tier and never from code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from exhunt.model import Account, EventFacet, EvidenceRef, FileFacet, HttpFacet, ProcessFacet, UnitResult
from exhunt.rules import DEFAULT_OUTCOME, rule

EXCERPT_CAP = 600  # an excerpt is about one log line long
DETAIL_CAP = 2000  # a command line or parameter list may be long; details stay readable
# Per rule, source address and file: beyond this, hits are counted, not listed, so one noisy
# scanner cannot flood a report and memory stays flat however big the file is.
DEFAULT_MAX_PER_SOURCE = 200


@dataclass(slots=True)
class Hit:
    """A rule that fired, the outcome tier it fired with, and what the responder should read."""

    rule: str
    outcome: str = DEFAULT_OUTCOME
    facts: dict[str, str] = field(default_factory=dict)
    source_ip: str | None = None
    # What writers act on, typed (model.py): the request, file, event, process and accounts.
    http: HttpFacet | None = None
    file: FileFacet | None = None
    event: EventFacet | None = None
    process: ProcessFacet | None = None
    accounts: tuple[Account, ...] = ()


def cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Reporter:
    """Turns the hits of one unit of work into findings of `result`, with caps applied."""

    def __init__(self, result: UnitResult) -> None:
        self.result = result
        self._per_source: dict[tuple[str, str], int] = {}

    def report(self, hit: Hit, evidence: EvidenceRef, timestamp: datetime | None = None) -> None:
        r = rule(hit.rule)
        r.outcome(hit.outcome)  # an undeclared tier is a detector bug: fail here, loudly
        limit = getattr(r.params, "max_findings_per_source", DEFAULT_MAX_PER_SOURCE)
        key = (hit.rule, hit.source_ip or "")
        seen = self._per_source.get(key, 0) + 1
        self._per_source[key] = seen
        if seen > limit:
            self.result.suppress(
                hit.rule,
                f"more than {limit} hit{'s' if limit != 1 else ''} from one source in one file; "
                f"only the first {limit} {'are' if limit != 1 else 'is'} listed",
            )
            return
        if evidence.excerpt is not None and len(evidence.excerpt) > EXCERPT_CAP:
            evidence = EvidenceRef(
                evidence.path, evidence.line, cap(evidence.excerpt, EXCERPT_CAP), evidence.sha256, evidence.record
            )
        self.result.findings.append(
            r.finding(
                evidence,
                outcome=hit.outcome,
                timestamp=timestamp,
                source_ip=hit.source_ip or None,
                details={k: cap(v, DETAIL_CAP) for k, v in hit.facts.items() if v},
                http=hit.http,
                file=hit.file,
                event=hit.event,
                process=hit.process,
                accounts=tuple(a for a in hit.accounts if a.name or a.sid),
            )
        )

    def suppress(self, rule_id: str, reason: str) -> None:
        self.result.suppress(rule_id, reason)
