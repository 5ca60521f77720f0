"""An action of an MVC, Web API or OData controller (a public method of a class derived from
`Controller`, `ApiController`, `AsyncController`, `ODataController` or `ControllerBase`) answers
the client, and model binding fills its parameters from the request, as a web method's are: a
controller planted in App_Code that runs its argument is a shell. So is a SignalR hub's public
method, which connected clients invoke (docs/detection/webshell-code.md, "Controller actions")."""

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
        # an attribute with arguments before the modifiers: `[HttpGet("run")]` must not hide `public`
        "RoutedShell.cs",
        "using Microsoft.AspNetCore.Mvc;\n[ApiController] public class ExecController : ControllerBase {\n"
        '  [HttpGet("run")] [Route("x/{c}")]\n'
        '  public IActionResult Get([FromQuery] string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); return Ok(); }\n}\n',
    ),
    (
        "ODataShell.cs",
        "using System.Web.OData;\npublic class ItemsController : ODataController {\n"
        '  public IHttpActionResult Post(string c) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); return null; }\n}\n',
    ),
    (
        "RoutedShell.vb",
        "Imports System.Web.Http\nPublic Class ShellController\n    Inherits ApiController\n"
        '    <HttpGet(), Route("run/{c}")> Public Function Run(c As String) As String\n'
        '        Return System.Diagnostics.Process.Start("cmd.exe", "/c " & c).Id.ToString()\n'
        "    End Function\nEnd Class\n",
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


def test_web_api_request_content_is_the_body() -> None:
    """Web API's `Request` is an `HttpRequestMessage`: its `Content` is the body the client sent."""
    code = (
        "using System.Web.Http;\npublic class ToolsController : ApiController {\n"
        "  public string Post() {\n    var c = Request.Content.ReadAsStringAsync().Result;\n"
        '    return System.Diagnostics.Process.Start("cmd.exe", "/c " + c).Id.ToString();\n  }\n}\n'
    )
    assert_found("ToolsController.cs", code, "EXH-WS-CODE-PROCESS", ["the request body"])


HUB = (
    "using Microsoft.AspNet.SignalR;\npublic class ConsoleHub : Hub<IConsole> {\n"
    "  public void Send(string c) {\n"
    '    var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c) '
    "{ RedirectStandardOutput = true, UseShellExecute = false });\n"
    "    Clients.Caller.Show(p.StandardOutput.ReadToEnd());\n  }\n}\n"
)


def test_a_signalr_hub_runs_what_its_clients_invoke_it_with() -> None:
    """A hub's public methods are invoked by any connected client with its own arguments
    ([SignalR hubs](https://learn.microsoft.com/en-us/aspnet/signalr/overview/guide-to-the-api/hubs-api-guide-server))."""
    assert_found("ConsoleHub.cs", HUB, "EXH-WS-CODE-PROCESS", ["hub method parameter 'c'", "in a SignalR hub"])


def test_a_hub_that_relays_chat_stays_quiet() -> None:
    chat = HUB.replace(
        'var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c) '
        "{ RedirectStandardOutput = true, UseShellExecute = false });\n"
        "    Clients.Caller.Show(p.StandardOutput.ReadToEnd());",
        'System.IO.File.AppendAllText(@"C:\\Logs\\chat.log", c);\n    Clients.All.Show(c);',
    )
    assert "Process" not in chat
    assert_benign("ChatHub.cs", chat)
    private = HUB.replace("public void Send", "private void Send")
    assert_benign("ConsoleHub.cs", private)
