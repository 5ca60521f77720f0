"""Generate a realistic benign Exchange log corpus of a chosen size, with known attack lines.

    python bench/corpus.py OUT_DIR --size-mb 1024 [--seed 1] [--attacks 5]

Writes, under OUT_DIR:
- `Logging/HttpProxy/<Protocol>/HttpProxy_<YYYYMMDDHH>-<n>.LOG` for eight protocol folders, with
  the full 74-column `#Fields` header (docs/logs.md#httpproxy) and busy-server traffic;
- `inetpub/logs/LogFiles/W3SVC1/u_ex<YYMMDD>.log` IIS W3C logs with Exchange's
  `&CorrelationID=<empty>;&cafeReqId=<guid>;` queries (docs/logs.md#iis);
- `manifest.json`: every injected attack line as (file, line, rule id), and the counts of
  injected lines a rule only counts as suppressed (scanner probes).

Benign traffic includes lines that look close to attacks (autodiscover.json with a mailbox in
the path, OWA logon pages, remote PowerShell), so the prefilter has real candidates to reject.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from exhunt.artefacts.exchange_csv import HTTPPROXY_FIELDS
from exhunt.artefacts.w3c import DEFAULT_FIELDS

HTTPPROXY_SHARE = 0.6  # of the bytes; the rest is IIS
HTTPPROXY_FILE_MB = 24  # Exchange rolls its logs at a few tens of MB
IIS_FILE_MB = 160  # IIS writes one file a day, large on a busy front end
IIS_FIELDS = list(DEFAULT_FIELDS)  # the fields IIS writes by default

DOMAIN = "corp.example"
SERVERS = ["EX01", "EX02", "EX03"]
BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.82 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 11_2_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0 Safari/537.36 "
    "Edg/89.0",
]
OUTLOOK = [
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5134; Pro)",
    "Outlook-iOS/723.4027091.prod.iphone (4.2116.0)",
]
DEVICES = ["Apple-iPhone13C2/1805.228", "Android-SAMSUNG-SM-G991B/101.10", "Outlook-Android/2.0"]
EWS = [
    "ExchangeServicesClient/15.00.0913.015",
    "MacOutlook/16.47.21031401 (Intelx64 Mac OS X 11.2.3)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro) EWS",
]


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Pools:
    rng: random.Random
    users: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    guids: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, rng: random.Random) -> Pools:
        p = cls(rng)
        p.users = [f"user{i:04d}" for i in range(1500)]
        p.internal = [f"10.{rng.randrange(1, 40)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(3000)]
        p.external = [
            f"{rng.choice([31, 46, 62, 77, 81, 85, 91, 94, 176, 178, 185, 212])}.{rng.randrange(256)}."
            f"{rng.randrange(256)}.{rng.randrange(1, 255)}"
            for _ in range(2000)
        ]
        p.guids = [guid(rng) for _ in range(5000)]
        return p


# --- benign HttpProxy -----------------------------------------------------------------------

PROTOCOLS = {
    # protocol: (weight, [(stem, query, method, user agents)])
    "Owa": (
        30,
        [
            ("/owa/service.svc", "?action=GetItem&EP=1&ID=-{n}&AC=1", "POST", BROWSERS),
            ("/owa/", "", "GET", BROWSERS),
            ("/owa/service.svc", "?action=FindItem&app=Mail&n={n}", "POST", BROWSERS),
            ("/owa/ev.owa2", "?ns=PendingRequest&ev=PendingNotificationRequest&UA=0&cid={guid}", "POST", BROWSERS),
        ],
    ),
    "Ews": (15, [("/EWS/Exchange.asmx", "", "POST", EWS)]),
    "Mapi": (
        20,
        [
            ("/mapi/emsmdb/", "?MailboxId={guid}@{domain}", "POST", OUTLOOK),
            ("/mapi/nspi/", "?MailboxId={guid}@{domain}", "POST", OUTLOOK),
        ],
    ),
    "Autodiscover": (
        10,
        [
            ("/Autodiscover/Autodiscover.xml", "", "POST", OUTLOOK),
            (
                "/autodiscover/autodiscover.json/v1.0/{user}@{domain}",
                "?Protocol=AutodiscoverV1&RedirectCount=1",
                "GET",
                OUTLOOK,
            ),
            (
                "/autodiscover/autodiscover.json",
                "?Email={user}%40{domain}&Protocol=ActiveSync&RedirectCount=1",
                "GET",
                DEVICES,
            ),
        ],
    ),
    "Eas": (
        12,
        [
            (
                "/Microsoft-Server-ActiveSync/default.eas",
                "?Cmd=Sync&User={user}&DeviceId=ApplF{n}&DeviceType=iPhone",
                "POST",
                DEVICES,
            ),
            (
                "/Microsoft-Server-ActiveSync/default.eas",
                "?Cmd=Ping&User={user}&DeviceId=SEC{n}&DeviceType=Android",
                "POST",
                DEVICES,
            ),
        ],
    ),
    "Ecp": (
        4,
        [
            ("/ecp/", "", "GET", BROWSERS),
            ("/ecp/DDI/DDIService.svc/GetList", "?schema=MailboxService&msExchEcpCanary={guid}", "POST", BROWSERS),
        ],
    ),
    "PowerShell": (
        3,
        [
            (
                "/powershell",
                "?serializationLevel=Full;ExchClientVer=15.1.2176.2;"
                "clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.17763.1852",
                "POST",
                ["Microsoft WinRM Client"],
            )
        ],
    ),
    "RpcHttp": (6, [("/rpc/rpcproxy.dll", "?{server}.{domain}:6001", "RPC_IN_DATA", OUTLOOK)]),
}


def proxy_row(
    rng: random.Random, pools: Pools, when: datetime, protocol: str, over: dict[str, str] | None = None
) -> str:
    stem, query, method, agents = rng.choice(PROTOCOLS[protocol][1])
    user = rng.choice(pools.users)
    server = rng.choice(SERVERS)
    g = rng.choice(pools.guids)
    fmt = {"n": rng.randrange(10**6), "guid": g, "domain": DOMAIN, "user": user, "server": server}
    status = rng.choices(["200", "200", "200", "401", "302", "500"], [60, 20, 10, 6, 3, 1])[0]
    sid = f"S-1-5-21-1004336348-1177238915-682003330-{rng.randrange(1000, 99999)}"
    anchor = rng.choice([f"Smtp~{user}@{DOMAIN}", f"Sid~{sid}", f"MailboxGuid~{g}", f"PuidSmtp~{user}@{DOMAIN}"])
    values = {
        "DateTime": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "RequestId": guid(rng),
        "MajorVersion": "15",
        "MinorVersion": "1",
        "BuildVersion": "2176",
        "RevisionVersion": "2",
        "ClientRequestId": guid(rng) if rng.random() < 0.4 else "",
        "Protocol": protocol,
        "UrlHost": f"mail.{DOMAIN}",
        "UrlStem": stem.format(**fmt),
        "ProtocolAction": "",
        "AuthenticationType": rng.choice(["Negotiate", "Basic", "OAuth", "Kerberos"]),
        "IsAuthenticated": "true",
        "AuthenticatedUser": f"{user}@{DOMAIN}",
        "Organization": "",
        "AnchorMailbox": anchor,
        "UserAgent": rng.choice(agents),
        "ClientIpAddress": rng.choice(pools.internal if rng.random() < 0.7 else pools.external),
        "ServerHostName": server,
        "HttpStatus": status,
        "BackEndStatus": status,
        "ErrorCode": "",
        "Method": method,
        "ProxyAction": "Proxy",
        "TargetServer": f"{rng.choice(SERVERS).lower()}.{DOMAIN}",
        "TargetServerVersion": "15.01.2176.002",
        "RoutingType": "Database",
        "RoutingHint": rng.choice(["Smtp-UserBoundary", "ExplicitLogon-SMTP", "DatabaseGuid", "Sid"]),
        "BackEndCookie": f"Database~{g}~~{when.date()}T00:00:00",
        "ServerLocatorHost": f"{server}.{DOMAIN}",
        "ServerLocatorLatency": str(rng.randrange(4)),
        "RequestBytes": str(rng.randrange(200, 90000)),
        "ResponseBytes": str(rng.randrange(200, 400000)),
        "TargetOutstandingRequests": str(rng.randrange(9)),
        "AuthModulePerfContext": f"AuthModulePerfCtx=OnAuthenticate={rng.randrange(5)};",
        "HttpPipelineLatency": str(rng.randrange(30)),
        "CalculateTargetBackEndLatency": str(rng.randrange(5)),
        "GlsLatencyBreakup": "",
        "TotalGlsLatency": "",
        "AccountForestLatencyBreakup": "",
        "TotalAccountForestLatency": "",
        "ResourceForestLatencyBreakup": "",
        "TotalResourceForestLatency": "",
        "ADLatency": "",
        "SharedCacheLatencyBreakup": "",
        "TotalSharedCacheLatency": "",
        "ActivityContextLifeTime": str(rng.randrange(10, 3000)),
        "ModuleToHandlerSwitchingLatency": "0",
        "ClientReqStreamLatency": str(rng.randrange(3)),
        "BackendReqInitLatency": str(rng.randrange(3)),
        "BackendReqStreamLatency": str(rng.randrange(3)),
        "BackendProcessingLatency": str(rng.randrange(2000)),
        "BackendRespInitLatency": str(rng.randrange(3)),
        "BackendRespStreamLatency": str(rng.randrange(3)),
        "ClientRespStreamLatency": str(rng.randrange(3)),
        "KerberosAuthHeaderLatency": "",
        "HandlerCompletionLatency": "0",
        "RequestHandlerLatency": str(rng.randrange(40)),
        "HandlerToModuleSwitchingLatency": "0",
        "ProxyTime": str(rng.randrange(2000)),
        "CoreLatency": str(rng.randrange(30)),
        "RoutingLatency": str(rng.randrange(5)),
        "HttpProxyOverhead": str(rng.randrange(30)),
        "TotalRequestTime": str(rng.randrange(3000)),
        "RouteRefresherLatency": "",
        "UrlQuery": query.format(**fmt),
        "BackEndGenericInfo": "",
        "GenericInfo": f"BeginRequest={when.isoformat()}Z;CorrelationID=<empty>;ProxyState-Run=None;"
        f"FEAuth=BEVersion-1942061997;S:ServiceCommonMetadata.HttpMethod={method};"
        f"EndRequest={when.isoformat()}Z;",
        "GenericErrors": "",
        "EdgeTraceId": "",
        "DatabaseGuid": g,
        "UserADObjectGuid": guid(rng),
        "PartitionEndpointLookupLatency": "",
        "RoutingStatus": "",
    }
    if over:
        values.update(over)
    return csv_line(values.get(f, "") for f in HTTPPROXY_FIELDS)


def csv_line(values: object) -> str:
    out = []
    for v in values:  # type: ignore[attr-defined]
        s = str(v)
        if any(c in s for c in ',"\r\n'):
            s = '"' + s.replace('"', '""') + '"'
        out.append(s)
    return ",".join(out)


def proxy_header(when: datetime) -> list[str]:
    return [
        "#Software: Microsoft Exchange Server",
        "#Version: 15.01.2176.002",
        "#Log-type: HttpProxy Logs",
        f"#Date: {when.strftime('%Y-%m-%dT%H:%M:%S.000Z')}",
        "#Fields: " + ",".join(HTTPPROXY_FIELDS),
    ]


# --- benign IIS ------------------------------------------------------------------------------

IIS_REQUESTS = [
    # (weight, stem, query, method)
    (25, "/owa/service.svc", "action=GetItem&EP=1&ID=-{n}&AC=1", "POST"),
    (10, "/owa/", "", "GET"),
    (6, "/owa/auth/logon.aspx", "url=https%3a%2f%2fmail.{domain}%2fowa%2f&reason=0", "GET"),
    (3, "/owa/auth.owa", "", "POST"),
    (4, "/owa/auth/15.1.2176/themes/resources/favicon.ico", "", "GET"),
    (15, "/EWS/Exchange.asmx", "", "POST"),
    (15, "/mapi/emsmdb/", "mailboxId={guid}@{domain}", "POST"),
    (5, "/Autodiscover/Autodiscover.xml", "", "POST"),
    (2, "/autodiscover/autodiscover.json/v1.0/{user}@{domain}", "Protocol=AutodiscoverV1&RedirectCount=1", "GET"),
    (
        10,
        "/Microsoft-Server-ActiveSync/default.eas",
        "Cmd=Sync&User={user}&DeviceId=ApplF{n}&DeviceType=iPhone",
        "POST",
    ),
    (2, "/ecp/", "", "GET"),
    (2, "/powershell", "clientApplication=ActiveMonitor;PSVersion=5.1.17763.1852", "POST"),
    (1, "/aspnet_client/system_web/4_0_30319/WebUIValidation.js", "", "GET"),
]
IIS_WEIGHTS = [r[0] for r in IIS_REQUESTS]


def iis_row(rng: random.Random, pools: Pools, when: datetime, over: dict[str, str] | None = None) -> str:
    _, stem, query, method = rng.choices(IIS_REQUESTS, IIS_WEIGHTS)[0]
    user = rng.choice(pools.users)
    fmt = {"n": rng.randrange(10**6), "guid": rng.choice(pools.guids), "domain": DOMAIN, "user": user}
    q = query.format(**fmt)
    values = {
        "date": when.strftime("%Y-%m-%d"),
        "time": when.strftime("%H:%M:%S"),
        "s-ip": "10.0.0.10",
        "cs-method": method,
        "cs-uri-stem": stem.format(**fmt),
        "cs-uri-query": (q + "&" if q else "&") + f"CorrelationID=<empty>;&cafeReqId={guid(rng)};",
        "s-port": "443",
        "cs-username": rng.choice([f"CORP\\{user}", f"{user}@{DOMAIN}", "-"]),
        "c-ip": rng.choice(pools.internal if rng.random() < 0.7 else pools.external),
        "cs(User-Agent)": rng.choice(BROWSERS + OUTLOOK + DEVICES),
        "cs(Referer)": "-",
        "sc-status": rng.choices(["200", "302", "401", "404", "500"], [75, 8, 12, 3, 2])[0],
        "sc-substatus": "0",
        "sc-win32-status": "0",
        "time-taken": str(rng.randrange(1, 3000)),
    }
    if over:
        values.update(over)
    return w3c_line(values)


def w3c_line(values: dict[str, str]) -> str:
    out = []
    for f in IIS_FIELDS:
        v = values.get(f, "") or "-"
        if f.startswith("cs(") or f == "cs-username":
            v = v.replace(" ", "+")
        out.append(v)
    return " ".join(out)


def iis_header(when: datetime) -> list[str]:
    return [
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        f"#Date: {when.strftime('%Y-%m-%d %H:%M:%S')}",
        "#Fields: " + " ".join(IIS_FIELDS),
    ]


# --- attacks ----------------------------------------------------------------------------------


def x_rps_cat(upn: str, sid: str) -> str:
    def tag(t: bytes, s: str) -> bytes:
        return t + bytes([len(s)]) + s.encode()

    raw = (
        b"V\x01\x00"
        + tag(b"T", "Windows")
        + b"C\x00"
        + tag(b"A", "Kerberos")
        + tag(b"L", upn)
        + tag(b"U", sid)
        + b"G\x01\x00\x00\x00\x07\x00\x00\x00\x0cS-1-5-32-544E\x00\x00\x00\x00"
    )
    return base64.b64encode(raw).decode().replace("=", "%3D").replace("+", "%2B").replace("/", "%2F")


Attack = tuple[dict[str, str], list[str]]  # (column overrides, rule ids it must raise)


def proxy_attacks(n: int, rng: random.Random) -> dict[str, list[Attack]]:
    """Per protocol folder: rows to inject and the rules each must raise."""

    def ip() -> str:
        return f"203.0.113.{rng.randrange(1, 255)}"

    be = "ServerInfo~a]@EX01.corp.example:444/"
    email = "&Email=autodiscover/autodiscover.json%3F@evil.corp"
    out: dict[str, list[Attack]] = {"Ecp": [], "Autodiscover": [], "Owa": []}
    for i in range(n):
        ssrf = {
            "UrlStem": "/ecp/y.js",
            "Method": "POST",
            "AuthenticatedUser": "",
            "IsAuthenticated": "false",
            "UserAgent": "python-requests/2.25.1",
            "RoutingHint": "X-BEResource-Cookie",
            "BackEndCookie": "",
        }
        out["Ecp"] += [
            (
                {**ssrf, "AnchorMailbox": be + "ecp/proxyLogon.ecp?#", "HttpStatus": "241", "ClientIpAddress": ip()},
                ["EXH-PL-26855-SSRF"],
            ),
            (
                {
                    **ssrf,
                    "AnchorMailbox": be + "autodiscover/autodiscover.xml?#",
                    "HttpStatus": "200",
                    "ClientIpAddress": ip(),
                },
                ["EXH-PL-26855-AUTODISCOVER"],
            ),
            (
                {
                    **ssrf,
                    "AnchorMailbox": be + f"ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary=c{i}"
                    "&schema=ResetOABVirtualDirectory#",
                    "HttpStatus": "200",
                    "ClientIpAddress": ip(),
                },
                ["EXH-PL-26855-SSRF", "EXH-PL-27065-RESETVDIR"],
            ),
            (
                {
                    **ssrf,
                    "AnchorMailbox": "",
                    "BackEndCookie": "Server~EX01.corp.example:444/ecp/x.ecp?~1942062522",
                    "HttpStatus": "200",
                    "ClientIpAddress": ip(),
                },
                ["EXH-PL-26855-BECOOKIE"],
            ),
        ]
        out["Autodiscover"] += [
            (
                {
                    "UrlStem": "/autodiscover/autodiscover.json",
                    "AuthenticatedUser": "",
                    "AnchorMailbox": "",
                    "UrlQuery": f"?@evil.corp/powershell/?X-Rps-CAT={x_rps_cat('admin@corp.example', 'S-1-5-21-1-2-3-500')}"
                    + email,
                    "HttpStatus": "200",
                    "ClientIpAddress": ip(),
                },
                ["EXH-PS-AUTODISCOVER-SSRF"],
            ),
            (
                {
                    "UrlStem": "/autodiscover/autodiscover.json",
                    "HttpStatus": "200",
                    "ClientIpAddress": ip(),
                    "UrlQuery": "?@evil.corp/owa/&Email=autodiscover/autodiscover.json%3f@evil.corp&Protocol=XYZ"
                    "&FooProtocol=%50owershell",
                },
                ["EXH-PNS-AUTODISCOVER-POWERSHELL"],
            ),
        ]
        out["Owa"] += [
            (
                {
                    "UrlStem": "/owa/mastermailbox%40outlook.com/powershell",
                    "Method": "POST",
                    "HttpStatus": "200",
                    "UserAgent": "python-requests/2.28.1",
                    "ClientIpAddress": ip(),
                },
                ["EXH-OWASSRF-OWA-POWERSHELL"],
            ),
        ]
    return out


def iis_attacks(n: int, rng: random.Random) -> list[Attack]:
    def ip() -> str:
        return f"198.51.100.{rng.randrange(1, 255)}"

    email = "&Email=autodiscover/autodiscover.json%3F@evil.corp"
    out: list[Attack] = []
    for i in range(n):
        out += [
            (
                {
                    "cs-method": "POST",
                    "cs-uri-stem": "/ecp/y.js",
                    "c-ip": ip(),
                    "sc-status": "200",
                    "cs(User-Agent)": "ExchangeServicesClient/0.0.0.0",
                    "cs-username": "",
                },
                ["EXH-PL-IIS-SSRF-ENTRY"],
            ),
            (
                {
                    "cs-method": "POST",
                    "cs-uri-stem": "/autodiscover/autodiscover.json",
                    "c-ip": ip(),
                    "sc-status": "200",
                    "cs-uri-query": f"@evil.corp/mapi/nspi/?{email}&CorrelationID=<empty>;&cafeReqId={uuid.uuid4()};",
                },
                ["EXH-PS-AUTODISCOVER-SSRF"],
            ),
            (
                {
                    "cs-method": "POST",
                    "cs-uri-stem": "/autodiscover/autodiscover.json",
                    "c-ip": ip(),
                    "sc-status": "401",
                    "cs-uri-query": "a..foo.var/owa/?&Email=autodiscover/autodiscover.json?a..foo.var&Protocol=XYZ"
                    "&FooProtocol=%50owershell",
                },
                ["EXH-PNS-AUTODISCOVER-POWERSHELL"],
            ),
            (
                {
                    "cs-method": "POST",
                    "cs-uri-stem": "/owa/mastermailbox@outlook.com/powershell",
                    "c-ip": ip(),
                    "cs(User-Agent)": "python-requests/2.28.1",
                },
                ["EXH-OWASSRF-OWA-POWERSHELL"],
            ),
            (
                {
                    "cs-method": "POST",
                    "cs-uri-stem": f"/aspnet_client/system_web/x{i}k.aspx",
                    "c-ip": ip(),
                    "cs-uri-query": "",
                    "cs(User-Agent)": "antSword/v2.1",
                },
                ["EXH-IIS-WEBSHELL-ACCESS"],
            ),
            (
                {"cs-method": "GET", "cs-uri-stem": "/owa/auth/OutlookZH.aspx", "c-ip": ip(), "sc-status": "404"},
                ["EXH-IIS-WEBSHELL-KNOWN-PATH"],
            ),
            (
                {
                    "cs-method": "POST",
                    "cs-uri-stem": "/owa/auth.owa",
                    "c-ip": ip(),
                    "cs(User-Agent)": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                },
                ["EXH-PL-IIS-USER-AGENT"],
            ),
        ]
    return out


# --- writing ----------------------------------------------------------------------------------


@dataclass
class Manifest:
    attacks: list[dict[str, object]] = field(default_factory=list)
    suppressed: dict[str, int] = field(default_factory=dict)
    files: int = 0
    bytes: int = 0
    lines: int = 0


def write_file(
    path: Path,
    header: list[str],
    target_bytes: int,
    make: Callable[[datetime], str],
    start: datetime,
    step: timedelta,
    inject: list[tuple[str, list[str]]],
    rel: str,
    manifest: Manifest,
    rng: random.Random,
) -> None:
    """Write benign lines up to `target_bytes`, with `inject` lines at random places."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line_no = len(header)
    size = sum(len(h) + 2 for h in header)
    est_lines = max(len(inject) + 10, target_bytes // 700)
    spots = sorted(rng.sample(range(5, est_lines), len(inject))) if inject else []
    pending = list(zip(spots, inject, strict=True))
    when = start
    buf: list[str] = list(header)
    with path.open("w", encoding="utf-8", newline="") as fh:
        i = 0
        while size < target_bytes or pending:
            when += step
            if pending and pending[0][0] <= i:
                _, (text, rules) = pending.pop(0)
                line = (
                    text.replace("{when_date}", when.strftime("%Y-%m-%d"))
                    .replace("{when_time}", when.strftime("%H:%M:%S"))
                    .replace("{when_iso}", when.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
                )
                line_no += 1
                manifest.attacks += [{"file": rel, "line": line_no, "rule_id": r} for r in rules]
            else:
                line = make(when)
                line_no += 1
            buf.append(line)
            size += len(line) + 2
            i += 1
            if len(buf) >= 4096:
                fh.write("\r\n".join(buf) + "\r\n")
                buf = []
        if buf:
            fh.write("\r\n".join(buf) + "\r\n")
    manifest.files += 1
    manifest.bytes += path.stat().st_size
    manifest.lines += line_no


def generate(out: Path, size_mb: int, seed: int, attacks: int) -> Manifest:
    rng = random.Random(seed)
    pools = Pools.make(rng)
    manifest = Manifest()
    total = size_mb * 1024 * 1024
    start = datetime(2021, 3, 2, 0, 0, 0)

    # HttpProxy: files per protocol folder in proportion to the protocol's traffic.
    proxy_bytes = int(total * HTTPPROXY_SHARE)
    weights = {p: w for p, (w, _) in PROTOCOLS.items()}
    wsum = sum(weights.values())
    injected = proxy_attacks(attacks, rng)
    for protocol, weight in weights.items():
        share = proxy_bytes * weight // wsum
        nfiles = max(1, round(share / (HTTPPROXY_FILE_MB * 1024 * 1024)))
        todo = [
            (
                proxy_row(rng, pools, start, protocol, over).replace(
                    start.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "{when_iso}", 1
                ),
                rules,
            )
            for over, rules in injected.get(protocol, [])
        ]
        per_file = [todo[i::nfiles] for i in range(nfiles)]
        for k in range(nfiles):
            t0 = start + timedelta(hours=k)
            rel = f"Logging/HttpProxy/{protocol}/HttpProxy_{t0.strftime('%Y%m%d%H')}-1.LOG"
            step = timedelta(seconds=3600 / max(1, share // nfiles // 900))
            write_file(
                out / rel,
                proxy_header(t0),
                share // nfiles,
                lambda w, p=protocol: proxy_row(rng, pools, w, p),
                t0,
                step,
                per_file[k],
                rel,
                manifest,
                rng,
            )

    # Scanner noise that the rules count as suppressed rather than report.
    probes = [
        {
            "UrlStem": "/owa/auth/x.js",
            "AuthenticatedUser": "",
            "AnchorMailbox": "ServerInfo~localhost/ecp/default.flt?",
            "RoutingHint": "X-AnonResource-Backend-Cookie",
            "HttpStatus": "500",
            "TargetServer": "localhost",
            "UserAgent": "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            "ClientIpAddress": f"192.0.2.{i + 1}",
        }
        for i in range(attacks)
    ]
    rel = "Logging/HttpProxy/Owa/HttpProxy_2021030723-9.LOG"
    t0 = start + timedelta(days=5)
    write_file(
        out / rel,
        proxy_header(t0),
        2 * 1024 * 1024,
        lambda w: proxy_row(rng, pools, w, "Owa"),
        t0,
        timedelta(seconds=1),
        [(proxy_row(rng, pools, t0, "Owa", p), []) for p in probes],
        rel,
        manifest,
        rng,
    )
    manifest.suppressed["EXH-PL-26855-SSRF"] = attacks

    # IIS: one file a day.
    iis_bytes = total - proxy_bytes
    nfiles = max(1, round(iis_bytes / (IIS_FILE_MB * 1024 * 1024)))
    todo = [
        (iis_row(rng, pools, start, {**over, "date": "{when_date}", "time": "{when_time}"}), rules)
        for over, rules in iis_attacks(attacks, rng)
    ]
    per_file = [todo[i::nfiles] for i in range(nfiles)]
    for k in range(nfiles):
        day = start + timedelta(days=k)
        rel = f"inetpub/logs/LogFiles/W3SVC1/u_ex{day.strftime('%y%m%d')}.log"
        step = timedelta(seconds=86400 / max(1, iis_bytes // nfiles // 330))
        write_file(
            out / rel,
            iis_header(day),
            iis_bytes // nfiles,
            lambda w: iis_row(rng, pools, w),
            day,
            step,
            per_file[k],
            rel,
            manifest,
            rng,
        )
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "seed": seed,
                "size_mb": size_mb,
                "files": manifest.files,
                "bytes": manifest.bytes,
                "lines": manifest.lines,
                "attacks": manifest.attacks,
                "suppressed": manifest.suppressed,
            },
            indent=1,
        )
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--size-mb", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--attacks", type=int, default=5, help="injected lines of each attack kind (default 5)")
    args = parser.parse_args(argv)
    m = generate(args.out, args.size_mb, args.seed, args.attacks)
    print(
        f"{m.files} files, {m.bytes / 1e6:.1f} MB, {m.lines} lines, {len(m.attacks)} expected findings "
        f"written to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
