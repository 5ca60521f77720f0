"""What a scan says about each host: the `exhunt.scan/1` JSON contract (docs/contracts.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from exhunt.model import CHAINS, Exposure, iso, parse_iso
from exhunt.scan.checks import CheckResult

SCAN_SCHEMA = "exhunt.scan/1"
EXPOSED = frozenset({str(Exposure.VULNERABLE), str(Exposure.VULNERABLE_UNLESS_SU)})


def unknown_exposure() -> dict[str, str]:
    return {str(c): str(Exposure.UNKNOWN) for c in CHAINS}


@dataclass(slots=True)
class HostResult:
    target: str  # as the user wrote it (or the address, for a range member)
    key: str  # scheme://host:port, the identity kept across scans
    host: str
    port: int
    scheme: str = "https"
    address: str | None = None  # the address actually connected to
    reachable: bool = False  # an HTTP server answered
    is_exchange: bool = False
    build: str | None = None
    build_source: str | None = None
    build_precision: str | None = None  # "exact" or "cu"
    product: str | None = None
    build_name: str | None = None
    build_notes: list[str] = field(default_factory=list)  # e.g. support state, from the build table
    exposure: dict[str, str] = field(default_factory=unknown_exposure)
    exposure_notes: dict[str, list[str]] = field(default_factory=dict)
    next_update: dict[str, Any] | None = None
    evidence: list[str] = field(default_factory=list)
    leaks: dict[str, str] = field(default_factory=dict)
    tls: dict[str, Any] | None = None
    checks: list[CheckResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    scanned_at: datetime | None = None
    duration: float | None = None
    requests: int = 0

    @property
    def exposed(self) -> bool:
        """Vulnerable, or vulnerable unless an update the scan cannot see is installed."""
        return any(status in EXPOSED for status in self.exposure.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "key": self.key,
            "host": self.host,
            "address": self.address,
            "port": self.port,
            "scheme": self.scheme,
            "reachable": self.reachable,
            "is_exchange": self.is_exchange,
            "build": self.build,
            "build_source": self.build_source,
            "build_precision": self.build_precision,
            "product": self.product,
            "build_name": self.build_name,
            "build_notes": list(self.build_notes),
            "exposure": dict(self.exposure),
            "exposure_notes": {k: list(v) for k, v in self.exposure_notes.items()},
            "next_update": self.next_update,
            "evidence": list(self.evidence),
            "leaks": dict(self.leaks),
            "tls": self.tls,
            "checks": [c.to_dict() for c in self.checks],
            "errors": list(self.errors),
            "scanned_at": iso(self.scanned_at),
            "duration": None if self.duration is None else round(self.duration, 3),
            "requests": self.requests,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> HostResult:
        return cls(
            target=d["target"],
            key=d.get("key") or d["target"],
            host=d.get("host") or "",
            port=int(d.get("port") or 0),
            scheme=d.get("scheme", "https"),
            address=d.get("address"),
            reachable=bool(d.get("reachable")),
            is_exchange=bool(d.get("is_exchange")),
            build=d.get("build"),
            build_source=d.get("build_source"),
            build_precision=d.get("build_precision"),
            product=d.get("product"),
            build_name=d.get("build_name"),
            build_notes=list(d.get("build_notes") or []),
            exposure={**unknown_exposure(), **(d.get("exposure") or {})},
            exposure_notes={k: list(v) for k, v in (d.get("exposure_notes") or {}).items()},
            next_update=d.get("next_update"),
            evidence=list(d.get("evidence") or []),
            leaks=dict(d.get("leaks") or {}),
            tls=d.get("tls"),
            checks=[CheckResult.from_dict(c) for c in d.get("checks") or []],
            errors=list(d.get("errors") or []),
            scanned_at=parse_iso(d.get("scanned_at")),
            duration=d.get("duration"),
            requests=int(d.get("requests") or 0),
        )


@dataclass(slots=True)
class ScanReport:
    tool_version: str
    started: datetime
    finished: datetime | None = None
    checks: tuple[str, ...] = ()
    results: list[HostResult] = field(default_factory=list)
    scan_id: int | None = None  # its id in the results store, when stored
    not_scanned: int = 0  # targets never taken because the scan's time limit passed (counted, not listed)
    interrupted: bool = False  # stopped by Ctrl-C: the results are those answered by then

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCAN_SCHEMA,
            "tool_version": self.tool_version,
            "started": iso(self.started),
            "finished": iso(self.finished),
            "scan_id": self.scan_id,
            "checks": list(self.checks),
            "summary": summarise(self.results) | {"not_scanned": self.not_scanned, "not_judged": not_judged(self)},
            "results": [r.to_dict() for r in self.results],
        } | ({"interrupted": True} if self.interrupted else {})


def summarise(results: list[HostResult]) -> dict[str, Any]:
    per_chain: dict[str, dict[str, int]] = {str(c): {} for c in CHAINS}
    for r in results:
        for chain, status in r.exposure.items():
            if r.is_exchange:
                per_chain[chain][status] = per_chain[chain].get(status, 0) + 1
    return {
        "targets": len(results),
        "reachable": sum(r.reachable for r in results),
        "exchange": sum(r.is_exchange for r in results),
        "with_build": sum(r.build is not None for r in results),
        "exposed": sum(r.exposed for r in results),
        "exposure": per_chain,
    }


def not_judged(report: ScanReport) -> str | None:
    """Why "nothing exposed" is not the whole answer, or None when it is.

    A target the scan never asked, an Exchange host whose build it could not find, or a scan in
    which nothing answered is not a host known to be patched. A host that did not answer is not
    counted on its own: in a swept range most addresses answer nothing.
    """
    unscanned = sum(1 for r in report.results if any(e.startswith("not scanned:") for e in r.errors))
    unscanned += report.not_scanned
    if unscanned:
        return f"{unscanned} target(s) not scanned"
    unknown = sum(
        1 for r in report.results if r.is_exchange and any(v == Exposure.UNKNOWN for v in r.exposure.values())
    )
    if unknown:
        return f"{unknown} Exchange host(s) with an unknown exposure"
    if report.results and not any(r.reachable for r in report.results):
        return "no target answered"
    return None
