"""The Sigma engine: every modifier and condition form, logsource mapping, index and prefilter."""

from __future__ import annotations

import base64
import re

import pytest

from exhunt.sigma.ruleset import SigmaRuleset, load_text
from sigma_support import SYSMON, event, fires, rule_yaml, ruleset_of

CMD = "C:\\Windows\\System32\\cmd.exe"

# (detection block, event fields, should fire)
CASES = [
    # plain equality is case-insensitive and whole-value
    ("    sel:\n        Image: 'c:\\windows\\system32\\CMD.exe'\n    condition: sel", {"Image": CMD}, True),
    ("    sel:\n        Image: 'cmd.exe'\n    condition: sel", {"Image": CMD}, False),
    # contains / startswith / endswith
    (
        "    sel:\n        CommandLine|contains: 'WHOAMI'\n    condition: sel",
        {"CommandLine": "cmd /c whoami /all"},
        True,
    ),
    ("    sel:\n        CommandLine|contains: 'net user'\n    condition: sel", {"CommandLine": "whoami"}, False),
    ("    sel:\n        Image|startswith: 'C:\\Windows\\'\n    condition: sel", {"Image": CMD}, True),
    ("    sel:\n        Image|startswith: 'D:\\'\n    condition: sel", {"Image": CMD}, False),
    ("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel", {"Image": CMD}, True),
    ("    sel:\n        Image|endswith: '\\powershell.exe'\n    condition: sel", {"Image": CMD}, False),
    # wildcards inside a value
    ("    sel:\n        Image: 'C:\\Windows*cmd.ex?'\n    condition: sel", {"Image": CMD}, True),
    # a backslash before a wildcard makes it a literal
    ("    sel:\n        Image: 'C:\\Windows\\*'\n    condition: sel", {"Image": CMD}, False),
    ("    sel:\n        Image: 'C:\\Program*\\cmd.exe'\n    condition: sel", {"Image": CMD}, False),
    # escaped wildcard is a literal star
    ("    sel:\n        CommandLine|contains: 'a\\*b'\n    condition: sel", {"CommandLine": "x a*b y"}, True),
    ("    sel:\n        CommandLine|contains: 'a\\*b'\n    condition: sel", {"CommandLine": "x aXb y"}, False),
    # a list is OR; |all makes it AND
    (
        "    sel:\n        CommandLine|contains:\n            - 'foo'\n            - 'bar'\n    condition: sel",
        {"CommandLine": "bar"},
        True,
    ),
    (
        "    sel:\n        CommandLine|contains|all:\n            - 'foo'\n            - 'bar'\n    condition: sel",
        {"CommandLine": "bar"},
        False,
    ),
    (
        "    sel:\n        CommandLine|contains|all:\n            - 'foo'\n            - 'bar'\n    condition: sel",
        {"CommandLine": "bar foo"},
        True,
    ),
    # fields of one map are AND
    (
        "    sel:\n        Image|endswith: 'cmd.exe'\n        CommandLine|contains: 'whoami'\n    condition: sel",
        {"Image": CMD, "CommandLine": "dir"},
        False,
    ),
    # a list of maps is OR
    (
        "    sel:\n        - Image|endswith: 'a.exe'\n        - CommandLine|contains: 'whoami'\n    condition: sel",
        {"Image": CMD, "CommandLine": "whoami"},
        True,
    ),
    # missing field never matches a string
    ("    sel:\n        ParentImage|endswith: 'w3wp.exe'\n    condition: sel", {"Image": CMD}, False),
    # re (case-sensitive unless |i), unanchored
    (
        "    sel:\n        CommandLine|re: '-e(nc|ncodedcommand) [A-Za-z0-9+/=]{8,}'\n    condition: sel",
        {"CommandLine": "powershell -enc SQBFAFgAIAAoAE4AZQB3"},
        True,
    ),
    ("    sel:\n        CommandLine|re: 'WHOAMI'\n    condition: sel", {"CommandLine": "whoami"}, False),
    ("    sel:\n        CommandLine|re|i: 'WHOAMI'\n    condition: sel", {"CommandLine": "whoami"}, True),
    ("    sel:\n        CommandLine|re|s: 'a.b'\n    condition: sel", {"CommandLine": "a\nb"}, True),
    ("    sel:\n        CommandLine|re|m: '^b$'\n    condition: sel", {"CommandLine": "a\nb\nc"}, True),
    # cased
    ("    sel:\n        CommandLine|cased|contains: 'WhoAmI'\n    condition: sel", {"CommandLine": "whoami"}, False),
    ("    sel:\n        CommandLine|cased|contains: 'WhoAmI'\n    condition: sel", {"CommandLine": "x WhoAmI"}, True),
    # cidr
    ("    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", {"DestinationIp": "10.1.2.3"}, True),
    ("    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", {"DestinationIp": "11.1.2.3"}, False),
    ("    sel:\n        DestinationIp|cidr: 'fe80::/10'\n    condition: sel", {"DestinationIp": "fe80::1"}, True),
    ("    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", {"DestinationIp": "not-an-ip"}, False),
    # base64 / base64offset / wide
    (
        "    sel:\n        CommandLine|base64|contains: 'whoami'\n    condition: sel",
        {"CommandLine": "x " + base64.b64encode(b"whoami").decode()},
        True,
    ),
    (
        "    sel:\n        CommandLine|base64offset|contains: 'Invoke-Mimikatz'\n    condition: sel",
        {"CommandLine": "-enc " + base64.b64encode(b"xx Invoke-Mimikatz -Dump").decode()},
        True,
    ),
    (
        "    sel:\n        CommandLine|base64offset|contains: 'Invoke-Mimikatz'\n    condition: sel",
        {"CommandLine": "-enc " + base64.b64encode(b"Get-Process").decode()},
        False,
    ),
    (
        "    sel:\n        CommandLine|wide|base64offset|contains: 'IEX'\n    condition: sel",
        {"CommandLine": "-enc " + base64.b64encode("a IEX (New".encode("utf-16-le")).decode()},
        True,
    ),
    (
        "    sel:\n        CommandLine|utf16|base64offset|contains: 'IEX'\n    condition: sel",
        {"CommandLine": "-enc " + base64.b64encode("IEX (New".encode("utf-16")).decode()},  # utf16: with BOM
        True,
    ),
    # windash: - and / (and the Unicode dashes) are interchangeable
    (
        "    sel:\n        CommandLine|windash|contains: ' -urlcache '\n    condition: sel",
        {"CommandLine": "certutil /urlcache /f x"},
        True,
    ),
    (
        "    sel:\n        CommandLine|windash|contains: ' -urlcache '\n    condition: sel",
        {"CommandLine": "certutil \u2013urlcache x"},
        True,
    ),
    (
        "    sel:\n        CommandLine|windash|contains: ' -urlcache '\n    condition: sel",
        {"CommandLine": "certutil urlcache -f"},
        False,
    ),
    (
        "    sel:\n        CommandLine|windash|contains: 'x -urlcache '\n    condition: sel",
        {"CommandLine": "x \u2013urlcache -f"},
        True,
    ),
    # exists
    ("    sel:\n        OriginalFileName|exists: true\n    condition: sel", {"OriginalFileName": "Cmd.Exe"}, True),
    ("    sel:\n        OriginalFileName|exists: true\n    condition: sel", {"Image": CMD}, False),
    ("    sel:\n        OriginalFileName|exists: false\n    condition: sel", {"Image": CMD}, True),
    # null: absent or empty
    (
        "    sel:\n        Image|endswith: 'cmd.exe'\n        OriginalFileName: null\n    condition: sel",
        {"Image": CMD},
        True,
    ),
    (
        "    sel:\n        Image|endswith: 'cmd.exe'\n        OriginalFileName: null\n    condition: sel",
        {"Image": CMD, "OriginalFileName": "x"},
        False,
    ),
    (
        "    sel:\n        Image|endswith: 'cmd.exe'\n        OriginalFileName: ''\n    condition: sel",
        {"Image": CMD, "OriginalFileName": ""},
        True,
    ),
    # expand: a placeholder stands for any text
    (
        "    sel:\n        Image|expand: '%ProgramFiles%\\evil.exe'\n    condition: sel",
        {"Image": "C:\\Program Files\\evil.exe"},
        True,
    ),
    (
        "    sel:\n        Image|expand: '%ProgramFiles%\\evil.exe'\n    condition: sel",
        {"Image": "C:\\Program Files\\good.exe"},
        False,
    ),
    # fieldref (equality, and combined with startswith / endswith)
    (
        "    sel:\n        Image|fieldref: ParentImage\n    condition: sel",
        {"Image": CMD, "ParentImage": CMD.upper()},
        True,
    ),
    ("    sel:\n        Image|fieldref: ParentImage\n    condition: sel", {"Image": CMD, "ParentImage": "x"}, False),
    (
        "    sel:\n        CommandLine|fieldref|startswith: Image\n    condition: sel",
        {"Image": CMD, "CommandLine": CMD + " /c"},
        True,
    ),
    (
        "    sel:\n        CommandLine|fieldref|endswith: Image\n    condition: sel",
        {"Image": CMD, "CommandLine": CMD + " /c"},
        False,
    ),
    # numbers and numeric comparison
    ("    sel:\n        TerminalSessionId: 0\n    condition: sel", {"TerminalSessionId": "0"}, True),
    ("    sel:\n        TerminalSessionId: 1\n    condition: sel", {"TerminalSessionId": "0"}, False),
    ("    sel:\n        TerminalSessionId|gt: 0\n    condition: sel", {"TerminalSessionId": "2"}, True),
    ("    sel:\n        TerminalSessionId|gte: 2\n    condition: sel", {"TerminalSessionId": "2"}, True),
    ("    sel:\n        TerminalSessionId|lt: 2\n    condition: sel", {"TerminalSessionId": "2"}, False),
    ("    sel:\n        TerminalSessionId|lte: 2\n    condition: sel", {"TerminalSessionId": "2"}, True),
    ("    sel:\n        TerminalSessionId|gt: 0\n    condition: sel", {"TerminalSessionId": "x"}, False),
    # neq
    (
        "    sel:\n        Image|endswith: 'cmd.exe'\n        User|neq: 'SYSTEM'\n    condition: sel",
        {"Image": CMD, "User": "system"},
        False,
    ),
    (
        "    sel:\n        Image|endswith: 'cmd.exe'\n        User|neq: 'SYSTEM'\n    condition: sel",
        {"Image": CMD, "User": "bob"},
        True,
    ),
    # booleans
    ("    sel:\n        Initiated: true\n    condition: sel", {"Initiated": "true"}, True),
    ("    sel:\n        Initiated: true\n    condition: sel", {"Initiated": "false"}, False),
    # keywords: full-text search over every field
    ("    keywords:\n        - 'mimikatz'\n    condition: keywords", {"CommandLine": "run MimiKatz.exe"}, True),
    ("    keywords:\n        - 'mimikatz'\n    condition: keywords", {"CommandLine": "whoami"}, False),
    (
        "    keywords:\n        - 'sekurlsa::*pass'\n    condition: keywords",
        {"CommandLine": "x sekurlsa::logonpasswords"},
        True,
    ),
    # system fields answer to Sigma's names
    ("    sel:\n        EventID: 1\n        Image|endswith: 'cmd.exe'\n    condition: sel", {"Image": CMD}, True),
    ("    sel:\n        Computer: 'ex01'\n    condition: sel", {"Image": CMD}, True),
]


