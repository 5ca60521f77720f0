"""Checks on one HTTP request that IIS and HttpProxy logs both record.

ProxyShell, ProxyNotShell, OWASSRF and build fingerprinting look the same in either log once a
row is reduced to a `WebRequest` (method, stem, query, status, user agent, client). The IIS
and HttpProxy analyzers build the request from their own columns and ask these checks; each
check runs the rules of its detector name whose prefilter matched, each with its own typed
parameters from the rule file, and returns their hits.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from exhunt.analyzers.logscan import FileHunt
from exhunt.analyzers.web_indicators import DETECTOR as INDICATOR
from exhunt.analyzers.web_indicators import network_indicators
from exhunt.artefacts.rps_token import decode_rps_cat
from exhunt.artefacts.urls import decode_uri, full_uri, query_value
from exhunt.hits import Hit
from exhunt.model import Account, AccountRole, HttpFacet
from exhunt.ruleparams import ExportToolParams, OwaPowerShellParams, ProxyNotShellParams, ProxyShellParams
from exhunt.rules import Rule, fired

PROXYSHELL = "web-proxyshell"
PROXYNOTSHELL = "web-proxynotshell"
OWASSRF = "web-owassrf"
EXPORTTOOL = "web-exporttool"

# The detectors every web log (IIS, HttpProxy, HTTPERR) runs on its requests.
WEB_DETECTORS = (PROXYSHELL, PROXYNOTSHELL, OWASSRF, EXPORTTOOL, INDICATOR)

# Host names are at most 255 characters; the bound keeps hostile `@@@...` text linear.
_BACKEND = re.compile(r"@[^/?&#@]{0,255}/([a-z0-9_.-]{1,64})")


@dataclass(slots=True)
class WebRequest:
    method: str
    stem: str
    query: str
    status: int | None
    user_agent: str
    client_ip: str
    user: str = ""
    routing_hint: str = ""
    host: str = ""  # the Host the client asked for
    request_id: str = ""  # HttpProxy RequestId, or the cafeReqId IIS logs on the back end
    target: str = ""  # where the front end routed the request
    forwarded: str = ""  # the addresses the request was forwarded for (X-Forwarded-For, a proxy chain)
    referer: str = ""
    # Details every finding on this request carries (url, status, user agent, request ids...),
    # made only when a rule fires: most candidate lines turn out benign.
    describe: Callable[[], dict[str, str]] | None = None
    _decoded: str | None = None

    @property
    def uri(self) -> str:
        return full_uri(self.stem, self.query)

    @property
    def decoded(self) -> str:
        """The full URI, URL-decoded until stable, lower case."""
        if self._decoded is None:
            self._decoded = decode_uri(self.uri).lower()
        return self._decoded

    @property
    def status_text(self) -> str:
        return str(self.status) if self.status is not None else "no status"

    def hit(self, rule_id: str, tier: str = "hit", /, **extra: str | None) -> Hit:
        """A hit of `rule_id` with outcome tier `tier`; `extra` facts join the request's own."""
        facts = self.describe() if self.describe else {}
        facts.update({k: v for k, v in extra.items() if v})
        http = HttpFacet(
            method=self.method or None,
            url=self.uri or None,
            host=self.host or None,
            status=self.status,
            user_agent=self.user_agent or None,
            client_ip=self.client_ip or None,
            request_id=self.request_id or None,
            target=self.target or None,
        )
        accounts = (Account(self.user, AccountRole.AUTHENTICATED),) if self.user and self.user != "-" else ()
        return Hit(rule_id, tier, facts, source_ip=self.client_ip or None, http=http, accounts=accounts)


def proxyshell(req: WebRequest, rule: Rule) -> Hit | None:
    """The autodiscover.json path confusion of CVE-2021-34473 (docs/detection/proxyshell.md)."""
    p = rule.params_as(ProxyShellParams)
    u = req.decoded
    at = u.find(p.stem_suffix)
    if at < 0:
        return None
    rest = u[at + len(p.stem_suffix) :]
    confused = rest.startswith(("?@", "@", "/@"))
    if not confused and not any(m in rest for m in p.query_markers):
        return None
    token_value = query_value(req.query, "X-Rps-CAT") or query_value(decode_uri(req.query), "X-Rps-CAT")
    m = _BACKEND.search(rest)
    backend = m.group(1) if m else ""
    if token_value is not None or "x-rps-cat=" in rest:
        backend = "powershell"
    elif not backend:
        backend = next((b for b in ("powershell", "mapi", "ews") if f"/{b}" in rest), "")
    if backend == "powershell" and token_value is None and "x-rps-cat=" not in rest:
        return None  # no impersonation token: the ProxyNotShell rule judges it
    token = decode_rps_cat(token_value) if token_value else None
    status = req.status
    extra: dict[str, str | None] = {"backend": backend or None}
    if token is not None:
        extra.update(impersonated_user=token.user, impersonated_sid=token.sid, token_auth_type=token.auth_type)
    elif token_value:
        extra["token_note"] = "X-Rps-CAT present but not decodable"
    if backend in p.sensitive_backends and status in p.success_statuses:
        tier, said = "hit", f"{status} from the back end's /{backend}: the SSRF was served"
    elif status in p.reached_statuses:
        tier, said = "reached", f"{status}: the front end forwarded the request (server was vulnerable)"
    else:
        tier, said = "refused", f"{req.status_text}: refused or failed"
    hit = req.hit(rule.id, tier, **extra, outcome=said)
    if token is not None and (token.user or token.sid):
        hit.accounts += (Account(token.user or token.sid or "", AccountRole.IMPERSONATED, token.sid or None),)
    return hit


