"""Runs the analyzers over a host's evidence: independent, picklable work units in worker processes.

A unit is a batch of (analyzer, file) pairs in; a `UnitResult` per pair out. An analyzer that can
read a large file in parts (`PartReader`: the event logs) gets one pair per part, so the parts of
one large file run on several cores at once; their results count the file once when merged
(`UnitResult.parts`). Units never share
state, so the same units run in the local workers today and could run on a distributed engine
later (README, "Hunting a fleet"). Large files are units of their own and go first, so
two cores stay busy until the end; small files are batched to keep the overhead low.

Every pair has a deadline (`HuntOptions.unit_timeout` plus `unit_seconds_per_mib` for each MiB of
the file). The workers are plain processes the engine owns: one that passes its deadline is
terminated and the pair in flight becomes a `timed-out` problem; one that dies costs only the
pair in flight (tried once more in a fresh worker, then a `worker-died` problem). The rest of its
batch goes on in a fresh worker, so a hung or crashing file never costs the hunt.

A worker sends its results a few dozen pairs at a time, merged in order (a message per file cost
the main process more CPU than it saved, on the cores the workers need); which pair is in flight,
and since when, it writes to memory it shares with the main process, so deadlines and deaths
still name the exact file. Pairs finished but not yet sent when a worker dies or is stopped run again.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_for
from multiprocessing.process import BaseProcess
from typing import Any, cast

from exhunt.analyzers import (
    FileAnalyzer,
    HostAnalyzer,
    HostContext,
    HuntOptions,
    PartReader,
    analyzer_named,
    file_analyzers,
    host_analyzers,
    prepare,
)
from exhunt.evidence.base import EvidenceFile, Held, HostEvidence, from_held, listing_problem
from exhunt.evidence.containers import take_read_problems
from exhunt.evidence.packed import kinds_of, sizes_of
from exhunt.interrupts import WAKE_SECONDS
from exhunt.model import ArtefactKind, Problem, ProblemKind, UnitResult
from exhunt.rules import use as use_rules

# A file this large is a unit of its own; smaller ones are batched up to these limits.
SOLO_BYTES = 8 * 1024 * 1024
BATCH_BYTES = 32 * 1024 * 1024
BATCH_FILES = 256
# A file is read in at most this many parts (`PartReader`).
MAX_PARTS = 64
# Below this much evidence, with the deadlines turned off, the work runs in this process.
INLINE_BYTES = 4 * 1024 * 1024
MIB = 1024 * 1024
# How long a worker asked to stop may take before it is killed.
_GRACE = 2.0
# A worker gives its free heap back when it goes from batches with files this large to batches without.
LARGE_BYTES = 1024 * 1024
# A worker sends its results when it holds this many, or has held the first this long.
SEND_UNITS = 64
SEND_SECONDS = 0.1


# A part of a file read in parts: (index, count), index from 0.
Part = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Task:
    analyzer: str
    file: EvidenceFile
    part: Part | None = None  # the whole file, or part (index, count) of it (`PartReader`)

    def __reduce__(self) -> tuple[type[Task], tuple[str, EvidenceFile, Part | None]]:
        # Sent to a worker by the thousand: a plain tuple, not the dataclass's field-by-field state.
        return (Task, (self.analyzer, self.file, self.part))

    @property
    def size(self) -> int:
        """Bytes this task reads: the file's, or its part's share of them (`part_size`)."""
        return self.file.size if self.part is None else part_size(self.file.size, self.part)


def part_size(size: int, part: Part) -> int:
    """A part's share of a file's bytes, counted for progress and deadlines: equal shares, the
    first part taking what does not divide (so the parts sum to the file, and go biggest first
    in file order)."""
    index, count = part
    share = size // count
    return share + size % count if index == 0 else share


@dataclass(frozen=True, slots=True)
class HostTask:
    """A host analyzer's run over the whole host: a unit of work with a deadline like the others."""

    analyzer: str
    host: HostEvidence


