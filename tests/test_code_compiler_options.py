"""Code compiled in through compiler options: a directive's `CompilerOptions`, or the
`compilerOptions` of a compiler web.config registers, naming a source file, a response file or a
`-recurse:` pattern. The pages below are written for these tests from Microsoft's descriptions of
the attribute and of the C# compiler's command line; the look-alikes set warnings, symbols and
the language version, as projects do."""

from __future__ import annotations

from pathlib import Path

import pytest

from code_support import medium_or_above
from exhunt.codeanalysis import analyze_code
from exhunt.codeanalysis.compileroptions import compiled_files, config_compilers
from files_support import by_rule, hunt, server_file

INCLUDE = "EXH-WS-CODE-INCLUDE"

# A page of nothing but directives: its class comes from a picture compiled with it.
PICTURE_PAGE = b"""<%@ Page Language="C#" CompilerOptions='"C:\\inetpub\\wwwroot\\upload\\my logo.jpg"' Inherits="Helper" %>
"""


def codedom(*compilers: str) -> bytes:
    """A web.config registering `compilers` (`<compiler .../>` elements, the first on line 5)."""
    listed = "".join(f"\n      {c}" for c in compilers)
    return (
        f'<?xml version="1.0"?>\n<configuration>\n  <system.codedom>\n    <compilers>{listed}\n'
        "    </compilers>\n  </system.codedom>\n</configuration>\n"
    ).encode()


CSHARP = 'language="c#;cs;csharp" extension=".cs" warningLevel="4" type="Microsoft.CSharp.CSharpCodeProvider, System"'
VB = (
    'language="vb;vbs;visualbasic;vbscript" extension=".vb" warningLevel="4" '
    'type="Microsoft.VisualBasic.VBCodeProvider, System"'
)

WEB_CONFIG = codedom(
    f'<compiler {CSHARP} compilerOptions="/langversion:default /nowarn:1659 @C:\\Windows\\Temp\\build.rsp" />'
)

# As Visual Studio writes the compilers of a web site: switches only.
PROJECT_CONFIG = codedom(
    f'<compiler {CSHARP} compilerOptions="/langversion:default /nowarn:1659;1699;1701;612;618" />',
    f'<compiler {VB} compilerOptions="/langversion:default /nowarn:41008 /define:_MYTYPE=\\&quot;Web\\&quot; /optionInfer+" />',
)


def chain(data: bytes, name: str) -> str:
    report = analyze_code(data, name)
    assert INCLUDE in medium_or_above(report)
    return " | ".join(c.chain for c in report.capabilities if c.rule_id == INCLUDE)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("/nowarn:1659 /unsafe", []),
        ('/define:_MYTYPE=\\"Web\\" /optionInfer+', []),
        ("x.jpg", [("x.jpg", "the source file")]),
        ('"C:\\up loads\\a b.txt" /debug', [("C:\\up loads\\a b.txt", "the source file")]),
        ("@C:\\t\\a.rsp", [("C:\\t\\a.rsp", "the response file")]),
        ("-recurse:C:\\logs\\*.log", [("C:\\logs\\*.log", "every file matching")]),
        ("/RECURSE:x\\*.txt /r:System.dll", [("x\\*.txt", "every file matching")]),
        ("@ /recurse:", []),
        (
            '-analyzer:"C:\\up loads\\gen.dll";x.jpg /a:y.png,',
            [
                ("C:\\up loads\\gen.dll", "and run the analyzer assembly"),
                ("x.jpg", "and run the analyzer assembly"),
                ("y.png", "and run the analyzer assembly"),
            ],
        ),
        (
            "/addmodule:..\\img\\m.gif /appconfig:w.config /additionalfile:n.txt",
            [("..\\img\\m.gif", "and link in the module")],
        ),
        ("/a: -analyzer: /addmodule:", []),
    ],
)
def test_the_files_a_command_line_names(options: str, expected: list[tuple[str, str]]) -> None:
    assert [(f.path, f.how) for f in compiled_files(options)] == expected


