"""Request values handed on in ways a call's own arguments do not show: into a switch's case
pattern (`case string s:`, `s => ...`), by name to the parameter
a named argument names (C#'s `b: x`, VB's `b:=x`), into a `params` array
(VB `ParamArray`), as the state object a thread-pool callback, a task or a thread receives, into
an anonymous method (`delegate(string s) { ... }`), into a process made by
`Activator.CreateInstance` from a type name instead of `new Process()`, through a queue, a
stack or a list's `Insert`, into a field of an object of the page's own class set from outside
it, out of the page's extension method called on a literal, out of an iterator (`yield return`),
out of a lambda a task or `Lazy<T>` runs (`await Task.Run(() => x)`), and into a
StringBuilder by `AppendFormat`. Each is found as a
process started with the client's command; the `params`, callback and thread shapes with
constants, and the same flows into encoded output, are not."""

from __future__ import annotations

import pytest
from tree_sitter import Node

from code_support import assert_benign, assert_found, cs_page, medium_or_above, run, vb_page
from exhunt.codeanalysis.flow import constants, nodes, taints

PROCESS = "EXH-WS-CODE-PROCESS"


SHELLS = [
    (
        "a switch's case pattern",
        cs_page(
            'object o = Request["c"];\nswitch (o) { case string s when s.Length > 0: '
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + s); break; case int n: break; }'
        ),
        ["request parameter 'c'", "Process.Start"],
    ),
    (
        "a switch expression's pattern",
        cs_page(
            'var r = Request.Form["c"] switch { string s when s != "" => '
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + s), _ => null };'
        ),
        ["form field 'c'", "Process.Start"],
    ),
    (
        "named arguments",
        cs_page(
            'Run(args: "/c " + Request["c"], title: "run");',
            members='void Run(string title, string args) { System.Diagnostics.Process.Start("cmd.exe", args); '
            "Response.Write(title); }",
        ),
        ["request parameter 'c'", "Process.Start"],
    ),
    (
        "VB named arguments",
        vb_page(
            'Run(a:="/c " & Request("c"), f:="cmd.exe")',
            members="Sub Run(f As String, a As String)\nSystem.Diagnostics.Process.Start(f, a)\nEnd Sub",
        ),
        ["request parameter 'c'"],
    ),
    (
        "params array",
        cs_page(
            'Run("cmd.exe", "/c " + Request["c"]);',
            members="static void Run(params string[] a) { System.Diagnostics.Process.Start(a[0], a[1]); }",
        ),
        ["request parameter 'c'", "Process.Start"],
    ),
    (
        "VB ParamArray",
        vb_page(
            'Run("cmd.exe", "/c " & Request("c"))',
            members="Sub Run(ParamArray a() As String)\nSystem.Diagnostics.Process.Start(a(0), a(1))\nEnd Sub",
        ),
        ["request parameter 'c'"],
    ),
    (
        "thread-pool state into a lambda",
        cs_page(
            "System.Threading.ThreadPool.QueueUserWorkItem("
            'o => System.Diagnostics.Process.Start("cmd.exe", (string)o), Request["c"]);'
        ),
        ["request parameter 'c'"],
    ),
    (
        "task state into a lambda",
        cs_page(
            "System.Threading.Tasks.Task.Factory.StartNew("
            'o => System.Diagnostics.Process.Start("cmd.exe", o.ToString()), Request.Form["c"]).Wait();'
        ),
        ["form field 'c'"],
    ),
    (
        "VB thread-pool state into AddressOf",
        vb_page(
            'System.Threading.ThreadPool.QueueUserWorkItem(AddressOf Work, Request("c"))',
            members='Sub Work(o As Object)\nSystem.Diagnostics.Process.Start("cmd.exe", CStr(o))\nEnd Sub',
        ),
        ["request parameter 'c'"],
    ),
    (
        "items of a list handed to a lambda",
        cs_page(
            'new System.Collections.Generic.List<string> { Request["c"] }'
            '.ForEach(x => System.Diagnostics.Process.Start("cmd.exe", "/c " + x));'
        ),
        ["request parameter 'c'"],
    ),
    (
        "items of an array handed to Parallel.ForEach",
        cs_page(
            'System.Threading.Tasks.Parallel.ForEach(Request.Form.GetValues("c"), '
            'x => System.Diagnostics.Process.Start("cmd.exe", "/c " + x));'
        ),
        ["form field 'c'"],
    ),
    (
        "items handed to a method of the page named as a method group",
        cs_page(
            'new System.Collections.Generic.List<string>(Request.Form.GetValues("c")).ForEach(Run);',
            members='void Run(string x) { System.Diagnostics.Process.Start("cmd.exe", "/c " + x); }',
        ),
        ["form field 'c'"],
    ),
    (
        "items converted by Array.ConvertAll with a method of the page",
        cs_page(
            'var ids = Array.ConvertAll(Request.QueryString.GetValues("c"), this.Run);',
            members='int Run(string x) { return System.Diagnostics.Process.Start("cmd.exe", "/c " + x).Id; }',
        ),
        ["query parameter 'c'"],
    ),
    (
        "items tested by Array.Exists",
        cs_page(
            'Array.Exists(Request.Form.GetValues("c"), x => System.Diagnostics.Process.Start("cmd.exe", "/c " + x) == null);'
        ),
        ["form field 'c'"],
    ),
    (
        "items handed to a VB method by AddressOf",
        vb_page(
            'Array.ForEach(Request.Form.GetValues("c"), AddressOf Run)',
            members='Sub Run(x As String)\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " & x)\nEnd Sub',
        ),
        ["form field 'c'"],
    ),
    (
        "items handed to the framework's own method named as a method group",
        cs_page('foreach (var p in Request.Form.GetValues("c").Select(System.Diagnostics.Process.Start)) { }'),
        ["form field 'c'", "method group System.Diagnostics.Process.Start"],
    ),
    (
        "items handed to the framework's method by Array.ForEach and by VB's AddressOf",
        vb_page('Array.ForEach(Request.Form.GetValues("c"), AddressOf System.Diagnostics.Process.Start)'),
        ["form field 'c'", "method group"],
    ),
    (
        "a value stored into a property whose setter runs it",
        cs_page(
            'Command = Request["c"];',
            members='string Command { get { return ""; } set { System.Diagnostics.Process.Start("cmd.exe", "/c " + value); } }',
        ),
        ["request parameter 'c'"],
    ),
    (
        "an object's property set in its initializer",
        cs_page(
            'var r = new Runner { Line = Request.Form["c"] };',
            members='class Runner { public string Line { set => System.Diagnostics.Process.Start("cmd.exe", "/c " + value); } }',
        ),
        ["form field 'c'"],
    ),
    (
        "an indexer's setter",
        cs_page(
            'var t = new Table(); t["run"] = Request.QueryString["c"];',
            members="class Table { public string this[string k] { get { return k; } "
            'set { if (k == "run") System.Diagnostics.Process.Start("cmd.exe", "/c " + value); } } }',
        ),
        ["query parameter 'c'"],
    ),
    (
        "a VB property's Set with its own parameter",
        vb_page(
            'Me.Command = Request.Form("c")',
            members='Property Command As String\nGet\nReturn ""\nEnd Get\nSet(ByVal line As String)\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " & line)\nEnd Set\nEnd Property',
        ),
        ["form field 'c'"],
    ),
    (
        "a property pattern naming its subject",
        cs_page('if (Request["c"] is { Length: > 0 } line) System.Diagnostics.Process.Start("cmd.exe", "/c " + line);'),
        ["request parameter 'c'"],
    ),
    (
        "items mapped by LINQ",
        cs_page(
            'var ps = Request.QueryString.GetValues("c").Select(x => System.Diagnostics.Process.Start("cmd.exe", "/c " + x)).ToList();'
        ),
        ["query parameter 'c'"],
    ),
    (
        "a task's result handed to its continuation",
        cs_page(
            'System.Threading.Tasks.Task.FromResult(Request["c"])'
            '.ContinueWith(t => System.Diagnostics.Process.Start("cmd.exe", "/c " + t.Result));'
        ),
        ["request parameter 'c'"],
    ),
    (
        "thread started with state",
        cs_page(
            'var t = new System.Threading.Thread(o => System.Diagnostics.Process.Start("cmd.exe", (string)o));\n'
            't.Start(Request["c"]);'
        ),
        ["request parameter 'c'"],
    ),
    (
        "thread of a method group started with state",
        cs_page(
            "var t = new System.Threading.Thread(new System.Threading.ParameterizedThreadStart(Work));\n"
            't.Start(Request.QueryString["q"]);',
            members='static void Work(object o) { System.Diagnostics.Process.Start("cmd.exe", o.ToString()); }',
        ),
        ["query parameter 'q'"],
    ),
    (
        "anonymous method",
        cs_page(
            'Action<string> run = delegate(string s) { System.Diagnostics.Process.Start("cmd.exe", s); };\n'
            'run(Request["c"]);'
        ),
        ["request parameter 'c'"],
    ),
    (
        "process made by Activator from a type name",
        cs_page(
            'dynamic p = Activator.CreateInstance(Type.GetType("System.Diagnostics.Process"));\n'
            'p.StartInfo.FileName = "cmd.exe";\np.StartInfo.Arguments = Request["c"];\np.Start();'
        ),
        ["request parameter 'c'"],
    ),
    (
        "process made by Activator from typeof",
        cs_page(
            "var p = (System.Diagnostics.Process)Activator.CreateInstance(typeof(System.Diagnostics.Process));\n"
            'p.StartInfo.FileName = "cmd.exe";\np.StartInfo.Arguments = Request["c"];\np.Start();'
        ),
        ["request parameter 'c'"],
    ),
    (
        "VB process made by Activator",
        vb_page(
            'Dim p As Object = Activator.CreateInstance(Type.GetType("System.Diagnostics.Process"))\n'
            'p.StartInfo.FileName = "cmd.exe"\np.StartInfo.Arguments = Request("c")\np.Start()'
        ),
        ["request parameter 'c'"],
    ),
]


