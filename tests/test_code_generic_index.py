"""A generic call whose type argument is itself generic, with one argument and an index after it
(`JsonConvert.DeserializeObject<Dictionary<string, string>>(body)["c"]`), is read as the call and the
index: C#'s grammar reads it as two comparisons and a cast, with no parse error, so the call is put
in parentheses and the code parsed again, on the same lines. A generic method of the page is called
by the name it is declared with (`Run<List<string>>(x)` calls `Run<T>`), and VB's `Run(Of String)(x)`,
which its grammar reads as an index of a call without arguments, is the call with `x`. Reasoning in
docs/detection/webshell-code.md, "A generic call the grammar reads as comparisons"."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page
from exhunt.codeanalysis.extract import CodeUnit, Lang, UnitKind
from exhunt.codeanalysis.syntax import parse

SHELLS = [
    (
        "typed-json-index.aspx",
        cs_page(
            'var body = Request.Form["d"];\n'
            "var o = new System.Web.Script.Serialization.JavaScriptSerializer("
            "new System.Web.Script.Serialization.SimpleTypeResolver())"
            '.Deserialize<Dictionary<string, object>>(body)["x"];'
        ),
        "EXH-WS-CODE-DESERIALIZE-TYPED",
        ["form field 'd'", "JavaScriptSerializer"],
    ),
    (
        "own-generic-index.aspx",
        cs_page(
            'var body = Request.Form["d"];\nvar first = Run<List<string>>(body)[0];',
            members=(
                "static T Run<T>(string s) {\n"
                '    System.Diagnostics.Process.Start("cmd.exe", "/c " + s);\n'
                "    return default(T);\n}"
            ),
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'd'"],
    ),
    (
        "own-generic.aspx",
        cs_page(
            'Run<string>(Request.Form["d"]);',
            members='static void Run<T>(string s) { System.Diagnostics.Process.Start("cmd.exe", "/c " + s); }',
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'd'"],
    ),
    (
        "vb-typed-json.aspx",
        vb_page(
            'Dim body As String = Request.Form("d")\n'
            "Dim o = New System.Web.Script.Serialization.JavaScriptSerializer("
            "New System.Web.Script.Serialization.SimpleTypeResolver())"
            '.Deserialize(Of Dictionary(Of String, Object))(body)("x")'
        ),
        "EXH-WS-CODE-DESERIALIZE-TYPED",
        ["form field 'd'", "JavaScriptSerializer"],
    ),
    (
        "vb-own-generic.aspx",
        vb_page(
            'Dim first = Run(Of String)(Request.Form("d"))',
            members=(
                "Shared Function Run(Of T)(s As String) As T\n"
                '    System.Diagnostics.Process.Start("cmd.exe", "/c " & s)\n'
                "    Return Nothing\nEnd Function"
            ),
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'd'"],
    ),
    (
        "json-index.aspx",
        cs_page(
            "var body = new System.IO.StreamReader(Request.InputStream).ReadToEnd();\n"
            'var c = JsonConvert.DeserializeObject<Dictionary<string, string>>(body)["c"];\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + c);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request body"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_generic_call_then_index_carries_request_data(name: str, code: str, rule_id: str, words: list[str]) -> None:
    report = assert_found(name, code, rule_id, words)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in report.capabilities]


def _reparsed(expression: str) -> tuple[str, bool]:
    unit = CodeUnit(Lang.CSHARP, UnitKind.STATEMENTS, f"var c = {expression};\nvar d = 1;", 1)
    parsed = parse(unit)
    assert not isinstance(parsed, str)
    lines = parsed.source.decode().splitlines()
    return lines[0], lines[1].endswith("var d = 1;")


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('J.D<Dictionary<string, string>>(b)["c"]', '(J.D<Dictionary<string, string>>(b))["c"]'),
        ("a + D<List<int>>(y)[0]", "a + (D<List<int>>(y))[0]"),
        ("new F<A<B>>(y)[1]", "(new F<A<B>>(y))[1]"),
        ("D<List<int>>(y)[0] + 1", "(D<List<int>>(y))[0] + 1"),
    ],
)
def test_only_misread_calls_are_wrapped_and_lines_stay(expression: str, expected: str) -> None:
    first, second_kept = _reparsed(expression)
    assert first.endswith(f"var c = {expected};")
    assert second_kept


@pytest.mark.parametrize("expression", ["a < b > (c)[0]", "D<List<int>>(a, b)[0]", 'D<List<int>>(f(x))["k"]', "x > y"])
def test_real_comparisons_and_well_read_calls_stay(expression: str) -> None:
    first, _ = _reparsed(expression)
    assert first.endswith(f"var c = {expression};")


def test_a_fixed_value_through_the_same_form_stays_benign() -> None:
    assert_benign(
        "json-settings.aspx",
        cs_page(
            'var s = JsonConvert.DeserializeObject<Dictionary<string, string>>(System.IO.File.ReadAllText(Server.MapPath("~/App_Data/tools.json")))["backup"];\n'
            'System.Diagnostics.Process.Start("robocopy.exe", "C:\\\\data D:\\\\backup");'
        ),
    )


@pytest.mark.parametrize("code", ["", "   \n", ">>(a)[0]"])
def test_empty_and_stray_code_files_parse(code: str) -> None:
    parsed = parse(CodeUnit(Lang.CSHARP, UnitKind.FILE, code, 1))
    assert not isinstance(parsed, str)
    assert parsed.source.decode().strip() == code.strip()
