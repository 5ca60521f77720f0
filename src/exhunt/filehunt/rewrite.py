"""IIS URL Rewrite rules, and whether Microsoft's Exchange mitigations among them would work.

EOMT (March 2021) adds two cookie rules against the CVE-2021-26855 SSRF; EOMTv2 and the
Emergency Mitigation Service add "PowerShell - inbound" against CVE-2022-41040
(docs/detection/mitigations.md). A rule only protects when IIS evaluates it as Microsoft wrote
it: the validity conditions are HealthChecker's (§1.4), plus two that follow from how URL
Rewrite works (a condition matching case-sensitively lets "PowerShell" through; without the
rewrite module installed no rule runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from exhunt.filehunt.safexml import Node

EOMTV2_PATTERN = "(?=.*autodiscover)(?=.*powershell)"
EOMTV2_INPUT = "{urldecode:{request_uri}}"
# Microsoft's first advice for CVE-2022-41040, bypassed within days (docs/detection/proxynotshell.md).
EOMTV2_FIRST_PATTERN = r".*autodiscover\.json.*\@.*powershell.*"
EOMT_PATTERNS = {
    "X-AnonResource-Backend": "(.*)X-AnonResource-Backend(.*)",
    "X-BEResource": "(.*)X-BEResource=(.+)/(.+)~(.+)",
}
BLOCKING_ACTIONS = frozenset({"abortrequest", "customresponse"})


class State(StrEnum):
    EFFECTIVE = "effective"
    INEFFECTIVE = "present-but-ineffective"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Condition:
    input: str
    pattern: str
    negate: bool
    ignore_case: bool


@dataclass(frozen=True, slots=True)
class RewriteRule:
    name: str
    enabled: bool
    stop_processing: bool
    pattern_syntax: str
    match_url: str | None
    conditions: tuple[Condition, ...]
    action: str | None
    source: str  # evidence path of the config file
    line: int
    alone: bool  # the only rule of its <rules> element


@dataclass
class RuleSection:
    """One <rewrite><rules> element: its rules, and whether it clears or removes inherited ones."""

    source: str
    line: int
    rules: list[RewriteRule] = field(default_factory=list)
    clears: bool = False
    removes: set[str] = field(default_factory=set)


def _flag(value: str, default: bool) -> bool:
    value = value.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    return default


def read_rules(rules: Node, source: str) -> RuleSection:
    """A <rules> element as IIS reads it."""
    section = RuleSection(source, rules.line)
    declared = [c for c in rules.children if c.tag == "rule"]
    for child in rules.children:
        if child.tag == "clear":
            section.clears = True
        elif child.tag == "remove":
            section.removes.add(child.get("name").lower())
        elif child.tag == "rule":
            match = child.child("match")
            conditions = child.child("conditions")
            action = child.child("action")
            section.rules.append(
                RewriteRule(
                    name=child.get("name"),
                    enabled=_flag(child.get("enabled"), True),
                    stop_processing=_flag(child.get("stopprocessing"), False),
                    pattern_syntax=(child.get("patternsyntax") or "ECMAScript"),
                    match_url=match.get("url") if match is not None else None,
                    conditions=tuple(
                        Condition(
                            c.get("input"),
                            c.get("pattern"),
                            _flag(c.get("negate"), False),
                            _flag(c.get("ignorecase"), True),
                        )
                        for c in (conditions.children if conditions is not None else [])
                        if c.tag == "add"
                    ),
                    action=action.get("type") if action is not None else None,
                    source=source,
                    line=child.line,
                    alone=len(declared) == 1,
                )
            )
    return section


def rule_sections(scope: Node, source: str) -> list[RuleSection]:
    """Every <system.webServer><rewrite> rule list directly in this scope (a configuration or
    location): its <rules>, and the server-wide <globalRules> that run before them."""
    out = []
    for web in scope.children:
        if web.tag != "system.webserver":
            continue
        for tag in ("globalrules", "rules"):
            rules = web.path("rewrite", tag)
            if rules is not None:
                out.append(read_rules(rules, source))
    return out


@dataclass(frozen=True, slots=True)
class Verdict:
    mitigation: str
    state: State
    reason: str
    source: str | None = None  # the config holding the rule (or the one that undoes it)
    line: int | None = None
    rule: str | None = None

    @property
    def value(self) -> str:
        text = f"{self.mitigation}: {self.state}"
        return f"{text} ({self.reason})" if self.state is State.INEFFECTIVE else text


def _common_flaws(rule: RewriteRule, *, needs_stop: bool) -> list[str]:
    flaws = []
    if not rule.enabled:
        flaws.append("the rule is disabled")
    if (rule.action or "").lower() not in BLOCKING_ACTIONS:
        flaws.append(f"its action is {rule.action or 'missing'}, not AbortRequest or CustomResponse")
    if rule.pattern_syntax.lower() == "wildcard":
        flaws.append("it uses Wildcard pattern syntax, so the regular expression never matches")
    if (rule.match_url or "").strip() != ".*":
        flaws.append(f"it matches url {rule.match_url!r}, not '.*'")
    if needs_stop and not rule.stop_processing and not rule.alone:
        flaws.append("stopProcessing is off and other rules follow it")
    return flaws


def eomtv2_flaws(rule: RewriteRule) -> list[str]:
    flaws = _common_flaws(rule, needs_stop=True)
    cond = next((c for c in rule.conditions if "autodiscover" in c.pattern.lower()), None)
    if cond is None:
        return ["it has no autodiscover/powershell condition", *flaws]
    if cond.pattern.strip().lower() == EOMTV2_FIRST_PATTERN:
        flaws.insert(0, "it is the first published pattern, bypassed by encoding or splitting 'powershell'")
    elif cond.pattern.strip() != EOMTV2_PATTERN:
        flaws.insert(0, f"its pattern is {cond.pattern!r}, not {EOMTV2_PATTERN!r}")
    if cond.input.strip().lower() != EOMTV2_INPUT:
        flaws.append(f"it reads {cond.input!r}, not the URL-decoded {{UrlDecode:{{REQUEST_URI}}}}")
    if cond.negate:
        flaws.append("its condition is negated")
    if not cond.ignore_case:
        flaws.append("its condition is case-sensitive, so 'PowerShell' passes")
    return flaws


def eomt_flaws(rule: RewriteRule, cookie: str) -> list[str]:
    flaws = _common_flaws(rule, needs_stop=False)
    cond = next((c for c in rule.conditions if cookie.lower() in c.pattern.lower()), None)
    if cond is None:
        return [f"it has no {cookie} cookie condition", *flaws]
    if cond.pattern.strip() != EOMT_PATTERNS[cookie]:
        flaws.insert(0, f"its pattern is {cond.pattern!r}, not {EOMT_PATTERNS[cookie]!r}")
    if cond.input.strip().lower() != "{http_cookie}":
        flaws.append(f"it reads {cond.input!r}, not {{HTTP_COOKIE}}")
    if cond.negate:
        flaws.append("its condition is negated")
    return flaws


def is_eomtv2_candidate(rule: RewriteRule) -> bool:
    if "powershell - inbound" in rule.name.lower():
        return True
    patterns = [c.pattern.lower() for c in rule.conditions]
    return any("autodiscover" in p and "powershell" in p for p in patterns)


def eomt_cookie(rule: RewriteRule) -> str | None:
    """Which EOMT cookie rule this is meant to be, if any ('X-BEResource' before the other: it is longer)."""
    text = " ".join([rule.name, *(c.pattern for c in rule.conditions)]).lower()
    if "x-beresource" in text:
        return "X-BEResource"
    if "x-anonresource-backend" in text:
        return "X-AnonResource-Backend"
    return None


def undone_by(rule: RewriteRule, children: list[RuleSection]) -> RuleSection | None:
    """A child application's web.config that clears or removes this rule, if any."""
    for section in children:
        if section.clears or rule.name.lower() in section.removes:
            return section
    return None


