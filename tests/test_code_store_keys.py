"""Values kept in the session, application state, cache or view state are read back by their key:
a value the client sent under one key does not reach a sink that reads another, fixed key. A key
the code does not fix, on either side, still joins every read or store of that kind."""

from __future__ import annotations

import pytest

from code_support import assert_found, cs_page, medium_or_above, run, vb_page

SINK = "System.Diagnostics.Process.Start((string){read});"


@pytest.mark.parametrize(
    ("store", "read"),
    [
        ('Session["tool"] = Request["c"];', 'Session["tool"]'),
        ('Session["Tool"] = Request["c"];', 'Session["tool"]'),
        ('string k = "to" + "ol";\nSession[k] = Request["c"];', 'Session["tool"]'),
        # a key held in a variable is not fixed: it may hold other text where the value is read
        ('string k = "tool";\nSession[k] = Request["c"];\nk = "note";', 'Session["tool"]'),
        ('Session.Add("tool", Request["c"]);', 'Session.Contents["tool"]'),
        ('HttpContext.Current.Cache.Insert("tool", Request["c"]);', 'Cache.Get("tool")'),
        ('Application.Set("tool", Request["c"]);', 'Application.Item("tool")'),
        ('Session[Request["k"]] = Request["c"];', 'Session["tool"]'),
        ('Session["tool"] = Request["c"];', "Session[Request.QueryString.AllKeys.Length.ToString()]"),
    ],
    ids=[
        "same-key",
        "key-case",
        "folded-key",
        "reassigned-key",
        "contents",
        "cache-get",
        "application-item",
        "client-key",
        "any-read",
    ],
)
def test_a_value_read_back_by_its_key_is_still_the_clients(store: str, read: str) -> None:
    code = cs_page(store + "\nRun();", members="void Run() {\n" + SINK.format(read=read) + "\n}")
    assert_found("k.aspx", code, "EXH-WS-CODE-PROCESS", ["request parameter 'c'", "keeps it in the"])


@pytest.mark.parametrize(
    ("store", "read"),
    [
        ('Session["user"] = Request["user"];', 'Session["tool"]'),
        ('Session["us" + "er"] = Request["user"];', 'Session["tool"]'),
        ('Session.Add("user", Request["user"]);', 'Session["tool"]'),
        ('Cache.Insert("user", Request["user"]);', 'Cache["tool"]'),
        ('ViewState["sort"] = Request["sort"];', 'ViewState["tool"]'),
    ],
    ids=["session", "literal-parts", "session-add", "cache", "view-state"],
)
def test_a_value_kept_under_another_fixed_key_does_not_reach_the_sink(store: str, read: str) -> None:
    report = run("k.aspx", cs_page(store + "\n" + SINK.format(read=read)))
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(report), [c.chain for c in report.capabilities]


def test_vb_items_are_read_by_their_key_in_any_method() -> None:
    # VB names an item with parentheses (`Session("k")`); the value is the page's, not the Sub's.
    sub = 'Sub Run()\nSystem.Diagnostics.Process.Start(Session("tool"))\nEnd Sub'
    code = vb_page('Session("tool") = Request("c")\nRun()', members=sub)
    assert_found("k.aspx", code, "EXH-WS-CODE-PROCESS", ["request parameter 'c'", "keeps it in the session"])
    other = vb_page('Session("user") = Request("c")\nRun()', members=sub)
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(run("k.aspx", other))


_CONSTANTS = 'const string UserKey = "user";\nconst string ToolKey = "tool";'


def test_a_key_named_by_a_constant_is_its_text() -> None:
    # `const` (C#) and `Const` (VB) cannot change, so the key is the text they hold.
    other = cs_page('Session[UserKey] = Request["c"];\n' + SINK.format(read='Session["tool"]'), members=_CONSTANTS)
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(run("k.aspx", other))
    same = cs_page('Session[ToolKey] = Request["c"];\n' + SINK.format(read='Session["tool"]'), members=_CONSTANTS)
    assert_found("k.aspx", same, "EXH-WS-CODE-PROCESS", ["request parameter 'c'", "keeps it in the session"])
    vb = vb_page(
        'Session(UserKey) = Request("c")\nSystem.Diagnostics.Process.Start(Session("tool"))',
        members='Const UserKey As String = "user", ToolKey As String = "tool"',
    )
    assert "EXH-WS-CODE-PROCESS" not in medium_or_above(run("k.aspx", vb))


@pytest.mark.parametrize(
    ("members", "body"),
    [
        ('static string UserKey = "user";', 'Session[UserKey] = Request["c"];'),  # not a constant
        (_CONSTANTS, 'string UserKey = Request["k"];\nSession[UserKey] = Request["c"];'),  # a local hides it
        (_CONSTANTS + '\nvoid Keep(string UserKey) { Session[UserKey] = Request["c"]; }', 'Keep(Request["k"]);'),
    ],
    ids=["static-field", "hidden-by-local", "hidden-by-parameter"],
)
def test_a_key_that_is_no_single_constant_joins_every_read(members: str, body: str) -> None:
    code = cs_page(body + "\n" + SINK.format(read='Session["tool"]'), members=members)
    assert_found("k.aspx", code, "EXH-WS-CODE-PROCESS", ["request parameter 'c'", "keeps it in the session"])
