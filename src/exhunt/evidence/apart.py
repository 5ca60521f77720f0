"""Listing the evidence in a process of its own, so the hunting process keeps the listing and
not the memory it took to make it.

Discovery makes short-lived objects per file (an `Entry` and its paths as the layout reads
them, an `EvidenceFile` before it is packed; the listing itself is packed as it is walked,
`exhunt.evidence.entries`). The interpreter keeps the memory such objects took (a few live ones
pin each freed arena), and the workers forked from a process inherit its heap. Listed in a
forked child instead, each host's files come back through a pipe packed
(`exhunt.evidence.packed.PackedFiles`: a few arrays a host), and stay so: no Python object per
file is made here until a file is asked for.

Where a process cannot fork safely (no `fork`, or not the platform's way to start workers;
another thread running, e.g. a Dask pool starting) the listing is made here, and packed.
Whatever the child raises is raised here; a child that ends without an answer stops the hunt
(`EvidenceUnavailable`), never a listing short of files.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from multiprocessing import Pipe, get_start_method
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from exhunt.evidence.base import HostEvidence
from exhunt.evidence.containers import add_read_problems, pending_read_problems
from exhunt.evidence.errors import EvidenceUnavailable
from exhunt.evidence.packed import PackedFiles
from exhunt.evidence.tree import Progress

Listing = Callable[[Progress | None], list[HostEvidence]]
T = TypeVar("T")


def _packed(hosts: list[HostEvidence]) -> list[HostEvidence]:
    """Each host with its files packed (`PackedFiles`): a few arrays a host, which pickle and
    load without a Python object per file."""
    return [
        host if isinstance(host.files, PackedFiles) else replace(host, files=PackedFiles(host.files)) for host in hosts
    ]


class Listed(Generic[T]):
    """A listing, its hosts made when first asked (`hosts`); before that, what `outline` said of
    each host. Until then, the files are bytes in memory that a forked process does not inherit:
    workers forked meanwhile start without them, and the hunting process's own copy is the only one."""

    def __init__(self, outlines: list[T], hosts: list[HostEvidence] | None, payload: Any = None) -> None:
        self.outlines = outlines
        self._hosts = hosts
        self._payload = payload

    def hosts(self) -> list[HostEvidence]:
        if self._hosts is None:
            payload, self._payload = self._payload, None
            with memoryview(payload) as view:
                self._hosts = pickle.loads(view)
            if hasattr(payload, "close"):
                payload.close()
        return self._hosts


def can_fork() -> bool:
    """Whether listing in a forked child is safe here: this process forks its own workers (the
    platform's start method is `fork`: not on Windows or macOS, where forking a process that
    has loaded system frameworks is not safe) and no other thread runs (a thread holding a lock
    when the process forks leaves the child that lock held)."""
    return hasattr(os, "fork") and get_start_method() == "fork" and threading.active_count() == 1


def list_apart(work: Listing, outline: Callable[[HostEvidence], T], on_progress: Progress | None = None) -> Listed[T]:
    """`work(on_progress)` run in a forked child, its hosts given back, with `outline` of each
    host (worked out in the child); run here when `can_fork()` is false."""
    if not can_fork():
        found = work(on_progress)
        return Listed([outline(h) for h in found], _packed(found))
    reader, writer = Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):  # what is buffered here is not written twice
        stream.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its work is measured through the parent
        reader.close()
        _child(work, outline, writer, on_progress is not None)
    writer.close()
    answer: tuple[Any, ...] | None = None
    payload: Any = None
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
            if message[0] == "hosts":
                payload = _buffer(message[1])
                try:
                    reader.recv_bytes_into(payload)
                except EOFError:  # the child ended while sending them: no answer
                    break
            answer = message
            break
    finally:
        reader.close()
        status = _reap(pid, answer is None)
    if answer is None:
        raise EvidenceUnavailable(f"listing the evidence stopped: its process {_ended(status)} without an answer")
    if answer[0] == "error":
        raise answer[1]
    add_read_problems(answer[3])
    outlines: list[T] = answer[2]
    return Listed(outlines, None, payload)


def _buffer(size: int) -> Any:
    """Memory for the listing's bytes that a forked process does not inherit, where the system
    can say so (Linux's MADV_DONTFORK); else a plain buffer."""
    advice = getattr(mmap, "MADV_DONTFORK", None)
    if advice is None or size == 0:
        return bytearray(size)
    buffer = mmap.mmap(-1, size)
    buffer.madvise(advice)
    return buffer


def _child(
    work: Listing, outline: Callable[[HostEvidence], Any], writer: Connection, progress: bool
) -> None:  # pragma: no cover - in the child
    code = 1
    try:

        def send_progress(count: int) -> None:
            writer.send_bytes(pickle.dumps(("progress", count), pickle.HIGHEST_PROTOCOL))

        try:
            hosts = work(send_progress if progress else None)
            data = memoryview(pickle.dumps(_packed(hosts), pickle.HIGHEST_PROTOCOL))
            head = ("hosts", len(data), [outline(h) for h in hosts], pending_read_problems())
            writer.send_bytes(pickle.dumps(head, pickle.HIGHEST_PROTOCOL))
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
