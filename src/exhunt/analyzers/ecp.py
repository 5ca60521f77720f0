"""ECP Server and ECP Activity logs: CVE-2021-27065's script planted in a virtual directory URL.

See docs/detection/proxylogon.md#test-proxylogon-checks, docs/logs.md#ecp-server. Both logs have the same columns and `S:KEY=value`
event data; the Activity log records the back-end side of ECP requests (URL, build), so the same
check runs on it, and both give the build and the server's name.
"""

from __future__ import annotations

from exhunt.analyzers.httpproxy import build_from_text
from exhunt.analyzers.logscan import FileHunt, LogAnalyzer
from exhunt.artefacts.ecp import cmdlet_parameters, event_data
from exhunt.artefacts.exchange_csv import EcpActivityFormat, EcpServerFormat
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.records import LogRecord
from exhunt.hits import Hit
from exhunt.model import Account, AccountRole, ArtefactKind, HttpFacet, Observation, ObservationKind
from exhunt.ruleparams import EcpVdirParams
from exhunt.rules import fired

DETECTOR = "ecp-vdir"


def has_tag_pair(p: EcpVdirParams, text: str, start: int = 0) -> bool:
    """An opening tag and, later, a closing tag (`<script ...>...</script>`)."""
    opening = p.open_tag_regex.search(text, start)
    return opening is not None and p.close_tag_regex.search(text, opening.end()) is not None


def script_in_vdir_url(event: str, p: EcpVdirParams) -> tuple[str, str, str] | None:
    """(cmdlet, parameter, value) when a Set-*VirtualDirectory cmdlet got a tag pair in a *Url
    parameter. Parsed from S:CMD when there is one, else tested on the whole event text."""
    fields = event_data(event)
    cmd = fields.get("CMD")
    if cmd is None:
        cmdlet = p.fallback_regex.search(event)
        url = p.fallback_url_regex.search(event, cmdlet.end()) if cmdlet else None
        if cmdlet and url and has_tag_pair(p, event, url.end()):
            return cmdlet.group(0), url.group(0).strip(".="), event[url.end() :]
        return None
    cmdlet_name, parameters = cmdlet_parameters(cmd)
    if not p.cmdlet_regex.match(cmdlet_name.strip()):
        return None
    for name, value in parameters:
        if p.parameter_regex.search(name) and has_tag_pair(p, value):
            return cmdlet_name.strip(), name, value
    return None


class EcpServerAnalyzer(LogAnalyzer):
    name = "ecp-server-log"
    kinds = frozenset({ArtefactKind.ECP_SERVER})
    format = EcpServerFormat
    detectors = (DETECTOR,)
    log_name = "ECP Server log"

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        event = rec.get("EventData")
        for rule in fired(DETECTOR, rules):
            found = script_in_vdir_url(event, rule.params_as(EcpVdirParams))
            if found is not None:
                self._report(rec, rule.id, event, found, hunt)

    @staticmethod
    def _report(rec: LogRecord, rule_id: str, event: str, found: tuple[str, str, str], hunt: FileHunt) -> None:
        cmdlet, parameter, value = found
        fields = event_data(event)
        sid = fields.get("SID", "").strip()
        hunt.report(
            rec,
            Hit(
                rule_id,
                http=HttpFacet(url=fields.get("URL") or None, request_id=fields.get("REQID") or None),
                accounts=(Account(sid, AccountRole.SUBJECT, sid),) if sid else (),
                facts={
                    "cmdlet": cmdlet,
                    "parameter": parameter,
                    "value": value,
                    "server": rec.get("ServerName"),
                    "event_id": rec.get("EventId"),
                    "user_sid": fields.get("SID", ""),
                    "request_url": fields.get("URL", ""),
                    "request_id": fields.get("REQID", ""),
                },
            ),
        )

    def observe(self, rec: LogRecord, fmt: LogFormat, hunt: FileHunt) -> None:
        path = hunt.file.rel_path
        host = rec.get("ServerName").strip()
        if host:
            hunt.result.observations.append(
                Observation(ObservationKind.HOSTNAME, host, path, rec.timestamp, "ECP ServerName")
            )
        build = build_from_text(event_data(rec.get("EventData")).get("BLD", ""))
        if build:
            hunt.result.observations.append(
                Observation(ObservationKind.EXCHANGE_BUILD, build, path, rec.timestamp, f"{self.log_name} S:BLD")
            )


class EcpActivityAnalyzer(EcpServerAnalyzer):
    name = "ecp-activity-log"
    kinds = frozenset({ArtefactKind.ECP_ACTIVITY})
    format = EcpActivityFormat
    log_name = "ECP Activity log"


ANALYZERS = [EcpServerAnalyzer(), EcpActivityAnalyzer()]
