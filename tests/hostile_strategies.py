"""Hypothesis strategies for any value a finding, an incident or a hunt result can hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from exhunt.model import (
    Category,
    CoverageSpan,
    EvidenceRef,
    FileFacet,
    Finding,
    HostAssessment,
    HuntResult,
    Implies,
    Incident,
    Problem,
    ProblemKind,
    Severity,
    Verdict,
)

# Text as evidence can hold it: control characters, escape sequences, bidi overrides, lone
# surrogates (undecodable bytes of a file name), markup, formulas.
HOSTILE = [
    "\x1b]52;c;SGVsbG8=\x07",
    "\x1b[2J\x1b[H",
    "\x07",
    "\u202egnp.exe",
    "\udcff",
    "\ud800",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "=cmd|' /C calc'!A0",
    "\r\n",
    "\x00",
    "\x9b31m",
]
text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.text(alphabet=st.characters(), max_size=20))
maybe_text = st.none() | text
# Any date a datetime can hold, and the ends of the calendar on purpose.
dates = st.one_of(
    st.sampled_from([datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)]),
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2023, 1, 1), timezones=st.just(UTC)),
)
maybe_date = st.none() | dates


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    return Finding(
        rule_id=draw(st.sampled_from(["webshell-file", "proxylogon-ssrf", "x\x1b[31m"]) | text),
        rule_version=draw(st.integers(min_value=0, max_value=2**31)),
        title=draw(text),
        severity=draw(st.sampled_from(list(Severity))),
        category=draw(st.sampled_from(list(Category))),
        implies=draw(st.sampled_from(list(Implies))),
        cves=tuple(draw(st.lists(text, max_size=2))),
        chain=draw(st.none() | st.sampled_from(["proxylogon", "proxyshell"]) | text),
        evidence=EvidenceRef(
            draw(text),
            draw(st.none() | st.integers(min_value=0, max_value=2**40)),
            draw(maybe_text),
            draw(st.none() | st.just("ab" * 32) | text),
            draw(st.none() | st.integers(min_value=0, max_value=2**40).map(str) | text),
        ),
        timestamp=draw(maybe_date),
        source_ip=draw(st.none() | st.sampled_from(["203.0.113.7", "2001:db8::1", "10.0.0.1, 10.0.0.2"]) | text),
        file=draw(st.none() | st.builds(FileFacet, text, st.none() | st.just("cd" * 32))),
        details=tuple(
            draw(st.lists(st.tuples(st.sampled_from(["url", "user_agent", "method"]) | text, text), max_size=3))
        ),
    )


@st.composite
def hosts(draw: st.DrawFn) -> HostAssessment:
    found = draw(st.lists(findings(), max_size=4))
    return HostAssessment(
        host=draw(text),
        verdict=draw(st.sampled_from(list(Verdict))),
        verdict_reason=draw(text),
        root=draw(text),
        layout=draw(text),
        findings=found,
        log_coverage=draw(
            st.dictionaries(
                st.sampled_from(["httpproxy", "iis", "ecp"]) | text,
                st.builds(CoverageSpan, maybe_date, maybe_date, st.integers(0, 10**6), st.integers(0, 10**9)),
                max_size=3,
            )
        ),
        blind_spots=draw(st.lists(text, max_size=2)),
        incidents=draw(
            st.lists(
                st.builds(
                    Incident,
                    text,
                    maybe_text,
                    maybe_date,
                    maybe_date,
                    st.lists(text, max_size=2).map(tuple),
                    st.lists(text, max_size=2).map(tuple),
                    st.integers(0, 10**6),
                    st.sampled_from(list(Severity)),
                ),
                max_size=3,
            )
        ),
        errors=draw(
            st.lists(
                st.builds(
                    Problem, text, text, st.none() | st.integers(0, 10**9), st.sampled_from(list(ProblemKind)), text
                ),
                max_size=3,
            )
        ),
        notes=draw(st.lists(text, max_size=2)),
    )


@st.composite
def hunt_results(draw: st.DrawFn) -> HuntResult:
    started = draw(dates)
    return HuntResult(
        draw(text),
        started,
        started + timedelta(0),
        draw(st.lists(hosts(), min_size=1, max_size=1) | st.lists(hosts(), min_size=2, max_size=2)),
    )
