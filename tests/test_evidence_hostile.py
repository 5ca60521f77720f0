"""Bad evidence is normal evidence: every problem is recorded, nothing crashes, nothing is written."""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

import pytest

from exhunt.evidence import EvidenceUnavailable, discover
from exhunt.evidence import tree as tree_module
from exhunt.model import ArtefactKind as K
from test_evidence_layouts import (
    ASPX,
    HTTPPROXY,
    IIS,
    by_rel,
    discover_unchanged,
    exchange_files,
    kinds,
    tree_hash,
    windows_files,
    write_tree,
    write_zip,
)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(EvidenceUnavailable, match="no such file or folder"):
        discover(str(tmp_path / "nowhere"))


def test_one_file_is_a_host_of_its_own(tmp_path: Path) -> None:
    """An IIS log mailed in on its own is hunted as it is, its kind from its content, and the
    folder it lies in is not listed (the neighbour is not read)."""
    (tmp_path / "u_ex210303.log").write_text(IIS)
    (tmp_path / "neighbour.aspx").write_text("<% Response.Write(1) %>")
    before = tree_hash(tmp_path)
    (host,) = discover(str(tmp_path / "u_ex210303.log"))
    assert tree_hash(tmp_path) == before
    assert host.name == "u_ex210303" and host.root == str(tmp_path / "u_ex210303.log")
    assert [(f.rel_path, f.kind) for f in host.files] == [("u_ex210303.log", K.IIS)]
    assert host.errors == []


def test_a_damaged_archive_is_not_taken_for_a_plain_file(tmp_path: Path) -> None:
    whole = write_zip(tmp_path / "EX01.zip", {"C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": IIS})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[:60])
    with pytest.raises(EvidenceUnavailable, match=r"cut.zip: not a readable zip"):
        discover(str(cut))


@pytest.mark.skipif(sys.platform == "win32", reason="the live server is hunted on Windows")
def test_no_path_off_windows() -> None:
    with pytest.raises(EvidenceUnavailable, match="only be hunted on Windows"):
        discover(None)


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(EvidenceUnavailable, match="no files to hunt"):
        discover(str(tmp_path / "empty"))


def test_broken_zip(tmp_path: Path) -> None:
    good = write_zip(tmp_path / "good.zip", {"C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": IIS})
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good.read_bytes()[:-30])  # end of central directory cut off
    with pytest.raises(EvidenceUnavailable, match=r"broken\.zip"):
        discover(str(broken))
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x05\x06" + b"\xff" * 40)
    with pytest.raises(EvidenceUnavailable, match=r"fake\.zip"):
        discover(str(fake))


def test_broken_zip_beside_host_folders_is_recorded(tmp_path: Path) -> None:
    root = tmp_path / "case"
    write_tree(root / "EX01", {**windows_files(), **exchange_files()})
    write_tree(root / "EX02", {**windows_files(), **exchange_files()})
    good = write_zip(tmp_path / "x.zip", {"a.txt": "a"})
    (root / "EX03.zip").write_bytes(good.read_bytes()[:20] + b"\x00" * 30 + good.read_bytes()[-22:])
    hosts = discover_unchanged(root)
    assert [h.name for h in hosts] == ["EX01", "EX02"]
    assert all(any(p == "EX03.zip" for p, _ in h.errors) for h in hosts)


def test_zip_member_names_climbing_out(tmp_path: Path) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../../outside.aspx", ASPX)
        z.writestr("/etc/absolute.aspx", ASPX)
        z.writestr("ok/../../up.aspx", ASPX)
        z.writestr("inetpub/wwwroot/aspnet_client/fine.aspx", ASPX)
    before = tree_hash(tmp_path)
    (host,) = discover(str(path))
    assert tree_hash(tmp_path) == before
    assert not (tmp_path.parent / "outside.aspx").exists()
    files = by_rel(host)
    assert set(files) == {"outside.aspx", "etc/absolute.aspx", "ok/up.aspx", "inetpub/wwwroot/aspnet_client/fine.aspx"}
    climbing = {p for p, message in host.errors if "climbs out of the archive" in message}
    assert climbing == {"outside.aspx", "etc/absolute.aspx", "ok/up.aspx"}
    with files["outside.aspx"].open() as fh:  # read in place, from the member as stored
        assert fh.read() == ASPX.encode()


