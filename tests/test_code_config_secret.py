"""Pages that hand out the connection string a request names: the platform decrypts protected
configuration sections for the code that reads them, so a page that looks up
`ConnectionStrings[<request value>]` gives away any database's credentials. Written from the
platform's documentation of `ConfigurationManager.ConnectionStrings` and `WebConfigurationManager`
(docs/detection/webshell-code.md, "Connection strings"), each beside a genuine page that looks
like it."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found

SHELLS = [
    (
        "dbinfo.aspx",
        """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Configuration" %>
<script runat="server">
void Show(object s, EventArgs e) {
    var entry = ConfigurationManager.ConnectionStrings[which.Text.Trim()];
    shown.Text = entry == null ? "none" : entry.ConnectionString;
}
</script>
<form runat="server">
<asp:TextBox ID="which" runat="server" /><asp:Button runat="server" Text="Show" OnClick="Show" />
<asp:Label ID="shown" runat="server" />
</form>""",
        "EXH-WS-CODE-CONFIG-SECRET",
        ["page control 'which'", "ConnectionStrings"],
    ),
    (
        "cfg.ashx",
        """<%@ WebHandler Language="C#" Class="Cfg" %>
using System.Web;
using System.Web.Configuration;
public class Cfg : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext ctx) {
        string name = ctx.Request.QueryString["n"];
        ctx.Response.Write(WebConfigurationManager.ConnectionStrings[name].ConnectionString);
    }
}""",
        "EXH-WS-CODE-CONFIG-SECRET",
        ["query parameter 'n'"],
    ),
    (
        "conn.aspx",
        """<%@ Page Language="VB" %>
<%@ Import Namespace="System.Configuration" %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    Dim key As String = Request.Form("k")
    If key IsNot Nothing Then Response.Write(ConfigurationManager.ConnectionStrings(key).ConnectionString)
End Sub
</script>""",
        "EXH-WS-CODE-CONFIG-SECRET",
        ["form field 'k'"],
    ),
]

BENIGN = [
    (
        "report.aspx",
        # The connection string is named in code; the request only chooses the report's rows.
        """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Configuration" %>
<%@ Import Namespace="System.Data.SqlClient" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    string cs = ConfigurationManager.ConnectionStrings["Reports"].ConnectionString;
    using (var c = new SqlConnection(cs)) {
        var cmd = new SqlCommand("SELECT Title FROM Reports WHERE Year = @y", c);
        cmd.Parameters.AddWithValue("@y", Request.QueryString["year"]);
        c.Open();
        grid.DataSource = cmd.ExecuteReader();
        grid.DataBind();
    }
}
</script>
<form runat="server"><asp:GridView ID="grid" runat="server" /></form>""",
    ),
    (
        "tenant.ashx",
        # The name comes from the application's own settings, keyed by a fixed setting name.
        """<%@ WebHandler Language="C#" Class="Tenant" %>
using System.Web;
using System.Configuration;
public class Tenant : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        string name = ConfigurationManager.AppSettings["TenantDb"];
        var entry = ConfigurationManager.ConnectionStrings[name];
        ctx.Response.Write(entry == null ? "not configured" : "configured");
    }
}""",
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_connection_string_by_request_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)


def test_indexer_pattern_matches_only_indexers_and_vb_calls() -> None:
    from exhunt.codeanalysis.vocabulary import SinkPattern

    p = SinkPattern.parse(".ConnectionStrings[]")
    assert p.indexer and p.matches(("configurationmanager", "connectionstrings"), False, True, indexed=True)
    # A rule's ordinary call pattern never matches an indexer.
    call = SinkPattern.parse("File.Delete")
    assert not call.matches(("file", "delete"), False, True, indexed=True)
    assert call.matches(("file", "delete"), False, True)
