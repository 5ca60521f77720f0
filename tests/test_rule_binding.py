"""Detectors run every rule that names them: a new rule on an existing detector is data only."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import exhunt.rules as rules_module
from exhunt.cli import main
from exhunt.rules import rules_of, shipped_files
from test_log_samples import httpproxy_log, httpproxy_row, iis_line, iis_log, write

LOGS = "exhunt/data/rules/logs.toml"
EVENTS = "exhunt/data/rules/events.toml"


def copy_rule(text: str, rule_id: str, new_id: str, replace: dict[str, str]) -> str:
    """The TOML of `rule_id` (with its outcome tables) under `new_id`, with parameter lines changed."""
    lines = text.splitlines()
    start = lines.index(f"[{rule_id}]")
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].startswith("[") and not lines[i].startswith(f"[{rule_id}.")
        ),
        len(lines),
    )
    body = "\n".join(lines[start:end]).replace(f"[{rule_id}", f"[{new_id}")
    for key, value in replace.items():
        line = f"{key} = {value}"
        # a value on one line, or an array over several lines that ends with a line of its own "]"
        pattern = rf"(?m)^{re.escape(key)} = (?:\[\n(?:.*\n)*?\]|.*)$"
        body, n = re.subn(pattern, line.replace("\\", "\\\\"), body)
        assert n == 1, key
    return body + "\n"


@pytest.fixture
def extra_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    files = shipped_files()
    logs = dict(files)[LOGS]
    extra = copy_rule(
        logs,
        "EXH-PL-26855-SSRF",
        "EXH-PL-26855-SSRF-SECRET",
        {"prefilter": '["ServerSecret~"]', "anchor_prefix": '"ServerSecret~"'},
    ) + copy_rule(
        logs,
        "EXH-IIS-WEBSHELL-ACCESS",
        "EXH-IIS-WEBSHELL-ACCESS-EWS",
        {
            "prefilter_regex": '["/ews/custom/[^ ?,\\\\n]*\\\\.aspx"]',
            "folders": '["/ews/custom/"]',
            "script_extensions": '[".aspx"]',
        },
    )
    extra += copy_rule(
        dict(files)[EVENTS],
        "EXH-EVT-HAFNIUM-TTP",
        "EXH-EVT-LOCAL-TOOL",
        {"patterns": '[["\\\\tools\\\\sweep.exe", "--all-mailboxes"]]'},
    )
    monkeypatch.setattr(rules_module, "shipped_files", lambda: [*files, ("extra.toml", extra)])
    rules_module.forget()
    yield
    rules_module.forget()


def test_an_extra_rule_on_an_existing_detector_is_bound_by_its_detector_name(extra_rules: None) -> None:
    assert [r.id for r in rules_of("httpproxy-serverinfo-anchor")] == ["EXH-PL-26855-SSRF", "EXH-PL-26855-SSRF-SECRET"]
    assert "EXH-IIS-WEBSHELL-ACCESS-EWS" in [r.id for r in rules_of("iis-webshell")]


def test_an_extra_rule_with_new_parameters_fires_in_a_hunt(extra_rules: None, tmp_path: Path) -> None:
    host = tmp_path / "EX01"
    anchor = "ServerSecret~EX01.contoso.local/ecp/DDI/DDIService.svc/GetList?#"
    write(
        host,
        "Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG",
        httpproxy_log(
            [httpproxy_row(AnchorMailbox=anchor, HttpStatus="200", ClientIpAddress="203.0.113.9", Method="POST")]
        ),
    )
    write(
        host,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        iis_log([iis_line(**{"cs-method": "POST", "cs-uri-stem": "/ews/custom/help.aspx", "c-ip": "203.0.113.9"})]),
    )
    out = tmp_path / "result.json"
    code = main(["hunt", str(host), "-q", "--json", str(out), "--unit-timeout", "0", "-j", "1"])
    doc = json.loads(out.read_text(encoding="utf-8"))
    found = {f["rule_id"]: f for h in doc["hosts"] for f in h["findings"]}
    assert found["EXH-PL-26855-SSRF-SECRET"]["severity"] == "critical"
    assert found["EXH-PL-26855-SSRF-SECRET"]["http"]["client_ip"] == "203.0.113.9"
    assert found["EXH-IIS-WEBSHELL-ACCESS-EWS"]["implies"] == "compromise"
    # the shipped rules did not fire on these lines: their own parameters do not match them
    assert "EXH-PL-26855-SSRF" not in found and "EXH-IIS-WEBSHELL-ACCESS" not in found
    assert code == 1


def test_without_the_extra_rules_the_same_evidence_is_not_a_compromise(tmp_path: Path) -> None:
    host = tmp_path / "EX01"
    write(
        host,
        "inetpub/logs/LogFiles/W3SVC1/u_ex210303.log",
        iis_log([iis_line(**{"cs-method": "POST", "cs-uri-stem": "/ews/custom/help.aspx", "c-ip": "203.0.113.9"})]),
    )
    out = tmp_path / "result.json"
    main(["hunt", str(host), "-q", "--json", str(out), "--unit-timeout", "0", "-j", "1"])
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert not [f for h in doc["hosts"] for f in h["findings"] if f["rule_id"].startswith("EXH-IIS-WEBSHELL")]


def test_every_rule_is_run_by_its_detector_name_or_named_in_code() -> None:
    """A rule nothing runs would never fire. Detectors run their rules by detector name (the name
    is in the code, outside the table of parameter classes); YARA content rules are named by
    their YARA rule's meta; only the fallback of the user's YARA rules is named by id. A rule
    bound by its detector name is never also named by id."""
    from exhunt.rules import catalog

    source = Path(__file__).parents[1] / "src" / "exhunt"
    code = "\n".join(p.read_text(encoding="utf-8") for p in source.rglob("*.py") if p.name != "ruleparams.py")
    yara = "\n".join(p.read_text(encoding="utf-8") for p in (source / "data" / "yara").glob("*.yar"))
    detectors = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("analyzers", "events/detect", "codeanalysis", "filehunt")
        for p in (source / folder).glob("*.py")
    )
    content = [r for r in catalog().values() if r.detector == "yara"]
    assert [r.id for r in content if f'"{r.id}"' not in yara] == []
    rest = [r for r in catalog().values() if r.detector != "yara"]
    by_name = [r for r in rest if f'"{r.detector}"' in detectors]
    by_id = [r for r in rest if r not in by_name]
    assert [r.id for r in by_id] == ["EXH-FS-USER-YARA"]
    assert [r.id for r in by_id if f'"{r.id}"' not in code] == []
    assert [r.id for r in by_name if f'"{r.id}"' in code] == []
    assert len(by_name) >= 60


def test_an_extra_event_rule_with_new_patterns_fires(extra_rules: None, tmp_path: Path) -> None:
    from test_events_detect import hunt, ids, process

    tool = "C:\\tools\\sweep.exe"
    doc = process("C:\\Windows\\explorer.exe", "explorer.exe", tool, f"{tool} --all-mailboxes", 1)
    result = hunt(tmp_path, doc)
    assert ids(result) == ["EXH-EVT-LOCAL-TOOL"]
    finding = result.findings[0]
    assert finding.process is not None and finding.process.image == tool


FILES = "exhunt/data/rules/files.toml"


@pytest.fixture
def extra_file_rules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Copies of file heuristics under new ids, looking at other places, page types and folders."""
    files = shipped_files()
    text = dict(files)[FILES]
    extra = (
        copy_rule(text, "EXH-WS-ASPNET-CLIENT-PAGE", "EXH-WS-WEBROOT-PAGE", {"places": '["iis-webroot"]'})
        + copy_rule(text, "EXH-WS-BINARY-PAGE", "EXH-WS-BINARY-PHP", {"extensions": '[".php"]'})
        + copy_rule(text, "EXH-WS-COMPILED-PAGE", "EXH-WS-COMPILED-EWS", {"virtual_folders": '["/ews/custom/"]'})
        + copy_rule(text, "EXH-FS-MINIDUMP", "EXH-FS-MINIDUMP-PROGRAMDATA", {"places": '["programdata"]'})
    )
    monkeypatch.setattr(rules_module, "shipped_files", lambda: [*files, ("extra.toml", extra)])
    rules_module.forget()
    yield
    rules_module.forget()