def _mark_encrypted(path: Path, member: bytes) -> None:
    """Set the 'encrypted' flag of one member in its local and central headers."""
    data = bytearray(path.read_bytes())
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            name_at = at + (30 if flag_at == 6 else 46)
            if data[name_at : name_at + len(member)] == member:
                data[at + flag_at] |= 0x1
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def test_encrypted_and_duplicate_zip_members(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "odd.zip", {"a/u_ex210303.log": IIS, "a/locked.log": IIS})
    _mark_encrypted(path, b"a/locked.log")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("a/twice.aspx", "first")
        with pytest.warns(UserWarning, match="Duplicate name"):
            z.writestr("a/twice.aspx", "second")
    (host,) = discover(str(path))
    errors = dict(host.errors)
    assert "encrypted" in errors["a/locked.log"]
    assert "twice" in errors["a/twice.aspx"]
    with by_rel(host)["a/twice.aspx"].open() as fh:
        assert fh.read() == b"second"
    assert kinds(host)["a/u_ex210303.log"] is K.IIS


def test_utf16_headers_are_sniffed(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "exports",
        {
            "proxy-bom.txt": b"\xff\xfe" + HTTPPROXY.encode("utf-16-le"),
            "iis-no-bom.log": IIS.encode("utf-16-le"),
            "iis-be.log": b"\xfe\xff" + IIS.encode("utf-16-be"),
            "events-utf16.json": b"\xff\xfe" + '[{"Channel": "Security", "EventID": 4624}]'.encode("utf-16-le"),
            "binary.log": bytes(range(256)) * 20,
            "truncated.log": b"#Software: Microsoft Inter",
        },
    )
    (host,) = discover_unchanged(root)
    assert kinds(host) == {
        "binary.log": K.FILE,
        "events-utf16.json": K.EVENT_JSON,
        "iis-be.log": K.IIS,
        "iis-no-bom.log": K.IIS,
        "proxy-bom.txt": K.HTTPPROXY,
        "truncated.log": K.FILE,
    }
    assert host.errors == []


def test_unreadable_file_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(
        tmp_path / "EX01",
        {
            "C/Temp/locked.log": HTTPPROXY,
            "C/Temp/open.log": HTTPPROXY,
            "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": IIS,
        },
    )
    real = tree_module.Tree.read_prefix

    def locked(self: tree_module.Tree, entry: tree_module.Entry, size: int) -> bytes:
        if entry.parts[-1] == "locked.log":
            raise PermissionError(13, "Permission denied")
        return real(self, entry, size)

    monkeypatch.setattr(tree_module.Tree, "read_prefix", locked)
    (host,) = discover(str(root))
    assert ("C/Temp/locked.log", "cannot read file: Permission denied") in host.errors
    assert kinds(host)["C/Temp/locked.log"] is K.FILE and kinds(host)["C/Temp/open.log"] is K.HTTPPROXY


def test_unreadable_folder_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_tree(tmp_path / "EX01", {**windows_files(), "C/Users/Admin/secret.txt": "x"})
    real = os.scandir
    admin = str(root / "C" / "Users" / "Admin")

    def scandir(path: str) -> object:
        if str(path) == admin:
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    (host,) = discover(str(root))
    assert ("C/Users/Admin", "cannot list folder: Permission denied") in host.errors
    assert "C/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log" in by_rel(host)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads everything")
