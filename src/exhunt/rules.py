"""The rule catalog: every detector's id, version, severity, CVEs and explanation, as data.

Rules live in `exhunt/data/rules/*.toml`, one file per area (logs, files, events, ...). A
detector never writes its own title or severity: it asks the catalog for its rule and calls
`Rule.finding(...)`, so what a finding says always matches what the catalog documents.

File layout (one table per rule, keyed by id):

    [EXH-PL-26855-SSRF]
    version = 1
    title = "ProxyLogon SSRF (CVE-2021-26855) in HttpProxy log"
    severity = "critical"
    category = "exploitation"
    implies = "compromise"          # compromise | attempt | suspicious | nothing
    chain = "ProxyLogon"            # optional
    cves = ["CVE-2021-26855"]
    references = ["detection-spec.md §1.1"]
    explanation = "..."
    # any other keys are detector parameters, kept in `Rule.params`
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from exhunt.model import Chain, EvidenceRef, Finding, Implies, Severity

RULE_ID = re.compile(r"^EXH-[A-Z0-9]+(-[A-Z0-9]+)+$")
_META_KEYS = {"version", "title", "severity", "category", "implies", "chain", "cves", "references", "explanation"}


class RuleError(ValueError):
    """A rule file or entry that cannot be loaded; carries where it came from."""

    def __init__(self, origin: str, message: str) -> None:
        super().__init__(f"{origin}: {message}")
        self.origin = origin
        self.message = message


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: str
    severity: Severity
    category: str
    implies: Implies
    chain: str | None
    cves: tuple[str, ...]
    references: tuple[str, ...]
    explanation: str
    origin: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def finding(
        self,
        evidence: EvidenceRef,
        *,
        timestamp: datetime | None = None,
        source_ip: str | None = None,
        details: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        severity: Severity | None = None,
        implies: Implies | None = None,
        chain: str | None = None,
        cves: Iterable[str] | None = None,
    ) -> Finding:
        """Make a finding of this rule. Overrides exist for rules whose weight depends on the
        evidence (e.g. an attempt that got a 200 is worse than one that got a 401)."""
        items = details.items() if isinstance(details, Mapping) else details
        return Finding(
            rule_id=self.id,
            rule_version=self.version,
            title=self.title,
            severity=severity or self.severity,
            category=self.category,
            implies=implies or self.implies,
            cves=tuple(cves) if cves is not None else self.cves,
            chain=chain if chain is not None else self.chain,
            evidence=evidence,
            timestamp=timestamp,
            source_ip=source_ip,
            details=tuple((str(k), str(v)) for k, v in items if v is not None and v != ""),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "severity": str(self.severity),
            "category": self.category,
            "implies": str(self.implies),
            "chain": self.chain,
            "cves": list(self.cves),
            "references": list(self.references),
            "explanation": self.explanation,
        }


def parse_rules(text: str, origin: str) -> list[Rule]:
    """Parse one TOML rule file; raises RuleError naming the file and the rule."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(origin, f"not valid TOML: {exc}") from exc
    rules = []
    for rule_id, body in doc.items():
        where = f"{origin} [{rule_id}]"
        if not isinstance(body, dict):
            raise RuleError(where, "expected a table")
        if not RULE_ID.match(rule_id):
            raise RuleError(where, "rule id must look like EXH-<AREA>-<WHAT> (upper case)")
        missing = {"version", "title", "severity", "category", "implies", "explanation"} - body.keys()
        if missing:
            raise RuleError(where, f"missing keys: {', '.join(sorted(missing))}")
        try:
            severity = Severity(body["severity"])
            implies = Implies(body["implies"])
        except ValueError as exc:
            raise RuleError(where, str(exc)) from exc
        chain = body.get("chain")
        if chain is not None and chain not in {c.value for c in Chain}:
            raise RuleError(where, f"unknown chain {chain!r}")
        version = body["version"]
        if not isinstance(version, int) or version < 1:
            raise RuleError(where, "version must be a positive integer")
        rules.append(
            Rule(
                id=rule_id,
                version=version,
                title=str(body["title"]),
                severity=severity,
                category=str(body["category"]),
                implies=implies,
                chain=chain,
                cves=tuple(body.get("cves", ())),
                references=tuple(body.get("references", ())),
                explanation=" ".join(str(body["explanation"]).split()),
                origin=origin,
                params={k: v for k, v in body.items() if k not in _META_KEYS},
            )
        )
    return rules


@cache
def catalog() -> dict[str, Rule]:
    """Every shipped rule by id. Duplicate ids across files are an error (caught by tests)."""
    out: dict[str, Rule] = {}
    folder = resources.files("exhunt") / "data" / "rules"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for rule in parse_rules(entry.read_text(encoding="utf-8"), f"exhunt/data/rules/{entry.name}"):
            if rule.id in out:
                raise RuleError(rule.origin, f"duplicate rule id {rule.id} (also in {out[rule.id].origin})")
            out[rule.id] = rule
    return out


def rule(rule_id: str) -> Rule:
    """The shipped rule with this id (KeyError names it when a detector asks for a missing one)."""
    try:
        return catalog()[rule_id]
    except KeyError:
        raise KeyError(f"no rule {rule_id} in the catalog") from None
