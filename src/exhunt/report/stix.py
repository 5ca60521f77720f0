"""Indicators for the SOC: a STIX 2.1 bundle of what the hunt observed, built with `stix2`.

For each finding with something observable (a source address, a file hash and path, a user
agent or a requested URL) there is one `observed-data` whose exhunt property extension names
the finding it came from: host, rule id and version, evidence path and line. Addresses of
attacks and hashes of attacker files become `indicator`s, each tied to its findings by a
`sighting` on the host (`observed_data_refs`). A `report` holds it all.

Identifiers are derived from the content (UUIDv5) and times from the hunt, so the same result
always gives the same bundle.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import stix2

from exhunt.model import Finding, HostAssessment, HttpFacet, HuntResult, Implies, in_order, iso, utc
from exhunt.outfile import replaced
from exhunt.report.addresses import parse_address
from exhunt.report.safe_text import unicode_safe

_NAMESPACE = uuid.UUID("89a85c47-25bc-4b0e-a638-96742aa845da")
EXTENSION_ID = "extension-definition--e082f1b1-82b5-4722-b487-81ad781ed83c"
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_SCHEMA = (
    "Property extension naming the exhunt finding an object was derived from: host, rule_id, rule_version, "
    "title, severity, category, implies, chain, cves, evidence_path, evidence_line, evidence_record, "
    "timestamp, source_ip, user_agent, url. Rule ids are explained by `exhunt rules RULE_ID`."
)


def _id(kind: str, *parts: object) -> str:
    # Evidence names may hold undecodable bytes (kept as lone surrogates): hashed as escapes.
    name = "|".join(str(p) for p in parts).encode("utf-8", "backslashreplace").decode("ascii", "replace")
    return f"{kind}--{uuid.uuid5(_NAMESPACE, name)}"


def _request(f: Finding) -> HttpFacet:
    return f.http or HttpFacet()


def _file(f: Finding) -> tuple[str, str, str] | None:
    """(folder, name, sha256) of the file a finding is about, when its hash is a SHA-256."""
    if f.file is None or not f.file.sha256 or not _SHA256.match(f.file.sha256):
        return None
    cut = max(f.file.path.rfind("/"), f.file.path.rfind("\\"))
    folder, name = f.file.path[: max(cut, 0)], f.file.path[cut + 1 :]
    return folder, name or f.file.path, f.file.sha256.lower()


def _address(text: str | None) -> stix2.IPv4Address | stix2.IPv6Address | None:
    addr = parse_address(text)
    if addr is None:
        return None  # a forwarded chain or junk: kept as text in the provenance instead
    if addr.version == 4:
        return stix2.IPv4Address(value=str(addr))
    return stix2.IPv6Address(value=str(addr))


def _finding_key(host: str, f: Finding) -> tuple[object, ...]:
    ev = f.evidence
    return (host, f.rule_id, f.rule_version, ev.path, ev.line, ev.record, iso(f.timestamp), f.source_ip)


def _provenance(host: str, f: Finding) -> dict[str, Any]:
    ev = f.evidence
    values: dict[str, Any] = {
        "extension_type": "property-extension",
        "host": host,
        "rule_id": f.rule_id,
        "rule_version": f.rule_version,
        "title": f.title,
        "severity": str(f.severity),
        "category": f.category,
        "implies": str(f.implies),
        "chain": f.chain,
        "cves": list(f.cves) or None,
        "evidence_path": ev.path,
        "evidence_line": ev.line,
        "evidence_record": ev.record,
        "timestamp": iso(f.timestamp),
        "source_ip": f.source_ip,
        "user_agent": _request(f).user_agent,
        "url": _request(f).url,
    }
    return {k: v for k, v in values.items() if v not in (None, "", [])}


class _Builder:
    def __init__(self, result: HuntResult) -> None:
        self.result = result
        self.created = utc(result.finished)
        self.objects: dict[str, Any] = {}
        self.tool = stix2.Identity(
            id=_id("identity", "exhunt"),
            name="exhunt",
            identity_class="system",
            description="Exchange compromise hunting",
            created=self.created,
            modified=self.created,
        )
        self.add(self.tool)
        self.add(
            stix2.ExtensionDefinition(
                id=EXTENSION_ID,
                created_by_ref=self.tool.id,
                created=self.created,
                modified=self.created,
                name="exhunt finding provenance",
                description="Which exhunt finding an object comes from.",
                schema=_SCHEMA,
                version="1.0",
                extension_types=["property-extension"],
            )
        )
        self.scos: dict[tuple[object, ...], str] = {}
        self.addresses: dict[str, tuple[str, str] | None] = {}
        # indicator value -> (pattern, kind words, [(host, finding, observed-data id)])
        self.seen: dict[str, tuple[str, str, list[tuple[str, Finding, str]]]] = {}

    def add(self, obj: Any) -> Any:
        self.objects.setdefault(obj.id, obj)
        return self.objects[obj.id]

    def common(self) -> dict[str, Any]:
        return {"created_by_ref": self.tool.id, "created": self.created, "modified": self.created}

    def host(self, host: HostAssessment) -> None:
        where = self.add(
            stix2.Identity(
                id=_id("identity", "host", host.host),
                name=host.host,
                identity_class="system",
                description=f"Exchange server, verdict {host.verdict}",
                **self.common(),
            )
        )
        sightings: dict[str, list[tuple[Finding, str]]] = {}
        for f in in_order(host.findings):
            od_id = self.observed(host.host, f)
            if od_id is None:
                continue
            for value in self.indicator_values(f):
                sightings.setdefault(value, []).append((f, od_id))
                self.seen[value][2].append((host.host, f, od_id))
        for value, hits in sightings.items():
            times = [utc(f.timestamp) for f, _ in hits if f.timestamp] or [utc(self.result.started)]
            self.add(
                stix2.Sighting(
                    id=_id("sighting", host.host, value),
                    sighting_of_ref=self.indicator_id(value),
                    observed_data_refs=sorted({od for _, od in hits}),
                    where_sighted_refs=[where.id],
                    first_seen=min(times),
                    last_seen=max(times),
                    count=len(hits),
                    **self.common(),
                )
            )

    def indicator_id(self, value: str) -> str:
        return _id("indicator", value)

    def indicator_values(self, f: Finding) -> list[str]:
        """Which indicators this finding supports: the address of an attack, the hash of an attacker file."""
        values = []
        addr = self.address(f.source_ip)
        if addr is not None and f.implies in (Implies.COMPROMISE, Implies.ATTEMPT):
            kind, value = addr
            values.append(value)
            self.seen.setdefault(value, (f"[{kind}:value = '{value}']", "address", []))
        found = _file(f)
        if found is not None and f.implies in (Implies.COMPROMISE, Implies.SUSPICIOUS):
            digest = found[2]
            values.append(digest)
            self.seen.setdefault(digest, (f"[file:hashes.'SHA-256' = '{digest}']", "file", []))
        return values

    def sco(self, key: tuple[object, ...], make: Callable[[], Any]) -> str:
        """The id of a cyber-observable, built once per distinct value (hunts repeat them a lot)."""
        found = self.scos.get(key)
        if found is None:
            found = self.scos[key] = str(self.add(make()).id)
        return found

    def address(self, text: str | None) -> tuple[str, str] | None:
        """(STIX type, normalised value) of a source address, or None for junk."""
        if not text:
            return None
        if text not in self.addresses:
            addr = _address(text)
            self.addresses[text] = (addr.type, addr.value) if addr is not None else None
        return self.addresses[text]

    def observed(self, host: str, f: Finding) -> str | None:
        refs: list[str] = []
        addr = self.address(f.source_ip)
        addr_id = None
        if addr is not None:
            kind, value = addr
            make = stix2.IPv4Address if kind == "ipv4-addr" else stix2.IPv6Address
            addr_id = self.sco(addr, lambda: make(value=value))
            refs.append(addr_id)
        found = _file(f)
        if found is not None:
            folder, file_name, sha = found
            extra: dict[str, Any] = {}
            if folder:
                extra["parent_directory_ref"] = self.sco(("directory", folder), lambda: stix2.Directory(path=folder))
                refs.append(extra["parent_directory_ref"])
            refs.append(
                self.sco(
                    ("file", file_name, sha, folder),
                    lambda: stix2.File(name=file_name, hashes={"SHA-256": sha}, **extra),
                )
            )
        http = _request(f)
        ua, url, method = http.user_agent, http.url, http.method
        if addr_id is not None and url and method:
            request: dict[str, Any] = {"request_method": method.lower(), "request_value": url}
            if ua:
                request["request_header"] = {"User-Agent": [ua]}  # STIX 2.1: each header a list of values
            src = addr_id
            refs.append(
                self.sco(
                    ("http", src, method.lower(), url, ua),
                    lambda: stix2.NetworkTraffic(
                        src_ref=src, protocols=["tcp", "http"], extensions={"http-request-ext": request}
                    ),
                )
            )
        site = http.host
        if url and site and "/" not in site and url.startswith("/"):
            full = f"https://{site}{url}"
            refs.append(self.sco(("url", full), lambda: stix2.URL(value=full)))
        if not refs:
            return None  # nothing observable to share; the finding stays in the JSON and timeline
        when = utc(f.timestamp) if f.timestamp else utc(self.result.started)
        od = stix2.ObservedData(
            id=_id("observed-data", *_finding_key(host, f)),
            first_observed=when,
            last_observed=when,
            number_observed=1,
            object_refs=refs,
            extensions={EXTENSION_ID: _provenance(host, f)},
            **self.common(),
        )
        return str(self.add(od).id)

    def indicators(self) -> None:
        for value, (pattern, kind, hits) in self.seen.items():
            if not hits:
                continue
            times = [utc(f.timestamp) for _, f, _ in hits if f.timestamp] or [utc(self.result.started)]
            rules = sorted({f.rule_id for _, f, _ in hits})
            hosts = sorted({h for h, _, _ in hits})
            where = "; ".join(
                f"{f.rule_id} on {h} at {f.evidence.path}" + (f":{f.evidence.line}" if f.evidence.line else "")
                for h, f, _ in hits[:10]
            )
            more = f" and {len(hits) - 10} more" if len(hits) > 10 else ""
            what = "Source address of" if kind == "address" else "Attacker file (SHA-256) found by"
            self.add(
                stix2.Indicator(
                    id=self.indicator_id(value),
                    name=f"{what} {', '.join(rules)}",
                    description=f"Seen by exhunt on {', '.join(hosts)}: {where}{more}.",
                    indicator_types=["malicious-activity"],
                    pattern=pattern,
                    pattern_type="stix",
                    valid_from=min(times),
                    **self.common(),
                )
            )

    def report(self) -> stix2.Report:
        verdicts = "; ".join(f"{h.host}: {h.verdict}" for h in self.result.hosts) or "no hosts"
        return stix2.Report(
            id=_id("report", iso(self.result.started), iso(self.result.finished)),
            name=f"exhunt hunt finished {iso(self.result.finished)}",
            description=f"Verdicts: {verdicts}.",
            published=self.created,
            report_types=["observed-data", "indicator"],
            object_refs=list(self.objects),
            **self.common(),
        )


def build_bundle(result: HuntResult) -> stix2.Bundle:
    """Everything observable in `result` as a STIX 2.1 bundle (valid for `stix2.parse`)."""
    result = unicode_safe(result)  # STIX strings must be valid Unicode; evidence names may not be
    builder = _Builder(result)
    for host in result.hosts:
        builder.host(host)
    builder.indicators()
    report = builder.report()
    objects = [*builder.objects.values(), report]
    return stix2.Bundle(objects=objects, id=_id("bundle", iso(result.started), iso(result.finished)))


def bundle_text(result: HuntResult) -> tuple[str, int]:
    """The bundle as indented JSON, and how many objects it holds."""
    bundle = build_bundle(result)
    # stix2's pretty printer orders keys by searching the whole bundle for each one (quadratic:
    # 250 findings took 109 s, 1,100 hosts of 47 findings more than 12 minutes); its compact
    # form keeps the same order, indented here instead.
    return json.dumps(json.loads(bundle.serialize()), indent=4, ensure_ascii=False), len(bundle.objects)


def write_stix(result: HuntResult, path: str | Path) -> int:
    """Write the bundle as JSON; returns how many objects it holds."""
    text, count = bundle_text(result)
    with replaced(path, errors="backslashreplace") as out:
        out.write(text)
    return count
