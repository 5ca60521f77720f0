"""EXH-WS-CODE-STAGED-TOOL: a page that starts a program or script, or loads an assembly or a
native DLL, from a folder every account can write and no product runs code from (the Windows
temporary folder, C:\\Users\\Public, C:\\PerfLogs, C:\\ProgramData, AppData, the recycle bin, or
the same through %TEMP%-style variables): a launcher for a tool put there first. Kept quiet: the
site's own tools and plug-ins, and a temporary file only written or read."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

STAGED = "EXH-WS-CODE-STAGED-TOOL"

SHELLS = [
    (
        "public.aspx",
        cs_page('System.Diagnostics.Process.Start(@"C:\\Users\\Public\\svchost.exe");'),
        ["C:\\Users\\Public\\svchost.exe", "Process.Start"],
    ),
    (
        "loadfrom.aspx",
        cs_page('System.Reflection.Assembly.LoadFrom(@"C:\\ProgramData\\Microsoft\\upd.dll").CreateInstance("U");'),
        ["C:\\ProgramData\\Microsoft\\upd.dll", "Assembly.LoadFrom"],
    ),
    (
        "bytes.aspx",
        cs_page(
            'System.Reflection.Assembly.Load(System.IO.File.ReadAllBytes("C:\\\\Windows\\\\Temp\\\\m.dll"))'
            '.CreateInstance("M").Equals(Context);'
        ),
        ["Windows\\\\Temp\\\\m.dll", "Assembly.Load"],
    ),
    (
        "env.aspx",
        vb_page('Shell("cmd.exe /c %TEMP%\\\\u.bat", AppWinStyle.Hide)'),
        ["%TEMP%\\\\u.bat"],
    ),
    (
        "native.aspx",
        cs_page('LoadLibrary(@"C:\\PerfLogs\\x64.dll");').replace(
            "protected void Page_Load",
            '[System.Runtime.InteropServices.DllImport("kernel32")] static extern IntPtr LoadLibrary(string p);\n'
            "protected void Page_Load",
        ),
        ["C:\\PerfLogs\\x64.dll"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_staged_tool_run_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, STAGED, words)


BENIGN = [
    ("site-tool.aspx", cs_page('System.Diagnostics.Process.Start(Server.MapPath("~/bin/tools/thumb.exe"), "a.jpg");')),
    ("vendor.aspx", cs_page('System.Diagnostics.Process.Start(@"C:\\Program Files\\7-Zip\\7z.exe", "l a.zip");')),
    ("plugin.aspx", cs_page('System.Reflection.Assembly.LoadFrom(Server.MapPath("~/bin/Reports.dll"));')),
    (
        "temp-data.aspx",
        cs_page(
            'System.IO.File.WriteAllText(@"C:\\Windows\\Temp\\report.csv", "a,b");\n'
            'lit.Text = System.IO.File.ReadAllText(@"C:\\Windows\\Temp\\report.csv");'
        ),
    ),
    ("temp-log.aspx", cs_page('System.Diagnostics.Process.Start("notepad.exe", @"C:\\ProgramData\\App\\log.txt");')),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_site_tools_and_temporary_data_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
