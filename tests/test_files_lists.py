"""Indicator lists, allow-lists and user YARA rules: what users add, and what happens when it is wrong."""

from __future__ import annotations

import gc
import hashlib
import sys
import threading
from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.filesetup import FILE_HUNT_SETUP
from exhunt.evidence.base import HostEvidence
from exhunt.filehunt.allowlist import Allowlist, parse_allowlist
from exhunt.filehunt.contentrules import load_content_rules
from exhunt.filehunt.indicators import (
    IndicatorSet,
    load_indicators,
    normalise_path_indicator,
    parse_indicators,
)
from exhunt.model import Implies, Severity
from files_support import ASPNET_CLIENT, CHOPPER, OWA_AUTH, by_rule, hunt, plain_file, server_file

# ------------------------------------------------------------------------------ indicators


def test_shipped_indicators_load_cleanly_and_name_their_sources() -> None:
    shipped = load_indicators()
    assert shipped.problems == []
    assert len(shipped.hashes["sha256"]) >= 55  # MSTIC 45, plus CISA, Sophos and later-chain hashes
    webshell = shipped.hashes["sha256"]["b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0"]
    assert {i.kind for i in webshell} == {"webshell"}
    assert any("MSTIC" in i.source for i in webshell) and any("AA21-062A" in i.source for i in webshell)
    dearcry = shipped.hashes["sha256"]["2b9838da7edb0decd32b086e47a31e8f5733b5981ad8247a2f9508e232589bff"]
    assert {i.kind for i in dearcry} == {"ransomware"}
    assert "frontend/httpproxy/owa/auth/outlookzh.aspx" in shipped.paths
    assert "inetpub/wwwroot/aspnet_client/system_web/log.aspx" in shipped.paths
    assert shipped.network["ip"] == 15
    for bucket in shipped.hashes.values():
        for entries in bucket.values():
            assert all(e.source for e in entries)
    # stock names are never shipped as web-shell paths
    assert "frontend/httpproxy/owa/auth/redirsuiteserviceproxy.aspx" not in shipped.paths


def test_path_indicators_match_installs_on_any_drive() -> None:
    assert normalise_path_indicator(OWA_AUTH + r"\bob.aspx") == "frontend/httpproxy/owa/auth/bob.aspx"
    assert (
        normalise_path_indicator(r"D:\Exchange\FrontEnd\HttpProxy\ecp\auth\x.aspx")
        == "frontend/httpproxy/ecp/auth/x.aspx"
    )
    assert (
        normalise_path_indicator(r"C:\inetpub\wwwroot\aspnet_client\s.aspx") == "inetpub/wwwroot/aspnet_client/s.aspx"
    )
    assert normalise_path_indicator(r"%ProgramData%\it.zip") == "programdata/it.zip"
    ind = IndicatorSet()
    parse_indicators(
        "type,value\npath,C:\\inetpub\\wwwroot\\aspnet_client\\s.aspx\npath,*\\system_web\\????????.aspx\n",
        "mine.csv",
        ind,
    )
    assert ind.match_path("/d:/inetpub/wwwroot/aspnet_client/s.aspx")
    assert not ind.match_path("/d:/inetpub/wwwroot/aspnet_client/xs.aspx")
    assert ind.match_path("/c:/inetpub/wwwroot/aspnet_client/system_web/r07azcq5.aspx")
    assert not ind.match_path("/c:/inetpub/wwwroot/aspnet_client/system_web/r07azcq.aspx")