@dataclass(frozen=True, slots=True)
class Progress:
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    host: str


ProgressCallback = Callable[[Progress], None]


def plan_tasks(host: HostEvidence, options: HuntOptions | None = None) -> list[Task]:
    options = options or HuntOptions()
    return [
        Task(analyzer.name, f, None if n == 1 else (k, n))
        for f in host.files
        for analyzer in file_analyzers(f.kind)
        for n in (parts_of(analyzer, f, options),)
        for k in range(n)
    ]


def parts_of(analyzer: FileAnalyzer, file: EvidenceFile, options: HuntOptions) -> int:
    """Into how many parts `analyzer` reads `file` under `options`: 1 (whole) unless it is a
    `PartReader` and the file is large enough to be a unit of its own."""
    if file.size < SOLO_BYTES or not isinstance(analyzer, PartReader):
        return 1
    return max(1, min(MAX_PARTS, analyzer.parts(file, options)))


class TaskPlan:
    """`batches(plan_tasks(host))` as positions in the host's files, for a listing kept packed
    (`exhunt.evidence.packed`): a task is a file's position and its analyzer's, a few bytes,
    and a batch's `Task`s (with their files) are made only when it is handed out (`tasks`)."""

    __slots__ = ("_analyzer_at", "_file_at", "_files", "_names", "_part_at", "_sizes", "batches")

    def __init__(self, host: HostEvidence, options: HuntOptions | None = None) -> None:
        options = options or HuntOptions()
        files = host.files
        names: list[str] = []
        slots: dict[ArtefactKind, bytes] = {}  # a kind's analyzers, as positions in `names`
        file_at = array("I")
        analyzer_at = bytearray()
        given = sizes_of(files)
        size = given if isinstance(given, Sequence) else list(given)
        # The parts of the files read in parts (few: only files of SOLO_BYTES or more):
        # task position -> (index, count); every other task reads its whole file.
        parts: dict[int, Part] = {}
        for n, kind in enumerate(kinds_of(files)):
            of_kind = slots.get(kind)
            if of_kind is None:
                wanted = [a.name for a in file_analyzers(kind)]
                names.extend(name for name in wanted if name not in names)
                of_kind = slots[kind] = bytes(names.index(name) for name in wanted)
            for slot in of_kind:
                # `parts_of` says 1 below SOLO_BYTES too; asked first here, no small file's entry is made
                count = 1 if size[n] < SOLO_BYTES else parts_of(_file_analyzer(names[slot]), files[n], options)
                for k in range(count):
                    if count > 1:
                        parts[len(file_at)] = (k, count)
                    file_at.append(n)
                    analyzer_at.append(slot)
        task_size = [
            part_size(size[file_at[t]], parts[t]) if t in parts else size[file_at[t]] for t in range(len(file_at))
        ]
        # Biggest first, as `batches` orders them (a stable sort: ties keep the listing's order).
        order = sorted(range(len(file_at)), key=task_size.__getitem__, reverse=True)
        self._file_at = array("I", (file_at[t] for t in order))
        self._analyzer_at = bytes(analyzer_at[t] for t in order)
        self._part_at = {new: parts[old] for new, old in enumerate(order) if old in parts}
        self._files = files
        self._names = names
        self._sizes = array("Q", (task_size[t] for t in order))
        self.batches = list(batch_ranges(self._sizes))

    def tasks(self, batch: range) -> list[Task]:
        files, names, file_at, analyzer_at = self._files, self._names, self._file_at, self._analyzer_at
        part_at = self._part_at
        return [Task(names[analyzer_at[t]], files[file_at[t]], part_at.get(t)) for t in batch]

    def size(self, batch: range) -> int:
        """Bytes the batch's tasks read, without making them."""
        return sum(self._sizes[batch.start : batch.stop])

    def largest(self, batch: range) -> int:
        """The bytes of the batch's largest task (its first: tasks go biggest first)."""
        return self._sizes[batch.start] if len(batch) else 0