@pytest.mark.parametrize(("detection", "fields", "expected"), CASES)
def test_modifier(detection: str, fields: dict[str, str], expected: bool) -> None:
    rules = ruleset_of(rule_yaml(detection))
    assert fires(rules, event(**fields)) is expected


def _conditions(condition: str) -> SigmaRuleset:
    detection = (
        "    selection_img:\n        Image|endswith: '\\cmd.exe'\n"
        "    selection_cli:\n        CommandLine|contains: 'whoami'\n"
        "    filter_parent:\n        ParentImage|endswith: '\\explorer.exe'\n"
        f"    condition: {condition}"
    )
    return ruleset_of(rule_yaml(detection))


CONDITIONS = [
    ("selection_img and selection_cli", {"Image": CMD, "CommandLine": "whoami"}, True),
    ("selection_img and selection_cli", {"Image": CMD, "CommandLine": "dir"}, False),
    ("selection_img or selection_cli", {"Image": "x.exe", "CommandLine": "whoami"}, True),
    ("selection_img and not filter_parent", {"Image": CMD, "ParentImage": "C:\\Windows\\explorer.exe"}, False),
    ("selection_img and not filter_parent", {"Image": CMD, "ParentImage": "C:\\w3wp.exe"}, True),
    ("1 of selection_*", {"Image": "x.exe", "CommandLine": "whoami"}, True),
    ("1 of selection_*", {"Image": "x.exe", "CommandLine": "dir"}, False),
    ("all of selection_*", {"Image": CMD, "CommandLine": "whoami"}, True),
    ("all of selection_*", {"Image": CMD, "CommandLine": "dir"}, False),
    ("all of selection_* and not 1 of filter_*", {"Image": CMD, "CommandLine": "whoami"}, True),
    (
        "all of selection_* and not 1 of filter_*",
        {"Image": CMD, "CommandLine": "whoami", "ParentImage": "C:\\Windows\\explorer.exe"},
        False,
    ),
    ("any of them", {"ParentImage": "C:\\explorer.exe"}, True),
    ("all of them", {"Image": CMD, "CommandLine": "whoami", "ParentImage": "\\explorer.exe"}, True),
    ("all of them", {"Image": CMD, "CommandLine": "whoami"}, False),
    (
        "(selection_img or filter_parent) and selection_cli",
        {"ParentImage": "\\explorer.exe", "CommandLine": "whoami"},
        True,
    ),
    (
        "selection_img or (filter_parent and selection_cli)",
        {"ParentImage": "\\explorer.exe", "CommandLine": "dir"},
        False,
    ),
    ("not selection_img", {"Image": "x.exe"}, True),
    ("not (selection_img or selection_cli)", {"Image": "x.exe", "CommandLine": "whoami"}, False),
]


