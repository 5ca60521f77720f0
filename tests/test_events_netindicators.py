"""Listed addresses and domains in logons, network connections and DNS queries (EXH-EVT-IOC-NETWORK):
found in EVTX records and in every export format, while the records of those kinds that name no
listed value are still passed by on their header, never decoded."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.analyzers import events as events_analyzer
from exhunt.analyzers.web_indicators import network_indicators
from exhunt.events import evtx_file
from exhunt.events.detect import family
from exhunt.events.detect.netindicators import matcher, text_check
from exhunt.evidence import discover
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.hits import Reporter
from exhunt.model import ArtefactKind, Finding, UnitResult
from test_events_detect import SECURITY, SYSMON, flat

RULE = "EXH-EVT-IOC-NETWORK"
REPO = Path(__file__).parents[1]
LSASSY = "evtx/EVTX-to-MITRE-Attack/ID4688-4663-4656-LSASS_dump_with_LSASSY_(process).evtx"


def case_list(tmp: Path, *rows: str, name: str = "case7.csv") -> str:
    path = tmp / name  # the lists are read once per process and paths: one name per content
    path.write_text("type,value,kind,label,source\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return str(path)


def listed(tmp: Path) -> str:
    return case_list(
        tmp,
        "ip,198.51.100.7,other,operator box,case 7",
        "ip,192.0.2.0/24,other,their VPS range,case 7",
        "domain,evil.example,malware,dropper host,case 7",
    )


_GUIDS = {SECURITY[1]: "54849625-5478-4994-A5BA-3E3B0328C30D", SYSMON[1]: "5770385F-C22A-43E0-BF4C-06F5698FFBD9"}


# Records as the `evtx` parser writes them (compact JSON), field for field as Windows logs them.
def evtx_text(source: tuple[str, str], event_id: int, record: int, **data: Any) -> str:
    return orjson.dumps(
        {
            "Event": {
                "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                "System": {
                    "Provider": {"#attributes": {"Name": source[1], "Guid": _GUIDS[source[1]]}},
                    "EventID": event_id,
                    "Version": 2,
                    "Level": 0,
                    "Task": 12544,
                    "Opcode": 0,
                    "Keywords": "0x8020000000000000",
                    "TimeCreated": {"#attributes": {"SystemTime": f"2021-03-03T05:{record % 60:02d}:00.123456Z"}},
                    "EventRecordID": record,
                    "Correlation": None,
                    "Execution": {"#attributes": {"ProcessID": 644, "ThreadID": 5436}},
                    "Channel": source[0],
                    "Computer": "EX01.corp.local",
                    "Security": None,
                },
                "EventData": data,
            }
        }
    ).decode()


def logon(record: int, event_id: int, ip: str, logon_type: int = 10, workstation: str = "ATTACKBOX") -> str:
    fields: dict[str, Any] = {
        "SubjectUserSid": "S-1-5-18",
        "SubjectUserName": "EX01$",
        "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x3e7",
        "TargetUserSid": "S-1-5-21-3461203602-4096304019-2269080069-500",
        "TargetUserName": "Administrator",
        "TargetDomainName": "CORP",
        "LogonType": logon_type,
        "LogonProcessName": "User32 " if logon_type == 10 else "NtLmSsp ",
        "AuthenticationPackageName": "Negotiate" if logon_type == 10 else "NTLM",
        "WorkstationName": workstation,
        "ProcessName": "C:\\Windows\\System32\\svchost.exe" if logon_type == 10 else "-",
        "IpAddress": ip,
        "IpPort": "51234",
    }
    if event_id == 4625:
        fields.update({"Status": "0xc000006d", "FailureReason": "%%2313", "SubStatus": "0xc000006a"})
    return evtx_text(SECURITY, event_id, record, **fields)


def connection(record: int, destination: str, hostname: str = "-", source: str = "10.0.0.20") -> str:
    return evtx_text(
        SYSMON,
        3,
        record,
        RuleName="-",
        UtcTime="2021-03-03 05:01:00.000",
        ProcessGuid="{365abb72-b52c-5cea-0000-00107a0d1100}",
        ProcessId=3388,
        Image="C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        User="NT AUTHORITY\\SYSTEM",
        Protocol="tcp",
        Initiated=True,
        SourceIsIpv6=False,
        SourceIp=source,
        SourceHostname="EX01.corp.local",
        SourcePort=49166,
        SourcePortName="-",
        DestinationIsIpv6=False,
        DestinationIp=destination,
        DestinationHostname=hostname,
        DestinationPort=443,
        DestinationPortName="https",
    )


def query(record: int, name: str, answers: str = "::ffff:203.0.113.80;") -> str:
    return evtx_text(
        SYSMON,
        22,
        record,
        RuleName="-",
        UtcTime="2021-03-03 05:02:00.000",
        ProcessGuid="{365abb72-b52c-5cea-0000-00107a0d1100}",
        ProcessId=3388,
        QueryName=name,
        QueryStatus="0",
        QueryResults=answers,
        Image="C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        User="NT AUTHORITY\\SYSTEM",
    )


def filtering_platform(record: int, destination: str, event_id: int = 5156) -> str:
    return evtx_text(
        SECURITY,
        event_id,
        record,
        ProcessID="2816",
        Application="\\device\\harddiskvolume2\\windows\\system32\\windowspowershell\\v1.0\\powershell.exe",
        Direction="%%14593",
        SourceAddress="10.0.0.20",
        SourcePort="50112",
        DestAddress=destination,
        DestPort="443",
        Protocol="6",
        FilterRTID="0",
        LayerName="%%14611",
        LayerRTID="48",
    )


class _Parser:
    """Stands in for PyEvtxParser: yields the given JSON texts as records."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def records_json(self) -> Iterator[dict[str, object]]:
        for number, text in enumerate(self.texts, 1):
            yield {"event_record_id": number, "timestamp": "", "data": text}


