"""What intruders do on an Exchange server once in, seen in event logs: switching IIS logging
off and deleting the logs, IIS native modules, transport-agent backdoors (EdgeTransport.exe
children), application pool passwords, mail forwarding and exports by cmdlet, files w3wp.exe
drops, Defender's web-shell detections, LSASS opened from injected code, Mimikatz.

Rules and their parameters: `exhunt/data/rules/intrusion.toml`.
"""

from __future__ import annotations

from exhunt.events.detect.common import basename, each, extension, in_web_folder, matching_group, report
from exhunt.events.detect.lsass import benign_accessor
from exhunt.events.detect.management import cmdlet_run
from exhunt.events.detect.process import ProcessStart
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter
from exhunt.ruleparams import (
    AvWebshellParams,
    CommandConfigParams,
    ExportCommandParams,
    LogDeletionParams,
    LsassSuspectParams,
    MimikatzParams,
    ParentChildParams,
    PatternGroupsParams,
    W3wpDropParams,
)

AV_WEBSHELL = "event-av-webshell"
IIS_CONFIG = "event-iis-config-change"  # IIS logging off, native modules: commands and config events
LOGS_DELETED = "event-log-deletion"
EDGE_CHILD = "event-parent-child"
CMDLETS = "event-cmdlet-patterns"  # inbox rules and forwarding: commands and Management events
EXPORT = "event-export-command"
W3WP_DROP = "event-w3wp-drop"
LSASS_SUSPECT = "event-lsass-suspect"
MIMIKATZ = "event-mimikatz"

# Detectors whose whole test on a command line or script is "all strings of one group are in it".
_COMMAND_DETECTORS: tuple[tuple[str, type[PatternGroupsParams | CommandConfigParams | LogDeletionParams]], ...] = (
    (IIS_CONFIG, CommandConfigParams),
    (LOGS_DELETED, LogDeletionParams),
    (CMDLETS, PatternGroupsParams),
)


# --- command lines and script blocks ------------------------------------------------------


def sysmon_process(record: EventRecord, result: Reporter) -> None:
    _process(ProcessStart.from_sysmon(record), record, result)


def security_process(record: EventRecord, result: Reporter) -> None:
    _process(ProcessStart.from_security(record), record, result)


def script_block(record: EventRecord, result: Reporter) -> None:
    text = record.get("ScriptBlockText")
    if text:
        facts = {
            "script_block": text,
            "script_path": record.get("Path"),
            "script_block_id": record.get("ScriptBlockId"),
        }
        _command(text.lower(), facts, record, result)


def _process(start: ProcessStart, record: EventRecord, result: Reporter) -> None:
    facts = start.facts()
    for rule_id, p in each(EDGE_CHILD, ParentChildParams):
        if basename(start.parent_image) in p.parents:
            _edge_child(rule_id, p, basename(start.image), facts, record, result)
    if start.command_line:
        _command(start.command_line.lower(), facts, record, result)