@pytest.mark.parametrize(("condition", "fields", "expected"), CONDITIONS)
def test_condition(condition: str, fields: dict[str, str], expected: bool) -> None:
    assert fires(_conditions(condition), event(**fields)) is expected


def test_security_4688_renames_image_fields() -> None:
    rules = ruleset_of(
        rule_yaml(
            "    sel:\n        Image|endswith: '\\cmd.exe'\n        ParentImage|endswith: '\\w3wp.exe'\n    condition: sel"
        )
    )
    assert fires(rules, event("Security", 4688, NewProcessName=CMD, ParentProcessName="c:\\w\\w3wp.exe"))
    assert not fires(rules, event("Security", 4688, Image=CMD, ParentImage="c:\\w\\w3wp.exe"))
    assert fires(rules, event(SYSMON, 1, Image=CMD, ParentImage="c:\\w\\w3wp.exe"))


def test_index_by_channel_and_event_id() -> None:
    rules = ruleset_of(rule_yaml("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel"))
    assert not fires(rules, event(SYSMON, 11, Image=CMD)), "file_event id is not process_creation"
    assert not fires(rules, event("Security", 1, Image=CMD)), "Security 1 is not Sysmon 1"
    assert not rules.bucket("security", 4624)[0]
    assert len(rules.bucket("microsoft-windows-sysmon/operational", 1)[0]) == 1


