"""A stylesheet handed to one of ASP.NET's XML controls from code.

`<asp:Xml>` and `<asp:XmlDataSource>` transform their XML with the stylesheet they are given:
the `Xml` control's `TransformSource` (a path) or `Transform` (an `XslTransform` object), the
data source's `TransformFile` (a path) or `Transform` (the stylesheet's text). Both load it with
the framework's `XslTransform`, which runs the stylesheet's `msxsl:script` blocks unless the site
sets `aspnet:RestrictXmlControls`. Code that stores the client's text or path into one of those
members therefore runs the client's script as the page's own code, with no call in the code to
mark it: the store is read as the `XslTransform.Load` the control makes of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.syntax import Role, last_name, member_parts, role, text

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# The control types (as `Extracted.objects` and the unit's typing name them) -> the members
# that give them a stylesheet.
STYLESHEET_MEMBERS = {
    "xml": frozenset({"transformsource", "transform"}),
    "xmldatasource": frozenset({"transformfile", "transform"}),
}
_MEMBERS = frozenset().union(*STYLESHEET_MEMBERS.values())

LOAD = ("XslTransform", "Load")


def stylesheet_stored(flow: UnitFlow, node: Node, method: str | None) -> None:
    """`XmlDataSource1.Transform = x`, `Xml1.TransformSource = x`, C#'s `new XmlDataSource {
    Transform = x }`: `x` checked as what the control's `XslTransform.Load` is given."""
    left, right = flow._targets(node)
    if left is None or right is None:
        return
    if role(left) is Role.IDENT:
        if not _initialized(node, text(left).lower()):
            return
    elif role(left) is Role.MEMBER:
        holder, member = member_parts(left)
        if holder is None or member.lower() not in _MEMBERS:
            return
        path, _ = flow._typed_path(left)
        if len(path) < 2 or path[-1] not in STYLESHEET_MEMBERS.get(path[-2], ()):
            return
    else:
        return
    how = f"stored into {text(left)[:80]}, which the control loads as its stylesheet, script included"
    flow._call_as(node, [right], method, LOAD, how)


def _initialized(node: Node, member: str) -> bool:
    """Whether `node` sets `member` of an XML control in the initializer of the `new` making it."""
    items = node.parent
    made = items.parent if items is not None and items.type == "initializer_expression" else None
    if made is None or made.type != "object_creation_expression":
        return False
    return member in STYLESHEET_MEMBERS.get(last_name(made.child_by_field_name("type")), ())


def control_transform_loaded(path: tuple[str, ...]) -> bool:
    """`Xml1.Transform.Load(x)`: the `XslTransform` an `Xml` control holds given a stylesheet."""
    return path[-3:] == ("xml", "transform", "load")
