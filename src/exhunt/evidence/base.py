"""What the evidence layer hands to the rest of exhunt.

Whatever the user pointed at (a disk mirror, a KAPE or Velociraptor collection, a bare
`Logging` folder, a zip, a folder of hosts, the live server), the evidence layer turns it into
`HostEvidence` objects: one per host, each listing its files as `EvidenceFile`s with the
artefact kind already decided. Every file is reached through a picklable `FileRef`, so work
units can be sent to other processes, and every file is opened read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from exhunt.evidence.containers import open_member
from exhunt.evidence.safe_open import open_evidence
from exhunt.model import ArtefactKind, Problem, ProblemKind


@dataclass(frozen=True, slots=True)
class FileRef:
    """A picklable pointer to file content: a path on disk, or a member of a container on disk.

    For a member, `archive` is the container's path on disk, `outer` the members leading to the
    container that holds it when containers nest (`case.zip` > `EX01.tar.gz` > member), and
    `path` the member's own name in its container."""

    path: str  # file system path, or the member name inside the innermost container
    archive: str | None = None
    outer: tuple[str, ...] = ()

    def __reduce__(self) -> tuple[Any, ...]:
        # Work units carry thousands of these to the workers: a plain tuple pickles several
        # times faster than a slotted dataclass's field-by-field state.
        return (FileRef, (self.path, self.archive, self.outer))

    def open(self) -> IO[bytes]:
        """Open for reading, never for writing: evidence is read-only."""
        if self.archive is None:
            return open_evidence(self.path)
        return open_member(self.archive, self.outer, self.path)


class HostProblem(tuple[str, str]):
    """A (path, message) pair met while listing a host's evidence, with the kind of problem the
    lister met (it always says which: nothing is guessed from the words later).

    A pair, so older callers that read `HostEvidence.errors` as pairs keep working."""

    kind: ProblemKind

    def __new__(cls, path: str, message: str, kind: ProblemKind) -> HostProblem:
        made = super().__new__(cls, (path, message))
        made.kind = kind
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        return (HostProblem, (self[0], self[1], self.kind))


# Where a file lies, less the end its paths share (see `EvidenceFile`): the start of its path on
# disk or in its container, of its shown path and of its Windows path (or the whole Windows path
# when it does not end as the others do), how many characters of the shared end the Windows path
# leaves out (-1: it is whole), then its container and the containers around it. Shared by the
# files that have it (one per host on a mirror, one per container), except where the paths end
# differently (the live server's backslashed paths on disk): there it is the file's own.
Place = tuple[str, str, str | None, int, str | None, tuple[str, ...]]
_PLACES: dict[Place, Place] = {}
_PLACES_MAX = 4096  # a hunt has a few per host; past this, the table starts again
_LAST: Place | None = None  # the place of the file made last


def _shared_end(path: str, rel_path: str) -> str:
    """The longest end `path` and `rel_path` share that starts after a '/' in both (or at the
    start of either): a file's name at least, its whole shown path on most layouts."""
    if path.endswith(rel_path) and (len(path) == len(rel_path) or path[-len(rel_path) - 1] == "/"):
        return rel_path
    if rel_path.endswith(path) and (len(path) == len(rel_path) or rel_path[-len(path) - 1] == "/"):
        return path
    n = 0
    most = min(len(path), len(rel_path))
    while n < most and path[-1 - n] == rel_path[-1 - n]:
        n += 1
    while n and not ((n == len(path) or path[-1 - n] == "/") and (n == len(rel_path) or rel_path[-1 - n] == "/")):
        cut = path.find("/", len(path) - n)
        n = len(path) - cut - 1 if cut >= 0 else 0
    return path[len(path) - n :] if n else ""


def _windows_end(windows_path: str, tail: str, hint: int = 0) -> int:
    """How many characters of `tail` to leave out so that the rest, '\\'-separated, ends
    `windows_path` after a '\\' (or as all of it): 2 for a mirror's `C/inetpub/x.aspx` beside
    `C:\\inetpub\\x.aspx`; -1 when no end after a '/' of `tail` does. `hint`, what the file
    before gave, is tried first."""
    if 0 < hint <= len(tail) and tail[hint - 1] == "/":
        rest = len(tail) - hint
        if windows_path.endswith(tail[hint:].replace("/", "\\")) and (
            rest == len(windows_path) or windows_path[-rest - 1] == "\\"
        ):
            return hint
    end = tail.replace("/", "\\")
    skip = 0
    while True:
        rest = len(end) - skip
        if windows_path.endswith(end[skip:] if skip else end) and (
            rest == len(windows_path) or windows_path[-rest - 1] == "\\"
        ):
            return skip
        cut = tail.find("/", skip)
        if cut < 0:
            return -1
        skip = cut + 1


