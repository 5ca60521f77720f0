"""COM HTTP clients: `MSXML2.ServerXMLHTTP`, `MSXML2.XMLHTTP`, `Microsoft.XMLHTTP` and
`WinHttp.WinHttpRequest`, created by ProgID (any version) from C#, VB or JScript. `Open(verb, url)`
names the URL and `Send(body)` posts to it, as `WebRequest.Create(url)` and `GetRequestStream()` do:
a URL from the request is a fetch (`EXH-WS-CODE-HTTP-RELAY`, request forgery), and a body sent to it a relay
(`EXH-WS-CODE-HTTP-TUNNEL`). Written from the objects' documentation (docs/detection/webshell-code.md,
"COM HTTP clients") beside genuine pages that call a fixed service."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, medium_or_above, run
from code_support import cs_page as cs
from code_support import vb_page as vb

TUNNEL = "EXH-WS-CODE-HTTP-TUNNEL"
RELAY = "EXH-WS-CODE-HTTP-RELAY"


def js(body: str) -> str:
    return f'<%@ Page Language="JScript" %>\n<script runat="server">\nfunction Page_Load() {{\n{body}\n}}\n</script>'


def rules_of(name: str, code: str) -> set[str]:
    return {c.rule_id for c in run(name, code).capabilities}


SHELLS = [
    (
        "cs.aspx",
        cs(
            'dynamic h = Server.CreateObject("MSXML2.ServerXMLHTTP.6.0");\n'
            'h.Open("POST", Request.Headers["X-Target"], false);\n'
            "h.Send(new System.IO.StreamReader(Request.InputStream).ReadToEnd());\n"
            "Response.Write(h.ResponseText);"
        ),
        ["request header 'X-Target'", "sends data to the URL", "msxml2.serverxmlhttp.Send"],
    ),
    (
        "vb.aspx",
        vb(
            '    Dim h = CreateObject("WinHttp.WinHttpRequest.5.1")\n'
            '    h.Open("POST", Request("u"), False)\n'
            "    h.Send(Request.Form.ToString())\n"
            "    Response.Write(h.ResponseText)"
        ),
        ["request parameter 'u'", "winhttp.winhttprequest.Send"],
    ),
    (
        "js.aspx",
        js(
            '    var h = new ActiveXObject("Microsoft.XMLHTTP");\n'
            '    h.open("POST", Request.QueryString["to"], false);\n'
            '    h.send(Request.Form["data"]);\n'
            "    Response.Write(h.responseText);"
        ),
        ["query parameter 'to'", "microsoft.xmlhttp.Send"],
    ),
]

BENIGN = [
    # The site's own fixed service, posted the visitor's message.
    (
        "contact.aspx",
        cs(
            'dynamic h = Server.CreateObject("MSXML2.ServerXMLHTTP");\n'
            'h.Open("POST", "https://crm.example.com/api/messages", false);\n'
            'h.Send(Request.Form["message"]);'
        ),
    ),
    # A fixed feed read and shown.
    (
        "feed.aspx",
        vb(
            '    Dim h = Server.CreateObject("MSXML2.XMLHTTP")\n'
            '    h.Open("GET", "https://news.example.com/rss", False)\n'
            "    h.Send()\n"
            "    Response.Write(Server.HtmlEncode(h.ResponseText))"
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_com_client_posting_to_the_clients_url_is_a_relay(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, TUNNEL, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_com_client_of_a_fixed_service_is_not(name: str, code: str) -> None:
    assert_benign(name, code)
    assert RELAY not in rules_of(name, code)


def test_fetching_the_clients_url_without_a_body_is_request_forgery() -> None:
    # `Send()` of nothing: the page fetches what the client names, and posts nothing to it.
    code = cs(
        'dynamic h = Server.CreateObject("MSXML2.ServerXMLHTTP");\n'
        'h.Open("GET", Request["u"], false);\n'
        "h.Send();\n"
        "Response.Write(h.ResponseText);"
    )
    assert medium_or_above(run("fetch.aspx", code)) == [RELAY]


def test_open_of_another_com_class_names_no_url() -> None:
    # `Open` of an ADO connection takes a connection string, and its `Send` is nothing of HTTP's.
    code = cs(
        'dynamic c = Server.CreateObject("ADODB.Connection");\n'
        'c.Open("Provider=SQLOLEDB", Request["u"], "x");\n'
        'dynamic m = Server.CreateObject("CDO.Message");\n'
        'm.Send(Request["u"]);'
    )
    assert not {RELAY, TUNNEL} & rules_of("ado.aspx", code)


def test_a_get_sends_no_body() -> None:
    # WinHTTP and MSXML send a GET without the body `Send` is given: the client's URL is fetched,
    # nothing of the client's is posted to it.
    code = cs(
        'dynamic h = Server.CreateObject("WinHttp.WinHttpRequest.5.1");\n'
        'h.Open("GET", Request["u"], false);\n'
        'h.Send(Request.Form["data"]);\n'
        "Response.Write(h.ResponseText);"
    )
    rules = rules_of("get.aspx", code)
    assert RELAY in rules and TUNNEL not in rules
