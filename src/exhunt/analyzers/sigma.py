"""The user's Sigma rules (`exhunt hunt --sigma PATH`): on Windows event logs, and on the IIS and
HttpProxy logs as Sigma's `webserver` category.

Event logs are matched inside the event log analyzer (`sigma_events`), so each event is read
once. Web logs are read here, only when a `webserver` rule was loaded: lines holding one of the
rules' literals are parsed (every line when a rule has none to offer), exposed under Sigma's
web field names (`logsources.toml` [web.*]) and matched. Rules that did not load are reported
once per host, with file and reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.artefacts.exchange_csv import HttpProxyFormat
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.prefilter import Pattern
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.records import LogRecord
from exhunt.artefacts.scan import LogScan
from exhunt.artefacts.w3c import W3CFormat
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.model import (
    ArtefactKind,
    Finding,
    HttpFacet,
    Observation,
    ObservationKind,
    Problem,
    ProblemKind,
    UnitResult,
)
from exhunt.sigma.logsources import WEB_HTTPPROXY, WEB_IIS, logsource_map

if TYPE_CHECKING:
    # pySigma is loaded only when a hunt is given Sigma rules; the event records, findings and
    # field views only then too (every hunt of IIS logs imports this module, and the event
    # readers they bring cost a log hunt's start-up tens of milliseconds for nothing).
    from exhunt.events.record import EventRecord
    from exhunt.sigma.ruleset import CompiledRule, SigmaRuleset
    from exhunt.sigma.view import EventView

PRODUCER = "sigma"
_WEB_KINDS: dict[ArtefactKind, tuple[str, type[LogFormat]]] = {
    ArtefactKind.IIS: (WEB_IIS, W3CFormat),
    ArtefactKind.HTTPPROXY: (WEB_HTTPPROXY, HttpProxyFormat),
}


def ruleset(options: HuntOptions) -> SigmaRuleset | None:
    """The user's Sigma rules, loaded once per process; None when there are none."""
    if not options.sigma_paths:
        return None
    from exhunt.sigma.ruleset import load_ruleset  # pySigma, only for a hunt given Sigma rules

    return load_ruleset(tuple(options.sigma_paths), options.sigma_levels)


def sigma_events(options: HuntOptions, result: UnitResult, path: str = "") -> Callable[[EventRecord], None] | None:
    """A function matching each event of one file against the Sigma rules, or None."""
    rules = ruleset(options)
    if rules is None or not rules.rules:
        return None
    from exhunt.sigma.correlation import HitKeeper
    from exhunt.sigma.findings import SigmaReporter
    from exhunt.sigma.view import event_view

    reporter = SigmaReporter(result)
    filtered: list[tuple[CompiledRule, str]] = []
    keeper = HitKeeper(result, path) if rules.correlations else None

    def match(record: EventRecord) -> None:
        fired = rules.match_event(record, filtered)
        if fired and keeper is not None:
            record_id = str(record.record_id) if record.record_id is not None else None
            fired = keeper.keep(fired, lambda: event_view(record), record.timestamp, record.line, record_id)
        if fired:
            reporter.event(fired, record)
        if filtered:
            reporter.filtered(filtered)

    return match


def correlation_findings(options: HuntOptions, result: UnitResult) -> list[Finding]:
    """The findings of the Sigma correlations on a host's merged results (its hits are then
    dropped, what was left out counted in `result`)."""
    hits, result.correlation_hits = result.correlation_hits, []
    rules = ruleset(options)
    if rules is None or not rules.correlations or not hits:
        return []
    from exhunt.sigma.correlation import correlate

    try:
        outcome = correlate(rules.correlations, hits)
    except Exception as exc:  # a bug must cost the correlations of one host, said, never the hunt
        message = f"Sigma correlations not evaluated on {len(hits):,} matches: {type(exc).__name__}: {exc}"[:400]
        result.errors.append(Problem("(Sigma correlations)", message, None, ProblemKind.ANALYZER_FAILED, PRODUCER))
        return []
    for (rule_id, reason), count in outcome.suppressed.items():
        result.suppress(rule_id, reason, count)
    return outcome.findings


class SigmaSetup:
    """Once per host: the rules that could not be used, and how many were loaded."""

    name = "sigma-setup"

    def files_read(self, host: HostEvidence) -> list[EvidenceFile]:
        return []  # it reports the rule set, not the evidence

    def load_rules(self, options: HuntOptions) -> None:
        ruleset(options)

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        rules = ruleset(ctx.options)
        if rules is None:
            return result
        for problem in rules.rejected:
            message = f"Sigma rule not loaded: {problem}"
            result.errors.append(Problem(problem.path, message, kind=ProblemKind.RULE_INVALID, producer=PRODUCER))
        summary = (
            (
                f"{len(rules.loaded)} Sigma rules loaded from {rules.files} files; {len(rules.rejected)} rejected; "
                f"{len(rules.not_applicable)} for logs exhunt does not read (Linux, cloud, network...)"
            )
            + "".join(f"; {note}" for note in rules.notes)
            + (f"; {rules.cache_note}" if rules.cache_note else "")
        )
        result.observations.append(Observation(ObservationKind.NOTICE, summary, ", ".join(ctx.options.sigma_paths)))
        return result


