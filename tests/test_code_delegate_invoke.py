"""A lambda or anonymous method held in a variable runs when the variable is called (`run(x)`)
and as well through the delegate's own methods: `run.Invoke(x)`, `run.DynamicInvoke(x)` and
`run.BeginInvoke(x, callback, state)`. Each hands its arguments to the lambda's parameters and
gives what the lambda returns, so the chain is the lambda body's sink, not a reflective call.
VB's single-line `Function() expr`, which has no parameter, returns its expression as a lambda
with parameters does. JScript's `f.call(self, x)` and `f.apply(self, [x])` run a function variable
or a function of the page with the arguments after the first."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page


def js_page(body: str, members: str = "") -> str:
    return (
        '<%@ Page Language="JScript" %>\n<script runat="server">\n'
        + members
        + "\nfunction Page_Load(sender, e) {\n"
        + body
        + "\n}\n</script>"
    )


JS_RUN = 'var run = function(x) { System.Diagnostics.Process.Start("cmd.exe", "/c " + x); };\n'
JS_GO = 'function Go(x) { System.Diagnostics.Process.Start("cmd.exe", "/c " + x); }'

PROCESS = "EXH-WS-CODE-PROCESS"
REFLECTION = "EXH-WS-CODE-REFLECTION"
RUNNER = 'Action<string> run = c => Process.Start("cmd.exe", "/c " + c);\n'
METHOD = 'void Go(string c) { Process.Start("cmd.exe", "/c " + c); }'

SHELLS = [
    ("lambda-invoke.aspx", cs_page(RUNNER + 'run.Invoke(Request["c"]);', imports=("System.Diagnostics",))),
    ("lambda-dynamic.aspx", cs_page(RUNNER + 'run.DynamicInvoke(Request["c"]);', imports=("System.Diagnostics",))),
    (
        "lambda-begin.aspx",
        cs_page(RUNNER + 'run.BeginInvoke(Request["c"], null, null);', imports=("System.Diagnostics",)),
    ),
    (
        "anonymous-invoke.aspx",
        cs_page(
            'Action<string> run = delegate(string c) { Process.Start("cmd.exe", "/c " + c); };\n'
            'run.Invoke(Request["c"]);',
            imports=("System.Diagnostics",),
        ),
    ),
    (
        "group-begin.aspx",
        cs_page(
            'Action<string> run = Go;\nrun.BeginInvoke(Request["c"], null, null);',
            members=METHOD,
            imports=("System.Diagnostics",),
        ),
    ),
    (
        "returns-invoke.aspx",
        cs_page(
            'Func<string> get = () => Request["c"];\nProcess.Start("cmd.exe", "/c " + get.Invoke());',
            imports=("System.Diagnostics",),
        ),
    ),
    (
        "vb-sub-invoke.aspx",
        vb_page(
            'Dim run As Action(Of String) = Sub(c) System.Diagnostics.Process.Start("cmd.exe", "/c " & c)\n'
            'run.Invoke(Request("c"))'
        ),
    ),
    (
        "vb-function-no-parameter.aspx",
        vb_page(
            'Dim getc As Func(Of String) = Function() Request("c")\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " & getc())'
        ),
    ),
    (
        "vb-function-no-parameter-invoke.aspx",
        vb_page(
            'Dim getc = Function() Request("c")\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " & getc.Invoke())'
        ),
    ),
]


SHELLS += [
    ("js-call.aspx", js_page(JS_RUN + 'run.call(null, Request["c"]);')),
    ("js-apply.aspx", js_page(JS_RUN + 'run.apply(this, [Request["c"]]);')),
    ("js-function-call.aspx", js_page('Go.call(this, Request["c"]);', JS_GO)),
    (
        "js-returns-call.aspx",
        js_page(
            'var get = function() { return Request["c"]; };\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + get.call(null));'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), SHELLS, ids=[s[0] for s in SHELLS])
def test_a_delegate_run_through_its_own_methods_carries_the_request(name: str, code: str) -> None:
    report = assert_found(name, code, PROCESS, ["request parameter 'c'", "runs it as a command", "Process.Start"])
    assert REFLECTION not in {c.rule_id for c in report.capabilities}, [c.chain for c in report.capabilities]


BENIGN = [
    ("fixed-invoke.aspx", cs_page(RUNNER + 'run.Invoke("dir");', imports=("System.Diagnostics",))),
    ("fixed-begin.aspx", cs_page(RUNNER + 'run.BeginInvoke("dir", null, null);', imports=("System.Diagnostics",))),
    (
        "fixed-returns.aspx",
        cs_page(
            'Func<string> get = () => "dir";\nProcess.Start("cmd.exe", "/c " + get.Invoke());',
            imports=("System.Diagnostics",),
        ),
    ),
    (
        "vb-fixed-function.aspx",
        vb_page('Dim getc = Function() "dir"\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " & getc.Invoke())'),
    ),
    (
        "harmless-lambda.aspx",
        cs_page('Action<string> say = s => Response.Write(Server.HtmlEncode(s));\nsay.Invoke(Request["c"]);'),
    ),
]


BENIGN += [
    ("js-fixed-call.aspx", js_page(JS_RUN + 'run.call(null, "dir");')),
    ("js-fixed-apply.aspx", js_page(JS_RUN + 'run.apply(null, ["dir"]);')),
    ("js-other-call.aspx", js_page('var n = Request["n"];\nResponse.Write(Server.HtmlEncode(n.toString.call(n)));')),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_fixed_values_and_harmless_lambdas_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_delegate_over_a_method_found_by_reflection_is_still_reflection() -> None:
    # `m.Invoke(...)` of a MethodInfo is a reflective call, not a delegate's.
    code = cs_page(
        'var m = typeof(Process).GetMethod(Request["m"], new[] { typeof(string) });\n'
        'm.Invoke(null, new object[] { Request["c"] });',
        imports=("System.Diagnostics",),
    )
    assert REFLECTION in {c.rule_id for c in run("reflect.aspx", code).capabilities}
