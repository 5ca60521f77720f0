"""The event hunt on real public data: the OTRF ProxyLogon dataset and the shared .evtx samples."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, Implies, Severity, UnitResult

pytestmark = pytest.mark.shared

CTX = HostContext("MXS01", None, HuntOptions())
OTRF_MEMBER = "proxylogon_ssrf_rce_poc_2021-03-14T01401970.json"


def analyze(file: EvidenceFile) -> UnitResult:
    return registry()["events"].analyze(file, CTX)


def on_disk(path: Path, kind: ArtefactKind, rel: str) -> EvidenceFile:
    return EvidenceFile(FileRef(str(path)), rel, kind, path.stat().st_size)


def assert_proxylogon_run(result: UnitResult, rel: str) -> None:
    assert result.errors == []
    assert result.coverage["EventLog"].records == 10487
    by_rule: dict[str, list] = {}
    for finding in result.findings:
        by_rule.setdefault(finding.rule_id, []).append(finding)
        assert finding.evidence.path == rel and finding.evidence.line is not None
        assert finding.timestamp is not None and finding.timestamp.year == 2021

    (oab,) = by_rule["EXH-EVT-VDIR-URL-SCRIPT"]
    assert oab.evidence.line == 10485
    assert oab.detail("cmdlet") == "Set-OabVirtualDirectory" and oab.detail("parameter") == "-ExternalUrl"
    assert "eval(Request[" in oab.detail("url") and oab.implies is Implies.COMPROMISE

    (drop,) = by_rule["EXH-EVT-WEBSHELL-DROP"]
    assert drop.detail("target_file").endswith("\\FrontEnd\\HttpProxy\\owa\\auth\\ohyeah.aspx")
    assert drop.implies is Implies.COMPROMISE and drop.severity is Severity.CRITICAL

    shells = by_rule["EXH-EVT-W3WP-SHELL"]
    assert {f.detail("command_line") for f in shells} == {"cmd /c whoami"}
    assert {f.detail("event").split()[-1] for f in shells} == {"1", "4688"}  # Sysmon and Security both saw it
    sysmon = [f for f in shells if f.detail("app_pool")]
    assert sysmon and all(f.detail("app_pool") == "MSExchangeOWAAppPool" for f in sysmon)
    assert all(f.implies is Implies.COMPROMISE and f.severity is Severity.CRITICAL for f in shells)

    # the lab's own noise (health probes, compilation, monitoring agent) raises nothing else
    assert set(by_rule) == {"EXH-EVT-VDIR-URL-SCRIPT", "EXH-EVT-WEBSHELL-DROP", "EXH-EVT-W3WP-SHELL"}
    hosts = {o.value for o in result.observations if o.kind == "hostname"}
    assert hosts == {"MXS01.azsentinel.local"}


def test_otrf_proxylogon_unzipped(shared_data: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(shared_data / "events" / "proxylogon_ssrf_rce_poc.zip") as zf:
        zf.extract(OTRF_MEMBER, tmp_path)
    rel = f"MXS01/{OTRF_MEMBER}"
    assert_proxylogon_run(analyze(on_disk(tmp_path / OTRF_MEMBER, ArtefactKind.EVENT_JSON, rel)), rel)


def test_otrf_proxylogon_read_inside_the_zip(shared_data: Path) -> None:
    archive = shared_data / "events" / "proxylogon_ssrf_rce_poc.zip"
    with zipfile.ZipFile(archive) as zf:
        size = zf.getinfo(OTRF_MEMBER).file_size
    rel = f"proxylogon_ssrf_rce_poc.zip/{OTRF_MEMBER}"
    file = EvidenceFile(FileRef(OTRF_MEMBER, archive=str(archive)), rel, ArtefactKind.EVENT_JSON, size)
    assert_proxylogon_run(analyze(file), rel)


SAMPLES = {
    # file: rule ids that must be raised (others may be too)
    "EVTX-ATTACK-SAMPLES/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx": {"EXH-EVT-W3WP-SHELL"},
    "EVTX-ATTACK-SAMPLES/sysmon_10_1_memdump_comsvcs_minidump.evtx": {"EXH-EVT-COMSVCS-MINIDUMP"},
    "EVTX-ATTACK-SAMPLES/sysmon_10_11_lsass_memdump.evtx": {
        "EXH-EVT-LSASS-ACCESS",
        "EXH-EVT-LSASS-DUMP-FILE",
    },
    "EVTX-ATTACK-SAMPLES/sysmon_rdrleakdiag_lsass_dump.evtx": {"EXH-EVT-LSASS-DUMP-TOOL"},
    "EVTX-ATTACK-SAMPLES/Powershell_4104_MiniDumpWriteDump_Lsass.evtx": {"EXH-EVT-LSASS-DUMP-TOOL"},
    "EVTX-ATTACK-SAMPLES/discovery_sysmon_1_iis_pwd_and_config_discovery_appcmd.evtx": {"EXH-EVT-W3WP-SHELL"},
    "EVTX-ATTACK-SAMPLES/privesc_rotten_potato_from_webshell_metasploit_sysmon_1_8_3.evtx": {"EXH-EVT-W3WP-CHILD"},
    "EVTX-ATTACK-SAMPLES/Runas_4624_4648_Webshell_CreateProcessAsUserA.evtx": {
        "EXH-EVT-W3WP-EXPLICIT-LOGON",
        "EXH-EVT-LOG-CLEARED",
    },
    "EVTX-to-MITRE-Attack/ID1-LSASS_dump_with_LSASSY_(SYSMON).evtx": {
        "EXH-EVT-COMSVCS-MINIDUMP",
        "EXH-EVT-LSASS-ACCESS",
    },
    "EVTX-to-MITRE-Attack/ID11-LSASS_credentials_dump_via_Task_Manager.evtx": {"EXH-EVT-LSASS-DUMP-FILE"},
    "EVTX-to-MITRE-Attack/ID4688-4663-4656-LSASS_dump_with_LSASSY_(process).evtx": {
        "EXH-EVT-COMSVCS-MINIDUMP",
        "EXH-EVT-LSASS-HANDLE",
    },
    "EVTX-to-MITRE-Attack/ID6-Failed_to_install_an_Exchange_transport_agent.evtx": {"EXH-EVT-TRANSPORT-AGENT"},
    "EVTX-to-MITRE-Attack/ID11-Exchange_transport_config_modified.evtx": {"EXH-EVT-TRANSPORT-AGENT-CONFIG"},
    "EVTX-to-MITRE-Attack/ID4756-Exchange_admin_group_change.evtx": {"EXH-EVT-EXCHANGE-GROUP-ADD"},
}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_evtx_samples_raise_their_finding(shared_data: Path, sample: str) -> None:
    path = shared_data / "evtx" / sample
    result = analyze(on_disk(path, ArtefactKind.EVTX, f"winevt/{path.name}"))
    assert result.errors == []
    assert SAMPLES[sample] <= {f.rule_id for f in result.findings}
    for finding in result.findings:
        assert finding.evidence.record is not None and finding.evidence.line == int(finding.evidence.record)
        assert finding.evidence.excerpt and len(finding.evidence.excerpt) <= 600
        assert finding.timestamp is not None


def test_iis_web_shell_sample_details(shared_data: Path) -> None:
    path = shared_data / "evtx" / "EVTX-ATTACK-SAMPLES" / "LM_typical_IIS_webshell_sysmon_1_10_traces.evtx"
    result = analyze(on_disk(path, ArtefactKind.EVTX, "Sysmon.evtx"))
    (shell,) = [f for f in result.findings if f.rule_id == "EXH-EVT-W3WP-SHELL"]
    assert shell.detail("command_line") == '"c:\\windows\\system32\\cmd.exe" /c net user'
    assert shell.detail("app_pool") == "DefaultAppPool" and shell.severity is Severity.HIGH
    assert shell.detail("user") == "IIS APPPOOL\\DefaultAppPool" and shell.evidence.record == "1044"


def test_transport_agent_sample_names_the_agent(shared_data: Path) -> None:
    path = shared_data / "evtx" / "EVTX-to-MITRE-Attack" / "ID6-Failed_to_install_an_Exchange_transport_agent.evtx"
    result = analyze(on_disk(path, ArtefactKind.EVTX, "MSExchange Management.evtx"))
    install = [f for f in result.findings if f.detail("cmdlet") == "Install-TransportAgent"]
    assert install and install[0].detail("assembly_path") == ".\\NetshHelperBeacon.dll"
    assert install[0].detail("outcome") == "failed" and "doesn't exist" in install[0].detail("error")
    assert install[0].detail("caller") == "offsec.lan/OFFSEC-COMPANY/Administrators/admmig"


def test_truncated_file_gives_an_error_and_its_readable_events(shared_data: Path) -> None:
    path = shared_data / "evtx" / "plaso" / "System2-truncated.evtx"
    result = analyze(on_disk(path, ArtefactKind.EVTX, "System2-truncated.evtx"))
    span = result.coverage["EventLog"]
    assert span.records == 194 and span.first is not None and span.last is not None and span.first < span.last
    (error,) = result.errors
    assert error.path == "System2-truncated.evtx"
    assert error.message.startswith("EVTX file truncated") and "194 records read" in error.message


def test_ordinary_system_log_raises_nothing_above_low(shared_data: Path) -> None:
    path = shared_data / "evtx" / "plaso" / "System.evtx"
    result = analyze(on_disk(path, ArtefactKind.EVTX, "System.evtx"))
    assert result.errors == [] and result.coverage["EventLog"].records == 5009
    assert result.coverage["EventLog/System"].records == 5009
    assert [f for f in result.findings if f.severity.rank > Severity.LOW.rank] == []
