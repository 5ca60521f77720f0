"""Indicator feeds given to --indicators as STIX 2.1 bundles and MISP events (exhunt.filehunt.feeds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.filehunt import feeds
from exhunt.filehunt.indicators import load_indicators
from exhunt.model import ArtefactKind
from test_log_samples import INSTALL, benign_iis, by_rule, evidence, iis_line, iis_log, write

SHELL_SHA256 = "ab" * 32
TOOL_MD5 = "0123456789abcdef0123456789abcdef"


def indicator(n: int, pattern: str, name: str, pattern_type: str = "stix") -> dict[str, object]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2021-03-05T00:00:00.000Z",
        "modified": "2021-03-05T00:00:00.000Z",
        "name": name,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": pattern_type,
        "valid_from": "2021-03-05T00:00:00Z",
        "created_by_ref": "identity--00000000-0000-4000-8000-000000000001",
    }


def stix_bundle(tmp: Path) -> Path:
    objects = [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": "identity--00000000-0000-4000-8000-000000000001",
            "created": "2021-03-05T00:00:00.000Z",
            "modified": "2021-03-05T00:00:00.000Z",
            "name": "Example CERT",
            "identity_class": "organization",
        },
        indicator(1, "[ipv4-addr:value = '203.0.113.9']", "Operator address"),
        indicator(2, "[domain-name:value = 'evil.example'] OR [url:value = 'http://198.51.100.3/x.ps1']", "C2"),
        indicator(
            3,
            f"[file:hashes.'SHA-256' = '{SHELL_SHA256}' AND file:name = 'C:\\\\inetpub\\\\help.aspx']",
            "HAFNIUM web shell",
        ),
        indicator(4, "[file:name LIKE '%.aspx']", "any page"),
        indicator(5, "title: x", "a Sigma rule", pattern_type="sigma"),
        indicator(6, "[ipv4-addr:value = ", "broken"),
        indicator(7, "[file:name = 'C:\\\\inetpub\\\\wwwroot\\\\aspnet_client\\\\it\\'s.aspx']", "dropped page"),
        {**indicator(8, "[ipv4-addr:value = '192.0.2.99']", "withdrawn"), "revoked": True},
    ]
    path = tmp / "cert-feed.json"
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}), encoding="utf-8")
    return path


def misp_event(tmp: Path) -> Path:
    event = {
        "Event": {
            "info": "Exchange intrusion, case 42",
            "Orgc": {"name": "Our CSIRT"},
            "Tag": [{"name": "tlp:amber"}],
            "Attribute": [
                {"type": "ip-dst", "value": "203.0.113.10", "to_ids": True},
                {"type": "domain|ip", "value": "drop.evil.example|198.51.100.20"},
                {"type": "filename|sha256", "value": f"supp0rt.aspx|{SHELL_SHA256}", "comment": "web shell"},
                {"type": "filename", "value": "supp0rt.aspx"},
                {"type": "user-agent", "value": "SweeperBot/1.0"},
                {"type": "text", "value": "met at the front desk"},
                {"type": "domain", "value": "www.microsoft.com", "to_ids": False, "comment": "context only"},
            ],
            "Object": [
                {
                    "name": "file",
                    "Attribute": [{"type": "md5", "value": TOOL_MD5}, {"type": "size-in-bytes", "value": "1"}],
                }
            ],
        }
    }
    path = tmp / "misp-event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def entries(path: Path) -> list[tuple[str, str, str, int]]:
    loaded = load_indicators((str(path),))
    hashes = [i for t in loaded.hashes.values() for v in t.values() for i in v]
    paths = [i for v in loaded.paths.values() for i in v]
    every = [*loaded.network_entries, *hashes, *paths]
    return sorted((i.type, i.value, i.kind, i.line) for i in every if i.origin == str(path))


def problems(path: Path) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in load_indicators((str(path),)).problems if p.origin == str(path)]


def test_a_stix_bundle_gives_its_equality_terms(tmp_path: Path) -> None:
    feed = stix_bundle(tmp_path)
    assert entries(feed) == [
        ("domain", "evil.example", "other", 2),
        ("ip", "198.51.100.3", "other", 2),  # the host of the URL, an address
        ("ip", "203.0.113.9", "other", 1),
        ("path", "inetpub/wwwroot/aspnet_client/it's.aspx", "other", 7),
        ("sha256", SHELL_SHA256, "webshell", 3),  # 'web shell' in its name; the AND's file name left out
    ]
    found = problems(feed)
    assert found[0][0] == 6 and found[0][1].startswith("STIX pattern not understood")
    (_, skipped) = found[1]
    assert "1 term(s) of a pattern joined by AND" in skipped and "1 comparison(s) with LIKE" in skipped
    assert "1 indicator(s) of pattern type 'sigma'" in skipped and "1 revoked indicator(s)" in skipped
    sources = {i.source for i in load_indicators((str(feed),)).network_entries if i.origin == str(feed)}
    assert sources == {"Example CERT"}


def test_a_misp_event_gives_its_attributes_and_those_of_its_objects(tmp_path: Path) -> None:
    feed = misp_event(tmp_path)
    assert entries(feed) == [
        ("domain", "drop.evil.example", "other", 2),
        ("ip", "198.51.100.20", "other", 2),
        ("ip", "203.0.113.10", "other", 1),
        ("md5", TOOL_MD5, "other", 8),
        ("sha256", SHELL_SHA256, "other", 3),
        ("user_agent", "SweeperBot/1.0", "other", 5),
    ]
    ((line, said),) = problems(feed)
    assert line is None
    assert "1 bare file name(s)" in said and "MISP attribute(s) of type 'text'" in said
    assert "'size-in-bytes'" in said
    assert "www.microsoft.com" not in json.dumps(entries(feed)) and "to_ids" not in said  # context, not an indicator


def test_json_that_is_no_feed_is_said_to_be_none(tmp_path: Path) -> None:
    other = tmp_path / "notes.json"
    other.write_text('{"hello": "world"}', encoding="utf-8")
    broken = tmp_path / "cut.json"
    broken.write_text('{"type": "bundle", "objects": [', encoding="utf-8")
    assert [m for _, m in problems(other)] == ["neither a STIX 2.1 bundle nor a MISP event: no indicators read"]
    assert problems(broken)[0][1].startswith("not JSON")


def test_a_stix_feed_finds_its_address_in_the_web_logs(tmp_path: Path) -> None:
    feed = stix_bundle(tmp_path)
    rel = "C/inetpub/logs/LogFiles/W3SVC1/u_ex210304.log"
    write(tmp_path, rel, iis_log([*benign_iis(3), iis_line(**{"c-ip": "203.0.113.9", "cs-uri-stem": "/owa/"})]))
    ctx = HostContext("EX01", INSTALL, HuntOptions(extra_indicator_paths=(str(feed),)))
    result = registry()["iis-log"].analyze(evidence(tmp_path, rel, ArtefactKind.IIS), ctx)  # type: ignore[union-attr]
    (found,) = by_rule(result, "EXH-WEB-IOC-NETWORK")
    assert found.detail("listed_in") == f"{feed}:1"
    assert found.detail("indicator_label") == "Operator address"
    assert found.detail("indicator_source") == "Example CERT"


def test_the_stix_bundle_of_one_hunt_is_the_indicator_list_of_the_next(tmp_path: Path) -> None:
    # A fleet's first compromised server gives the indicators the others are hunted with.
    from exhunt.cli import main

    bundle = tmp_path / "ex01.stix.json"
    example = Path(__file__).resolve().parents[1] / "examples" / "EX01-compromised"
    assert main(["hunt", str(example), "--stix", str(bundle), "--no-db", "-q"]) == 1
    loaded = load_indicators((str(bundle),))
    assert [p for p in loaded.problems if p.origin == str(bundle)] == []
    mine = [i for i in loaded.network_entries if i.origin == str(bundle)]
    assert mine and {i.type for i in mine} == {"ip"}
    hashes = [i for v in loaded.hashes["sha256"].values() for i in v if i.origin == str(bundle)]
    assert hashes, "the attacker files' hashes come back as hash indicators"


def test_a_hostile_huge_pattern_is_skipped_before_it_is_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern of megabytes, one of hundreds of comparisons, one nested deeper than any feed
    nests: each is reported with its file, place and id, and never reaches the parser;
    the indicators beside them are read."""
    parsed: list[int] = []
    real = feeds._pattern_terms
    monkeypatch.setattr(feeds, "_pattern_terms", lambda pattern: parsed.append(len(pattern)) or real(pattern))
    huge = "[ipv4-addr:value = '" + "9" * 4_000_000 + "']"
    many = " OR ".join(f"[ipv4-addr:value = '198.51.{i // 256}.{i % 256}']" for i in range(300))
    deep = "(" * 100 + "[ipv4-addr:value = '198.51.100.1']" + ")" * 100
    wide_value = "[domain-name:value = '" + " OR (".join(["a"] * 300) + "']"  # words inside a value count for nothing
    objects = [
        indicator(1, huge, "hostile"),
        indicator(2, many, "too many terms"),
        indicator(3, deep, "too deep"),
        indicator(4, "[ipv4-addr:value = '203.0.113.9']", "Operator address"),
        indicator(5, wide_value, "odd value"),
    ]
    feed = tmp_path / "hostile-feed.json"
    feed.write_text(json.dumps({"type": "bundle", "id": "bundle--1", "objects": objects}), encoding="utf-8")
    found = problems(feed)
    assert [line for line, _ in found[:3]] == [1, 2, 3]
    assert "'indicator--00000000-0000-4000-8000-000000000001'" in found[0][1]
    assert "4,000,022 characters, more than 16,384" in found[0][1] and "skipped" in found[0][1]
    assert "300 comparisons, more than 256" in found[1][1]
    assert "101 brackets deep, more than 64" in found[2][1]  # the parentheses and the observation
    assert ("ip", "203.0.113.9", "other", 4) in entries(feed)
    assert len(parsed) == 2 and max(parsed) < feeds.MAX_PATTERN  # only the two ordinary patterns were parsed
