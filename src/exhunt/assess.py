"""From one host's merged results to its assessment: verdict, build, blind spots, incidents.

The verdict is decided by what the rules say a hit implies (`Implies`), never by counting: one
web shell is a compromise, a thousand scanner probes are not. Without findings the verdict fails
closed: a host is called clean only when the evidence holds every artefact the chains are judged
on (`JUDGED_ON`) and no problem that hid evidence was recorded (`ProblemKind.blocks_clean`);
otherwise it is `insufficient-evidence`, and the reason names what was missing.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from exhunt import registry, remediation
from exhunt.builds import BuildAssessment, assess_build
from exhunt.builds.parse import build_order
from exhunt.evidence.base import HostEvidence
from exhunt.model import (
    ArtefactKind,
    CoverageSpan,
    Finding,
    HostAssessment,
    Implies,
    Incident,
    Observation,
    ObservationKind,
    Problem,
    ProblemKind,
    RemediationStep,
    Severity,
    Suppression,
    UnitResult,
    Verdict,
    iso,
    utc,
)
from exhunt.registry import Role

if TYPE_CHECKING:
    from exhunt.fleet.findingspill import ArrivedFindings

# When each chain was exploited in the wild, for "do the logs reach back that far?".
# ProxyLogon: first exploitation seen 2021-01-06, mass exploitation until the end of March 2021.
# ProxyShell: mass exploitation from August 2021. ProxyNotShell: in the wild from August 2022.
# OWASSRF: in the wild from late 2022 (disclosed December 2022).
ATTACK_WINDOWS: tuple[tuple[str, datetime, datetime], ...] = (
    ("ProxyLogon", datetime(2021, 1, 6, tzinfo=UTC), datetime(2021, 3, 31, tzinfo=UTC)),
    ("ProxyShell", datetime(2021, 8, 1, tzinfo=UTC), datetime(2021, 12, 31, tzinfo=UTC)),
    ("ProxyNotShell", datetime(2022, 8, 1, tzinfo=UTC), datetime(2022, 12, 31, tzinfo=UTC)),
    ("OWASSRF", datetime(2022, 11, 1, tzinfo=UTC), datetime(2023, 3, 31, tzinfo=UTC)),
)

# What each artefact means to the verdict comes from the artefact registry.
# Web logs show the SSRF step of every chain.
WEB_LOGS = tuple(a.coverage_key for a in registry.of_role(Role.WEB_LOG))
# The artefacts the chains are judged on: a host is `clean` only when each one was read.
# ProxyLogon: the SSRF in HttpProxy and IIS, CVE-2021-27065 in ECP Server, CVE-2021-26858 in the
# OAB generator log, CVE-2021-26857 in the Application event log. ProxyShell, ProxyNotShell and
# OWASSRF: the SSRF in HttpProxy and IIS, the cmdlets and the shells they start in event logs.
JUDGED_ON = registry.judged_on()
# What each other log's absence hides, for the blind spots.
BLIND_WITHOUT = {
    a.coverage_key: a.blind_spot.removeprefix("No ").removesuffix(".")
    for a in registry.of_role(Role.SUPPORTING_LOG, Role.EVENT_LOG)
}
# Problems named one by one in an `insufficient-evidence` reason; the rest are counted.
REASON_PROBLEMS = 3

INCIDENT_GAP = timedelta(hours=6)
_VERDICT_BY_IMPLIES = {
    Implies.COMPROMISE: Verdict.COMPROMISED,
    Implies.ATTEMPT: Verdict.ATTEMPTED,
    Implies.SUSPICIOUS: Verdict.SUSPICIOUS,
}


def assess(host: HostEvidence, merged: UnitResult, arrived: ArrivedFindings | None = None) -> HostAssessment:
    """The host's assessment from its merged results; with `arrived`, its findings are those
    (not `merged.findings`): the assessment and its remediation read their light copies, and
    the full ones go from the host's own spill to the shared one in their final order."""
    if arrived is None:
        return _assessed(host, merged, sorted(correlate(merged.findings), key=Finding.sort_key))
    lights = arrived.lights()
    extra = correlation_details(lights)
    for i, detail in extra.items():
        lights[i] = dataclasses.replace(lights[i], details=(*lights[i].details, detail))
    order = sorted(range(len(lights)), key=lambda i: lights[i].sort_key())
    assessment = _assessed(host, merged, [lights[i] for i in order])
    assessment.findings, kept, lost = arrived.spill_in(order, extra)
    # Findings kept in memory because a temporary file failed: nothing was lost and no evidence
    # went unread, so a notice, not a problem (as when the shared spill fails, `spill_findings`).
    # Findings that could not be read back have lost their evidence text: that is a problem.
    path = host.root or host.name
    assessment.observations.extend(Observation(ObservationKind.NOTICE, why, path) for why in kept)
    assessment.errors.extend(Problem(path, why, kind=ProblemKind.PARTIAL, producer="exhunt") for why in lost)
    return assessment


