"""VB takes the typographic double quotes (U+201C, U+201D) for `"` at either end of a string
literal, so `Request(“f”)` is `Request("f")` to the compiler, and a page that names no language
and holds a one-line `If ... Then` is VB (C# and JScript have no `Then`): such a one-line
uploader was read as C# and reported nothing (docs/detection/webshell-code.md, "Typographic
quotes and one-line Ifs")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, chain_of, run, vb_page
from exhunt.codeanalysis.extract import Lang, guess_language

WRITE = "EXH-WS-CODE-FILE-WRITE"
PROCESS = "EXH-WS-CODE-PROCESS"


def test_a_one_line_uploader_with_typographic_quotes_and_no_language() -> None:
    page = "<% If Request.Files.Count <> 0 Then Request.Files(0).SaveAs(Server.MapPath(Request(“f”))) %>"
    assert_found("up.aspx", page, WRITE, ["request parameter 'f'", "an uploaded file", ".SaveAs"])


SHELLS = [
    ("both-curly.aspx", vb_page("Dim c As String = Request(“c”)\nShell(“cmd /c ” & c)"), ["request parameter 'c'"]),
    ("mixed.aspx", vb_page('Dim c As String = Request(“c")\nShell("cmd /c ” & c)'), ["request parameter 'c'"]),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_typographic_quotes_delimit_vb_strings(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, PROCESS, words)


def test_a_folded_string_between_typographic_quotes_is_its_text() -> None:
    code = vb_page('Dim exe As String = “cm” & “d.exe”\nSystem.Diagnostics.Process.Start(exe, "/c " & Request("c"))')
    assert "cmd.exe" in run("fold.aspx", code).folded


def test_typographic_quotes_inside_csharp_strings_stay_text() -> None:
    # C# has no such rule: “ inside a C# string is a character of it.
    page = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Load(object s, EventArgs e) {\n"
        '  Response.Write("He said “run”");\n'
        '  System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]);\n'
        "}\n</script>"
    )
    assert "request parameter 'c'" in chain_of(run("cs.aspx", page), PROCESS)


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("If Request.Files.Count <> 0 Then x()", Lang.VB),
        ("  ElseIf a Then", Lang.VB),
        ("if (a) p.then(f);", Lang.CSHARP),
        ("if (ready) { go(); }", Lang.CSHARP),
        ("var then = 1;", Lang.CSHARP),
    ],
)
def test_a_one_line_if_then_is_vb(code: str, lang: Lang) -> None:
    assert guess_language(code) is lang


def test_a_vb_comment_in_typographic_quotes_is_no_code() -> None:
    code = vb_page("' Shell(“cmd /c ” & Request(“c”))\nResponse.Write(“hello”)")
    assert_benign("comment.aspx", code)
