"""Private cache entries: read back only when whole, of this cache, key and user, else a reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cache_support import DAMAGES, damaged
from exhunt import cachefile

MAGIC = b"exhunt-test"
KEY = "ab" * 32
PAYLOAD = b"\x00payload\nwith lines\n\xff" * 10

EXPECTED = {
    "payload": cachefile.DAMAGED,
    "sum": cachefile.DAMAGED,
    "key": cachefile.STALE,
    "magic": cachefile.UNREADABLE,
    "truncated": cachefile.UNREADABLE,
}


def _entry(tmp_path: Path) -> Path:
    path = tmp_path / "cache" / "entry.bin"
    cachefile.write(path, MAGIC, 1, KEY, PAYLOAD, "build-1")
    return path


def test_an_entry_reads_back_as_written(tmp_path: Path) -> None:
    path = _entry(tmp_path)
    assert cachefile.read(path, MAGIC, 1, KEY, 1 << 20) == PAYLOAD
    assert [p.name for p in path.parent.iterdir()] == ["entry.bin"], "no temporary file left"
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        header = cachefile.read_header(fd, path.name, MAGIC)
        assert header is not None and header["build"] == "build-1" and header["key"] == KEY
        assert cachefile.read_header(fd, path.name, b"exhunt-other") is None
    finally:
        os.close(fd)


@pytest.mark.parametrize("damage", DAMAGES)
def test_each_damage_is_a_miss_with_its_reason(tmp_path: Path, damage: str) -> None:
    path = _entry(tmp_path)
    path.write_bytes(damaged(path.read_bytes(), MAGIC, damage))
    miss = cachefile.read(path, MAGIC, 1, KEY, 1 << 20)
    assert miss == cachefile.Miss(EXPECTED[damage])


def test_absent_other_key_format_magic_or_size_are_misses(tmp_path: Path) -> None:
    path = _entry(tmp_path)
    assert cachefile.read(path.with_name("none"), MAGIC, 1, KEY, 1 << 20) == cachefile.Miss(cachefile.ABSENT)
    assert cachefile.read(tmp_path / "no-folder" / "x", MAGIC, 1, KEY, 1 << 20) == cachefile.Miss(cachefile.ABSENT)
    assert cachefile.read(path, MAGIC, 1, "cd" * 32, 1 << 20) == cachefile.Miss(cachefile.STALE)
    assert cachefile.read(path, MAGIC, 2, KEY, 1 << 20) == cachefile.Miss(cachefile.UNREADABLE)
    assert cachefile.read(path, b"exhunt-other", 1, KEY, 1 << 20) == cachefile.Miss(cachefile.UNREADABLE)
    too_large = cachefile.read(path, MAGIC, 1, KEY, 100)
    assert isinstance(too_large, cachefile.Miss) and too_large.reason == cachefile.TOO_LARGE


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_what_others_may_write_or_a_link_is_foreign(tmp_path: Path) -> None:
    path = _entry(tmp_path)
    foreign = cachefile.Miss(cachefile.FOREIGN)
    path.chmod(0o664)
    assert cachefile.read(path, MAGIC, 1, KEY, 1 << 20) == foreign
    path.chmod(0o600)
    path.parent.chmod(0o777)
    try:
        assert cachefile.read(path, MAGIC, 1, KEY, 1 << 20) == foreign
        with pytest.raises(PermissionError):
            cachefile.write(path.with_name("new"), MAGIC, 1, KEY, PAYLOAD)
        assert not path.with_name("new").exists()
    finally:
        path.parent.chmod(0o700)
    link = path.with_name("link")
    link.symlink_to(path)
    assert cachefile.read(link, MAGIC, 1, KEY, 1 << 20) == foreign
    path.chmod(0o000)
    try:
        if not os.access(path, os.R_OK):  # root reads any file
            unreadable = cachefile.read(path, MAGIC, 1, KEY, 1 << 20)
            assert isinstance(unreadable, cachefile.Miss) and unreadable.reason == cachefile.NOT_READABLE
    finally:
        path.chmod(0o600)


def test_a_folder_that_cannot_be_made_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError):
        cachefile.write(blocker / "cache" / "entry", MAGIC, 1, KEY, PAYLOAD)
