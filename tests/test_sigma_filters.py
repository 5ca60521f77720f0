"""Sigma filters (`filter:` documents): a filter names rules (by id or name, or `any`) and a
condition that must hold too for their matches to count; the filter may sit in another file
than the rules, as tuning files do. What a filter turned away is counted as suppressed."""

from __future__ import annotations

from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.model import ArtefactKind, UnitResult
from exhunt.sigma.findings import SigmaReporter
from exhunt.sigma.ruleset import CompiledRule, SigmaRuleset, build_ruleset
from sigma_support import SYSMON, attached, event, rule_yaml
from test_log_samples import benign_iis, evidence, iis_line, iis_log, write

RULE_ID = "11111111-2222-3333-4444-555555555555"
OTHER_ID = "99999999-2222-3333-4444-555555555555"
FILTER_ID = "aaaaaaaa-2222-3333-4444-555555555555"
NET_USER = rule_yaml(
    "    selection:\n        CommandLine|contains: 'net user'\n    condition: selection", name="net_user_recon"
)
WHOAMI = rule_yaml("    selection:\n        CommandLine|contains: 'whoami'\n    condition: selection", id=OTHER_ID)
LSASS = rule_yaml(
    "    selection:\n        TargetImage|endswith: '\\lsass.exe'\n    condition: selection",
    logsource="category: process_access\n    product: windows",
    id="77777777-2222-3333-4444-555555555555",
)


def a_filter(rules: str, detection: str, logsource: str = "category: process_creation\n    product: windows") -> str:
    return (
        f"title: admin workstation is expected\nid: {FILTER_ID}\nlogsource:\n    {logsource}\n"
        f"filter:\n    rules: {rules}\n{detection}"
    )


NOT_ADMIN = "    admin:\n        ParentImage|endswith: '\\admintool.exe'\n    condition: not admin\n"


def fired(rules: SigmaRuleset, **fields: str) -> tuple[list[str], list[tuple[str, str]]]:
    turned: list[tuple[CompiledRule, str]] = []
    found = rules.match_event(event(SYSMON, 1, **fields), turned)
    return [r.meta.id for r in found], [(r.meta.id, f) for r, f in turned]


def test_a_filter_in_its_own_file_turns_matches_away_and_says_which() -> None:
    rules = attached(NET_USER, WHOAMI, a_filter(f"[{RULE_ID}]", NOT_ADMIN))
    assert not rules.rejected
    assert fired(rules, CommandLine="net user x", ParentImage="C:\\x\\admintool.exe") == ([], [(RULE_ID, FILTER_ID)])
    assert fired(rules, CommandLine="net user x", ParentImage="C:\\x\\w3wp.exe") == ([RULE_ID], [])
    # a rule the filter does not name is not filtered
    assert fired(rules, CommandLine="whoami", ParentImage="C:\\x\\admintool.exe") == ([OTHER_ID], [])
    assert rules.notes[0] == "1 Sigma filters, applied to 2 compiled rules"  # Sysmon and Security 4688


def test_rules_are_named_by_name_by_id_in_any_letter_case_or_as_any() -> None:
    for named in ("[net_user_recon]", f"[{RULE_ID.upper()}]", "any"):
        rules = attached(NET_USER, a_filter(named, NOT_ADMIN))
        assert fired(rules, CommandLine="net user x", ParentImage="C:\\admintool.exe")[0] == [], named
    every = attached(NET_USER, WHOAMI, a_filter("any", NOT_ADMIN))
    assert fired(every, CommandLine="whoami", ParentImage="C:\\admintool.exe")[0] == []


def test_a_filter_of_another_logsource_leaves_a_rule_alone_and_says_so() -> None:
    rules = attached(LSASS, a_filter("any", NOT_ADMIN))
    turned: list[tuple[CompiledRule, str]] = []
    record = event(SYSMON, 10, TargetImage="C:\\Windows\\System32\\lsass.exe", ParentImage="C:\\admintool.exe")
    assert [r.meta.id[:8] for r in rules.match_event(record, turned)] == ["77777777"] and turned == []
    assert any("applies to no loaded rule (it names any rule)" in note for note in rules.notes)


def test_a_filter_naming_no_loaded_rule_is_said_and_changes_nothing() -> None:
    rules = attached(NET_USER, a_filter("[no_such_rule]", NOT_ADMIN))
    assert fired(rules, CommandLine="net user x", ParentImage="C:\\admintool.exe") == ([RULE_ID], [])
    assert rules.notes[-1].endswith("applies to no loaded rule (it names no_such_rule)")


def test_a_broken_filter_is_rejected_with_its_reason_and_the_rules_still_load() -> None:
    rules = attached(
        NET_USER,
        a_filter("[net_user_recon]", "    admin:\n        ParentImage|nosuchmodifier: x\n    condition: not admin\n"),
    )
    assert [p.rule_id for p in rules.rejected] == [FILTER_ID]
    assert rules.rejected[0].message.startswith("Sigma filter:")
    assert fired(rules, CommandLine="net user x", ParentImage="C:\\admintool.exe")[0] == [RULE_ID]


