"""Rps_Http (remote PowerShell) logs: OWASSRF's foreign ClientInfo (docs/logs.md#rps_http, docs/detection/owassrf.md)."""

from __future__ import annotations

from exhunt.analyzers.httpproxy import build_of
from exhunt.analyzers.logscan import FileHunt, LogAnalyzer, first_address, status_of
from exhunt.artefacts.exchange_csv import RpsHttpFormat
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.records import LogRecord
from exhunt.artefacts.urls import full_uri
from exhunt.hits import Hit
from exhunt.model import Account, AccountRole, ArtefactKind, HttpFacet, Observation, ObservationKind
from exhunt.ruleparams import RpsClientInfoParams
from exhunt.rules import fired


class RpsHttpAnalyzer(LogAnalyzer):
    name = "rps-http-log"
    kinds = frozenset({ArtefactKind.RPS_HTTP})
    format = RpsHttpFormat
    detectors = ("rps-clientinfo",)
    every_line = True  # a few rows per admin session: cheaper to read all than to prefilter

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        for rule in fired("rps-clientinfo", rules):
            self._client_info(rec, rule.id, rule.params_as(RpsClientInfoParams), hunt)

    @staticmethod
    def _client_info(rec: LogRecord, rule_id: str, p: RpsClientInfoParams, hunt: FileHunt) -> None:
        client_info = rec.get("ClientInfo").strip()
        if client_info.lower() in p.expected_client_info:
            return
        status = status_of(rec.get("HttpStatus"))
        chain = rec.get("ClientIpAddress").strip()
        served = status in p.success_statuses
        hit = Hit(
            rule_id,
            "hit" if served else "refused",
            {
                "client_info": client_info,
                "status": rec.get("HttpStatus"),
                "front_end_server": rec.get("FrontEndServer"),
                "server": rec.get("ServerHostName"),
                "authenticated_user": rec.get("AuthenticatedUser"),
                "client_ip_chain": chain,
                "url": full_uri(rec.get("UrlStem"), rec.get("UrlQuery")),
                "command": rec.get("CommandName"),
                "request_id": rec.get("RequestId"),
            },
            source_ip=first_address(chain) or None,
            http=HttpFacet(
                url=full_uri(rec.get("UrlStem"), rec.get("UrlQuery")) or None,
                status=status,
                user_agent=client_info or None,
                client_ip=first_address(chain) or None,
                request_id=rec.get("RequestId") or None,
                target=rec.get("ServerHostName") or None,
            ),
            accounts=_authenticated(rec.get("AuthenticatedUser")),
        )
        if served:
            hit.facts["outcome"] = f"{status}: the PowerShell request was served (probable code execution)"
        else:
            hit.facts["outcome"] = f"{status if status is not None else 'no status'}: not served"
        hunt.report(rec, hit)

    def observe(self, rec: LogRecord, fmt: LogFormat, hunt: FileHunt) -> None:
        path = hunt.file.rel_path
        build = build_of(
            rec.get("MajorVersion"), rec.get("MinorVersion"), rec.get("BuildVersion"), rec.get("RevisionVersion")
        )
        if build:
            hunt.result.observations.append(
                Observation(ObservationKind.EXCHANGE_BUILD, build, path, rec.timestamp, "Rps_Http version columns")
            )
        host = rec.get("ServerHostName").strip()
        if host:
            hunt.result.observations.append(
                Observation(ObservationKind.HOSTNAME, host, path, rec.timestamp, "Rps_Http ServerHostName")
            )


def _authenticated(user: str) -> tuple[Account, ...]:
    user = user.strip()
    return (Account(user, AccountRole.AUTHENTICATED),) if user and user != "-" else ()


ANALYZERS = [RpsHttpAnalyzer()]
