"""Native IIS modules registered in applicationHost.config's globalModules whose DLL lies outside
the folders of Windows, IIS, .NET and Exchange (T1505.004): high, and critical in a folder
intruders stage tools in. IIS's own modules, its extensions under Program Files\\IIS, Exchange's
modules where the hunt found Exchange installed (also on another drive), and environment
variables in the image path are known; `..` in a path does not make a staging folder a known one;
a config that is not well-formed is read line by line. A module in System32 or SysWOW64 whose DLL is
not one IIS, its extensions or Windows' IIS features ship there is medium, with the IIS module
its name is close to. As a user: the hunt of a server whose
applicationHost.config loads a module from C:\\ProgramData calls the host compromised."""

from __future__ import annotations

from pathlib import Path

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.iisconfig import IIS_CONFIG
from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence
from exhunt.model import ArtefactKind, Implies, Severity, UnitResult
from files_support import EXCHANGE
from test_iisconfig import APPHOST, apphost, config

RULE = "EXH-IIS-MODULE-PATH"

MODULES = [
    ("UriCacheModule", r"%windir%\System32\inetsrv\cachuri.dll"),
    ("ARRHelper", r"%ProgramFiles%\IIS\Application Request Routing\requestRouter.dll"),
    ("ManagedEngineV4.0_64bit", r"%windir%\Microsoft.NET\Framework64\v4.0.30319\webengine4.dll"),
    ("PasswordExpiryModule", r"%SystemRoot%\system32\rpcproxy\rpcproxy.dll"),
    ("kerbauth", r"D:\Exchange\Bin\kerbauth.dll"),
    ("SsoAgent", r"C:\Program Files\Contoso SSO\IIS\ssoagent64.dll"),
    ("CacheHelper", r"C:\Windows\Temp\cachehelper.dll"),
    ("Traced", r"%windir%\System32\inetsrv\..\..\..\ProgramData\Microsoft\Crypto\iislog.dll"),
    ("Share", r"\\files01\tools\mod.dll"),
]


def modules_config(modules: list[tuple[str, str]]) -> bytes:
    entries = "\n".join(f'            <add name="{n}" image="{i}" />' for n, i in modules)
    return apphost().replace(b"        <globalModules>\n", b"        <globalModules>\n" + entries.encode() + b"\n", 1)


def run_on(files: list[EvidenceFile], install: str = "D:\\Exchange\\") -> UnitResult:
    host = HostEvidence("EX01", "/evidence", "disk-mirror", files)
    return IIS_CONFIG.analyze_host(host, HostContext("EX01", install, HuntOptions()))


def found(result: UnitResult) -> dict[str, tuple[Severity, Implies]]:
    return {f.detail("module"): (f.severity, f.implies) for f in result.findings if f.rule_id == RULE}


def test_modules_outside_known_folders(tmp_path: Path) -> None:
    result = run_on([config(tmp_path, APPHOST, modules_config(MODULES))])
    assert found(result) == {
        "SsoAgent": (Severity.HIGH, Implies.SUSPICIOUS),
        "CacheHelper": (Severity.CRITICAL, Implies.COMPROMISE),
        "Traced": (Severity.CRITICAL, Implies.COMPROMISE),
        "Share": (Severity.HIGH, Implies.SUSPICIOUS),
    }
    (temp,) = [f for f in result.findings if f.detail("module") == "CacheHelper"]
    assert temp.detail("image") == r"C:\Windows\Temp\cachehelper.dll"
    assert "temp" in temp.detail("why")
    assert temp.evidence.line is not None and "cachehelper.dll" in (temp.evidence.excerpt or "")
    assert result.errors == []


def test_exchange_on_its_default_path_needs_no_install_found(tmp_path: Path) -> None:
    exchange = [("kerbauth", r"C:\Program Files\Microsoft\Exchange Server\V15\Bin\kerbauth.dll")]
    assert found(run_on([config(tmp_path, APPHOST, modules_config(exchange))], install="")) == {}


def test_broken_config_read_line_by_line(tmp_path: Path) -> None:
    broken = modules_config(MODULES).replace(b"</sites>", b"</site>", 1)
    result = run_on([config(tmp_path, APPHOST, broken)])
    assert any("not well-formed" in e.message for e in result.errors)
    assert set(found(result)) == {"SsoAgent", "CacheHelper", "Traced", "Share"}


