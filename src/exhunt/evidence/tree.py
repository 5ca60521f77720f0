"""Listing what the user pointed at: a folder walked with `os.scandir`, or a container's directory,
and the containers found inside either (`expand_containers`), nested up to a depth bound.

All give the same flat listing of `Entry` (path components as stored, size, time, a `FileRef`),
packed as it is listed (`exhunt.evidence.entries`), so layout detection never cares where the
bytes live: a container's members are listed below the container's own name, as if it were a
folder. Nothing here writes, extracts or follows a link out of the evidence; every folder or
member that cannot be listed is recorded with the reason and the kind of problem.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from exhunt.evidence.base import FileRef
from exhunt.evidence.containers import (
    LIMITS,
    ContainerError,
    Limits,
    Member,
    container_suffix,
    open_container,
    unsupported_kind,
)
from exhunt.evidence.entries import Entries, Entry
from exhunt.model import ProblemKind

Progress = Callable[[int], None]
_PROGRESS_EVERY = 2000
_REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT: junctions must not be walked into (loops)


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


ListingProblem = tuple[tuple[str, ...], str, ProblemKind]


@dataclass(slots=True)
class Tree:
    """A listed folder or container: its entries, and the problems met while listing."""

    name: str  # the folder's or container's own name, for display and as a host-name fallback
    location: str  # absolute path on disk
    is_container: bool
    entries: Entries = field(default_factory=Entries)  # packed as listed
    # (path components as in `Entry.parts`, reason, kind): shown relative to the evidence root later.
    errors: list[ListingProblem] = field(default_factory=list)

    def error(self, parts: tuple[str, ...], message: str, kind: ProblemKind) -> None:
        self.errors.append((parts, message, kind))

    def read_prefix(self, entry: Entry, size: int) -> bytes:
        """The first `size` bytes of a file, for sniffing its format. Raises OSError."""
        with entry.ref.open() as fh:
            return fh.read(size)


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
    tree = Tree(name=Path(root).name or root, location=root, is_container=False)
    readable = _readable_check()
    seen_dirs: set[tuple[int, int]] = set()
    stack: list[tuple[str, tuple[str, ...]]] = [(root, ())]
    while stack:
        folder, parts = stack.pop()
        try:
            st = os.stat(folder)  # noqa: PTH116 - a pathlib object per folder cost more than the stat
            key = (st.st_dev, st.st_ino)
            if st.st_ino and key in seen_dirs:
                continue
            seen_dirs.add(key)
            with os.scandir(folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            tree.error(parts, f"cannot list folder: {exc.strerror or exc}", ProblemKind.UNREADABLE)
            continue
        subfolders: list[tuple[str, tuple[str, ...]]] = []
        start = os.path.join(folder, "")  # noqa: PTH118 - what `scandir` puts before each name
        for child in children:
            try:
                cst = child.stat(follow_symlinks=False)
            except OSError as exc:
                tree.error(
                    (*parts, child.name), f"cannot read file details: {exc.strerror or exc}", ProblemKind.UNREADABLE
                )
                continue
            mode = cst.st_mode
            attributes = getattr(cst, "st_file_attributes", 0)
            if stat.S_ISLNK(mode) or (attributes & _REPARSE_POINT and stat.S_ISDIR(mode)):
                _linked(tree, child.path, (*parts, child.name), root, counter, readable)
                continue
            if stat.S_ISDIR(mode):
                if max_depth is None or len(parts) < max_depth - 1:
                    subfolders.append((child.path, (*parts, child.name)))
            elif stat.S_ISREG(mode):
                if not readable(child.path):
                    tree.error((*parts, child.name), "cannot read file: permission denied", ProblemKind.UNREADABLE)
                    continue
                # Packed as listed: the folder's components and path start are shared by its files.
                tree.entries.add(parts, child.name, start, cst.st_size, cst.st_mtime)
                counter.tick()
            else:
                tree.error(
                    (*parts, child.name),
                    "not a regular file (device, pipe or socket); not read",
                    ProblemKind.UNSUPPORTED,
                )
        stack.extend(reversed(subfolders))
    return tree


def list_file(path: str, *, counter: Counter) -> Tree:
    """One file that is not an archive (a log, an event export, a page) as a listing of its own:
    its name is the one entry, its stem the host-name fallback. Raises OSError."""
    real = Path(os.path.realpath(path))
    st = real.stat()
    tree = Tree(name=real.stem or real.name, location=str(real.parent), is_container=False)
    tree.entries.append(Entry((real.name,), FileRef(str(real)), st.st_size, st.st_mtime))
    counter.tick()
    return tree


def _linked(
    tree: Tree, path: str, parts: tuple[str, ...], root: str, counter: Counter, readable: Callable[[str], bool]
) -> None:
    """A symbolic link or junction: a file inside the evidence is listed, nothing else is followed."""
    try:
        target = os.path.realpath(path)
        tst = Path(path).stat()
    except OSError as exc:
        tree.error(parts, f"broken link, not followed: {exc.strerror or exc}", ProblemKind.UNREADABLE)
        return
    if not _inside(target, root):
        tree.error(parts, f"link points outside the evidence ({target}); not followed", ProblemKind.UNSUPPORTED)
        return
    if stat.S_ISREG(tst.st_mode) and readable(path):
        tree.entries.append(Entry(parts, FileRef(target), tst.st_size, tst.st_mtime))
        counter.tick()
    elif stat.S_ISDIR(tst.st_mode):
        tree.error(parts, "link to a folder inside the evidence; listed at its own place only", ProblemKind.MALFORMED)
    else:
        tree.error(parts, "link to something that is not a readable file; not read", ProblemKind.UNREADABLE)


def list_container(path: str, *, counter: Counter, limits: Limits = LIMITS) -> Tree:
    """List a container's members in place (never extracted), and the containers inside it.
    Raises ContainerError when the container itself cannot be read."""
    location = os.path.realpath(path)
    archive = open_container(location, (), limits)
    tree = Tree(name=Path(location).name, location=location, is_container=True)
    budget = Budget(limits)
    _list_members(tree, archive.members(limits), (), location, (), counter, budget)
    expand_containers(tree, counter=counter, budget=budget)
    return tree


@dataclass(slots=True)
class Budget:
    """What the containers of one evidence path may still cost."""

    limits: Limits = LIMITS
    members: int = 0
    total_bytes: int = 0
    stopped: bool = False


def expand_containers(tree: Tree, *, counter: Counter, budget: Budget | None = None) -> None:
    """List the members of every container among `tree`'s entries below the container's own name,
    and of containers inside those, up to `limits.max_depth`. A container that cannot be read,
    a format exhunt does not read, or a bound met is recorded as a problem with its path; the
    container itself stays an entry (a file) either way."""
    budget = budget or Budget()
    limits = budget.limits
    index = 0
    entries = tree.entries
    while index < len(entries):
        name = entries.name(index).lower()
        at = index
        index += 1
        what = unsupported_kind(name)
        if what is None and container_suffix(name) is None:
            continue
        entry = entries[at]
        if what is not None:
            tree.error(
                entry.parts, f"{what}: exhunt cannot read it; its content is not hunted", ProblemKind.UNSUPPORTED
            )
            continue
        outer: tuple[str, ...] = ()
        if entry.ref.archive is None:
            archive = entry.ref.path
        else:
            archive, outer = entry.ref.archive, (*entry.ref.outer, entry.ref.path)
        depth = len(outer) + 1
        if depth > limits.max_depth:
            tree.error(
                entry.parts,
                f"archive nested {depth} deep, beyond the bound of {limits.max_depth}; its content is not hunted",
                ProblemKind.LIMIT,
            )
            continue
        if budget.stopped:
            tree.error(entry.parts, "archive not opened: the bound on members or bytes was met", ProblemKind.LIMIT)
            continue
        try:
            members = list(open_container(archive, outer, limits).members(limits))
        except ContainerError as exc:
            tree.error(entry.parts, str(exc), exc.kind)
            continue
        except OSError as exc:
            tree.error(entry.parts, f"cannot read archive: {exc}", ProblemKind.UNREADABLE)
            continue
        entries.mark_container(at)
        _list_members(tree, iter(members), entry.parts, archive, outer, counter, budget)


def _list_members(
    tree: Tree,
    members: Iterator[Member],
    above: tuple[str, ...],
    archive: str,
    outer: tuple[str, ...],
    counter: Counter,
    budget: Budget,
) -> None:
    limits = budget.limits
    for member in members:
        raw = member.name
        raw_parts = raw.replace("\\", "/").split("/")
        parts = tuple(p for p in raw_parts if p not in ("", ".", ".."))
        if not parts:
            kind, why = member.problem or (ProblemKind.UNREADABLE, "archive member without a usable name; not read")
            tree.error((*above, raw or "(no name)"), why, kind)
            continue
        shown = (*above, *parts)
        if member.problem is not None:
            kind, message = member.problem
            tree.error(shown, message, kind)
            if kind is ProblemKind.LIMIT and member.compressed is None:
                return  # a stream-wide bound (a compressed tar): nothing after this point is listed
            continue
        budget.members += 1
        budget.total_bytes += member.size
        if budget.members > limits.max_members or budget.total_bytes > limits.max_total_bytes:
            budget.stopped = True
            tree.error(
                shown,
                f"archives hold more than {limits.max_members:,} members or {limits.max_total_bytes:,} bytes "
                "in all; this member and the rest are not listed (an archive bomb?)",
                ProblemKind.LIMIT,
            )
            return
        absolute = raw_parts[0] == "" or (len(raw_parts[0]) == 2 and raw_parts[0][1] == ":")
        if ".." in raw_parts or absolute:
            tree.error(
                shown,
                f"archive member name {raw!r} climbs out of the archive; read in place and shown as {'/'.join(shown)!r}",
                ProblemKind.MALFORMED,
            )
        entry = Entry(shown, FileRef(raw, archive, outer), member.size, member.mtime, stray=absolute and not above)
        tree.entries.append(entry)
        counter.tick()
