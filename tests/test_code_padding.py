"""Units padded with blank lines, comment lines or empty statements: the padding is not counted
against the analysis's budget of syntax nodes, so the code after it is still followed whole,
with no `limit` problem, where 200,000 blank VB lines (two nodes each inside a method) used to
exceed the budget and leave the unit to the weaker token reader, which lost the command
(docs/detection/webshell-code.md, "Padding is not code")."""

from __future__ import annotations

import pytest

from exhunt.codeanalysis import CodeReport, analyze_code
from exhunt.codeanalysis.analysis import NODE_BUDGET

# The node budget, not the clock, is what these tests are about: a generous deadline keeps a
# loaded machine's slowness from being taken for either.
DEADLINE_S = 300.0


def run(name: str, code: str) -> CodeReport:
    return analyze_code(code.encode(), name, deadline_s=DEADLINE_S)


LINES = NODE_BUDGET // 2 + 1000  # two nodes a line inside a method: past the budget before

PADDED = [
    (
        "vb-blank.aspx",
        "<%\n" + "\n" * LINES + 'Dim c As String = Request("c")\nShell("cmd /c " & c)\n%>',
    ),
    (
        "vb-comments.aspx",
        '<%@ Page Language="VB" %><script runat="server">\nSub Page_Load()\n'
        + "' pad\n" * LINES
        + 'Dim c As String = Request("c")\nShell("cmd /c " & c)\nEnd Sub\n</script>',
    ),
    (
        "cs-empty.aspx",
        '<%@ Page Language="C#" %><%\n'
        + (";" * 1000 + "\n") * (NODE_BUDGET // 1000 + 2)
        + 'string c = Request["c"];\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n%>',
    ),
]


@pytest.mark.parametrize(("name", "page"), PADDED, ids=[p[0] for p in PADDED])
def test_code_after_padding_is_followed_whole(name: str, page: str) -> None:
    report = run(name, page)
    assert "EXH-WS-CODE-PROCESS" in [c.rule_id for c in report.capabilities]
    assert [p.kind for p in report.problems] == [], report.problems


def test_code_itself_still_counts_against_the_budget() -> None:
    calls = "x = Len(1)\n" * (NODE_BUDGET // 4)
    report = run("big.aspx", '<%@ Page Language="VB" %><%\n' + calls + "%>")
    assert "limit" in [p.kind for p in report.problems]
