"""Exposure special cases: CU-level builds, older-CU March 2021 updates, CUs that never got a fix,
builds newer than the table or missing from it, Exchange 2010 and products out of support."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from exhunt.builds import assess_build, build_table
from exhunt.model import CHAINS, Exposure

ALL_PL = ["CVE-2021-26855", "CVE-2021-26857", "CVE-2021-26858", "CVE-2021-27065"]
ALL_PS = ["CVE-2021-34473", "CVE-2021-34523", "CVE-2021-31207"]


def statuses(build: str) -> dict[str, str]:
    return {chain: str(e.status) for chain, e in assess_build(build).exposure.items()}


def newest(prefix: str) -> str:
    entries = [e for e in build_table().entries if e.version.startswith(prefix)]
    return max(entries, key=lambda e: e.build).version


# -- CU level only (3 parts) ---------------------------------------------------------------------


def test_cu_level_build_is_vulnerable_unless_su_where_the_cu_got_a_fixing_su() -> None:
    a = assess_build("15.1.2176")
    assert a.build == "15.1.2176" and not a.exact
    assert a.name == "Exchange Server 2016 CU19 (update level unknown)"
    assert a.release_date == date(2020, 12, 15)
    pl, ps = a.exposure["ProxyLogon"], a.exposure["ProxyShell"]
    assert (pl.status, list(pl.cves)) == ("vulnerable-unless-su", ALL_PL)
    assert (ps.status, list(ps.cves)) == ("vulnerable-unless-su", ALL_PS)
    assert "15.1.2176.14" in (ps.note or "")  # the SU that would close it: CU19 May21SU
    # CU19 never received the November 2022 SU: no SU can save it.
    assert a.exposure["ProxyNotShell"].status == "vulnerable"
    assert a.exposure["OWASSRF"].status == "vulnerable"
    assert any("CU level" in n for n in a.notes)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        # CU21 shipped with the ProxyShell fixes but never received Nov22SU.
        (
            "15.1.2308",
            {"ProxyLogon": "patched", "ProxyShell": "patched", "ProxyNotShell": "vulnerable", "OWASSRF": "vulnerable"},
        ),
        (
            "15.2.1118",
            {
                "ProxyLogon": "patched",
                "ProxyShell": "patched",
                "ProxyNotShell": "vulnerable-unless-su",
                "OWASSRF": "vulnerable-unless-su",
            },
        ),
        # CU18 got the March 2021 SU only.
        (
            "15.1.2106",
            {
                "ProxyLogon": "vulnerable-unless-su",
                "ProxyShell": "vulnerable",
                "ProxyNotShell": "vulnerable",
                "OWASSRF": "vulnerable",
            },
        ),
        ("15.2.1258", dict.fromkeys(map(str, CHAINS), "patched")),
        # CU7 of 2016 got no March 2021 SU at all.
        ("15.1.1261", dict.fromkeys(map(str, CHAINS), "vulnerable")),
    ],
)
def test_cu_level_builds(build: str, expected: dict[str, str]) -> None:
    assert statuses(build) == expected


def test_admin_display_version_is_cu_level() -> None:
    a = assess_build("Version 15.1 (Build 2176.2)")
    assert a.build == "15.1.2176" and not a.exact
    assert statuses("Version 15.1 (Build 2176.2)") == statuses("15.1.2176")
    assert any("AdminDisplayVersion" in n for n in a.notes)


def test_exchange_2010_rollup_given_in_three_parts_is_exact_enough() -> None:
    # 2010 rollups have their own build number, so 14.3.513 can only be RU32.
    a = assess_build("14.3.513")
    assert a.name == "Exchange Server 2010 SP3 RU32"
    assert a.exposure["ProxyLogon"].status == "patched"
    assert assess_build("14.3.509").exposure["ProxyLogon"].status == "vulnerable"


# -- March 2021 SUs for older CUs -----------------------------------------------------------------


@pytest.mark.parametrize("build", ["15.1.2106.13", "15.1.1415.10", "15.0.1395.12", "15.0.847.64", "15.2.659.12"])
def test_older_cu_march_su_fixes_proxylogon_only(build: str) -> None:
    a = assess_build(build)
    assert a.name is not None and a.name.endswith("Mar21SU")
    assert a.exposure["ProxyLogon"].status == "patched"
    ps = a.exposure["ProxyShell"]
    assert ps.status == "vulnerable" and list(ps.cves) == ALL_PS
    assert "never received a fix" in (ps.note or "")
    assert any("ProxyLogon CVEs only" in n for n in a.notes)


def test_march_su_on_a_cu_with_later_sus_gets_no_older_cu_note() -> None:
    a = assess_build("15.1.2176.9")
    assert not any("ProxyLogon CVEs only" in n for n in a.notes)
    assert "install CU19 May21SU (15.1.2176.14, KB5003435)" in (a.exposure["ProxyShell"].note or "")


# -- CUs that never received a fixing SU, and the update to install next ---------------------------


def test_unsupported_cu_advice_is_upgrade_then_su() -> None:
    a = assess_build("15.1.2106.2")  # E2016 CU18 as released
    pns = a.exposure["ProxyNotShell"]
    assert pns.status == "vulnerable"
    assert pns.note == "CU18 never received a fix: upgrade to CU22 or CU23 and install Nov22SU"
    ps = a.exposure["ProxyShell"].note or ""
    assert "upgrade to CU19 or CU20 and install May21SU" in ps and "CU21 or later" in ps
    nxt = a.next_update
    assert nxt is not None
    assert nxt.build == newest("15.1.") and nxt.name.startswith("Exchange Server 2016 CU23 ")
    assert nxt.kb and nxt.kb.startswith("KB")
    assert nxt.note is not None and "CU23 (15.1.2507.6, KB5011155) first" in nxt.note


def test_supported_cu_next_update_is_its_latest_su() -> None:
    latest = newest("15.2.1748.")  # E2019 CU15
    a = assess_build("15.2.1748.10")
    assert a.next_update is not None
    assert a.next_update.build == latest and a.next_update.note is None
    assert assess_build(latest).next_update is None


def test_exchange_2013_cu23_next_update_is_its_last_su() -> None:
    a = assess_build("15.0.1497.2")
    assert a.next_update is not None
    assert (a.next_update.name, a.next_update.build, a.next_update.kb) == (
        "Exchange Server 2013 CU23 Mar23SU",
        "15.0.1497.48",
        "KB5024296",
    )


def test_exchange_2010_before_sp3_needs_sp3_then_ru32() -> None:
    a = assess_build("14.2.390.3")
    pl = a.exposure["ProxyLogon"]
    assert pl.status == "vulnerable" and pl.cves == ("CVE-2021-26857",)
    assert a.next_update is not None and a.next_update.build == "14.3.513.0"
    assert "SP3" in (a.next_update.note or "")


# -- builds the table does not list -----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["15.0.", "15.1.", "15.2."])
def test_build_newer_than_the_table_is_at_least_as_patched_as_the_newest(prefix: str) -> None:
    top = newest(prefix)
    parts = [int(p) for p in top.split(".")]
    later = f"{parts[0]}.{parts[1]}.{parts[2]}.{parts[3] + 7}"
    a = assess_build(later)
    assert a.error is None
    assert statuses(later) == statuses(top) == dict.fromkeys(map(str, CHAINS), "patched")
    assert a.next_update is None
    assert any("newer than any build exhunt knows" in n for n in a.notes)
    farther = f"{parts[0]}.{parts[1]}.{parts[2] + 300}.1"
    assert statuses(farther) == dict.fromkeys(map(str, CHAINS), "patched")


def test_unlisted_build_in_a_known_cu_is_judged_by_that_cus_thresholds() -> None:
    between = assess_build("15.1.2176.10")  # after CU19 Mar21SU (.9), before Apr21SU (.12)
    assert between.name == "Exchange Server 2016 CU19 (unlisted build)"
    assert between.release_date is None
    assert between.exposure["ProxyLogon"].status == "patched"
    assert between.exposure["ProxyShell"].status == "vulnerable"
    assert any("CU19 Mar21SU (15.1.2176.9)" in n for n in between.notes)
    assert assess_build("15.1.2176.8").exposure["ProxyLogon"].status == "vulnerable"
    # Past the CU's May 2021 SU, ProxyShell is closed as well.
    assert assess_build("15.1.2176.15").exposure["ProxyShell"].status == "patched"


# -- products -----------------------------------------------------------------------------------------


def test_exchange_2010_is_exposed_to_26857_only_and_not_affected_by_later_chains() -> None:
    old = assess_build("14.3.509.0")
    assert old.exposure["ProxyLogon"].cves == ("CVE-2021-26857",)
    fixed = assess_build("14.3.513.0")
    assert fixed.name == "Exchange Server 2010 SP3 RU32"
    assert fixed.exposure["ProxyLogon"].status == "patched"
    for chain in ("ProxyShell", "ProxyNotShell", "OWASSRF"):
        for a in (old, fixed):
            e = a.exposure[chain]
            assert (e.status, e.cves, e.note) == ("patched", (), "not affected")


def test_exchange_se_is_patched_and_supported() -> None:
    a = assess_build("15.2.2562.17")
    assert a.product == "Exchange Server SE" and a.name == "Exchange Server SE RTM"
    assert statuses("15.2.2562.17") == dict.fromkeys(map(str, CHAINS), "patched")
    assert not any("support" in n for n in a.notes)


@pytest.mark.parametrize(
    ("build", "needle"),
    [
        ("15.0.1497.48", "2023-04-11"),
        ("15.1.2507.16", "2025-10-14"),
        ("15.2.1748.10", "2025-10-14"),
        ("14.3.513.0", "2020-10-13"),
    ],
)
def test_out_of_support_products_say_so(build: str, needle: str) -> None:
    assert any(needle in n for n in assess_build(build).notes)


@pytest.mark.parametrize("build", ["8.3.517.0", "8.0.685.25", "6.5.7638.1"])
def test_exchange_2007_and_older_are_unknown_with_a_note(build: str) -> None:
    a = assess_build(build)
    assert a.error is None and a.name is not None
    assert set(statuses(build).values()) == {"unknown"}
    assert all(e.note for e in a.exposure.values())
    assert any("out of support" in n for n in a.notes)
    assert a.next_update is None


# -- the JSON item ------------------------------------------------------------------------------------


def test_to_dict_is_an_exhunt_build_item() -> None:
    d = assess_build("15.01.2176.009").to_dict()
    assert d["input"] == "15.01.2176.009" and d["build"] == "15.1.2176.9"
    assert d["name"] == "Exchange Server 2016 CU19 Mar21SU" and d["release_date"] == "2021-03-02"
    assert set(d["exposure"]) == {"ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"}
    assert d["exposure"]["ProxyLogon"] == {"status": "patched", "cves": [], "note": None}
    assert d["exposure"]["ProxyShell"]["cves"] == ALL_PS
    assert set(d["next_update"]) >= {"name", "build", "kb"}
    assert d["error"] is None


def test_a_hosts_exposure_is_the_build_assessment_in_every_writer_and_reads_back_typed() -> None:
    """One shape from builds/ to the hunt JSON: the host's `exposure` is the build's
    assessment, its JSON is the `exhunt build` item, and reading it back gives the same object."""
    from exhunt.model import HostAssessment, HuntResult, Verdict
    from exhunt.remediation import plan
    from exhunt.schemas import validate

    a = assess_build("15.1.2176.2")
    host = HostAssessment(host="EX1", verdict=Verdict.CLEAN, exchange_build="15.1.2176.2", exposure=a)
    item = host.to_dict()["exposure"]
    assert item == a.to_dict()
    validate({"schema": "exhunt.build/1", "tool_version": "0", "builds": [item]}, "exhunt.build/1")
    back = HostAssessment.from_dict(host.to_dict())
    assert back.exposure == a and isinstance(back.exposure.exposure["ProxyLogon"].status, Exposure)
    assert back.exposure.release_date == a.release_date and isinstance(a.release_date, type(back.exposure.release_date))
    assert [chain for chain, _ in back.exposure.exposed_chains()] == [
        "ProxyLogon",
        "ProxyShell",
        "ProxyNotShell",
        "OWASSRF",
    ]
    assert plan(back)[0].action.startswith("Install Exchange Server 2016 CU23")
    result = HuntResult("0", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC), [back])
    assert HuntResult.from_dict(result.to_dict()).hosts[0].exposure == a


def test_an_edited_exposure_item_reads_as_unknown_not_as_an_error() -> None:
    from exhunt.builds.assess import read_assessment

    bad = read_assessment({"exposure": {"ProxyLogon": {"status": "owned", "cves": "x"}}, "release_date": "soon"})
    assert bad is not None and bad.exposure["ProxyLogon"].status is Exposure.UNKNOWN
    assert bad.release_date is None and bad.exposure["ProxyLogon"].cves == ()
    assert [c.status for _, c in bad.chains()] == [Exposure.UNKNOWN] * 4
    assert read_assessment(["not", "an", "object"]) is None