def test_service_rule_indexed_by_event_id_in_its_condition() -> None:
    text = rule_yaml(
        "    sel:\n        EventID: 4104\n        ScriptBlockText|contains: 'Invoke-Mimikatz'\n    condition: sel",
        logsource="product: windows\n    service: powershell",
    )
    rules = ruleset_of(text)
    channel = "microsoft-windows-powershell/operational"
    assert rules.bucket(channel, 4104)[0] and not rules.bucket(channel, 4103)[0]
    assert fires(rules, event("Microsoft-Windows-PowerShell/Operational", 4104, ScriptBlockText="Invoke-Mimikatz -x"))


def test_channel_taken_from_provider_when_the_export_dropped_it() -> None:
    rules = ruleset_of(rule_yaml("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel"))
    record = event("", 1, Image=CMD)
    record.provider = "Microsoft-Windows-Sysmon"
    assert fires(rules, record)


def test_category_conditions_registry_add() -> None:
    text = rule_yaml(
        "    sel:\n        TargetObject|contains: '\\Run\\'\n    condition: sel",
        logsource="category: registry_add\n    product: windows",
    )
    rules = ruleset_of(text)
    assert fires(rules, event(SYSMON, 12, EventType="CreateKey", TargetObject="HKLM\\x\\Run\\y"))
    assert not fires(rules, event(SYSMON, 12, EventType="DeleteKey", TargetObject="HKLM\\x\\Run\\y"))