# Through a queue, a stack or an insert into a list; through a field of an object of the page's own
# class, set from outside it; and out of an extension method of the page called on a literal.
SHELLS += [
    (
        "queue",
        cs_page(
            'var q = new System.Collections.Generic.Queue<string>();\nq.Enqueue(Request["c"]);\n'
            'System.Diagnostics.Process.Start("cmd.exe", q.Dequeue());'
        ),
        ["request parameter 'c'"],
    ),
    (
        "stack",
        cs_page(
            'var s = new System.Collections.Stack();\ns.Push(Request.Form["c"]);\n'
            'System.Diagnostics.Process.Start("cmd.exe", (string)s.Pop());'
        ),
        ["form field 'c'"],
    ),
    (
        "list insert",
        cs_page(
            'var l = new System.Collections.Generic.List<string>();\nl.Insert(0, Request["c"]);\n'
            'System.Diagnostics.Process.Start("cmd.exe", l[0]);'
        ),
        ["request parameter 'c'"],
    ),
    (
        "field of an instance set from outside",
        cs_page(
            'var o = new Runner();\no.Text = Request["c"];\no.Run();',
            members="class Runner { public string Text; "
            'public void Run() { System.Diagnostics.Process.Start("cmd.exe", Text); } }',
        ),
        ["request parameter 'c'"],
    ),
    (
        "extension method on a literal",
        cs_page(
            'System.Diagnostics.Process.Start("cmd.exe", "c".Arg());',
            members="}\nstatic class Ext { public static string Arg(this string k) { return HttpContext.Current.Request[k]; }",
        ),
        ["request parameter", "Process.Start"],
    ),
]


