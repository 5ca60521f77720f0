"""Windows event logs: `.evtx` files and JSON exports of them.

Each file is read into normalised events (`exhunt.events`), every event goes through the event
detectors, and the file's reach in time is recorded as coverage: `EventLog` for all event logs,
`EventLog/<channel>` per channel, so the assessment can say how far back each log goes.

An `.evtx` file on disk of twice `PART_BYTES` or more is read in parts of about that size (at most
`MAX_PARTS`), each its own unit of work, so one large log keeps every core busy
(`exhunt.analyzers.PartReader`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.sigma import ruleset, sigma_events
from exhunt.analyzers.web_indicators import network_indicators
from exhunt.events.detect import detect, family, family_of, hashindicators, netindicators, wants
from exhunt.events.detect.common import TextCheck
from exhunt.events.evtx_file import MEMORY_BOUND, SPOOL_BOUND, read_evtx
from exhunt.events.exports import read_event_export, read_event_export_part, read_in_parts
from exhunt.events.record import EventRecord
from exhunt.events.skim import System, decode_system, head_of, system_time
from exhunt.evidence.base import EvidenceFile
from exhunt.hits import Reporter
from exhunt.model import (
    ArtefactKind,
    CoverageSpan,
    Observation,
    ObservationKind,
    PartTally,
    Problem,
    ProblemKind,
    UnitResult,
)

if TYPE_CHECKING:  # pySigma is loaded only when a hunt is given Sigma rules
    from exhunt.sigma.ruleset import SigmaRuleset

COVERAGE = "EventLog"
_MAX_CHANNELS = 64  # per-channel coverage entries per file; the rest are counted under "(other)"
_MAX_HOSTNAMES = 16
_MAX_HOSTNAME_LENGTH = 255
_MAX_KINDS = 4096  # (provider, id, channel, computer) decisions kept per file; hostile files could invent more
# An EVTX file on disk of twice PART_BYTES or more is read in parts of about that size, at most
# MAX_PARTS (each part caps its findings per rule and source as a whole file does); the setting
# `event_part_mb` sets the size (0: every file whole). An export in JSON lines is cut into at
# most MAX_EXPORT_PARTS: each part counts the lines before it (to number its own as the whole
# file does), which costs a read of them, more the more parts.
PART_BYTES = 64 * 1024 * 1024
MAX_PARTS = 16
MAX_EXPORT_PARTS = 4
_HOSTNAME_NOTE = "Computer field of {} events"
_from_iso = datetime.fromisoformat
_decode_system = decode_system


class EventLogAnalyzer:
    """File analyzer for EVTX files and event JSON exports."""

    name = "events"
    kinds = frozenset({ArtefactKind.EVTX, ArtefactKind.EVENT_JSON})

    def prepare(self, options: HuntOptions | None = None) -> None:
        """The literals of the lists' addresses, domains and hashes, compiled in the hunting
        process before its workers fork (they inherit them, as the log analyzers' prefilters)."""
        paths = options.extra_indicator_paths if options is not None else ()
        netindicators.candidates(network_indicators(paths))
        hashes = hashindicators.hash_indicators(paths)
        if hashes.literals:
            hashindicators.candidates(hashes)

    def parts(self, file: EvidenceFile, options: HuntOptions) -> int:
        """Parts of about `PART_BYTES` (setting `event_part_mb`) for a file on disk: an EVTX
        file, or an export in JSON lines (UTF-8); any other export, and a member of an archive
        (copied out, or read from its start), is read whole."""
        given = options.settings.get("event_part_mb")
        size = PART_BYTES if given is None else int(given) * 1024 * 1024
        if size <= 0 or file.ref.archive is not None or file.size < 2 * size:
            return 1
        if file.kind is ArtefactKind.EVENT_JSON:
            return min(MAX_EXPORT_PARTS, file.size // size) if read_in_parts(file) else 1
        return min(MAX_PARTS, file.size // size)  # 2 or more: the file is twice the size or more

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult:
        return self._read(file, ctx, None)

    def analyze_part(self, file: EvidenceFile, ctx: HostContext, part: tuple[int, int]) -> UnitResult:
        return self._read(file, ctx, part)

    def _read(self, file: EvidenceFile, ctx: HostContext, part: tuple[int, int] | None) -> UnitResult:
        result = UnitResult()
        settings = ctx.options.settings
        scan = _FileScan(file, result, None if part is None else part[0])
        sigma = sigma_events(ctx.options, result, file.rel_path)
        reporter = Reporter(result)
        values = network_indicators(ctx.options.extra_indicator_paths)
        hashes = hashindicators.hash_indicators(ctx.options.extra_indicator_paths)
        listed = netindicators.matcher(values, family)
        hashed = hashindicators.matcher(hashes, family)
        try:
            if file.kind is ArtefactKind.EVTX:
                events = read_evtx(
                    file,
                    result.errors,
                    threads=int(settings.get("evtx_threads", 1)),
                    memory_bound=int(settings.get("evtx_memory_bound", MEMORY_BOUND)),
                    spool_bound=int(settings.get("evtx_spool_bound", SPOOL_BOUND)),
                    skim=_Interest(
                        scan,
                        ruleset(ctx.options) if sigma is not None else None,
                        _text_checks(netindicators.text_check(values), hashindicators.text_check(hashes)),
                    ),
                    part=part,
                )
            else:
                stream = file.open()
                exported = (
                    read_event_export(stream, file.rel_path, result.errors)
                    if part is None
                    else read_event_export_part(stream, file.rel_path, result.errors, part, file.size)
                )
                events = _closing(exported, stream)
            for event in events:
                scan.see(event)
                detect(event, reporter)
                if listed is not None:
                    listed(event, reporter)
                if hashed is not None:
                    hashed(event, reporter)
                if sigma is not None:
                    sigma(event)
        except OSError as exc:
            result.errors.append(
                Problem(file.rel_path, f"cannot read: {exc.strerror or exc}", None, ProblemKind.UNREADABLE, self.name)
            )
        except Exception as exc:  # an analyzer never raises for bad evidence
            reason = f"{type(exc).__name__}: {exc}"[:300]
            where = "" if part is None else f" of part {part[0] + 1} of {part[1]}"
            message = f"reading stopped after {scan.records} events{where}: {reason}"
            result.errors.append(Problem(file.rel_path, message, None, ProblemKind.ANALYZER_FAILED, self.name))
        scan.finish()
        return result


class _FileScan:
    """Coverage and host names gathered while the events of one file go by.

    Every event is counted in the span of its channel; the file's `EventLog` span is summed
    from those at the end instead of being updated per event. For a part of a file (`part`),
    the spans and host names go to the result's tally of the file's parts, which counts the
    file once when the parts are merged."""

    def __init__(self, file: EvidenceFile, result: UnitResult, part: int | None = None) -> None:
        self.file = file
        self.result = result
        self.part = part  # the index of the part read, None for the whole file
        self.total = result.cover(COVERAGE)
        self.total.files = 1
        self.channels: dict[str, CoverageSpan] = {}
        self.hosts: dict[str, list[Any]] = {}  # computer -> [first time, events]

    @property
    def records(self) -> int:
        return sum(span.records for span in self._spans())

    def see(self, event: EventRecord) -> None:
        self.note(event.timestamp, event.channel, event.computer)

    def note(self, ts: datetime | None, channel: str, computer: str) -> None:
        """One event, by its time, channel and computer."""
        span = self.channel(channel)
        span.records += 1
        span.see(ts)
        host = self.host(computer, ts)
        if host is not None:
            host[1] += 1

    def channel(self, channel: str) -> CoverageSpan:
        """The coverage span counting the events of `channel`."""
        span = self.channels.get(channel)
        if span is None:
            name = channel if len(self.channels) < _MAX_CHANNELS else "(other)"
            span = self.channels.get(name) or self.result.cover(f"{COVERAGE}/{name or '(none)'}")
            span.files = 1
            self.channels[channel] = span
        return span

    def host(self, computer: str, ts: datetime | None) -> list[Any] | None:
        """The tally of a host name (taken at its first event, `ts`), or None when the name is
        not reported (empty, implausible, or beyond the first `_MAX_HOSTNAMES`)."""
        if not computer:
            return None
        host = self.hosts.get(computer)
        if host is None and len(self.hosts) < _MAX_HOSTNAMES and _plausible_hostname(computer):
            host = self.hosts[computer] = [ts, 0]
        return host

    def _spans(self) -> list[CoverageSpan]:
        return list({id(span): span for span in self.channels.values()}.values())

    def finish(self) -> None:
        for span in self._spans():
            self.total.records += span.records
            self.total.see(span.first)
            self.total.see(span.last)
        if self.part is not None:
            spans = {name for name, span in self.result.coverage.items() if span.files}
            named = {k: [first, n, (self.part, pos)] for pos, (k, (first, n)) in enumerate(self.hosts.items())}
            tally = PartTally(spans, named, _HOSTNAME_NOTE, _MAX_HOSTNAMES)
            self.result.parts[self.file.rel_path] = tally
            return
        for name, (first, count) in self.hosts.items():
            self.result.observations.append(
                Observation(
                    ObservationKind.HOSTNAME, name, self.file.rel_path, first, note=_HOSTNAME_NOTE.format(count)
                )
            )


class _Tally:
    """Where the passed-by events of one provider, id, channel and computer are counted."""

    __slots__ = ("host", "span")

    def __init__(self, span: CoverageSpan, host: list[Any] | None) -> None:
        self.span = span
        self.host = host


class _TextCheck(Protocol):
    def may_match(self, text: str) -> bool: ...


class _Either:
    """The text checks of two readers of one kind of event: read it when either may want it."""

    __slots__ = ("_checks",)

    def __init__(self, *checks: _TextCheck) -> None:
        self._checks = checks

    def may_match(self, text: str) -> bool:
        return any(check.may_match(text) for check in self._checks)


def _text_checks(listed: TextCheck | None, hashed: TextCheck | None) -> dict[tuple[str, int], _TextCheck]:
    """The text check of each kind of event (source family, event id) only the indicator lists'
    searches read: an EVTX record of such a kind is decoded only when its text may name a
    listed address, domain or hash."""
    checks: dict[tuple[str, int], _TextCheck] = {}
    if listed is not None:
        checks.update(dict.fromkeys(netindicators.SKIMMED, listed))
    if hashed is not None:
        for kind in hashindicators.HASH_FIELDS:
            checks[kind] = _Either(checks[kind], hashed) if kind in checks else hashed
    return checks


class _Interest:
    """The events of one EVTX file worth reading in full: those of a provider, channel and id
    a detector runs on, those a loaded Sigma rule may match, and logons, connections, DNS
    queries and Sysmon's file events whose text names a listed address, domain or hash
    (`checks`, by source family and event id). The rest only count for coverage.

    The decision is kept per provider, id, channel and computer, together with the
    span and host name the events of that kind are counted in, so an event passed by costs one
    lookup and a time comparison."""

    def __init__(
        self, scan: _FileScan, rules: SigmaRuleset | None, checks: Mapping[tuple[str, int], _TextCheck] | None = None
    ) -> None:
        self._scan = scan
        self._rules = rules
        self._checks = checks or {}
        # True: read in full; a tally: passed by; [text check, tally once one was passed by]: Sigma, lists
        self._known: dict[tuple[Any, ...], _Tally | Literal[True] | list[Any]] = {}

    def pass_text(self, text: str) -> bool:
        """`pass_by` on the record's header as `decode_system` reads it; False when the header
        is unusual (then the record is decoded in full). One call per record: most of a
        server's events go no further."""
        system = _decode_system(text)
        if system is None:
            return False
        return self.pass_by(system, text)

    def pass_by(self, system: System, text: str) -> bool:
        key = (system.Provider.attributes.Name, system.EventID, system.Channel, system.Computer)
        found = self._known.get(key)
        if found is None:
            found = self._decide(system)
            if len(self._known) < _MAX_KINDS:
                self._known[key] = found
        if found is True:
            return False
        if found.__class__ is list:  # read when the text holds a literal of Sigma's rules or the lists
            if found[0].may_match(text):
                return False
            if found[1] is None:
                found[1] = self._tally(system)
            found = found[1]
        created = system.TimeCreated.attributes.SystemTime
        try:
            ts: datetime | None = _from_iso(created)
        except ValueError:
            ts = system_time(created)
        else:
            if ts.tzinfo is not UTC:  # type: ignore[union-attr]
                ts = system_time(created)
        span = found.span  # type: ignore[union-attr]
        span.records += 1
        if ts is not None:
            first = span.first
            if first is None:
                span.first = span.last = ts
            elif ts < first:
                span.first = ts
            elif ts > span.last:  # type: ignore[operator]
                span.last = ts
        host = found.host  # type: ignore[union-attr]
        if host is not None:
            host[1] += 1
        return True

    def _decide(self, system: System) -> _Tally | Literal[True] | list[Any]:
        head = head_of(system)
        if head is None or wants(head.provider, head.channel, head.event_id):
            return True  # an unusual header is left to the full decoding
        rules = self._rules
        prefilter = False if rules is None else rules.wants(head.channel, head.provider, head.event_id)
        if prefilter is True:
            return True
        family = family_of(head.provider, head.channel)
        listed = self._checks.get((family, head.event_id)) if family is not None else None
        if listed is not None:
            return [listed if prefilter is False else _Either(prefilter, listed), None]
        return self._tally(system) if prefilter is False else [prefilter, None]

    def _tally(self, system: System) -> _Tally:
        """Made at the first event passed by of its kind, which is counted next (so a new
        channel or host name is taken in file order, with the time of that event)."""
        scan = self._scan
        span = scan.channel(system.Channel)
        return _Tally(span, scan.host(system.Computer, system_time(system.TimeCreated.attributes.SystemTime)))


def _plausible_hostname(name: str) -> bool:
    return len(name) <= _MAX_HOSTNAME_LENGTH and name != "-" and name.isprintable() and " " not in name


def _closing(events: Iterator[EventRecord], stream: IO[bytes]) -> Iterator[EventRecord]:
    """The events of an opened export, closing it once they are read (or reading stops)."""
    with stream:
        yield from events


ANALYZERS = [EventLogAnalyzer()]