def test_antivirus_fields_renamed_for_defender() -> None:
    text = rule_yaml(
        "    sel:\n        Signature|contains: 'Webshell'\n        Filename|contains: '\\owa\\auth\\'\n    condition: sel",
        logsource="category: antivirus",
    )
    rules = ruleset_of(text)
    defender = "Microsoft-Windows-Windows Defender/Operational"
    record = event(
        defender, 1116, **{"Threat Name": "Backdoor:ASP/Webshell.A", "Path": "file:_C:\\x\\owa\\auth\\a.aspx"}
    )
    assert fires(rules, record)


def test_prefilter_skips_rules_without_their_literals() -> None:
    rules = ruleset_of(
        rule_yaml("    sel:\n        CommandLine|contains: 'whoami'\n    condition: sel"),
        rule_yaml(
            "    sel:\n        CommandLine|re: 'net\\s+user'\n    condition: sel",
            id="22222222-2222-3333-4444-555555555555",
        ),
    )
    _, prefilter = rules.bucket("microsoft-windows-sysmon/operational", 1)
    from exhunt.sigma.view import event_view

    assert prefilter.candidates(event_view(event(CommandLine="dir"))) == [], "the regex rule needs 'user'"
    assert prefilter.candidates(event_view(event(CommandLine="WHOAMI"))) == [0]
    assert prefilter.candidates(event_view(event(CommandLine="net  USER x"))) == [1]
    assert [r.meta.id[:8] for r in rules.match_event(event(CommandLine="net  user x"))] == ["22222222"]


def test_prefilter_with_many_literals_uses_one_scan_and_stays_exact() -> None:
    words = [f"tool{n:03d}.exe" for n in range(50)]
    texts = [
        rule_yaml(
            f"    sel:\n        Image|endswith: '\\{w}'\n    condition: sel", id=f"00000000-0000-0000-0000-{n:012d}"
        )
        for n, w in enumerate(words)
    ]
    rules = ruleset_of(*texts)
    for n in (0, 17, 49):
        fired = rules.match_event(event(Image=f"C:\\x\\{words[n]}"))
        assert [r.meta.id[-3:] for r in fired] == [f"{n:03d}"]
    assert not rules.match_event(event(Image="C:\\x\\tool999.exe"))


def test_one_scan_of_the_joined_values_chooses_rules_as_a_scan_per_field_would() -> None:
    from exhunt.sigma.prefilter import RulePrefilter
    from exhunt.sigma.view import event_view

    pairs = [("CommandLine", "whoami"), ("ParentImage", "whoami")]
    pairs += [("Image", f"\\tool{n:02d}.exe") for n in range(12)]  # more than a Python loop takes
    pairs.append(("Computer", "ex01"))  # a header field: not among the joined values
    texts = [
        rule_yaml(
            f"    sel:\n        {field}|contains: '{word}'\n    condition: sel",
            id=f"{n:08d}-0000-0000-0000-000000000000",
        )
        for n, (field, word) in enumerate(pairs)
    ]
    rules = ruleset_of(*texts)
    bucket, joined = rules.bucket("microsoft-windows-sysmon/operational", 1)
    per_field = RulePrefilter([r.node.anchors for r in bucket])
    assert joined.values is not None and per_field.values is None
    records = [
        event(CommandLine="whoami /all", ParentImage="C:\\x\\tool03.exe"),  # tool03 is not in Image
        event(CommandLine="C:\\x\\tool03.exe", ParentImage="cmd WHOAMI", Image="C:\\tool11.exe"),
        event(CommandLine="dir"),
    ]
    for record in records:
        assert joined.candidates(event_view(record)) == per_field.candidates(event_view(record))

    def ids(record: object) -> set[int]:
        return {int(r.meta.id[:8]) for r in rules.match_event(record)}  # type: ignore[arg-type]

    assert ids(records[0]) == {0, 14}
    assert ids(records[1]) == {1, 13, 14}
    assert ids(records[2]) == {14}


