"""Pages that only hand over to code kept elsewhere: a planted assembly, an include, a cloaking redirect."""

from __future__ import annotations

import re

from exhunt.codeanalysis.compileroptions import compiled_files
from exhunt.codeanalysis.extract import Extracted, Lang, UnitKind
from exhunt.codeanalysis.report import Capability, CodeReport
from exhunt.ruleparams import CodeCloakParams, CodeIncludeParams, CodePlantedDllParams
from exhunt.rules import rules_of

_CRAWLER_CONTEXT = re.compile(r"useragent|user_agent|urlreferrer|http_referer|user-agent", re.I)


# Directives whose `Src` or `CodeFile` ASP.NET compiles as source at run time.
_SOURCE_DIRECTIVES = frozenset({"page", "control", "master", "application", "webhandler", "webservice", "assembly"})


_TYPE_USE = re.compile(
    r"\bnew\s+(?P<t>[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+)\s*\(|(?P<s>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*){1,})\s*\.\s*\w+\s*\(\s*(?:this|Context|HttpContext\.Current|Me)\b"
)


# Names the framework gives a page or handler (a handler's `HttpContext` parameter is usually
# `context` or `Context`, the page's own property too).
_FRAMEWORK = (
    "system.",
    "microsoft.",
    "httpcontext.",
    "context.",
    "response.",
    "request.",
    "server.",
    "page.",
    "this.",
    "me.",
)


# Only a page can be the trigger: ASP.NET refuses to serve user controls and master pages
# (`.ascx`, `.master`: HttpForbiddenHandler), which run only inside a page that names them, and
# precompiled applications ship every skin, container and control as such a directive.
_PAGE_DIRECTIVES = frozenset({"page"})


_OWN_CODE = frozenset({"codebehind", "codefile", "src"})


def _extension(path: str) -> str:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def included_files(extracted: Extracted, report: CodeReport) -> None:
    for r in rules_of("code-include"):
        p = r.params_as(CodeIncludeParams)
        for path, line in extracted.includes:
            if _extension(path) not in p.code_extensions:
                report.capabilities.append(
                    Capability(r.id, line, f"includes server code from '{path}'", (line,), "#include")
                )
        if not p.source_extensions:
            continue
        for path, line in extracted.script_sources:
            if _extension(path) not in p.source_extensions:
                how = f"has ASP.NET compile '{path}' as server code (script runat=server src)"
                report.capabilities.append(Capability(r.id, line, how, (line,), "<script src>"))
        _compiled_with(r.id, extracted, report)
        for d in extracted.directives:
            if d.name.lower() not in _SOURCE_DIRECTIVES:
                continue
            for attr in ("Src", "CodeFile"):
                path = next((v for k, v in d.attrs.items() if k.lower() == attr.lower()), "").strip()
                if path and _extension(path) not in p.source_extensions:
                    how = f"has ASP.NET compile '{path}' as server code ({d.name} {attr})"
                    report.capabilities.append(Capability(r.id, d.line, how, (d.line,), f"@{d.name} {attr}"))


# Files reported of one command line, and command lines of one configuration file: a finding
# shows a few chains, and a file of thousands would only make the report long.
_FILES_SHOWN = 8


def _compiled_with(rule_id: str, extracted: Extracted, report: CodeReport) -> None:
    """Files a directive's `CompilerOptions`, or a compiler web.config registers, has the compiler
    read with the page: source files of any name and response files (`compileroptions`)."""
    for d in extracted.directives:
        options = next((v for k, v in d.attrs.items() if k.lower() == "compileroptions"), "")
        for f in compiled_files(options)[:_FILES_SHOWN]:
            how = f"has the compiler read {f.how} '{f.path}' with the page ({d.name} CompilerOptions)"
            report.capabilities.append(Capability(rule_id, d.line, how, (d.line,), f"@{d.name} CompilerOptions"))
    for options, line in extracted.compilers[:_FILES_SHOWN]:
        for f in compiled_files(options)[:_FILES_SHOWN]:
            how = f"has the compiler read {f.how} '{f.path}' with every page it compiles (compiler compilerOptions)"
            report.capabilities.append(Capability(rule_id, line, how, (line,), "<compiler compilerOptions>"))