def _file_analyzer(name: str) -> FileAnalyzer:
    return cast(FileAnalyzer, analyzer_named(name))


def planned_bytes(host: HostEvidence) -> int:
    """What `plan_tasks` will read, in bytes (a file once per analyzer), without making the tasks."""
    return sum(
        size * len(file_analyzers(kind)) for kind, size in zip(kinds_of(host.files), sizes_of(host.files), strict=True)
    )


def listing_problems(host: HostEvidence) -> list[Problem]:
    """What the evidence layer met while listing the host's files, as problems."""
    return [listing_problem(listed) for listed in host.errors]


def not_analyzed(host: HostEvidence) -> list[Problem]:
    """Files found and classified that no analyzer of their kind reads: never silence, a problem
    each."""
    files = host.files
    unread = [files[n] for n, kind in enumerate(kinds_of(files)) if not file_analyzers(kind)]
    return [
        Problem(
            f.rel_path, f"no analyzer reads {f.kind} files; not looked at", None, ProblemKind.NOT_ANALYZED, "engine"
        )
        for f in unread
    ]


def host_tasks(host: HostEvidence) -> list[HostTask]:
    """One unit per host-wide analyzer, each with the host as that analyzer sees it: an
    analyzer that says which files it reads (`files_read`) gets a copy of the host listing only
    those, so its unit carries a few files to its worker, not the whole tree's."""
    return [HostTask(a.name, host_view(a, host)) for a in host_analyzers()]


def host_view(analyzer: HostAnalyzer, host: HostEvidence) -> HostEvidence:
    """The host with only the files `analyzer` reads, when it says which (else the host itself)."""
    pick: Callable[[HostEvidence], list[EvidenceFile]] | None = getattr(analyzer, "files_read", None)
    return host if pick is None else replace(host, files=pick(host))


def batches(tasks: list[Task]) -> Iterator[list[Task]]:
    """Biggest first; big files alone, small ones together."""
    ordered = sorted(tasks, key=lambda t: t.size, reverse=True)
    for batch in batch_ranges([t.size for t in ordered]):
        yield ordered[batch.start : batch.stop]


def batch_ranges(sizes: Sequence[int]) -> Iterator[range]:
    """Where `batches` cuts tasks of these sizes, already biggest first: a file of SOLO_BYTES or
    more alone (they all come before the rest), the others together up to BATCH_BYTES and
    BATCH_FILES."""
    start = total = 0
    for n, size in enumerate(sizes):
        if size >= SOLO_BYTES:
            if n > start:  # only when not biggest first: the open batch goes before it
                yield range(start, n)
            yield range(n, n + 1)
            start, total = n + 1, 0
            continue
        if n > start and (total + size > BATCH_BYTES or n - start >= BATCH_FILES):
            yield range(start, n)
            start, total = n, 0
        total += size
    if start < len(sizes):
        yield range(start, len(sizes))


def run_batch(batch: list[Task], ctx: HostContext) -> UnitResult:
    """Run one batch. Module-level so worker processes can call it; never raises for evidence."""
    use_rules(ctx.options.user_rules)
    out = UnitResult()
    for task in batch:
        # No Protocol check per file (it cost a tenth of the hunt): a host analyzer named here
        # has no `analyze`, and the AttributeError becomes this file's problem below.
        analyzer = cast(FileAnalyzer, analyzer_named(task.analyzer))
        try:
            if task.part is None:
                out.merge(analyzer.analyze(task.file, ctx))
            else:
                out.merge(cast(PartReader, analyzer).analyze_part(task.file, ctx, task.part))
        except Exception as exc:  # a bug or an unforeseen input must cost one file, not the hunt
            out.errors.append(
                Problem(
                    task.file.rel_path,
                    f"{task.analyzer}{_of_part(task)} failed: {exc!r}",
                    None,
                    ProblemKind.ANALYZER_FAILED,
                    task.analyzer,
                )
            )
        ref = task.file.ref
        for kind, message in take_read_problems(ref.archive, ref.outer, ref.path):  # met inside its container
            out.errors.append(Problem(task.file.rel_path, message, None, kind, "container reader"))
    return out


