"""The token-level reader (code too large to parse, or that no grammar parses): each flow is placed
at the line of its statement, and a page's Windows-function calls count whatever their arguments,
as in the parsed reading (docs/detection/webshell-code.md, "Large pages read token by token")."""

from __future__ import annotations

import time

from code_support import run
from exhunt.codeanalysis.analysis import MAX_PARSE_BYTES, sink_rules
from exhunt.codeanalysis.tokens import read_tokens


def _runner(array_lines: int) -> str:
    """A shellcode runner whose byte array takes `array_lines` lines."""
    row = ",".join(["0x90"] * 40) + ",\n"
    return (
        '<%@ Page Language="C#" %>\n'
        '<script runat="server">\n'
        '[System.Runtime.InteropServices.DllImport("kernel32")]\n'
        "private static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, Int32 t, IntPtr p);\n"
        '[System.Runtime.InteropServices.DllImport("kernel32")]\n'
        "private static extern IntPtr CreateThread(IntPtr a, UIntPtr s, IntPtr f, IntPtr p, Int32 c, ref IntPtr i);\n"
        "protected void Page_Load(object sender, EventArgs e) {\n"
        "    byte[] sc = new byte[] {\n" + row * array_lines + "    0x90 };\n"
        "    IntPtr mem = VirtualAlloc(IntPtr.Zero, (UIntPtr)sc.Length, 0x1000, (IntPtr)0x40);\n"
        "    System.Runtime.InteropServices.Marshal.Copy(sc, 0, mem, sc.Length);\n"
        "    IntPtr id = IntPtr.Zero;\n"
        "    CreateThread(IntPtr.Zero, UIntPtr.Zero, mem, IntPtr.Zero, 0, ref id);\n"
        "}\n"
        "</script>\n"
    )


def test_a_runner_too_large_to_parse_is_still_native_code() -> None:
    lines = MAX_PARSE_BYTES // 200 + 10  # each array line is 201 characters
    page = _runner(lines)
    report = run("big.aspx", page)
    assert "tokens:csharp" in report.readers, report.readers
    found = [c for c in report.capabilities if c.rule_id == "EXH-WS-CODE-NATIVE-CODE"]
    assert found, [c.rule_id for c in report.capabilities]
    call_line = page.splitlines().index(next(x for x in page.splitlines() if "= VirtualAlloc(" in x)) + 1
    assert found[0].line == call_line


def test_a_declared_function_is_not_a_call() -> None:
    # Only the declarations name the functions: nothing is called.
    page = _runner(3)
    declarations = "\n".join(
        x
        for x in page.splitlines()
        if "Page_Load" not in x and "VirtualAlloc(IntPtr.Zero" not in x and "CreateThread(IntPtr.Zero" not in x
    )
    result = read_tokens(declarations, sink_rules())
    assert [h for h in result.hits if h.capability == "native-code"] == []


def test_token_flows_are_placed_at_their_statement_lines() -> None:
    code = "\n".join(
        [
            "var a = 1;",
            'string c = Request.Form["c"];',
            "",
            'System.Diagnostics.Process.Start("cmd.exe", "/c " + c);',
        ]
    )
    hits = [h for h in read_tokens(code, sink_rules()).hits if h.capability == "process"]
    assert hits and hits[0].line == 4, [(h.api, h.line) for h in hits]
    assert hits[0].taint is not None and 2 in hits[0].taint.lines


def test_a_variable_set_again_and_again_keeps_a_bounded_list_of_lines() -> None:
    # Each statement merges the variable's taint into itself: unbounded, its lines grew with the
    # page and every statement copied them all (25 s for 100,000 such lines).
    from exhunt.codeanalysis.tokens import MAX_TAINT_LINES

    code = 'x = x + Request["a"];\n' * 1000 + 'System.Diagnostics.Process.Start("cmd.exe", x);\n'
    hits = [h for h in read_tokens(code, sink_rules()).hits if h.api == "Process.Start" and h.taint is not None]
    assert hits
    lines = hits[0].taint.lines
    assert 1 in lines and 1000 in lines  # the first assignment and the last
    assert len(lines) <= MAX_TAINT_LINES + 1
    assert hits[0].line == 1001


