"""Request data read where shells hide it from the usual names: the Content-Type header
(`Request.ContentType`), the client certificate's fields (`Request.ClientCertificate`), and the
raw worker request (`HttpWorkerRequest`: the preloaded or read body, headers, the query string),
reached through the context's service provider, the body read through `Request.Filter`, and the request reached again through
`Request.RequestContext.HttpContext.Request` (docs/detection/webshell-code.md, "Less common
ways to the request"); and values kept in the session, application or cache through their `Add`,
`Set` and `Insert` methods."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page

WORKER = (
    "HttpWorkerRequest wr = (HttpWorkerRequest)((IServiceProvider)HttpContext.Current)"
    ".GetService(typeof(HttpWorkerRequest));\n"
)

SHELLS = [
    (
        "request-context.aspx",
        # the request again, through the routing context's HttpContext
        cs_page(
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.RequestContext.HttpContext.Request.Form["c"]);'
        ),
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'", "Process.Start"],
    ),
    (
        "content-type.aspx",
        cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.ContentType.Substring(20));'),
        "EXH-WS-CODE-PROCESS",
        ["the Content-Type header", "Process.Start"],
    ),
    (
        "client-cert.aspx",
        cs_page('System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.ClientCertificate["SUBJECTCN"]);'),
        "EXH-WS-CODE-PROCESS",
        ["client certificate", "Process.Start"],
    ),
    (
        "worker-body.aspx",
        cs_page(
            WORKER + "byte[] body = wr.GetPreloadedEntityBody();\n"
            "System.Reflection.Assembly.Load(Convert.FromBase64String(System.Text.Encoding.UTF8.GetString(body)))"
            '.CreateInstance("U").Equals(this);'
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["the request body (HttpWorkerRequest)", "Assembly.Load"],
    ),
    (
        "worker-read.aspx",
        cs_page(
            WORKER + "byte[] buf = new byte[4096];\nint n = wr.ReadEntityBody(buf, buf.Length);\n"
            'System.IO.File.WriteAllBytes(wr.GetUnknownRequestHeader("X-Path"), buf);'
        ),
        "EXH-WS-CODE-FILE-WRITE",
        ["the request body (HttpWorkerRequest)", "File.WriteAllBytes"],
    ),
    (
        "worker-var.aspx",
        cs_page(
            "var sp = (IServiceProvider)HttpContext.Current;\n"
            "var wr = (HttpWorkerRequest)sp.GetService(typeof(HttpWorkerRequest));\n"
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + wr.GetQueryString());'
        ),
        "EXH-WS-CODE-PROCESS",
        ["HttpWorkerRequest", "Process.Start"],
    ),
    (
        "filter.aspx",
        # the body read through the request's filter stream, not its InputStream
        cs_page(
            "var b = new byte[Request.ContentLength];\nRequest.Filter.Read(b, 0, b.Length);\n"
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + System.Text.Encoding.UTF8.GetString(b));'
        ),
        "EXH-WS-CODE-PROCESS",
        ["the request body", "Process.Start"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_less_common_request_data_is_followed(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    (
        "json-check.aspx",
        cs_page('if (Request.ContentType.StartsWith("application/json")) Response.StatusCode = 415;'),
    ),
    (
        "response-type.aspx",
        cs_page('Response.ContentType = "text/plain";\nSystem.Diagnostics.Process.Start("cmd.exe", "/c ver");'),
    ),
    (
        "gzip-body.aspx",
        # a filter that inflates a compressed body, set and read as data
        cs_page(
            "Request.Filter = new System.IO.Compression.GZipStream(Request.Filter, "
            "System.IO.Compression.CompressionMode.Decompress);\n"
            "var doc = new System.Xml.XmlDocument(); doc.Load(Request.InputStream);\n"
            "lit.Text = Server.HtmlEncode(doc.DocumentElement.Name);"
        ),
    ),
    (
        "worker-log.aspx",
        cs_page(WORKER + 'System.IO.File.AppendAllText(Server.MapPath("~/App_Data/agents.log"), wr.GetRawUrl());'),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_ordinary_uses_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


@pytest.mark.parametrize(
    ("store", "read"),
    [
        ('Session.Add("p", Convert.FromBase64String(Request.Form["p"]));', '(byte[])Session["p"]'),
        (
            'HttpContext.Current.Application.Set("p", Convert.FromBase64String(Request.Form["p"]));',
            '(byte[])Application["p"]',
        ),
        ('Cache.Insert("p", Convert.FromBase64String(Request.Form["p"]), null);', '(byte[])Cache["p"]'),
    ],
    ids=["session-add", "application-set", "cache-insert"],
)
def test_values_kept_by_the_stores_methods_are_request_data(store: str, read: str) -> None:
    # `Session.Add(key, value)` and its kin keep the value as `Session[key] = value` does.
    code = cs_page(store + "\nSystem.Reflection.Assembly.Load(" + read + ').CreateInstance("U").Equals(this);')
    assert_found("s.aspx", code, "EXH-WS-CODE-ASSEMBLY", ["form field 'p'", "keeps it in the"])


def test_a_user_name_kept_in_the_session_beside_a_fixed_tool_is_quiet() -> None:
    code = cs_page(
        'Session.Add("user", Request.Form["user"]);\nSystem.Diagnostics.Process.Start("ipconfig.exe", "/all");'
    )
    assert_benign("s.aspx", code)
