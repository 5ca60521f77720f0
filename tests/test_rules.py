from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from exhunt import rules as rules_module
from exhunt.cli import main
from exhunt.model import Category, EvidenceRef, Implies, Severity
from exhunt.ruleparams import DETECTORS, IisResetVdirParams
from exhunt.rules import DEFAULT_OUTCOME, RuleError, RuleErrors, catalog, parse_rules, shipped_files

REPO = Path(__file__).resolve().parent.parent

GOOD = """
[EXH-TEST-ONE]
version = 2
title = "A test rule"
severity = "critical"
category = "exploitation"
implies = "compromise"
chain = "ProxyShell"
cves = ["CVE-2021-34473"]
explanation = '''Fires on
   a test.'''
detector = "iis-resetvdir"
prefilter = ["ResetOABVirtualDirectory"]
stem = "/ECP/DDI/DDIService.svc/SetObject"
query_regex = 'schema=Reset\\w+'

[EXH-TEST-ONE.outcomes.refused]
severity = "high"
implies = "attempt"
when = "not served"
"""


def test_parse_rule_into_typed_params_and_tiers() -> None:
    (rule,) = parse_rules(GOOD, "t.toml")
    assert rule.version == 2 and rule.severity is Severity.CRITICAL and rule.category is Category.EXPLOITATION
    assert rule.explanation == "Fires on a test."
    p = rule.params_as(IisResetVdirParams)
    assert p.stem == "/ecp/ddi/ddiservice.svc/setobject"  # lower-cased at load
    assert p.query_regex.search("SCHEMA=ResetOAB") and p.prefilter == ("ResetOABVirtualDirectory",)
    with pytest.raises(AttributeError):
        p.stem = "x"  # type: ignore[misc]  # frozen
    assert list(rule.outcomes) == [DEFAULT_OUTCOME, "refused"]
    f = rule.finding(EvidenceRef("a/b.log", 7), details={"ua": "x", "empty": ""})
    assert f.rule_id == "EXH-TEST-ONE" and f.rule_version == 2 and f.chain == "ProxyShell"
    assert f.severity is Severity.CRITICAL and f.implies is Implies.COMPROMISE
    assert f.details == (("ua", "x"),)
    assert f.to_dict()["evidence"] == {"path": "a/b.log", "line": 7, "excerpt": None, "sha256": None}
    refused = rule.finding(EvidenceRef("a/b.log", 7), outcome="refused")
    assert refused.severity is Severity.HIGH and refused.implies is Implies.ATTEMPT
    with pytest.raises(KeyError, match="no outcome 'served'"):
        rule.finding(EvidenceRef("a/b.log", 7), outcome="served")


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("[EXH-X-Y]\nversion = 1", "title", "missing key"),
        ("[bad-id]\nversion = 1", None, "rule id"),
        (GOOD.replace('"critical"', '"severe"', 1), "severity", "severe"),
        (GOOD.replace('"exploitation"', '"exploiting"'), "category", "exploiting"),
        (GOOD.replace('"ProxyShell"', '"ProxyHell"'), "chain", "unknown chain"),
        (GOOD.replace("version = 2", "version = 0"), "version", "version"),
        (GOOD.replace('"iis-resetvdir"', '"iis-reset"'), "detector", "unknown detector"),
        (GOOD.replace("stem =", "stems ="), "stems", "unknown parameter"),
        (GOOD.replace("stem =", "# stem ="), "stem", "missing parameter"),
        (GOOD.replace('prefilter = ["ResetOABVirtualDirectory"]', "prefilter = 3"), "prefilter", "expected a list"),
        # no literal, regex or words: no line would ever reach the rule, which then never fires
        (GOOD.replace('["ResetOABVirtualDirectory"]', "[]"), "prefilter", "no line reaches a log rule"),
        (GOOD.replace("schema=Reset", "schema=(Reset"), "query_regex", "does not compile"),
        (GOOD.replace('implies = "attempt"', 'implies = "maybe"'), "outcomes.refused.implies", "maybe"),
        (GOOD.replace('when = "not served"', ""), "outcomes.refused.when", "missing key"),
        (
            GOOD.replace('detector = "iis-resetvdir"', 'detector = "iis-resetvdir"\nremediation = ["reboot"]'),
            "remediation",
            "unknown remediation step",
        ),
        ("[EXH-X-Y\n", None, "not valid TOML"),
    ],
)
def test_broken_rules_name_file_rule_and_key(text: str, key: str | None, message: str) -> None:
    with pytest.raises(RuleError) as exc:
        parse_rules(text, "user/rules.toml")
    assert "user/rules.toml" in str(exc.value)
    assert message in str(exc.value)
    errors = exc.value.errors if isinstance(exc.value, RuleErrors) else [exc.value]
    assert any(e.key == key and message in e.message for e in errors), [str(e) for e in errors]


