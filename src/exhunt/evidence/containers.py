"""Containers read in place: zip, tar (plain, gzip, bzip2, xz), 7z, and single gzip/bzip2/xz files.

A container is never extracted to disk. Its directory is listed once; each member is opened as a
stream (zip, tar) or, for 7z and for containers nested in containers up to `Limits.in_memory`
bytes, decompressed into memory. Opened containers are kept per process (`_Handles`), so reading
20,000 members costs one directory read, not 20,000.

Archive bombs are bounded before anything is decompressed: nesting depth, members per
evidence, declared total size, and the compression ratio of each member (and of a compressed tar
stream as it is listed). What a bound stops is reported as a `ProblemKind.LIMIT` problem with its
path; encrypted members as `ENCRYPTED`; formats and methods exhunt cannot read as `UNSUPPORTED`.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from exhunt.evidence.safe_open import open_evidence
from exhunt.model import ProblemKind

# zipfile reads these; anything else (Deflate64, PPMd...) would fail on open.
_ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
_SNIFF = 512
_MIB = 1024 * 1024

ReadKey = tuple[str, tuple[str, ...], str]  # (container on disk, members leading to it, member)

# Names that say "container" (checked against the lower-case file name).
CONTAINER_SUFFIXES = (
    ".zip",
    ".tar",
    ".tar.gz",
    ".tgz",
    ".tar.bz2",
    ".tbz2",
    ".tar.xz",
    ".txz",
    ".7z",
    ".gz",
    ".bz2",
    ".xz",
)
# Containers and images exhunt cannot look into: found, named as a problem, never silently skipped.
UNSUPPORTED_SUFFIXES = {
    ".rar": "RAR archive",
    ".e01": "EnCase disk image",
    ".ex01": "EnCase disk image",
    ".ad1": "FTK logical image",
    ".aff4": "AFF4 image",
    ".vhd": "virtual disk",
    ".vhdx": "virtual disk",
    ".vmdk": "virtual disk",
    ".iso": "disc image",
    ".zst": "zstd-compressed file",
    ".lz4": "lz4-compressed file",
    ".arj": "ARJ archive",
    ".dmg": "disk image",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what containers may cost. A bound met is a problem, never silence."""

    max_depth: int = 4  # containers inside containers (the evidence zip itself counts as 1)
    max_members: int = 1_000_000  # members listed per evidence path, all containers together
    max_total_bytes: int = 1 << 40  # declared uncompressed bytes per evidence path (1 TiB)
    max_ratio: int = 200  # uncompressed : compressed, per member ...
    ratio_floor: int = 64 * _MIB  # ... once the member is larger than this
    in_memory: int = 64 * _MIB  # nested containers and 7z members up to this are held in memory
    max_in_memory: int = 512 * _MIB  # 7z members larger than this are not read


LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Member:
    """One member as a container's directory lists it. `problem` set: listed but not readable."""

    name: str  # as stored
    size: int
    compressed: int | None
    mtime: datetime | None
    problem: tuple[ProblemKind, str] | None = None


class ContainerError(Exception):
    """A container that cannot be opened or listed. `kind` says why (unreadable, encrypted...)."""

    def __init__(self, message: str, kind: ProblemKind = ProblemKind.UNREADABLE) -> None:
        super().__init__(message)
        self.kind = kind


def container_suffix(name_lower: str) -> str | None:
    if not name_lower.endswith(CONTAINER_SUFFIXES):  # one call for the many files that are not
        return None
    for suffix in CONTAINER_SUFFIXES:
        if name_lower.endswith(suffix) and len(name_lower) > len(suffix):
            return suffix
    return None


def unsupported_kind(name_lower: str) -> str | None:
    dot = name_lower.rfind(".")
    return UNSUPPORTED_SUFFIXES.get(name_lower[dot:]) if dot > 0 else None


def stem(name: str) -> str:
    """A container's name without its container suffix: `EX01.tar.gz` -> `EX01`."""
    suffix = container_suffix(name.lower())
    return name[: -len(suffix)] if suffix else name


