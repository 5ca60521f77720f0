"""Hostile pages whose shape made a pattern scan them again from each of many starting points:
a long word in a directive, a base64 literal beside a Unicode escape, many script tags or `<%`
with nothing closing them, unclosed includes, a line of slashes, runs of blank lines in VB code
the token reader reads or in a page whose language is guessed, and many `eval(` with no end. Each was quadratic in its run (tens of seconds at a few tens of
kilobytes, hours at the sizes here); each is now one pass, and the page is read as it was
(docs/detection/webshell-code.md, "Scans that do not start over")."""

from __future__ import annotations

import time

from code_support import chain_of, run
from exhunt.codeanalysis.analysis import analyze_code, sink_rules
from exhunt.codeanalysis.extract import Lang, extract, guess_language, is_code_behind
from exhunt.codeanalysis.tokens import read_tokens

# Generous: each case takes well under a second in one pass; the quadratic scans took hours.
BOUND = 20.0


def timed(name: str, page: str) -> tuple[float, list[str]]:
    started = time.perf_counter()
    report = analyze_code(page.encode(), name)
    return time.perf_counter() - started, [c.rule_id for c in report.capabilities]


def test_a_long_word_in_a_directive_is_read_once() -> None:
    page = (
        '<%@ Page Language="C#" ' + "a" * 300_000 + ' Debug="true" %>\n'
        '<% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    )
    took, rules = timed("long-directive.aspx", page)
    assert "EXH-WS-CODE-PROCESS" in rules
    assert took < BOUND
    directive = extract(page, ".aspx").directives[0]
    assert directive.attrs["language"] == "C#" and directive.attrs["debug"] == "true"


def test_a_base64_literal_beside_an_escaped_name() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<% var blob = "'
        + "QUJD" * 150_000
        + '";\nSystem.Diagnostics.\\u0050rocess.Start("cmd.exe", "/c " + Request["c"]); %>'
    )
    started = time.perf_counter()
    chain = chain_of(run("escaped.aspx", page), "EXH-WS-CODE-PROCESS")
    assert "request parameter 'c'" in chain
    assert time.perf_counter() - started < BOUND


def test_unclosed_script_tags_leave_the_blocks_readable() -> None:
    page = (
        '<%@ Page Language="C#" %>\n'
        + '<script runat="server">' * 30_000
        + '\n<% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>'
    )
    took, rules = timed("unclosed-scripts.aspx", page)
    assert "EXH-WS-CODE-PROCESS" in rules
    assert took < BOUND


def test_script_tags_without_a_closing_bracket() -> None:
    page = '<%@ Page Language="C#" %>\n' + "<script runat=server " * 30_000 + "</script>"
    took, rules = timed("open-tags.aspx", page)
    assert rules == [] and took < BOUND


def test_script_elements_are_found_as_before() -> None:
    # Each element runs to the first closing tag after its `>`; a tag inside an element's
    # attributes or body is not an element of its own.
    page = (
        '<script runat="server" language="C#">void A() {}</script >\n'
        "<script>var client = 1;</script>\n"
        '<script runat=server language=VB>Sub B()\nEnd Sub</SCRIPT>\n<script runat="server"'
    )
    units = extract(page, ".aspx").units
    assert [u.text.strip() for u in units] == ["void A() {}", "Sub B()\nEnd Sub"]
    assert [(u.lang.value, u.first_line) for u in units] == [("csharp", 1), ("vb", 3)]


def test_a_greater_than_sign_inside_a_quoted_attribute_does_not_end_the_tag() -> None:
    # As ASP.NET's tag pattern reads it: the quoted value is whole, the script is the server's.
    page = (
        '<%@ Page Language="C#" %>\n<script language="C#" title="a>b" runat="server">\n'
        'void Page_Load(object s, EventArgs e) { System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); }\n'
        "</script>"
    )
    assert "EXH-WS-CODE-PROCESS" in timed("gt.aspx", page)[1]
    # A quote opens a value only after `=`: an apostrophe in an unquoted value opens nothing.
    vb = "<script language=VB x=don't runat=server>Sub B()\nEnd Sub</script>\n<script>var y = 'a>b';</script>"
    units = extract(vb, ".aspx").units
    assert [u.text.strip() for u in units] == ["Sub B()\nEnd Sub"]


