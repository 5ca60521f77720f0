"""One work queue for a whole hunt: the units of every host in one pool, each host assessed as
soon as its last unit is back.

Units are the engine's batches (`exhunt.engine.batches`: big files alone, small ones together)
tagged with their host. Hosts go in the order of their largest file, biggest first, and each
host's units biggest first, those with a large file in turn with those of small files
(`_Plan.order`: the pool reads one large file at a time), so the long files start early and
only the few hosts in flight are held in memory: a host's partial results are dropped once it
is assessed and handed on.

The same unit function, `run_unit`, runs in the local process pool and on a Dask cluster
(`exhunt.fleet.backends`). A unit whose worker died, or that ran past the sum of its files'
deadlines, is split into one-file units and run again apart, so only the file that kills a worker
or hangs is lost; a unit that raised becomes a problem for each of its files. Nothing is left
unaccounted for.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from exhunt import engine, interrupts, remediation
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.cachesetup import cache_notices
from exhunt.assess import assess
from exhunt.engine import HostTask, Task, TaskPlan
from exhunt.evidence.base import HostEvidence
from exhunt.evidence.packed import sizes_of
from exhunt.fleet.findingspill import ArrivedFindings
from exhunt.model import HostAssessment, ProblemKind, UnitResult
from exhunt.rules import use as use_rules


@dataclass(frozen=True, slots=True)
class Unit:
    """A batch of (analyzer, file) pairs of one host, or one host-wide analyzer: what a worker runs."""

    host: int  # index of the host in this hunt
    seq: int  # position among the host's units, so results merge in a fixed order
    ctx: HostContext
    tasks: tuple[Task | HostTask, ...]
    part: int = 0  # position inside the unit it was split from
    isolated: bool = False  # already split off after a worker died

    @property
    def size(self) -> int:
        return sum(t.size for t in self.tasks if isinstance(t, Task))

    @property
    def deadline(self) -> float | None:
        """Seconds the whole unit may run: the sum of its pairs' deadlines (None when off)."""
        limits = [engine.deadline_of(t, self.ctx) for t in self.tasks]
        return None if any(x is None for x in limits) else sum(x for x in limits if x is not None)


# What the thread running units is told as each pair starts (`watching_pairs`).
_watch = threading.local()


@contextlib.contextmanager
def watching_pairs(started: Callable[[int], None]) -> Iterator[None]:
    """While in this block, `run_unit` calls `started(k)` on this thread just before the unit's
    pair `k` runs: a Dask worker records which pair it has in flight, and since when, so that a
    pair past its own deadline is noticed at that deadline and named."""
    _watch.started = started
    try:
        yield
    finally:
        _watch.started = None


def run_unit(unit: Unit) -> UnitResult:
    """The unit function the Dask workers and the in-process backend run (the local workers
    run the same `engine.run_unit` per pair). Module-level and picklable."""
    out = UnitResult()
    started: Callable[[int], None] | None = getattr(_watch, "started", None)
    for k, task in enumerate(unit.tasks):
        if started is not None:
            started(k)
        out.merge(engine.run_unit(task, unit.ctx))
    return out