def test_unsupported_and_broken_rules_are_reported_and_the_rest_load() -> None:
    rules = SigmaRuleset()
    load_text("title: [unclosed\n", "broken.yml", rules)
    load_text(rule_yaml("    sel:\n        Image|minute: 5\n    condition: sel"), "minute.yml", rules)
    load_text(rule_yaml("    sel:\n        Image|nosuchmodifier: x\n    condition: sel"), "modifier.yml", rules)
    load_text(rule_yaml("    sel:\n        Image: x\n    condition: sel and missing"), "condition.yml", rules)
    correlation = (
        rule_yaml("    sel:\n        Image: x\n    condition: sel")
        + "---\n"
        + (
            "title: many\nid: 33333333-2222-3333-4444-555555555555\ncorrelation:\n    type: value_sum\n"
            "    rules:\n        - 11111111-2222-3333-4444-555555555555\n    group-by:\n        - User\n"
            "    timespan: 1h\n    condition:\n        gte: 10\n        field: Size\n"
        )
    )
    load_text(correlation, "correlation.yml", rules)
    load_text(
        rule_yaml(
            "    sel:\n        Image: x\n    condition: sel", logsource="product: linux\n    category: process_creation"
        ),
        "linux.yml",
        rules,
    )
    load_text(rule_yaml("    sel:\n        Image|endswith: 'cmd.exe'\n    condition: sel"), "good.yml", rules)
    reasons = {p.path: p.message for p in rules.rejected}
    assert set(reasons) == {"broken.yml", "minute.yml", "modifier.yml", "condition.yml", "correlation.yml"}
    assert "timestamp part" in reasons["minute.yml"]
    assert "type value_sum is not supported" in reasons["correlation.yml"]
    assert "nosuchmodifier" in reasons["modifier.yml"]
    assert [p.path for p in rules.not_applicable] == ["linux.yml"]
    assert [m.path for m in rules.loaded] == ["correlation.yml", "good.yml"]  # the rule the correlation names
    assert fires(rules, event(Image=CMD))


def test_level_and_overrides_make_severity_and_implies(tmp_path) -> None:
    from exhunt.model import Implies, Severity
    from exhunt.sigma.ruleset import load_ruleset

    (tmp_path / "r.yml").write_text(rule_yaml("    sel:\n        Image: x\n    condition: sel", level="critical"))
    levels = tmp_path / "levels.toml"
    levels.write_text('[rules."11111111-2222-3333-4444-555555555555"]\nimplies = "attempt"\nchain = "ProxyShell"\n')
    plain = load_ruleset((str(tmp_path / "r.yml"),))
    assert plain.loaded[0].severity is Severity.CRITICAL and plain.loaded[0].implies is Implies.COMPROMISE
    custom = load_ruleset((str(tmp_path / "r.yml"),), str(levels))
    assert custom.loaded[0].implies is Implies.ATTEMPT and custom.loaded[0].chain == "ProxyShell"


def test_tags_give_attack_techniques_and_cves() -> None:
    text = rule_yaml(
        "    sel:\n        Image: x\n    condition: sel",
        tags="\n    - attack.persistence\n    - attack.t1505.003\n    - cve.2021-26855",
    )
    meta = ruleset_of(text).loaded[0]
    assert meta.techniques == ("T1505.003",)
    assert meta.cves == ("CVE-2021-26855",)


SCM_RULE = rule_yaml(
    "    selection_eid:\n        Provider_Name: 'Service Control Manager'\n        EventID: 7045\n"
    "    selection_service:\n        ImagePath|contains: '\\pipe\\evil'\n"
    "    condition: selection_eid and selection_service",
    logsource="product: windows\n    service: system",
)


def test_anchors_prefer_the_events_own_fields_to_its_header() -> None:
    rules = ruleset_of(SCM_RULE)
    (compiled,) = rules.bucket("system", 7045)[0]
    assert compiled.node.anchors == frozenset({("ImagePath", "\\pipe\\evil")})