def _place(place: Place) -> Place:
    held = _PLACES.get(place)
    if held is not None:
        return held
    if len(_PLACES) >= _PLACES_MAX:
        _PLACES.clear()
    _PLACES[place] = place
    return place


class EvidenceFile:
    """One file of one host's evidence: `ref`, `rel_path`, `kind`, `size`, `mtime` (as the
    evidence has it: zip entry time, file system mtime) and `windows_path` (the file's path on
    the original server when the layout tells it, e.g.
    'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Owa\\x.LOG').

    A listing of a large tree holds one of these per file for the whole hunt, so it keeps one
    string per file, the end its path on disk (or in its container), its shown path and its
    Windows path share, and the rest once for the files that share it (`Place`); the paths, the
    `FileRef` and the `datetime` are made when asked. Immutable, compared and hashed by those
    six values."""

    __slots__ = ("_mtime", "_place", "_tail", "kind", "size")

    _place: Place
    _tail: str
    kind: ArtefactKind
    size: int
    # Seconds since 1970 (UTC) as the file system gives them, or a UTC time given as such when
    # they give it back exactly; else the `datetime` as given.
    _mtime: float | datetime | None

    def __init__(
        self,
        ref: FileRef,
        rel_path: str,
        kind: ArtefactKind,
        size: int,
        mtime: datetime | float | None = None,
        windows_path: str | None = None,
    ) -> None:
        """`mtime` may be given as the file system gives it, seconds since 1970 (UTC)."""
        global _LAST
        last = _LAST  # read once: only a hint, and what is shared is checked against it
        path = ref.path
        tail = _shared_end(path, rel_path)
        n = len(tail)
        windows = windows_path
        skip = 0
        if windows_path is not None:
            skip = _windows_end(windows_path, tail, last[3] if last is not None else 0)
            if skip >= 0:
                windows = windows_path[: len(windows_path) - (n - skip)]
        place: Place = (path[: len(path) - n], rel_path[: len(rel_path) - n], windows, skip, ref.archive, ref.outer)
        stamp: float | datetime | None = mtime
        if isinstance(mtime, datetime) and mtime.tzinfo is UTC:
            seconds = mtime.timestamp()
            if datetime.fromtimestamp(seconds, UTC) == mtime:
                stamp = seconds
        if skip >= 0:
            if place == last:  # files listed one after another mostly share it
                place = last
            else:
                place = _LAST = _place(place)
        _SET_PLACE(self, place)
        _SET_TAIL(self, tail)
        _SET_KIND(self, kind)
        _SET_SIZE(self, size)
        _SET_MTIME(self, stamp)

    def held(self) -> Held:
        """What this file holds, as `from_held` makes it again (a worker's copy)."""
        return (self._place, self._tail, self.kind, self.size, self._mtime)

    @property
    def ref(self) -> FileRef:
        place = self._place
        return FileRef(place[0] + self._tail, place[4], place[5])

    @property
    def rel_path(self) -> str:
        """Shown to the user: '/'-separated, relative to the evidence root, names decoded."""
        return self._place[1] + self._tail

    @property
    def windows_path(self) -> str | None:
        place = self._place
        skip = place[3]
        if place[2] is None or skip < 0:
            return place[2]
        return place[2] + (self._tail[skip:] if skip else self._tail).replace("/", "\\")

    @property
    def mtime(self) -> datetime | None:
        stamp = self._mtime
        if not isinstance(stamp, float):
            return stamp
        try:
            return datetime.fromtimestamp(stamp, UTC)
        except (OverflowError, OSError, ValueError):  # no time this platform can give
            return None

    def _values(self) -> tuple[Any, ...]:
        return (self.ref, self.rel_path, self.kind, self.size, self.mtime, self.windows_path)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvidenceFile):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        ref, rel_path, kind, size, mtime, windows_path = self._values()
        return (
            f"EvidenceFile(ref={ref!r}, rel_path={rel_path!r}, kind={kind!r}, size={size!r}, "
            f"mtime={mtime!r}, windows_path={windows_path!r})"
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"EvidenceFile is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"EvidenceFile is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (from_held, (self.held(),))

    def open(self) -> IO[bytes]:
        return self.ref.open()


COMPUTER_MARK = "#computer="  # in a host key after its folder: `exhunt.hunt.host_key`


def key_place(key: str) -> str:
    """The folder part of a host key: without the computer a split-off host's key adds."""
    return key.split(COMPUTER_MARK, 1)[0]


# What an `EvidenceFile` holds (`EvidenceFile.held`), a flat tuple that pickles fast.
Held = tuple[Place, str, ArtefactKind, int, float | datetime | None]


def from_held(held: Held) -> EvidenceFile:
    """The file `EvidenceFile.held` gave, made again without working its place out anew, as a
    worker reads it: its reference and Windows path made once, not each time they are asked."""
    made = _made(_Received, held)
    place = held[0]
    tail = held[1]
    _SET_MADE_REF(made, FileRef(place[0] + tail, place[4], place[5]))
    skip = place[3]
    windows = place[2]
    if windows is not None and skip >= 0:
        windows += (tail[skip:] if skip else tail).replace("/", "\\")
    _SET_MADE_WINDOWS(made, windows)
    return made


def kept(held: Held) -> EvidenceFile:
    """The file `EvidenceFile.held` gave, made again as the listing keeps it (its paths made when
    asked, as `EvidenceFile` makes them): how a listing made in another process comes back."""
    return _made(EvidenceFile, held)


def _made(cls: type[EvidenceFile], held: Held) -> EvidenceFile:
    """An `EvidenceFile` (or subclass) holding `held`, its own slots still to be set."""
    made = object.__new__(cls)
    _SET_PLACE(made, held[0])
    _SET_TAIL(made, held[1])
    _SET_KIND(made, held[2])
    _SET_SIZE(made, held[3])
    _SET_MTIME(made, held[4])
    return made


class _Received(EvidenceFile):
    """A file as a worker got it (`from_held`): short-lived, so it keeps the paths it is asked
    for most (an analyzer asks for each several times)."""

    __slots__ = ("_made_ref", "_made_windows")

    _made_ref: FileRef
    _made_windows: str | None

    @property
    def ref(self) -> FileRef:
        return self._made_ref

    @property
    def windows_path(self) -> str | None:
        return self._made_windows


# The slots' own setters: an immutable file is written once, when made (a fifth of the time of
# `object.__setattr__`, which looks each name up).
def _setter(owner: type, name: str) -> Callable[[object, object], None]:
    setter: Callable[[object, object], None] = owner.__dict__[name].__set__
    return setter


_SET_PLACE = _setter(EvidenceFile, "_place")
_SET_TAIL = _setter(EvidenceFile, "_tail")
_SET_KIND = _setter(EvidenceFile, "kind")
_SET_SIZE = _setter(EvidenceFile, "size")
_SET_MTIME = _setter(EvidenceFile, "_mtime")
_SET_MADE_REF = _setter(_Received, "_made_ref")
_SET_MADE_WINDOWS = _setter(_Received, "_made_windows")


@dataclass(slots=True)
class HostEvidence:
    """Everything known about one host's evidence before any detector runs."""

    name: str
    root: str  # what the user pointed at, for display
    layout: str  # e.g. "disk-mirror", "kape", "velociraptor", "logging-folder", "iis-logs", "files", "live"
    # A list while the listing is made; `exhunt.evidence.packed.PackedFiles` once it is kept.
    files: Sequence[EvidenceFile] = field(default_factory=list)
    # The Exchange install root on the original server ('C:\\Program Files\\...\\V15\\'), when found.
    exchange_install: str | None = None
    notes: list[str] = field(default_factory=list)  # what the layout detection decided, in words
    errors: list[HostProblem] = field(default_factory=list)  # met while listing, each with its kind
    # The computer this host was split off by (--split-by-computer): its files share their folder
    # with the other computers' and the rest's, so the computer is part of what names its evidence.
    computer: str | None = None

    def of_kind(self, *kinds: ArtefactKind) -> list[EvidenceFile]:
        return [f for f in self.files if f.kind in kinds]


def listing_problem(listed: HostProblem) -> Problem:
    """A problem met while listing the evidence, as a record of the kind its lister gave."""
    return Problem(listed[0], listed[1], None, listed.kind, "evidence")
