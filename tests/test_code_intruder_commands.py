"""EXH-WS-CODE-CREDENTIAL-COMMAND and EXH-WS-CODE-PERSIST-COMMAND: a page whose fixed command line
(as folded) dumps credentials (comsvcs.dll MiniDump, ProcDump of LSASS, `reg save` of the SAM
hives, ntdsutil IFM, a shadow copy, esentutl, Mimikatz, IIS's passwords through appcmd,
web.config decrypted by aspnet_regiis) or plants a way back in and weakens defences (accounts,
administrators, scheduled tasks, services, Run keys, remote desktop, IIS modules, IIS logging,
the audit policy, Defender, Exchange transport agents, script in a virtual directory's URL, the
firewall, debuggers hung on accessibility tools, WDigest's clear-text passwords); beside
pages that run fixed tools for ordinary work (docs/detection/webshell-code.md, "Intruders'
command lines")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, medium_or_above, run, vb_page

CREDS = "EXH-WS-CODE-CREDENTIAL-COMMAND"
PERSIST = "EXH-WS-CODE-PERSIST-COMMAND"


def start(arguments: str, tool: str = "cmd.exe") -> str:
    return cs_page(f'System.Diagnostics.Process.Start("{tool}", "{arguments}");')


SHELLS = [
    (
        "comsvcs.aspx",
        cs_page(
            'int pid = System.Diagnostics.Process.GetProcessesByName("lsass")[0].Id;\n'
            'System.Diagnostics.Process.Start("rundll32.exe", "C:\\\\Windows\\\\System32\\\\comsvcs.dll, MiniDump " '
            '+ pid + " C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\x.dmp full");'
        ),
        CREDS,
        ["comsvcs.dll, MiniDump", "Process.Start"],
    ),
    (
        "procdump.aspx",
        start("/c procdump64.exe -accepteula -ma lsass.exe C:\\\\temp\\\\l.dmp"),
        CREDS,
        ["procdump64.exe"],
    ),
    (
        "hives.aspx",
        start("/c reg save HKLM\\\\SAM C:\\\\temp\\\\sam && reg save HKLM\\\\SYSTEM C:\\\\temp\\\\sys"),
        CREDS,
        ["reg save HKLM\\SAM"],
    ),
    ("ntds.aspx", start('/c ntdsutil \\"ac i ntds\\" ifm \\"create full c:\\\\temp\\" q q'), CREDS, ["ntdsutil"]),
    ("shadow.aspx", start("/c vssadmin create shadow /for=C:"), CREDS, ["vssadmin create shadow"]),
    (
        "mimikatz.aspx",
        cs_page(
            "var ps = System.Management.Automation.PowerShell.Create();\n"
            "ps.AddScript(\"Invoke-Mimikatz -Command 'sekurlsa::logonpasswords'\");\nps.Invoke();"
        ),
        CREDS,
        ["sekurlsa::logonpasswords", ".AddScript"],
    ),
    (
        "user.aspx",
        start("/c net user support P@ssw0rd1 /add && net localgroup administrators support /add"),
        PERSIST,
        ["net user support"],
    ),
    ("admins.aspx", start("/c net1 localgroup Administrators backup /add"), PERSIST, ["localgroup Administrators"]),
    (
        "task.aspx",
        start("/c schtasks /create /sc minute /tn upd /tr C:\\\\temp\\\\u.exe /ru SYSTEM"),
        PERSIST,
        ["schtasks /create"],
    ),
    (
        "service.aspx",
        start('/c sc create upd binPath= \\"C:\\\\temp\\\\u.exe\\" start= auto'),
        PERSIST,
        ["sc create upd binPath="],
    ),
    (
        "run-key.aspx",
        start(
            "/c reg add HKLM\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run /v u /d C:\\\\temp\\\\u.exe /f"
        ),
        PERSIST,
        ["CurrentVersion\\Run"],
    ),
    (
        "rdp.aspx",
        start(
            '/c reg add \\"HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Control\\\\Terminal Server\\" /v fDenyTSConnections /t REG_DWORD /d 0 /f'
        ),
        PERSIST,
        ["fDenyTSConnections"],
    ),
    (
        "defender.aspx",
        start(
            "-c Set-MpPreference -DisableRealtimeMonitoring $true; Add-MpPreference -ExclusionPath C:\\\\inetpub",
            "powershell.exe",
        ),
        PERSIST,
        ["Set-MpPreference -DisableRealtimeMonitoring"],
    ),
    (
        "iis-pools.aspx",
        start("/c %windir%\\\\system32\\\\inetsrv\\\\appcmd.exe list apppool /text:processModel.password"),
        CREDS,
        ["appcmd.exe list apppool /text:processModel.password"],
    ),
    ("iis-all.aspx", start("list vdir /text:*", "appcmd.exe"), CREDS, ["list vdir /text:*", "appcmd.exe"]),
    ("iis-config.aspx", start("/c appcmd list apppool /config"), CREDS, ["appcmd list apppool /config"]),
    (
        "regiis.aspx",
        start('-pdf \\"connectionStrings\\" C:\\\\inetpub\\\\wwwroot', "aspnet_regiis.exe"),
        CREDS,
        ["-pdf", "aspnet_regiis.exe"],
    ),
    ("wmic-shadow.aspx", start("/c wmic shadowcopy call create Volume=C:\\\\"), CREDS, ["wmic shadowcopy call create"]),
    (
        "esentutl.aspx",
        start("/c esentutl.exe /y /vss C:\\\\Windows\\\\NTDS\\\\ntds.dit /d C:\\\\temp\\\\n.dit"),
        CREDS,
        ["esentutl.exe /y /vss"],
    ),
    (
        "iis-module.aspx",
        start("/c appcmd install module /name:HttpCache /image:C:\\temp\\cache.dll"),
        PERSIST,
        ["appcmd install module"],
    ),
    (
        "ps-module.aspx",
        cs_page(
            "var ps = System.Management.Automation.PowerShell.Create();\n"
            'ps.AddScript("New-WebGlobalModule -Name Cache -Image C:\\\\temp\\\\c.dll");\nps.Invoke();'
        ),
        PERSIST,
        ["New-WebGlobalModule", ".AddScript"],
    ),
    (
        "no-iis-log.aspx",
        start('/c appcmd set config \\"Default Web Site\\" /section:httplogging /dontLog:true'),
        PERSIST,
        ["/section:httplogging /dontLog:true"],
    ),
    ("auditpol.aspx", start("/c auditpol /clear /y"), PERSIST, ["auditpol /clear"]),
    (
        "folded.vb.aspx",
        vb_page(
            'Dim t As String = "sch" & "tasks"\nShell("cmd.exe /c " & t & " /create /tn x /tr c:\\x.exe /sc onstart")'
        ),
        PERSIST,
        ["schtasks /create", "Shell"],
    ),
    (
        "transport-agent.aspx",
        cs_page(
            "var ps = System.Management.Automation.PowerShell.Create();\n"
            'ps.AddScript("Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn; Install-TransportAgent '
            "-Name Filter -TransportAgentFactory F.Factory -AssemblyPath C:\\\\ProgramData\\\\f.dll; "
            'Enable-TransportAgent Filter").Invoke();'
        ),
        PERSIST,
        ["Install-TransportAgent"],
    ),
    (
        "oab-url.aspx",
        start(
            "-c Set-OabVirtualDirectory -Identity 'OAB (Default Web Site)' -ExternalUrl "
            '\'http://f/<script language=\\"JScript\\" runat=\\"server\\">function Page_Load(){}\'',
            "powershell.exe",
        ),
        PERSIST,
        ["Set-OabVirtualDirectory", "-ExternalUrl"],
    ),
    ("firewall-off.aspx", start("advfirewall set allprofiles state off", "netsh.exe"), PERSIST, ["state off"]),
    ("firewall-opmode.aspx", start("/c netsh firewall set opmode disable"), PERSIST, ["set opmode disable"]),
    (
        "firewall-port.aspx",
        start("/c netsh advfirewall firewall add rule name=w dir=in action=allow protocol=TCP localport=4444"),
        PERSIST,
        ["add rule", "action=allow"],
    ),
    (
        "firewall-ps.aspx",
        start("-c Set-NetFirewallProfile -Profile Domain,Public,Private -Enabled False", "powershell.exe"),
        PERSIST,
        ["Set-NetFirewallProfile"],
    ),
    (
        "sticky-keys.aspx",
        start(
            '/c reg add \\"HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows NT\\\\CurrentVersion\\\\Image File Execution '
            'Options\\\\sethc.exe\\" /v Debugger /t REG_SZ /d cmd.exe /f'
        ),
        PERSIST,
        ["Image File Execution Options", "Debugger"],
    ),
    (
        "utilman.aspx",
        cs_page('System.IO.File.Copy(@"C:\\Windows\\System32\\cmd.exe", @"C:\\Windows\\System32\\utilman.exe", true);'),
        PERSIST,
        ["utilman.exe", "File.Copy"],
    ),
    (
        "wdigest.aspx",
        start(
            "/c reg add HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Control\\\\SecurityProviders\\\\WDigest "
            "/v UseLogonCredential /t REG_DWORD /d 1 /f"
        ),
        PERSIST,
        ["UseLogonCredential"],
    ),
    (
        "wdigest-api.aspx",
        cs_page(
            "Microsoft.Win32.Registry.SetValue("
            '@"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest", '
            '"UseLogonCredential", 1);'
        ),
        PERSIST,
        ["UseLogonCredential", "Registry.SetValue"],
    ),
    (
        "run-key-api.aspx",
        cs_page(
            "Microsoft.Win32.Registry.SetValue("
            '@"HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "upd", @"C:\\temp\\u.exe");'
        ),
        PERSIST,
        ["CurrentVersion\\Run", "Registry.SetValue"],
    ),
    (
        "run-key-created.aspx",
        cs_page(
            "Microsoft.Win32.Registry.CurrentUser.CreateSubKey("
            '@"Software\\Microsoft\\Windows\\CurrentVersion\\Run").SetValue("upd", @"C:\\temp\\u.exe");'
        ),
        PERSIST,
        ["CurrentVersion\\Run"],
    ),
    (
        "run-key-opened.aspx",
        cs_page(
            "var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey("
            '@"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", true);\n'
            'k.SetValue("upd", @"C:\\temp\\u.exe");'
        ),
        PERSIST,
        ["HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", ".SetValue"],
    ),
    (  # the 64-bit view, as 64-bit-aware code opens it, through a variable
        "run-key-base.aspx",
        cs_page(
            "var hive = Microsoft.Win32.RegistryKey.OpenBaseKey(Microsoft.Win32.RegistryHive.LocalMachine, "
            "Microsoft.Win32.RegistryView.Registry64);\n"
            'using (var k = hive.OpenSubKey(@"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", true))\n'
            '    k.SetValue("upd", @"C:\\temp\\u.exe");'
        ),
        PERSIST,
        ["HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"],
    ),
    (
        "sticky-keys-api.aspx",
        cs_page(
            "Microsoft.Win32.Registry.LocalMachine.CreateSubKey("
            '@"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe")'
            '.SetValue("Debugger", @"C:\\Windows\\System32\\cmd.exe");'
        ),
        PERSIST,
        ["Image File Execution Options", "Debugger"],
    ),
    (
        "wdigest-opened.aspx",
        cs_page(
            "Microsoft.Win32.Registry.LocalMachine.OpenSubKey("
            '@"SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\WDigest", '
            "Microsoft.Win32.RegistryKeyPermissionCheck.ReadWriteSubTree)"
            '.SetValue("UseLogonCredential", 1, Microsoft.Win32.RegistryValueKind.DWord);'
        ),
        PERSIST,
        ["UseLogonCredential"],
    ),
    (
        "run-key-ps.aspx",
        start(
            "-c New-ItemProperty -Path HKLM:\\\\Software\\\\Wow6432Node\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run "
            "-Name u -Value C:\\\\temp\\\\u.exe",
            "powershell.exe",
        ),
        PERSIST,
        ["New-ItemProperty"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_intruders_command_lines_are_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    ("ping.aspx", start("/c ping -n 1 127.0.0.1")),
    ("tasks.aspx", start("/c schtasks /query /fo csv")),
    ("users.aspx", start("/c net user")),
    ("reg-query.aspx", start("/c reg query HKLM\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run")),
    ("sc-query.aspx", start("/c sc query w3svc")),
    ("iis-sites.aspx", start("/c appcmd list site")),
    ("iis-pool-state.aspx", start("list apppool /state:Started", "appcmd.exe")),
    ("iis-modules.aspx", start("/c appcmd list module")),
    ("iis-log-on.aspx", start("/c appcmd set config /section:httplogging /dontLog:false")),
    ("regiis-encrypt.aspx", start('-pef \\"connectionStrings\\" C:\\\\inetpub\\\\wwwroot', "aspnet_regiis.exe")),
    ("auditpol-get.aspx", start("/c auditpol /get /category:*")),
    ("wmic-os.aspx", start("/c wmic os get caption")),
    ("agents.aspx", start("-c Get-TransportAgent | Format-List", "powershell.exe")),
    (
        "oab-url-plain.aspx",
        start(
            "-c Set-OabVirtualDirectory -Identity 'OAB (Default Web Site)' -ExternalUrl https://mail.example.org/OAB",
            "powershell.exe",
        ),
    ),
    (
        "text.aspx",
        cs_page('Response.Write("Run schtasks /create to schedule the export; never reg save HKLM\\\\SAM.");'),
    ),
    ("firewall-show.aspx", start("/c netsh advfirewall show allprofiles")),
    ("firewall-on.aspx", start("/c netsh advfirewall set allprofiles state on")),
    (
        "firewall-block.aspx",
        start("/c netsh advfirewall firewall add rule name=b dir=in action=block remoteip=10.0.0.9"),
    ),
    (
        "wdigest-query.aspx",
        start("/c reg query HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Control\\\\SecurityProviders\\\\WDigest"),
    ),
    (
        "run-key-read.aspx",
        cs_page(
            "var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey("
            '@"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run");\nResponse.Write(k.GetValue("upd"));'
        ),
    ),
    ("copy.aspx", cs_page('System.IO.File.Copy(Server.MapPath("~/a.txt"), Server.MapPath("~/b.txt"), true);')),
    (  # the site's own key in the 64-bit view
        "own-key-base.aspx",
        cs_page(
            "var hive = Microsoft.Win32.RegistryKey.OpenBaseKey(Microsoft.Win32.RegistryHive.LocalMachine, "
            "Microsoft.Win32.RegistryView.Registry64);\n"
            'hive.OpenSubKey(@"SOFTWARE\\Contoso\\Portal", true).SetValue("LastRun", "now");'
        ),
    ),
    (  # the site's own settings key, opened for writing
        "own-key.aspx",
        cs_page(
            'var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(@"SOFTWARE\\Contoso\\Portal", true);\n'
            'k.SetValue("LastRun", DateTime.Now.ToString());'
        ),
    ),
    (  # a value of the Run key set on a key opened read-only (which .NET refuses)
        "run-key-read-only.aspx",
        cs_page(
            "Microsoft.Win32.Registry.LocalMachine.OpenSubKey("
            '@"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run").SetValue("u", "x");'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_ordinary_fixed_commands_and_text_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_tool_kit_source_file_is_left_out() -> None:
    tool = """public class Setup {
    public void Install() { System.Diagnostics.Process.Start("schtasks.exe", "/create /tn backup /tr backup.exe /sc daily"); }
}"""
    report = run("Setup.cs", tool)
    assert [c.rule_id for c in report.capabilities if c.rule_id in (CREDS, PERSIST)] == []


def test_rule_patterns_over_page_text_run_on_re2_and_a_long_hostile_line_still_matches() -> None:
    # A folded command line is text the page controls: `re` backtracked for minutes over 450 KB of
    # "procdump " with no "lsass"; the shipped `arguments` and `requires` patterns all run on RE2.
    import re

    from exhunt.codeanalysis.actsalone import _linear
    from exhunt.ruleparams import CodeFlowParams
    from exhunt.rules import catalog

    shipped = [
        p
        for r in catalog().values()
        if isinstance(r.params, CodeFlowParams)
        for p in r.params.requires + r.params.arguments
    ]
    assert shipped
    assert not any(isinstance(_linear(p), re.Pattern) for p in shipped)
    line = "procdump " * 50000
    assert CREDS not in medium_or_above(run("long.aspx", start(line)))
    assert CREDS in medium_or_above(run("long-lsass.aspx", start(line + "lsass")))
    assert isinstance(_linear("(?<=a)b"), re.Pattern)  # a pattern RE2 refuses still runs, on `re`
