"""`--misp FILE`: the hunt as one MISP event, built with pymisp's own objects.

What goes in, read from the findings' typed fields (never from their free-text details):
- attack addresses (the source of a finding that implies compromise or an attempt): `ip-src`
  attributes flagged for detection (`to_ids`);
- attacker files (a SHA-256 on a finding that implies compromise or suspicion): `file` objects
  with name, full path, size and SHA-256, the hash flagged for detection;
- the web requests findings name (HTTP facet): `http-request` objects (method, URI, host,
  user agent, source address), context only;
- the CVEs the findings belong to: `vulnerability` attributes.
Every attribute and object says in its comment which host, rule and evidence line it comes
from; the address attributes and the objects carry `first_seen` and `last_seen`, the first and
last time of their dated findings (a file found on disk has none). The event is shared with the producing organisation only (distribution 0) and tagged
TLP:AMBER+STRICT: widening either is a decision for whoever imports it. Identical values are
merged, so one address seen in a thousand requests is one attribute.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import IO

from pymisp import MISPAttribute, MISPEvent, MISPObject

from exhunt.model import Finding, HuntResult, Implies, Verdict, in_order, iso, utc
from exhunt.report.addresses import address_text
from exhunt.report.safe_text import unicode_safe

_NAMESPACE = uuid.UUID("5b0c6f38-7d52-4f0e-9b52-2f1d0c1f7a11")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
# MISP threat levels: 1 high, 2 medium, 3 low, 4 undefined.
_THREAT = {
    Verdict.COMPROMISED: 1,
    Verdict.ATTEMPTED: 2,
    Verdict.SUSPICIOUS: 3,
}
_ATTACK = (Implies.COMPROMISE, Implies.ATTEMPT)
_ATTACKER_FILE = (Implies.COMPROMISE, Implies.SUSPICIOUS)
TLP_TAG = "tlp:amber+strict"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "|".join(str(p) for p in parts)))


def _where(host: str, f: Finding) -> str:
    line = f":{f.evidence.line}" if f.evidence.line else ""
    return f"{f.rule_id} on {host} at {f.evidence.path}{line}"


def _address(text: str | None) -> str | None:
    return address_text(text)  # None for a forwarded chain or junk: it stays in the JSON


def _file_of(f: Finding) -> tuple[str, str, int | None] | None:
    """(path, sha256, size) of the file a finding is about, when it names one with a hash."""
    if f.file is not None and f.file.sha256 and _SHA256.match(f.file.sha256):
        return f.file.path, f.file.sha256.lower(), f.file.size
    sha = f.evidence.sha256
    if sha and _SHA256.match(sha):
        return f.evidence.path, sha.lower(), None
    return None


def _name(path: str) -> str:
    return re.split(r"[\\/]", path)[-1] or path


class _Seen:
    """Where a value was seen (each finding's rule and evidence line) and when: the first and
    last time of its dated findings, MISP's first_seen and last_seen (none when none is dated)."""

    def __init__(self) -> None:
        self.wheres: list[str] = []
        self.times: list[datetime] = []

    def add(self, where: str, f: Finding) -> None:
        self.wheres.append(where)
        if f.timestamp is not None:
            self.times.append(utc(f.timestamp))

    def date(self, item: MISPAttribute | MISPObject | None) -> None:
        if item is not None and self.times:
            item.first_seen = min(self.times)
            item.last_seen = max(self.times)


def _findings(result: HuntResult) -> Iterator[tuple[str, Finding]]:
    for host in result.hosts:
        for f in in_order(host.findings):
            yield host.host, f


def build_event(result: HuntResult) -> MISPEvent:
    # MISP's JSON must be valid Unicode; a file name may hold an undecodable byte (kept as a lone
    # surrogate), which pymisp's serialiser refused and the MISP event was not written.
    result = unicode_safe(result)
    event = MISPEvent()
    event.uuid = _uuid("event", iso(result.started), iso(result.finished))
    verdicts = ", ".join(f"{h.host} {h.verdict}" for h in result.hosts) or "no hosts"
    event.info = f"exhunt hunt of Exchange servers: {verdicts}"
    event.date = utc(result.finished).date()
    event.distribution = 0
    event.analysis = 2  # completed: the hunt is finished
    levels = [_THREAT.get(h.verdict, 4) for h in result.hosts]
    event.threat_level_id = min(levels, default=4)
    event.add_tag(TLP_TAG)
    event.add_tag("exhunt")

    addresses: dict[str, _Seen] = {}
    files: dict[tuple[str, str], tuple[int | None, _Seen]] = {}
    requests: dict[tuple[str | None, ...], _Seen] = {}
    cves: dict[str, list[str]] = {}
    for host, f in _findings(result):
        where = _where(host, f)
        addr = _address(f.source_ip) or _address(f.http.client_ip if f.http else None)
        if addr and f.implies in _ATTACK:
            addresses.setdefault(addr, _Seen()).add(where, f)
        found = _file_of(f)
        if found and f.implies in _ATTACKER_FILE:
            path, sha, size = found
            files.setdefault((path, sha), (size, _Seen()))[1].add(where, f)
        http = f.http
        if http is not None and http.url:
            key = (http.method, http.url, http.host, http.user_agent, addr)
            requests.setdefault(key, _Seen()).add(where, f)
        for cve in f.cves:
            cves.setdefault(cve, []).append(where)

    for addr, seen in sorted(addresses.items()):
        attr = _event_attribute(event, "ip-src", addr, True, _comment("attack source", seen.wheres))
        seen.date(attr)
    for (path, sha), (size, seen) in sorted(files.items()):
        obj = MISPObject("file", strict=True, standalone=False)
        obj.uuid = _uuid("file", path, sha)
        obj.comment = _comment("attacker file", seen.wheres)
        seen.date(obj)
        _add(obj, "filename", _name(path))
        _add(obj, "fullpath", path)
        _add(obj, "sha256", sha, to_ids=True)
        if size is not None:
            _add(obj, "size-in-bytes", size)
        event.add_object(obj)
    for (method, url, site, agent, addr), seen in sorted(requests.items(), key=lambda kv: str(kv[0])):
        obj = MISPObject("http-request", strict=True, standalone=False)
        obj.uuid = _uuid("http-request", method, url, site, agent, addr)
        obj.comment = _comment("request", seen.wheres)
        seen.date(obj)
        _add(obj, "uri", str(url))
        for relation, value in (("method", method), ("host", site), ("user-agent", agent), ("ip-src", addr)):
            if value:
                _add(obj, relation, value)
        event.add_object(obj)
    for cve, wheres in sorted(cves.items()):
        _event_attribute(event, "vulnerability", cve, False, _comment("exploited", wheres))
    return event


def _event_attribute(event: MISPEvent, kind: str, value: str, to_ids: bool, comment: str) -> MISPAttribute | None:
    attr = event.add_attribute(kind, value, to_ids=to_ids, comment=comment)
    if isinstance(attr, MISPAttribute):
        attr.uuid = _uuid(kind, value)
        return attr
    return None


def _add(obj: MISPObject, relation: str, value: str | int, to_ids: bool = False) -> None:
    attr = obj.add_attribute(relation, value, to_ids=to_ids)
    if attr is not None:
        attr.uuid = _uuid(obj.uuid, relation, value)


def _comment(what: str, wheres: list[str]) -> str:
    shown = "; ".join(wheres[:5])
    more = f"; and {len(wheres) - 5} more" if len(wheres) > 5 else ""
    return f"{what}: {shown}{more}"


def dumps(result: HuntResult) -> str:
    """The event as MISP's JSON (`{"Event": {...}}`), as MISP imports it."""
    inner = json.loads(build_event(result).to_json())
    text = json.dumps({"Event": inner}, indent=2, ensure_ascii=False)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def write_misp(result: HuntResult, out: IO[str]) -> None:
    out.write(dumps(result) + "\n")
