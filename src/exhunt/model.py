"""The data model shared by detectors, assessment and every output writer.

`Finding` is the one currency: detectors produce them, the assessment turns them into a
verdict, and each report writer renders them. Everything here is a plain, picklable dataclass
so work units can cross process boundaries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from exhunt.builds.assess import BuildAssessment, read_assessment
from exhunt.chains import CHAINS as CHAINS
from exhunt.chains import Chain as Chain
from exhunt.chains import Exposure as Exposure
from exhunt.codec import AS_OBJECT, OMIT, JsonData, from_data, read_with, to_data


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
    """What a rule's hit says about the host, on its own (docs/verdicts.md)."""

    COMPROMISE = "compromise"
    ATTEMPT = "attempt"
    SUSPICIOUS = "suspicious"
    NOTHING = "nothing"  # context only (e.g. scanner traffic, mitigation state)


class Category(StrEnum):
    """What kind of activity a rule's hit shows (validated when the catalog loads)."""

    RECONNAISSANCE = "reconnaissance"
    EXPLOITATION_ATTEMPT = "exploitation-attempt"
    EXPLOITATION = "exploitation"
    WEBSHELL = "webshell"
    WEBSHELL_ACCESS = "webshell-access"
    POST_EXPLOITATION = "post-exploitation"
    CREDENTIAL_ACCESS = "credential-access"
    PERSISTENCE = "persistence"
    STAGING = "staging"
    MITIGATION = "mitigation"


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
class EvidenceRef(JsonData):
    """Where a finding comes from: a file relative to the evidence root, and a line in it."""

    path: str
    line: int | None = None
    excerpt: str | None = None
    sha256: str | None = None
    record: str | None = field(
        default=None, metadata=OMIT
    )  # event record id, zip member, byte offset... when a line is not the unit


@dataclass(frozen=True, slots=True)
class HttpFacet(JsonData):
    """The web request a finding is about, as the log recorded it."""

    method: str | None = None
    url: str | None = None  # path and query as requested
    host: str | None = None  # the Host the client asked for, when logged
    status: int | None = None
    user_agent: str | None = None
    client_ip: str | None = None
    request_id: str | None = None  # HttpProxy RequestId / IIS cafeReqId
    target: str | None = None  # where the front end routed it (back end, SSRF target)


@dataclass(frozen=True, slots=True)
class FileFacet(JsonData):
    """A file on the server a finding is about (a web shell, a dump, a staged archive)."""

    path: str  # as on the server when known (C:\\...), else as in the evidence
    sha256: str | None = None
    size: int | None = None
    place: str | None = None  # where it sits: web root, Exchange auth folder, aspnet_client...


@dataclass(frozen=True, slots=True)
class EventFacet(JsonData):
    """The Windows event a finding is about."""

    channel: str | None = None
    event_id: int | None = None
    record_id: int | None = None
    computer: str | None = None
    provider: str | None = None


class AccountRole(StrEnum):
    SUBJECT = "subject"  # who acted
    TARGET = "target"  # who was acted on (mailbox exported, role granted to)
    AUTHENTICATED = "authenticated"  # the account the server saw on the request
    IMPERSONATED = "impersonated"  # whom a forged token or anchor claimed to be


@dataclass(frozen=True, slots=True)
class Account(JsonData):
    name: str
    role: AccountRole = AccountRole.SUBJECT
    sid: str | None = None


@dataclass(frozen=True, slots=True)
class ProcessFacet(JsonData):
    image: str | None = None
    command_line: str | None = None
    pid: int | None = None
    parent_image: str | None = None
    parent_pid: int | None = None
    user: str | None = None


# Where a finding goes in a host's order (`Finding.sort_key`): (undated, when, path, line).
SortKey = tuple[bool, datetime, str, int]
_UNDATED = datetime.min.replace(tzinfo=UTC)  # compared only with another undated finding's


