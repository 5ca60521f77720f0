"""Listing what the user pointed at: a folder walked with `os.scandir`, or a zip's directory.

Both give the same flat list of `Entry` (path components as stored, size, time, a `FileRef`),
so layout detection never cares where the bytes live. Nothing here writes, extracts or follows
a link out of the evidence; every folder or member that cannot be listed is recorded with the
reason.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from exhunt.evidence.base import FileRef
from exhunt.evidence.safe_open import open_evidence

Progress = Callable[[int], None]
_PROGRESS_EVERY = 2000
_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: junctions must not be walked into (loops)
# zipfile reads these; anything else (Deflate64, PPMd...) would fail on open.
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})


@dataclass(slots=True)
class Entry:
    """One file: its path components relative to the listing root, as stored."""

    parts: tuple[str, ...]
    ref: FileRef
    size: int
    mtime: datetime | None


class Counter:
    """Files listed so far, reported to the caller's progress callback now and then."""

    def __init__(self, on_progress: Progress | None) -> None:
        self.on_progress = on_progress
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.on_progress is not None and self.count % _PROGRESS_EVERY == 0:
            self.on_progress(self.count)

    def done(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.count)


@dataclass(slots=True)
class Tree:
    """A listed folder or zip: its entries, and the problems met while listing."""

    name: str  # the folder's or zip's own name, for display and as a host-name fallback
    location: str  # absolute path on disk
    is_zip: bool
    entries: list[Entry] = field(default_factory=list)
    # (path components as in `Entry.parts`, reason): shown relative to the evidence root later.
    errors: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    _zip: zipfile.ZipFile | None = None

    def read_prefix(self, entry: Entry, size: int) -> bytes:
        """The first `size` bytes of a file, for sniffing its format. Raises OSError."""
        if self._zip is not None:
            try:
                with self._zip.open(entry.ref.path, "r") as member:
                    return member.read(size)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
                raise OSError(f"cannot read zip member: {exc}") from exc
        with open_evidence(entry.ref.path) as fh:
            return fh.read(size)

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def _mtime(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives on Windows
        return False


def _readable_check() -> Callable[[str], bool]:
    """Whether listing should test each file for read access (cheap, and meaningful off root)."""
    geteuid = getattr(os, "geteuid", None)
    if os.name != "posix" or geteuid is None or geteuid() == 0:
        return lambda _path: True
    return lambda path: os.access(path, os.R_OK)


def list_folder(root: str, *, counter: Counter, max_depth: int | None = None) -> Tree:
    """Walk `root` without following links out of it; `max_depth` limits how many folders down."""
    root = os.path.realpath(root)
    tree = Tree(name=Path(root).name or root, location=root, is_zip=False)
    readable = _readable_check()
    seen_dirs: set[tuple[int, int]] = set()
    stack: list[tuple[str, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            st = Path(folder).stat()
            key = (st.st_dev, st.st_ino)
            if st.st_ino and key in seen_dirs:
                continue
            seen_dirs.add(key)
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            tree.errors.append((parts, f"cannot list folder: {exc.strerror or exc}"))
            continue
        subfolders: list[tuple[str, tuple[str, ...]]] = []
        for child in children:
            child_parts = (*parts, child.name)
            try:
                cst = child.stat(follow_symlinks=False)
            except OSError as exc:
                tree.errors.append((child_parts, f"cannot read file details: {exc.strerror or exc}"))
                continue
            mode = cst.st_mode
            attributes = getattr(cst, "st_file_attributes", 0)
            if stat.S_ISLNK(mode) or (attributes & _REPARSE_POINT and stat.S_ISDIR(mode)):
                _linked(tree, child.path, child_parts, root, counter, readable)
                continue
            if stat.S_ISDIR(mode):
                if max_depth is None or len(child_parts) < max_depth:
                    subfolders.append((child.path, child_parts))
            elif stat.S_ISREG(mode):
                if not readable(child.path):
                    tree.errors.append((child_parts, "cannot read file: permission denied"))
                    continue
                ref = FileRef(child.path)
                tree.entries.append(Entry(child_parts, ref, cst.st_size, _mtime(cst.st_mtime)))
                counter.tick()
            else:
                tree.errors.append((child_parts, "not a regular file (device, pipe or socket); not read"))
        stack.extend(reversed(subfolders))
    return tree


def _linked(
    tree: Tree, path: str, parts: tuple[str, ...], root: str, counter: Counter, readable: Callable[[str], bool]
) -> None:
    """A symbolic link or junction: a file inside the evidence is listed, nothing else is followed."""
    try:
        target = os.path.realpath(path)
        tst = Path(path).stat()
    except OSError as exc:
        tree.errors.append((parts, f"broken link, not followed: {exc.strerror or exc}"))
        return
    if not _inside(target, root):
        tree.errors.append((parts, f"link points outside the evidence ({target}); not followed"))
        return
    if stat.S_ISREG(tst.st_mode) and readable(path):
        tree.entries.append(Entry(parts, FileRef(target), tst.st_size, _mtime(tst.st_mtime)))
        counter.tick()
    elif stat.S_ISDIR(tst.st_mode):
        tree.errors.append((parts, "link to a folder inside the evidence; listed at its own place only"))
    else:
        tree.errors.append((parts, "link to something that is not a readable file; not read"))


def list_zip(path: str, *, counter: Counter) -> Tree:
    """List a zip's members in place (never extracted). Raises OSError/BadZipFile when unreadable."""
    location = os.path.realpath(path)
    archive = zipfile.ZipFile(location, "r")
    tree = Tree(name=Path(location).name, location=location, is_zip=True, _zip=archive)
    try:
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        archive.close()
        raise zipfile.BadZipFile(str(exc)) from exc
    last_of_name: dict[str, int] = {}
    for index, info in enumerate(infos):
        last_of_name[info.filename] = index
    for index, info in enumerate(infos):
        name = info.filename
        if name.endswith(("/", "\\")) or info.is_dir():
            continue
        raw_parts = name.replace("\\", "/").split("/")
        parts = tuple(p for p in raw_parts if p not in ("", ".", ".."))
        shown = parts
        if not parts:
            tree.errors.append(((name,), "zip member without a usable name; not read"))
            continue
        if ".." in raw_parts or raw_parts[0] == "" or (len(raw_parts[0]) == 2 and raw_parts[0][1] == ":"):
            tree.errors.append(
                (
                    shown,
                    f"zip member name {name!r} climbs out of the archive; read in place "
                    f"and shown as {'/'.join(parts)!r}",
                )
            )
        if last_of_name[name] != index:
            tree.errors.append((shown, "zip holds this name twice; only the last copy can be read"))
            continue
        if info.flag_bits & 0x1:
            tree.errors.append((shown, "encrypted zip member; cannot be read without the password"))
            continue
        if info.compress_type not in _ZIP_METHODS:
            tree.errors.append((shown, f"zip compression method {info.compress_type} is not supported; not read"))
            continue
        tree.entries.append(Entry(parts, FileRef(name, archive=location), info.file_size, _zip_time(info)))
        counter.tick()
    return tree


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    # Zip times carry no zone; they are given as UTC, like every time in exhunt.
    try:
        return datetime(*info.date_time, tzinfo=UTC)
    except (TypeError, ValueError):
        return None
