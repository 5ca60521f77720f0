"""EXH-WS-CODE-ANY-METHOD: the client names both the type and the method called on it
(`Type.GetType(Request["t"]).GetMethod(Request["m"])`, the `InvokeMember` form, VB's `CallByName`
on an object of a type the request names): any method of any loaded type, Process.Start among
them. Kept quiet: an AJAX dispatcher naming only a method of its own type, a type picked from the
application's own namespace by a suffix (whatever method the client then names), and a type the client names whose method is fixed."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

ANY = "EXH-WS-CODE-ANY-METHOD"

SHELLS = [
    (
        "getmethod.aspx",
        cs_page(
            'Type.GetType(Request["t"]).GetMethod(Request["m"], new Type[] { typeof(string), typeof(string) })'
            '.Invoke(null, new object[] { Request["a"], Request["b"] });'
        ),
        ["request parameter 't'", "request parameter 'm'", ".GetMethod"],
    ),
    (
        "invokemember.aspx",
        cs_page(
            'var t = Type.GetType(Request.Form["t"]);\n'
            't.InvokeMember(Request.Form["m"], System.Reflection.BindingFlags.InvokeMethod, null, null, Request.Form.GetValues("a"));'
        ),
        ["form field 't'", "form field 'm'", ".InvokeMember"],
    ),
    (
        "callbyname.aspx",
        vb_page(
            'Dim o = Activator.CreateInstance(Type.GetType(Request("t")))\n'
            'CallByName(o, Request("m"), CallType.Method, Request("a"))'
        ),
        ["request parameter 't'", "request parameter 'm'", "CallByName"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_client_named_type_and_method_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, ANY, words)


BENIGN = [
    ("ajax.aspx", cs_page('this.GetType().GetMethod(Request["action"]).Invoke(this, null);')),
    (
        "handlers.aspx",
        cs_page('Type.GetType("MyApp.Handlers." + Request["h"]).GetMethod("Run").Invoke(null, null);'),
    ),
    (
        "handlers-method.aspx",
        cs_page('Type.GetType("MyApp.Handlers." + Request["h"]).GetMethod(Request["m"]).Invoke(null, null);'),
    ),
    (
        "handlers-var.aspx",
        cs_page(
            'var t = Type.GetType("MyApp.Handlers." + Request["h"]);\n'
            't.InvokeMember(Request["m"], System.Reflection.BindingFlags.InvokeMethod, null, null, null);'
        ),
    ),
    ("fixed-method.aspx", cs_page('Type.GetType(Request["t"]).GetMethod("Describe").Invoke(null, null);')),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_dispatchers_quiet(name: str, code: str) -> None:
    report = assert_benign(name, code)
    assert ANY not in [c.rule_id for c in report.capabilities]


def test_only_reflection_when_the_method_is_the_pages_own() -> None:
    rules = [c.rule_id for c in run("own.aspx", BENIGN[0][1]).capabilities]
    assert "EXH-WS-CODE-REFLECTION" in rules and "EXH-WS-CODE-UNRESOLVED-SINK" not in rules
