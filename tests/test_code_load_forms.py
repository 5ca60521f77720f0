"""More documented ways to load, compile and run code: an AssemblyLoadContext's LoadFromStream and
LoadFromAssemblyPath, CodeDom's CompileAssemblyFromFile, PowerShell's ScriptBlock.Create and
InvokeCommand.InvokeScript, AppDomain.ExecuteAssemblyByName, CreateInstance(AndUnwrap) and
Activator.CreateInstance(assemblyName, typeName) with a client's assembly name. Each with a shell written for it and a genuine page or handler that
makes the same call with a value of its own (docs/detection/webshell-code.md, "More load forms")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page


def page(body: str) -> str:
    return cs_page(body)


SHELLS = [
    (
        "activator-by-name.aspx",
        # the string overload loads the assembly it names (Type's overloads are reflection's)
        page('var o = Activator.CreateInstance(Request["a"], Request["t"]).Unwrap();\nResponse.Write(o);'),
        "EXH-WS-CODE-ASSEMBLY",
        ["request parameter 'a'", "Activator.CreateInstance"],
    ),
    (
        "by-name.aspx",
        # an assembly of the application's folders, named by the client, run from its entry point
        page('AppDomain.CurrentDomain.ExecuteAssemblyByName(Request["a"], new string[] { Request["c"] });'),
        "EXH-WS-CODE-ASSEMBLY",
        ["request parameter 'a'", "ExecuteAssemblyByName"],
    ),
    (
        "unwrap.aspx",
        # a type of an assembly the client names, created in a new domain: its constructor runs
        page(
            'AppDomain d = AppDomain.CreateDomain("x");\n'
            'var o = d.CreateInstanceAndUnwrap(Request.Form["a"], Request.Form["t"]);\nResponse.Write(o);'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'a'", "(AppDomain.CreateInstanceAndUnwrap)"],
    ),
    (
        "handle.aspx",
        page('var h = AppDomain.CurrentDomain.CreateInstance(Request["a"], "Tools.Run");\nh.Unwrap();'),
        "EXH-WS-CODE-ASSEMBLY",
        ["request parameter 'a'", "(CurrentDomain.CreateInstance)"],
    ),
    (
        "alc.aspx",
        page(
            "var ctx = System.Runtime.Loader.AssemblyLoadContext.Default;\n"
            'var raw = Convert.FromBase64String(Request.Form["z"]);\n'
            "var asm = ctx.LoadFromStream(new System.IO.MemoryStream(raw));\n"
            "asm.EntryPoint.Invoke(null, new object[] { new string[0] });"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'z'", "base64-decodes it", "LoadFromStream"],
    ),
    (
        "plug.cs",
        # A payload class of a .NET Core memory shell, loading a DLL it was told of.
        """using System.Runtime.Loader;
using Microsoft.AspNetCore.Http;
public class Plug {
    public void Handle(HttpContext ctx) {
        var asm = new AssemblyLoadContext("p").LoadFromAssemblyPath(ctx.Request.Query["dll"]);
        asm.CreateInstance("Run");
    }
}""",
        "EXH-WS-CODE-ASSEMBLY",
        ["query parameter 'dll'", "LoadFromAssemblyPath"],
    ),
    (
        "build.aspx",
        page(
            "var cp = new Microsoft.CSharp.CSharpCodeProvider();\n"
            "var opts = new System.CodeDom.Compiler.CompilerParameters { GenerateInMemory = true };\n"
            'var res = cp.CompileAssemblyFromFile(opts, Request["src"]);\n'
            'res.CompiledAssembly.CreateInstance("Stage");'
        ),
        "EXH-WS-CODE-COMPILE",
        ["request parameter 'src'", "CompileAssemblyFromFile"],
    ),
    (
        "psb.aspx",
        page(
            'var block = System.Management.Automation.ScriptBlock.Create(Request.Form["ps"]);\n'
            "foreach (var o in block.Invoke()) Response.Write(o);"
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'ps'", "ScriptBlock.Create"],
    ),
    (
        "psi.aspx",
        page(
            "var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace();\n"
            "rs.Open();\n"
            'var outp = rs.SessionStateProxy.InvokeCommand.InvokeScript(Request.Headers["X-Run"]);\n'
            "foreach (var o in outp) Response.Write(o);"
        ),
        "EXH-WS-CODE-PROCESS",
        ["request header 'X-Run'", "InvokeCommand.InvokeScript"],
    ),
]

BENIGN = [
    (
        "by-fixed-name.aspx",
        page('AppDomain.CurrentDomain.ExecuteAssemblyByName("Reports.Builder", new string[] { "--quiet" });'),
    ),
    (
        "report-by-kind.aspx",
        # The site's own report assembly, the report class picked from a query parameter.
        page('var r = AppDomain.CurrentDomain.CreateInstanceAndUnwrap("Reports", "Reports." + Request["kind"]);'),
    ),
    (
        "activator-of-a-type.aspx",
        # A type the code looks up (here by the client's choice), created with the client's value:
        # no assembly is named, so no assembly is loaded (reflection's own rule weighs the lookup).
        page(
            'Type t = Type.GetType("Reports." + Request["kind"] + ", Reports");\n'
            'var r = Activator.CreateInstance(t, Request["month"]);\n'
            'var s = Activator.CreateInstance(typeof(System.Text.StringBuilder), Request["m"]);'
        ),
    ),
    (
        "activator-fixed-assembly.aspx",
        page('var r = Activator.CreateInstance("Reports", "Reports." + Request["kind"]).Unwrap();'),
    ),
    (
        "plugins.ashx",
        # A handler loading the site's own plug-in from its bin folder.
        """<%@ WebHandler Language="C#" Class="Plugins" %>
using System.Web;
public class Plugins : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        var path = ctx.Server.MapPath("~/bin/plugins/Reports.dll");
        var asm = System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        ctx.Response.Write(asm.GetName().Version);
    }
}""",
    ),
    (
        "report.aspx",
        # A report template of the site compiled once, with the visitor's choice of month as data.
        page(
            "var cp = new Microsoft.CSharp.CSharpCodeProvider();\n"
            'var res = cp.CompileAssemblyFromFile(new System.CodeDom.Compiler.CompilerParameters(), Server.MapPath("~/App_Data/report.cs"));\n'
            'var r = res.CompiledAssembly.CreateInstance("Report");\n'
            'lit.Text = r.ToString() + Server.HtmlEncode(Request["month"]);'
        ),
    ),
    (
        "services.aspx",
        # An intranet status page running one fixed PowerShell line.
        page(
            'var block = System.Management.Automation.ScriptBlock.Create("Get-Service W3SVC | Select-Object -ExpandProperty Status");\n'
            "foreach (var o in block.Invoke()) status.Text = o.ToString();"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_load_form_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)
