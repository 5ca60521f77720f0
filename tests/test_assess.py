from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from exhunt.assess import JUDGED_ON, assess, correlate, decide_verdict, find_blind_spots, group_incidents
from exhunt.evidence.base import HostEvidence
from exhunt.model import (
    CoverageSpan,
    EvidenceRef,
    Finding,
    HttpFacet,
    Implies,
    Observation,
    Problem,
    ProblemKind,
    Severity,
    UnitResult,
    Verdict,
)

T0 = datetime(2021, 3, 3, 6, 0, tzinfo=UTC)


def _f(
    implies: Implies,
    ip: str | None = "1.2.3.4",
    minutes: int = 0,
    path: str = "a.log",
    details: tuple[tuple[str, str], ...] = (),
) -> Finding:
    return Finding(
        "EXH-X-Y",
        1,
        f"title {implies}",
        Severity.HIGH,
        "exploitation",
        implies,
        (),
        "ProxyLogon",
        EvidenceRef(path, 1),
        T0 + timedelta(minutes=minutes),
        ip,
        details,
    )


def _web(first: datetime, last: datetime) -> dict[str, CoverageSpan]:
    return {"HttpProxy": CoverageSpan(first, last, 3, 100), "IIS": CoverageSpan(first, last, 3, 100)}


def _complete(first: datetime = T0, last: datetime = T0) -> dict[str, CoverageSpan]:
    """Every artefact the chains are judged on."""
    cov = _web(first, last)
    for kind in ("ECPServer", "OABGeneratorLog", "EventLog"):
        cov[kind] = CoverageSpan(first, last, 1, 10)
    return cov


def test_verdict_takes_the_worst_implication() -> None:
    cov = _complete()
    assert decide_verdict([_f(Implies.ATTEMPT), _f(Implies.COMPROMISE)], cov, [])[0] is Verdict.COMPROMISED
    assert decide_verdict([_f(Implies.ATTEMPT), _f(Implies.SUSPICIOUS)], cov, [])[0] is Verdict.ATTEMPTED
    assert decide_verdict([_f(Implies.SUSPICIOUS)], cov, [])[0] is Verdict.SUSPICIOUS
    assert decide_verdict([_f(Implies.NOTHING)], cov, [])[0] is Verdict.CLEAN


def test_never_clean_without_web_logs() -> None:
    verdict, reason = decide_verdict([], {"EventLog": CoverageSpan(T0, T0, 1, 5)}, [])
    assert verdict is Verdict.INSUFFICIENT
    assert "no HttpProxy logs, IIS logs, ECP Server logs or OAB generator logs" in reason
    assert "it had: EventLog" in reason


@pytest.mark.parametrize("absent", ["HttpProxy", "IIS", "ECPServer", "OABGeneratorLog", "EventLog"])
def test_never_clean_without_an_artefact_the_chains_are_judged_on(absent: str) -> None:
    cov = _complete()
    del cov[absent]
    verdict, reason = decide_verdict([], cov, [])
    assert verdict is Verdict.INSUFFICIENT
    assert f"no {JUDGED_ON[absent]}" in reason
    assert decide_verdict([], _complete(), [])[0] is Verdict.CLEAN


def test_iis_logs_and_web_files_alone_are_not_clean() -> None:
    cov = {"IIS": CoverageSpan(T0, T0, 2, 50), "File": CoverageSpan(None, None, 9, 0)}
    verdict, reason = decide_verdict([], cov, [])
    assert verdict is Verdict.INSUFFICIENT
    assert "HttpProxy logs" in reason and "event logs" in reason and "it had: File, IIS" in reason


def test_findings_decide_whatever_is_missing() -> None:
    failed = [Problem("x.log", "boom", 3, ProblemKind.ANALYZER_FAILED, "iis-log")]
    assert decide_verdict([_f(Implies.COMPROMISE)], {}, [], failed)[0] is Verdict.COMPROMISED
    assert decide_verdict([_f(Implies.ATTEMPT)], {}, [], failed)[0] is Verdict.ATTEMPTED
    assert decide_verdict([_f(Implies.SUSPICIOUS)], {}, [], failed)[0] is Verdict.SUSPICIOUS


