"""Every fixing build of docs/builds.md#fixing-updates-per-chain, both sides of each threshold.

Each row: the chain, the CVEs the update closes, the first fixed build and the build just below
it. For a security update the build just below is the same CU one revision earlier. For a CU
that shipped with the fix built in, the side below is the previous CU as released (a build
between two CUs belongs to the earlier one and is judged by that CU's updates).
"""

from __future__ import annotations

import pytest

from exhunt.builds import assess_build

PROXYLOGON = ("CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065")
PS_APR = ("CVE-2021-34473", "CVE-2021-34523")
PS_MAY = ("CVE-2021-31207",)
PNS = ("CVE-2022-41040", "CVE-2022-41082")
OWASSRF = ("CVE-2022-41080",)

# (chain, cves closed, fixing build, build just below)
ROWS: list[tuple[str, tuple[str, ...], str, str]] = [
    # ProxyLogon: March 2021 SU, KB5000871 (older-CU SUs carry the same KB)
    ("ProxyLogon", PROXYLOGON, "15.0.847.64", "15.0.847.63"),  # E2013 SP1
    ("ProxyLogon", PROXYLOGON, "15.0.1395.12", "15.0.1395.11"),  # E2013 CU21
    ("ProxyLogon", PROXYLOGON, "15.0.1473.6", "15.0.1473.5"),  # E2013 CU22
    ("ProxyLogon", PROXYLOGON, "15.0.1497.12", "15.0.1497.11"),  # E2013 CU23
    ("ProxyLogon", PROXYLOGON, "15.1.1415.10", "15.1.1415.9"),  # E2016 CU8
    ("ProxyLogon", PROXYLOGON, "15.1.1466.16", "15.1.1466.15"),  # E2016 CU9
    ("ProxyLogon", PROXYLOGON, "15.1.1531.12", "15.1.1531.11"),  # E2016 CU10
    ("ProxyLogon", PROXYLOGON, "15.1.1591.18", "15.1.1591.17"),  # E2016 CU11
    ("ProxyLogon", PROXYLOGON, "15.1.1713.10", "15.1.1713.9"),  # E2016 CU12
    ("ProxyLogon", PROXYLOGON, "15.1.1779.8", "15.1.1779.7"),  # E2016 CU13
    ("ProxyLogon", PROXYLOGON, "15.1.1847.12", "15.1.1847.11"),  # E2016 CU14
    ("ProxyLogon", PROXYLOGON, "15.1.1913.12", "15.1.1913.11"),  # E2016 CU15
    ("ProxyLogon", PROXYLOGON, "15.1.1979.8", "15.1.1979.7"),  # E2016 CU16
    ("ProxyLogon", PROXYLOGON, "15.1.2044.13", "15.1.2044.12"),  # E2016 CU17
    ("ProxyLogon", PROXYLOGON, "15.1.2106.13", "15.1.2106.12"),  # E2016 CU18
    ("ProxyLogon", PROXYLOGON, "15.1.2176.9", "15.1.2176.8"),  # E2016 CU19
    ("ProxyLogon", PROXYLOGON, "15.1.2242.4", "15.1.2176.2"),  # E2016 CU20 includes it
    ("ProxyLogon", PROXYLOGON, "15.2.221.18", "15.2.221.17"),  # E2019 RTM
    ("ProxyLogon", PROXYLOGON, "15.2.330.11", "15.2.330.10"),  # E2019 CU1
    ("ProxyLogon", PROXYLOGON, "15.2.397.11", "15.2.397.10"),  # E2019 CU2
    ("ProxyLogon", PROXYLOGON, "15.2.464.15", "15.2.464.14"),  # E2019 CU3
    ("ProxyLogon", PROXYLOGON, "15.2.529.13", "15.2.529.12"),  # E2019 CU4
    ("ProxyLogon", PROXYLOGON, "15.2.595.8", "15.2.595.7"),  # E2019 CU5
    ("ProxyLogon", PROXYLOGON, "15.2.659.12", "15.2.659.11"),  # E2019 CU6
    ("ProxyLogon", PROXYLOGON, "15.2.721.13", "15.2.721.12"),  # E2019 CU7
    ("ProxyLogon", PROXYLOGON, "15.2.792.10", "15.2.792.9"),  # E2019 CU8
    ("ProxyLogon", PROXYLOGON, "15.2.858.5", "15.2.792.3"),  # E2019 CU9 includes it
    ("ProxyLogon", ("CVE-2021-26857",), "14.3.513.0", "14.3.512.9"),  # E2010 SP3 RU32, KB5000978
    # ProxyShell: April 2021 SU (KB5001779) for 34473/34523, May 2021 SU (KB5003435) for 31207
    ("ProxyShell", PS_APR, "15.0.1497.15", "15.0.1497.14"),  # E2013 CU23
    ("ProxyShell", PS_APR, "15.1.2176.12", "15.1.2176.11"),  # E2016 CU19
    ("ProxyShell", PS_APR, "15.1.2242.8", "15.1.2242.7"),  # E2016 CU20
    ("ProxyShell", PS_APR, "15.2.792.13", "15.2.792.12"),  # E2019 CU8
    ("ProxyShell", PS_APR, "15.2.858.10", "15.2.858.9"),  # E2019 CU9
    ("ProxyShell", PS_MAY, "15.0.1497.18", "15.0.1497.17"),  # E2013 CU23
    ("ProxyShell", PS_MAY, "15.1.2176.14", "15.1.2176.13"),  # E2016 CU19
    ("ProxyShell", PS_MAY, "15.1.2242.10", "15.1.2242.9"),  # E2016 CU20
    ("ProxyShell", PS_MAY, "15.2.792.15", "15.2.792.14"),  # E2019 CU8
    ("ProxyShell", PS_MAY, "15.2.858.12", "15.2.858.11"),  # E2019 CU9
    ("ProxyShell", PS_APR + PS_MAY, "15.1.2308.8", "15.1.2242.4"),  # E2016 CU21 includes both
    ("ProxyShell", PS_APR + PS_MAY, "15.2.922.7", "15.2.858.5"),  # E2019 CU10 includes both
    # ProxyNotShell and OWASSRF: November 2022 SU, KB5019758
    ("ProxyNotShell", PNS, "15.0.1497.44", "15.0.1497.43"),  # E2013 CU23
    ("ProxyNotShell", PNS, "15.1.2375.37", "15.1.2375.36"),  # E2016 CU22
    ("ProxyNotShell", PNS, "15.1.2507.16", "15.1.2507.15"),  # E2016 CU23
    ("ProxyNotShell", PNS, "15.2.986.36", "15.2.986.35"),  # E2019 CU11
    ("ProxyNotShell", PNS, "15.2.1118.20", "15.2.1118.19"),  # E2019 CU12
    ("ProxyNotShell", PNS, "15.2.1258.12", "15.2.1118.7"),  # E2019 CU13 includes it
    ("OWASSRF", OWASSRF, "15.0.1497.44", "15.0.1497.43"),
    ("OWASSRF", OWASSRF, "15.1.2375.37", "15.1.2375.36"),
    ("OWASSRF", OWASSRF, "15.1.2507.16", "15.1.2507.15"),
    ("OWASSRF", OWASSRF, "15.2.986.36", "15.2.986.35"),
    ("OWASSRF", OWASSRF, "15.2.1118.20", "15.2.1118.19"),
    ("OWASSRF", OWASSRF, "15.2.1258.12", "15.2.1118.7"),
]


