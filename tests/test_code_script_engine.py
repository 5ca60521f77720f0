"""EXH-WS-CODE-SCRIPT-ENGINE: request data run by a script engine the site carries (ClearScript,
Jint, the DLR's IronPython, Mono's C# evaluator). Hand-written shells after each engine's
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
