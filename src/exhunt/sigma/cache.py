"""The compiled form of a Sigma rule set, kept on disk between hunts.

Reading SigmaHQ's Windows rules with pySigma costs seconds per hunt; what comes out of it is
plain data (each file's rules with their metadata and conditions in the form of `plain.py`, and
the rules it rejected or left aside, with the reasons). This module keeps that data in one JSON
file per rule set (the paths given and the level mapping) under the `sigma` folder of exhunt's
cache folder (`hscache.cache_dir`: `$EXHUNT_CACHE`, else `$XDG_CACHE_HOME/exhunt`, else
`~/.cache/exhunt`); `EXHUNT_SIGMA_CACHE=off` (or `EXHUNT_CACHE=off`) turns it off,
`EXHUNT_SIGMA_CACHE=DIR` puts it elsewhere. Both files (the rules, and the serialized prefilter
databases beside them) are private cache entries (`cachefile.py`, the format every exhunt cache
shares): read only from a file that is this user's and writable by no one else, as `hscache`
does.

Nothing in it is trusted blindly. A file's entry is used only for the same path with the same
SHA-256 of its bytes, under the same key: the cache format, exhunt's version, the source of the
`sigma` package and its data (the compiler and the logsource mapping), pySigma's version and the
level mapping in force. The body carries its own SHA-256; a file that does not read, does not
match it, is another user's, or holds an entry of the wrong shape is a miss (the load notice
says which): the rules are read from their files again and the cache is written anew (to a
temporary file renamed over the old one, so a reader never sees half of it). Never pickle: the
file is data, never code.

Each time a cache file is written, the folder is pruned (`prune`): cache files written by
another build (another exhunt version, engine source, pySigma or cache format) are removed, and
temporary files a stopped writer left more than an hour ago. Only this module's own files go:
names of its own shapes, regular files owned by this user, looked at through the folder's own
descriptor without following links; a file of this build (another rule set's) is kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import orjson

from exhunt import __version__, cachefile, hscache

FORMAT = 2
ENV = "EXHUNT_SIGMA_CACHE"
_OFF = frozenset({"0", "off", "no", "false"})
_MAGIC = b"exhunt-sigma-cache"
_OWN_NAME = re.compile(r"[0-9a-f]{32}\.(?:json|databases)")  # RuleCache.open names them so
_TEMP_NAME = re.compile(r"\.tmp-[A-Za-z0-9_]+\.(?:json|databases)")  # cachefile.write's temporary files
_TEMP_AGE = 3600.0  # seconds: a temporary file older than this has no writer any more
MAX_BYTES = 1024 * 1024 * 1024  # a cache file past this is not read (every SigmaHQ rule: about 30 MB)


def cache_dir() -> Path | None:
    """Where rule sets are cached, or None when caching is off: `$EXHUNT_SIGMA_CACHE`, else the
    `sigma` folder of exhunt's cache folder (`hscache.cache_dir`, off with `EXHUNT_CACHE=off`)."""
    setting = os.environ.get(ENV, "").strip()
    if setting.lower() in _OFF:
        return None
    if setting:
        return Path(setting)
    root = hscache.cache_dir()
    return None if root is None else root / "sigma"


def _code_digest() -> str:
    """The source of the compiler and its data: a changed engine never reads an old cache."""
    digest = hashlib.sha256()
    root = resources.files("exhunt")
    for folder in (root / "sigma", root / "data" / "sigma"):
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_file() and item.name.endswith((".py", ".toml")):
                digest.update(item.name.encode() + b"\0" + item.read_bytes() + b"\0")
    return digest.hexdigest()


def build_key() -> str:
    """What the cache files of this build share, whatever the rule set and level mapping:
    a file of another build is of no use to it (`prune`)."""
    parts = {"format": FORMAT, "exhunt": __version__, "code": _code_digest(), "pysigma": metadata.version("pysigma")}
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


