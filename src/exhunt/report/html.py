"""The HTML report: one self-contained file a responder can open, print or mail on.

No script, no external request: the CSS is inline and allowed by its hash in a
Content-Security-Policy that forbids everything else, and the charts are server-side SVG.
Everything taken from evidence is escaped by Jinja2's autoescape; the template never marks
evidence `|safe` (only the report's own stylesheet is). Every value the templates print shows its
control characters (but tab, line feed, carriage return) and bidi overrides as visible stand-ins
(`safe_text.inert_text`): a file name carrying escape sequences is seen, and does nothing to a
terminal the page is printed on.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from exhunt.builds import BuildAssessment
from exhunt.model import (
    CHAINS,
    CoverageSpan,
    Finding,
    HostAssessment,
    HuntResult,
    Implies,
    Observation,
    RemediationStep,
    Severity,
    Verdict,
    iso,
    utc,
)
from exhunt.outfile import replaced
from exhunt.report.chart import OTHER_LANE, Chart, attack_timeline, coverage_timeline
from exhunt.report.safe_text import inert_text
from exhunt.rules import Rule, RuleError, catalog

MAX_ROWS_PER_RULE = 100  # the JSON and the timeline export hold every hit; the report shows enough
MAX_ERRORS = 200
MAX_EXCERPT = 2000

VERDICT_WORDS = {
    Verdict.COMPROMISED: (
        "Compromised",
        "An attacker got in. Follow the remediation plan, starting with preserving evidence.",
    ),
    Verdict.ATTEMPTED: (
        "Exploitation attempted",
        "Attacks reached the server; the evidence shows no sign that one succeeded.",
    ),
    Verdict.SUSPICIOUS: (
        "Suspicious",
        "Weak signals that need a person to look at them; nothing proves an attack.",
    ),
    Verdict.CLEAN: (
        "Clean",
        "The evidence holds every artefact the chains are judged on, nothing kept part of it from "
        "being read, and no check found anything.",
    ),
    Verdict.INSUFFICIENT: (
        "Not enough evidence",
        "Key evidence is missing, so exhunt cannot call this server clean.",
    ),
}
EXPOSURE_WORDS = {
    "vulnerable": "Vulnerable",
    "patched": "Patched",
    "vulnerable-unless-su": "Vulnerable unless the security update is installed",
    "unknown": "Unknown",
}
IMPLIES_WORDS = {
    Implies.COMPROMISE: "a hit means compromise",
    Implies.ATTEMPT: "a hit means an attempt",
    Implies.SUSPICIOUS: "a hit is suspicious",
    Implies.NOTHING: "context only",
}
SEVERITIES = tuple(Severity)


@dataclass(slots=True)
class RuleGroup:
    rule_id: str
    title: str
    severity: Severity
    category: str
    implies: Implies
    cves: tuple[str, ...]
    rule: Rule | None
    findings: list[Finding] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.findings)


@dataclass(slots=True)
class ChainGroup:
    name: str
    rules: list[RuleGroup]
    total: int


@dataclass(slots=True)
class CoverageRow:
    artefact: str
    span: CoverageSpan
    days: float | None


@dataclass(slots=True)
class HostView:
    anchor: str
    host: HostAssessment
    verdict_label: str
    verdict_meaning: str
    build: BuildAssessment | None
    counts: dict[str, int]
    timeline: Chart | None
    coverage_chart: Chart | None
    coverage: list[CoverageRow]
    groups: list[ChainGroup]
    remediation: list[RemediationStep]
    errors_more: int
    attacked: bool = True  # a host with a finding that implies something; a clean one shows no attack timeline


def _rules() -> Mapping[str, Rule]:
    try:
        return catalog()
    except (RuleError, OSError):
        return {}


def _groups(findings: Sequence[Finding], rules: Mapping[str, Rule]) -> list[ChainGroup]:
    by_chain: dict[str, dict[str, list[Finding]]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        chain = f.chain if f.chain in {c.value for c in CHAINS} else OTHER_LANE
        by_chain.setdefault(chain, {}).setdefault(f.rule_id, []).append(f)
    order = [c.value for c in CHAINS] + [OTHER_LANE]
    out = []
    for chain in order:
        if chain not in by_chain:
            continue
        groups = []
        for rule_id, hits in by_chain[chain].items():
            # The heading speaks for the worst hit (a rule may report attempts and successes).
            worst = max(hits, key=lambda h: h.severity.rank)
            rule = rules.get(rule_id)
            groups.append(
                RuleGroup(
                    rule_id,
                    rule.title if rule else worst.title,
                    worst.severity,
                    worst.category,
                    worst.implies,
                    tuple(dict.fromkeys(c for h in hits for c in h.cves)),
                    rule,
                    hits[:MAX_ROWS_PER_RULE],
                    len(hits),
                )
            )
        groups.sort(key=lambda g: (-g.severity.rank, g.findings[0].sort_key(), g.rule_id))
        out.append(ChainGroup(chain, groups, sum(g.total for g in groups)))
    return out


def _coverage(log_coverage: Mapping[str, CoverageSpan]) -> list[CoverageRow]:
    rows = []
    for name in sorted(log_coverage):
        span = log_coverage[name]
        days = None
        if span.first is not None and span.last is not None:
            days = round((utc(span.last) - utc(span.first)).total_seconds() / 86400, 1)
        rows.append(CoverageRow(name, span, days))
    return rows


def host_view(host: HostAssessment, index: int, rules: Mapping[str, Rule]) -> HostView:
    label, meaning = VERDICT_WORDS[host.verdict]
    if host.verdict is Verdict.CLEAN and host.blind_spots:
        meaning += " Some questions stay open: see the blind spots under coverage."
    counts = {str(s): 0 for s in SEVERITIES}
    for f in host.findings:
        counts[str(f.severity)] += 1
    steps = host.remediation
    return HostView(
        anchor=f"host-{index}",
        host=host,
        verdict_label=label,
        verdict_meaning=meaning,
        build=host.exposure,
        counts=counts,
        timeline=attack_timeline(host.findings, host.incidents),
        coverage_chart=coverage_timeline(host.log_coverage, host.findings),
        coverage=_coverage(host.log_coverage),
        groups=_groups(host.findings, rules),
        remediation=list(steps),
        errors_more=max(len(host.errors) - MAX_ERRORS, 0),
        attacked=any(f.implies is not Implies.NOTHING for f in host.findings),
    )


def _when(ts: datetime | None) -> str:
    """A timestamp as people read it, always UTC."""
    if ts is None:
        return "-"
    return utc(ts).strftime("%Y-%m-%d %H:%M:%S UTC")


def _excerpt(text: str | None) -> str:
    if not text:
        return ""
    return text if len(text) <= MAX_EXCERPT else text[:MAX_EXCERPT] + " [...]"


def distinct_observations(observations: Sequence[Observation]) -> list[tuple[Observation, int]]:
    """Each fact once (kind, value, note), with how many more files said the same: every log file
    names the host and its build, and the report needs to say so once."""
    seen: dict[tuple[str, str, str], list[Observation]] = {}
    for o in observations:
        seen.setdefault((str(o.kind), str(o.value), str(o.note)), []).append(o)
    return [(group[0], len(group) - 1) for group in seen.values()]


def _inert(value: object) -> object:
    """Each printed value (see the module's text); the report's own markup as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return inert_text(value)
    return value


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("exhunt.report", "templates"),
        autoescape=True,  # every template, whatever its name: evidence is hostile
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_inert,
    )
    env.filters["when"] = _when
    env.filters["distinct_observations"] = distinct_observations
    env.filters["iso"] = iso
    env.filters["excerpt"] = _excerpt
    # Details as the JSON keeps them (one value per key), so a re-read result renders the same.
    env.filters["pairs"] = lambda details: list(dict(details).items())
    return env


