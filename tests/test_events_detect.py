"""Event detectors on small realistic exports, in the flat (OTRF/NXLog) and ECS (Winlogbeat) shapes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, Finding, Implies, Severity, UnitResult
from exhunt.rules import catalog

SYSMON = ("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon")
SECURITY = ("Security", "Microsoft-Windows-Security-Auditing")
MANAGEMENT = ("MSExchange Management", "MSExchange CmdletLogs")
APPLICATION_UM = ("Application", "MSExchange Unified Messaging")
POWERSHELL = ("Microsoft-Windows-PowerShell/Operational", "Microsoft-Windows-PowerShell")
EXCHANGE_POOL = (
    'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "MSExchangeECPAppPool" -v "v4.0" -c '
    '"C:\\Program Files\\Microsoft\\Exchange Server\\V15\\bin\\GenericAppPoolConfig.config"'
)
DEFAULT_POOL = 'c:\\windows\\system32\\inetsrv\\w3wp.exe -ap "DefaultAppPool" -v "v4.0"'
W3WP = "C:\\Windows\\System32\\inetsrv\\w3wp.exe"
WEB = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\"


def flat(source: tuple[str, str], event_id: int, record: int = 1, level: int = 4, **fields: str) -> dict[str, Any]:
    return {
        "Channel": source[0],
        "SourceName": source[1],
        "EventID": event_id,
        "Level": str(level),
        "Hostname": "EX01.corp.example",
        "TimeCreated": "2022-10-03T08:15:00.250Z",
        "RecordNumber": record,
        **fields,
    }


def ecs(
    source: tuple[str, str],
    event_id: int,
    record: int = 1,
    level: str = "information",
    message: str = "",
    **fields: str,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": "2022-10-03T08:15:00.250Z",
        "host": {"name": "ex01"},
        "log": {"level": level},
        "winlog": {
            "channel": source[0],
            "provider_name": source[1],
            "event_id": event_id,
            "record_id": record,
            "computer_name": "EX01.corp.example",
            "event_data": fields,
        },
    }
    if message:
        doc["message"] = message
    return doc


def hunt(tmp_path: Path, *docs: dict[str, Any], name: str = "export.jsonl") -> UnitResult:
    path = tmp_path / name
    path.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    file = EvidenceFile(FileRef(str(path)), f"EX01/{name}", ArtefactKind.EVENT_JSON, path.stat().st_size)
    result = registry()["events"].analyze(file, HostContext("EX01", None, HuntOptions()))
    assert result.errors == []
    return result


def ids(result: UnitResult) -> list[str]:
    return [f.rule_id for f in result.findings]


def only(result: UnitResult, rule_id: str) -> Finding:
    found = [f for f in result.findings if f.rule_id == rule_id]
    assert len(found) == 1, ids(result)
    return found[0]


def process(parent: str, parent_cl: str, image: str, command_line: str, record: int = 1) -> dict[str, Any]:
    return flat(
        SYSMON,
        1,
        record,
        Image=image,
        CommandLine=command_line,
        ParentImage=parent,
        ParentCommandLine=parent_cl,
        User="NT AUTHORITY\\SYSTEM",
        ProcessId="4242",
        ParentProcessId="10844",
    )


# --- MSExchange Management ---------------------------------------------------------------------

OAB_SCRIPT = (
    'Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "http://f/<script '
    'language="JScript" runat="server">function Page_Load(){eval(Request["k"],"unsafe");}</script>" '
    '-Identity "OAB (Default Web Site)".'
)


def test_oab_url_with_script_flat_and_ecs(tmp_path: Path) -> None:
    result = hunt(tmp_path, flat(MANAGEMENT, 1, 10, Message=OAB_SCRIPT), ecs(MANAGEMENT, 1, 11, message=OAB_SCRIPT))
    assert ids(result) == ["EXH-EVT-VDIR-URL-SCRIPT"] * 2
    finding = result.findings[0]
    assert finding.severity is Severity.CRITICAL and finding.implies is Implies.COMPROMISE
    assert finding.cves == ("CVE-2021-26855", "CVE-2021-27065") and finding.chain == "ProxyLogon"
    assert finding.timestamp == datetime(2022, 10, 3, 8, 15, 0, 250000, tzinfo=UTC)
    assert (finding.evidence.path, finding.evidence.line, finding.evidence.record) == (
        "EX01/export.jsonl",
        1,
        "10",
    )
    assert finding.evidence.excerpt.startswith(
        "MSExchange Management 1: parameter: -ExternalUrl | url: http://f/<script"
    )
    assert finding.detail("cmdlet") == "Set-OabVirtualDirectory"
    assert finding.detail("identity") == "OAB (Default Web Site)"
    assert finding.detail("outcome") == "succeeded"
    assert result.findings[1].evidence.line == 2 and result.findings[1].evidence.record == "11"


def test_failed_vdir_script_is_an_attempt_and_plain_urls_are_fine(tmp_path: Path) -> None:
    failed = OAB_SCRIPT.replace("Cmdlet suceeded.", "Cmdlet failed.")
    plain = (
        "Cmdlet suceeded. Cmdlet Set-OabVirtualDirectory, parameters -ExternalUrl "
        '"https://mail.example.com/OAB" -Identity "OAB (Default Web Site)".'
    )
    result = hunt(tmp_path, flat(MANAGEMENT, 6, level=2, Message=failed), flat(MANAGEMENT, 1, Message=plain))
    finding = only(result, "EXH-EVT-VDIR-URL-SCRIPT")
    assert finding.severity is Severity.HIGH and finding.implies is Implies.ATTEMPT
    assert finding.detail("outcome") == "failed"


def winlogbeat_cmdlet(cmdlet: str, parameters: str, event_id: int = 1, record: int = 1) -> dict[str, Any]:
    """How Winlogbeat writes an MSExchange Management event: unnamed data as param1, param2..."""
    return ecs(
        MANAGEMENT,
        event_id,
        record,
        param1=cmdlet,
        param2=parameters,
        param3="corp.example/Users/Administrator",
        param4="S-1-5-21-1-2-3-500",
        param6="Remote-PowerShell-Unknown",
        param7="5532 w3wp#MSExchangePowerShellAppPool",
    )


def test_proxyshell_cmdlet_sequence(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        winlogbeat_cmdlet("New-ManagementRoleAssignment", '-Role "Mailbox Import Export" -User "administrator"'),
        winlogbeat_cmdlet(
            "New-MailboxExportRequest",
            "-Mailbox 'administrator@example.com' -FilePath "
            "'\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\ojsrk.aspx' "
            "-IncludeFolders ('#Drafts#') -ContentFilter 'Subject -eq ''ojsrk'''",
        ),
        winlogbeat_cmdlet("Remove-MailboxExportRequest", '-Identity "administrator\\MailboxExport" -Confirm "False"'),
        winlogbeat_cmdlet(
            "New-ExchangeCertificate",
            "-GenerateRequest 'True' -RequestFile '\\\\127.0.0.1\\c$\\Program Files\\Microsoft\\"
            "Exchange Server\\V15\\FrontEnd\\HttpProxy\\ecp\\auth\\blank.aspx' -BinaryEncoded 'True'",
        ),
        winlogbeat_cmdlet("New-MailboxExportRequest", "-Mailbox 'ceo' -FilePath '\\\\fs01\\legal\\ceo.pst'"),
        winlogbeat_cmdlet("New-ExchangeCertificate", "-GenerateRequest 'True' -RequestFile 'C:\\certs\\req.txt'"),
        winlogbeat_cmdlet("Get-Mailbox", "-Identity 'ceo'"),
    )
    assert ids(result) == [
        "EXH-EVT-IMPORT-EXPORT-ROLE",
        "EXH-EVT-MAILBOX-EXPORT-WEB",
        "EXH-EVT-EXPORT-REQUEST-REMOVED",
        "EXH-EVT-CERT-REQUEST-WEB",
        "EXH-EVT-MAILBOX-EXPORT",
    ]
    role, export, _removed, cert, plain = result.findings
    assert role.detail("role") == "Mailbox Import Export" and role.detail("user") == "administrator"
    assert role.detail("caller") == "corp.example/Users/Administrator"
    assert role.detail("origin") == "Remote-PowerShell-Unknown"
    assert export.severity is Severity.CRITICAL and export.chain == "ProxyShell"
    assert export.detail("file_path") == "\\\\localhost\\c$\\inetpub\\wwwroot\\aspnet_client\\ojsrk.aspx"
    assert export.detail("mailbox") == "administrator@example.com"
    assert cert.implies is Implies.COMPROMISE and cert.detail("request_file").endswith("blank.aspx")
    assert plain.severity is Severity.MEDIUM and plain.detail("file_path") == "\\\\fs01\\legal\\ceo.pst"


def test_transport_agent_reported_even_when_failed(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        winlogbeat_cmdlet(
            "Install-TransportAgent",
            '-Name "Evil" -AssemblyPath "C:\\ProgramData\\a.dll" -TransportAgentFactory "F"',
            event_id=6,
        ),
    )
    finding = only(result, "EXH-EVT-TRANSPORT-AGENT")
    assert finding.category == "persistence" and finding.severity is Severity.HIGH
    assert (finding.detail("agent"), finding.detail("assembly_path"), finding.detail("outcome")) == (
        "Evil",
        "C:\\ProgramData\\a.dll",
        "failed",
    )


# --- Process creation ----------------------------------------------------------------------------


def test_china_chopper_from_exchange_pool(tmp_path: Path) -> None:
    chopper = 'cmd.exe /c cd /d "C:\\inetpub\\wwwroot\\aspnet_client\\"&whoami&echo [S]&cd&echo [E]'
    result = hunt(tmp_path, process(W3WP, EXCHANGE_POOL, "C:\\Windows\\System32\\cmd.exe", chopper))
    assert sorted(ids(result)) == ["EXH-EVT-CHOPPER-CMD", "EXH-EVT-W3WP-SHELL"]
    shell = only(result, "EXH-EVT-W3WP-SHELL")
    assert shell.severity is Severity.CRITICAL and shell.implies is Implies.COMPROMISE
    assert shell.detail("app_pool") == "MSExchangeECPAppPool"
    assert shell.detail("command_line") == chopper and shell.detail("parent_image") == W3WP
    assert only(result, "EXH-EVT-CHOPPER-CMD").detail("matched") == "&cd&echo, &whoami&echo, &echo [s], &echo [e]"


def test_w3wp_children_graded(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        process(
            W3WP,
            DEFAULT_POOL,
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "powershell -enc AA",
        ),
        process(
            W3WP,
            EXCHANGE_POOL,
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\csc.exe",
            "csc /noconfig",
        ),
        process(W3WP, EXCHANGE_POOL, "C:\\ProgramData\\svchost.exe", "C:\\ProgramData\\svchost.exe"),
        flat(
            SECURITY,
            4688,
            NewProcessName="C:\\Windows\\System32\\cmd.exe",
            CommandLine="cmd /c whoami",
            ParentProcessName=W3WP,
            SubjectUserName="EX01$",
            SubjectDomainName="CORP",
            TargetUserName="-",
        ),
    )
    assert ids(result) == ["EXH-EVT-W3WP-SHELL", "EXH-EVT-W3WP-CHILD", "EXH-EVT-W3WP-SHELL"]
    other_pool, unexpected, security = result.findings
    assert other_pool.severity is Severity.HIGH and other_pool.detail("app_pool") == "DefaultAppPool"
    assert unexpected.severity is Severity.MEDIUM and unexpected.implies is Implies.SUSPICIOUS
    # Security 4688 has no parent command line: the pool is unknown, so the worst case holds
    assert security.severity is Severity.CRITICAL and security.detail("user") == "CORP\\EX01$"
    assert security.evidence.excerpt.startswith("Security 4688: command_line: cmd /c whoami")


def test_unified_messaging_children(tmp_path: Path) -> None:
    um = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe"
    result = hunt(
        tmp_path,
        process(um, um, "C:\\Windows\\System32\\cmd.exe", "cmd /c whoami > c:\\programdata\\w.txt"),
        process(um, um, "C:\\Windows\\System32\\WerFault.exe", "WerFault.exe -u -p 4242"),
        process("C:\\x\\UMService.exe", "UMService.exe", um, "UMWorkerProcess.exe -pipe:1"),
    )
    finding = only(result, "EXH-EVT-26857-UM-CHILD")
    assert finding.cves == ("CVE-2021-26857",) and finding.implies is Implies.COMPROMISE
    assert result.suppressed == {
        ("EXH-EVT-26857-UM-CHILD", "Windows Error Reporting started by a Unified Messaging process"): 1
    }


@pytest.mark.parametrize(
    ("command_line", "rule_id", "implies"),
    [
        (
            "rundll32.exe C:\\Windows\\System32\\comsvcs.dll MiniDump 624 C:\\inetpub\\wwwroot\\a.dmp full",
            "EXH-EVT-COMSVCS-MINIDUMP",
            Implies.COMPROMISE,
        ),
        (
            "rundll32 comsvcs.dll, #24 624 c:\\windows\\temp\\x.bin full",
            "EXH-EVT-COMSVCS-MINIDUMP",
            Implies.COMPROMISE,
        ),
        (
            "procdump64.exe -accepteula -ma lsass.exe C:\\windows\\temp\\lsass.dmp",
            "EXH-EVT-LSASS-DUMP-TOOL",
            Implies.COMPROMISE,
        ),
        (
            "C:\\ProgramData\\7z.exe a -t7z C:\\ProgramData\\it.zip C:\\ProgramData\\pst\\*",
            "EXH-EVT-STAGING-ARCHIVE",
            Implies.SUSPICIOUS,
        ),
        (
            "7za.exe a c:\\programdata\\d.7z c:\\windows\\temp\\lsass.dmp",
            "EXH-EVT-STAGING-ARCHIVE",
            Implies.COMPROMISE,
        ),
        (
            'powershell -c "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Get-Mailbox"',
            "EXH-EVT-EXCHANGE-SNAPIN",
            Implies.SUSPICIOUS,
        ),
        (
            "attrib +h +s +r C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx",
            "EXH-EVT-ASPX-HIDDEN",
            Implies.COMPROMISE,
        ),
        (
            'schtasks /create /tn "VSPerfMon" /tr "C:\\ProgramData\\VSPerfMon\\vsperfmon.exe"',
            "EXH-EVT-HAFNIUM-TTP",
            Implies.COMPROMISE,
        ),
    ],
)
def test_hafnium_tradecraft(tmp_path: Path, command_line: str, rule_id: str, implies: Implies) -> None:
    result = hunt(tmp_path, process("C:\\Windows\\System32\\cmd.exe", "cmd.exe", "C:\\x\\tool.exe", command_line))
    finding = only(result, rule_id)
    assert ids(result) == [rule_id]
    assert finding.implies is implies and finding.detail("command_line") == command_line


def test_exchange_setup_snapin_is_suppressed_and_plain_commands_pass(tmp_path: Path) -> None:
    setup = (
        'powershell.exe -command "Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; '
        '$exserver=Get-ExchangeServer ([Environment]::MachineName)"'
    )
    result = hunt(
        tmp_path,
        process("C:\\Windows\\System32\\msiexec.exe", "msiexec /V", "C:\\x\\powershell.exe", setup),
        process(
            "C:\\Windows\\explorer.exe",
            "explorer",
            "C:\\Windows\\System32\\cmd.exe",
            "cmd /c dir & echo done",
        ),
        process("C:\\Windows\\explorer.exe", "explorer", "C:\\x\\7z.exe", "7z a backup.7z C:\\Users\\bob\\docs"),
    )
    assert ids(result) == []
    assert result.suppressed == {("EXH-EVT-EXCHANGE-SNAPIN", "Exchange setup loading its own snap-in"): 1}


def test_script_block_dumping_lsass(tmp_path: Path) -> None:
    script = (
        "$p = Get-Process lsass; $m = $WER.GetMethod('MiniDumpWriteDump', $f); "
        "$m.Invoke($null, @($p.Handle, $p.Id, $fs.SafeFileHandle, [UInt32] 2, 0, 0, 0))"
    )
    result = hunt(tmp_path, ecs(POWERSHELL, 4104, ScriptBlockText=script, ScriptBlockId="abc", Path=""))
    finding = only(result, "EXH-EVT-LSASS-DUMP-TOOL")
    assert finding.detail("matched") == "minidumpwritedump + lsass"
    assert finding.evidence.excerpt.startswith("Microsoft-Windows-PowerShell/Operational 4104: matched:")


# --- File creation --------------------------------------------------------------------------------


def created(image: str, target: str, record: int = 1) -> dict[str, Any]:
    return flat(
        SYSMON,
        11,
        record,
        Image=image,
        TargetFilename=target,
        ProcessId="4",
        CreationUtcTime="2022-10-03 08:15:00.250",
    )


def test_web_shell_drops(tmp_path: Path) -> None:
    replication = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\MSExchangeMailboxReplication.exe"
    result = hunt(
        tmp_path,
        created("System", WEB + "ohyeah.aspx"),
        created(replication, "C:\\inetpub\\wwwroot\\aspnet_client\\ojsrk.aspx"),
        created(W3WP, "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Temporary ASP.NET Files\\owa\\x.dll"),
        created("C:\\Windows\\explorer.exe", WEB + "shell.aspx"),
        created("C:\\Windows\\System32\\msiexec.exe", WEB + "logon.aspx"),
        created("C:\\Windows\\System32\\robocopy.exe", WEB + "15.1.2375\\scripts\\premium\\x.aspx"),
        created("C:\\Windows\\System32\\robocopy.exe", WEB + "logoff.aspx"),
    )
    assert ids(result) == ["EXH-EVT-WEBSHELL-DROP", "EXH-EVT-WEBSHELL-DROP", "EXH-EVT-WEB-SCRIPT-WRITE"]
    drop = result.findings[0]
    assert drop.severity is Severity.CRITICAL and drop.implies is Implies.COMPROMISE
    assert drop.detail("target_file") == WEB + "ohyeah.aspx" and drop.detail("image") == "System"
    assert result.findings[2].severity is Severity.MEDIUM
    assert sum(result.suppressed.values()) == 3


def test_unified_messaging_file_writes(tmp_path: Path) -> None:
    um = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Bin\\UMWorkerProcess.exe"
    result = hunt(
        tmp_path,
        created(um, "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\UnifiedMessaging\\temp\\CacheCleanup.bin"),
        created(um, "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\Logging\\UMWorker\\a.LOG"),
        created(um, "C:\\ProgramData\\update.exe"),
        created(um, "C:\\Users\\Public\\x.aspx"),
        created(um, WEB + "x.aspx"),
    )
    assert ids(result) == ["EXH-EVT-26858-UM-FILE", "EXH-EVT-26858-UM-FILE", "EXH-EVT-WEBSHELL-DROP"]
    binary, page, _drop = result.findings
    assert binary.severity is Severity.HIGH and binary.implies is Implies.SUSPICIOUS
    assert page.severity is Severity.CRITICAL and page.implies is Implies.COMPROMISE


def test_dump_files_and_agent_config(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        created("C:\\Windows\\System32\\Taskmgr.exe", "C:\\Users\\adm\\AppData\\Local\\Temp\\lsass (4).DMP"),
        created("C:\\Windows\\System32\\rundll32.exe", "C:\\Windows\\Temp\\76nivOxA.dmp"),
        created("C:\\Windows\\System32\\WerFault.exe", "C:\\ProgramData\\Microsoft\\Windows\\WER\\app.dmp"),
        created("C:\\x\\notepad.exe", "D:\\Exchange\\TransportRoles\\Shared\\agents.config"),
    )
    assert ids(result) == [
        "EXH-EVT-LSASS-DUMP-FILE",
        "EXH-EVT-LSASS-DUMP-FILE",
        "EXH-EVT-TRANSPORT-AGENT-CONFIG",
    ]
    assert [f.implies for f in result.findings[:2]] == [Implies.COMPROMISE, Implies.SUSPICIOUS]


# --- LSASS access ---------------------------------------------------------------------------------


def lsass_access(source: str, granted: str, trace: str = "C:\\Windows\\SYSTEM32\\ntdll.dll+9fc24") -> dict[str, Any]:
    return flat(
        SYSMON,
        10,
        SourceImage=source,
        TargetImage="C:\\Windows\\system32\\lsass.exe",
        GrantedAccess=granted,
        CallTrace=trace,
        SourceProcessId="77",
    )


def test_sysmon_lsass_access(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        lsass_access("C:\\x\\tool.exe", "0x1fffff", "C:\\Windows\\SYSTEM32\\dbgcore.DLL+9247|x"),
        lsass_access("C:\\x\\tool.exe", "0x1410"),
        lsass_access("C:\\ProgramData\\Microsoft\\Windows Defender\\MsMpEng.exe", "0x1410"),
        lsass_access("C:\\Windows\\system32\\rundll32.exe", "0x1400"),
        flat(
            SYSMON,
            10,
            SourceImage="C:\\x\\tool.exe",
            TargetImage="C:\\Windows\\notepad.exe",
            GrantedAccess="0x1fffff",
            CallTrace="dbghelp.dll",
        ),
    )
    assert ids(result) == ["EXH-EVT-LSASS-ACCESS"] * 2
    dump, mask_only = result.findings
    assert dump.severity is Severity.HIGH and dump.detail("dump_library") == "dbgcore.dll"
    assert mask_only.severity is Severity.MEDIUM and mask_only.implies is Implies.SUSPICIOUS
    assert sum(result.suppressed.values()) == 1


def test_security_lsass_handles(tmp_path: Path) -> None:
    def handle(process: str, mask: str, event_id: int = 4656) -> dict[str, Any]:
        return flat(
            SECURITY,
            event_id,
            ObjectType="Process",
            AccessMask=mask,
            ProcessName=process,
            ObjectName="\\Device\\HarddiskVolume2\\Windows\\System32\\lsass.exe",
            SubjectUserName="admmig",
            SubjectDomainName="OFFSEC",
        )

    result = hunt(
        tmp_path,
        handle("C:\\Windows\\System32\\rundll32.exe", "0x1410"),
        handle("C:\\Tools\\odd.exe", "0x10", 4663),
        handle("C:\\Windows\\System32\\svchost.exe", "0x1410"),
        handle("C:\\Windows\\System32\\rundll32.exe", "0x1000"),
    )
    assert ids(result) == ["EXH-EVT-LSASS-HANDLE"] * 2
    vector, other = result.findings
    assert vector.severity is Severity.HIGH and vector.implies is Implies.COMPROMISE
    assert vector.detail("user") == "OFFSEC\\admmig"
    assert other.severity is Severity.MEDIUM and other.implies is Implies.SUSPICIOUS


# --- Application, Security, System ---------------------------------------------------------------

UM_ERROR = (
    "An unhandled exception occurred in a UM worker process: System.InvalidCastException: "
    "Unable to cast object of type 'System.Windows.Data.ObjectDataProvider'"
)


def test_cve_2021_26857_error(tmp_path: Path) -> None:
    result = hunt(
        tmp_path,
        flat(APPLICATION_UM, 1040, 5, level=2, Message=UM_ERROR),
        ecs(APPLICATION_UM, 1040, 6, level="error", message=UM_ERROR),
        flat(APPLICATION_UM, 1040, level=4, Message=UM_ERROR),
        flat(("Application", "MSExchange Front End HTTP Proxy"), 1003, level=2, Message=UM_ERROR),
        flat(APPLICATION_UM, 1040, level=2, Message="Some other failure"),
    )
    assert ids(result) == ["EXH-EVT-26857-UM-ERROR"] * 2
    assert result.findings[0].implies is Implies.ATTEMPT and result.findings[0].cves == ("CVE-2021-26857",)
    assert result.findings[0].detail("message") == UM_ERROR


def test_security_and_system_events(tmp_path: Path) -> None:
    eventlog = ("System", "Microsoft-Windows-Eventlog")
    result = hunt(
        tmp_path,
        flat(
            SECURITY,
            4648,
            ProcessName=W3WP,
            TargetUserName="Administrator",
            TargetDomainName="CORP",
            SubjectUserName="EX01$",
            SubjectDomainName="CORP",
            IpAddress="203.0.113.7",
            IpPort="51234",
        ),
        flat(SECURITY, 4648, ProcessName="C:\\Windows\\System32\\svchost.exe", TargetUserName="x"),
        flat(eventlog, 104, SubjectUserName="Administrator", SubjectDomainName="CORP", Channel="Application"),
        flat(("System", "Microsoft-Windows-Kernel-Power"), 104),
        flat(
            SECURITY,
            4732,
            TargetUserName="Exchange Windows Permissions",
            MemberName="CN=eve,DC=corp",
            SubjectUserName="admin",
            SubjectDomainName="CORP",
        ),
        flat(SECURITY, 4732, TargetUserName="Recipient Management", MemberName="CN=eve,DC=corp"),
        flat(SECURITY, 4732, TargetUserName="Backup Operators", MemberName="CN=eve,DC=corp"),
    )
    assert ids(result) == [
        "EXH-EVT-W3WP-EXPLICIT-LOGON",
        "EXH-EVT-LOG-CLEARED",
        "EXH-EVT-EXCHANGE-GROUP-ADD",
        "EXH-EVT-EXCHANGE-GROUP-ADD",
    ]
    explicit, cleared, strong, weak = result.findings
    assert explicit.source_ip == "203.0.113.7" and explicit.detail("target_user") == "CORP\\Administrator"
    assert cleared.detail("user") == "CORP\\Administrator"
    assert strong.severity is Severity.HIGH and weak.severity is Severity.MEDIUM


def test_every_event_rule_is_documented() -> None:
    rules = {rid: r for rid, r in catalog().items() if rid.startswith("EXH-EVT-")}
    assert len(rules) >= 25
    for rule in rules.values():
        assert len(rule.explanation) > 150, rule.id
        assert any(ref.startswith(("docs/", "https://")) for ref in rule.references), rule.id


def test_hostile_long_fields_stay_fast(tmp_path: Path) -> None:
    nasty = "attrib " * 9000 + ".aspx" + " +x" * 5000
    message = "Cmdlet " + "a" * 60000 + " Cmdlet Set-X, parameters " + " -Url" * 10000
    start = time.perf_counter()
    result = hunt(
        tmp_path,
        process(W3WP, "-ap " * 10000, "C:\\x\\cmd.exe", nasty),
        flat(MANAGEMENT, 1, Message=message),
        created("System", "C:\\inetpub\\" + "1.2.3\\" * 5000 + "x.aspx"),
    )
    assert time.perf_counter() - start < 2
    assert "EXH-EVT-W3WP-SHELL" in ids(result) and "EXH-EVT-ASPX-HIDDEN" not in ids(result)
    for finding in result.findings:
        assert len(finding.evidence.excerpt) <= 600
        assert all(len(value) <= 2000 for _, value in finding.details)
