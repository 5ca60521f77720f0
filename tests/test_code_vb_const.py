"""VB's `Const` statement (`Const P As String = "cm" & "d.exe"`, several on one line) holds a
constant the folder reads, as C#'s `const` fields and locals are read: a command hidden in one is
shown, and a fixed tool named by one is not an unresolved value (docs/detection/webshell-code.md,
"VB's Const statements")."""

from __future__ import annotations

from code_support import assert_benign, assert_found, run, vb_page


def test_a_command_hidden_in_a_constant_is_folded() -> None:
    code = vb_page(
        'System.Diagnostics.Process.Start(P, "/c " & Request.Form("c"))',
        members='Private Const P As String = "cm" & "d.exe"',
    )
    report = assert_found("const.aspx", code, "EXH-WS-CODE-PROCESS", ["form field 'c'"])
    assert "cmd.exe" in report.folded


def test_several_constants_on_one_line_and_in_a_method() -> None:
    code = vb_page(
        'Const A As String = "po", B As String = "wershell" & ".exe"\n'
        'System.Diagnostics.Process.Start(A & B, "-enc " & Request.Form("c"))'
    )
    report = assert_found("consts.aspx", code, "EXH-WS-CODE-PROCESS", ["form field 'c'"])
    assert "powershell.exe" in report.folded


def test_a_fixed_tool_named_by_a_constant_is_benign() -> None:
    code = vb_page(
        "System.Diagnostics.Process.Start(Tool, Args)",
        members='Const Tool As String = "C:\\Tools\\pdftotext.exe"\nConst Args As String = "-layout in.pdf out.txt"',
    )
    assert_benign("tool.aspx", code)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in run("tool.aspx", code).capabilities]


def test_constants_declared_below_the_method_that_uses_them() -> None:
    """A constant (or a field's initializer) holds its value before any method runs, wherever the
    class declares it: an object made from a ProgID held in one declared at the end of the script
    block is that object."""
    vb = (
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(sender As Object, e As EventArgs)\n'
        'Dim sh As Object = CreateObject(Prog)\nsh.Run("cmd.exe /c " & Request("c"))\nEnd Sub\n'
        'Const Prog As String = Part & ".Shell"\nConst Part As String = "WScript"\n</script>\n'
    )
    assert_found("below.aspx", vb, "EXH-WS-CODE-PROCESS", ["request parameter 'c'", "wscript.shell.Run"])
    cs = (
        '<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object sender, EventArgs e) {\n'
        "dynamic sh = Activator.CreateInstance(Type.GetTypeFromProgID(Prog));\n"
        'sh.Run("cmd.exe /c " + Request["c"]);\n}\nstatic readonly string Prog = "WScript" + ".Shell";\n</script>\n'
    )
    assert_found("below.aspx", cs, "EXH-WS-CODE-PROCESS", ["request parameter 'c'", "wscript.shell.Run"])
