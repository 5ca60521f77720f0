"""Shells that read, list or send back files the request names, `.soap` remoting services whose
public methods take the caller's arguments, and code files (`.cs`) that touch files with request
data. Small shells written for these tests from published descriptions of file-browser and
downloader shells, each with a benign look-alike that must stay below medium."""

from __future__ import annotations

from code_support import chain_of, medium_or_above, run
from exhunt.rules import rule


def test_file_reader_rule_is_medium() -> None:
    assert rule("EXH-WS-CODE-FILE-READ").severity.rank >= 2


DOWNLOADER = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    string p = Request.QueryString["get"];
    if (!string.IsNullOrEmpty(p)) {
        Response.ContentType = "application/octet-stream";
        Response.WriteFile(p);
        Response.End();
    }
}
</script>"""


def test_downloader_of_any_path_is_medium() -> None:
    report = run("dl.aspx", DOWNLOADER)
    chain = chain_of(report, "EXH-WS-CODE-FILE-READ")
    assert "query parameter 'get'" in chain
    assert "reads or lists the path it names" in chain
    assert "EXH-WS-CODE-FILE-READ" in medium_or_above(report)


LISTER = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    Dim d As String = Request.Form("dir")
    For Each f As String In System.IO.Directory.GetFileSystemEntries(d)
        Response.Write(f & "<br>")
    Next
End Sub
</script>"""


def test_vb_directory_lister_of_a_form_path() -> None:
    report = run("ls.aspx", LISTER)
    chain = chain_of(report, "EXH-WS-CODE-FILE-READ")
    assert "form field 'dir'" in chain
    assert "EXH-WS-CODE-FILE-READ" in medium_or_above(report)


