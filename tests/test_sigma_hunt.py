"""`exhunt hunt --sigma` end to end: findings from the user's rules, rules that did not load
reported with file and reason, and the rest still run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exhunt.cli import main
from sigma_support import rule_yaml

EVENTS = [
    {
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "SourceName": "Microsoft-Windows-Sysmon",
        "EventID": 1,
        "Hostname": "EX01.corp.example",
        "TimeCreated": "2022-10-03T08:15:00.250Z",
        "RecordNumber": 7,
        "Image": "C:\\Windows\\System32\\nltest.exe",
        "CommandLine": "nltest /domain_trusts /all_trusts",
        "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "User": "CORP\\svc",
    }
]
GOOD = rule_yaml(
    "    selection:\n        Image|endswith: '\\nltest.exe'\n        CommandLine|contains: '/domain_trusts'\n"
    "    condition: selection",
    title="Domain trust discovery",
    tags="\n    - attack.discovery\n    - attack.t1482",
)


def _evidence(tmp_path: Path) -> Path:
    evidence = tmp_path / "EX01"
    evidence.mkdir()
    (evidence / "sysmon.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return evidence


def test_hunt_with_sigma_rules(tmp_path: Path) -> None:
    evidence = _evidence(tmp_path)
    rules = tmp_path / "rules"
    (rules / "sub").mkdir(parents=True)
    (rules / "sub" / "good.yml").write_text(GOOD, encoding="utf-8")
    (rules / "broken.yml").write_text("title: x\ndetection: [\n", encoding="utf-8")
    (rules / "minute.yml").write_text(
        rule_yaml("    sel:\n        Image|minute: 5\n    condition: sel", id="22222222-2222-3333-4444-555555555555"),
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    code = main(["hunt", str(evidence), "--sigma", str(rules), "--json", str(out), "-q"])
    assert code == 1
    (host,) = json.loads(out.read_text(encoding="utf-8"))["hosts"]
    (finding,) = [f for f in host["findings"] if f["rule_id"] == "11111111-2222-3333-4444-555555555555"]
    assert finding["title"] == "Domain trust discovery" and finding["severity"] == "high"
    assert finding["implies"] == "suspicious" and finding["category"] == "reconnaissance"  # attack.discovery
    assert finding["details"]["attack"] == "T1482"
    assert finding["evidence"]["path"].endswith("sysmon.jsonl") and finding["evidence"]["line"] == 1
    invalid = [e for e in host["errors"] if e.get("kind") == "rule-invalid"]
    assert sorted(Path(e["path"]).name for e in invalid) == ["broken.yml", "minute.yml"]
    assert all(e.get("producer") == "sigma" and e["message"] for e in invalid)
    assert host["verdict"] != "clean"


def test_sigma_rules_named_in_the_configuration_file(tmp_path: Path) -> None:
    """`[hunt] sigma` in the configuration file runs the rules as `--sigma` would, its path taken
    from the file's folder."""
    evidence = _evidence(tmp_path)
    case = tmp_path / "case"
    (case / "rules").mkdir(parents=True)
    (case / "rules" / "good.yml").write_text(GOOD, encoding="utf-8")
    config = case / "exhunt.toml"
    config.write_text('[hunt]\nsigma = ["rules"]\n', encoding="utf-8")
    out = tmp_path / "out.json"
    without = tmp_path / "without.json"
    assert main(["hunt", str(evidence), "--json", str(without), "-q"]) != 1
    assert main(["hunt", str(evidence), "--config", str(config), "--json", str(out), "-q"]) == 1
    (host,) = json.loads(out.read_text(encoding="utf-8"))["hosts"]
    assert [f["title"] for f in host["findings"]] == ["Domain trust discovery"]


def test_rules_are_loaded_before_the_workers_are_forked(tmp_path: Path, monkeypatch) -> None:
    """Worker processes inherit the parent's loaded rules instead of each loading them again."""
    from exhunt import hunt
    from exhunt.analyzers import HuntOptions
    from exhunt.analyzers import sigma as sigma_analyzer

    rule = tmp_path / "good.yml"
    rule.write_text(GOOD)
    order: list[str] = []
    loaded = sigma_analyzer.ruleset

    def ruleset(options: HuntOptions) -> object:
        order.append("rules")
        return loaded(options)

    monkeypatch.setattr(sigma_analyzer, "ruleset", ruleset)
    monkeypatch.setattr(hunt, "LocalWorkers", lambda jobs, hosts=(): order.append("workers"))
    hunt.local_backend([], HuntOptions(sigma_paths=(str(rule),), unit_timeout=60), jobs=2)
    assert order == ["rules", "workers"]
    assert loaded(HuntOptions(sigma_paths=(str(rule),))).loaded, "the rule is loaded and cached"


def test_no_cache_reads_and_writes_no_cache(tmp_path: Path, monkeypatch) -> None:
    from exhunt.sigma import ruleset as sigma_ruleset

    evidence = _evidence(tmp_path)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.yml").write_text(GOOD, encoding="utf-8")
    caches = {"EXHUNT_CACHE": tmp_path / "cache", "EXHUNT_SIGMA_CACHE": tmp_path / "sigma-cache"}
    for name, folder in caches.items():
        monkeypatch.setenv(name, str(folder))
    sigma_ruleset.load_ruleset.cache_clear()  # rules loaded by another test were cached elsewhere
    argv = ["hunt", str(evidence), "--sigma", str(rules), "--json", str(tmp_path / "out.json"), "-q", "--jobs", "1"]
    try:
        assert main([*argv, "--no-cache"]) == 1
        assert not any(folder.exists() for folder in caches.values())
        notice = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["hosts"][0]["observations"]
        assert not any("compiled-rule cache" in str(o) for o in notice)
    finally:
        sigma_ruleset.load_ruleset.cache_clear()
    for name, folder in caches.items():
        monkeypatch.setenv(name, str(folder))
    assert main(argv) == 1
    assert list((tmp_path / "sigma-cache").glob("*.json")), "without the switch the rules are cached"
    sigma_ruleset.load_ruleset.cache_clear()


def test_a_rule_or_list_path_that_does_not_exist_is_said_even_when_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --sigma (or --yara, --indicators, --allowlist) path is recorded by each host;
    with -q it is also said on standard error, as a missing --rules file is, not only in the JSON."""
    evidence = _evidence(tmp_path)
    missing_rules, missing_yara = tmp_path / "sigma-rulez", tmp_path / "nope.yar"
    code = main(["hunt", str(evidence), "--no-db", "-q", "--sigma", str(missing_rules), "--yara", str(missing_yara)])
    assert code in (1, 3)
    err = " ".join(capsys.readouterr().err.split())
    assert f"{missing_rules} (--sigma): no such file or folder" in err
    assert f"{missing_yara} (--yara): no such file or folder" in err
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.yml").write_text(GOOD, encoding="utf-8")
    assert main(["hunt", str(evidence), "--no-db", "-q", "--sigma", str(rules)]) == 1
    assert capsys.readouterr().err == ""