def test_every_problem_of_a_file_is_reported_together() -> None:
    broken = GOOD.replace("stem =", "stems =").replace('"critical"', '"severe"', 1) + GOOD.replace(
        "EXH-TEST-ONE", "EXH-TEST-TWO"
    ).replace("schema=Reset", "schema=(Reset")
    rules, errors = rules_module.read_rules(broken, "user/rules.toml")
    assert rules == []
    found = {(e.rule_id, e.key) for e in errors}
    assert {("EXH-TEST-ONE", "stems"), ("EXH-TEST-ONE", "stem"), ("EXH-TEST-ONE", "severity")} <= found
    assert ("EXH-TEST-TWO", "query_regex") in found


def test_a_sound_rule_loads_beside_a_broken_one() -> None:
    text = GOOD + GOOD.replace("EXH-TEST-ONE", "EXH-TEST-TWO").replace("stem =", "stemm =")
    rules, errors = rules_module.read_rules(text, "user/rules.toml")
    assert [r.id for r in rules] == ["EXH-TEST-ONE"]
    assert {(e.rule_id, e.key) for e in errors} == {("EXH-TEST-TWO", "stem"), ("EXH-TEST-TWO", "stemm")}


_META = {"version", "title", "severity", "category", "implies", "chain", "cves", "references", "explanation"}


def _parameter_keys() -> list[tuple[str, str, str]]:
    out = []
    for origin, text in shipped_files():
        for rule_id, body in tomllib.loads(text).items():
            out += [(origin, rule_id, key) for key in body if key not in _META | {"outcomes"}]
    return out


PARAMETER_KEYS = _parameter_keys()


def _rename(text: str, rule_id: str, key: str, new: str) -> str:
    """`key = ...` renamed to `new = ...` inside the table of `rule_id` only."""
    start = text.index(f"[{rule_id}]\n")
    end = text.find("\n[", start + 1)
    end = len(text) if end < 0 else end
    block, count = re.subn(rf"(?m)^{re.escape(key)}(\s*=)", rf"{new}\1", text[start:end])
    assert count == 1, (rule_id, key)
    return text[:start] + block + text[end:]


def test_every_shipped_parameter_is_covered_by_the_mutation_test() -> None:
    assert len(PARAMETER_KEYS) > 150  # detector keys of all 73 rules and their parameters
    assert {o for o, _, _ in PARAMETER_KEYS} == {o for o, _ in shipped_files()}


def test_renaming_any_parameter_of_any_shipped_rule_fails_the_load_naming_file_rule_and_key() -> None:
    files = dict(shipped_files())
    for origin, rule_id, key in PARAMETER_KEYS:
        renamed = key[:-1] if len(key) > 3 else key + "x"
        rules, errors = rules_module.read_rules(_rename(files[origin], rule_id, key, renamed), origin)
        rules_ids = {r.id for r in rules}
        assert errors, f"renaming {key} of {rule_id} in {origin} went unnoticed"
        assert rule_id not in rules_ids
        assert all(e.origin == origin and e.rule_id == rule_id for e in errors), [str(e) for e in errors]
        assert any(e.key in (key, renamed) for e in errors), [str(e) for e in errors]
        assert any(key in str(e) or renamed in str(e) for e in errors)


def test_every_detector_name_is_used_by_a_shipped_rule() -> None:
    used = {r.detector for r in catalog().values()}
    assert used == set(DETECTORS)


@pytest.fixture
def broken_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    files = shipped_files()
    origin, text = files[-1]
    rule_id = "EXH-PL-26855-SSRF"
    broken = _rename(text, rule_id, "success_targets", "success_target")
    monkeypatch.setattr(rules_module, "shipped_files", lambda: [*files[:-1], (origin, broken)])
    rules_module.forget()
    yield
    rules_module.forget()