@dataclass(frozen=True, slots=True)
class Finding(JsonData):
    rule_id: str
    rule_version: int
    title: str
    severity: Severity
    category: Category
    implies: Implies
    cves: tuple[str, ...]
    chain: str | None
    evidence: EvidenceRef
    timestamp: datetime | None = None
    source_ip: str | None = None
    # Rule-specific facts a responder reads next to the evidence (matched strings, the cmdlet,
    # the folded strings of a shell...). Writers show them as they are and never parse them:
    # anything a writer acts on is a typed facet below.
    details: tuple[tuple[str, str], ...] = field(default=(), metadata=AS_OBJECT)
    http: HttpFacet | None = field(default=None, metadata=OMIT)
    file: FileFacet | None = field(default=None, metadata=OMIT)
    event: EventFacet | None = field(default=None, metadata=OMIT)
    process: ProcessFacet | None = field(default=None, metadata=OMIT)
    accounts: tuple[Account, ...] = field(default=(), metadata=OMIT)

    def __reduce__(self) -> tuple[Any, ...]:
        # Thousands cross from the workers: as msgpack (`exhunt.findingpack`), a fraction of the
        # time of a frozen dataclass's own pickle on both sides.
        from exhunt.findingpack import reduced

        return reduced(self)

    def detail(self, key: str) -> str | None:
        for k, v in self.details:
            if k == key:
                return v
        return None

    def sort_key(self) -> SortKey:
        # Undated ones last; dated ones by their instant (naive times taken as UTC), compared as
        # datetimes: the order of their fixed-width ISO texts in UTC, without making the text
        # (a microsecond each, asked several times a finding by the assessment and its steps).
        ts = self.timestamp
        if ts is None:
            return (True, _UNDATED, self.evidence.path, self.evidence.line or 0)
        return (False, ts if ts.tzinfo is UTC else utc(ts), self.evidence.path, self.evidence.line or 0)


def in_order(findings: Sequence[Finding]) -> Iterable[Finding]:
    """The findings by `Finding.sort_key`: as they stand when they say they are in that order
    (findings moved to a temporary file, read back one at a time, check it as they are
    written), else sorted."""
    if getattr(findings, "ordered", False):
        return findings
    return sorted(findings, key=Finding.sort_key)


@dataclass(slots=True)
class CoverageSpan(JsonData):
    """How far one artefact family reaches in time, and from how many files and records."""

    first: datetime | None = None
    last: datetime | None = None
    files: int = 0
    records: int = 0

    def __reduce__(self) -> tuple[type[CoverageSpan], tuple[datetime | None, datetime | None, int, int]]:
        # Every file's result carries one back from a worker: a plain tuple pickles fastest.
        return (CoverageSpan, (self.first, self.last, self.files, self.records))

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


class ProblemKind(StrEnum):
    """Why a piece of evidence, a rule or a unit of work did not give a full answer."""

    UNREADABLE = "evidence-unreadable"  # could not be opened or read at all
    MALFORMED = "evidence-malformed"  # read, but some records were damaged and skipped
    PARTIAL = "partly-analyzed"  # read and checked, but one check that cannot matter here did not run
    UNSUPPORTED = "evidence-unsupported"  # a format or container exhunt cannot read
    ENCRYPTED = "evidence-encrypted"  # a container or member behind a password
    LIMIT = "limit-exceeded"  # a size, depth, count or ratio bound stopped the reading
    NOT_ANALYZED = "not-analyzed"  # found and classified, but nothing read it
    ANALYZER_FAILED = "analyzer-failed"  # a detector or reader raised
    TIMED_OUT = "timed-out"  # a unit of work passed its deadline and was stopped
    WORKER_DIED = "worker-died"  # the process running the unit died
    RULE_INVALID = "rule-invalid"  # a rule (shipped or the user's) did not load

    @property
    def blocks_clean(self) -> bool:
        """True when the problem means part of the evidence was not looked at, so the host
        cannot be called clean. Damaged records inside a file that was otherwise read do not,
        nor a check left out where it cannot matter (the content of a large non-web file)."""
        return self not in (ProblemKind.MALFORMED, ProblemKind.PARTIAL)


@dataclass(frozen=True, slots=True)
class Problem(JsonData):
    """Something that kept exhunt from a full answer: recorded, counted, shown, and the hunt
    goes on. `producer` names what met it (a reader, an analyzer, the engine, the rule loader)."""

    path: str
    message: str
    line: int | None = field(default=None, metadata=OMIT)
    kind: ProblemKind = ProblemKind.MALFORMED
    producer: str = ""


# The name the first releases used; kept so older callers still import.
EvidenceError = Problem


