"""What the Hyperscan database cache and the rule TOML cache met is said in the hunt's cache
notice, as the Sigma cache says it in its load notice; a first run stays quiet, and no miss
changes a result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cache_support import DAMAGES, damaged
from conftest import REPO
from exhunt import cachefile, hscache, tomlcache

hyperscan = pytest.importorskip("hyperscan")

PATTERNS = [b"autodiscover\\.json", b"powershell"]
IDS = [0, 1]
FLAGS = hyperscan.HS_FLAG_CASELESS
TEXT = '[EXH-X-1]\ntitle = "a rule"\nseverity = "high"\n'

# What each damage of `cache_support` is read as, in the words of the notice.
SAID = {
    "payload": "damaged (checksum)",
    "sum": "damaged (checksum)",
    "key": "stale (another key)",
    "magic": "unreadable (another cache or format)",
    "truncated": "unreadable (another cache or format)",
}


def _hs_entry(folder: Path) -> Path:
    (entry,) = folder.glob("*.hsdb")
    return entry


def _toml_entry(folder: Path) -> Path:
    (entry,) = (folder / "toml").glob("*.json")
    return entry


def _matches(db: Any) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    db.scan(b"GET /autodiscover.json PowerShell", match_event_handler=lambda i, _s, e, _f, _c: out.append((i, e)))
    return sorted(out)


def _hs() -> Any:
    return hscache.database(hyperscan, PATTERNS, IDS, FLAGS)


def _toml() -> dict[str, Any]:
    return tomlcache.loads(TEXT)


CACHES: dict[str, tuple[Callable[[], Any], Callable[[Path], Path], bytes, str]] = {
    "hyperscan": (_hs, _hs_entry, hscache.MAGIC, "Hyperscan database cache"),
    "toml": (_toml, _toml_entry, tomlcache.MAGIC, "rule TOML cache"),
}


def _result(which: str, value: Any) -> Any:
    return _matches(value) if which == "hyperscan" else value


@pytest.fixture(params=sorted(CACHES))
def which(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path))
    return str(request.param)


def test_a_first_run_and_a_sound_entry_say_nothing(which: str) -> None:
    build = CACHES[which][0]
    build()
    build()
    assert cachefile.notes() == ()


@pytest.mark.parametrize("damage", DAMAGES)
def test_each_damage_is_noted_with_its_reason(which: str, tmp_path: Path, damage: str) -> None:
    build, entry_of, magic, name = CACHES[which]
    expected = _result(which, build())
    entry = entry_of(tmp_path)
    entry.write_bytes(damaged(entry.read_bytes(), magic, damage))
    assert _result(which, build()) == expected
    (note,) = cachefile.notes()
    assert note == f"{name} {entry.parent}: {SAID[damage]}; " + (
        "compiled again" if which == "hyperscan" else "parsed again"
    )
    cachefile.forget_notes()
    assert _result(which, build()) == expected  # replaced by a sound one
    assert cachefile.notes() == ()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX file modes")
def test_a_foreign_entry_is_noted(which: str, tmp_path: Path) -> None:
    build, entry_of, _, name = CACHES[which]
    expected = _result(which, build())
    entry_of(tmp_path).chmod(0o666)
    assert _result(which, build()) == expected
    (note,) = cachefile.notes()
    assert note.startswith(f"{name} {entry_of(tmp_path).parent}: not this user's alone")


def test_a_link_in_place_of_the_entry_is_noted(which: str, tmp_path: Path) -> None:
    build, entry_of, _, name = CACHES[which]
    expected = _result(which, build())
    entry = entry_of(tmp_path)
    moved = entry.with_name("elsewhere")
    entry.rename(moved)
    entry.symlink_to(moved)
    assert _result(which, build()) == expected
    assert any(n.startswith(f"{name} {entry.parent}: not this user's alone") for n in cachefile.notes())


def test_an_entry_past_the_size_limit_is_noted(which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build, entry_of, _, name = CACHES[which]
    expected = _result(which, build())
    module = hscache if which == "hyperscan" else tomlcache
    monkeypatch.setattr(module, "MAX_BYTES", 10)
    assert _result(which, build()) == expected
    (note,) = cachefile.notes()
    assert note.startswith(f"{name} {entry_of(tmp_path).parent}: too large (over 10 bytes); ")


def test_an_entry_the_system_will_not_open_is_noted(
    which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build, entry_of, _, name = CACHES[which]
    expected = _result(which, build())
    entry = entry_of(tmp_path)
    real_open = os.open

    def refuse(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path) == str(entry):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(cachefile.os, "open", refuse)
    assert _result(which, build()) == expected
    assert cachefile.notes()[0].startswith(f"{name} {entry.parent}: not readable (Permission denied); ")


def test_an_entry_sound_on_disk_but_refused_by_its_reader_is_noted(which: str, tmp_path: Path) -> None:
    build, entry_of, magic, name = CACHES[which]
    expected = _result(which, build())
    entry = entry_of(tmp_path)
    key = entry.stem
    module = hscache if which == "hyperscan" else tomlcache
    for payload, said in ((b"not a database", "refused by Hyperscan"), (b"[1, 2]", "not a table"), (b"{", "not JSON")):
        if (which == "hyperscan") != (said == "refused by Hyperscan"):
            continue
        cachefile.write(entry, magic, module.FORMAT, key, payload)  # whole by its checksum, but no use
        assert _result(which, build()) == expected
        assert cachefile.notes()[-1].startswith(f"{name} {entry.parent}: {said}")


def test_a_cache_folder_that_cannot_be_written_is_noted(
    which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = CACHES[which][0]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("EXHUNT_CACHE", str(blocker / "cache"))
    build()
    once = cachefile.notes()
    build()
    assert cachefile.notes() == once  # said once, however often it is met
    assert any(": not written (" in note and str(blocker) in note for note in once)


def _hunt(examples: Path, cache: Path) -> tuple[int, dict[str, Any], str]:
    env = {**os.environ, "EXHUNT_CACHE": str(cache), "EXHUNT_SIGMA_CACHE": "off"}
    run = subprocess.run(
        [sys.executable, "-m", "exhunt", "hunt", str(examples), "--json", "-", "--no-db"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    return run.returncode, json.loads(run.stdout), run.stderr


def _notices(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {
        h["host"]: [o["value"] for o in h["observations"] if o["value"].startswith("exhunt cache:")]
        for h in doc["hosts"]
    }


def _without_notices(doc: dict[str, Any]) -> list[Any]:
    return [
        {k: v for k, v in h.items() if k not in {"observations", "started", "finished"}}
        | {"observations": [o for o in h["observations"] if not o["value"].startswith("exhunt cache:")]}
        for h in doc["hosts"]
    ]


def test_a_hunt_says_what_its_caches_met_and_finds_the_same(tmp_path: Path) -> None:
    examples = Path(shutil.copytree(REPO / "examples", tmp_path / "examples"))
    cache = tmp_path / "cache"
    code, first, _ = _hunt(examples, cache)
    assert _notices(first) == {h["host"]: [] for h in first["hosts"]}  # a first run: every entry absent
    entries = [*cache.glob("*.hsdb"), *(cache / "toml").glob("*.json")]
    assert any(e.suffix == ".hsdb" for e in entries) and any(e.suffix == ".json" for e in entries)
    for entry in entries:
        entry.write_bytes(damaged(entry.read_bytes(), entry.read_bytes().partition(b"\n")[0], "payload"))
    again, second, err = _hunt(examples, cache)
    assert again == code and "Traceback" not in err
    hsdb = sum(1 for e in entries if e.suffix == ".hsdb")
    for notes in _notices(second).values():  # one line per cache folder and reason, not one per entry
        assert sorted(notes) == [
            f"exhunt cache: Hyperscan database cache {cache}: damaged (checksum); compiled again ({hsdb} entries)",
            f"exhunt cache: rule TOML cache {cache / 'toml'}: damaged (checksum); parsed again"
            f" ({len(entries) - hsdb} entries)",
        ]
    assert _without_notices(second) == _without_notices(first)
    assert _notices(_hunt(examples, cache)[1]) == _notices(first)  # replaced: quiet again


def test_what_the_hunting_process_met_is_said_once_whether_or_not_the_workers_met_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hunting process reads the rules too (a Dask worker or the fork server may find the
    cache already mended); what it met reaches each host, and is not said twice where the
    process running the host's checks met it as well."""
    from exhunt.evidence import discover
    from exhunt.hunt import Inline, hunt_hosts

    class Elsewhere(Inline):
        """Units run as in a worker process whose caches met nothing."""

        def wait(self) -> Any:
            kept = dict(cachefile._notes)
            cachefile.forget_notes()
            try:
                return super().wait()
            finally:
                cachefile._notes.update(kept)

    cachefile.note(f"rule TOML cache {tmp_path}: damaged (checksum); parsed again", tmp_path / "a.json")
    said = f"exhunt cache: rule TOML cache {tmp_path}: damaged (checksum); parsed again"
    for backend in (Elsewhere(), Inline()):
        result = hunt_hosts(discover(str(REPO / "examples")), backend=backend)
        for host in result.hosts:
            assert [o.value for o in host.observations if o.value.startswith("exhunt cache:")] == [said]
