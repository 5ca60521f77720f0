"""EXH-WS-CONFIG-HANDLER: a web.config mapping image, text, data or config extensions to page
compilation (a build provider, the page/handler/service handler factories) or to the ASP or
ASP.NET script processor, so that a later upload of a harmless-looking file runs as server code;
beside the mappings real applications make (.axd, their own extensions to their own handlers,
an image resizer's handler for pictures) (docs/detection/webshell-code.md, "A web.config that
runs other files")."""

from __future__ import annotations

from pathlib import Path

import pytest

from files_support import by_rule, hunt, server_file

RULE = "EXH-WS-CONFIG-HANDLER"
WWW = r"C:\inetpub\wwwroot\uploads\web.config"


def config(body: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<configuration>\n{body}\n</configuration>\n'.encode()


PLANTED = [
    (
        "build provider",
        '<system.web><compilation><buildProviders>\n<add extension=".jpg" type="System.Web.Compilation.PageBuildProvider" />\n'
        "</buildProviders></compilation></system.web>",
    ),
    (
        "type first",
        '<system.web><compilation><buildProviders>\n<add type="System.Web.Compilation.WebHandlerBuildProvider" extension=".txt"/>\n'
        "</buildProviders></compilation></system.web>",
    ),
    (
        "page handler",
        '<system.web><httpHandlers>\n<add verb="*" path="*.png" type="System.Web.UI.PageHandlerFactory" />\n</httpHandlers></system.web>',
    ),
    (
        "config as classic ASP",
        '<system.webServer><handlers accessPolicy="Read, Script, Write">\n'
        '<add name="web_config" path="*.config" verb="*" modules="IsapiModule" '
        'scriptProcessor="%windir%\\system32\\inetsrv\\asp.dll" resourceType="Unspecified" />\n'
        "</handlers></system.webServer>",
    ),
    (
        "integrated pipeline",
        '<system.webServer><handlers>\n<add name="pics" path="*.gif" verb="*" type="System.Web.UI.SimpleHandlerFactory" />\n'
        "</handlers></system.webServer>",
    ),
]


@pytest.mark.parametrize(("label", "body"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_config_making_data_files_run_is_found(tmp_path: Path, label: str, body: str) -> None:
    found = by_rule(hunt(server_file(tmp_path, WWW, config(body))))
    assert RULE in found, label
    assert found[RULE].severity.name.lower() == "high"


ORDINARY = [
    (
        "axd and own handler",
        '<system.web><httpHandlers>\n<add verb="*" path="*.axd" type="System.Web.Handlers.AssemblyResourceLoader" />\n'
        '<add verb="GET" path="*.jpg" type="ImageResizer.InterceptModule, ImageResizer" />\n</httpHandlers></system.web>',
    ),
    (
        "own extension",
        '<system.web><compilation><buildProviders>\n<add extension=".cshtml" type="System.Web.WebPages.Razor.RazorBuildProvider" />\n'
        "</buildProviders></compilation></system.web>",
    ),
    (
        "static file handler",
        '<system.webServer><handlers>\n<add name="StaticFile" path="*" verb="*" modules="StaticFileModule" resourceType="Either" />\n'
        "</handlers></system.webServer>",
    ),
    (
        "xml into ASP.NET",
        '<system.webServer><handlers>\n<add name="AboMapperCustom-1" path="*.xml" verb="POST,GET" modules="IsapiModule" '
        'scriptProcessor="C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\aspnet_isapi.dll" />\n'
        "</handlers></system.webServer>",
    ),
    (
        "html pages",
        '<system.web><httpHandlers>\n<add verb="*" path="*.html" type="System.Web.UI.PageHandlerFactory" />\n</httpHandlers></system.web>',
    ),
]


@pytest.mark.parametrize(("label", "body"), ORDINARY, ids=[o[0] for o in ORDINARY])
def test_ordinary_handler_mappings_stay_quiet(tmp_path: Path, label: str, body: str) -> None:
    assert RULE not in by_rule(hunt(server_file(tmp_path, WWW, config(body)))), label
