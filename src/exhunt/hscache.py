"""Compiled Hyperscan databases kept between runs: a hunt need not compile the same patterns at
every start (a log kind's prefilter takes 50-60 ms, loading it back well under 1 ms).

A database is kept in the user's cache folder (`$EXHUNT_CACHE`, else `$XDG_CACHE_HOME/exhunt`,
else `~/.cache/exhunt`; `EXHUNT_CACHE=off` keeps nothing), in a file named by the SHA-256 of
everything that decides it: the Hyperscan version, the mode, and each pattern with its id and
flags. The file repeats that digest and holds the SHA-256 of the serialised database. It is used
only when both digests match, when it and its folder belong to this user and no one else may
write to them, and when Hyperscan loads it for the same mode (its own check of version and
platform). Anything else (no file, a damaged, foreign or unreadable one, a folder that cannot be
written) compiles as without a cache, and replaces the file where it can: a miss costs time,
never a result. Whoever can write to this user's cache folder can also change the installed
program, so the checks keep out other users and damaged files, not the user's own account.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAGIC = b"exhunt-hyperscan/1\n"
MAX_BYTES = 64 * 1024 * 1024
_DIGEST = 32


def cache_dir() -> Path | None:
    """exhunt's cache folder (these databases, and the Sigma rule cache in its `sigma` folder),
    or None when caching is turned off. A relative `$XDG_CACHE_HOME` is ignored, as the XDG
    specification says."""
    chosen = os.environ.get("EXHUNT_CACHE", "").strip()
    if chosen:
        return None if chosen.lower() in {"off", "0", "no", "false"} else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "exhunt"


def turn_off() -> None:
    """No cache for the rest of this process and the workers it starts (`exhunt hunt --no-cache`):
    these databases and the Sigma rule cache, whatever `EXHUNT_SIGMA_CACHE` said."""
    os.environ["EXHUNT_CACHE"] = "off"
    os.environ["EXHUNT_SIGMA_CACHE"] = "off"


def key(hs: Any, mode: int, expressions: Sequence[bytes], ids: Sequence[int], flags: int | Sequence[int]) -> bytes:
    """The SHA-256 of what decides the compiled database."""
    every = [flags] * len(expressions) if isinstance(flags, int) else list(flags)
    h = hashlib.sha256()
    h.update(f"hyperscan {getattr(hs, '__version__', '?')} mode {mode}\n".encode())
    for expression, pattern_id, flag in zip(expressions, ids, every, strict=True):
        h.update(b"%d %d %d\n" % (pattern_id, flag, len(expression)))
        h.update(expression)
    return h.digest()


def database(
    hs: Any, expressions: Sequence[bytes], ids: Sequence[int], flags: int | Sequence[int], mode: int | None = None
) -> Any:
    """A block-mode database of these patterns, from the cache when a sound copy is there, else
    compiled (and kept for the next run)."""
    mode = hs.HS_MODE_BLOCK if mode is None else mode
    folder = cache_dir()
    digest = key(hs, mode, expressions, ids, flags) if folder is not None else b""
    if folder is not None:
        loaded = _load(hs, folder / f"{digest.hex()}.hsdb", digest, mode)
        if loaded is not None:
            return loaded
    db = hs.Database(mode=mode)
    db.compile(expressions=list(expressions), ids=list(ids), elements=len(expressions), flags=flags)
    if folder is not None:
        _store(folder, digest, hs.dumpb(db))
    return db


def private(st: os.stat_result) -> bool:
    """Owned by this user and writable by no one else (where the system says who owns files)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    return st.st_uid == getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read_entry(path: Path, magic: bytes, digest: bytes, max_bytes: int) -> bytes | None:
    """The payload of a cache entry (`magic`, the key's `digest`, the payload's SHA-256, the
    payload), or None unless the entry and its folder are this user's alone, it is a regular
    file reached without following a link, at most `max_bytes`, and both digests match."""
    try:
        if not private(path.parent.stat()):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or not private(st) or st.st_size > max_bytes:
                return None
            data = fh.read(max_bytes + 1)
        except OSError:
            return None
    head = len(magic) + 2 * _DIGEST
    if len(data) <= head or not data.startswith(magic):
        return None
    stored_key = data[len(magic) : len(magic) + _DIGEST]
    stored_sum = data[len(magic) + _DIGEST : head]
    payload = data[head:]
    if stored_key != digest or hashlib.sha256(payload).digest() != stored_sum:
        return None
    return payload


def write_entry(folder: Path, name: str, magic: bytes, digest: bytes, payload: bytes) -> None:
    """Write a cache entry atomically (a temporary file renamed over `name`); a folder that
    cannot be written, or that is not this user's alone, is left alone (a miss next time)."""
    with contextlib.suppress(OSError):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not private(folder.stat()):
            return
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".entry-")
        tmp = Path(temp)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(magic + digest + hashlib.sha256(payload).digest() + payload)
            tmp.replace(folder / name)
        except OSError:
            tmp.unlink(missing_ok=True)


def _load(hs: Any, path: Path, digest: bytes, mode: int) -> Any:
    payload = read_entry(path, MAGIC, digest, MAX_BYTES)
    if payload is None:
        return None
    try:
        db = hs.loadb(payload, mode)
        db.scratch = hs.Scratch(db)  # compiling allocates it; loading does not
    except Exception:  # any refusal of Hyperscan's (version, platform, damage) is a miss
        return None
    return db


def _store(folder: Path, digest: bytes, payload: bytes) -> None:
    write_entry(folder, f"{digest.hex()}.hsdb", MAGIC, digest, payload)
