"""JScript.NET's type annotations (`var c : String`, `function Page_Load(sender : Object, e :
EventArgs) : void`) are blanked before the JavaScript grammar reads the code, byte for byte, so
the flows inside typed declarations and functions are followed: before, each of these shells was
only an unresolved value (medium) and not the chain it is. Kept as they were: the colons of
conditional expressions, object literals and labels, and every line number.

The same for JScript.NET's classes (`import System.Web;`, `public class Svc extends WebService`,
`WebMethodAttribute public function Run(c : String)`): a web service written so was read as
tokens, and its web methods' parameters were not known as the client's values."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, run
from exhunt.codeanalysis.jscript import untyped


def js_page(body: str, head: str = "") -> str:
    return (
        '<%@ Page Language="JScript" %>\n' + head + '<script runat="server">\n'
        "function Page_Load(sender : Object, e : EventArgs) : void {\n" + body + "\n}\n</script>"
    )


SHELLS = [
    (
        "typed_eval.aspx",
        js_page('var c : String = Request.Item["c"];\neval(c, "unsafe");'),
        "EXH-WS-CODE-EVAL",
        ["request parameter 'c'", "eval"],
    ),
    (
        "typed_process.aspx",
        js_page(
            "var p : System.Diagnostics.Process = new System.Diagnostics.Process();\n"
            'p.StartInfo.FileName = "cmd.exe";\np.StartInfo.Arguments = "/c " + Request.Form["c"];\np.Start();'
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'"],
    ),
    (
        "typed_helper.aspx",
        '<%@ Page Language="JScript" %>\n<%@ Import Namespace="System.Diagnostics" %>\n<script runat="server">\n'
        "function Run(c : String) : String {\n"
        '    return Process.Start("cmd.exe", "/c " + c).StandardOutput.ReadToEnd();\n}\n'
        'function Page_Load(sender : Object, e : EventArgs) { Response.Write(Run(Request["c"])); }\n</script>',
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
    ),
    (
        "typed_array.aspx",
        js_page(
            'var b : byte[] = Convert.FromBase64String(Request.Form["d"]);\n'
            'System.Reflection.Assembly.Load(b).CreateInstance("P");'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'd'", "base64-decodes"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_typed_jscript_flows_are_followed(name: str, code: str, rule_id: str, words: list[str]) -> None:
    report = assert_found(name, code, rule_id, words)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in report.capabilities]


def js_service(body: str, imports: str = "import System;\nimport System.Web.Services;\n") -> str:
    return (
        '<%@ WebService Language="JScript" Class="Svc" %>\n' + imports + "public class Svc extends WebService {\n"
        "  WebMethodAttribute public function Run(c : String) : String {\n" + body + "\n  }\n}\n"
    )


CLASS_SHELLS = [
    (
        "service_eval.asmx",
        js_service('    return eval(c, "unsafe");'),
        "EXH-WS-CODE-EVAL",
        ["web-method parameter 'c'", '"unsafe"'],
    ),
    (
        "service_process.asmx",
        js_service(
            '    var p : Process = Process.Start("cmd.exe", "/c " + c);\n    return p.StandardOutput.ReadToEnd();',
            "import System;\nimport System.Diagnostics;\nimport System.Web.Services;\n",
        ),
        "EXH-WS-CODE-PROCESS",
        ["web-method parameter 'c'", "in a web method"],
    ),
    (
        "service_writer.asmx",
        js_service("    System.IO.File.WriteAllText(Server.MapPath(c), c);\n    return c;"),
        "EXH-WS-CODE-FILE-WRITE",
        ["web-method parameter 'c'"],
    ),
    (
        "handler_package.ashx",
        '<%@ WebHandler Language="JScript" Class="Tools.H" %>\nimport System.Web;\npackage Tools {\n'
        "  public final class H implements IHttpHandler {\n"
        "    public function get IsReusable() : Boolean { return false; }\n"
        "    public function ProcessRequest(ctx : HttpContext) : void {\n"
        '      eval(ctx.Request.Form["z"], "unsafe");\n    }\n  }\n}\n',
        "EXH-WS-CODE-EVAL",
        ["form field 'z'"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), CLASS_SHELLS, ids=[s[0] for s in CLASS_SHELLS])
def test_jscript_classes_are_read(name: str, code: str, rule_id: str, words: list[str]) -> None:
    report = assert_found(name, code, rule_id, words)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in report.capabilities]


def test_a_service_with_fixed_work_stays_quiet() -> None:
    assert_benign(
        "service_add.asmx",
        js_service(
            '    return String.Format("{0} items", c.Length) + System.IO.File.ReadAllText(Server.MapPath("~/a.txt"));'
        ),
    )


def test_class_syntax_is_blanked_and_lines_kept() -> None:
    source = (
        "import System.Web;\n"
        "public class A extends B\n  implements C, D.E {\n"
        "  static public function f(x : int) : int { return x; }\n"
        "  WebMethodAttribute private var v : String = 'public function';\n"
        "}"
    )
    out = untyped(source)
    assert len(out) == len(source)
    assert out.splitlines() == [
        " " * 18,
        " " * 24,
        " " * 20 + "{",
        "                function f(x      )       { return x; }",
        "  WebMethodAttribute         var v          = 'public function';",
        "}",
    ]


def test_long_runs_of_modifiers_cost_linear_time() -> None:
    # A backtracking search took minutes on this (quadratic in the run); RE2 reads it once.
    source = "class; " + "public " * 200_000 + "x"
    assert untyped(source) == source


def test_the_sink_keeps_its_line() -> None:
    report = run("typed_eval.aspx", SHELLS[0][1])
    assert [c.line for c in report.capabilities if c.rule_id == "EXH-WS-CODE-EVAL"] == [5]


def test_only_annotations_are_blanked() -> None:
    source = (
        "var n : int = a ? b : c;\n"
        "function get Name() : String { return x ? 'y' : 'z'; }\n"
        "var o = { k : 1 };\n"
        "for (var i : int = 0; i < 3; i++) { label: f(i ? 1 : 2); }\n"
        "var f = function (a : byte[], b : System.Object) : void { };"
    )
    out = untyped(source)
    assert len(out) == len(source) and out.count("\n") == source.count("\n")
    assert out.splitlines() == [
        "var n       = a ? b : c;",
        "function get Name()          { return x ? 'y' : 'z'; }",
        "var o = { k : 1 };",
        "for (var i       = 0; i < 3; i++) { label: f(i ? 1 : 2); }",
        "var f = function (a         , b                )        { };",
    ]


def test_typed_page_with_fixed_values_stays_quiet() -> None:
    assert_benign(
        "typed_fixed.aspx",
        js_page(
            'var greeting : String = "Hello";\nvar n : int = 3;\nResponse.Write(greeting + n + Request.Item["name"].Length);'
        ),
    )