def test_user_hash_list_with_md5_and_bad_lines(tmp_path: Path) -> None:
    page = b'<%@ Page Language="C#" %><% Response.Write("tools"); %>'
    bad_tool = b"MZ\x90\x00 not really a PE"
    user = tmp_path / "case42.csv"
    user.write_text(
        "# our own case\n"
        "type,value,kind,label,source\n"
        f"md5,{hashlib.md5(page).hexdigest().upper()},webshell,dropper page,case 42\n"
        f"sha256,{hashlib.sha256(bad_tool).hexdigest()},tool,renamed plink,case 42\n"
        "sha256,1234,webshell,too short,\n"
        "sha1,da39a3ee5e6b4b0d3255bfef95601890afd80709,malware,hash of nothing,\n"
        "colour,red,,,\n"
        "path,,webshell,,\n"
        'sha256,"unterminated\n',
        encoding="utf-8",
    )
    options = {"extra_indicator_paths": (str(user),)}
    web = by_rule(hunt(plain_file(tmp_path, "p.aspx", page), **options))["EXH-WS-IOC-HASH"]
    assert web.detail("matched_hash") == "md5" and web.detail("md5") == hashlib.md5(page).hexdigest()
    assert web.detail("indicator_list") == f"{user}:3" and "case 42" in (web.detail("indicator") or "")
    tool = by_rule(hunt(plain_file(tmp_path, "p.exe", bad_tool), **options))["EXH-FS-IOC-HASH"]
    assert tool.severity is Severity.CRITICAL and tool.category == "post-exploitation"

    problems = {(p.line, p.message.split(" ")[0]) for p in load_indicators((str(user),)).problems}
    assert {line for line, _ in problems} == {5, 6, 7, 8, 9}
    report = FILE_HUNT_SETUP.analyze_host(_host_with_files(tmp_path), _ctx(**options))
    assert {(e.path, e.line) for e in report.errors} >= {(str(user), 5), (str(user), 6), (str(user), 9)}
    assert any("empty file" in e.message for e in report.errors)


def test_missing_list_and_headerless_list_are_reported(tmp_path: Path) -> None:
    headerless = tmp_path / "h.csv"
    headerless.write_text("sha256,b75f163ca9b9240bf4b37ad92bc7556b40a17e27c2b8ed5c8991385fe07d17d0\n")
    loaded = load_indicators((str(tmp_path / "nope.csv"), str(headerless)))
    messages = [str(p) for p in loaded.problems]
    assert any("nope.csv" in m and "no such file" in m for m in messages)
    assert any("h.csv:1" in m and "header" in m for m in messages)


