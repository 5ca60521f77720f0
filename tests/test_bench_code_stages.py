"""The code benchmark's account of a missed shell: a generator's template is told apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

from bench_code import stage_of, template

GODZILLA_LIKE = (
    '<%@ WebService Language="C#" Class="S" %>\n'
    "public class S : System.Web.Services.WebService {\n"
    "    [System.Web.Services.WebMethod(EnableSession = true)]\n"
    "    public string {pass}(string {pass})\n"
    "    {\n"
    "        {code}\n"
    "    }\n"
    "}\n"
)

TEMPLATES = [
    ("name and body left open", GODZILLA_LIKE),
    ("a body only", "public class S {\n  public S() {\n    {code}\n  }\n}\n"),
    ("padded with comments", "/*x*/public/*x*/string/*x*/{pass}(string/*x*/{pass})\n/*x*/{\n/*x*/{code}\n/*x*/}\n"),
    ("a variable named by a placeholder", 'string {pass}_pass = "{pass}";\n'),
]

NOT_TEMPLATES = [
    ("an interpolated string", "var s = $\"<a href='x'>\n{name}\n</a>\";\n"),
    ("a raw string", 'var s = $"""\n  <b>\n  {name}\n  </b>\n  """;\n'),
    ("a verbatim string", 'var s = $@"<td>\n{value}\n</td>";\n'),
    ("a format string", 'var s = string.Format("{0} {name}", a);\n'),
    ("a comment", "// public string {pass}(string x)\nvar a = 1;\n"),
    ("a block of one statement", "if (a) {\n    Run();\n}\n"),
    ("a VB initializer", "Dim a = New List(Of String()) From {\n {x}\n}\n"),
    ("a C# initializer", "var a = new[] {\n {x}\n};\n"),
]


@pytest.mark.parametrize(("form", "code"), TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_a_generators_template_is_told(form: str, code: str) -> None:
    assert template(code.encode())


@pytest.mark.parametrize(("form", "code"), NOT_TEMPLATES, ids=[t[0] for t in NOT_TEMPLATES])
def test_code_and_text_with_braces_is_no_template(form: str, code: str) -> None:
    assert not template(code.encode())


def test_the_stage_of_a_template_says_so(tmp_path: Path) -> None:
    page = tmp_path / "s.asmx"
    page.write_text(GODZILLA_LIKE)
    assert stage_of(str(page)) == "no sink (a template, placeholders unfilled)"
