"""A Sigma match as an exhunt finding: the rule's id, title, level and ATT&CK tags, the event
(or web request) as evidence, and the typed facets writers act on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from exhunt.artefacts.records import LogRecord
from exhunt.events.record import EventRecord
from exhunt.model import EventFacet, EvidenceRef, Finding, HttpFacet, ProcessFacet, UnitResult

if TYPE_CHECKING:  # pySigma is loaded only when a hunt is given Sigma rules
    from exhunt.sigma.ruleset import CompiledRule, SigmaMeta

EXCERPT_CAP = 600
DETAIL_CAP = 2000
MAX_EVENT_FIELDS = 24  # event fields copied into the details, in the event's order
MAX_PER_RULE = 200  # findings per rule and file; the rest are counted as suppressed
# The event fields that tell most, shown first in the excerpt (Sysmon and Security names).
_TELLING = (
    "Image",
    "NewProcessName",
    "CommandLine",
    "ParentImage",
    "ParentProcessName",
    "TargetImage",
    "SourceImage",
    "GrantedAccess",
    "TargetFilename",
    "TargetObject",
    "Details",
    "ScriptBlockText",
    "QueryName",
    "PipeName",
    "ImageLoaded",
    "Threat Name",
    "Path",
    "ServiceName",
    "ObjectName",
    "Message",
)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class SigmaReporter:
    """Turns matches into findings for one file, capping each rule's findings."""

    def __init__(self, result: UnitResult) -> None:
        self.result = result
        self.counts: dict[str, int] = {}

    def _room(self, meta: SigmaMeta) -> bool:
        n = self.counts.get(meta.id, 0) + 1
        self.counts[meta.id] = n
        if n > MAX_PER_RULE:
            self.result.suppress(meta.id, f"more than {MAX_PER_RULE} matches in one file: counted, not listed")
            return False
        return True

    def filtered(self, turned: list[tuple[CompiledRule, str]]) -> None:
        """Matches a Sigma filter turned away, counted as suppressed (and the list emptied)."""
        for compiled, filter_id in turned:
            self.result.suppress(compiled.meta.id, f"turned away by Sigma filter {filter_id}")
        turned.clear()

    def event(self, rules: Iterable[CompiledRule], record: EventRecord) -> None:
        # What the event gives every finding on it (excerpt, fields, facets) is built once,
        # at the first rule with room left, not once per rule.
        shared: tuple[EvidenceRef, list[tuple[str, str]], EventFacet, ProcessFacet | None] | None = None
        for compiled in rules:
            meta = compiled.meta
            if not self._room(meta):
                continue
            if shared is None:
                shared = _event_parts(record)
            evidence, facts, facet, process = shared
            finding = sigma_finding(meta, evidence, record.timestamp, None, facts, event=facet, process=process)
            self.result.findings.append(finding)

    def web(self, rules: Iterable[CompiledRule], record: LogRecord, facet: HttpFacet) -> None:
        for compiled in rules:
            meta = compiled.meta
            if not self._room(meta):
                continue
            evidence = EvidenceRef(path=record.path, line=record.line, excerpt=_cap(record.raw, EXCERPT_CAP))
            details = [("method", facet.method or ""), ("url", facet.url or ""), ("status", str(facet.status or ""))]
            details.append(("user_agent", facet.user_agent or ""))
            self.result.findings.append(
                sigma_finding(meta, evidence, record.timestamp, facet.client_ip, details, http=facet)
            )


def _event_parts(
    record: EventRecord,
) -> tuple[EvidenceRef, list[tuple[str, str]], EventFacet, ProcessFacet | None]:
    """The evidence, facts and facets of a Windows event, the same for every rule it fires."""
    data = record.data
    shown = [k for k in _TELLING if data.get(k)]
    shown += [k for k in data if k not in shown and data[k]][: max(0, 6 - len(shown))]
    label = f"{record.channel or record.provider or '?'} {record.event_id if record.event_id is not None else '?'}"
    excerpt = _cap(f"{label}: " + " | ".join(f"{k}: {data[k]}" for k in shown), EXCERPT_CAP)
    fields = [(k, _cap(v, DETAIL_CAP)) for k, v in list(data.items())[:MAX_EVENT_FIELDS] if v]
    evidence = EvidenceRef(
        path=record.source,
        line=record.line,
        excerpt=excerpt,
        record=str(record.record_id) if record.record_id is not None else None,
    )
    facet = EventFacet(
        record.channel or None,
        record.event_id,
        record.record_id,
        record.computer or None,
        record.provider or None,
    )
    facts = [("event", label), ("computer", record.computer), *fields]
    return evidence, facts, facet, _process(data)


def sigma_finding(
    meta: SigmaMeta,
    evidence: EvidenceRef,
    timestamp: datetime | None,
    source_ip: str | None,
    facts: list[tuple[str, str]],
    *,
    http: HttpFacet | None = None,
    event: EventFacet | None = None,
    process: ProcessFacet | None = None,
) -> Finding:
    details = [
        ("sigma_id", meta.id),
        ("sigma_level", meta.level),
        ("sigma_rule_file", meta.path),
        ("attack", ", ".join(meta.techniques)),
        ("tags", ", ".join(meta.tags)),
        *facts,
    ]
    return Finding(
        rule_id=meta.id,
        rule_version=1,
        title=meta.title,
        severity=meta.severity,
        category=meta.category,
        implies=meta.implies,
        cves=meta.cves,
        chain=meta.chain,
        evidence=evidence,
        timestamp=timestamp,
        source_ip=source_ip,
        details=tuple((k, v) for k, v in details if v),
        http=http,
        event=event,
        process=process,
    )


def _process(data: dict[str, str]) -> ProcessFacet | None:
    image = data.get("Image") or data.get("NewProcessName") or data.get("SourceImage")
    command = data.get("CommandLine")
    if not image and not command:
        return None
    return ProcessFacet(
        image=image or None,
        command_line=command or None,
        pid=_int(data.get("ProcessId") or data.get("NewProcessId") or data.get("SourceProcessId")),
        parent_image=data.get("ParentImage") or data.get("ParentProcessName") or None,
        parent_pid=_int(data.get("ParentProcessId")),
        user=data.get("User") or data.get("SubjectUserName") or None,
    )


def _int(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text.strip(), 0)
    except ValueError:
        return None
