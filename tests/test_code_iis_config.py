"""A page that changes IIS's configuration, or its site's handler and module sections, installs
what outlives it: a module, a handler mapping that runs more file types as pages, a virtual
directory (EXH-WS-CODE-IIS-CONFIG, docs/detection/webshell-code.md, "Configuration changed from a
page"). Reading the configuration, saving other files and settings, and the source files of a
hosting panel that manages IIS are not reported."""

from __future__ import annotations

import pytest

from code_support import assert_found, cs_page, run, vb_page

RULE = "EXH-WS-CODE-IIS-CONFIG"
ADMIN = "Microsoft.Web.Administration"

SHELLS = [
    (
        "handler-mapping.aspx",
        cs_page(
            "var sm = new ServerManager();\n"
            'var handlers = sm.GetApplicationHostConfiguration().GetSection("system.webServer/handlers").GetCollection();\n'
            'var add = handlers.CreateElement("add");\n'
            'add["name"] = "jpg"; add["path"] = "*.jpg"; add["verb"] = "*";\n'
            'add["type"] = "System.Web.UI.PageHandlerFactory";\n'
            "handlers.Add(add);\nsm.CommitChanges();",
            imports=(ADMIN,),
        ),
        ["changes the configuration of IIS", "CommitChanges"],
    ),
    (
        "virtual-directory.aspx",
        cs_page(
            "using (var sm = new ServerManager()) {\n"
            '  sm.Sites[0].Applications[0].VirtualDirectories.Add(Request["v"], Request["p"]);\n'
            "  sm.CommitChanges();\n}",
            imports=(ADMIN,),
        ),
        ["CommitChanges"],
    ),
    (
        "metabase.aspx",
        cs_page(
            'var root = new System.DirectoryServices.DirectoryEntry("IIS://localhost/W3SVC/1/Root");\n'
            'root.Properties["ScriptMaps"].Add(".jpg,C:\\\\Windows\\\\Microsoft.NET\\\\Framework\\\\v4.0.30319'
            '\\\\aspnet_isapi.dll,1");\nroot.CommitChanges();'
        ),
        ["CommitChanges"],
    ),
    (
        "web-config-section.aspx",
        cs_page(
            'var c = System.Web.Configuration.WebConfigurationManager.OpenWebConfiguration("~");\n'
            'var s = (System.Web.Configuration.HttpModulesSection)c.GetSection("system.web/httpModules");\n'
            's.Modules.Add(new System.Web.Configuration.HttpModuleAction("m", "M.Module, M"));\nc.Save();'
        ),
        ["Configuration.Save"],
    ),
    (
        "web-config-xml.aspx",
        cs_page(
            'var d = new System.Xml.XmlDocument();\nd.Load(Server.MapPath("~/web.config"));\n'
            'var n = d.SelectSingleNode("/configuration/system.webServer/modules");\n'
            'var a = d.CreateElement("add");\na.SetAttribute("name", "m");\na.SetAttribute("type", "M.Module, M");\n'
            'n.AppendChild(a);\nd.Save(Server.MapPath("~/web.config"));'
        ),
        ["XmlDocument.Save"],
    ),
    (
        "vb-handler-mapping.aspx",
        '<%@ Import Namespace="Microsoft.Web.Administration" %>\n'
        + vb_page(
            "Dim sm As New ServerManager()\n"
            'Dim h = sm.GetApplicationHostConfiguration().GetSection("system.webServer/handlers").GetCollection()\n'
            'Dim add = h.CreateElement("add")\nadd("path") = "*.jpg"\nh.Add(add)\nsm.CommitChanges()'
        ),
        ["CommitChanges"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_configuration_changed_from_a_page(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, RULE, words)


BENIGN = [
    (
        "sites-listed.aspx",
        cs_page(
            "var sm = new ServerManager();\n"
            "foreach (var site in sm.Sites) Response.Write(Server.HtmlEncode(site.Name));\n"
            'new System.Drawing.Bitmap(1, 1).Save(Server.MapPath("~/App_Data/x.png"));',
            imports=(ADMIN,),
        ),
    ),
    (
        "data-file.aspx",
        cs_page(
            'var d = new System.Xml.XmlDocument();\nd.Load(Server.MapPath("~/App_Data/menu.xml"));\n'
            'd.Save(Server.MapPath("~/App_Data/menu.xml"));'
        ),
    ),
    (
        "app-settings.aspx",
        cs_page(
            'var c = System.Web.Configuration.WebConfigurationManager.OpenWebConfiguration("~");\n'
            'c.AppSettings.Settings["Theme"].Value = "Blue";\nc.Save();'
        ),
    ),
    (
        "directory-user.aspx",
        cs_page(
            'var u = new System.DirectoryServices.DirectoryEntry("LDAP://CN=Kim,OU=Staff,DC=example,DC=com");\n'
            'u.Properties["description"].Value = "Reception";\nu.CommitChanges();'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_reading_and_other_saves_are_not_configuration_changes(name: str, code: str) -> None:
    assert RULE not in {c.rule_id for c in run(name, code).capabilities}


def test_a_hosting_panels_source_file_is_not_reported() -> None:
    # A provider of a hosting control panel manages IIS from a class library, not a served page.
    code = (
        "using Microsoft.Web.Administration;\n"
        "public class WebProvider {\n"
        "  public void AddMapping(string site) {\n"
        "    using (var sm = new ServerManager()) {\n"
        '      var h = sm.GetWebConfiguration(site).GetSection("system.webServer/handlers").GetCollection();\n'
        '      var add = h.CreateElement("add"); add["path"] = "*.php"; h.Add(add);\n'
        "      sm.CommitChanges();\n    }\n  }\n}\n"
    )
    assert RULE not in {c.rule_id for c in run("WebProvider.cs", code).capabilities}
