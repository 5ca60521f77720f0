"""A command line the code fixes that names an environment variable the page set from the request
(`SetEnvironmentVariable("X", Request["c"])`, then `cmd /c %X%` or PowerShell's `$env:X`): the
child process inherits the variable, so the request's text runs (docs/detection/webshell-code.md,
"Commands that read an environment variable the page set"). Variables set to fixed values, and
commands that name none set from the request, stay quiet."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

SHELLS = [
    (
        "env-cmd.aspx",
        cs_page(
            'Environment.SetEnvironmentVariable("XQ", Request["c"]);\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c %XQ%");'
        ),
        ["request parameter 'c'", "sets it as environment variable 'XQ'", "runs it as a command"],
    ),
    (
        "env-powershell.aspx",
        cs_page(
            'Environment.SetEnvironmentVariable("payload", Request.Form["p"], EnvironmentVariableTarget.Process);\n'
            "Go();",
            members='void Go() { System.Diagnostics.Process.Start("powershell.exe", "-nop -c iex $env:PAYLOAD"); }',
        ),
        ["form field 'p'", "environment variable 'payload'"],
    ),
    (
        "env-comspec.aspx",
        vb_page('Environment.SetEnvironmentVariable("A", Request("a"))\nShell(Environ("ComSpec") & " /c %A%")'),
        ["request parameter 'a'", "environment variable 'A'"],
    ),
    (
        "env-vb.aspx",
        vb_page('Environment.SetEnvironmentVariable("Z", Request("z"))\nShell("cmd /c " & "%z%")'),
        ["request parameter 'z'", "environment variable 'Z'"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_command_through_environment_variable(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, "EXH-WS-CODE-PROCESS", words)


BENIGN = [
    # A variable the code fixes, and one the command does not name.
    cs_page(
        'Environment.SetEnvironmentVariable("LANGX", "en");\n'
        'Environment.SetEnvironmentVariable("NAME", Request["n"]);\n'
        'System.Diagnostics.Process.Start("cmd.exe", "/c echo %LANGX% %OTHER%");'
    ),
    # The request's value set, and a different name read back.
    vb_page('Environment.SetEnvironmentVariable("A", Request("a"))\nShell("cmd /c set B=%B%")'),
]


@pytest.mark.parametrize("code", BENIGN, ids=["fixed-or-other", "other-name"])
def test_unrelated_environment_stays_quiet(code: str) -> None:
    assert_benign("env.aspx", code)
