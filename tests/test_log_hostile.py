"""Bad input is normal input: broken, re-encoded, junk-filled and hostile logs never stop the hunt."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

import pytest

from exhunt.artefacts.exchange_csv import HTTPPROXY_FIELDS
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind
from test_log_samples import (
    benign_httpproxy,
    benign_iis,
    by_rule,
    evidence,
    httpproxy_log,
    httpproxy_row,
    iis_line,
    iis_log,
    run,
    write,
)

PROXY = "Logging/HttpProxy/Ecp/HttpProxy_2021030306-1.LOG"
IIS = "W3SVC1/u_ex210303.log"
SSRF = httpproxy_row(
    AnchorMailbox="ServerInfo~a]@EX01:444/ecp/proxyLogon.ecp?#",
    HttpStatus="241",
    ClientIpAddress="203.0.113.1",
    UrlStem="/ecp/y.js",
    Method="POST",
)
ENTRY = iis_line(**{"cs-method": "POST", "cs-uri-stem": "/ecp/y.js", "c-ip": "203.0.113.1"})


def proxy_text(n_before: int = 10) -> str:
    return httpproxy_log([*benign_httpproxy(n_before), SSRF, *benign_httpproxy(3, start=900)])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("bom", [True, False])
def test_utf16_logs_are_hunted(tmp_path: Path, codec: str, bom: bool) -> None:
    text = proxy_text()
    data = (codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE) if bom else b""
    write(tmp_path, PROXY, data + text.encode(codec))
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    (f,) = result.findings
    assert f.evidence.line == 16 and f.rule_id == "EXH-PL-26855-SSRF"
    assert any("UTF-16" in e.message for e in result.errors)
    assert result.coverage["HttpProxy"].records == 14


def test_iis_utf16_with_bom(tmp_path: Path) -> None:
    write(tmp_path, IIS, codecs.BOM_UTF16_LE + iis_log([*benign_iis(4), ENTRY]).encode("utf-16-le"))
    (f,) = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS)).findings
    assert f.evidence.line == 9


def test_utf8_bom(tmp_path: Path) -> None:
    write(tmp_path, PROXY, codecs.BOM_UTF8 + proxy_text().encode())
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert [f.evidence.line for f in result.findings] == [16] and not result.errors


def test_huge_single_line_is_capped_and_the_hunt_goes_on(tmp_path: Path) -> None:
    head, tail = proxy_text(2).split(SSRF)
    huge = b"2021-03-03T06:41:00.000Z," + b"A" * (50 * 1024 * 1024)  # one 50 MB line
    write(tmp_path, PROXY, head.encode() + huge + b"\r\n" + SSRF.encode() + tail.encode())
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    (f,) = result.findings
    assert f.evidence.line == 9
    (err,) = [e for e in result.errors if "longer than" in e.message]
    assert err.line == 8
    assert result.coverage["HttpProxy"].records == 7


def test_huge_line_inside_a_block_is_cut_for_parsing(tmp_path: Path) -> None:
    long_row = httpproxy_row(UserAgent="ServerInfo~" + "x" * 400_000)  # candidate, 400 KB
    write(tmp_path, PROXY, httpproxy_log([long_row, SSRF]))
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert [f.evidence.line for f in result.findings] == [7]
    assert any(e.line == 6 and "KiB were parsed" in e.message for e in result.errors)


def test_nul_run_from_a_crash(tmp_path: Path) -> None:
    head, tail = proxy_text(5).split(SSRF)
    write(tmp_path, PROXY, head.encode() + b"\x00" * 300_000 + SSRF.encode() + tail.encode())
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert [f.evidence.line for f in result.findings] == [11]
    assert any("300000 NUL" in e.message and e.line == 11 for e in result.errors)


def test_binary_file_named_like_a_log(tmp_path: Path) -> None:
    import random

    write(tmp_path, PROXY, random.Random(3).randbytes(200_000))
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert result.findings == [] and "HttpProxy" not in result.coverage
    assert "binary" in result.errors[0].message


def test_truncated_last_record_is_still_checked(tmp_path: Path) -> None:
    cut = SSRF[: SSRF.index(",241,") + 5]  # the file ends right after the status
    write(tmp_path, PROXY, proxy_text().split(SSRF)[0] + cut)
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    (f,) = result.findings
    assert f.evidence.line == 16
    assert any("cut short" in e.message and e.line == 16 for e in result.errors)


def test_malformed_lines_among_good_ones(tmp_path: Path) -> None:
    garbage = [
        '"unbalanced, quote ServerInfo~',
        ",,,,,,,",
        "ServerInfo~",
        "\u202e\u0000\x1b[31m",
        "2021-03-03T06:00:00Z," + '"' * 99,
        "#Fields: only,two",
        "2021-03-03T06:00:01Z,x",
    ]
    text = httpproxy_log([*benign_httpproxy(3), *garbage, f"#Fields: {','.join(HTTPPROXY_FIELDS)}", SSRF])
    write(tmp_path, PROXY, text)
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert [f.evidence.line for f in result.findings] == [17]


def test_iis_fields_change_to_a_layout_without_the_columns(tmp_path: Path) -> None:
    text = (
        iis_log([ENTRY])
        + "#Fields: date time s-ip\r\n2021-03-03 07:00:00 10.0.0.1\r\n"
        + (
            "#Fields: " + " ".join(["date", "time", "cs-uri-stem", "cs-method", "c-ip", "sc-status"]) + "\r\n"
            "2021-03-03 08:00:00 /ecp/main.css POST 198.51.100.1 200\r\n"
        )
    )
    write(tmp_path, IIS, text)
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    assert [(f.evidence.line, f.source_ip) for f in result.findings] == [(5, "203.0.113.1"), (9, "198.51.100.1")]


HOSTILE = [
    '"; DROP TABLE x; --',
    "a,b,c",
    'quote " inside',
    "\x1b[2J\x1b[31mred",
    "[bold red]markup[/]",
    "\u202eevil\u202c",
    "\U0001f4a3 bomb",
    "C:\\path\\..\\..\\x",
    "#Fields: DateTime,Evil",
    "%00%0d%0a",
    "ServerInfo~localhost/",
    "<script>alert(1)</script>",
    "x" * 5000,
]


def test_attacker_text_in_every_httpproxy_field(tmp_path: Path) -> None:
    row: dict[str, str] = {}
    for i, name in enumerate(HTTPPROXY_FIELDS):
        row[name] = HOSTILE[i % len(HOSTILE)]
    row.update(
        DateTime="2021-03-03T06:45:00.000Z",
        AnchorMailbox='ServerInfo~a]@EX01:444/ecp/,"x"#',
        HttpStatus="241",
        ClientIpAddress="203.0.113.5",
    )
    attack = httpproxy_row(**row)
    write(tmp_path, PROXY, httpproxy_log([*benign_httpproxy(4), attack, SSRF]))
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    first, second = by_rule(result, "EXH-PL-26855-SSRF")
    assert (first.evidence.line, second.evidence.line) == (10, 11)
    assert first.detail("anchor_mailbox") == 'ServerInfo~a]@EX01:444/ecp/,"x"#'
    assert first.detail("user_agent") == row["UserAgent"][:1000]  # kept as written, never escaped
    assert first.source_ip == "203.0.113.5"
    assert len(first.evidence.excerpt or "") <= 600


def test_attacker_text_in_every_iis_field(tmp_path: Path) -> None:
    hostile_ua = "\x1b[31m<script>\u202e" + "%" * 300
    lines = [
        iis_line(
            **{
                "cs-uri-stem": "/ecp/x.js",
                "cs-method": "POST",
                "cs(User-Agent)": hostile_ua,
                "cs-uri-query": "a='\"<>`${x}`&cafeReqId=not-a-guid",
                "cs-username": "\\\\evil$",
                "cs(Referer)": "javascript:alert(1)",
            }
        ),
        "2021-03-03 06:41:00 \x00\x01\x02 ### /owa/auth/x.aspx",
        ENTRY,
    ]
    write(tmp_path, IIS, iis_log(lines))
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    assert [f.evidence.line for f in by_rule(result, "EXH-PL-IIS-SSRF-ENTRY")] == [5, 7]
    assert result.findings[0].detail("user_agent") == hostile_ua
    assert result.findings[0].detail("cafe_request_id") is None


def test_unreadable_files_are_errors(tmp_path: Path) -> None:
    missing = EvidenceFile(FileRef(str(tmp_path / "nope.log")), "nope.log", ArtefactKind.HTTPPROXY, 0)
    folder = EvidenceFile(FileRef(str(tmp_path)), "a-folder.log", ArtefactKind.IIS, 0)
    for analyzer, file in (("httpproxy-log", missing), ("iis-log", folder)):
        result = run(analyzer, file)
        assert result.findings == [] and result.coverage == {}
        assert "cannot open" in result.errors[0].message and result.errors[0].path == file.rel_path


def test_corrupt_zip_member_is_an_error(tmp_path: Path) -> None:
    archive = tmp_path / "c.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("HttpProxy.LOG", proxy_text() * 200)
    raw = bytearray(archive.read_bytes())
    raw[200:260] = b"\xff" * 60  # damage the compressed stream
    archive.write_bytes(bytes(raw))
    file = EvidenceFile(FileRef("HttpProxy.LOG", str(archive)), "c.zip/HttpProxy.LOG", ArtefactKind.HTTPPROXY, 1)
    result = run("httpproxy-log", file)
    assert result.errors and result.errors[0].path == "c.zip/HttpProxy.LOG"


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    write(tmp_path, PROXY, "")
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert result.findings == [] and result.coverage["HttpProxy"].records == 0 and not result.errors
    write(tmp_path, IIS, iis_log([]))
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    assert result.coverage["IIS"].files == 1 and result.coverage["IIS"].first is None


def test_a_record_that_breaks_a_detector_costs_only_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from exhunt.analyzers import httpproxy

    real = httpproxy.HttpProxyAnalyzer.check

    def flaky(self: object, rec: object, rules: frozenset[str], hunt: object) -> None:
        if getattr(rec, "line", 0) == 16:
            raise ValueError("unforeseen")
        real(self, rec, rules, hunt)  # type: ignore[arg-type]

    monkeypatch.setattr(httpproxy.HttpProxyAnalyzer, "check", flaky)
    write(tmp_path, PROXY, httpproxy_log([*benign_httpproxy(10), SSRF, SSRF]))
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert [f.evidence.line for f in result.findings] == [17]
    assert any(e.line == 16 and "unforeseen" in e.message for e in result.errors)


def test_logs_appended_to_each_other_with_their_bom(tmp_path: Path) -> None:
    one = iis_log(benign_iis(3)).encode()
    two = codecs.BOM_UTF8 + (
        b"#Software: Microsoft Internet Information Services 10.0\r\n"
        b"#Fields: cs-method cs-uri-stem c-ip sc-status date time\r\n"
        b"POST /ecp/y.js 203.0.113.8 241 2021-03-04 01:02:03\r\n"
    )
    write(tmp_path, IIS, codecs.BOM_UTF8 + one + two)
    result = run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    (f,) = result.findings
    assert (f.evidence.line, f.source_ip, f.implies.value) == (10, "203.0.113.8", "compromise")
    assert not result.errors


def test_pathological_values_stay_fast(tmp_path: Path) -> None:
    import time

    from exhunt.analyzers.ecp import DETECTOR, script_in_vdir_url
    from exhunt.ruleparams import EcpVdirParams
    from exhunt.rules import rules_of

    p = rules_of(DETECTOR)[0].params_as(EcpVdirParams)

    anchor = "ServerInfo~" + "/" * 200_000
    write(tmp_path, PROXY, httpproxy_log([httpproxy_row(AnchorMailbox=anchor, HttpStatus="200")]))
    started = time.perf_counter()
    result = run("httpproxy-log", evidence(tmp_path, PROXY, ArtefactKind.HTTPPROXY))
    assert [f.rule_id for f in result.findings] == ["EXH-PL-26855-SSRF"]
    hostile = "Set-OabVirtualDirectory.ExternalUrl=" + "<a" * 100_000
    assert script_in_vdir_url("S:CMD=" + hostile, p) is None
    assert script_in_vdir_url(hostile, p) is None
    assert script_in_vdir_url("x;" + hostile + "></a>", p) is not None
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    "fields",
    [
        {"cs-uri-stem": "/owa/" + "@" * 200_000 + "/x"},
        {"cs-uri-stem": "/autodiscover/autodiscover.json", "cs-uri-query": "@" + "a@" * 100_000},
        {"cs-uri-stem": "/autodiscover/autodiscover.json", "cs-uri-query": "&" + "a" * 200_000 + "powershell"},
        {"cs-uri-stem": "/autodiscover/autodiscover.json", "cs-uri-query": "%25" * 60_000 + "powershell"},
        {"cs-uri-stem": "/x.aspx", "cs-uri-query": "proxy&" + "port=1&" * 30_000},
        {"cs-uri-stem": "/owa/auth/" + "/" * 100_000 + "x.aspx"},
    ],
    ids=["owa-at", "ps-at", "pns-run", "pct", "tunnel", "slashes"],
)
def test_hostile_iis_fields_stay_fast(tmp_path: Path, fields: dict[str, str]) -> None:
    import time

    write(tmp_path, IIS, iis_log([iis_line(**fields)]))
    started = time.perf_counter()
    run("iis-log", evidence(tmp_path, IIS, ArtefactKind.IIS))
    assert time.perf_counter() - started < 3


def test_hostile_oab_line_stays_fast(tmp_path: Path) -> None:
    import time

    write(tmp_path, "OAB/x.LOG", "Download failed and temporary file " * 7000 + "\r\n")
    started = time.perf_counter()
    result = run("oab-generator-log", evidence(tmp_path, "OAB/x.LOG", ArtefactKind.OAB_GENERATOR))
    assert result.findings == [] and time.perf_counter() - started < 3
