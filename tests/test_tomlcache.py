"""Rule files' TOML kept between runs as JSON: used only when sound, else parsed again."""

from __future__ import annotations

import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cache_support import DAMAGES, damaged
from exhunt import boundedtoml, tomlcache
from exhunt.rules import shipped_files

TEXT = """
[EXH-X-1]
title = "a rule"
severity = "high"
cves = ["CVE-2021-26855"]
weight = 0.5
max_findings_per_source = 200
nested = { a = [1, 2, [3]], b = true }
"""


def _entry(folder: Path) -> Path:
    (entry,) = (folder / "toml").glob("*.json")
    return entry


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_text: str) -> dict[str, Any]:
        raise AssertionError("parsed although a sound copy was cached")

    monkeypatch.setattr(boundedtoml, "loads", refuse)


def test_a_second_load_reads_what_the_first_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    first = tomlcache.loads(TEXT)
    assert first == tomllib.loads(TEXT)
    _entry(tmp_path)
    with monkeypatch.context() as m:
        _no_parse(m)
        assert tomlcache.loads(TEXT) == first
    other = TEXT.replace("high", "low")
    assert tomlcache.loads(other)["EXH-X-1"]["severity"] == "low"  # another text, another entry


def test_the_shipped_rules_read_back_as_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    files = shipped_files()
    parsed = [tomlcache.loads(text) for _, text in files]
    with monkeypatch.context() as m:
        _no_parse(m)
        assert [tomlcache.loads(text) for _, text in files] == parsed == [tomllib.loads(t) for _, t in files]


@pytest.mark.parametrize("damage", [*DAMAGES, "other-text"])
def test_a_damaged_or_foreign_entry_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    tomlcache.loads(TEXT)
    entry = _entry(tmp_path)
    data = entry.read_bytes()
    if damage != "other-text":
        data = damaged(data, tomlcache.MAGIC, damage)
    else:  # a sound entry of another text under this entry's name
        tomlcache.loads(TEXT.replace("high", "low"))
        (foreign,) = [p for p in (tmp_path / "toml").glob("*.json") if p != entry]
        data = foreign.read_bytes()
        foreign.unlink()
    entry.write_bytes(bytes(data))
    with monkeypatch.context() as m, pytest.raises(AssertionError):
        _no_parse(m)
        tomlcache.loads(TEXT)
    assert tomlcache.loads(TEXT) == tomllib.loads(TEXT)
    with monkeypatch.context() as m:
        _no_parse(m)
        assert tomlcache.loads(TEXT) == tomllib.loads(TEXT)  # replaced by a sound one


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_an_entry_others_may_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    tomlcache.loads(TEXT)
    _entry(tmp_path).chmod(0o666)
    with monkeypatch.context() as m, pytest.raises(AssertionError):
        _no_parse(m)
        tomlcache.loads(TEXT)
    _entry(tmp_path).chmod(0o600)
    (tmp_path / "toml").chmod(0o777)
    with monkeypatch.context() as m, pytest.raises(AssertionError):
        _no_parse(m)
        tomlcache.loads(TEXT)


def test_what_json_would_change_is_never_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    for text in ("day = 2021-03-02\n", "n = nan\n", "big = 18446744073709551616\n"):
        first = tomlcache.loads(text)
        assert list((tmp_path / "toml").glob("*.json")) == []
        assert str(tomlcache.loads(text)) == str(first)
    assert tomlcache.loads("day = 2021-03-02\n") == {"day": date(2021, 3, 2)}


def test_bad_toml_still_raises_and_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    for text in ("x = [", "a = " + "[" * 5000 + "]" * 5000):
        with pytest.raises(tomllib.TOMLDecodeError):
            tomlcache.loads(text)
    assert not (tmp_path / "toml").exists() or list((tmp_path / "toml").iterdir()) == []


def test_turned_off_or_unwritable_it_only_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_CACHE", "off")
    assert tomlcache.loads(TEXT) == tomllib.loads(TEXT)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EXHUNT_CACHE", str(blocker / "cache"))
    assert tomlcache.loads(TEXT) == tomllib.loads(TEXT)