CMS_DOWNLOAD = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    string name = System.IO.Path.GetFileName(Request.QueryString["file"]);
    string root = Server.MapPath("~/App_Data/Downloads/");
    Response.TransmitFile(System.IO.Path.Combine(root, name));
    foreach (string f in System.IO.Directory.GetFiles(Server.MapPath("~/Uploads/" + Request["folder"]))) {
        Response.Write(f);
    }
}
</script>"""


def test_cms_download_inside_its_own_folder_stays_below_medium() -> None:
    assert medium_or_above(run("download.aspx", CMS_DOWNLOAD)) == []


SOAP_SHELL = """<%@ WebService Language="C#" Class="Remote.Tools" %>
using System;
using System.Diagnostics;
namespace Remote {
public class Tools : MarshalByRefObject {
    public string Exec(string line) {
        var psi = new ProcessStartInfo("cmd.exe", "/c " + line);
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        return Process.Start(psi).StandardOutput.ReadToEnd();
    }
    public string Cat(string path) { return System.IO.File.ReadAllText(path); }
}
}"""


def test_public_methods_of_a_soap_service_take_the_callers_arguments() -> None:
    report = run("tools.soap", SOAP_SHELL)
    assert "parameter 'line'" in chain_of(report, "EXH-WS-CODE-PROCESS")
    assert "parameter 'path'" in chain_of(report, "EXH-WS-CODE-FILE-READ")


SOAP_BENIGN = """<%@ WebService Language="C#" Class="Remote.Status" %>
using System;
using System.Diagnostics;
namespace Remote {
public class Status : MarshalByRefObject {
    public string Uptime(string unused) {
        var psi = new ProcessStartInfo("net.exe", "statistics server");
        psi.RedirectStandardOutput = true;
        psi.UseShellExecute = false;
        return Process.Start(psi).StandardOutput.ReadToEnd();
    }
    public string Motd(string lang) {
        return System.IO.File.ReadAllText(System.Web.Hosting.HostingEnvironment.MapPath("~/App_Data/motd." + lang + ".txt"));
    }
}
}"""


def test_soap_service_with_fixed_tool_and_confined_file_stays_below_medium() -> None:
    assert medium_or_above(run("status.soap", SOAP_BENIGN)) == []


def test_private_methods_of_a_soap_service_are_not_entry_points() -> None:
    hidden = SOAP_SHELL.replace("public string Exec", "private string Exec").replace(
        "public string Cat", "private string Cat"
    )
    assert medium_or_above(run("tools.soap", hidden)) == []


CS_PAYLOAD = """using System;
using System.IO;
using System.Web;
public class Loader : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext ctx) {
        string path = ctx.Request.Form["p"];
        File.WriteAllBytes(path, Convert.FromBase64String(ctx.Request.Form["b"]));
        foreach (var f in Directory.GetFiles(ctx.Request.Form["d"])) { ctx.Response.Write(f); }
    }
}"""


def test_code_file_writing_and_listing_request_paths_is_reported() -> None:
    report = run("Loader.cs", CS_PAYLOAD)
    assert "form field 'p'" in chain_of(report, "EXH-WS-CODE-FILE-WRITE")
    assert "form field 'd'" in chain_of(report, "EXH-WS-CODE-FILE-READ")


CS_BENIGN = """using System;
using System.IO;
using System.Web;
public class Avatar : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        HttpPostedFile upload = ctx.Request.Files[0];
        string dir = ctx.Server.MapPath("~/Content/Avatars/");
        upload.SaveAs(Path.Combine(dir, Path.GetFileName(upload.FileName)));
        ctx.Response.WriteFile(Path.Combine(dir, Path.GetFileName(ctx.Request.QueryString["img"])));
    }
}"""


def test_code_file_avatar_upload_in_a_fixed_folder_stays_below_medium() -> None:
    assert medium_or_above(run("Avatar.cs", CS_BENIGN)) == []


JSON_HANDLER = """<%@ WebHandler Language="C#" Class="Save" %>
using System.IO;
using System.Web;
public class Save : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext context) {
        string json;
        using (var reader = new StreamReader(context.Request.InputStream)) { json = reader.ReadToEnd(); }
        context.Response.Write(json.Length);
    }
}"""


def test_reading_the_request_body_stream_is_not_reading_a_path() -> None:
    assert medium_or_above(run("save.ashx", JSON_HANDLER)) == []


CS_ADMIN = """using System.IO;
using System.Web.Services;
public class TemplateService : WebService {
    [WebMethod]
    public string[] Files(string folder) {
        var d = new DirectoryInfo(folder);
        File.Delete(Path.Combine(folder, "cache.tmp"));
        return Directory.GetFiles(d.FullName);
    }
}"""


def test_admin_web_service_code_file_stays_below_medium() -> None:
    """Administration code in a source file (a template editor's web service) is not a served
    page; its file access counts only in a handler's ProcessRequest."""
    assert medium_or_above(run("TemplateService.cs", CS_ADMIN)) == []
    assert "EXH-WS-CODE-FILE-READ" in medium_or_above(
        run("TemplateService.asmx", '<%@ WebService Language="C#" Class="TemplateService" %>\n' + CS_ADMIN)
    )


XML_LOADS = [
    "var d = new System.Xml.XmlDocument();\nd.Load({p});\nResponse.Write(d.OuterXml);",
    "Response.Write(System.Xml.Linq.XDocument.Load({p}).ToString());",
    "Response.Write(System.Xml.Linq.XElement.Load({p}).ToString());",
    "using (var r = System.Xml.XmlReader.Create({p})) {{ r.MoveToContent(); Response.Write(r.ReadOuterXml()); }}",
    "var r = new System.Xml.XmlTextReader({p});",
    "var x = new System.Xml.XPath.XPathDocument({p});",
]


def test_xml_loaded_from_a_path_the_request_names_is_a_file_read() -> None:
    # web.config is XML: a loader given any path reads it, or fetches any URL, as a reader does.
    for form in XML_LOADS:
        code = _page(form.format(p='Request["f"]'))
        assert "request parameter 'f'" in chain_of(run("xml.aspx", code), "EXH-WS-CODE-FILE-READ"), form


def test_xml_loaded_from_the_site_stays_below_medium() -> None:
    for form in XML_LOADS:
        code = _page(form.format(p='Server.MapPath("~/App_Data/" + System.IO.Path.GetFileName(Request["f"]))'))
        assert medium_or_above(run("xml-site.aspx", code)) == [], form


def _page(body: str) -> str:
    return f'<%@ Page Language="C#" %>\n<script runat="server">\nvoid Page_Load(object s, EventArgs e) {{\n{body}\n}}\n</script>'


def test_xml_posted_in_the_request_body_is_no_path() -> None:
    # An XML endpoint loads the document the client posts: the stream, not a file it names.
    for form in XML_LOADS:
        code = _page(form.format(p="Request.InputStream"))
        assert medium_or_above(run("xml-post.aspx", code)) == [], form


def test_xml_posted_as_a_field_and_read_from_memory_is_no_path() -> None:
    # The posted text itself, handed over in a StringReader or MemoryStream: no file it names.
    for wrapped in (
        'new System.IO.StringReader(Request.Form["xml"])',
        'new System.IO.MemoryStream(System.Text.Encoding.UTF8.GetBytes(Request.Form["xml"]))',
    ):
        for form in XML_LOADS:
            code = _page(form.format(p=wrapped))
            assert medium_or_above(run("xml-field.aspx", code)) == [], (wrapped, form)