class SigmaWebAnalyzer:
    """Sigma `webserver` rules over IIS and HttpProxy logs."""

    name = "sigma-web"
    kinds = frozenset(_WEB_KINDS)

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        rules = ruleset(ctx.options)
        if rules is None or not rules.web_rules:
            return result
        kind, format_class = _WEB_KINDS[file.kind]
        bucket, _ = rules.bucket(kind, None)
        if not bucket:
            return result
        columns = logsource_map().web.get(kind.removeprefix("web:"), {})
        patterns = _line_patterns([r.node.anchors for r in bucket])
        from exhunt.sigma.findings import SigmaReporter

        log = ErrorLog(file.rel_path)
        reporter = SigmaReporter(result)
        filtered: list[tuple[CompiledRule, str]] = []
        keeper = None
        if rules.correlations:
            from exhunt.sigma.correlation import HitKeeper

            keeper = HitKeeper(result, file.rel_path)
        try:
            stream = file.open()
        except Exception as exc:  # missing file, permission, broken zip: all mean "cannot read"
            result.errors.append(Problem(file.rel_path, f"cannot open: {exc}", kind=ProblemKind.UNREADABLE))
            return result
        fmt = format_class(file.rel_path, log)
        with stream:
            scan = LogScan(
                stream, log, patterns or (), header_prefixes=fmt.header_prefixes, every_line=patterns is None
            )
            for line in scan:
                record = fmt.feed(line)
                if record is None:
                    continue
                try:
                    view = web_view(record, columns)
                    fired = list(rules.match_view(kind, None, view, filtered))
                    if fired and keeper is not None:
                        fired = keeper.keep(fired, lambda: view, record.timestamp, record.line, None)  # noqa: B023
                    if fired:
                        reporter.web(fired, record, http_facet(record, columns))
                    if filtered:
                        reporter.filtered(filtered)
                except Exception as exc:  # one unforeseen record must not cost the rest of the file
                    log.add(f"line {record.line}: Sigma rules could not evaluate this record ({exc!r})", record.line)
        result.errors.extend(log.finish())
        return result


def _line_patterns(anchors: list[frozenset[tuple[str, str]] | None]) -> tuple[Pattern, ...] | None:
    """Literals a line must hold for any rule to fire, or None when every line must be parsed:
    a rule without anchors, or a literal the log would write differently (CSV doubles quotes)."""
    literals: set[str] = set()
    for rule_anchors in anchors:
        if rule_anchors is None:
            return None
        literals.update(literal for _, literal in rule_anchors)
    if any('"' in lit or "\n" in lit or not lit.isascii() for lit in literals):
        return None
    return tuple(_literal_pattern(lit) for lit in sorted(literals))


def _literal_pattern(literal: str) -> Pattern:
    """A literal as the raw line may hold it: IIS writes spaces in user agents, referers and
    cookies as '+', and the reader turns them back into spaces."""
    pieces = [re.escape(piece.encode("ascii")) for piece in literal.split(" ")]
    return Pattern("sigma", b"[ +]".join(pieces))


def web_view(record: LogRecord, columns: Mapping[str, str]) -> EventView:
    from exhunt.sigma.view import mapped_view

    query = columns.get("cs-uri-query", "cs-uri-query")

    def get(column: str) -> str:
        value = record.get(column)
        # HttpProxy logs the query with its '?', W3C (and so Sigma) without
        return value[1:] if column == query and value.startswith("?") else value

    return mapped_view(get, columns, lambda: record.values)


def http_facet(record: LogRecord, columns: Mapping[str, str]) -> HttpFacet:
    def get(name: str) -> str | None:
        value = record.get(columns.get(name, name))
        return value if value and value != "-" else None

    stem, query = get("cs-uri-stem") or "", (get("cs-uri-query") or "").removeprefix("?")
    status = get("sc-status")
    return HttpFacet(
        method=get("cs-method"),
        url=stem + (f"?{query}" if query else ""),
        host=get("cs-host"),
        status=int(status) if status and status.isdigit() and len(status) <= 3 else None,
        user_agent=get("cs-user-agent"),
        client_ip=get("c-ip"),
        request_id=record.get("RequestId") or None,
    )


ANALYZERS = [SigmaSetup(), SigmaWebAnalyzer()]
