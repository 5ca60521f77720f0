"""The live server, with a stand-in registry, environment and drives (runs on any OS)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from exhunt.evidence import discover
from exhunt.evidence import live as live_module
from exhunt.evidence.live import SETUP_KEYS, LiveSystem, live_host
from exhunt.model import ArtefactKind as K
from test_evidence_layouts import (
    APPHOST,
    ASPX,
    EVTX,
    EXSETUP,
    HTTPERR,
    HTTPPROXY,
    IIS,
    by_rel,
    kinds,
    tree_hash,
)

SITES = r"""<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
          <virtualDirectory path="/static" physicalPath="C:\ProgramData\COM1" />
        </application>
        <application path="/owa">
          <virtualDirectory path="/" physicalPath="D:\Exchange\V15\FrontEnd\HttpProxy\owa" />
        </application>
        <logFile directory="E:\IISLogs" />
      </site>
      <siteDefaults>
        <logFile logFormat="W3C" directory="%SystemDrive%\inetpub\logs\LogFiles" />
      </siteDefaults>
    </sites>
  </system.applicationHost>
</configuration>
"""


class FakeRegistry:
    def __init__(self, values: dict[tuple[str, str], str]) -> None:
        self.values = values
        self.asked: list[tuple[str, str]] = []

    def value(self, key: str, name: str) -> str | None:
        self.asked.append((key, name))
        return self.values.get((key, name))


def machine(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Drives as folders: 'C:\\x\\y' lives at root/C/x/y."""
    for windows, content in files.items():
        target = root.joinpath(windows[0], *windows[3:].split("\\"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def drives(root: Path) -> Callable[[str], str]:
    def local(windows: str) -> str:
        rest = [p for p in windows[3:].split("\\") if p]
        return str(root.joinpath(windows[0].upper(), *rest))

    return local


ENV = {"COMPUTERNAME": "EX01", "SystemDrive": "C:", "windir": "C:\\Windows", "ProgramData": "C:\\ProgramData"}

SERVER: dict[str, str | bytes] = {
    r"D:\Exchange\V15\Logging\HttpProxy\Owa\HttpProxy_2021030306-1.LOG": HTTPPROXY,
    r"D:\Exchange\V15\Logging\Monitoring\other.log": "text",
    r"D:\Exchange\V15\bin\ExSetup.exe": EXSETUP,
    r"D:\Exchange\V15\FrontEnd\HttpProxy\owa\auth\logon.aspx": ASPX,
    r"E:\IISLogs\W3SVC1\u_ex210303.log": IIS,
    r"C:\inetpub\logs\LogFiles\W3SVC2\u_ex210303.log": IIS,
    r"C:\inetpub\wwwroot\aspnet_client\system_web\shell.aspx": ASPX,
    r"C:\Windows\System32\inetsrv\config\applicationHost.config": SITES,
    r"C:\Windows\System32\winevt\Logs\Security.evtx": EVTX,
    r"C:\Windows\System32\LogFiles\HTTPERR\httperr1.log": HTTPERR,
    r"C:\Windows\System32\drivers\etc\hosts": "127.0.0.1 localhost",
    r"C:\ProgramData\it.zip": b"PK\x05\x06" + b"\x00" * 18,
    r"C:\ProgramData\COM1\x.aspx": ASPX,
    r"C:\ProgramData\Microsoft\Windows\deep\far.txt": "too deep",
    r"C:\Windows\Temp\lsass.dmp": b"MDMP",
}


def test_live_server(tmp_path: Path) -> None:
    root = machine(tmp_path / "machine", SERVER)
    registry = FakeRegistry({(SETUP_KEYS[0], "MsiInstallPath"): "D:\\Exchange\\V15\\"})
    before = tree_hash(root)
    host = live_host(LiveSystem(registry, ENV, drives(root), hostname=lambda: "unused"))
    assert tree_hash(root) == before
    assert host.name == "EX01" and host.layout == "live" and host.root == "(live server)"
    assert host.exchange_install == "D:\\Exchange\\V15\\"
    assert "Exchange install found at D:\\Exchange\\V15\\ (registry MsiInstallPath)" in host.notes
    logs = "E:\\IISLogs, C:\\inetpub\\logs\\LogFiles"
    assert f"IIS log folders from applicationHost.config: {logs}" in host.notes
    files = by_rel(host)
    assert set(files) == {
        "D:/Exchange/V15/Logging/HttpProxy/Owa/HttpProxy_2021030306-1.LOG",
        "D:/Exchange/V15/Logging/Monitoring/other.log",
        "D:/Exchange/V15/bin/ExSetup.exe",
        "D:/Exchange/V15/FrontEnd/HttpProxy/owa/auth/logon.aspx",
        "E:/IISLogs/W3SVC1/u_ex210303.log",
        "C:/inetpub/logs/LogFiles/W3SVC2/u_ex210303.log",
        "C:/inetpub/wwwroot/aspnet_client/system_web/shell.aspx",
        "C:/Windows/System32/inetsrv/config/applicationHost.config",
        "C:/Windows/System32/winevt/Logs/Security.evtx",
        "C:/Windows/System32/LogFiles/HTTPERR/httperr1.log",
        "C:/ProgramData/it.zip",
        "C:/ProgramData/COM1/x.aspx",
        "C:/Windows/Temp/lsass.dmp",
    }
    proxy = files["D:/Exchange/V15/Logging/HttpProxy/Owa/HttpProxy_2021030306-1.LOG"]
    assert proxy.windows_path == "D:\\Exchange\\V15\\Logging\\HttpProxy\\Owa\\HttpProxy_2021030306-1.LOG"
    with proxy.open() as fh:
        assert fh.read() == HTTPPROXY.encode()
    k = kinds(host)
    assert k["D:/Exchange/V15/Logging/HttpProxy/Owa/HttpProxy_2021030306-1.LOG"] is K.HTTPPROXY
    assert k["D:/Exchange/V15/Logging/Monitoring/other.log"] is K.FILE
    assert k["E:/IISLogs/W3SVC1/u_ex210303.log"] is K.IIS
    assert k["C:/Windows/System32/LogFiles/HTTPERR/httperr1.log"] is K.HTTPERR
    assert k["C:/Windows/System32/winevt/Logs/Security.evtx"] is K.EVTX
    assert k["C:/Windows/System32/inetsrv/config/applicationHost.config"] is K.IIS_CONFIG
    assert host.errors == []


def test_install_from_the_environment_and_missing_folders(tmp_path: Path) -> None:
    root = machine(
        tmp_path / "machine",
        {
            r"F:\Ex\Logging\HttpProxy\Ecp\HttpProxy_2021030306-1.LOG": HTTPPROXY,
            r"C:\inetpub\logs\LogFiles\W3SVC1\u_ex210303.log": IIS,
        },
    )
    env = {**ENV, "ExchangeInstallPath": "F:\\Ex\\"}
    host = live_host(LiveSystem(FakeRegistry({}), env, drives(root), hostname=lambda: "unused"))
    assert host.exchange_install == "F:\\Ex\\"
    assert "Exchange install found at F:\\Ex\\ (ExchangeInstallPath)" in host.notes
    assert any("no applicationHost.config" in n for n in host.notes)  # the default log folder is used
    assert kinds(host) == {
        "F:/Ex/Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG": K.HTTPPROXY,
        "C:/inetpub/logs/LogFiles/W3SVC1/u_ex210303.log": K.IIS,
    }
    assert ("C:\\Windows\\System32\\winevt\\Logs", "event logs folder not found") in host.errors


def test_no_exchange_installed(tmp_path: Path) -> None:
    root = machine(
        tmp_path / "machine",
        {
            r"C:\Windows\System32\winevt\Logs\System.evtx": EVTX,
            r"C:\Windows\System32\inetsrv\config\applicationHost.config": (b"\xff\xfe" + APPHOST.encode("utf-16-le")),
        },
    )
    registry = FakeRegistry({})
    host = live_host(LiveSystem(registry, {}, drives(root), hostname=lambda: "web01"))
    assert host.name == "web01" and host.exchange_install is None
    assert any("no Exchange install found" in n for n in host.notes)
    assert [q[0] for q in registry.asked] == list(SETUP_KEYS)
    assert kinds(host) == {
        "C:/Windows/System32/winevt/Logs/System.evtx": K.EVTX,
        "C:/Windows/System32/inetsrv/config/applicationHost.config": K.IIS_CONFIG,
    }
    assert "IIS log folders from applicationHost.config: C:\\inetpub\\logs\\LogFiles" in host.notes


def test_discover_without_a_path_hunts_the_live_server_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    def fake_live(*, on_progress: object = None) -> str:
        calls.append(on_progress)
        return "live-host"

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(live_module, "live_host", fake_live)
    assert discover(None) == ["live-host"]  # type: ignore[comparison-overlap]
    assert calls == [None]


def test_windows_registry_reads_the_64_bit_view(monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib
    import types

    opened: list[tuple[object, str, int]] = []
    fake = types.ModuleType("winreg")
    fake.HKEY_LOCAL_MACHINE = "HKLM"  # type: ignore[attr-defined]
    fake.KEY_READ = 0x20019  # type: ignore[attr-defined]
    fake.KEY_WOW64_64KEY = 0x100  # type: ignore[attr-defined]

    @contextlib.contextmanager
    def open_key(hive: object, sub: str, reserved: int, access: int) -> Iterator[str]:
        opened.append((hive, sub, access))
        if not sub.endswith("v15\\Setup"):
            raise FileNotFoundError(2, "The system cannot find the file specified")
        yield "handle"

    def query(handle: object, name: str) -> tuple[object, int]:
        return ("D:\\Exchange\\V15\\", 1) if name == "MsiInstallPath" else (42, 4)

    fake.OpenKey = open_key  # type: ignore[attr-defined]
    fake.QueryValueEx = query  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "winreg", fake)
    registry = live_module.WindowsRegistry()
    assert registry.value(SETUP_KEYS[0], "MsiInstallPath") == "D:\\Exchange\\V15\\"
    assert registry.value(SETUP_KEYS[0], "MsiProductMajor") is None  # not a string
    assert registry.value(SETUP_KEYS[1], "MsiInstallPath") is None  # no such key
    assert registry.value("HKEY_NOWHERE\\x", "y") is None
    assert opened[0] == ("HKLM", "SOFTWARE\\Microsoft\\ExchangeServer\\v15\\Setup", 0x20119)
