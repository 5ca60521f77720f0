from __future__ import annotations

import copy
import dataclasses
import random

from exhunt.builds.assess import read_assessment
from exhunt.model import Account, AccountRole, HostAssessment, Observation, Verdict
from exhunt.remediation import plan
from test_report_fixtures import (
    DUMP_SHA,
    EXPOSED_BUILD,
    SHELL_SHA,
    T0,
    clean_host,
    compromised_host,
    finding,
)


def _step(steps: list, words: str):  # type: ignore[type-arg]
    matches = [s for s in steps if words in s.action]
    assert len(matches) == 1, (words, [s.action for s in steps])
    return matches[0]


def test_compromised_host_with_lsass_dump_gets_the_full_plan_in_order() -> None:
    steps = plan(compromised_host())
    assert [s.priority for s in steps] == list(range(1, len(steps) + 1))
    actions = [s.action for s in steps]
    assert actions[0].startswith("Preserve evidence")
    assert actions[1] == "Install Exchange Server 2016 CU19 Mar21SU (15.1.2176.9, KB5000871)"

    preserve = steps[0]
    assert f"C/inetpub/wwwroot/aspnet_client/Q7kf2LmA.aspx (SHA-256 {SHELL_SHA})" in preserve.details
    assert f"C/root/lsass.dmp (SHA-256 {DUMP_SHA})" in preserve.details

    update = steps[1]
    assert "CVE-2021-26855" in update.why and "CVE-2022-41080" in update.why
    assert "does not remove what an attacker left behind" in update.why

    shells = _step(steps, "Remove the web shells")
    assert any(SHELL_SHA in d for d in shells.details)
    assert any("/aspnet_client/Q7kf2LmA.aspx" in d for d in shells.details)  # the path requested in IIS
    assert "EXH-WS-OAB-SCRIPT" in shells.why and "EXH-IIS-WEBSHELL-ACCESS" in shells.why

    creds = _step(steps, "Reset the credentials")
    assert "EXH-FS-LSASS-DUMP" in creds.why and "lsass.dmp" in creds.why
    assert any(DUMP_SHA in d for d in creds.details)

    vdirs = _step(steps, "virtual directory URLs")
    assert "CVE-2021-27065" in vdirs.why and "EXH-PL-27065-RESET-VDIR" in vdirs.why
    assert any(d.startswith("Get-OabVirtualDirectory") for d in vdirs.details)

    mailbox = _step(steps, "mailbox export requests")
    assert any("Mailbox Import Export" in d for d in mailbox.details)

    mitigate = _step(steps, "temporary mitigations")
    assert any(d.startswith("ProxyLogon (CVE-2021-26855)") for d in mitigate.details)
    assert any(d.startswith("OWASSRF") for d in mitigate.details)

    sources = _step(steps, "attacking addresses")
    assert sources.details[0].startswith("203.0.113.47: 2 findings")
    assert any(d.startswith("198.51.100.77: 1 finding") for d in sources.details)

    _step(steps, "full antimalware scan")
    _step(steps, "Review accounts")
    gaps = _step(steps, "missing evidence")
    assert gaps.details == ("no Rps_Http logs",)
    assert actions.index(creds.action) < actions.index(vdirs.action) < actions.index(gaps.action)


def test_clean_patched_host_needs_nothing() -> None:
    assert plan(clean_host()) == []


def test_plan_is_stable_whatever_order_the_findings_come_in() -> None:
    host = compromised_host()
    shuffled = copy.deepcopy(host)
    random.Random(7).shuffle(shuffled.findings)
    assert plan(shuffled) == plan(host)


def test_attempt_only_host_patches_and_blocks_but_resets_nothing() -> None:
    attempt = finding(
        "EXH-PS-AUTODISCOVER-SSRF",
        "medium",
        "exploitation-attempt",
        "attempt",
        "u_ex.log",
        line=3,
        chain="ProxyShell",
        cves=("CVE-2021-34473",),
        ts=T0,
        ip="192.0.2.10",
    )
    host = HostAssessment(
        host="EX5",
        verdict=Verdict.ATTEMPTED,
        verdict_reason="",
        findings=[attempt],
        exposure=read_assessment(EXPOSED_BUILD),
    )
    actions = [s.action for s in plan(host)]
    assert actions[0].startswith("Install ")
    assert not [a for a in actions if "Preserve" in a or "credentials" in a or "web shells" in a]
    sources = _step(plan(host), "attacking addresses")
    assert sources.details == ("192.0.2.10: 1 finding, 2021-03-03T06:47:12.101000Z to 2021-03-03T06:47:12.101000Z",)
    assert "EXH-PS-AUTODISCOVER-SSRF" in sources.why


