"""What the evidence layer hands to the rest of exhunt.

Whatever the user pointed at (a disk mirror, a KAPE or Velociraptor collection, a bare
`Logging` folder, a zip, a folder of hosts, the live server), the evidence layer turns it into
`HostEvidence` objects: one per host, each listing its files as `EvidenceFile`s with the
artefact kind already decided. Every file is reached through a picklable `FileRef`, so work
units can be sent to other processes, and every file is opened read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """One file of one host's evidence."""

    ref: FileRef
    rel_path: str  # shown to the user: '/'-separated, relative to the evidence root, names decoded
    kind: ArtefactKind
    size: int
    mtime: datetime | None = None  # as the evidence has it (zip entry time, file system mtime)
    # The file's path on the original server when the layout tells it, e.g.
    # 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Owa\\x.LOG'.
    windows_path: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (EvidenceFile, (self.ref, self.rel_path, self.kind, self.size, self.mtime, self.windows_path))

    def open(self) -> IO[bytes]:
        return self.ref.open()


COMPUTER_MARK = "#computer="  # in a host key after its folder: `exhunt.hunt.host_key`


def key_place(key: str) -> str:
    """The folder part of a host key: without the computer a split-off host's key adds."""
    return key.split(COMPUTER_MARK, 1)[0]


@dataclass(slots=True)
class HostEvidence:
    """Everything known about one host's evidence before any detector runs."""

    name: str
    root: str  # what the user pointed at, for display
    layout: str  # e.g. "disk-mirror", "kape", "velociraptor", "logging-folder", "iis-logs", "files", "live"
    files: list[EvidenceFile] = field(default_factory=list)
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
