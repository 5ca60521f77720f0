"""Interchange outputs: JSON Schemas against real outputs, per-finding JSON lines with ECS
fields read from the typed facets, and the MISP event checked by pymisp's own model."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from pymisp import MISPEvent

from conftest import REPO
from emulator import Emulator, EmulatorThread, ExchangeHost, WebHost
from exhunt.cli import main
from exhunt.model import (
    Account,
    AccountRole,
    EventFacet,
    EvidenceRef,
    FileFacet,
    Finding,
    HostAssessment,
    HttpFacet,
    HuntResult,
    Implies,
    ProcessFacet,
    Severity,
    Verdict,
)
from exhunt.report.findings_jsonl import documents
from exhunt.report.misp import build_event, dumps
from exhunt.schemas import schemas, validate

EXAMPLES = REPO / "examples"
FAST = ["--timeout", "2", "--connect-timeout", "1", "--host-timeout", "5", "--no-progress"]


@pytest.fixture(scope="module")
def examples_hunt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The bundled examples hunted once, every interchange output written."""
    out = tmp_path_factory.mktemp("interchange")
    files = {name: out / f"hunt.{name}" for name in ("json", "jsonl", "misp", "csv")}
    args = ["hunt", str(EXAMPLES), "-q", *(a for n, p in files.items() for a in (f"--{n}", str(p)))]
    assert main(args) == 1
    return files


def test_every_contract_has_a_shipped_schema() -> None:
    names = set(schemas())
    assert {"exhunt.hunt/2", "exhunt.scan/1", "exhunt.build/1", "exhunt.finding/1", "exhunt.rules/2"} <= names
    assert "exhunt.fleet/1" in names
    for schema in schemas().values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_hunt_json_follows_its_schema(examples_hunt: dict[str, Path]) -> None:
    doc = json.loads(examples_hunt["json"].read_text(encoding="utf-8"))
    validate(doc, "exhunt.hunt/2")
    broken = copy.deepcopy(doc)
    broken["hosts"][0]["verdict"] = "pwned"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "exhunt.hunt/2")
    broken = copy.deepcopy(doc)
    broken["hosts"][0]["findings"][0]["timestamp"] = "2021-03-03 06:47:12"  # not ISO 8601 UTC
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "exhunt.hunt/2")


