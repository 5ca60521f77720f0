"""Script in an XSLT stylesheet: class members the .NET transform compiles and runs.

The .NET XSLT processors take `<msxsl:script>` elements (any prefix bound to the namespace
`urn:schemas-microsoft-com:xslt`) whose text is a class's members in C#, Visual Basic or JScript
(JScript when no `language` is given), with `<msxsl:using namespace="...">` and
`<msxsl:assembly name="...">` children for the namespaces and assemblies the code uses.
`XslCompiledTransform` compiles them when its settings enable script; the older `XslTransform`
does in full trust, and ASP.NET's `<asp:Xml TransformSource="...">` control loads its stylesheet
with `XslTransform` unless the site sets `aspnet:RestrictXmlControls`. A stylesheet planted in a
web folder for such a page (or a page of the attacker's) holds the shell's code.

Each script element becomes a unit of members at its own lines. Its XML is undone as the XML
parser would: comments and CDATA markers are blanked, the five predefined entities and
character references outside CDATA are replaced, and `using`/`assembly` children become the
`Import` and `Assembly` directives a page would write. Lines stay where they were; columns of a
line with an entity move, which findings do not show.
"""

from __future__ import annotations

import re

from exhunt.codeanalysis.extract import (
    CodeUnit,
    Directive,
    Extracted,
    Lang,
    Padded,
    UnitKind,
    attributes,
    language_of,
)

STYLESHEET_EXTENSIONS = frozenset({".xsl", ".xslt"})
NAMESPACE = "urn:schemas-microsoft-com:xslt"
MAX_PREFIXES = 8  # prefixes bound to the namespace that are looked for
MAX_SCRIPTS = 256  # script elements read from one stylesheet

_PREFIX = re.compile(
    r"""xmlns:(?P<p>[A-Za-z_][\w.\-]{0,63})\s*=\s*["']\s*urn:schemas-microsoft-com:xslt\s*["']""", re.I
)
_OPEN_END = re.compile(r">")
# Children of a script element that are not code.
_CHILD = re.compile(r"<(?P<p>[A-Za-z_][\w.\-]{0,63}):(?P<name>using|assembly)\b(?P<attrs>[^<>]{0,2000})/?>", re.I)
_ENTITY = re.compile(r"&(?:(?P<name>lt|gt|amp|quot|apos)|#(?P<dec>[0-9]{1,7})|#[xX](?P<hex>[0-9A-Fa-f]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
# ASCII letters to lower case, one character for one (`str.lower` may lengthen other letters,
# which would move every offset found in the lowered text off the original's).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def stylesheet(text: str) -> tuple[Extracted, bool]:
    """The script elements of a stylesheet as units of members, by language, at their lines, and
    whether script elements were left unread (past `MAX_SCRIPTS`, or under a prefix past
    `MAX_PREFIXES`)."""
    unread = False
    out = Extracted()
    text = _without_comments(text)
    low = text.translate(_ASCII_LOWER)
    prefixes = list(dict.fromkeys(m.group("p").translate(_ASCII_LOWER) for m in _PREFIX.finditer(text)))
    if len(prefixes) > MAX_PREFIXES:
        prefixes, unread = prefixes[:MAX_PREFIXES], True
    bodies: list[tuple[int, Lang, str]] = []  # (line, language, code)
    for prefix in prefixes:
        opening, closing = f"<{prefix}:script", f"</{prefix}:script"
        at = 0
        while (start := low.find(opening, at)) >= 0:
            if len(bodies) >= MAX_SCRIPTS:
                unread = True
                break
            head_end = _OPEN_END.search(text, start)
            after = start + len(opening)
            if head_end is None:
                break
            if after < len(text) and (text[after].isalnum() or text[after] in "_.-"):
                at = after  # `<msxsl:scripts>`: another element
                continue
            attrs = text[after : head_end.start()]
            if attrs.rstrip().endswith("/"):
                at = head_end.end()  # an empty element
                continue
            end = low.find(closing, head_end.end())
            if end < 0:
                break  # unclosed: not an element the processor would compile
            lang = language_of(attributes(attrs).get("language")) or Lang.JSCRIPT
            line = text.count("\n", 0, head_end.end()) + 1
            bodies.append((line, lang, _code(text[head_end.end() : end], out, line)))
            at = end + len(closing)
    by_lang: dict[Lang, Padded] = {}
    for line, lang, code in sorted(bodies, key=lambda b: b[0]):
        by_lang.setdefault(lang, Padded("\n")).add(code, line)
    for lang, padded in by_lang.items():
        out.units.append(CodeUnit(lang, UnitKind.MEMBERS, padded.text(), padded.first or 1))
    return out, unread


def _code(body: str, out: Extracted, line: int) -> str:
    """A script element's text as the compiler gets it: CDATA sections as written, the XML
    around them unescaped, children and comments blanked (newlines kept)."""
    pieces: list[str] = []
    at = 0
    while True:
        start = body.find("<![CDATA[", at)
        end = body.find("]]>", start + 9) if start >= 0 else -1
        if end < 0:  # no more sections (an unclosed one is not XML: read as markup)
            break
        pieces.append(_markup(body[at:start], out, line))
        section = body[start + 9 : end]
        pieces.append(" " * 9 + section + "   ")
        line += body.count("\n", at, start) + section.count("\n")  # counted once, piece by piece
        at = end + 3
    pieces.append(_markup(body[at:], out, line))
    return "".join(pieces)


def _markup(part: str, out: Extracted, line: int) -> str:
    """XML outside CDATA: `using` and `assembly` children as directives, then blanked;
    entities replaced by their characters."""
    at = 0
    for m in _CHILD.finditer(part):
        line += part.count("\n", at, m.start())
        at = m.start()
        attrs = attributes(m.group("attrs"))
        if m.group("name").lower() == "using" and attrs.get("namespace", "").strip():
            out.directives.append(Directive("Import", {"namespace": attrs["namespace"].strip()}, line))
        elif m.group("name").lower() == "assembly" and (attrs.get("name") or attrs.get("href")):
            out.directives.append(Directive("Assembly", {"name": (attrs.get("name") or attrs["href"]).strip()}, line))
    return _ENTITY.sub(_character, _CHILD.sub(_blank, part))


def _without_comments(text: str) -> str:
    """The text with its XML comments blanked (newlines kept); CDATA sections, which may hold
    `<!--` as code, are passed over."""
    kept: list[str] = []
    at = 0
    cdata = text.find("<![CDATA[")  # the next section, looked up again only once passed
    while (comment := text.find("<!--", at)) >= 0:
        if 0 <= cdata < at:
            cdata = text.find("<![CDATA[", at)
        if 0 <= cdata < comment:
            end = text.find("]]>", cdata + 9)
            if end < 0:
                break
            kept.append(text[at : end + 3])
            at = end + 3
            continue
        end = text.find("-->", comment + 4)
        end = len(text) if end < 0 else end + 3
        kept.append(text[at:comment])
        kept.append(_spaces(text[comment:end]))
        at = end
    kept.append(text[at:])
    return "".join(kept)


def _spaces(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _blank(m: re.Match[str]) -> str:
    return _spaces(m.group(0))


def _character(m: re.Match[str]) -> str:
    if m.group("name"):
        return _NAMED[m.group("name")]
    number = int(m.group("dec"), 10) if m.group("dec") else int(m.group("hex"), 16)
    return chr(number) if 0 < number <= 0x10FFFF and not 0xD800 <= number <= 0xDFFF else " "
