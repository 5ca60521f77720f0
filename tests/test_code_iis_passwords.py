"""EXH-WS-CODE-IIS-PASSWORDS: a page that opens IIS's configuration (ADSI `IIS://` or
ServerManager) and reads the passwords kept there (the anonymous and WAM users', a pool identity's,
a virtual folder's), the "IIS spy" of shell tool kits; beside pages that list sites, pools and
directory users without them, and provisioning code (docs/detection/webshell-code.md, "IIS's
passwords")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

RULE = "EXH-WS-CODE-IIS-PASSWORDS"

SHELLS = [
    (
        "iisspy.aspx",
        cs_page(
            'System.DirectoryServices.DirectoryEntry root = new System.DirectoryServices.DirectoryEntry("IIS://localhost/W3SVC");\n'
            "foreach (System.DirectoryServices.DirectoryEntry site in root.Children) {\n"
            '  Response.Write(site.Properties["ServerComment"].Value + " " + site.Properties["AnonymousUserName"].Value\n'
            '    + ":" + site.Properties["AnonymousUserPass"].Value + "<br>");\n}'
        ),
        ["reads the passwords IIS keeps", "new DirectoryEntry"],
    ),
    (
        "iisspy.vb.aspx",
        vb_page(
            'Dim root As New System.DirectoryServices.DirectoryEntry("IIS://localhost/W3SVC")\n'
            "For Each s As System.DirectoryServices.DirectoryEntry In root.Children\n"
            '  Response.Write(s.Properties("WAMUserName").Value & ":" & s.Properties("WAMUserPass").Value)\n'
            "Next"
        ),
        ["reads the passwords IIS keeps", "new DirectoryEntry"],
    ),
    (
        "pools.aspx",
        cs_page(
            "using (var sm = new Microsoft.Web.Administration.ServerManager()) {\n"
            "  foreach (var pool in sm.ApplicationPools)\n"
            '    Response.Write(pool.Name + " " + pool.ProcessModel.UserName + " " + pool.ProcessModel.Password + "<br>");\n}'
        ),
        ["reads the passwords IIS keeps", "new ServerManager"],
    ),
    (
        "vdirs.aspx",
        cs_page(
            "var sm = new Microsoft.Web.Administration.ServerManager();\n"
            "foreach (var site in sm.Sites) foreach (var app in site.Applications)\n"
            "  foreach (var vdir in app.VirtualDirectories)\n"
            '    Response.Write(vdir.Path + " " + vdir.UserName + " " + vdir.GetAttributeValue("password"));'
        ),
        ["reads the passwords IIS keeps"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_pages_reading_iis_passwords_are_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, RULE, words)


BENIGN = [
    (
        "sites.aspx",
        cs_page(
            "using (var sm = new Microsoft.Web.Administration.ServerManager()) {\n"
            "  foreach (var site in sm.Sites)\n"
            '    Response.Write(site.Name + " " + site.State + " " + site.Bindings[0].BindingInformation + "<br>");\n}'
        ),
    ),
    (
        "pool-state.aspx",
        cs_page(
            "var sm = new Microsoft.Web.Administration.ServerManager();\n"
            'foreach (var p in sm.ApplicationPools) Response.Write(p.Name + " " + p.ProcessModel.IdentityType);'
        ),
    ),
    (
        "ldap.aspx",
        cs_page(
            'var de = new System.DirectoryServices.DirectoryEntry("LDAP://dc=example,dc=com");\n'
            "var ds = new System.DirectoryServices.DirectorySearcher(de);\n"
            'ds.Filter = "(sAMAccountName=" + User.Identity.Name + ")";\n'
            'Response.Write(ds.FindOne().Properties["mail"][0]);'
        ),
    ),
    (
        "reset.aspx",
        cs_page(
            'var de = new System.DirectoryServices.DirectoryEntry("LDAP://cn=web,dc=example,dc=com");\n'
            'Response.Write("Your password expires soon: " + de.Properties["pwdLastSet"].Value);'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_pages_listing_iis_or_the_directory_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_provisioning_source_files_are_left_out() -> None:
    provider = """public class PoolProvider {
    public void SetIdentity(string name, string user, string password) {
        using (var sm = new Microsoft.Web.Administration.ServerManager()) {
            var pool = sm.ApplicationPools[name];
            pool.ProcessModel.UserName = user;
            pool.ProcessModel.Password = password;
            sm.CommitChanges();
        }
    }
}"""
    report = run("PoolProvider.cs", provider)
    assert [c.rule_id for c in report.capabilities if c.rule_id == RULE] == []
