"""Files reached through the COM objects of pages ported from classic ASP: the
Scripting.FileSystemObject (CreateTextFile, OpenTextFile for writing or reading, GetFolder,
Delete/Copy/Move) and ADODB.Stream (SaveToFile, LoadFromFile) count for the file rules as their
.NET counterparts do (docs/detection/webshell-code.md, "Files through COM"); the same objects used
on the site's own files are not reported."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, medium_or_above, run
from code_support import vb_page as vb_page_of


def page(body: str) -> str:
    return cs_page(body, 'AspCompat="true"')


def vb_page(body: str) -> str:
    return vb_page_of(body, 'AspCompat="true"')


SHELLS = [
    (
        "fso.aspx",
        page(
            'dynamic fso = Server.CreateObject("Scripting.FileSystemObject");\n'
            'var ts = fso.CreateTextFile(Request.Form["path"], true);\n'
            'ts.Write(Request.Form["body"]);\n'
            "ts.Close();"
        ),
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'path'", "CreateTextFile"],
    ),
    (
        "append.aspx",
        vb_page(
            "Const ForAppending = 8\n"
            'Dim fso = Server.CreateObject("Scripting.FileSystemObject")\n'
            'Dim ts = fso.OpenTextFile(Request("f"), ForAppending, True)\n'
            'ts.WriteLine(Request("t"))\n'
            "ts.Close()"
        ),
        "EXH-WS-CODE-FILE-WRITE",
        ["request parameter 'f'", "OpenTextFile"],
    ),
    (
        "stream.aspx",
        page(
            'dynamic st = Server.CreateObject("ADODB.Stream");\n'
            "st.Type = 1;\n"
            "st.Open();\n"
            "st.Write(Request.BinaryRead(Request.TotalBytes));\n"
            'st.SaveToFile(Request.QueryString["to"], 2);'
        ),
        "EXH-WS-CODE-FILE-WRITE",
        ["query parameter 'to'", "the request body", "SaveToFile"],
    ),
    (
        "rm.aspx",
        page(
            'dynamic fso = Server.CreateObject("Scripting.FileSystemObject");\nfso.DeleteFile(Request["victim"], true);'
        ),
        "EXH-WS-CODE-FILE-MANAGE",
        ["request parameter 'victim'", "DeleteFile"],
    ),
    (
        "dir.aspx",
        page(
            'dynamic fso = Server.CreateObject("Scripting.FileSystemObject");\n'
            'foreach (dynamic f in fso.GetFolder(Request["d"]).Files) Response.Write(f.Name + "<br>");'
        ),
        "EXH-WS-CODE-FILE-READ",
        ["request parameter 'd'", "GetFolder"],
    ),
    (
        "get.aspx",
        page(
            'dynamic st = Server.CreateObject("ADODB.Stream");\n'
            "st.Type = 1;\n"
            "st.Open();\n"
            'st.LoadFromFile(Request["f"]);\n'
            "Response.BinaryWrite(st.Read());"
        ),
        "EXH-WS-CODE-FILE-READ",
        ["request parameter 'f'", "LoadFromFile"],
    ),
]

BENIGN = [
    (
        "guestbook.aspx",
        # The visitor's name kept in a fixed file of the site.
        page(
            'dynamic fso = Server.CreateObject("Scripting.FileSystemObject");\n'
            'var ts = fso.OpenTextFile(Server.MapPath("~/App_Data/guests.txt"), 8, true);\n'
            'ts.WriteLine(Server.HtmlEncode(Request.Form["name"]));\n'
            "ts.Close();"
        ),
    ),
    (
        "photo.aspx",
        # An uploaded picture saved under a name the server makes, in the site's upload folder.
        page(
            'dynamic st = Server.CreateObject("ADODB.Stream");\n'
            "st.Type = 1;\n"
            "st.Open();\n"
            "st.Write(Request.BinaryRead(Request.TotalBytes));\n"
            'st.SaveToFile(Server.MapPath("~/uploads/") + Guid.NewGuid().ToString("N") + ".jpg", 2);'
        ),
    ),
    (
        "news.aspx",
        # A fixed file of the site read for display (OpenTextFile's default mode is reading).
        page(
            'dynamic fso = Server.CreateObject("Scripting.FileSystemObject");\n'
            'Response.Write(fso.OpenTextFile(Server.MapPath("~/content/news.txt")).ReadAll());'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_com_file_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)


def test_reading_with_the_text_file_object_is_not_a_write() -> None:
    code = page(
        'dynamic fso = Server.CreateObject("Scripting.FileSystemObject");\n'
        'Response.Write(fso.OpenTextFile(Request["p"]).ReadAll());'
    )
    report = run("cat.aspx", code)
    assert medium_or_above(report) == ["EXH-WS-CODE-FILE-READ"], [c.chain for c in report.capabilities]
