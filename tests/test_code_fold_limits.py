"""A few bytes of code can name a long string many times over: `Replace` of each letter with
another long string, `string.Format` with one hole repeated, a variable joined to itself, a
StringBuilder chain, an interpolated string, a padding width of two billion, a LINQ `Where` over
too many items, an `Aggregate` that grows its text with each item. Folding measures what it would build before building
it, and a value over the folder's limit (1 MiB) is not folded: the page costs what its size
allows, never a multiple of it (hostile input, as a page built to exhaust the hunt's memory).
What was not folded is a problem of the file, so the hunt never calls it clean unread. A plain
string literal is read without asking the parser for its parent, which costs the node's depth."""

from __future__ import annotations

import time

import pytest
import tree_sitter_c_sharp
from tree_sitter import Language, Node, Parser

from code_support import cs_page, run, vb_page
from exhunt.codeanalysis.fold import MAX_VALUE, Folder, TooSlow, string_literal

LONG = "b" * 2000
MANY = MAX_VALUE // len(LONG) + 50  # enough copies to pass the limit
ITEMS = '"' + "a" * 70000 + '"'  # a string literal of more items than a LINQ call folds

CASES = [
    ("Replace", cs_page(f'string x = "{"a" * MANY}".Replace("a", "{LONG}");')),
    ("VB Replace", vb_page(f'Dim x As String = Replace("{"a" * MANY}", "a", "{LONG}")')),
    ("Format", cs_page(f'string x = string.Format("{"{0}" * MANY}", "{LONG}");')),
    ("concatenation", cs_page(f'string l = "{LONG}"; string x = {" + ".join(["l"] * MANY)};')),
    (
        "StringBuilder",
        cs_page(f'string l = "{LONG}"; string x = new StringBuilder(l){".Append(l)" * MANY}.ToString();'),
    ),
    ("interpolation", cs_page(f'string l = "{LONG}"; string x = $"{"{l}" * MANY}";')),
    (
        "LINQ range",
        cs_page("var x = new string(Enumerable.Range(0, 70000).Select(i => (char)(65 + i % 26)).ToArray());"),
    ),
    ("LINQ Select", cs_page(f'var x = new string("{"a" * 70000}".Select(c => (char)(c ^ 1)).ToArray());')),
    (
        "nested LINQ Select",
        # each mapping under the per-mapping limit, together far over what one unit may evaluate
        cs_page(f'var s = "{"a" * 60000}"; var x = s.Select(c => s.Select(d => (char)(d ^ 1)).ToArray()).ToArray();'),
    ),
    ("PadLeft", cs_page("string x = \"a\".PadLeft(2000000000, 'x');")),
    ("LINQ Where", cs_page(f"var x = new string({ITEMS}.Where(c => c == 'a').ToArray());")),
    (
        "StringBuilder variable",
        cs_page(
            f'string l = "{LONG}"; var sb = new StringBuilder(l);\n'
            + "sb.Append(l);\n" * MANY
            + "string x = sb.ToString();"
        ),
    ),
    (
        "LINQ Aggregate",
        cs_page(f'string l = "{LONG}"; var x = Enumerable.Range(0, {MANY}).Aggregate("", (s, i) => s + l);'),
    ),
]


@pytest.mark.parametrize(("form", "code"), CASES, ids=[c[0] for c in CASES])
def test_value_over_the_limit_not_built(form: str, code: str) -> None:
    report = run("big.aspx", code)
    assert not any(shown.startswith(LONG[:100]) and len(shown) > 150 for shown in report.folded), form
    limits = [p for p in report.problems if p.kind == "limit"]
    assert limits and all(p.line is not None and p.line > 1 for p in limits), (form, report.problems)
    # The chain of 500 calls is first too deep to parse; every other form reaches the fold limit.
    expected = "nested more than" if form == "StringBuilder" else "too large to fold"
    assert any(expected in p.message for p in limits), (form, report.problems)


def test_value_under_the_limit_still_folds() -> None:
    report = run("small.aspx", cs_page('string x = "cXmXd".Replace("X", "") + string.Format("{0}{0}", ".e") + "xe";'))
    assert "cmd.e.exe" in report.folded, report.folded
    assert not report.problems, report.problems