def test_extra_file_heuristic_rules_fire_by_their_detector_name(extra_file_rules: None, tmp_path: Path) -> None:
    host = tmp_path / "EX01"
    write(host, "C/inetpub/wwwroot/help.aspx", '<%@ Page Language="C#" %>\n<html></html>\n')
    write(host, "C/inetpub/wwwroot/aspnet_client/shell.php", b"GIF89a<?php echo 1; ?>")
    temp = "C/Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files/ews/1a2b/3c4d"
    write(host, f"{temp}/help.aspx.cdcab7d2.compiled", '<preserve virtualPath="/ews/custom/help.aspx" />\n')
    write(host, "C/ProgramData/Tasks/dump.bin", b"MDMP" + b"\x00" * 64)
    out = tmp_path / "result.json"
    main(["hunt", str(host), "-q", "--no-db", "--json", str(out), "--unit-timeout", "0", "-j", "1"])
    doc = json.loads(out.read_text(encoding="utf-8"))
    found = {(f["rule_id"], f["evidence"]["path"].rsplit("/", 1)[-1]) for h in doc["hosts"] for f in h["findings"]}
    assert ("EXH-WS-WEBROOT-PAGE", "help.aspx") in found
    assert ("EXH-WS-BINARY-PHP", "shell.php") in found
    assert ("EXH-WS-COMPILED-EWS", "help.aspx.cdcab7d2.compiled") in found
    assert ("EXH-FS-MINIDUMP-PROGRAMDATA", "dump.bin") in found
    # the shipped rules, with their own parameters, said nothing about these files
    shipped = {"EXH-WS-ASPNET-CLIENT-PAGE", "EXH-WS-BINARY-PAGE", "EXH-WS-COMPILED-PAGE", "EXH-FS-MINIDUMP"}
    assert not {rule for rule, _ in found} & shipped
