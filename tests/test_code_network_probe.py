"""EXH-WS-CODE-NETWORK-PROBE: a page that pings or resolves the hosts its client names, the
host-discovery tab of shell tool kits. A network tools page fed by page controls and a lookup of
the visitor's own address stay quiet."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

RULE = "EXH-WS-CODE-NETWORK-PROBE"

PROBES = [
    (
        "ping",
        cs_page(
            'var p = new System.Net.NetworkInformation.Ping();\nvar r = p.Send(Request["h"], 1000);\n'
            "Response.Write(r.Status);"
        ),
        ["request parameter 'h'", "(Ping.Send)"],
    ),
    (
        "ping-async",
        cs_page('var r = new Ping().SendPingAsync(Request.Form["ip"]).Result;\nResponse.Write(r.RoundtripTime);'),
        ["form field 'ip'", "(Ping.SendPingAsync)"],
    ),
    (
        "dns",
        cs_page(
            'foreach (var a in System.Net.Dns.GetHostAddresses(Request.QueryString["n"])) Response.Write(a + "<br>");'
        ),
        ["query parameter 'n'", "(Dns.GetHostAddresses)"],
    ),
    (
        "vb-dns",
        vb_page('Dim e1 As IPHostEntry = Dns.GetHostEntry(Request("n"))\nResponse.Write(e1.HostName)'),
        ["request parameter 'n'", "(Dns.GetHostEntry)"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), PROBES, ids=[p[0] for p in PROBES])
def test_a_host_the_request_names_is_pinged_or_resolved(name: str, code: str, words: list[str]) -> None:
    assert_found("n.aspx", code, RULE, ["pings or resolves the host it names", *words])


def test_a_network_tools_page_fed_by_a_text_box_is_quiet() -> None:
    code = cs_page("var r = new Ping().Send(txtHost.Text);\nlblResult.Text = r.Status.ToString();")
    code = code.replace(
        '<script runat="server">', '<asp:TextBox id="txtHost" runat="server" />\n<script runat="server">'
    )
    assert_benign("tools.aspx", code)


@pytest.mark.parametrize(
    "address",
    ["Request.UserHostAddress", 'Request.ServerVariables["REMOTE_ADDR"]', 'Request.ServerVariables["remote_host"]'],
)
def test_a_reverse_lookup_of_the_visitor_is_quiet(address: str) -> None:
    code = cs_page(f"var name = System.Net.Dns.GetHostEntry({address}).HostName;\nResponse.Write(name);")
    assert_benign("who.aspx", code)


def test_a_host_sent_in_a_header_read_as_a_server_variable_counts() -> None:
    code = cs_page('Response.Write(System.Net.Dns.GetHostEntry(Request.ServerVariables["HTTP_X_TARGET"]).HostName);')
    assert_found("n.aspx", code, RULE, ["server variable 'HTTP_X_TARGET'"])


def test_a_fixed_host_is_quiet() -> None:
    assert_benign("up.aspx", cs_page('var r = new Ping().Send("db01");\nResponse.Write(r.Status);'))
