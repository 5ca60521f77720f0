from __future__ import annotations

import pytest

from exhunt.model import EvidenceRef, Implies, Severity
from exhunt.rules import RuleError, catalog, parse_rules

GOOD = """
[EXH-TEST-ONE]
version = 2
title = "A test rule"
severity = "high"
category = "exploitation"
implies = "attempt"
chain = "ProxyShell"
cves = ["CVE-2021-34473"]
explanation = '''Fires on
   a test.'''
literal = "autodiscover.json"
"""


def test_parse_rule_and_make_finding() -> None:
    (rule,) = parse_rules(GOOD, "t.toml")
    assert rule.version == 2 and rule.severity is Severity.HIGH and rule.implies is Implies.ATTEMPT
    assert rule.params == {"literal": "autodiscover.json"}
    assert rule.explanation == "Fires on a test."
    f = rule.finding(EvidenceRef("a/b.log", 7), details={"ua": "x", "empty": ""})
    assert f.rule_id == "EXH-TEST-ONE" and f.rule_version == 2 and f.chain == "ProxyShell"
    assert f.details == (("ua", "x"),)
    assert f.to_dict()["evidence"] == {"path": "a/b.log", "line": 7, "excerpt": None, "sha256": None}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[EXH-X-Y]\nversion = 1", "missing keys"),
        ("[bad-id]\nversion = 1", "rule id"),
        (GOOD.replace('"high"', '"severe"'), "severe"),
        (GOOD.replace('"ProxyShell"', '"ProxyHell"'), "unknown chain"),
        (GOOD.replace("version = 2", "version = 0"), "version"),
        ("[EXH-X-Y\n", "not valid TOML"),
    ],
)
def test_broken_rules_name_file_and_rule(text: str, message: str) -> None:
    with pytest.raises(RuleError) as exc:
        parse_rules(text, "user/rules.toml")
    assert "user/rules.toml" in str(exc.value)
    assert message in str(exc.value)


def test_shipped_catalog_is_consistent() -> None:
    rules = catalog()
    for rule in rules.values():
        assert rule.explanation, rule.id
        for cve in rule.cves:
            assert cve.startswith("CVE-20"), (rule.id, cve)
