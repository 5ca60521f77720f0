"""EXH-WS-CODE-MSBUILD: a page that loads the client's MSBuild project in its own process
(Microsoft.Build's `Project`, `ProjectCollection.LoadProject`) runs the client's code when it
builds it: inline tasks are C# or VB that MSBuild compiles, and the Exec task runs any command.
Kept quiet: a fixed project of the site's own, and an application's own class named `Project`
in a file that never names Microsoft.Build."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

MSBUILD = "EXH-WS-CODE-MSBUILD"

SHELLS = [
    (
        "project-path.aspx",
        cs_page('new Microsoft.Build.Evaluation.Project(Request["p"]).Build();'),
        ["request parameter 'p'", "MSBuild project", "new Project"],
    ),
    (
        "project-xml.aspx",
        cs_page(
            'var xml = System.Xml.XmlReader.Create(new System.IO.StringReader(Request.Form["x"]));\n'
            "var project = new Microsoft.Build.Evaluation.Project(xml);\nproject.Build();"
        ),
        ["form field 'x'", "MSBuild project"],
    ),
    (
        "load-project.aspx",
        vb_page(
            "Dim pc As New Microsoft.Build.Evaluation.ProjectCollection()\n"
            'pc.LoadProject(Request.QueryString("p")).Build()'
        ),
        ["query parameter 'p'", "LoadProject"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_the_clients_project_is_built(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, MSBUILD, words)


BENIGN = [
    (
        "site-build.aspx",
        cs_page('new Microsoft.Build.Evaluation.Project(Server.MapPath("~/build/site.proj")).Build();'),
    ),
    (
        "projects.aspx",  # the application's own Project class, named by the request
        cs_page('var p = new Project(Request["name"]); p.Save(); lit.Text = Server.HtmlEncode(p.Title);'),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_a_fixed_project_or_another_project_class_stays_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
