"""A page whose only content is one server control of a custom assembly it registers: declaring
the control creates an object of the class, as `new N.Y()` in code would, so the page is the
trigger of a planted DLL (`EXH-WS-CODE-PLANTED-DLL`). Written for these tests from Microsoft's
description of the `@ Register` directive; the look-alikes are pages as applications write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from code_support import medium_or_above
from exhunt.codeanalysis import analyze_code
from files_support import by_rule, hunt, server_file

PLANTED = "EXH-WS-CODE-PLANTED-DLL"

TRIGGER = b"""<%@ Page Language="C#" %>
<%@ Register TagPrefix="cc" Namespace="Contoso.Web.Diag" Assembly="Contoso.Web.Diag" %>
<cc:Probe runat="server" Key="k4" />
"""


def test_a_page_of_one_custom_control() -> None:
    report = analyze_code(TRIGGER, "probe.aspx")
    assert PLANTED in medium_or_above(report)
    (cap,) = [c for c in report.capabilities if c.rule_id == PLANTED]
    assert cap.chain == (
        "has no code of its own and only declares the control cc:Probe, "
        "class Contoso.Web.Diag.Probe of the custom assembly Contoso.Web.Diag"
    )
    assert cap.lines == (2, 3)


def test_a_control_of_the_applications_own_source() -> None:
    page = TRIGGER.replace(b' Assembly="Contoso.Web.Diag"', b"")
    (cap,) = [c for c in analyze_code(page, "probe.aspx").capabilities if c.rule_id == PLANTED]
    assert cap.chain.endswith("class Contoso.Web.Diag.Probe of the application's App_Code folder")


def test_a_control_registered_outside_the_page() -> None:
    # web.config's <pages><controls><add tagPrefix="cc" .../> registers the prefix for every page
    page = b'<%@ Page Language="C#" %>\n<cc:Probe runat="server" Key="k4" />\n'
    (cap,) = [c for c in analyze_code(page, "probe.aspx").capabilities if c.rule_id == PLANTED]
    assert cap.chain.endswith("cc:Probe, registered outside the page (web.config's pages/controls)")
    assert cap.lines == (2,)


@pytest.mark.parametrize(
    "page",
    [
        # a page with its own code: the control is one part of an application page
        TRIGGER.replace(b'Language="C#"', b'Language="C#" CodeBehind="probe.aspx.cs" Inherits="App.Probe"'),
        # a user control, which no URL serves
        TRIGGER.replace(b"Page", b"Control"),
        # a framework control, by its assembly or (registered without one) by its namespace
        TRIGGER.replace(b'Namespace="Contoso.Web.Diag" Assembly="Contoso.Web.Diag"', b'Namespace="System.Web.UI"'),
        TRIGGER.replace(
            b'Namespace="Contoso.Web.Diag" Assembly="Contoso.Web.Diag"',
            b'Namespace="System.Web.UI.WebControls" Assembly="System.Web.Extensions"',
        ),
        # the control registered but not declared on the page
        TRIGGER.replace(b"<cc:Probe", b"<asp:Label"),
        # a page of markup with the control among it
        TRIGGER + b"<div>" + b"<p>Contoso intranet: the probe reports the state of each service.</p>" * 8 + b"</div>",
        # a user control registered by its file is read as an include, not as a planted class
        b'<%@ Page Language="C#" %>\n<%@ Register TagPrefix="uc" TagName="Menu" Src="~/Controls/Menu.ascx" %>\n<uc:Menu runat="server" />',
    ],
    ids=["own code", "user control", "framework namespace", "framework", "not declared", "markup", "user control file"],
)
def test_look_alikes_stay_quiet(page: bytes) -> None:
    name = "c.ascx" if page.startswith(b"<%@ Control") else "p.aspx"
    assert PLANTED not in medium_or_above(analyze_code(page, name))


def test_the_hunt_finds_the_trigger(tmp_path: Path) -> None:
    found = by_rule(hunt(server_file(tmp_path, "C:\\inetpub\\wwwroot\\probe.aspx", TRIGGER)))
    assert found[PLANTED].evidence.line == 3
    assert "Contoso.Web.Diag.Probe" in dict(found[PLANTED].details)["chain"]


@pytest.mark.parametrize(
    ("base", "reported"),
    [
        ("Loader", True),  # a class without a namespace, from bin or App_Code
        ("Contoso.Loader, Contoso.Diag", True),
        ("_Default, App_Web_x2ks9fqa", False),  # the precompiler's assembly of the site's own pages
        ("Page", False),  # the framework's page class by its short name
        ("ViewPage<dynamic>", False),
    ],
)
def test_a_page_that_only_inherits(base: str, reported: bool) -> None:
    page = f'<%@ Page Language="C#" Inherits="{base}" %>\n'.encode()
    assert (PLANTED in medium_or_above(analyze_code(page, "p.aspx"))) is reported


def test_the_hunt_reads_a_page_of_one_unregistered_control(tmp_path: Path) -> None:
    page = b'<%@ Page Language="C#" %>\n<cc:Probe runat="server" Key="k4" />\n'
    found = by_rule(hunt(server_file(tmp_path, "C:\\inetpub\\wwwroot\\probe.aspx", page)))
    assert "registered outside the page" in dict(found[PLANTED].details)["chain"]
