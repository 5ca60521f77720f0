"""A page that opens whichever mailbox the client names through Exchange Web Services
impersonation (EXH-WS-CODE-MAILBOX-IMPERSONATION): suspicious in a web root, proof in the Exchange
sign-in folders. A portal acting for the signed-in user (the mailbox taken from the sign-in) stays
quiet."""

from __future__ import annotations

from pathlib import Path

from code_support import cs_page, medium_or_above, run
from files_support import by_rule, hunt, server_file

RULE = "EXH-WS-CODE-MAILBOX-IMPERSONATION"
EWS = (
    "var service = new Microsoft.Exchange.WebServices.Data.ExchangeService();\n"
    'service.Credentials = new System.Net.NetworkCredential("svc-ews", "P@ssw0rd", "CORP");\n'
    'service.Url = new Uri("https://localhost/EWS/Exchange.asmx");\n'
    "service.ImpersonatedUserId = new Microsoft.Exchange.WebServices.Data.ImpersonatedUserId(\n"
    "    Microsoft.Exchange.WebServices.Data.ConnectingIdType.SmtpAddress, {mailbox});\n"
    "var items = service.FindItems(Microsoft.Exchange.WebServices.Data.WellKnownFolderName.Inbox, "
    "new Microsoft.Exchange.WebServices.Data.ItemView(50));\n"
    'foreach (var i in items) Response.Write(Server.HtmlEncode(i.Subject) + "<br>");'
)


def test_client_named_mailbox_found() -> None:
    report = run("mail.aspx", cs_page(EWS.format(mailbox='Request["m"]')))
    assert RULE in medium_or_above(report)
    chain = next(c.chain for c in report.capabilities if c.rule_id == RULE)
    assert "request parameter 'm'" in chain and "EWS impersonation" in chain


def test_signed_in_user_not_reported() -> None:
    report = run("mail.aspx", cs_page(EWS.format(mailbox='User.Identity.Name + "@corp.example"')))
    assert RULE not in {c.rule_id for c in report.capabilities}


def test_rule_tiers_by_place(tmp_path: Path) -> None:
    page = cs_page(EWS.format(mailbox='Request["m"]')).encode()
    auth = server_file(
        tmp_path,
        "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\FrontEnd\\HttpProxy\\owa\\auth\\mail.aspx",
        page,
    )
    site = server_file(tmp_path, "C:\\inetpub\\wwwroot\\portal\\mail.aspx", page)
    assert by_rule(hunt(auth))[RULE].severity.name == "HIGH"
    assert by_rule(hunt(site))[RULE].severity.name == "MEDIUM"