def _assessed(host: HostEvidence, merged: UnitResult, findings: list[Finding]) -> HostAssessment:
    coverage = dict(merged.coverage)
    build, build_source = choose_build(merged.observations)
    exposure = _exposure(build)
    blind_spots = find_blind_spots(host, coverage)
    verdict, reason = decide_verdict(findings, coverage, blind_spots, merged.errors)
    assessment = HostAssessment(
        host=host.name,
        verdict=verdict,
        verdict_reason=reason,
        root=host.root,
        layout=host.layout,
        exchange_build=build,
        build_source=build_source,
        exposure=exposure,
        findings=findings,
        log_coverage=coverage,
        blind_spots=blind_spots,
        suppressed=[Suppression(rule_id, why, n) for (rule_id, why), n in sorted(merged.suppressed.items())],
        errors=list(merged.errors),
        incidents=group_incidents(findings),
        observations=list(merged.observations),
        notes=[*several_computers(merged.observations), *host.notes],
    )
    assessment.remediation = _remediation(assessment)
    return assessment


def several_computers(observations: Iterable[Observation]) -> list[str]:
    """A prominent note when the events of one host's evidence name several computers: the
    evidence may hold more than one server, judged here as one."""
    named = {o.value.lower().rstrip(".") for o in observations if o.kind == "hostname"}
    # Exchange's own logs name the server by its short name (HttpProxy ServerHostName, ECP
    # ServerName: EX01), its events by the full one (EX01.corp.example.net): one computer.
    names = sorted(n for n in named if "." in n or not any(m.startswith(n + ".") for m in named))
    if len(names) < 2:
        return []
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return [
        f"SEVERAL COMPUTERS: the events name {len(names)} computers ({shown}); they are judged here as one "
        "host. Hunt again with --split-by-computer to assess each computer apart."
    ]


def choose_build(observations: Iterable[Observation]) -> tuple[str | None, str | None]:
    """ExSetup.exe's file version is authoritative (it includes the SU); else the newest build a
    log reports (HttpProxy's version columns are the front end's own build)."""
    builds = [o for o in observations if o.kind == ObservationKind.EXCHANGE_BUILD]
    if not builds:
        return None, None
    exsetup = [o for o in builds if o.note and "exsetup" in o.note.lower()]
    if exsetup:
        return exsetup[0].value, f"{exsetup[0].note} ({exsetup[0].source})"
    newest = max(builds, key=lambda o: (o.timestamp or datetime.min.replace(tzinfo=UTC), build_order(o.value)))
    return newest.value, f"{newest.note or 'log header'} ({newest.source})"


def _exposure(build: str | None) -> BuildAssessment | None:
    return None if build is None else assess_build(build)


def _remediation(assessment: HostAssessment) -> list[RemediationStep]:
    return list(remediation.plan(assessment))


def _web_spans(coverage: dict[str, CoverageSpan]) -> list[CoverageSpan]:
    return [coverage[k] for k in WEB_LOGS if k in coverage and coverage[k].files]


