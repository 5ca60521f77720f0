"""A mail client made without its server and given one afterwards (`c = new SmtpClient();
c.Host = Request["h"]`) sends through that server: the same as `new SmtpClient(Request["h"])`
(docs/detection/webshell-code.md, "Mail to whoever the client names")."""

from __future__ import annotations

import pytest

from code_support import assert_benign, assert_found, cs_page, vb_page

_SEND = 'c.Send("a@example.com", "b@example.com", "s", "b");'

SHELLS = [
    (
        "host-later.aspx",
        cs_page(f'var c = new System.Net.Mail.SmtpClient();\nc.Host = Request.Form["h"];\n{_SEND}'),
        ["form field 'h'", "new SmtpClient"],
    ),
    (
        "host-replaced.aspx",
        cs_page(f'var c = new System.Net.Mail.SmtpClient("mail.example.com");\nc.Host = Request["h"];\n{_SEND}'),
        ["request parameter 'h'", "new SmtpClient"],
    ),
    (
        "host-later-vb.aspx",
        vb_page(
            'Dim c As New System.Net.Mail.SmtpClient()\nc.Host = Request.Form("h")\n'
            'c.Send("a@example.com", "b@example.com", "s", "b")'
        ),
        ["form field 'h'", "new SmtpClient"],
    ),
]


@pytest.mark.parametrize(("name", "code", "words"), SHELLS, ids=[s[0] for s in SHELLS])
def test_a_server_set_after_the_client_is_made_is_the_clients(name: str, code: str, words: list[str]) -> None:
    assert_found(name, code, "EXH-WS-CODE-MAIL-RELAY", words)


def test_a_fixed_or_configured_server_stays_quiet() -> None:
    assert_benign(
        "host-fixed.aspx",
        cs_page(
            'var c = new System.Net.Mail.SmtpClient();\nc.Host = "mail.example.com";\n'
            'c.Host = System.Configuration.ConfigurationManager.AppSettings["smtp"];\n'
            'c.Send("a@example.com", TextBoxTo.Text, "s", "b");'
        ),
    )
