"""The code analyzer's byte prefilter (`codehunt.wants`) decides alike with hyperscan and without."""

from __future__ import annotations

import pytest

from exhunt.filehunt import codehunt
from exhunt.filehunt.locations import Location, Place

SAMPLES: list[tuple[str, bytes]] = [
    ("a.aspx", b'<%@ Page Language="C#" %><% Response.Write(Request["x"]); %>'),
    ("a.aspx", b"<%@ PAGE %><% REQUEST.Form[0] %>"),
    ("a.aspx", b"<html><body>no server code, a request for help</body></html>"),
    ("a.aspx", b'<form runat="server"><asp:TextBox id="t" runat="server"/></form>'),
    ("a.aspx", b'<form runat="server"><INPUT type="text" id="t" RUNAT="server"></form>'),
    ("a.aspx", b'<form runat="server"><input type="text" id="t" name="q"></form><b runat="server"/>'),
    ("a.aspx", b"<input" + b" x" * 300 + b' runat="server"> <%  %>'),
    ("a.aspx", b"<%@ Page %><script runat=server>void F(){ Assembly.Load(b); }</script>"),
    ("a.aspx", "<%@ Page %><% Request.Form[0] %>".encode("utf-16-le")),
    ("a.aspx", b"\xff\xfe" + "<% eval(x) %>".encode("utf-16-le")),
    ("app.js", b"var x = new XMLHttpRequest(); x.open('GET', u);"),
    ("app.js", b"import System.Web; var c = HttpContext.Current;"),
    ("a.cs", b"public class A { void F() { var r = Request.Form; } }"),
    ("a.cs", b"public class A { int F() { return 1; } }"),
    ("a.vb", b"<WebMethod()> Public Function F() As String"),
    ("web.config", b'<configuration><system.web><% Request["x"] %></system.web></configuration>'),
    ("other.config", b"<% Request %>"),
    ("a.txt", b"<% Request %>"),
    ("a.ashx", b'<%@ WebHandler Language="C#" %> public void ProcessRequest(HttpContext c) {}'),
    ("a.aspx", b""),
]


def _wants(name: str, data: bytes) -> bool:
    return codehunt.wants(Location(f"c:/inetpub/wwwroot/owa/{name}", Place.IIS_WEBROOT, True), data)


@pytest.mark.parametrize(("name", "data"), SAMPLES)
def test_one_pass_and_word_by_word_agree(name: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    if codehunt._database() is None:
        pytest.skip("hyperscan is not installed: only the word-by-word search runs")
    with_hyperscan = _wants(name, data)
    monkeypatch.setattr(codehunt, "_database", lambda: None)
    assert _wants(name, data) == with_hyperscan


def test_the_prefilter_tells_server_code_from_the_rest() -> None:
    decided = {(name, data): _wants(name, data) for name, data in SAMPLES}
    assert decided[SAMPLES[0]] and decided[SAMPLES[1]] and decided[SAMPLES[3]] and decided[SAMPLES[4]]
    assert not decided[SAMPLES[2]] and not decided[SAMPLES[5]] and not decided[SAMPLES[10]]
    assert decided[SAMPLES[11]] and decided[SAMPLES[12]] and not decided[SAMPLES[13]]
    assert not decided[SAMPLES[16]] and not decided[SAMPLES[17]] and not decided[SAMPLES[19]]
    assert decided[SAMPLES[8]]


@pytest.mark.parametrize(("name", "data"), [s for s in SAMPLES if s[0].endswith(".js")])
def test_scripts_own_search_agrees_without_hyperscan(name: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    if codehunt._script_database() is None:
        pytest.skip("hyperscan is not installed: only the word-by-word search runs")
    with_hyperscan = _wants(name, data)
    monkeypatch.setattr(codehunt, "_script_database", lambda: None)
    assert _wants(name, data) == with_hyperscan
    wide = _wants(name, data.decode().encode("utf-16-le"))
    assert wide == with_hyperscan


def test_callbacks_and_service_operations_are_read() -> None:
    """Shells that take their input from a framework callback or a service's methods need not name
    the request: callbacks are worth reading by their names, services (.soap, .svc) whole."""
    callback = b"<%@ Page %><script runat=server>public void RaiseCallbackEvent(string a) { Shell(a); }</script>"
    service = b'<%@ ServiceHost Language="C#" Service="S" %> [OperationContract] string Run(string c);'
    remoting = b'<%@ WebService Language="C#" Class="R" %> public class R : MarshalByRefObject { public void Put(string p, string b) { File.WriteAllText(p, b); } }'
    assert _wants("a.aspx", callback) and _wants("a.svc", service) and _wants("a.soap", remoting)
    assert not _wants("a.asmx", remoting) and not _wants("a.svc", b"[OperationContract] string Run(string c);")


def test_a_page_whose_code_is_in_a_script_src_file_is_read() -> None:
    server = b'<%@ Page Language="C#" %><script runat="server" src="lib/tools.cs"></script><form runat="server"></form>'
    browser = b'<%@ Page Language="C#" %><script src="/js/app.js"></script><form runat="server"></form>'
    assert _wants("a.aspx", server) and not _wants("a.aspx", browser)


def test_a_handlers_source_under_a_page_name_is_read() -> None:
    """A handler's C# or VB source kept under a page's name, its directive taken off, has no `<%`:
    it is read (as a source file) when it names the request; prose and other text are not."""
    handler = b"using System.Web;\npublic class H : IHttpHandler { public void ProcessRequest(HttpContext c) { } }"
    vb = b"Imports System.Web\nPublic Class H\n Implements IHttpHandler\n Sub ProcessRequest(c As HttpContext)\n End Sub\nEnd Class"
    idle = b"using System;\npublic class Calc { int Add(int a, int b) { return a + b; } }"
    prose = b"Using this page you send a request to the help desk."
    assert _wants("a.aspx", handler) and _wants("a.ashx", vb)
    assert _wants("a.aspx", b"\xef\xbb\xbf// note\n" + handler)
    assert not _wants("a.aspx", idle) and not _wants("a.aspx", prose)
