"""Commands through the COM objects known for lateral movement, on the server itself: MMC's
`Document.ActiveView.ExecuteShellCommand` and the `ShellExecute` that the ShellWindows and
ShellBrowserWindow objects reach (`Document.Application.ShellExecute`), with the client's command
(EXH-WS-CODE-PROCESS); a fixed program started that way is not reported."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

PROCESS = "EXH-WS-CODE-PROCESS"

SHELLS = [
    (
        "mmc.aspx",
        cs_page(
            'dynamic mmc = Activator.CreateInstance(Type.GetTypeFromProgID("MMC20.Application"));\n'
            'mmc.Document.ActiveView.ExecuteShellCommand("cmd.exe", null, "/c " + Request.Form["c"], "7");'
        ),
        ["form field 'c'", "ExecuteShellCommand"],
    ),
    (
        "shellwindows.aspx",
        cs_page(
            'var t = Type.GetTypeFromCLSID(new Guid("9BA05972-F6A8-11CF-A442-00A0C90A8F39"));\n'
            "dynamic windows = Activator.CreateInstance(t);\n"
            'windows.Item().Document.Application.ShellExecute("cmd.exe", "/c " + Request["c"], "C:\\\\Windows", null, 0);'
        ),
        ["request parameter 'c'", "ShellExecute"],
    ),
    (
        "mmc.vb.aspx",
        vb_page(
            'Dim mmc = CreateObject("MMC20.Application")\n'
            'mmc.Document.ActiveView.ExecuteShellCommand("powershell.exe", Nothing, Request.QueryString("p"), "7")',
            'AspCompat="true"',
        ),
        ["query parameter 'p'", "ExecuteShellCommand"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_commands_through_dcom_objects_are_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, PROCESS, words)


def test_a_fixed_program_through_shellexecute_stays_quiet() -> None:
    assert_benign(
        "open.aspx",
        vb_page('Dim app = CreateObject("Shell.Application")\napp.ShellExecute("notepad.exe", "", "", "open", 1)'),
    )