def _command(text: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    for detector, cls in _COMMAND_DETECTORS:
        for rule_id, p in each(detector, cls):
            group = matching_group(text, p.patterns)
            if group:
                report(result, rule_id, record, {"matched": " + ".join(group), **facts})
    for rule_id, export in each(EXPORT, ExportCommandParams):
        group = matching_group(text, export.patterns)
        if group:
            web = any(marker in text for marker in export.web_markers)
            report(result, rule_id, record, {"matched": " + ".join(group), **facts}, "to-web" if web else "hit")
    for rule_id, mimikatz in each(MIMIKATZ, MimikatzParams):
        group = matching_group(text, mimikatz.patterns)
        if group:
            report(result, rule_id, record, {"matched": " + ".join(group), **facts})


def _edge_child(
    rule_id: str, p: ParentChildParams, child: str, facts: dict[str, str], record: EventRecord, result: Reporter
) -> None:
    if child in p.expected_children:
        result.suppress(rule_id, "Windows Error Reporting or a console host started by the transport service")
    elif child in p.shells:
        report(result, rule_id, record, facts)
    else:
        report(result, rule_id, record, facts, "other-program")


# --- the MSExchange Management log ---------------------------------------------------------


def management_event(record: EventRecord, result: Reporter) -> None:
    """Inbox rules, forwarding and transport rules set through ECP or remote PowerShell."""
    run = cmdlet_run(record)
    if run is None:
        return
    text = f"{run.cmdlet} {run.parameters}".lower()
    for rule_id, p in each(CMDLETS, PatternGroupsParams):
        group = matching_group(text, p.patterns)
        if group:
            report(result, rule_id, record, {"matched": " + ".join(group), **run.facts()})


# --- IIS configuration log -----------------------------------------------------------------


def iis_config_change(record: EventRecord, result: Reporter) -> None:
    """Microsoft-IIS-Configuration/Operational 29: a configuration property changed."""
    configuration = record.get("Configuration")
    text = f"{configuration} {record.get('NewValue')}".lower() if configuration else record.text().lower()
    facts = {
        "configuration": configuration,
        "new_value": record.get("NewValue"),
        "old_value": record.get("OldValue"),
        "location": record.get("EffectiveLocation"),
    }
    for rule_id, p in each(IIS_CONFIG, CommandConfigParams):
        group = matching_group(text, p.config_markers)
        if group:
            report(result, rule_id, record, {"matched": " + ".join(group), **facts})


# --- Defender ------------------------------------------------------------------------------


def defender(record: EventRecord, result: Reporter) -> None:
    for rule_id, p in each(AV_WEBSHELL, AvWebshellParams):
        if record.event_id in p.event_ids:
            _defender(rule_id, p, record, result)


def _defender(rule_id: str, p: AvWebshellParams, record: EventRecord, result: Reporter) -> None:
    threat = record.get("Threat Name") or record.get("ThreatName")
    path = record.get("Path")
    lowered_threat, lowered_path = threat.lower(), path.lower()
    marker = next((m for m in p.threat_markers if m in lowered_threat), None)
    if marker is None and not in_web_folder(lowered_path):
        return
    facts = {
        "threat": threat,
        "path": path,
        "action": record.get("Action Name"),
        "category": record.get("Category Name"),
        "process": record.get("Process Name"),
        "user": record.get("Detection User"),
        "web_shell_family": marker or "",
    }
    report(result, rule_id, record, facts)


# --- Sysmon: files, deletions, process access ----------------------------------------------


def file_created(record: EventRecord, result: Reporter) -> None:
    target = record.get("TargetFilename")
    if not target:
        return
    name = basename(target)
    facts = {"target_file": target, "image": record.get("Image"), "user": record.get("User")}
    for rule_id, mimikatz in each(MIMIKATZ, MimikatzParams):
        if name in mimikatz.file_names:
            report(result, rule_id, record, {"matched": name, **facts})
    for rule_id, p in each(W3WP_DROP, W3wpDropParams):
        if basename(record.get("Image")) in p.writers:
            _w3wp_drop(rule_id, p, target, name, facts, record, result)


def _w3wp_drop(
    rule_id: str,
    p: W3wpDropParams,
    target: str,
    name: str,
    facts: dict[str, str],
    record: EventRecord,
    result: Reporter,
) -> None:
    ext = extension(name)
    lowered = target.lower()
    if ext not in p.extensions or in_web_folder(lowered):
        return  # pages inside web folders are EXH-EVT-WEB-SCRIPT-WRITE / -WEBSHELL-DROP
    if any(folder in lowered for folder in p.compile_folders) or (
        ext in p.compile_temp_extensions and any(folder in lowered for folder in p.compile_temp_folders)
    ):
        return  # ASP.NET compiling pages: routine, not worth a count
    report(result, rule_id, record, facts)


def file_deleted(record: EventRecord, result: Reporter) -> None:
    """Sysmon 23 (file delete archived) and 26 (file delete logged)."""
    target = record.get("TargetFilename")
    lowered = target.lower()
    facts = {"target_file": target, "image": record.get("Image"), "user": record.get("User")}
    for rule_id, p in each(LOGS_DELETED, LogDeletionParams):
        if not any(folder in lowered for folder in p.log_folders):
            continue
        if extension(basename(lowered)) not in p.log_extensions:
            continue
        if basename(record.get("Image")) in p.expected_deleters:
            result.suppress(rule_id, "log retention by Exchange or IIS itself")
        else:
            report(result, rule_id, record, facts)


def process_access(record: EventRecord, result: Reporter) -> None:
    if basename(record.get("TargetImage")) != "lsass.exe":
        return
    for rule_id, p in each(LSASS_SUSPECT, LsassSuspectParams):
        _lsass_suspect(rule_id, p, record, result)


def _lsass_suspect(rule_id: str, p: LsassSuspectParams, record: EventRecord, result: Reporter) -> None:
    granted = record.get("GrantedAccess").strip().lower()
    trace = record.get("CallTrace").lower()
    marker = next((m for m in p.trace_markers if m in trace), None)
    if marker is None and granted not in p.access:
        return
    if benign_accessor(record.get("SourceImage"), granted, p.benign_accessors):
        result.suppress(rule_id, "LSASS read by a monitoring or cloud agent at its installed path")
        return
    facts = {
        "source_image": record.get("SourceImage"),
        "granted_access": granted,
        "unbacked_code": "yes: the call trace passes through code in no module" if marker else "",
        "source_user": record.get("SourceUser"),
        "source_process_id": record.get("SourceProcessId"),
        "call_trace": record.get("CallTrace"),
    }
    report(result, rule_id, record, facts)
