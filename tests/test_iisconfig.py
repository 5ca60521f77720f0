"""IIS configuration: attacker virtual directories, and whether the URL Rewrite mitigations would work."""

from __future__ import annotations

from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions, host_analyzers
from exhunt.analyzers.iisconfig import IIS_CONFIG
from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence
from exhunt.filehunt.safexml import XmlRefused, parse_xml
from exhunt.model import ArtefactKind, Implies, Severity, UnitResult
from files_support import EXCHANGE, server_file

APPHOST = r"C:\Windows\System32\inetsrv\config\applicationHost.config"
SITE_WEB_CONFIG = r"C:\inetpub\wwwroot\web.config"
AUTODISCOVER_WEB_CONFIG = EXCHANGE + r"\FrontEnd\HttpProxy\autodiscover\web.config"

EOMTV2_RULE = """
                <rule name="PowerShell - inbound" {attrs}>
                    <match url="{url}" />
                    <conditions>
                        <add input="{input}" pattern="{pattern}" {cond} />
                    </conditions>
                    <action type="{action}" />
                </rule>"""

EOMT_RULES = """
                <rule name="X-AnonResource-Backend Abort - inbound">
                    <match url=".*" />
                    <conditions>
                        <add input="{HTTP_COOKIE}" pattern="(.*)X-AnonResource-Backend(.*)" />
                    </conditions>
                    <action type="AbortRequest" />
                </rule>
                <rule name="X-BEResource Abort - inbound" stopProcessing="true">
                    <match url=".*" />
                    <conditions>
                        <add input="{HTTP_COOKIE}" pattern="(.*)X-BEResource=(.+)/(.+)~(.+)" />
                    </conditions>
                    <action type="AbortRequest" />
                </rule>"""


def eomtv2(
    attrs: str = 'stopProcessing="true"',
    url: str = ".*",
    input: str = "{UrlDecode:{REQUEST_URI}}",
    pattern: str = "(?=.*autodiscover)(?=.*powershell)",
    cond: str = "",
    action: str = "AbortRequest",
) -> str:
    return EOMTV2_RULE.format(attrs=attrs, url=url, input=input, pattern=pattern, cond=cond, action=action)


