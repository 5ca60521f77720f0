"""Process creation (Sysmon 1, Security 4688) and PowerShell script blocks (4104): web shells at
work, the Unified Messaging exploit's children, credential dumping and HAFNIUM's tools
(docs/detection/proxynotshell.md, docs/detection/processes.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from exhunt.events.detect.common import (
    account,
    basename,
    matching_group,
    pid,
    report,
)
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter
from exhunt.model import AccountRole, ProcessFacet
from exhunt.ruleparams import (
    ExpectedChildrenParams,
    MarkersParams,
    OrdinalParams,
    PatternGroupsParams,
    SnapinParams,
    StagingParams,
    UmChildParams,
    W3wpShellParams,
)
from exhunt.rules import params

UM_CHILD = "EXH-EVT-26857-UM-CHILD"
W3WP_SHELL = "EXH-EVT-W3WP-SHELL"
W3WP_CHILD = "EXH-EVT-W3WP-CHILD"
CHOPPER = "EXH-EVT-CHOPPER-CMD"
COMSVCS = "EXH-EVT-COMSVCS-MINIDUMP"
LSASS_TOOL = "EXH-EVT-LSASS-DUMP-TOOL"
STAGING = "EXH-EVT-STAGING-ARCHIVE"
SNAPIN = "EXH-EVT-EXCHANGE-SNAPIN"
HIDDEN = "EXH-EVT-ASPX-HIDDEN"
HAFNIUM = "EXH-EVT-HAFNIUM-TTP"

_APP_POOL = re.compile(r'-ap\s+"([^"]*)"|-ap\s+(\S+)', re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_ARCHIVER = re.compile(r'(?:^|[\\/\s"\'])(7z|7za|7zr|7zg|rar|winrar|makecab)(?:\.exe)?(?=["\'\s]|$)', re.IGNORECASE)


@dataclass(slots=True)
class ProcessStart:
    """The fields of a process creation event, whichever log recorded it."""

    image: str
    command_line: str
    parent_image: str
    parent_command_line: str  # "" when the log does not record it (Security 4688)
    user: str
    process_id: str
    parent_process_id: str

    @classmethod
    def from_sysmon(cls, record: EventRecord) -> ProcessStart:
        get = record.get
        return cls(
            get("Image"),
            get("CommandLine"),
            get("ParentImage"),
            get("ParentCommandLine"),
            get("User"),
            get("ProcessId"),
            get("ParentProcessId"),
        )

    @classmethod
    def from_security(cls, record: EventRecord) -> ProcessStart:
        get = record.get
        user = get("TargetUserName")
        domain = get("TargetDomainName")
        if not user or user == "-":
            user, domain = get("SubjectUserName"), get("SubjectDomainName")
        return cls(
            get("NewProcessName"),
            get("CommandLine"),
            get("ParentProcessName"),
            "",
            account(domain, user),
            get("NewProcessId"),
            get("ProcessId"),
        )

    def facts(self) -> dict[str, str]:
        return {
            "command_line": self.command_line,
            "image": self.image,
            "parent_image": self.parent_image,
            "parent_command_line": self.parent_command_line,
            "user": self.user,
            "process_id": self.process_id,
            "parent_process_id": self.parent_process_id,
        }


_ROLES = {"user": AccountRole.SUBJECT}


def _report(result: Reporter, rule_id: str, record: EventRecord, facts: dict[str, str], outcome: str = "hit") -> None:
    """A process finding: the started process (the keys `ProcessStart.facts` writes) as a facet."""
    facet = None
    if facts.get("image") or facts.get("command_line"):
        facet = ProcessFacet(
            image=facts.get("image") or None,
            command_line=facts.get("command_line") or None,
            pid=pid(facts.get("process_id", "")),
            parent_image=facts.get("parent_image") or None,
            parent_pid=pid(facts.get("parent_process_id", "")),
            user=facts.get("user") or None,
        )
    report(result, rule_id, record, facts, outcome, roles=_ROLES, process=facet)


def sysmon_process(record: EventRecord, result: Reporter) -> None:
    _process(ProcessStart.from_sysmon(record), record, result)


def security_process(record: EventRecord, result: Reporter) -> None:
    _process(ProcessStart.from_security(record), record, result)


def script_block(record: EventRecord, result: Reporter) -> None:
    """PowerShell 4104: the script text is checked like a command line, for the rules that do
    not need a parent process."""
    text = record.get("ScriptBlockText")
    if not text:
        return
    facts = {"script_block": text, "script_path": record.get("Path"), "script_block_id": record.get("ScriptBlockId")}
    lowered = text.lower()
    _credential_dumping(lowered, facts, record, result)
    group = matching_group(lowered, params(HAFNIUM, PatternGroupsParams).patterns)
    if group:
        _report(result, HAFNIUM, record, {"matched": " + ".join(group), **facts})


def _process(start: ProcessStart, record: EventRecord, result: Reporter) -> None:
    child = basename(start.image)
    parent = basename(start.parent_image)
    if parent in params(UM_CHILD, UmChildParams).parents:
        _um_child(start, child, record, result)
    elif parent == "w3wp.exe":
        _w3wp_child(start, child, record, result)
    command = start.command_line.lower()
    if not command:
        return
    facts = start.facts()
    compact = _SPACES.sub("", command)  # chopper builds its commands without spaces; some echo with
    markers = [m for m, bare in _chopper_markers() if bare in compact]
    if markers:
        _report(result, CHOPPER, record, {"matched": ", ".join(markers), **facts})
    _credential_dumping(command, facts, record, result)
    _staging(command, child, facts, record, result)
    _snapin(command, parent, start, facts, record, result)
    if ".aspx" in command and "+h" in command.partition("attrib")[2]:
        _report(result, HIDDEN, record, facts)
    group = matching_group(command, params(HAFNIUM, PatternGroupsParams).patterns)
    if group:
        _report(result, HAFNIUM, record, {"matched": " + ".join(group), **facts})


@cache
def _chopper_markers() -> tuple[tuple[str, str], ...]:
    return tuple((m, _SPACES.sub("", m)) for m in params(CHOPPER, MarkersParams).markers)


def _um_child(start: ProcessStart, child: str, record: EventRecord, result: Reporter) -> None:
    if child in params(UM_CHILD, UmChildParams).error_reporting:
        result.suppress(UM_CHILD, "Windows Error Reporting started by a Unified Messaging process")
    elif child not in params(UM_CHILD, UmChildParams).expected_children:
        _report(result, UM_CHILD, record, start.facts())


def _w3wp_child(start: ProcessStart, child: str, record: EventRecord, result: Reporter) -> None:
    facts = start.facts()
    pool = _APP_POOL.search(start.parent_command_line)
    app_pool = (pool.group(1) or pool.group(2)) if pool else ""
    if app_pool:
        facts["app_pool"] = app_pool
    if child in params(W3WP_SHELL, W3wpShellParams).shells:
        marker = params(W3WP_SHELL, W3wpShellParams).exchange_pool_marker
        exchange = not start.parent_command_line or marker in start.parent_command_line.lower()
        _report(result, W3WP_SHELL, record, facts, "hit" if exchange else "other-pool")
    elif child and child not in params(W3WP_CHILD, ExpectedChildrenParams).expected_children:
        _report(result, W3WP_CHILD, record, facts)


def _credential_dumping(text: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    if "comsvcs" in text and (
        "minidump" in text or params(COMSVCS, OrdinalParams).ordinal in text or "#+24" in text or "#-4294967272" in text
    ):
        _report(result, COMSVCS, record, facts)
        return
    group = matching_group(text, params(LSASS_TOOL, PatternGroupsParams).patterns)
    if group:
        _report(result, LSASS_TOOL, record, {"matched": " + ".join(group), **facts})


def _staging(command: str, child: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    name = child.removesuffix(".exe")
    if name not in params(STAGING, StagingParams).archivers and not _ARCHIVER.search(command):
        return
    hits = [t for t in params(STAGING, StagingParams).targets if t in command]
    if not hits:
        return
    dump = any(t in {".dmp", "lsass"} for t in hits)
    _report(result, STAGING, record, {"matched": ", ".join(hits), **facts}, "dump" if dump else "hit")


def _snapin(
    command: str, parent: str, start: ProcessStart, facts: dict[str, str], record: EventRecord, result: Reporter
) -> None:
    if "add-pssnapin" not in command or not any(s in command for s in params(SNAPIN, SnapinParams).snapins):
        return
    if parent in params(SNAPIN, SnapinParams).setup_parents or _SPACES.sub(
        "", params(SNAPIN, SnapinParams).setup_marker
    ) in _SPACES.sub("", command):
        result.suppress(SNAPIN, "Exchange setup loading its own snap-in")
        return
    _report(result, SNAPIN, record, facts)
