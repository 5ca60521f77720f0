"""Private cache entries: the one file format, reader and writer of exhunt's caches (compiled
Hyperscan databases, `hscache.py`; rule TOML as JSON, `tomlcache.py`; compiled Sigma rules and
their prefilter databases, `sigma/cache.py`).

An entry is three parts: a magic line naming the cache (`exhunt-hyperscan`, `exhunt-toml`,
`exhunt-sigma-cache`), a header line of JSON (`format`: the cache's format number, `build`: what
made it, for pruning, `key`: the digest of everything that decides the payload, `sha256`: the
payload's SHA-256, both in hex), then the payload, whatever the cache keeps (bytes).

`read` gives the payload only when the entry and its folder belong to this user and no one else
may write to them, the entry is a regular file reached without following a link, within the
cache's size limit, of the cache's magic and format, under the key asked for and whole by its
checksum; otherwise it gives a `Miss` saying why, so a cache can say what became of it and
build anew. A cache that met anything but an absent entry (or could not write one) says so with
`note`: the notes of the process are shown once per host in the hunt's cache notice
(`analyzers/cachesetup.py`), a first run (every entry absent) stays quiet. `write` writes an entry whole or not at all (a temporary file beside it, written,
flushed to disk and renamed over it), only in a folder that is this user's alone. Whoever can
write to this user's cache folder can also change the installed program, so these checks keep
out other users and damaged files, not the user's own account.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

ABSENT = "absent"  # no entry yet
NOT_READABLE = "not readable"  # the system refused to open or read it (detail: why)
FOREIGN = "foreign"  # not a regular file, or it or its folder is another user's or writable by others
TOO_LARGE = "too large"  # past the cache's size limit
UNREADABLE = "unreadable"  # not an entry of this cache and format
STALE = "stale"  # an entry of another key
DAMAGED = "damaged"  # its payload does not match its checksum

HEADER_BYTES = 4096  # the magic line and the header line are well under this
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class Miss:
    """Why an entry was not used: one of the reasons above, and what the system said."""

    reason: str
    detail: str = ""

    def describe(self) -> str:
        """The reason in words, with what the system said."""
        said = _SAID.get(self.reason, self.reason)
        return f"{said} ({self.detail})" if self.detail else said


_SAID = {
    FOREIGN: "not this user's alone (another owner, others may write, or a link)",
    UNREADABLE: "unreadable (another cache or format)",
    STALE: "stale (another key)",
    DAMAGED: "damaged (checksum)",
}

_notes: dict[str, set[str]] = {}  # what was met, in the order met: the entries it was met on


def note(text: str, entry: Path) -> None:
    """Keep `text` (what became of an entry of a cache, said of its folder) for the hunt's cache
    notice: a folder none of whose entries can be read is one line, not one per entry."""
    _notes.setdefault(text, set()).add(entry.name)


def notes() -> tuple[str, ...]:
    """What this process's caches met other than absent or sound entries, in the order met, with
    the number of entries when more than one."""
    return tuple(text if len(met) == 1 else f"{text} ({len(met)} entries)" for text, met in _notes.items())


def forget_notes() -> None:
    _notes.clear()


def private(st: os.stat_result) -> bool:
    """Owned by this user and writable by no one else (where the system says who owns files)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return st.st_uid == getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(path: Path, magic: bytes, fmt: int, key: str, max_bytes: int) -> bytes | Miss:
    """The payload of the entry at `path`, or why it cannot be used (see the module's text)."""
    try:
        if not private(path.parent.stat()):
            return Miss(FOREIGN)
        fd = os.open(path, _READ_FLAGS)
    except FileNotFoundError:
        return Miss(ABSENT)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a link where the entry should be
            return Miss(FOREIGN)
        return Miss(NOT_READABLE, exc.strerror or str(exc))
    with os.fdopen(fd, "rb") as stream:
        try:
            st = os.fstat(stream.fileno())
            if not stat.S_ISREG(st.st_mode) or not private(st):
                return Miss(FOREIGN)
            if st.st_size > max_bytes:
                return Miss(TOO_LARGE, f"over {max_bytes} bytes")
            data = stream.read(st.st_size + 1)  # not max_bytes: a read allocates what it is asked for
        except OSError as exc:
            return Miss(NOT_READABLE, exc.strerror or str(exc))
    if len(data) > max_bytes:
        return Miss(TOO_LARGE, f"over {max_bytes} bytes")
    header, payload = _split(data, magic)
    if header is None or header.get("format") != fmt:
        return Miss(UNREADABLE)
    if header.get("key") != key:
        return Miss(STALE)
    if header.get("sha256") != hashlib.sha256(payload).hexdigest():
        return Miss(DAMAGED)
    return payload


def _split(data: bytes, magic: bytes) -> tuple[dict[str, Any] | None, bytes]:
    """The header of an entry of this `magic` and its payload; no header when it has none."""
    first, _, rest = data.partition(b"\n")
    if first != magic:
        return None, b""
    line, _, payload = rest.partition(b"\n")
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None, b""
    return (header, payload) if isinstance(header, dict) else (None, b"")


def read_header(folder_fd: int, name: str, magic: bytes) -> dict[str, Any] | None:
    """The header of the entry `name` in the folder open as `folder_fd` (not following a link),
    `{}` for an entry of this `magic` whose header does not read, None for a file of another
    magic (not this cache's, whatever its name). Raises OSError as opening it does."""
    fd = os.open(name, _READ_FLAGS, dir_fd=folder_fd)
    with os.fdopen(fd, "rb") as stream:
        head = stream.read(HEADER_BYTES)
    if head.partition(b"\n")[0] != magic:
        return None
    header, _ = _split(head, magic)
    return {} if header is None else header


def write(path: Path, magic: bytes, fmt: int, key: str, payload: bytes, build: str = "") -> None:
    """Write the entry at `path` whole or not at all. Raises OSError when it cannot be written,
    the folder included (one that is not this user's alone is not written to)."""
    header = orjson.dumps({"format": fmt, "build": build, "key": key, "sha256": hashlib.sha256(payload).hexdigest()})
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not private(folder.stat()):
        raise PermissionError(errno.EPERM, "the cache folder is not this user's alone", str(folder))
    fd, temp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(magic + b"\n" + header + b"\n" + payload)
            out.flush()
            os.fsync(out.fileno())
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