def test_text_prefilter_reads_literals_as_the_json_text_writes_them() -> None:
    rules = ruleset_of(SCM_RULE)
    assert rules.wants("System", "Service Control Manager", 7036) is False, "no rule for this id"
    text_filter = rules.wants("System", "Service Control Manager", 7045)
    assert not isinstance(text_filter, bool)
    assert text_filter.may_match('{"ImagePath":"C:\\\\X\\\\PIPE\\\\Evil"}'), "JSON doubles the backslashes"
    assert not text_filter.may_match('{"ImagePath":"C:\\\\x\\\\pipe\\\\good"}')


@pytest.mark.parametrize(
    ("literal", "form"),
    [
        ("\\pipe\\x", "\\\\pipe\\\\x"),
        ("cmd /c", "cmd /c"),
        ('"x"', None),
        ("a\nb", None),
        ("wide\x00", None),
        ("é", None),
    ],
)
def test_json_form_of_literals(literal: str, form: str | None) -> None:
    from exhunt.sigma.prefilter import json_form

    assert json_form(literal) == form


def test_a_rule_without_anchors_makes_every_event_of_its_bucket_read() -> None:
    rules = ruleset_of(rule_yaml("    sel:\n        CommandLine|re: '[a-z]+\\s+[0-9]'\n    condition: sel"))
    assert rules.wants(SYSMON, "Microsoft-Windows-Sysmon", 1) is True


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        (r"net\s+user", 0, {"user"}),
        (r"\\temp\\[a-z]{3}\.exe", 0, {"\\temp\\"}),
        (r"abc|de", 0, {"abc", "de"}),
        (r"(?:cmd|pwd)\.exe\s+/c", 0, {".exe"}),
        (r"(?:ab)+cd", 0, {"ab"}),
        (r"[a-z]+\d", 0, None),
        (r"x?yz|[0-9]", 0, None),
        (r"(?i)MiMiKaTz", 0, {"katz"}),
        (r"WHOAMI", 0, {"whoami"}),
        (r"caf\u00e9 bar", 0, {" bar"}),
    ],
)
def test_regex_literals_are_required_by_every_match(pattern: str, flags: int, expected: set[str] | None) -> None:
    from exhunt.sigma.compile import regex_literals

    assert regex_literals(re.compile(pattern, flags)) == (frozenset(expected) if expected is not None else None)


def test_regex_literals_under_ignorecase_cut_at_characters_unicode_folds_elsewhere() -> None:
    from exhunt.sigma.compile import regex_literals

    rx = re.compile("(?i)poweRshell")
    literals = regex_literals(rx)
    assert literals == frozenset({"power"})
    value = "POWER\u017fHELL"  # LATIN SMALL LETTER LONG S matches s under IGNORECASE
    assert rx.search(value) is not None
    assert any(lit in value.lower() for lit in literals)


@pytest.mark.parametrize(
    ("literal", "piece"),
    [
        ('-file "c:\\users\\public', "c:\\\\users\\\\public"),
        ('"everyone"', "everyone"),
        ("gnupg\u2019s openpgp tool", "s openpgp tool"),
        ("\u202e", None),
        ('"', None),
    ],
)
def test_json_piece_is_the_longest_part_placed_exactly(literal: str, piece: str | None) -> None:
    from exhunt.sigma.prefilter import json_piece

    assert json_piece(literal) == piece


def test_literals_with_quotes_or_non_ascii_text_still_prefilter_the_json_text() -> None:
    rules = ruleset_of(
        rule_yaml("    sel:\n        CommandLine|contains: '-file \"c:\\users\\public'\n    condition: sel"),
        rule_yaml(
            "    sel:\n        CommandLine|contains: 'gnupg\u2019s openpgp'\n    condition: sel",
            id="22222222-2222-3333-4444-555555555555",
        ),
    )
    text_filter = rules.wants(SYSMON, "Microsoft-Windows-Sysmon", 1)
    assert not isinstance(text_filter, bool)
    line = '{"CommandLine":"powershell -File \\"C:\\\\Users\\\\Public\\\\x.ps1\\""}'
    assert text_filter.may_match(line)
    assert text_filter.may_match('{"CommandLine":"GnuPG\u2019s OpenPGP"}')
    assert not text_filter.may_match('{"CommandLine":"powershell -File C:\\\\Users\\\\x.ps1"}')
    fired = rules.match_event(event(CommandLine='powershell -File "C:\\Users\\Public\\x.ps1"'))
    assert [r.meta.id[:8] for r in fired] == ["11111111"]
    only_non_ascii = ruleset_of(rule_yaml("    sel:\n        CommandLine|contains: '\u202e'\n    condition: sel"))
    assert only_non_ascii.wants(SYSMON, "Microsoft-Windows-Sysmon", 1) is True


