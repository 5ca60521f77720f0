"""What intruders do on an Exchange server once in, seen in event logs: switching IIS logging
off and deleting the logs, IIS native modules, transport-agent backdoors (EdgeTransport.exe
children), application pool passwords, mail forwarding and exports by cmdlet, files w3wp.exe
drops, Defender's web-shell detections, LSASS opened from injected code, Mimikatz.

Rules and their parameters: `exhunt/data/rules/intrusion.toml`.
"""

from __future__ import annotations

from exhunt.events.detect.common import basename, extension, in_web_folder, matching_group, report
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
from exhunt.rules import params

AV_WEBSHELL = "EXH-EVT-AV-WEBSHELL"
LOGGING_OFF = "EXH-EVT-IIS-LOGGING-OFF"
LOGS_DELETED = "EXH-EVT-WEB-LOGS-DELETED"
NATIVE_MODULE = "EXH-EVT-IIS-NATIVE-MODULE"
APPCMD_PASSWORDS = "EXH-EVT-APPCMD-PASSWORDS"
EDGE_CHILD = "EXH-EVT-EDGETRANSPORT-CHILD"
INBOX_RULE = "EXH-EVT-INBOX-RULE-CMDLET"
EXPORT = "EXH-EVT-EXPORT-CMDLINE"
TRANSPORT_AGENT = "EXH-EVT-TRANSPORT-AGENT-CMDLINE"
W3WP_DROP = "EXH-EVT-W3WP-FILE-DROP"
LSASS_SUSPECT = "EXH-EVT-LSASS-SUSPECT-ACCESS"
MIMIKATZ = "EXH-EVT-MIMIKATZ"

# Rules whose whole test is "all strings of one group are in the command line or script".
_COMMAND_RULES: tuple[tuple[str, type[PatternGroupsParams | CommandConfigParams | LogDeletionParams]], ...] = (
    (LOGGING_OFF, CommandConfigParams),
    (NATIVE_MODULE, CommandConfigParams),
    (LOGS_DELETED, LogDeletionParams),
    (APPCMD_PASSWORDS, PatternGroupsParams),
    (INBOX_RULE, PatternGroupsParams),
    (TRANSPORT_AGENT, PatternGroupsParams),
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
    if basename(start.parent_image) in params(EDGE_CHILD, ParentChildParams).parents:
        _edge_child(basename(start.image), facts, record, result)
    if start.command_line:
        _command(start.command_line.lower(), facts, record, result)


def _command(text: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    for rule_id, cls in _COMMAND_RULES:
        group = matching_group(text, params(rule_id, cls).patterns)
        if group:
            report(result, rule_id, record, {"matched": " + ".join(group), **facts})
    export = params(EXPORT, ExportCommandParams)
    group = matching_group(text, export.patterns)
    if group:
        web = any(marker in text for marker in export.web_markers)
        report(result, EXPORT, record, {"matched": " + ".join(group), **facts}, "to-web" if web else "hit")
    group = matching_group(text, params(MIMIKATZ, MimikatzParams).patterns)
    if group:
        report(result, MIMIKATZ, record, {"matched": " + ".join(group), **facts})


def _edge_child(child: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    p = params(EDGE_CHILD, ParentChildParams)
    if child in p.expected_children:
        result.suppress(EDGE_CHILD, "Windows Error Reporting or a console host started by the transport service")
    elif child in p.shells:
        report(result, EDGE_CHILD, record, facts)
    else:
        report(result, EDGE_CHILD, record, facts, "other-program")


# --- the MSExchange Management log ---------------------------------------------------------


def management_event(record: EventRecord, result: Reporter) -> None:
    """Inbox rules, forwarding and transport rules set through ECP or remote PowerShell."""
    run = cmdlet_run(record)
    if run is None:
        return
    text = f"{run.cmdlet} {run.parameters}".lower()
    group = matching_group(text, params(INBOX_RULE, PatternGroupsParams).patterns)
    if group:
        report(result, INBOX_RULE, record, {"matched": " + ".join(group), **run.facts()})


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
    for rule_id in (LOGGING_OFF, NATIVE_MODULE):
        group = matching_group(text, params(rule_id, CommandConfigParams).config_markers)
        if group:
            report(result, rule_id, record, {"matched": " + ".join(group), **facts})


# --- Defender ------------------------------------------------------------------------------


def defender(record: EventRecord, result: Reporter) -> None:
    p = params(AV_WEBSHELL, AvWebshellParams)
    if record.event_id not in p.event_ids:
        return
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
    report(result, AV_WEBSHELL, record, facts)


# --- Sysmon: files, deletions, process access ----------------------------------------------


def file_created(record: EventRecord, result: Reporter) -> None:
    target = record.get("TargetFilename")
    if not target:
        return
    name = basename(target)
    facts = {"target_file": target, "image": record.get("Image"), "user": record.get("User")}
    if name in params(MIMIKATZ, MimikatzParams).file_names:
        report(result, MIMIKATZ, record, {"matched": name, **facts})
    p = params(W3WP_DROP, W3wpDropParams)
    if basename(record.get("Image")) not in p.writers:
        return
    ext = extension(name)
    lowered = target.lower()
    if ext not in p.extensions or in_web_folder(lowered):
        return  # pages inside web folders are EXH-EVT-WEB-SCRIPT-WRITE / -WEBSHELL-DROP
    if any(folder in lowered for folder in p.compile_folders) or (
        ext in p.compile_temp_extensions and any(folder in lowered for folder in p.compile_temp_folders)
    ):
        return  # ASP.NET compiling pages: routine, not worth a count
    report(result, W3WP_DROP, record, facts)


def file_deleted(record: EventRecord, result: Reporter) -> None:
    """Sysmon 23 (file delete archived) and 26 (file delete logged)."""
    target = record.get("TargetFilename")
    p = params(LOGS_DELETED, LogDeletionParams)
    lowered = target.lower()
    if not any(folder in lowered for folder in p.log_folders) or extension(basename(lowered)) not in p.log_extensions:
        return
    if basename(record.get("Image")) in p.expected_deleters:
        result.suppress(LOGS_DELETED, "log retention by Exchange or IIS itself")
        return
    report(
        result, LOGS_DELETED, record, {"target_file": target, "image": record.get("Image"), "user": record.get("User")}
    )


def process_access(record: EventRecord, result: Reporter) -> None:
    if basename(record.get("TargetImage")) != "lsass.exe":
        return
    p = params(LSASS_SUSPECT, LsassSuspectParams)
    granted = record.get("GrantedAccess").strip().lower()
    trace = record.get("CallTrace").lower()
    marker = next((m for m in p.trace_markers if m in trace), None)
    if marker is None and granted not in p.access:
        return
    if benign_accessor(record.get("SourceImage"), granted, p.benign_accessors):
        result.suppress(LSASS_SUSPECT, "LSASS read by a monitoring or cloud agent at its installed path")
        return
    facts = {
        "source_image": record.get("SourceImage"),
        "granted_access": granted,
        "unbacked_code": "yes: the call trace passes through code in no module" if marker else "",
        "source_user": record.get("SourceUser"),
        "source_process_id": record.get("SourceProcessId"),
        "call_trace": record.get("CallTrace"),
    }
    report(result, LSASS_SUSPECT, record, facts)
