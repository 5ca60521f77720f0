"""JScript's `eval` taken by another name: assigned to a variable (`var f = eval; f(code,
"unsafe")`) or read from the global object by a name folded from pieces (`this["ev" + "al"]`),
called directly or through a variable, and the Function constructor called without `new`. A
genuine page has no reason to rename eval, so the call
is read as eval whether or not the compiler takes the form. Kept quiet: a constant evaluated
through such a name, and a member of an ordinary object named "eval"."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found

EVAL = "EXH-WS-CODE-EVAL"


def jscript(body: str) -> str:
    return (
        '<%@ Page Language="JScript" %>\n<script runat="server">\nfunction Page_Load(s, e) {\n'
        + body
        + "\n}\n</script>"
    )


SHELLS = [
    (
        "computed.aspx",
        jscript('this["ev" + "al"](Request.Item["c"], "unsafe");'),
        ["request parameter 'c'", 'called as this["ev" + "al"]', 'with the "unsafe" option'],
    ),
    (
        "alias.aspx",
        jscript('var f = eval;\nf(Request.Item["c"], "unsafe");'),
        ["request parameter 'c'", "called through a delegate bound to eval"],
    ),
    (
        "computed-alias.aspx",
        jscript('var g = this["e" + "val"];\ng(Request.Form("z"), "un" + "safe");'),
        ["form field 'z'", 'with the "unsafe" option'],
    ),
    (
        # The Function constructor called without `new`, which ECMAScript makes the same.
        "function-call.aspx",
        jscript('Function(Request.Form("z"))();'),
        ["form field 'z'", "(Function)"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_eval_by_another_name_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, EVAL, words)


BENIGN = [
    ("constant.aspx", jscript('var f = eval;\nResponse.Write(f("1 + 1"));')),
    (
        "function-constant.aspx",
        jscript('var sum = Function("a", "b", "return a + b");\nResponse.Write(sum(1, Request.Item["q"]));'),
    ),
    (
        "object.aspx",
        jscript('var o = { eval: function (x) { return x; } };\nResponse.Write(o["ev" + "al"](Request.Item["q"]));'),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_look_alike_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