def web_config(rules: str = "", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.webServer>
        <rewrite>
            <rules>{rules}
            </rules>
        </rewrite>{extra}
    </system.webServer>
</configuration>
""".encode()


def apphost(vdirs: str = "", *, rewrite_module: bool = True, site_rules: str = "") -> bytes:
    module = '<add name="RewriteModule" image="%SystemRoot%\\system32\\inetsrv\\rewrite.dll" />'
    if not rewrite_module:
        module = ""
    location = ""
    if site_rules:
        location = f"""
    <location path="Default Web Site">
        <system.webServer>
            <rewrite>
                <rules>{site_rules}
                </rules>
            </rewrite>
        </system.webServer>
    </location>"""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />
                </application>
                <application path="/owa" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="{EXCHANGE}\\FrontEnd\\HttpProxy\\owa" />
                </application>{vdirs}
            </site>
        </sites>
    </system.applicationHost>
    <system.webServer>
        <globalModules>
            <add name="UriCacheModule" image="%windir%\\System32\\inetsrv\\cachuri.dll" />
            {module}
        </globalModules>
    </system.webServer>{location}
</configuration>
""".encode()


def run(files: list[EvidenceFile]) -> UnitResult:
    host = HostEvidence("EX01", "/evidence", "disk-mirror", files)
    return IIS_CONFIG.analyze_host(host, HostContext("EX01", EXCHANGE + "\\", HuntOptions()))


def config(tmp_path: Path, where: str, content: bytes) -> EvidenceFile:
    return server_file(tmp_path, where, content, kind=ArtefactKind.IIS_CONFIG)


def mitigation(result: UnitResult, name: str) -> tuple[str, str]:
    (obs,) = [o for o in result.observations if o.kind == "mitigation" and o.value.startswith(name + ":")]
    (finding,) = [
        f for f in result.findings if f.rule_id == "EXH-IIS-MITIGATION-STATE" and f.detail("mitigation") == name
    ]
    assert finding.severity is Severity.INFO and finding.implies is Implies.NOTHING
    assert finding.detail("state") == obs.value.split(": ", 1)[1].split(" (")[0]
    return obs.value, obs.source


def test_registered_as_host_analyzer() -> None:
    assert IIS_CONFIG in host_analyzers()


# ------------------------------------------------------------------------- virtual directories

VDIRS = """
                <application path="/owa/auth/x" applicationPool="MSExchangeOWAAppPool">
                    <virtualDirectory path="/" physicalPath="C:\\ProgramData\\COM1" />
                </application>
                <application path="/ecp/y" applicationPool="MSExchangeECPAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\Users\\All Users\\ZING" />
                    <virtualDirectory path="/docs" physicalPath="C:\\Users\\Public\\Documents" />
                    <virtualDirectory path="/tools" physicalPath="%ProgramData%\\Contoso\\Web" />
                    <virtualDirectory path="/ok" physicalPath="D:\\Sites\\Intranet" />
                </application>"""


def test_virtual_directories_into_programdata_and_users(tmp_path: Path) -> None:
    result = run([config(tmp_path, APPHOST, apphost(VDIRS))])
    found = {f.detail("physical_path"): f for f in result.findings if f.rule_id == "EXH-IIS-VDIR-SUSPICIOUS-PATH"}
    assert set(found) == {
        r"C:\ProgramData\COM1",
        r"%SystemDrive%\Users\All Users\ZING",
        r"C:\Users\Public\Documents",
        r"%ProgramData%\Contoso\Web",
    }
    com1 = found[r"C:\ProgramData\COM1"]
    assert com1.severity is Severity.CRITICAL and com1.implies is Implies.COMPROMISE
    assert com1.detail("virtual_directory") == "Default Web Site/owa/auth/x/"
    assert com1.evidence.line == 13 and "COM1" in (com1.evidence.excerpt or "")
    assert found[r"%SystemDrive%\Users\All Users\ZING"].severity is Severity.CRITICAL
    users = found[r"C:\Users\Public\Documents"]
    assert users.severity is Severity.HIGH and users.implies is Implies.SUSPICIOUS
    assert users.detail("under") == "Users"
    assert found[r"%ProgramData%\Contoso\Web"].severity is Severity.HIGH
    assert result.errors == []


def test_broken_applicationhost_is_still_read_line_by_line(tmp_path: Path) -> None:
    broken = apphost(VDIRS).replace(b"</sites>", b"</site>", 1)
    result = run([config(tmp_path, APPHOST, broken)])
    assert any("not well-formed" in e.message and e.line for e in result.errors)
    paths = {f.detail("physical_path") for f in result.findings if f.rule_id == "EXH-IIS-VDIR-SUSPICIOUS-PATH"}
    assert r"C:\ProgramData\COM1" in paths


def test_entity_expansion_is_refused(tmp_path: Path) -> None:
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE configuration [\n<!ENTITY a "aaaaaaaaaa">\n'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
        b"<configuration>&c;</configuration>\n"
    )
    with pytest.raises(XmlRefused, match="DOCTYPE"):
        parse_xml(bomb)
    with pytest.raises(XmlRefused, match="DOCTYPE"):
        parse_xml(b'<!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>')
    with pytest.raises(XmlRefused, match="not well-formed"):
        parse_xml(b'<!ENTITY x SYSTEM "file:///etc/passwd"><a/>')
    result = run([config(tmp_path, APPHOST, bomb)])
    assert any("DOCTYPE" in e.message for e in result.errors)


def test_utf16_config_with_bom(tmp_path: Path) -> None:
    text = apphost(VDIRS).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    result = run([config(tmp_path, APPHOST, b"\xff\xfe" + text.encode("utf-16-le"))])
    assert result.errors == []
    assert sum(f.rule_id == "EXH-IIS-VDIR-SUSPICIOUS-PATH" for f in result.findings) == 4


# ---------------------------------------------------------------------------------- mitigations


def test_eomtv2_effective_in_the_default_web_site(tmp_path: Path) -> None:
    site = config(tmp_path, SITE_WEB_CONFIG, web_config(eomtv2()))
    result = run([config(tmp_path, APPHOST, apphost()), site])
    value, source = mitigation(result, "EOMTv2")
    assert value == "EOMTv2: effective" and source == site.rel_path
    assert mitigation(result, "EOMT")[0] == "EOMT: absent"
    finding = next(f for f in result.findings if f.detail("mitigation") == "EOMTv2")
    assert finding.evidence.line == 6 and "PowerShell - inbound" in (finding.evidence.excerpt or "")


def test_eomtv2_as_the_emergency_mitigation_service_writes_it(tmp_path: Path) -> None:
    rule = eomtv2().replace("PowerShell - inbound", "EEMS M1.1 PowerShell - inbound")
    result = run([config(tmp_path, APPHOST, apphost(site_rules=rule))])
    assert mitigation(result, "EOMTv2")[0] == "EOMTv2: effective"


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        (eomtv2(attrs='stopProcessing="true" patternSyntax="Wildcard"'), "Wildcard"),
        (eomtv2(action="Rewrite"), "not AbortRequest or CustomResponse"),
        (eomtv2(attrs='stopProcessing="true" enabled="false"'), "disabled"),
        (eomtv2(input="{REQUEST_URI}"), "URL-decoded"),
        (eomtv2(pattern=r".*autodiscover\.json.*\@.*Powershell.*", input="{REQUEST_URI}"), "first published"),
        (eomtv2(pattern="(?=.*autodiscover)(?=.*powershell)(?=.*x)"), "its pattern is"),
        (eomtv2(cond='ignoreCase="false"'), "case-sensitive"),
        (eomtv2(cond='negate="true"'), "negated"),
        (eomtv2(url="^powershell"), "matches url"),
        (eomtv2(attrs="") + EOMT_RULES, "stopProcessing is off"),
    ],
    ids=[
        "wildcard",
        "rewrite-action",
        "disabled",
        "raw-uri",
        "first-pattern",
        "other-pattern",
        "case",
        "negated",
        "url",
        "no-stop",
    ],
)
def test_eomtv2_present_but_ineffective(tmp_path: Path, rule: str, why: str) -> None:
    result = run([config(tmp_path, APPHOST, apphost()), config(tmp_path, SITE_WEB_CONFIG, web_config(rule))])
    value, _ = mitigation(result, "EOMTv2")
    assert value.startswith("EOMTv2: present-but-ineffective (") and why in value


