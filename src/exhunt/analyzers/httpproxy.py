"""HttpProxy logs (every protocol folder): ProxyLogon's forged anchors, ProxyShell, ProxyNotShell,
OWASSRF and build fingerprinting (detection-spec.md §1.1, §2.2, §4).

The front end writes one row per proxied request, with the routing decision (AnchorMailbox,
RoutingHint, BackEndCookie) that only this log shows: IIS cannot see ProxyLogon's cookie.
"""

from __future__ import annotations

import re
from functools import cache

from exhunt.analyzers.logscan import FileHunt, Hit, LogAnalyzer, first_address, params, status_of
from exhunt.analyzers.web_requests import WEB_RULES, WebRequest, check_request
from exhunt.artefacts.exchange_csv import HttpProxyFormat
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.records import LogRecord
from exhunt.model import ArtefactKind, Implies, Observation, Severity

SSRF = "EXH-PL-26855-SSRF"
AUTODISCOVER = "EXH-PL-26855-AUTODISCOVER"
BECOOKIE = "EXH-PL-26855-BECOOKIE"
RESETVDIR = "EXH-PL-27065-RESETVDIR"


def request_of(rec: LogRecord) -> WebRequest:
    stem, query = rec.get("UrlStem"), rec.get("UrlQuery")
    req = WebRequest(
        method=rec.get("Method").upper(),
        stem=stem,
        query=query,
        status=status_of(rec.get("HttpStatus")),
        user_agent=rec.get("UserAgent"),
        client_ip=first_address(rec.get("ClientIpAddress")),
        user=rec.get("AuthenticatedUser"),
        routing_hint=rec.get("RoutingHint"),
    )
    req.describe = lambda: {
        "method": req.method,
        "url": req.uri,
        "status": rec.get("HttpStatus"),
        "user_agent": req.user_agent,
        "request_id": rec.get("RequestId"),
        "authenticated_user": req.user,
        "anchor_mailbox": rec.get("AnchorMailbox"),
        "routing_hint": req.routing_hint,
        "protocol": rec.get("Protocol"),
        "url_host": rec.get("UrlHost"),
        "target_server": rec.get("TargetServer"),
        "server": rec.get("ServerHostName"),
    }
    return req


@cache
def _anchor_settings() -> tuple[str, frozenset[int], tuple[str, ...], tuple[str, ...], re.Pattern[str]]:
    p = params(SSRF)
    return (
        str(p["anchor_prefix"]).lower(),
        frozenset(int(s) for s in p["success_statuses"]),
        tuple(str(t).lower() for t in p["success_targets"]),
        tuple(str(h).lower() for h in p["scanner_hosts"]),
        re.compile(str(params(RESETVDIR)["target_regex"]), re.IGNORECASE),
    )


@cache
def _reset_statuses() -> frozenset[int]:
    return frozenset(int(s) for s in params(RESETVDIR)["success_statuses"])


@cache
def _cookie_regex() -> re.Pattern[str]:
    return re.compile(str(params(BECOOKIE)["cookie_regex"]), re.IGNORECASE)


def build_of(major: str, minor: str, build: str, revision: str) -> str | None:
    """'15', '01', '2375', '007' -> '15.1.2375.7'; None unless all four are numbers."""
    parts = [major.strip(), minor.strip(), build.strip(), revision.strip()]
    if not all(p.isdigit() and len(p) <= 6 for p in parts):
        return None
    return ".".join(str(int(p)) for p in parts)


def build_from_text(text: str) -> str | None:
    """A `#Version: 15.01.2375.007` directive value, normalised."""
    m = re.fullmatch(r"\s*(\d{1,3})\.(\d{1,3})\.(\d{1,6})\.(\d{1,6})\s*", text or "")
    return build_of(*m.groups()) if m else None


class HttpProxyAnalyzer(LogAnalyzer):
    name = "httpproxy-log"
    kinds = frozenset({ArtefactKind.HTTPPROXY})
    format = HttpProxyFormat
    rule_ids = (SSRF, AUTODISCOVER, BECOOKIE, RESETVDIR, *WEB_RULES)

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        req = request_of(rec)
        anchored = SSRF in rules and self._anchor(rec, req, hunt)
        if BECOOKIE in rules and not anchored:
            self._cookie(rec, req, hunt)
        for hit in check_request(req, rules, hunt):
            hunt.report(rec, hit)

    def _anchor(self, rec: LogRecord, req: WebRequest, hunt: FileHunt) -> bool:
        """ServerInfo~ anchors (detection-spec.md §1.1). True when the row had such an anchor."""
        prefix, success, targets, scanners, reset = _anchor_settings()
        anchor = rec.get("AnchorMailbox")
        if not anchor.lower().startswith(prefix):
            return False
        host, slash, target = anchor[len(prefix) :].partition("/")
        if not slash:
            return False
        target_l = target.lower()
        reached = req.status in success and target_l.startswith(targets)
        extra = {"ssrf_target": "/" + target, "backend": host}
        if reset.search(target) and req.status in _reset_statuses():
            hunt.report(rec, req.hit(RESETVDIR, **extra))
        if not reached and host.strip().lower().startswith(scanners):
            hunt.suppress(SSRF, "ServerInfo~localhost anchor: vulnerability scanner probe (detection-spec.md §1.5)")
            return True
        if not reached and target_l.startswith("autodiscover"):
            hunt.report(rec, req.hit(AUTODISCOVER, **extra))
            return True
        hit = req.hit(SSRF, **extra)
        self._weigh(hit, req, reached)
        hunt.report(rec, hit)
        return True

    def _cookie(self, rec: LogRecord, req: WebRequest, hunt: FileHunt) -> None:
        cookie = rec.get("BackEndCookie")
        if not _cookie_regex().search(cookie):
            return
        _, success, targets, _, _ = _anchor_settings()
        target = cookie.partition("/")[2].rpartition("~")[0]
        reached = req.status in success and target.lower().startswith(targets)
        hit = req.hit(BECOOKIE, backend_cookie=cookie, ssrf_target="/" + target)
        if reached:
            hit.severity, hit.implies = Severity.CRITICAL, Implies.COMPROMISE
            hit.details["outcome"] = f"{req.status} from the back end: the forged request was served"
        else:
            hit.details["outcome"] = f"{req.status_text}: not served"
        hunt.report(rec, hit)

    @staticmethod
    def _weigh(hit: Hit, req: WebRequest, reached: bool) -> None:
        if reached:
            hit.details["outcome"] = f"{req.status} from ECP/MAPI/EWS: the forged request was served"
        else:
            hit.severity, hit.implies = Severity.HIGH, Implies.ATTEMPT
            hit.details["outcome"] = f"{req.status_text}: not served"

    def observe(self, rec: LogRecord, fmt: LogFormat, hunt: FileHunt) -> None:
        path = hunt.file.rel_path
        build = build_of(
            rec.get("MajorVersion"), rec.get("MinorVersion"), rec.get("BuildVersion"), rec.get("RevisionVersion")
        )
        note = "HttpProxy version columns"
        if build is None and fmt.version:
            build, note = build_from_text(fmt.version), "HttpProxy #Version header"
        if build:
            hunt.result.observations.append(Observation("exchange_build", build, path, rec.timestamp, note))
        host = rec.get("ServerHostName").strip()
        if host:
            hunt.result.observations.append(
                Observation("hostname", host, path, rec.timestamp, "HttpProxy ServerHostName")
            )


ANALYZERS = [HttpProxyAnalyzer()]