class UnitLost(Exception):
    """A backend could not get a unit's result: `kind` says why (worker died, timed out...).
    `at`: the position of the one pair that was lost, when the backend knows it (a pair past its
    own deadline); the unit's other pairs are then run again, and only that pair is lost."""

    def __init__(self, kind: ProblemKind, message: str, *, at: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.at = at


@dataclass(frozen=True, slots=True)
class FleetProgress:
    hosts_done: int
    hosts_total: int
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    elapsed: float  # seconds since the queue started

    @property
    def rate(self) -> float:
        """Bytes per second so far."""
        return self.bytes_done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the rate so far, when there is a rate."""
        if not self.bytes_done or self.bytes_total <= self.bytes_done:
            return None if self.bytes_total > self.bytes_done else 0.0
        return (self.bytes_total - self.bytes_done) / self.rate


FleetProgressCallback = Callable[[FleetProgress], None]
HostCallback = Callable[[HostEvidence, HostAssessment], None]


@dataclass(slots=True)
class _OpenHost:
    evidence: HostEvidence
    ctx: HostContext
    pending: int
    parts: dict[tuple[int, int], UnitResult] = field(default_factory=dict)  # without their findings
    hits: int = 0  # Sigma correlation hits held in `parts`, bounded (`correlation.bound_host`)
    findings: ArrivedFindings = field(default_factory=lambda: ArrivedFindings(remediation.light))


def _assess(state: _OpenHost) -> HostAssessment:
    """The host's results merged in their units' order, and assessed; nothing else of the
    merge is kept. Its findings were spilled as they came back (`ArrivedFindings`)."""
    merged = UnitResult()
    merged.errors.extend(engine.listing_problems(state.evidence))
    merged.errors.extend(engine.not_analyzed(state.evidence))
    for key in sorted(state.parts):
        merged.merge(state.parts[key])
    if merged.correlation_hits:  # the host's Sigma correlations, once all its files are in
        from exhunt.analyzers.sigma import correlation_findings

        state.findings.add((1 << 62, 0), correlation_findings(state.ctx.options, merged))
    merged.close_parts()  # host names of the files read in parts, once all their parts are in
    # What this process's caches met (it reads the rules too), beside what the workers' did.
    seen = {o.value for o in merged.observations}
    merged.observations += [o for o in cache_notices() if o.value not in seen]
    return assess(state.evidence, merged, state.findings)


def plan_units(index: int, host: HostEvidence, ctx: HostContext, *, coarse: bool = False) -> list[Unit]:
    """The host's file batches, biggest first, then one unit per host-wide analyzer. `coarse`
    (for a backend where each unit costs a scheduler round trip) puts the host analyzers and
    the small batches together, up to the engine's batch size."""
    plan = _Plan(host, coarse, ctx.options)
    return [plan.unit(index, seq, ctx) for seq in range(len(plan))]


# Part of a unit as planned: a range of the host's file tasks (`TaskPlan`), or a host-wide one.
_Piece = range | HostTask


class _Plan:
    """`plan_units` with each unit's tasks (and the files they carry) made only when the unit is
    (`unit`): a host's listing stays packed while its units wait, however many files it has."""

    def __init__(self, host: HostEvidence, coarse: bool, options: HuntOptions | None = None) -> None:
        self._tasks = TaskPlan(host, options)
        work: list[tuple[_Piece, ...]] = [(batch,) for batch in self._tasks.batches]
        work.extend((task,) for task in engine.host_tasks(host))
        self._work = _coarsen(work, self._size) if coarse else work

    def __len__(self) -> int:
        return len(self._work)

    def _size(self, piece: _Piece) -> int:
        return self._tasks.size(piece) if isinstance(piece, range) else 0

    def order(self) -> list[int]:
        """The units' positions in the order they are handed over: each unit that holds a large
        file followed by one that holds none while both remain, then the rest as planned. The
        pool then has a unit of small files at hand for one worker while the other reads a large
        file (`engine.Workers`), instead of two large files read at once; the results are
        merged by position all the same."""
        large = [seq for seq, pieces in enumerate(self._work) if self._largest(pieces) >= engine.LARGE_BYTES]
        if not large:
            return list(range(len(self._work)))
        held = set(large)
        small = [seq for seq in range(len(self._work)) if seq not in held]
        out: list[int] = []
        for pair in zip(large, small, strict=False):
            out.extend(pair)
        shorter = min(len(large), len(small))
        return out + large[shorter:] + small[shorter:]

    def _largest(self, pieces: tuple[_Piece, ...]) -> int:
        return max((self._tasks.largest(p) for p in pieces if isinstance(p, range)), default=0)

    def unit(self, index: int, seq: int, ctx: HostContext) -> Unit:
        tasks: list[Task | HostTask] = []
        for piece in self._work[seq]:
            if isinstance(piece, range):
                tasks.extend(self._tasks.tasks(piece))
            else:
                tasks.append(piece)
        return Unit(index, seq, ctx, tuple(tasks))


def _coarsen(work: list[tuple[_Piece, ...]], size_of: Callable[[_Piece], int]) -> list[tuple[_Piece, ...]]:
    out: list[tuple[_Piece, ...]] = []
    pending: tuple[_Piece, ...] = ()
    pending_size = 0
    for pieces in work:
        size = sum(size_of(p) for p in pieces)
        if size >= engine.SOLO_BYTES:
            out.append(pieces)
            continue
        if pending and pending_size + size > engine.BATCH_BYTES:
            out.append(pending)
            pending, pending_size = (), 0
        pending += pieces
        pending_size += size
    if pending:
        out.append(pending)
    return out


def _host_order(hosts: list[HostEvidence]) -> list[int]:
    """Hosts with the largest file first; the order they were given breaks ties."""
    return sorted(range(len(hosts)), key=lambda i: -max(sizes_of(hosts[i].files), default=0))


class Backend:
    """Where units run. `submit` hands a unit over; `wait` returns finished units with their
    result or the exception that took them; `close` stops everything still running."""

    slots: int = 1  # units worth keeping in flight
    coarse: bool = False  # each unit costs a round trip: fewer, larger units

    def wants(self, in_flight: int) -> bool:
        """Whether to hand over another unit, with `in_flight` handed over and not yet back."""
        return in_flight < self.slots

    def submit(self, unit: Unit) -> None:
        raise NotImplementedError

    def wait(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _split_on(kind: ProblemKind, unit: Unit) -> bool:
    """Whether a unit lost this way is run again file by file: after its worker died (once more,
    even a unit of one file, as the local workers retry a file once), and after it ran past the
    sum of its files' deadlines (a unit of several files: one of them hung, the rest still get
    their own deadline each, as in the local pool, where the deadline is per file)."""
    if kind is ProblemKind.WORKER_DIED:
        return True
    return kind is ProblemKind.TIMED_OUT and len(unit.tasks) > 1


def _lost(unit: Unit, kind: ProblemKind, message: str) -> UnitResult:
    out = UnitResult()
    for task in unit.tasks:
        out.merge(engine.lost(task, kind, message))
    return out


def hunt_queue(
    hosts: list[HostEvidence],
    options: HuntOptions,
    backend: Backend,
    *,
    on_host: HostCallback,
    on_progress: FleetProgressCallback | None = None,
) -> None:
    """Analyze and assess every host through one queue; `on_host` gets each assessment once,
    in the order hosts finish. Raises KeyboardInterrupt through, after closing the backend."""
    use_rules(options.user_rules)  # assessment and remediation here read the same rules as the workers
    _Queue(hosts, options, backend, on_host, on_progress).run()


class _Queue:
    """One hunt's queue: the units of every host in, each outcome settled into its host, each
    host assessed once its last unit is in."""

    def __init__(
        self,
        hosts: list[HostEvidence],
        options: HuntOptions,
        backend: Backend,
        on_host: HostCallback,
        on_progress: FleetProgressCallback | None,
    ) -> None:
        self.hosts = hosts
        self.options = options
        self.backend = backend
        self.on_host = on_host
        self.on_progress = on_progress
        self.started = time.monotonic()
        self.files_total = sum(len(h.files) for h in hosts)
        self.bytes_total = sum(engine.planned_bytes(h) for h in hosts)
        self.hosts_done = 0
        self.files_done = 0
        self.bytes_done = 0
        self.open_hosts: dict[int, _OpenHost] = {}
        self.retry: list[Unit] = []

    def progress(self) -> None:
        if self.on_progress:
            self.on_progress(
                FleetProgress(
                    self.hosts_done,
                    len(self.hosts),
                    self.files_done,
                    self.files_total,
                    self.bytes_done,
                    self.bytes_total,
                    time.monotonic() - self.started,
                )
            )

    def units(self) -> Iterator[Unit]:
        for i in _host_order(self.hosts):
            host = self.hosts[i]
            ctx = HostContext(host=host.name, exchange_install=host.exchange_install, options=self.options)
            plan = _Plan(host, self.backend.coarse, self.options)
            self.open_hosts[i] = _OpenHost(host, ctx, len(plan))
            if not len(plan):
                self.finish(i)
            for seq in plan.order():
                yield plan.unit(i, seq, ctx)

    def finish(self, i: int) -> None:
        state = self.open_hosts.pop(i)
        assessment = _assess(state)
        state.parts.clear()
        self.hosts_done += 1
        self.files_done += len(state.evidence.files)
        self.progress()
        self.on_host(state.evidence, assessment)

    def settle(self, unit: Unit, outcome: UnitResult | BaseException) -> None:
        if isinstance(outcome, UnitLost) and outcome.at is not None and len(unit.tasks) > 1:
            self._split_at(unit, outcome, outcome.at)
            return
        if isinstance(outcome, UnitLost) and not unit.isolated and _split_on(outcome.kind, unit):
            # Run each file of the unit again on its own, under its own deadline: only the file
            # that kills a worker, or that runs past its deadline, is lost.
            for n, task in enumerate(unit.tasks):
                self.retry.append(Unit(unit.host, unit.seq, unit.ctx, (task,), part=unit.part + n, isolated=True))
            self.open_hosts[unit.host].pending += len(unit.tasks) - 1
            return
        if isinstance(outcome, UnitLost):
            outcome = _lost(unit, outcome.kind, str(outcome))
        elif isinstance(outcome, BaseException):
            outcome = _lost(unit, ProblemKind.ANALYZER_FAILED, f"the unit failed: {outcome!r}")
        state = self.open_hosts[unit.host]
        state.findings.add((unit.seq, unit.part), outcome.findings)  # out of memory at once
        outcome.findings = []
        if outcome.correlation_hits:  # only with Sigma correlations loaded
            from exhunt.sigma.correlation import bound_host

            state.hits = bound_host(state.hits, outcome, state.evidence.root)
        state.parts[(unit.seq, unit.part)] = outcome
        self.bytes_done += unit.size
        state.pending -= 1
        if state.pending == 0:
            self.finish(unit.host)
        else:
            self.progress()

    def _split_at(self, unit: Unit, outcome: UnitLost, k: int) -> None:
        """The backend named the pair that was lost: that pair becomes the problem, and the
        pairs before and after it run again as two units (each part numbered by its first pair's
        position, so the host's results keep their order)."""
        pieces = [(unit.part, unit.tasks[:k]), (unit.part + k + 1, unit.tasks[k + 1 :])]
        pieces = [(part, tasks) for part, tasks in pieces if tasks]
        for part, tasks in pieces:
            self.retry.append(Unit(unit.host, unit.seq, unit.ctx, tasks, part=part, isolated=unit.isolated))
        self.open_hosts[unit.host].pending += len(pieces)
        lost_pair = Unit(unit.host, unit.seq, unit.ctx, (unit.tasks[k],), part=unit.part + k, isolated=True)
        self.settle(lost_pair, UnitLost(outcome.kind, str(outcome)))

    def run(self) -> None:
        queue = self.units()
        in_flight = 0
        try:
            self.progress()
            while True:
                while self.backend.wants(in_flight):
                    unit = self.retry.pop(0) if self.retry else next(queue, None)
                    if unit is None:
                        break
                    self.backend.submit(unit)
                    in_flight += 1
                if not in_flight:
                    break
                for unit, outcome in self.backend.wait():
                    in_flight -= 1
                    self.settle(unit, outcome)
                interrupts.check()
        finally:
            self.backend.close()