def test_only_rule_needs_no_stop_processing(tmp_path: Path) -> None:
    result = run([config(tmp_path, SITE_WEB_CONFIG, web_config(eomtv2(attrs="")))])
    assert mitigation(result, "EOMTv2")[0] == "EOMTv2: effective"


@pytest.mark.parametrize("undo", ["<clear />", '<remove name="PowerShell - inbound" />'])
def test_child_httpproxy_config_undoes_the_rule(tmp_path: Path, undo: str) -> None:
    child = config(tmp_path, AUTODISCOVER_WEB_CONFIG, web_config(undo))
    site = config(tmp_path, SITE_WEB_CONFIG, web_config(eomtv2()))
    result = run([config(tmp_path, APPHOST, apphost()), site, child])
    value, _ = mitigation(result, "EOMTv2")
    assert "present-but-ineffective" in value and child.rel_path in value


def test_child_removing_another_rule_changes_nothing(tmp_path: Path) -> None:
    child = config(tmp_path, AUTODISCOVER_WEB_CONFIG, web_config('<remove name="Something else" />'))
    result = run([config(tmp_path, SITE_WEB_CONFIG, web_config(eomtv2())), child])
    assert mitigation(result, "EOMTv2")[0] == "EOMTv2: effective"


def test_rules_without_the_rewrite_module(tmp_path: Path) -> None:
    result = run(
        [
            config(tmp_path, APPHOST, apphost(rewrite_module=False)),
            config(tmp_path, SITE_WEB_CONFIG, web_config(eomtv2() + EOMT_RULES)),
        ]
    )
    for name in ("EOMT", "EOMTv2"):
        assert "URL Rewrite module is not installed" in mitigation(result, name)[0]


