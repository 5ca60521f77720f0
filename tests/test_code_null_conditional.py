"""Null-conditional access (C#'s `Request.Form?["c"]?.Trim()`, VB's `Request.Form?("c")`) and C#'s
declaration patterns (`if (Request["c"] is string c)`) carry request data as the plain forms do.
The `?` of a null-conditional is taken out before the tree is read, only where the grammar puts the
operator: a `?` in a string or a conditional expression stays, and every byte and line keeps its
place (docs/detection/webshell-code.md, "Null-conditional access and declaration patterns")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page
from exhunt.codeanalysis.extract import CodeUnit, Lang, UnitKind
from exhunt.codeanalysis.syntax import parse

SHELLS = [
    (
        "nc-index.aspx",
        cs_page('var c = Request.Form?["c"]?.Trim();\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + c);'),
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'"],
    ),
    (
        "nc-member.aspx",
        cs_page(
            'var b = Convert.FromBase64String(HttpContext.Current?.Request?.Headers["X-A"]);\n'
            'System.Reflection.Assembly.Load(b)?.CreateInstance("P");'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["request header 'X-A'", "base64-decodes it"],
    ),
    (
        "nc-vb.aspx",
        vb_page('Dim c As String = Request.Form?("c")?.Trim()\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " & c)'),
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'"],
    ),
    (
        "is-pattern.aspx",
        cs_page(
            'if (Request.QueryString["c"] is string c && c.Length > 0)\n    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["query parameter 'c'"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_null_conditional_and_patterns_carry_request_data(name: str, code: str, rule_id: str, words: list[str]) -> None:
    report = assert_found(name, code, rule_id, words)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in report.capabilities]


def test_only_the_operator_is_blanked() -> None:
    body = (
        'var s = "what?.txt" + (flag ? "a" : "b") + (n > 0 ?.5 : 1);\nvar t = items?[0]?.Name;\n// a comment?.with text'
    )
    unit = CodeUnit(Lang.CSHARP, UnitKind.STATEMENTS, body, 1)
    parsed = parse(unit)
    assert not isinstance(parsed, str)
    source = parsed.source.decode()
    assert '"what?.txt"' in source and "a comment?.with" in source and "?.5" in source
    assert "items[ 0]. Name" in source
    assert len(parsed.source) == len(("class __Page { void __Render() { " + body + "\n}}").encode())


def test_fixed_values_behind_null_conditionals_stay_quiet() -> None:
    assert_benign(
        "nc-fixed.aspx",
        cs_page(
            'var tool = System.Configuration.ConfigurationManager.AppSettings?["reportTool"] ?? "report.exe";\n'
            'Title.Text = Request.QueryString?["page"]?.Trim() ?? "home";\n'
            'if (Request.Form["n"] is string n) Greeting.Text = Server.HtmlEncode(n);\n'
            'System.Diagnostics.Process.Start(Server.MapPath("~/bin/report.exe"), "--daily");'
        ),
    )


def test_files_without_null_conditionals_are_parsed_once() -> None:
    unit = CodeUnit(Lang.CSHARP, UnitKind.STATEMENTS, 'var c = flag ? Request["a"] : "b";', 1)
    parsed = parse(unit)
    assert not isinstance(parsed, str) and b'flag ? Request["a"]' in parsed.source
    assert run("plain.aspx", cs_page('var c = flag ? "a" : "b";')).capabilities == []


def test_a_chain_of_thousands_is_left_as_written_and_bounded() -> None:
    # Finding the operators of a chain nested 32,000 deep would take time in the square of its
    # length; past 4,096 candidates the code is read as the grammar gives it, and the nesting
    # limit makes the file a problem, never the hunt.
    body = "var x = a" + "?.b" * 32_000 + ";"
    parsed = parse(CodeUnit(Lang.CSHARP, UnitKind.STATEMENTS, body, 1))
    assert not isinstance(parsed, str) and parsed.source.count(b"?.") == 32_000
    report = run("chain.aspx", cs_page(body))
    # the nesting limit, and the statement's length past what the token-level reader reads
    assert [p.kind for p in report.problems] == ["limit", "limit"]
    assert sum("token-level reader" in p.message for p in report.problems) == 1
