"""An archive unpacked where the request says: besides `ZipFile.ExtractToDirectory`, the documented
`ZipFileExtensions` forms on an opened archive or one of its entries (`ExtractToDirectory`,
`ExtractToFile`) count for EXH-WS-CODE-FILE-MANAGE; a theme installer that unpacks into the site
does not (docs/detection/webshell-code.md, "Archives unpacked")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page


def page(body: str) -> str:
    return cs_page(body, imports=("System.IO.Compression",))


SHELLS = [
    (
        "unzip.aspx",
        page(
            "using (var z = new ZipArchive(Request.Files[0].InputStream)) {\n"
            '    z.ExtractToDirectory(Request.Form["dest"]);\n'
            "}"
        ),
        ["form field 'dest'", "ExtractToDirectory"],
    ),
    (
        "drop.aspx",
        page(
            "using (var z = new ZipArchive(Request.Files[0].InputStream)) {\n"
            "    foreach (ZipArchiveEntry entry in z.Entries)\n"
            '        entry.ExtractToFile(System.IO.Path.Combine(Request["to"], entry.Name), true);\n'
            "}"
        ),
        ["request parameter 'to'", "ExtractToFile"],
    ),
    (
        "drop2.aspx",
        page(
            "using (var z = new ZipArchive(Request.Files[0].InputStream)) {\n"
            '    ZipFileExtensions.ExtractToFile(z.Entries[0], Request.QueryString["f"], true);\n'
            "}"
        ),
        ["query parameter 'f'", "ExtractToFile"],
    ),
]

BENIGN = [
    (
        "themes.aspx",
        # An uploaded theme unpacked below the site's own theme folder.
        page(
            'string root = Server.MapPath("~/App_Themes/" + System.IO.Path.GetFileNameWithoutExtension(upload.FileName));\n'
            "using (var z = new ZipArchive(upload.PostedFile.InputStream)) {\n"
            "    z.ExtractToDirectory(root);\n"
            "    foreach (ZipArchiveEntry entry in z.Entries)\n"
            '        entry.ExtractToFile(System.IO.Path.Combine(Server.MapPath("~/App_Data/themes"), entry.Name), true);\n'
            "}"
        ).replace("<script", '<asp:FileUpload ID="upload" runat="server" />\n<script', 1),
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_unpack_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, "EXH-WS-CODE-FILE-MANAGE", words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_look_alike(name: str, code: str) -> None:
    assert_benign(name, code)
