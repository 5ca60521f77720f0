"""Compiled Hyperscan databases kept between runs: a hunt need not compile the same patterns at
every start (a log kind's prefilter takes 50-60 ms, loading it back well under 1 ms).

A database is kept in the user's cache folder (`$EXHUNT_CACHE`, else `$XDG_CACHE_HOME/exhunt`,
else `~/.cache/exhunt`; `EXHUNT_CACHE=off` keeps nothing), in a file named by the SHA-256 of
everything that decides it: the Hyperscan version, the mode, and each pattern with its id and
flags. The file is a private cache entry (`cachefile.py`, the format every exhunt cache shares):
it repeats that digest and holds the SHA-256 of the serialised database. It is used only when
both digests match, when it and its folder belong to this user and no one else may write to
them, and when Hyperscan loads it for the same mode (its own check of version and platform).
Anything else (no file, a damaged, foreign or unreadable one, a folder that cannot be written)
compiles as without a cache, and replaces the file where it can: a miss costs time, never a
result. Every miss but an absent file, and a file that could not be written, is noted for the
hunt's cache notice (`cachefile.note`). Whoever can write to this user's cache folder can also change the installed program, so
the checks keep out other users and damaged files, not the user's own account.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exhunt import cachefile

MAGIC = b"exhunt-hyperscan"
FORMAT = 2  # 1: the key and checksum as raw bytes before the database, read by no one now
MAX_BYTES = 64 * 1024 * 1024


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


def _load(hs: Any, path: Path, digest: bytes, mode: int) -> Any:
    payload = cachefile.read(path, MAGIC, FORMAT, digest.hex(), MAX_BYTES)
    if isinstance(payload, cachefile.Miss):
        if payload.reason != cachefile.ABSENT:  # a first run is no news
            cachefile.note(f"Hyperscan database cache {path.parent}: {payload.describe()}; compiled again", path)
        return None
    try:
        db = hs.loadb(payload, mode)
        db.scratch = hs.Scratch(db)  # compiling allocates it; loading does not
    except Exception as exc:  # any refusal of Hyperscan's (version, platform, damage) is a miss
        cachefile.note(f"Hyperscan database cache {path.parent}: refused by Hyperscan ({exc!r}); compiled again", path)
        return None
    return db


def _store(folder: Path, digest: bytes, payload: bytes) -> None:
    """Keep the database; a folder that cannot be written, or that is not this user's alone, is
    left alone (noted; a miss next time)."""
    path = folder / f"{digest.hex()}.hsdb"
    try:
        cachefile.write(path, MAGIC, FORMAT, digest.hex(), payload)
    except OSError as exc:
        cachefile.note(f"Hyperscan database cache {folder}: not written ({exc.strerror or exc})", path)