def planted_code(extracted: Extracted, text: str, size: int, report: CodeReport, razor: bool = False) -> None:
    """`razor`: a Razor view, whose code hands `this` (the view) to its model's and helpers'
    methods as a matter of course; there only a custom class created counts."""
    for r in rules_of("code-planted-dll"):
        if size <= r.params_as(CodePlantedDllParams).max_page_bytes:
            _planted_of(r.id, extracted, text, report, razor)


# Classes of the framework a page may name without their namespace (`Inherits="Page"`) once it
# imports it, and the assemblies the precompiler makes of a site's own pages and App_Code
# (`Inherits="_Default, App_Web_x2ks9"`).
_SHORT_FRAMEWORK = frozenset({"page", "masterpage", "usercontrol", "viewpage", "viewmasterpage", "viewusercontrol"})
_PRECOMPILED = re.compile(r",\s*App_(?:Web_|Code\b)", re.I)


def _precompiled_or_framework(base: str) -> bool:
    """Whether an `Inherits` names a class of the site's own precompiled assemblies, or a page
    class of the framework by its short name (generics aside: `ViewPage<dynamic>`)."""
    short = base.split("<", 1)[0].strip().lower()
    return _PRECOMPILED.search(base) is not None or short in _SHORT_FRAMEWORK


def _inherited_only(rule_id: str, extracted: Extracted, report: CodeReport) -> bool:
    """A page (with no server code and next to no markup: `_planted_of`) that inherits a class it
    does not bring (no `CodeBehind`, `CodeFile` or `Src`): everything it does is in that class,
    from an assembly in bin or the GAC. Handlers and services naming a library's class are left
    out: libraries ship such one-line stubs for their handlers; so are user controls and master
    pages, which no request reaches by their own URL. Whether it was reported."""
    for d in extracted.directives:
        attrs = {k.lower(): v for k, v in d.attrs.items()}
        base = attrs.get("inherits", "").strip()
        if d.name.lower() not in _PAGE_DIRECTIVES or not base or attrs.keys() & _OWN_CODE:
            continue
        if base.lower().startswith(_FRAMEWORK) or _precompiled_or_framework(base):
            continue
        assemblies = [a.attrs.get("name") or "" for a in extracted.directives if a.name.lower() == "assembly"]
        where = f" (assembly {', '.join(a for a in assemblies if a)})" if any(assemblies) else ""
        report.capabilities.append(
            Capability(
                rule_id,
                d.line,
                f"has no code or markup of its own and inherits {base}{where}, a class from a custom assembly",
                (d.line,),
                base,
            )
        )
        return True
    return False


# A server control declared in markup (`<x:Y ... runat="server"`): its tag prefix and class.
_SERVER_CONTROL = re.compile(r"<(\w+):(\w+)\b[^<>]*\brunat\s*=\s*[\"']?server", re.I)


