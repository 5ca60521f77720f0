"""Names and kinds: Velociraptor decoding, drive folders, host names, path rules and header sniffing."""

from __future__ import annotations

import json

import pytest

from exhunt.evidence.classify import SNIFF_BYTES, kind_from_content, kind_from_path
from exhunt.evidence.names import (
    clean_host_name,
    device_root,
    drive_of_folder,
    host_from_collection_name,
    is_server_folder_name,
    velociraptor_decode,
)
from exhunt.model import ArtefactKind as K
from test_evidence_layouts import ECP_ACTIVITY, ECP_SERVER, HTTPERR, HTTPPROXY, IIS, RPS_HTTP


@pytest.mark.parametrize(
    ("stored", "name"),
    [
        ("%5C%5C.%5CC%3A", "\\\\.\\C:"),
        ("C%3A", "C:"),
        ("Microsoft-Windows-PowerShell%254Operational.evtx", "Microsoft-Windows-PowerShell%4Operational.evtx"),
        ("$UsnJrnl%3A$J", "$UsnJrnl:$J"),
        ("Program%20Files", "Program Files"),
        ("plain+name.log", "plain+name.log"),
        ("100%", "100%"),
        ("%E2%82%AC.txt", "€.txt"),
        ("%FF%FE.bin", "%FF%FE.bin"),  # not UTF-8: kept as stored rather than mangled
    ],
)
def test_velociraptor_names(stored: str, name: str) -> None:
    assert velociraptor_decode(stored) == name


SHADOW = "\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1"


@pytest.mark.parametrize(
    ("device", "root"),
    [
        ("\\\\.\\C:", "C:"),
        ("\\\\.\\d:", "D:"),
        ("C:", "C:"),
        ("\\\\?\\E:", "E:"),
        (SHADOW, SHADOW),
        ("etc", None),
        ("C", None),
    ],
)
def test_velociraptor_devices(device: str, root: str | None) -> None:
    assert device_root(device) == root


def test_drive_folders() -> None:
    names = ("C", "d", "C:", "C%3A", "c%3a", "E$")
    assert [drive_of_folder(n) for n in names] == ["C", "D", "C", "C", "C", "E"]
    assert [drive_of_folder(n) for n in ("CD", "Windows", "1", "")] == [None, None, None, None]


@pytest.mark.parametrize(
    ("stem", "host"),
    [
        ("Collection-EX01.corp.local-2024-05-10T12_34_56Z", "EX01.corp.local"),
        ("Collection-EX-2019-01-2024-05-10T12_34_56Z", "EX-2019-01"),
        ("Collection-WIN-7F3K-20240510T123456Z", "WIN-7F3K"),
        ("Collection-EX02", "EX02"),
        ("EX03-triage", None),
    ],
)
def test_host_from_collection_name(stem: str, host: str | None) -> None:
    assert host_from_collection_name(stem) == host


def test_host_names_are_cleaned() -> None:
    assert clean_host_name(" EX01\r\n") == "EX01"
    assert clean_host_name("\x00\x1b") is None
    assert len(clean_host_name("A" * 1000) or "") == 255


