"""The console summary: per host the verdict first, then findings by chain with their evidence.

Every value that came from evidence goes through `printable()` and rich's markup escaping: a
User-Agent can carry terminal escape sequences or `[red]` markup, and must show as text; a file
name its line feeds as \\x0a (only an excerpt keeps its lines).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table

from exhunt.model import Exposure, Finding, HostAssessment, HuntResult, Verdict, count_by_kind, iso
from exhunt.report.safe_text import printable

VERDICT_STYLE = {
    Verdict.COMPROMISED: "bold white on red",
    Verdict.ATTEMPTED: "bold black on yellow",
    Verdict.SUSPICIOUS: "bold black on bright_yellow",
    Verdict.CLEAN: "bold white on green",
    Verdict.INSUFFICIENT: "bold white on blue",
}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
PER_RULE = 5  # findings shown per rule on the console; all of them are in --json


def safe(text: object, limit: int | None = None, *, lines: bool = False) -> str:
    """Text from the evidence made inert, on one line unless `lines` (an excerpt of a file may
    span lines; a file name, host name or message shows a line feed as \\x0a, so it cannot
    pass for another line of the report)."""
    return escape(printable(str(text), limit, lines=lines))


def say(console: Console, markup: str, indent: int = 0) -> None:
    """One line of console markup; when it wraps, the continuation keeps the line's indent."""
    # Through the console's own render_str, so an InertConsole makes what slipped past safe() inert.
    console.print(Padding(console.render_str(markup), (0, 0, 0, indent), expand=False))


def when(ts: datetime | None) -> str:
    """The console's one timestamp format: ISO 8601 in UTC, to the second."""
    return iso(ts.replace(microsecond=0)) or "-" if ts is not None else "-"


# Worst first: the order hosts are summed up in.
VERDICT_ORDER = (Verdict.COMPROMISED, Verdict.ATTEMPTED, Verdict.SUSPICIOUS, Verdict.INSUFFICIENT, Verdict.CLEAN)


def render_host(console: Console, host: HostAssessment, *, per_rule: int = PER_RULE) -> None:
    console.rule(style="dim")
    console.print(
        f"[{VERDICT_STYLE[host.verdict]}] {host.verdict.value.upper()} [/] [bold]{safe(host.host)}[/]"
        f"  [dim]{safe(host.root)} ({safe(host.layout)})[/]"
    )
    say(console, safe(host.verdict_reason))
    for note in host.notes:
        style = "bold yellow" if note.startswith("SEVERAL COMPUTERS") else "dim"
        say(console, f"[{style}]{safe(note)}[/]")
    _render_build(console, host)
    if host.findings:
        _render_findings(console, host.findings, per_rule)
    if host.incidents:
        console.print("\n[bold]Incidents[/] (findings grouped by source address and time)")
        for inc in host.incidents:
            say(
                console,
                f"{inc.id} {safe(inc.source_ip)}  {when(inc.first)} .. {when(inc.last)}  "
                f"{inc.findings} findings, worst {inc.worst}, {', '.join(inc.chains) or '-'}",
                2,
            )
    if host.suppressed:
        console.print("\n[bold]Suppressed on purpose[/] (counted, not reported as findings)")
        for s in host.suppressed:
            say(console, f"{s.count:>7,}  {safe(s.rule_id)}: {safe(s.reason)}", 2)
    _render_coverage(console, host)
    if host.blind_spots:
        console.print("\n[bold yellow]Blind spots[/]")
        for spot in host.blind_spots:
            say(console, f"- {safe(spot)}", 2)
    if host.remediation:
        console.print("\n[bold]What to do next[/]")
        for step in host.remediation:
            say(console, f"{step.priority}. {safe(step.action)}  [dim]({safe(step.why, 240)})[/]", 2)
    if host.errors:
        _render_problems(console, host)


def _render_problems(console: Console, host: HostAssessment) -> None:
    counts = count_by_kind(host.errors)
    by_kind = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    console.print(f"\n[bold]{len(host.errors)} evidence problem(s)[/] ({by_kind}; the hunt went on)")
    # Problems that kept evidence from being looked at come first: they are why a host is not clean.
    ordered = sorted(host.errors, key=lambda p: not p.kind.blocks_clean)
    for err in ordered[:10]:
        where = f"{err.path}:{err.line}" if err.line else err.path
        who = f" [{err.producer}]" if err.producer else ""
        say(console, f"{safe(err.kind)}{safe(who)} {safe(where, 100)}: {safe(err.message, 200)}", 2)
    if len(host.errors) > 10:
        console.print(f"  ... and {len(host.errors) - 10} more (see --json)")


