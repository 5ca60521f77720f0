"""The shipped prefilter pattern sets must find in hyperscan exactly what Python's `re` finds.

A regex engine bug in the prefilter silently hides attack lines, so every analyzer's pattern
set is held against `re` on random lines built from the rules' own words, their URL-encoded
forms and separators (one such bug is why `all_words` avoids some pattern shapes).
"""

from __future__ import annotations

import bisect
import random
import re

import pytest

from exhunt.analyzers import registry
from exhunt.analyzers.logscan import LogAnalyzer
from exhunt.artefacts import prefilter as prefilter_module
from exhunt.artefacts.prefilter import Pattern, Prefilter, all_words

FRAGMENTS = [
    "autodiscover",
    "autodiscover.json",
    "/autodiscover/autodiscover.json",
    "powershell",
    "Powershell",
    "%50owershell",
    "%2570owershell",
    "p%4Fwershell",
    "%61utodiscover",
    "%2561utodiscover",
    "/owa/",
    "%2fowa%2f",
    "@",
    "%40",
    "%2540",
    "?",
    "?@",
    " @",
    ",?@",
    "%3f@",
    "&",
    "=",
    "&FooProtocol=",
    "Protocol",
    "o",
    "oo",
    " ",
    ",",
    "/",
    "x-rps-cat",
    "X-Rps-CAT=",
    "Email=autodiscover",
    "Email%3dautodiscover",
    "ServerInfo~",
    "Server~a/b~1,",
    "/ecp/y.js",
    "/ecp/default.flt ",
    "POST ",
    "GET ",
    "/owa/auth/Current/",
    "/owa/auth/x.js ",
    "/aspnet_client/a.aspx",
    "/owa/auth/logon.aspx",
    "/ecp/auth/z.ashx",
    "cmd=read",
    "cmd=connect",
    " proxy ",
    " proxy&port=1",
    "a..foo",
    "EDiscoveryExportTool",
    "/exporttool/",
    "VirtualDirectory",
    "Download failed and temporary file",
    "#",
    "python-requests/2.25.1",
    "Googlebot",
    "/owa/auth/chackidse.aspx",
    "/ews/333.aspx",
    "%",
    "%%",
    "\t",
]


def random_lines(seed: int, n: int = 20000) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randrange(1, 12))) for _ in range(n)]


def line_hits(pf: Prefilter, lines: list[str]) -> set[tuple[int, int]]:
    data = ("\n".join(lines) + "\n").encode()
    starts, pos = [], 0
    for text in lines:
        starts.append(pos)
        pos += len(text.encode()) + 1
    return {(bisect.bisect_right(starts, end - 1) - 1, pid) for end, pid in pf.scan(data)}


def analyzers() -> list[LogAnalyzer]:
    return [a for a in registry().values() if isinstance(a, LogAnalyzer)]


@pytest.mark.parametrize("analyzer", analyzers(), ids=lambda a: a.name)
def test_hyperscan_and_re_agree_on_every_shipped_pattern_set(
    analyzer: LogAnalyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    patterns = analyzer.patterns()
    if not patterns:
        pytest.skip("this analyzer reads every line")
    lines = random_lines(hash(analyzer.name) % 1000)
    fast = Prefilter(patterns)
    assert fast.engine == "hyperscan" and fast._db is not None
    monkeypatch.setattr(prefilter_module, "hyperscan", None)
    slow = Prefilter(patterns)
    assert line_hits(fast, lines) == line_hits(slow, lines)


def test_all_words_is_a_superset_of_both_words_possibly_encoded() -> None:
    words = ("autodiscover", "powershell")
    shapes = [(re.compile(p.regex, re.IGNORECASE), p.also) for p in all_words("g", words)]
    enc = [prefilter_module.encoded_word(w) for w in words]
    gap = r"[^\n]*"
    both = [re.compile((enc[0] + gap + enc[1]).encode(), re.I), re.compile((enc[1] + gap + enc[0]).encode(), re.I)]
    found = 0
    for text in random_lines(11, 5000):
        raw = text.encode()
        if any(rx.search(raw) for rx in both):
            found += 1
            assert any(rx.search(raw) and (not also or any(w in raw.lower() for w in also)) for rx, also in shapes), (
                text
            )
    assert found > 100


def test_prepare_compiles_each_log_prefilter_before_the_workers_fork() -> None:
    from exhunt.analyzers import HuntOptions, prepare
    from exhunt.artefacts.prefilter import compiled
    from exhunt.model import ArtefactKind

    compiled.cache_clear()
    prepare([ArtefactKind.IIS, ArtefactKind.IIS, ArtefactKind.HTTPPROXY], HuntOptions())
    done = compiled.cache_info()
    assert done.misses >= 2  # one database per log analyzer of those kinds
    for analyzer in analyzers():
        if analyzer.kinds & {ArtefactKind.IIS, ArtefactKind.HTTPPROXY}:
            analyzer.prepare()  # what a worker's scan asks for: already there
    assert compiled.cache_info().misses == done.misses


def test_any_answers_what_a_full_scan_answers_with_either_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    patterns = [Pattern.literal("listed", text) for text in ("198.51.100.7", "evil.example", "192.0.2.")]
    texts = [b"", b"IpAddress 198.51.100.70", b"cdn.EVIL.example", b"192.0.3.1 notevil.exampl", b"10.0.0.5"]
    fast = Prefilter(patterns)
    answers = [fast.any(t) for t in texts]
    assert answers == [bool(fast.scan(t)) for t in texts] == [False, True, True, False, False]
    monkeypatch.setattr(prefilter_module, "hyperscan", None)
    slow = Prefilter(patterns)
    assert fast._db is not None and slow._db is None
    assert [slow.any(t) for t in texts] == answers
