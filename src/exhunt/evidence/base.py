"""What the evidence layer hands to the rest of exhunt.

Whatever the user pointed at (a disk mirror, a KAPE or Velociraptor collection, a bare
`Logging` folder, a zip, a folder of hosts, the live server), the evidence layer turns it into
`HostEvidence` objects: one per host, each listing its files as `EvidenceFile`s with the
artefact kind already decided. Every file is reached through a picklable `FileRef`, so work
units can be sent to other processes, and every file is opened read-only.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from exhunt.model import ArtefactKind, Problem, ProblemKind

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer


@dataclass(frozen=True, slots=True)
class FileRef:
    """A picklable pointer to file content: a path on disk, or a member of a zip on disk."""

    path: str  # file system path, or the member name inside `archive`
    archive: str | None = None

    def open(self) -> IO[bytes]:
        """Open for reading, never for writing: evidence is read-only."""
        if self.archive is None:
            return Path(self.path).open("rb")
        archive = zipfile.ZipFile(self.archive)
        try:
            member = archive.open(self.path, "r")
        except BaseException:
            archive.close()
            raise
        return cast(IO[bytes], _ZipMember(member, archive))


class _ZipMember(io.RawIOBase):
    """A zip member that closes its archive when it is closed."""

    def __init__(self, member: IO[bytes], archive: zipfile.ZipFile) -> None:
        self._member = member
        self._archive = archive

    def read(self, n: int = -1) -> bytes:
        return self._member.read(n)

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        data = self._member.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._member.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._member.seek(offset, whence)

    def tell(self) -> int:
        return self._member.tell()

    def close(self) -> None:
        try:
            self._member.close()
        finally:
            self._archive.close()
            super().close()

    def __enter__(self) -> _ZipMember:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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

    def open(self) -> IO[bytes]:
        return self.ref.open()


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
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message) met while listing

    def of_kind(self, *kinds: ArtefactKind) -> list[EvidenceFile]:
        return [f for f in self.files if f.kind in kinds]


# What the evidence layer's listing messages mean, by the words each one uses (the layer records
# `(path, message)` pairs; these turn them into problem records with a kind).
_LISTING_KINDS: tuple[tuple[str, ProblemKind], ...] = (
    ("listed at its own place only", ProblemKind.PARTIAL),  # the folder is read where it lies
    ("encrypted", ProblemKind.ENCRYPTED),
    ("password", ProblemKind.ENCRYPTED),
    ("not supported", ProblemKind.UNSUPPORTED),
    ("too many", ProblemKind.LIMIT),
    ("too large", ProblemKind.LIMIT),
    ("larger than", ProblemKind.LIMIT),
    ("limit", ProblemKind.LIMIT),
)


def listing_problem(path: str, message: str) -> Problem:
    """A problem met while listing the evidence, as a record: unreadable unless its words say
    otherwise (a password, a format exhunt cannot read, a bound that stopped the listing)."""
    low = message.lower()
    kind = next((k for words, k in _LISTING_KINDS if words in low), ProblemKind.UNREADABLE)
    return Problem(path, message, None, kind, "evidence")