@pytest.mark.parametrize(("chain", "cves", "fixed", "below"), ROWS, ids=[f"{r[0]}-{r[2]}" for r in ROWS])
def test_threshold_both_sides(chain: str, cves: tuple[str, ...], fixed: str, below: str) -> None:
    under = assess_build(below).exposure[chain]
    assert under.status == "vulnerable", (below, under)
    assert set(cves) <= set(under.cves), (below, under.cves)

    at = assess_build(fixed).exposure[chain]
    assert not set(cves) & set(at.cves), (fixed, at.cves)
    # The chain is patched at its fixing build unless another update of the same chain is still missing.
    if chain == "ProxyShell" and cves == PS_APR:
        assert at.status == "vulnerable" and at.cves == PS_MAY, (fixed, at)
    else:
        assert at.status == "patched", (fixed, at)


def test_rows_cover_every_fixing_build_in_the_table() -> None:
    """Each update row named Mar21SU/Apr21SU/May21SU/Nov22SU (and 2010 RU32) has a threshold row."""
    from exhunt.builds import build_table

    names = {"Mar21SU", "Apr21SU", "May21SU", "Nov22SU", "RU32"}
    in_table = {e.version for e in build_table().entries if e.update in names}
    in_rows = {r[2] for r in ROWS}
    assert in_table <= in_rows, sorted(in_table - in_rows)
