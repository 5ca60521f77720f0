"""EXH-WS-CODE-MACHINE-KEY: a page that reads the application's machine keys, the secret that
lets whoever holds it forge view state the server deserializes: through GetSection of
"system.web/machineKey", through the internal MachineKeySection.GetApplicationConfig reached by
reflection (the way the pages planted through SharePoint's ToolShell flaw did it), or from
web.config read as XML. Kept quiet: other configuration sections, and source files of
applications that rotate their own keys."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

KEYS = "EXH-WS-CODE-MACHINE-KEY"

SHELLS = [
    (
        "reflected.aspx",
        cs_page(
            'var web = System.Reflection.Assembly.Load("System.Web, Version=4.0.0.0, Culture=neutral, '
            'PublicKeyToken=b03f5f7f11d50a3a");\n'
            'var kind = web.GetType("System.Web.Configuration." + "MachineKeySection");\n'
            'var read = kind.GetMethod("GetApplicationConfig", System.Reflection.BindingFlags.Static | '
            "System.Reflection.BindingFlags.NonPublic);\n"
            "var k = (System.Web.Configuration.MachineKeySection)read.Invoke(null, new object[0]);\n"
            'Response.Write(k.ValidationKey + "|" + k.DecryptionKey);'
        ),
        ["called by reflection as MachineKeySection.GetApplicationConfig"],
    ),
    (
        "section.aspx",
        cs_page(
            "var s = (System.Web.Configuration.MachineKeySection)System.Web.Configuration.WebConfigurationManager"
            '.GetSection("system.web/machineKey");\n'
            "Response.Write(s.DecryptionKey);"
        ),
        ["system.web/machineKey", "WebConfigurationManager.GetSection"],
    ),
    (
        "xml.aspx",
        vb_page(
            "Dim d As New System.Xml.XmlDocument()\n"
            'd.Load(Server.MapPath("~/web.config"))\n'
            'Response.Write(d.SelectSingleNode("/configuration/system.web/machineKey").OuterXml)'
        ),
        ["machineKey", ".SelectSingleNode"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_machine_key_read_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, KEYS, words)


BENIGN = [
    (
        "settings.aspx",
        cs_page(
            'lit.Text = Server.HtmlEncode(System.Configuration.ConfigurationManager.GetSection("appSettings").ToString());'
        ),
    ),
    ("help.aspx", cs_page('lit.Text = "Set a fixed machineKey in web.config for a web farm.";')),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_other_sections_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_source_file_rotating_its_keys_is_left_out() -> None:
    code = (
        "public static class Config {\n"
        " public static void UpdateMachineKey(System.Xml.XmlDocument x) {\n"
        '  var node = x.SelectSingleNode("configuration/system.web/machineKey");\n'
        ' node.Attributes["validationKey"].Value = NewKey();\n'
        " }\n"
        ' static string NewKey() { return "00"; }\n'
        "}\n"
    )
    assert KEYS not in [c.rule_id for c in run("Config.cs", code).capabilities]
