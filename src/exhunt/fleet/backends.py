"""Where the hunt's units run: the local process pool, or a Dask cluster (`distributed`).

Both run `exhunt.fleet.queue.run_unit` on the same picklable units and report each unit's
result or why it was lost (worker died, past its deadline), so the queue above treats them alike.
Dask workers open evidence by path: it must sit on storage every worker reads at the same path
(a shared file system); `check_readable` asks every worker before the hunt starts.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import time
from collections.abc import Collection
from typing import Any

from exhunt import engine
from exhunt.analyzers import HuntOptions
from exhunt.engine import Batch, HostTask, Task, Workers
from exhunt.fleet.forking import is_local, start_fork_server
from exhunt.fleet.queue import Backend, Unit, UnitLost, run_unit
from exhunt.model import ArtefactKind, ProblemKind, UnitResult
from exhunt.warmup import warm_up

POLL_SECONDS = 0.5
DEADLINE_CHECK_SECONDS = 2.0
# A Dask task carries a parcel of units (of one host or several) up to this many bytes or units,
# so the scheduler round trip is paid once per parcel. Each Dask task costs the hunting process,
# which runs the scheduler, the nannies and the client, about 13 ms of CPU on a busy two-core
# machine, and its worker a few more (py-spy and per-thread CPU): at 32 MB a parcel, a fleet of
# 43 MB hosts (a 16 MB IIS log and 26 MB of HttpProxy logs, each read by two analyzers) made
# about 3.6 Dask tasks per host and the hunting process used 2.0 CPU s of its event loop over
# 40 hosts; at 128 MB, 1.1 tasks and 0.7 s. A parcel is still a few seconds of work at most, so
# the last ones leave a worker idle for no longer than that.
PARCEL_BYTES = 4 * engine.BATCH_BYTES
# A unit this big travels alone; smaller ones share parcels up to PARCEL_BYTES.
ALONE_BYTES = PARCEL_BYTES // 2
PARCEL_UNITS = 32
# Parcels in flight per worker thread: one running, one queued on the worker, one on its way.
PARCELS_PER_THREAD = 3


class BackendError(Exception):
    """The backend cannot be started or used (no scheduler, workers cannot read the evidence)."""


class LocalWorkers(Backend):
    """Worker processes on this machine: the engine's own (`exhunt.engine.Workers`), which run
    each pair under its deadline and retry, then report, the pair a dying worker had in flight."""

    def __init__(self, jobs: int) -> None:
        self.slots = jobs * 2
        self._done: list[tuple[Unit, UnitResult | BaseException]] = []
        # Per unit: its pairs' results by position, merged in order once all are back (a pair
        # retried after a worker died comes back last, and must not reorder the host's result).
        self._pending: dict[int, tuple[Unit, dict[int, UnitResult], dict[int, int]]] = {}
        self._workers = Workers(jobs, self._collect)
        # A forked worker's garbage collections would write to every object it inherited (the
        # compiled rules, every host's files), copying page after page it shares with this
        # process: frozen at the fork, they are left alone there. Thawed here once forked.
        gc.freeze()
        try:
            self._workers.start()
        finally:
            gc.unfreeze()

    def submit(self, unit: Unit) -> None:
        # Each pair's position in its unit, by identity (a pair comes back as the same object).
        self._pending[id(unit)] = (unit, {}, {id(t): i for i, t in enumerate(unit.tasks)})
        self._workers.add(Batch(unit.ctx, list(unit.tasks), unit))

    def _collect(self, tag: object, task: Task | HostTask, result: UnitResult) -> None:
        unit, parts, positions = self._pending[id(tag)]
        parts[positions[id(task)]] = result
        if len(parts) == len(unit.tasks):
            del self._pending[id(tag)]
            merged = UnitResult()
            for i in sorted(parts):
                merged.merge(parts[i])
            self._done.append((unit, merged))

    def wait(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        while not self._done and self._workers.step():
            pass
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        self._workers.close()


class DaskPool(Backend):
    """A Dask cluster: `tcp://HOST:8786` for one that runs already, `local[:N]` for a
    LocalCluster of N worker processes on this machine."""

    coarse = True

    def __init__(
        self,
        scheduler: str,
        *,
        connect_timeout: float = 20.0,
        options: HuntOptions | None = None,
        kinds: Collection[ArtefactKind] | None = None,
        warm: bool = True,
    ) -> None:
        """Start the LocalCluster or connect to the scheduler, then (`warm`) have every worker
        compile what the hunt needs; without `warm`, `warm_workers` must be called before units
        are submitted (`StartingPool` starts the pool before the hunt's artefact kinds are known)."""
        try:
            dd: Any = importlib.import_module("distributed")
        except ImportError as exc:  # pragma: no cover - a dependency
            raise BackendError(f"--scheduler needs the 'distributed' package: {exc}") from None
        self._dd = dd
        self._cluster: Any = None
        self._config: Any = None
        options = options or HuntOptions()
        try:
            if is_local(scheduler):
                workers = int(scheduler.partition(":")[2] or default_workers())
                if workers < 1:
                    raise BackendError("--scheduler local:N needs N of at least 1")
                # Dask's statistical profiler samples each worker's stack every 10 ms, a few per
                # cent of a worker running Python; nothing here reads it. Every process of the
                # cluster (scheduler, nannies, workers) also times its event loop every 20 ms and
                # samples its own CPU and memory every 0.5 s, for warnings and a dashboard: an idle
                # local:2 cluster used 0.07-0.08 CPU seconds per second that way, 0.015 as set
                # here, and a worker's event loop waking that often takes the GIL from the unit
                # it runs. Nothing here reads them either.
                self._config = importlib.import_module("dask").config.set(
                    {
                        "distributed.worker.profile.enabled": False,
                        "distributed.admin.tick.interval": "1s",
                        "distributed.admin.system-monitor.interval": "5s",
                        **_worker_start_method(),
                    }
                )
                self._cluster = dd.LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # No dashboard; the scheduler's HTTP server on any free port, not 8787 (which
                    # warns on stderr when another cluster holds it).
                    scheduler_kwargs={"dashboard_address": ":0"},
                    silence_logs=50,
                    # No memory limit, as for the local workers: a unit holds a bounded part of
                    # one file, and a nanny polling its worker's memory costs the cores we hunt on.
                    memory_limit=0,
                )
                self._client: Any = dd.Client(self._cluster)
            else:
                self._client = dd.Client(scheduler, timeout=f"{connect_timeout}s")
        except (OSError, TimeoutError, ValueError) as exc:
            self._shutdown_cluster()
            raise BackendError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        threads = sum(self._client.nthreads().values())
        if threads < 1:
            self.close()
            raise BackendError(f"the Dask scheduler {scheduler} has no workers")
        if warm:
            self.warm_workers(options, kinds)
        # Each parcel makes a round trip through the scheduler: keep a few parcels per worker
        # thread in flight, so no worker waits for its next one, and no more (memory, Ctrl-C).
        # `wants` counts them by bytes and units; `slots` bounds the units whatever their size.
        self.slots = threads * PARCELS_PER_THREAD * PARCEL_UNITS
        self._threads = int(threads)
        self._checked = 0.0  # when deadlines were last looked at
        self._running: dict[Any, list[Unit]] = {}
        self._waiting: list[Unit] = []
        self._started: dict[Any, float] = {}
        self._serial = 0

    def warm_workers(self, options: HuntOptions, kinds: Collection[ArtefactKind] | None) -> None:
        """Every worker compiles what the hunt's artefact kinds need before its first unit, all
        at once, and keeps it while it lives. A worker that cannot (exhunt not installed there,
        another version) stops the hunt before it starts, naming the reason."""
        try:
            self._client.run(warm_up, options, None if kinds is None else sorted(kinds))
        except Exception as exc:
            self.close()
            raise BackendError(f"the Dask workers cannot load exhunt's rules: {exc!r}") from None

    @property
    def workers(self) -> int:
        return len(self._client.nthreads())

    def check_readable(self, paths: list[str]) -> None:
        """Ask every worker whether it can read every path; BackendError naming the first that cannot."""
        answers = self._client.run(unreadable_paths, paths)
        for worker, missing in sorted(answers.items()):
            if missing:
                shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
                raise BackendError(
                    f"Dask worker {worker} cannot read {shown}: the evidence must be on storage every worker "
                    "reads at the same path (a shared file system)"
                )

    def submit(self, unit: Unit) -> None:
        self._waiting.append(unit)

    def wants(self, in_flight: int) -> bool:
        """More units while the parcels running and those the waiting units would fill come to
        fewer than PARCELS_PER_THREAD per worker thread: parcels of up to PARCEL_BYTES would
        otherwise have the queue hold (and keep hosts open for) many times the work in flight."""
        if in_flight >= self.slots:
            return False
        size = sum(u.size for u in self._waiting)
        filled = max(-(-size // PARCEL_BYTES), -(-len(self._waiting) // PARCEL_UNITS))
        return len(self._running) + filled < self._threads * PARCELS_PER_THREAD

    def _send(self) -> None:
        """The units handed over since the last wait, as parcels: a big unit, or one retried
        alone after its worker died, is a parcel of its own; small ones share parcels. A parcel
        not yet full waits for the next units while every worker thread has two parcels (one
        running, one next); sent as it is, the queue would refill it with as many units as the
        parcel that just came back, and parcels would dwindle to one unit each after the first
        big file, paying the round trip per unit again."""
        waiting, self._waiting = self._waiting, []
        parcel: list[Unit] = []
        for unit in waiting:
            if unit.isolated or unit.size >= ALONE_BYTES:
                self._submit_parcel([unit])
                continue
            if parcel and not _fits(parcel, unit):
                self._submit_parcel(parcel)
                parcel = []
            parcel.append(unit)
        if parcel and len(parcel) < PARCEL_UNITS and len(self._running) >= 2 * self._threads:
            self._waiting = parcel
        elif parcel:
            self._submit_parcel(parcel)

    def _submit_parcel(self, parcel: list[Unit]) -> None:
        self._serial += 1
        fut = self._client.submit(run_parcel, parcel, key=f"exhunt-parcel-{self._serial}", pure=False, retries=0)
        self._running[fut] = parcel

    def _fail(self, parcel: list[Unit], lost: UnitLost) -> list[tuple[Unit, UnitResult | BaseException]]:
        """A parcel lost as a whole: with one unit, that unit is lost (the queue splits it by file
        when its worker died); with more, each unit is sent again alone, so only the culprit is lost."""
        if len(parcel) == 1:
            return [(parcel[0], lost)]
        for unit in parcel:
            self._submit_parcel([unit])
        return []

    def wait(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        killed = self._dd.KilledWorker
        cancelled = importlib.import_module("distributed.client").FutureCancelledError
        self._send()
        while True:
            try:
                done, _ = self._dd.wait(list(self._running), timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
            except TimeoutError:
                done = set()
            out: list[tuple[Unit, UnitResult | BaseException]] = []
            for fut in done:
                parcel = self._running.pop(fut)
                self._started.pop(fut, None)
                try:
                    results = fut.result()
                except killed as exc:
                    out.extend(
                        self._fail(
                            parcel, UnitLost(ProblemKind.WORKER_DIED, f"the Dask workers running it died ({exc})")
                        )
                    )
                except cancelled as exc:
                    out.extend(self._fail(parcel, UnitLost(ProblemKind.WORKER_DIED, f"the cluster dropped it ({exc})")))
                except Exception as exc:
                    out.extend((unit, exc) for unit in parcel)
                else:
                    out.extend(
                        (unit, r if isinstance(r, UnitResult) else RuntimeError(r))
                        for unit, r in zip(parcel, results, strict=True)
                    )
                fut.release()
            out.extend(self._expired())
            if out:
                return out

    def _expired(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        """Parcels past their deadline; asks the scheduler what runs where, at most every few seconds."""
        now = time.monotonic()
        if now - self._checked < DEADLINE_CHECK_SECONDS:
            return []
        self._checked = now
        processing = None
        out: list[tuple[Unit, UnitResult | BaseException]] = []
        for fut, parcel in list(self._running.items()):
            if fut not in self._started:
                processing = processing if processing is not None else self._processing()
                if fut.key in processing:
                    self._started[fut] = now
                continue
            limits = [u.deadline for u in parcel]
            if any(x is None for x in limits):
                continue
            limit = sum(x for x in limits if x is not None)
            if now - self._started[fut] <= limit:
                continue
            processing = processing if processing is not None else self._processing()
            worker = processing.get(fut.key)
            del self._running[fut]
            del self._started[fut]
            fut.cancel()
            if worker:
                # The worker thread cannot be interrupted: restart that worker's process.
                self._client.restart_workers([worker], raise_for_error=False)
            out.extend(
                self._fail(
                    parcel,
                    UnitLost(ProblemKind.TIMED_OUT, f"stopped after {limit:.0f} s, its deadline (see --unit-timeout)"),
                )
            )
        return out

    def _processing(self) -> dict[str, str]:
        """Unit key -> the worker running it now."""
        return {key: worker for worker, keys in self._client.processing().items() for key in keys}

    def _shutdown_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        if self._config is not None:
            self._config.__exit__(None, None, None)
            self._config = None

    def close(self) -> None:
        try:
            if self._running:
                self._client.cancel(list(self._running))
            self._client.close()
        finally:
            self._shutdown_cluster()


def _worker_start_method() -> dict[str, str]:
    """How the LocalCluster's nannies start their workers: forked by a fork server that has
    imported exhunt and compiled the default rules (`exhunt.fleet.forkserver_warm`), so a worker
    starts warm in a fraction of a second; a spawned worker imports and compiles for 1-3 s of its
    own. Not forked from this process: its other threads may hold a lock (a log handler's, a
    stream's) at that moment, and a worker forked so hung at start in testing. The fork server is
    a fresh single-threaded interpreter. Where there is none (Windows), spawned, Dask's default."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return {}
    with importlib.import_module("dask").config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        # Dask sets the fork server's preload list on its first use, replacing any set before:
        # let it, then set ours. Once the fork server runs (`start_fork_server`, called as early
        # as the command knows it needs one), a new list changes nothing (it keeps the modules
        # it has; workers still start, and warm up on the pool's start).
        importlib.import_module("distributed.utils").get_mp_context()
    start_fork_server()  # if not started already; then it compiles while the scheduler starts
    return {"distributed.worker.multiprocessing-method": "forkserver"}


def _fits(parcel: list[Unit], unit: Unit) -> bool:
    return len(parcel) < PARCEL_UNITS and sum(u.size for u in parcel) + unit.size <= PARCEL_BYTES


def run_parcel(parcel: list[Unit]) -> list[UnitResult | str]:
    """Run on a Dask worker: `run_unit` over each unit of a parcel. A unit that raises is
    reported by its exception's text (an exception need not pickle) and the next one runs."""
    out: list[UnitResult | str] = []
    for unit in parcel:
        try:
            out.append(run_unit(unit))
        except Exception as exc:
            out.append(repr(exc))
    return out


def unreadable_paths(paths: list[str]) -> list[str]:
    """Run on each worker: the paths it cannot open for reading."""
    return [p for p in paths if not os.access(p, os.R_OK)]


def default_workers() -> int:
    from exhunt.engine import default_jobs

    return default_jobs()
