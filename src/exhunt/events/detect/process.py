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
    each,
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
    NoParams,
    OrdinalParams,
    PatternGroupsParams,
    SnapinParams,
    StagingParams,
    UmChildParams,
    W3wpShellParams,
)

UM_CHILD = "event-um-child"
W3WP_SHELL = "event-w3wp-shell"
W3WP_CHILD = "event-w3wp-child"
CHOPPER = "event-chopper"
COMSVCS = "event-comsvcs"
LSASS_TOOL = "event-lsass-dump-tool"  # pattern groups, tried only when comsvcs did not fire
STAGING = "event-staging"
SNAPIN = "event-snapin"
HIDDEN = "event-hidden-page"
PATTERNS = "event-command-patterns"  # HAFNIUM's tools, appcmd password listing, agent installs

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
    _command_patterns(lowered, facts, record, result)


def _process(start: ProcessStart, record: EventRecord, result: Reporter) -> None:
    child = basename(start.image)
    parent = basename(start.parent_image)
    for rule_id, um in each(UM_CHILD, UmChildParams):
        if parent in um.parents:
            _um_child(rule_id, um, start, child, record, result)
    if parent == "w3wp.exe":
        _w3wp_child(start, child, record, result)
    command = start.command_line.lower()
    if not command:
        return
    facts = start.facts()
    compact = _SPACES.sub("", command)  # chopper builds its commands without spaces; some echo with
    for rule_id, chopper in each(CHOPPER, MarkersParams):
        markers = [m for m, bare in _without_spaces(chopper.markers) if bare in compact]
        if markers:
            _report(result, rule_id, record, {"matched": ", ".join(markers), **facts})
    _credential_dumping(command, facts, record, result)
    _staging(command, child, facts, record, result)
    _snapin(command, parent, facts, record, result)
    if ".aspx" in command and "+h" in command.partition("attrib")[2]:
        for rule_id, _ in each(HIDDEN, NoParams):
            _report(result, rule_id, record, facts)
    _command_patterns(command, facts, record, result)


@cache
def _without_spaces(markers: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each marker with its spaces taken out, once per set of markers (not per event)."""
    return tuple((m, _SPACES.sub("", m)) for m in markers)


def _command_patterns(text: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    """Rules whose whole test is "all strings of one group are in the command line or script"."""
    for rule_id, p in each(PATTERNS, PatternGroupsParams):
        group = matching_group(text, p.patterns)
        if group:
            _report(result, rule_id, record, {"matched": " + ".join(group), **facts})


def _um_child(
    rule_id: str, p: UmChildParams, start: ProcessStart, child: str, record: EventRecord, result: Reporter
) -> None:
    if child in p.error_reporting:
        result.suppress(rule_id, "Windows Error Reporting started by a Unified Messaging process")
    elif child not in p.expected_children:
        _report(result, rule_id, record, start.facts())


def _w3wp_child(start: ProcessStart, child: str, record: EventRecord, result: Reporter) -> None:
    facts = start.facts()
    pool = _APP_POOL.search(start.parent_command_line)
    app_pool = (pool.group(1) or pool.group(2)) if pool else ""
    if app_pool:
        facts["app_pool"] = app_pool
    shells = [(rule_id, p) for rule_id, p in each(W3WP_SHELL, W3wpShellParams) if child in p.shells]
    for rule_id, p in shells:
        exchange = not start.parent_command_line or p.exchange_pool_marker in start.parent_command_line.lower()
        _report(result, rule_id, record, facts, "hit" if exchange else "other-pool")
    if shells or not child:
        return
    for rule_id, expected in each(W3WP_CHILD, ExpectedChildrenParams):
        if child not in expected.expected_children:
            _report(result, rule_id, record, facts)


def _credential_dumping(text: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    if "comsvcs" in text:
        minidump = [
            rule_id
            for rule_id, p in each(COMSVCS, OrdinalParams)
            if "minidump" in text or p.ordinal in text or "#+24" in text or "#-4294967272" in text
        ]
        for rule_id in minidump:
            _report(result, rule_id, record, facts)
        if minidump:
            return
    for rule_id, p in each(LSASS_TOOL, PatternGroupsParams):
        group = matching_group(text, p.patterns)
        if group:
            _report(result, rule_id, record, {"matched": " + ".join(group), **facts})


def _staging(command: str, child: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    name = child.removesuffix(".exe")
    for rule_id, p in each(STAGING, StagingParams):
        if name not in p.archivers and not _ARCHIVER.search(command):
            continue
        hits = [t for t in p.targets if t in command]
        if hits:
            dump = any(t in {".dmp", "lsass"} for t in hits)
            _report(result, rule_id, record, {"matched": ", ".join(hits), **facts}, "dump" if dump else "hit")


def _snapin(command: str, parent: str, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    if "add-pssnapin" not in command:
        return
    for rule_id, p in each(SNAPIN, SnapinParams):
        if not any(s in command for s in p.snapins):
            continue
        if parent in p.setup_parents or _SPACES.sub("", p.setup_marker) in _SPACES.sub("", command):
            result.suppress(rule_id, "Exchange setup loading its own snap-in")
        else:
            _report(result, rule_id, record, facts)
