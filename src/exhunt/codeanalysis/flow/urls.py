"""URLs a unit fetches from or sends to, and whether the code or the client picks their server."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.flow.nodes import base_ident, fixed_host, leftmost, operands, uncast
from exhunt.codeanalysis.fold import as_text, show
from exhunt.codeanalysis.syntax import Role, call_parts, dotted, last_name, member_parts, operator, role, text, unwrap
from exhunt.codeanalysis.taint import Taint

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Calls that return what a URL they are given serves (WebClient's and HttpClient's).
_DOWNLOADS = frozenset(
    {
        "downloaddata",
        "downloadstring",
        "downloaddatataskasync",
        "downloadstringtaskasync",
        "getstringasync",
        "getbytearrayasync",
        "getstreamasync",
    }
)


# Calls that give the body of a web response already received: `WebResponse`'s stream, and
# `HttpContent`'s readers (on a response's `Content`; the request's own is a source).
_RESPONSE_BODIES = frozenset({"getresponsestream", "readasstringasync", "readasbytearrayasync", "readasstreamasync"})


_REQUEST_FACTORIES = ("webrequest.create", "webrequest.createhttp", "webrequest.createdefault")


# The page's own site as the start of a URL: the scheme and authority of the URL it was asked
# for (`Request.Url.GetLeftPart(UriPartial.Authority)`, `Request.Url.Scheme + "://" +
# Request.Url.Authority`), as script combiners and warm-up pages fetch their own pages.
_SITE_ORIGIN = re.compile(
    r"(?i)\s*(?:[\w.]+\.)?request\.url\.(?:getleftpart\s*\(|authority\b|host\b|scheme\b.{0,60}?\.url\.(?:authority|host)\b)",
    re.DOTALL,
)


# COM HTTP clients (ProgIDs without their version): `Open(verb, url, ...)` names the URL that a
# later `Send(body)` posts to, as `WebRequest.Create(url)` does for `GetRequestStream()`.
_COM_HTTP = frozenset({"msxml2.serverxmlhttp", "msxml2.xmlhttp", "microsoft.xmlhttp", "winhttp.winhttprequest"})


# Values the server makes up itself, never the client nor anyone else: the clock, a new GUID,
# the machine's and the worker process's own names and numbers, with what is read
# off them (`DateTime.Now.ToString("yyyyMMdd")`, `Guid.NewGuid().ToString("N")`). A format
# argument counts only as a standard one-letter format or a custom one made of digit-giving
# specifiers and separators: other letters are copied as they are (`"\\c\\m\\d"` gives "cmd").
_SERVER_VALUE = re.compile(
    r"(?:System\.)?(?:DateTime\.(?:Now|UtcNow|Today)|DateTimeOffset\.(?:Now|UtcNow)|Guid\.NewGuid\s*\(\s*\)"
    r"|Environment\.(?:MachineName|TickCount64|TickCount|ProcessorCount|ProcessId)"
    r"|(?:IO\.)?Path\.(?:GetTempFileName|GetRandomFileName|GetTempPath)\s*\(\s*\)"
    r"|(?:System\.Diagnostics\.)?Process\.GetCurrentProcess\s*\(\s*\)\.Id|Now|Today|Timer)"
    r"(?:\s*\.\s*\w+(?:\s*\(\s*(?:\"(?:[dDfFgGMmOoRrstTuUYyNBPX]|[yMdHhmsfFz:/. _-]*)\"|-?\d+)?\s*\))?)*\s*$"
)


def _web_request(flow: UnitFlow, name: str, value: Node) -> None:
    """`req = (HttpWebRequest)WebRequest.Create(url)`: remember which expression is the URL of
    the request `req` stands for, so what is later sent through it can be tied to the URL."""
    value = uncast(value)
    if role(value) is not Role.CALL:
        return
    callee, args = call_parts(value)
    if args and dotted(callee).lower().endswith(_REQUEST_FACTORIES):
        flow._urls[name] = args[0]


def _fetch_taint(flow: UnitFlow, args: list[Node], method: str | None, argument: int | None) -> Taint | None:
    """Taint of the URL a fetch goes to (the first argument, or the one its rule names),
    when the client picks the server: a URL whose scheme and host the code writes before the
    request's part (`"https://updates.example.com/" + v`) reaches only that server."""
    at = argument or 0
    if len(args) <= at or flow._fixed_server(args[at], method):
        return None
    return flow.taint(args[at], method)


