"""Windows event logs: `.evtx` files and JSON exports of them.

Each file is read into normalised events (`exhunt.events`), every event goes through the event
detectors, and the file's reach in time is recorded as coverage: `EventLog` for all event logs,
`EventLog/<channel>` per channel, so the assessment can say how far back each log goes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING

from exhunt.analyzers import HostContext
from exhunt.analyzers.sigma import ruleset, sigma_events
from exhunt.events.detect import detect, wants
from exhunt.events.evtx_file import MEMORY_BOUND, SPOOL_BOUND, read_evtx
from exhunt.events.exports import read_event_export
from exhunt.events.record import EventRecord
from exhunt.events.skim import Head, system_time
from exhunt.evidence.base import EvidenceFile
from exhunt.hits import Reporter
from exhunt.model import ArtefactKind, CoverageSpan, Observation, ObservationKind, Problem, ProblemKind, UnitResult

if TYPE_CHECKING:  # pySigma is loaded only when a hunt is given Sigma rules
    from exhunt.sigma.prefilter import TextPrefilter
    from exhunt.sigma.ruleset import SigmaRuleset

COVERAGE = "EventLog"
_MAX_CHANNELS = 64  # per-channel coverage entries per file; the rest are counted under "(other)"
_MAX_HOSTNAMES = 16
_MAX_HOSTNAME_LENGTH = 255
_MAX_KINDS = 4096  # (provider, channel, id) decisions kept per file; hostile files could invent more


class EventLogAnalyzer:
    """File analyzer for EVTX files and event JSON exports."""

    name = "events"
    kinds = frozenset({ArtefactKind.EVTX, ArtefactKind.EVENT_JSON})

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        settings = ctx.options.settings
        scan = _FileScan(file, result)
        sigma = sigma_events(ctx.options, result)
        reporter = Reporter(result)
        try:
            if file.kind is ArtefactKind.EVTX:
                events = read_evtx(
                    file,
                    result.errors,
                    threads=int(settings.get("evtx_threads", 1)),
                    memory_bound=int(settings.get("evtx_memory_bound", MEMORY_BOUND)),
                    spool_bound=int(settings.get("evtx_spool_bound", SPOOL_BOUND)),
                    skim=_Interest(scan, ruleset(ctx.options) if sigma is not None else None),
                )
            else:
                stream = file.open()
                events = _closing(read_event_export(stream, file.rel_path, result.errors), stream)
            for event in events:
                scan.see(event)
                detect(event, reporter)
                if sigma is not None:
                    sigma(event)
        except OSError as exc:
            result.errors.append(
                Problem(file.rel_path, f"cannot read: {exc.strerror or exc}", None, ProblemKind.UNREADABLE, self.name)
            )
        except Exception as exc:  # an analyzer never raises for bad evidence
            reason = f"{type(exc).__name__}: {exc}"[:300]
            message = f"reading stopped after {scan.records} events: {reason}"
            result.errors.append(Problem(file.rel_path, message, None, ProblemKind.ANALYZER_FAILED, self.name))
        scan.finish()
        return result


class _FileScan:
    """Coverage and host names gathered while the events of one file go by."""

    def __init__(self, file: EvidenceFile, result: UnitResult) -> None:
        self.file = file
        self.result = result
        self.total = result.cover(COVERAGE)
        self.total.files = 1
        self.channels: dict[str, CoverageSpan] = {}
        self.hosts: dict[str, tuple[datetime | None, int]] = {}
        self.records = 0

    def see(self, event: EventRecord) -> None:
        self.note(event.timestamp, event.channel, event.computer)

    def note(self, ts: datetime | None, channel: str, computer: str) -> None:
        """One event, by its time, channel and computer."""
        self.records += 1
        self.total.records += 1
        self.total.see(ts)
        span = self.channels.get(channel)
        if span is None:
            name = channel if len(self.channels) < _MAX_CHANNELS else "(other)"
            span = self.channels.get(name) or self.result.cover(f"{COVERAGE}/{name or '(none)'}")
            span.files = 1
            self.channels[channel] = span
        span.records += 1
        span.see(ts)
        if computer:
            seen = self.hosts.get(computer)
            if seen is not None:
                self.hosts[computer] = (seen[0], seen[1] + 1)
            elif len(self.hosts) < _MAX_HOSTNAMES and _plausible_hostname(computer):
                self.hosts[computer] = (ts, 1)

    def finish(self) -> None:
        for name, (first, count) in self.hosts.items():
            self.result.observations.append(
                Observation(
                    ObservationKind.HOSTNAME, name, self.file.rel_path, first, note=f"Computer field of {count} events"
                )
            )


class _Interest:
    """The events of one EVTX file worth reading in full: those of a provider, channel and id
    a detector runs on or a loaded Sigma rule may match. The rest only count for coverage."""

    def __init__(self, scan: _FileScan, rules: SigmaRuleset | None) -> None:
        self._scan = scan
        self._rules = rules
        self._known: dict[tuple[str, str, int], bool | TextPrefilter] = {}

    def pass_by(self, head: Head, text: str) -> bool:
        key = (head.provider, head.channel, head.event_id)
        found = self._known.get(key)
        if found is None:
            found = wants(*key) or (
                self._rules is not None and self._rules.wants(head.channel, head.provider, head.event_id)
            )
            if len(self._known) < _MAX_KINDS:
                self._known[key] = found
        if found is True or (found is not False and found.may_match(text)):  # Sigma: a literal of its own
            return False
        self._scan.note(system_time(head.created), head.channel, head.computer)
        return True


def _plausible_hostname(name: str) -> bool:
    return len(name) <= _MAX_HOSTNAME_LENGTH and name != "-" and name.isprintable() and " " not in name


def _closing(events: Iterator[EventRecord], stream: IO[bytes]) -> Iterator[EventRecord]:
    """The events of an opened export, closing it once they are read (or reading stops)."""
    with stream:
        yield from events


ANALYZERS = [EventLogAnalyzer()]
