"""Rps_Http (remote PowerShell) logs: OWASSRF's foreign ClientInfo (detection-spec.md §2.7, §4.3)."""

from __future__ import annotations

from functools import cache

from exhunt.analyzers.httpproxy import build_of
from exhunt.analyzers.logscan import FileHunt, Hit, LogAnalyzer, first_address, params, status_of
from exhunt.artefacts.exchange_csv import RpsHttpFormat
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.records import LogRecord
from exhunt.artefacts.urls import full_uri
from exhunt.model import ArtefactKind, Implies, Observation, Severity

CLIENT_INFO = "EXH-OWASSRF-RPS-CLIENTINFO"


@cache
def _expected() -> frozenset[str]:
    return frozenset(str(c).strip().lower() for c in params(CLIENT_INFO)["expected_client_info"])


class RpsHttpAnalyzer(LogAnalyzer):
    name = "rps-http-log"
    kinds = frozenset({ArtefactKind.RPS_HTTP})
    format = RpsHttpFormat
    rule_ids = (CLIENT_INFO,)
    every_line = True  # a few rows per admin session: cheaper to read all than to prefilter

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        client_info = rec.get("ClientInfo").strip()
        if client_info.lower() in _expected():
            return
        status = status_of(rec.get("HttpStatus"))
        chain = rec.get("ClientIpAddress").strip()
        hit = Hit(
            CLIENT_INFO,
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
        )
        if status in frozenset(int(s) for s in params(CLIENT_INFO)["success_statuses"]):
            hit.details["outcome"] = f"{status}: the PowerShell request was served (probable code execution)"
        else:
            hit.severity, hit.implies = Severity.HIGH, Implies.ATTEMPT
            hit.details["outcome"] = f"{status if status is not None else 'no status'}: not served"
        hunt.report(rec, hit)

    def observe(self, rec: LogRecord, fmt: LogFormat, hunt: FileHunt) -> None:
        path = hunt.file.rel_path
        build = build_of(
            rec.get("MajorVersion"), rec.get("MinorVersion"), rec.get("BuildVersion"), rec.get("RevisionVersion")
        )
        if build:
            hunt.result.observations.append(
                Observation("exchange_build", build, path, rec.timestamp, "Rps_Http version columns")
            )
        host = rec.get("ServerHostName").strip()
        if host:
            hunt.result.observations.append(
                Observation("hostname", host, path, rec.timestamp, "Rps_Http ServerHostName")
            )


ANALYZERS = [RpsHttpAnalyzer()]