SHELLS += [
    (
        "yield return",
        cs_page(
            'foreach (var c in Commands()) System.Diagnostics.Process.Start("cmd.exe", "/c " + c);',
            members='System.Collections.Generic.IEnumerable<string> Commands() { yield return Request["c"]; }',
        ),
        ["request parameter 'c'"],
    ),
    (
        "await Task.Run",
        cs_page(
            "Go();",
            members="async void Go() {\n"
            '    var c = await System.Threading.Tasks.Task.Run(() => Request.Form["c"]);\n'
            '    System.Diagnostics.Process.Start("cmd.exe", "/c " + c);\n}',
        ),
        ["form field 'c'"],
    ),
    (
        "Task.Factory.StartNew",
        cs_page(
            'var c = System.Threading.Tasks.Task.Factory.StartNew(() => Request["c"]).Result;\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + c);'
        ),
        ["request parameter 'c'"],
    ),
    (
        "Lazy",
        cs_page(
            'var c = new Lazy<string>(() => Request["c"]);\nSystem.Diagnostics.Process.Start("cmd.exe", "/c " + c.Value);'
        ),
        ["request parameter 'c'"],
    ),
]


SHELLS += [
    (
        "tuple a method returns, deconstructed",
        cs_page(
            "var (f, a) = Command();\nSystem.Diagnostics.Process.Start(f, a);",
            members='(string, string) Command() { return ("cmd.exe", "/c " + Request.Form["c"]); }',
        ),
        ["form field 'c'"],
    ),
    (
        "tuple an expression-bodied method returns, from its parameter",
        cs_page(
            '(string f, string a) = Command(Request.Headers["X-C"]);\nSystem.Diagnostics.Process.Start(f, a);',
            members='(string Tool, string Args) Command(string c) => ("cmd.exe", "/c " + c);',
        ),
        ["header 'X-C'"],
    ),
    (
        "task running a block-bodied lambda",
        cs_page(
            "var t = System.Threading.Tasks.Task.Run(() => {\n"
            '    var c = Request.Form["c"];\n'
            '    if (string.IsNullOrEmpty(c)) { return "ver"; }\n'
            '    return "/c " + c;\n'
            "});\n"
            'System.Diagnostics.Process.Start("cmd.exe", t.Result);'
        ),
        ["form field 'c'"],
    ),
    (
        "block-bodied lambda in a variable",
        cs_page(
            'Func<string> next = () => { var c = Request.Cookies["k"].Value; return "/c " + c; };\n'
            'System.Diagnostics.Process.Start("cmd.exe", next());'
        ),
        ["cookie 'k'"],
    ),
]


