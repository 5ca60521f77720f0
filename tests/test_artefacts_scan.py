from __future__ import annotations

import io
import random
import re

import pytest

from exhunt.artefacts import prefilter as prefilter_module
from exhunt.artefacts.prefilter import Pattern, Prefilter, all_words, encoded_word
from exhunt.artefacts.reader import ErrorLog
from exhunt.artefacts.scan import LogScan

PATTERNS = (Pattern.literal("SSRF", "ServerInfo~"), *all_words("PNS", ["autodiscover", "powershell"]))


def scan(data: bytes, **kw: object) -> tuple[list, LogScan]:
    log = ErrorLog("x.log")
    s = LogScan(io.BytesIO(data), log, PATTERNS, **kw)  # type: ignore[arg-type]
    return list(s), s


def random_log(seed: int, n: int = 3000) -> tuple[bytes, set[int], set[int]]:
    """Random lines; returns the data, the numbers of SSRF lines and of PNS lines."""
    rng = random.Random(seed)
    lines, ssrf, pns = [], set(), set()
    for i in range(1, n + 1):
        r = rng.random()
        if r < 0.01:
            lines.append(f"#Fields: a b c {i}")
        elif r < 0.03:
            lines.append(f"x,{i},SERVERINFO~a]@ex:444/ecp/y,200")
            ssrf.add(i)
        elif r < 0.05:
            lines.append(f"x,{i},/autodiscover/autodiscover.json?@a/%50owershell,200")
            pns.add(i)
        elif r < 0.06:
            lines.append("")
        elif r < 0.5:
            lines.append(f"2021-03-03T06:00:{i % 60:02d}Z,{i},/owa/,autodiscover.xml,200")  # one word only
        else:
            lines.append(f"2021-03-03T06:00:{i % 60:02d}Z,{i},/powershell,WinRM,200")
    return ("\r\n".join(lines) + "\r\n").encode(), ssrf, pns


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_candidates_and_numbers_match_a_naive_line_by_line_search(seed: int) -> None:
    data, ssrf, pns = random_log(seed)
    lines, s = scan(data, block_size=1500)
    got_ssrf = {ln.number for ln in lines if "SSRF" in ln.groups}
    got_pns = {ln.number for ln in lines if "PNS" in ln.groups}
    assert got_ssrf == ssrf and got_pns == pns
    text = data.decode().split("\r\n")[:-1]
    for ln in lines:
        assert ln.text == text[ln.number - 1]
    directives = sum(1 for t in text if t.startswith("#"))
    blank = sum(1 for t in text if not t)
    assert s.stats.lines == len(text)
    assert s.stats.directives == directives
    assert s.stats.records == len(text) - directives - blank


def test_directive_and_edge_lines_are_yielded() -> None:
    data = b"#Software: x\n#Fields: a b\n2021 first\nplain\nplain\n#Fields: a b c\nmiddle\nlast line\n"
    lines, s = scan(data)
    assert [(ln.number, ln.directive, ln.edge) for ln in lines] == [
        (1, True, False),
        (2, True, False),
        (3, False, True),
        (6, True, False),
        (8, False, True),
    ]
    assert s.stats.records == 5


def test_bare_header_lines_count_as_directives() -> None:
    data = b"DateTime,RequestId\n2021-03-03T00:00:00Z,1\n"
    lines, s = scan(data, header_prefixes=("DateTime,",))
    assert lines[0].directive and not lines[1].directive
    assert s.stats.records == 1


def test_last_complete_line_is_an_edge_when_the_file_ends_mid_line() -> None:
    lines, _ = scan(b"#Fields: a\none\ntwo\nthr")
    edges = [ln.number for ln in lines if ln.edge]
    assert edges == [2, 3, 4]
    assert lines[-1].complete is False and lines[-2].complete is True


def test_every_line_mode_yields_all_lines() -> None:
    data, _, _ = random_log(5, 400)
    lines, _ = scan(data, every_line=True, block_size=700)
    assert [ln.number for ln in lines] == list(range(1, 401))


def test_python_re_fallback_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    data, _, _ = random_log(7)
    fast = sorted(Prefilter(PATTERNS).scan(data))
    monkeypatch.setattr(prefilter_module, "hyperscan", None)
    slow = Prefilter(PATTERNS)
    assert slow._db is None
    assert sorted(slow.scan(data)) == fast


@pytest.mark.parametrize(
    "variant",
    [
        "powershell",
        "PowerShell",
        "%50owershell",
        "%2550owershell",
        "%70%6f%77%65%72%73%68%65%6c%6c",
        "p%4fwersh%45ll",
        "%2570owershell",
    ],
)
def test_encoded_word_matches_url_encoded_variants(variant: str) -> None:
    rx = re.compile(encoded_word("powershell").encode(), re.IGNORECASE)
    assert rx.search(f"/autodiscover.json?a..foo/{variant}".encode())


def test_encoded_word_does_not_match_other_words() -> None:
    rx = re.compile(encoded_word("powershell").encode(), re.IGNORECASE)
    assert not rx.search(b"/owa/powersheII")


STOCK = Pattern(
    "SHELL", rb"/owa/auth/[^ ?,\n]*\.as[phm]", unless=frozenset({b"/owa/auth/logon.aspx", b"/owa/auth/logoff.aspx"})
)


def test_a_stock_page_as_the_uri_stem_is_no_candidate() -> None:
    lines = [
        b"2021-03-03 06:00:00 10.0.0.1 GET /owa/auth/logon.aspx url=x 443",  # 1 stock stem
        b"2021-03-03 06:00:01 10.0.0.1 GET /OWA/auth//LogOff.aspx - 443\r",  # 2 stock, case and // folded
        b"2021-03-03 06:00:02 10.0.0.1 GET /owa/auth/shell.aspx - 443",  # 3 not stock
        b"2021-03-03 06:00:03 10.0.0.1 GET /owa/auth/logon.aspx.aspx - 443",  # 4 not the whole token
        b"2021-03-03 06:00:04 10.0.0.1 GET /ecp/x - 443 /owa/auth/logon.aspx",  # 5 not the first / token
        b"/owa/auth/logon.aspx 2021-03-03 06:00:05",  # 6 stock, first on its line
        b"2021-03-03 06:00:06 10.0.0.1 GET /owa/auth/logon.aspx - 443 - /owa/auth/x.aspx",  # 7 another match
    ]
    log = ErrorLog("x.log")
    found = [ln.number for ln in LogScan(io.BytesIO(b"\n".join(lines) + b"\n"), log, [STOCK]) if ln.groups]
    assert found == [3, 4, 5, 7]
    assert Prefilter.stock_token(lines[0], 0, 45, len(lines[0]), STOCK.unless)
    assert not Prefilter.stock_token(lines[2], 0, 45, len(lines[2]), STOCK.unless)
