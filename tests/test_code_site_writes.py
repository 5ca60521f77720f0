"""A file of the web site the client names, filled with the client's text: `File.WriteAllText(
Server.MapPath(Request["p"]), Request["d"])` and its StreamWriter form put a new page where the
server runs it (EXH-WS-CODE-FILE-WRITE); so does an upload saved under a name a parameter gives,
or under its own name straight into the page's own folder or the site's root. Kept quiet: a fixed
extension the server does not run (notes saved as `.txt` or `.json` under App_Data), a fixed file,
and uploads kept by their own name in a folder kept for uploads (fixed, or one the request
picks)."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, medium_or_above, run, vb_page

WRITE = "EXH-WS-CODE-FILE-WRITE"

SHELLS = [
    (
        "site-path.aspx",
        cs_page('System.IO.File.WriteAllText(Server.MapPath(Request["p"]), Request["d"]);'),
        ["request parameter 'p'", "request parameter 'd'", "File.WriteAllText"],
    ),
    (
        "site-folder.aspx",
        cs_page('System.IO.File.WriteAllText(Server.MapPath("~/upload/" + Request["n"]), Request.Form["d"]);'),
        ["request parameter 'n'", "form field 'd'"],
    ),
    (
        "site-bytes.aspx",
        cs_page('System.IO.File.WriteAllBytes(Server.MapPath(Request["p"]), Convert.FromBase64String(Request["d"]));'),
        ["request parameter 'd'", "base64-decodes it", "File.WriteAllBytes"],
    ),
    (
        "site-page-extension.aspx",
        cs_page('System.IO.File.WriteAllText(Server.MapPath("~/x/" + Request["n"] + ".aspx"), Request["d"]);'),
        ["request parameter 'n'", "request parameter 'd'"],
    ),
    (
        "site-writer.aspx",
        cs_page('using (var w = new System.IO.StreamWriter(Server.MapPath(Request["p"]))) { w.Write(Request["d"]); }'),
        ["request parameter 'p'", "request parameter 'd'", "new StreamWriter"],
    ),
    (
        "site-path.vb.aspx",
        vb_page('System.IO.File.WriteAllText(Server.MapPath(Request("p")), Request("d"))'),
        ["request parameter 'p'", "request parameter 'd'"],
    ),
]


# An upload saved in the site under a name a parameter gives (no part of it the file's own name).
SHELLS += [
    (
        "upload-named.aspx",
        cs_page('Request.Files[0].SaveAs(Server.MapPath(Request["p"]));'),
        ["request parameter 'p'", "an uploaded file", ".SaveAs"],
    ),
    (
        "upload-beside-itself.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void Go(object s, EventArgs e) { File1.PostedFile.SaveAs(Server.MapPath(".") + "\\\\" + '
        "System.IO.Path.GetFileName(File1.PostedFile.FileName)); }\n"
        '</script>\n<form runat="server"><input type="file" id="File1" runat="server" /></form>',
        ["page control 'file1'", ".SaveAs"],
    ),
    (
        "upload-site-root.aspx",
        cs_page('Request.Files[0].SaveAs(Server.MapPath("~/") + Request.Files[0].FileName);'),
        ["an uploaded file", ".SaveAs"],
    ),
    (
        "upload-control-named.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Go(object s, EventArgs e) { Up.SaveAs(Server.MapPath(Target.Text)); }\n"
        '</script>\n<form runat="server"><asp:FileUpload ID="Up" runat="server" />'
        '<asp:TextBox ID="Target" runat="server" /></form>',
        ["page control 'target'", ".SaveAs"],
    ),
    (
        "upload-own-name-alone.aspx",  # a name alone maps into the page's own folder
        cs_page("var f = Request.Files[0];\nf.SaveAs(Server.MapPath(f.FileName));"),
        ["an uploaded file", ".SaveAs"],
    ),
    (
        "upload-copied-into-created.aspx",
        cs_page(
            'var f = Request.Files["f"];\n'
            "using (var o = System.IO.File.Create(Server.MapPath(System.IO.Path.GetFileName(f.FileName))))\n"
            "    f.InputStream.CopyTo(o);"
        ),
        ["an uploaded file", "File.Create"],
    ),
    (
        "body-copied-to-named-file.aspx",
        cs_page('var o = System.IO.File.Create(Request.Form["p"]);\nRequest.InputStream.CopyToAsync(o).Wait();'),
        ["form field 'p'", "the request body", "File.Create"],
    ),
]


# The raw request body written where the client names the whole path (no folder the code keeps
# for uploads), or into the page's own folder: a script uploader's post, put wherever the server
# runs it.
SHELLS += [
    (
        "body-site-path.aspx",
        cs_page(
            'System.IO.File.WriteAllBytes(Server.MapPath(Request["p"]), Request.BinaryRead(Request.ContentLength));'
        ),
        ["request parameter 'p'", "the request body", "File.WriteAllBytes"],
    ),
    (
        "body-site-path-variable.aspx",
        cs_page(
            'string p = Server.MapPath(Request.QueryString["p"]);\n'
            "var fs = new System.IO.FileStream(p, System.IO.FileMode.Create);\n"
            "byte[] b = Request.BinaryRead(Request.TotalBytes);\n"
            "fs.Write(b, 0, b.Length);\nfs.Close();"
        ),
        ["query parameter 'p'", "the request body", "FileStream"],
    ),
    (
        "body-site-copy.aspx",
        cs_page(
            'using (var f = System.IO.File.Create(Server.MapPath(Request["p"]))) { Request.InputStream.CopyTo(f); }'
        ),
        ["request parameter 'p'", "the request body", "File.Create"],
    ),
    (
        "body-beside-itself.aspx",
        cs_page(
            'System.IO.File.WriteAllBytes(Server.MapPath(".") + "\\\\" + Request["n"], '
            "Request.BinaryRead(Request.ContentLength));"
        ),
        ["request parameter 'n'", "the request body"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_writer_into_the_site_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, WRITE, words)


BENIGN = [
    (
        "notes-txt.aspx",
        cs_page(
            'System.IO.File.WriteAllText(Server.MapPath("~/App_Data/" + Request["id"] + ".txt"), Request["text"]);'
        ),
    ),
    (
        "notes-json.aspx",
        cs_page('System.IO.File.WriteAllText(Server.MapPath($"~/App_Data/{Request["id"]}.json"), Request.Form["v"]);'),
    ),
    (
        "notes-combine.aspx",
        cs_page(
            'System.IO.File.WriteAllText(System.IO.Path.Combine(Server.MapPath("~/notes"), '
            'Request["id"] + ".md"), Request["v"]);'
        ),
    ),
    (
        "notes-changeextension.aspx",
        cs_page(
            "System.IO.File.WriteAllText(System.IO.Path.ChangeExtension("
            'Server.MapPath("~/d/" + Request["id"]), ".xml"), Request["v"]);'
        ),
    ),
    (
        "fixed-file.aspx",
        cs_page('System.IO.File.WriteAllText(Server.MapPath("~/App_Data/notes.txt"), Request["text"]);'),
    ),
    (
        "upload-own-name.aspx",
        cs_page(
            'Request.Files[0].SaveAs(Server.MapPath("~/uploads/" + '
            "System.IO.Path.GetFileName(Request.Files[0].FileName)));"
        ),
    ),
]


BENIGN += [
    (
        "upload-folder-and-own-name.aspx",
        cs_page(
            "var f = Request.Files[0];\n"
            'f.SaveAs(Server.MapPath("~/uploads/" + Request["folder"] + "/" + System.IO.Path.GetFileName(f.FileName)));'
        ),
    ),
    (
        "upload-own-name-variable.aspx",
        cs_page('var f = Request.Files[0]; string n = f.FileName; f.SaveAs(Server.MapPath("~/u/" + n));'),
    ),
    (
        "upload-control-own-name.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'void Go(object s, EventArgs e) { Up.SaveAs(Server.MapPath("~/Content/" + Up.FileName)); }\n'
        '</script>\n<form runat="server"><asp:FileUpload ID="Up" runat="server" /></form>',
    ),
    (
        "upload-copied-into-folder.aspx",
        cs_page(
            'var f = Request.Files["f"];\n'
            'using (var o = System.IO.File.Create(Server.MapPath("~/up/" + f.FileName))) f.InputStream.CopyTo(o);'
        ),
    ),
    (
        "upload-fixed-extension.aspx",
        cs_page('Request.Files[0].SaveAs(Server.MapPath("~/avatars/" + Request["id"] + ".jpg"));'),
    ),
]
BENIGN.append(
    (
        "script-uploader.ashx",
        '<%@ WebHandler Language="C#" Class="Up" %>\n'
        "using System.IO; using System.Web;\n"
        "public class Up : IHttpHandler {\n"
        "  public bool IsReusable { get { return false; } }\n"
        "  public void ProcessRequest(HttpContext context) {\n"
        '    string name = context.Request.Headers["X-File-Name"];\n'
        '    using (var fs = new FileStream(context.Server.MapPath("~/uploads/") + name, FileMode.Create)) {\n'
        "      context.Request.InputStream.CopyTo(fs);\n"
        "    }\n"
        "  }\n"
        "}\n",
    )
)

# A script uploader's raw body kept under a name the client gives, in a folder the code keeps.
BENIGN += [
    (
        "body-uploads-folder.aspx",
        cs_page(
            'System.IO.File.WriteAllBytes(Server.MapPath("~/uploads/" + Request["name"]), '
            "Request.BinaryRead(Request.ContentLength));"
        ),
    ),
    (
        "body-uploads-combine.aspx",
        cs_page(
            'using (var o = System.IO.File.Create(System.IO.Path.Combine(Server.MapPath("~/files"), '
            'Request.QueryString["qqfile"]))) { Request.InputStream.CopyTo(o); }'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)


def test_an_upload_into_a_folder_the_client_types_stays_reported() -> None:
    # The folder comes from a text box through a variable: no rule takes it for the client's
    # choice of file, and the unresolved-sink rule reports the write. Following the variable to
    # `MapPath(...)` and calling the path the site's would silence it.
    code = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "protected void Page_Load(object sender, EventArgs e) {\n"
        "  if (IsPostBack && Up.HasFile) {\n"
        "    string path = Server.MapPath(Folder.Text);\n"
        "    string fileName = Up.FileName;\n"
        '    Up.SaveAs(path + "\\\\" + fileName);\n'
        "  }\n}\n</script>\n"
        '<form runat="server"><asp:TextBox ID="Folder" runat="server" />'
        '<asp:FileUpload ID="Up" runat="server" /></form>'
    )
    report = run("folder-upload.aspx", code)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" in medium_or_above(report), [c.chain for c in report.capabilities]