@cache
def _stylesheet() -> tuple[str, str]:
    """The report's CSS and its CSP hash source ('sha256-...')."""
    css = (resources.files("exhunt.report") / "templates" / "report.css").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return css, f"'sha256-{digest}'"


def content_security_policy() -> str:
    _, style_hash = _stylesheet()
    return f"default-src 'none'; style-src {style_hash}; img-src data:; base-uri 'none'; form-action 'none'"


def render_html(result: HuntResult, *, index_href: str | None = None) -> str:
    """The whole report as one HTML document (a pure function of `result`); `index_href` links
    back to the fleet index when the page is one host of many."""
    rules = _rules()
    css, _ = _stylesheet()
    hosts = [host_view(h, i, rules) for i, h in enumerate(result.hosts, start=1)]
    template = _environment().get_template("report.html.j2")
    return template.render(
        result=result,
        hosts=hosts,
        css=css,
        csp=content_security_policy(),
        severities=[str(s) for s in SEVERITIES],
        exposure_words=EXPOSURE_WORDS,
        implies_words=IMPLIES_WORDS,
        max_errors=MAX_ERRORS,
        index_href=index_href,
    )


def write_html(result: HuntResult, path: str | Path) -> None:
    """Write the report; undecodable evidence bytes come out as backslash escapes, never a crash."""
    text = render_html(result)
    with replaced(path, errors="backslashreplace") as out:
        out.write(text)
