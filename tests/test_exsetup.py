"""ExSetup.exe's file version: the installed build, read from a PE version resource."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions, exsetup, host_analyzers
from exhunt.analyzers.exsetup import ExSetupVersion, VersionResourceError, read_file_version
from exhunt.evidence import HostEvidence, discover
from exhunt.model import UnitResult
from test_evidence_layouts import DEFAULT_INSTALL, write_tree, write_zip

SIGNATURE = 0xFEEF04BD


def version_info(major: int, minor: int, build: int, revision: int, *, keyed: bool = True) -> bytes:
    """A VS_VERSIONINFO block: header, the UTF-16 key, padding, then VS_FIXEDFILEINFO."""
    key = "VS_VERSION_INFO\0".encode("utf-16-le") if keyed else "XXXXXXXXXXXXXXX\0".encode("utf-16-le")
    header_and_key = struct.pack("<HHH", 0, 52, 0) + key
    padding = b"\0" * (-len(header_and_key) % 4)
    fixed = struct.pack(
        "<13I",
        SIGNATURE,
        0x00010000,
        (major << 16) | minor,
        (build << 16) | revision,
        (major << 16) | minor,
        (build << 16) | revision,
        0x3F,
        0,
        0x40004,
        1,
        0,
        0,
        0,
    )
    block = header_and_key + padding + fixed
    return struct.pack("<H", len(block)) + block[2:]


def pe_image(resource: bytes, *, resource_at: int = 0x400, size: int | None = None) -> bytes:
    """Just enough of a PE image: DOS header pointing at a PE signature, the resource further on."""
    dos = bytearray(b"MZ" + b"\0" * 0x3E)
    struct.pack_into("<I", dos, 0x3C, 0x80)
    coff = struct.pack("<HH", 0x8664, 3) + b"\0" * 16
    image = bytearray(dos + b"\0" * (0x80 - len(dos)) + b"PE\0\0" + coff)
    image += b"\0" * (resource_at - len(image)) + resource
    if size is not None:
        image += b"\0" * (size - len(image))
    return bytes(image)


EXSETUP = pe_image(version_info(15, 1, 2176, 9))


def test_reads_the_four_part_file_version() -> None:
    assert read_file_version(io.BytesIO(EXSETUP)) == "15.1.2176.9"
    assert read_file_version(io.BytesIO(pe_image(version_info(15, 2, 1544, 4)))) == "15.2.1544.4"


def test_version_straddling_a_read_boundary() -> None:
    chunk = 1024 * 1024
    for offset in (chunk - 42, chunk - 20, chunk - 46, chunk - 3, chunk + 8):
        image = pe_image(version_info(15, 0, 1497, 2), resource_at=offset)
        assert read_file_version(io.BytesIO(image)) == "15.0.1497.2", offset


def test_prefers_the_keyed_resource_over_a_stray_signature() -> None:
    stray = struct.pack("<4I", SIGNATURE, 0x00010000, (9 << 16) | 9, (9 << 16) | 9)
    image = pe_image(stray + b"\0" * 64 + version_info(15, 1, 2375, 7))
    assert read_file_version(io.BytesIO(image)) == "15.1.2375.7"
    # Without any VS_VERSION_INFO key, a well-formed fixed-info block is still taken.
    assert read_file_version(io.BytesIO(pe_image(version_info(15, 1, 225, 42, keyed=False)))) == "15.1.225.42"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "no MZ header"),
        (b"\x7fELF" + b"\0" * 200, "no MZ header"),
        (b"MZ\x90\x00", "DOS header cut short"),
        (EXSETUP[:0x82], "PE header out of reach"),
        (b"MZ" + b"\0" * 0x3A + struct.pack("<I", 0x40) + b"NE\0\0" + b"\0" * 100, "no PE signature"),
        (pe_image(b"\0" * 256), "no version resource found"),
        (EXSETUP[: 0x400 + 44], "no version resource found"),  # cut inside the fixed file info
    ],
)
def test_damaged_files(data: bytes, message: str) -> None:
    with pytest.raises(VersionResourceError, match=message):
        read_file_version(io.BytesIO(data))


class EndlessImage(io.RawIOBase):
    """A PE header followed by zeros forever: reading must stop by itself."""

    def __init__(self) -> None:
        self.head = pe_image(b"")
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = len(buffer)
        buffer[:n] = self.head[self.served : self.served + n].ljust(n, b"\0")
        self.served += n
        return n


def test_reading_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exsetup, "MAX_READ", 3 * 1024 * 1024)
    stream = EndlessImage()
    with pytest.raises(VersionResourceError, match="first 3 MB"):
        read_file_version(io.BufferedReader(stream))
    assert stream.served <= 3 * 1024 * 1024 + 64 * 1024


def _run(host: HostEvidence) -> UnitResult:
    ctx = HostContext(host.name, host.exchange_install, HuntOptions())
    return ExSetupVersion().analyze_host(host, ctx)


MEDIA = pe_image(version_info(15, 1, 2507, 6))


def test_analyzer_reports_the_build_of_the_install(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "EX01",
        {
            f"D/{DEFAULT_INSTALL}/bin/ExSetup.exe": EXSETUP,
            f"D/{DEFAULT_INSTALL}/Logging/HttpProxy/Owa/HttpProxy_1.LOG": "#Log-type: HttpProxy Logs\r\n",
            # Setup media copied to the server: not the installed build.
            "C/Users/admin/Downloads/CU23/Setup/ServerRoles/Common/bin/ExSetup.exe": MEDIA,
        },
    )
    (host,) = discover(str(root))
    result = _run(host)
    assert [(o.kind, o.value, o.source, o.note) for o in result.observations] == [
        ("exchange_build", "15.1.2176.9", f"D/{DEFAULT_INSTALL}/bin/ExSetup.exe", "ExSetup.exe file version")
    ]
    assert result.errors == [] and result.findings == []


def test_analyzer_without_a_known_install_path(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "v15-copy.zip", {"V15/bin/ExSetup.exe": EXSETUP, "V15/Logging/x.txt": "x"})
    (host,) = discover(str(path))
    assert host.exchange_install is None
    (observation,) = _run(host).observations
    assert (observation.value, observation.source) == ("15.1.2176.9", "V15/bin/ExSetup.exe")


def test_analyzer_records_damaged_exsetup(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "EX02", {f"C/{DEFAULT_INSTALL}/bin/ExSetup.exe": b"MZ" + b"\xff" * 10})
    (host,) = discover(str(root))
    result = _run(host)
    assert result.observations == []
    (error,) = result.errors
    assert error.path == f"C/{DEFAULT_INSTALL}/bin/ExSetup.exe"
    assert "ExSetup.exe version not readable" in error.message


def test_analyzer_records_unreadable_exsetup(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "EX03", {f"C/{DEFAULT_INSTALL}/bin/ExSetup.exe": EXSETUP})
    (host,) = discover(str(root))
    (root / "C" / DEFAULT_INSTALL / "bin" / "ExSetup.exe").unlink()  # gone between listing and reading
    (error,) = _run(host).errors
    assert "cannot read ExSetup.exe" in error.message


def test_no_exsetup_no_observation(tmp_path: Path) -> None:
    (host,) = discover(str(write_tree(tmp_path / "EX04", {"W3SVC1/u_ex210303.log": "x"})))
    result = _run(host)
    assert result.observations == [] and result.errors == []


def test_registered_as_a_host_analyzer() -> None:
    assert any(isinstance(a, ExSetupVersion) for a in host_analyzers())
