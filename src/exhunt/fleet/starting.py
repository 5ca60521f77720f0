"""A Dask pool started on a thread of its own while the hunt reads its rules and finds the evidence.

Starting a `local:N` cluster is mostly waiting: for the fork server to import `distributed` and
compile the rules, for each worker to be forked, to start and to register with the scheduler
(one to two seconds on an idle machine); connecting to a remote scheduler is a network round
trip or several. `exhunt hunt --scheduler` starts it first, here, and reads the rules and
discovers the evidence meanwhile; `take` waits for it and hands the pool over, warmed with the
hunt's options and the artefact kinds found. A pool that failed to start raises its error at
`take`; one never taken (the hunt stopped before it needed it) is closed by `close`.
"""

from __future__ import annotations

import threading
from collections.abc import Collection

from exhunt.analyzers import HuntOptions
from exhunt.fleet.backends import DaskPool
from exhunt.model import ArtefactKind


class StartingPool:
    def __init__(self, scheduler: str, *, connect_timeout: float = 20.0) -> None:
        self.scheduler = scheduler
        self._timeout = connect_timeout
        self._pool: DaskPool | None = None
        self._error: BaseException | None = None
        self._taken = False
        self._thread = threading.Thread(target=self._start, name="exhunt-dask-start", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            self._pool = DaskPool(self.scheduler, connect_timeout=self._timeout, warm=False)
        except BaseException as exc:  # raised again by `take`, in the hunt's thread
            self._error = exc

    def take(self, options: HuntOptions, kinds: Collection[ArtefactKind] | None) -> DaskPool:
        """The started pool, its workers warmed for this hunt; from here the caller closes it."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        if self._pool is None or self._taken:
            raise RuntimeError("the Dask pool was already handed over")
        self._taken = True
        try:
            self._pool.warm_workers(options, kinds)  # closes the pool when it fails
        except Exception:
            raise
        except BaseException:  # Ctrl-C while the workers warm up
            self._pool.close()
            raise
        return self._pool

    def close(self) -> None:
        """Close the pool unless it was handed over, waiting for its start to end first."""
        self._thread.join()
        if self._pool is not None and not self._taken:
            self._taken = True
            self._pool.close()
