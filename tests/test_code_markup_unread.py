"""A page's code-behind read without its markup (collected alone, renamed, or its page gone):
the controls it reads (`txtCmd.Text`) are declared in the markup or a designer file, never in the
code-behind itself. A name such a class uses and never declares, whose `.Text`, `.Value` or
`.PostedFile` it reads, is taken for one of those controls, so a command typed into it is still
the client's. Names the class declares, inherits from the page (`Request`, `Master`...) or takes
as parameters are not controls, and a desktop form's partial class (whose controls its designer
declares too) is not a page. A connection opened on a data file the client uploaded (an Excel
import) is not a database client of the client's choosing."""

from __future__ import annotations

from pathlib import Path

from code_support import medium_or_above
from exhunt.codeanalysis import analyze_code
from files_support import by_rule, hunt, server_file

APP = "C:\\inetpub\\wwwroot\\app\\"

RUNNER = b"""using System;
using System.Diagnostics;
using System.Web.UI;

public partial class Console1 : System.Web.UI.Page
{
    string command;
    protected void Run_Click(object sender, EventArgs e)
    {
        command = txtCommand.Text;
        ProcessStartInfo psi = new ProcessStartInfo("cmd.exe", "/c " + command);
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        Process p = Process.Start(psi);
        txtOutput.Text = p.StandardOutput.ReadToEnd();
    }
}
"""

VB_RUNNER = b"""Imports System.Diagnostics
Imports System.Web.UI

Partial Class Console1
    Inherits System.Web.UI.Page

    Protected Sub Run_Click(sender As Object, e As EventArgs)
        Dim p As Process = Process.Start("cmd.exe", "/c " & txtCommand.Text)
    End Sub
End Class
"""


def _process_chain(report: object) -> str:
    found = medium_or_above(report)  # type: ignore[arg-type]
    assert "EXH-WS-CODE-PROCESS" in found, found
    return " ".join(c.chain for c in report.capabilities if c.rule_id == "EXH-WS-CODE-PROCESS")  # type: ignore[attr-defined]


def test_an_undeclared_control_of_a_code_behind_is_the_clients() -> None:
    chain = _process_chain(analyze_code(RUNNER, "console1.aspx.cs"))
    assert "control 'txtcommand'" in chain and "markup that was not read" in chain, chain


def test_a_renamed_code_behind_is_known_by_its_class() -> None:
    _process_chain(analyze_code(RUNNER, "0123abcd.cs"))


def test_a_vb_code_behind_alone() -> None:
    chain = _process_chain(analyze_code(VB_RUNNER, "console1.aspx.vb"))
    assert "control 'txtcommand'" in chain, chain


def test_the_markup_beside_it_is_what_declares_controls() -> None:
    """With the markup read, its controls are the only ones: a name it does not declare is not
    guessed to be one."""
    markup = (
        b'<%@ Page Language="C#" CodeFile="console1.aspx.cs" Inherits="Console1" %>\n<form runat="server"></form>\n'
    )
    report = analyze_code(RUNNER, "console1.aspx.cs", markup=markup)
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(report), report.capabilities


def test_declared_names_are_not_controls() -> None:
    declared = RUNNER.replace(b"    string command;", b"    string command;\n    Settings txtCommand = new Settings();")
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(analyze_code(declared, "console1.aspx.cs"))
    as_parameter = RUNNER.replace(b"Run_Click(object sender, EventArgs e)", b"Run(Settings txtCommand)")
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(analyze_code(as_parameter, "console1.aspx.cs"))


def test_the_classs_own_properties_are_not_controls() -> None:
    prop = RUNNER.replace(
        b"    string command;", b"    string command;\n    Settings txtCommand { get { return new Settings(); } }"
    )
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(analyze_code(prop, "console1.aspx.cs"))


def test_inherited_page_members_are_not_controls() -> None:
    master = RUNNER.replace(b"txtCommand.Text", b"Title.Text")
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(analyze_code(master, "console1.aspx.cs"))


def test_a_desktop_form_is_not_a_page() -> None:
    form = RUNNER.replace(b"using System.Web.UI;", b"using System.Windows.Forms;").replace(
        b"System.Web.UI.Page", b"Form"
    )
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(analyze_code(form, "console1.cs"))


def test_a_class_that_is_no_page_does_not_guess() -> None:
    helper = RUNNER.replace(b"public partial class Console1 : System.Web.UI.Page", b"public class Console1")
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(analyze_code(helper, "console1.cs"))


def test_the_hunt_reads_a_renamed_code_behind_in_the_web_root(tmp_path: Path) -> None:
    code = server_file(tmp_path, APP + "0123abcd.cs", RUNNER)
    found = by_rule(hunt(code))
    assert "EXH-WS-CODE-PROCESS" in found, sorted(found)
    assert found["EXH-WS-CODE-PROCESS"].severity.rank >= 2


EXCEL_IMPORT = b"""using System;
using System.Data;
using System.Data.OleDb;
using System.Web.UI;

public partial class Import : System.Web.UI.Page
{
    protected void Upload_Click(object sender, EventArgs e)
    {
        string path = Server.MapPath("~/uploads/") + fuSheet.FileName;
        fuSheet.SaveAs(path);
        string cs = "Provider=Microsoft.ACE.OLEDB.12.0;Data Source=" + path + ";Extended Properties='Excel 12.0'";
        using (OleDbConnection cn = new OleDbConnection(cs))
        {
            cn.Open();
        }
    }
}
"""


def test_an_uploaded_sheet_opened_as_a_data_source_is_no_sql_client() -> None:
    markup = b'<%@ Page Language="C#" CodeFile="import.aspx.cs" Inherits="Import" %>\n<asp:FileUpload id="fuSheet" runat="server" />\n'
    report = analyze_code(EXCEL_IMPORT, "import.aspx.cs", markup=markup)
    assert "EXH-WS-CODE-SQL" not in medium_or_above(report), report.capabilities
    # the same connection string typed by the client is one
    typed = EXCEL_IMPORT.replace(
        b'"Provider=Microsoft.ACE.OLEDB.12.0;Data Source=" + path + ";Extended Properties=\'Excel 12.0\'"',
        b"txtConnection.Text",
    )
    assert "EXH-WS-CODE-SQL" in medium_or_above(analyze_code(typed, "import.aspx.cs"))