def _of_part(task: Task) -> str:
    """How a problem names the part of its file a task read (nothing for a whole file)."""
    return "" if task.part is None else f" (part {task.part[0] + 1} of {task.part[1]})"


def run_host_task(task: HostTask, ctx: HostContext) -> UnitResult:
    use_rules(ctx.options.user_rules)
    analyzer = analyzer_named(task.analyzer)
    assert isinstance(analyzer, HostAnalyzer)
    try:
        return analyzer.analyze_host(task.host, ctx)
    except Exception as exc:  # as for files: one host check lost, never the hunt
        out = UnitResult()
        out.errors.append(
            Problem(
                task.host.root, f"{task.analyzer} failed: {exc!r}", None, ProblemKind.ANALYZER_FAILED, task.analyzer
            )
        )
        return out


def run_unit(unit: Task | HostTask, ctx: HostContext) -> UnitResult:
    if isinstance(unit, HostTask):
        return run_host_task(unit, ctx)
    return run_batch([unit], ctx)


def run_host_analyzers(host: HostEvidence, ctx: HostContext) -> UnitResult:
    out = UnitResult()
    for analyzer in host_analyzers():
        out.merge(run_host_task(HostTask(analyzer.name, host), ctx))
    return out


def _release_heap() -> None:
    """Give the free memory of the heap back to the system (glibc's `malloc_trim`; nothing
    without glibc)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def deadline_of(unit: Task | HostTask, ctx: HostContext) -> float | None:
    """Seconds one unit may run, or None when deadlines are off (`unit_timeout` 0)."""
    options = ctx.options
    if options.unit_timeout <= 0:
        return None
    size = unit.size if isinstance(unit, Task) else 0
    return options.unit_timeout + options.unit_seconds_per_mib * size / MIB


def analyze_host(
    host: HostEvidence,
    ctx: HostContext,
    *,
    jobs: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> UnitResult:
    """Every analyzer over every file of one host, then the host-wide analyzers. (A hunt of
    many hosts shares one set of workers through `exhunt.fleet.queue` instead.)"""
    result = UnitResult()
    result.errors.extend(listing_problems(host))
    tasks = plan_tasks(host, ctx.options)
    result.errors.extend(not_analyzed(host))
    total_bytes = sum(t.size for t in tasks)
    total_files = len(tasks)
    done_files = done_bytes = 0

    def report(unit: Task | HostTask) -> None:
        nonlocal done_files, done_bytes
        if not isinstance(unit, Task):
            return
        done_files += 1
        done_bytes += unit.size
        if on_progress:
            on_progress(Progress(done_files, total_files, done_bytes, total_bytes, host.name))

    jobs = jobs or default_jobs()
    all_batches: list[list[Task | HostTask]] = [list(b) for b in batches(tasks)]
    all_batches.extend([task] for task in host_tasks(host))
    inline = ctx.options.unit_timeout <= 0 and (jobs <= 1 or total_bytes < INLINE_BYTES)
    held = 0  # Sigma correlation hits merged so far

    def collect(_tag: object, unit: Task | HostTask, unit_result: UnitResult) -> None:
        nonlocal held
        if unit_result.correlation_hits:  # only with Sigma correlations loaded
            from exhunt.sigma.correlation import bound_host

            held = bound_host(held, unit_result, host.root)
        result.merge(unit_result)
        report(unit)

    if inline:
        for batch in all_batches:
            for unit in batch:
                collect(None, unit, run_unit(unit, ctx))
    else:
        size = min(jobs, max(1, len(all_batches)))
        prepare((t.file.kind for t in tasks), ctx.options)  # before the workers fork
        Workers(size, collect).run([Batch(ctx, batch) for batch in all_batches])
    if result.correlation_hits:  # the host's Sigma correlations, once all its files are in
        from exhunt.analyzers.sigma import correlation_findings

        result.findings.extend(correlation_findings(ctx.options, result))
    result.close_parts()
    return result


# A file's unit as a batch carries it: the task's analyzer and what its file holds
# (`EvidenceFile.held`: the file's place, shared by the files of a folder, pickles once per batch)
# as one flat tuple, which pickles in about half the time of the objects.
Carried = tuple[str, Held] | tuple[str, Held, Part]


def _carried(task: Task) -> Carried:
    if task.part is not None:
        return (task.analyzer, task.file.held(), task.part)
    return (task.analyzer, task.file.held())


def _uncarried(wired: Task | HostTask | Carried) -> Task | HostTask:
    """A unit as the worker runs it, from the form it was sent in (see `Workers._wire`)."""
    if not isinstance(wired, tuple):
        return wired
    return Task(wired[0], from_held(wired[1]), wired[2] if len(wired) > 2 else None)


def _work(conn: Connection, flight: Any = None) -> None:
    """A worker process: (context, batch) in, (first, last, merged result) out for each run of
    units it finished, until told to stop.
    Ctrl-C reaches the workers too: they stop quietly and the main process winds the hunt up."""
    with contextlib.suppress(KeyboardInterrupt):
        _serve(conn, flight)


def _serve(conn: Connection, flight: Any = None) -> None:
    """`flight` (shared with the main process; a list in tests) gets the position of the unit
    in flight and when it started, before it runs."""
    clock = time.monotonic
    large = False  # the last batch held a file of LARGE_BYTES or more
    while True:
        try:
            message = _recv(conn)
        except EOFError:
            return
        if message is None:
            return
        ctx, wired = message
        batch = [_uncarried(unit) for unit in wired]
        was_large, large = large, any(isinstance(u, Task) and u.size >= LARGE_BYTES for u in batch)
        if was_large and not large:
            # A large file's content and decoded copies leave glibc's heap grown (it raises its
            # mmap threshold to the largest block freed). Given back when small files follow
            # (they go in turn with large ones), so a worker reading small files does not hold
            # a large file's memory while the other reads one.
            _release_heap()
        held = UnitResult()  # the results of units `first` to `last`, merged in order
        first, since = -1, 0.0
        for index, unit in enumerate(batch):
            now = clock()
            if flight is not None:
                flight[1] = now
                flight[0] = index
            if first < 0:
                first, since = index, now
            held.merge(run_unit(unit, ctx))
            if index + 1 - first >= SEND_UNITS or clock() - since >= SEND_SECONDS:
                _send(conn, (first, index, held))
                held, first = UnitResult(), -1
        if first >= 0:
            _send(conn, (first, len(batch) - 1, held))


def _send(conn: Connection, message: object) -> None:
    # Plain pickle: what goes through the pipe holds no descriptors or sockets, which is all
    # multiprocessing's own pickler adds, at several times the cost per message.
    conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def _recv(conn: Connection) -> Any:
    return pickle.loads(conn.recv_bytes())


@dataclass(eq=False)
class Batch:
    """Units of one host, with the host's context and a tag naming where the results go."""

    ctx: HostContext
    units: list[Task | HostTask]
    tag: object = None


