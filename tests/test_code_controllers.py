"""An action of an MVC or Web API controller (a public method of a class derived from
`Controller`, `ApiController`, `AsyncController` or `ControllerBase`) answers the client, and model
binding fills its parameters from the request, as a web method's are: a controller planted in
App_Code that runs its argument is a shell (docs/detection/webshell-code.md, "Controller
actions")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found

SHELLS = [
    (
        "ShellController.cs",
        "using System.Web.Mvc;\npublic class ShellController : Controller {\n"
        "  public ActionResult Run(string c) {\n"
        '    var p = System.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n'
        "    return Content(p.StandardOutput.ReadToEnd());\n  }\n}\n",
    ),
    (
        "ApiShell.cs",
        "using System.Web.Http;\npublic class ToolsController : System.Web.Http.ApiController {\n"
        '  [HttpPost] public string Run([FromBody] string c) { return System.Diagnostics.Process.Start("cmd.exe", c).Id.ToString(); }\n}\n',
    ),
    (
        "CoreShell.cs",
        "using Microsoft.AspNetCore.Mvc;\n[ApiController] public class ExecController : ControllerBase {\n"
        '  public IActionResult Get(string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); return Ok(); }\n}\n',
    ),
    (
        "ShellController.vb",
        "Imports System.Web.Mvc\nPublic Class ShellController\n    Inherits Controller\n"
        "    Public Function Run(c As String) As ActionResult\n"
        '        Return Content(System.Diagnostics.Process.Start("cmd.exe", "/c " & c).Id.ToString())\n'
        "    End Function\nEnd Class\n",
    ),
]


@pytest.mark.parametrize(("name", "code"), SHELLS, ids=[s[0] for s in SHELLS])
def test_a_controller_action_runs_what_the_client_binds(name: str, code: str) -> None:
    assert_found(name, code, "EXH-WS-CODE-PROCESS", ["action parameter 'c'", "in a controller action"])


BENIGN = [
    (
        "ReportController.cs",
        "using System.Web.Mvc;\npublic class ReportController : Controller {\n"
        '  public ActionResult Build(int id) { System.Diagnostics.Process.Start(@"C:\\Tools\\report.exe", "--all"); return View(); }\n}\n',
    ),
    (
        "HelperController.cs",  # not an action: the framework never binds these parameters
        "using System.Web.Mvc;\npublic class ToolsController : Controller {\n"
        '  [NonAction] public void Run(string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); }\n'
        '  private void Other(string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); }\n'
        '  public static void Helper(string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); }\n}\n',
    ),
    (
        "Tools.cs",  # a class of another base: its callers are the application's code
        'public class Tools : Base {\n  public void Run(string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); }\n}\n',
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_what_is_no_action_stays_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