def test_folded_or_of_string_tests_answers_as_each_test_alone() -> None:
    """The folded test (a set lookup, one startswith/endswith call, a loop over contained
    literals, or a single `in` for one contained literal) says what an OR of the tests one by
    one says, for every mix of operators, on values that hit each test, none, or are absent."""
    import itertools

    from exhunt.sigma.compile import CONTAINS, ENDS, EQ, STARTS, StrLeaf, _fold
    from exhunt.sigma.view import event_view

    literals = {EQ: ["cmd.exe", "whoami"], STARTS: ["c:\\windows", "net "], ENDS: [".ps1", "\\cmd.exe"]}
    literals[CONTAINS] = ["-enc", "mimikatz"]
    values = [None, "", "cmd.exe", "whoami", "c:\\windows\\system32\\cmd.exe", "net user x", "a.ps1", "x -enc y"]
    values += ["mimikatz", "notepad.exe", "cmd.exe.bak", "xnet user", "-ENC"]
    leaves = [StrLeaf("CommandLine", op, lit) for op, lits in literals.items() for lit in lits]
    checked = 0
    for size in (1, 2, 3):
        for group in itertools.combinations(leaves, size):
            folded = _fold("CommandLine", list(group)).test
            for value in values:
                view = event_view(event(**({} if value is None else {"CommandLine": value})))
                low = None if value is None else value.lower()
                alone = low is not None and any(
                    (leaf.op == EQ and low == leaf.literal)
                    or (leaf.op == STARTS and low.startswith(leaf.literal))
                    or (leaf.op == ENDS and low.endswith(leaf.literal))
                    or (leaf.op == CONTAINS and leaf.literal in low)
                    for leaf in group
                )
                assert folded(view) is alone, (group, value)
                checked += 1
    assert checked > 500


def test_and_and_or_of_several_nodes_answer_as_all_and_any() -> None:
    from exhunt.sigma.compile import Node, _all, _any
    from exhunt.sigma.view import event_view

    view = event_view(event(CommandLine="x"))
    for answers in _bool_rows(4):
        nodes = [Node(lambda e, a=a: a, None) for a in answers]
        assert _all(list(nodes)).test(view) is all(answers)
        assert _any(list(nodes)).test(view) is any(answers)


def _bool_rows(n: int) -> list[tuple[bool, ...]]:
    """Every row of 3 to n truth values (with 2, the AND and OR are written out apart)."""
    import itertools

    return [p for k in range(3, n + 1) for p in itertools.product((False, True), repeat=k)]


def test_an_event_fired_by_several_rules_gives_each_its_finding_with_the_same_evidence() -> None:
    from exhunt.model import UnitResult
    from exhunt.sigma.findings import SigmaReporter

    one_id, two_id = "11111111-2222-3333-4444-000000000001", "11111111-2222-3333-4444-000000000002"
    rules = ruleset_of(
        rule_yaml("    sel:\n        CommandLine|contains: 'whoami'\n    condition: sel", title="One", id=one_id),
        rule_yaml("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel", title="Two", id=two_id),
    )
    record = event(Image=CMD, CommandLine="cmd /c whoami", ParentImage="C:\\w3wp.exe", ProcessId="0x10")
    result = UnitResult()
    SigmaReporter(result).event(rules.match_event(record), record)
    one, two = result.findings
    assert {(one.title, one.rule_id), (two.title, two.rule_id)} == {("One", one_id), ("Two", two_id)}
    assert one.evidence == two.evidence and one.evidence.record == "1"
    assert one.event == two.event and one.event is not None and one.event.event_id == 1
    assert one.process == two.process and one.process is not None
    assert (one.process.image, one.process.pid, one.process.parent_image) == (CMD, 16, "C:\\w3wp.exe")
    assert ("CommandLine", "cmd /c whoami") in one.details and ("sigma_id", one.rule_id) in one.details
    assert one.detail("event") == f"{record.channel} 1"
