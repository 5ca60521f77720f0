"""What a database query returns is the database's, not the client's, even when the request chose
the record or wrote part of the query: a program path read from a record reaches a process start
as an unresolved value, never as a command from the client. The query itself still counts."""

from __future__ import annotations

import pytest

from code_support import assert_found, cs_page, medium_or_above, run, vb_page

PROCESS = "EXH-WS-CODE-PROCESS"
LOOKUP = 'string id = Request.QueryString["id"];\nstring sql = "select path from tools where id = \'" + id + "\'";\n'


@pytest.mark.parametrize(
    "body",
    [
        LOOKUP + 'var cmd = new SqlCommand(sql, new SqlConnection("x"));\n'
        "System.Diagnostics.Process.Start((string)cmd.ExecuteScalar());",
        LOOKUP + 'var cmd = new SqlCommand(sql, new SqlConnection("x"));\nvar r = cmd.ExecuteReader();\n'
        "r.Read();\nSystem.Diagnostics.Process.Start(r.GetString(0));",
        LOOKUP + 'var ds = new DataSet();\nnew SqlDataAdapter(sql, "x").Fill(ds);\n'
        "System.Diagnostics.Process.Start(ds.Tables[0].Rows[0][0].ToString());",
        LOOKUP + "DataSet ds = Load(sql);\nDataTable dt = ds.Tables[0];\n"
        'System.Diagnostics.Process.Start(dt.Rows[0]["path"].ToString());',
    ],
    ids=["scalar", "reader", "data set", "own helper"],
)
def test_a_program_path_read_from_a_record_is_not_the_clients(body: str) -> None:
    members = 'static DataSet Load(string q) { var d = new DataSet(); new SqlDataAdapter(q, "x").Fill(d); return d; }'
    report = run("tools.aspx", cs_page(body, members=members))
    assert PROCESS not in medium_or_above(report), [c.chain for c in report.capabilities]
    assert "EXH-WS-CODE-UNRESOLVED-SINK" in medium_or_above(report)


def test_the_clients_query_is_still_the_clients() -> None:
    code = cs_page(
        'var cmd = new SqlCommand(Request.Form["q"], new SqlConnection("x"));\n'
        "GridView1.DataSource = cmd.ExecuteReader();\nGridView1.DataBind();"
    )
    assert_found("q.aspx", code, "EXH-WS-CODE-SQL-QUERY", ["form field 'q'"])


def test_a_table_the_page_fills_with_the_clients_value_is_the_clients() -> None:
    code = cs_page(
        'var dt = new DataTable();\ndt.Columns.Add("c");\ndt.Rows.Add(Request["c"]);\n'
        "System.Diagnostics.Process.Start(dt.Rows[0][0].ToString());"
    )
    assert_found("t.aspx", code, PROCESS, ["request parameter 'c'"])


def test_a_command_sent_beside_a_query_still_runs() -> None:
    # Reading records does not clear what the client sent directly.
    code = cs_page(
        'var cmd = new SqlCommand("select 1", new SqlConnection("x"));\nvar n = cmd.ExecuteScalar();\n'
        'System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"] + " " + n);'
    )
    assert_found("q.aspx", code, PROCESS, ["request parameter 'c'"])


def test_a_vb_function_returning_records_gives_only_what_its_body_puts_in_them() -> None:
    members = (
        "Function Load(q As String) As DataSet\nDim d As New DataSet()\n"
        'Dim a As New SqlDataAdapter(q, "x")\na.Fill(d)\nReturn d\nEnd Function'
    )
    body = (
        'Dim ds As DataSet = Load("select path from tools where id = " & Request("id"))\n'
        "System.Diagnostics.Process.Start(ds.Tables(0).Rows(0)(0).ToString())"
    )
    report = run("tools.aspx", vb_page(body, members=members))
    assert PROCESS not in medium_or_above(report), [c.chain for c in report.capabilities]
