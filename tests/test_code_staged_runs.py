"""Client code written to a file and run by a fixed command line: a batch file started with
`cmd /c`, an MSBuild project with an inline task, an uploaded program started by name. Neither
call alone is a finding (the path and the command are the code's own); together they run what
the client sent (EXH-WS-CODE-PROCESS, the write named as a step). A path the analysis cannot
fold (a temporary file's) is matched by the variable holding it, for a process and for an
assembly load (EXH-WS-CODE-ASSEMBLY); an assembly loaded or run from a fixed path the page wrote
is matched by the file's name. Kept quiet: a fixed tool run over a data file the client
fills, a batch file the page writes from its own text, and a temporary file handed to a fixed
tool as its argument."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

PROCESS = "EXH-WS-CODE-PROCESS"

SHELLS = [
    (
        "bat.aspx",
        cs_page(
            'string f = @"C:\\Windows\\Temp\\~u.bat";\n'
            'System.IO.File.WriteAllText(f, Request.Form["c"]);\n'
            'var p = System.Diagnostics.Process.Start("cmd.exe", "/c " + f);\n'
            "Response.Write(p.Id);"
        ),
        ["form field 'c'", "writes it to ~u.bat (File.WriteAllText)", "runs ~u.bat, which the page wrote"],
    ),
    (
        "msbuild.aspx",
        cs_page(
            'System.IO.File.WriteAllText(@"c:\\programdata\\b.proj", Request["x"]);\n'
            'System.Diagnostics.Process.Start(@"C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\MSBuild.exe",'
            ' @"c:\\programdata\\b.proj");'
        ),
        ["request parameter 'x'", "writes it to b.proj", "runs b.proj"],
    ),
    (
        "writer.aspx",
        cs_page(
            'using (var w = new System.IO.StreamWriter("C:\\\\Users\\\\Public\\\\r.ps1")) { w.Write(Request["s"]); }\n'
            'var si = new System.Diagnostics.ProcessStartInfo("powershell.exe", "-ep bypass -f C:\\\\Users\\\\Public\\\\r.ps1");\n'
            "si.UseShellExecute = false;\n"
            "System.Diagnostics.Process.Start(si);"
        ),
        ["request parameter 's'", "writes it to r.ps1", "runs r.ps1"],
    ),
    (
        "upload_run.aspx",
        vb_page(
            'Request.Files(0).SaveAs("C:\\ProgramData\\svc.exe")\nShell("C:\\ProgramData\\svc.exe", AppWinStyle.Hide)'
        ),
        ["writes it to svc.exe (.SaveAs)", "runs svc.exe"],
    ),
]


SHELLS += [
    (
        "temp_run.aspx",
        cs_page(
            'string p = System.IO.Path.GetTempFileName() + ".exe";\n'
            'System.IO.File.WriteAllBytes(p, Convert.FromBase64String(Request.Form["b"]));\n'
            "System.Diagnostics.Process.Start(p);"
        ),
        ["form field 'b'", "writes it to the file `p` names (File.WriteAllBytes)", "runs the file the page wrote"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_written_then_run_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, PROCESS, words)


def test_the_write_and_the_run_are_both_named() -> None:
    report = run(SHELLS[0][0], SHELLS[0][1])
    cap = next(c for c in report.capabilities if c.rule_id == PROCESS)
    assert {5, 6} <= set(cap.lines), cap.lines  # the write (line 5) and the run (line 6)


BENIGN = [
    (
        "convert.aspx",
        # A fixed converter run over a data file the visitor's text fills.
        cs_page(
            'System.IO.File.WriteAllText(@"C:\\Jobs\\in.html", Request.Form["html"]);\n'
            'System.Diagnostics.Process.Start(@"C:\\Tools\\wkhtmltopdf.exe", @"C:\\Jobs\\in.html C:\\Jobs\\out.pdf");'
        ),
    ),
    (
        "nightly.aspx",
        # A batch file the page writes from its own text, the visitor's value only logged elsewhere.
        cs_page(
            'System.IO.File.WriteAllText(@"C:\\Jobs\\n.bat", "robocopy C:\\\\Data D:\\\\Backup /MIR");\n'
            'System.IO.File.AppendAllText(@"C:\\Jobs\\requests.log", Request["who"]);\n'
            'System.Diagnostics.Process.Start("cmd.exe", @"/c C:\\Jobs\\n.bat");'
        ),
    ),
    (
        "other_file.aspx",
        # The visitor's text goes to one script, a different one is run.
        cs_page(
            'System.IO.File.WriteAllText(@"C:\\Jobs\\draft.ps1", Request["s"]);\n'
            'System.Diagnostics.Process.Start("powershell.exe", @"-f C:\\Jobs\\approved.ps1");'
        ),
    ),
]


def test_written_then_loaded_from_a_temporary_file() -> None:
    code = cs_page(
        "var path = System.IO.Path.GetTempFileName();\n"
        "System.IO.File.WriteAllBytes(path, Request.BinaryRead(Request.ContentLength));\n"
        'System.Reflection.Assembly.LoadFrom(path).CreateInstance("P").Equals(this);'
    )
    assert_found("temp_load.aspx", code, "EXH-WS-CODE-ASSEMBLY", ["the request body", "loads the file the page wrote"])


BENIGN.append(
    (
        "temp_convert.aspx",
        # The visitor's file saved to a temporary path, a fixed converter run over it.
        cs_page(
            "string p = System.IO.Path.GetTempFileName();\n"
            "Request.Files[0].SaveAs(p);\n"
            'System.Diagnostics.Process.Start(@"C:\\Tools\\convert.exe", p + " out.png");'
        ),
    )
)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_look_alike_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_run_with_nothing_written_is_no_finding() -> None:
    code = SHELLS[0][1].replace('System.IO.File.WriteAllText(f, Request.Form["c"]);\n', "")
    assert PROCESS not in [c.rule_id for c in run("run_only.aspx", code).capabilities]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (
            "execute_assembly.aspx",
            cs_page(
                'System.IO.File.WriteAllBytes(@"D:\\Cache\\u.exe", Convert.FromBase64String(Request.Form["b"]));\n'
                'AppDomain.CurrentDomain.ExecuteAssembly(@"D:\\Cache\\u.exe");'
            ),
        ),
        (
            "load_from.vb.aspx",
            vb_page(
                'System.IO.File.WriteAllBytes("D:\\Cache\\p.dll", Request.BinaryRead(Request.TotalBytes))\n'
                'System.Reflection.Assembly.LoadFrom("D:\\Cache\\p.dll").CreateInstance("P")'
            ),
        ),
    ],
)
def test_written_then_loaded_from_a_fixed_path(name: str, code: str) -> None:
    # A path the analysis folds: the load is matched to the write by the file's name, as a
    # command line's file is.
    assert_found(name, code, "EXH-WS-CODE-ASSEMBLY", ["writes it to", "which the page wrote"])


def test_a_fixed_assembly_copied_and_loaded_is_quiet() -> None:
    code = cs_page(
        'System.IO.File.WriteAllBytes(@"D:\\Cache\\p.dll", System.IO.File.ReadAllBytes(Server.MapPath("~/bin/p.dll")));\n'
        'System.Reflection.Assembly.LoadFrom(@"D:\\Cache\\p.dll").CreateInstance("P");'
    )
    assert_benign("copy_load.aspx", code)