def test_filters_apply_the_same_from_the_compiled_rule_cache(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "rule.yml").write_text(NET_USER)
    (folder / "tuning.yml").write_text(a_filter("[net_user_recon]", NOT_ADMIN))
    cache = tmp_path / "cache"
    for _ in range(2):  # read with pySigma, then from the cache
        rules = build_ruleset((str(folder),), None, cache)
        rules.prepare()
        assert fired(rules, CommandLine="net user x", ParentImage="C:\\admintool.exe") == ([], [(RULE_ID, FILTER_ID)])
        assert fired(rules, CommandLine="net user x", ParentImage="C:\\cmd.exe")[0] == [RULE_ID]
    assert "2 of 2 rule files from the cache" in rules.cache_note


def test_what_a_filter_turned_away_is_counted_as_suppressed() -> None:
    rules = attached(NET_USER, a_filter(f"[{RULE_ID}]", NOT_ADMIN))
    result = UnitResult()
    turned: list[tuple[CompiledRule, str]] = []
    for _ in range(3):
        rules.match_event(event(SYSMON, 1, CommandLine="net user x", ParentImage="C:\\admintool.exe"), turned)
    SigmaReporter(result).filtered(turned)
    assert turned == [] and result.findings == []
    assert result.suppressed == {(RULE_ID, f"turned away by Sigma filter {FILTER_ID}"): 3}  # once per event


WEB_RULE = rule_yaml(
    "    selection:\n        cs-uri-query|contains: '=whoami'\n    condition: selection",
    logsource="category: webserver",
)
SCANNER = a_filter(
    f"[{RULE_ID}]",
    "    scanner:\n        c-ip: '192.0.2.9'\n    condition: not scanner\n",
    logsource="category: webserver",
)
IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210812.log"


def test_filters_apply_to_web_rules_on_iis_logs(tmp_path: Path) -> None:
    def request(client: str) -> str:
        return iis_line(
            **{
                "date": "2021-08-12",
                "time": "10:05:00",
                "cs-uri-stem": "/owa/auth/x.aspx",
                "cs-uri-query": "c=whoami",
                "c-ip": client,
            }
        )

    write(tmp_path, IIS, iis_log([*benign_iis(5), request("192.0.2.9"), request("198.51.100.23")]))
    paths = []
    for n, text in enumerate((WEB_RULE, SCANNER)):
        path = tmp_path / "rules" / f"r{n}.yml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    ctx = HostContext("EX01", None, HuntOptions(sigma_paths=tuple(paths)))
    result = registry()["sigma-web"].analyze(evidence(tmp_path, IIS, ArtefactKind.IIS), ctx)  # type: ignore[union-attr]
    assert [f.source_ip for f in result.findings] == ["198.51.100.23"]
    assert result.suppressed == {(RULE_ID, f"turned away by Sigma filter {FILTER_ID}"): 1}


def test_a_filter_of_a_broader_logsource_gates_each_rule_under_its_own_field_names() -> None:
    lab = a_filter(
        "any",
        "    lab:\n        Computer|startswith: 'LAB-'\n    tool:\n        Image|endswith: '\\\\labtool.exe'\n"
        "    condition: not lab and not tool\n",
        logsource="product: windows",
    )
    rules = attached(NET_USER, lab)
    turned: list[tuple[CompiledRule, str]] = []
    lab_box = event(SYSMON, 1, CommandLine="net user x")
    lab_box.computer = "LAB-07"
    assert rules.match_event(lab_box, turned) == [] and [f for _, f in turned] == [FILTER_ID]
    # Security 4688 names the image NewProcessName: the filter's Image is read there
    tool = event("Security", 4688, CommandLine="net user x", NewProcessName="C:\\t\\labtool.exe")
    assert rules.match_event(tool, turned) == []
    other = event("Security", 4688, CommandLine="net user x", NewProcessName="C:\\Windows\\net.exe")
    assert [r.meta.id for r in rules.match_event(other)] == [RULE_ID]


def test_a_filter_that_cannot_be_compiled_for_a_rules_log_is_said_and_leaves_it_unfiltered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from exhunt.sigma import ruleset as module

    def refuse(trees: object, target: object) -> None:
        raise ValueError("no such field here")

    monkeypatch.setattr(module, "target_node", refuse)
    rules = attached(NET_USER, a_filter(f"[{RULE_ID}]", NOT_ADMIN))
    assert fired(rules, CommandLine="net user x", ParentImage="C:\\x\\admintool.exe") == ([RULE_ID], [])
    assert any("not applied to rule" in note and "no such field here" in note for note in rules.notes)
