"""A scheduled task made from a page through the Task Scheduler's own interfaces (T1053.005), not
by starting schtasks: the Schedule.Service COM object however it is created (C# through its ProgID
or CLSID and `dynamic`, VB's CreateObject, JScript's ActiveXObject, a ProgID built from pieces)
and the managed TaskScheduler wrapper. Kept quiet: pages that only read the scheduler's tasks."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

RULE = "EXH-WS-CODE-SCHEDULED-TASK"

JSCRIPT_PAGE = """<%@ Page Language="JScript" %>
<script runat="server">
function Page_Load(sender : Object, e : EventArgs) {
    var s = new ActiveXObject("Schedule.Service");
    s.Connect();
    var t = s.NewTask(0);
    var a = t.Actions.Create(0);
    a.Path = "c:\\\\windows\\\\system32\\\\cmd.exe";
    s.GetFolder("\\\\").RegisterTaskDefinition("Upd", t, 6, null, null, 3);
}
</script>"""

SHELLS = [
    (
        "task.aspx",
        cs_page(
            'dynamic svc = Activator.CreateInstance(Type.GetTypeFromProgID("Sched" + "ule.Ser" + "vice"));\n'
            "svc.Connect();\n"
            "var task = svc.NewTask(0);\n"
            "var act = task.Actions.Create(0);\n"
            'act.Path = "cmd.exe"; act.Arguments = "/c " + Request["c"];\n'
            'svc.GetFolder("\\\\").RegisterTaskDefinition("GoogleUpdate", task, 6, "SYSTEM", null, 5);'
        ),
        ["creates a scheduled task", "schedule.service.NewTask"],
    ),
    (
        "task_clsid.aspx",
        cs_page(
            'dynamic svc = Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid("0F87369F-A4E5-4CFC-BD3E-73E6154572DD")));\n'
            "svc.Connect(); var t = svc.NewTask(0);\n"
            'svc.GetFolder("\\\\").RegisterTaskDefinition("u", t, 6, null, null, 3);'
        )
        # (a page over the prefilter's small-page size: read for the CLSID itself)
        + "\n<div>"
        + "Quarterly figures. " * 300
        + "</div>",
        ["schedule.service.NewTask"],
    ),
    (
        "task_vb.aspx",
        vb_page(
            'Dim s = CreateObject("Schedule.Service")\n'
            "s.Connect()\n"
            "Dim t = s.NewTask(0)\n"
            't.Actions.Create(0).Path = "c:\\programdata\\u.exe"\n'
            's.GetFolder("\\").RegisterTaskDefinition("u", t, 6, Nothing, Nothing, 3)'
        ),
        ["schedule.service.NewTask"],
    ),
    ("task_js.aspx", JSCRIPT_PAGE, ["schedule.service.NewTask"]),
    (
        "task_lib.aspx",
        cs_page(
            "using (var ts = new Microsoft.Win32.TaskScheduler.TaskService()) {\n"
            '    ts.AddTask("u", new Microsoft.Win32.TaskScheduler.DailyTrigger(), '
            'new Microsoft.Win32.TaskScheduler.ExecAction("cmd.exe", "/c whoami", null));\n'
            "}"
        ),
        ["TaskService.AddTask"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_scheduled_task_made_from_a_page(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, RULE, words)


BENIGN = [
    (
        "tasks_status.aspx",
        cs_page(
            'dynamic svc = Activator.CreateInstance(Type.GetTypeFromProgID("Schedule.Service"));\n'
            "svc.Connect();\n"
            'foreach (dynamic t in svc.GetFolder("\\\\Backup").GetTasks(0)) { Response.Write(t.Name + " " + t.LastRunTime); }'
        ),
    ),
    (
        "tasks_lib_status.aspx",
        cs_page(
            "using (var ts = new Microsoft.Win32.TaskScheduler.TaskService()) {\n"
            '    var t = ts.GetTask("Backup"); Label1.Text = t.LastRunTime.ToString();\n'
            "}"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_pages_reading_tasks_are_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)
