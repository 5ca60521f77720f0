"""HTTP.sys error logs (HTTPERR): requests the kernel refused, dropped or timed out before IIS.

Each row has the client, the method, the URL (path and query in one `cs-uri`), the status HTTP.sys
answered (or `-` when the connection went away) and the reason (`BadRequest`, `Timer_ConnectionIdle`,
`Connection_Dropped`, ...). A request of one of the chains' shapes here reached the server and was
not served by it: the web-request rules weigh it as an attempt, never as a success.
"""

from __future__ import annotations

from exhunt.analyzers.logscan import FileHunt, LogAnalyzer, status_of
from exhunt.analyzers.web_requests import WEB_DETECTORS, WebRequest, check_request
from exhunt.artefacts.records import LogRecord
from exhunt.artefacts.w3c import HttpErrFormat
from exhunt.model import ArtefactKind


def request_of(rec: LogRecord) -> WebRequest:
    uri = rec.get("cs-uri")
    stem, mark, query = uri.partition("?")
    req = WebRequest(
        method=rec.get("cs-method").upper(),
        stem=stem,
        query=mark + query if query else "",
        status=status_of(rec.get("sc-status")),
        user_agent="",
        client_ip=rec.get("c-ip"),
    )

    def describe() -> dict[str, str]:
        reason = rec.get("s-reason")
        return {
            "method": req.method,
            "url": uri,
            "status": rec.get("sc-status"),
            "httperr_reason": reason,
            "outcome": f"refused or dropped by HTTP.sys before IIS ({reason or 'no reason logged'})",
            "server_ip": rec.get("s-ip"),
            "server_port": rec.get("s-port"),
            "queue": rec.get("s-queuename"),
        }

    req.describe = describe
    return req


class HttpErrAnalyzer(LogAnalyzer):
    name = "httperr-log"
    kinds = frozenset({ArtefactKind.HTTPERR})
    format = HttpErrFormat
    detectors = WEB_DETECTORS

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        for hit in check_request(request_of(rec), rules, hunt):
            hunt.report(rec, hit)


ANALYZERS = [HttpErrAnalyzer()]