def test_hunt_of_a_server_with_a_module_in_programdata(tmp_path: Path) -> None:
    from exhunt.cli import main

    conf = tmp_path / "EX01" / "C" / "Windows" / "System32" / "inetsrv" / "config" / "applicationHost.config"
    conf.parent.mkdir(parents=True)
    conf.write_bytes(modules_config([("HttpLogging2", r"C:\ProgramData\Microsoft\Network\httplog.dll")]))
    out = tmp_path / "out.json"
    code = main(["hunt", str(tmp_path / "EX01"), "--no-db", "--no-progress", "-q", "--json", str(out)])
    report = out.read_text(encoding="utf-8")
    assert code != 0
    assert RULE in report and "httplog.dll" in report and '"compromised"' in report


# ------------------------------------------------------------------ modules IIS does not ship

UNSHIPPED = "EXH-IIS-MODULE-UNSHIPPED"

WINDOWS_MODULES = [
    ("StaticFileModule", r"%windir%\System32\inetsrv\static.dll"),
    ("RewriteModule", r"%SystemRoot%\system32\inetsrv\rewrite.dll"),
    ("AspNetCoreModule", r"%SystemRoot%\system32\inetsrv\aspnetcore.dll"),  # Microsoft's extensions
    ("httpPlatformHandler", r"%SystemRoot%\system32\inetsrv\httpPlatformHandler.dll"),
    ("CorsModule", r"%SystemRoot%\SysWOW64\inetsrv\iiscors.dll"),
    ("WSMan", r"C:\Windows\system32\wsmsvc.dll"),
    ("WebSocketModule32", r"%windir%\SysWOW64\inetsrv\iiswsock.dll"),  # the 32-bit worker's copy
    ("RequestFilteringModule2", r"%windir%\System32\inetsrv\modrpflt.dll"),  # one letter off
    ("IsapiHelper", r"%windir%\System32\inetsrv\isapihelp.dll"),
    ("CacheModule", r"C:\Windows\System32\cachuri.dll"),  # IIS's name, another folder
    ("SsoAgent", r"C:\Program Files\Contoso SSO\IIS\ssoagent64.dll"),  # the path rule's
]


def unshipped(result: UnitResult) -> dict[str, str]:
    return {f.detail("module"): f.detail("why") or "" for f in result.findings if f.rule_id == UNSHIPPED}


def test_modules_in_windows_folders_that_iis_does_not_ship(tmp_path: Path) -> None:
    result = run_on([config(tmp_path, APPHOST, modules_config(WINDOWS_MODULES))])
    assert unshipped(result) == {
        "RequestFilteringModule2": "its file name is close to IIS's own modrqflt.dll",
        "IsapiHelper": "",
        "CacheModule": "cachuri.dll is IIS's, but not in this folder",
    }
    (near,) = [f for f in result.findings if f.detail("module") == "RequestFilteringModule2"]
    assert (near.severity, near.implies) == (Severity.MEDIUM, Implies.SUSPICIOUS)
    assert near.evidence.line is not None and "modrpflt.dll" in (near.evidence.excerpt or "")
    # each module is judged by one of the two rules: the path rule takes the one outside Windows
    assert set(found(result)) == {"SsoAgent"}


def test_unshipped_modules_in_a_broken_config(tmp_path: Path) -> None:
    broken = modules_config(WINDOWS_MODULES).replace(b"</sites>", b"</site>", 1)
    assert set(unshipped(run_on([config(tmp_path, APPHOST, broken)]))) == {
        "RequestFilteringModule2",
        "IsapiHelper",
        "CacheModule",
    }


# ----------------------------------------------------------------------------- managed modules

MANAGED = "EXH-IIS-MANAGED-MODULE"

OWA_WEB_CONFIG = EXCHANGE + r"\FrontEnd\HttpProxy\owa\web.config"


