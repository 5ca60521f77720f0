"""VB's one-line `If` nested in another's `Else` (`If a Then x Else If b Then y Else z`), which the
grammar does not take: the nested `If`s are read as statements of the `Else` before them, so the
calls on the line are followed (docs/detection/webshell-code.md, "One-line Ifs nested in an
Else"). Lines where the words are text, comments, or a block `If`, are left as written."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, vb_page
from exhunt.codeanalysis.syntax import _nested_inline_ifs

RUN = 'Process.Start("cmd.exe", "/c " & Request("c"))'

SHELLS = [
    ("else-if.aspx", f'If Request("x") = "1" Then Response.Write(1) Else If Request("c") <> "" Then {RUN}'),
    # The nested condition compares with `=`: read as a condition, not as an assignment that
    # would make `Request("c")` a constant.
    (
        "else-if-eq.aspx",
        f'If Request("x") = "1" Then Response.Write(1) Else If Request("c") = "" Then Exit Sub Else {RUN}',
    ),
    (
        "chain.aspx",
        f'If Len(Request("c")) = 0 Then Exit Sub Else If False Then Exit Sub Else If True Then {RUN} Else Exit Sub',
    ),
    ("case.aspx", f'if Request("x") is nothing then response.write(1) ELSE  IF Request("c") IsNot Nothing THEN {RUN}'),
    ("parens.aspx", f'If (Request("x") = "1") Then Response.Write(1) Else If(Request("c") <> "") Then {RUN}'),
]


@pytest.mark.parametrize(("name", "body"), SHELLS, ids=[s[0] for s in SHELLS])
def test_nested_one_line_if_is_followed(name: str, body: str) -> None:
    page = vb_page(body).replace(
        '<%@ Page Language="VB" %>', '<%@ Page Language="VB" %>\n<%@ Import Namespace="System.Diagnostics" %>'
    )
    report = assert_found(name, page, "EXH-WS-CODE-PROCESS", ["request parameter 'c'", "runs it as a command"])
    found = next(c for c in report.capabilities if c.rule_id == "EXH-WS-CODE-PROCESS")
    assert found.line == page.splitlines().index(body) + 1


def test_rewrite_keeps_lines_and_leaves_text_alone() -> None:
    line = b"If a Then x = 1 Else If b Then y = 2 Else z = 3"
    assert _nested_inline_ifs(line) == b"If a Then x = 1 Else __cond( b ) : y = 2 : z = 3"
    text = b"Sub P()\n" + line + b"\nEnd Sub\n"
    out = _nested_inline_ifs(text)
    assert out is not None and out.count(b"\n") == text.count(b"\n")
    # The words inside a string or a comment, and a block `If` after `Else`, stay as written.
    for same in (
        b'If a Then x = "Else If b Then y"',
        b"If a Then x = 1 ' Else If b Then y",
        b"If a Then\nx = 1\nElse If b Then\ny = 2\nEnd If\nEnd If",
        b"If a Then x = 1 Else If b Then",
    ):
        assert _nested_inline_ifs(same) is None, same


def test_fixed_commands_in_nested_ifs_stay_quiet() -> None:
    body = 'If Request("x") = "1" Then Response.Write(1) Else If Request("y") = "2" Then Process.Start("ipconfig.exe") Else Response.Write(2)'
    assert_benign(
        "quiet.aspx", vb_page("Dim n As Integer\n" + body.replace("Process.Start", "System.Diagnostics.Process.Start"))
    )