SHELLS += [
    (
        "StringBuilder appends chained",
        cs_page(
            'var sb = new System.Text.StringBuilder();\nsb.Append("/c ").Append(Request.Form["c"]).AppendLine();\n'
            'System.Diagnostics.Process.Start("cmd.exe", sb.ToString());'
        ),
        ["form field 'c'"],
    ),
    (
        "StringBuilder AppendFormat",
        cs_page(
            'var sb = new System.Text.StringBuilder();\nsb.AppendFormat("/c {0}", Request.Form["c"]);\n'
            'System.Diagnostics.Process.Start("cmd.exe", sb.ToString());'
        ),
        ["form field 'c'"],
    ),
    (
        "VB StringBuilder appends chained",
        vb_page(
            "Dim sb As New System.Text.StringBuilder()\n"
            'sb.Append("/c ").Append(Request.QueryString("c"))\n'
            'System.Diagnostics.Process.Start("cmd.exe", sb.ToString())'
        ),
        ["query parameter 'c'"],
    ),
    (
        "VB multi-line lambda in a variable",
        vb_page(
            'Dim f As Func(Of String) = Function()\n    Return Request.Form("c")\nEnd Function\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " & f())'
        ),
        ["form field 'c'"],
    ),
    (
        "foreach deconstructing a dictionary",
        cs_page(
            "var d = new System.Collections.Generic.Dictionary<string, string> "
            '{ { "c", Request.Headers["X-C"] } };\n'
            'foreach (var (k, v) in d) System.Diagnostics.Process.Start("cmd.exe", "/c " + v);'
        ),
        ["header 'X-C'"],
    ),
    (
        "foreach deconstructing into typed names",
        cs_page(
            "var l = new System.Collections.Generic.List<(string, string)> "
            '{ ("cmd.exe", Request.Form["c"]) };\n'
            "foreach ((string f, string a) in l) System.Diagnostics.Process.Start(f, a);"
        ),
        ["form field 'c'"],
    ),
]