def _web_reach(coverage: dict[str, CoverageSpan]) -> tuple[datetime, datetime] | None:
    """First and last record of the web logs together, when they have dated records."""
    web = _web_spans(coverage)
    first = min((s.first for s in web if s.first), default=None)
    last = max((s.last for s in web if s.last), default=None)
    return (first, last) if first and last else None


def _day(ts: datetime) -> str:
    return utc(ts).date().isoformat()


def find_blind_spots(host: HostEvidence, coverage: dict[str, CoverageSpan]) -> list[str]:
    spots: list[str] = []
    web = _web_spans(coverage)
    if not web:
        spots.append(
            "No HttpProxy or IIS logs in the evidence: the SSRF steps of every chain (ProxyLogon, "
            "ProxyShell, ProxyNotShell, OWASSRF) cannot be seen."
        )
    elif ArtefactKind.HTTPPROXY.value not in coverage:
        spots.append(registry.artefact(ArtefactKind.HTTPPROXY).blind_spot)
    if web:
        spots.extend(f"No {what}." for kind, what in BLIND_WITHOUT.items() if not _read(coverage, kind))
    reach = _web_reach(coverage)
    if reach:
        first, last = reach
        for chain, start, end in ATTACK_WINDOWS:
            if last < start or first > end:
                spots.append(
                    f"The web logs cover {_day(first)} to {_day(last)} and do not reach the "
                    f"{chain} exploitation window ({_day(start)} to {_day(end)}): an attack "
                    "then can only be found on disk and in event logs."
                )
    return spots


def _read(coverage: dict[str, CoverageSpan], kind: str) -> bool:
    span = coverage.get(kind)
    return span is not None and span.files > 0


def missing_artefacts(coverage: dict[str, CoverageSpan]) -> list[str]:
    """The artefacts the chains are judged on (`JUDGED_ON`) that the evidence did not hold."""
    return [kind for kind in JUDGED_ON if not _read(coverage, kind)]


def decide_verdict(
    findings: list[Finding],
    coverage: dict[str, CoverageSpan],
    blind_spots: list[str],
    problems: Sequence[Problem] = (),
) -> tuple[Verdict, str]:
    """Findings decide compromised / attempted / suspicious whatever is missing; without them the
    host is clean only on complete evidence read without a problem that hid part of it."""
    by_weight: dict[Implies, list[Finding]] = defaultdict(list)
    for f in findings:
        by_weight[f.implies].append(f)
    for implies, verdict in _VERDICT_BY_IMPLIES.items():
        hits = by_weight.get(implies)
        if hits:
            return verdict, _reason(verdict, hits)
    missing = missing_artefacts(coverage)
    blocking = [p for p in problems if p.kind.blocks_clean]
    if missing or blocking:
        return Verdict.INSUFFICIENT, _insufficient_reason(coverage, missing, blocking)
    reach = _web_reach(coverage)
    span = f" The web logs cover {_day(reach[0])} to {_day(reach[1])}." if reach else ""
    return Verdict.CLEAN, (
        "No trace of exploitation or attacker presence in the evidence, which holds every artefact "
        "the chains are judged on."
        + span
        + (" See the blind spots for what could not be checked." if blind_spots else "")
    )