def count_by_kind(problems: Iterable[Problem]) -> dict[ProblemKind, int]:
    """How many problems of each kind, the kinds that block `clean` first."""
    counts: dict[ProblemKind, int] = {}
    for p in problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (not kv[0].blocks_clean, kv[0].value)))


class ObservationKind(StrEnum):
    """What a fact learnt from the evidence is about (validated when a result is read)."""

    EXCHANGE_BUILD = "exchange_build"
    HOSTNAME = "hostname"
    MITIGATION = "mitigation"
    NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class Observation(JsonData):
    """A fact about the host learnt from the evidence (its build, its name, a mitigation...)."""

    kind: ObservationKind
    value: str
    source: str  # evidence path it came from
    timestamp: datetime | None = None
    note: str | None = None


@dataclass(slots=True)
class PartTally:
    """What the parts of one file, read by several workers at once (`exhunt.engine.Task.part`),
    count once for the whole file: the coverage spans each part counted the file in (`spans`),
    and the host names its events name (`hosts`: name -> [time of its first event, events,
    (part, position of the name among the part's)]), made observations of kind `hostname` with
    `note` (its `{}` the count) once every part is in (`UnitResult.close_parts`): the first
    `max_hosts` names in file order, as a file read whole gives them, in whatever order the parts
    were merged."""

    spans: set[str] = field(default_factory=set)
    hosts: dict[str, list[Any]] = field(default_factory=dict)
    note: str = "{} events"
    max_hosts: int = 16

    def copy(self) -> PartTally:
        return PartTally(set(self.spans), {k: list(v) for k, v in self.hosts.items()}, self.note, self.max_hosts)


@dataclass(slots=True)
class UnitResult:
    """What one unit of work (one file, one part of a file, or one host-wide check) gives back."""

    findings: list[Finding] = field(default_factory=list)
    coverage: dict[str, CoverageSpan] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    # (rule_id, reason) -> count: what a rule deliberately did not report.
    suppressed: dict[tuple[str, str], int] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    # matches of rules Sigma correlations name, kept for the host's assessment (`sigma.correlation.Hit`)
    correlation_hits: list[tuple[Any, ...]] = field(default_factory=list)
    # file path -> what its parts count once (only for files read in parts)
    parts: dict[str, PartTally] = field(default_factory=dict)

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
        self.correlation_hits.extend(other.correlation_hits)
        for path, tally in other.parts.items():
            self._merge_part(path, tally)

    def _merge_part(self, path: str, tally: PartTally) -> None:
        """Another part of the file at `path`: a span an earlier part already counted the file
        in does not count it again, and its host names' counts are added up."""
        mine = self.parts.get(path)
        if mine is None:
            self.parts[path] = tally.copy()
            return
        for name in tally.spans & mine.spans:
            self.coverage[name].files -= 1  # merged above: the file counted once per part
        mine.spans |= tally.spans
        for name, (first, count, at) in tally.hosts.items():
            seen = mine.hosts.get(name)
            if seen is None:
                mine.hosts[name] = [first, count, at]
                continue
            seen[1] += count
            if at < seen[2]:  # seen earlier in the file: its time is the first event's
                seen[0], seen[2] = first, at

    def close_parts(self) -> None:
        """Once every part of every file read in parts is merged: their host names become
        observations, as a file read whole gives them."""
        for path, tally in self.parts.items():
            named = sorted(tally.hosts.items(), key=lambda item: item[1][2])[: tally.max_hosts]
            for name, (first, count, _at) in named:
                self.observations.append(
                    Observation(ObservationKind.HOSTNAME, name, path, first, note=tally.note.format(count))
                )
        self.parts.clear()


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


@dataclass(frozen=True, slots=True)
class Suppression(JsonData):
    """A count of hits a rule deliberately did not report, and why (e.g. scanner probes)."""

    rule_id: str
    reason: str
    count: int


@dataclass(slots=True)
class Incident(JsonData):
    """Findings grouped by source and time: one attacker session, as a responder tells it."""

    id: str
    source_ip: str | None
    first: datetime | None
    last: datetime | None
    chains: tuple[str, ...]
    rule_ids: tuple[str, ...]
    findings: int
    worst: Severity


@dataclass(frozen=True, slots=True)
class RemediationStep(JsonData):
    """One thing to do next, and why (which finding or which build asks for it)."""

    priority: int  # 1 = first
    action: str
    why: str
    details: tuple[str, ...] = ()  # files with hashes, accounts, update names...


