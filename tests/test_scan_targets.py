from __future__ import annotations

import pytest

from exhunt.scan.targets import (
    Target,
    TargetError,
    TargetLimitError,
    expand_targets,
    parse_spec,
    read_spec_lines,
)


@pytest.mark.parametrize(
    ("spec", "host", "port", "scheme"),
    [
        ("mail.example.com", "mail.example.com", 443, "https"),
        ("MAIL.Example.COM.", "mail.example.com", 443, "https"),
        ("192.0.2.10", "192.0.2.10", 443, "https"),
        ("192.0.2.10:8443", "192.0.2.10", 8443, "https"),
        ("mail.example.com:80", "mail.example.com", 80, "http"),
        ("https://mail.example.com/owa/", "mail.example.com", 443, "https"),
        ("http://mail.example.com:8080/x?y=1", "mail.example.com", 8080, "http"),
        ("https://[2001:db8::5]:4443/", "2001:db8::5", 4443, "https"),
        ("[2001:db8::5]:8443", "2001:db8::5", 8443, "https"),
        ("[2001:db8::5]", "2001:db8::5", 443, "https"),
        ("2001:db8::5", "2001:db8::5", 443, "https"),
    ],
)
def test_single_specs(spec: str, host: str, port: int, scheme: str) -> None:
    target = parse_spec(spec)
    assert isinstance(target, Target)
    assert (target.host, target.port, target.scheme) == (host, port, scheme)


def test_base_url_brackets_ipv6() -> None:
    target = parse_spec("[2001:db8::5]:8443")
    assert isinstance(target, Target)
    assert target.base_url == "https://[2001:db8::5]:8443"
    assert target.key == "https://[2001:db8::5]:8443"


def test_default_port_applies_to_bare_hosts_only() -> None:
    ts = expand_targets(["192.0.2.1", "192.0.2.2:443", "mail.example.com"], default_port=8443)
    assert [(t.host, t.port) for t in ts.targets] == [
        ("192.0.2.1", 8443),
        ("192.0.2.2", 443),
        ("mail.example.com", 8443),
    ]


@pytest.mark.parametrize(
    "spec",
    [
        "bad..host",
        "-leading.example.com",
        "host:0",
        "host:70000",
        "host:http",
        "ftp://example.com/",
        "http:///nohost",
        "[zz::1]:443",
        "1:2:3",
        "10.0.0.0/33",
        "a b",
        "exa\x00mple.com",
        "'; DROP TABLE scans;--",
        "<script>",
        "12345",
        "x" * 3000,
        "ex\u00e4mple.com",
    ],
)
def test_bad_specs_are_refused_with_a_reason(spec: str) -> None:
    with pytest.raises(TargetError) as exc:
        parse_spec(spec)
    assert str(exc.value)


def test_ranges_skip_network_and_broadcast() -> None:
    ts = expand_targets(["192.0.2.0/30"])
    assert [t.host for t in ts.targets] == ["192.0.2.1", "192.0.2.2"]
    assert all(t.spec == f"{t.host}:443" for t in ts.targets)
    ts = expand_targets(["192.0.2.8/31", "192.0.2.77/32"])
    assert [t.host for t in ts.targets] == ["192.0.2.8", "192.0.2.9", "192.0.2.77"]


def test_range_with_port_and_ipv6_range() -> None:
    ts = expand_targets(["192.0.2.0/30:8443", "[2001:db8::/126]:444"])
    assert [(t.host, t.port) for t in ts.targets] == [
        ("192.0.2.1", 8443),
        ("192.0.2.2", 8443),
        ("2001:db8::", 444),
        ("2001:db8::1", 444),
        ("2001:db8::2", 444),
        ("2001:db8::3", 444),
    ]


def test_duplicates_are_dropped_and_counted() -> None:
    ts = expand_targets(["192.0.2.1", "192.0.2.1:443", "https://192.0.2.1/", "192.0.2.0/30"])
    assert [t.host for t in ts.targets] == ["192.0.2.1", "192.0.2.2"]
    assert ts.duplicates == 3


def test_bad_specs_are_kept_beside_good_ones() -> None:
    ts = expand_targets(["192.0.2.1", "bad..host", "192.0.2.2"])
    assert [t.host for t in ts.targets] == ["192.0.2.1", "192.0.2.2"]
    assert [b.spec for b in ts.bad] == ["bad..host"]
    assert "bad..host" in ts.bad[0].reason


def test_junk_input_keeps_a_bounded_number_of_bad_specs() -> None:
    ts = expand_targets([f"bad..{i}" for i in range(1500)])
    assert len(ts.bad) == 1000
    assert ts.bad_not_kept == 500


def test_limit_is_checked_before_expanding() -> None:
    with pytest.raises(TargetLimitError) as exc:
        expand_targets(["10.0.0.0/8"])
    assert "--max-targets" in str(exc.value)
    with pytest.raises(TargetLimitError):
        expand_targets(["192.0.2.0/24", "198.51.100.0/24"], max_targets=300)
    ts = expand_targets(["192.0.2.0/24", "198.51.100.0/24"], max_targets=508)
    assert len(ts.targets) == 508


def test_spec_lines_allow_comments_commas_and_spaces() -> None:
    lines = [
        "# servers\n",
        "192.0.2.1, 192.0.2.2\n",
        "\n",
        "mail.example.com:8443  # the new one\n",
        "\ufeffjunk..host\n",
    ]
    assert list(read_spec_lines(lines)) == ["192.0.2.1", "192.0.2.2", "mail.example.com:8443", "\ufeffjunk..host"]


def test_a_huge_range_is_counted_without_being_listed() -> None:
    ts = expand_targets(["10.0.0.0/8", "mail.example.com"], max_targets=1 << 25)
    assert ts.count == 16_777_214 + 1 and ts.duplicates == 0
    first = [t.host for t, _ in zip(ts, range(3), strict=False)]
    assert first == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


@pytest.mark.parametrize(
    "specs",
    [
        ["192.0.2.0/28", "192.0.2.4/30", "192.0.2.5", "192.0.2.0/29:8443", "192.0.2.3:8443"],
        ["192.0.2.5", "192.0.2.0/29", "192.0.2.4/31", "192.0.2.16/28", "192.0.2.8/28", "http://192.0.2.5/"],
        ["[2001:db8::1]", "2001:db8::/126", "2001:db8::/127", "a.example", "a.example:443", "192.0.2.1/32"],
    ],
)
def test_count_and_duplicates_match_the_expansion(specs: list[str]) -> None:
    ts = expand_targets(specs)
    listed = ts.targets
    assert len({t.key for t in listed}) == len(listed) == ts.count
    raw = sum(1 for s in specs for _ in expand_targets([s]))
    assert ts.duplicates == raw - len(listed)


def test_an_ipv6_range_low_in_the_space_stays_ipv6() -> None:
    # ::/127 and ::1/128 hold numbers below 2**32: they are IPv6 addresses still, never the
    # IPv4 0.0.0.0 and 0.0.0.1 (which would send the scan to other hosts than the ones named).
    ts = expand_targets(["::1/127", "[::/126]:8443"])
    assert [(t.host, t.port) for t in ts.targets] == [
        ("::", 443),
        ("::1", 443),
        ("::", 8443),
        ("::1", 8443),
        ("::2", 8443),
        ("::3", 8443),
    ]
    assert all(":" in t.host for t in ts.targets)
