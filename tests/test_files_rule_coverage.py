"""Every rule `exhunt rules` lists has a test that makes it fire. These are the file-hunt rules
no other test named: one small page each, written for the rule's capability, in aspnet_client
(where no custom server code belongs)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO
from exhunt.cli import main
from files_support import ASPNET_CLIENT, by_rule, hunt, server_file

PAGES = {
    "EXH-WS-ASSEMBLY-LOAD": b"""<%@ Page Language="C#" %>
<% byte[] raw = Request.BinaryRead(Request.ContentLength);
System.Reflection.Assembly.Load(raw).CreateInstance("P").Equals(this); %>""",
    "EXH-WS-XSLT-LOADER": b"""<%@ Page Language="C#" %>
<%@ Import Namespace="System.Xml.Xsl" %>
<% var sheet = new System.Xml.XmlDocument();
sheet.LoadXml(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Request.Form["x"])));
var t = new XslCompiledTransform(); t.Load(sheet, XsltSettings.TrustedXslt, null);
t.Transform(sheet, null, Response.Output); %>""",
    "EXH-WS-TUNNEL": b"""<%@ Page Language="C#" %>
<% string cmd = Request.Headers["X-CMD"];
if (cmd == "CONNECT") {
  var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
    System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
  s.Connect(Request.Headers["X-TARGET"], int.Parse(Request.Headers["X-PORT"])); Session["s"] = s;
} %>""",
    "EXH-WS-FILE-MANAGER": b"""<%@ Page Language="C#" %>
<% string p = Request["path"];
foreach (var d in System.IO.Directory.GetDirectories(p)) Response.Write(d + "<br>");
if (Request["get"] != null) Response.WriteFile(p); %>""",
    "EXH-WS-SQL-CLIENT": b"""<%@ Page Language="C#" %>
<script runat="server">
void Run(object s, EventArgs e) {
  var c = new System.Data.SqlClient.SqlConnection(); c.ConnectionString = Conn.Text; c.Open();
  var q = new System.Data.SqlClient.SqlCommand(Query.Text, c); q.ExecuteNonQuery();
}
</script>""",
    "EXH-WS-MULTI-TOOL": b"""<%@ Page Language="C#" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
void Ps(string a) { var i = new System.Diagnostics.ProcessStartInfo("cmd.exe", a); }
void Db() { var c = new System.Data.SqlClient.SqlConnection(); }
void Reg() { Microsoft.Win32.RegistryKey k = Microsoft.Win32.Registry.LocalMachine; }
void Drives() { foreach (var d in System.IO.DriveInfo.GetDrives()) Response.Write(d.Name); }
void Stamp(string f) { new System.IO.FileInfo(f).LastWriteTime = DateTime.Now; }
</script>""",
    "EXH-WS-CODE-HTTP-RELAY": b"""<%@ Page Language="C#" %>
<% var wc = new System.Net.WebClient();
Response.Write(wc.DownloadString(Request.QueryString["u"])); %>""",
}


@pytest.mark.parametrize("rule_id", sorted(PAGES))
def test_the_rule_fires_on_a_page_with_its_capability(tmp_path: Path, rule_id: str) -> None:
    page = server_file(tmp_path, ASPNET_CLIENT + "\\tool.aspx", PAGES[rule_id])
    assert rule_id in by_rule(hunt(page))


def test_the_rule_stays_quiet_on_a_page_without_server_code(tmp_path: Path) -> None:
    # The same text as client-side markup (no <% or runat=server) is no web shell.
    for rule_id, text in PAGES.items():
        inert = re.sub(rb"<%.*?%>\n?|runat=\"server\"", b"", text, flags=re.S)
        page = server_file(tmp_path, ASPNET_CLIENT + f"\\{rule_id.lower()}.html", inert)
        assert rule_id not in by_rule(hunt(page)), rule_id


def test_every_listed_rule_is_named_by_a_test(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rule `exhunt rules` lists that no test names has nothing showing it can fire."""
    assert main(["rules", "-q", "--json", "-"]) == 0
    listed = {rule["id"] for rule in json.loads(capsys.readouterr().out)["rules"]}
    this = Path(__file__).resolve()
    tests = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted((REPO / "tests").rglob("*.py"))
        if p.resolve() != this
    )
    named = set(re.findall(r"EXH-[A-Z0-9-]*[A-Z0-9]", tests)) | set(PAGES)
    assert sorted(listed - named) == []