@dataclass(slots=True)
class HostAssessment(JsonData):
    host: str
    verdict: Verdict
    verdict_reason: str = ""  # the verdict in plain words, first thing a reader sees
    root: str = ""
    layout: str = ""
    exchange_build: str | None = None
    build_source: str | None = None  # which evidence the build came from
    # What the build leaves open, when the build is known (its JSON: an `exhunt.build/1` item).
    exposure: BuildAssessment | None = field(default=None, metadata=read_with(read_assessment))
    # A list, or once the host is handed to the outputs, the same findings moved to a temporary
    # file (`exhunt.fleet.findingspill`), read back one at a time in the same order.
    findings: Sequence[Finding] = field(default_factory=list)
    log_coverage: dict[str, CoverageSpan] = field(default_factory=dict)
    blind_spots: list[str] = field(default_factory=list)
    suppressed: list[Suppression] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    remediation: list[RemediationStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the evidence layer recognised, in words


# /2 adds the findings' typed facets and each problem's kind and producer; /1 reads as well.
HUNT_SCHEMA = "exhunt.hunt/2"
READABLE_SCHEMAS = ("exhunt.hunt/1", HUNT_SCHEMA)


@dataclass(slots=True)
class HuntResult:
    tool_version: str
    started: datetime
    finished: datetime
    hosts: list[HostAssessment] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"schema": HUNT_SCHEMA, **to_data(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HuntResult:
        if d.get("schema") not in READABLE_SCHEMAS:
            found = d.get("schema")
            raise ValueError(f"not an exhunt hunt result (schema {found!r}, expected {' or '.join(READABLE_SCHEMAS)})")
        if not d.get("started") or not d.get("finished"):
            raise ValueError("hunt result lacks its started/finished times")
        if d.get("schema") == "exhunt.hunt/1":
            d = upgrade_v1(d)
        return from_data(cls, {"tool_version": "?", **d})


def upgrade_v1(doc: dict[str, Any]) -> dict[str, Any]:
    """An `exhunt.hunt/1` document with the facets its findings' details held, so writers read
    old results the way they read new ones. The only place that reads /1 detail keys."""
    hosts = []
    for host in doc.get("hosts") or []:
        if not isinstance(host, dict):
            hosts.append(host)
            continue
        findings = [_facets_of_v1(f) if isinstance(f, dict) else f for f in host.get("findings") or []]
        hosts.append({**host, "findings": findings})
    return {**doc, "hosts": hosts}


def _facets_of_v1(f: dict[str, Any]) -> dict[str, Any]:
    raw_details, raw_evidence = f.get("details"), f.get("evidence")
    details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
    evidence: dict[str, Any] = raw_evidence if isinstance(raw_evidence, dict) else {}
    out = dict(f)
    status = str(details.get("status", "")).partition(".")[0]
    http: dict[str, Any] = {
        "method": details.get("method"),
        "url": details.get("url"),
        "host": details.get("url_host") or details.get("host"),
        "status": int(status) if status.isdigit() else None,
        "user_agent": details.get("user_agent") or details.get("client_info"),
        "client_ip": f.get("source_ip") if (details.get("url") or details.get("method")) else None,
        "request_id": details.get("request_id") or details.get("cafe_request_id"),
        "target": details.get("target_server"),
    }
    if http["url"] or http["request_id"]:
        out["http"] = {k: v for k, v in http.items() if v is not None}
    if evidence.get("sha256"):
        size = str(details.get("size", ""))
        out["file"] = {
            "path": details.get("windows_path") or evidence.get("path", ""),
            "sha256": evidence["sha256"],
            "size": int(size) if size.isdigit() else None,
            "place": details.get("location"),
        }
    roles = {
        "authenticated_user": "authenticated",
        "username": "authenticated",
        "impersonated_user": "impersonated",
        "user": "subject",
        "subject_user": "subject",
        "caller": "subject",
        "target_user": "target",
        "mailbox": "target",
    }
    accounts = [
        {"name": str(details[k]), "role": role} for k, role in roles.items() if details.get(k) not in (None, "", "-")
    ]
    if accounts:
        out["accounts"] = accounts
    return out