def test_a_list_saved_in_utf16_loads_and_broken_text_is_named(tmp_path: Path) -> None:
    """Windows PowerShell 5's `>` and Excel's "Unicode Text" write UTF-16 with a byte-order mark."""
    page = b'<%@ Page Language="C#" %><% Response.Write("case 43"); %>'
    text = f"type,value,kind,label,source\r\nsha256,{hashlib.sha256(page).hexdigest()},webshell,dropper,case 43\r\n"
    saved = tmp_path / "case43.csv"
    saved.write_bytes("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    loaded = load_indicators((str(saved),))
    assert loaded.problems == []
    web = by_rule(hunt(plain_file(tmp_path, "p.aspx", page), extra_indicator_paths=(str(saved),)))
    assert web["EXH-WS-IOC-HASH"].detail("indicator_list") == f"{saved}:2"
    cut = tmp_path / "cut.csv"
    cut.write_bytes(saved.read_bytes()[:-1])  # an odd number of bytes: the last character is half there
    assert any("not UTF-16 text" in str(p) for p in load_indicators((str(cut),)).problems)


# ------------------------------------------------------------------------------ allow-lists


def test_known_good_vendor_file_silenced_by_hash_and_counted(tmp_path: Path) -> None:
    vendor = (
        b'<%@ Page Language="C#" %><% var p = new System.Diagnostics.ProcessStartInfo("cmd.exe", '
        b'"/c backup.cmd"); p.RedirectStandardOutput = true; %>'
    )
    f = server_file(tmp_path, r"C:\inetpub\wwwroot\backupstatus.aspx", vendor)
    assert "EXH-WS-PROCESS-EXEC" in by_rule(hunt(f))
    allow = tmp_path / "allow.csv"
    digest = hashlib.sha256(vendor).hexdigest()
    allow.write_text(f"type,value,rules,reason\nsha256,{digest},,vendor backup page\n")
    result = hunt(f, allowlist_paths=(str(allow),))
    assert result.findings == []
    assert result.suppressed == {("EXH-WS-PROCESS-EXEC", f"allow-listed by {allow}:2"): 1}


def test_glob_and_regex_entries_limited_to_rules(tmp_path: Path) -> None:
    allow = tmp_path / "allow.txt"
    allow.write_text(
        "type,value,rules,reason\n"
        "glob,*/programdata/contoso backup/*.zip,EXH-FS-ARCHIVE-STAGED,backup agent\n"
        "regex,/aspnet_client/.*\\.aspx$,EXH-WS-ASPNET-CLIENT-*,not the content rules\n"
        "glob,it.zip,,\n"
    )
    options = {"allowlist_paths": (str(allow),)}
    backup = hunt(server_file(tmp_path, r"C:\ProgramData\Contoso Backup\daily.zip", b"PK\x03\x04"), **options)
    assert backup.findings == [] and sum(backup.suppressed.values()) == 1
    shell = hunt(server_file(tmp_path, ASPNET_CLIENT + r"\s.aspx", CHOPPER), **options)
    assert "EXH-WS-CHOPPER" in by_rule(shell) and "EXH-WS-ASPNET-CLIENT-PAGE" not in by_rule(shell)
    edit = hunt(server_file(tmp_path, r"C:\ProgramData\edit.zip", b"PK\x03\x04"), **options)
    assert "EXH-FS-ARCHIVE-STAGED" in by_rule(edit)  # 'it.zip' is a whole name, not a suffix of 'edit.zip'


def test_bad_allow_entries_are_reported_not_dropped() -> None:
    out = Allowlist()
    parse_allowlist(
        "type,value,rules\nregex,([unclosed,\nsha256,xyz,\nglob,*.zip,not-a-rule\nmd5,abc,\n", "allow.csv", out
    )
    assert len(out) == 0
    assert [(p.line, p.message.split(":")[0]) for p in out.problems] == [
        (2, "bad regex"),
        (3, "not a sha256 (64 hex digits)"),
        (4, "not a rule id"),
        (5, "unknown type 'md5' (expected sha256, glob, regex)"),
    ]


def test_an_allow_entry_naming_no_rule_says_so_and_still_loads() -> None:
    # A typo in the rules column silences nothing: the list says which id matched no rule.
    out = Allowlist()
    text = "type,value,rules\nglob,*/tools/*.aspx,EXH-WS-CHOPER EXH-WS-*\nglob,*/x.zip,EXH-FS-ARCHIVE-*\n"
    parse_allowlist(text, "allow.csv", out)
    assert len(out) == 2
    assert [(p.line, p.message) for p in out.problems] == [
        (2, "names no rule exhunt has: EXH-WS-CHOPER (see `exhunt rules`); the entry silences nothing for it")
    ]


# ------------------------------------------------------------------------------ user YARA rules


GOOD_RULE = """
rule Case42_Dropper
{
    meta:
        score = 85
    strings:
        $marker = "case42-marker"
    condition:
        $marker and filename matches /\\.aspx$/
}
"""

MAPPED_RULE = """
rule Our_Chopper_Copy { meta: exhunt_id = "EXH-WS-CHOPPER" strings: $a = "zz-top-key" condition: $a }
"""

BROKEN_RULE = """
rule fine_one { strings: $a = "x" condition: $a }
rule broken_one
{
    strings:
        $a = "y"
    condition:
        $a and undefined_thing
}
"""


def test_user_rules_run_and_a_broken_file_is_named_with_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "sub").mkdir(parents=True)
    (rules / "good.yar").write_text(GOOD_RULE)
    (rules / "sub" / "mapped.yara").write_text(MAPPED_RULE)
    (rules / "broken.yar").write_text(BROKEN_RULE)
    options = {"extra_yara_paths": (str(rules),)}

    hit = by_rule(hunt(plain_file(tmp_path, "x.aspx", b"<% case42-marker %>"), **options))["EXH-FS-USER-YARA"]
    assert hit.severity is Severity.HIGH and hit.implies is Implies.SUSPICIOUS
    assert hit.detail("yara_rule") == f"Case42_Dropper ({rules / 'good.yar'})"
    assert "$marker@3: case42-marker" in (hit.detail("matched") or "")
    # the `filename` variable public rule sets use is set per file
    assert hunt(plain_file(tmp_path, "x.txt", b"<% case42-marker %>"), **options).findings == []

    mapped = by_rule(hunt(plain_file(tmp_path, "m.txt", b"zz-top-key"), **options))["EXH-WS-CHOPPER"]
    assert (
        mapped.detail(
            "yara_rule",
        )
        == f"Our_Chopper_Copy ({rules / 'sub' / 'mapped.yara'})"
    )

    # the shipped rules still run
    assert "EXH-WS-CHOPPER" in by_rule(hunt(plain_file(tmp_path, "c.aspx", CHOPPER), **options))
    compiled = load_content_rules((str(rules),), 30)
    (problem,) = compiled.problems
    assert problem.origin == str(rules / "broken.yar") and problem.line == 8
    assert "undefined_thing" in problem.message
    report = FILE_HUNT_SETUP.analyze_host(_host_with_files(tmp_path), _ctx(**options))
    assert [(e.path, e.line) for e in report.errors] == [(str(rules / "broken.yar"), 8)]


