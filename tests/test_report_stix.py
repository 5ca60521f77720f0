from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import stix2

from conftest import REPO
from exhunt.model import HostAssessment, Verdict
from exhunt.report.stix import EXTENSION_ID, build_bundle, write_stix
from test_report_fixtures import DUMP_SHA, HOSTILE, SHELL_SHA, T0, clean_host, compromised_host, finding, hunt


def _parsed(result) -> dict[str, list]:  # type: ignore[no-untyped-def]
    # The stix2 package's own parser, strict: no custom properties allowed.
    bundle = stix2.parse(build_bundle(result).serialize(), allow_custom=False)
    by_type: dict[str, list] = {}  # type: ignore[type-arg]
    for obj in bundle.objects:
        by_type.setdefault(obj.type, []).append(obj)
    return by_type


def test_bundle_is_valid_stix_and_every_observation_names_its_finding() -> None:
    objs = _parsed(hunt(compromised_host(HOSTILE), clean_host()))
    observed = objs["observed-data"]
    assert len(observed) == 6  # all but the event-log finding have an address or a file hash
    for od in observed:
        prov = od.extensions[EXTENSION_ID]
        assert prov["rule_id"].startswith("EXH-") and prov["host"].startswith("EX01")
        assert prov["evidence_path"]
    ssrf = next(od for od in observed if od.extensions[EXTENSION_ID].get("evidence_line") == 12)
    prov = ssrf.extensions[EXTENSION_ID]
    assert prov["rule_id"] == "EXH-PL-26855-SSRF" and prov["evidence_path"].endswith("HttpProxy_2021030306-1.LOG")
    assert prov["user_agent"] == "python-requests/2.25.1" + HOSTILE
    assert ssrf.first_observed == T0
    (ext_def,) = objs["extension-definition"]
    assert ext_def.id == EXTENSION_ID


def test_attacker_addresses_and_shell_hashes_become_indicators_sighted_on_the_host() -> None:
    objs = _parsed(hunt(compromised_host()))
    patterns = {i.pattern: i for i in objs["indicator"]}
    assert set(patterns) == {
        "[ipv4-addr:value = '203.0.113.47']",
        "[ipv4-addr:value = '198.51.100.23']",
        "[ipv4-addr:value = '198.51.100.77']",
        f"[file:hashes.'SHA-256' = '{SHELL_SHA}']",
        f"[file:hashes.'SHA-256' = '{DUMP_SHA}']",
    }
    attacker = patterns["[ipv4-addr:value = '203.0.113.47']"]
    assert "EXH-PL-26855-SSRF" in attacker.name and "HttpProxy_2021030306-1.LOG:12" in attacker.description
    observed = {od.id: od for od in objs["observed-data"]}
    hosts = {i.id: i for i in objs["identity"]}
    sightings = [s for s in objs["sighting"] if s.sighting_of_ref == attacker.id]
    assert len(sightings) == 1 and sightings[0].count == 2
    assert hosts[sightings[0].where_sighted_refs[0]].name == "EX01"
    rules = sorted(observed[r].extensions[EXTENSION_ID]["rule_id"] for r in sightings[0].observed_data_refs)
    assert rules == ["EXH-PL-26855-SSRF", "EXH-PL-27065-RESET-VDIR"]
    # Files carry their name, folder and hash.
    shell = next(f for f in objs["file"] if f.hashes["SHA-256"] == SHELL_SHA)
    assert shell.name == "Q7kf2LmA.aspx"
    folder = next(d for d in objs["directory"] if d.id == shell.parent_directory_ref)
    assert folder.path == "C/inetpub/wwwroot/aspnet_client"


def test_user_agents_and_urls_ride_on_http_requests() -> None:
    objs = _parsed(hunt(compromised_host(HOSTILE)))
    requests = [n.extensions["http-request-ext"] for n in objs["network-traffic"]]
    assert {(r.request_method, r.request_value, r.request_header["User-Agent"][0]) for r in requests} == {
        ("post", "/ecp/y.js" + HOSTILE, "python-requests/2.25.1" + HOSTILE),
        ("post", "/aspnet_client/Q7kf2LmA.aspx", "antSword/v2.1" + HOSTILE),
    }


