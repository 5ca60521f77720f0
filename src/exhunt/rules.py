"""The rule catalog: every detector's id, version, outcome tiers, CVEs and explanation, as data.

Rules live in `exhunt/data/rules/*.toml`, one file per area (logs, files, events, ...). A
detector never writes its own title or severity: it reports a `Hit` naming the rule and one of
the rule's outcomes, and the rule turns it into a finding, so what a finding says always
matches what `exhunt rules` prints.

File layout (one table per rule, keyed by id):

    [EXH-PL-26855-SSRF]
    version = 1
    title = "ProxyLogon SSRF (CVE-2021-26855) in HttpProxy log"
    severity = "critical"           # the outcome "hit": what a plain hit means
    category = "exploitation"       # see `Category`
    implies = "compromise"          # compromise | attempt | suspicious | nothing
    chain = "ProxyLogon"            # optional
    cves = ["CVE-2021-26855"]
    references = ["docs/detection/proxylogon.md#test-proxylogon-checks"]
    explanation = "..."
    detector = "httpproxy-serverinfo-anchor"   # who reads the parameters below
    anchor_prefix = "ServerInfo~"   # parameters: exactly the fields of the detector's class

    [EXH-PL-26855-SSRF.outcomes.refused]      # more outcome tiers, each its own weight
    severity = "high"
    implies = "attempt"
    when = "the forged request was not served"

Loading checks everything (`exhunt.ruleschema`, `exhunt.ruleparams`) and collects every
problem with its file, rule and key before failing (`RuleErrors`). The user's rule files in
the same format (`exhunt hunt --rules`) join the catalog through `use()`, in the hunt's process
and in every worker; their problems are `user_problems()`, reported without stopping the hunt.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, wraps
from importlib import resources
from typing import Any, TypeVar

from exhunt import tomlcache
from exhunt.model import (
    Account,
    Category,
    Chain,
    EventFacet,
    EvidenceRef,
    FileFacet,
    Finding,
    HttpFacet,
    Implies,
    ProcessFacet,
    Severity,
)
from exhunt.ruleparams import DETECTORS, ONE_RULE_DETECTORS
from exhunt.ruleschema import build_params

RULE_ID = re.compile(r"^EXH-[A-Z0-9]+(-[A-Z0-9]+)+$")
OUTCOME_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
DEFAULT_OUTCOME = "hit"
_META_KEYS = {
    "version",
    "title",
    "severity",
    "category",
    "implies",
    "chain",
    "cves",
    "references",
    "explanation",
    "detector",
    "outcomes",
    "remediation",
}
# Remediation steps a rule's hit asks for beyond what its category and CVEs say.
REMEDIATION_STEPS = frozenset({"mailbox-exports", "machine-keys"})
_REQUIRED = ("version", "title", "severity", "category", "implies", "explanation", "detector")
P = TypeVar("P")


class RuleError(ValueError):
    """One thing wrong in a rule file: the file, the rule id and the key it is about."""

    def __init__(self, origin: str, message: str, rule_id: str | None = None, key: str | None = None) -> None:
        where = origin + (f" [{rule_id}]" if rule_id else "") + (f" {key}" if key else "")
        super().__init__(f"{where}: {message}")
        self.origin = origin
        self.rule_id = rule_id
        self.key = key
        self.message = message


class RuleErrors(RuleError):
    """Every problem found in one or more rule files, reported together."""

    def __init__(self, errors: list[RuleError]) -> None:
        first = errors[0]
        text = "\n".join(str(e) for e in errors)
        super().__init__(first.origin, text if len(errors) > 1 else first.message, first.rule_id, first.key)
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


@dataclass(frozen=True)
class Outcome:
    """One tier of a rule: what a hit of this kind weighs and implies."""

    name: str
    severity: Severity
    implies: Implies
    when: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "severity": str(self.severity), "implies": str(self.implies), "when": self.when}


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: str
    severity: Severity
    category: Category
    implies: Implies
    chain: str | None
    cves: tuple[str, ...]
    references: tuple[str, ...]
    explanation: str
    origin: str
    detector: str = "none"
    params: Any = None
    outcomes: Mapping[str, Outcome] = field(default_factory=dict)
    remediation: tuple[str, ...] = ()

    def outcome(self, name: str) -> Outcome:
        """The tier `name`; a detector asking for an undeclared one is a bug, named here."""
        if name == DEFAULT_OUTCOME and name not in self.outcomes:
            return Outcome(DEFAULT_OUTCOME, self.severity, self.implies)
        try:
            return self.outcomes[name]
        except KeyError:
            declared = ", ".join(self.outcomes) or DEFAULT_OUTCOME
            raise KeyError(f"rule {self.id} has no outcome {name!r} (declared: {declared})") from None

    def params_as(self, cls: type[P]) -> P:
        """The rule's parameters, typed: `cls` must be the class its detector declares."""
        if not isinstance(self.params, cls):
            raise TypeError(f"rule {self.id} (detector {self.detector}) has no {cls.__name__} parameters")
        return self.params

    def finding(
        self,
        evidence: EvidenceRef,
        *,
        outcome: str = DEFAULT_OUTCOME,
        timestamp: datetime | None = None,
        source_ip: str | None = None,
        details: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        http: HttpFacet | None = None,
        file: FileFacet | None = None,
        event: EventFacet | None = None,
        process: ProcessFacet | None = None,
        accounts: tuple[Account, ...] = (),
    ) -> Finding:
        """Make a finding of this rule; its weight is the named outcome tier's."""
        tier = self.outcome(outcome)
        items = details.items() if isinstance(details, Mapping) else details
        return Finding(
            rule_id=self.id,
            rule_version=self.version,
            title=self.title,
            severity=tier.severity,
            category=self.category,
            implies=tier.implies,
            cves=self.cves,
            chain=self.chain,
            evidence=evidence,
            timestamp=timestamp,
            source_ip=source_ip,
            details=tuple((str(k), str(v)) for k, v in items if v is not None and v != ""),
            http=http,
            file=file,
            event=event,
            process=process,
            accounts=accounts,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "severity": str(self.severity),
            "category": str(self.category),
            "implies": str(self.implies),
            "chain": self.chain,
            "cves": list(self.cves),
            "references": list(self.references),
            "explanation": self.explanation,
            "detector": self.detector,
            "outcomes": [o.to_dict() for o in self.outcomes.values()],
            "remediation": list(self.remediation),
        }