@pytest.mark.parametrize("kind", [k for k in ProblemKind if k.blocks_clean])
def test_a_problem_that_hid_evidence_keeps_the_host_from_clean(kind: ProblemKind) -> None:
    problem = Problem("W3SVC1/u_ex210303.log", "it went wrong", 12, kind, "iis-log")
    verdict, reason = decide_verdict([], _complete(), [], [problem])
    assert verdict is Verdict.INSUFFICIENT
    assert f"1 {kind}" in reason and "iis-log on W3SVC1/u_ex210303.log:12" in reason


def test_damaged_records_alone_do_not_block_clean() -> None:
    damaged = [
        Problem("a.log", "malformed record", 5, ProblemKind.MALFORMED, "iis-log"),
        Problem("big.edb", "content not scanned", None, ProblemKind.PARTIAL, "files"),
    ]
    assert decide_verdict([], _complete(), [], damaged)[0] is Verdict.CLEAN


def test_many_problems_are_counted_and_a_few_named() -> None:
    problems = [Problem(f"f{n}.log", "x", None, ProblemKind.TIMED_OUT, "engine") for n in range(40)]
    _, reason = decide_verdict([], _complete(), [], problems)
    assert "40 timed-out" in reason and "f0.log" in reason and "and 37 more" in reason
    assert "f39.log" not in reason


def test_blind_spot_when_logs_do_not_reach_the_attack_window() -> None:
    host = HostEvidence("EX01", "/e", "disk-mirror")
    recent = _web(datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC))
    spots = find_blind_spots(host, recent)
    assert any("ProxyLogon exploitation window" in s and "2026-10-01" in s for s in spots)
    old = _web(datetime(2021, 2, 1, tzinfo=UTC), datetime(2021, 3, 10, tzinfo=UTC))
    assert not any("ProxyLogon exploitation window" in s for s in find_blind_spots(host, old))
    assert any("ProxyShell exploitation window" in s for s in find_blind_spots(host, old))


def test_incidents_split_on_long_gaps_and_by_source() -> None:
    found = [
        _f(Implies.ATTEMPT, minutes=0),
        _f(Implies.ATTEMPT, minutes=30),
        _f(Implies.ATTEMPT, minutes=60 * 24),
        _f(Implies.ATTEMPT, ip="5.6.7.8"),
        _f(Implies.NOTHING, ip="9.9.9.9"),
        _f(Implies.ATTEMPT, ip=None),
    ]
    incidents = group_incidents(found)
    assert [(i.source_ip, i.findings) for i in incidents] == [("1.2.3.4", 2), ("5.6.7.8", 1), ("1.2.3.4", 1)]


def test_iis_and_httpproxy_twins_name_each_other() -> None:
    def request(f: Finding, request_id: str) -> Finding:
        return dataclasses.replace(f, http=HttpFacet(request_id=request_id))

    iis = request(_f(Implies.ATTEMPT, path="W3SVC1/u_ex.log"), "ABC-1")
    proxy = request(_f(Implies.COMPROMISE, path="HttpProxy/Ecp/x.LOG"), "abc-1")
    other = request(_f(Implies.ATTEMPT, path="W3SVC1/u_ex.log", details=(("request_id", "abc-1"),)), "zzz")
    out = correlate([iis, proxy, other])
    assert out[0].detail("same_request_as") == "HttpProxy/Ecp/x.LOG:1"
    assert out[1].detail("same_request_as") == "W3SVC1/u_ex.log:1"
    assert out[2].detail("same_request_as") is None


def test_assess_prefers_exsetup_build_over_log_headers() -> None:
    merged = UnitResult(
        observations=[
            Observation("exchange_build", "15.1.2375.7", "HttpProxy/x.LOG", T0 + timedelta(days=9)),
            Observation("exchange_build", "15.1.2375.37", "V15/bin/ExSetup.exe", None, "ExSetup.exe file version"),
        ]
    )
    host = HostEvidence("EX01", "/e", "disk-mirror")
    a = assess(host, merged)
    assert a.exchange_build == "15.1.2375.37" and "ExSetup" in (a.build_source or "")
    assert a.verdict is Verdict.INSUFFICIENT