def test_mitigations_seen_in_the_evidence_are_kept_until_patched() -> None:
    host = compromised_host()
    host.observations.append(
        Observation("mitigation", "EOMT rule 'X-BEResource Abort - inbound'", "C/inetpub/wwwroot/web.config")
    )
    keep = _step(plan(host), "Keep these temporary mitigations")
    assert keep.details == ("EOMT rule 'X-BEResource Abort - inbound' (seen in C/inetpub/wwwroot/web.config)",)
    assert "only the security update fixes" in keep.why
    # Once patched, nothing about mitigations is asked.
    patched = clean_host()
    patched.observations.append(Observation("mitigation", "EOMT", "web.config"))
    assert plan(patched) == []


def test_build_known_only_to_the_cu_asks_to_confirm_the_update() -> None:
    item = copy.deepcopy(EXPOSED_BUILD)
    for entry in item["exposure"].values():  # type: ignore[union-attr]
        entry["status"] = "vulnerable-unless-su"
    host = HostAssessment(host="EX6", verdict=Verdict.CLEAN, verdict_reason="", exposure=read_assessment(item))
    first = plan(host)[0]
    assert first.action.startswith("Make sure Exchange Server 2016 CU19 Mar21SU (15.1.2176.9, KB5000871) or a later")


def test_unsupported_cu_without_a_fix_is_told_to_move_on() -> None:
    item = copy.deepcopy(EXPOSED_BUILD)
    item["next_update"] = None
    host = HostAssessment(host="EX7", verdict=Verdict.CLEAN, verdict_reason="", exposure=read_assessment(item))
    first = plan(host)[0]
    assert first.action.startswith("Move to a cumulative update")
    assert "No security update exists" in first.why


def test_unknown_build_and_insufficient_evidence() -> None:
    host = HostAssessment(host="EX8", verdict=Verdict.INSUFFICIENT, verdict_reason="")
    steps = plan(host)
    assert [s.action.split(" ")[0] for s in steps] == ["Find", "Collect"]
    host.exchange_build = "15.1.2176.2"
    assert plan(host)[0].action == "Look up the exposure of build 15.1.2176.2: run `exhunt build 15.1.2176.2`"


def test_mailbox_export_and_impersonated_accounts_are_named() -> None:
    export = finding(
        "EXH-EVT-MAILBOX-EXPORT",
        "critical",
        "post-exploitation",
        "compromise",
        "events/mgmt.jsonl",
        line=4,
        chain="ProxyShell",
        ts=T0,
        excerpt="New-MailboxExportRequest -Mailbox 'admin' -FilePath '\\\\localhost\\c$\\x.aspx'",
        details=(("impersonated_user", "administrator@corp.example.net"), ("user_agent", "not-an-account")),
    )
    export = dataclasses.replace(
        export, accounts=(Account("administrator@corp.example.net", AccountRole.IMPERSONATED),)
    )
    host = HostAssessment(host="EX9", verdict=Verdict.COMPROMISED, verdict_reason="", findings=[export])
    steps = plan(host)
    mailbox = _step(steps, "mailbox export requests")
    assert "EXH-EVT-MAILBOX-EXPORT" in mailbox.why and "ProxyShell attackers" in mailbox.why
    accounts = _step(steps, "Review accounts")
    assert "account named in the evidence: administrator@corp.example.net" in accounts.details
    assert not [d for d in accounts.details if "not-an-account" in d]


def test_garbage_exposure_item_is_read_as_unknown() -> None:
    host = HostAssessment(
        host="EX10",
        verdict=Verdict.CLEAN,
        verdict_reason="",
        exchange_build="15.1.1.1",
        exposure=read_assessment({"exposure": ["nonsense"], "next_update": "KB1"}),
    )
    assert [s.action.split(":")[0] for s in plan(host)] == ["Look up the exposure of build 15.1.1.1"]


def test_machine_keys_read_by_a_page_are_to_be_rotated() -> None:
    host = clean_host()
    page = finding(
        "EXH-WS-CODE-MACHINE-KEY",
        "high",
        "webshell",
        "compromise",
        "C/inetpub/wwwroot/aspnet_client/k.aspx",
        line=6,
        sha256=SHELL_SHA,
    )
    host = dataclasses.replace(host, findings=[page], verdict=Verdict.COMPROMISED)
    steps = plan(host)
    keys = _step(steps, "Rotate the ASP.NET machine keys")
    assert "EXH-WS-CODE-MACHINE-KEY" in keys.why and "k.aspx" in keys.why
    assert any("Generate Keys" in d for d in keys.details)
    actions = [s.action for s in steps]
    assert actions.index(_step(steps, "Remove the web shells").action) < actions.index(keys.action)
    assert not any("machine keys" in s.action for s in plan(clean_host()))