def _fixed_server(flow: UnitFlow, node: Node, method: str | None, depth: int = 0) -> bool:
    """Whether a URL starts with a scheme and host the code fixes, followed by a path, query
    or fragment separator: `"http://h/x?v=" + x`, `string.Format("http://h/{0}", x)`,
    `$"http://h/{x}"`, `new Uri(that)`, or a variable only ever set to such a value. A start
    the code computes from no request data (a base address from the application's settings,
    `baseUrl + path`) is taken for the code's own server too."""
    node = unwrap(node)
    if depth > 8:
        return False
    r = role(node)
    if r is Role.IDENT:
        values = flow._values_of(node)
        return bool(values) and all(flow._fixed_server(v, method, depth + 1) for v in values)
    if r is Role.NEW:
        callee, args = call_parts(node)
        return last_name(callee) == "uri" and len(args) == 1 and flow._fixed_server(args[0], method, depth + 1)
    if node.type == "interpolated_string_expression":
        return fixed_host(text(node).lstrip("$@").lstrip('"').split("{", 1)[0])
    if r is Role.CALL:
        callee, args = call_parts(node)
        name = last_name(callee)
        if name in {"format", "concat"} and args:
            return flow._code_start(args[0], method, "{" if name == "format" else "")
        return False
    if r is Role.BINARY and operator(node) in {"+", "&"}:
        start = leftmost(node)
        values = flow._values_of(start) if role(start) is Role.IDENT else []
        if _SITE_ORIGIN.match(text(node)) or (values and all(_SITE_ORIGIN.match(text(v)) for v in values)):
            return True  # the page's own site (`Request.Url.GetLeftPart(UriPartial.Authority) + "/x"`)
        return flow._code_start(start, method, "")
    return False


def _code_start(flow: UnitFlow, start: Node, method: str | None, hole: str) -> bool:
    """Whether the start of a URL fixes its server: a constant naming the scheme and host
    (up to the first `hole` of a format string), or a value no request data reaches and the
    folder cannot know (a configured base address)."""
    prefix = as_text(flow.fold(start))
    if prefix is not None:
        return fixed_host(prefix.split(hole, 1)[0] if hole else prefix)
    return flow.taint(start, method) is None


def _com_http_open(flow: UnitFlow, node: Node) -> None:
    """`h.Open("POST", url, False)` on an `MSXML2.ServerXMLHTTP` or `WinHttp.WinHttpRequest`
    object: remember the URL the object's later `Send` goes to."""
    callee, args = call_parts(node)
    callee = unwrap(callee) if callee is not None else None
    if callee is None or role(callee) is not Role.MEMBER or len(args) < 2:
        return
    receiver, name = member_parts(callee)
    if name.lower() != "open" or receiver is None or role(unwrap(receiver)) is not Role.IDENT:
        return
    key = flow._n(text(unwrap(receiver)))
    if flow._type(key) not in _COM_HTTP:
        return
    verb = as_text(flow.fold(args[0]))
    if verb is not None and verb.strip().upper() in {"GET", "HEAD"}:
        flow._urls.pop(key, None)  # a GET sends no body, even one `Send` is given
    else:
        flow._urls[key] = args[1]


def _url_taint(flow: UnitFlow, api: str, args: list[Node], receiver: Node | None, method: str | None) -> Taint | None:
    """Taint of the URL a send goes to: the first argument of `UploadData(url, data)` and
    the like, or the URL a `GetRequestStream()` receiver was created with, or a COM client
    was opened on (`Send(body)`; a `Send()` of no body sends nothing of the client's)."""
    sends = api.lower().endswith(".send")
    if sends or api.lower().endswith("getrequeststream"):
        base = base_ident(receiver) if receiver is not None and (args or not sends) else None
        url = flow._urls.get(flow._n(text(base))) if base is not None else None
        return flow.taint(url, method) if url is not None else None
    return flow.taint(args[0], method) if args else None


def _fetched(flow: UnitFlow, node: Node, method: str | None, depth: int) -> Taint | None:
    """What a download call returns (`WebClient.DownloadData(url)`, `HttpClient.GetStringAsync`),
    or the body of a response already received (`resp.GetResponseStream()`): the far server's
    to choose, as data read from a socket is (it counts only where it is run as code or as a
    command). A response whose request the client steered keeps that taint instead."""
    callee, args = call_parts(node)
    if callee is None or role(unwrap(callee)) is not Role.MEMBER:
        return None
    name = last_name(callee)
    if name in _RESPONSE_BODIES and not args:
        receiver = member_parts(unwrap(callee))[0]
        if receiver is not None and flow.taint(receiver, method, depth + 1) is not None:
            return None
        return Taint(("the body of a web response",), frozenset({"network"}), (), frozenset({flow.line(node)}))
    if not args or name not in _DOWNLOADS:
        return None
    url = as_text(flow.fold(args[0]))
    where = f"the file downloaded from {show(url, 80)}" if url else "a file downloaded from the network"
    return Taint((where,), frozenset({"network"}), (), frozenset({flow.line(node)}))


def _servers_own(flow: UnitFlow, node: Node, depth: int = 0) -> bool:
    """Whether a value is fixed text joined with values of the server's own (the time, a new
    GUID, the machine's name, a temporary file's path), also through variables only ever set
    to such values (`p = Path.GetTempFileName()`, then `p + ".png"`)."""
    for o in operands(node):
        if flow._fixed(o) or _SERVER_VALUE.match(text(o)[:200]):
            continue
        if depth < 4 and role(o) is Role.IDENT:
            # each value the variable is set to holds one of the server's values: a variable
            # set only to fixed text that did not fold may be set by a call (`Fill(out t)`)
            values = flow._values_of(o)
            made = all(any(_SERVER_VALUE.match(text(x)[:200]) for x in operands(v)) for v in values)
            if values and made and all(flow._servers_own(v, depth + 1) for v in values):
                continue
            if values and all(flow._constant_item(unwrap(v)) for v in values):
                continue  # `t = tools[i]`: one of the code's own texts, whichever is picked
        return False
    return True