def _control_only(rule_id: str, extracted: Extracted, text: str, report: CodeReport) -> None:
    """A page (with no server code and next to no markup: `_planted_of`) whose one server control
    comes from a custom assembly it registers (`<%@ Register TagPrefix="x" Namespace="N"
    Assembly="A" %>` then `<x:Y runat="server" />`), from the application's App_Code when no
    assembly is named (a source file planted there is compiled with the application), or from a
    prefix the page does not register (web.config's `<pages><controls>` does): declaring the
    control creates an object of that class, as `new N.Y()` would, and the class does the rest.
    Only a `@ Page` is a trigger, and pages with code of their own (`CodeBehind`, `CodeFile`,
    `Src`) are left out, as for `_inherited_only`; so are the framework's controls and user
    controls registered by file."""
    pages = [{k.lower(): v for k, v in d.attrs.items()} for d in extracted.directives if d.name.lower() == "page"]
    if not pages or any(attrs.keys() & _OWN_CODE for attrs in pages):
        return  # (a user control's or master page's, which no URL serves, or a page with its own code)
    registered: dict[str, tuple[dict[str, str], int]] = {}
    for d in extracted.directives:
        attrs = {k.lower(): v.strip() for k, v in d.attrs.items()}
        if d.name.lower() == "register" and attrs.get("tagprefix"):
            registered.setdefault(attrs["tagprefix"].lower(), (attrs, d.line))
    for tag in _SERVER_CONTROL.finditer(text):
        prefix, control = tag.group(1), tag.group(2)
        if prefix.lower() == "asp":
            continue
        line = text.count("\n", 0, tag.start()) + 1
        attrs, at = registered.get(prefix.lower(), ({}, line))
        if "src" in attrs:
            return  # a user control, read as an include
        assembly, namespace = attrs.get("assembly", ""), attrs.get("namespace", "")
        if (assembly or namespace).lower().startswith(("system", "microsoft")):
            return
        name = f"{namespace}.{control}" if namespace else control
        if assembly:
            where = f"class {name} of the custom assembly {assembly}"
        elif namespace:
            # Without an assembly the parser looks for the namespace in the application's own
            # source files, compiled from App_Code.
            where = f"class {name} of the application's App_Code folder"
        else:
            where = "registered outside the page (web.config's pages/controls)"
        report.capabilities.append(
            Capability(
                rule_id,
                line,
                f"has no code of its own and only declares the control {prefix}:{control}, {where}",
                (at, line) if at != line else (line,),
                name,
            )
        )
        return


def _planted_of(rule_id: str, extracted: Extracted, text: str, report: CodeReport, razor: bool = False) -> None:
    if not extracted.code_chars:  # (no units, or units of white space only)
        if extracted.markup_chars <= 400 and not _inherited_only(rule_id, extracted, report):
            _control_only(rule_id, extracted, text, report)
        return
    if extracted.markup_chars > 400 or any(
        u.kind is UnitKind.FILE and u.lang is not Lang.JSCRIPT and not extracted.directives for u in extracted.units
    ):
        return
    code = " ".join(u.text for u in extracted.units)
    for m in _TYPE_USE.finditer(code):
        name = m.group("t") or m.group("s") or ""
        if name.lower().startswith(_FRAMEWORK) or (razor and not m.group("t")):
            continue
        line = text.count("\n", 0, text.find(name)) + 1 if name in text else 1
        assemblies = [
            d.attrs.get("name") or d.attrs.get("src") or ""
            for d in extracted.directives
            if d.name.lower() == "assembly"
        ]
        where = f" (assembly {', '.join(a for a in assemblies if a)})" if any(assemblies) else ""
        report.capabilities.append(
            Capability(
                rule_id, line, f"only hands the request to {name}{where}, a class from a custom assembly", (line,), name
            )
        )
        return


def cloaking(text: str, report: CodeReport) -> None:
    # Each name `_CRAWLER_CONTEXT` looks for holds "agent" or "refer", letters that match in any
    # case only themselves and their capitals: a text holding neither (nearly every page) is
    # told so by two substring searches, not by the caseless regex (about 20 MB/s on pages).
    low = text.lower()
    if ("agent" not in low and "refer" not in low) or not _CRAWLER_CONTEXT.search(text):
        return
    for r in rules_of("code-seo-cloak"):
        _cloaking_of(r.id, r.params_as(CodeCloakParams), text, report)


def _cloaking_of(rule_id: str, words: CodeCloakParams, text: str, report: CodeReport) -> None:
    low = text.lower()
    crawlers = [c for c in words.crawlers if f'"{c}' in low or f'{c}"' in low or f"|{c}" in low or f"{c}|" in low]
    actions = [a for a in words.actions if a in low]
    if len(crawlers) >= 2 and actions:
        m = _CRAWLER_CONTEXT.search(text)
        line = text.count("\n", 0, m.start()) + 1 if m else 1
        report.capabilities.append(
            Capability(
                rule_id,
                line,
                f"compares the user agent or referer with crawler names ({', '.join(crawlers[:4])}) and then {', '.join(actions[:3])}",
                (line,),
            )
        )
