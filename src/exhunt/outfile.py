"""Output files written whole or not at all.

A report is written beside its final name and renamed over it once complete, so Ctrl-C, a full
disk or a crash while it is written leaves either the previous file or none, never a cut one that
looks like a report (an HTML page that ends half way, a JSON document a script then fails on).
A link is followed (the file it names is replaced, the link stays), and a name that is not a
regular file (a FIFO, `/dev/stdout`, a device) is written in place, as there is nothing to rename.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def written_in_place(path: str | Path) -> bool:
    """Whether `path` names something that is written in place, not replaced: a FIFO, a device,
    `/dev/stdout`, a shell's `>(...)` (`/dev/fd/63`). Its name says nothing of a format."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def replaced(
    path: str | Path, *, newline: str | None = None, errors: str = "strict", encoding: str = "utf-8"
) -> Iterator[IO[str]]:
    """A text stream whose content becomes the file at `path` when the `with` block ends well."""
    try:
        mode: int | None = Path(path).stat().st_mode  # through links: `/dev/stdout` is a pipe's
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with Path(path).open("w", encoding=encoding, newline=newline, errors=errors) as out:
            yield out
        return
    target = Path(os.path.realpath(path))
    # a random name, not `secrets`: it imports hmac and OpenSSL, a few ms of every command's start
    part = target.with_name(f".{target.name}.{os.urandom(4).hex()}.part")
    # 0o666 less the umask, as `open` would make it; an existing file's mode is kept.
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:  # named by the output the user gave, not the part file's name
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        if mode is not None:
            part.chmod(stat.S_IMODE(mode))
        with os.fdopen(fd, "w", encoding=encoding, newline=newline, errors=errors) as out:
            yield out
        try:
            part.replace(target)
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
