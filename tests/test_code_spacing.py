"""Code spread over lines or padded with comments between the parts of a name reads as the same
code: a qualified name broken across lines, block and line comments inside a member access or a
type's name, a P/Invoke attribute qualified so, and statements carried on over lines where no
grammar parses the page (docs/detection/webshell-code.md, "Names broken by lines and comments")."""

from __future__ import annotations

import pytest

from code_support import assert_found, chain_of, cs_page, run
from exhunt.codeanalysis.analysis import sink_rules
from exhunt.codeanalysis.tokens import read_tokens

PROCESS = "EXH-WS-CODE-PROCESS"

SHELLS = [
    (
        "commented-type.aspx",
        cs_page(
            'string c = Request.Form["c"];\n'
            'var psi = new System.Diagnostics/*a*/./*b*/ProcessStartInfo("cmd.exe", "/c " + c);\n'
            "System.Diagnostics.Process/**/.Start(psi);"
        ),
        PROCESS,
        ["form field 'c'", "ProcessStartInfo"],
    ),
    (
        "broken-type.aspx",
        cs_page('var psi = new System.Diagnostics\n    .ProcessStartInfo("cmd.exe", "/c " + Request["c"]);'),
        PROCESS,
        ["request parameter 'c'", "ProcessStartInfo"],
    ),
    (
        "line-comment-chain.aspx",
        cs_page(
            'string c = Server/*u*/.UrlDecode(Request.QueryString["c"]);\n'
            'System.Diagnostics.Process\n    // the shell\n    .Start("cmd.exe", "/c " + c);'
        ),
        PROCESS,
        ["query parameter 'c'", "URL-decodes", "Process.Start"],
    ),
    (
        "commented-jscript.aspx",
        '<%@ Page Language="JScript" %>\n<%\nvar p = new System/*x*/./*y*/Diagnostics.Process();\n'
        'p.StartInfo.FileName = "cmd.exe";\np.StartInfo.Arguments = "/c " + Request.Form("c");\n'
        "p/**/.Start();\n%>",
        PROCESS,
        ["form field 'c'"],
    ),
    (
        "split-attribute.aspx",
        cs_page(
            "IntPtr m = VirtualAlloc(IntPtr.Zero, (UIntPtr)4096, 0x3000, 0x40);",
            members='[System.Runtime.InteropServices\n    /* kernel */ .DllImport("kernel32")]\n'
            "static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, uint t, uint p);",
        ),
        "EXH-WS-CODE-NATIVE-CODE",
        ["VirtualAlloc"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_names_broken_by_lines_and_comments_are_read(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


def test_a_comment_inside_an_expression_keeps_every_line_in_place() -> None:
    # The comments are blanked, not removed: the finding names the line the call stands on.
    page = cs_page(
        'string c = Request["c"];\nSystem.Diagnostics.Process /* one\ntwo\nthree */ .Start("cmd.exe", "/c " + c);\n'
        'Response.Write("after");'
    )
    report = run("lines.aspx", page)
    found = next(x for x in report.capabilities if x.rule_id == PROCESS)
    assert found.line == page.splitlines().index(next(x for x in page.splitlines() if "Process /* one" in x)) + 1


def test_the_token_reader_carries_a_statement_over_its_lines() -> None:
    # A page no grammar parses (a brace closed early, as some one-line loaders do), its load written
    # one member a line: the statement goes on where the next line starts with `.`.
    code = (
        'byte[] k = Encoding.Default.GetBytes("e45e329feb5d925b"), c = Request\n'
        "    .BinaryRead(Request.ContentLength);\n"
        "return;}\n"
        "System.Reflection.Assembly\n"
        "    .Load(new System.Security.Cryptography.RijndaelManaged()\n"
        "    .CreateDecryptor(k, k)\n"
        "    .TransformFinalBlock(c, 0, c.Length))\n"
        '    .CreateInstance("U").Equals(this);\n'
    )
    hits = [h for h in read_tokens(code, sink_rules()).hits if h.api == "Assembly.Load" and h.taint is not None]
    assert hits, "the load was not read"
    assert hits[0].line == 4
    assert "decrypts it" in hits[0].taint.steps
    page = '<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %>\n<%' + code + "%>"
    assert "the request body" in chain_of(run("loader.aspx", page), "EXH-WS-CODE-ASSEMBLY")


def test_the_token_reader_still_cuts_vb_lines_and_c_sharp_statements() -> None:
    # Two VB statements on their own lines stay two (a tainted name is not carried into the next),
    # and a VB line ending in ` _` goes on.
    vb = 'x = "a"\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " & _\n    Request("c"))\n'
    hits = [h for h in read_tokens(vb, sink_rules(), vb=True).hits if h.capability == "process"]
    assert hits and hits[0].line == 2
    plain = 'Response.Write(Request["q"]);\nSystem.Diagnostics.Process.Start("hostname");\n'
    assert [h for h in read_tokens(plain, sink_rules()).hits if h.api == "Process.Start" and h.taint] == []


@pytest.mark.parametrize(
    "brk", ["\r", "\u2028", "\u2029", "\u0085"], ids=["carriage return", "line separator", "paragraph separator", "NEL"]
)
def test_a_line_break_the_compiler_takes_ends_a_comment(brk: str) -> None:
    # C#, VB and JScript end a line (and a `//` or `'` comment) at each of these; a reader that
    # ends lines only at a line feed would take the call after it for part of the comment.
    cs = cs_page(f'// run it{brk}System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]);')
    found = assert_found("brk.aspx", cs, PROCESS, ["request parameter 'c'", "Process.Start"])
    assert next(c for c in found.capabilities if c.rule_id == PROCESS).line == 5  # the line after the break
    vb = (
        '<%@ Page Language="VB" %>\n<script runat="server">\nSub Page_Load(sender As Object, e As EventArgs)\n'
        f'\' run it{brk}System.Diagnostics.Process.Start("cmd.exe", "/c " & Request("c"))\nEnd Sub\n</script>'
    )
    assert_found("brk-vb.aspx", vb, PROCESS, ["request parameter 'c'"])
