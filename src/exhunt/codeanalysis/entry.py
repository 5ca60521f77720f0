"""Where the client's values enter a method the framework calls: the parameters of web methods,
WCF operations, MVC and Web API controller actions and Razor Pages handlers, which model binding
fills from the request; Razor Pages' bound properties; the edit events of data-bound controls;
and the page-framework interfaces that hand a control what the client posted.

Each check reads a member's declaration (its signature, attributes and the head of its class),
never the request itself.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from exhunt.codeanalysis.syntax import text

# Attributes (lower case, without spaces) that make a method an operation a client calls with its
# own arguments: an ASMX [WebMethod], and WCF's [OperationContract] and its REST forms.
OPERATION_ATTRIBUTES = ("webmethod", "operationcontract", "webget", "webinvoke")
# MVC's, Web API's and OData's controllers: a public method of a class derived from one is an
# action, and model binding fills its parameters from the request (route, query string, form,
# body).
_CONTROLLER_BASE = re.compile(r"(?i)(?:[:,]|\binherits)\s*(?:[\w.]+\.)?(?:Api|Async|OData)?Controller(?:Base)?\b")
# SignalR hubs (`Hub`, `Hub<T>`): their public methods are what connected clients invoke, with
# arguments of the client's choosing.
_HUB_BASE = re.compile(r"(?i)(?:[:,]|\binherits)\s*(?:Microsoft\.AspNet(?:Core)?\.SignalR\.)?Hub\b(?!\s*\.)")
_NOT_ACTION = re.compile(r"(?i)\[\s*(?:NonAction|ChildActionOnly)\b|<\s*NonAction\b")


def controller_action(node: Node, signature: str, attributes: str) -> bool:
    """Whether a method is an action of an MVC, Web API or OData controller: public, not static,
    in a class whose declared base is `Controller`, `ApiController`, `AsyncController`,
    `ODataController` or `ControllerBase` (a constructor, property or `[NonAction]` method is none)."""
    if node.type != "method_declaration" or not _public_instance(signature) or _NOT_ACTION.search(attributes):
        return False
    return _class_head_holds(node, _CONTROLLER_BASE)


def hub_method(node: Node, signature: str) -> bool:
    """Whether a method is one a SignalR hub's clients invoke: public, not static, in a class whose
    declared base is `Hub` or `Hub<T>`."""
    if node.type != "method_declaration" or not _public_instance(signature):
        return False
    return _class_head_holds(node, _HUB_BASE)


def _public_instance(signature: str) -> bool:
    """Whether a method's signature (up to its parameters, lower case) is public and not static."""
    return re.search(r"\bpublic\b", signature) is not None and re.search(r"\b(?:static|shared)\b", signature) is None


def _class_head(node: Node) -> str | None:
    """The head of the class a method is declared in, up to its body (C#'s brace; VB's
    `Inherits` is the line after `Class`), or None outside a class."""
    cls = node.parent
    for _ in range(3):
        if cls is None or cls.type in {"class_declaration", "class_block"}:
            break
        cls = cls.parent
    if cls is None or cls.type not in {"class_declaration", "class_block"}:
        return None
    whole = text(cls)[:400]
    return whole.split("{", 1)[0] if cls.type == "class_declaration" else "\n".join(whole.splitlines()[:3])


def _class_head_holds(node: Node, pattern: re.Pattern[str]) -> bool:
    """Whether the head of the class a member is declared in (`_class_head`) matches `pattern`:
    its declared base, or an attribute on the class."""
    head = _class_head(node)
    return head is not None and pattern.search(head) is not None


# Razor Pages: a page's handler methods are named for the HTTP method they answer (`OnGet`,
# `OnPostAsync`, `OnPostDelete`), and model binding fills their parameters from the request; they
# sit in the page's `@functions` block or in a class derived from `PageModel`.
_PAGE_HANDLER = re.compile(r"(?i)on(?:get|post|put|delete|patch|head|options)\w*$")
_PAGE_MODEL_BASE = re.compile(r"(?i)(?:[:,]|\binherits)\s*(?:[\w.]+\.)?PageModel\b")


def page_handler(node: Node, name: str, signature: str, razor_page: bool) -> bool:
    """Whether a method is a Razor page's handler: public, not static, named `On<Verb>...`, in a
    Razor page's members or in a class whose declared base is `PageModel`."""
    if node.type != "method_declaration" or _PAGE_HANDLER.match(name) is None or not _public_instance(signature):
        return False
    return razor_page or _in_page_model(node)


def _in_page_model(node: Node) -> bool:
    """Whether a member is declared in a class whose declared base is `PageModel`."""
    return _class_head_holds(node, _PAGE_MODEL_BASE)


# Razor Pages' bound properties: `[BindProperty]` on the property, or `[BindProperties]` on its
# class (a page model's, or the page's own members).
_BIND_PROPERTY = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*?\[\s*(?:[\w.]+\.)?BindProperty(?:Attribute)?\b")
_BIND_PROPERTIES = re.compile(r"\[\s*(?:[\w.]+\.)?BindProperties(?:Attribute)?\b")


def bound_property(node: Node, razor_page: bool) -> bool:
    """Whether a C# property is one model binding fills from the request: marked `[BindProperty]`
    (or in a class marked `[BindProperties]`), in a Razor page's members or a `PageModel` class."""
    if node.type != "property_declaration" or not (razor_page or _in_page_model(node)):
        return False
    if _BIND_PROPERTY.search(text(node)[:600]) is not None:
        return True
    return _class_head_holds(node, _BIND_PROPERTIES)


# The event arguments of data-bound controls' edits, and the member that holds what the client
# typed into the row or form (the keys and old values come from the control's own state).
_EDITED_VALUES = {
    "gridviewupdateeventargs": "newvalues",
    "detailsviewupdateeventargs": "newvalues",
    "formviewupdateeventargs": "newvalues",
    "listviewupdateeventargs": "newvalues",
    "detailsviewinserteventargs": "values",
    "formviewinserteventargs": "values",
    "listviewinserteventargs": "values",
}


_TYPE_WORDS = re.compile(r"\w+")


def edited_member(parameter: str) -> str | None:
    """The member holding what the client typed, when a parameter's declaration names a data
    control's edit event arguments (`_EDITED_VALUES`); None for any other parameter."""
    for word in _TYPE_WORDS.findall(parameter[:400]):
        member = _EDITED_VALUES.get(word.lower())
        if member is not None:
            return member
    return None


# Methods of the page-framework interfaces that the framework calls with what the client posted:
# the argument of a client callback (ICallbackEventHandler) or of a postback event
# (IPostBackEventHandler, the `__EVENTARGUMENT` field), and the posted form handed to a control
# that reads its own fields (IPostBackDataHandler). Method (lower case) -> (parameter, source).
EVENT_ARGUMENTS = {
    "raisecallbackevent": (0, "client callback argument"),
    "raisepostbackevent": (0, "postback event argument"),
    "loadpostdata": (1, "posted form"),
}
