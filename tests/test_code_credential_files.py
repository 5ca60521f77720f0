"""A page that reads or copies the files holding the server's credentials
(EXH-WS-CODE-CREDENTIAL-FILES): the SAM, SYSTEM and SECURITY hives (also from a volume shadow
copy), the Active Directory database, IIS's applicationHost.config. No client data needs to reach
the call. Kept quiet: a site's own files of similar names, and a hosting panel's provisioning
code (.cs) reading IIS's configuration."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

RULE = "EXH-WS-CODE-CREDENTIAL-FILES"

SHELLS = [
    (
        "hive.aspx",
        cs_page(
            'System.IO.File.Copy(@"\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Windows\\System32\\config\\SYSTEM",'
            ' Server.MapPath("~/aspnet_client/s.dat"), true);'
        ),
        ["HarddiskVolumeShadowCopy1", "config\\SYSTEM", "File.Copy"],
    ),
    (
        "ntds.aspx",
        cs_page(
            'Response.BinaryWrite(System.IO.File.ReadAllBytes(@"C:\\ProgramData\\ifm\\Active Directory\\ntds.dit"));'
        ),
        ["ntds.dit", "File.ReadAllBytes"],
    ),
    (
        "apphost.aspx",
        cs_page(
            "using (var r = new System.IO.StreamReader(Environment.GetFolderPath(Environment.SpecialFolder.System)"
            ' + @"\\inetsrv\\config\\applicationHost.config")) Response.Write(r.ReadToEnd());'
        ),
        ["applicationHost.config", "reads or copies a file that holds the server's credentials"],
    ),
    (
        "sam.vb.aspx",
        vb_page('Response.WriteFile("C:\\Windows\\System32\\config\\SAM")'),
        ["config\\SAM", "Response.WriteFile"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_credential_files_taken(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, RULE, words)


BENIGN = [
    (
        "docs.aspx",
        cs_page('Response.Write(System.IO.File.ReadAllText(Server.MapPath("~/docs/SAM.txt")));'),
    ),
    (
        "settings.aspx",
        cs_page('Response.Write(System.IO.File.ReadAllText(Server.MapPath("~/App_Data/config/system.xml")));'),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_lookalike_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_hosting_panels_source_file_is_left_out() -> None:
    code = (
        "public class IisProvider {\n"
        "  public string Read() {\n"
        '    return System.IO.File.ReadAllText(@"C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config");\n'
        "  }\n}\n"
    )
    assert RULE not in [c.rule_id for c in run("IisProvider.cs", code).capabilities]
