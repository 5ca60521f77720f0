"""A tree's listing packed as it is walked gives back the entries the walk found, in its order:
files on disk, links, names that are not UTF-8, archive members (nested, climbing, absolute);
and the paths the layout reads from it are those of the entries."""

from __future__ import annotations

import io
import os
import sys
import tarfile
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from exhunt.evidence.base import FileRef
from exhunt.evidence.entries import Entries, Entry, Picked, RelPaths
from exhunt.evidence.names import velociraptor_decode
from exhunt.evidence.tree import Budget, Counter, expand_containers, list_folder


def _odd_entries() -> list[Entry]:
    east = timezone(timedelta(hours=3))
    return [
        Entry(("C", "inetpub", "a.aspx"), FileRef("/e/C/inetpub/a.aspx"), 10, 1614556800.25),
        Entry(("C", "inetpub", "b.aspx"), FileRef("/e/C/inetpub/b.aspx"), 0, None),
        # A link: its path on disk is its target's, which does not end with its name.
        Entry(("C", "inetpub", "alias.aspx"), FileRef("/e/C/real/a.aspx"), 10, 0.0),
        Entry(("C", "inetpub", "\udcff.aspx"), FileRef("/e/C/inetpub/\udcff.aspx"), 1, -5.5),
        Entry(("case.zip",), FileRef("/e/case.zip"), 2**40, 1.0, container=True),
        Entry(
            ("case.zip", "inner", "é€\U0001f600.log"),
            FileRef("inner/é€\U0001f600.log", "/e/case.zip", ("EX01.tar",)),
            7,
            datetime(2021, 3, 2, 5, 0, tzinfo=east),
        ),
        Entry(("case.zip", "inner", "x.log"), FileRef("inner\\x.log", "/e/case.zip"), 3, datetime(2021, 3, 2, 5, 0)),
        Entry(("C:", "Windows", "t.txt"), FileRef("C:/Windows/t.txt", "/e/case.zip"), 4, None, stray=True),
        Entry(("case.zip", "up.txt"), FileRef("../up.txt", "/e/case.zip"), 5, datetime(2021, 3, 1, tzinfo=UTC)),
        Entry(("lone",), FileRef("/e/lone"), 6, 2.0),
        Entry(("C", "inetpub", "a.aspx"), FileRef("/e/C/inetpub/a.aspx"), 10, 1614556800.25),  # twice
    ]


def test_entries_round_trip_in_order() -> None:
    given = _odd_entries()
    packed = Entries()
    for entry in given:
        packed.append(entry)
    assert len(packed) == len(given)
    assert list(packed) == given
    assert [packed[n] for n in range(len(given))] == given
    assert packed[-1] == given[-1] and packed[1:3] == given[1:3]
    with pytest.raises(IndexError):
        packed[len(given)]
    for n, entry in enumerate(given):
        assert packed.name(n) == entry.parts[-1]
        assert packed.folder_of(n) == entry.parts[:-1]
        assert packed.is_container(n) == entry.container and packed.is_stray(n) == entry.stray
    # One folder's files share its components (and the folder is held once).
    assert packed.group(0) == packed.group(1) == packed.group(10) != packed.group(4)
    assert packed.folder_of(0) is packed.folder_of(1)
    packed.mark_container(9)
    assert packed[9].container and packed.is_container(9)
    picked = Picked(packed, [5, 0])
    assert list(picked) == [given[5], given[0]] and picked[1] == given[0] and len(picked) == 2


def test_rel_paths_are_the_entries_paths() -> None:
    given = [
        Entry(("case", "uploads", "auto", "C%3A", "Pro%20gram", "X%2Ey.LOG"), FileRef("/c/1"), 1, 0.0),
        Entry(("case", "uploads", "auto", "C%3A", "Pro%20gram", "b.log"), FileRef("/c/2"), 1, 0.0),
        Entry(("case", "client_info.json"), FileRef("/c/3"), 1, 0.0),
        Entry(("case", "Results", "A.JSON"), FileRef("/c/4"), 1, 0.0),
    ]
    packed = Entries()
    for entry in given:
        packed.append(entry)
    picked = Picked(packed, range(len(given)))

    def encoded(folder: tuple[str, ...]) -> bool:
        return bool(folder) and folder[0] == "uploads"

    for lower in (False, True):
        paths = RelPaths(picked, 1, velociraptor_decode, encoded, lower)
        expected = []
        for entry in given:
            rel = entry.parts[1:]
            if len(rel) > 1 and rel[0] == "uploads":
                rel = tuple(map(velociraptor_decode, rel))
            expected.append(tuple(p.lower() for p in rel) if lower else rel)
        assert list(paths) == expected == [paths[n] for n in range(len(given))]
        assert paths[1:3] == expected[1:3]
        assert paths.folders() == {p[:-1] for p in expected if len(p) > 1}
    assert RelPaths(picked, 1, velociraptor_decode, encoded, False)[0] == (
        "uploads",
        "auto",
        "C:",
        "Pro gram",
        "X.y.LOG",
    )


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1614556800
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _odd_tree(root: Path) -> None:
    (root / "b dir" / "deeper").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "a.aspx").write_bytes(b"a")
    (root / "b dir" / "é€.log").write_bytes(b"log")
    (root / "b dir" / "deeper" / "k.config").write_bytes(b"<configuration/>")
    with zipfile.ZipFile(root / "case.zip", "w") as z:
        z.writestr("inner/x.log", b"x" * 3)
        z.writestr("inner\\back.log", b"b")
        z.writestr("C:/Windows/Temp/abs.txt", b"abs")
        z.writestr("../up.txt", b"up")
        z.writestr("./dot/d.txt", b"d")
        z.writestr("nested.tar", _tar({"deep/t.txt": b"deep", "w.aspx": b"w"}))


