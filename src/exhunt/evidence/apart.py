"""Listing the evidence in a process of its own, so the hunting process keeps the listing and
not the memory it took to make it.

Discovery builds several objects per file (path components, lower-case copies, layout tables,
`Entry`s) before each file becomes its compact `EvidenceFile`. The interpreter keeps the memory
they took (a few live entries pin each freed arena), so a process that listed 20,000 files held
about twice the arenas its live objects need, and the workers forked from it inherited that heap
and wrote into its free slots, copying its pages. Listed in a forked child instead, the files
come back through a pipe as their compact form (`EvidenceFile.held`, each place once) and are
made again here one after another, in arenas they fill.

Where a process cannot fork safely (no `fork`; another thread running, e.g. a Dask pool
starting) the listing is made here, as before. Whatever the child raises is raised here; a child
that ends without an answer stops the hunt (`EvidenceUnavailable`), never a listing short of files.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from typing import Any

from exhunt.evidence.base import EvidenceFile, HostEvidence, kept
from exhunt.evidence.containers import add_read_problems, pending_read_problems
from exhunt.evidence.errors import EvidenceUnavailable
from exhunt.evidence.tree import Progress

Listing = Callable[[Progress | None], list[HostEvidence]]


class _Compact(pickle.Pickler):
    """Files as what they hold, made again by `kept` (their own pickling makes a worker's copy,
    which keeps its paths made)."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is EvidenceFile:
            return (kept, (obj.held(),))
        return NotImplemented


def can_fork() -> bool:
    """Whether listing in a forked child is safe here: `fork` exists and no other thread runs
    (a thread holding a lock when the process forks leaves the child that lock held)."""
    return hasattr(os, "fork") and threading.active_count() == 1


def list_apart(work: Listing, on_progress: Progress | None = None) -> list[HostEvidence]:
    """`work(on_progress)` run in a forked child, its hosts given back; run here when
    `can_fork()` is false."""
    if not can_fork():
        return work(on_progress)
    reader, writer = Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):  # what is buffered here is not written twice
        stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its work is measured through the parent
        reader.close()
        _child(work, writer, on_progress is not None)
    writer.close()
    answer: tuple[Any, ...] | None = None
    try:
        while True:
            try:
                message = pickle.loads(reader.recv_bytes())
            except EOFError:
                break
            if message[0] == "progress":
                if on_progress is not None:
                    on_progress(message[1])
                continue
            answer = message
            break
    finally:
        reader.close()
        status = _reap(pid, answer is None)
    if answer is None:
        raise EvidenceUnavailable(f"listing the evidence stopped: its process {_ended(status)} without an answer")
    if answer[0] == "error":
        raise answer[1]
    add_read_problems(answer[2])
    hosts: list[HostEvidence] = answer[1]
    return hosts


def _child(work: Listing, writer: Connection, progress: bool) -> None:  # pragma: no cover - in the child
    code = 1
    try:

        def send_progress(count: int) -> None:
            writer.send_bytes(pickle.dumps(("progress", count), pickle.HIGHEST_PROTOCOL))

        try:
            hosts = work(send_progress if progress else None)
            out = io.BytesIO()
            _Compact(out, pickle.HIGHEST_PROTOCOL).dump(("hosts", hosts, pending_read_problems()))
            data = out.getbuffer()
        except BaseException as exc:  # every failure goes to the parent, which raises it
            data = memoryview(_pickled_error(exc))
        writer.send_bytes(data)
        code = 0
    finally:
        for stream in (sys.stdout, sys.stderr):
            # A closed standard output is the parent's to meet (`exhunt.pipe`), not the child's.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _pickled_error(exc: BaseException) -> bytes:
    try:
        return pickle.dumps(("error", exc), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: its words still reach the parent
        return pickle.dumps(("error", RuntimeError(f"listing the evidence failed: {exc!r}")), pickle.HIGHEST_PROTOCOL)


def _reap(pid: int, stop: bool) -> int:
    """Wait for the child (stopped first when it has not answered: the parent gave up on it)."""
    if stop:
        with contextlib.suppress(ProcessLookupError):  # already gone: reaped below all the same
            os.kill(pid, signal.SIGKILL)
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:  # pragma: no cover - retried by Python itself since 3.5
            continue
        except ChildProcessError:  # reaped elsewhere
            return 0


def _ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"was ended by signal {os.WTERMSIG(status)}"
    return f"ended with exit code {os.waitstatus_to_exitcode(status)}"
