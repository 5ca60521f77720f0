"""EXH-WS-CODE-ANY-METHOD: the client names both the type and the method called on it
(`Type.GetType(Request["t"]).GetMethod(Request["m"])`, the `InvokeMember` form, VB's `CallByName`
on an object of a type the request names): any method of any loaded type, Process.Start among
them. Kept quiet: an AJAX dispatcher naming only a method of its own type, a type picked from the
application's own namespace by a suffix (whatever method the client then names), and a type the client names whose method is fixed.
Half of it counts where the fixed half is a dangerous one: the method the client names on
`Process`, `File` or `Assembly`, or `Start`, `Load` or `WriteAllText` on the type the client names."""

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


HALVES = [
    (
        "method-on-process.aspx",
        cs_page(
            'typeof(System.Diagnostics.Process).GetMethod(Request["m"], new Type[] { typeof(string), typeof(string) })'
            '.Invoke(null, new object[] { Request["f"], Request["a"] });'
        ),
        ["request parameter 'm'", "the method it names, on Process"],
    ),
    (
        "member-of-file.aspx",
        cs_page(
            'typeof(System.IO.File).InvokeMember(Request.Form["m"], System.Reflection.BindingFlags.InvokeMethod, '
            'null, null, new object[] { Request.Form["p"], Request.Form["d"] });'
        ),
        ["form field 'm'", "the method it names, on File"],
    ),
    (
        "start-on-named-type.aspx",
        cs_page(
            'var t = Type.GetType(Request["t"]);\n'
            't.GetMethod("St" + "art", new Type[] { typeof(string) }).Invoke(null, new object[] { Request["a"] });'
        ),
        ["request parameter 't'", "Start on the type it names, Process.Start when it names that type"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), HALVES, ids=[s[0] for s in HALVES])
def test_half_named_by_the_client_with_a_dangerous_other_half(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, ANY, words)


def test_the_method_named_on_a_harmless_type_is_only_reflection() -> None:
    code = cs_page('typeof(System.Math).GetMethod(Request["m"]).Invoke(null, new object[] { 2.0 });')
    rules = [c.rule_id for c in assert_benign("math.aspx", code).capabilities]
    assert ANY not in rules and "EXH-WS-CODE-REFLECTION" in rules


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