def test_walk_packs_what_it_lists(tmp_path: Path) -> None:
    """The walk's listing, packed, against the entries it is known to give (the order: a folder's
    files by name before its folders; each archive's members after everything listed before)."""
    root = tmp_path / "ev"
    root.mkdir()
    _odd_tree(root)
    odd_name = None
    if sys.platform != "win32" and sys.platform != "darwin":  # a name that is not UTF-8
        (root / "b dir").joinpath(os.fsdecode(b"\xff.aspx")).write_bytes(b"ff")
        odd_name = os.fsdecode(b"\xff.aspx")
    link = False
    if hasattr(os, "symlink") and sys.platform != "win32":
        (root / "link.aspx").symlink_to(root / "a.aspx")
        link = True
    counter = Counter(None)
    tree = list_folder(str(root), counter=counter)
    expand_containers(tree, counter=counter, budget=Budget())
    real = os.path.realpath(root)
    zip_path = os.path.join(real, "case.zip")
    expected: list[tuple[tuple[str, ...], FileRef, int, bool, bool]] = [
        (("a.aspx",), FileRef(os.path.join(real, "a.aspx")), 1, False, False),
        (("case.zip",), FileRef(zip_path), (root / "case.zip").stat().st_size, True, False),
    ]
    if link:
        expected.append((("link.aspx",), FileRef(os.path.join(real, "a.aspx")), 1, False, False))
    expected.append((("b dir", "é€.log"), FileRef(os.path.join(real, "b dir", "é€.log")), 3, False, False))
    if odd_name is not None:
        expected.append((("b dir", odd_name), FileRef(os.path.join(real, "b dir", odd_name)), 2, False, False))
    expected += [
        (("b dir", "deeper", "k.config"), FileRef(os.path.join(real, "b dir", "deeper", "k.config")), 16, False, False),
        (("case.zip", "inner", "x.log"), FileRef("inner/x.log", zip_path), 3, False, False),
        (("case.zip", "inner", "back.log"), FileRef("inner\\back.log", zip_path), 1, False, False),
        (
            ("case.zip", "C:", "Windows", "Temp", "abs.txt"),
            FileRef("C:/Windows/Temp/abs.txt", zip_path),
            3,
            False,
            False,
        ),
        (("case.zip", "up.txt"), FileRef("../up.txt", zip_path), 2, False, False),
        (("case.zip", "dot", "d.txt"), FileRef("./dot/d.txt", zip_path), 1, False, False),
        (
            ("case.zip", "nested.tar"),
            FileRef("nested.tar", zip_path),
            len(_tar({"deep/t.txt": b"deep", "w.aspx": b"w"})),
            True,
            False,
        ),
        (
            ("case.zip", "nested.tar", "deep", "t.txt"),
            FileRef("deep/t.txt", zip_path, ("nested.tar",)),
            4,
            False,
            False,
        ),
        (("case.zip", "nested.tar", "w.aspx"), FileRef("w.aspx", zip_path, ("nested.tar",)), 1, False, False),
    ]
    got = [(e.parts, e.ref, e.size, e.container, e.stray) for e in tree.entries]
    assert got == expected
    for n, entry in enumerate(tree.entries):
        assert tree.entries.name(n) == entry.parts[-1]
        if entry.ref.archive is None:  # a file system time, as `stat` gave it
            assert entry.mtime == os.stat(entry.ref.path).st_mtime
        else:
            assert isinstance(entry.mtime, datetime)
        if not entry.container:
            with entry.ref.open() as fh:
                assert len(fh.read()) == entry.size
