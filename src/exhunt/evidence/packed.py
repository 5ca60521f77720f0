"""`PackedFiles`: a host's listing as a few flat arrays, its `EvidenceFile`s made when asked.

A hunt holds every host's listing from discovery to the host's assessment. As objects, a file
cost about 270 bytes in the hunting process (the file, its path's end, its size and time as
Python numbers, a slot in a list), so that process grew with the tree. Packed, a file is its
name in one string shared by the host's files, and a few bytes in arrays for its place, folder,
kind, size and time: what a worker is sent, and what an analyzer reads, is made from them one
file at a time and dropped after. The arrays also pickle as they are, so the listing crosses
from the process that made it (`exhunt.evidence.apart`) without a Python object per file.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, overload

from exhunt.evidence.base import EvidenceFile, Held, Place, kept
from exhunt.model import ArtefactKind

_KINDS = list(ArtefactKind)
_KIND_AT = {kind: n for n, kind in enumerate(_KINDS)}


class PackedFiles(Sequence[EvidenceFile]):
    """Files in the order given (`append`), each made again as the listing made it
    (`EvidenceFile.held`): equal to a list of the same files, in the same order."""

    __slots__ = (
        "_ends",
        "_folder_at",
        "_folders",
        "_index",
        "_kinds",
        "_names",
        "_odd_times",
        "_place_at",
        "_places",
        "_sizes",
        "_times",
    )

    def __init__(self, files: Iterable[EvidenceFile] = ()) -> None:
        self._places: list[Place] = []
        self._place_at = array("I")
        # A path's end is its folder, kept once for the files in it (on a mirror the end is the
        # whole shown path: its folders are most of it), and its name, as UTF-8 one after another.
        self._folders: list[str] = []
        self._folder_at = array("I")
        self._names = bytearray()
        self._ends = array("Q")  # where each name ends in `_names`
        self._kinds = bytearray()
        self._sizes = array("q")
        self._times = array("d")  # NaN: the time is in `_odd_times`
        self._odd_times: dict[int, float | datetime | None] = {}  # not the seconds `stat` gave
        self._index: tuple[dict[Place, int], dict[str, int]] | None = None  # while appending
        for f in files:
            self.append(f)

    def append(self, file: EvidenceFile) -> None:
        place, tail, kind, size, mtime = file.held()
        if self._index is None:
            self._index = (
                {p: n for n, p in enumerate(self._places)},
                {folder: n for n, folder in enumerate(self._folders)},
            )
        places, folders = self._index
        at = places.get(place)
        if at is None:
            at = places[place] = len(self._places)
            self._places.append(place)
        self._place_at.append(at)
        cut = tail.rfind("/") + 1
        folder = tail[:cut]
        at = folders.get(folder)
        if at is None:
            at = folders[folder] = len(self._folders)
            self._folders.append(folder)
        self._folder_at.append(at)
        self._names += tail[cut:].encode("utf-8", "surrogatepass")  # any name Python gave back
        self._ends.append(len(self._names))
        self._kinds.append(_KIND_AT[kind])
        self._sizes.append(size)
        if isinstance(mtime, float) and not math.isnan(mtime):
            self._times.append(mtime)
        else:
            self._odd_times[len(self._times)] = mtime
            self._times.append(math.nan)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> EvidenceFile: ...

    @overload
    def __getitem__(self, index: slice) -> list[EvidenceFile]: ...

    def __getitem__(self, index: int | slice) -> EvidenceFile | list[EvidenceFile]:
        if isinstance(index, slice):
            return [self._file(n) for n in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("file index out of range")
        return self._file(index)

    def __iter__(self) -> Iterator[EvidenceFile]:
        for n in range(len(self._ends)):
            yield self._file(n)

    def held(self, n: int) -> Held:
        """What file `n` holds (`EvidenceFile.held`), without making the file."""
        start = self._ends[n - 1] if n else 0
        name = self._names[start : self._ends[n]].decode("utf-8", "surrogatepass")
        time = self._times[n]
        mtime: float | datetime | None = self._odd_times.get(n) if math.isnan(time) else time
        place = self._places[self._place_at[n]]
        return (place, self._folders[self._folder_at[n]] + name, _KINDS[self._kinds[n]], self._sizes[n], mtime)

    def _file(self, n: int) -> EvidenceFile:
        return kept(self.held(n))

    def kinds(self) -> Iterator[ArtefactKind]:
        """Each file's kind, in order, without making the files."""
        return (_KINDS[k] for k in self._kinds)

    def sizes(self) -> Sequence[int]:
        """Each file's size, in order, without making the files."""
        return self._sizes

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedFiles | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a list

    def __repr__(self) -> str:
        return f"PackedFiles({list(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # The arrays as they are; the tables for appending are made again if ever needed.
        state = (
            self._places,
            self._place_at,
            self._folders,
            self._folder_at,
            self._names,
            self._ends,
            self._kinds,
            self._sizes,
            self._times,
            self._odd_times,
        )
        return (_unpickled, state)


def _unpickled(
    places: list[Place],
    place_at: array[int],
    folders: list[str],
    folder_at: array[int],
    names: bytearray,
    ends: array[int],
    kinds: bytearray,
    sizes: array[int],
    times: array[float],
    odd: dict[int, float | datetime | None],
) -> PackedFiles:
    made = PackedFiles()
    made._places, made._place_at, made._folders, made._folder_at = places, place_at, folders, folder_at
    made._names, made._ends, made._kinds, made._sizes = names, ends, kinds, sizes
    made._times, made._odd_times = times, odd
    return made


def kinds_of(files: Sequence[EvidenceFile]) -> Iterable[ArtefactKind]:
    """Each file's kind, without making packed files."""
    return files.kinds() if isinstance(files, PackedFiles) else (f.kind for f in files)


def sizes_of(files: Sequence[EvidenceFile]) -> Iterable[int]:
    """Each file's size, without making packed files."""
    return files.sizes() if isinstance(files, PackedFiles) else (f.size for f in files)
