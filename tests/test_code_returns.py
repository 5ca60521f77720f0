"""What a method of the page returns reaches its callers whichever comes first in the file. The
propagation stopped when no variable's taint grew, so a method written after its caller (a
helper below Page_Load) whose return only became tainted in that round was never read again, and
the call was an unresolved value. Also what a lambda returns (`Func<string> f = () => ...`)."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page
from exhunt.codeanalysis.flow import PROPAGATION_ROUNDS

PROCESS = "EXH-WS-CODE-PROCESS"
RUN = 'System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd);'

SHELLS = [
    (
        "helper.aspx",
        cs_page("var cmd = Param();\n" + RUN + '\n}\nstring Param() {\n    return Request["c"];'),
        "request parameter 'c'",
    ),
    (
        "request-param.aspx",
        cs_page("var cmd = Param(Request);\n" + RUN + '\n}\nstring Param(HttpRequest r) {\n    return r.Form["c"];'),
        "form field 'c'",
    ),
    (
        "context-param.aspx",
        cs_page(
            'var cmd = Param(Context, "c");\n'
            + RUN
            + "\n}\nstring Param(HttpContext ctx, string name) {\n    return ctx.Request[name];"
        ),
        "request parameter",
    ),
    (
        "static-class.aspx",
        cs_page(
            "var cmd = Util.Param(Request);\n"
            + RUN
            + '\n}\nstatic class Util {\n    public static string Param(HttpRequest r) { return r["c"]; }'
        ),
        "request parameter 'c'",
    ),
    (
        "helper.vb.aspx",
        vb_page(
            'Dim cmd As String = Param()\nShell("cmd.exe /c " & cmd)\nEnd Sub\nFunction Param() As String\n    Return Request("c")\nEnd Function\nSub Unused()'
        ),
        "request parameter 'c'",
    ),
    (
        "lambda.aspx",
        cs_page('Func<string> param = () => Request["c"];\nvar cmd = param();\n' + RUN),
        "request parameter 'c'",
    ),
]


@pytest.mark.parametrize(("name", "code", "source"), SHELLS, ids=[s[0] for s in SHELLS])
def test_a_return_written_after_its_caller_reaches_the_sink(name: str, code: str, source: str) -> None:
    assert_found(name, code, PROCESS, [source, "runs it as a command"])


def test_a_helper_returning_a_fixed_command_stays_quiet() -> None:
    assert_benign("fixed.aspx", cs_page("var cmd = Tool();\n" + RUN + '\n}\nstring Tool() {\n    return "ipconfig";'))
    assert_benign("fixed-lambda.aspx", cs_page('Func<string> tool = () => "ipconfig";\nvar cmd = tool();\n' + RUN))


def chain_of_helpers(links: int) -> str:
    """Page_Load calls F0, F0 returns F1(), ... the last returns the request's value: each
    helper written below its caller, so each link takes one round of propagation."""
    helpers = "".join(f"\n}}\nstring F{i}() {{\n    return F{i + 1}();" for i in range(links))
    return cs_page("var cmd = F0();\n" + RUN + helpers + f'\n}}\nstring F{links}() {{\n    return Request["c"];')


def test_a_chain_of_helpers_below_their_callers_is_followed() -> None:
    report = assert_found("chain.aspx", chain_of_helpers(8), PROCESS, ["request parameter 'c'"])
    assert report.problems == []


def test_a_chain_longer_than_the_rounds_is_a_recorded_problem_not_silence() -> None:
    report = run("long.aspx", chain_of_helpers(PROPAGATION_ROUNDS + 2))
    assert any(p.kind == "limit" and "rounds of taint propagation" in p.message for p in report.problems)


@pytest.mark.parametrize(
    ("name", "indexer", "source"),
    [
        ("indexer.aspx", "public string this[string k] { get { return Request[k]; } }", "request parameter"),
        ("indexer-arrow.aspx", "public string this[string k] => Request.Form[k];", "form field"),
    ],
)
def test_what_the_pages_own_indexer_returns_reaches_the_sink(name: str, indexer: str, source: str) -> None:
    # `this["c"]` is a call of the page's indexer getter: before, an index into the page object
    # that nothing fed, so the command was an unresolved value, not the client's.
    code = cs_page('var cmd = this["c"];\n' + RUN, members=indexer)
    assert_found(name, code, PROCESS, [source, "runs it as a command"])
