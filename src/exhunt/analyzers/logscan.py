"""What every log analyzer shares: one prefiltered pass per file, coverage, capped findings.

A log analyzer names its format and the detectors it runs; its rules are every catalog rule whose
`detector` is one of them, so a new rule on an existing detector is a rule-file entry only. The
rules' prefilter parameters become one pattern set per analyzer (`prefilter`, `prefilter_regex`,
`prefilter_words` in the rule file); each candidate line is parsed and handed to the analyzer's
`check` with the rule ids whose patterns matched, so a line is only evaluated against the rules
that could fire on it, and each detector runs the matched rules of its name with their typed
parameters (`exhunt.rules.fired`).
Coverage (first and last timestamp, record count) comes from the scan, not from parsing
every line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.web_indicators import DETECTOR as INDICATOR_DETECTOR
from exhunt.analyzers.web_indicators import network_indicators
from exhunt.artefacts.formats import LogFormat
from exhunt.artefacts.prefilter import ENGINE_PROBLEM, Pattern, all_words
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.records import LogRecord
from exhunt.artefacts.scan import Line, LogScan, scan_prefilter
from exhunt.artefacts.siem import as_w3c
from exhunt.evidence.base import EvidenceFile
from exhunt.hits import Hit, Reporter
from exhunt.model import ArtefactKind, EvidenceRef, Observation, ObservationKind, Problem, ProblemKind, UnitResult
from exhunt.ruleparams import LogParams
from exhunt.rules import Rule, catalog, rules_of


def rule_patterns(rules: Iterable[Rule]) -> tuple[Pattern, ...]:
    """The prefilter patterns the given rules ask for, grouped by rule id."""
    out: list[Pattern] = []
    for r in rules:
        rid, p = r.id, r.params_as(LogParams)
        out += [Pattern.literal(rid, text) for text in p.prefilter]
        unless = frozenset(t.encode("utf-8") for t in p.prefilter_unless())
        out += [Pattern(rid, rx.encode("utf-8"), unless=unless) for rx in p.prefilter_regex]
        for words in p.prefilter_words:
            out += all_words(rid, list(words))
    return tuple(out)


class FileHunt:
    """Findings, suppressions and state of one analyzer over one file."""

    def __init__(self, file: EvidenceFile, ctx: HostContext, result: UnitResult) -> None:
        self.file = file
        self.ctx = ctx
        self.result = result
        self.state: dict[str, Any] = {}
        self._reporter = Reporter(result)

    def report(self, rec: LogRecord, hit: Hit) -> None:
        self.report_at(rec.line, rec.raw, rec.timestamp, hit)

    def report_at(self, line: int, raw: str, timestamp: datetime | None, hit: Hit) -> None:
        self._reporter.report(hit, EvidenceRef(self.file.rel_path, line, raw), timestamp)

    def suppress(self, rule_id: str, reason: str) -> None:
        self.result.suppress(rule_id, reason)


class LogAnalyzer:
    """Base of the log analyzers: subclasses set the class attributes and write `check`."""

    name: ClassVar[str]
    kinds: ClassVar[frozenset[ArtefactKind]]
    format: ClassVar[type[LogFormat]]
    detectors: ClassVar[tuple[str, ...]] = ()  # the `detector` names whose rules this runs
    every_line: ClassVar[bool] = False  # small logs where every row is a candidate (Rps_Http)

    @property
    def coverage_kind(self) -> str:
        return next(iter(self.kinds)).value

    def patterns(self) -> tuple[Pattern, ...]:
        return _patterns_of(type(self))

    def patterns_for(self, options: HuntOptions | None) -> tuple[Pattern, ...]:
        """`patterns()` and, when this analyzer runs the network-indicator rules, every address,
        domain and user agent of the indicator lists these options name."""
        listed = [r.id for r in self.rules() if r.detector == INDICATOR_DETECTOR]
        if not listed:
            return self.patterns()
        paths = options.extra_indicator_paths if options is not None else ()
        key = (type(self).name, paths)
        found = _LISTED.get(key)
        if found is None or found[0] is not catalog():
            values = network_indicators(paths)
            extra = tuple(p for rid in listed for p in values.patterns(rid))
            found = _LISTED[key] = (catalog(), self.patterns() + extra)
        return found[1]

    @classmethod
    def rules(cls) -> tuple[Rule, ...]:
        """Every rule of the catalog this analyzer runs: those of its detectors."""
        return tuple(r for name in cls.detectors for r in rules_of(name))

    @classmethod
    def extra_patterns(cls) -> tuple[Pattern, ...]:
        """Patterns not expressed as a rule's prefilter parameters (e.g. lists of paths)."""
        return ()

    def check(self, rec: LogRecord, rules: frozenset[str], hunt: FileHunt) -> None:
        raise NotImplementedError

    def prepare(self, options: HuntOptions | None = None) -> None:
        """Compile the prefilter now (see `exhunt.analyzers.prepare`)."""
        scan_prefilter(self.patterns_for(options), self.format.header_prefixes)

    def skip(self, line: Line, fmt: LogFormat) -> bool:
        """True when a candidate line cannot lead to a hit, told from its raw text before it is
        parsed (the common look-alike of a rule's pattern). Edge and directive lines are always
        parsed, so coverage and headers never depend on this."""
        return False

    def finish(self, hunt: FileHunt) -> None:
        """Called once after the last line (for rules that need the whole file)."""

    def observe(self, rec: LogRecord, fmt: LogFormat, hunt: FileHunt) -> None:
        """Called with the file's last data record: learn the build, the host name..."""

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        log = ErrorLog(file.rel_path, producer=self.name)
        try:
            stream = file.open()
            if ArtefactKind.IIS in self.kinds:
                stream = as_w3c(stream)  # an IIS log, or its SIEM export turned back into one
        except Exception as exc:  # missing file, permission, broken zip: all mean "cannot read"
            result.errors.append(Problem(file.rel_path, f"cannot open: {exc}", None, ProblemKind.UNREADABLE, self.name))
            return result
        span = result.cover(self.coverage_kind)
        hunt = FileHunt(file, ctx, result)
        fmt = self.format(file.rel_path, log)
        last: LogRecord | None = None
        with stream:
            scan = LogScan(
                stream,
                log,
                self.patterns_for(ctx.options),
                header_prefixes=fmt.header_prefixes,
                every_line=self.every_line,
            )
            every = frozenset(r.id for r in self.rules()) if self.every_line else frozenset()
            for line in scan:
                if line.groups and not line.edge and not line.directive and self.skip(line, fmt):
                    continue
                rec = fmt.feed(line)
                if rec is None:
                    continue
                span.see(rec.timestamp)
                if line.groups or every:
                    try:
                        self.check(rec, every or line.groups, hunt)
                    except Exception as exc:  # one unforeseen record must not cost the rest of the file
                        log.failed(self.name, rec.line, repr(exc))
                if line.edge and (last is None or rec.line > last.line) and rec.timestamp is not None:
                    last = rec
            self.finish(hunt)
        if not scan.reader.binary:
            span.files += 1
            span.records += scan.stats.records
        if last is not None:
            self.observe(last, fmt, hunt)
        if ENGINE_PROBLEM:
            result.observations.append(Observation(ObservationKind.NOTICE, ENGINE_PROBLEM, file.rel_path))
        result.errors.extend(log.finish())
        if not span.files:
            del result.coverage[self.coverage_kind]
        return result


_PATTERNS: dict[str, tuple[object, tuple[Pattern, ...]]] = {}
_LISTED: dict[tuple[str, tuple[str, ...]], tuple[object, tuple[Pattern, ...]]] = {}


def _patterns_of(cls: type[LogAnalyzer]) -> tuple[Pattern, ...]:
    """Once per analyzer class, process and loaded catalog."""
    loaded = catalog()
    found = _PATTERNS.get(cls.name)
    if found is None or found[0] is not loaded:
        found = _PATTERNS[cls.name] = (loaded, rule_patterns(cls.rules()) + cls.extra_patterns())
    return found[1]


def status_of(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 3 else None


def first_address(text: str) -> str:
    """The first address of a logged client chain (`1.2.3.4 10.0.0.5`, `1.2.3.4,10.0.0.5`)."""
    for token in text.replace(",", " ").replace(";", " ").split():
        return token.strip("[]\"'")
    return ""
