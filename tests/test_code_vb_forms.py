"""VB's own ways of holding a value, followed as their C# counterparts are: a function's result
set by assigning to its name (`GetIt = Request("c")`), a `Using` block's variable (`Using r As New
StreamReader(...)`, `Using r = New ...`), an array item stored and read with parentheses
(`a(0) = Request("c")`, `a(0)`), a `ByRef` parameter that a sub fills for its caller, an object
initializer (`New ProcessStartInfo() With {.Arguments = ...}`), and `CallByName` on a COM object
(docs/detection/webshell-code.md, "VB's results, Using blocks, array items and ByRef"); and the
FileSystem module's `Rename`, `SetAttr` and `Dir`, which a page's own method of the same name
shadows ("VB's file functions, and a page's own methods of their names"); and the dictionary
member access `Request.Form!name` ("VB's dictionary member access")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, vb_page

RUN = 'System.Diagnostics.Process.Start("cmd.exe", "/c " & c)'

SHELLS = [
    (
        "vb-function-name.aspx",
        vb_page(
            "Dim c As String = GetIt()\n"
            + RUN
            + '\nEnd Sub\nFunction GetIt() As String\nGetIt = Request.Form("c")\nEnd Function\nSub Other()'
        ),
        ["form field 'c'"],
    ),
    (
        "vb-using-as-new.aspx",
        vb_page(
            "Dim c As String\nUsing r As New System.IO.StreamReader(Request.InputStream)\n c = r.ReadToEnd()\nEnd Using\n"
            + RUN
        ),
        ["the request body"],
    ),
    (
        "vb-using-assign.aspx",
        vb_page(
            "Dim c As String\nUsing r = New System.IO.StreamReader(Request.InputStream)\n c = r.ReadToEnd()\nEnd Using\n"
            + RUN
        ),
        ["the request body"],
    ),
    (
        "vb-array-item.aspx",
        vb_page('Dim a(1) As String\na(0) = Request.QueryString("c")\nDim c As String = a(0)\n' + RUN),
        ["query parameter 'c'"],
    ),
    (
        "vb-array-literal.aspx",
        vb_page('Dim a() As String = {Request("c"), "x"}\nDim c As String = a(0)\n' + RUN),
        ["request parameter 'c'"],
    ),
    (
        "vb-byref.aspx",
        vb_page(
            'Dim c As String = ""\nFill(c)\n'
            + RUN
            + '\nEnd Sub\nSub Fill(ByRef v As String)\nv = Request.Headers("X-C")\nEnd Sub\nSub Other()'
        ),
        ["request header 'X-C'"],
    ),
    (
        "vb-with-initializer.aspx",
        vb_page(
            "Dim psi As New System.Diagnostics.ProcessStartInfo() With "
            '{.FileName = "cmd.exe", .Arguments = "/c " & Request.Form("c")}\nSystem.Diagnostics.Process.Start(psi)'
        ),
        ["form field 'c'"],
    ),
    (
        "vb-callbyname.aspx",
        # A COM shell's method called by its (folded) name.
        vb_page(
            'Dim sh = CreateObject("WScript.Shell")\nCallByName(sh, "R" & "un", CallType.Method, "cmd /c " & Request("c"))'
        ),
        ["request parameter 'c'", "called by name as wscript.shell.Run"],
    ),
    (
        "vb-bang-access.aspx",
        # `Request.QueryString!c` is `Request.QueryString("c")`: the default property by name.
        vb_page('Dim c As String = "/c " & Request.QueryString!cmd\nSystem.Diagnostics.Process.Start("cmd.exe", c)'),
        ["query parameter 'cmd'"],
    ),
    (
        "vb-bang-bracketed.aspx",
        vb_page("Dim c As String = Request.Form![the cmd]\n" + RUN),
        ["form field 'the cmd'"],
    ),
    (  # a one-line `If`: its `c = ...` is an assignment, though the grammar reads a comparison
        "vb-one-line-if.aspx",
        vb_page('Dim c As String = "whoami"\nIf Request("c") <> "" Then c = Request("c")\n' + RUN),
        ["request parameter 'c'"],
    ),
    (  # a `Static` local, which the grammar does not know: the rest of the sub is still read
        "vb-static-local.aspx",
        vb_page('Static c As String\nc = Request.Form("c")\n' + RUN),
        ["form field 'c'"],
    ),
    (  # a `For Each` item is what the collection holds, typed or not
        "vb-for-each.aspx",
        vb_page('For Each c As String In Request.Form.GetValues("c")\n' + RUN + "\nNext"),
        ["form field 'c'"],
    ),
    (
        "vb-for-each-untyped.aspx",
        vb_page('Dim c As String = ""\nFor Each v In Request.QueryString.GetValues("c")\nc = c & v\nNext\n' + RUN),
        ["query parameter 'c'"],
    ),
    (
        "vb-one-line-if-else.aspx",
        vb_page('Dim c As String\nIf IsPostBack Then c = "dir" Else c = "ipconfig " : c &= Request.Form("c")\n' + RUN),
        ["form field 'c'"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_vb_forms_carry_request_data(name: str, code: str, words: list[str]) -> None:
    report = assert_found(name, code, "EXH-WS-CODE-PROCESS", words)
    assert "EXH-WS-CODE-UNRESOLVED-SINK" not in [c.rule_id for c in report.capabilities]


BENIGN = [
    (
        "vb-fixed-forms.aspx",
        # The same shapes holding the site's own values; the request only fills a label. (The
        # analysis does not fold constants through ByRef parameters, so they are shown, not run:
        # fed to the command they would be an unresolved value.)
        vb_page(
            'Dim tool As String = ToolName()\nDim a(1) As String\na(0) = "--daily"\nDim mode As String = ""\nFillMode(mode)\n'
            'Using r = New System.IO.StreamReader(Server.MapPath("~/App_Data/motd.txt"))\n Motd.Text = r.ReadToEnd()\nEnd Using\n'
            'Greeting.Text = Server.HtmlEncode(Request("name"))\n'
            'Status.Text = a(0) & " " & mode\n'
            'System.Diagnostics.Process.Start(Server.MapPath("~/bin/" & tool), "--daily")\nEnd Sub\n'
            'Function ToolName() As String\nToolName = "report.exe"\nEnd Function\n'
            'Sub FillMode(ByRef m As String)\nm = "quiet"\nEnd Sub\nSub Other()'
        ),
    ),
    (
        "vb-fixed-initializer.aspx",
        # A fixed tool started from an initialized ProcessStartInfo; a dictionary filled by name.
        vb_page(
            "Dim psi As New System.Diagnostics.ProcessStartInfo() With "
            '{.FileName = "ping.exe", .Arguments = "-n 1 localhost"}\nSystem.Diagnostics.Process.Start(psi)\n'
            'Dim d = CreateObject("Scripting.Dictionary")\nCallByName(d, "Add", CallType.Method, "k", Request("v"))'
        ),
    ),
    (
        "vb-bang-and-type-characters.aspx",
        # A session value by `!` and Single type characters (`f!`, `1.5!`), a `!` in a string and
        # a comment: the request only fills a label.
        vb_page(
            'Dim f! = 1.5!\nDim c As String = Session!tool\n\' run Session!tool\nStatus.Text = "done!" & f\n'
            "Greeting.Text = Server.HtmlEncode(Request.Form!name)"
        ),
    ),
    (
        "vb-for-each-fixed.aspx",
        # A loop over the site's own tools, the visitor's value only shown.
        vb_page(
            'For Each c As String In New String() {"ipconfig", "hostname"}\n' + RUN + "\nNext\n"
            'Output.Text = Server.HtmlEncode(Request("q"))'
        ),
    ),
    (
        "vb-one-line-if-compare.aspx",
        # A one-line `If` comparing the request's value: the variable keeps its fixed value.
        vb_page('Dim c As String = "ipconfig"\nIf c = Request("c") Then Output.Text = "same"\n' + RUN),
    ),
    (
        "vb-byval.aspx",
        # A ByVal parameter the sub changes: the caller's variable keeps its fixed value.
        vb_page(
            'Dim c As String = "ipconfig"\nShow(c)\n' + RUN + "\nEnd Sub\n"
            'Sub Show(ByVal v As String)\nv = Request("c")\nOutput.Text = Server.HtmlEncode(v)\nEnd Sub\nSub Other()'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_vb_forms_with_fixed_values(name: str, code: str) -> None:
    assert_benign(name, code)


# VB's FileSystem module: `Rename`, `SetAttr` and `Dir` on a path the client names; a method of the
# page's own of the same name is that method, not VB's function (nor is a native one it declares
# anything but the native function).
FILE_FUNCTIONS = [
    (
        "rename.aspx",
        vb_page('Rename(Request("s"), Request("d"))'),
        "EXH-WS-CODE-FILE-MANAGE",
        ["request parameter 's'"],
    ),
    (
        "setattr.aspx",
        vb_page('SetAttr(Request.Form("p"), FileAttribute.Hidden Or FileAttribute.System)'),
        "EXH-WS-CODE-FILE-MANAGE",
        ["form field 'p'"],
    ),
    (
        "dir.aspx",
        vb_page('Response.Write(Dir(Request("p") & "\\*.*"))'),
        "EXH-WS-CODE-FILE-READ",
        ["request parameter 'p'"],
    ),
    (  # a file opened by number, written by number
        "fileopen.aspx",
        vb_page('FileOpen(1, Server.MapPath(Request("f")), OpenMode.Output)\nPrintLine(1, Request("c"))\nFileClose(1)'),
        "EXH-WS-CODE-FILE-WRITE",
        ["request parameter 'f'", "request parameter 'c'", "FileOpen"],
    ),
    (
        "fileput.aspx",
        vb_page(
            'Dim n As Integer = FreeFile()\nFileSystem.FileOpen(n, Request.Form("p"), OpenMode.Binary)\n'
            'FilePut(n, Convert.FromBase64String(Request.Form("d")))\nFileClose(n)'
        ),
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'p'", "form field 'd'"],
    ),
    (
        "fileopen-page.aspx",
        vb_page('FileOpen(2, Server.MapPath("up.aspx"), OpenMode.Output)\nPrint(2, Request.Form("c"))\nFileClose(2)'),
        "EXH-WS-CODE-PAGE-WRITE",
        ["form field 'c'", "up.aspx"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), FILE_FUNCTIONS, ids=[f[0] for f in FILE_FUNCTIONS])
def test_vb_file_functions_on_client_paths(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


OWN_NAMES = [
    (
        "own-rename.aspx",
        vb_page(
            'Rename(Request("id"), Request("title"))',
            members="Sub Rename(id As String, title As String)\nResponse.Write(Server.HtmlEncode(id & title))\nEnd Sub",
        ),
    ),
    (
        "own-dir.aspx",
        vb_page(
            'Response.Write(Dir(Request("sort")))',
            members='Function Dir(s As String) As String\nReturn If(s = "desc", "DESC", "ASC")\nEnd Function',
        ),
    ),
    ("site-dir.aspx", vb_page('Response.Write(Dir(Server.MapPath("~/images/") & "*.png"))')),
    (  # the site's own log, and a client-named file given only fixed text
        "fileopen-log.aspx",
        vb_page(
            'FileOpen(1, Server.MapPath("~/App_Data/log.txt"), OpenMode.Append)\n'
            'PrintLine(1, Now & " " & Request.UserHostAddress & " " & Request("page"))\nFileClose(1)\n'
            'FileOpen(2, Server.MapPath(Request("f")), OpenMode.Output)\nPrintLine(2, "created")\nFileClose(2)'
        ),
    ),
    (
        "own-printline.aspx",
        vb_page(
            'FileOpen(1, Request("f"), OpenMode.Output)\nPrintLine(1, Request("c"))\nFileClose(1)',
            members="Sub PrintLine(n As Integer, s As String)\nResponse.Write(Server.HtmlEncode(s))\nEnd Sub",
        ),
    ),
    (
        "own-shell.aspx",
        # a page's own `Shell` (a layout helper here) shadows VB's function of that name
        vb_page(
            'Response.Write(Shell(Request("title")))',
            members='Function Shell(title As String) As String\nReturn "<h1>" & Server.HtmlEncode(title) & "</h1>"\n'
            "End Function",
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), OWN_NAMES, ids=[o[0] for o in OWN_NAMES])
def test_own_methods_and_site_paths_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