def test_a_page_of_directives_compiling_a_picture() -> None:
    shown = chain(PICTURE_PAGE, "a.aspx")
    assert "the source file 'C:\\inetpub\\wwwroot\\upload\\my logo.jpg' with the page (Page CompilerOptions)" in shown


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        (
            '<%@ WebHandler Language="C#" Class="H" CompilerOptions="@..\\App_Data\\h.rsp" %>\nclass H {}',
            "the response file '..\\App_Data\\h.rsp' with the page (WebHandler CompilerOptions)",
        ),
        (
            '<%@ Control Language="VB" CompilerOptions="/optimize+ -recurse:..\\files\\*.dat" Inherits="C" %>',
            "every file matching '..\\files\\*.dat' with the page (Control CompilerOptions)",
        ),
    ],
    ids=["handler response file", "control recurse"],
)
def test_other_directives_naming_files(code: str, shown: str) -> None:
    name = "h.ashx" if "WebHandler" in code else "c.ascx"
    assert shown in chain(code.encode(), name)


def test_a_web_config_compiler_running_an_analyzer_kept_as_a_picture() -> None:
    config = codedom(
        '<compiler language="c#;cs;csharp" extension=".cs" '
        'type="Microsoft.CodeDom.Providers.DotNetCompilerPlatform.CSharpCodeProvider, '
        'Microsoft.CodeDom.Providers.DotNetCompilerPlatform" '
        'compilerOptions="/langversion:default /nowarn:1659;1699;1701 /a:..\\images\\banner.png" />'
    )
    shown = chain(config, "web.config")
    assert "read and run the analyzer assembly '..\\images\\banner.png' with every page it compiles" in shown


def test_a_web_config_compiler_reading_a_response_file() -> None:
    shown = chain(WEB_CONFIG, "web.config")
    assert "the response file 'C:\\Windows\\Temp\\build.rsp' with every page it compiles" in shown
    assert [line for _, line in config_compilers(WEB_CONFIG.decode())] == [5]


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (PROJECT_CONFIG, "web.config"),
        (b'<%@ Page Language="C#" CompilerOptions="/unsafe /nowarn:618" %>\n<html><body>hi</body></html>', "a.aspx"),
        # the attribute of another element, and a compiler registered without options
        (
            b'<configuration><system.codedom><compilers><compiler language="cs" extension=".cs" '
            b'type="Microsoft.CSharp.CSharpCodeProvider, System" /></compilers></system.codedom>'
            b'<appSettings><add key="x" compilerOptions="a.jpg" /></appSettings></configuration>',
            "web.config",
        ),
    ],
    ids=["project web.config", "page switches", "no compiler options"],
)
def test_switches_alone_stay_quiet(data: bytes, name: str) -> None:
    assert medium_or_above(analyze_code(data, name)) == []


def test_the_hunt_reads_a_web_config_for_its_compilers(tmp_path: Path) -> None:
    evil = server_file(tmp_path, "C:\\inetpub\\wwwroot\\web.config", WEB_CONFIG)
    found = by_rule(hunt(evil))
    assert INCLUDE in found
    assert found[INCLUDE].evidence.line == 5
    plain = server_file(tmp_path / "b", "C:\\inetpub\\wwwroot\\web.config", PROJECT_CONFIG)
    assert INCLUDE not in by_rule(hunt(plain))


def test_the_hunt_reads_a_page_of_directives(tmp_path: Path) -> None:
    page = server_file(tmp_path, "C:\\inetpub\\wwwroot\\logo.aspx", PICTURE_PAGE)
    found = by_rule(hunt(page))
    assert "my logo.jpg" in dict(found[INCLUDE].details)["chain"]


def test_thousands_of_named_files_make_a_short_report() -> None:
    names = " ".join(f"C:\\x\\f{i}.jpg" for i in range(2000))
    data = codedom(*[f'<compiler language="cs" compilerOptions="{names}" />'] * 50)
    report = analyze_code(data, "web.config")
    found = [c for c in report.capabilities if c.rule_id == INCLUDE]
    assert 0 < len(found) <= 64
    assert "'C:\\x\\f0.jpg'" in found[0].chain
