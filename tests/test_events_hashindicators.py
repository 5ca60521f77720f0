"""Listed file hashes in Sysmon's Hashes field (EXH-EVT-IOC-HASH): found in EVTX records and in
exports, while image loads and other records only this search reads are decoded only when their
text holds a listed hash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.analyzers import events as events_analyzer
from exhunt.events.detect import family
from exhunt.events.detect.hashindicators import hash_indicators, matcher, parse_hashes, text_check
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, Finding
from test_events_detect import SYSMON
from test_events_netindicators import evtx_text, read_with

RULE = "EXH-EVT-IOC-HASH"
# A web shell of the March 2021 attacks, in the shipped lists (Microsoft's post and CISA's alert).
SHIPPED = "b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"
TOOL_MD5 = "0123456789abcdef0123456789abcdef"
TOOL_SHA1 = "0123456789abcdef0123456789abcdef01234567"
OTHER = "9" * 64


def hashes(sha256: str = OTHER, md5: str = "f" * 32, sha1: str = "e" * 40) -> str:
    """The field as Sysmon writes it: capitals, the algorithms of its configuration."""
    return f"SHA1={sha1.upper()},MD5={md5.upper()},SHA256={sha256.upper()},IMPHASH={'A' * 32}"


def user_list(tmp: Path) -> str:
    path = tmp / "case9.csv"
    path.write_text(
        "type,value,kind,label,source\n"
        f"md5,{TOOL_MD5},tool,renamed plink,case 9\n"
        f"sha1,{TOOL_SHA1},malware,loader,case 9\n",
        encoding="utf-8",
    )
    return str(path)


def image_load(record: int, field: str) -> str:
    return evtx_text(
        SYSMON,
        7,
        record,
        RuleName="-",
        UtcTime="2021-03-03 05:01:00.000",
        ProcessGuid="{365abb72-b52c-5cea-0000-00107a0d1100}",
        ProcessId=3388,
        Image="C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        ImageLoaded="C:\\Windows\\Temp\\x.dll",
        FileVersion="-",
        Description="-",
        Product="-",
        Company="-",
        OriginalFileName="-",
        Hashes=field,
        Signed="false",
        Signature="-",
        SignatureStatus="Unavailable",
        User="NT AUTHORITY\\SYSTEM",
    )


def deleted(record: int, field: str) -> str:
    return evtx_text(
        SYSMON,
        23,
        record,
        RuleName="-",
        UtcTime="2021-03-03 05:02:00.000",
        ProcessGuid="{365abb72-b52c-5cea-0000-00107a0d1100}",
        ProcessId=3388,
        User="NT AUTHORITY\\SYSTEM",
        Image="C:\\Windows\\System32\\cmd.exe",
        TargetFilename="C:\\inetpub\\wwwroot\\aspnet_client\\supp0rt.aspx",
        Hashes=field,
        IsExecutable="false",
        Archived="true",
    )


def stream(record: int, field: str) -> str:
    return evtx_text(
        SYSMON,
        15,
        record,
        RuleName="-",
        UtcTime="2021-03-03 05:03:00.000",
        ProcessGuid="{365abb72-b52c-5cea-0000-00107a0d1100}",
        ProcessId=3388,
        Image="C:\\Windows\\System32\\inetsrv\\w3wp.exe",
        TargetFilename="C:\\ProgramData\\a.txt:hidden.aspx",
        CreationUtcTime="2021-03-03 05:03:00.000",
        Hash=field,
        Contents="-",
        User="NT AUTHORITY\\SYSTEM",
    )


def read_skimmed(texts: list[str], lists: tuple[str, ...]) -> tuple[list[int], list[Finding]]:
    """The record ids the EVTX reader decodes in full, and what the search finds in them."""
    values = hash_indicators(lists)
    return read_with(texts, events_analyzer._text_checks(None, text_check(values)), matcher(values, family), RULE)


def test_the_hashes_field_is_read_as_sysmon_writes_it() -> None:
    assert parse_hashes(hashes(SHIPPED, TOOL_MD5, TOOL_SHA1)) == {"sha1": TOOL_SHA1, "md5": TOOL_MD5, "sha256": SHIPPED}
    assert parse_hashes(f"SHA256={SHIPPED.upper()}") == {"sha256": SHIPPED}
    assert parse_hashes(f" md5 = {TOOL_MD5} , sha-256={SHIPPED}") == {"md5": TOOL_MD5, "sha256": SHIPPED}
    # wrong lengths, other digits, no name, an import hash: nothing to compare
    assert parse_hashes(f"SHA256={SHIPPED[:-1]},MD5={'g' * 32},{TOOL_MD5},IMPHASH={TOOL_MD5}") == {}
    assert parse_hashes("") == parse_hashes("-") == {}


def test_listed_hashes_in_image_loads_deletions_and_streams_are_read_and_reported(tmp_path: Path) -> None:
    texts = [
        image_load(1, hashes(sha256=SHIPPED)),  # the shipped web shell, as Sysmon writes it
        deleted(2, hashes(md5=TOOL_MD5)),  # a listed tool deleted after use
        stream(3, f"SHA1={TOOL_SHA1.upper()}"),  # an alternate data stream: `Hash`, one algorithm
    ]
    decoded, findings = read_skimmed(texts, (user_list(tmp_path),))
    assert decoded == [1, 2, 3]
    # one finding per event, naming every list entry of the hash (the shipped shell is listed twice)
    assert len((findings[0].detail("listed_in") or "").split("; ")) >= 2
    assert [(f.detail("event"), f.detail("indicator"), f.detail("seen_in")) for f in findings] == [
        ("Microsoft-Windows-Sysmon/Operational 7", SHIPPED, f"Hashes: SHA256={SHIPPED}"),
        ("Microsoft-Windows-Sysmon/Operational 23", TOOL_MD5, f"Hashes: MD5={TOOL_MD5}"),
        ("Microsoft-Windows-Sysmon/Operational 15", TOOL_SHA1, f"Hash: SHA1={TOOL_SHA1}"),
    ]
    assert [f.file.path if f.file else None for f in findings] == [
        "C:\\Windows\\Temp\\x.dll",
        "C:\\inetpub\\wwwroot\\aspnet_client\\supp0rt.aspx",
        "C:\\ProgramData\\a.txt:hidden.aspx",
    ]
    assert [f.file.sha256 if f.file else None for f in findings] == [SHIPPED, OTHER, None]  # SHA-256 when logged
    assert (findings[1].detail("listed_in") or "").endswith("case9.csv:2")
    assert findings[2].detail("indicator_kind") == "malware"


def test_unlisted_and_look_alike_hashes_are_passed_by(tmp_path: Path) -> None:
    near = SHIPPED[:-1] + ("0" if SHIPPED[-1] != "0" else "1")  # one digit off
    texts = [
        image_load(1, hashes()),  # nothing listed: passed by, never decoded
        image_load(2, hashes(sha256=near)),
        image_load(3, f"SHA256={SHIPPED.upper()[:40]}"),  # a listed hash's first 40 digits, as SHA1
        deleted(4, hashes()),  # read in full by the log-deletion detector, nothing listed
    ]
    decoded, findings = read_skimmed(texts, (user_list(tmp_path),))
    assert findings == []
    assert decoded == [4]


def test_an_export_is_searched_too(tmp_path: Path) -> None:
    """Winlogbeat-style flat JSON lines: every event of an export is decoded, and searched."""
    export = tmp_path / "sysmon.jsonl"
    event: dict[str, Any] = {
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Provider": "Microsoft-Windows-Sysmon",
        "EventID": 1,
        "TimeCreated": "2021-03-03T05:00:00Z",
        "Computer": "EX01.corp.local",
        "Image": "C:\\ProgramData\\svchost.exe",
        "CommandLine": "C:\\ProgramData\\svchost.exe -enc",
        "ParentImage": "C:\\Windows\\System32\\services.exe",
        "Hashes": hashes(sha1=TOOL_SHA1),
    }
    export.write_bytes(orjson.dumps(event) + b"\n" + orjson.dumps({**event, "Hashes": hashes()}) + b"\n")
    file = EvidenceFile(FileRef(str(export)), export.name, ArtefactKind.EVENT_JSON, export.stat().st_size)
    ctx = HostContext("EX01", None, HuntOptions(extra_indicator_paths=(user_list(tmp_path),)))
    result = registry()["events"].analyze(file, ctx)
    found = [f for f in result.findings if f.rule_id == RULE]
    assert [(f.detail("indicator"), f.detail("file"), f.evidence.line) for f in found] == [
        (TOOL_SHA1, "C:\\ProgramData\\svchost.exe", 1)
    ]


def test_a_hunt_calls_a_host_compromised_on_a_deleted_shipped_web_shell(tmp_path: Path) -> None:
    from exhunt.cli import main

    evidence = tmp_path / "EX01"
    evidence.mkdir()
    event = {
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 23,
        "TimeCreated": "2021-03-04T01:00:00Z",
        "Computer": "EX01.corp.local",
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "TargetFilename": "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\x.aspx",
        "Hashes": hashes(sha256=SHIPPED),
    }
    (evidence / "sysmon.jsonl").write_bytes(orjson.dumps(event) + b"\n")
    out = tmp_path / "hunt.json"
    assert main(["hunt", str(evidence), "--no-db", "--json", str(out), "-q"]) == 1
    (host,) = json.loads(out.read_text())["hosts"]
    assert host["verdict"] == "compromised"
    (finding,) = [f for f in host["findings"] if f["rule_id"] == RULE]
    assert finding["file"] == {
        "path": "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\x.aspx",
        "sha256": SHIPPED,
        "size": None,
        "place": None,
    }
