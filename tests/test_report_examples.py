"""The bundled example evidence is what examples/README.md says it is, in the real formats.

Read with plain csv/json here (not with exhunt's parsers), so a broken example cannot hide
behind a lenient parser.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import json
import re
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from conftest import REPO

EXAMPLES = REPO / "examples"
EX01 = EXAMPLES / "EX01-compromised"
EX02 = EXAMPLES / "EX02-clean"
LOGGING = Path("C/Program Files/Microsoft/Exchange Server/V15/Logging")


def _text(path: Path) -> str:
    """The file as written: UTF-8 with Windows line ends (no newline translation)."""
    return path.read_bytes().decode("utf-8")


def _proxy_rows(host: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((host / LOGGING / "HttpProxy").rglob("*.LOG")):
        lines = _text(path).split("\r\n")
        assert lines[0] == "#Software: Microsoft Exchange Server", path
        assert lines[2] == "#Log-type: HttpProxy Logs" and lines[3].startswith("#Date: "), path
        fields = lines[4].removeprefix("#Fields: ").split(",")
        assert len(fields) == 74 and fields[0] == "DateTime" and fields[-1] == "RoutingStatus"
        assert re.fullmatch(r"HttpProxy_\d{10}-1\.LOG", path.name)
        for record in csv.reader(io.StringIO("\r\n".join(lines[5:]))):
            if not record:
                continue
            assert len(record) == 74, (path, record[:3])
            row = dict(zip(fields, record, strict=True))
            row["_version"] = lines[1].removeprefix("#Version: ")
            row["_protocol_folder"] = path.parent.name
            datetime.fromisoformat(row["DateTime"].replace("Z", "+00:00"))
            uuid.UUID(row["RequestId"])
            assert row["DateTime"][:13].replace("-", "").replace("T", "") == path.name[10:20]
            rows.append(row)
    return rows


def _iis_rows(host: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((host / "C/inetpub/logs/LogFiles/W3SVC1").glob("u_ex*.log")):
        fields: list[str] = []
        for line in _text(path).split("\r\n"):
            if line.startswith("#Fields: "):
                fields = line.removeprefix("#Fields: ").split(" ")
            elif line and not line.startswith("#"):
                values = line.split(" ")
                assert len(values) == len(fields) == 15, (path, line)
                rows.append(dict(zip(fields, values, strict=True)))
    return rows


def _events(path: Path) -> list[dict[str, object]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for r in records:
        assert {"Channel", "EventID", "Message", "TimeCreated", "Hostname"} <= r.keys()
    return records


def test_examples_are_small() -> None:
    files = [p for p in EXAMPLES.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 700_000
    assert len(files) < 150


@pytest.mark.parametrize(("host", "version"), [(EX01, "15.01.2176.002"), (EX02, "15.02.1118.020")])
def test_httpproxy_and_iis_are_well_formed_and_joined_by_request_id(host: Path, version: str) -> None:
    proxy = _proxy_rows(host)
    iis = _iis_rows(host)
    assert len(proxy) > 60 and len(iis) > 60
    assert {r["_version"] for r in proxy} == {version}
    protocols = {r["Protocol"] for r in proxy}
    assert protocols == {r["_protocol_folder"] for r in proxy}
    assert protocols >= {"Owa", "Mapi", "Autodiscover"}
    expected = tuple(str(int(p)) for p in version.split("."))
    columns = ("MajorVersion", "MinorVersion", "BuildVersion", "RevisionVersion")
    versions = {tuple(r[k] for k in columns) for r in proxy}
    assert versions == {expected}
    # The front end's cafeReqId in IIS is the HttpProxy RequestId (docs/logs.md#iis).
    ids = {r["RequestId"] for r in proxy}
    cafe = [m.group(1) for r in iis if (m := re.search(r"cafeReqId=([0-9a-f-]{36});", r["cs-uri-query"]))]
    assert cafe and set(cafe) <= ids


def test_ex01_holds_the_whole_proxylogon_chain() -> None:
    proxy = [r for r in _proxy_rows(EX01) if r["AnchorMailbox"].startswith("ServerInfo~")]
    attacker = [r for r in proxy if r["ClientIpAddress"] == "203.0.113.47"]
    steps = [r["AnchorMailbox"].split(":444", 1)[1].split("?")[0] for r in attacker]
    assert steps == [
        "/autodiscover/autodiscover.xml",
        "/mapi/emsmdb/",
        "/ecp/proxyLogon.ecp",
        "/ecp/DDI/DDIService.svc/GetObject",
        "/ecp/DDI/DDIService.svc/SetObject",
        "/ecp/DDI/DDIService.svc/SetObject",
    ]
    assert [r["HttpStatus"] for r in attacker] == ["200", "200", "241", "200", "200", "200"]
    assert {r["RoutingHint"] for r in attacker} == {"X-BEResource-Cookie"}
    # Test-ProxyLogon's two conditions (docs/detection/proxylogon.md#test-proxylogon-checks) hold for the right rows.
    ssrf = [
        r
        for r in proxy
        if fnmatch.fnmatch(r["AnchorMailbox"].lower(), "serverinfo~*/*")
        and not fnmatch.fnmatch(r["AnchorMailbox"].lower(), "serverinfo~*/autodiscover*")
        and not fnmatch.fnmatch(r["AnchorMailbox"].lower(), "serverinfo~localhost*/*")
    ]
    assert {r["ClientIpAddress"] for r in ssrf} == {"203.0.113.47"}
    reset = [
        r
        for r in proxy
        if fnmatch.fnmatch(r["AnchorMailbox"], "ServerInfo~*/*Reset*VirtualDirectory#") and r["HttpStatus"] == "200"
    ]
    assert len(reset) == 1
    assert {r["ClientIpAddress"] for r in proxy} == {"203.0.113.47", "198.51.100.77", "192.0.2.201"}

    iis = _iis_rows(EX01)
    shell_posts = [r for r in iis if r["cs-uri-stem"] == "/aspnet_client/Q7kf2LmA.aspx"]
    assert len(shell_posts) == 8 and {r["c-ip"] for r in shell_posts} == {"198.51.100.23"}
    assert {r["cs-method"] for r in shell_posts} == {"POST"} and shell_posts[0]["cs-uri-query"] == "-"


def test_ex01_ecp_log_and_management_events_show_the_script_in_the_oab_url() -> None:
    lines = _text(EX01 / LOGGING / "ECP/Server/ECPServer20210303-1.LOG").split("\r\n")
    assert lines[4] == "#Fields: TimeStamp,ServerName,EventId,EventData"
    records = list(csv.reader(io.StringIO("\r\n".join(lines[5:]))))
    records = [r for r in records if r]
    assert all(len(r) == 4 for r in records)
    pattern = re.compile(r"Set-.+VirtualDirectory.+?(?=Url).+<\w+.*>(.*?)<\/\w+>.+?(?=VirtualDirectory)")
    hits = [r for r in records if pattern.search(r[3])]
    assert len(hits) == 1 and 'runat="server"' in hits[0][3]

    mgmt = _events(EX01 / "events/MSExchange_Management.jsonl")
    scripted = [e for e in mgmt if re.search(r"Set-OabVirtualDirectory.*<script", str(e["Message"]))]
    assert len(scripted) == 1 and scripted[0]["EventID"] == 1


def test_ex01_sysmon_shows_drop_chopper_and_lsass_dump() -> None:
    sysmon = _events(EX01 / "events/Microsoft-Windows-Sysmon_Operational.jsonl")
    drops = [e for e in sysmon if e["EventID"] == 11 and str(e["TargetFilename"]).endswith(".aspx")]
    assert [(d["Image"], d["TargetFilename"]) for d in drops] == [
        ("C:\\Windows\\System32\\inetsrv\\w3wp.exe", "C:\\inetpub\\wwwroot\\aspnet_client\\Q7kf2LmA.aspx")
    ]
    shells = [e for e in sysmon if e["EventID"] == 1 and str(e["ParentImage"]).endswith("w3wp.exe")]
    assert any("&whoami&echo [S]" in str(e["CommandLine"]) for e in shells)
    assert any("comsvcs.dll, MiniDump" in str(e["CommandLine"]) for e in shells)
    by_guid = {e["ProcessGuid"]: e for e in sysmon if e["EventID"] == 1}
    whoami = next(e for e in sysmon if e["EventID"] == 1 and str(e["Image"]).endswith("\\whoami.exe"))
    assert str(by_guid[whoami["ParentProcessGuid"]]["ParentImage"]).endswith("w3wp.exe")
    assert any(e["EventID"] == 11 and e["TargetFilename"] == "C:\\root\\lsass.dmp" for e in sysmon)
    assert any(e["EventID"] == 10 and str(e["TargetImage"]).endswith("lsass.exe") for e in sysmon)


def test_ex01_files_on_disk() -> None:
    shell = (EX01 / "C/inetpub/wwwroot/aspnet_client/Q7kf2LmA.aspx").read_text(encoding="utf-8")
    url = next(line for line in shell.splitlines() if line.startswith("ExternalUrl"))
    assert re.search(r'http://f/<script language="JScript" runat="server">.*eval\(Request\[', url)
    assert "PollInterval" in shell and "OfflineAddressBooks" in shell
    dump = (EX01 / "C/root/lsass.dmp").read_bytes()
    assert dump[:4] == b"MDMP" and len(dump) <= 4096


def test_ex02_has_weeks_of_traffic_and_only_scanner_noise() -> None:
    proxy = _proxy_rows(EX02)
    days = {r["DateTime"][:10] for r in proxy}
    assert min(days) == "2023-01-09" and max(days) == "2023-01-27"
    server_info = [r for r in proxy if r["AnchorMailbox"].startswith("ServerInfo~")]
    assert [r["AnchorMailbox"] for r in server_info] == ["ServerInfo~localhost/ecp/default.flt?"]
    assert any(r["RoutingHint"] == "EDiscoveryExportTool-ServerVersion" for r in proxy)
    assert any(r["UrlStem"] == "/autodiscover/autodiscover.json" for r in proxy)
    assert not list(EX02.rglob("*.aspx")) and not list(EX02.rglob("*.dmp"))
    for path in (EX02 / "events").glob("*.jsonl"):
        for e in _events(path):
            assert "<script" not in str(e["Message"]) and "w3wp" not in str(e.get("ParentImage", ""))
