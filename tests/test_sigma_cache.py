"""The on-disk cache of compiled Sigma rules: used when it holds the same rule files under the
same key, rebuilt when stale or damaged, never required, and giving the same rules as pySigma."""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from exhunt.sigma import reading
from exhunt.sigma.cache import FORMAT, cache_dir
from exhunt.sigma.ruleset import SigmaRuleset, build_ruleset
from sigma_support import event, fires, rule_yaml
from test_sigma_engine import CASES

CMD = "C:\\Windows\\System32\\cmd.exe"
GOOD = rule_yaml("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel")
OTHER = rule_yaml(
    "    sel:\n        CommandLine|contains: 'whoami'\n    condition: sel",
    id="22222222-2222-3333-4444-555555555555",
)
MINUTE = rule_yaml("    sel:\n        Image|minute: 5\n    condition: sel", id="33333333-2222-3333-4444-555555555555")
LINUX = rule_yaml("    sel:\n        Image: x\n    condition: sel", logsource="product: linux")


def _rules(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "good.yml").write_text(GOOD, encoding="utf-8")
    (folder / "other.yml").write_text(OTHER, encoding="utf-8")
    (folder / "minute.yml").write_text(MINUTE, encoding="utf-8")
    (folder / "linux.yml").write_text(LINUX, encoding="utf-8")
    return folder