def test_server_folder_names() -> None:
    assert all(is_server_folder_name(n) for n in ("Logging", "W3SVC1", "C", "inetpub", "V15", "HttpProxy"))
    assert not any(is_server_folder_name(n) for n in ("EX01", "case-42", "Collection-EX02"))


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("program files/microsoft/exchange server/v15/logging/httpproxy/owa/httpproxy_1.log", K.HTTPPROXY),
        ("exchange/logging/httpproxy/powershell/deeper/x.log", K.HTTPPROXY),
        ("v15/logging/ecp/server/ecpserver20210303-1.log", K.ECP_SERVER),
        ("v15/logging/ecp/activity/ecpactivity_1_20210303-1.log", K.ECP_ACTIVITY),
        ("v15/logging/oabgeneratorlog/oabgeneratorlog_2021030307-1.log", K.OAB_GENERATOR),
        ("v15/logging/cmdletinfra/powershell-proxy/http/rps_http_2022120110-1.log", K.RPS_HTTP),
        ("anywhere/rps_http_2022120110-1.log", K.RPS_HTTP),
        ("inetpub/logs/logfiles/w3svc1/u_ex210303.log", K.IIS),
        ("inetpub/logs/logfiles/w3svc3/odd-name.log", K.IIS),
        ("copies/ex210303.log", K.IIS),
        ("windows/system32/logfiles/httperr/httperr12.log", K.HTTPERR),
        ("winevt/logs/security.evtx", K.EVTX),
        ("windows/system32/inetsrv/config/applicationhost.config", K.IIS_CONFIG),
        ("v15/frontend/httpproxy/owa/web.config", K.IIS_CONFIG),
        ("v15/frontend/httpproxy/owa/auth/logon.aspx", K.FILE),
        ("v15/frontend/httpproxy/owa/auth/x.log", None),  # a web folder, not the logging one: look inside
        ("temp/export.txt", None),
        ("temp/events.jsonl", None),
        ("temp/dump.dmp", K.FILE),
    ],
)
def test_kind_from_path(path: str, kind: K | None) -> None:
    assert kind_from_path(tuple(path.split("/"))) == kind


def test_unknown_logs_under_exchange_logging_are_files_without_opening() -> None:
    parts = ("v15", "logging", "monitoring", "x.log")
    assert kind_from_path(parts) is None
    assert kind_from_path(parts, exchange_logging=True) is K.FILE


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (HTTPPROXY, K.HTTPPROXY),
        (ECP_SERVER, K.ECP_SERVER),
        (ECP_ACTIVITY, K.ECP_ACTIVITY),
        (IIS, K.IIS),
        (HTTPERR, K.HTTPERR),
        (RPS_HTTP, K.RPS_HTTP),
        ("DateTime,RequestId,MajorVersion,MinorVersion\r\n2021-03-03T00:00:00Z,x,15,1\r\n", K.HTTPPROXY),
        ("#Software: Microsoft Exchange Server\r\n#Log-type: OAB Generator Log\r\n", K.OAB_GENERATOR),
        ("#Software: Microsoft Exchange Server\r\n#Log-type: Transport Logs\r\n", K.FILE),
        ("just,a,csv\r\n1,2,3\r\n#Log-type: HttpProxy Logs\r\n", K.FILE),  # header must come first
        ("", K.FILE),
    ],
)
def test_kind_from_content(text: str, kind: K) -> None:
    assert kind_from_content(text.encode("utf-8"), "x.log") == kind


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        ({"Channel": "Security", "EventID": 4624}, K.EVENT_JSON),
        ({"winlog.channel": "Security", "winlog.event_id": 4624}, K.EVENT_JSON),
        ({"winlog": {"event_id": 1, "provider_name": "MSExchange Management"}}, K.EVENT_JSON),
        ({"Event": {"System": {"EventID": 1}}}, K.EVENT_JSON),
        ({"System": {"EventID": 1, "Channel": "Application"}, "EventData": {}}, K.EVENT_JSON),
        ({"Channel": "beta"}, K.FILE),
        ({"name": "package", "version": "1.0"}, K.FILE),
    ],
)
def test_event_json_records(record: dict[str, object], kind: K) -> None:
    assert kind_from_content((json.dumps(record) + "\n").encode(), "x.json") == kind


def test_event_json_record_longer_than_the_prefix() -> None:
    line = json.dumps({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Message": "x" * 9000})
    assert kind_from_content(line.encode()[:SNIFF_BYTES], "sysmon.jsonl") is K.EVENT_JSON
    other = json.dumps({"title": "a", "body": "x" * 9000})
    assert kind_from_content(other.encode()[:SNIFF_BYTES], "notes.json") is K.FILE


def test_binary_junk_is_a_file() -> None:
    assert kind_from_content(bytes(range(256)) * 16, "x.log") is K.FILE
    assert kind_from_content(b"{\x00\xff\xfe garbage", "x.json") is K.FILE
