"""Builders of small, realistic Exchange and IIS logs for the log tests (and tests of the builders).

Formats follow docs/logs.md: HttpProxy with its preamble and 74-column
`#Fields`, IIS W3C with Exchange's `&CorrelationID=<empty>;&cafeReqId=<guid>;` query suffix,
ECP Server with `S:KEY=value` event data, Rps_Http with the same kind of header.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.artefacts.exchange_csv import HTTPPROXY_FIELDS, RPS_HTTP_FIELDS
from exhunt.artefacts.w3c import DEFAULT_FIELDS
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, Finding, UnitResult

INSTALL = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"
IIS_FIELDS = list(DEFAULT_FIELDS)  # the fields IIS writes by default
OUTLOOK_UA = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5365; Pro)"
BROWSER_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0"


def csv_line(values: Iterable[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(list(values))
    return buf.getvalue()


def rid(n: int) -> str:
    return str(uuid.UUID(int=n))


def httpproxy_row(**values: str) -> str:
    """One HttpProxy row; unnamed columns get plausible benign values."""
    row = {
        "DateTime": "2021-03-03T06:40:00.000Z",
        "RequestId": rid(1),
        "MajorVersion": "15",
        "MinorVersion": "1",
        "BuildVersion": "2176",
        "RevisionVersion": "2",
        "Protocol": "Owa",
        "UrlHost": "mail.corp.example",
        "UrlStem": "/owa/",
        "AuthenticationType": "Negotiate",
        "IsAuthenticated": "true",
        "AuthenticatedUser": "CORP\\alice",
        "AnchorMailbox": "Smtp~alice@corp.example",
        "UserAgent": BROWSER_UA,
        "ClientIpAddress": "10.1.2.3",
        "ServerHostName": "EX01",
        "HttpStatus": "200",
        "BackEndStatus": "200",
        "Method": "GET",
        "ProxyAction": "Proxy",
        "TargetServer": "ex02.corp.example",
        "TargetServerVersion": "15.01.2176.002",
        "RoutingType": "Database",
        "RoutingHint": "Smtp-UserBoundary",
        "BackEndCookie": "Database~6f1c1a2b-0000-4000-8000-000000000000~~2021-03-10T06:40:00",
        "GenericInfo": "BeginRequest=2021-03-03T06:40:00.000Z;CorrelationID=<empty>;ProxyState-Run=None;",
    }
    row.update(values)
    return csv_line(row.get(f, "") for f in HTTPPROXY_FIELDS)


def httpproxy_log(rows: Iterable[str], *, fields: Iterable[str] = HTTPPROXY_FIELDS, bare_header: bool = False) -> str:
    head = [
        "#Software: Microsoft Exchange Server",
        "#Version: 15.01.2176.002",
        "#Log-type: HttpProxy Logs",
        "#Date: 2021-03-03T06:00:00.000Z",
    ]
    head.append(",".join(fields) if bare_header else "#Fields: " + ",".join(fields))
    return "\r\n".join([*head, *rows]) + "\r\n"


def benign_httpproxy(n: int, start: int = 100) -> list[str]:
    return [
        httpproxy_row(
            DateTime=f"2021-03-03T06:{10 + i % 40:02d}:{i % 60:02d}.{i % 1000:03d}Z",
            RequestId=rid(start + i),
            UrlStem=("/owa/", "/ews/exchange.asmx", "/mapi/emsmdb/", "/ecp/")[i % 4],
            UserAgent=(BROWSER_UA, OUTLOOK_UA)[i % 2],
            ClientIpAddress=f"10.1.{i % 7}.{i % 200}",
            AnchorMailbox=f"Smtp~user{i}@corp.example",
        )
        for i in range(n)
    ]


def iis_line(**values: str) -> str:
    row = {
        "date": "2021-03-03",
        "time": "06:40:00",
        "s-ip": "10.0.0.10",
        "cs-method": "GET",
        "cs-uri-stem": "/owa/",
        "cs-uri-query": f"&CorrelationID=<empty>;&cafeReqId={rid(1)};&encoding=;",
        "s-port": "443",
        "cs-username": "",
        "c-ip": "10.1.2.3",
        "cs(User-Agent)": BROWSER_UA,
        "cs(Referer)": "",
        "sc-status": "200",
        "sc-substatus": "0",
        "sc-win32-status": "0",
        "time-taken": "15",
    }
    row.update(values)
    out = []
    for f in IIS_FIELDS:
        v = row.get(f, "")
        if f.startswith("cs(") or f == "cs-username":
            v = v.replace(" ", "+")
        out.append(v or "-")
    return " ".join(out)


def iis_log(lines: Iterable[str], *, fields: Iterable[str] = IIS_FIELDS, date: str = "2021-03-03 00:00:00") -> str:
    head = [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        f"#Date: {date}",
        "#Fields: " + " ".join(fields),
    ]
    return "\r\n".join([*head, *lines]) + "\r\n"


def benign_iis(n: int, start: int = 100) -> list[str]:
    out = []
    for i in range(n):
        cafe = f"&CorrelationID=<empty>;&cafeReqId={rid(start + i)};"
        stem, query = [
            ("/owa/", cafe + "&encoding=;"),
            ("/owa/auth/logon.aspx", "url=https%3a%2f%2fmail%2fowa%2f&reason=0" + cafe),
            ("/EWS/Exchange.asmx", cafe),
            ("/owa/auth/15.1.2176/themes/resources/favicon.ico", cafe),
            ("/autodiscover/autodiscover.xml", cafe),
        ][i % 5]
        out.append(
            iis_line(
                time=f"06:{10 + i % 40:02d}:{i % 60:02d}",
                **{
                    "cs-uri-stem": stem,
                    "cs-uri-query": query,
                    "cs-method": ("GET", "POST")[i % 2],
                    "c-ip": f"10.1.{i % 7}.{i % 200}",
                    "cs(User-Agent)": (BROWSER_UA, OUTLOOK_UA)[i % 2],
                    "cs-username": ("", f"CORP\\user{i}")[i % 2],
                },
            )
        )
    return out


def rps_log(rows: Iterable[Mapping[str, str]], *, header: bool = True) -> str:
    lines = (
        [
            "#Software: Microsoft Exchange Server",
            "#Version: 15.01.2507.006",
            "#Log-type: Rps Http Logs",
            "#Fields: " + ",".join(RPS_HTTP_FIELDS),
        ]
        if header
        else []
    )
    for values in rows:
        row = {
            "DateTime": "2022-12-01T10:00:00.000Z",
            "MajorVersion": "15",
            "MinorVersion": "1",
            "BuildVersion": "2507",
            "RevisionVersion": "6",
            "UrlHost": "ex01.corp.example",
            "UrlStem": "/powershell",
            "AuthenticationType": "Kerberos",
            "IsAuthenticated": "true",
            "ServerHostName": "EX01",
            "FrontEndServer": "EX01",
            "HttpStatus": "200",
            "ClientInfo": "Microsoft WinRM Client",
        }
        row.update(values)
        lines.append(csv_line(row.get(f, "") for f in RPS_HTTP_FIELDS))
    return "\r\n".join(lines) + "\r\n"


def write(tmp: Path, rel: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def evidence(tmp: Path, rel: str, kind: ArtefactKind) -> EvidenceFile:
    path = tmp / rel
    return EvidenceFile(FileRef(str(path)), rel, kind, path.stat().st_size if path.exists() else 0)


def run(analyzer: str, file: EvidenceFile, install: str | None = INSTALL) -> UnitResult:
    a = registry()[analyzer]
    return a.analyze(file, HostContext("EX01", install, HuntOptions()))  # type: ignore[union-attr]


def by_rule(result: UnitResult, rule_id: str) -> list[Finding]:
    return [f for f in result.findings if f.rule_id == rule_id]


# --- tests of the builders themselves: the evidence must look like the real thing ---


def test_httpproxy_row_has_every_column_in_order() -> None:
    row = next(csv.reader([httpproxy_row(UserAgent="a, b", UrlQuery="?x=1")]))
    assert len(row) == len(HTTPPROXY_FIELDS) == 74
    assert row[HTTPPROXY_FIELDS.index("UserAgent")] == "a, b"
    assert row[0].endswith("Z")


def test_iis_line_encodes_spaces_and_empties_like_iis() -> None:
    line = iis_line(**{"cs(User-Agent)": "A B", "cs-username": ""})
    parts = line.split(" ")
    assert len(parts) == len(IIS_FIELDS)
    assert parts[IIS_FIELDS.index("cs(User-Agent)")] == "A+B"
    assert parts[IIS_FIELDS.index("cs-username")] == "-"
