"""Where the hunt's units run: the local process pool, or a Dask cluster (`distributed`).

Both run `exhunt.fleet.queue.run_unit` on the same picklable units and report each unit's
result or why it was lost (worker died, past its deadline), so the queue above treats them alike.
Dask workers open evidence by path: it must sit on storage every worker reads at the same path
(a shared file system); `check_readable` asks every worker before the hunt starts.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import importlib
import multiprocessing
import os
import stat
import struct
import tempfile
import time
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from exhunt import engine, interrupts
from exhunt.analyzers import HuntOptions
from exhunt.engine import Batch, HostTask, Task, Workers
from exhunt.fleet.forking import is_local, start_fork_server
from exhunt.fleet.queue import Backend, Unit, UnitLost, run_unit, watching_pairs
from exhunt.model import ArtefactKind, ProblemKind, UnitResult
from exhunt.warmup import warm_up

POLL_SECONDS = 0.5
DEADLINE_CHECK_SECONDS = 2.0
# How long the hunting process waits for a worker without a nanny to say which pair it runs.
FLIGHT_ASK_SECONDS = 5.0
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
            interrupts.check()
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        self._workers.close()


class DaskPool(Backend):
    """A Dask cluster: `tcp://HOST:8786` for one that runs already, `local[:N]` for a
    LocalCluster of N worker processes on this machine."""

    coarse = True
    _token = "0"  # names this pool's flight records (`run_parcel`); set per pool

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
        self._token = os.urandom(8).hex()
        self._cluster: Any = None
        self._config: Any = None
        options = options or HuntOptions()
        try:
            if is_local(scheduler):
                self._client: Any = self._local_client(dd, scheduler)
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

    def _local_client(self, dd: Any, scheduler: str) -> Any:
        """A LocalCluster of `local[:N]`'s N worker processes (all cores by default), one
        thread each, and a client of it."""
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
        return dd.Client(self._cluster)

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
        key = f"exhunt-parcel-{self._serial}"
        fut = self._client.submit(
            run_parcel, parcel, flight=_flight_name(self._token, key), key=key, pure=False, retries=0
        )
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
            interrupts.check()

    def _expired(self) -> list[tuple[Unit, UnitResult | BaseException]]:
        """Pairs past their own deadline, and parcels past theirs; asks the scheduler what runs
        where at most every few seconds, and a worker which pair it runs only once one of its
        parcels has run longer than its shortest pair may (never, on a hunt that goes well)."""
        now = time.monotonic()
        if now - self._checked < DEADLINE_CHECK_SECONDS:
            return []
        self._checked = now
        processing = None
        overdue: list[Any] = []  # parcels one of whose pairs may be past its deadline
        for fut, parcel in self._running.items():
            if fut not in self._started:
                processing = processing if processing is not None else self._processing()
                if fut.key in processing:
                    self._started[fut] = now
                continue
            shortest = min((x for u in parcel for x in _pair_deadlines(u)), default=None)
            if shortest is not None and now - self._started[fut] > shortest:
                overdue.append(fut)
        if not overdue:
            return []
        processing = processing if processing is not None else self._processing()
        flights = self._flights(overdue, processing)
        out: list[tuple[Unit, UnitResult | BaseException]] = []
        for fut in overdue:
            parcel = self._running[fut]
            worker = processing.get(fut.key)
            flight = flights.get(fut.key)
            if flight is not None:
                u, k, elapsed = flight
                unit = parcel[u]
                limit = engine.deadline_of(unit.tasks[k], unit.ctx)
                if limit is None or elapsed <= limit:
                    continue
                self._stop(fut, worker, processing)
                # The pair is lost and named; the units of the parcel before and after its unit
                # run again (their results went with the worker).
                self._waiting.extend(parcel[:u] + parcel[u + 1 :])
                why = f"stopped after {limit:.0f} s, its deadline (see --unit-timeout)"
                out.append((unit, UnitLost(ProblemKind.TIMED_OUT, why, at=k)))
                continue
            # Which pair runs is not known (the parcel waits behind another on its worker, or
            # the worker could not be asked): the parcel's own deadline, the sum of its pairs'.
            limits = [u.deadline for u in parcel]
            if any(x is None for x in limits):
                continue
            limit = sum(x for x in limits if x is not None)
            if now - self._started[fut] <= limit:
                continue
            self._stop(fut, worker, processing)
            out.extend(
                self._fail(
                    parcel,
                    UnitLost(ProblemKind.TIMED_OUT, f"stopped after {limit:.0f} s, its deadline (see --unit-timeout)"),
                )
            )
        return out

    def _stop(self, fut: Any, worker: str | None, processing: dict[str, str]) -> None:
        """Give up a parcel past a deadline: its worker thread cannot be interrupted, so that
        worker's process is restarted (its nanny starts a fresh one). The parcels that waited
        on that worker start again elsewhere: their start is taken again when they do. A worker
        without a nanny cannot be restarted, and whatever waits on it would wait for ever: the
        hunt stops there with BackendError (stored as interrupted, to be resumed)."""
        del self._running[fut]
        del self._started[fut]
        fut.cancel()
        if worker:
            self._forget([_flight_name(self._token, fut.key)], worker)  # the worker will not
            try:
                self._client.restart_workers([worker], raise_for_error=False)
            except ValueError as exc:  # a worker without a nanny: its thread stays taken for good
                raise BackendError(
                    f"Dask worker {worker} ran a unit past its deadline and cannot be restarted ({exc}); "
                    "run the workers with a nanny (the default of `dask worker`)"
                ) from None
            for other in self._running:
                if processing.get(other.key) == worker:
                    self._started.pop(other, None)

    def _flights(self, futures: list[Any], processing: dict[str, str]) -> dict[str, tuple[int, int, float]]:
        """Parcel key -> (its unit, that unit's pair in flight, seconds since the pair started),
        for the parcels that have started on their worker. Asked of each worker's nanny, which
        answers even when the worker's own event loop is held by the pair that hangs; a worker
        without a nanny is asked itself, for a few seconds at most. A worker that cannot answer
        leaves its parcels to their own deadline."""
        by_worker: dict[str, list[str]] = {}
        for fut in futures:
            worker = processing.get(fut.key)
            if worker:
                by_worker.setdefault(worker, []).append(fut.key)
        found: dict[str, tuple[int, int, float]] = {}
        for worker, keys in by_worker.items():
            names = [_flight_name(self._token, key) for key in keys]
            try:
                answer = self._client.run(read_flights, names, workers=[worker], nanny=True)
            except (OSError, TimeoutError, KeyError):  # KeyError: the worker is gone
                continue
            except Exception:  # a nanny without exhunt installed: the worker has it
                answer = {}
            try:
                if not answer:  # no nanny, or one that cannot read them
                    answer = self._client.run(
                        read_flights, names, workers=[worker], callback_timeout=FLIGHT_ASK_SECONDS
                    )
            except (OSError, TimeoutError, KeyError):
                continue
            for got in answer.values():
                found.update((key, flight) for key, flight in zip(keys, got, strict=True) if flight is not None)
        return found

    def _forget(self, names: list[str], worker: str | None = None) -> None:
        """Remove flight records a worker stopped or killed could not remove itself."""
        # A record left in the temporary folder if this fails: nothing of the hunt depends on it.
        with contextlib.suppress(OSError, TimeoutError, KeyError):  # KeyError: the worker is gone
            self._client.run(remove_flights, names, workers=None if worker is None else [worker], nanny=True)

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


def _pair_deadlines(unit: Unit) -> list[float]:
    """The deadline of each pair of the unit that has one."""
    return [x for t in unit.tasks if (x := engine.deadline_of(t, unit.ctx)) is not None]


def _fits(parcel: list[Unit], unit: Unit) -> bool:
    return len(parcel) < PARCEL_UNITS and sum(u.size for u in parcel) + unit.size <= PARCEL_BYTES


def run_parcel(parcel: list[Unit], flight: str | None = None) -> list[UnitResult | str]:
    """Run on a Dask worker: `run_unit` over each unit of a parcel. A unit that raises is
    reported by its exception's text (an exception need not pickle) and the next one runs.
    `flight` names the parcel's flight record: which pair runs and since when (`FlightRecord`)."""
    out: list[UnitResult | str] = []
    record = FlightRecord.open(flight) if flight else None
    try:
        for u, unit in enumerate(parcel):
            try:
                if record is None:
                    out.append(run_unit(unit))
                    continue
                with watching_pairs(functools.partial(record.started, u)):
                    out.append(run_unit(unit))
            except Exception as exc:
                out.append(repr(exc))
    finally:
        if record is not None:
            record.close()
    return out


# A flight record: the parcel's unit and pair in flight and when it started (`time.monotonic`,
# one clock for every process of a machine), written twice in one write so that a read that
# meets a write half done sees two halves that differ, and reads again.
_FLIGHT = struct.Struct("<qqd")


def _flight_name(token: str, key: str) -> str:
    return f"exhunt-flight-{token}-{key}"


def _flight_path(name: str) -> Path:
    return Path(tempfile.gettempdir()) / Path(name).name


class FlightRecord:
    """A small file in the worker's temporary folder, written before each pair of a parcel
    runs and removed when the parcel ends: the worker's nanny, a process of its own on the same
    machine, reads it even while the pair holds the worker's interpreter (a parser stuck in C
    code never lets the worker's event loop run), as the local pool's workers write theirs to
    memory shared with the hunting process."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def open(cls, name: str) -> FlightRecord | None:
        """None when the file cannot be made: the parcel then runs under its own deadline only.
        Made new, never through a link (the temporary folder may be shared); one this user left
        (a worker killed while the parcel ran, which Dask then runs again) is replaced."""
        path = _flight_path(name)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        for _ in range(2):
            try:
                return cls(path, os.open(path, flags, 0o600))
            except FileExistsError:
                try:
                    left = path.lstat()
                except OSError:
                    return None
                uid = getattr(os, "getuid", None)  # none on Windows, whose temporary folder is the user's
                if not stat.S_ISREG(left.st_mode) or (uid is not None and left.st_uid != uid()):
                    return None
                path.unlink(missing_ok=True)
            except OSError:
                return None
        return None

    def started(self, unit: int, pair: int) -> None:
        os.pwrite(self.fd, _FLIGHT.pack(unit, pair, time.monotonic()) * 2, 0)

    def close(self) -> None:
        os.close(self.fd)
        self.path.unlink(missing_ok=True)


def read_flights(names: list[str]) -> list[tuple[int, int, float] | None]:
    """Run on a worker's nanny (or the worker): for each flight record, (unit, pair, seconds
    since the pair started), or None when the parcel has not started or is over."""
    return [_read_flight(_flight_path(name)) for name in names]


def _read_flight(path: Path) -> tuple[int, int, float] | None:
    try:
        with path.open("rb") as fh:
            for _ in range(5):
                data = fh.read(2 * _FLIGHT.size)
                fh.seek(0)
                if len(data) < 2 * _FLIGHT.size:
                    return None  # made, no pair started yet
                first, second = data[: _FLIGHT.size], data[_FLIGHT.size :]
                if first == second:
                    unit, pair, since = _FLIGHT.unpack(first)
                    return unit, pair, time.monotonic() - since
                time.sleep(0.001)
    except FileNotFoundError:
        return None
    return None


def remove_flights(names: Iterable[str]) -> None:
    """Run on a nanny: remove the flight records its worker, stopped or killed, left."""
    for name in names:
        _flight_path(name).unlink(missing_ok=True)


def unreadable_paths(paths: list[str]) -> list[str]:
    """Run on each worker: the paths it cannot open for reading."""
    return [p for p in paths if not os.access(p, os.R_OK)]


def default_workers() -> int:
    from exhunt.engine import default_jobs

    return default_jobs()
