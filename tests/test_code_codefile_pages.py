"""A page's `CodeFile` (or `Src`) is compiled by ASP.NET when the page is first requested: that
source file is the page's own served code, not a project's source kept on disk. A file manager or
uploader whose page is only a directive and whose logic sits in `up.aspx.cs` is judged as a page
(file writes, deletes and reads the request names). A `CodeBehind` file (the project source of an
assembly built before deployment) keeps the code-file judgment, and so does a code file no page
names. A `CodeFile` with another name is read with the page that names it."""

from __future__ import annotations

from pathlib import Path

from code_support import medium_or_above
from exhunt.codeanalysis import analyze_code
from exhunt.codeanalysis.report import Included
from files_support import by_rule, hunt, server_file

APP = "C:\\inetpub\\wwwroot\\app\\"
CODE = b"""using System;
using System.IO;
using System.Web.UI;

public partial class Up : Page
{
    protected void Page_Load(object sender, EventArgs e)
    {
        string p = Request["p"];
        if (Request["a"] == "w") File.WriteAllText(p, Request["d"]);
        if (Request["a"] == "d") File.Delete(p);
        if (Request["a"] == "r") Response.Write(File.ReadAllText(p));
    }
}
"""
FILE_RULES = {"EXH-WS-CODE-FILE-WRITE", "EXH-WS-CODE-FILE-MANAGE", "EXH-WS-CODE-FILE-READ"}


def _page(attribute: str) -> bytes:
    return f'<%@ Page Language="C#" {attribute} Inherits="Up" %>\n<html><body><form runat="server"></form></body></html>\n'.encode()


def test_codefile_is_judged_as_the_page() -> None:
    report = analyze_code(CODE, "up.aspx.cs", markup=_page('CodeFile="up.aspx.cs"'))
    assert set(medium_or_above(report)) >= FILE_RULES, report.capabilities


def test_src_is_judged_as_the_page() -> None:
    report = analyze_code(CODE, "up.aspx.cs", markup=_page('Src="up.aspx.cs"'))
    assert set(medium_or_above(report)) >= FILE_RULES


def test_codebehind_keeps_the_code_file_judgment() -> None:
    report = analyze_code(CODE, "up.aspx.cs", markup=_page('CodeBehind="up.aspx.cs"'))
    assert not FILE_RULES & set(medium_or_above(report))
    assert not FILE_RULES & set(medium_or_above(analyze_code(CODE, "up.aspx.cs")))


def test_codefile_of_another_name_is_the_pages() -> None:
    page = _page('CodeFile="helper.cs"')
    report = analyze_code(page, "other.aspx", included=[Included("codefile", "helper.cs", 1, CODE)])
    assert set(medium_or_above(report)) >= FILE_RULES
    write = next(c for c in report.capabilities if c.rule_id == "EXH-WS-CODE-FILE-WRITE")
    assert any("helper.cs" in report.where(n) for n in write.lines), [report.where(n) for n in write.lines]


def test_hunt_finds_the_code_behind_of_a_directive_page(tmp_path: Path) -> None:
    server_file(tmp_path, APP + "up.aspx", _page('CodeFile="up.aspx.cs"'))
    code = server_file(tmp_path, APP + "up.aspx.cs", CODE)
    found = by_rule(hunt(code))
    assert set(found) >= FILE_RULES, sorted(found)
    assert "request parameter 'p'" in dict(found["EXH-WS-CODE-FILE-WRITE"].details)["chain"]
