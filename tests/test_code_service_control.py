"""EXH-WS-CODE-SERVICE-CONTROL: a page stopping, starting or pausing the service the client names
(ServiceController) or ending the process the client picks by id or name (Process.Kill), the
service and process managers of shell tool kits; beside monitoring pages that list them, a page
stopping its own fixed service and one ending the tool it started (docs/detection/webshell-code.md,
"Services and processes")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

RULE = "EXH-WS-CODE-SERVICE-CONTROL"

SHELLS = [
    (
        "stop.aspx",
        cs_page('new System.ServiceProcess.ServiceController(Request["s"]).Stop();'),
        ["request parameter 's'", "(ServiceController.Stop)"],
    ),
    (
        "start-by-name.aspx",
        cs_page('var sc = new System.ServiceProcess.ServiceController();\nsc.ServiceName = Request["s"];\nsc.Start();'),
        ["(ServiceController.Start)"],
    ),
    (
        "kill.aspx",
        cs_page('var p = System.Diagnostics.Process.GetProcessById(Convert.ToInt32(Request.Form["pid"]));\np.Kill();'),
        ["form field 'pid'", "(Process.Kill)"],
    ),
    (
        "kill-by-name.aspx",
        cs_page('foreach (var p in System.Diagnostics.Process.GetProcessesByName(Request["n"])) p.Kill();'),
        ["request parameter 'n'", "(Process.Kill)"],
    ),
    (
        "kill.vb.aspx",
        vb_page(
            'Dim p As System.Diagnostics.Process = System.Diagnostics.Process.GetProcessById(CInt(Request("pid")))\n'
            "p.Kill()"
        ),
        ["request parameter 'pid'", "(Process.Kill)"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_services_and_processes_the_client_names_are_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, RULE, words)


BENIGN = [
    ("own-service.aspx", cs_page('new System.ServiceProcess.ServiceController("ShopIndexer").Stop();')),
    (
        "own-tool.aspx",
        cs_page(
            'var p = System.Diagnostics.Process.Start("convert.exe", "in.png out.jpg");\n'
            "if (!p.WaitForExit(5000)) p.Kill();"
        ),
    ),
    (
        "status.aspx",
        cs_page(
            "foreach (var s in System.ServiceProcess.ServiceController.GetServices())\n"
            '    Response.Write(Server.HtmlEncode(s.ServiceName + " " + s.Status));\n'
            'var chosen = System.Diagnostics.Process.GetProcessById(int.Parse(Request["pid"]));\n'
            "Response.Write(chosen.WorkingSet64);"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_monitoring_and_own_processes_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
