"""A script handed to PowerShell as the parameter or argument of a cmdlet that runs scripts
(`AddCommand("Invoke-Expression").AddParameter("Command", x)`, `AddCommand("iex")` then
`AddArgument(x)`) is run as AddScript's argument is (docs/detection/webshell-code.md,
"PowerShell cmdlet parameters"). A request value given to any other cmdlet (a mailbox identity)
is a parameter, not a script, and a fixed script is not the client's."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page


def page(body: str) -> str:
    return cs_page(body, imports=("System.Management.Automation",))


SHELLS = [
    (
        "iex.aspx",
        page(
            "using (var ps = PowerShell.Create()) {\n"
            '    ps.AddCommand("Invoke-Expression").AddParameter("Command", Request.Form["ps"]);\n'
            "    foreach (var o in ps.Invoke()) Response.Write(o);\n"
            "}"
        ),
        ["form field 'ps'", "AddParameter"],
    ),
    (
        "iex2.aspx",
        page(
            "var ps = PowerShell.Create();\n"
            'ps.AddCommand("iex");\n'
            'ps.AddArgument(Request.Headers["X-Ps"]);\n'
            "foreach (var o in ps.Invoke()) Response.Write(o);"
        ),
        ["request header 'X-Ps'", "AddArgument"],
    ),
]

BENIGN = [
    (
        "mailbox.aspx",
        # An Exchange admin page asking for one mailbox by the identity the operator typed.
        page(
            "using (var ps = PowerShell.Create()) {\n"
            '    ps.AddCommand("Get-Mailbox").AddParameter("Identity", Request.Form["user"]);\n'
            "    foreach (var o in ps.Invoke()) Response.Write(Server.HtmlEncode(o.ToString()));\n"
            "}"
        ),
    ),
    (
        "uptime.aspx",
        # A fixed expression run through Invoke-Expression, with a request value only as output.
        page(
            "using (var ps = PowerShell.Create()) {\n"
            '    ps.AddCommand("Invoke-Expression").AddParameter("Command", "(Get-Date) - (gcim Win32_OperatingSystem).LastBootUpTime");\n'
            '    foreach (var o in ps.Invoke()) Response.Write(Server.HtmlEncode(Request["label"]) + o);\n'
            "}"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_script_parameter_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, "EXH-WS-CODE-PROCESS", words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)
