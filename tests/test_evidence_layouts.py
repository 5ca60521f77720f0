"""Every evidence layout, built small and realistic in tmp_path, discovered and checked."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from exhunt.evidence import EvidenceFile, HostEvidence, discover
from exhunt.model import ArtefactKind as K

# --- realistic file contents (formats from docs/logs.md) -----------------------

HTTPPROXY = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2176.002\r\n#Log-type: HttpProxy Logs\r\n"
    "#Date: 2021-03-03T06:00:00.000Z\r\n"
    "#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,"
    "Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,"
    "Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus\r\n"
    "2021-03-03T06:49:43.699Z,1a51fb75-0000-4000-8000-000000000001,15,1,2176,2,,Ecp,mail.corp.local,"
    "/ecp/y.js,,,false,,,ServerInfo~a]@EX01.corp.local:444/mapi/emsmdb/?#,python-requests/2.25.1,"
    "203.0.113.7,EX01,200\r\n"
)
ECP_SERVER = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: ECP Server Log\r\n"
    "#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
    '2021-03-03T07:00:00.000Z,EX01,ECP.Request,"S:TIME=1;S:CMD=Get-Mailbox"\r\n'
)
ECP_ACTIVITY = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n"
    "#Log-type: ECP Activity Context Log\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n"
)
OAB_LOG = "2021-03-03T07:00:00.000Z,Download failed and temporary file 'C:\\x' needs to be removed\r\n"
RPS_HTTP = (
    "DateTime,StartTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,"
    "ClientRequestId,UrlHost,UrlStem\r\n2022-12-01T10:00:00.000Z,2022-12-01T10:00:00.000Z,r1,15,1,"
    "2507,16,,ex01,/powershell\r\n"
)
IIS = (
    "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n"
    "#Date: 2021-03-03 00:00:00\r\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"
    "2021-03-03 06:49:43 10.0.0.5 POST /ecp/y.js &CorrelationID=<empty>;&cafeReqId=1a51fb75; 443 - "
    "203.0.113.7 python-requests/2.25.1 - 200 0 0 12\r\n"
)
HTTPERR = (
    "#Software: Microsoft HTTP API 2.0\r\n#Version: 1.0\r\n#Date: 2021-03-03 00:00:00\r\n"
    "#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status "
    "s-siteid s-reason s-queuename\r\n"
)
EVENT_LINE = json.dumps(
    {
        "SourceName": "MSExchange Management",
        "Channel": "MSExchange Management",
        "Hostname": "EX01.corp.local",
        "TimeCreated": "2021-03-03T07:01:00.000Z",
        "EventID": 1,
        "Message": "Set-OabVirtualDirectory -ExternalUrl 'http://f/<script>'",
    }
)
ECS_LINE = json.dumps(
    {
        "@timestamp": "2021-03-03T07:01:00.000Z",
        "winlog": {"channel": "Security", "event_id": 4624, "computer_name": "EX01"},
    }
)
EVTX = b"ElfFile\x00" + b"\x00" * 120
ASPX = '<%@ Page Language="C#" %><script runat="server">void Page_Load(){}</script>'
APPHOST = (
    '<?xml version="1.0" encoding="UTF-8"?>\r\n<configuration><system.applicationHost><sites>'
    '<siteDefaults><logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />'
    "</siteDefaults></sites></system.applicationHost></configuration>\r\n"
)
EXSETUP = b"MZ" + b"\x00" * 62  # content does not matter for discovery

DEFAULT_INSTALL = "Program Files/Microsoft/Exchange Server/V15"


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create `files` ('/'-separated relative path -> content) under `root`."""
    for rel, content in files.items():
        target = root.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
    return root


