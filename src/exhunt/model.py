"""The data model shared by detectors, assessment and every output writer.

`Finding` is the one currency: detectors produce them, the assessment turns them into a
verdict, and each report writer renders them. Everything here is a plain, picklable dataclass
so work units can cross process boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse; used for sorting and thresholds."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Verdict(StrEnum):
    COMPROMISED = "compromised"
    ATTEMPTED = "exploitation-attempted"
    SUSPICIOUS = "suspicious"
    CLEAN = "clean"
    INSUFFICIENT = "insufficient-evidence"


class Implies(StrEnum):
    """What a rule's hit says about the host, on its own (DESIGN.md "Verdicts")."""

    COMPROMISE = "compromise"
    ATTEMPT = "attempt"
    SUSPICIOUS = "suspicious"
    NOTHING = "nothing"  # context only (e.g. scanner traffic, mitigation state)


class Chain(StrEnum):
    PROXYLOGON = "ProxyLogon"
    PROXYSHELL = "ProxyShell"
    PROXYNOTSHELL = "ProxyNotShell"
    OWASSRF = "OWASSRF"


CHAINS: tuple[Chain, ...] = tuple(Chain)


class Exposure(StrEnum):
    VULNERABLE = "vulnerable"
    PATCHED = "patched"
    VULNERABLE_UNLESS_SU = "vulnerable-unless-su"
    UNKNOWN = "unknown"


class ArtefactKind(StrEnum):
    """What a file in the evidence is, decided by the evidence layer."""

    HTTPPROXY = "HttpProxy"
    ECP_SERVER = "ECPServer"
    ECP_ACTIVITY = "ECPActivity"
    OAB_GENERATOR = "OABGeneratorLog"
    RPS_HTTP = "RpsHttp"
    IIS = "IIS"
    HTTPERR = "HTTPERR"
    EVTX = "EventLog"
    EVENT_JSON = "EventJSON"
    IIS_CONFIG = "IISConfig"
    FILE = "File"  # anything else: the file-system hunt looks at it


LOG_KINDS = frozenset(
    {
        ArtefactKind.HTTPPROXY,
        ArtefactKind.ECP_SERVER,
        ArtefactKind.ECP_ACTIVITY,
        ArtefactKind.OAB_GENERATOR,
        ArtefactKind.RPS_HTTP,
        ArtefactKind.IIS,
        ArtefactKind.HTTPERR,
    }
)


def utc(ts: datetime) -> datetime:
    """Return `ts` as an aware UTC datetime (naive values are taken to be UTC, as logs are)."""
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC)


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, the one timestamp format of every output."""
    if ts is None:
        return None
    return utc(ts).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """Where a finding comes from: a file relative to the evidence root, and a line in it."""

    path: str
    line: int | None = None
    excerpt: str | None = None
    sha256: str | None = None
    record: str | None = None  # event record id, zip member, byte offset... when a line is not the unit

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.line, "excerpt": self.excerpt,
                               "sha256": self.sha256}
        if self.record is not None:
            out["record"] = self.record
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    rule_version: int
    title: str
    severity: Severity
    category: str
    implies: Implies
    cves: tuple[str, ...]
    chain: str | None
    evidence: EvidenceRef
    timestamp: datetime | None = None
    source_ip: str | None = None
    # Named facts a responder reads next to the evidence: user agent, decoded X-Rps-CAT account,
    # matched strings, request id... Flat strings only, so every writer can show them as they are.
    details: tuple[tuple[str, str], ...] = ()

    def detail(self, key: str) -> str | None:
        for k, v in self.details:
            if k == key:
                return v
        return None

    def sort_key(self) -> tuple[str, str, int]:
        return (iso(self.timestamp) or "9999", self.evidence.path, self.evidence.line or 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "title": self.title,
            "severity": str(self.severity),
            "category": self.category,
            "implies": str(self.implies),
            "cves": list(self.cves),
            "chain": self.chain,
            "timestamp": iso(self.timestamp),
            "source_ip": self.source_ip,
            "evidence": self.evidence.to_dict(),
            "details": dict(self.details),
        }


@dataclass(slots=True)
class CoverageSpan:
    """How far one artefact family reaches in time, and from how many files and records."""

    first: datetime | None = None
    last: datetime | None = None
    files: int = 0
    records: int = 0

    def see(self, ts: datetime | None) -> None:
        if ts is None:
            return
        if self.first is None or ts < self.first:
            self.first = ts
        if self.last is None or ts > self.last:
            self.last = ts

    def merge(self, other: CoverageSpan) -> None:
        self.see(other.first)
        self.see(other.last)
        self.files += other.files
        self.records += other.records

    def to_dict(self) -> dict[str, Any]:
        return {"first": iso(self.first), "last": iso(self.last), "files": self.files,
                "records": self.records}


@dataclass(frozen=True, slots=True)
class EvidenceError:
    """A problem with one piece of evidence. Recorded, shown, and the hunt goes on."""

    path: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "message": self.message}
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(frozen=True, slots=True)
class Observation:
    """A fact about the host learnt from the evidence (its build, its name, a mitigation...)."""

    kind: str  # e.g. "exchange_build", "hostname", "mitigation"
    value: str
    source: str  # evidence path it came from
    timestamp: datetime | None = None
    note: str | None = None


@dataclass(slots=True)
class UnitResult:
    """What one unit of work (one file, or one host-wide check) gives back."""

    findings: list[Finding] = field(default_factory=list)
    coverage: dict[str, CoverageSpan] = field(default_factory=dict)
    errors: list[EvidenceError] = field(default_factory=list)
    # (rule_id, reason) -> count: what a rule deliberately did not report (DESIGN.md "Rules").
    suppressed: dict[tuple[str, str], int] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)

    def suppress(self, rule_id: str, reason: str, count: int = 1) -> None:
        key = (rule_id, reason)
        self.suppressed[key] = self.suppressed.get(key, 0) + count

    def cover(self, artefact: str) -> CoverageSpan:
        span = self.coverage.get(artefact)
        if span is None:
            span = self.coverage[artefact] = CoverageSpan()
        return span

    def merge(self, other: UnitResult) -> None:
        self.findings.extend(other.findings)
        for name, span in other.coverage.items():
            self.cover(name).merge(span)
        self.errors.extend(other.errors)
        for key, n in other.suppressed.items():
            self.suppressed[key] = self.suppressed.get(key, 0) + n
        self.observations.extend(other.observations)
