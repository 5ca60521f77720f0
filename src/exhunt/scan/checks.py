"""Opt-in behaviour checks: one unauthenticated GET each, read for a verdict.

None of them exploits, writes or authenticates, but each request is shaped like an attack's
first step, so it lands in the target's IIS and HttpProxy logs and may trip its monitoring.
They only run when asked for (`exhunt scan --check ...`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from exhunt.model import Chain
from exhunt.scan.client import ErrorKind, Exchange, ProbeError


class CheckVerdict(StrEnum):
    VULNERABLE = "vulnerable"
    NOT_VULNERABLE = "not-vulnerable"
    MITIGATED = "mitigated"  # a URL rewrite (or similar) block answered instead of Exchange
    NOT_MITIGATED = "not-mitigated"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    chain: str
    verdict: CheckVerdict
    detail: str
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "chain": self.chain,
            "verdict": str(self.verdict),
            "detail": self.detail,
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CheckResult:
        return cls(d["name"], d["chain"], CheckVerdict(d["verdict"]), d.get("detail", ""), d.get("status"))


@dataclass(frozen=True, slots=True)
class HostContext:
    """What the fingerprint requests already showed, for checks whose verdict needs a baseline."""

    is_exchange: bool
    sends_fe_server: bool


Judge = Callable[[Exchange, HostContext], CheckResult]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    chain: str
    title: str
    path: str
    headers: tuple[tuple[str, str], ...]
    traces: str  # what the target's logs will show
    judge: Judge


def _aborted(error: ProbeError | None) -> bool:
    return error is not None and error.kind is ErrorKind.ABORTED


# docs/detection/proxylogon.md#the-nmap-probe-and-its-trace: the request and verdict of Microsoft's nmap script for CVE-2021-26855.
PROXYLOGON_COOKIE = (
    "X-AnonResource=true; X-AnonResource-Backend=localhost/ecp/default.flt?~3; "
    "X-BEResource=localhost/owa/auth/logon.aspx?~3;"
)


def judge_proxylogon(exchange: Exchange, ctx: HostContext) -> CheckResult:
    name, chain = "proxylogon-ssrf", str(Chain.PROXYLOGON)
    reply = exchange.final
    if reply is None:
        if _aborted(exchange.error):
            return CheckResult(
                name,
                chain,
                CheckVerdict.MITIGATED,
                "connection aborted on the SSRF cookie, as the EOMT rewrite rule does",
            )
        return CheckResult(name, chain, CheckVerdict.UNKNOWN, f"no answer ({exchange.error})")
    target = reply.header("X-CalculatedBETarget")
    if target is not None and "localhost" in target.lower():
        return CheckResult(
            name,
            chain,
            CheckVerdict.VULNERABLE,
            f"X-CalculatedBETarget: {target[:100]} - the front end routed the cookie's backend",
            reply.status,
        )
    return CheckResult(
        name,
        chain,
        CheckVerdict.NOT_VULNERABLE,
        f"HTTP {reply.status} without X-CalculatedBETarget pointing at localhost",
        reply.status,
    )


# docs/detection/proxyshell.md: the autodiscover path confusion; 302 = routed to the backend's OWA.
PROXYSHELL_PATH = "/autodiscover/autodiscover.json?@test.com/owa/?&Email=autodiscover/autodiscover.json%3F@test.com"


def judge_proxyshell(exchange: Exchange, ctx: HostContext) -> CheckResult:
    name, chain = "proxyshell-autodiscover", str(Chain.PROXYSHELL)
    reply = exchange.final
    if reply is None:
        if _aborted(exchange.error):
            return CheckResult(
                name,
                chain,
                CheckVerdict.MITIGATED,
                "connection aborted on the autodiscover path (a rewrite rule or filter)",
            )
        return CheckResult(name, chain, CheckVerdict.UNKNOWN, f"no answer ({exchange.error})")
    if reply.status == 302:
        location = reply.header("Location") or ""
        offsite = "://" in location and "/owa/" not in location.lower()
        if offsite:
            return CheckResult(
                name,
                chain,
                CheckVerdict.UNKNOWN,
                f"302 to {location[:100]} (not the backend's OWA: a proxy redirect?)",
                reply.status,
            )
        if not ctx.is_exchange and not reply.header("X-FEServer"):
            return CheckResult(
                name,
                chain,
                CheckVerdict.UNKNOWN,
                "302 from a host not recognised as Exchange: could redirect everything",
                reply.status,
            )
        return CheckResult(
            name,
            chain,
            CheckVerdict.VULNERABLE,
            "302: the autodiscover path confusion reached the backend",
            reply.status,
        )
    if reply.status == 400:  # what a fixed front end answers (GossiTheDog/scanning nse)
        return CheckResult(name, chain, CheckVerdict.NOT_VULNERABLE, "HTTP 400: the path was not routed", reply.status)
    return CheckResult(
        name,
        chain,
        CheckVerdict.UNKNOWN,
        f"HTTP {reply.status}: neither the vulnerable 302 nor the fixed 400",
        reply.status,
    )


# docs/detection/proxynotshell.md: the request shape of the ProxyNotShell SSRF, which the URL rewrite
# mitigation (`(?=.*autodiscover)(?=.*powershell)`, AbortRequest, §1.4) must block.
PROXYNOTSHELL_PATH = (
    "/autodiscover/autodiscover.json?a@foo.var/owa/&Email=autodiscover/autodiscover.json"
    "?a@foo.var&Protocol=XYZ&FooProtocol=Powershell"
)


def judge_proxynotshell(exchange: Exchange, ctx: HostContext) -> CheckResult:
    name, chain = "proxynotshell-mitigation", str(Chain.PROXYNOTSHELL)
    reply = exchange.final
    if reply is None:
        if _aborted(exchange.error):
            return CheckResult(
                name,
                chain,
                CheckVerdict.MITIGATED,
                "connection aborted, as the URL rewrite mitigation's AbortRequest does",
            )
        return CheckResult(name, chain, CheckVerdict.UNKNOWN, f"no answer ({exchange.error})")
    if reply.header("X-FEServer"):
        detail = f"HTTP {reply.status} from the Exchange front end: the request was not blocked"
        if reply.status == 302:
            detail += " and the autodiscover path was routed"
        return CheckResult(name, chain, CheckVerdict.NOT_MITIGATED, detail, reply.status)
    if ctx.sends_fe_server:
        return CheckResult(
            name,
            chain,
            CheckVerdict.MITIGATED,
            f"HTTP {reply.status} without the X-FEServer header the host sends otherwise: "
            "a rule answered before Exchange",
            reply.status,
        )
    return CheckResult(
        name,
        chain,
        CheckVerdict.UNKNOWN,
        f"HTTP {reply.status}; the host never sends X-FEServer, so a block cannot be told apart",
        reply.status,
    )


CHECKS: dict[str, Check] = {
    "proxylogon": Check(
        "proxylogon-ssrf",
        str(Chain.PROXYLOGON),
        "CVE-2021-26855 SSRF: GET /owa/auth/x.js with the X-AnonResource-Backend / X-BEResource cookies",
        "/owa/auth/x.js",
        (("Cookie", PROXYLOGON_COOKIE),),
        "an HttpProxy\\Owa line with AnchorMailbox ServerInfo~localhost/ecp/default.flt and TargetServer "
        "localhost (scanner traffic, which log hunts suppress)",
        judge_proxylogon,
    ),
    "proxyshell": Check(
        "proxyshell-autodiscover",
        str(Chain.PROXYSHELL),
        "CVE-2021-34473 path confusion: GET /autodiscover/autodiscover.json?@test.com/owa/",
        PROXYSHELL_PATH,
        (),
        "an IIS and HttpProxy\\Autodiscover line with autodiscover.json?@test.com/owa/ - the shape "
        "ProxyShell log rules look for",
        judge_proxyshell,
    ),
    "proxynotshell": Check(
        "proxynotshell-mitigation",
        str(Chain.PROXYNOTSHELL),
        "CVE-2022-41040 URL rewrite mitigation: GET autodiscover.json?...&FooProtocol=Powershell",
        PROXYNOTSHELL_PATH,
        (),
        "an IIS line with autodiscover.json and Powershell in the query - the shape ProxyNotShell hunts look for",
        judge_proxynotshell,
    ),
}

CHECK_NAMES = tuple(CHECKS)