def read_rules(text: str, origin: str) -> tuple[list[Rule], list[RuleError]]:
    """Parse one TOML rule file: the rules that are sound, and every problem of the others."""
    try:
        doc = tomlcache.loads(text)  # parsed once, then read back as JSON (tomlcache.py)
    except tomllib.TOMLDecodeError as exc:
        return [], [RuleError(origin, f"not valid TOML: {exc}")]
    rules: list[Rule] = []
    errors: list[RuleError] = []
    for rule_id, body in doc.items():
        problems: list[RuleError] = []
        made = _rule(rule_id, body, origin, problems)
        if problems:
            errors += problems
        elif made is not None:
            rules.append(made)
    return rules, errors


def parse_rules(text: str, origin: str) -> list[Rule]:
    """Parse one TOML rule file; raises RuleErrors naming the file, rule and key of every problem."""
    rules, errors = read_rules(text, origin)
    if errors:
        raise RuleErrors(errors)
    return rules


def _rule(rule_id: str, body: Any, origin: str, problems: list[RuleError]) -> Rule | None:
    def bad(message: str, key: str | None = None) -> None:
        problems.append(RuleError(origin, message, rule_id, key))

    if not isinstance(body, dict):
        bad("expected a table")
        return None
    if not RULE_ID.match(rule_id):
        bad("rule id must look like EXH-<AREA>-<WHAT> (upper case)")
    for key in _REQUIRED:
        if key not in body:
            bad("missing key", key)
    if problems:
        return None
    version = body["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        bad("version must be a positive integer", "version")
    for key in ("title", "explanation", "detector"):
        if not isinstance(body[key], str) or not body[key].strip():
            bad("expected a non-empty string", key)
    for key in ("cves", "references", "remediation"):
        value = body.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            bad("expected a list of strings", key)
    severity = _enum(Severity, body["severity"], "severity", bad)
    implies = _enum(Implies, body["implies"], "implies", bad)
    category = _enum(Category, body["category"], "category", bad)
    chain = body.get("chain")
    if chain is not None and chain not in {c.value for c in Chain}:
        bad(f"unknown chain {chain!r} (one of: {', '.join(c.value for c in Chain)})", "chain")
    outcomes = _outcomes(body.get("outcomes", {}), severity, implies, bad)
    steps = body.get("remediation", [])
    for step in steps if isinstance(steps, list) else []:
        if step not in REMEDIATION_STEPS:
            bad(f"unknown remediation step {step!r} (one of: {', '.join(sorted(REMEDIATION_STEPS))})", "remediation")
    params: Any = None
    detector = body["detector"]
    cls = DETECTORS.get(detector) if isinstance(detector, str) else None
    if cls is None:
        if isinstance(detector, str) and detector.strip():
            bad(f"unknown detector {detector!r}", "detector")
    else:
        raw = {k: v for k, v in body.items() if k not in _META_KEYS}
        params, wrong = build_params(cls, raw)
        for p in wrong:
            bad(p.message, p.key)
    if problems or severity is None or implies is None or category is None:
        return None
    return Rule(
        id=rule_id,
        version=version,
        title=body["title"],
        severity=severity,
        category=category,
        implies=implies,
        chain=chain,
        cves=tuple(body.get("cves", ())),
        references=tuple(body.get("references", ())),
        explanation=" ".join(body["explanation"].split()),
        origin=origin,
        detector=detector,
        params=params,
        outcomes=outcomes,
        remediation=tuple(steps),
    )


E = TypeVar("E", Severity, Implies, Category)


def _enum(cls: type[E], value: Any, key: str, bad: Any) -> E | None:
    try:
        return cls(value)
    except ValueError:
        bad(f"{value!r} is not one of: {', '.join(m.value for m in cls)}", key)
        return None


def _outcomes(raw: Any, severity: Severity | None, implies: Implies | None, bad: Any) -> dict[str, Outcome]:
    """The default tier (the rule's own severity and implies) first, then the declared ones."""
    out: dict[str, Outcome] = {}
    if severity is not None and implies is not None:
        out[DEFAULT_OUTCOME] = Outcome(DEFAULT_OUTCOME, severity, implies)
    if not isinstance(raw, dict):
        bad("expected a table of outcome tables", "outcomes")
        return out
    for name, body in raw.items():
        key = f"outcomes.{name}"
        if not OUTCOME_NAME.match(name) or name == DEFAULT_OUTCOME:
            bad(f"outcome names are short lower-case words other than {DEFAULT_OUTCOME!r}", key)
            continue
        if not isinstance(body, dict):
            bad("expected a table with severity, implies and when", key)
            continue
        for extra in sorted(set(body) - {"severity", "implies", "when"}):
            bad("unknown key (an outcome has severity, implies and when)", f"{key}.{extra}")
        for needed in ("severity", "implies", "when"):
            if needed not in body:
                bad("missing key", f"{key}.{needed}")
        if not {"severity", "implies", "when"} <= body.keys():
            continue
        tier_severity = _enum(Severity, body["severity"], f"{key}.severity", bad)
        tier_implies = _enum(Implies, body["implies"], f"{key}.implies", bad)
        when = body["when"]
        if not isinstance(when, str) or not when.strip():
            bad("expected a non-empty string", f"{key}.when")
            continue
        if tier_severity is not None and tier_implies is not None:
            out[name] = Outcome(name, tier_severity, tier_implies, " ".join(when.split()))
    return out


def load_catalog(files: Iterable[tuple[str, str]]) -> tuple[dict[str, Rule], list[RuleError]]:
    """Rules of several files by id, with every problem of every file (duplicate ids too)."""
    out: dict[str, Rule] = {}
    errors: list[RuleError] = []
    for origin, text in files:
        rules, wrong = read_rules(text, origin)
        errors += wrong
        for r in rules:
            if r.id in out:
                errors.append(RuleError(origin, f"duplicate rule id (also in {out[r.id].origin})", r.id))
                continue
            out[r.id] = r
    return out, errors


def shipped_files() -> list[tuple[str, str]]:
    folder = resources.files("exhunt") / "data" / "rules"
    return [
        (f"exhunt/data/rules/{entry.name}", entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    ]


@dataclass(frozen=True, slots=True)
class RuleFile:
    """A user's rule file as read where the hunt starts. Its text travels to every worker in the
    hunt's options, so each process loads the very same rules, on this machine or a cluster's."""

    origin: str  # the path as the user gave it
    text: str
    error: str = ""  # why it could not be read (then `text` is empty)


def merge_user_rules(shipped: Mapping[str, Rule], files: Iterable[RuleFile]) -> tuple[dict[str, Rule], list[RuleError]]:
    """The shipped rules with the user's added or put in their place (a user rule with a shipped
    id overrides it, and must keep its detector), and every problem of the user's files. A rule
    that does not load leaves the catalog as it was: the shipped rule of that id stays."""
    merged = dict(shipped)
    errors: list[RuleError] = []
    added: dict[str, str] = {}  # id -> user file that gave it
    for f in files:
        if f.error:
            errors.append(RuleError(f.origin, f.error))
            continue
        rules, wrong = read_rules(f.text, f.origin)
        errors += wrong
        for r in rules:
            if r.id in added:
                errors.append(RuleError(f.origin, f"duplicate rule id (also in {added[r.id]})", r.id))
                continue
            base = shipped.get(r.id)
            only = ONE_RULE_DETECTORS.get(r.detector)
            if only is not None and only != r.id:
                message = f"detector {r.detector!r} reports only as {only}: a new rule on it would never fire"
                errors.append(RuleError(f.origin, message, r.id, "detector"))
                continue
            if base is not None and base.detector != r.detector:
                message = f"overrides the shipped rule, whose detector is {base.detector!r}: an override keeps it"
                errors.append(RuleError(f.origin, message, r.id, "detector"))
                continue
            added[r.id] = f.origin
            merged[r.id] = r
    return merged, errors


_user_files: tuple[RuleFile, ...] = ()


def use(files: tuple[RuleFile, ...]) -> None:
    """Make the user's rule files part of this process's catalog. The hunt does it where it
    starts and every worker before each unit, with the files the hunt's options carry."""
    global _user_files
    if files != _user_files:
        _user_files = files
        _forget_loaded()


def user_files() -> tuple[RuleFile, ...]:
    return _user_files


@cache
def shipped_catalog() -> dict[str, Rule]:
    """Every shipped rule by id; raises RuleErrors (all problems at once) when any is broken."""
    rules, errors = load_catalog(shipped_files())
    if errors:
        raise RuleErrors(errors)
    return rules


@cache
def _loaded() -> tuple[dict[str, Rule], tuple[RuleError, ...]]:
    rules, errors = merge_user_rules(shipped_catalog(), _user_files)
    return rules, tuple(errors)


def catalog() -> dict[str, Rule]:
    """Every rule by id: the shipped ones and the user's (`use`). Raises RuleErrors when the
    shipped rules are broken; problems of the user's files are `user_problems()`."""
    return _loaded()[0]


def user_problems() -> tuple[RuleError, ...]:
    """Everything wrong in the user's rule files: those rules are not in the catalog."""
    return _loaded()[1]


@cache
def rules_of(detector: str) -> tuple[Rule, ...]:
    """Every catalog rule whose `detector` is `detector`, by id: what a detector runs. A new rule
    naming an existing detector (with its own parameters) runs with no code change."""
    return tuple(r for _, r in sorted(catalog().items()) if r.detector == detector)


@cache
def ids_of(detector: str) -> frozenset[str]:
    """The ids of `rules_of(detector)`, for set tests on the rules a line matched."""
    return frozenset(r.id for r in rules_of(detector))


T = TypeVar("T")


def per_catalog(fn: Callable[[], T]) -> Callable[[], T]:
    """`fn()` worked out once per loaded catalog: again when the user's rules change it."""
    memo: list[tuple[object, T]] = []

    @wraps(fn)
    def current() -> T:
        loaded = catalog()
        if not memo or memo[0][0] is not loaded:
            memo[:] = [(loaded, fn())]
        return memo[0][1]

    return current


def fired(detector: str, rule_ids: Iterable[str]) -> Iterator[Rule]:
    """The rules of `detector` among `rule_ids` (those whose prefilter matched a line)."""
    return (r for r in rules_of(detector) if r.id in rule_ids)


def _forget_loaded() -> None:
    _loaded.cache_clear()
    rules_of.cache_clear()
    ids_of.cache_clear()


def forget() -> None:
    """Drop the loaded catalog, so the next question reads the rule files again."""
    shipped_catalog.cache_clear()
    _forget_loaded()


def rule(rule_id: str) -> Rule:
    """The catalog rule with this id (KeyError names it when a detector asks for a missing one)."""
    try:
        return catalog()[rule_id]
    except KeyError:
        raise KeyError(f"no rule {rule_id} in the catalog") from None


def params(rule_id: str, cls: type[P]) -> P:
    """The typed parameters of a catalog rule (`cls` is its detector's class)."""
    return rule(rule_id).params_as(cls)