def _insufficient_reason(coverage: dict[str, CoverageSpan], missing: list[str], blocking: list[Problem]) -> str:
    parts = ["Nothing found, but this is not a clean bill of health:"]
    if missing:
        looked = ", ".join(sorted(k for k, s in coverage.items() if s.files and "/" not in k)) or "no logs"
        parts.append(
            f"the evidence has no {_join([JUDGED_ON[k] for k in missing])} (it had: {looked}); "
            "collect the Exchange Logging folder, the IIS logs and the event logs."
        )
    if blocking:
        counts = Counter(str(p.kind) for p in blocking)
        by_kind = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        named = "; ".join(
            f"{p.kind} in {p.producer or 'exhunt'} on {p.path}" + (f":{p.line}" if p.line else "")
            for p in blocking[:REASON_PROBLEMS]
        )
        more = f"; and {len(blocking) - REASON_PROBLEMS} more" if len(blocking) > REASON_PROBLEMS else ""
        rules_only = all(p.kind is ProblemKind.RULE_INVALID for p in blocking)
        what = (
            "some rules did not load, so the evidence was not checked with them"
            if rules_only
            else "parts of the evidence were not looked at"
        )
        parts.append(f"{what} ({by_kind}): {named}{more}.")
    return " ".join(parts)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _reason(verdict: Verdict, hits: list[Finding]) -> str:
    worst = sorted(hits, key=lambda f: (-f.severity.rank, f.sort_key()))
    titles: list[str] = []
    for f in worst:
        if f.title not in titles:
            titles.append(f.title)
    shown = "; ".join(titles[:3]) + (f"; and {len(titles) - 3} more" if len(titles) > 3 else "")
    lead = {
        Verdict.COMPROMISED: "Evidence of successful exploitation or attacker presence",
        Verdict.ATTEMPTED: "Attacks reached this server, without evidence that they succeeded",
        Verdict.SUSPICIOUS: "Weak signals that need a human look",
    }[verdict]
    first = min((f.timestamp for f in hits if f.timestamp), default=None)
    when = f", first at {iso(first)}" if first else ""
    return f"{lead} ({len(hits)} finding{'s' if len(hits) != 1 else ''}{when}): {shown}."


def correlate(findings: list[Finding]) -> list[Finding]:
    """Tie IIS and HttpProxy records of one request together (IIS cafeReqId = HttpProxy
    RequestId, docs/logs.md#iis), so each side names its twin."""
    out = list(findings)
    for i, detail in correlation_details(findings).items():
        f = out[i]
        out[i] = dataclasses.replace(f, details=(*f.details, detail))
    return out


def correlation_details(findings: Sequence[Finding]) -> dict[int, tuple[str, str]]:
    """The `same_request_as` detail each finding that has a twin gets, by its place in `findings`
    (what `correlate` adds); it reads the request id, the path and the line of each."""
    by_request: dict[str, list[int]] = defaultdict(list)
    for i, f in enumerate(findings):
        if f.http is not None and f.http.request_id:
            by_request[f.http.request_id.strip().lower()].append(i)
    extra: dict[int, tuple[str, str]] = {}
    for ids in by_request.values():
        if len(ids) < 2:
            continue
        for i in ids:
            others = sorted(
                {
                    f"{findings[j].evidence.path}:{findings[j].evidence.line}"
                    for j in ids
                    if j != i and findings[j].evidence.path != findings[i].evidence.path
                }
            )
            if others:
                extra[i] = ("same_request_as", ", ".join(others[:5]))
    return extra


def group_incidents(findings: list[Finding]) -> list[Incident]:
    """Group network findings by source address; a gap of hours starts a new incident."""
    by_ip: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.source_ip and f.implies is not Implies.NOTHING:
            by_ip[f.source_ip].append(f)
    groups: list[list[Finding]] = []
    for hits in by_ip.values():
        hits.sort(key=Finding.sort_key)
        current: list[Finding] = []
        for f in hits:
            if current and f.timestamp and current[-1].timestamp and f.timestamp - current[-1].timestamp > INCIDENT_GAP:
                groups.append(current)
                current = []
            current.append(f)
        if current:
            groups.append(current)
    groups.sort(key=lambda g: g[0].sort_key())
    incidents = []
    for n, group in enumerate(groups, 1):
        times = [f.timestamp for f in group if f.timestamp]
        incidents.append(
            Incident(
                id=f"I{n}",
                source_ip=group[0].source_ip,
                first=min(times) if times else None,
                last=max(times) if times else None,
                chains=tuple(sorted({f.chain for f in group if f.chain})),
                rule_ids=tuple(sorted({f.rule_id for f in group})),
                findings=len(group),
                worst=max((f.severity for f in group), key=lambda s: s.rank, default=Severity.INFO),
            )
        )
    return incidents
