"""What a variable's type says, and what it does not: in C# a local spelled like a class in
lower case (`string process`, `byte[] assembly`) is not the class its capitalised name calls
(`Process.Start`, `Assembly.Load`), and a variable declared `dynamic` or `object` has the type of
what it is set to, as `var` does; a store through a cast (`((Process)p)`, `p as Process`, VB's
`CType`/`DirectCast`) is a store into the object cast (docs/detection/webshell-code.md, "Names
told apart by case, and untyped declarations")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

IMPORTS = ("System.Diagnostics", "System.IO", "System.Reflection")


def page(body: str) -> str:
    return cs_page(body, imports=IMPORTS)


SHELLS = [
    (
        "process.aspx",
        page('string process = Request["c"];\nProcess.Start("cmd.exe", "/c " + process);'),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "Process.Start"],
    ),
    (
        "file.aspx",
        page('string file = Request.Form["f"];\nFile.Delete(file);'),
        "EXH-WS-CODE-FILE-MANAGE",
        ["form field 'f'", "File.Delete"],
    ),
    (
        "directory.aspx",
        page('string directory = Request["d"];\nforeach (var f in Directory.GetFiles(directory)) Response.Write(f);'),
        "EXH-WS-CODE-FILE-READ",
        ["request parameter 'd'", "Directory.GetFiles"],
    ),
    (
        "assembly.aspx",
        page(
            'byte[] assembly = Convert.FromBase64String(Request.Form["d"]);\nAssembly.Load(assembly).CreateInstance("U");'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'd'", "Assembly.Load"],
    ),
    (
        "dynamic.aspx",
        page(
            "string[] q = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Request.Form[\"d\"])).Split('~');\n"
            "dynamic assembly = Assembly.LoadWithPartialName(q[0]);\n"
            "Type t = assembly.GetType(q[1]);\n"
            "t.GetMethod(q[2]).Invoke(Activator.CreateInstance(t), null);"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'd'", "LoadWithPartialName"],
    ),
    (
        "object.aspx",
        page(
            "object p = new Process();\n"
            '((Process)p).StartInfo.FileName = "cmd.exe";\n'
            '((Process)p).StartInfo.Arguments = "/c " + Request["c"];\n'
            "((Process)p).Start();"
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
    ),
    (
        "as.aspx",
        page(
            "object o = new ProcessStartInfo();\n"
            '(o as ProcessStartInfo).FileName = "cmd.exe";\n'
            '(o as ProcessStartInfo).Arguments = "/c " + Request["c"];\n'
            "Process.Start(o as ProcessStartInfo);"
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "Process.Start"],
    ),
    (
        "ctype.aspx",
        vb_page(
            "Dim o As Object = New System.Diagnostics.ProcessStartInfo()\n"
            'CType(o, System.Diagnostics.ProcessStartInfo).FileName = "cmd.exe"\n'
            'DirectCast(o, System.Diagnostics.ProcessStartInfo).Arguments = "/c " & Request("c")\n'
            "System.Diagnostics.Process.Start(CType(o, System.Diagnostics.ProcessStartInfo))"
        ),
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "Process.Start"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_names_told_apart_by_case_and_untyped_declarations(
    name: str, code: str, rule_id: str, words: list[str]
) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    # a variable of the class's name, lower case, holding the class: its methods are the class's
    ("own-process.aspx", page("Process process = Process.GetCurrentProcess();\nResponse.Write(process.Id);")),
    # a local `file` of the page's own type whose Delete is the page's, not File.Delete
    (
        "own-file.aspx",
        cs_page(
            'var file = new Upload(Request["id"]);\nfile.Delete();',
            members="class Upload { string id; public Upload(string i) { id = i; } public void Delete() { } }",
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_a_variables_own_methods_stay_its_own(name: str, code: str) -> None:
    assert_benign(name, code)
