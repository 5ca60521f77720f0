"""Names written in their escaped forms are the names they escape: C#'s verbatim identifiers
(`System.Diagnostics.@Process.@Start`, `string @string`) and VB's bracketed names
(`System.Diagnostics.[Process].[Start]`, `Dim [String]`). Both compile to the plain name, so a
shell that spells its calls that way runs them. C#'s contextual keywords `async` and `await` used
as names are read as names (docs/detection/webshell-code.md, "Escaped names")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page
from exhunt.codeanalysis.extract import CodeUnit, Lang, UnitKind
from exhunt.codeanalysis.syntax import parse

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


@pytest.mark.parametrize("word", ["async", "await"])
def test_contextual_keywords_used_as_names_are_names(word: str) -> None:
    # `async` and `await` are keywords only where C# expects one; the grammar did not parse them
    # as names, and the command became an unresolved value
    code = cs_page(
        f'string {word} = Request.Form["c"];\n'
        f'if ({word} != null) System.Diagnostics.Process.Start("cmd.exe", "/c " + {word});'
    )
    report = assert_found(f"{word}.aspx", code, "EXH-WS-CODE-PROCESS", ["form field 'c'"])
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in report.capabilities]


def test_async_code_and_words_in_strings_stay_as_written() -> None:
    unit = CodeUnit(
        Lang.CSHARP,
        UnitKind.MEMBERS,
        "async System.Threading.Tasks.Task Go() { await System.Threading.Tasks.Task.Delay(1); }\n"
        'string Say() { var async = "async = 1"; return async; /* await; */ }',
        1,
    )
    parsed = parse(unit)
    assert not isinstance(parsed, str)
    out = parsed.source.decode()
    assert "async System.Threading" in out and "await System.Threading" in out
    assert 'var @async = "async = 1"; return @async; /* await; */' in out
