"""Fingerprinting, check verdicts and exposure on hand-made replies (no network)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from emulator import exporttool_manifest, logon_page, make_certificate
from exhunt.builds import assess_build
from exhunt.scan.certificate import parse_certificate
from exhunt.scan.checks import CHECKS, CheckResult, CheckVerdict, HostContext
from exhunt.scan.client import ErrorKind, Exchange, ProbeError, Reply
from exhunt.scan.exposure import apply_build, apply_checks
from exhunt.scan.fingerprint import (
    EXPORTTOOL_PATH,
    BuildSource,
    fingerprint,
    normalise_build,
    product_of,
)
from exhunt.scan.result import HostResult


def reply(path: str, status: int = 200, headers: dict[str, str] | None = None, body: str | bytes = b"") -> Reply:
    raw = body.encode() if isinstance(body, str) else body
    return Reply(path, status, tuple((headers or {}).items()), raw)


def test_normalise_build() -> None:
    assert normalise_build("15.01.2176.009") == ("15.1.2176.9", 4)
    assert normalise_build(" 15.2.1118 ") == ("15.2.1118", 3)
    assert normalise_build("14.3.513.0") == ("14.3.513.0", 4)
    for bad in ("16.0.1.1", "15.9.1.1", "15.1", "15.1.2176.9.1", "15.1.x.9", "", "15.1.99999999.1"):
        assert normalise_build(bad) is None


def test_products() -> None:
    assert product_of("15.0.1497.2") == "Exchange Server 2013"
    assert product_of("15.1.2176") == "Exchange Server 2016"
    assert product_of("15.2.1118.20") == "Exchange Server 2019"
    assert product_of("15.2.2562.17") == "Exchange Server SE"
    assert product_of("14.3.513.0") == "Exchange Server 2010"


def test_header_outranks_manifest_and_logon_page() -> None:
    fp = fingerprint(
        [
            reply(
                "/owa/auth/logon.aspx", headers={"X-OWA-Version": "15.1.2176.14"}, body=logon_page("15.1.2176.14", 3)
            ),
            reply(EXPORTTOOL_PATH, body=exporttool_manifest("15.1.2176.14")),
        ]
    )
    assert fp.is_exchange
    assert (fp.build, fp.build_source, fp.build_precision) == ("15.1.2176.14", BuildSource.OWA_VERSION_HEADER, "exact")
    assert [c.source for c in fp.clues] == [
        BuildSource.OWA_VERSION_HEADER,
        BuildSource.EXPORTTOOL_MANIFEST,
        BuildSource.OWA_LOGON_PAGE,
    ]
    assert not any("disagree" in e for e in fp.evidence)


def test_manifest_outranks_logon_page() -> None:
    fp = fingerprint(
        [
            reply("/owa/auth/logon.aspx", body=logon_page("15.2.986.5", 3)),
            reply(EXPORTTOOL_PATH, body=exporttool_manifest("15.2.986.5")),
        ]
    )
    assert (fp.build, fp.build_source, fp.build_precision) == ("15.2.986.5", BuildSource.EXPORTTOOL_MANIFEST, "exact")


def test_logon_page_alone_gives_the_cu_only() -> None:
    fp = fingerprint([reply("/owa/auth/logon.aspx", body=logon_page("15.1.2176.2", 3))])
    assert (fp.build, fp.build_source, fp.build_precision) == ("15.1.2176", BuildSource.OWA_LOGON_PAGE, "cu")
    assert fp.product == "Exchange Server 2016"
    assert any("IsOwaPremiumBrowser" in e for e in fp.evidence)


def test_exchange_2010_logon_paths_carry_four_parts() -> None:
    fp = fingerprint([reply("/owa/auth/logon.aspx", body=logon_page("14.3.513.0", 4))])
    assert (fp.build, fp.build_precision, fp.product) == ("14.3.513.0", "exact", "Exchange Server 2010")


def test_leak_headers_identify_exchange_without_a_build() -> None:
    fp = fingerprint(
        [reply("/owa/", 401, {"X-FEServer": "EXCH01", "X-BEServer": "EXCH02.corp.example", "X-DiagInfo": "EXCH02"})]
    )
    assert fp.is_exchange and fp.build is None
    assert fp.leaks == {"X-FEServer": "EXCH01", "X-BEServer": "EXCH02.corp.example", "X-DiagInfo": "EXCH02"}


def test_a_redirect_to_the_logon_path_alone_is_not_enough() -> None:
    fp = fingerprint([reply("/owa/", 302, {"Location": "https://x/owa/auth/logon.aspx?url=y"})])
    assert not fp.is_exchange
    assert any("redirects to /owa/auth/logon.aspx" in e for e in fp.evidence)


def test_lying_values_are_evidence_not_builds() -> None:
    fp = fingerprint(
        [
            reply("/owa/", headers={"X-OWA-Version": "15.1.2176.2\x1b[31m<script>" + "9" * 500}),
            reply(
                EXPORTTOOL_PATH,
                body=b"<assemblyIdentity name='microsoft.exchange.ediscovery.exporttool' version='15.1.9'/>",
            ),
            reply("/owa/auth/logon.aspx", body=b"\xff\xfe/owa/auth/99.1.2/themes/ junk \x00" * 1000),
        ]
    )
    assert not fp.is_exchange and fp.build is None
    assert all(e.isprintable() and len(e) < 300 for e in fp.evidence)


def test_disagreeing_sources_are_reported() -> None:
    fp = fingerprint(
        [
            reply("/owa/", headers={"X-OWA-Version": "15.2.1118.20"}),
            reply("/owa/auth/logon.aspx", body=logon_page("15.1.2507.16", 3)),
        ]
    )
    assert fp.build == "15.2.1118.20"
    assert any("disagree" in e for e in fp.evidence)


def test_most_cited_logon_version_wins() -> None:
    page = logon_page("15.1.2507.6", 3) + '<img src="/owa/auth/15.1.2375/themes/resources/old.png">'
    fp = fingerprint([reply("/owa/auth/logon.aspx", body=page)])
    assert fp.build == "15.1.2507"


# --- checks ----------------------------------------------------------------------------------

EXCHANGE_CTX = HostContext(is_exchange=True, sends_fe_server=True)


def judged(name: str, exchange: Exchange, ctx: HostContext = EXCHANGE_CTX) -> CheckResult:
    return CHECKS[name].judge(exchange, ctx)


def answered(path: str, status: int, headers: dict[str, str] | None = None) -> Exchange:
    return Exchange(path, [reply(path, status, headers)])


def dropped(path: str, kind: ErrorKind = ErrorKind.ABORTED) -> Exchange:
    return Exchange(path, error=ProbeError(kind, "server closed the connection"))


def test_proxylogon_verdicts() -> None:
    path = CHECKS["proxylogon"].path
    assert (
        judged("proxylogon", answered(path, 500, {"X-CalculatedBETarget": "localhost"})).verdict
        is CheckVerdict.VULNERABLE
    )
    # 302 counts too (docs/detection/proxylogon.md#the-nmap-probe-and-its-trace: the status requirement was dropped)
    assert (
        judged("proxylogon", answered(path, 302, {"X-CalculatedBETarget": "LOCALHOST"})).verdict
        is CheckVerdict.VULNERABLE
    )
    assert judged("proxylogon", answered(path, 404, {"X-FEServer": "EXCH01"})).verdict is CheckVerdict.NOT_VULNERABLE
    backend = answered(path, 500, {"X-CalculatedBETarget": "exch02.corp.example"})
    assert judged("proxylogon", backend).verdict is CheckVerdict.NOT_VULNERABLE
    assert judged("proxylogon", dropped(path)).verdict is CheckVerdict.MITIGATED
    assert judged("proxylogon", dropped(path, ErrorKind.TIMEOUT)).verdict is CheckVerdict.UNKNOWN


def test_proxylogon_request_is_the_nmap_one() -> None:
    check = CHECKS["proxylogon"]
    assert check.path == "/owa/auth/x.js"
    cookie = dict(check.headers)["Cookie"]
    assert "X-AnonResource-Backend=localhost/ecp/default.flt?~3" in cookie
    assert "X-BEResource=localhost/owa/auth/logon.aspx?~3" in cookie


def test_proxyshell_verdicts() -> None:
    path = CHECKS["proxyshell"].path
    assert (
        judged("proxyshell", answered(path, 302, {"Location": "/owa/auth/logon.aspx"})).verdict
        is CheckVerdict.VULNERABLE
    )
    assert judged("proxyshell", answered(path, 400)).verdict is CheckVerdict.NOT_VULNERABLE
    assert judged("proxyshell", answered(path, 200)).verdict is CheckVerdict.UNKNOWN
    assert judged("proxyshell", answered(path, 403)).verdict is CheckVerdict.UNKNOWN
    # a front that sends everything to a sign-on page is not the backend's OWA
    assert (
        judged("proxyshell", answered(path, 302, {"Location": "https://sso.example.com/login"})).verdict
        is CheckVerdict.UNKNOWN
    )
    assert (
        judged(
            "proxyshell",
            answered(path, 302, {"Location": "/owa/"}),
            HostContext(is_exchange=False, sends_fe_server=False),
        ).verdict
        is CheckVerdict.UNKNOWN
    )


def test_proxynotshell_mitigation_verdicts() -> None:
    path = CHECKS["proxynotshell"].path
    assert "FooProtocol=Powershell" in path and "autodiscover.json" in path
    assert judged("proxynotshell", answered(path, 400, {"X-FEServer": "EXCH01"})).verdict is CheckVerdict.NOT_MITIGATED
    assert judged("proxynotshell", dropped(path)).verdict is CheckVerdict.MITIGATED
    assert judged("proxynotshell", answered(path, 403)).verdict is CheckVerdict.MITIGATED
    no_baseline = HostContext(is_exchange=True, sends_fe_server=False)
    assert judged("proxynotshell", answered(path, 403), no_baseline).verdict is CheckVerdict.UNKNOWN


# --- exposure --------------------------------------------------------------------------------


def result_with(build: str | None) -> HostResult:
    r = HostResult("t", "https://t:443", "t", 443, is_exchange=True, reachable=True, build=build)
    apply_build(r)
    return r


def test_exposure_follows_the_build_table() -> None:
    r = result_with("15.1.2176.9")
    expected = {c: str(e.status) for c, e in assess_build("15.1.2176.9").exposure.items()}
    assert r.exposure == expected
    # facts from docs/builds.md#fixing-updates-per-chain: CU19 Mar21SU fixes ProxyLogon, not ProxyShell
    assert r.exposure["ProxyLogon"] == "patched"
    assert r.exposure["ProxyShell"] == "vulnerable"
    assert r.exposed


def test_cu_only_build_is_vulnerable_unless_su() -> None:
    r = result_with("15.1.2176")
    assert r.exposure["ProxyLogon"] == "vulnerable-unless-su"
    assert r.exposure["ProxyShell"] == "vulnerable-unless-su"


def test_no_build_means_unknown() -> None:
    r = result_with(None)
    assert set(r.exposure.values()) == {"unknown"}
    assert not r.exposed


def test_a_positive_check_overrides_and_implies_later_chains() -> None:
    r = result_with("15.1.2176")
    apply_checks(r, [CheckResult("proxylogon-ssrf", "ProxyLogon", CheckVerdict.VULNERABLE, "seen")])
    assert r.exposure["ProxyLogon"] == "vulnerable"
    assert r.exposure["ProxyShell"] == "vulnerable"
    assert any("inferred" in n for n in r.exposure_notes["ProxyShell"])
    r = result_with(None)
    apply_checks(r, [CheckResult("proxyshell-autodiscover", "ProxyShell", CheckVerdict.VULNERABLE, "302")])
    assert r.exposure == {
        "ProxyLogon": "unknown",
        "ProxyShell": "vulnerable",
        "ProxyNotShell": "vulnerable",
        "OWASSRF": "vulnerable",
    }


def test_check_contradicting_a_patched_build_is_noted() -> None:
    r = result_with("15.2.1118.20")
    apply_checks(r, [CheckResult("proxyshell-autodiscover", "ProxyShell", CheckVerdict.VULNERABLE, "302")])
    assert r.exposure["ProxyShell"] == "vulnerable"
    assert any("build says patched" in n for n in r.exposure_notes["ProxyShell"])


def test_a_mitigation_is_noted_but_not_a_fix() -> None:
    r = result_with("15.1.2507.6")
    before = dict(r.exposure)
    apply_checks(r, [CheckResult("proxynotshell-mitigation", "ProxyNotShell", CheckVerdict.MITIGATED, "aborted")])
    assert r.exposure == before
    assert any("not a fix" in n for n in r.exposure_notes["ProxyNotShell"])
    assert any("OWASSRF" in n for n in r.exposure_notes["OWASSRF"])


# --- certificates ----------------------------------------------------------------------------


def test_certificate_fields_match_pythons_own_decoder(tmp_path: Path) -> None:
    try:
        cert, _ = make_certificate(
            tmp_path, "EXCH01.corp.example", "DNS:mail.example.com,DNS:autodiscover.example.com,IP:127.0.0.5"
        )
    except FileNotFoundError:
        pytest.skip("openssl command not found: cannot make a test certificate")
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    info = parse_certificate(der)
    decoded = ssl._ssl._test_decode_cert(str(cert))  # type: ignore[attr-defined]
    assert info.subject == "CN=EXCH01.corp.example, O=Example Org"
    assert info.self_signed
    assert info.san == ("DNS:mail.example.com", "DNS:autodiscover.example.com", "IP:127.0.0.5")
    assert info.not_after is not None
    assert info.not_after.timestamp() == ssl.cert_time_to_seconds(decoded["notAfter"])
    assert info.not_before is not None
    assert info.not_before.timestamp() == ssl.cert_time_to_seconds(decoded["notBefore"])
    assert len(info.sha256) == 64


@pytest.mark.parametrize(
    "der", [b"", b"\x30", b"\x30\x82\xff\xff" + b"\x00" * 10, b"\x30\x03\x02\x01\x01", bytes(range(256)) * 4]
)
def test_broken_certificates_give_empty_fields(der: bytes) -> None:
    info = parse_certificate(der)
    assert info.subject is None and info.san == () and len(info.sha256) == 64


@pytest.mark.parametrize(
    "answers",
    [
        # two X-OWA-Version headers in one answer, the patched one first
        [Reply("/owa/", 200, (("X-OWA-Version", "15.2.1544.4"), ("X-OWA-Version", "15.1.2176.2")), b"")],
        # a different build in each answer (several servers behind one name)
        [
            reply("/owa/", headers={"X-OWA-Version": "15.2.1544.4"}),
            reply("/owa/auth/logon.aspx", headers={"X-OWA-Version": "15.1.2176.2"}),
        ],
    ],
)
def test_disagreeing_build_headers_judge_the_earliest_and_say_so(answers: list[Reply]) -> None:
    # The first header to arrive is chance: judging it alone called a name patched although
    # one of the servers behind it answered with a build open to every chain.
    fp = fingerprint(answers)
    assert fp.build == "15.1.2176.2" and fp.build_source == BuildSource.OWA_VERSION_HEADER
    assert any("X-OWA-Version differs" in e and "15.2.1544.4" in e for e in fp.evidence)


def test_one_build_repeated_in_headers_is_no_disagreement() -> None:
    fp = fingerprint(
        [
            Reply("/owa/", 200, (("X-OWA-Version", "15.1.2176.2"), ("X-OWA-Version", "15.01.2176.002")), b""),
            reply("/owa/auth/logon.aspx", headers={"X-OWA-Version": "15.1.2176.2"}),
        ]
    )
    assert fp.build == "15.1.2176.2" and not any("differs" in e for e in fp.evidence)
