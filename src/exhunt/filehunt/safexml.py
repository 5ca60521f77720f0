"""A small, safe XML reader for IIS configuration files, keeping the line of every element.

IIS configs never need a DOCTYPE, so any DOCTYPE or entity declaration is refused before it can
expand (no billion-laughs, no external entities); input is bounded in size. Tags and attribute
names are kept in lower case: IIS itself is not consistent about case across versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

MAX_XML_BYTES = 32 * 1024 * 1024


class XmlRefused(ValueError):
    """The document is not parsed: too large, not well-formed, or it declares a DOCTYPE/entity."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(slots=True)
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name.lower(), default)

    def child(self, tag: str) -> Node | None:
        tag = tag.lower()
        return next((c for c in self.children if c.tag == tag), None)

    def path(self, *tags: str) -> Node | None:
        node: Node | None = self
        for tag in tags:
            node = node.child(tag) if node is not None else None
        return node

    def iter(self, tag: str) -> Iterator[Node]:
        """Every descendant (and self) with this tag, in document order."""
        tag = tag.lower()
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag == tag:
                yield node
            stack.extend(reversed(node.children))


def parse_xml(data: bytes) -> Node:
    """The document's root element; raises XmlRefused for anything unsafe or broken."""
    if len(data) > MAX_XML_BYTES:
        raise XmlRefused(f"larger than {MAX_XML_BYTES // 2**20} MiB")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root: list[Node] = []
    stack: list[Node] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        node = Node(name.lower(), {k.lower(): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def refuse_doctype(*_: object) -> None:
        raise XmlRefused("declares a DOCTYPE, which IIS configuration never needs", parser.CurrentLineNumber)

    def refuse_entity(*_: object) -> None:
        raise XmlRefused("declares an entity, which IIS configuration never needs", parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_entity  # type: ignore[assignment]
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XmlRefused(f"not well-formed XML: {expat.ErrorString(exc.code)}", exc.lineno) from None
    except RecursionError:
        raise XmlRefused("nested too deeply") from None
    if not root:
        raise XmlRefused("no root element")
    return root[0]
