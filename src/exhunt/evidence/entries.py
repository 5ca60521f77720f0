"""`Entries`: a tree's listing packed as it is walked, each `Entry` made again only when asked.

The layout of a collection is decided on the whole tree, so its listing is held whole until the
hosts are made. As objects an entry cost about 560 bytes (its path's components, its name, a
`FileRef` and its path on disk, its size and time), and the layout's tables as much again per
file, so the process listing a tree grew by about 1.1 KB a file. Packed, the entries of one
folder share its components and the start of their paths on disk (or in their container), and
an entry is its name in one UTF-8 buffer and a few bytes in arrays; the layout reads the names
and folders from here (`RelPaths`), converting each folder's components once.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import overload

from exhunt.evidence.base import FileRef

_CONTAINER = 1
_STRAY = 2


@dataclass(slots=True)
class Entry:
    """One file: its path components relative to the listing root, as stored."""

    parts: tuple[str, ...]
    ref: FileRef
    size: int
    mtime: datetime | float | None  # a float as the file system gives it: seconds since 1970, UTC
    container: bool = False  # a container whose members are listed below its own name
    # A member stored under an absolute name (`C:/Windows/Temp/x.txt`, `/etc/x`): it says where it
    # came from, and it takes no part in deciding the layout of the collection around it.
    stray: bool = False


# What the entries of one folder share: the folder's components, the start of their paths on
# disk or in their container (their path less their name), the container and those around it.
Group = tuple[tuple[str, ...], str, str | None, tuple[str, ...]]


class Entries(Sequence[Entry]):
    """Entries in the order appended, each equal to the one appended (but for `mark_container`)."""

    __slots__ = (
        "_ends",
        "_flags",
        "_group",
        "_group_at",
        "_groups",
        "_names",
        "_odd_refs",
        "_odd_times",
        "_sizes",
        "_times",
    )

    def __init__(self) -> None:
        self._groups: list[Group] = []
        self._group_at: dict[Group, int] = {}
        self._group = array("I")  # each entry's group
        self._names = bytearray()  # each entry's name, UTF-8, one after another
        self._ends = array("Q")  # where each name ends in `_names`
        self._sizes = array("q")
        self._times = array("d")  # NaN: the time is in `_odd_times`
        self._odd_times: dict[int, datetime | float | None] = {}
        self._flags = bytearray()
        # Paths that are not their group's start and their name (a link's target): kept whole.
        self._odd_refs: dict[int, str] = {}

    def append(self, entry: Entry) -> None:
        parts, ref = entry.parts, entry.ref
        name = parts[-1]
        path = ref.path
        odd = not path.endswith(name)
        start = "" if odd else path[: len(path) - len(name)]
        self.add(parts[:-1], name, start, entry.size, entry.mtime, path if odd else None, ref.archive, ref.outer)
        if entry.container or entry.stray:
            self._flags[-1] = (_CONTAINER if entry.container else 0) | (_STRAY if entry.stray else 0)

    def add(
        self,
        folder: tuple[str, ...],
        name: str,
        start: str,
        size: int,
        mtime: datetime | float | None,
        path: str | None = None,
        archive: str | None = None,
        outer: tuple[str, ...] = (),
        stray: bool = False,
    ) -> None:
        """An entry given by its parts, not made: `folder` and `name` its components, its path
        `start + name` in `archive` (or `path` where it is not)."""
        n = len(self._ends)
        if path is not None:
            self._odd_refs[n] = path
        key: Group = (folder, start, archive, outer)
        last = self._groups[self._group[-1]] if n else None
        if last is not None and last[0] is folder and last[1] == start and last[2] == archive and last[3] == outer:
            at = self._group[-1]  # a folder's files come one after another
        else:
            got = self._group_at.get(key)
            if got is None:
                got = self._group_at[key] = len(self._groups)
                self._groups.append(key)
            at = got
        self._group.append(at)
        self._names += name.encode("utf-8", "surrogatepass")  # any name Python gave back
        self._ends.append(len(self._names))
        self._sizes.append(size)
        if isinstance(mtime, float) and not math.isnan(mtime):
            self._times.append(mtime)
        else:
            self._odd_times[n] = mtime
            self._times.append(math.nan)
        self._flags.append(_STRAY if stray else 0)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if isinstance(index, slice):
            return [self._entry(n) for n in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("entry index out of range")
        return self._entry(index)

    def __iter__(self) -> Iterator[Entry]:
        for n in range(len(self._ends)):
            yield self._entry(n)

    def _entry(self, n: int) -> Entry:
        folder, start, archive, outer = self._groups[self._group[n]]
        name = self.name(n)
        path = self._odd_refs.get(n)
        time = self._times[n]
        flags = self._flags[n]
        return Entry(
            (*folder, name),
            FileRef(start + name if path is None else path, archive, outer),
            self._sizes[n],
            self._odd_times.get(n) if math.isnan(time) else time,
            bool(flags & _CONTAINER),
            bool(flags & _STRAY),
        )

    def name(self, n: int) -> str:
        """Entry `n`'s own name (its last component), without making the entry."""
        start = self._ends[n - 1] if n else 0
        return self._names[start : self._ends[n]].decode("utf-8", "surrogatepass")

    def group(self, n: int) -> int:
        """Entry `n`'s group: the same number for the entries of one folder."""
        return self._group[n]

    def folder(self, group: int) -> tuple[str, ...]:
        """The components of a group's folder (an entry's components less its name)."""
        return self._groups[group][0]

    def folder_of(self, n: int) -> tuple[str, ...]:
        return self._groups[self._group[n]][0]

    def is_container(self, n: int) -> bool:
        return bool(self._flags[n] & _CONTAINER)

    def is_stray(self, n: int) -> bool:
        return bool(self._flags[n] & _STRAY)

    def mark_container(self, n: int) -> None:
        """Entry `n` is a container whose members are listed below its own name."""
        self._flags[n] |= _CONTAINER

    def __repr__(self) -> str:
        return f"Entries({list(self)!r})"


