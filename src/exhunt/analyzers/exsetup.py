"""The installed Exchange build, read from `<install>\\bin\\ExSetup.exe`.

ExSetup.exe's file version is the authoritative local build: all four parts, so it includes the
Security Update, unlike the registry's CU-only values (docs/builds.md#the-build-on-the-server). The version sits
in the PE version resource: a `VS_VERSIONINFO` block whose `VS_FIXEDFILEINFO` starts with the
signature 0xFEEF04BD and carries FileVersionMS/LS. It is found by scanning a bounded prefix of
the file for that signature, so no PE library is needed and a damaged file cannot stall the hunt.
"""

from __future__ import annotations

import struct
import zipfile
from typing import IO

from exhunt.analyzers import HostContext
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.model import Observation, ObservationKind, Problem, ProblemKind, UnitResult

MAX_READ = 64 * 1024 * 1024  # ExSetup.exe is far smaller; more than this is not the file we want
_CHUNK = 1024 * 1024
_SIGNATURE = struct.pack("<I", 0xFEEF04BD)
_KEY = "VS_VERSION_INFO".encode("utf-16-le")
_STRUC_VERSION = 0x00010000
_OVERLAP = 64  # bytes kept between chunks: the key before the signature and the fields after it


class VersionResourceError(ValueError):
    """The file is not a PE image with a readable version resource."""


def read_file_version(stream: IO[bytes]) -> str:
    """The 4-part file version of a PE image (e.g. '15.1.2176.9'); raises VersionResourceError."""
    head = stream.read(_CHUNK)
    if head[:2] != b"MZ":
        raise VersionResourceError("not a Windows executable (no MZ header)")
    if len(head) < 0x40:
        raise VersionResourceError("truncated executable (DOS header cut short)")
    pe_offset = struct.unpack_from("<I", head, 0x3C)[0]
    if pe_offset + 4 > len(head):
        raise VersionResourceError("truncated or damaged executable (PE header out of reach)")
    if head[pe_offset : pe_offset + 4] != b"PE\0\0":
        raise VersionResourceError("not a PE image (no PE signature)")
    window = head
    read = len(head)
    fallback: str | None = None
    while True:
        keyed, loose = _scan(window)
        if keyed is not None:
            return keyed
        fallback = fallback or loose
        if read >= MAX_READ:
            break
        more = stream.read(min(_CHUNK, MAX_READ - read))
        if not more:
            break
        read += len(more)
        window = window[-_OVERLAP:] + more
    if fallback is not None:
        return fallback
    if read >= MAX_READ:
        raise VersionResourceError(f"no version resource in the first {MAX_READ // (1024 * 1024)} MB")
    raise VersionResourceError("no version resource found (file damaged or truncated?)")


def _scan(window: bytes) -> tuple[str | None, str | None]:
    """(version from a signature preceded by the VS_VERSION_INFO key, version from any signature)."""
    loose: str | None = None
    at = window.find(_SIGNATURE)
    while at != -1:
        if at + 16 <= len(window):
            struc_version, ms, ls = struct.unpack_from("<III", window, at + 4)
            if struc_version == _STRUC_VERSION:
                version = f"{ms >> 16}.{ms & 0xFFFF}.{ls >> 16}.{ls & 0xFFFF}"
                if _KEY in window[max(0, at - 40) : at]:
                    return version, loose
                loose = loose or version
        at = window.find(_SIGNATURE, at + 1)
    return None, loose


def exsetup_files(host: HostEvidence, install: str | None) -> list[EvidenceFile]:
    """ExSetup.exe of the install when its path is known, else any `bin/ExSetup.exe` in the evidence."""
    if install:
        wanted = install.lower().rstrip("\\") + "\\bin\\exsetup.exe"
        exact = [f for f in host.files if f.windows_path and f.windows_path.lower() == wanted]
        if exact:
            return exact
    return [
        f
        for f in host.files
        if f.rel_path.lower() == "bin/exsetup.exe" or f.rel_path.lower().endswith("/bin/exsetup.exe")
    ]


class ExSetupVersion:
    """Host analyzer: the build of the installed Exchange, as an `exchange_build` observation."""

    name = "exsetup-version"

    def files_read(self, host: HostEvidence) -> list[EvidenceFile]:
        """Every file `exsetup_files` could pick, whatever the install: named ExSetup.exe."""
        return [
            f
            for f in host.files
            if f.rel_path.lower().endswith("exsetup.exe") or (f.windows_path or "").lower().endswith("exsetup.exe")
        ]

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        for file in exsetup_files(host, ctx.exchange_install or host.exchange_install):
            try:
                with file.open() as stream:
                    version = read_file_version(stream)
            except VersionResourceError as exc:
                result.errors.append(
                    Problem(
                        file.rel_path,
                        f"ExSetup.exe version not readable: {exc}",
                        None,
                        ProblemKind.UNSUPPORTED,
                        self.name,
                    )
                )
                continue
            except (OSError, EOFError, ValueError, RuntimeError, zipfile.BadZipFile) as exc:
                result.errors.append(
                    Problem(file.rel_path, f"cannot read ExSetup.exe: {exc}", None, ProblemKind.UNREADABLE, self.name)
                )
                continue
            result.observations.append(
                Observation(ObservationKind.EXCHANGE_BUILD, version, file.rel_path, note="ExSetup.exe file version")
            )
        return result


ANALYZERS = [ExSetupVersion()]