def judge_eomtv2(site: list[RuleSection], children: list[RuleSection], blockers: list[str]) -> Verdict:
    candidates = [r for s in site for r in s.rules if is_eomtv2_candidate(r)]
    if not candidates:
        return Verdict("EOMTv2", State.ABSENT, "no 'PowerShell - inbound' rule at the Default Web Site level")
    best: Verdict | None = None
    for rule in candidates:
        flaws = [*blockers, *eomtv2_flaws(rule)]
        if not flaws:
            undo = undone_by(rule, children)
            if undo is None:
                why = f"rule {rule.name!r}"
                return Verdict("EOMTv2", State.EFFECTIVE, why, rule.source, rule.line, rule.name)
            flaws = [f"{undo.source} clears or removes it for that application"]
        verdict = Verdict("EOMTv2", State.INEFFECTIVE, "; ".join(flaws), rule.source, rule.line, rule.name)
        best = best or verdict
    assert best is not None
    return best


def judge_eomt(site: list[RuleSection], children: list[RuleSection], blockers: list[str]) -> Verdict:
    by_cookie: dict[str, list[RewriteRule]] = {}
    for section in site:
        for rule in section.rules:
            cookie = eomt_cookie(rule)
            if cookie:
                by_cookie.setdefault(cookie, []).append(rule)
    if not by_cookie:
        return Verdict("EOMT", State.ABSENT, "no X-AnonResource-Backend / X-BEResource cookie rules")
    problems: list[str] = list(blockers)
    first: RewriteRule | None = None
    for cookie in EOMT_PATTERNS:
        rules = by_cookie.get(cookie)
        if not rules:
            problems.append(f"the {cookie} rule is missing")
            continue
        first = first or rules[0]
        reasons: list[str] = []
        for rule in rules:
            flaws = eomt_flaws(rule, cookie)
            undo = undone_by(rule, children) if not flaws else None
            if undo is not None:
                flaws = [f"{undo.source} clears or removes it for that application"]
            if not flaws:
                reasons = []
                break
            reasons = reasons or [f"{cookie} rule: {', '.join(flaws)}"]
        problems.extend(reasons)
    anchor = first or next(r for rules in by_cookie.values() for r in rules)
    where = (anchor.source, anchor.line, anchor.name)
    if problems:
        return Verdict("EOMT", State.INEFFECTIVE, "; ".join(problems), *where)
    return Verdict("EOMT", State.EFFECTIVE, "both cookie rules", *where)
