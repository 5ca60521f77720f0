"""A stylesheet handed from code to ASP.NET's `Xml` or `XmlDataSource` control: the control loads
it with `XslTransform`, whose `msxsl:script` runs (docs/detection/webshell-code.md, "XML
controls given a stylesheet from code"). The client's text or path stored there is dynamic code;
a stylesheet of the site, a document or an XPath from the client, and another class's
`Transform` are not."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, run
from exhunt.codeanalysis.analysis import analyze_code
from exhunt.codeanalysis.extract import stylesheet_controls

DATA_SOURCE = (
    '<asp:XmlDataSource ID="Feed" runat="server" Data="&lt;a/&gt;" />\n'
    '<asp:GridView ID="Grid" runat="server" DataSourceID="Feed" />\n'
)
XML = '<asp:Xml ID="View" runat="server" DocumentContent="&lt;a/&gt;" />\n'


def page(body: str, markup: str, language: str = "C#") -> str:
    if language == "VB":
        method = f"Sub Page_Load(s As Object, e As EventArgs)\n{body}\nEnd Sub"
    else:
        method = f"void Page_Load(object s, EventArgs e) {{\n{body}\n}}"
    return f'<%@ Page Language="{language}" %>\n<script runat="server">\n{method}\n</script>\n{markup}'


@pytest.mark.parametrize(
    ("body", "markup", "language", "member", "source"),
    [
        ('Feed.Transform = Request.Form["x"];', DATA_SOURCE, "C#", "Feed.Transform", "form field 'x'"),
        ('Feed.TransformFile = Request["f"];', DATA_SOURCE, "C#", "Feed.TransformFile", "'f'"),
        ('View.TransformSource = Request.QueryString["p"];', XML, "C#", "View.TransformSource", "'p'"),
        ('Feed.Transform = Request("x")', DATA_SOURCE, "VB", "Feed.Transform", "'x'"),
        ('View.TransformSource = Request.Form("p")', XML, "VB", "View.TransformSource", "'p'"),
        (
            'var made = new XmlDataSource(); made.Data = "<a/>"; made.Transform = Request.Form["s"];'
            " Response.Write(made.GetXmlDocument().OuterXml);",
            "",
            "C#",
            "made.Transform",
            "'s'",
        ),
        (
            'var made = new XmlDataSource { Data = "<a/>", Transform = Request.Form["s"] };'
            " Response.Write(made.GetXmlDocument().OuterXml);",
            "",
            "C#",
            "Transform",
            "'s'",
        ),
        (
            'var view = new System.Web.UI.WebControls.Xml { TransformSource = Request["p"] }; Controls.Add(view);',
            "",
            "C#",
            "TransformSource",
            "'p'",
        ),
    ],
)
def test_the_clients_stylesheet_stored_into_an_xml_control_is_compiled_code(
    body: str, markup: str, language: str, member: str, source: str
) -> None:
    assert_found(
        "view.aspx",
        page(body, markup, language),
        "EXH-WS-CODE-COMPILE",
        ["XslTransform.Load", f"stored into {member}", "loads as its stylesheet", source],
    )


def test_a_stylesheet_loaded_into_the_xml_controls_own_transform_is_compiled_code() -> None:
    body = 'View.Transform = new System.Xml.Xsl.XslTransform(); View.Transform.Load(Request["p"]);'
    assert_found("view.aspx", page(body, XML), "EXH-WS-CODE-COMPILE", ["XslTransform.Load", "an Xml control"])


def test_a_code_behind_read_with_its_page_knows_the_pages_xml_controls() -> None:
    code = (
        b"using System;\npublic partial class P : System.Web.UI.Page {\n"
        b'  protected void Page_Load(object s, EventArgs e) { Feed.Transform = Request.Form["t"]; }\n}\n'
    )
    markup = b'<%@ Page Language="C#" CodeFile="p.aspx.cs" Inherits="P" %>\n' + DATA_SOURCE.encode()
    with_page = analyze_code(code, "p.aspx.cs", markup=markup)
    hit = next(c for c in with_page.capabilities if c.rule_id == "EXH-WS-CODE-COMPILE")
    assert hit.line == 3 and "stored into Feed.Transform" in hit.chain
    # Without its page the name is no known control: nothing is guessed.
    assert not analyze_code(code, "p.aspx.cs").capabilities


@pytest.mark.parametrize(
    ("body", "markup"),
    [
        # the site's own stylesheet, read from its folder or chosen by name
        ('Feed.Transform = System.IO.File.ReadAllText(Server.MapPath("~/xsl/feed.xslt"));', DATA_SOURCE),
        ('View.TransformSource = "~/xsl/" + Request.QueryString["style"] + ".xsl";', XML),
        ('View.TransformSource = Server.MapPath("~/xsl/" + Request.QueryString["style"] + ".xsl");', XML),
        # the client's document or query, not its stylesheet
        ('View.DocumentSource = Request["doc"]; View.TransformSource = "~/a.xsl";', XML),
        ('View.DocumentContent = Request.Form["doc"];', XML),
        ('Feed.XPath = Request["x"];', DATA_SOURCE),
        # `Transform` of something that is no XML control
        ('Grid.Transform = Request["x"];', DATA_SOURCE),
        ("var g = System.Drawing.Graphics.FromImage(new System.Drawing.Bitmap(1, 1)); g.Transform = null;", ""),
        ('var t = new System.Windows.Media.TransformGroup { Transform = Request["p"] };', ""),
    ],
)
def test_the_sites_stylesheet_and_other_members_stay_quiet(body: str, markup: str) -> None:
    assert_benign("view.aspx", page(body, markup))


def test_the_markups_xml_controls_are_known_by_id_and_only_when_they_run_at_the_server() -> None:
    markup = (
        '<asp:Xml id="One" runat="server" />\n<ASP:XMLDATASOURCE ID="Two" RUNAT="Server"></ASP:XMLDATASOURCE>\n'
        '<asp:Xml ID="Three" />\n<asp:XmlDataSource ID="not an id" runat="server" />\n<asp:Label ID="L" runat="server" />'
    )
    assert stylesheet_controls(markup) == {"one": "xml", "two": "xmldatasource"}


def test_an_xml_control_in_the_markup_is_no_finding_by_itself() -> None:
    report = run("view.aspx", page('Feed.DataFile = "~/App_Data/feed.xml";', DATA_SOURCE))
    assert not report.capabilities
