"""The documented asynchronous `File` forms, `Directory.EnumerateFileSystemEntries` and VB's
`FileOpen` count for the file rules where their siblings already did: each with a shell written for
it and a genuine page that makes the same call inside the site (docs/detection/webshell-code.md,
"More file forms")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page


def page(body: str) -> str:
    return cs_page(body)


SHELLS = [
    (
        "drop.aspx",
        page(
            'var data = Convert.FromBase64String(Request.Form["b"]);\n'
            'System.IO.File.WriteAllBytesAsync(Request.Form["to"], data).Wait();'
        ),
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'to'", "File.WriteAllBytesAsync"],
    ),
    (
        "note.aspx",
        page('System.IO.File.AppendAllTextAsync(Request["f"], Request["t"]).Wait();'),
        "EXH-WS-CODE-FILE-WRITE",
        ["request parameter 'f'", "File.AppendAllTextAsync"],
    ),
    (
        "cat.aspx",
        page('Response.Write(System.IO.File.ReadAllTextAsync(Request.QueryString["p"]).Result);'),
        "EXH-WS-CODE-FILE-READ",
        ["query parameter 'p'", "File.ReadAllTextAsync"],
    ),
    (
        "ls.aspx",
        page(
            'foreach (string e in System.IO.Directory.EnumerateFileSystemEntries(Request.Form["dir"]))\n'
            '    Response.Write(e + "<br>");'
        ),
        "EXH-WS-CODE-FILE-READ",
        ["form field 'dir'", "Directory.EnumerateFileSystemEntries"],
    ),
    (
        "put.aspx",
        vb_page('FileOpen(3, Request.Form("path"), OpenMode.Output)\nPrint(3, Request.Form("text"))\nFileClose(3)'),
        "EXH-WS-CODE-FILE-WRITE",
        ["form field 'path'", "form field 'text'", "FileOpen"],
    ),
    (
        "get.aspx",
        vb_page('FileOpen(3, Request.Form("path"), OpenMode.Input)\nResponse.Write(LineInput(3))\nFileClose(3)'),
        "EXH-WS-CODE-FILE-READ",
        ["form field 'path'", "FileOpen"],
    ),
]

BENIGN = [
    (
        "feedback.aspx",
        # The visitor's text appended to the site's own fixed log.
        page(
            'System.IO.File.AppendAllTextAsync(Server.MapPath("~/App_Data/feedback.log"), Request.Form["msg"]).Wait();'
        ),
    ),
    (
        "terms.aspx",
        # A fixed page of the site read without blocking.
        page('lit.Text = System.IO.File.ReadAllTextAsync(Server.MapPath("~/content/terms.html")).Result;'),
    ),
    (
        "gallery.aspx",
        # The pictures of the site's own folder listed.
        page(
            'foreach (string f in System.IO.Directory.EnumerateFileSystemEntries(Server.MapPath("~/images")))\n'
            "    list.Items.Add(System.IO.Path.GetFileName(f));"
        ),
    ),
    (
        "counter.aspx",
        # A VB page keeping a hit counter in a fixed file of the site.
        vb_page(
            'FileOpen(1, Server.MapPath("~/App_Data/hits.txt"), OpenMode.Append)\nPrintLine(1, Now())\nFileClose(1)'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_file_form_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)


ACL_RULE = (
    'new System.Security.AccessControl.FileSystemAccessRule("Everyone", '
    "System.Security.AccessControl.FileSystemRights.FullControl, "
    "System.Security.AccessControl.AccessControlType.Allow)"
)
ACL_SHELLS = [
    (
        "acl-file.aspx",
        f'var s = System.IO.File.GetAccessControl(Request["f"]);\ns.AddAccessRule({ACL_RULE});\n'
        'System.IO.File.SetAccessControl(Request["f"], s);',
        "File.SetAccessControl",
    ),
    (
        "acl-folder.aspx",
        f'var s = System.IO.Directory.GetAccessControl(Request["d"]);\ns.AddAccessRule({ACL_RULE});\n'
        'System.IO.Directory.SetAccessControl(Request["d"], s);',
        "Directory.SetAccessControl",
    ),
    (
        "acl-info.aspx",
        f'var d = new System.IO.DirectoryInfo(Request["d"]);\nvar s = d.GetAccessControl();\n'
        f"s.AddAccessRule({ACL_RULE});\nd.SetAccessControl(s);",
        "SetAccessControl",
    ),
]


@pytest.mark.parametrize(("name", "body", "api"), ACL_SHELLS, ids=[s[0] for s in ACL_SHELLS])
def test_an_acl_changed_on_a_path_the_request_names_is_file_management(name: str, body: str, api: str) -> None:
    # A folder opened to everyone for writing, or a file's owner taken (T1222.001).
    assert_found(name, cs_page(body), "EXH-WS-CODE-FILE-MANAGE", ["re-permits", api])


def test_an_acl_changed_on_the_sites_own_folder_stays_quiet() -> None:
    body = (
        'var p = Server.MapPath("~/App_Data/uploads");\nvar s = System.IO.Directory.GetAccessControl(p);\n'
        's.AddAccessRule(new System.Security.AccessControl.FileSystemAccessRule(Request["account"], '
        "System.Security.AccessControl.FileSystemRights.Modify, System.Security.AccessControl.AccessControlType.Allow));\n"
        "System.IO.Directory.SetAccessControl(p, s);"
    )
    assert_benign("acl-site.aspx", cs_page(body))
