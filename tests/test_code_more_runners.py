"""Ways to run code or plant a way back in that go through other parts of Windows and .NET than
the compiler, the process API or the scheduler: Windows Workflow's compiler and XAML loader given
what the request names, InstallUtil's code (ManagedInstallerClass.InstallHelper) given a DLL the
client picks, a WMI permanent event subscription created from a page (T1546.003), and Razor
templates (RazorEngine, RazorLight) the client sends. Kept quiet: the same APIs on files the site
keeps, and WMI queries that create nothing."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

SHELLS = [
    (
        "wf.aspx",
        cs_page(
            "var p = new System.Workflow.ComponentModel.Compiler.WorkflowCompilerParameters();\n"
            "var r = new System.Workflow.ComponentModel.Compiler.WorkflowCompiler()"
            '.Compile(p, new string[] { Server.MapPath(Request["f"]) });'
        ),
        "EXH-WS-CODE-COMPILE",
        ["request parameter 'f'", "WorkflowCompiler.Compile"],
    ),
    (
        "xaml.aspx",
        cs_page(
            "var a = System.Activities.XamlIntegration.ActivityXamlServices.Load("
            "new System.IO.StreamReader(Request.InputStream));\n"
            "System.Activities.WorkflowInvoker.Invoke(a);"
        ),
        "EXH-WS-CODE-COMPILE",
        ["request body", "ActivityXamlServices.Load"],
    ),
    (
        "iu.aspx",
        cs_page('System.Configuration.Install.ManagedInstallerClass.InstallHelper(new[] { "/u", Request["dll"] });'),
        "EXH-WS-CODE-ASSEMBLY",
        ["request parameter 'dll'", "ManagedInstallerClass.InstallHelper"],
    ),
    (
        "wmi.aspx",
        cs_page(
            'var c = new System.Management.ManagementClass(@"root\\subscription:CommandLineEventConsumer")'
            ".CreateInstance();\n"
            'c["Name"] = "upd"; c["CommandLineTemplate"] = "cmd.exe /c whoami > c:\\\\users\\\\public\\\\w.txt";\n'
            "c.Put();"
        ),
        "EXH-WS-CODE-WMI-SUBSCRIPTION",
        ["CommandLineEventConsumer", "new ManagementClass"],
    ),
    (
        "wmi_vb.aspx",
        vb_page(
            'Dim f As New System.Management.ManagementClass("root\\subscription", "__EventFilter", Nothing)\n'
            "Dim i = f.CreateInstance()\n"
            'i("Query") = "SELECT * FROM __InstanceModificationEvent WITHIN 60 WHERE TargetInstance ISA '
            "'Win32_PerfFormattedData_PerfOS_System'\"\n"
            "i.Put()"
        ),
        "EXH-WS-CODE-WMI-SUBSCRIPTION",
        ["__EventFilter"],
    ),
    (
        "wmi_ps.aspx",
        cs_page(
            'System.Diagnostics.Process.Start("powershell.exe", "-c Set-WmiInstance -Namespace root/subscription '
            "-Class CommandLineEventConsumer -Arguments @{Name='u';CommandLineTemplate='c:\\\\p\\\\u.exe'}\");"
        ),
        "EXH-WS-CODE-PERSIST-COMMAND",
        ["Set-WmiInstance", "CommandLineEventConsumer"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_runner_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    (
        "wf_fixed.aspx",
        cs_page(
            "var p = new System.Workflow.ComponentModel.Compiler.WorkflowCompilerParameters();\n"
            "new System.Workflow.ComponentModel.Compiler.WorkflowCompiler()"
            '.Compile(p, new string[] { Server.MapPath("~/App_Data/approval.xoml") });'
        ),
    ),
    (
        "xaml_fixed.aspx",
        cs_page(
            "var a = System.Activities.XamlIntegration.ActivityXamlServices.Load("
            'Server.MapPath("~/App_Data/order.xaml"));\n'
            'System.Activities.WorkflowInvoker.Invoke(a, new Dictionary<string, object> { { "Id", Request["id"] } });'
        ),
    ),
    (
        "wmi_list.aspx",
        cs_page(
            'var c = new System.Management.ManagementClass(@"root\\subscription:CommandLineEventConsumer");\n'
            'foreach (var o in c.GetInstances()) { Response.Write(o["Name"]); }'
        ),
    ),
    (
        "wmi_disks.aspx",
        cs_page(
            'var c = new System.Management.ManagementClass("Win32_LogicalDisk");\n'
            'var o = c.CreateInstance(); foreach (var d in c.GetInstances()) { Response.Write(d["FreeSpace"]); }'
        ),
    ),
    (
        "wmi_query_ps.aspx",
        cs_page(
            'System.Diagnostics.Process.Start("powershell.exe", '
            '"-c Get-WmiObject -Namespace root/subscription -Class CommandLineEventConsumer");'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_look_alike_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


# Razor templates are C#: `@{ System.Diagnostics.Process.Start(...); }` in a template the client
# sends runs on the server when RazorEngine or RazorLight compiles it.
RAZOR_SHELLS = [
    ("razor-run.aspx", 'RazorEngine.Engine.Razor.RunCompile(Request["t"], "k", null, null);', "RunCompile"),
    ("razor-parse.aspx", 'Response.Write(RazorEngine.Razor.Parse(Request.Form["t"], new { }));', "Razor.Parse"),
    (
        "razor-service.aspx",
        'var svc = RazorEngine.Templating.RazorEngineService.Create();\nsvc.RunCompile(Request["t"], "k");',
        "RunCompile",
    ),
    (
        "razorlight.aspx",
        'var e = new RazorLight.RazorLightEngineBuilder().Build();\ne.CompileRenderStringAsync("k", Request["t"], new { }).Wait();',
        "CompileRenderStringAsync",
    ),
]


@pytest.mark.parametrize(("name", "body", "api"), RAZOR_SHELLS, ids=[s[0] for s in RAZOR_SHELLS])
def test_a_razor_template_from_the_request_is_compiled_code(name: str, body: str, api: str) -> None:
    assert_found(name, cs_page(body), "EXH-WS-CODE-COMPILE", [api])


def test_a_razor_template_from_a_file_with_the_requests_model_stays_quiet() -> None:
    body = (
        'var t = System.IO.File.ReadAllText(Server.MapPath("~/App_Data/mail.cshtml"));\n'
        'Response.Write(RazorEngine.Engine.Razor.RunCompile(t, "mail", null, new { Name = Request["name"] }));\n'
        'Response.Write(RazorEngine.Razor.Parse(t, new { Name = Request.Form["name"] }));'
    )
    assert_benign("razor-file.aspx", cs_page(body))