def test_junk_addresses_and_ipv6_and_full_urls() -> None:
    findings = [
        finding("EXH-A-B", "high", "exploitation", "compromise", "a.log", line=1, ts=T0, ip="1.2.3.4, 5.6.7.8"),
        finding(
            "EXH-A-B",
            "high",
            "exploitation",
            "compromise",
            "a.log",
            line=2,
            ts=T0,
            ip="2001:db8::7",
            details=(("url", "/owa/auth/x.js"), ("url_host", "mail.example.net")),
        ),
        finding("EXH-A-C", "high", "webshell", "compromise", "x.aspx", sha256="nothex"),
    ]
    host = HostAssessment(host="EX1", verdict=Verdict.COMPROMISED, verdict_reason="", findings=findings)
    objs = _parsed(hunt(host))
    assert [i.pattern for i in objs["indicator"]] == ["[ipv6-addr:value = '2001:db8::7']"]
    assert [u.value for u in objs["url"]] == ["https://mail.example.net/owa/auth/x.js"]
    assert len(objs["observed-data"]) == 1


def test_same_result_same_bundle_and_clean_hunt_is_still_a_valid_bundle(tmp_path: Path) -> None:
    result = hunt(compromised_host())
    assert build_bundle(result).serialize() == build_bundle(result).serialize()
    objs = _parsed(hunt(clean_host()))
    assert "indicator" not in objs and "observed-data" not in objs
    (report,) = objs["report"]
    assert "EX02: clean" in report.description
    count = write_stix(result, tmp_path / "iocs.json")
    doc = json.loads((tmp_path / "iocs.json").read_text(encoding="utf-8"))
    assert doc["type"] == "bundle" and len(doc["objects"]) == count


def test_the_commands_stix_is_indented_without_stix2s_quadratic_pretty_printer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`exhunt hunt --stix` and `exhunt report --stix` write what `write_stix` writes: stix2's own
    pretty printer searches the whole bundle for every key (a fleet of 1,100 hosts took more than
    12 minutes in it)."""
    from stix2.base import _STIXBase

    from exhunt.cli import main

    real = _STIXBase.serialize

    def compact_only(self: Any, *args: Any, pretty: bool = False, **kwargs: Any) -> str:
        assert not pretty, "the quadratic pretty printer was used"
        return str(real(self, *args, **kwargs))

    monkeypatch.setattr(_STIXBase, "serialize", compact_only)
    out = tmp_path / "s.json"
    assert main(["hunt", str(REPO / "examples" / "EX01-compromised"), "-q", "--no-db", "--stix", str(out)]) == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "bundle" and any(o["type"] == "indicator" for o in doc["objects"])
    assert stix2.parse(out.read_text(encoding="utf-8"), allow_custom=True).type == "bundle"
    assert out.read_text(encoding="utf-8").startswith('{\n    "type": "bundle"')


def test_a_logged_address_with_a_zone_holding_quotes_makes_a_valid_pattern_of_the_address_alone() -> None:
    # Python's ipaddress takes any text after '%' as an IPv6 zone, quotes included: a client field
    # written so used to end the pattern's string early, and stix2 refused the whole bundle.
    zoned = finding(
        "EXH-IIS-WEBSHELL-ACCESS",
        "critical",
        "webshell-access",
        "compromise",
        "W3SVC1/u_ex210303.log",
        line=5,
        ts=T0,
        ip="fe80::1%x'] OR [file:name = 'a",
    )
    mapped = finding(
        "EXH-IIS-WEBSHELL-ACCESS", "critical", "webshell-access", "compromise", "W3SVC1/u_ex210303.log", line=6, ts=T0
    )
    mapped = dataclasses.replace(mapped, source_ip="::ffff:203.0.113.7")
    host = HostAssessment("EX01", Verdict.COMPROMISED, "a shell", findings=[zoned, mapped])
    objs = _parsed(hunt(host))
    assert sorted(i.pattern for i in objs["indicator"]) == [
        "[ipv4-addr:value = '203.0.113.7']",
        "[ipv6-addr:value = 'fe80::1']",
    ]
    (od,) = [od for od in objs["observed-data"] if od.extensions[EXTENSION_ID]["evidence_line"] == 5]
    assert od.extensions[EXTENSION_ID]["source_ip"] == "fe80::1%x'] OR [file:name = 'a"  # as logged
