"""`exhunt rules --sigma PATH`: the Sigma rules a hunt given the same paths runs, listed,
explained by the id a finding names, and the ones it cannot load said with their reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exhunt.cli import main
from exhunt.schemas import validate

RULE = """\
title: "Whoami Run By The IIS Worker \\e[31mred"
id: 0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61
status: test
description: w3wp.exe starting whoami.exe, as web shells do first.
tags:
    - attack.discovery
    - attack.t1033
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        ParentImage|endswith: '\\\\w3wp.exe'
        Image|endswith: '\\\\whoami.exe'
    condition: selection
falsepositives:
    - None known
level: high
"""
WEB_RULE = """\
title: Request For A Web Shell Name
id: 7a1f0b7e-3b1e-4a4e-8f43-0d9d8f6a2c10
logsource:
    category: webserver
detection:
    selection:
        cs-uri-stem|endswith: '/shell.aspx'
    condition: selection
level: medium
"""
BROKEN = "title: broken\nid: 1\nlogsource:\n    product: windows\ndetection:\n    s:\n        a|nosuchmodifier: 1\n    condition: s\n"


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXHUNT_CACHE", "off")
    folder = tmp_path / "sigma"
    folder.mkdir()
    (folder / "proc.yml").write_text(RULE, encoding="utf-8")
    (folder / "web.yml").write_text(WEB_RULE, encoding="utf-8")
    return folder


def test_sigma_rules_listed_beside_the_shipped_ones(rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--sigma", str(rules), "--no-color"]) == 0
    captured = capsys.readouterr()
    assert "2 Sigma rules" in captured.out and "0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61" in captured.out
    assert "EXH-PL-26855-SSRF" in captured.out  # the shipped rules still listed
    assert "\x1b[31m" not in captured.out and "\\x1b" in captured.out  # the author's text is inert
    assert "2 Sigma rules loaded from 2 files; 0 not loaded" in captured.err
    # --severity applies to them too (the level maps to a severity)
    assert main(["rules", "--sigma", str(rules), "--severity", "high", "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "0c3d1a52" in out and "7a1f0b7e" not in out


def test_a_sigma_rule_explained_by_the_id_its_findings_name(rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "0C3D1A52-6F0E-4A59-9A6B-2F1D3C4E5A61", "--sigma", str(rules), "--no-color"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(Sigma) - Whoami Run By The IIS Worker" in out
    assert "level high: severity high" in out and "ATT&CK T1033" in out
    assert "proc.yml" in out and "false positives: None known" in out
    assert "reads: microsoft-windows-sysmon/operational" in out.lower() or "reads: security" in out.lower()
    # without the rules given, the id is unknown, as it is to a hunt without them
    assert main(["rules", "0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61"]) == 2
    assert "no such rule" in capsys.readouterr().err


def test_sigma_rules_as_json_and_a_rule_that_does_not_load(rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--sigma", str(rules), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "exhunt.rules/2" and doc["rules"]
    web = {r["id"]: r for r in doc["sigma"]}["7a1f0b7e-3b1e-4a4e-8f43-0d9d8f6a2c10"]
    assert web["level"] == "medium" and web["path"].endswith("web.yml") and web["channels"]
    (rules / "broken.yml").write_text(BROKEN, encoding="utf-8")
    assert main(["rules", "--sigma", str(rules), "-q"]) == 2  # as `--rules` with a rule that did not load
    err = capsys.readouterr().err
    assert "Sigma rule not loaded" in err and "broken.yml" in err


def test_a_sigma_rule_explained_with_every_log_it_reads(rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A process_creation rule runs on Sysmon 1 and Security 4688 and a webserver rule on the
    IIS and the HttpProxy logs: the explanation names each, as the hunt's findings come from each."""
    assert main(["rules", "0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61", "--sigma", str(rules), "--no-color"]) == 0
    out = " ".join(capsys.readouterr().out.split()).lower()
    assert "microsoft-windows-sysmon/operational (event ids 1)" in out and "security (event ids 4688)" in out
    assert main(["rules", "7a1f0b7e-3b1e-4a4e-8f43-0d9d8f6a2c10", "--sigma", str(rules), "--no-color"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "web:iis" in out and "web:httpproxy" in out
    assert (
        main(
            [
                "rules",
                "0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61",
                "7a1f0b7e-3b1e-4a4e-8f43-0d9d8f6a2c10",
                "--sigma",
                str(rules),
                "--json",
                "-",
            ]
        )
        == 0
    )
    doc = {r["id"]: r for r in json.loads(capsys.readouterr().out)["sigma"]}
    proc, web = doc["0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61"], doc["7a1f0b7e-3b1e-4a4e-8f43-0d9d8f6a2c10"]
    assert set(proc["channels"]) == {"microsoft-windows-sysmon/operational", "security"}
    assert proc["event_ids"] == [1, 4688] and len(proc["reads"]) == 2
    assert web["channels"] == ["web:iis", "web:httpproxy"] and web["event_ids"] is None


CORRELATION = """\
title: Whoami burst
id: 5d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d
correlation:
    type: event_count
    rules: [0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61]
    group-by: [Computer]
    timespan: 10m
    condition:
        gte: 3
level: high
"""


def test_sigma_correlations_listed_with_what_they_count(rules: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (rules / "burst.yml").write_text(CORRELATION, encoding="utf-8")
    assert main(["rules", "--sigma", str(rules), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate(doc, "exhunt.rules/2")
    listed = {r["id"]: r for r in doc["sigma"]}
    burst = listed["5d1b2c3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
    assert burst["correlation"] == {
        "type": "event_count",
        "rules": ["0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61"],
        "group_by": ["Computer"],
        "timespan": 600,
        "condition": {"op": "gte", "count": 3, "field": None},
        "generate": False,
    }
    assert listed["0c3d1a52-6f0e-4a59-9a6b-2f1d3c4e5a61"]["correlation"] is None