def test_a_statement_too_long_to_read_is_a_recorded_problem() -> None:
    # The token reader leaves out statements past MAX_STATEMENT; a page that holds one says so
    # (a `limit` problem at its line), so the page is never taken for one read whole.
    from exhunt.codeanalysis.tokens import MAX_STATEMENT

    blob = "x = " + " +\n".join(['"' + "A" * 60 + '"'] * (MAX_STATEMENT // 40)) + ";\n"
    code = "return;}\n" + blob + 'System.Diagnostics.Process.Start("cmd.exe", Request["c"]);\n'
    result = read_tokens(code, sink_rules())
    assert result.too_long == [2]
    # carried over lines only while short enough: the call after the blob is still its own statement
    assert {h.line for h in result.hits if h.api == "Process.Start" and h.taint is not None} == {
        code.count("\n", 0, code.index("System.Diagnostics")) + 1
    }
    page = '<%@ Page Language="C#" %>\n<%' + code + "%>"
    report = run("long.aspx", page)
    assert "tokens:csharp" in report.readers
    assert any(p.kind == "limit" and "token-level reader" in p.message for p in report.problems), report.problems


def test_vb_declarations_with_a_type_carry_the_request() -> None:
    # `Dim c As String = Request("c")` read as the C# form would assign to `String`, not `c`.
    code = 'Dim c As String = Request("c")\nShell("cmd /c " & c)\nDim fixed As String = "dir"\nShell(fixed)\n'
    hits = [h for h in read_tokens(code, sink_rules(), vb=True).hits if h.capability == "process"]
    assert {h.line for h in hits} == {2}
    assert all(h.taint is not None and "request parameter" in h.taint.sources for h in hits)


def test_vb_declarations_of_a_new_object_carry_the_request() -> None:
    # `Dim c As New T(args)` makes `c` from its arguments; it has no `=` to read.
    code = 'Dim c As New System.Text.StringBuilder(Request("c"))\nShell("cmd /c " & c.ToString())\n'
    code += 'Dim d As New System.Text.StringBuilder("dir")\nShell(d.ToString())\n'
    hits = [h for h in read_tokens(code, sink_rules(), vb=True).hits if h.capability == "process"]
    assert {h.line for h in hits} == {2}


def test_csharp_declarations_with_spaced_types_carry_the_request() -> None:
    # A generic type's arguments and an array's ranks may hold spaces; the declaration still
    # assigns to the name after the type.
    code = (
        'Dictionary<string, string> m = new Dictionary<string, string> { { "c", Request["c"] } };\n'
        "string [] parts = Request.Form[\"p\"].Split(',');\n"
        "List<Dictionary<string, int[]>> unused = null;\n"
        'Process.Start("cmd.exe", "/c " + parts[0]);\n'
        'string [] fixedArgs = new string[] { "dir" };\n'
        'Process.Start("cmd.exe", "/c " + fixedArgs[0]);\n'
    )
    hits = [h for h in read_tokens(code, sink_rules()).hits if h.capability == "process"]
    assert {h.line for h in hits} == {4}
    assert all(h.taint is not None and "form field" in h.taint.sources for h in hits), hits


def test_the_reader_stops_at_its_time_and_says_where() -> None:
    code = 'var c = Request["c"];\n' * 1000 + 'Process.Start("cmd.exe", "/c " + c);\n'
    whole = read_tokens(code, sink_rules())
    assert whole.stopped_at is None
    assert [h.line for h in whole.hits if h.capability == "process"] == [1001]
    stopped = read_tokens(code, sink_rules(), stop_at=time.monotonic() - 1)
    assert stopped.stopped_at == 1
    assert stopped.hits == []


def test_a_statement_of_many_tainted_names_gives_the_same_chain_every_run() -> None:
    # The names a statement reads are looked up in order: the sources and steps of its chain must
    # not follow the order of a set, which changes with each process's hash seed.
    import os
    import subprocess
    import sys

    code = (
        'var zeta = Convert.FromBase64String(Request["z"]);\n'
        'var alpha = HttpUtility.UrlDecode(Request.Form["a"]);\n'
        'var mid = Request.Headers["m"];\n'
        'System.Diagnostics.Process.Start("cmd.exe", mid + alpha + zeta);\n'
    )
    script = (
        "from exhunt.codeanalysis.analysis import sink_rules\n"
        "from exhunt.codeanalysis.tokens import read_tokens\n"
        f"print([repr(h.taint) for h in read_tokens({code!r}, sink_rules()).hits if h.taint])\n"
    )
    seen = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        assert "base64-decodes it" in done.stdout and "URL-decodes it" in done.stdout
        seen.add(done.stdout)
    assert len(seen) == 1, seen