def _render_build(console: Console, host: HostAssessment) -> None:
    if not host.exchange_build:
        console.print("[dim]Exchange build: not found in the evidence[/]")
        return
    build = host.exposure
    name = (build.name if build else None) or ""
    say(console, f"Exchange build {safe(host.exchange_build)} {safe(name)} [dim]from {safe(host.build_source)}[/]")
    if build is not None and build.exposure:
        parts = []
        for chain, item in build.chains():
            style = "red" if item.exposed else "green" if item.status is Exposure.PATCHED else "yellow"
            parts.append(f"{safe(chain)} [{style}]{item.status}[/]")
        say(console, "exposure: " + ", ".join(parts), 2)


def _render_findings(console: Console, findings: Sequence[Finding], per_rule: int) -> None:
    by_chain: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in findings:
        by_chain[f.chain or "Not tied to one chain"][f.rule_id].append(f)
    for chain, rules in by_chain.items():
        total = sum(len(v) for v in rules.values())
        console.print(f"\n[bold]{safe(chain)}[/] - {total} finding{'s' if total != 1 else ''}")
        for rule_id, hits in sorted(rules.items(), key=lambda kv: (-kv[1][0].severity.rank, kv[0])):
            first = hits[0]
            style = SEVERITY_STYLE.get(first.severity.value, "")
            cves = f" {safe(', '.join(first.cves))}" if first.cves else ""
            say(
                console,
                f"[{style}]{first.severity.value:<8}[/] [bold]{safe(rule_id)}[/]{cves} - {safe(first.title)} ({len(hits)})",
                2,
            )
            shown = hits[:per_rule] if per_rule > 0 else hits
            for f in shown:
                _render_evidence(console, f)
            if len(hits) > len(shown):
                say(console, f"... and {len(hits) - len(shown)} more (see --json, or -v)", 6)


def _render_evidence(console: Console, f: Finding) -> None:
    where = f.evidence.path + (f":{f.evidence.line}" if f.evidence.line else "")
    if f.evidence.record and not f.evidence.line:
        where += f" record {f.evidence.record}"
    meta = " ".join(x for x in (when(f.timestamp) if f.timestamp else "", f.source_ip or "") if x)
    say(console, f"{safe(where, 140)}  [dim]{safe(meta)}[/]", 6)
    if f.evidence.excerpt:
        say(console, f"[dim]{safe(f.evidence.excerpt, 220, lines=True)}[/]", 8)
    excerpt = f.evidence.excerpt or ""
    interesting = [(k, v) for k, v in f.details if k in _SHOWN_DETAILS and v not in excerpt]
    if interesting:
        say(console, "  ".join(f"{safe(k)}={safe(v, 90)}" for k, v in interesting), 8)


_SHOWN_DETAILS = {
    "impersonated_user",
    "sha256",
    "matched",
    "same_request_as",
    "path",
    "command_line",
    "cmdlet",
    "target_file",
    "user_agent",
    # a listed indicator: which entry, where in the request or event, and the list's file and line
    "indicator",
    "seen_in",
    "listed_in",
}


def _render_coverage(console: Console, host: HostAssessment) -> None:
    if not host.log_coverage:
        return
    table = Table(title="Log coverage", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("artefact", overflow="fold")
    table.add_column("first", no_wrap=True)
    table.add_column("last", no_wrap=True)
    table.add_column("files", justify="right")
    table.add_column("records", justify="right")
    for name, span in sorted(host.log_coverage.items()):
        table.add_row(safe(name), when(span.first), when(span.last), f"{span.files:,}", f"{span.records:,}")
    console.print()
    console.print(table)


def render_summary(console: Console, hosts: Iterable[HostAssessment]) -> None:
    """The verdicts, worst first: the last thing a hunt prints, for one host or many."""
    hosts = sorted(hosts, key=lambda h: (VERDICT_ORDER.index(h.verdict), h.host))
    console.rule(style="dim")
    title = f"{len(hosts)} host{'s' if len(hosts) != 1 else ''}, worst first"
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("host", overflow="fold")
    table.add_column("verdict", no_wrap=True)
    table.add_column("findings", justify="right", no_wrap=True)
    table.add_column("build", no_wrap=True)
    for h in hosts:
        table.add_row(
            safe(h.host),
            f"[{VERDICT_STYLE[h.verdict]}]{h.verdict.value}[/]",
            str(len(h.findings)),
            safe(h.exchange_build or "-"),
        )
    console.print(table)
    if len(hosts) == 1:
        say(console, safe(hosts[0].verdict_reason))


def render(console: Console, result: HuntResult) -> None:
    for host in result.hosts:
        render_host(console, host)
    render_summary(console, result.hosts)