def is_large(batch: Batch) -> bool:
    """Whether the batch holds a file of LARGE_BYTES or more."""
    return any(isinstance(u, Task) and u.size >= LARGE_BYTES for u in batch.units)


# Called once per unit with the batch's tag, the unit and its result (or the problem it became),
# in the batch's order. The results of consecutive units of a batch may come merged, as the
# first's, the others' then empty: whoever merges them in order gets the same result. Those empty
# results may be one object given to several units: read them, never add to them.
UnitCallback = Callable[[object, Task | HostTask, UnitResult], None]


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    flight: Any  # shared with the process: [position of the unit in flight, when it started]
    batch: Batch | None = None
    index: int = 0  # results received: the first unit not yet answered
    since: float = 0.0  # when the batch was given

    @property
    def busy(self) -> bool:
        return self.batch is not None and self.index < len(self.batch.units)

    def in_flight(self) -> tuple[int, float]:
        """The position of the unit running now (or next) and when it started."""
        position, started = int(self.flight[0]), self.flight[1]
        if position < self.index:  # not started yet, or a position of the last batch
            return self.index, max(self.since, started)
        return position, started

    def unit(self) -> Task | HostTask:
        assert self.batch is not None
        return self.batch.units[self.in_flight()[0]]


class Workers:
    """Worker processes the engine owns, so a hung one can be stopped. Batches of any host go in
    (`add`); `step` hands them out and waits for the next result or deadline."""

    def __init__(self, size: int, on_result: UnitCallback) -> None:
        self.size = size
        self.on_result = on_result
        self.mp = multiprocessing.get_context()
        self.queue: deque[Batch] = deque()
        self.retried: set[int] = set()  # ids of units already given a second worker
        self.workers: list[_Worker] = []

    def run(self, batches: list[Batch]) -> None:
        self.queue.extend(batches)
        try:
            self.start()
            while self.step():
                pass
        finally:
            self.close()

    def start(self) -> None:
        self.workers = [self._start() for _ in range(self.size)]

    def add(self, batch: Batch) -> None:
        self.queue.append(batch)

    def step(self) -> bool:
        """One round; False when nothing is queued or running."""
        for worker in self.workers:
            if not worker.busy and self.queue:
                self._give(worker, self._take())
        busy = [w for w in self.workers if w.busy]
        if not busy:
            return False
        # woken at least every WAKE_SECONDS, to honour a Ctrl-C that was dropped on its way
        deadline = self._next_deadline(busy)
        ready = wait_for(
            [w.conn for w in busy], timeout=min(deadline, WAKE_SECONDS) if deadline is not None else WAKE_SECONDS
        )
        for worker in busy:
            if worker.conn in ready:
                self._receive(worker)
            elif self._overdue(worker):
                self._time_out(worker)
        return True

    def close(self) -> None:
        for worker in self.workers:
            self._stop(worker)

    def _take(self) -> Batch:
        """The next batch; but while another worker reads a large file, the first batch queued
        that holds none, when there is one: a worker holds the whole content of the file it
        reads, so two large files read at once were the hunt's peak memory. Never a wait: with
        only large files left, the next is given. (A unit's results are merged by its position,
        not by when it ran.)"""
        if any(w.busy and w.batch is not None and is_large(w.batch) for w in self.workers):
            for n, batch in enumerate(self.queue):
                if not is_large(batch):
                    del self.queue[n]
                    return batch
        return self.queue.popleft()

    def _start(self) -> _Worker:
        parent, child = self.mp.Pipe()
        flight = self.mp.RawArray("d", [-1.0, 0.0])
        process = self.mp.Process(target=_work, args=(child, flight), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent, flight)

    def _give(self, worker: _Worker, batch: Batch) -> None:
        worker.flight[0] = -1.0  # the worker is idle: no position of its last batch may count
        try:
            _send(worker.conn, (batch.ctx, self._wire(batch.units)))
        except (OSError, ValueError):  # the worker died while idle; its replacement takes the batch
            self._give(self._replace(worker), batch)
            return
        worker.batch, worker.index, worker.since = batch, 0, time.monotonic()

    @staticmethod
    def _wire(units: list[Task | HostTask]) -> list[Task | HostTask | Carried]:
        """The units as sent: each carries its file (a worker never looks a file up in what it
        inherited: touching an inherited object writes its reference count, which copies its
        page into the worker), a host-wide one the host as its analyzer sees it (`host_tasks`)."""
        return [_carried(unit) if isinstance(unit, Task) else unit for unit in units]

    def _limit(self, worker: _Worker) -> float | None:
        assert worker.batch is not None
        return deadline_of(worker.unit(), worker.batch.ctx)

    def _overdue(self, worker: _Worker) -> bool:
        limit = self._limit(worker)
        return limit is not None and time.monotonic() - worker.in_flight()[1] >= limit

    def _next_deadline(self, busy: list[_Worker]) -> float | None:
        waits = []
        for worker in busy:
            limit = self._limit(worker)
            if limit is not None:
                waits.append(max(0.0, worker.in_flight()[1] + limit - time.monotonic()))
        return min(waits) if waits else None

    def _receive(self, worker: _Worker) -> None:
        try:
            first, last, merged = _recv(worker.conn)
        except (EOFError, OSError):
            self._died(worker)
            return
        assert worker.batch is not None
        units, tag = worker.batch.units, worker.batch.tag
        self.on_result(tag, units[first], merged)
        empty = UnitResult()  # one for the message, not one per unit (20,000 of them on a tree of pages)
        for index in range(first + 1, last + 1):
            self.on_result(tag, units[index], empty)
        worker.index = last + 1

    def _died(self, worker: _Worker) -> None:
        assert worker.batch is not None
        batch, position = worker.batch, worker.in_flight()[0]
        unit = batch.units[position]
        if id(unit) not in self.retried:
            # Perhaps a neighbour's fault (memory, a signal): once more, alone, in a fresh worker.
            self.retried.add(id(unit))
            self.queue.appendleft(Batch(batch.ctx, [unit], batch.tag))
        else:
            self._lost(batch, unit, ProblemKind.WORKER_DIED, "the worker process died on this file twice")
        self._requeue(worker, batch, position)

    def _time_out(self, worker: _Worker) -> None:
        assert worker.batch is not None
        batch, position = worker.batch, worker.in_flight()[0]
        limit = self._limit(worker) or 0.0
        self._lost(
            batch,
            batch.units[position],
            ProblemKind.TIMED_OUT,
            f"stopped after {limit:.0f} s, its deadline (see --unit-timeout)",
        )
        self._requeue(worker, batch, position)

    def _lost(self, batch: Batch, unit: Task | HostTask, kind: ProblemKind, why: str) -> None:
        self.on_result(batch.tag, unit, lost(unit, kind, why))

    def _requeue(self, worker: _Worker, batch: Batch, position: int) -> None:
        """The batch's units but the one at `position`, whose results never came back (those
        done but not yet sent run again), go on in a fresh worker: those before it and those
        after it as two batches, so that no merged message spans the gap where it was. (A
        message's merged result stands at its first unit's place: one spanning the gap would put
        the units after it before it, and the host's results out of order.)"""
        before, after = batch.units[worker.index : position], batch.units[position + 1 :]
        for rest in (after, before):  # `before` ends first in the queue
            if rest:
                self.queue.appendleft(Batch(batch.ctx, rest, batch.tag))
        self._replace(worker)

    def _replace(self, worker: _Worker) -> _Worker:
        self._stop(worker)
        fresh = self._start()
        self.workers[self.workers.index(worker)] = fresh
        return fresh

    def _stop(self, worker: _Worker) -> None:
        worker.batch, worker.index = None, 0
        process = worker.process
        if process.is_alive():
            with contextlib.suppress(OSError, ValueError):
                _send(worker.conn, None)
            process.join(0.05)
        if process.is_alive():
            process.terminate()
            process.join(_GRACE)
        if process.is_alive():
            process.kill()
            process.join()
        worker.conn.close()


def lost(unit: Task | HostTask, kind: ProblemKind, why: str) -> UnitResult:
    """A unit that gave no result: one problem naming its file (or host) and why."""
    out = UnitResult()
    path = unit.file.rel_path if isinstance(unit, Task) else unit.host.root
    part = _of_part(unit) if isinstance(unit, Task) else ""
    out.errors.append(Problem(path, f"{unit.analyzer}{part}: {why}", None, kind, "engine"))
    return out
