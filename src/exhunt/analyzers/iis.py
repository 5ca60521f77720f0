"""IIS W3C logs of the Exchange front end (443) and back end (444): ProxyLogon entry points and
virtual directory resets, web shell access and tunnels, ProxyShell, ProxyNotShell, OWASSRF and
published attacker user agents (docs/logs.md#iis, docs/detection/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from exhunt.analyzers.logscan import FileHunt, LogAnalyzer, status_of
from exhunt.analyzers.web_requests import WEB_DETECTORS, WebRequest, check_request
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.prefilter import Pattern
from exhunt.artefacts.records import LogRecord
from exhunt.artefacts.scan import Line
from exhunt.artefacts.urls import cafe_request_id, full_uri
from exhunt.artefacts.w3c import W3CFormat
from exhunt.hits import Hit
from exhunt.model import ArtefactKind, Observation, ObservationKind
from exhunt.ruleparams import (
    IisCommandParams,
    IisKnownShellParams,
    IisResetVdirParams,
    IisSsrfEntryParams,
    IisTunnelParams,
    IisUserAgentParams,
    IisWebshellParams,
)
from exhunt.rules import Rule, fired, ids_of, rules_of

SSRF_ENTRY = "iis-ssrf-entry"
RESETVDIR = "iis-resetvdir"
USER_AGENT = "iis-user-agent"
WEBSHELL = "iis-webshell"
KNOWN_SHELL = "iis-webshell-known"
TUNNEL = "iis-tunnel"
COMMAND = "iis-command"

# Tunnel groups kept per file; more distinct (client, script) pairs are counted, not tracked.
MAX_TUNNEL_GROUPS = 1000


def request_of(rec: LogRecord) -> WebRequest:
    stem, query = rec.get("cs-uri-stem"), rec.get("cs-uri-query")
    req = WebRequest(
        method=rec.get("cs-method").upper(),
        stem=stem,
        query=query,
        status=status_of(rec.get("sc-status")),
        user_agent=rec.get("cs(User-Agent)"),
        client_ip=rec.get("c-ip"),
        user=rec.get("cs-username"),
        host=rec.get("cs-host"),
        request_id=cafe_request_id(query) or "",
        forwarded=rec.get("X-Forwarded-For") or rec.get("cs(X-Forwarded-For)"),
        referer=rec.get("cs(Referer)"),
    )

    def describe() -> dict[str, str]:
        status, sub = rec.get("sc-status"), rec.get("sc-substatus")
        return {
            "method": req.method,
            "url": full_uri(stem, query),
            "status": f"{status}.{sub}" if sub and sub != "0" else status,
            "user_agent": req.user_agent,
            "cafe_request_id": cafe_request_id(query) or "",
            "username": req.user,
            "server_ip": rec.get("s-ip"),
            "server_port": rec.get("s-port"),
            "host": rec.get("cs-host"),
            "forwarded_for": rec.get("X-Forwarded-For") or rec.get("cs(X-Forwarded-For)"),
        }

    req.describe = describe
    return req


def shell_command(req: WebRequest, path: str, rule: Rule) -> Hit | None:
    """A query parameter whose value is a shell command (`?cmd=whoami`), outside the folders
    where every script is already reported as web shell access."""
    p = rule.params_as(IisCommandParams)
    if path.startswith(p.shell_folders):
        return None
    query = req.decoded.partition("?")[2].replace("+", " ")
    for pair in query.replace(";", "&").split("&"):
        name, equals, value = pair.partition("=")
        value = value.replace('"', "").replace("'", "").strip()
        command = next((c for c in p.commands if value.startswith(c)), None) if equals else None
        if command:
            tier = "hit" if req.status == 200 else "refused"
            return req.hit(rule.id, tier, parameter=name.strip(), command=value[:500])
    return None


def path_of(stem: str) -> str:
    """Lower case, with doubled slashes folded, as IIS would resolve it."""
    path = stem.lower()
    while "//" in path:
        path = path.replace("//", "/")
    return path


def _maybe_webshell(path: str, rules: frozenset[str]) -> bool:
    """False when only web shell access rules matched and none could fire on `path`."""
    shells = [r.params_as(IisWebshellParams) for r in fired(WEBSHELL, rules)]
    if len(shells) < len(rules):
        return True  # another detector's rule matched too
    return any(path.endswith(p.script_extensions) and path not in p.stock_files for p in shells)


@dataclass(slots=True)
class _TunnelEvent:
    line: int
    excerpt: str
    timestamp: datetime | None
    status: int | None
    target: str | None
    hit: Hit


@dataclass(slots=True)
class _Tunnel:
    requests: int = 0
    served: int = 0
    opens: list[_TunnelEvent] = field(default_factory=list)
    first: _TunnelEvent | None = None


class IisAnalyzer(LogAnalyzer):
    name = "iis-log"
    kinds = frozenset({ArtefactKind.IIS})
    format = W3CFormat
    detectors = (SSRF_ENTRY, RESETVDIR, USER_AGENT, WEBSHELL, KNOWN_SHELL, TUNNEL, COMMAND, *WEB_DETECTORS)

    @classmethod
    def extra_patterns(cls) -> tuple[Pattern, ...]:
        return tuple(
            Pattern.literal(r.id, p)
            for r in rules_of(KNOWN_SHELL)
            for p in sorted(r.params_as(IisKnownShellParams).known_paths)
        )

    def skip(self, line: Line, fmt: LogFormat) -> bool:
        # The common candidate, an OWA logon page (a few per cent of a front end's lines): the
        # test `check` starts with, on the URI stem of the raw line, without building the record.
        # A line that does not split into the header's fields is parsed (and reported) as usual.
        if (
            not line.groups
            or not line.groups <= ids_of(WEBSHELL)
            or not isinstance(fmt, W3CFormat)
            or fmt.header is None
        ):
            return False
        column = fmt.header.index.get("cs-uri-stem")
        values = line.text.split()
        if column is None or len(values) != len(fmt.header):
            return False
        stem = values[column]
        return not _maybe_webshell(path_of("" if stem == "-" else stem), line.groups)

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        path = path_of(rec.get("cs-uri-stem"))
        if not _maybe_webshell(path, rules):
            return  # the common candidate: an OWA logon page
        req = request_of(rec)
        hits: list[Hit] = self._webshell(req, path, rules)
        hits += [h for r in fired(SSRF_ENTRY, rules) if (h := self._ssrf_entry(req, path, r, hunt))]
        hits += [h for r in fired(RESETVDIR, rules) if (h := self._reset_vdir(req, path, r))]
        hits += [h for r in fired(COMMAND, rules) if (h := shell_command(req, path, r))]
        hits += check_request(req, rules, hunt)
        for rule in fired(TUNNEL, rules):
            self._tunnel(rec, req, path, rule, hunt)
        marker = self._listed_agent(req)
        if not hits and marker and req.method == "POST":
            for rule in fired(USER_AGENT, rules):
                if path.startswith(rule.params_as(IisUserAgentParams).path_prefixes):
                    hits.append(req.hit(rule.id, published_user_agent=marker))
        agents = {r.id for r in rules_of(USER_AGENT)}
        for hit in hits:
            if marker and hit.rule not in agents:
                hit.facts["published_user_agent"] = marker
            hunt.report(rec, hit)

    @staticmethod
    def _listed_agent(req: WebRequest) -> str | None:
        """The first published attacker user agent (of any `iis-user-agent` rule) in the request."""
        ua = req.user_agent.lower()
        if not ua:
            return None
        for rule in rules_of(USER_AGENT):
            for original in rule.params_as(IisUserAgentParams).user_agent_markers:
                if original.lower() in ua:
                    return original
        return None

    @staticmethod
    def _script_hit(rule_id: str, req: WebRequest, path: str, look_alike: str | None) -> Hit:
        """A script that answered 200 exists and ran; anything else was a probe."""
        if req.status == 200:
            posted = " (POST)" if req.method == "POST" else ""
            said = f"200: the script exists and ran{posted}"
            return req.hit(rule_id, "hit", script=path, look_alike_of=look_alike, outcome=said)
        said = f"{req.status_text}: probe for a script"
        return req.hit(rule_id, "probe", script=path, look_alike_of=look_alike, outcome=said)

    def _webshell(self, req: WebRequest, path: str, rules: frozenset[str]) -> list[Hit]:
        """A known web shell path is reported by its rule and no other web shell rule fires on
        the request; otherwise each web shell access rule whose folders hold the script."""
        shells = [(r, r.params_as(IisWebshellParams)) for r in rules_of(WEBSHELL)]
        if not any(r.id in rules for r in (*rules_of(KNOWN_SHELL), *rules_of(WEBSHELL))):
            return []
        look_alike = next((p.look_alikes[path] for _, p in shells if path in p.look_alikes), None)
        known = [
            self._script_hit(r.id, req, path, look_alike)
            for r in rules_of(KNOWN_SHELL)
            if path in (k := r.params_as(IisKnownShellParams)).known_paths or k.known_name_regex.match(path)
        ]
        if known:
            return known
        return [
            self._script_hit(r.id, req, path, look_alike)
            for r, p in shells
            if r.id in rules
            and path.startswith(p.folders)
            and path.endswith(p.script_extensions)
            and path not in p.stock_files
        ]

    def _ssrf_entry(self, req: WebRequest, path: str, rule: Rule, hunt: FileHunt) -> Hit | None:
        p = rule.params_as(IisSsrfEntryParams)
        if not any(rx.match(path) for rx in p.entry_regex):
            return None
        if req.method != "POST":
            if any(rx.match(path) for rx in p.probe_regex):
                hunt.suppress(
                    rule.id,
                    f"{req.method or 'request'} to a static .js entry path: "
                    "vulnerability scanner probe (docs/detection/proxylogon.md#the-nmap-probe-and-its-trace)",
                )
            return None
        if req.status in p.success_statuses:
            said = f"{req.status}: proxyLogon.ecp handed out a session"
            return req.hit(rule.id, "hit", entry_path=path, outcome=said)
        if req.status in p.reached_statuses:
            said = f"{req.status}: a back end served it; the HttpProxy log names the target"
            return req.hit(rule.id, "reached", entry_path=path, outcome=said)
        return req.hit(rule.id, "refused", entry_path=path, outcome=f"{req.status_text}: not served")

    @staticmethod
    def _reset_vdir(req: WebRequest, path: str, rule: Rule) -> Hit | None:
        p = rule.params_as(IisResetVdirParams)
        if path != p.stem or req.status != 200 or not req.user.endswith("$"):
            return None
        m = p.query_regex.search(req.query)
        if m is None:
            return None
        return req.hit(rule.id, schema=m.group(0).partition("=")[2], machine_account=req.user)

    def _tunnel(self, rec: LogRecord, req: WebRequest, path: str, rule: Rule, hunt: FileHunt) -> None:
        p = rule.params_as(IisTunnelParams)
        if not path.endswith(p.script_extensions):
            return
        query = req.query.strip().lower()
        opens = any(rx.search(query) for rx in p.open_regex)
        if not opens and not any(rx.search(query) for rx in p.data_regex):
            return
        groups: dict[tuple[str, str, str], _Tunnel] = hunt.state.setdefault("tunnels", {})
        key = (rule.id, req.client_ip, path)
        group = groups.get(key)
        if group is None:
            if len(groups) >= MAX_TUNNEL_GROUPS:
                hunt.suppress(rule.id, f"more than {MAX_TUNNEL_GROUPS} client/script pairs in one file")
                return
            group = groups[key] = _Tunnel()
        group.requests += 1
        group.served += req.status == 200
        target = _tunnel_target(query) if opens else None
        event = _TunnelEvent(
            rec.line,
            rec.raw[:600],
            rec.timestamp,
            req.status,
            target,
            req.hit(rule.id, script=path, tunnel_target=target),
        )
        if opens:
            if len(group.opens) < p.max_findings_per_source:
                group.opens.append(event)
            else:
                hunt.suppress(rule.id, "more tunnels opened by one client through one script than are listed")
        elif group.first is None:
            group.first = event

    def finish(self, hunt: FileHunt) -> None:
        groups: dict[tuple[str, str, str], _Tunnel] = hunt.state.get("tunnels", {})
        minimum = {r.id: r.params_as(IisTunnelParams).min_requests for r in rules_of(TUNNEL)}
        for (rule_id, _, _), group in groups.items():
            events = group.opens or ([group.first] if group.first and group.requests >= minimum[rule_id] else [])
            for event in events:
                hit = event.hit
                hit.facts["tunnel_requests"] = str(group.requests)
                hit.facts["tunnel_requests_served"] = str(group.served)
                if not group.served:
                    hit.outcome = "refused"
                hunt.report_at(event.line, event.excerpt, event.timestamp, hit)

    def observe(self, rec: LogRecord, fmt: LogFormat, hunt: FileHunt) -> None:
        host = rec.get("s-computername").strip()
        if host:
            hunt.result.observations.append(
                Observation(ObservationKind.HOSTNAME, host, hunt.file.rel_path, rec.timestamp, "IIS s-computername")
            )


def _tunnel_target(query: str) -> str | None:
    host = re.search(r"(?:^|&)(?:ip|target|host)=([^&]+)", query)
    port = re.search(r"(?:^|&)port=(\d{1,5})", query)
    if not host and not port:
        return None
    return f"{host.group(1) if host else '?'}:{port.group(1) if port else '?'}"


ANALYZERS = [IisAnalyzer()]