def test_permissions_really_denied(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "EX01", {"a/locked.aspx": ASPX, "b/hidden.aspx": ASPX, "c/ok.aspx": ASPX})
    (root / "a" / "locked.aspx").chmod(0)
    (root / "b").chmod(0)
    try:
        (host,) = discover(str(root))
    finally:
        (root / "b").chmod(0o755)
        (root / "a" / "locked.aspx").chmod(0o644)
    errors = dict(host.errors)
    assert "permission denied" in errors["a/locked.aspx"].lower()
    assert "permission denied" in errors["b"].lower()
    assert set(by_rel(host)) == {"c/ok.aspx"}


@pytest.mark.skipif(not hasattr(os, "symlink") or sys.platform == "win32", reason="POSIX links")
def test_links_do_not_lead_out_of_the_evidence(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "elsewhere", {"secret.aspx": ASPX})
    root = write_tree(tmp_path / "EX01", {"wwwroot/aspnet_client/real.aspx": ASPX})
    (root / "wwwroot" / "out-file.aspx").symlink_to(outside / "secret.aspx")
    (root / "wwwroot" / "out-folder").symlink_to(outside, target_is_directory=True)
    (root / "wwwroot" / "loop").symlink_to(root, target_is_directory=True)
    (root / "wwwroot" / "alias.aspx").symlink_to(root / "wwwroot" / "aspnet_client" / "real.aspx")
    (root / "wwwroot" / "dangling.aspx").symlink_to(tmp_path / "gone.aspx")
    (host,) = discover_unchanged(root)
    assert set(by_rel(host)) == {"wwwroot/aspnet_client/real.aspx", "wwwroot/alias.aspx"}
    errors = dict(host.errors)
    assert "outside the evidence" in errors["wwwroot/out-file.aspx"]
    assert "outside the evidence" in errors["wwwroot/out-folder"]
    assert "link to a folder" in errors["wwwroot/loop"]
    assert "broken link" in errors["wwwroot/dangling.aspx"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_named_pipe_is_never_opened(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "EX01", {"logs/real.log": IIS})
    os.mkfifo(root / "logs" / "pipe.log")  # opening it would block forever
    (host,) = discover(str(root))
    assert set(by_rel(host)) == {"logs/real.log"}
    assert "not a regular file" in dict(host.errors)["logs/pipe.log"]


def test_hostile_names_and_client_info(tmp_path: Path) -> None:
    members = {
        "client_info.json": '{"Hostname": "EX\\u0000<script>\\n01", "Fqdn": 5}',
        "uploads/auto/C%3A/inetpub/wwwroot/%3Cimg%20src%3Dx%3E%0A.aspx": ASPX,
        "uploads/auto/C%3A/inetpub/wwwroot/bad%ZZescape%FF.aspx": ASPX,
    }
    path = write_zip(tmp_path / "Collection-x-2024-01-01T00_00_00Z.zip", members)
    (host,) = discover_unchanged(path)
    assert host.name == "EX<script>01"  # control characters removed, the rest left for writers to escape
    assert set(by_rel(host)) == {
        "uploads/auto/C:/inetpub/wwwroot/<img src=x>\n.aspx",
        "uploads/auto/C:/inetpub/wwwroot/bad%ZZescape%FF.aspx",
    }


def test_damaged_client_info_falls_back_to_the_zip_name(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "Collection-EX09.corp.local-2024-01-01T00_00_00Z.zip",
        {"client_info.json": "{not json", "uploads/auto/C%3A/inetpub/wwwroot/a.aspx": ASPX},
    )
    (host,) = discover(str(path))
    assert host.name == "EX09.corp.local"
    assert any("client info" in message for _, message in host.errors)


def test_encrypted_velociraptor_collection(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "Collection-EX10-2024-01-01T00_00_00Z.zip",
        {"metadata.json": '{"EncryptionScheme": "X509"}', "data.zip": b"PK\x03\x04garbage"},
    )
    (host,) = discover(str(path))
    assert host.name == "EX10" and host.files == []
    assert any("decrypt it first" in message for _, message in host.errors)
