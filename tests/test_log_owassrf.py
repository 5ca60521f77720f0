"""OWASSRF (CVE-2022-41080/41082): /owa/<mailbox>/powershell in IIS and HttpProxy, ClientInfo in Rps_Http."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from exhunt.model import ArtefactKind, Implies, Severity
from test_log_samples import (
    benign_httpproxy,
    benign_iis,
    evidence,
    httpproxy_log,
    httpproxy_row,
    iis_line,
    iis_log,
    rid,
    rps_log,
    run,
    write,
)

IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex221208.log"
RPS = "C/Program Files/Microsoft/Exchange Server/V15/Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2022120810.LOG"
POC_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/105.0.5195.54 Safari/537.36"
)


def owa_ps(stem: str, status: str, ua: str = POC_UA, minute: int = 0) -> str:
    return iis_line(
        **{
            "date": "2022-12-08",
            "time": f"10:{minute:02d}:00",
            "cs-method": "POST",
            "cs-uri-stem": stem,
            "cs-uri-query": f"&CorrelationID=<empty>;&cafeReqId={rid(6000 + minute)};",
            "cs-username": "CORP\\mastermailbox",
            "c-ip": "192.0.2.77",
            "cs(User-Agent)": ua,
            "sc-status": status,
        }
    )


def test_owa_powershell_path_in_iis(tmp_path: Path) -> None:
    lines = [
        *benign_iis(8),
        owa_ps("/owa/mastermailbox%40outlook.com/powershell", "200", minute=1),  # line 13
        owa_ps("/owa/mastermailbox@outlook.com/powershell", "401", minute=2),  # line 14
        owa_ps("/owa/mastermailbox@outlook.com/powershell", "200", ua="Microsoft WinRM Client", minute=3),
        iis_line(
            **{
                "cs-uri-stem": "/powershell",
                "cs-uri-query": "clientApplication=ActiveMonitor;PSVersion=5.1",
                "cs(User-Agent)": "Microsoft WinRM Client",
                "s-port": "444",
            }
        ),
        *benign_iis(4, start=700),
    ]
    write(tmp_path, IIS, iis_log(lines))
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    served, refused = result.findings
    assert served.rule_id == refused.rule_id == "EXH-OWASSRF-OWA-POWERSHELL"
    assert (served.evidence.line, refused.evidence.line) == (13, 14)
    assert served.implies is Implies.COMPROMISE and served.cves == ("CVE-2022-41080", "CVE-2022-41082")
    assert (refused.implies, refused.severity) == (Implies.ATTEMPT, Severity.HIGH)
    assert served.detail("explicit_mailbox") == "mastermailbox@outlook.com"
    assert served.detail("cafe_request_id") == rid(6001) and served.source_ip == "192.0.2.77"
    assert served.timestamp == datetime(2022, 12, 8, 10, 1, tzinfo=UTC)
    (((rule_id, reason), n),) = result.suppressed.items()
    assert rule_id == "EXH-OWASSRF-OWA-POWERSHELL" and n == 1 and "legitimate" in reason


def test_owa_powershell_path_in_httpproxy(tmp_path: Path) -> None:
    log = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2022120810-1.LOG"
    row = httpproxy_row(
        DateTime="2022-12-08T10:01:00.050Z",
        RequestId=rid(6001),
        Protocol="Owa",
        UrlStem="/owa/mastermailbox%40outlook.com/powershell",
        Method="POST",
        HttpStatus="200",
        UserAgent=POC_UA,
        ClientIpAddress="192.0.2.77",
        AuthenticatedUser="CORP\\mastermailbox",
    )
    write(tmp_path, log, httpproxy_log([*benign_httpproxy(6), row]))
    (f,) = run("httpproxy-log", evidence(tmp_path, log, ArtefactKind.HTTPPROXY)).findings
    assert f.rule_id == "EXH-OWASSRF-OWA-POWERSHELL" and f.evidence.line == 12
    assert f.detail("request_id") == rid(6001) and f.detail("authenticated_user") == "CORP\\mastermailbox"


def test_rps_http_client_info(tmp_path: Path) -> None:
    benign = [
        {
            "DateTime": f"2022-12-08T09:{i:02d}:00.000Z",
            "ClientInfo": c,
            "AuthenticatedUser": "CORP\\admin",
            "ClientIpAddress": "10.0.0.5",
        }
        for i, c in enumerate(["Microsoft WinRM Client", "", "Exchange BackEnd Probes"] * 3)
    ]
    attack = [
        {
            "DateTime": "2022-12-08T10:01:00.100Z",
            "ClientInfo": POC_UA,
            "HttpStatus": "200",
            "AuthenticatedUser": "corp.example/Users/mastermailbox",
            "FrontEndServer": "EX01",
            "ClientIpAddress": "192.0.2.77 10.0.0.11",
            "CommandName": "New-MailboxExportRequest",
            "RequestId": rid(99),
        },
        {
            "DateTime": "2022-12-08T10:02:00.100Z",
            "ClientInfo": "python-requests/2.28.1",
            "HttpStatus": "500",
            "ClientIpAddress": "192.0.2.78,10.0.0.11",
        },
    ]
    write(tmp_path, RPS, rps_log([*benign, *attack]))
    result = run("rps-http-log", evidence(tmp_path, RPS, ArtefactKind.RPS_HTTP))
    served, failed = result.findings
    assert (served.evidence.line, failed.evidence.line) == (14, 15)
    assert served.rule_id == "EXH-OWASSRF-RPS-CLIENTINFO" and served.implies is Implies.COMPROMISE
    assert served.source_ip == "192.0.2.77" and served.detail("client_ip_chain") == "192.0.2.77 10.0.0.11"
    assert served.detail("front_end_server") == "EX01"
    assert served.detail("authenticated_user") == "corp.example/Users/mastermailbox"
    assert served.detail("client_info") == POC_UA
    assert (failed.implies, failed.source_ip) == (Implies.ATTEMPT, "192.0.2.78")
    assert ("exchange_build", "15.1.2507.6") in {(o.kind, o.value) for o in result.observations}
    assert result.coverage["RpsHttp"].records == 11


def test_rps_http_without_header(tmp_path: Path) -> None:
    write(tmp_path, RPS, rps_log([{"ClientInfo": "curl/7.79"}], header=False))
    (f,) = run("rps-http-log", evidence(tmp_path, RPS, ArtefactKind.RPS_HTTP)).findings
    assert f.evidence.line == 1