def sniff_format(head: bytes) -> str | None:
    """The container format from the first bytes, or None."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return "zip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(b"Rar!\x1a\x07"):
        return "rar"
    return None


class Archive:
    """An opened container: its members and a way to read one."""

    fmt = ""

    def members(self, limits: Limits) -> Iterator[Member]:
        raise NotImplementedError

    def open(self, name: str, limits: Limits, key: ReadKey = ("", (), "")) -> IO[bytes]:
        """A member's bytes; problems met while reading them are reported under `key`."""
        raise NotImplementedError


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    try:  # zip times carry no zone; given as UTC, like every time in exhunt
        return datetime(*info.date_time, tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _ratio_problem(size: int, compressed: int | None, limits: Limits) -> tuple[ProblemKind, str] | None:
    if compressed is None or size <= limits.ratio_floor:
        return None
    if size > limits.max_ratio * max(compressed, 1):
        return (
            ProblemKind.LIMIT,
            f"compression ratio {size // max(compressed, 1):,}:1 ({size:,} bytes from {compressed:,}) is "
            f"above the {limits.max_ratio}:1 bound for members over {limits.ratio_floor // _MIB} MiB "
            "(an archive bomb?); not read",
        )
    return None


class ZipArchive(Archive):
    fmt = "zip"

    def __init__(self, stream: IO[bytes]) -> None:
        try:
            self._zip = zipfile.ZipFile(stream, "r")
            self._infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ContainerError(f"not a readable zip archive ({exc})") from exc
        self._by_name: dict[str, zipfile.ZipInfo] = {}
        for info in self._infos:
            self._by_name[info.filename] = info

    def members(self, limits: Limits) -> Iterator[Member]:
        for info in self._infos:
            name = info.filename
            if not name:
                yield Member(
                    name,
                    info.file_size,
                    info.compress_size,
                    None,
                    (ProblemKind.UNREADABLE, "zip member without a name; not read"),
                )
                continue
            if name.endswith(("/", "\\")) or name[-1] == "/":
                continue
            problem: tuple[ProblemKind, str] | None = None
            if self._by_name[name] is not info:
                problem = (ProblemKind.UNREADABLE, "zip holds this name twice; only the last copy can be read")
            elif info.flag_bits & 0x1:
                problem = (ProblemKind.ENCRYPTED, "encrypted zip member; cannot be read without the password")
            elif info.compress_type not in _ZIP_METHODS:
                problem = (
                    ProblemKind.UNSUPPORTED,
                    f"zip compression method {info.compress_type} is not supported; not read",
                )
            else:
                problem = _ratio_problem(info.file_size, info.compress_size, limits)
            yield Member(name, info.file_size, info.compress_size, _zip_time(info), problem)

    def open(self, name: str, limits: Limits, key: ReadKey = ("", (), "")) -> IO[bytes]:
        info = self._by_name.get(name)
        if info is None:
            raise OSError(f"zip member {name!r} not found")
        try:
            member = self._zip.open(info, "r")
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
            raise OSError(f"cannot read zip member: {exc}") from exc
        return cast(IO[bytes], _CheckedMember(cast(zipfile.ZipExtFile, member), info.CRC, key))


class _CheckedMember(io.RawIOBase):
    """A zip member whose CRC is checked here, not by zipfile: a wrong CRC over intact data keeps
    the data (and is reported through `take_read_problems`) instead of losing the whole member."""

    def __init__(self, member: zipfile.ZipExtFile, expected: int, key: ReadKey) -> None:
        super().__init__()
        member._expected_crc = None  # type: ignore[attr-defined]  # checked below instead
        self._member = member
        self._expected = expected
        self._crc = 0
        self._key = key
        self._linear = True  # the CRC is only meaningful for one front-to-back read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self._linear = False
        return self._member.seek(offset, whence)

    def tell(self) -> int:
        return self._member.tell()

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._member.read(len(buffer))
        except (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            raise OSError(f"zip member damaged: {exc}") from exc
        n = len(data)
        buffer[:n] = data
        if self._linear:
            if n:
                self._crc = zlib.crc32(data, self._crc)
            elif self._crc != self._expected:
                _report(
                    self._key,
                    f"zip member CRC mismatch (stored {self._expected:08x}, data {self._crc:08x}): "
                    "the records were read, but the data may be damaged or altered",
                )
                self._linear = False
        return n

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        buffer = bytearray(size)
        n = self.readinto(buffer)
        return bytes(buffer[:n])

    def close(self) -> None:
        try:
            self._member.close()
        finally:
            super().close()


class TarArchive(Archive):
    fmt = "tar"

    def __init__(self, stream: IO[bytes], compressed_size: int) -> None:
        try:
            self._tar = tarfile.open(fileobj=stream, mode="r:*")  # noqa: SIM115  # kept open on purpose
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            raise ContainerError(f"not a readable tar archive ({exc})") from exc
        self._compressed_size = compressed_size
        self._by_name: dict[str, tarfile.TarInfo] = {}
        self._listed = False

    def members(self, limits: Limits) -> Iterator[Member]:
        tar = self._tar
        while True:
            try:
                info = tar.next()
            except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
                yield Member("", 0, None, None, (ProblemKind.MALFORMED, f"tar archive damaged after this point: {exc}"))
                break
            if info is None:
                break
            position = tar.offset
            if position > limits.ratio_floor and position > limits.max_ratio * max(self._compressed_size, 1):
                yield Member(
                    info.name,
                    info.size,
                    None,
                    None,
                    (
                        ProblemKind.LIMIT,
                        f"tar stream decompresses to more than {limits.max_ratio}:1 of its "
                        f"{self._compressed_size:,} bytes (an archive bomb?); the rest is not read",
                    ),
                )
                break
            mtime = _epoch(info.mtime)
            if info.isdir():
                continue
            if info.isreg() or info.islnk():
                self._by_name[info.name] = info
                yield Member(info.name, info.size, None, mtime)
            elif info.issym():
                yield Member(
                    info.name,
                    0,
                    None,
                    mtime,
                    (ProblemKind.UNSUPPORTED, f"symbolic link to {info.linkname!r} in the archive; not followed"),
                )
            else:
                yield Member(
                    info.name,
                    0,
                    None,
                    mtime,
                    (ProblemKind.UNSUPPORTED, "not a regular file (device or pipe) in the archive; not read"),
                )
        self._listed = True

    def open(self, name: str, limits: Limits, key: ReadKey = ("", (), "")) -> IO[bytes]:
        if not self._listed:
            for _ in self.members(limits):
                pass
        info = self._by_name.get(name)
        if info is None:
            raise OSError(f"tar member {name!r} not found")
        try:
            stream = self._tar.extractfile(info)
        except (tarfile.TarError, OSError, KeyError) as exc:
            raise OSError(f"cannot read tar member: {exc}") from exc
        if stream is None:
            raise OSError(f"tar member {name!r} is not a file")
        return stream


class SevenZipArchive(Archive):
    fmt = "7z"

    def __init__(self, stream: IO[bytes]) -> None:
        import py7zr  # imported here: only 7z evidence needs it

        self._py7zr = py7zr
        try:
            self._szf = py7zr.SevenZipFile(stream, mode="r")
            if self._szf.needs_password():
                raise ContainerError("encrypted 7z archive; cannot be read without the password", ProblemKind.ENCRYPTED)
            self._infos = self._szf.list()
        except ContainerError:
            raise
        except py7zr.exceptions.PasswordRequired as exc:
            # Its list of files is encrypted too (7z -mhe): nothing of it can be read or listed.
            raise ContainerError(
                "encrypted 7z archive (its file list too); cannot be read without the password",
                ProblemKind.ENCRYPTED,
            ) from exc
        except Exception as exc:  # py7zr raises its own errors and plain ones for bad input
            kind = ProblemKind.ENCRYPTED if "password" in str(exc).lower() else ProblemKind.UNREADABLE
            raise ContainerError(f"not a readable 7z archive ({type(exc).__name__}: {exc})", kind) from exc

    def members(self, limits: Limits) -> Iterator[Member]:
        for info in self._infos:
            if info.is_directory:
                continue
            size = int(info.uncompressed or 0)
            compressed = int(info.compressed) if info.compressed else None
            problem = _ratio_problem(size, compressed, limits)
            if problem is None and size > limits.max_in_memory:
                problem = (
                    ProblemKind.LIMIT,
                    f"7z member of {size:,} bytes is above the {limits.max_in_memory // _MIB} MiB "
                    "read for 7z members (decompressed in memory); not read",
                )
            mtime = info.creationtime if isinstance(info.creationtime, datetime) else None
            if mtime is not None and mtime.tzinfo is None:
                mtime = mtime.replace(tzinfo=UTC)
            yield Member(info.filename, size, compressed, mtime, problem)

    def open(self, name: str, limits: Limits, key: ReadKey = ("", (), "")) -> IO[bytes]:
        from py7zr.io import BytesIOFactory

        factory = BytesIOFactory(limits.max_in_memory + 1)
        try:
            self._szf.reset()
            self._szf.extract(targets=[name], factory=factory)
            product = factory.products[name]
        except Exception as exc:  # py7zr's errors for damaged data
            raise OSError(f"cannot read 7z member: {type(exc).__name__}: {exc}") from exc
        product.seek(0)
        data = product.read()
        if len(data) > limits.max_in_memory:
            raise OSError(f"7z member larger than {limits.max_in_memory // _MIB} MiB; not read")
        return io.BytesIO(data)


class CompressedFile(Archive):
    """A single gzip/bzip2/xz file (`u_ex210303.log.gz`): one member, the name without the suffix."""

    def __init__(self, stream: IO[bytes], fmt: str, inner_name: str, compressed_size: int) -> None:
        self.fmt = fmt
        self._stream = stream
        self._name = inner_name
        self._compressed_size = compressed_size

    def _decompressor(self) -> IO[bytes]:
        self._stream.seek(0)
        if self.fmt == "gzip":
            return cast(IO[bytes], gzip.GzipFile(fileobj=self._stream, mode="rb"))
        if self.fmt == "bzip2":
            return cast(IO[bytes], bz2.BZ2File(self._stream, "rb"))
        return cast(IO[bytes], lzma.LZMAFile(self._stream, "rb"))

    def members(self, limits: Limits) -> Iterator[Member]:
        # The size is not known without decompressing: the read is bounded by the ratio instead.
        yield Member(self._name, self._compressed_size, self._compressed_size, None)

    def open(self, name: str, limits: Limits, key: ReadKey = ("", (), "")) -> IO[bytes]:
        bound = max(limits.ratio_floor, limits.max_ratio * max(self._compressed_size, 1))
        return cast(IO[bytes], _Bounded(self._decompressor(), bound, f"{self.fmt} stream", key))


class _Bounded(io.RawIOBase):
    """A decompressing stream cut at `bound` bytes, with the cut reported (never silent)."""

    def __init__(self, inner: IO[bytes], bound: int, what: str, key: ReadKey) -> None:
        super().__init__()
        self._inner = inner
        self._left = bound
        self._bound = bound
        self._what = what
        self._key = key

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            if self._inner.read(1):
                _report(
                    self._key,
                    f"{self._what} decompresses to more than {self._bound:,} bytes; read stopped there (an archive bomb?)",
                    ProblemKind.LIMIT,
                )
            return 0
        try:
            data = self._inner.read(min(len(buffer), self._left))
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
            raise OSError(f"{self._what} damaged: {exc}") from exc
        buffer[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _epoch(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def open_archive(stream: IO[bytes], name: str, size: int) -> Archive:
    """Open a container from a seekable stream; `name` is its own file name, `size` its bytes.
    Raises ContainerError when it is not a container exhunt can read."""
    head = stream.read(_SNIFF)
    stream.seek(0)
    fmt = sniff_format(head)
    if fmt == "zip":
        return ZipArchive(stream)
    if fmt == "7z":
        return SevenZipArchive(stream)
    if fmt == "tar":
        return TarArchive(stream, size)
    if fmt in ("gzip", "bzip2", "xz"):
        if _is_compressed_tar(stream, fmt):
            stream.seek(0)
            return TarArchive(stream, size)
        stream.seek(0)
        low = name.lower()
        inner = name[: name.rfind(".")] if low.endswith((".gz", ".bz2", ".xz")) else name + ".out"
        return CompressedFile(stream, fmt, inner or "member", size)
    if fmt == "rar":
        raise ContainerError("RAR archive: exhunt cannot read RAR; convert it to zip or 7z", ProblemKind.UNSUPPORTED)
    if name.lower().endswith(".zip") and zipfile.is_zipfile(stream):  # a zip with data before it (SFX)
        stream.seek(0)
        return ZipArchive(stream)
    raise ContainerError(
        "named like an archive but its content is not a known archive format (damaged or mislabelled)",
        ProblemKind.UNREADABLE,
    )


def _is_compressed_tar(stream: IO[bytes], fmt: str) -> bool:
    """Whether a compressed stream holds a tar. Raises ContainerError when it does not decompress."""
    stream.seek(0)
    try:
        if fmt == "gzip":
            inner: IO[bytes] = cast(IO[bytes], gzip.GzipFile(fileobj=stream, mode="rb"))
        elif fmt == "bzip2":
            inner = cast(IO[bytes], bz2.BZ2File(stream, "rb"))
        else:
            inner = cast(IO[bytes], lzma.LZMAFile(stream, "rb"))  # noqa: SIM115
        head = inner.read(_SNIFF)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        raise ContainerError(f"damaged {fmt} stream ({exc})") from exc
    return len(head) >= 262 and head[257:262] == b"ustar"


# --- opened containers, kept per process -------------------------------------------------------

_READ_PROBLEMS: dict[ReadKey, list[tuple[ProblemKind, str]]] = {}


def _report(key: ReadKey, message: str, kind: ProblemKind = ProblemKind.MALFORMED) -> None:
    found = _READ_PROBLEMS.setdefault(key, [])
    if (kind, message) not in found:
        found.append((kind, message))


def take_read_problems(archive: str | None, outer: tuple[str, ...], name: str) -> list[tuple[ProblemKind, str]]:
    """Problems met while this member was being read (CRC mismatch, a stream cut at its bound)
    since the last call; the caller attaches them to the file it was reading."""
    if archive is None:
        return []
    return _READ_PROBLEMS.pop((archive, outer, name), [])


def pending_read_problems() -> dict[ReadKey, list[tuple[ProblemKind, str]]]:
    """Every problem recorded and not yet taken, by member (a listing made in another process
    hands them over with its files)."""
    return {key: list(found) for key, found in _READ_PROBLEMS.items() if found}


def add_read_problems(problems: dict[ReadKey, list[tuple[ProblemKind, str]]]) -> None:
    """Record problems another process met (`pending_read_problems`) as if met here."""
    for key, found in problems.items():
        for kind, message in found:
            _report(key, message, kind)


class _Handles:
    """Containers opened in this process, by (path on disk, members leading to it).

    Dropped, not closed, when the process forks (a shared file offset would mix the reads of two
    processes) or when more than `keep` are open: member streams still reading keep what they
    need alive."""

    keep = 16

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.open: OrderedDict[tuple[str, tuple[str, ...]], Archive] = OrderedDict()

    def get(self, archive: str, outer: tuple[str, ...], limits: Limits) -> Archive:
        if self.pid != os.getpid():
            self.pid = os.getpid()
            self.open = OrderedDict()
        key = (archive, outer)
        found = self.open.get(key)
        if found is not None:
            self.open.move_to_end(key)
            return found
        if outer:
            parent = self.get(archive, outer[:-1], limits)
            stream = parent.open(outer[-1], limits)
            size = _stream_size(stream)
            if size is None or size <= limits.in_memory:
                data = stream.read(limits.in_memory + 1)
                stream.close()
                if len(data) > limits.in_memory:
                    raise ContainerError(
                        f"nested archive larger than {limits.in_memory // _MIB} MiB inside a stream that cannot "
                        "seek; not read (extract the outer archive first)",
                        ProblemKind.LIMIT,
                    )
                stream = io.BytesIO(data)
                size = len(data)
            opened = open_archive(stream, outer[-1].replace("\\", "/").rsplit("/", 1)[-1], size)
        else:
            fh = open_evidence(archive)  # kept open with the archive; no link, FIFO or atime change
            try:
                opened = open_archive(fh, Path(archive).name, os.fstat(fh.fileno()).st_size)
            except BaseException:
                fh.close()
                raise
        self.open[key] = opened
        while len(self.open) > self.keep:
            self.open.popitem(last=False)
        return opened

    def clear(self) -> None:
        self.open.clear()


def _stream_size(stream: IO[bytes]) -> int | None:
    try:
        end = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        return end
    except (OSError, ValueError):
        return None


HANDLES = _Handles()


def open_container(archive: str, outer: tuple[str, ...] = (), limits: Limits = LIMITS) -> Archive:
    """The container at `archive` (a path on disk), or the one reached through members `outer`."""
    return HANDLES.get(archive, outer, limits)


def open_member(archive: str, outer: tuple[str, ...], name: str, limits: Limits = LIMITS) -> IO[bytes]:
    """A member's bytes as a read-only stream. Raises OSError when it cannot be read."""
    try:
        container = HANDLES.get(archive, outer, limits)
    except ContainerError as exc:
        raise OSError(str(exc)) from exc
    return container.open(name, limits, (archive, outer, name))
