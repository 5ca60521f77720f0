"""`SetValue` is the registry's (EXH-WS-CODE-REGISTRY) on a registry key, not on an array (`byte[]
buf`) or a property or field found by reflection (`PropertyInfo`, `FieldInfo`, also as returned
by `GetProperty`/`GetField`, or as each item of `GetProperties`/`GetFields` in a loop), which
form binders use to copy request values into an object."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page

REGISTRY = "EXH-WS-CODE-REGISTRY"


@pytest.mark.parametrize(
    "body",
    [
        'var k = Microsoft.Win32.Registry.LocalMachine.OpenSubKey(Request["k"], true);\nk.SetValue(Request["n"], Request["v"]);',
        'Microsoft.Win32.RegistryKey k = Microsoft.Win32.Registry.CurrentUser.CreateSubKey(Request["k"]);\nk.SetValue("x", Request["v"]);',
    ],
    ids=["var", "declared"],
)
def test_a_registry_keys_setvalue_counts(body: str) -> None:
    assert_found("reg.aspx", cs_page(body), REGISTRY, ["request parameter", "the registry key it names"])


@pytest.mark.parametrize(
    "body",
    [
        'byte[] buf = new byte[2];\nbuf.SetValue(byte.Parse(Request["c"]), 0);',
        'var p = typeof(Order).GetProperty("Name");\np.SetValue(order, Request.Form["name"], null);',
        'System.Reflection.FieldInfo f = typeof(Order).GetField("note");\nf.SetValue(order, Request.Form["note"]);',
        "foreach (System.Reflection.PropertyInfo p in typeof(Order).GetProperties())\n"
        "    p.SetValue(order, Request.Form[p.Name], null);",
        # the loop's item typed by what GetProperties/GetFields return, not by a declaration
        "foreach (var p in order.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))\n"
        "    p.SetValue(order, Request.Form[p.Name]);",
        "foreach (var f in typeof(Order).GetFields()) { f.SetValue(order, Request.Form[f.Name]); }",
        # an array made with `var`
        'var parts = new string[2];\nparts.SetValue(Request["c"], 0);',
        'var parts = new[] { "", "" };\nparts.SetValue(Request["c"], 1);',
    ],
    ids=["array", "GetProperty", "FieldInfo", "binder loop", "var loop", "var fields", "var array", "implicit array"],
)
def test_an_arrays_or_a_reflected_members_setvalue_stays_quiet(body: str) -> None:
    assert_benign("bind.aspx", cs_page(body))
