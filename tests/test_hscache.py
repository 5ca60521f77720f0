"""Compiled Hyperscan databases kept between runs: used only when sound, else compiled again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from cache_support import DAMAGES, damaged
from exhunt import hscache

hyperscan = pytest.importorskip("hyperscan")

PATTERNS = [b"autodiscover\\.json", b"powershell", b"/ecp/[a-z]+\\.js"]
IDS = [0, 1, 2]
FLAGS = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE
TEXT = b"GET /autodiscover.json?@x.com/PowerShell/ HTTP/1.1\nGET /ecp/y.js\n"


def _matches(db: Any) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    db.scan(TEXT, match_event_handler=lambda uid, _s, end, _f, _c: out.append((uid, end)))
    return sorted(out)


def _compiled() -> list[tuple[int, int]]:
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(expressions=PATTERNS, ids=IDS, elements=len(PATTERNS), flags=FLAGS)
    return _matches(db)


class _NoCompile:
    """Hyperscan whose compiler must not be called (the database has to come from the cache)."""

    def __init__(self) -> None:
        self.__version__ = hyperscan.__version__
        self.HS_MODE_BLOCK = hyperscan.HS_MODE_BLOCK
        self.loadb = hyperscan.loadb
        self.dumpb = hyperscan.dumpb
        self.Scratch = hyperscan.Scratch

    def Database(self, **_kw: object) -> Any:
        raise AssertionError("compiled although a sound copy was cached")


def _entry(folder: Path) -> Path:
    (entry,) = folder.glob("*.hsdb")
    return entry


def test_a_second_run_loads_what_the_first_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    first = hscache.database(hyperscan, PATTERNS, IDS, FLAGS)
    entry = _entry(tmp_path)
    assert entry.name == hscache.key(hyperscan, hyperscan.HS_MODE_BLOCK, PATTERNS, IDS, FLAGS).hex() + ".hsdb"
    second = hscache.database(_NoCompile(), PATTERNS, IDS, FLAGS)
    assert _matches(first) == _matches(second) == _compiled() != []


def test_other_patterns_or_flags_are_another_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    hscache.database(hyperscan, PATTERNS, IDS, FLAGS)
    hscache.database(hyperscan, PATTERNS[:2], IDS[:2], FLAGS)
    hscache.database(hyperscan, PATTERNS, IDS, hyperscan.HS_FLAG_CASELESS)
    assert len(list(tmp_path.glob("*.hsdb"))) == 3
    with pytest.raises(AssertionError):
        hscache.database(_NoCompile(), PATTERNS, IDS, hyperscan.HS_FLAG_MULTILINE)


@pytest.mark.parametrize("damage", [*DAMAGES, "other-entry"])
def test_a_damaged_or_foreign_entry_is_compiled_again_and_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    hscache.database(hyperscan, PATTERNS, IDS, FLAGS)
    entry = _entry(tmp_path)
    data = entry.read_bytes()
    if damage != "other-entry":
        data = damaged(data, hscache.MAGIC, damage)
    else:  # a sound entry of other patterns under this entry's name
        sub = tmp_path / "other"
        monkeypatch.setenv("EXHUNT_CACHE", str(sub))
        hscache.database(hyperscan, PATTERNS[:1], IDS[:1], FLAGS)
        data = _entry(sub).read_bytes()
        monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    entry.write_bytes(bytes(data))
    with pytest.raises(AssertionError):
        hscache.database(_NoCompile(), PATTERNS, IDS, FLAGS)
    assert _matches(hscache.database(hyperscan, PATTERNS, IDS, FLAGS)) == _compiled()
    assert hscache.database(_NoCompile(), PATTERNS, IDS, FLAGS) is not None  # replaced by a sound one


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_an_entry_others_may_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    hscache.database(hyperscan, PATTERNS, IDS, FLAGS)
    _entry(tmp_path).chmod(0o666)
    with pytest.raises(AssertionError):
        hscache.database(_NoCompile(), PATTERNS, IDS, FLAGS)
    _entry(tmp_path).chmod(0o600)
    tmp_path.chmod(0o777)
    with pytest.raises(AssertionError):
        hscache.database(_NoCompile(), PATTERNS, IDS, FLAGS)


def test_turned_off_or_unwritable_it_only_compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", "off")
    assert hscache.cache_dir() is None
    assert _matches(hscache.database(hyperscan, PATTERNS, IDS, FLAGS)) == _compiled()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EXHUNT_CACHE", str(blocker / "cache"))
    assert _matches(hscache.database(hyperscan, PATTERNS, IDS, FLAGS)) == _compiled()
