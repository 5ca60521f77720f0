"""How C# names a sink without spelling its type at the call: a `using` alias (`using P =
System.Diagnostics.Process;` then `P.Start`), `using static` (then a bare `Start`), `global::`,
`nameof(Process.Start)` for a reflected method's name, `Activator.CreateInstance<Process>()` for a
variable's type, and an extension method (`x.Run()` of `static void Run(this string s)`), whose
receiver is its first parameter; and the connection a DbProviderFactory creates, typed as a
connection. Fixed values through the same forms, and aliases of harmless types, are not
reported."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page

PROCESS = "EXH-WS-CODE-PROCESS"


def handler(usings: str, body: str, members: str = "") -> str:
    return (
        '<%@ WebHandler Language="C#" Class="H" %>\nusing System;\nusing System.Web;\n'
        + usings
        + "\n"
        + members
        + "\npublic class H : IHttpHandler {\n  public bool IsReusable { get { return false; } }\n"
        + "  public void ProcessRequest(HttpContext context) {\n"
        + body
        + "\n  }\n}\n"
    )


SHELLS = [
    (
        "alias.ashx",
        handler("using P = System.Diagnostics.Process;", 'P.Start("cmd.exe", "/c " + context.Request["c"]);'),
        ["request parameter 'c'", "runs it as a command"],
    ),
    (
        "static.ashx",
        handler("using static System.Diagnostics.Process;", 'Start("cmd.exe", "/c " + context.Request["c"]);'),
        ["request parameter 'c'", "runs it as a command"],
    ),
    (
        "global.aspx",
        cs_page('global::System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]);'),
        ["request parameter 'c'"],
    ),
    (
        "nameof.aspx",
        cs_page(
            "typeof(System.Diagnostics.Process).GetMethod(nameof(System.Diagnostics.Process.Start), "
            "new Type[] { typeof(string), typeof(string) })"
            '.Invoke(null, new object[] { "cmd.exe", Request["c"] });'
        ),
        ["request parameter 'c'", "called by reflection as Process.Start"],
    ),
    (
        "activator.aspx",
        cs_page(
            "var p = Activator.CreateInstance<System.Diagnostics.Process>();\n"
            'p.StartInfo.FileName = "cmd.exe";\np.StartInfo.Arguments = Request["c"];\np.Start();'
        ),
        ["request parameter 'c'"],
    ),
    (
        "extension.ashx",
        handler(
            "",
            'context.Request["c"].Run();',
            "public static class Ext {\n"
            '  public static void Run(this string s) { System.Diagnostics.Process.Start("cmd.exe", "/c " + s); }\n}',
        ),
        ["request parameter 'c'", "runs it as a command"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_shell_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, PROCESS, words)


def test_provider_neutral_connection_typed() -> None:
    """`DbProviderFactories.GetFactory(...).CreateConnection()` is a connection as SqlConnection
    is: the client's connection string opened through it is EXH-WS-CODE-SQL."""
    code = cs_page(
        'var f = System.Data.Common.DbProviderFactories.GetFactory("System.Data.SqlClient");\n'
        "var cn = f.CreateConnection();\n"
        'cn.ConnectionString = Request["cs"];\n'
        "cn.Open();"
    )
    assert_found("db.aspx", code, "EXH-WS-CODE-SQL", ["request parameter 'cs'", "DbConnection.Open"])


def test_provider_neutral_connection_from_configuration_not_reported() -> None:
    code = cs_page(
        'var f = System.Data.Common.DbProviderFactories.GetFactory("System.Data.SqlClient");\n'
        "var cn = f.CreateConnection();\n"
        'cn.ConnectionString = System.Configuration.ConfigurationManager.ConnectionStrings["Main"].ConnectionString;\n'
        "cn.Open();"
    )
    assert_benign("db.aspx", code)


BENIGN = [
    (
        "alias-fixed.ashx",
        handler("using P = System.Diagnostics.Process;", 'P.Start("notepad.exe", "readme.txt");'),
    ),
    (
        "alias-harmless.ashx",
        handler(
            "using IOPath = System.IO.Path;",
            'context.Response.Write(context.Server.HtmlEncode(IOPath.GetFileName(context.Request["f"])));',
        ),
    ),
    (
        "static-math.ashx",
        handler("using static System.Math;", 'context.Response.Write(Abs(int.Parse(context.Request["n"])));'),
    ),
    (
        "extension-harmless.ashx",
        handler(
            "",
            'context.Response.Write(context.Request["q"].Clean());',
            "public static class Ext {\n"
            "  public static string Clean(this string s) { return System.Web.HttpUtility.HtmlEncode(s); }\n}",
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)
