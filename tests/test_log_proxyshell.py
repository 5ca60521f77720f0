"""ProxyShell (CVE-2021-34473/34523/31207) and ProxyNotShell (CVE-2022-41040/41082) in IIS and HttpProxy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from exhunt.model import ArtefactKind, Implies, Severity
from test_artefacts_formats import rps_cat
from test_log_samples import (
    benign_httpproxy,
    benign_iis,
    by_rule,
    evidence,
    httpproxy_log,
    httpproxy_row,
    iis_line,
    iis_log,
    rid,
    run,
    write,
)

IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210812.log"
PROXY = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Autodiscover/HttpProxy_2021081210-1.LOG"
ATTACKER = "198.51.100.23"
SID = "S-1-5-21-1004336348-1177238915-682003330-500"
TOKEN = rps_cat("Administrator@corp.example", SID).replace("=", "%3D").replace("+", "%2B").replace("/", "%2F")
EMAIL = "&Email=autodiscover/autodiscover.json%3F@evil.corp"


def ps_iis(query: str, status: str, minute: int, method: str = "POST", ua: str = "python-requests/2.26.0") -> str:
    return iis_line(
        **{
            "date": "2021-08-12",
            "time": f"10:{minute:02d}:00",
            "cs-method": method,
            "cs-uri-stem": "/autodiscover/autodiscover.json",
            "c-ip": ATTACKER,
            "cs(User-Agent)": ua,
            "cs-uri-query": f"{query}&CorrelationID=<empty>;&cafeReqId={rid(4000 + minute)};",
            "sc-status": status,
        }
    )


LEGIT_AUTODISCOVER = [
    iis_line(
        **{
            "cs-uri-stem": "/autodiscover/autodiscover.json/v1.0/alice@corp.example",
            "cs-uri-query": "Protocol=AutodiscoverV1&RedirectCount=1&CorrelationID=<empty>;",
        }
    ),
    iis_line(
        **{
            "cs-uri-stem": "/autodiscover/autodiscover.json",
            "cs-uri-query": "Email=alice%40corp.example&Protocol=ActiveSync&RedirectCount=1",
        }
    ),
]


def test_proxyshell_in_iis_with_decoded_token_and_status_weights(tmp_path: Path) -> None:
    lines = [
        *benign_iis(10),
        *LEGIT_AUTODISCOVER,
        ps_iis(f"@evil.corp/mapi/nspi/?{EMAIL}", "200", 1),  # line 17
        ps_iis(f"@evil.corp/owa/?{EMAIL}", "302", 2, method="GET"),  # line 18: scanner check
        ps_iis(f"@evil.corp/powershell/?X-Rps-CAT={TOKEN}{EMAIL}", "200", 3),  # line 19
        ps_iis(f"@evil.corp/EWS/exchange.asmx?{EMAIL}", "401", 4),  # line 20
        *benign_iis(5, start=900),
    ]
    write(tmp_path, IIS, iis_log(lines, date="2021-08-12 00:00:00"))
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    hits = by_rule(result, "EXH-PS-AUTODISCOVER-SSRF")
    assert [f.evidence.line for f in hits] == [17, 18, 19, 20]
    assert len(result.findings) == 4  # nothing on benign or legitimate autodiscover lines
    mapi, owa, shell, ews = hits
    assert (mapi.implies, mapi.severity) == (Implies.COMPROMISE, Severity.CRITICAL)
    assert mapi.detail("backend") == "mapi"
    assert (owa.implies, owa.severity) == (Implies.ATTEMPT, Severity.HIGH)
    assert (shell.implies, shell.detail("backend")) == (Implies.COMPROMISE, "powershell")
    assert shell.detail("impersonated_user") == "Administrator@corp.example"
    assert shell.detail("impersonated_sid") == SID
    assert shell.detail("cafe_request_id") == rid(4003)
    assert shell.cves == ("CVE-2021-34473", "CVE-2021-34523") and shell.chain == "ProxyShell"
    assert (ews.implies, ews.severity) == (Implies.ATTEMPT, Severity.MEDIUM)
    assert mapi.source_ip == ATTACKER and mapi.timestamp == datetime(2021, 8, 12, 10, 1, tzinfo=UTC)
    assert mapi.detail(
        "url",
    ).startswith("/autodiscover/autodiscover.json?@evil.corp/mapi/nspi/")


def test_proxyshell_in_httpproxy_joins_the_iis_record(tmp_path: Path) -> None:
    row = httpproxy_row(
        DateTime="2021-08-12T10:03:00.120Z",
        RequestId=rid(4003),
        Protocol="Autodiscover",
        UrlStem="/autodiscover/autodiscover.json",
        UrlQuery=f"?@evil.corp/powershell/?X-Rps-CAT={TOKEN}{EMAIL}",
        AuthenticatedUser="",
        AnchorMailbox="",
        UserAgent="python-requests/2.26.0",
        ClientIpAddress=ATTACKER,
        HttpStatus="200",
        Method="POST",
        RoutingHint="",
        BackEndCookie="",
    )
    write(tmp_path, PROXY, httpproxy_log([*benign_httpproxy(8), row]))
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    (f,) = result.findings
    assert f.rule_id == "EXH-PS-AUTODISCOVER-SSRF" and f.evidence.line == 14
    assert f.detail("request_id") == rid(4003)  # = the IIS cafeReqId of the same request
    assert f.detail("impersonated_user") == "Administrator@corp.example"
    assert f.implies is Implies.COMPROMISE


PNS_QUERY = "@evil.corp/owa/&Email=autodiscover/autodiscover.json%3f@evil.corp&Protocol=XYZ&FooProtocol="


@pytest.mark.parametrize(
    ("query", "variant"),
    [
        ("@evil.corp/powershell/?&Email=autodiscover/autodiscover.json%3f@evil.corp", None),
        (PNS_QUERY + "Powershell", "parameter"),
        (PNS_QUERY + "%50owershell", "URL-encoded"),
        (
            "a..foo.var/owa/?&Email=autodiscover/autodiscover.json?a..foo.var&Protocol=XYZ&FooProtocol=%50owershell",
            "no '@'",
        ),
        ("@evil.corp/%2570owershell/?&Email=autodiscover/autodiscover.json%3f@evil.corp", "URL-encoded"),
    ],
)
def test_proxynotshell_and_its_bypass_variants(tmp_path: Path, query: str, variant: str | None) -> None:
    attack = ps_iis(query, "200", 5, ua="Mozilla/5.0 zgrab/0.x").replace(" - " + ATTACKER, " CORP\\bob " + ATTACKER)
    write(tmp_path, IIS, iis_log([*benign_iis(6), *LEGIT_AUTODISCOVER, attack], date="2022-09-29 00:00:00"))
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    (f,) = result.findings
    assert f.rule_id == "EXH-PNS-AUTODISCOVER-POWERSHELL" and f.evidence.line == 13
    assert f.cves == ("CVE-2022-41040", "CVE-2022-41082") and f.implies is Implies.COMPROMISE
    assert f.detail("username") == "CORP\\bob"
    if variant:
        assert variant in (f.detail("variant") or "")


def test_proxynotshell_refused_is_an_attempt(tmp_path: Path) -> None:
    write(tmp_path, IIS, iis_log([ps_iis(PNS_QUERY + "Powershell", "401", 5)]))
    (f,) = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS)).findings
    assert f.rule_id == "EXH-PNS-AUTODISCOVER-POWERSHELL"
    assert (f.implies, f.severity) == (Implies.ATTEMPT, Severity.HIGH)


def test_proxynotshell_in_httpproxy(tmp_path: Path) -> None:
    row = httpproxy_row(
        UrlStem="/autodiscover/autodiscover.json",
        UrlQuery="?" + PNS_QUERY + "%50owershell",
        Protocol="Autodiscover",
        HttpStatus="200",
        ClientIpAddress=ATTACKER,
        RequestId=rid(77),
    )
    write(tmp_path, PROXY, httpproxy_log([*benign_httpproxy(3), row]))
    (f,) = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY)).findings
    assert f.rule_id == "EXH-PNS-AUTODISCOVER-POWERSHELL" and f.evidence.line == 9
    assert f.detail("request_id") == rid(77) and f.detail("authenticated_user") == "CORP\\alice"