def test_build_and_rules_json_follow_their_schemas(tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    assert main(["build", "15.1.2176.2", "15.2.1118.20", "15.1.2176", "nonsense", "-q", "--json", str(out)]) == 2
    validate(json.loads(out.read_text()), "exhunt.build/1")
    out = tmp_path / "r.json"
    assert main(["rules", "-q", "--json", str(out)]) == 0
    validate(json.loads(out.read_text()), "exhunt.rules/2")


SCANNER_UA_RULE = """\
title: Scanner User Agent
id: 5b0c6f4e-2d7a-4c1e-9f3b-8a6d2e1c7b90
logsource:
    category: webserver
detection:
    selection:
        cs-user-agent|contains: 'Nmap Scripting Engine'
    condition: selection
level: high
"""


def test_hunt_rules_and_jsonl_with_sigma_findings_follow_their_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Sigma finding is named by its rule's id (a UUID): the contracts take it, and the Sigma
    rules `exhunt rules --sigma --json` lists are described."""
    monkeypatch.setenv("EXHUNT_CACHE", "off")
    rule = tmp_path / "scanner.yml"
    rule.write_text(SCANNER_UA_RULE, encoding="utf-8")
    out, lines = tmp_path / "h.json", tmp_path / "h.jsonl"
    args = ["hunt", str(EXAMPLES / "EX01-compromised"), "--sigma", str(rule), "--no-db", "-q"]
    assert main([*args, "--json", str(out), "--jsonl", str(lines)]) == 1
    doc = json.loads(out.read_text(encoding="utf-8"))
    ids = {f["rule_id"] for h in doc["hosts"] for f in h["findings"]}
    assert "5b0c6f4e-2d7a-4c1e-9f3b-8a6d2e1c7b90" in ids
    validate(doc, "exhunt.hunt/2")
    for line in lines.read_text(encoding="utf-8").splitlines():
        validate(json.loads(line), "exhunt.finding/1")
    broken = copy.deepcopy(doc)
    broken["hosts"][0]["findings"][0]["rule_id"] = "not a rule id"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "exhunt.hunt/2")
    listed = tmp_path / "r.json"
    assert main(["rules", "--sigma", str(rule), "-q", "--json", str(listed)]) == 0
    rules = json.loads(listed.read_text())
    validate(rules, "exhunt.rules/2")
    assert rules["sigma"][0]["reads"]
    rules["sigma"][0]["event_ids"] = "any"
    with pytest.raises(jsonschema.ValidationError):
        validate(rules, "exhunt.rules/2")


@pytest.fixture
def two_hosts() -> Iterator[list[str]]:
    em = Emulator()
    specs = []
    for i, profile in enumerate((ExchangeHost("15.1.2176.2"), WebHost())):
        ip, port = em.add(f"127.0.6.{i + 1}", profile)
        specs.append(f"http://{ip}:{port}")
    with EmulatorThread(em):
        yield specs


def test_scan_json_and_jsonl_follow_their_schema(two_hosts: list[str], tmp_path: Path) -> None:
    report, lines = tmp_path / "s.json", tmp_path / "s.jsonl"
    code = main(["scan", *two_hosts, "--no-db", "-q", "--json", str(report), "--jsonl", str(lines), *FAST])
    assert code == 1
    doc = json.loads(report.read_text())
    validate(doc, "exhunt.scan/1")
    rows = [json.loads(line) for line in lines.read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        validate({**doc, "results": [row]}, "exhunt.scan/1")


def test_jsonl_has_one_valid_line_per_finding_dated_or_not(examples_hunt: dict[str, Path]) -> None:
    hunt = json.loads(examples_hunt["json"].read_text(encoding="utf-8"))
    lines = [json.loads(line) for line in examples_hunt["jsonl"].read_text(encoding="utf-8").splitlines()]
    assert len(lines) == sum(len(h["findings"]) for h in hunt["hosts"])
    for line in lines:
        validate(line, "exhunt.finding/1")
    undated = [line for line in lines if not line["exhunt"]["dated"]]
    assert undated, "the web shell on disk has no time of its own and must still be a line"
    assert all(line["@timestamp"] == hunt["started"] and line["exhunt"]["timestamp"] is None for line in undated)
    dated = [line for line in lines if line["exhunt"]["dated"]]
    assert all(line["@timestamp"] == line["exhunt"]["timestamp"] for line in dated)
    assert {line["host"]["name"] for line in lines} == {h["host"] for h in hunt["hosts"] if h["findings"]}
    # The detectors fill the facets, so real lines carry the ECS request and file fields.
    assert any(line.get("url", {}).get("original") and line.get("user_agent") for line in lines)
    assert any(line.get("file", {}).get("hash", {}).get("sha256") for line in undated)


def _faceted() -> HuntResult:
    sha = hashlib.sha256(b"shell").hexdigest()
    when = datetime(2021, 3, 3, 6, 47, 12, tzinfo=UTC)
    web = Finding(
        "EXH-TEST-WEB",
        1,
        "a request",
        Severity.HIGH,
        "exploitation",
        Implies.ATTEMPT,
        ("CVE-2021-26855",),
        "ProxyLogon",
        EvidenceRef("C/inetpub/logs/u_ex210303.log", 7),
        when,
        "198.51.100.7",
        # Details say something else on purpose: the writer must read the facets.
        details=(("user_agent", "from-details"), ("url", "/from-details")),
        http=HttpFacet("POST", "/ecp/y.js", "mail.example.com", 200, "=HYPERLINK(1)", "198.51.100.7", "r-1", "EX01"),
        accounts=(
            Account("CORP\\admin", AccountRole.IMPERSONATED),
            Account("SYSTEM", AccountRole.SUBJECT, "S-1-5-18"),
            Account("CORP\\ceo", AccountRole.TARGET),
        ),
    )
    shell = Finding(
        "EXH-TEST-FILE",
        1,
        "a web shell",
        Severity.CRITICAL,
        "webshell",
        Implies.COMPROMISE,
        (),
        "ProxyLogon",
        EvidenceRef("C/inetpub/wwwroot/aspnet_client/x.aspx", None, None, "0" * 64),
        file=FileFacet("C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx", sha, 321, "web root"),
    )
    proc = Finding(
        "EXH-TEST-PROC",
        1,
        "a shell",
        Severity.CRITICAL,
        "execution",
        Implies.COMPROMISE,
        (),
        None,
        EvidenceRef("C/Windows/System32/winevt/Logs/Sysmon.evtx", None, None, None, "42"),
        when,
        event=EventFacet("Microsoft-Windows-Sysmon/Operational", 1, 42, "EX01.corp", "Sysmon"),
        process=ProcessFacet("C:\\Windows\\System32\\cmd.exe", "cmd /c whoami", 9, "w3wp.exe", 8, "SYSTEM"),
    )
    host = HostAssessment("EX01", Verdict.COMPROMISED, "a shell", findings=[web, shell, proc])
    return HuntResult("test", when, when.replace(hour=9), [host])


def test_jsonl_ecs_fields_come_from_the_facets() -> None:
    by_rule = {doc["rule"]["id"]: doc for doc in documents(_faceted())}
    web, shell, proc = (by_rule[f"EXH-TEST-{name}"] for name in ("WEB", "FILE", "PROC"))
    for doc in (web, shell, proc):
        validate(doc, "exhunt.finding/1")
    assert web["url"] == {"original": "/ecp/y.js", "domain": "mail.example.com"}
    assert web["user_agent"]["original"] == "=HYPERLINK(1)"
    assert web["source"]["ip"] == "198.51.100.7"
    assert web["http"] == {"request": {"method": "POST", "id": "r-1"}, "response": {"status_code": 200}}
    assert web["rule"]["id"] == "EXH-TEST-WEB" and web["rule"]["name"] == "a request"
    assert web["event"]["severity"] == Severity.HIGH.rank
    assert web["user"]["name"] == "SYSTEM" and web["user"]["id"] == "S-1-5-18"
    assert web["user"]["effective"]["name"] == "CORP\\admin" and web["user"]["target"]["name"] == "CORP\\ceo"
    assert [a["role"] for a in web["exhunt"]["accounts"]] == ["impersonated", "subject", "target"]
    assert shell["file"]["hash"]["sha256"] == hashlib.sha256(b"shell").hexdigest()
    assert shell["file"]["path"].endswith("x.aspx") and shell["file"]["size"] == 321
    assert shell["@timestamp"] == "2021-03-03T06:47:12Z" and shell["exhunt"]["dated"] is False  # the hunt's start
    assert proc["process"]["command_line"] == "cmd /c whoami" and proc["process"]["parent"]["pid"] == 8
    assert proc["winlog"]["channel"] == "Microsoft-Windows-Sysmon/Operational" and proc["event"]["code"] == "1"
    assert "from-details" not in json.dumps([web["url"], web["user_agent"]])


def test_misp_event_loads_in_pymisp_and_its_objects_validate(examples_hunt: dict[str, Path]) -> None:
    event = MISPEvent()
    event.load(examples_hunt["misp"].read_text(encoding="utf-8"))
    assert event.info.startswith("exhunt hunt") and int(event.distribution) == 0
    assert "tlp:amber+strict" in {t.name for t in event.tags}
    ips = {a.value for a in event.attributes if a.type == "ip-src"}
    assert "198.51.100.77" in ips and all(a.to_ids for a in event.attributes if a.type == "ip-src")
    assert {a.value for a in event.attributes if a.type == "vulnerability"} >= {"CVE-2021-26855", "CVE-2021-27065"}
    files = [o for o in event.objects if o.name == "file"]
    assert files, "the web shell on disk is an attacker file"
    for obj in event.objects:
        assert obj._validate()  # pymisp's check against the object template's required fields
        relations = {a.object_relation for a in obj.attributes}
        assert relations <= set(obj._definition["attributes"])
    hashes = [a for o in files for a in o.attributes if a.object_relation == "sha256"]
    assert hashes and all(a.to_ids for a in hashes)


def test_misp_objects_use_the_facets_and_the_output_is_stable() -> None:
    result = _faceted()
    event = build_event(result)
    (request,) = [o for o in event.objects if o.name == "http-request"]
    values = {a.object_relation: a.value for a in request.attributes}
    assert values["uri"] == "/ecp/y.js" and values["user-agent"] == "=HYPERLINK(1)" and values["method"] == "POST"
    (file,) = [o for o in event.objects if o.name == "file"]
    values = {a.object_relation: a.value for a in file.attributes}
    assert values["sha256"] == hashlib.sha256(b"shell").hexdigest() and values["filename"] == "x.aspx"
    assert dumps(result) == dumps(result)


def test_fleet_json_names_its_contract_and_follows_its_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fleet views a script reads (latest verdicts, hunts, diff) each name their contract."""
    db = str(tmp_path / "h.sqlite")
    assert main(["hunt", str(EXAMPLES), "-q", "--db", db]) == 1
    assert main(["hunt", str(EXAMPLES / "EX02-clean"), "-q", "--db", db]) == 0
    capsys.readouterr()
    assert main(["fleet", "--db", db, "--json", "-"]) == 1
    latest = json.loads(capsys.readouterr().out)
    validate(latest, "exhunt.fleet/1")
    assert latest["counts"]["compromised"] == 1 and len(latest["hosts"]) == 2
    broken = copy.deepcopy(latest)
    broken["hosts"][0]["verdict"] = "pwned"
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, "exhunt.fleet/1")
    assert main(["fleet", "hunts", "--db", db, "--json", "-"]) == 0
    hunts = json.loads(capsys.readouterr().out)
    assert hunts["schema"] == "exhunt.fleet-hunts/1" and [h["id"] for h in hunts["hunts"]] == [1, 2]
    assert main(["fleet", "diff", "--db", db, "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["schema"] == "exhunt.fleet-diff/1"


def test_jsonl_source_ip_holds_an_address_or_nothing() -> None:
    # ECS maps source.ip as an address: a SIEM refuses a line whose source.ip is a forwarded
    # chain or text; the logged value stays in exhunt.source_ip.
    when = datetime(2021, 3, 3, 6, 47, 12, tzinfo=UTC)
    logged = ["10.0.0.1, 10.0.0.2", "fe80::1%x']", "::ffff:203.0.113.7", "-", "2001:db8::1"]
    found = [
        Finding(
            f"EXH-TEST-{n}",
            1,
            "a request",
            Severity.HIGH,
            "exploitation",
            Implies.ATTEMPT,
            (),
            None,
            EvidenceRef("u_ex210303.log", n),
            when,
            ip,
        )
        for n, ip in enumerate(logged, 1)
    ]
    host = HostAssessment("EX01", Verdict.ATTEMPTED, "requests", findings=found)
    docs = {doc["exhunt"]["source_ip"]: doc for doc in documents(HuntResult("test", when, when, [host]))}
    assert {ip: doc.get("source", {}).get("ip") for ip, doc in docs.items()} == {
        "10.0.0.1, 10.0.0.2": None,
        "fe80::1%x']": "fe80::1",
        "::ffff:203.0.113.7": "203.0.113.7",
        "-": None,
        "2001:db8::1": "2001:db8::1",
    }
    event = build_event(HuntResult("test", when, when, [host]))
    assert sorted(a.value for a in event.attributes if a.type == "ip-src") == ["2001:db8::1", "203.0.113.7", "fe80::1"]


def test_misp_addresses_and_requests_say_when_they_were_seen(examples_hunt: dict[str, Path]) -> None:
    event = MISPEvent()
    event.load(examples_hunt["misp"].read_text(encoding="utf-8"))
    by_value = {a.value: a for a in event.attributes if a.type == "ip-src"}
    # 203.0.113.47's requests in the bundled example run from 06:47:12 to 06:47:29 on 3 March 2021
    attacker = by_value["203.0.113.47"]
    assert attacker.first_seen == datetime(2021, 3, 3, 6, 47, 12, tzinfo=UTC)
    assert attacker.first_seen < attacker.last_seen < datetime(2021, 3, 3, 6, 48, tzinfo=UTC)
    requests = [o for o in event.objects if o.name == "http-request"]
    assert requests and all(o.first_seen is not None and o.first_seen <= o.last_seen for o in requests)
    files = [o for o in event.objects if o.name == "file"]
    assert files and all(getattr(o, "first_seen", None) is None for o in files)  # found on disk: no time
