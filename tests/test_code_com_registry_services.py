"""The registry and services through more doors: RegistryKey.CreateSubKey and DeleteValue, the
WScript.Shell object's RegRead/RegWrite/RegDelete, and the Shell.Application object's
ServiceStart/ServiceStop, with the key or service the client names (EXH-WS-CODE-REGISTRY,
EXH-WS-CODE-SERVICE-CONTROL); the same calls on fixed names stay quiet."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

REGISTRY = "EXH-WS-CODE-REGISTRY"
SERVICES = "EXH-WS-CODE-SERVICE-CONTROL"

SHELLS = [
    (
        "create-key.aspx",
        cs_page(
            'var k = Microsoft.Win32.Registry.LocalMachine.CreateSubKey(Request.Form["key"]);\nk.SetValue("x", "y");'
        ),
        REGISTRY,
        ["form field 'key'", "CreateSubKey"],
    ),
    (
        "delete-value.aspx",
        cs_page(
            'var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey("SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Run", true);\n'
            'k.DeleteValue(Request["v"]);'
        ),
        REGISTRY,
        ["request parameter 'v'", "DeleteValue"],
    ),
    (
        "regwrite.aspx",
        vb_page(
            'Dim sh = Server.CreateObject("WScript.Shell")\n'
            'sh.RegWrite(Request.Form("k"), Request.Form("d"), "REG_SZ")\n'
            'Response.Write(sh.RegRead(Request.Form("k")))',
            'AspCompat="true"',
        ),
        REGISTRY,
        ["form field 'k'", "RegWrite"],
    ),
    (
        "service-stop.aspx",
        vb_page(
            'Dim app = CreateObject("Shell.Application")\napp.ServiceStop(Request.QueryString("svc"), False)',
            'AspCompat="true"',
        ),
        SERVICES,
        ["query parameter 'svc'", "ServiceStop"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_registry_and_services_through_more_doors_are_found(
    name: str, code: str, rule_id: str, words: list[str]
) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    (
        "settings.aspx",
        cs_page(
            'var k = Microsoft.Win32.Registry.CurrentUser.CreateSubKey("Software\\\\Contoso\\\\Portal");\n'
            'k.SetValue("Theme", "dark");'
        ),
    ),
    (
        "regread.aspx",
        vb_page(
            'Dim sh = Server.CreateObject("WScript.Shell")\n'
            'Response.Write(sh.RegRead("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProductName"))',
            'AspCompat="true"',
        ),
    ),
    (
        "restart-own.aspx",
        vb_page('Dim app = CreateObject("Shell.Application")\napp.ServiceStart("ContosoIndexer", False)'),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_fixed_keys_and_services_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
