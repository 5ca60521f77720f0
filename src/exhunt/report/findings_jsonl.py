"""`--jsonl`: one JSON object per finding, dated or not, for a SIEM.

Each line carries Elastic Common Schema fields (nested objects, as ECS documents are written:
`@timestamp`, `host.name`, `source.ip`, `url.original`, `user_agent.original`,
`file.hash.sha256`, `rule.id`, `rule.name`, `event.severity`...) and, under `exhunt`, the
finding exactly as the `exhunt.hunt` JSON has it, so nothing is lost in the translation.
ECS values come from the finding's typed facets, never from its free-text details.

A finding without a time of its own (a web shell on disk, a dump) still gets a line: ECS wants
an `@timestamp`, and for an event with no original time it is the time the event was seen, so
it is the hunt's start (known before the first host is written, so a fleet hunt writes the
lines host by host); `exhunt.timestamp` stays null and `exhunt.dated` false, so a timeline
built from these lines can tell the two apart. See docs/contracts.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson

from exhunt.fleet.spool import HostOrder, SpooledOutput
from exhunt.model import AccountRole, Finding, HostAssessment, HuntResult, in_order, iso
from exhunt.report.addresses import address_text

LINE_SCHEMA = "exhunt.finding/1"
ECS_VERSION = "8.11.0"


def _put(doc: dict[str, Any], dotted: str, value: Any) -> None:
    """Set `a.b.c` in nested objects, skipping empty values (ECS leaves absent fields out)."""
    if value is None or value == "" or value == []:
        return
    node = doc
    *parents, leaf = dotted.split(".")
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value


def _ecs(host: str, f: Finding, seen: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"@timestamp": iso(f.timestamp) or seen}
    _put(doc, "ecs.version", ECS_VERSION)
    _put(doc, "host.name", host)
    _put(doc, "event.kind", "alert")
    _put(doc, "event.module", "exhunt")
    _put(doc, "event.created", seen)
    _put(doc, "event.severity", f.severity.rank)
    _put(doc, "event.category", f.category)
    _put(doc, "rule.id", f.rule_id)
    _put(doc, "rule.name", f.title)
    _put(doc, "rule.version", str(f.rule_version))
    _put(doc, "rule.ruleset", "exhunt")
    _put(doc, "vulnerability.id", list(f.cves))
    _put(doc, "log.file.path", f.evidence.path)
    _put(doc, "log.origin.file.line", f.evidence.line)
    http = f.http
    # ECS maps source.ip as an address: a forwarded chain or junk there would make a SIEM refuse
    # the whole line, so it is left out (the logged text stays in exhunt.source_ip).
    _put(doc, "source.ip", address_text(f.source_ip) or address_text(http.client_ip if http else None))
    if http is not None:
        _put(doc, "url.original", http.url)
        _put(doc, "url.domain", http.host)
        _put(doc, "user_agent.original", http.user_agent)
        _put(doc, "http.request.method", http.method)
        _put(doc, "http.request.id", http.request_id)
        _put(doc, "http.response.status_code", http.status)
        _put(doc, "destination.address", http.target)
    file = f.file
    if file is not None:
        _put(doc, "file.path", file.path)
        _put(doc, "file.hash.sha256", file.sha256)
        _put(doc, "file.size", file.size)
    else:
        _put(doc, "file.hash.sha256", f.evidence.sha256)
    event = f.event
    if event is not None:
        _put(doc, "event.code", None if event.event_id is None else str(event.event_id))
        _put(doc, "event.provider", event.provider)
        _put(doc, "winlog.channel", event.channel)
        _put(doc, "winlog.event_id", None if event.event_id is None else str(event.event_id))
        _put(doc, "winlog.record_id", None if event.record_id is None else str(event.record_id))
        _put(doc, "winlog.computer_name", event.computer)
        _put(doc, "winlog.provider_name", event.provider)
    proc = f.process
    if proc is not None:
        _put(doc, "process.executable", proc.image)
        _put(doc, "process.command_line", proc.command_line)
        _put(doc, "process.pid", proc.pid)
        _put(doc, "process.parent.executable", proc.parent_image)
        _put(doc, "process.parent.pid", proc.parent_pid)
        _put(doc, "process.user.name", proc.user)
    where = {
        AccountRole.SUBJECT: "user",
        AccountRole.AUTHENTICATED: "user",
        AccountRole.TARGET: "user.target",
        AccountRole.IMPERSONATED: "user.effective",
    }
    named: set[str] = set()
    for account in f.accounts:
        prefix = where[account.role]
        if prefix in named:
            continue  # ECS holds one name per role; every account stays under exhunt.accounts
        named.add(prefix)
        _put(doc, f"{prefix}.name", account.name)
        _put(doc, f"{prefix}.id", account.sid)
    return doc


def _exhunt(host: str, f: Finding) -> dict[str, Any]:
    own = f.to_dict()
    own["schema"] = LINE_SCHEMA
    own["host"] = host
    own["dated"] = f.timestamp is not None
    own["accounts"] = [{"name": a.name, "role": str(a.role), **({"sid": a.sid} if a.sid else {})} for a in f.accounts]
    return own


def finding_document(host: str, f: Finding, seen: str) -> dict[str, Any]:
    """One finding as its JSON line: ECS fields, and exhunt's own under `exhunt`."""
    doc = _ecs(host, f, seen)
    doc["exhunt"] = _exhunt(host, f)
    return doc


def documents(result: HuntResult) -> Iterator[dict[str, Any]]:
    """Every finding of every host, host by host, dated ones in time order, then undated ones."""
    seen = iso(result.started) or ""
    for host in result.hosts:
        yield from host_documents(host, seen)


def host_documents(host: HostAssessment, seen: str) -> Iterator[dict[str, Any]]:
    """One host's findings, dated ones in time order, then undated ones."""
    for f in in_order(host.findings):
        yield finding_document(host.host, f, seen)


def _text(value: Any) -> Any:
    """Lone surrogates (undecodable evidence bytes) are not UTF-8: keep them visible as escapes."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text(v) for v in value]
    return value


# JSON escapes only the controls below U+0020; NEL and the Unicode line and paragraph separators
# stay as they are, and a reader that splits on every line break (Python's str.splitlines, some
# log shippers) would cut a finding in two at a user agent or file name holding one.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def one_line(text: str) -> str:
    """A JSON document written on one line for any reader: the line breaks JSON leaves raw in
    strings (where alone they can occur) written as escapes, which read back the same."""
    return text.translate(_LINE_BREAKS)


def dumps_line(doc: dict[str, Any]) -> str:
    return one_line(orjson.dumps(_text(doc)).decode())


def write_lines(result: HuntResult, out: IO[str]) -> int:
    count = 0
    for doc in documents(result):
        out.write(dumps_line(doc) + "\n")
        count += 1
    return count


class FindingsStream(SpooledOutput):
    """`--jsonl` fed host by host as hosts finish, written in host order at `close`."""

    def __init__(self, path: str | Path, started: datetime) -> None:
        super().__init__(path)
        self._seen = iso(started) or ""
        self.findings = 0

    def add(self, host: HostAssessment, order: HostOrder | None = None) -> None:
        lines = [dumps_line(doc) + "\n" for doc in host_documents(host, self._seen)]
        self.findings += len(lines)
        self.add_text(order, "".join(lines))
