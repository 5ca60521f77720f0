"""Names written in their escaped forms are the names they escape: C#'s verbatim identifiers
(`System.Diagnostics.@Process.@Start`, `string @string`) and VB's bracketed names
(`System.Diagnostics.[Process].[Start]`, `Dim [String]`). Both compile to the plain name, so a
shell that spells its calls that way runs them (docs/detection/webshell-code.md, "Escaped
names")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

SHELLS = [
    (
        "cs-verbatim.aspx",
        cs_page('string @c = Request.Form["c"];\nSystem.Diagnostics.@Process.@Start("cmd.exe", "/c " + @c);'),
    ),
    (
        "cs-keyword-name.aspx",
        cs_page('string @string = Request.Form["c"];\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + @string);'),
    ),
    (
        "vb-brackets.aspx",
        vb_page('Dim [c] As String = Request.Form("c")\nSystem.Diagnostics.[Process].[Start]("cmd.exe", "/c " & [c])'),
    ),
    (
        "vb-keyword-name.aspx",
        vb_page(
            'Dim [String] As String = Request.Form("c")\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " & [String])'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), SHELLS, ids=[s[0] for s in SHELLS])
def test_escaped_names_are_the_names_they_escape(name: str, code: str) -> None:
    assert_found(name, code, "EXH-WS-CODE-PROCESS", ["form field 'c'", "Process.Start"])


def test_a_fixed_tool_with_escaped_names_stays_benign() -> None:
    assert_benign(
        "escaped-tool.aspx",
        cs_page(
            'string @class = "report";\n'
            'System.Diagnostics.@Process.@Start(@"C:\\Tools\\render.exe", "--class " + @class);\n'
            "Label1.Text = @class;"
        ),
    )
