"""EXH-WS-CODE-SCRIPT-ENGINE: request data run by a script engine the site carries (ClearScript,
Jint, the DLR's IronPython, Mono's C# evaluator, NLua, Jurassic). Hand-written shells after each engine's
documented hosting API, and the same engines running scripts the code fixes."""

from __future__ import annotations

import pytest

from code_support import assert_found, cs_page, medium_or_above, run, vb_page

RULE = "EXH-WS-CODE-SCRIPT-ENGINE"

SHELLS = [
    (
        "clearscript-v8",
        cs_page(
            'using (var e = new V8ScriptEngine()) { Response.Write(e.Evaluate(Request.Form["c"])); }',
            imports=("Microsoft.ClearScript.V8",),
        ),
        ["form field 'c'", "(V8ScriptEngine.Evaluate)"],
    ),
    (
        "clearscript-jscript",
        cs_page(
            "var e = new Microsoft.ClearScript.Windows.JScriptEngine();\n"
            'e.AddHostType("P", typeof(System.Diagnostics.Process));\ne.Execute(Request["c"]);'
        ),
        ["request parameter 'c'", "(JScriptEngine.Execute)"],
    ),
    ("jint", cs_page('new Engine().Execute(Request.Headers["X-S"]);', imports=("Jint",)), ["header 'X-S'"]),
    (
        "ironpython",
        cs_page(
            "var eng = IronPython.Hosting.Python.CreateEngine();\n"
            'eng.Execute(Encoding.UTF8.GetString(Convert.FromBase64String(Request["p"])));'
        ),
        ["request parameter 'p'", "base64", "(ScriptEngine.Execute)"],
    ),
    (
        "ironpython-source",
        cs_page(
            'ScriptEngine eng = Python.CreateEngine();\neng.CreateScriptSourceFromString(Request["p"]).Execute();',
            imports=("IronPython.Hosting", "Microsoft.Scripting.Hosting"),
        ),
        ["(ScriptEngine.CreateScriptSourceFromString)"],
    ),
    (
        "mono-evaluator",
        cs_page(
            "var ev = new Mono.CSharp.Evaluator(new CompilerContext(new CompilerSettings(), "
            'new ConsoleReportPrinter()));\nev.Run(Request.Form["c"]);'
        ),
        ["(Evaluator.Run)"],
    ),
    ("vb-jint", vb_page('Dim js As New Jint.Engine()\njs.Execute(Request("c"))'), ["(Engine.Execute)"]),
    (
        # The runtime hands out the engine: `Python.CreateRuntime().GetEngine("py")`.
        "ironpython-runtime",
        cs_page(
            'var rt = Python.CreateRuntime();\nvar eng = rt.GetEngine("py");\neng.Execute(Request.Form["p"]);',
            imports=("IronPython.Hosting",),
        ),
        ["form field 'p'", "(ScriptEngine.Execute)"],
    ),
    (
        # NLua lets the script import any .NET class.
        "nlua",
        cs_page(
            'using (var lua = new Lua()) {\n lua.LoadCLRPackage();\n lua.DoString(Request["c"]);\n}', imports=("NLua",)
        ),
        ["request parameter 'c'", "(Lua.DoString)"],
    ),
    (
        "jurassic",
        cs_page(
            "var js = new Jurassic.ScriptEngine();\njs.EnableExposedClrTypes = true;\n"
            'Response.Write(js.Evaluate(Request.Cookies["s"].Value));'
        ),
        ["cookie 's'", "(ScriptEngine.Evaluate)"],
    ),
    ("vb-nlua", vb_page('Dim l As New NLua.Lua()\nl.DoString(Request.Form("c"))'), ["(Lua.DoString)"]),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_request_data_run_by_a_script_engine(name: str, code: str, words: list[str]) -> None:
    assert_found("e.aspx", code, RULE, ["runs it in a script engine", *words])


def test_a_script_the_code_fixes_with_request_values_as_data_is_quiet() -> None:
    # A rules engine evaluating its own expression, the visitor's value handed in as a variable.
    code = cs_page(
        'var e = new Jint.Engine();\ne.SetValue("qty", int.Parse(Request["q"]));\nvar t = e.Evaluate("qty * 2");'
    )
    assert RULE not in medium_or_above(run("e.aspx", code))


def test_engines_running_the_code_s_own_scripts_are_quiet() -> None:
    nlua = cs_page('using (var lua = new NLua.Lua()) {\n lua["n"] = Request["n"];\n lua.DoString("return #n");\n}')
    jurassic = cs_page('var js = new Jurassic.ScriptEngine();\nResponse.Write(js.Evaluate("6 * 7"));')
    # The visitor's text handed to the script as a variable: data, not the script (and a Jint
    # engine's SetValue writes no registry value).
    v8 = cs_page(
        'var e = new Microsoft.ClearScript.V8.V8ScriptEngine();\ne.Script.q = Request["q"];\ne.Evaluate("q.length");'
    )
    jint = cs_page('var e = new Jint.Engine();\ne.SetValue("q", Request["q"]);\nvar t = e.Evaluate("q.length");')
    for code in (nlua, jurassic, v8, jint):
        found = medium_or_above(run("e.aspx", code))
        assert RULE not in found and "EXH-WS-CODE-REGISTRY" not in found


def test_an_engine_class_of_another_library_is_not_a_script_engine() -> None:
    # `Engine.Execute` counts only in a file that names one of the engines.
    code = cs_page('var e = new Workflow.Engine();\ne.Execute(Request["step"]);')
    assert RULE not in medium_or_above(run("e.aspx", code))


def test_a_script_read_from_the_site_is_not_the_clients() -> None:
    # (The page still stands out for handing work to a class of a custom assembly: that is
    # EXH-WS-CODE-PLANTED-DLL's to judge, not this rule's.)
    code = cs_page(
        'var e = new Jint.Engine();\ne.Execute(System.IO.File.ReadAllText(Server.MapPath("~/App_Data/rules.js")));'
    )
    assert RULE not in medium_or_above(run("e.aspx", code))
