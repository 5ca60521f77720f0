"""Where request data enters a unit: `Request[...]` and its aliases, and the page's input controls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.flow.nodes import REQUEST_TYPE, chain_root, made_by, uncast
from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    dotted,
    index_parts,
    last_name,
    member_parts,
    role,
    text,
    unwrap,
    vb_as_clause,
    with_object,
)
from exhunt.codeanalysis.taint import Taint
from exhunt.codeanalysis.vocabulary import (
    CONTROL_MEMBERS,
    FRAMEWORK_ROOTS,
    INPUT_CONTROLS,
    PAGE_MEMBERS,
    SOURCE_MEMBERS,
)

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Classes of the server controls whose values the client posts back (what `FindControl`'s result
# may be cast to).
_INPUT_CONTROL_CLASSES = frozenset(
    {*INPUT_CONTROLS.values(), "HtmlInputFile", "HtmlInputHidden", "HtmlInputPassword", "HtmlTextArea"}
)


def _request_alias(flow: UnitFlow, name: str, decl: Node, value: Node) -> None:
    """`HttpRequest r = HttpContext.Current.Request` or `var q = this.Request`: `r` and `q`
    are the request, and `r.Form["x"]`, `q["x"]` request data like `Request.Form["x"]`."""
    for _ in range(4):
        if role(value) is not Role.CAST or not value.named_child_count:
            break
        cast_to = value.child_by_field_name("type")
        if cast_to is not None and REQUEST_TYPE.search(text(cast_to)):
            # `var r = (HttpRequest)parts[0]`: an object handed over as the request (a payload
            # class's `Equals(new object[] { Request, Response })`)
            flow._requests.add(name.lower())
            return
        value = unwrap(value.named_children[-1])
    if role(value) is Role.NEW and REQUEST_TYPE.search(text(value).split("(", 1)[0]):
        flow._requests.add(name.lower())  # `var r = new HttpRequestWrapper(Request)`
        return
    if role(value) in {Role.MEMBER, Role.IDENT} and last_name(value) == "request":
        flow._requests.add(name.lower())
        return
    parent = decl.parent if decl.type == "variable_declarator" else decl
    kind = parent.child_by_field_name("type") if parent is not None else None
    if kind is None and decl.type == "dim_statement":
        kind = next((c for c in decl.named_children if c.type == "as_clause"), None)
    if kind is not None and REQUEST_TYPE.search(text(kind)):
        flow._requests.add(name.lower())


def _library_object(flow: UnitFlow, name: str, decl: Node, value: Node | None) -> None:
    """VB: `Dim r As New Contoso.Relay` (or `As Contoso.Relay = ...`, `= New Contoso.Relay()`):
    a variable of a class named under a namespace that is not the framework's, for
    `_vb_library`."""
    made = made_by(decl, value)
    if made is not None and role(made) is Role.NEW:
        written = dotted(call_parts(made)[0])
    else:
        clause = vb_as_clause(decl) if decl.type == "dim_statement" else None
        kind = next((c for c in clause.named_children if c.type == "type"), None) if clause is not None else None
        written = text(kind) if kind is not None else ""
    parts = written.split("(", 1)[0].split(".")
    if len(parts) > 1 and parts[0].lower() not in FRAMEWORK_ROOTS and parts[0].isidentifier():
        flow._library_objects.add(name)


def _control_made(flow: UnitFlow, name: str, decl: Node, value: Node | None) -> None:
    """`var t = new TextBox()` (VB's `Dim t As New TextBox()`): an input control made in
    code, whose posted value is the client's once the page adds it (`_control_added`)."""
    made = made_by(decl, value)
    if made is None or role(made) is not Role.NEW:
        return
    cls = last_name(call_parts(made)[0])
    kind = next((c for c in _INPUT_CONTROL_CLASSES if c.lower() == cls), None)
    if kind is not None:
        flow._made_controls[name] = kind


def _control_added(flow: UnitFlow, node: Node) -> None:
    """`form1.Controls.Add(t)` (or `AddAt`) of an input control made in code: ASP.NET loads
    what the client posts for it into its value, as for a control the markup declares."""
    callee, args = call_parts(node)
    if callee is None or last_name(callee) not in {"add", "addat"} or not args:
        return
    receiver = member_parts(unwrap(callee))[0] if role(unwrap(callee)) is Role.MEMBER else None
    if receiver is None or last_name(receiver) != "controls":
        return
    added = unwrap(args[-1])
    kind = flow._made_controls.get(text(added).lower()) if role(added) is Role.IDENT else None
    if kind is not None:
        flow.controls[text(added).lower()] = kind


def _found_control(flow: UnitFlow, name: str, value: Node) -> None:
    """`var t = (TextBox)FindControl("cmd")` (also `Page.FindControl`, `Form.FindControl`,
    `PreviousPage.FindControl`): the variable is an input control, whose posted value is the
    client's, as the declared control is. Its class is the cast's, or the markup's for that id."""
    found = flow._find_control(value)
    if found is not None:
        flow.controls[name.lower()] = found[1]


def _find_control(flow: UnitFlow, value: Node) -> tuple[str, str] | None:
    """The id and class of the input control `(TextBox)FindControl("cmd")` (or `FindControl("cmd")
    as TextBox`) gives, if it is one; or the name of any value cast to an input control's
    class (`(TextBox)sender`)."""
    if value.type == "as_expression":
        left, right = value.child_by_field_name("left"), value.child_by_field_name("right")
        if left is None or right is None:
            return None
        cast_to: Node | None = right
        value = unwrap(left)
    else:
        cast_to = value.child_by_field_name("type") if role(value) is Role.CAST else None
    cls = text(cast_to).rsplit(".", 1)[-1] if cast_to is not None else None
    cast_kind = next((c for c in _INPUT_CONTROL_CLASSES if cls and c.lower() == cls.lower()), None)
    value = uncast(value)
    if role(value) is Role.IDENT and cls:
        # `((TextBox)sender).Text` in a control's own event handler: whatever the object,
        # cast to an input control its value is the one the client posted
        return (text(value), cast_kind) if cast_kind is not None else None
    if role(value) is not Role.CALL:
        return None
    callee, args = call_parts(value)
    if not args or last_name(callee) != "findcontrol":
        return None
    found = (as_text(flow.fold(args[0])) or "").lower()
    kind = cast_kind or flow.controls.get(found)
    return (found or "?", kind) if kind is not None else None


def _source(flow: UnitFlow, node: Node) -> Taint | None:
    """Request data named directly: Request.Form["x"], Request("x"), Request.InputStream..."""
    parts = _lookup(node)
    if parts is None:
        return None
    r, obj, keys = parts
    path = dotted(obj).lower().replace("()", "").split(".")
    while len(path) > 1 and path[0] in {"this", "me"}:
        path = path[1:]
    if r is Role.MEMBER and path in (["clientquerystring"], ["page", "clientquerystring"]):
        return Taint(("the query string",), frozenset({"request"}), (), frozenset({flow.line(node)}))
    if path and path[0] == "?":
        inline = _inline_control(flow, node, obj, path)
        if inline is not None:
            return inline
    # `new HttpRequestWrapper(Request).Form`: the same request, wrapped
    path = ["request" if seg == "httprequestwrapper" else seg for seg in path]
    if path and path[0] in SOURCE_MEMBERS and flow._with_request(node):
        path = ["request", *path]  # `Form("c")` in JScript's `with (Request) {...}`
    if path and path[0] in flow._requests:
        path = ["request", *path[1:]]  # a variable holding the request object
    line = flow.line(node)
    control = flow._control(path, line)
    if control is not None:
        return control
    if len(path) > 1 and path[1] == flow._edit_args.get(path[0]):
        # `e.NewValues["c"]` of a GridView's update event: what the client typed into the row
        return Taint(("values edited in a data control's row",), frozenset({"control"}), (), frozenset({line}))
    if len(path) > 1 and (path[-1] == "websocket" or path[-2:] == ["websockets", "acceptwebsocketasync"]):
        # The server's end of a WebSocket the client opened (`AspNetWebSocketContext.WebSocket`,
        # ASP.NET Core's `WebSockets.AcceptWebSocketAsync()`): what it receives is the client's.
        return Taint(("a WebSocket message from the client",), frozenset({"request"}), (), frozenset({line}))
    if "routedata" in path and path[path.index("routedata") + 1 :][:1] == ["values"]:
        # `RouteData.Values["x"]` (the page's, or `Request.RequestContext`'s): a segment of
        # the URL the client chose, as a route template cut it out
        if keys or r is Role.INDEX:
            key = as_text(flow.fold(keys[0])) if keys else None
            keyed = f" '{key}'" if key else ""
            return Taint((f"route value{keyed}",), frozenset({"request"}), (), frozenset({line}))
        return None
    if "request" in path:
        return _of_request(flow, path, keys, r, line)
    return None


def _lookup(node: Node) -> tuple[Role, Node, list[Node]] | None:
    """A node that may name request data: its role, the object looked into and the keys (an
    index's or a call's arguments); None for anything else."""
    r = role(node)
    keys: list[Node] = []
    obj: Node | None
    if r is Role.INDEX:
        obj, keys = index_parts(node)
    elif r is Role.CALL:
        obj, keys = call_parts(node)
        obj = unwrap(obj) if obj is not None else None
        holder = member_parts(obj)[0] if obj is not None and role(obj) is Role.MEMBER else None
        if holder is not None and role(unwrap(holder)) in {Role.CALL, Role.INDEX}:
            # VB's `Request.Form("c").Trim()`: a call on what a call gave, not a look-up
            # whose arguments are the keys; the value comes through the receiver, key and all.
            return None
    elif r is Role.MEMBER:
        obj = node
    else:
        return None
    return (r, obj, keys) if obj is not None else None


def _inline_control(flow: UnitFlow, node: Node, obj: Node, path: list[str]) -> Taint | None:
    """A chain that starts with no name (`?`): a control found and cast inline, whose posted
    value it reads; or a cast of a variable or of a new request wrapper, whose name then
    starts `path` (changed in place)."""
    root = chain_root(obj)
    found = flow._find_control(root) if root is not None else None
    if found is not None and len(path) > 1 and path[1] in CONTROL_MEMBERS:
        # `((TextBox)FindControl("cmd")).Text`, `(FindControl("cmd") as TextBox).Text`:
        # the control's posted value, inline
        shown = f"page control '{found[0]}' ({found[1]}.{path[1]})"
        kind = "name" if path[-1] == "filename" else CONTROL_MEMBERS[path[1]]
        return Taint((shown,), frozenset({kind}), (), frozenset({flow.line(node)}))
    if root is not None and role(root) is Role.CAST and root.named_child_count:
        inner = unwrap(root.named_children[-1])  # `((HttpRequest)o).Form`: `o`
        if role(inner) is Role.IDENT:
            path[0] = text(inner).lower()
        elif role(inner) is Role.NEW and REQUEST_TYPE.search(text(inner).split("(", 1)[0]):
            path[0] = "request"  # `((HttpRequestBase)new HttpRequestWrapper(...)).Form`
    return None


def _of_request(flow: UnitFlow, path: list[str], keys: list[Node], r: Role, line: int) -> Taint | None:
    """What a chain through the request object reads, from its last `request` on
    (`Request.RequestContext.HttpContext.Request.Form`): a parameter, the body, a file, a
    header or another of `SOURCE_MEMBERS`; None for the object itself or another member."""
    i = len(path) - 1 - path[::-1].index("request")
    rest = path[i + 1 :]
    key = as_text(flow.fold(keys[0])) if keys else None
    keyed = f" '{key}'" if key else ""
    if not rest:
        if r is Role.MEMBER:
            return None  # the Request object itself, passed along
        return Taint((f"request parameter{keyed}",), frozenset({"request"}), (), frozenset({line}))
    if rest[0] == "unvalidated":  # `Request.Unvalidated.Form[...]`: the same data, unchecked
        rest = rest[1:]
        if not rest:
            return Taint((f"request parameter{keyed}",), frozenset({"request"}), (), frozenset({line}))
    member = rest[0]
    if member not in SOURCE_MEMBERS:
        return None
    kind, desc = SOURCE_MEMBERS[member]
    if member == "files" and len(rest) > 1 and rest[-1] == "filename":
        return Taint(("an uploaded file's name",), frozenset({"name"}), (), frozenset({line}))
    if kind == "body" or member == "files":
        return Taint((desc,), frozenset({kind}), (), frozenset({line}))
    if len(rest) == 1 and r is Role.MEMBER:
        if desc.startswith("the "):  # one value (the URL, the user agent), not a collection
            return Taint((desc,), frozenset({kind}), (), frozenset({line}))
        return Taint((f"{desc}s",), frozenset({kind}), (), frozenset({line}))
    return Taint((f"{desc}{keyed}",), frozenset({kind}), (), frozenset({line}))


def _with_request(flow: UnitFlow, node: Node) -> bool:
    """Whether the nearest `with` block around a node (JScript's `with (Request) {...}`,
    VB's `With Request ... End With`) is on the request object."""
    held = with_object(node)
    if held is None:
        return False
    named = dotted(held).lower().replace("()", "").split(".")
    while len(named) > 1 and named[0] in {"this", "me", "page", "context", "httpcontext", "current"}:
        named = named[1:]
    return named == ["request"] or (len(named) == 1 and named[0] in flow._requests)


def _control(flow: UnitFlow, path: list[str], line: int) -> Taint | None:
    """What the client posted back through a page control (`cmd.Text`, `up.PostedFile`)."""
    while path and path[0] in {"this", "me", "page"}:
        path = path[1:]
    if len(path) < 2:
        return None
    kind = CONTROL_MEMBERS.get(path[1])
    if kind is None:
        return None
    if path[0] in flow.controls:
        shown = f"page control '{path[0]}' ({flow.controls[path[0]]}.{path[1]})"
    elif flow._markup_control(path[0]):
        shown = f"control '{path[0]}' (.{path[1]}; declared in markup that was not read)"
    else:
        return None
    if path[-1] == "filename":
        kind = "name"
    return Taint((shown,), frozenset({kind}), (), frozenset({line}))


def _markup_control(flow: UnitFlow, name: str) -> bool:
    """In a code-behind read without its markup: whether `name` can only be a control the
    markup declares. The class's own members, locals, parameters and types are not, nor are
    the page's inherited members (`Request`, `Session`, `Master`...) or the framework's names."""
    return (
        flow.scope.unread_markup
        and name.isidentifier()
        and name not in flow._declared
        and name not in flow.scope.declarations
        and name not in flow.methods  # the class's own properties (and methods)
        and name not in flow.classes
        and name not in flow._requests
        and name not in FRAMEWORK_ROOTS
        and name not in PAGE_MEMBERS
        and flow._type(name) is None
        and name not in flow._parameter_names()
    )


def _upload_control(flow: UnitFlow, node: Node) -> Taint | None:
    """`Upload.SaveAs(...)` on a FileUpload or `<input type=file>` control the page declares:
    the content saved is the file the client posted."""
    name = text(unwrap(node)).lower()
    for prefix in ("this.", "me.", "page."):
        name = name.removeprefix(prefix)
    kind = flow.controls.get(name)
    if kind not in {"FileUpload", "HtmlInputFile"}:
        return None
    line = flow.line(node)
    return Taint((f"page control '{name}' ({kind})",), frozenset({"upload"}), (), frozenset({line}))