def test_broken_shipped_catalog_fails_rules_command(broken_catalog: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 2
    err = capsys.readouterr().err
    assert "exhunt/data/rules/logs.toml [EXH-PL-26855-SSRF] success_target: unknown parameter" in err
    assert "[EXH-PL-26855-SSRF] success_targets: missing parameter" in err


def test_broken_shipped_catalog_fails_the_hunt_before_reading_evidence(
    broken_catalog: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import exhunt.evidence

    def no_evidence(*args: object) -> None:
        raise AssertionError("evidence was read although the rules are broken")

    monkeypatch.setattr(exhunt.evidence, "discover", no_evidence)
    assert main(["hunt", str(REPO / "examples" / "EX02-clean"), "-q"]) == 2
    assert "success_target: unknown parameter" in capsys.readouterr().err


def test_rules_command_shows_every_tier_of_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    for rule in catalog().values():
        assert main(["rules", rule.id, "--json", "-"]) == 0
        (shown,) = json.loads(capsys.readouterr().out)["rules"]
        assert [(o["name"], o["severity"], o["implies"]) for o in shown["outcomes"]] == [
            (t.name, str(t.severity), str(t.implies)) for t in rule.outcomes.values()
        ]
        assert shown["outcomes"][0] == {
            "name": "hit",
            "severity": str(rule.severity),
            "implies": str(rule.implies),
            "when": "",
        }


def test_every_declared_tier_is_one_the_detectors_can_emit() -> None:
    """A tier no detector names would be printed by `exhunt rules` and never seen in a hunt."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "src" / "exhunt").rglob("*.py"))
    for rule in catalog().values():
        for name in rule.outcomes:
            if name in (DEFAULT_OUTCOME, "unserved") or name.startswith("rated-"):
                continue  # the default; files.py's UNSERVED and its rated-<severity> tiers
            assert f'"{name}"' in source, (rule.id, name)


def test_shipped_catalog_is_consistent() -> None:
    rules = catalog()
    for rule in rules.values():
        assert rule.explanation, rule.id
        for cve in rule.cves:
            assert cve.startswith("CVE-20"), (rule.id, cve)


def test_what_the_hunt_emits_is_a_tier_exhunt_rules_prints(capsys: pytest.CaptureFixture[str]) -> None:
    """Every finding of a hunt over the bundled examples carries the weight of a printed tier."""
    assert main(["rules", "--json", "-"]) == 0
    printed = {
        r["id"]: {(o["severity"], o["implies"]) for o in r["outcomes"]}
        for r in json.loads(capsys.readouterr().out)["rules"]
    }
    main(["hunt", str(REPO / "examples"), "--json", "-", "--jobs", "1"])
    hosts = json.loads(capsys.readouterr().out)["hosts"]
    findings = [f for h in hosts for f in h["findings"]]
    assert len({f["rule_id"] for f in findings}) >= 10
    for f in findings:
        assert (f["severity"], f["implies"]) in printed[f["rule_id"]], f


def test_every_tier_exhunt_rules_prints_is_the_weight_a_hit_of_it_gets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """For every rule and every tier: the line `exhunt rules RULE` prints and the finding a
    detector's hit of that tier becomes say the same severity and implies."""
    from exhunt.hits import Hit, Reporter
    from exhunt.model import UnitResult

    monkeypatch.setenv("COLUMNS", "1000")  # one printed line per tier
    line = re.compile(r"^    ([a-z][a-z0-9-]*): severity (\w+), a hit means: (\w+)", re.MULTILINE)
    for rule in catalog().values():
        assert main(["rules", rule.id]) == 0
        printed = {m[0]: (m[1], m[2]) for m in line.findall(capsys.readouterr().out)}
        assert set(printed) == set(rule.outcomes), rule.id
        for name, (severity, implies) in printed.items():
            result = UnitResult()
            Reporter(result).report(Hit(rule.id, name, {"x": "y"}), EvidenceRef("e.log", 1))
            (made,) = result.findings
            assert (str(made.severity), str(made.implies)) == (severity, implies), (rule.id, name)
    with pytest.raises(KeyError, match="no outcome"):
        Reporter(UnitResult()).report(Hit("EXH-PL-26855-SSRF", "maybe"), EvidenceRef("e.log", 1))
