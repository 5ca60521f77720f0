"""Hand-made hunt results for the report, remediation, timeline and STIX tests.

Built from the model alone (as a hunt would produce them), so the writers are tested without
the detectors. `HOSTILE` goes into every field an attacker can reach.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from exhunt.builds.assess import read_assessment
from exhunt.model import (
    Category,
    CoverageSpan,
    EvidenceError,
    EvidenceRef,
    FileFacet,
    Finding,
    HostAssessment,
    HttpFacet,
    HuntResult,
    Implies,
    Incident,
    Observation,
    Severity,
    Suppression,
    Verdict,
)
from exhunt.remediation import plan

HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
CSV_HOSTILE = "a,b \"quoted\", =cmd|'/c calc'!A0\nsecond line\r\nthird"
T0 = datetime(2021, 3, 3, 6, 47, 12, 101000, tzinfo=UTC)
SHELL_SHA = hashlib.sha256(b"oab shell").hexdigest()
DUMP_SHA = hashlib.sha256(b"MDMP dump").hexdigest()
PROXY = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"

EXPOSED_BUILD = {
    "input": "15.1.2176.2",
    "build": "15.1.2176.2",
    "name": "Exchange Server 2016 CU19",
    "release_date": "2020-12-15",
    "exposure": {
        "ProxyLogon": {
            "status": "vulnerable",
            "cves": ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"],
        },
        "ProxyShell": {
            "status": "vulnerable",
            "cves": ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"],
        },
        "ProxyNotShell": {"status": "vulnerable", "cves": ["CVE-2022-41040", "CVE-2022-41082"]},
        "OWASSRF": {"status": "vulnerable", "cves": ["CVE-2022-41080"]},
    },
    "next_update": {"name": "Exchange Server 2016 CU19 Mar21SU", "build": "15.1.2176.9", "kb": "KB5000871"},
    "error": None,
}
PATCHED_BUILD = {
    "input": "15.2.1118.20",
    "build": "15.2.1118.20",
    "name": "Exchange Server 2019 CU12 Nov22SU",
    "release_date": "2022-11-08",
    "exposure": {
        chain: {"status": "patched", "cves": []} for chain in ("ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF")
    },
    "next_update": None,
    "error": None,
}


def finding(
    rule_id: str,
    severity: str,
    category: str,
    implies: str,
    path: str,
    *,
    line: int | None = None,
    chain: str | None = None,
    cves: tuple[str, ...] = (),
    excerpt: str | None = None,
    ts: datetime | None = None,
    ip: str | None = None,
    sha256: str | None = None,
    details: tuple[tuple[str, str], ...] = (),
    title: str | None = None,
) -> Finding:
    said = dict(details)
    http = None
    if said.get("url") or said.get("user_agent"):
        http = HttpFacet(
            method=said.get("method"),
            url=said.get("url"),
            host=said.get("url_host"),
            user_agent=said.get("user_agent"),
            client_ip=ip,
        )
    return Finding(
        rule_id,
        1,
        title or f"Test rule {rule_id}",
        Severity(severity),
        Category(category),
        Implies(implies),
        cves,
        chain,
        EvidenceRef(path, line, excerpt, sha256),
        ts,
        ip,
        details,
        http=http,
        file=FileFacet(path, sha256) if sha256 else None,
    )


def compromised_findings(hostile: str = "") -> list[Finding]:
    """A ProxyLogon chain, the OAB web shell, its use and an LSASS dump (`hostile` appended to
    every attacker-controlled field)."""
    h = hostile
    return [
        finding(
            "EXH-PL-26855-SSRF",
            "medium",
            "exploitation-attempt",
            "attempt",
            PROXY,
            line=9,
            chain="ProxyLogon",
            cves=("CVE-2021-26855",),
            ts=T0 - timedelta(hours=9),
            ip="198.51.100.77",
            excerpt="ServerInfo~a]@EX01.corp.example.net:444/autodiscover/autodiscover.xml?#" + h,
            details=(("user_agent", "python-requests/2.25.1" + h),),
        ),
        finding(
            "EXH-PL-26855-SSRF",
            "critical",
            "exploitation",
            "compromise",
            PROXY,
            line=12,
            chain="ProxyLogon",
            cves=("CVE-2021-26855",),
            ts=T0,
            ip="203.0.113.47",
            excerpt="2021-03-03T06:47:12.101Z,...,ServerInfo~a]@EX01:444/mapi/emsmdb/?#" + h,
            details=(
                ("user_agent", "python-requests/2.25.1" + h),
                ("url", "/ecp/y.js" + h),
                ("method", "POST"),
            ),
        ),
        finding(
            "EXH-PL-27065-RESET-VDIR",
            "critical",
            "exploitation",
            "compromise",
            PROXY,
            line=16,
            chain="ProxyLogon",
            cves=("CVE-2021-27065",),
            ts=T0 + timedelta(seconds=17),
            ip="203.0.113.47",
            excerpt="/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#" + h,
        ),
        finding(
            "EXH-WS-OAB-SCRIPT",
            "critical",
            "webshell",
            "compromise",
            "C/inetpub/wwwroot/aspnet_client/Q7kf2LmA" + h + ".aspx",
            chain="ProxyLogon",
            cves=("CVE-2021-27065",),
            sha256=SHELL_SHA,
            excerpt='ExternalUrl : http://f/<script language="JScript" runat="server">' + h,
        ),
        finding(
            "EXH-IIS-WEBSHELL-ACCESS",
            "high",
            "webshell-access",
            "compromise",
            IIS,
            line=40,
            ts=T0 + timedelta(minutes=23),
            ip="198.51.100.23",
            excerpt="2021-03-03 07:10:01 POST /aspnet_client/Q7kf2LmA.aspx" + h,
            details=(
                ("user_agent", "antSword/v2.1" + h),
                ("url", "/aspnet_client/Q7kf2LmA.aspx"),
                ("method", "POST"),
            ),
        ),
        finding(
            "EXH-FS-LSASS-DUMP",
            "critical",
            "credential-access",
            "compromise",
            "C/root/lsass.dmp",
            sha256=DUMP_SHA,
        ),
        finding(
            "EXH-EVT-MGMT-VDIR-SCRIPT",
            "critical",
            "exploitation",
            "compromise",
            "events/MSExchange_Management.jsonl",
            line=3,
            chain="ProxyLogon",
            cves=("CVE-2021-27065",),
            ts=T0 + timedelta(seconds=14),
            excerpt='Set-OabVirtualDirectory -ExternalUrl "http://f/<script>"' + h,
        ),
    ]


def compromised_host(hostile: str = "", name: str = "EX01") -> HostAssessment:
    h = hostile
    return HostAssessment(
        host=name + h,
        verdict=Verdict.COMPROMISED,
        verdict_reason="Web shell on disk and a complete ProxyLogon chain from 203.0.113.47" + h,
        root="examples/EX01-compromised",
        layout="disk-mirror",
        exchange_build="15.1.2176.2",
        build_source="HttpProxy #Version" + h,
        exposure=read_assessment(EXPOSED_BUILD),
        findings=compromised_findings(h),
        log_coverage={
            "HttpProxy": CoverageSpan(datetime(2021, 2, 22, tzinfo=UTC), datetime(2021, 3, 5, tzinfo=UTC), 30, 2000),
            "IIS": CoverageSpan(datetime(2021, 2, 24, tzinfo=UTC), datetime(2021, 3, 5, tzinfo=UTC), 10, 1500),
        },
        blind_spots=["no Rps_Http logs" + h],
        suppressed=[Suppression("EXH-PL-26855-SSRF", "scanner probe (ServerInfo~localhost)" + h, 3)],
        errors=[EvidenceError("C/bad.log" + h, "truncated line" + h, 9)],
        incidents=[
            Incident(
                "I1",
                "203.0.113.47",
                T0,
                T0 + timedelta(seconds=40),
                ("ProxyLogon",),
                ("EXH-PL-26855-SSRF", "EXH-PL-27065-RESET-VDIR"),
                4,
                Severity.CRITICAL,
            ),
            Incident(
                "I2",
                "198.51.100.23" + h,
                T0 + timedelta(minutes=23),
                T0 + timedelta(minutes=40),
                (),
                ("EXH-IIS-WEBSHELL-ACCESS",),
                1,
                Severity.HIGH,
            ),
        ],
        observations=[
            Observation("exchange_build", "15.1.2176.2", PROXY),
            Observation("hostname", name + h, PROXY),
        ],
    )


def clean_host(name: str = "EX02") -> HostAssessment:
    return HostAssessment(
        host=name,
        verdict=Verdict.CLEAN,
        verdict_reason="Three weeks of logs and the file system show no attack",
        root="examples/EX02-clean",
        layout="disk-mirror",
        exchange_build="15.2.1118.20",
        build_source="HttpProxy #Version",
        exposure=read_assessment(PATCHED_BUILD),
        log_coverage={
            "HttpProxy": CoverageSpan(datetime(2023, 1, 9, tzinfo=UTC), datetime(2023, 1, 27, tzinfo=UTC), 40, 900)
        },
        suppressed=[Suppression("EXH-PL-26855-SSRF", "scanner probe (ServerInfo~localhost)", 1)],
    )


def hunt(*hosts: HostAssessment) -> HuntResult:
    """A hunt result of `hosts`, each with the remediation plan assessment gives it."""
    for host in hosts:
        host.remediation = host.remediation or plan(host)
    return HuntResult(
        "0.1.0",
        datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC),
        datetime(2024, 5, 6, 7, 9, 0, tzinfo=UTC),
        list(hosts),
    )


def test_fixtures_round_trip_through_the_json_contract() -> None:
    result = hunt(compromised_host(HOSTILE), clean_host())
    assert HuntResult.from_dict(result.to_dict()).to_dict() == result.to_dict()