@pytest.mark.parametrize(("form", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_value_handed_on_reaches_the_process(form: str, code: str, words: list[str]) -> None:
    assert_found("p.aspx", code, PROCESS, words)


BENIGN = [
    (  # the request's value goes by name to the parameter that is only shown, not the command
        "named arguments to a shown parameter",
        cs_page(
            'Run(title: Request["c"], file: "ipconfig.exe");',
            members='void Run(string file, string title) { System.Diagnostics.Process.Start(file, "/all"); '
            "Response.Write(Server.HtmlEncode(title)); }",
        ),
    ),
    (  # the site's own files, each handed to a method of the page that deletes it
        "the site's files handed to a method group",
        cs_page(
            'System.IO.Directory.GetFiles(Server.MapPath("~/logs")).ToList().ForEach(Remove);',
            members="void Remove(string f) { System.IO.File.Delete(f); }",
        ),
    ),
    (  # the visitor's value goes to a property that only shows it; the tool run is fixed
        "a property whose setter shows the value and runs a fixed tool",
        cs_page(
            'Title2 = Request["t"];',
            members='string Title2 { set { lit.Text = Server.HtmlEncode(value); System.Diagnostics.Process.Start("ipconfig.exe", "/all"); } }',
        ),
    ),
    (
        "a property pattern over a constant",
        cs_page('if ("ipconfig.exe" is { Length: > 0 } tool) System.Diagnostics.Process.Start(tool, "/all");'),
    ),
    (
        "params array of constants",
        cs_page(
            'Run("ipconfig.exe", "/all");',
            members="static void Run(params string[] a) { System.Diagnostics.Process.Start(a[0], a[1]); }",
        ),
    ),
    (
        "thread-pool state that is a constant",
        cs_page(
            "System.Threading.ThreadPool.QueueUserWorkItem("
            'o => System.Diagnostics.Process.Start("ipconfig.exe", (string)o), "/all");'
        ),
    ),
    (
        # Two lambdas of one method naming their parameter alike: the visitor's values go to one,
        # the site's own log files to the other, which deletes them.
        "the site's files deleted by a lambda whose parameter another lambda also names",
        cs_page(
            'var shown = Request.Form.GetValues("q").Select(x => Server.HtmlEncode(x)).ToList();\n'
            'System.IO.Directory.GetFiles(Server.MapPath("~/logs")).ToList().ForEach(x => System.IO.File.Delete(x));\n'
            'lit.Text = string.Join(", ", shown);'
        ),
    ),
    (
        # A loop over the site's own tools: each turn's item is one of the constants.
        "fixed tools run in a loop",
        cs_page(
            'foreach (var tool in new[] { "ipconfig /all", "hostname" }) System.Diagnostics.Process.Start("cmd.exe", "/c " + tool);\n'
            'lit.Text = Server.HtmlEncode(Request["q"]);'
        ),
    ),
    (
        "fixed tools of a list run in a loop",
        cs_page(
            'var tools = new System.Collections.Generic.List<string> { "ipconfig /all", "hostname" };\n'
            'foreach (var tool in tools) System.Diagnostics.Process.Start("cmd.exe", "/c " + tool);'
        ),
    ),
    (
        # The visitor picks which of the site's own tools runs, by its index.
        "a fixed tool picked by index",
        cs_page(
            'string[] tools = { "ipconfig /all", "hostname" };\n'
            'var tool = tools[int.Parse(Request["i"])];\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + tool);'
        ),
    ),
    (
        "a fixed tool picked by index, VB",
        vb_page(
            'Dim tools() As String = {"ipconfig /all", "hostname"}\n'
            'System.Diagnostics.Process.Start("cmd.exe", "/c " & tools(CInt(Request("i"))))'
        ),
    ),
    (
        "thread started with a constant",
        cs_page(
            'var t = new System.Threading.Thread(o => System.Diagnostics.Process.Start("ipconfig.exe", (string)o));\n'
            't.Start("/all");'
        ),
    ),
    (
        "field of an instance shown encoded",
        cs_page(
            'var o = new Label2();\no.Text = Request["name"];\no.Show(Response);',
            members="class Label2 { public string Text; "
            "public void Show(HttpResponse r) { r.Write(HttpUtility.HtmlEncode(Text)); } }",
        ),
    ),
    (
        "list of names shown encoded",
        cs_page(
            'var l = new System.Collections.Generic.List<string>();\nl.Insert(0, Request["n"]);\n'
            "Response.Write(HttpUtility.HtmlEncode(l[0]));"
        ),
    ),
    (
        "Activator making a builder",
        cs_page(
            'dynamic sb = Activator.CreateInstance(Type.GetType("System.Text.StringBuilder"));\n'
            'sb.Append(Request["name"]);\nResponse.Write(Server.HtmlEncode(sb.ToString()));'
        ),
    ),
]


BENIGN += [
    (
        "name from a task shown encoded",
        cs_page(
            'var n = System.Threading.Tasks.Task.Run(() => Request["n"]).Result;\nResponse.Write(Server.HtmlEncode(n));'
        ),
    ),
]


BENIGN += [
    (
        "the site's own files deleted through the framework's method as a method group",
        cs_page(
            'new[] { Server.MapPath("~/App_Data/a.tmp"), Server.MapPath("~/App_Data/b.tmp") }'
            '.ToList().ForEach(System.IO.File.Delete);\nLabel1.Text = Server.HtmlEncode(Request.Form["n"]);'
        ),
    ),
    (
        "request values tested by a method group that is no sink",
        cs_page('var all = Request.Form.GetValues("c").All(string.IsNullOrEmpty);'),
    ),
]

BENIGN += [
    (
        "tuple of constants a method returns",
        cs_page(
            'var (f, a) = Command();\nSystem.Diagnostics.Process.Start(f, a);\nLabel1.Text = Request.Form["c"];',
            members='(string, string) Command() { return ("ipconfig.exe", "/all"); }',
        ),
    ),
]

BENIGN += [
    (
        "StringBuilder chains, the request one shown encoded",
        cs_page(
            'var sb = new System.Text.StringBuilder();\nsb.Append("/all").Append(" /displaydns");\n'
            'System.Diagnostics.Process.Start("ipconfig.exe", "/all");\nLabel2.Text = sb.ToString();\n'
            'var shown = new System.Text.StringBuilder();\nshown.Append("Hello ").Append(Request["n"]);\n'
            "Label1.Text = Server.HtmlEncode(shown.ToString());"
        ),
    ),
    (
        "foreach deconstructing request values shown encoded",
        cs_page(
            "var d = new System.Collections.Generic.Dictionary<string, string> "
            '{ { "n", Request["n"] } };\n'
            'foreach (var (k, v) in d) Response.Write(Server.HtmlEncode(k + "=" + v));'
        ),
    ),
]


def test_a_lambdas_return_is_not_its_methods() -> None:
    # `return` inside a lambda gives the lambda's value; the method returns only its own.
    code = cs_page(
        "System.Diagnostics.Process.Start(Tool());",
        members="string Tool() {\n"
        '    Func<string> shown = () => { return Request.Form["c"]; };\n'
        "    Label1.Text = Server.HtmlEncode(shown());\n"
        '    return "ipconfig.exe";\n}',
    )
    report = run("p.aspx", code)
    assert PROCESS not in medium_or_above(report), [c.chain for c in report.capabilities]


@pytest.mark.parametrize(("form", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_constants_handed_on_are_benign(form: str, code: str) -> None:
    assert_benign("p.aspx", code)


def test_a_block_lambdas_returns_are_walked_once_however_often_it_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    # Walking the body again for each call made a page of 3,000 statements and 3,000 calls take
    # six minutes, far past the analysis's deadline.
    walks: list[object] = []
    real = nodes.returned_by

    def counted(lam: Node) -> list[Node]:
        walks.append(lam)
        return real(lam)

    for reader in (constants, taints):  # each reads a lambda's returns
        monkeypatch.setattr(reader, "returned_by", counted)
    calls = "".join('System.Diagnostics.Process.Start("cmd.exe", f());\n' for _ in range(50))
    code = cs_page('Func<string> f = () => { var c = Request["c"]; return c; };\n' + calls)
    assert_found("p.aspx", code, PROCESS, ["request parameter 'c'"])
    assert len(walks) <= 2, len(walks)


def test_a_list_the_code_adds_to_is_no_list_of_constants() -> None:
    # An item added after the list is made may be anything: the loop's value stays unresolved.
    code = cs_page(
        'var tools = new System.Collections.Generic.List<string> { "ipconfig" };\n'
        "tools.Add(Other());\n"
        'foreach (var tool in tools) System.Diagnostics.Process.Start("cmd.exe", "/c " + tool);',
        members='static string Other() { return System.IO.File.ReadAllText(@"C:\\jobs\\next.txt"); }',
    )
    assert "EXH-WS-CODE-UNRESOLVED-SINK" in [c.rule_id for c in run("l.aspx", code).capabilities]