def read_skimmed(texts: list[str], lists: tuple[str, ...], rules: Any = None) -> tuple[list[int], list[Finding]]:
    """The record ids the EVTX reader decodes in full, and what the search finds in them."""
    values = network_indicators(lists)
    return read_with(
        texts, events_analyzer._text_checks(text_check(values), None), matcher(values, family), RULE, rules
    )


def read_with(
    texts: list[str], checks: Any, search: Any, rule: str, rules: Any = None
) -> tuple[list[int], list[Finding]]:
    """The record ids the EVTX reader decodes in full with these text checks, and what `search`
    finds in them as `rule`."""
    assert search is not None
    result = UnitResult()
    scan = events_analyzer._FileScan(EvidenceFile(FileRef("f"), "f", ArtefactKind.EVTX, 0), result)
    interest = events_analyzer._Interest(scan, rules, checks)
    reporter = Reporter(result)
    decoded = []
    for event in evtx_file._records(_Parser(texts), "f", result.errors, interest):
        assert event.record_id is not None
        decoded.append(event.record_id)
        search(event, reporter)
    assert result.errors == []
    return decoded, [f for f in result.findings if f.rule_id == rule]


def seen(findings: list[Finding]) -> list[tuple[str | None, str | None, str | None]]:
    return [(f.detail("event"), f.detail("indicator"), f.detail("seen_in")) for f in findings]


def test_logons_connections_and_queries_naming_listed_values_are_read_and_reported(tmp_path: Path) -> None:
    texts = [
        logon(1, 4624, "198.51.100.7"),  # RDP from the operator's box
        logon(2, 4625, "192.0.2.44", logon_type=3),  # a failed SMB logon from their range
        logon(3, 4624, "::ffff:198.51.100.7", logon_type=3),  # as a dual-stack socket writes it
        connection(4, "198.51.100.7"),
        connection(5, "203.0.113.80", hostname="cdn.evil.example"),
        query(6, "update.cdn.EVIL.example"),
        filtering_platform(7, "192.0.2.200"),
        filtering_platform(8, "198.51.100.7", event_id=5157),  # the same connection, blocked
    ]
    decoded, findings = read_skimmed(texts, (listed(tmp_path),))
    assert decoded == [1, 2, 3, 4, 5, 6, 7, 8]
    assert seen(findings) == [
        ("Security 4624", "198.51.100.7", "IpAddress: 198.51.100.7"),
        ("Security 4625", "192.0.2.0/24", "IpAddress: 192.0.2.44"),
        ("Security 4624", "198.51.100.7", "IpAddress: ::ffff:198.51.100.7"),
        ("Microsoft-Windows-Sysmon/Operational 3", "198.51.100.7", "DestinationIp: 198.51.100.7"),
        ("Microsoft-Windows-Sysmon/Operational 3", "evil.example", "DestinationHostname: cdn.evil.example"),
        ("Microsoft-Windows-Sysmon/Operational 22", "evil.example", "QueryName: update.cdn.evil.example"),
        ("Security 5156", "192.0.2.0/24", "DestAddress: 192.0.2.200"),
        ("Security 5157", "198.51.100.7", "DestAddress: 198.51.100.7"),
    ]
    # the remote party is the listed address, or the address of the listed host name (the
    # connection's DestinationIp), not the server's own SourceIp / SourceAddress
    assert [f.source_ip for f in findings] == [
        "198.51.100.7",
        "192.0.2.44",
        "198.51.100.7",
        "198.51.100.7",
        "203.0.113.80",
        None,
        "192.0.2.200",
        "198.51.100.7",
    ]
    assert all((f.detail("listed_in") or "").endswith(("case7.csv:2", "case7.csv:3", "case7.csv:4")) for f in findings)
    assert findings[0].event is not None and findings[0].event.record_id == 1


