"""The one way exhunt opens a file of the evidence on disk.

A file listed as regular may be something else by the time it is read: swapped for a FIFO
(a read blocks forever), a symbolic link to `/dev/zero` (never ends) or to a file outside the
evidence (confinement lost). So the file is opened with `O_NOFOLLOW` (a link in its place is
refused) and `O_NONBLOCK` (opening a FIFO cannot block), then checked *after* the open, on the
descriptor itself: anything but a regular file is refused. `O_NOATIME` keeps the file's access
time as it was, where the system allows it (the owner of the file, or CAP_FOWNER); elsewhere the
file is opened without it and the kernel's atime policy (often `relatime`) applies.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import IO

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_BASE_FLAGS = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY | getattr(os, "O_CLOEXEC", 0)


class NotRegularFile(OSError):
    """The path is (now) a link, a FIFO, a device, a socket or a folder: not read."""


def _open_fd(path: str, flags: int = _BASE_FLAGS) -> int:
    try:
        if _NOATIME:
            try:
                return os.open(path, flags | _NOATIME)
            except PermissionError:
                pass  # O_NOATIME needs ownership or CAP_FOWNER: open without it
        return os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(
                errno.ELOOP, "is a symbolic link now (swapped after listing); not followed", path
            ) from None
        raise


def open_evidence(path: str, *, follow_links: bool = False) -> IO[bytes]:
    """Open `path` for reading as a regular file, without following a link (unless asked: a
    user's own rule or list file may be one) or blocking. Raises `NotRegularFile` (an `OSError`)
    for anything else, and `OSError` when it cannot be read."""
    fd = _open_fd(path, _BASE_FLAGS & ~_NOFOLLOW if follow_links else _BASE_FLAGS)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"not a regular file now ({_kind(mode)}); not read", path)
        if _NONBLOCK and hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a regular file: reads never block anyway
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISLNK, "a link"),
    ):
        if test(mode):
            return name
    return "not a file"


class TooLarge(OSError):
    """The file is larger than the reader allows."""


def read_regular(path: str, limit: int, *, follow_links: bool = True) -> bytes:
    """The whole content of a regular file of at most `limit` bytes (a user's rule or list file).
    A FIFO, a device such as /dev/zero, or anything larger raises an `OSError`, never blocks."""
    with open_evidence(path, follow_links=follow_links) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(errno.EFBIG, f"larger than {limit // 2**20} MiB, not loaded", path)
    return data
