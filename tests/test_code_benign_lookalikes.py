"""Features of legitimate WebForms applications that resemble a shell's file reader or loader:
each look-alike is written for these tests after the pattern, and must stay below medium, while
the shell form next to it (the client naming the file, the assembly) is still found."""

from __future__ import annotations

from code_support import medium_or_above, run

FILE_READ = "EXH-WS-CODE-FILE-READ"

SCRIPT_COMBINER = """<%@ WebHandler Language="C#" Class="Combiner" %>
using System.IO;
using System.Net;
using System.Text;
using System.Web;
public class Combiner : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext context) {
        string set = context.Request.QueryString["set"];
        string site = context.Request.Url.GetLeftPart(System.UriPartial.Authority);
        var all = new StringBuilder();
        foreach (string part in set.Split(',')) {
            var web = (HttpWebRequest)WebRequest.Create(site + "/scripts/" + part);
            using (var answer = (HttpWebResponse)web.GetResponse())
            using (var reader = new StreamReader(answer.GetResponseStream())) {
                all.Append(reader.ReadToEnd());
            }
        }
        context.Response.ContentType = "text/javascript";
        context.Response.Write(all.ToString());
    }
}
"""


def test_a_reader_over_a_web_response_is_not_a_file_read() -> None:
    """A script combiner fetches its own scripts over HTTP and reads the answers: the query
    string picks the URL, and the reader reads the server's response, not a file."""
    assert medium_or_above(run("combine.ashx", SCRIPT_COMBINER)) == []
    shell = SCRIPT_COMBINER.replace("new StreamReader(answer.GetResponseStream())", "new StreamReader(set)")
    assert FILE_READ in medium_or_above(run("combine.ashx", shell))


ASSEMBLY = "EXH-WS-CODE-ASSEMBLY"

WEB_PART_GALLERY = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Reflection" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    string picked = Request.QueryString["part"];
    if (picked == null || picked.Length != 36) return;
    Guid partId = new Guid(picked);
    Catalog.Entry entry = Catalog.Find(partId);
    string dll = Server.MapPath("~/bin") + "\\\\" + entry.AssemblyName + ".dll";
    Assembly lib = Assembly.LoadFrom(dll);
    Controls.Add((Control)Activator.CreateInstance(lib.GetType(entry.ClassName)));
}
</script>
"""


def test_a_part_chosen_by_its_guid_is_not_an_assembly_the_client_names() -> None:
    """A personal page adds a web part by the id of a catalogue entry: the query string's text
    becomes a Guid, and the assembly loaded is the one the catalogue records for it."""
    for form in ("new Guid(picked)", "Guid.Parse(picked)", "System.Guid.Parse(picked)"):
        page = WEB_PART_GALLERY.replace("new Guid(picked)", form)
        assert medium_or_above(run("MyParts.aspx", page)) == [], form
    tried = WEB_PART_GALLERY.replace(
        "Guid partId = new Guid(picked);", "Guid partId; Guid.TryParse(picked, out partId);"
    )
    assert medium_or_above(run("MyParts.aspx", tried)) == []
    shell = WEB_PART_GALLERY.replace("Assembly.LoadFrom(dll)", "Assembly.LoadFrom(picked)")
    assert ASSEMBLY in medium_or_above(run("MyParts.aspx", shell))


TEMPLATE_LIST = """<%@ WebHandler Language="C#" Class="EditorTemplates" %>
using System.IO;
using System.Web;
public class EditorTemplates : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext context) {
        string themes = context.Server.MapPath("~/themes/").Length > 0 ? Settings.ThemeRoot : "";
        string theme = context.Request.Params["theme"] ?? "default";
        var list = new FileInfo($"{themes + theme}\\\\editor\\\\snippets.json");
        string strings = themes + theme + "/lang/strings.xml";
        context.Response.ContentType = "application/json";
        if (list.Exists) context.Response.Write(File.ReadAllText(list.FullName));
        context.Response.Write(File.ReadAllText(strings));
        context.Response.Write(File.ReadAllText(Path.Combine(themes + theme, "footer.htm")));
    }
}
"""


def test_a_file_the_code_names_in_a_folder_the_client_picks_is_not_a_file_read() -> None:
    """An editor's snippet list read from the theme the query string names: the request picks
    the folder, the code writes the file's name after it."""
    assert medium_or_above(run("templates.ashx", TEMPLATE_LIST)) == []
    for shell in (
        TEMPLATE_LIST.replace("\\\\editor\\\\snippets.json", ""),  # a folder, then nothing the code adds
        TEMPLATE_LIST.replace('"/lang/strings.xml"', '".xml"'),  # the client names the file
        TEMPLATE_LIST.replace('"/lang/strings.xml"', '"/web.config"'),  # another site's machine key
        TEMPLATE_LIST.replace('"footer.htm"', "theme"),
    ):
        assert shell != TEMPLATE_LIST
        assert FILE_READ in medium_or_above(run("templates.ashx", shell))


PROCESS = "EXH-WS-CODE-PROCESS"
UNRESOLVED = "EXH-WS-CODE-UNRESOLVED-SINK"

RUNNER = """<script runat="server">
void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);
}
</script>"""


def test_code_inside_a_server_comment_is_not_compiled() -> None:
    """An admin tab keeps an old event handler commented out with `<%-- --%>`, which the page
    parser drops before compiling; the same script outside the comment runs."""
    head = '<%@ Control Language="C#" AutoEventWireup="true" Inherits="Shop.Admin.Tabs.Edit" %>\n'
    table = '<table><tr><td><asp:Label runat="server" Text="Code" /></td></tr></table>\n'
    commented = head + "<%--" + RUNNER + "--%>\n" + table
    assert medium_or_above(run("EditTab.ascx", commented)) == []
    assert PROCESS in medium_or_above(run("EditTab.ascx", head + RUNNER + "\n" + table))
    # `<%--` in a server script's own text is a string of its code, not a comment
    hidden = RUNNER.replace('"/c " + Request.Form["c"]', '"/c " + "<%--".Trim() + Request.Form["c"] + "--%>"')
    assert PROCESS in medium_or_above(run("EditTab.ascx", head + hidden + "\n" + table))
    inline = (
        head
        + '<% string open = "<%--"; %>\n<% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); %>\n<%-- --%>'
    )
    assert PROCESS in medium_or_above(run("EditTab.ascx", inline))


MENU = """<%@ Control Language="C#" AutoEventWireup="true" Inherits="Shop.Grid.MenuActions" %>
<script runat="server">
protected string Script(CommandParameters cp) {
    bool enabled;
    string script = CommandManager.GetCurrent(this.Page).AddCommand(DataItem.ClassName, this.ViewName, this.Place, cp, out enabled);
    return script.Replace("'", "\\"");
}
</script>
<a href="#" onclick="<%# Script(null) %>">Edit</a>
"""


def test_a_menu_command_list_is_not_a_powershell_pipeline() -> None:
    """A grid's menu registers client commands with its framework's `AddCommand`, five arguments;
    PowerShell's takes a command name (and a scope flag)."""
    assert medium_or_above(run("MenuActions.ascx", MENU)) == []
    shell = (
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Management.Automation" %>\n'
        '<script runat="server">\nvoid Page_Load(object s, EventArgs e) {\n'
        '    var ps = PowerShell.Create();\n    ps.AddCommand(Request.Form["c"]);\n    ps.Invoke();\n}\n</script>\n'
    )
    assert medium_or_above(run("ps.aspx", shell))
