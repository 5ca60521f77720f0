"""Client data a page reaches through the Page class itself: `ClientQueryString` (the query string
of the requested URL) and an input control found by its id at run time (`FindControl`, also on the
previous page of a cross-page post), made in code and added to the page, or any value cast to an
input control's class (a handler's `(TextBox)sender`), whose value the client posted as a declared
control's (docs/detection/webshell-code.md, "Query string and controls found
at run time", "Input controls made in code")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

SHELLS = [
    (
        "cqs.aspx",
        cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c " + HttpUtility.UrlDecode(ClientQueryString));'),
        "EXH-WS-CODE-PROCESS",
        ["the query string", "URL-decodes it", "Process.Start"],
    ),
    (
        "cqs-page.aspx",
        cs_page('System.IO.File.WriteAllText(Page.ClientQueryString, Request.Form["body"]);'),
        "EXH-WS-CODE-FILE-WRITE",
        ["the query string", "File.WriteAllText"],
    ),
    (
        "found.aspx",
        cs_page(
            'var box = (TextBox)form1.FindControl("cmd");\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + box.Text);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["page control 'box' (TextBox.text)", "Process.Start"],
    ),
    (
        "cross-page.aspx",
        cs_page(
            'var src = (System.Web.UI.HtmlControls.HtmlInputHidden)PreviousPage.FindControl("payload");\n'
            "var raw = Convert.FromBase64String(src.Value);\n"
            'System.Reflection.Assembly.Load(raw).CreateInstance("X");'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["page control 'src' (HtmlInputHidden.value)", "base64-decodes it"],
    ),
    (
        "markup-id.aspx",
        # Cast to a base class: the class comes from the markup's declaration of that id.
        cs_page('var t = (WebControl)FindControl("cmd");\nSystem.Diagnostics.Process.Start("powershell.exe", t.Text);')
        + '\n<form runat="server"><asp:TextBox ID="cmd" runat="server"/></form>',
        "EXH-WS-CODE-PROCESS",
        ["page control 't' (TextBox.text)"],
    ),
    (
        "sender.aspx",
        # A control's own event handler reading its value through the sender.
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Changed(object sender, EventArgs e) {\n"
        '  System.Diagnostics.Process.Start("cmd.exe", "/c " + ((TextBox)sender).Text);\n'
        "  var box = sender as HtmlInputText;\n"
        "  if (box != null) System.IO.File.Delete(box.Value);\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="c" runat="server" AutoPostBack="true" OnTextChanged="Changed"/></form>',
        "EXH-WS-CODE-PROCESS",
        ["page control 'sender' (TextBox.text)", "Process.Start"],
    ),
    (
        "found-inline.aspx",
        # The control found, cast and read in one expression, with no variable for it.
        cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c " + ((TextBox)FindControl("cmd")).Text);'),
        "EXH-WS-CODE-PROCESS",
        ["page control 'cmd' (TextBox.text)", "Process.Start"],
    ),
    (
        "found-as.aspx",
        # The same with C#'s `as`, inline and through a variable.
        cs_page(
            'var box = FindControl("cmd") as TextBox;\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + box.Text + (FindControl("arg") as HiddenField).Value);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["page control 'box' (TextBox.text)", "page control 'arg' (HiddenField.value)"],
    ),
    (
        "textarea.aspx",
        # A server `<textarea>` holds what was posted as its inner text as well as its value.
        cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd.InnerText);')
        + '\n<form runat="server"><textarea id="cmd" runat="server"></textarea></form>',
        "EXH-WS-CODE-PROCESS",
        ["page control 'cmd' (HtmlTextArea.innertext)", "Process.Start"],
    ),
    (
        "made.aspx",
        # An input control made in code and added to the page: ASP.NET loads what was posted for it.
        cs_page(
            'var t = new System.Web.UI.WebControls.TextBox();\nt.ID = "c";\nform1.Controls.Add(t);\n'
            'if (IsPostBack) System.Diagnostics.Process.Start("cmd.exe", "/c " + t.Text);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["page control 't' (TextBox.text)", "Process.Start"],
    ),
    (
        "made-vb.aspx",
        vb_page(
            'Dim t As New TextBox()\nt.ID = "c"\nPage.Form.Controls.Add(t)\n'
            'If IsPostBack Then System.Diagnostics.Process.Start("cmd.exe", "/c " & t.Text)'
        ),
        "EXH-WS-CODE-PROCESS",
        ["page control 't' (TextBox.text)"],
    ),
    (
        "arrow-property.aspx",
        # A property with an expression body returns the request value as a getter would.
        cs_page(
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + Command);\n}\n'
            'string Command => Request.Form["c"];\nstring Unused() => "x";\nvoid Nothing() {'
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'", "Process.Start"],
    ),
]

BENIGN = [
    (
        "grid.aspx",
        # A grid row's name box saved through a parameterised command with fixed text.
        cs_page(
            'var box = (TextBox)grid.Rows[0].FindControl("txtName");\n'
            'using (var con = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager.ConnectionStrings["db"].ConnectionString)) {\n'
            '    var cmd = new System.Data.SqlClient.SqlCommand("UPDATE Items SET Name = @n WHERE Id = 1", con);\n'
            '    cmd.Parameters.AddWithValue("@n", box.Text);\n'
            "    con.Open(); cmd.ExecuteNonQuery();\n"
            "}"
        ),
    ),
    (
        "found-inline-fixed.aspx",
        # An inline-found label's fixed text: a label is not posted back.
        cs_page(
            '((Label)FindControl("status")).Text = "Ready";\n'
            'System.Diagnostics.Process.Start("ping.exe", "-n 1 " + Title);\n}\nstring Title => "localhost";\nvoid Nothing() {'
        ),
    ),
    (
        "paging.aspx",
        # The query string kept for the pager's links, encoded.
        cs_page('pager.NavigateUrl = "list.aspx?" + Server.HtmlEncode(ClientQueryString) + "&page=2";'),
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_page_source_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_page_source(name: str, code: str) -> None:
    assert_benign(name, code)


def test_the_inner_text_of_an_element_that_is_no_input_is_not_client_data() -> None:
    # A server `<div>` is not posted back: its inner text is what the page wrote there (a value
    # the analysis cannot settle, so at most unresolved, never the client's command).
    code = cs_page('System.Diagnostics.Process.Start("ping.exe", "-n 1 " + host.InnerText);')
    code += '\n<form runat="server"><div id="host" runat="server">localhost</div></form>'
    assert "EXH-WS-CODE-PROCESS" not in [c.rule_id for c in run("panel.aspx", code).capabilities]


def test_a_control_made_in_code_and_never_added_holds_what_the_page_put_in_it() -> None:
    code = cs_page(
        "var t = new System.Web.UI.WebControls.TextBox();\nt.Text = Settings();\n"
        'System.Diagnostics.Process.Start("ping.exe", "-n 1 " + t.Text);',
        members='static string Settings() => System.Configuration.ConfigurationManager.AppSettings["host"];',
    )
    assert "EXH-WS-CODE-PROCESS" not in [c.rule_id for c in run("unadded.aspx", code).capabilities]
