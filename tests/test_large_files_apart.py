"""A large file's whole content is held by the worker reading it, so the pool reads one at a
time while there are small files for the other worker: the host's units are handed over large
and small in turn, and a worker free while another reads a large file takes the first unit
of small files queued (never waiting: with only large files left, the next is given)."""

from __future__ import annotations

from typing import Any

from exhunt import engine
from exhunt.analyzers import HostContext, HuntOptions
from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence
from exhunt.fleet.queue import _Plan, plan_units
from exhunt.model import ArtefactKind

MIB = 1024 * 1024


def _ctx() -> HostContext:
    return HostContext("EX01", None, HuntOptions())


def _batch(*sizes: int) -> engine.Batch:
    files = [
        EvidenceFile(FileRef(f"/e/f{n}.aspx"), f"f{n}.aspx", ArtefactKind.FILE, size) for n, size in enumerate(sizes)
    ]
    return engine.Batch(_ctx(), [engine.Task("files", f) for f in files])


def _pool(*holding: engine.Batch | None) -> engine.Workers:
    """A pool whose workers (never started) hold these batches, none of them answered yet."""
    pool = engine.Workers(len(holding), lambda _tag, _unit, _result: None)
    nothing: Any = None
    pool.workers = [engine._Worker(nothing, nothing, [-1.0, 0.0], batch) for batch in holding]
    return pool


def test_a_free_worker_takes_small_files_while_another_reads_a_large_one() -> None:
    large, other_large, small = _batch(8 * MIB), _batch(5 * MIB, 10), _batch(100, 200)
    assert engine.is_large(large) and engine.is_large(other_large) and not engine.is_large(small)
    pool = _pool(large, None)
    pool.queue.extend([other_large, small])
    assert pool._take() is small
    assert pool._take() is other_large  # only large files left: given, not waited for
    # No large file in flight: the queue's order.
    pool = _pool(_batch(100), None)
    pool.queue.extend([other_large, small])
    assert pool._take() is other_large


def _host(sizes: list[int]) -> HostEvidence:
    files = [
        EvidenceFile(FileRef(f"/e/{n}.aspx"), f"{n}.aspx", ArtefactKind.FILE, size) for n, size in enumerate(sizes)
    ]
    return HostEvidence("EX01", "/e", "files", files)


def test_units_are_handed_over_large_and_small_in_turn() -> None:
    sizes = [9 * MIB, 3 * MIB, 2 * MIB, *[1000] * 600]
    host = _host(sizes)
    plan = _Plan(host, coarse=False)
    units = plan_units(0, host, _ctx())
    order = plan.order()
    assert sorted(order) == list(range(len(units)))  # every unit once
    largest = [max((t.file.size for t in u.tasks if isinstance(t, engine.Task)), default=0) for u in units]
    given = [largest[seq] >= engine.LARGE_BYTES for seq in order]
    large = sum(given)
    assert large == 2  # the 9 MiB file alone, the 3 and 2 MiB files together
    assert given[: 2 * large] == [True, False] * large and not any(given[2 * large :])
    # Without a large file, the units go as planned.
    small = _host([1000] * 600)
    assert _Plan(small, coarse=False).order() == list(range(len(plan_units(0, small, _ctx()))))
