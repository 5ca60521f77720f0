"""HttpProxy logs (every protocol folder): ProxyLogon's forged anchors, ProxyShell, ProxyNotShell,
OWASSRF and build fingerprinting (docs/detection/proxylogon.md#test-proxylogon-checks, docs/logs.md#httpproxy, docs/detection/).

The front end writes one row per proxied request, with the routing decision (AnchorMailbox,
RoutingHint, BackEndCookie) that only this log shows: IIS cannot see ProxyLogon's cookie.
"""

from __future__ import annotations

import re

from exhunt.analyzers.logscan import FileHunt, LogAnalyzer, first_address, status_of
from exhunt.analyzers.web_requests import WEB_DETECTORS, WebRequest, check_request
from exhunt.artefacts.exchange_csv import HttpProxyFormat
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.records import LogRecord
from exhunt.model import ArtefactKind, Observation, ObservationKind
from exhunt.ruleparams import BackEndCookieParams, ResetVdirAnchorParams, ServerInfoAnchorParams
from exhunt.rules import fired, rules_of

# ServerInfo~ anchors; what an anchor to Autodiscover, or to a virtual directory reset, becomes;
# forged back-end cookies.
ANCHOR = "httpproxy-serverinfo-anchor"
ANCHOR_AUTODISCOVER = "httpproxy-autodiscover-anchor"
ANCHOR_RESETVDIR = "httpproxy-resetvdir"
BECOOKIE = "httpproxy-becookie"


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
        host=rec.get("UrlHost"),
        request_id=rec.get("RequestId"),
        target=rec.get("TargetServer"),
        forwarded=rec.get("ClientIpAddress"),
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
    detectors = (ANCHOR, ANCHOR_AUTODISCOVER, BECOOKIE, ANCHOR_RESETVDIR, *WEB_DETECTORS)

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        req = request_of(rec)
        anchored = False
        for rule in fired(ANCHOR, rules):
            anchored = self._anchor(rec, req, rule.id, rule.params_as(ServerInfoAnchorParams), hunt) or anchored
        if not anchored:
            for rule in fired(BECOOKIE, rules):
                self._cookie(rec, req, rule.id, rule.params_as(BackEndCookieParams), hunt)
        for hit in check_request(req, rules, hunt):
            hunt.report(rec, hit)

    def _anchor(self, rec: LogRecord, req: WebRequest, rule_id: str, p: ServerInfoAnchorParams, hunt: FileHunt) -> bool:
        """ServerInfo~ anchors (docs/detection/proxylogon.md#test-proxylogon-checks). True when the row had such an anchor.
        An anchor to a virtual directory reset also fires every `httpproxy-resetvdir` rule whose
        target it matches, and one to Autodiscover that was not served is the
        `httpproxy-autodiscover-anchor` rules' instead of this one's."""
        anchor = rec.get("AnchorMailbox")
        if not anchor.lower().startswith(p.anchor_prefix):
            return False
        host, slash, target = anchor[len(p.anchor_prefix) :].partition("/")
        if not slash:
            return False
        target_l = target.lower()
        reached = req.status in p.success_statuses and target_l.startswith(p.success_targets)
        extra = {"ssrf_target": "/" + target, "backend": host}
        for reset in rules_of(ANCHOR_RESETVDIR):
            rp = reset.params_as(ResetVdirAnchorParams)
            if rp.target_regex.search(target) and req.status in rp.success_statuses:
                hunt.report(rec, req.hit(reset.id, **extra))
        if not reached and host.strip().lower().startswith(p.scanner_hosts):
            hunt.suppress(
                rule_id,
                "ServerInfo~localhost anchor: vulnerability scanner probe (docs/detection/proxylogon.md#the-nmap-probe-and-its-trace)",
            )
            return True
        autodiscover = rules_of(ANCHOR_AUTODISCOVER)
        if not reached and target_l.startswith("autodiscover") and autodiscover:
            for other in autodiscover:
                hunt.report(rec, req.hit(other.id, **extra))
            return True
        if reached:
            said = f"{req.status} from ECP/MAPI/EWS: the forged request was served"
            hunt.report(rec, req.hit(rule_id, "hit", **extra, outcome=said))
        else:
            hunt.report(rec, req.hit(rule_id, "refused", **extra, outcome=f"{req.status_text}: not served"))
        return True

    def _cookie(self, rec: LogRecord, req: WebRequest, rule_id: str, p: BackEndCookieParams, hunt: FileHunt) -> None:
        cookie = rec.get("BackEndCookie")
        if not p.cookie_regex.search(cookie):
            return
        target = cookie.partition("/")[2].rpartition("~")[0]
        # Served means what it means for a forged anchor: a success status from ECP, MAPI or EWS.
        reached = any(
            req.status in a.success_statuses and target.lower().startswith(a.success_targets)
            for a in (r.params_as(ServerInfoAnchorParams) for r in rules_of(ANCHOR))
        )
        facts = {"backend_cookie": cookie, "ssrf_target": "/" + target}
        if reached:
            said = f"{req.status} from the back end: the forged request was served"
            hunt.report(rec, req.hit(rule_id, "served", **facts, outcome=said))
        else:
            hunt.report(rec, req.hit(rule_id, "hit", **facts, outcome=f"{req.status_text}: not served"))

    def observe(self, rec: LogRecord, fmt: LogFormat, hunt: FileHunt) -> None:
        path = hunt.file.rel_path
        build = build_of(
            rec.get("MajorVersion"), rec.get("MinorVersion"), rec.get("BuildVersion"), rec.get("RevisionVersion")
        )
        note = "HttpProxy version columns"
        if build is None and fmt.version:
            build, note = build_from_text(fmt.version), "HttpProxy #Version header"
        if build:
            hunt.result.observations.append(
                Observation(ObservationKind.EXCHANGE_BUILD, build, path, rec.timestamp, note)
            )
        host = rec.get("ServerHostName").strip()
        if host:
            hunt.result.observations.append(
                Observation(ObservationKind.HOSTNAME, host, path, rec.timestamp, "HttpProxy ServerHostName")
            )


ANALYZERS = [HttpProxyAnalyzer()]
