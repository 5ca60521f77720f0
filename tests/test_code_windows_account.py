"""EXH-WS-CODE-WINDOWS-ACCOUNT: a page creating a Windows account, setting its password or adding
it to a group with the client's values, through the WinNT ADSI provider, AccountManagement or the
network management functions; beside intranet pages that only read accounts or let a user change
their own password (docs/detection/webshell-code.md, "Windows accounts")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run

ADSI_FORM = (
    '<form runat="server"><asp:TextBox ID="txtUser" runat="server"/><asp:TextBox ID="txtPass" runat="server"/></form>'
)

SHELLS = [
    (
        "adsi.aspx",
        cs_page(
            'var machine = new System.DirectoryServices.DirectoryEntry("WinNT://" + Environment.MachineName + ",computer");\n'
            'System.DirectoryServices.DirectoryEntry user = machine.Children.Add(txtUser.Text, "user");\n'
            'user.Invoke("SetPassword", new object[] { txtPass.Text });\n'
            "user.CommitChanges();\n"
            'System.DirectoryServices.DirectoryEntry admins = machine.Children.Find("Administrators", "group");\n'
            'admins.Invoke("Add", new object[] { user.Path });'
        )
        + ADSI_FORM,
        ["page control 'txtuser'", "creates or changes the Windows account it names", "Children.Add"],
    ),
    (
        "principal.aspx",
        cs_page(
            "var ctx = new System.DirectoryServices.AccountManagement.PrincipalContext("
            "System.DirectoryServices.AccountManagement.ContextType.Machine);\n"
            'var u = new System.DirectoryServices.AccountManagement.UserPrincipal(ctx, Request["u"], Request["p"], true);\n'
            "u.Save();"
        ),
        ["request parameter 'u'", "new UserPrincipal"],
    ),
    (
        "reset.aspx",
        cs_page(
            "var ctx = new System.DirectoryServices.AccountManagement.PrincipalContext("
            "System.DirectoryServices.AccountManagement.ContextType.Machine);\n"
            "System.DirectoryServices.AccountManagement.UserPrincipal u = "
            'System.DirectoryServices.AccountManagement.UserPrincipal.FindByIdentity(ctx, "Administrator");\n'
            'u.SetPassword(Request.Form["pw"]);\n'
            "u.Save();"
        ),
        ["form field 'pw'", "UserPrincipal.SetPassword"],
    ),
    (
        # The same with the type left to the compiler: what FindByIdentity returns is a UserPrincipal.
        "reset-var.aspx",
        cs_page(
            "var ctx = new System.DirectoryServices.AccountManagement.PrincipalContext("
            "System.DirectoryServices.AccountManagement.ContextType.Machine);\n"
            'var u = System.DirectoryServices.AccountManagement.UserPrincipal.FindByIdentity(ctx, Request["n"]);\n'
            'u.SetPassword(Request["pw"]);\nu.Save();'
        ),
        ["request parameter 'pw'", "UserPrincipal.SetPassword"],
    ),
]

BENIGN = [
    (
        "users.aspx",
        # An intranet page listing the server's local accounts.
        cs_page(
            'var machine = new System.DirectoryServices.DirectoryEntry("WinNT://" + Environment.MachineName + ",computer");\n'
            "foreach (System.DirectoryServices.DirectoryEntry child in machine.Children)\n"
            '    if (child.SchemaClassName == "User") list.Items.Add(child.Name);'
        ),
    ),
    (
        "mypassword.aspx",
        # A user changing their own domain password, who must give the old one.
        cs_page(
            "var ctx = new System.DirectoryServices.AccountManagement.PrincipalContext("
            "System.DirectoryServices.AccountManagement.ContextType.Domain);\n"
            "var me = System.DirectoryServices.AccountManagement.UserPrincipal.FindByIdentity(ctx, User.Identity.Name);\n"
            'me.ChangePassword(Request.Form["old"], Request.Form["new"]);'
        ),
    ),
    (
        "grid.aspx",
        # A control tree's `Children.Add` in a page that names no account API.
        cs_page('var node = new TreeNode(Request["title"]);\ntree.Children.Add(node);'),
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_account_change_found(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, "EXH-WS-CODE-WINDOWS-ACCOUNT", words)


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_benign_account_pages(name: str, code: str) -> None:
    report = assert_benign(name, code)
    assert "EXH-WS-CODE-WINDOWS-ACCOUNT" not in [c.rule_id for c in report.capabilities]


def test_account_calls_with_fixed_values_are_not_findings() -> None:
    code = SHELLS[0][1].replace("txtUser.Text", '"backup"').replace("txtPass.Text", '"fixed"')
    assert "EXH-WS-CODE-WINDOWS-ACCOUNT" not in [c.rule_id for c in run("fixed.aspx", code).capabilities]