class Picked(Sequence[Entry]):
    """Some of a listing's entries, by their positions in it (`at`), each made when asked."""

    __slots__ = ("at", "entries")

    def __init__(self, entries: Entries, at: Sequence[int]) -> None:
        self.entries = entries
        self.at = at

    def __len__(self) -> int:
        return len(self.at)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if isinstance(index, slice):
            return [self.entries[n] for n in self.at[index]]
        return self.entries[self.at[index]]

    def __iter__(self) -> Iterator[Entry]:
        made = self.entries._entry  # positions given by the listing itself: no check each
        for n in self.at:
            yield made(n)


class RelPaths(Sequence[tuple[str, ...]]):
    """Each picked entry's components below the first `depth`, decoded where `decodes` says its
    folder's are (a function of those components below `depth`) and lower-cased when asked:
    made when asked, each folder's converted once, so no tuple per file is held."""

    __slots__ = ("_at", "_convert", "_decode", "_decodes", "_depth", "_entries", "_folders", "_lower")

    def __init__(
        self,
        picked: Picked,
        depth: int,
        decode: Callable[[str], str],
        decodes: Callable[[tuple[str, ...]], bool],
        lower: bool,
    ) -> None:
        self._entries = picked.entries
        self._at = picked.at
        self._depth = depth
        self._decode = decode
        self._decodes = decodes
        self._lower = lower
        self._folders: dict[int, tuple[tuple[str, ...], bool]] = {}  # by group: (components, names decode)

    def __len__(self) -> int:
        return len(self._at)

    def _folder(self, group: int) -> tuple[tuple[str, ...], bool]:
        got = self._folders.get(group)
        if got is None:
            rel = self._entries.folder(group)[self._depth :]
            decodes = self._decodes(rel)
            if decodes:
                rel = tuple(map(self._decode, rel))
            if self._lower:
                rel = tuple(map(str.lower, rel))
            got = self._folders[group] = (rel, decodes)
        return got

    def _path(self, n: int) -> tuple[str, ...]:
        folder, decodes = self._folder(self._entries.group(n))
        name = self._entries.name(n)
        if decodes:
            name = self._decode(name)
        return (*folder, name.lower() if self._lower else name)

    @overload
    def __getitem__(self, index: int) -> tuple[str, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, ...]]: ...

    def __getitem__(self, index: int | slice) -> tuple[str, ...] | list[tuple[str, ...]]:
        if isinstance(index, slice):
            return [self._path(n) for n in self._at[index]]
        return self._path(self._at[index])

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        # `_path` written out: the layout reads every path a few times, the hosts once more.
        entries = self._entries
        groups, names, ends = entries._group, entries._names, entries._ends
        decode, lower = self._decode, self._lower
        last = -1
        folder: tuple[str, ...] = ()
        decodes = False
        for n in self._at:
            group = groups[n]
            if group != last:
                folder, decodes = self._folder(group)
                last = group
            name = names[ends[n - 1] if n else 0 : ends[n]].decode("utf-8", "surrogatepass")
            if decodes:
                name = decode(name)
            yield (*folder, name.lower() if lower else name)

    def folders(self) -> set[tuple[str, ...]]:
        """The converted folder of every picked entry below `depth` (the empty one left out)."""
        for n in self._at:
            self._folder(self._entries.group(n))
        return {rel for rel, _ in self._folders.values() if rel}