def test_eomt_cookie_rules(tmp_path: Path) -> None:
    both = run([config(tmp_path, APPHOST, apphost(site_rules=EOMT_RULES))])
    assert mitigation(both, "EOMT")[0] == "EOMT: effective"
    assert mitigation(both, "EOMTv2")[0] == "EOMTv2: absent"
    one = EOMT_RULES[EOMT_RULES.index('                <rule name="X-BEResource') :]
    half = run([config(tmp_path, APPHOST, apphost(site_rules=one))])
    assert "X-AnonResource-Backend rule is missing" in mitigation(half, "EOMT")[0]
    edited = EOMT_RULES.replace("(.*)X-BEResource=(.+)/(.+)~(.+)", "X-BEResource=localhost")
    wrong = run([config(tmp_path, APPHOST, apphost(site_rules=edited))])
    assert "X-BEResource rule: its pattern is" in mitigation(wrong, "EOMT")[0]


def test_rule_in_a_single_application_only(tmp_path: Path) -> None:
    child = config(tmp_path, AUTODISCOVER_WEB_CONFIG, web_config(eomtv2()))
    result = run([config(tmp_path, APPHOST, apphost()), child])
    value, source = mitigation(result, "EOMTv2")
    assert "a single application" in value and source.endswith("autodiscover/web.config")


def test_broken_site_config_makes_its_rules_ineffective(tmp_path: Path) -> None:
    broken = web_config(eomtv2()).replace(b"</rewrite>", b"<rewrite>")
    result = run([config(tmp_path, APPHOST, apphost()), config(tmp_path, SITE_WEB_CONFIG, broken)])
    value, _ = mitigation(result, "EOMTv2")
    assert "not well-formed XML" in value and "IIS cannot load it" in value


def test_nothing_said_without_front_end_configuration(tmp_path: Path) -> None:
    assert run([]).observations == []
    app = config(tmp_path, r"D:\Sites\Intranet\web.config", web_config())
    result = run([app])
    assert result.observations == [] and result.findings == []


def test_benign_exchange_configs_as_one_host(shared_data: Path) -> None:
    folder = shared_data / "benign" / "css-exchange-iis"
    files = [
        EvidenceFile(FileRef(str(p)), p.name, ArtefactKind.IIS_CONFIG, p.stat().st_size)
        for p in sorted(folder.iterdir())
    ]
    result = run(files)
    # The one set of modules outside IIS's, Windows' and Exchange's folders is the test fixture
    # of HealthChecker's module-signature check: three DLLs in C:\Temp.
    grave = [(f.rule_id, f.detail("module")) for f in result.findings if f.severity.rank >= Severity.MEDIUM.rank]
    assert sorted(grave) == [
        ("EXH-IIS-MODULE-PATH", "Test-SignedBy3rdParty"),
        ("EXH-IIS-MODULE-PATH", "Test-Unsigned"),
        ("EXH-IIS-MODULE-PATH", "Test-UnsignedInvalid"),
    ]
    values = {o.value.split(" (")[0] for o in result.observations}
    # the only EEMS rules of the set sit in a web.config that is not well-formed
    assert values == {"EOMT: absent", "EOMTv2: present-but-ineffective"}
    bad = {p.name for p in folder.iterdir() if "BadApplicationHost" in p.name}
    assert bad and bad <= {e.path for e in result.errors}


def test_site_root_found_where_applicationhost_puts_it(tmp_path: Path) -> None:
    # The Default Web Site on another drive: its web.config is the site root, not a child.
    moved = apphost().replace(b"%SystemDrive%\\inetpub\\wwwroot", b"E:\\Web\\Default")
    site = config(tmp_path, r"E:\Web\Default\web.config", web_config(eomtv2()))
    result = run([config(tmp_path, APPHOST, moved), site])
    assert mitigation(result, "EOMTv2") == ("EOMTv2: effective", site.rel_path)


def test_global_rules_count_for_the_whole_server(tmp_path: Path) -> None:
    rules = b"<rewrite><globalRules>" + eomtv2().encode() + b"</globalRules></rewrite>"
    text = apphost().replace(b"</globalModules>", b"</globalModules>" + rules)
    result = run([config(tmp_path, APPHOST, text)])
    assert mitigation(result, "EOMTv2")[0] == "EOMTv2: effective"
