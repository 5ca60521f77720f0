"""The user's TOML rules (`--rules`): they run in every worker, and a broken one is reported, never silent."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import exhunt.rules as rules_module
from exhunt.cli import main
from exhunt.rulefiles import read_rule_files
from exhunt.rules import shipped_files
from test_rule_binding import copy_rule

EXAMPLES = Path(__file__).parents[1] / "examples"
LOGS = "exhunt/data/rules/logs.toml"
UA = "SweeperBot/9.1"
SWEEP = f"2023-01-18 14:02:11 10.40.0.5 POST /owa/service.svc action=GetFolder 443 - 198.51.100.7 {UA} - 200 0 0 36\n"
IIS_LOG = "C/inetpub/logs/LogFiles/W3SVC1/u_ex230118.log"


@pytest.fixture(autouse=True)
def no_user_rules_left() -> Iterator[None]:
    """A hunt makes its rules this process's catalog: later tests must see the shipped one."""
    yield
    rules_module.use(())


def user_rule(rule_id: str = "EXH-LOCAL-UA-SWEEPER") -> str:
    """The shipped user-agent rule under a new id, looking for another user agent, rated high."""
    text = copy_rule(
        dict(shipped_files())[LOGS],
        "EXH-PL-IIS-USER-AGENT",
        rule_id,
        {
            "prefilter": '["SweeperBot/"]',
            "user_agent_markers": '["SweeperBot/"]',
            "severity": '"high"',
            "implies": '"attempt"',
        },
    )
    return text


@pytest.fixture
def swept(tmp_path: Path) -> Path:
    """The clean example host, with one POST to OWA from the user's scanner in its IIS log."""
    host = tmp_path / "EX02"
    shutil.copytree(EXAMPLES / "EX02-clean", host)
    with (host / IIS_LOG).open("a", encoding="utf-8") as fh:
        fh.write(SWEEP)
    (tmp_path / "mine.toml").write_text(user_rule(), encoding="utf-8")
    return host


def hunt_json(tmp_path: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "result.json"
    code = main(["hunt", *argv, "-q", "--no-db", "--json", str(out)])
    return code, json.loads(out.read_text(encoding="utf-8"))


def findings(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["rule_id"]: f for h in doc["hosts"] for f in h["findings"]}


def test_without_the_user_rule_the_scanner_goes_unnoticed(swept: Path, tmp_path: Path) -> None:
    code, doc = hunt_json(tmp_path, str(swept), "--unit-timeout", "0", "-j", "1")
    assert code == 0 and doc["hosts"][0]["verdict"] == "clean"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(["--unit-timeout", "0", "-j", "1"], id="in-process"),
        pytest.param(["--jobs", "2"], id="worker-processes"),
    ],
)
def test_a_user_rule_fires_in_a_hunt(swept: Path, tmp_path: Path, how: list[str]) -> None:
    code, doc = hunt_json(tmp_path, str(swept), "--rules", str(tmp_path / "mine.toml"), *how)
    found = findings(doc)["EXH-LOCAL-UA-SWEEPER"]
    assert (found["severity"], found["implies"]) == ("high", "attempt")
    assert found["http"]["user_agent"] == UA and found["evidence"]["line"] == 18
    assert "EXH-PL-IIS-USER-AGENT" not in findings(doc)
    host = doc["hosts"][0]
    assert host["verdict"] == "exploitation-attempted" and code == 1
    assert any("1 user rules loaded from 1 files" in o["value"] for o in host["observations"])


def _run_in_fresh_process(host: str, rule_file: str, box: Any) -> None:
    """A spawned process has none of the parent's state: only the options tell it the rules."""
    from exhunt.analyzers import HostContext, HuntOptions
    from exhunt.engine import plan_tasks, run_unit
    from exhunt.evidence import discover

    evidence = discover(host)[0]
    ctx = HostContext(evidence.name, evidence.exchange_install, HuntOptions(user_rules=read_rule_files([rule_file])))
    ids = [
        f.rule_id
        for t in plan_tasks(evidence)
        if t.file.rel_path.endswith("u_ex230118.log")
        for f in run_unit(t, ctx).findings
    ]
    box.put(ids)


