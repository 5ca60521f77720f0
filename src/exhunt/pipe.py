"""Standard output that outlives its reader: `exhunt hunt ... | head` stops writing quietly when
`head` has read enough, and the command still ends with the exit code of what it found."""

from __future__ import annotations

import os
import sys
from typing import Any


def stdout_gone() -> None:
    """The reader of standard output left (`exhunt ... | head`): point its descriptor at nothing
    so later writes and the interpreter's final flush succeed silently."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
        os.close(devnull)
    except (OSError, ValueError):
        pass  # no descriptor to redirect (a test's captured stream): writes are dropped anyway


class StdoutUnwritable(OSError):
    """Standard output refused a write for another reason than its reader leaving (a full
    disk, `> /dev/full`, an I/O error): the command stops and says so, exit 2."""


class ClosablePipe:
    """Standard output that a closed pipe does not break: once the reader has gone, writes are
    dropped and the command runs to its end, so `exhunt hunt ... | head` still exits with the
    verdict's code."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.closed_pipe = False
        self.failed: StdoutUnwritable | None = None  # the refused write, kept for who swallowed it

    def write(self, text: str) -> int:
        if not self.closed_pipe:
            try:
                return int(self._stream.write(text))
            except BrokenPipeError:
                self._gone()
            except OSError as exc:
                self._failed(exc)
        return len(text)

    def flush(self) -> None:
        if not self.closed_pipe:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._gone()
            except OSError as exc:
                self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        # What the stream still buffers could not be written either: dropped, so the
        # interpreter's last flush does not fail again after the command has said why.
        self.closed_pipe = True
        stdout_gone()
        self.failed = StdoutUnwritable(exc.errno, exc.strerror or str(exc))
        raise self.failed from exc

    def settle(self) -> None:
        """Flush, and raise the refused write again if a caller swallowed it (argparse prints
        `--help` and `--version` and drops an OSError the write raised)."""
        self.flush()
        if self.failed is not None:
            raise self.failed

    def _gone(self) -> None:
        self.closed_pipe = True
        stdout_gone()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