def proxynotshell(req: WebRequest, rule: Rule) -> Hit | None:
    """EOMTv2's `(?=.*autodiscover)(?=.*powershell)` on the URL-decoded URI (docs/detection/mitigations.md#eomtv2-rule)."""
    u = req.decoded
    p = rule.params_as(ProxyNotShellParams)
    if not all(w in u for w in p.words) or "x-rps-cat" in u:
        return None
    raw = req.uri.lower()
    variants = []
    if "powershell" not in raw or "autodiscover" not in raw:
        variants.append("URL-encoded to slip past the first rewrite rule")
    if re.search(r"[?&;][a-z0-9_]+protocol=powershell", u) and "/powershell" not in u:
        variants.append("'powershell' moved into a parameter value")
    if "@" not in u:
        variants.append("no '@' in the URI (e.g. 'a..foo' form)")
    variant = "; ".join(variants) or None
    if req.status not in p.success_statuses:
        return req.hit(rule.id, "refused", variant=variant, outcome=f"{req.status_text}: not served")
    said = f"{req.status}: the PowerShell endpoint served the request"
    return req.hit(rule.id, variant=variant, outcome=said)


def owassrf(req: WebRequest, hunt: FileHunt, rule: Rule) -> Hit | None:
    """`/owa/<mailbox>/powershell` (docs/detection/owassrf.md)."""
    p = rule.params_as(OwaPowerShellParams)
    m = p.path_regex.search(req.decoded)
    if m is None:
        return None
    if req.user_agent.strip().lower() in p.legit_user_agents:
        hunt.suppress(rule.id, "request from a legitimate remote PowerShell client user agent")
        return None
    mailbox = m.group(0)[len("/owa/") : -len("/powershell")]
    if req.status not in p.success_statuses:
        return req.hit(rule.id, "refused", explicit_mailbox=mailbox, outcome=f"{req.status_text}: not served")
    said = f"{req.status}: the PowerShell endpoint served the request"
    return req.hit(rule.id, explicit_mailbox=mailbox, outcome=said)


def exporttool(req: WebRequest, rule: Rule) -> Hit | None:
    """Build fingerprinting through the eDiscovery export tool manifest (docs/builds.md#remote-fingerprinting)."""
    p = rule.params_as(ExportToolParams)
    if req.routing_hint.strip().lower() == p.routing_hint or p.stem_regex.search(req.stem):
        return req.hit(rule.id)
    return None


def check_request(req: WebRequest, rules: frozenset[str], hunt: FileHunt) -> list[Hit]:
    """Every web-request rule whose prefilter matched, detector by detector in a fixed order."""
    hits = [h for r in fired(PROXYNOTSHELL, rules) if (h := proxynotshell(req, r))]
    if not hits:
        # Without an X-Rps-CAT token, a request aimed at PowerShell is ProxyNotShell's, even
        # when its URL also has ProxyShell's shape.
        hits += [h for r in fired(PROXYSHELL, rules) if (h := proxyshell(req, r))]
    hits += [h for r in fired(OWASSRF, rules) if (h := owassrf(req, hunt, r))]
    hits += [h for r in fired(EXPORTTOOL, rules) if (h := exporttool(req, r))]
    hits += [h for r in fired(INDICATOR, rules) for h in listed(req, hunt, r)]
    return hits


def listed(req: WebRequest, hunt: FileHunt, rule: Rule) -> list[Hit]:
    """One hit per listed address, domain or user agent the request holds (docs/logs.md#network-indicators)."""
    hits = []
    for match in network_indicators(hunt.ctx.options.extra_indicator_paths).match(req):
        ind = match.indicator
        hits.append(
            req.hit(
                rule.id,
                indicator_type=ind.type,
                indicator=ind.value,
                seen_in=f"{match.seen_in}: {match.value}",
                indicator_label=ind.label,
                indicator_source=ind.source,
                listed_in=f"{ind.origin}:{ind.line}",
            )
        )
    return hits