def _class_page(members: str, body: str) -> str:
    return (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        + members
        + "\nprotected void Page_Load(object sender, EventArgs e) {\n"
        + body
        + "\n}\n</script>"
    )


RECURSIVE = [
    (
        "overload",
        # One overload returns the other, whose body is no one-liner: the name alone loops.
        "string Provider() { return Provider(new List<string>()); }\n"
        'string Provider(List<string> items) { items.Add("a"); return string.Join(",", items); }',
    ),
    ("mutual", 'string A() { return B() + "x"; }\nstring B() { return A() + "y"; }'),
    ("self", 'string Loop(string s) { return Loop(s + "."); }'),
]


@pytest.mark.parametrize(("form", "members"), RECURSIVE, ids=[r[0] for r in RECURSIVE])
def test_recursion_is_no_constant_and_no_limit(form: str, members: str) -> None:
    # Folding a call that reaches its own function again gives no constant; it is not an
    # expression too deep to follow, so the page is still parsed and its shell still found.
    call = {"overload": "Provider()", "mutual": "A()", "self": 'Loop("c")'}[form]
    report = run(
        "rec.aspx",
        _class_page(
            members,
            f'string v = {call};\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"] + v);',
        ),
    )
    assert not report.problems, (form, report.problems)
    assert "EXH-WS-CODE-PROCESS" in [c.rule_id for c in report.capabilities], form
    assert report.readers == {"tree-sitter:csharp"}, report.readers


class _Literal:
    """A string literal node as the folder sees it, whose parent may not be asked for: in the
    parser a node's parent is found by walking down from the root, in time of the node's depth."""

    def __init__(self, raw: str) -> None:
        self.type = "string_literal"
        self.text = raw.encode()

    @property
    def parent(self) -> None:
        raise AssertionError("the parent was asked for")


@pytest.mark.parametrize(("raw", "value"), [('"cmd.exe"', "cmd.exe"), ('"/c "', "/c "), ('""', "")])
def test_a_plain_literal_is_read_without_its_parent(raw: str, value: str) -> None:
    # Each item of a long concatenation asking its parent made folding it quadratic: a 30,000-item
    # chain took 109 s (3 s once plain items no longer ask).
    assert string_literal(_Literal(raw)) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ['"a\\\\b"', '"say ""hi"""', '$"x"', "\u201cx\u201d"])
def test_a_literal_whose_readings_differ_asks_whether_it_is_vb(raw: str) -> None:
    with pytest.raises(AssertionError, match="parent"):
        string_literal(_Literal(raw))  # type: ignore[arg-type]


def _initializer(code: str) -> Node:
    """The value of the one declaration in `class C { void M() { <code> } }`."""
    tree = Parser(Language(tree_sitter_c_sharp.language())).parse(f"class C {{ void M() {{ {code} }} }}".encode())
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "variable_declarator":
            return node.named_children[-1]
        stack.extend(node.named_children)
    raise AssertionError("no declaration")


# Every value is far under the size limits, but each of the range's items is a few evaluations.
SLOW = 'var x = string.Join("", Enumerable.Range(0, 3000).Select(i => ((char)(i % 26 + 97)).ToString().Replace("a", "b")));'


def test_folding_one_expression_stops_at_the_deadline() -> None:
    # A short mapping over a long range took 15 s at 60,000 items, with a 5 s deadline checked only
    # between syntax nodes; the folder now reads the clock as it goes.
    node = _initializer(SLOW)
    with pytest.raises(TooSlow):
        Folder(lambda _name: None, deadline=time.monotonic() - 1).value(node)
    folded = Folder(lambda _name: None, deadline=time.monotonic() + 3600).value(node)
    assert isinstance(folded, str) and len(folded) == 3000 and folded.startswith("bbcd")


def test_a_builder_read_after_each_of_thousands_of_appends_costs_what_its_size_allows() -> None:
    # Each read goes on from the last one (not from the start), and what the act-alone rules
    # search of the folded arguments is bounded per file: past it, a `limit` problem of the file.
    body = "var sb = new System.Text.StringBuilder();\n" + (
        f'sb.Append("{LONG * 2}");\nSystem.Diagnostics.Process.Start(sb.ToString());\n' * 400
    )
    started = time.monotonic()
    report = run("reads.aspx", cs_page(body))
    assert time.monotonic() - started < 10
    assert any(p.kind == "limit" for p in report.problems), report.problems
