"""EXH-WS-CODE-CLEAR-LOGS and EXH-WS-CODE-CLEAR-LOGS-COMMAND: a page that clears or deletes Windows
event logs, through System.Diagnostics.EventLog, EventLogSession or a fixed command line
(wevtutil, PowerShell's Clear-EventLog), whatever names the log; beside pages that write to or
read event logs. Also the types of results a later call is made on (`AppDomain.CreateDomain`,
`EventLog.GetEventLogs`) (docs/detection/webshell-code.md, "Event logs cleared")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

CLEAR = "EXH-WS-CODE-CLEAR-LOGS"
COMMAND = "EXH-WS-CODE-CLEAR-LOGS-COMMAND"

SHELLS = [
    ("clear.aspx", cs_page('new System.Diagnostics.EventLog("Security").Clear();'), CLEAR, ["(EventLog.Clear)"]),
    (
        "clear-named.aspx",
        cs_page('var log = new System.Diagnostics.EventLog(Request["log"]);\nlog.Clear();'),
        CLEAR,
        ["request parameter 'log'", "clears or deletes the event log"],
    ),
    (
        "clear-all.aspx",
        cs_page("foreach (var log in System.Diagnostics.EventLog.GetEventLogs()) { log.Clear(); }"),
        CLEAR,
        ["(EventLog.Clear)"],
    ),
    (
        "clear-typed.aspx",
        cs_page("foreach (System.Diagnostics.EventLog log in Logs()) log.Clear();"),
        CLEAR,
        ["(EventLog.Clear)"],
    ),
    ("delete.aspx", cs_page('System.Diagnostics.EventLog.Delete("Security");'), CLEAR, ["(EventLog.Delete)"]),
    (
        "session.aspx",
        cs_page('System.Diagnostics.Eventing.Reader.EventLogSession.GlobalSession.ClearLog("Security");'),
        CLEAR,
        ["(GlobalSession.ClearLog)"],
    ),
    (
        "clear.vb.aspx",
        vb_page('Dim log As New System.Diagnostics.EventLog("Security")\nlog.Clear()'),
        CLEAR,
        ["EventLog.Clear"],
    ),
    (
        "wevtutil.aspx",
        cs_page('System.Diagnostics.Process.Start("wevtutil.exe", "cl Security");'),
        COMMAND,
        ["(wevtutil.exe cl Security; Process.Start)"],
    ),
    (
        "wevtutil-folded.aspx",
        cs_page(
            'string w = "wev" + "tutil";\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + w + " cl System & " + w + " clear-log Security");'
        ),
        COMMAND,
        ["cmd.exe /c wevtutil cl System & wevtutil clear-log Security"],
    ),
    (
        "powershell.aspx",
        cs_page(
            "var ps = System.Management.Automation.PowerShell.Create();\n"
            'ps.AddScript("Clear-EventLog -LogName Security, System");\nps.Invoke();'
        ),
        COMMAND,
        ["Clear-EventLog -LogName Security, System", ".AddScript"],
    ),
    (
        "psi.aspx",
        cs_page(
            'var psi = new System.Diagnostics.ProcessStartInfo("powershell.exe", '
            '"-c Get-EventLog -List | % { Remove-EventLog $_.Log }");\nSystem.Diagnostics.Process.Start(psi);'
        ),
        COMMAND,
        ["Remove-EventLog", "new ProcessStartInfo"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_clearing_event_logs_is_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    ("write.aspx", cs_page('System.Diagnostics.EventLog.WriteEntry("Shop", "order placed");')),
    (
        "read.aspx",
        cs_page(
            'var log = new System.Diagnostics.EventLog("Application");\n'
            "foreach (System.Diagnostics.EventLogEntry entry in log.Entries) Response.Write(Server.HtmlEncode(entry.Message));"
        ),
    ),
    ("list.aspx", cs_page('var items = new System.Collections.Generic.List<string> { Request["a"] };\nitems.Clear();')),
    ("query.aspx", cs_page('System.Diagnostics.Process.Start("wevtutil.exe", "qe Application /c:5 /f:text");')),
    (
        "source.aspx",
        cs_page(
            'if (!System.Diagnostics.EventLog.SourceExists("Shop")) System.Diagnostics.EventLog.CreateEventSource("Shop", "Application");'
        ),
    ),
    (
        "cache.aspx",
        cs_page(
            'foreach (var d in AppDomain.CurrentDomain.GetAssemblies()) Response.Write(d.FullName); Cache.Remove("x");'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_pages_writing_or_reading_event_logs_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_domain_made_at_run_time_loads_the_request_bytes() -> None:
    code = cs_page('var domain = AppDomain.CreateDomain("x");\ndomain.Load(Convert.FromBase64String(Request["c"]));')
    assert_found("domain.aspx", code, "EXH-WS-CODE-ASSEMBLY", ["request parameter 'c'", "(AppDomain.Load)"])


def test_a_fixed_command_line_is_shown_in_the_chain_with_its_line() -> None:
    code = cs_page('int n = 1;\nSystem.Diagnostics.Process.Start("wevtutil", "cl Security");')
    report = run("lines.aspx", code)
    found = next(c for c in report.capabilities if c.rule_id == COMMAND)
    assert found.line == 5 and found.lines == (5,)  # the directive, the script tag, Page_Load, `int n`


def test_an_applications_own_clear_log_method_and_a_source_file_stay_quiet() -> None:
    # A CMS's own log (its controller's ClearLog), and a hosting panel's agent clearing a Windows
    # log as its administrator asks: an admin feature in a source file, not a served page.
    assert_benign("admin.aspx", cs_page("var logs = new LogController();\nlogs.ClearLog(PortalId);"))
    agent = """public class OperatingSystem {
    public void ClearLog(string logName) {
        var log = new System.Diagnostics.EventLog(logName);
        log.Clear();
    }
}"""
    assert_benign("OperatingSystem.cs", agent)