def write_zip(path: Path, files: Mapping[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return path


def exchange_files(install: str = DEFAULT_INSTALL, drive: str = "C") -> dict[str, str | bytes]:
    base = f"{drive}/{install}"
    return {
        f"{base}/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG": HTTPPROXY,
        f"{base}/Logging/HttpProxy/Owa/HttpProxy_2021030307-1.LOG": HTTPPROXY,
        f"{base}/Logging/ECP/Server/ECPServer20210303-1.LOG": ECP_SERVER,
        f"{base}/Logging/ECP/Activity/ECPActivity_4711_20210303-1.LOG": ECP_ACTIVITY,
        f"{base}/Logging/OABGeneratorLog/OABGeneratorLog_2021030307-1.LOG": OAB_LOG,
        f"{base}/Logging/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2022120110-1.LOG": RPS_HTTP,
        f"{base}/Logging/Monitoring/Monitoring/MSExchangeHM/x.log": "plain text\r\n",
        f"{base}/bin/ExSetup.exe": EXSETUP,
        f"{base}/FrontEnd/HttpProxy/owa/auth/errorFE.aspx": ASPX,
        f"{base}/FrontEnd/HttpProxy/owa/auth/web.config": "<configuration/>",
    }


def windows_files(drive: str = "C") -> dict[str, str | bytes]:
    return {
        f"{drive}/Windows/System32/winevt/Logs/Application.evtx": EVTX,
        f"{drive}/Windows/System32/winevt/Logs/MSExchange Management.evtx": EVTX,
        f"{drive}/Windows/System32/LogFiles/HTTPERR/httperr1.log": HTTPERR,
        f"{drive}/Windows/System32/inetsrv/config/applicationHost.config": APPHOST,
        f"{drive}/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": IIS,
        f"{drive}/inetpub/logs/LogFiles/W3SVC2/u_ex210303.log": IIS,
        f"{drive}/inetpub/wwwroot/aspnet_client/system_web/zxvt0lpt.aspx": ASPX,
    }


def tree_hash(root: Path) -> str:
    """Names, contents, modes and modification times of everything under `root`."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in [*sorted(files), *dirs]:
            path = Path(folder, name)
            st = path.lstat()
            digest.update(f"{path.relative_to(root)}|{st.st_mode}|{st.st_mtime_ns}|{st.st_size}".encode())
            if path.is_file() and not path.is_symlink():
                digest.update(path.read_bytes())
    return digest.hexdigest()


def by_rel(host: HostEvidence) -> dict[str, EvidenceFile]:
    return {f.rel_path: f for f in host.files}


def kinds(host: HostEvidence) -> dict[str, K]:
    return {f.rel_path: f.kind for f in host.files}


def discover_unchanged(path: Path) -> list[HostEvidence]:
    """Discover, and prove the evidence is byte-for-byte and time-for-time untouched."""
    watch = path if path.is_dir() else path.parent
    before = tree_hash(watch)
    hosts = discover(str(path))
    assert tree_hash(watch) == before
    return hosts


# --- layouts -----------------------------------------------------------------------------------


def test_disk_mirror_on_d_with_non_default_install(tmp_path: Path) -> None:
    install = "Apps/Exchange Server/V15"
    root = write_tree(
        tmp_path / "EX01-mirror", {**windows_files("C"), **exchange_files(install, "D"), "C/Temp/copied.txt": HTTPPROXY}
    )
    (host,) = discover_unchanged(root)
    assert host.name == "EX01-mirror" and host.layout == "disk-mirror"
    assert host.exchange_install == "D:\\Apps\\Exchange Server\\V15\\"
    assert "Exchange install found at D:\\Apps\\Exchange Server\\V15\\" in host.notes
    files = by_rel(host)
    proxy = files["D/Apps/Exchange Server/V15/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"]
    assert proxy.kind is K.HTTPPROXY
    assert proxy.windows_path == ("D:\\Apps\\Exchange Server\\V15\\Logging\\HttpProxy\\Ecp\\HttpProxy_2021030306-1.LOG")
    assert proxy.size == len(HTTPPROXY.encode()) and proxy.mtime is not None
    with proxy.open() as fh:
        assert fh.read().startswith(b"#Software: Microsoft Exchange Server")
    k = kinds(host)
    base = "D/Apps/Exchange Server/V15/Logging"
    assert k[f"{base}/ECP/Server/ECPServer20210303-1.LOG"] is K.ECP_SERVER
    assert k[f"{base}/ECP/Activity/ECPActivity_4711_20210303-1.LOG"] is K.ECP_ACTIVITY
    assert k[f"{base}/OABGeneratorLog/OABGeneratorLog_2021030307-1.LOG"] is K.OAB_GENERATOR
    assert k[f"{base}/CmdletInfra/Powershell-Proxy/Http/Rps_Http_2022120110-1.LOG"] is K.RPS_HTTP
    assert k[f"{base}/Monitoring/Monitoring/MSExchangeHM/x.log"] is K.FILE
    assert k["D/Apps/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/web.config"] is K.IIS_CONFIG
    assert k["D/Apps/Exchange Server/V15/FrontEnd/HttpProxy/owa/auth/errorFE.aspx"] is K.FILE
    assert k["C/Windows/System32/winevt/Logs/MSExchange Management.evtx"] is K.EVTX
    assert k["C/Windows/System32/LogFiles/HTTPERR/httperr1.log"] is K.HTTPERR
    assert k["C/Windows/System32/inetsrv/config/applicationHost.config"] is K.IIS_CONFIG
    assert k["C/inetpub/logs/LogFiles/W3SVC2/u_ex210303.log"] is K.IIS
    assert k["C/Temp/copied.txt"] is K.HTTPPROXY  # told apart by its header only
    assert files["C/inetpub/wwwroot/aspnet_client/system_web/zxvt0lpt.aspx"].windows_path == (
        "C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\zxvt0lpt.aspx"
    )
    assert host.errors == []


def test_path_decides_without_opening_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exhunt.evidence import tree as tree_module

    extra = {"C/Temp/copied.txt": HTTPPROXY, "C/Temp/notes.log": "hello\n"}
    root = write_tree(tmp_path / "EX01", {**windows_files(), **exchange_files(), **extra})
    opened: list[tuple[str, ...]] = []
    real = tree_module.Tree.read_prefix

    def spy(self: tree_module.Tree, entry: tree_module.Entry, size: int) -> bytes:
        opened.append(entry.parts)
        return real(self, entry, size)

    monkeypatch.setattr(tree_module.Tree, "read_prefix", spy)
    (host,) = discover(str(root))
    assert sorted(opened) == [("C", "Temp", "copied.txt"), ("C", "Temp", "notes.log")]
    assert kinds(host)["C/Temp/notes.log"] is K.FILE


def test_kape_output_ignores_its_own_logs(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "tdest",
        {
            **windows_files(),
            **exchange_files(),
            "C/$MFT": b"FILE0" + b"\x00" * 50,
            "2024-05-10T101112_CopyLog.csv": "SourceFile,DestinationFile\r\nC:\\$MFT,C\\$MFT\r\n",
            "2024-05-10T101112_SkipLog.csv": "SourceFile,Reason\r\n",
        },
    )
    (host,) = discover_unchanged(root)
    assert host.layout == "kape" and host.name == "tdest"
    assert host.exchange_install == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"
    rels = set(by_rel(host))
    assert not any(r.endswith(".csv") for r in rels)
    assert any("KAPE log file(s)" in n and "CopyLog" in n for n in host.notes)
    assert by_rel(host)["C/$MFT"].windows_path == "C:\\$MFT"
    assert kinds(host)[f"C/{DEFAULT_INSTALL}/Logging/HttpProxy/Owa/HttpProxy_2021030307-1.LOG"] is K.HTTPPROXY


def _velociraptor_members(client_info: bool) -> dict[str, str | bytes]:
    ntfs = "uploads/ntfs/%5C%5C.%5CC%3A"
    auto = "uploads/auto/C%3A"
    install = "Program%20Files/Microsoft/Exchange%20Server/V15"
    members: dict[str, str | bytes] = {
        f"{ntfs}/{install}/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG": HTTPPROXY,
        f"{auto}/{install}/bin/ExSetup.exe": EXSETUP,  # one install, reached through two accessors
        f"{ntfs}/{install}/Logging/Monitoring/Monitoring/x.log": "plain text\r\n",
        f"{auto}/Windows/System32/winevt/Logs/Microsoft-Windows-PowerShell%254Operational.evtx": EVTX,
        f"{auto}/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": IIS,
        f"{ntfs}/$Extend/$UsnJrnl%3A$J": b"\x00" * 64,
        "results/Windows.EventLogs.Evtx.json": EVENT_LINE + "\n" + EVENT_LINE + "\n",
        "results/Windows.EventLogs.Evtx.json.index": b"\x00\x00\x00\x00",
        "log.json": json.dumps({"_ts": 1, "level": "DEFAULT", "message": "Starting collection"}) + "\n",
        "uploads.json": json.dumps({"vfs_path": "x"}) + "\n",
        "collection_context.json": json.dumps({"session_id": "F.1"}),
    }
    if client_info:
        members["client_info.json"] = json.dumps({"Hostname": "EX01", "Fqdn": "EX01.corp.local"})
    return members


def _check_velociraptor(host: HostEvidence, prefix: str = "") -> None:
    assert host.layout == "velociraptor"
    assert host.exchange_install == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"
    assert "Velociraptor collection, accessors auto, ntfs" in host.notes
    assert not any("another Exchange install" in n for n in host.notes)
    files = by_rel(host)
    proxy = files[
        prefix + "uploads/ntfs/\\\\.\\C:/Program Files/Microsoft/Exchange Server/V15/Logging/"
        "HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
    ]
    assert proxy.kind is K.HTTPPROXY
    assert proxy.windows_path == (
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Ecp\\HttpProxy_2021030306-1.LOG"
    )
    evtx = files[prefix + "uploads/auto/C:/Windows/System32/winevt/Logs/Microsoft-Windows-PowerShell%4Operational.evtx"]
    assert evtx.kind is K.EVTX
    assert evtx.windows_path == ("C:\\Windows\\System32\\winevt\\Logs\\Microsoft-Windows-PowerShell%4Operational.evtx")
    journal = files[prefix + "uploads/ntfs/\\\\.\\C:/$Extend/$UsnJrnl:$J"]
    assert journal.windows_path == "C:\\$Extend\\$UsnJrnl:$J"
    assert files[prefix + "uploads/auto/C:/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"].kind is K.IIS
    assert files[prefix + "results/Windows.EventLogs.Evtx.json"].kind is K.EVENT_JSON
    monitoring = "Program Files/Microsoft/Exchange Server/V15/Logging/Monitoring/Monitoring/x.log"
    assert files[prefix + "uploads/ntfs/\\\\.\\C:/" + monitoring].kind is K.FILE
    # The collection's own bookkeeping is not evidence of the server.
    assert not {
        prefix + n
        for n in ("log.json", "uploads.json", "client_info.json", "results/Windows.EventLogs.Evtx.json.index")
    } & set(files)


def test_velociraptor_folder(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "F.CRS2A7T0G1", _velociraptor_members(client_info=True))
    (host,) = discover_unchanged(root)
    assert host.name == "EX01"
    _check_velociraptor(host)
    assert all(f.ref.archive is None for f in host.files)


def test_velociraptor_zip_named_after_the_host(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "Collection-EX02.corp.local-2024-05-10T12_34_56Z.zip", _velociraptor_members(client_info=False)
    )
    (host,) = discover_unchanged(path)
    assert host.name == "EX02.corp.local"
    _check_velociraptor(host)
    proxy = next(f for f in host.files if f.kind is K.HTTPPROXY)
    assert proxy.ref.archive == str(path) and proxy.ref.path.startswith("uploads/ntfs/%5C%5C.%5CC%3A/")
    with proxy.open() as fh:
        assert fh.read() == HTTPPROXY.encode()


def test_bare_logging_folder_takes_the_host_from_the_folder_above(tmp_path: Path) -> None:
    files = {k.split("/V15/Logging/", 1)[1]: v for k, v in exchange_files().items() if "/Logging/" in k}
    root = write_tree(tmp_path / "EX03" / "Logging", {**files, "HttpProxy/Mapi/renamed.txt": HTTPPROXY})
    (host,) = discover_unchanged(root)
    assert host.name == "EX03" and host.layout == "logging-folder"
    assert host.exchange_install is None
    k = kinds(host)
    assert k["HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"] is K.HTTPPROXY
    assert k["ECP/Activity/ECPActivity_4711_20210303-1.LOG"] is K.ECP_ACTIVITY
    assert k["OABGeneratorLog/OABGeneratorLog_2021030307-1.LOG"] is K.OAB_GENERATOR
    assert k["CmdletInfra/Powershell-Proxy/Http/Rps_Http_2022120110-1.LOG"] is K.RPS_HTTP
    assert k["Monitoring/Monitoring/MSExchangeHM/x.log"] is K.FILE
    assert k["HttpProxy/Mapi/renamed.txt"] is K.FILE  # under Logging but not a .log: a file
    assert all(f.windows_path is None for f in host.files)


def test_bare_httpproxy_folder(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "HttpProxy", {"Owa/HttpProxy_2021030306-1.LOG": HTTPPROXY, "Ecp/other-name.LOG": HTTPPROXY}
    )
    (host,) = discover_unchanged(root)
    assert host.layout == "logging-folder"
    assert set(kinds(host).values()) == {K.HTTPPROXY}


def test_bare_iis_log_folder(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "EX09" / "LogFiles",
        {
            "W3SVC1/u_ex210303.log": IIS,
            "W3SVC1/u_ex210304.log": IIS,
            "W3SVC2/u_ex210303.log": IIS,
            "W3SVC1/exported-by-hand.txt": "\ufeff" + IIS,
            "HTTPERR/httperr1.log": HTTPERR,
        },
    )
    (host,) = discover_unchanged(root)
    assert host.layout == "iis-logs" and host.name == "EX09"
    k = kinds(host)
    assert k["W3SVC1/exported-by-hand.txt"] is K.IIS
    assert k["HTTPERR/httperr1.log"] is K.HTTPERR
    assert [r for r, v in k.items() if v is K.IIS] == [
        "W3SVC1/exported-by-hand.txt",
        "W3SVC1/u_ex210303.log",
        "W3SVC1/u_ex210304.log",
        "W3SVC2/u_ex210303.log",
    ]


def test_single_w3svc_folder(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "W3SVC1", {"u_ex210303.log": IIS, "renamed.log": IIS})
    (host,) = discover_unchanged(root)
    assert host.layout == "iis-logs" and set(kinds(host).values()) == {K.IIS}


def test_zip_of_a_disk_mirror(tmp_path: Path) -> None:
    members = {f"EX04/{k}": v for k, v in {**windows_files(), **exchange_files()}.items()}
    path = write_zip(tmp_path / "triage.zip", members)
    (host,) = discover_unchanged(path)
    assert host.name == "EX04" and host.layout == "disk-mirror"
    assert host.exchange_install == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"
    f = by_rel(host)[f"EX04/C/{DEFAULT_INSTALL}/Logging/HttpProxy/Owa/HttpProxy_2021030307-1.LOG"]
    assert f.kind is K.HTTPPROXY and f.ref.archive == str(path)
    assert (
        f.windows_path == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Owa\\"
        "HttpProxy_2021030307-1.LOG"
    )


def test_folder_of_three_hosts(tmp_path: Path) -> None:
    root = tmp_path / "case-42"
    write_tree(root / "EX01", {**windows_files(), **exchange_files()})
    write_zip(root / "Collection-EX02-2024-05-10T12_34_56Z.zip", _velociraptor_members(client_info=False))
    logging = {k.split("/V15/", 1)[1]: v for k, v in exchange_files().items() if "/Logging/" in k}
    write_tree(root / "EX03", logging)
    write_tree(root, {"README.txt": "collected by the night shift\n"})
    hosts = discover_unchanged(root)
    assert [h.name for h in hosts] == ["EX02", "EX01", "EX03"]  # in the order of the folder's names
    ex02, ex01, ex03 = hosts
    assert (ex01.layout, ex02.layout, ex03.layout) == ("disk-mirror", "velociraptor", "logging-folder")
    assert all(h.root == str(root) for h in hosts)
    assert f"EX01/C/{DEFAULT_INSTALL}/bin/ExSetup.exe" in by_rel(ex01)
    assert "EX03/Logging/HttpProxy/Owa/HttpProxy_2021030307-1.LOG" in by_rel(ex03)
    _check_velociraptor(ex02, prefix="Collection-EX02-2024-05-10T12_34_56Z.zip/")
    # No host took another's files.
    assert not {f.rel_path for f in ex01.files} & {f.rel_path for f in ex03.files}


def test_single_host_with_logs_from_two_places_is_not_split(tmp_path: Path) -> None:
    logging = {k.split("/V15/", 1)[1]: v for k, v in exchange_files().items() if "/Logging/" in k}
    root = write_tree(tmp_path / "EX05", {**logging, "W3SVC1/u_ex210303.log": IIS, "webroot/shell.aspx": ASPX})
    (host,) = discover_unchanged(root)
    assert host.name == "EX05"
    k = kinds(host)
    assert k["Logging/HttpProxy/Owa/HttpProxy_2021030307-1.LOG"] is K.HTTPPROXY
    assert k["W3SVC1/u_ex210303.log"] is K.IIS and k["webroot/shell.aspx"] is K.FILE


def test_one_host_folder_in_a_case_folder(tmp_path: Path) -> None:
    write_tree(tmp_path / "case" / "EX06", {**windows_files(), **exchange_files()})
    (host,) = discover_unchanged(tmp_path / "case")
    assert host.name == "EX06" and host.layout == "disk-mirror"
    assert f"EX06/C/{DEFAULT_INSTALL}/bin/ExSetup.exe" in by_rel(host)


def test_mounted_system_volume(tmp_path: Path) -> None:
    files = {k[2:]: v for k, v in {**windows_files(), **exchange_files()}.items()}
    root = write_tree(tmp_path / "EX07" / "C", files)
    (host,) = discover_unchanged(root)
    assert host.name == "EX07" and host.layout == "disk-mirror"
    assert host.exchange_install == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"
    assert by_rel(host)["inetpub/logs/LogFiles/W3SVC1/u_ex210303.log"].windows_path == (
        "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex210303.log"
    )


def test_percent_encoded_drive_folder_is_decoded(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "EX08",
        {
            "C%3A/Windows/System32/winevt/Logs/Microsoft-Windows-PowerShell%254Operational.evtx": EVTX,
            "C%3A/Program%20Files/Microsoft/Exchange%20Server/V15/Logging/HttpProxy/Owa/x.LOG": HTTPPROXY,
        },
    )
    (host,) = discover_unchanged(root)
    assert host.layout == "disk-mirror"
    assert host.exchange_install == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"
    evtx = by_rel(host)["C:/Windows/System32/winevt/Logs/Microsoft-Windows-PowerShell%4Operational.evtx"]
    assert evtx.windows_path == ("C:\\Windows\\System32\\winevt\\Logs\\Microsoft-Windows-PowerShell%4Operational.evtx")


def test_plain_folder_of_files(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "suspects",
        {
            "shell.aspx": ASPX,
            "a/b/c/deep.ashx": ASPX,
            "events.jsonl": EVENT_LINE + "\n",
            "winlogbeat.json": ECS_LINE + "\n",
            "notes.txt": "nothing to see\n",
            "export.csv": "a,b\n1,2\n",
            "sub/HttpProxy_2021030306-1.LOG": HTTPPROXY,
            "sub/iis.log": IIS,
            "pretty.json": json.dumps({"Event": {"System": {"EventID": 4688, "Channel": "Security"}}}, indent=2),
            "array.json": json.dumps([{"Channel": "Application", "EventID": 2303}]),
            "config.json": json.dumps({"Channel": "stable", "version": 3}),
        },
    )
    (host,) = discover_unchanged(root)
    assert host.layout == "files" and host.name == "suspects" and host.exchange_install is None
    assert kinds(host) == {
        "a/b/c/deep.ashx": K.FILE,
        "array.json": K.EVENT_JSON,
        "config.json": K.FILE,
        "events.jsonl": K.EVENT_JSON,
        "export.csv": K.FILE,
        "notes.txt": K.FILE,
        "pretty.json": K.EVENT_JSON,
        "shell.aspx": K.FILE,
        "sub/HttpProxy_2021030306-1.LOG": K.HTTPPROXY,
        "sub/iis.log": K.IIS,
        "winlogbeat.json": K.EVENT_JSON,
    }


def test_progress_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exhunt.evidence import tree as tree_module

    monkeypatch.setattr(tree_module, "_PROGRESS_EVERY", 100)
    root = write_tree(tmp_path / "many", {f"d{i % 7}/f{i}.aspx": ASPX for i in range(450)})
    seen: list[int] = []
    (host,) = discover(str(root), on_progress=seen.append)
    assert len(host.files) == 450
    assert seen == [100, 200, 300, 400, 450]


def test_shared_event_export_zip(shared_data: Path) -> None:
    (host,) = discover_unchanged(shared_data / "events" / "proxylogon_ssrf_rce_poc.zip")
    assert [f.kind for f in host.files] == [K.EVENT_JSON]


def test_shared_iis_logs(shared_data: Path) -> None:
    (host,) = discover(str(shared_data / "iis" / "plaso"))
    assert {f.kind for f in host.files} == {K.IIS}


def test_zip_of_several_hosts(tmp_path: Path) -> None:
    server = {**windows_files(), **exchange_files()}
    members = {f"{host}/{k}": v for host in ("EX11", "EX12") for k, v in server.items()}
    path = write_zip(tmp_path / "all-servers.zip", members)
    hosts = discover_unchanged(path)
    assert [(h.name, h.layout) for h in hosts] == [("EX11", "disk-mirror"), ("EX12", "disk-mirror")]
    for h in hosts:
        assert all(f.rel_path.startswith(h.name + "/") and f.ref.archive == str(path) for f in h.files)
        assert h.exchange_install == "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\"


def test_two_collections_of_one_server_stay_apart(tmp_path: Path) -> None:
    root = tmp_path / "case"
    root.mkdir()
    write_zip(root / "Collection-EX01-2024-05-10T12_34_56Z.zip", _velociraptor_members(client_info=True))
    write_zip(root / "Collection-EX01-2024-06-01T08_00_00Z.zip", _velociraptor_members(client_info=True))
    hosts = discover_unchanged(root)
    assert [h.name for h in hosts] == [
        "EX01 (Collection-EX01-2024-05-10T12_34_56Z.zip)",
        "EX01 (Collection-EX01-2024-06-01T08_00_00Z.zip)",
    ]
    first, second = ({f.rel_path for f in h.files} for h in hosts)
    assert first and second and not first & second


def test_tool_output_folders_do_not_name_the_host(tmp_path: Path) -> None:
    write_tree(tmp_path / "EX13" / "tdest", {**windows_files(), **exchange_files()})
    (host,) = discover_unchanged(tmp_path / "EX13")
    assert host.name == "EX13" and host.layout == "disk-mirror"
    assert f"tdest/C/{DEFAULT_INSTALL}/bin/ExSetup.exe" in by_rel(host)


def test_velociraptor_collection_of_results_only_is_named_by_its_client_info(tmp_path: Path) -> None:
    # Artifacts that parse event logs upload no file: no uploads/ folder. The collection was
    # taken for a folder of files (its bookkeeping hunted, its client_info.json unread), so a
    # zip renamed by the responder lost the server's name.
    members = {
        name: content
        for name, content in _velociraptor_members(client_info=True).items()
        if not name.startswith("uploads/")
    }
    (host,) = discover_unchanged(write_zip(tmp_path / "ex01-velo.zip", members))
    assert host.layout == "velociraptor" and host.name == "EX01"
    files = by_rel(host)
    assert files["results/Windows.EventLogs.Evtx.json"].kind is K.EVENT_JSON
    assert not {"log.json", "client_info.json", "collection_context.json", "uploads.json"} & set(files)