class _Reads:
    """Counts the rule files pySigma reads (a cache hit reads none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        real = reading.read_rules

        def counted(text: str, where: str, levels: object) -> object:
            self.files.append(Path(where).name)
            return real(text, where, levels)  # type: ignore[arg-type]

        monkeypatch.setattr(reading, "read_rules", counted)


def _summary(rules: SigmaRuleset) -> tuple[object, ...]:
    return (
        rules.files,
        [(m.id, m.title, m.severity, m.implies, m.tags, m.path) for m in rules.loaded],
        [(p.path, p.message, p.rule_id) for p in rules.rejected],
        [(p.path, p.message, p.rule_id) for p in rules.not_applicable],
        len(rules.rules),
    )


def _only_cache_file(folder: Path) -> Path:
    (found,) = folder.glob("*.json")
    return found


def test_a_second_load_takes_every_file_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    reads = _Reads(monkeypatch)
    first = build_ruleset((str(rules_dir),), None, cache)
    assert sorted(reads.files) == ["good.yml", "linux.yml", "minute.yml", "other.yml"]
    assert "built" in first.cache_note and "0 of 4 rule files from the cache" in first.cache_note
    reads.files.clear()
    second = build_ruleset((str(rules_dir),), None, cache)
    assert reads.files == []
    assert "used" in second.cache_note and "4 of 4 rule files from the cache" in second.cache_note
    assert _summary(second) == _summary(first)
    # rejected and left-aside rules keep their reasons through the cache
    assert "timestamp part" in second.rejected[0].message and second.rejected[0].path.endswith("minute.yml")
    assert "product linux" in second.not_applicable[0].message
    assert fires(second, event(Image=CMD)) and fires(second, event(CommandLine="cmd /c WHOAMI"))
    assert not fires(second, event(Image="C:\\x\\notepad.exe", CommandLine="dir"))
    assert [p.name for p in cache.iterdir()] == [_only_cache_file(cache).name]  # no temporary file left


def test_a_changed_rule_file_is_read_again_and_only_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    build_ruleset((str(rules_dir),), None, cache)
    (rules_dir / "good.yml").write_text(GOOD.replace("\\cmd.exe", "\\calc.exe"), encoding="utf-8")
    reads = _Reads(monkeypatch)
    changed = build_ruleset((str(rules_dir),), None, cache)
    assert reads.files == ["good.yml"]
    assert "3 of 4 rule files from the cache" in changed.cache_note
    assert not fires(changed, event(Image=CMD)) and fires(changed, event(Image="C:\\x\\CALC.exe"))
    reads.files.clear()
    again = build_ruleset((str(rules_dir),), None, cache)  # the rewritten cache holds the new file
    assert reads.files == [] and fires(again, event(Image="C:\\x\\calc.exe"))
    (rules_dir / "other.yml").unlink()
    fewer = build_ruleset((str(rules_dir),), None, cache)
    assert fewer.files == 3 and not fires(fewer, event(CommandLine="whoami"))


def test_another_level_mapping_makes_the_cache_stale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    levels = tmp_path / "levels.toml"
    levels.write_text('[levels.high]\nseverity = "high"\nimplies = "suspicious"\n', encoding="utf-8")
    build_ruleset((str(rules_dir),), str(levels), cache)
    levels.write_text('[levels.high]\nseverity = "critical"\nimplies = "compromise"\n', encoding="utf-8")
    reads = _Reads(monkeypatch)
    stale = build_ruleset((str(rules_dir),), str(levels), cache)
    assert len(reads.files) == 4 and "stale" in stale.cache_note
    assert {m.severity.value for m in stale.loaded} == {"critical"}


@pytest.mark.parametrize(
    ("damage", "note"),
    [
        (lambda data: b"", "unreadable"),
        (lambda data: b"not a cache at all", "unreadable"),
        (lambda data: data[: len(data) // 2], "damaged"),
        (lambda data: data[:-40] + bytes(b ^ 1 for b in data[-40:]), "damaged"),
        (lambda data: data.replace(b'"format":%d' % FORMAT, b'"format":999', 1), "unreadable"),
    ],
)
def test_a_damaged_cache_is_ignored_and_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: object, note: str
) -> None:
    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    first = build_ruleset((str(rules_dir),), None, cache)
    path = _only_cache_file(cache)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    reads = _Reads(monkeypatch)
    rebuilt = build_ruleset((str(rules_dir),), None, cache)
    assert len(reads.files) == 4 and note in rebuilt.cache_note
    assert _summary(rebuilt) == _summary(first)
    reads.files.clear()
    assert "used" in build_ruleset((str(rules_dir),), None, cache).cache_note and reads.files == []


def _rewrite_body(path: Path, change: object) -> None:
    """A cache whose checksum is right but whose entries are of the wrong shape."""
    magic, header, body = path.read_bytes().split(b"\n", 2)
    entries = orjson.loads(body)
    change(entries)  # type: ignore[operator]
    body = orjson.dumps(entries)
    head = orjson.loads(header)
    head["sha256"] = hashlib.sha256(body).hexdigest()
    path.write_bytes(magic + b"\n" + orjson.dumps(head) + b"\n" + body)


def _good(entries: dict[str, dict[str, object]]) -> dict[str, object]:
    return next(e for w, e in entries.items() if w.endswith("good.yml"))


@pytest.mark.parametrize(
    "change",
    [
        lambda entries: _good(entries)["rules"][0]["trees"][0].__setitem__(0, "xor"),  # type: ignore[index]
        lambda entries: _good(entries)["rules"][0]["trees"][0].__setitem__(2, [7]),  # type: ignore[index]
        lambda entries: _good(entries)["rules"][0].__setitem__("meta", {"id": 5}),  # type: ignore[index]
        lambda entries: _good(entries)["rules"][0]["meta"].__setitem__("path", "elsewhere.yml"),  # type: ignore[index]
        lambda entries: _good(entries)["rules"][0].__setitem__("logsource", ["linux", None, None]),  # type: ignore[index]
        lambda entries: _good(entries).__setitem__("rejected", [[1, 2, 3]]),
        lambda entries: _good(entries).__setitem__("rules", "none"),
        lambda entries: _good(entries)["rules"][0].__setitem__("anchors", [[["Image"]]]),  # type: ignore[index]
        lambda entries: _good(entries)["rules"][0].__setitem__("anchors", []),  # type: ignore[index]
        lambda entries: _good(entries)["rules"][0].pop("anchors"),  # type: ignore[union-attr]
        lambda entries: _good(entries)["rules"][0]["trees"].append(["num", "EventID", True]),  # type: ignore[index]
        lambda entries: _good(entries)["rules"][0]["trees"].__setitem__(  # type: ignore[index]
            0, ["and", [["re", "Image", "(unclosed", 0]]]
        ),
    ],
)
def test_an_entry_of_the_wrong_shape_is_read_again_from_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: object
) -> None:
    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    first = build_ruleset((str(rules_dir),), None, cache)
    _rewrite_body(_only_cache_file(cache), change)
    reads = _Reads(monkeypatch)
    again = build_ruleset((str(rules_dir),), None, cache)
    assert reads.files == ["good.yml"] and "unusable" in again.cache_note
    assert _summary(again) == _summary(first) and fires(again, event(Image=CMD))


def test_rules_from_the_cache_are_compiled_when_an_event_first_needs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exhunt.sigma import compile as compiler
    from exhunt.sigma import entries

    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    fresh = build_ruleset((str(rules_dir),), None, cache)
    compiled: list[object] = []
    real = compiler.compile_condition

    def counted(tree: object, renames: object) -> object:
        compiled.append(tree)
        return real(tree, renames)  # type: ignore[arg-type]

    monkeypatch.setattr(entries, "compile_condition", counted)
    cached = build_ruleset((str(rules_dir),), None, cache)
    assert "4 of 4 rule files from the cache" in cached.cache_note
    assert compiled == [], "nothing compiled while loading"
    assert [r.node.anchors for r in cached.rules] == [r.node.anchors for r in fresh.rules]
    assert fires(cached, event(CommandLine="cmd /c whoami"))  # only the whoami rule is a candidate
    assert len(compiled) == 1
    assert fires(cached, event(CommandLine="whoami")) and len(compiled) == 1, "compiled once"
    assert fires(cached, event(Image=CMD)) and len(compiled) == 2


MALFORMED = [
    "not a list",
    [],
    ["xor", [["null", "Image"]]],
    ["and", []],
    ["and", "x"],
    ["and", [["null", "Image"]], "extra"],
    ["not"],
    ["not", ["null", "Image"], ["null", "Image"]],
    ["str", "Image", [7], False],
    ["str", "Image", "abc", False],
    ["str", "Image", ["a"]],
    ["str", 5, ["a"], False],
    ["str"],
    ["num", "EventID", True],
    ["num", "EventID", "4"],
    ["null", "Image", "extra"],
    ["exists", "Image"],
    ["re", "Image", "(unclosed", 0],
    ["re", "Image", "a", "i"],
    ["cidr", "IpAddress", "not a network"],
    ["cidr", "IpAddress", 5.5],
    ["cmp", "Count", "between", 4],
    ["cmp", "Count", "gt", "4"],
    ["cmp", "Count", ["gt"], 4],
    ["ref", "Image", "Other", False],
    ["ref", "Image", ["x"], False, False],
    ["kw", [7], False],
    ["kw", ["a"]],
    ["kwre", "(", 0],
    ["kwre", "a"],
    ["or", [["null", "Image"], ["str", "Image", [None], False]]],
]


@pytest.mark.parametrize("tree", MALFORMED)
def test_the_load_check_refuses_what_the_compiler_refuses(tree: object) -> None:
    from exhunt.sigma.compile import check_condition, compile_condition

    with pytest.raises((TypeError, ValueError, KeyError, IndexError)):
        compile_condition(tree, {})
    with pytest.raises((TypeError, ValueError, KeyError, IndexError)):
        check_condition(tree)


def test_the_load_check_refuses_conditions_too_deep_to_compile_later() -> None:
    from exhunt.sigma.compile import MAX_CHECKED_DEPTH, check_condition

    tree: list[object] = ["null", "Image"]
    for _ in range(MAX_CHECKED_DEPTH + 1):
        tree = ["not", tree]
    with pytest.raises(ValueError, match="too deeply"):
        check_condition(tree)
    check_condition(tree[1])  # type: ignore[arg-type]


def test_the_cache_can_be_turned_off_and_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXHUNT_SIGMA_CACHE", "off")
    assert cache_dir() is None
    rules_dir = _rules(tmp_path / "rules")
    off = build_ruleset((str(rules_dir),), None, cache_dir())
    assert off.cache_note == "" and len(off.loaded) == 2
    monkeypatch.delenv("EXHUNT_SIGMA_CACHE")
    monkeypatch.setenv("EXHUNT_CACHE", "off")  # exhunt's whole cache turned off: no Sigma cache either
    assert cache_dir() is None
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path / "all"))
    assert cache_dir() == tmp_path / "all" / "sigma"
    monkeypatch.delenv("EXHUNT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "exhunt" / "sigma"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "exhunt" / "sigma"


def test_writing_the_cache_removes_this_modules_stale_files_and_nothing_else(tmp_path: Path) -> None:
    import os
    import time

    from exhunt.sigma import cache as module

    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    first = build_ruleset((str(rules_dir),), None, cache)
    current = _only_cache_file(cache)
    build = module.build_key()
    other_set = cache / ("a" * 32 + ".json")  # another rule set of this build: kept
    module._write(other_set, "some key", b"{}", build)
    old = {cache / ("b" * 32 + ".json"), cache / ("b" * 32 + ".databases")}  # another build: removed
    for path in old:
        module._write(path, "some key", b"{}", "another build")
    older_format = cache / ("c" * 32 + ".json")  # written by the first format, without a build: removed
    older_format.write_bytes(b'exhunt-sigma-cache\n{"format":1,"key":"k","sha256":"x"}\n{}')
    not_ours = cache / ("d" * 32 + ".json")  # a name of ours, not our content: kept
    not_ours.write_bytes(b"{}")
    other_name = cache / "notes.json"
    module._write(other_name, "some key", b"{}", "another build")  # our content, not our name: kept
    outside = tmp_path / "outside.json"
    module._write(outside, "some key", b"{}", "another build")
    link = cache / ("e" * 32 + ".json")
    link.symlink_to(outside)  # a link is never followed nor removed
    left, fresh = cache / ".tmp-left1.json", cache / ".tmp-fresh.json"
    left.write_bytes(b"half")
    fresh.write_bytes(b"being written")
    hour_ago = time.time() - 2 * 3600
    os.utime(left, (hour_ago, hour_ago))
    (rules_dir / "good.yml").write_text(GOOD.replace("\\cmd.exe", "\\calc.exe"), encoding="utf-8")
    second = build_ruleset((str(rules_dir),), None, cache)  # a changed file: the cache is written, then pruned
    assert "4 stale cache file(s) removed" in second.cache_note, second.cache_note
    kept = {p.name for p in cache.iterdir()}
    assert kept == {current.name, other_set.name, not_ours.name, other_name.name, link.name, fresh.name}
    assert outside.read_bytes().startswith(b"exhunt-sigma-cache")
    assert "removed" not in first.cache_note
    third = build_ruleset((str(rules_dir),), None, cache)
    assert "4 of 4 rule files from the cache" in third.cache_note and "removed" not in third.cache_note


def test_a_folder_others_may_write_is_not_pruned(tmp_path: Path) -> None:
    from exhunt.sigma import cache as module

    folder = tmp_path / "shared"
    folder.mkdir()
    module._write(folder / ("b" * 32 + ".json"), "k", b"{}", "another build")
    folder.chmod(0o777)
    try:
        assert module.prune(folder, module.build_key()) == 0
        assert (folder / ("b" * 32 + ".json")).exists()
        assert module.prune(tmp_path / "missing", module.build_key()) == 0
        link = tmp_path / "link"
        link.symlink_to(folder, target_is_directory=True)
        folder.chmod(0o700)
        assert module.prune(link, module.build_key()) == 0, "a folder reached through a link is left alone"
        assert module.prune(folder, module.build_key()) == 1
    finally:
        folder.chmod(0o700)


def test_a_cache_that_cannot_be_written_costs_nothing_but_the_note(tmp_path: Path) -> None:
    rules_dir = _rules(tmp_path / "rules")
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x", encoding="utf-8")
    rules = build_ruleset((str(rules_dir),), None, blocked / "cache")
    assert "not written" in rules.cache_note and len(rules.loaded) == 2 and fires(rules, event(Image=CMD))


@pytest.mark.parametrize(("detection", "fields", "expected"), CASES)
def test_every_modifier_case_holds_through_the_cache(
    tmp_path: Path, detection: str, fields: dict[str, str], expected: bool
) -> None:
    (tmp_path / "r.yml").write_text(rule_yaml(detection), encoding="utf-8")
    build_ruleset((str(tmp_path / "r.yml"),), None, tmp_path / "cache")
    cached = build_ruleset((str(tmp_path / "r.yml"),), None, tmp_path / "cache")
    assert "1 of 1 rule files from the cache" in cached.cache_note
    assert fires(cached, event(**fields)) is expected


def _many_literals(n: int = 12) -> str:
    """A rule with more literals than the Python loop takes: its prefilter is a hyperscan database."""
    items = "".join(f"\n            - 'tool{i}.exe'" for i in range(n))
    return rule_yaml(f"    sel:\n        CommandLine|contains:{items}\n    condition: sel")


def test_prefilter_databases_are_built_once_and_kept_beside_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exhunt.sigma.ruleset import load_ruleset

    pytest.importorskip("hyperscan")
    (tmp_path / "many.yml").write_text(_many_literals(), encoding="utf-8")
    monkeypatch.setenv("EXHUNT_SIGMA_CACHE", str(tmp_path / "cache"))
    paths = (str(tmp_path / "many.yml"),)
    load_ruleset.cache_clear()
    first = load_ruleset(paths)
    assert "prefilter databases: 0 loaded" in first.cache_note and first.databases.compiled >= 2
    compiled = first.databases.compiled
    # every bucket was built by the load: matching in a forked worker compiles nothing
    assert fires(first, event(CommandLine="x TOOL7.EXE y")) and not fires(first, event(CommandLine="tool.exe"))
    assert fires(first, event("Security", 4688, CommandLine="tool11.exe"))
    assert first.wants("Microsoft-Windows-Sysmon/Operational", "", 1) is not True
    assert first.databases.compiled == compiled
    load_ruleset.cache_clear()
    second = load_ruleset(paths)
    assert second.databases.compiled == 0 and f"{compiled} loaded, 0 compiled" in second.cache_note
    assert fires(second, event(CommandLine="x TOOL7.EXE y")) and not fires(second, event(CommandLine="tool.exe"))
    text = second.wants("Microsoft-Windows-Sysmon/Operational", "", 1)
    assert not isinstance(text, bool)
    assert text.may_match('{"CommandLine":"C:\\\\TOOL3.EXE"}') and not text.may_match('{"CommandLine":"x"}')
    # a damaged database file is ignored: the databases are compiled anew
    (databases,) = (tmp_path / "cache").glob("*.databases")
    data = bytearray(databases.read_bytes())
    data[-10] ^= 1
    databases.write_bytes(bytes(data))
    load_ruleset.cache_clear()
    third = load_ruleset(paths)
    assert third.databases.compiled == compiled and fires(third, event(CommandLine="tool0.exe"))
    # a sound database file that others may write is not handed to hyperscan
    load_ruleset.cache_clear()
    assert load_ruleset(paths).databases.compiled == 0
    databases.chmod(0o664)
    load_ruleset.cache_clear()
    fourth = load_ruleset(paths)
    assert fourth.databases.loaded == 0 and fourth.databases.compiled == compiled
    load_ruleset.cache_clear()


def test_a_stored_database_that_does_not_load_is_compiled_anew() -> None:
    from exhunt.sigma.prefilter import DatabaseStore, LiteralScanner

    pytest.importorskip("hyperscan")
    words = [f"word{i}x" for i in range(12)]
    store = DatabaseStore()
    LiteralScanner(words, store)
    (key,) = store.known
    broken = DatabaseStore({key: b"not a database"})
    scanner = LiteralScanner(words, broken)
    assert broken.compiled == 1 and broken.loaded == 0
    found: set[int] = set()
    scanner.found("a word3x and word11x", found)
    assert found == {3, 11}
    good = DatabaseStore(store.known)
    LiteralScanner(list(reversed(words)), good)  # the literals as given, in any order
    assert (good.loaded, good.compiled) == (0, 1)  # another order is another database
    LiteralScanner(words, good)
    assert good.loaded == 1


def test_the_json_prefilter_ignores_case_as_lowering_does() -> None:
    from exhunt.sigma.prefilter import TextPrefilter

    pytest.importorskip("hyperscan")
    prefilter = TextPrefilter(["kill", "mimikatz"])
    assert prefilter.may_match('{"CommandLine":"MIMIKATZ.exe"}')
    assert not prefilter.may_match('{"CommandLine":"notepad.exe"}')
    # lowering some non-ASCII characters gives ASCII ones: the Kelvin sign lowers to 'k'
    assert prefilter.may_match('{"CommandLine":"\u212aILL it"}')
    assert not prefilter.may_match('{"CommandLine":"\u212aIL it \u00e9"}')


def test_a_cache_file_others_may_write_is_not_used_and_the_note_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    if not hasattr(os, "getuid"):
        pytest.skip("POSIX file modes")
    rules_dir, cache = _rules(tmp_path / "rules"), tmp_path / "cache"
    first = build_ruleset((str(rules_dir),), None, cache)
    path = _only_cache_file(cache)
    path.chmod(0o666)
    reads = _Reads(monkeypatch)
    again = build_ruleset((str(rules_dir),), None, cache)
    assert len(reads.files) == 4 and "not this user's alone" in again.cache_note
    assert _summary(again) == _summary(first)
    assert path.stat().st_mode & 0o777 == 0o600, "replaced by a private file"
    reads.files.clear()
    assert "used" in build_ruleset((str(rules_dir),), None, cache).cache_note and reads.files == []