def test_look_alikes_are_read_but_not_reported_and_the_rest_is_passed_by(tmp_path: Path) -> None:
    texts = [
        logon(1, 4624, "198.51.100.70"),  # an address that starts with the listed one
        logon(2, 4624, "10.0.0.31", workstation="EX02"),  # nothing listed: passed by
        connection(3, "203.0.113.80", hostname="notevil.example"),  # ends with the same letters
        connection(4, "203.0.113.81", hostname="evil.example.net"),  # holds the name, is not under it
        query(5, "www.contoso.example"),  # passed by
        filtering_platform(6, "192.0.3.1"),  # next to the listed range: passed by
        logon(7, 4625, "-", logon_type=3, workstation="KALI"),  # passed by
        query(8, "mail.corp.local", answers="type:  5 cdn.notevil.example;::ffff:198.51.100.71;"),
    ]
    decoded, findings = read_skimmed(texts, (listed(tmp_path),))
    assert findings == []
    assert decoded == [1, 3, 4, 8]  # the text names a literal (a prefix, a suffix); no other was decoded


def test_without_a_text_check_every_such_record_is_passed_by(tmp_path: Path) -> None:
    values = network_indicators((case_list(tmp_path, "user_agent,SweeperBot/1.0,tool,their scanner,case 7"),))
    assert text_check(values) is not None  # the shipped lists hold addresses and domains
    result = UnitResult()
    scan = events_analyzer._FileScan(EvidenceFile(FileRef("f"), "f", ArtefactKind.EVTX, 0), result)
    interest = events_analyzer._Interest(scan, None, None)
    texts = [logon(1, 4624, "198.51.100.7"), connection(2, "198.51.100.7"), query(3, "cdn.evil.example")]
    assert list(evtx_file._records(_Parser(texts), "f", result.errors, interest)) == []
    assert sum(span.records for span in scan.channels.values()) == 3  # still counted for coverage


class _Keyword:
    """Stands in for a Sigma rule set whose rules for logons need the word `Administrator`."""

    def may_match(self, text: str) -> bool:
        return "Administrator" in text

    def wants(self, channel: str, provider: str, event_id: int | None) -> object:
        return self if event_id == 4624 else False


def test_sigma_rules_and_the_lists_each_have_their_events_read(tmp_path: Path) -> None:
    texts = [
        logon(1, 4624, "198.51.100.7"),  # both
        logon(2, 4624, "10.0.0.31"),  # the Sigma rules only (Administrator)
        logon(3, 4624, "10.0.0.31").replace("Administrator", "alice"),  # neither
        connection(4, "198.51.100.7"),  # the lists only
    ]
    decoded, findings = read_skimmed(texts, (listed(tmp_path),), rules=_Keyword())
    assert decoded == [1, 2, 4]
    assert [f.event.record_id for f in findings if f.event] == [1, 4]


