"""Ctrl-C during a hunt is never lost.

Python raises `KeyboardInterrupt` wherever the main thread happens to be when SIGINT arrives.
Raised inside a garbage-collector callback, a `__del__` method or a weakref callback, it is
printed as "Exception ignored in ..." and dropped: the hunt then ran on to its end as if the
key had not been pressed (Dask's client runs such a callback on every collection). While a hunt
runs, SIGINT also leaves a mark; the loops that wait for the workers look at it (`check`) and
raise the interrupt that was dropped, within a second; the interpreter's report of the drop (a
traceback on standard error) is not printed, since the interrupt is not lost.

A write to the hunt store is not cut short either (`deferred`): an interrupt that lands inside
one is raised once it is done, so no transaction is left open to lock the store against the
write that records the hunt as interrupted.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

WAKE_SECONDS = 1.0  # the longest a waiting loop sleeps before it looks at the mark again

_pending = [False]
_deferring = [0]


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _pending[0] = True
    if not _deferring[0]:
        raise KeyboardInterrupt


@contextmanager
def deferred() -> Iterator[None]:
    """A Ctrl-C during the block is raised when the block ends (where `recorded` is in force;
    elsewhere the block is interrupted as usual)."""
    _deferring[0] += 1
    try:
        yield
    finally:
        _deferring[0] -= 1
    if not _deferring[0]:
        check()


@contextmanager
def recorded() -> Iterator[None]:
    """SIGINT leaves a mark while the block runs (and still raises `KeyboardInterrupt` as
    before). Only where Python's own handler is in place, on the main thread: a handler of the
    caller's (a test's, an embedding program's) is left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:
        yield
        return
    _pending[0] = False
    report = sys.unraisablehook

    def unraisable(dropped: sys.UnraisableHookArgs) -> None:
        if not (_pending[0] and isinstance(dropped.exc_value, KeyboardInterrupt)):
            report(dropped)

    signal.signal(signal.SIGINT, _on_sigint)
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = report
        _pending[0] = False


def taken() -> None:
    """The interrupt reached its handler: the mark is cleared, so it is not raised twice."""
    _pending[0] = False


def check() -> None:
    """Raise the `KeyboardInterrupt` of a Ctrl-C that was dropped on its way (once)."""
    if _pending[0]:
        _pending[0] = False
        raise KeyboardInterrupt