def web_config_with(modules: str = "", handlers: str = "", classic: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.web>
    <httpModules>{classic}</httpModules>
  </system.web>
  <system.webServer>
    <modules>
      <add name="ProxyModule" type="Microsoft.Exchange.HttpProxy.ProxyModule, Microsoft.Exchange.FrontEndHttpProxy, Version=15.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35" />
      <add name="Session" type="System.Web.SessionState.SessionStateModule" />{modules}
    </modules>
    <handlers>
      <add name="PageHandlerFactory" path="*.aspx" verb="*" type="System.Web.UI.PageHandlerFactory" />{handlers}
    </handlers>
  </system.webServer>
</configuration>
""".encode()


def managed(result: UnitResult) -> list[tuple[str, str, str]]:
    return sorted(
        (f.detail("section"), f.detail("name"), f.detail("type")) for f in result.findings if f.rule_id == MANAGED
    )


def test_third_party_modules_and_handlers_in_exchange_folders(tmp_path: Path) -> None:
    content = web_config_with(
        modules='\n      <add name="OwaSync" type="OwaSync.Module, OwaSync" />',
        handlers='\n      <add name="Img" path="i.axd" verb="*" type="Contoso.Imaging.Handler, Contoso.Imaging" />',
        classic='<add name="Legacy" type="Helpers.Hook, Helpers" />',
    )
    result = run_on([config(tmp_path, OWA_WEB_CONFIG, content)], install=EXCHANGE + "\\")
    assert managed(result) == [
        ("handlers", "Img", "Contoso.Imaging.Handler, Contoso.Imaging"),
        ("httpmodules", "Legacy", "Helpers.Hook, Helpers"),
        ("modules", "OwaSync", "OwaSync.Module, OwaSync"),
    ]
    (owa_sync,) = [f for f in result.findings if f.detail("name") == "OwaSync"]
    assert owa_sync.severity is Severity.MEDIUM and owa_sync.implies is Implies.SUSPICIOUS
    assert owa_sync.evidence.line == 10 and "OwaSync" in (owa_sync.evidence.excerpt or "")


def test_a_page_base_or_parser_filter_of_a_third_party(tmp_path: Path) -> None:
    pages = (
        '<pages pageBaseType="Owa.Pages.Base, OwaPages" '
        'pageParserFilterType="System.Web.Mvc.ViewTypeParserFilter, System.Web.Mvc" />'
    )
    content = web_config_with().replace(b"<httpModules>", pages.encode() + b"<httpModules>", 1)
    result = run_on([config(tmp_path, OWA_WEB_CONFIG, content)], install=EXCHANGE + "\\")
    assert managed(result) == [("pages", "pageBaseType", "Owa.Pages.Base, OwaPages")]
    (found,) = [f for f in result.findings if f.rule_id == MANAGED]
    assert found.evidence.line == 4 and "pageBaseType" in (found.evidence.excerpt or "")


def test_module_added_for_owa_in_applicationhost(tmp_path: Path) -> None:
    location = b"""    <location path="Default Web Site/owa">
        <system.webServer><modules><add name="Helper" type="Owa.Helper, OwaHelper" /></modules></system.webServer>
    </location>
</configuration>"""
    content = apphost().replace(b"</configuration>", location, 1)
    assert managed(run_on([config(tmp_path, APPHOST, content)])) == [("modules", "Helper", "Owa.Helper, OwaHelper")]


def test_another_sites_own_modules_are_its_business(tmp_path: Path) -> None:
    content = web_config_with(modules='\n      <add name="Elmah" type="Elmah.ErrorLogModule, Elmah" />')
    result = run_on([config(tmp_path, r"C:\inetpub\wwwroot\intranet\web.config", content)])
    assert managed(result) == []


def test_real_exchange_configs_name_only_framework_and_exchange_types(shared_data: Path) -> None:
    from exhunt.analyzers.iisconfig import _load, _managed_modules

    folder = shared_data / "benign" / "css-exchange-iis"
    result = UnitResult()
    read = 0
    for p in sorted(folder.iterdir()):
        loaded = _load(EvidenceFile(FileRef(str(p)), p.name, ArtefactKind.IIS_CONFIG, p.stat().st_size), result)
        if loaded is not None and loaded.root is not None:
            _managed_modules(loaded, result)
            read += 1
    assert read >= 70
    assert managed(result) == []


def test_the_plan_says_to_remove_the_module(tmp_path: Path) -> None:
    from exhunt.cli import main

    conf = tmp_path / "EX03" / "C" / "Windows" / "System32" / "inetsrv" / "config" / "applicationHost.config"
    conf.parent.mkdir(parents=True)
    conf.write_bytes(modules_config([("Helper", r"C:\Users\Public\helper.dll")]))
    out = tmp_path / "out.json"
    main(["hunt", str(tmp_path / "EX03"), "--no-db", "--no-progress", "-q", "--json", str(out)])
    report = out.read_text(encoding="utf-8")
    assert "IIS virtual directories and modules" in report and r"helper.dll" in report