def _decoded_logons(path: Path, lists: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> tuple[int, UnitResult]:
    counted = [0]
    real = evtx_file.from_evtx_json

    def counting(event: Any, source: str) -> Any:
        record = real(event, source)
        counted[0] += record.event_id == 4624
        return record

    monkeypatch.setattr(evtx_file, "from_evtx_json", counting)
    file = EvidenceFile(FileRef(str(path)), path.name, ArtefactKind.EVTX, os.path.getsize(path))
    result = registry()["events"].analyze(file, HostContext("FS03", None, HuntOptions(extra_indicator_paths=lists)))
    monkeypatch.undo()
    return counted[0], result


def test_network_logons_of_a_real_log_from_a_listed_address(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Five NTLM network logons (type 3) from 10.23.123.11 in a real Security log."""
    path = shared_data / LSASSY
    lateral = case_list(tmp_path, "ip,10.23.123.11,other,lateral movement source,case 7")
    decoded, result = _decoded_logons(path, (lateral,), monkeypatch)
    found = [f for f in result.findings if f.rule_id == RULE]
    assert decoded == len(found) == 5
    assert {(f.detail("event"), f.detail("seen_in"), f.source_ip) for f in found} == {
        ("Security 4624", "IpAddress: 10.23.123.11", "10.23.123.11")
    }
    elsewhere = case_list(tmp_path, "ip,10.23.123.12,other,another box,case 7", name="case8.csv")
    decoded, result = _decoded_logons(path, (elsewhere,), monkeypatch)
    assert decoded == 0 and not [f for f in result.findings if f.rule_id == RULE]


@pytest.mark.parametrize(
    "fmt",
    sorted(p.name for p in (REPO / "tests" / "data" / "event-exports").iterdir() if p.is_dir()),
)
def test_every_export_format_finds_a_logon_from_a_listed_address(fmt: str, tmp_path: Path) -> None:
    (host,) = discover(str(REPO / "tests" / "data" / "event-exports" / fmt))
    (export,) = host.files
    lists = (case_list(tmp_path, "ip,10.0.0.5,other,operator box,case 7"),)
    result = registry()["events"].analyze(
        export, HostContext(host.name, None, HuntOptions(extra_indicator_paths=lists))
    )
    found = [f for f in result.findings if f.rule_id == RULE]
    assert [(f.detail("event"), f.detail("seen_in")) for f in found] == [("Security 4624", "IpAddress: 10.0.0.5")]


def test_a_jsonl_export_of_connections_and_queries(tmp_path: Path) -> None:
    docs = [
        flat(SECURITY, 4625, 1, LogonType="3", IpAddress="192.0.2.9", WorkstationName="KALI"),
        flat(SYSMON, 3, 2, SourceIp="10.0.0.20", DestinationIp="203.0.113.80", DestinationHostname="cdn.evil.example"),
        flat(SYSMON, 22, 3, QueryName="evil.example", QueryResults="::ffff:203.0.113.80;"),
        flat(SYSMON, 22, 4, QueryName="notevil.example", QueryResults="::ffff:198.51.100.70;"),
        flat(SECURITY, 4624, 5, LogonType="3", IpAddress="198.51.100.70", WorkstationName="EVIL"),
    ]
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    file = EvidenceFile(FileRef(str(path)), "EX01/export.jsonl", ArtefactKind.EVENT_JSON, path.stat().st_size)
    ctx = HostContext("EX01", None, HuntOptions(extra_indicator_paths=(listed(tmp_path),)))
    result = registry()["events"].analyze(file, ctx)
    assert result.errors == []
    assert seen([f for f in result.findings if f.rule_id == RULE]) == [
        ("Security 4625", "192.0.2.0/24", "IpAddress: 192.0.2.9"),
        ("Microsoft-Windows-Sysmon/Operational 3", "evil.example", "DestinationHostname: cdn.evil.example"),
        ("Microsoft-Windows-Sysmon/Operational 22", "evil.example", "QueryName: evil.example"),
    ]


def test_the_kinds_checked_on_their_text_are_searched_and_wanted_by_no_other_detector() -> None:
    from exhunt.events.detect import _DETECTORS
    from exhunt.events.detect.netindicators import SKIMMED, VALUE_FIELDS

    assert SKIMMED.issubset(VALUE_FIELDS)
    assert not SKIMMED & _DETECTORS.keys()  # else they are read in full anyway, and the check is waste


def test_a_list_that_does_not_load_keeps_a_host_of_event_logs_only_from_clean(tmp_path: Path) -> None:
    """The lists' addresses and domains are looked for in event logs too, so a list that does not
    load is reported on a host whose evidence is event logs only (before, only on hosts with
    files or web logs: such a host could be called clean without the user's list)."""
    from exhunt.cli import main

    evidence = tmp_path / "FS03"
    evidence.mkdir()
    (evidence / "sysmon.jsonl").write_bytes(
        orjson.dumps(
            {
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 5,
                "TimeCreated": "2021-03-03T05:00:00Z",
                "Computer": "FS03",
                "Image": "C:\\Windows\\System32\\notepad.exe",
            }
        )
        + b"\n"
    )
    headerless = tmp_path / "case7.csv"
    headerless.write_text("ip,10.23.123.11,other,lateral movement source,case 7\n", encoding="utf-8")
    out = tmp_path / "hunt.json"
    code = main(["hunt", str(evidence), "--indicators", str(headerless), "--no-db", "--json", str(out), "-q"])
    (host,) = json.loads(out.read_text())["hosts"]
    assert [(e["path"], e["line"], e["kind"]) for e in host["errors"]] == [(str(headerless), 1, "rule-invalid")]
    assert "header" in host["errors"][0]["message"]
    assert host["verdict"] != "clean" and code == 3


def test_a_listed_host_name_gives_its_own_address_as_the_source(tmp_path: Path) -> None:
    """A logon from a workstation under a listed domain: the source is that logon's address."""
    texts = [logon(1, 4624, "10.9.9.9", logon_type=3, workstation="box7.evil.example")]
    decoded, findings = read_skimmed(texts, (listed(tmp_path),))
    assert decoded == [1]
    assert [(f.detail("seen_in"), f.source_ip) for f in findings] == [
        ("WorkstationName: box7.evil.example", "10.9.9.9")
    ]