def test_yara_folder_without_rules_is_reported(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    compiled = load_content_rules((str(tmp_path / "empty"),), 30)
    assert compiled.user_files == [] and "holds no" in compiled.problems[0].message


def test_setup_reports_nothing_for_hosts_without_files(tmp_path: Path) -> None:
    options = {"extra_indicator_paths": (str(tmp_path / "missing.csv"),)}
    empty = HostEvidence("EX01", str(tmp_path), "logging-folder")
    assert FILE_HUNT_SETUP.analyze_host(empty, _ctx(**options)).errors == []
    assert FILE_HUNT_SETUP.analyze_host(_host_with_files(tmp_path), _ctx(**options)).errors


def _ctx(**options: object) -> HostContext:
    return HostContext("EX01", None, HuntOptions(**options))  # type: ignore[arg-type]


def _host_with_files(tmp_path: Path) -> HostEvidence:
    f = server_file(tmp_path, OWA_AUTH + r"\logon.aspx", b"<html></html>")
    return HostEvidence("EX01", str(tmp_path), "disk-mirror", [f])


def test_each_thread_scans_with_its_own_scanner_kept_for_its_files(monkeypatch: pytest.MonkeyPatch) -> None:
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    compiled = load_content_rules((), 30)
    mine = compiled.scanner()
    assert compiled.scanner() is mine  # made once, reused for the next file
    seen: list[object] = []

    def scan_in_thread() -> None:
        seen.append(compiled.scanner() is not mine and compiled.scanner() is compiled.scanner())
        seen.append([h.rule for h in compiled.scan(CHOPPER)])

    thread = threading.Thread(target=scan_in_thread)
    thread.start()
    thread.join()
    own_scanner, rules_seen = seen
    assert own_scanner is True
    assert rules_seen == [h.rule for h in compiled.scan(CHOPPER)] and rules_seen
    gc.collect()
    # The thread's scanner went with its thread, dropped there: yara-x raised nothing.
    assert unraisable == []


def test_user_network_indicators_load_for_the_web_logs(tmp_path: Path) -> None:
    # ip, domain and user_agent entries are looked for in web logs (test_log_indicators.py):
    # they load beside the hashes, and a list of them is no problem.
    user = tmp_path / "case42.csv"
    user.write_text(
        "type,value,kind,label,source\n"
        "sha256," + "ab" * 32 + ",webshell,dropper,case 42\n"
        "ip,203.0.113.9,other,attacker,case 42\n"
        "user_agent,SweeperBot/1.0,tool,scanner,case 42\n",
        encoding="utf-8",
    )
    loaded = load_indicators((str(user),))
    assert not [p for p in loaded.problems if p.origin == str(user)]
    assert [(i.type, i.value, i.line) for i in loaded.network_entries if i.origin == str(user)] == [
        ("ip", "203.0.113.9", 3),
        ("user_agent", "SweeperBot/1.0", 4),
    ]
    assert loaded.hashes["sha256"]["ab" * 32]
    assert not load_indicators(()).problems  # the shipped lists' network entries are all usable


def test_a_device_or_fifo_given_as_a_list_is_named_as_such_not_as_missing(tmp_path: Path) -> None:
    # `--rules /dev/zero` said "no such file or folder": the path exists, it is just not a file.
    import os

    from exhunt.filehunt.listfile import ListProblem, expand_paths

    fifo = tmp_path / "rules.fifo"
    os.mkfifo(fifo)
    problems: list[ListProblem] = []
    assert expand_paths((str(fifo), "/dev/zero", str(tmp_path / "absent.csv")), (".csv",), problems) == []
    said = {p.origin: p.message for p in problems}
    assert said[str(fifo)].startswith("not a regular file or folder")
    assert said["/dev/zero"].startswith("not a regular file or folder")
    assert said[str(tmp_path / "absent.csv")] == "no such file or folder"
