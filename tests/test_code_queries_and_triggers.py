"""Consoles a tool kit opens onto Windows and the domain, where the client writes the whole text:
an LDAP filter run against Active Directory, a WMI query, the class of a COM object, and the
path of a page or user control the server compiles and runs (the trigger of an uploaded .ascx).
Kept quiet: a sign-in page that opens a directory entry with the user's password and builds its
filter around the name, queries and control paths the code writes with a request value inside,
and COM classes the code names."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

LDAP = "EXH-WS-CODE-LDAP-QUERY"
WMI = "EXH-WS-CODE-WMI-QUERY"
COM = "EXH-WS-CODE-COM-OBJECT"
RUN = "EXH-WS-CODE-RUN-PAGE"
DS = "System.DirectoryServices"
MGMT = "System.Management"

SHELLS = [
    (
        "ldap.aspx",
        cs_page(
            f'var root = new {DS}.DirectoryEntry("LDAP://" + Request["dc"], Request["u"], Request["p"]);\n'
            f'var ds = new {DS}.DirectorySearcher(root, Request["f"]);\n'
            f"foreach ({DS}.SearchResult r in ds.FindAll()) Response.Write(r.Path);"
        ),
        LDAP,
        ["request parameter 'f'", "LDAP query", "new DirectorySearcher"],
    ),
    (
        "ldap-vb.aspx",
        vb_page(
            f'Dim ds As New {DS}.DirectorySearcher()\nds.Filter = Request.Form("f")\n'
            f"For Each r As {DS}.SearchResult In ds.FindAll()\nResponse.Write(r.Path)\nNext"
        ),
        LDAP,
        ["form field 'f'", "LDAP query"],
    ),
    (
        "ldap-control.aspx",
        '<asp:TextBox id="txtFilter" runat="server"/>\n'
        + cs_page(
            f'var ds = new {DS}.DirectorySearcher(new {DS}.DirectoryEntry("LDAP://dc"));\nds.Filter = txtFilter.Text;'
        ),
        LDAP,
        ["page control 'txtfilter'", "LDAP query"],
    ),
    (
        "wmi.aspx",
        cs_page(
            f'var scope = new {MGMT}.ManagementScope(@"\\\\" + Request["h"] + @"\\root\\cimv2");\n'
            f'var q = new {MGMT}.ObjectQuery(Request["q"]);\n'
            f"foreach (var o in new {MGMT}.ManagementObjectSearcher(scope, q).Get()) "
            f"Response.Write(o.GetText({MGMT}.TextFormat.Mof));"
        ),
        WMI,
        ["request parameter 'q'", "WMI query", "new ManagementObjectSearcher"],
    ),
    (
        # `(scope, query)`: a scope built around a machine's name does not make the query the code's.
        "wmi-scope.aspx",
        cs_page(
            f'var s = new {MGMT}.ManagementObjectSearcher(@"\\\\" + Request["h"] + @"\\root\\cimv2", Request["q"]);'
        ),
        WMI,
        ["request parameter 'q'", "WMI query"],
    ),
    (
        "wmi-set.aspx",
        cs_page(
            f'var s = new {MGMT}.ManagementObjectSearcher();\ns.Query = new {MGMT}.ObjectQuery(Request.Form["q"]);\ns.Get();'
        ),
        WMI,
        ["form field 'q'", "WMI query"],
    ),
    (
        "progid.aspx",
        cs_page(
            'dynamic o = Activator.CreateInstance(Type.GetTypeFromProgID(Request["c"]));\n'
            'Response.Write(o.Exec(Request["a"]).StdOut.ReadAll());'
        ),
        COM,
        ["request parameter 'c'", "COM object", "Type.GetTypeFromProgID"],
    ),
    (
        "clsid.aspx",
        cs_page('var o = Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid(Request.Form["id"])));'),
        COM,
        ["form field 'id'", "Type.GetTypeFromCLSID"],
    ),
    (
        "progid-vb.aspx",
        vb_page('Dim o As Object = CreateObject(Request("c"))\nResponse.Write(o.Exec(Request("a")).StdOut.ReadAll())'),
        COM,
        ["request parameter 'c'", "COM object", "CreateObject"],
    ),
    (
        "server-com.aspx",
        vb_page('Dim o As Object = Server.CreateObject(Request.Form("obj"))'),
        COM,
        ["form field 'obj'", "Server.CreateObject"],
    ),
    (
        "progid-js.aspx",
        '<%@ Page Language="JScript" %>\n<% var o = new ActiveXObject(Request.Item("c")); %>',
        COM,
        ["request parameter 'c'", "new ActiveXObject"],
    ),
    (
        "moniker.aspx",
        vb_page('Dim o As Object = GetObject(Request.Form("m"))'),
        COM,
        ["form field 'm'", "GetObject"],
    ),
    (
        "trigger.aspx",
        cs_page('var c = Page.LoadControl(Request.Form["ctl"]);\nform1.Controls.Add(c);'),
        RUN,
        ["form field 'ctl'", "runs the page or control it names", "LoadControl"],
    ),
    (
        # A control named by the URL's extra path (`trigger.aspx/uploads/x.ascx`) is still the client's.
        "trigger-path.aspx",
        cs_page("form1.Controls.Add(LoadControl(Request.PathInfo));"),
        RUN,
        ["the URL path", "LoadControl"],
    ),
    (
        "execute-vb.aspx",
        vb_page('Server.Execute(Request.QueryString("p"))'),
        RUN,
        ["query parameter 'p'", "Server.Execute"],
    ),
]


@pytest.mark.parametrize(("name", "code", "rule_id", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_a_console_whose_text_the_client_writes_is_found(name: str, code: str, rule_id: str, words: list[str]) -> None:
    assert_found(name, code, rule_id, words)


BENIGN = [
    (
        # A forms sign-in against Active Directory: the entry is opened with the user's password,
        # and the filter is built around the name.
        "signin.aspx",
        '<asp:TextBox id="txtUser" runat="server"/><asp:TextBox id="txtPwd" TextMode="Password" runat="server"/>\n'
        + cs_page(
            f'var entry = new {DS}.DirectoryEntry("LDAP://dc.contoso.local", txtUser.Text, txtPwd.Text);\n'
            f"var search = new {DS}.DirectorySearcher(entry);\n"
            'search.Filter = "(SAMAccountName=" + txtUser.Text + ")";\n'
            'search.PropertiesToLoad.Add("cn");\nvar found = search.FindOne();'
        ),
    ),
    (
        "people.aspx",
        cs_page(
            f'var s = new {DS}.DirectorySearcher(string.Format("(&(objectClass=user)(mail={{0}}))", Request["mail"]));'
        ),
    ),
    (
        # The attributes a search loads are not its filter.
        "attributes.aspx",
        cs_page(f'var s = new {DS}.DirectorySearcher("(objectClass=user)", new[] {{ Request["attr"] }});'),
    ),
    (
        "services.aspx",
        '<asp:DropDownList id="ddlService" runat="server"/>\n'
        + cs_page(
            f'var s = new {MGMT}.ManagementObjectSearcher("SELECT State FROM Win32_Service WHERE Name=\'" '
            '+ ddlService.SelectedValue + "\'");\nforeach (var o in s.Get()) Response.Write(o["State"]);'
        ),
    ),
    (
        "disks.aspx",
        cs_page(
            f'var s = new {MGMT}.ManagementObjectSearcher(@"root\\CIMV2", "SELECT FreeSpace FROM Win32_LogicalDisk");'
        ),
    ),
    (
        "remote-disks.aspx",
        cs_page(
            f'var s = new {MGMT}.ManagementObjectSearcher(Request["scope"], "SELECT FreeSpace FROM Win32_LogicalDisk");'
        ),
    ),
    (
        "adodb.aspx",
        vb_page(
            'Dim cn As Object = Server.CreateObject("ADODB.Connection")\nDim d As Object = CreateObject("Scripting.Dictionary")'
        ),
    ),
    (
        # A rewriter sending the requested URL to a page of the site: routing, not a client's path.
        "rewriter.aspx",
        cs_page(
            'if (Request.Path.EndsWith("/old.aspx")) Server.Transfer(Request.RawUrl.Replace("/old", "/new"));\n'
            "Server.Execute(Request.AppRelativeCurrentExecutionFilePath);"
        ),
    ),
    (
        "skin.aspx",
        cs_page(
            'var c = LoadControl("~/Controls/" + Request["c"] + ".ascx");\nform1.Controls.Add(c);\n'
            'if (Request["x"] == "1") Server.Transfer("~/Default.aspx");\nServer.Execute("~/Footer.aspx");'
        ),
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_queries_and_paths_the_code_writes_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)


def test_a_progid_joined_with_a_fixed_vendor_prefix_is_not_the_clients_choice() -> None:
    code = cs_page('var t = Type.GetTypeFromProgID("Contoso.Report" + Request["v"]);')
    assert_benign("versions.aspx", code)
    assert_found("any.aspx", code.replace('"Contoso.Report" + ', ""), COM, ["request parameter 'v'"])
