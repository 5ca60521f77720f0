"""Rule files' TOML, parsed once and kept between runs as JSON: every command that loads the
catalog (a hunt, `exhunt rules`, each Dask worker) parsed the same 130 KB of shipped rules again,
about 40 ms of CPU with Python's `tomllib`, where reading them back as JSON takes under 1 ms.

An entry lives in exhunt's cache folder (`exhunt.hscache.cache_dir`, in its `toml` folder), named
by the SHA-256 of the TOML text, a private cache entry (`cachefile.py`) that repeats that
digest beside the SHA-256 of its JSON. It is
used only when both match and when it and its folder belong to this user and no one else may
write to them, as the Hyperscan cache is. Only documents that JSON gives back exactly are kept
(a TOML date, a NaN or an integer past 64 bits is parsed every time). Anything else (no entry, a
damaged or foreign one, a folder that cannot be written) parses the text as without a cache: a
miss costs time, never a result. Every miss but an absent entry, and an entry that could not be
written, is noted for the hunt's cache notice (`cachefile.note`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from exhunt import boundedtoml, cachefile
from exhunt.hscache import cache_dir

MAGIC = b"exhunt-toml"
FORMAT = 2  # 1: the key and checksum as raw bytes before the JSON, read by no one now
MAX_BYTES = 16 * 1024 * 1024


def loads(text: str) -> dict[str, Any]:
    """`boundedtoml.loads(text)`, from the cache when a sound entry is there (raises
    `tomllib.TOMLDecodeError` as it does; a document that does not parse is never kept)."""
    folder = cache_dir()
    if folder is None:
        return boundedtoml.loads(text)
    folder = folder / "toml"
    digest = hashlib.sha256(MAGIC + text.encode("utf-8", "surrogatepass")).hexdigest()
    path = folder / f"{digest}.json"
    kept = _load(path, digest)
    if kept is not None:
        return kept
    doc = boundedtoml.loads(text)
    try:
        payload = orjson.dumps(doc)
    except orjson.JSONEncodeError:  # an integer past 64 bits
        return doc
    if orjson.loads(payload) == doc:  # dates come back as strings, NaN as null: not kept
        _store(path, digest, payload)
    return doc


def _load(path: Path, digest: str) -> dict[str, Any] | None:
    payload = cachefile.read(path, MAGIC, FORMAT, digest, MAX_BYTES)
    if isinstance(payload, cachefile.Miss):
        if payload.reason != cachefile.ABSENT:  # a first run is no news
            cachefile.note(f"rule TOML cache {path.parent}: {payload.describe()}; parsed again", path)
        return None
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        cachefile.note(f"rule TOML cache {path.parent}: not JSON ({exc}); parsed again", path)
        return None
    if not isinstance(doc, dict):
        cachefile.note(f"rule TOML cache {path.parent}: not a table; parsed again", path)
        return None
    return doc


def _store(path: Path, digest: str, payload: bytes) -> None:
    """Write the entry atomically; a folder that cannot be written, or that is not this user's
    alone, is left alone (noted; a miss next time)."""
    try:
        cachefile.write(path, MAGIC, FORMAT, digest, payload)
    except OSError as exc:
        cachefile.note(f"rule TOML cache {path.parent}: not written ({exc.strerror or exc})", path)