def cache_key(levels: Mapping[str, Any]) -> str:
    parts = {"build": build_key(), "levels": levels}
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)).hexdigest()


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class RuleCache:
    """The cached entries of one rule set, as read; `put` what was read anew, then `save`."""

    path: Path
    key: str
    build: str = ""
    entries: dict[str, Any] = field(default_factory=dict)
    note: str = ""  # how the cache was found, for the load notice
    changed: bool = False
    used: int = 0

    @classmethod
    def open(
        cls, folder: Path, paths: tuple[str, ...], levels_file: str | None, key: str, build: str = ""
    ) -> RuleCache:
        given = [str(Path(p).absolute()) for p in paths]
        name = hashlib.sha256(orjson.dumps([given, str(Path(levels_file).absolute()) if levels_file else None]))
        cache = cls(folder / f"{name.hexdigest()[:32]}.json", key, build or build_key())
        cache.entries, cache.note = _read(cache.path, key)
        return cache

    def get(self, where: str, digest: str) -> Any:
        """The entry of one rule file, or None; the caller checks its shape as it uses it."""
        entry = self.entries.get(where)
        if isinstance(entry, dict) and entry.get("sha256") == digest:
            return entry
        return None

    def put(self, where: str, entry: dict[str, Any]) -> None:
        self.entries[where] = entry
        self.changed = True

    def drop(self, where: str) -> None:
        """An entry that proved of the wrong shape: read its file anew."""
        self.entries.pop(where, None)
        self.changed = True
        self.note = "a cached entry was unusable; rebuilt"

    @property
    def databases_path(self) -> Path:
        return self.path.with_suffix(".databases")

    def databases(self, tag: str) -> dict[str, bytes]:
        """The serialized prefilter databases kept beside the rules (`prefilter.DatabaseStore`),
        under the same key and `tag` (hyperscan's version and the machine: a database is
        compiled for one); none when absent, stale or damaged."""
        entries, _ = _read(self.databases_path, f"{self.key}/{tag}")
        out: dict[str, bytes] = {}
        for name, text in entries.items():
            if not isinstance(text, str):
                return {}
            try:
                out[name] = base64.b64decode(text, validate=True)
            except binascii.Error:
                return {}
        return out

    def save_databases(self, tag: str, known: Mapping[str, bytes]) -> None:
        body = orjson.dumps({name: base64.b64encode(blob).decode("ascii") for name, blob in known.items()})
        _write(self.databases_path, f"{self.key}/{tag}", body, self.build)

    def save(self, files: set[str]) -> str:
        """Write the entries of `files` (those of this load) when anything changed; what
        happened, for the load notice."""
        if not self.changed and set(self.entries) == files:
            return self.note
        _write(self.path, self.key, orjson.dumps({w: e for w, e in self.entries.items() if w in files}), self.build)
        note = self.note or "written"
        removed = prune(self.path.parent, self.build)
        return note + (f"; {removed} stale cache file(s) removed" if removed else "")


def _write(path: Path, key: str, body: bytes, build: str) -> None:
    """The file written whole or not at all (`cachefile.write`: a temporary file renamed over it)."""
    cachefile.write(path, _MAGIC, FORMAT, key, body, build)


_NOTES = {
    cachefile.ABSENT: "built",
    cachefile.FOREIGN: "not this user's alone (another owner, others may write, or a link); rebuilt",
    cachefile.UNREADABLE: "unreadable; rebuilt",
    cachefile.STALE: "stale (other version, engine or level mapping); rebuilt",
    cachefile.DAMAGED: "damaged (checksum); rebuilt",
}


def _read(path: Path, key: str) -> tuple[dict[str, Any], str]:
    """The entries of a cache file, or none (with the reason) when it is absent, not this
    user's alone, of another key, damaged or not of the expected shape."""
    body = cachefile.read(path, _MAGIC, FORMAT, key, MAX_BYTES)
    if isinstance(body, cachefile.Miss):
        note = _NOTES.get(body.reason)
        return {}, note if note is not None else f"{body.reason} ({body.detail}); rebuilt"
    try:
        entries = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}, "unreadable; rebuilt"
    if not isinstance(entries, dict):
        return {}, "unreadable; rebuilt"
    return entries, "used"


def prune(folder: Path, build: str) -> int:
    """Remove from `folder` the cache files of another build, and temporary files older than
    an hour; how many went. Only regular files of this module's names, owned by this user, are
    looked at, through the folder's descriptor (a name that is a link is left alone, as is a
    folder that is a link or that others may write). A file that cannot be read or removed is
    left: pruning saves space, it never decides a result."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return 0
    removed = 0
    try:
        if not cachefile.private(os.fstat(fd)):
            return 0
        with os.scandir(fd) as entries:
            names = [e.name for e in entries]
        now = time.time()
        for name in names:
            temporary = _TEMP_NAME.fullmatch(name) is not None
            if not temporary and _OWN_NAME.fullmatch(name) is None:
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode) or not cachefile.private(st):
                    continue
                if temporary:
                    stale = now - st.st_mtime > _TEMP_AGE
                else:
                    stale = _stale(fd, name, build)
                if stale:
                    os.unlink(name, dir_fd=fd)
                    removed += 1
            except OSError:
                continue
    finally:
        os.close(fd)
    return removed


def _stale(folder_fd: int, name: str, build: str) -> bool:
    """Whether a file is a cache file of this module (its magic line) of another build: an
    older format, or a header naming another build. A file without the magic line is not this
    module's, whatever its name, and stays; one of ours whose header does not read goes (a load
    would rebuild it anyway)."""
    header = cachefile.read_header(folder_fd, name, _MAGIC)
    if header is None:
        return False
    return header.get("format") != FORMAT or header.get("build") != build
