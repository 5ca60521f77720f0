"""Runs the analyzers over a host's evidence: independent, picklable work units in a process pool.

A unit is a batch of (analyzer, file) pairs in; a `UnitResult` out. Units never share state, so
the same units run in the local pool today and could run on a distributed engine later
(DESIGN.md "Growing past one machine"). Large files are units of their own and go first, so two
cores stay busy until the end; small files are batched to keep the pool's overhead low.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from exhunt.analyzers import FileAnalyzer, HostContext, file_analyzers, host_analyzers, registry
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.evidence.containers import take_read_problems
from exhunt.model import EvidenceError, Problem, ProblemKind, UnitResult

# A file this large is a unit of its own; smaller ones are batched up to these limits.
SOLO_BYTES = 8 * 1024 * 1024
BATCH_BYTES = 32 * 1024 * 1024
BATCH_FILES = 256
# Below this much evidence a pool costs more than it saves.
INLINE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Task:
    analyzer: str
    file: EvidenceFile


@dataclass(frozen=True, slots=True)
class Progress:
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    host: str


ProgressCallback = Callable[[Progress], None]


def plan_tasks(host: HostEvidence) -> list[Task]:
    return [Task(analyzer.name, f) for f in host.files for analyzer in file_analyzers(f.kind)]


def batches(tasks: list[Task]) -> Iterator[list[Task]]:
    """Biggest first; big files alone, small ones together."""
    ordered = sorted(tasks, key=lambda t: t.file.size, reverse=True)
    batch: list[Task] = []
    size = 0
    for task in ordered:
        if task.file.size >= SOLO_BYTES:
            yield [task]
            continue
        if batch and (size + task.file.size > BATCH_BYTES or len(batch) >= BATCH_FILES):
            yield batch
            batch, size = [], 0
        batch.append(task)
        size += task.file.size
    if batch:
        yield batch


def run_batch(batch: list[Task], ctx: HostContext) -> UnitResult:
    """Run one batch. Module-level so worker processes can call it; never raises for evidence."""
    out = UnitResult()
    analyzers = registry()
    for task in batch:
        analyzer = analyzers[task.analyzer]
        assert isinstance(analyzer, FileAnalyzer)
        try:
            out.merge(analyzer.analyze(task.file, ctx))
        except Exception as exc:  # a bug or an unforeseen input must cost one file, not the hunt
            out.errors.append(EvidenceError(task.file.rel_path, f"{task.analyzer} failed: {exc!r}"))
        ref = task.file.ref
        for message in take_read_problems(ref.archive, ref.outer, ref.path):  # met inside its container
            problem = Problem(task.file.rel_path, message, None, ProblemKind.MALFORMED, "container reader")
            out.errors.append(problem)
    return out


def run_host_analyzers(host: HostEvidence, ctx: HostContext) -> UnitResult:
    out = UnitResult()
    for analyzer in host_analyzers():
        try:
            out.merge(analyzer.analyze_host(host, ctx))
        except Exception as exc:
            out.errors.append(EvidenceError(host.root, f"{analyzer.name} failed: {exc!r}"))
    return out


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def analyze_host(
    host: HostEvidence,
    ctx: HostContext,
    *,
    jobs: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> UnitResult:
    """Every analyzer over every file of one host, then the host-wide analyzers."""
    result = UnitResult()
    for listed in host.errors:
        path, message = listed
        kind = getattr(listed, "kind", ProblemKind.MALFORMED)
        result.errors.append(Problem(path, message, None, kind, "evidence listing"))
    tasks = plan_tasks(host)
    total_bytes = sum(t.file.size for t in tasks)
    total_files = len(tasks)
    done_files = done_bytes = 0

    def report(batch: list[Task]) -> None:
        nonlocal done_files, done_bytes
        done_files += len(batch)
        done_bytes += sum(t.file.size for t in batch)
        if on_progress:
            on_progress(Progress(done_files, total_files, done_bytes, total_bytes, host.name))

    jobs = jobs or default_jobs()
    all_batches = list(batches(tasks))
    if jobs <= 1 or total_bytes < INLINE_BYTES or len(all_batches) <= 1:
        for batch in all_batches:
            result.merge(run_batch(batch, ctx))
            report(batch)
    else:
        _run_pooled(all_batches, ctx, jobs, result, report)
    result.merge(run_host_analyzers(host, ctx))
    return result


def _run_pooled(
    all_batches: list[list[Task]],
    ctx: HostContext,
    jobs: int,
    result: UnitResult,
    report: Callable[[list[Task]], None],
) -> None:
    unfinished: list[list[Task]] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        # Keep the queue short so memory stays flat however many files there are.
        queue = iter(all_batches)
        running: dict[Future[UnitResult], list[Task]] = {}
        try:
            _fill(pool, queue, running, ctx, jobs * 2)
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    batch = running.pop(fut)
                    try:
                        result.merge(fut.result())
                        report(batch)
                    except BrokenProcessPool:
                        unfinished.append(batch)
                _fill(pool, queue, running, ctx, jobs * 2)
        except BrokenProcessPool:
            pass
        unfinished.extend(running.values())
        unfinished.extend(queue)
    if unfinished:
        _run_isolated([task for batch in unfinished for task in batch], ctx, result, report)


def _run_isolated(
    tasks: list[Task], ctx: HostContext, result: UnitResult, report: Callable[[list[Task]], None]
) -> None:
    """After a worker died: one file at a time in a one-worker pool, so when it dies again the
    file in flight is the one that killed it, and only that file is lost."""
    remaining = list(reversed(tasks))
    while remaining:
        with ProcessPoolExecutor(max_workers=1) as pool:
            while remaining:
                task = remaining.pop()
                try:
                    result.merge(pool.submit(run_batch, [task], ctx).result())
                except BrokenProcessPool:
                    result.errors.append(
                        EvidenceError(
                            task.file.rel_path, f"{task.analyzer}: the worker process died on this file twice"
                        )
                    )
                    report([task])
                    break  # this pool is broken: start a new one for the rest
                report([task])


def _fill(
    pool: ProcessPoolExecutor,
    queue: Iterator[list[Task]],
    running: dict[Future[UnitResult], list[Task]],
    ctx: HostContext,
    limit: int,
) -> None:
    while len(running) < limit:
        batch = next(queue, None)
        if batch is None:
            return
        running[pool.submit(run_batch, batch, ctx)] = batch
