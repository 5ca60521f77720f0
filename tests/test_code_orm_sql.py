"""SQL run through LINQ to SQL's DataContext and Entity Framework's Database (ExecuteCommand,
ExecuteQuery, ExecuteSqlCommand, SqlQuery, ExecuteSqlRaw) counts for EXH-WS-CODE-SQL-QUERY when its
whole text is the client's, as a SqlCommand's does, and a DataContext opened with the client's
connection string for EXH-WS-CODE-SQL; queries the code writes, with request values as parameters
or joined in, do not (docs/detection/webshell-code.md, "SQL through LINQ to SQL and Entity
Framework")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page


def page(body: str) -> str:
    return cs_page(body)


CONFIGURED = 'System.Configuration.ConfigurationManager.ConnectionStrings["db"].ConnectionString'

SHELLS = [
    (
        "dc.aspx",
        page(
            'using (var dc = new System.Data.Linq.DataContext(Request.Form["conn"])) {\n'
            '    Response.Write(dc.ExecuteCommand(Request.Form["sql"]));\n'
            "}"
        ),
        "EXH-WS-CODE-SQL",
        ["form field 'conn'", "new DataContext"],
    ),
    (
        "dcq.aspx",
        page(
            f"var dc = new System.Data.Linq.DataContext({CONFIGURED});\n"
            'foreach (string row in dc.ExecuteQuery<string>(Request.Form["sql"])) Response.Write(row + "<br>");'
        ),
        "EXH-WS-CODE-SQL-QUERY",
        ["form field 'sql'", "DataContext.ExecuteQuery"],
    ),
    (
        "ef.aspx",
        page(
            'using (var db = new System.Data.Entity.DbContext("name=db")) {\n'
            '    Response.Write(db.Database.ExecuteSqlCommand(Request["q"]));\n'
            "}"
        ),
        "EXH-WS-CODE-SQL-QUERY",
        ["request parameter 'q'", "Database.ExecuteSqlCommand"],
    ),
    (
        "efq.aspx",
        page(
            'using (var db = new System.Data.Entity.DbContext("name=db")) {\n'
            '    foreach (var s in db.Database.SqlQuery<string>(Request.QueryString["q"])) Response.Write(s);\n'
            "}"
        ),
        "EXH-WS-CODE-SQL-QUERY",
        ["query parameter 'q'", "Database.SqlQuery"],
    ),
]

BENIGN = [
    (
        "products.aspx",
        # The visitor's category as a parameter of a query the page writes.
        page(
            f"var dc = new System.Data.Linq.DataContext({CONFIGURED});\n"
            'grid.DataSource = dc.ExecuteQuery<string>("SELECT Name FROM Products WHERE CategoryID = {0}", Request["cat"]);'
        ),
    ),
    (
        "hits.aspx",
        # A fixed update with a parameter, and a query joined around a value (open to injection,
        # but the page's own query, not the client's).
        page(
            'using (var db = new System.Data.Entity.DbContext("name=db")) {\n'
            '    db.Database.ExecuteSqlCommand("UPDATE Hits SET N = N + 1 WHERE Page = @p0", Request.Url.AbsolutePath);\n'
            '    var q = "SELECT Name FROM Users WHERE Id = " + Request["id"];\n'
            "    name.Text = db.Database.SqlQuery<string>(q).FirstOrDefault();\n"
            "}"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_orm_sql_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)