def test_the_rules_reach_a_spawned_worker_through_the_hunt_options(swept: Path, tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    box = spawn.Queue()
    worker = spawn.Process(target=_run_in_fresh_process, args=(str(swept), str(tmp_path / "mine.toml"), box))
    worker.start()
    ids = box.get(timeout=120)
    worker.join(30)
    assert "EXH-LOCAL-UA-SWEEPER" in ids


def test_a_user_rule_with_a_shipped_id_replaces_it(swept: Path, tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(user_rule("EXH-PL-IIS-USER-AGENT"), encoding="utf-8")
    _, doc = hunt_json(tmp_path, str(swept), "--rules", str(tmp_path / "mine.toml"), "--unit-timeout", "0", "-j", "1")
    found = findings(doc)["EXH-PL-IIS-USER-AGENT"]
    assert found["severity"] == "high" and found["http"]["user_agent"] == UA
    notes = [o["value"] for o in doc["hosts"][0]["observations"]]
    assert any("in place of the shipped EXH-PL-IIS-USER-AGENT" in n for n in notes)


def stub(rule_id: str, detector: str) -> str:
    """A rule with every catalog key and no parameters."""
    return (
        f'[{rule_id}]\nversion = 1\ntitle = "t"\nseverity = "high"\ncategory = "webshell"\n'
        f'implies = "attempt"\nexplanation = "x"\ndetector = "{detector}"\n\n'
    )


BROKEN = stub("EXH-LOCAL-NEVER-FIRES", "user-yara") + stub("EXH-LOCAL-UNKNOWN-DETECTOR", "no-such-detector")


def broken_rules(tmp_path: Path) -> list[str]:
    good = user_rule()
    renamed = user_rule("EXH-LOCAL-RENAMED").replace("user_agent_markers =", "user_agent_marker =")
    wrong_type = user_rule("EXH-LOCAL-WRONG-TYPE").replace(
        'path_prefixes = ["/owa/", "/ecp/", "/aspnet_client/"]', 'path_prefixes = "/owa/"'
    )
    bad_regex = copy_rule(
        dict(shipped_files())[LOGS],
        "EXH-IIS-WEBSHELL-ACCESS",
        "EXH-LOCAL-BAD-REGEX",
        {"prefilter_regex": '["/ews/(unclosed"]'},
    )
    (tmp_path / "broken.toml").write_text(BROKEN + renamed + wrong_type + bad_regex, encoding="utf-8")
    (tmp_path / "not-toml.toml").write_text("[EXH-LOCAL-X\nversion = 1\n", encoding="utf-8")
    (tmp_path / "good.toml").write_text(good, encoding="utf-8")
    return [str(tmp_path / n) for n in ("broken.toml", "not-toml.toml", "good.toml")]


def test_a_broken_user_rule_file_is_reported_the_rest_runs_and_the_host_is_not_clean(
    swept: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken, not_toml, good = broken_rules(tmp_path)
    clean = tmp_path / "clean"
    shutil.copytree(EXAMPLES / "EX02-clean", clean)
    argv = ["--rules", broken, "--rules", not_toml, "--rules", str(tmp_path / "missing.toml")]
    code, doc = hunt_json(tmp_path, str(clean), *argv, "--unit-timeout", "0", "-j", "1")
    host = doc["hosts"][0]
    assert host["verdict"] == "insufficient-evidence" and code == 3
    problems = [(e["path"], e["message"]) for e in host["errors"] if e["kind"] == "rule-invalid"]
    for expected in (
        (broken, "[EXH-LOCAL-UNKNOWN-DETECTOR] detector: unknown detector 'no-such-detector'"),
        (broken, "[EXH-LOCAL-NEVER-FIRES] detector: detector 'user-yara' reports only as EXH-FS-USER-YARA"),
        (broken, "[EXH-LOCAL-RENAMED] user_agent_marker: unknown parameter"),
        (broken, "[EXH-LOCAL-RENAMED] user_agent_markers: missing parameter"),
        (broken, "[EXH-LOCAL-WRONG-TYPE] path_prefixes: expected a list"),
        (broken, "[EXH-LOCAL-BAD-REGEX] prefilter_regex"),
        (not_toml, "not valid TOML"),
        (str(tmp_path / "missing.toml"), "no such file or folder"),
    ):
        assert any(path == expected[0] and expected[1] in message for path, message in problems), expected
    assert "some rules did not load" in host["verdict_reason"]
    assert "problems in your rule files" in capsys.readouterr().err

    # the good file beside the broken ones still runs, in worker processes too
    code, doc = hunt_json(tmp_path, str(swept), *argv, "--rules", good, "--jobs", "2")
    assert "EXH-LOCAL-UA-SWEEPER" in findings(doc) and code == 1
    assert len([e for e in doc["hosts"][0]["errors"] if e["kind"] == "rule-invalid"]) == len(problems)


def test_rules_command_lists_the_user_rules_and_reports_broken_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken, _, good = broken_rules(tmp_path)
    assert main(["rules", "--rules", good, "--json", "-"]) == 0
    listed = {r["id"]: r for r in json.loads(capsys.readouterr().out)["rules"]}
    assert listed["EXH-LOCAL-UA-SWEEPER"]["severity"] == "high" and "EXH-PL-IIS-USER-AGENT" in listed
    assert main(["rules", "--rules", good, "--rules", broken, "EXH-LOCAL-UA-SWEEPER"]) == 2
    out, err = capsys.readouterr()
    assert "detector iis-user-agent, from" in out and "good.toml" in out
    assert f"{broken} [EXH-LOCAL-RENAMED] user_agent_marker: unknown parameter" in err


def test_a_broken_shipped_catalog_still_stops_the_hunt_with_user_rules(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = shipped_files()
    broken = [(o, t.replace("anchor_prefix =", "anchor_prefx =", 1)) for o, t in files]
    monkeypatch.setattr(rules_module, "shipped_files", lambda: broken)
    rules_module.forget()
    (tmp_path / "good.toml").write_text(user_rule(), encoding="utf-8")
    try:
        code = main(["hunt", str(EXAMPLES / "EX02-clean"), "-q", "--no-db", "--rules", str(tmp_path / "good.toml")])
    finally:
        monkeypatch.undo()
        rules_module.forget()
    assert code == 2
    assert "the shipped rules are broken" in capsys.readouterr().err


def test_report_explains_the_findings_of_user_rules_when_given_them(swept: Path, tmp_path: Path) -> None:
    rules = str(tmp_path / "mine.toml")
    hunt_json(tmp_path, str(swept), "--rules", rules, "--unit-timeout", "0", "-j", "1")
    rules_module.use(())  # a later `exhunt report` starts with the shipped catalog
    saved, without, with_rules = tmp_path / "result.json", tmp_path / "plain.html", tmp_path / "explained.html"
    assert main(["report", str(saved), "--html", str(without), "-q"]) == 1
    assert main(["report", str(saved), "--html", str(with_rules), "-q", "--rules", rules]) == 1
    explanation = "user agent that Volexity and CISA published"  # the copied rule's own words
    assert "not in this version" in without.read_text(encoding="utf-8")
    text = with_rules.read_text(encoding="utf-8")
    assert "not in this version" not in text and explanation in text
    assert explanation not in without.read_text(encoding="utf-8")


def test_the_prefilter_compiled_before_the_workers_fork_has_the_users_rules(tmp_path: Path) -> None:
    import re

    from exhunt.analyzers import HuntOptions, prepare, registry
    from exhunt.artefacts.prefilter import compiled
    from exhunt.model import ArtefactKind

    path = tmp_path / "mine.toml"
    path.write_text(user_rule())
    compiled.cache_clear()
    prepare([ArtefactKind.IIS], HuntOptions(user_rules=read_rule_files([str(path)])))
    misses = compiled.cache_info().misses
    iis = registry()["iis-log"]
    assert any(p.regex == re.escape(b"SweeperBot/") for p in iis.patterns())  # the user's rule is in
    iis.prepare()  # as a worker's scan asks for it: compiled already
    assert compiled.cache_info().misses == misses