def test_quoted_values_that_never_close_are_read_once() -> None:
    # Every tag is read up to the next closing tag at most, so the page is read once.
    unclosed = '<%@ Page Language="C#" %>\n' + ('<script a="' + "x" * 30 + '>"' + "y" * 3000 + '"></script>') * 2_000
    many = '<%@ Page Language="C#" %>\n' + '<script a="' * 200_000 + "></script>"
    for name, page in (("quoted.aspx", unclosed), ("many.aspx", many)):
        took, rules = timed(name, page)
        assert rules == [] and took < BOUND


def test_many_openings_of_server_blocks_with_no_end() -> None:
    took, rules = timed("open-blocks.aspx", '<%@ Page Language="C#" %>\n' + "<%" * 100_000)
    assert rules == [] and took < BOUND
    took, rules = timed("open-includes.aspx", "<!-- #include file=" * 40_000)
    assert rules == [] and took < BOUND
    assert extract('<!-- #include file=a <!-- #include file="inc.aspx" -->', ".aspx").includes == [("inc.aspx", 1)]


def test_a_line_of_slashes_before_a_member_dot() -> None:
    page = (
        '<%@ Page Language="C#" %>\n<% var x = 1; ' + "/" * 400_000 + "\n"
        'System.Diagnostics.Process\n  // a comment\n  .Start("cmd.exe", "/c " + Request["c"]); %>'
    )
    took, rules = timed("slashes.aspx", page)
    assert "EXH-WS-CODE-PROCESS" in rules
    assert took < BOUND


def test_blank_lines_before_a_vb_comment_in_the_token_reader() -> None:
    # Blank lines before code: each was scanned to the code as a possible comment line's start.
    code = "\n" * 300_000 + 'Shell("cmd /c " & Request("c"))\n\' Shell(Request("x"))\n'
    started = time.perf_counter()
    hits = [h for h in read_tokens(code, sink_rules(), vb=True).hits if h.capability == "process"]
    assert time.perf_counter() - started < BOUND
    # the call is read at its own line, the comment line after it blanked
    assert hits and {h.line for h in hits} == {300_001}


def test_the_language_of_a_page_without_one_is_guessed_in_one_pass() -> None:
    started = time.perf_counter()
    assert guess_language(" \n" * 200_000 + "Dim c = 1") is Lang.VB
    assert guess_language("eval(" * 100_000) is Lang.CSHARP
    assert guess_language('eval(eval(Request.Item["c"], "unsafe"))') is Lang.JSCRIPT
    assert time.perf_counter() - started < BOUND
    page = "<%\n" + "\n" * 200_000 + 'Dim c As String = Request("c")\nShell("cmd /c " & c)\n%>'
    took, rules = timed("no-language.aspx", page)
    assert "EXH-WS-CODE-PROCESS" in rules and took < BOUND


def test_blank_lines_in_a_code_behind_are_passed_over_once() -> None:
    """Telling a code-behind's class (`extract.is_code_behind`) looked for `Partial Class X`, a
    line break and `Inherits`, and for `Imports System.Web` at a line's start, with runs of white
    space that could each take the whole of a run of blank lines: quadratic in the run."""
    code = (
        "using System.Web;\npublic partial class Console1 " + "\n" * 300_000 + ": System.Web.UI.Page {\n"
        "  protected void Run_Click(object s, System.EventArgs e) {\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + txtCommand.Text);\n  }\n}\n'
    )
    took, rules = timed("console1.aspx.cs", code)
    assert "EXH-WS-CODE-PROCESS" in rules
    assert took < BOUND
    vb = "Imports System.Web\nPartial Class Console1 " + " \n" * 300_000 + "End Class\n"
    started = time.perf_counter()
    assert not is_code_behind(vb)  # no Inherits: a partial class of nothing
    assert is_code_behind(vb.replace("End Class", "Inherits System.Web.UI.Page\nEnd Class"))
    assert time.perf_counter() - started < BOUND
