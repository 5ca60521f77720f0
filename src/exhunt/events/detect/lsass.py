"""LSASS memory access: Sysmon process access (10) and Security object access (4656/4663) on
lsass.exe (docs/detection/processes.md; access rights as public Sysmon guidance lists them)."""

from __future__ import annotations

from fnmatch import fnmatchcase

from exhunt.events.detect.common import account, basename, each, pid, report
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter
from exhunt.model import AccountRole, ProcessFacet
from exhunt.ruleparams import LsassAccessParams, LsassHandleParams

ACCESS = "event-lsass-access"
HANDLE = "event-lsass-handle"
_VM_READ = 0x10


_ROLES = {"user": AccountRole.SUBJECT, "source_user": AccountRole.SUBJECT}


def _report(result: Reporter, rule_id: str, record: EventRecord, facts: dict[str, str], outcome: str = "hit") -> None:
    """An LSASS access: the process that opened LSASS as the facet."""
    image = facts.get("source_image") or facts.get("process") or ""
    user = facts.get("source_user") or facts.get("user") or None
    facet = ProcessFacet(
        image=image, pid=pid(facts.get("source_process_id") or facts.get("process_id") or ""), user=user
    )
    report(result, rule_id, record, facts, outcome, roles=_ROLES, process=facet if image else None)


def process_access(record: EventRecord, result: Reporter) -> None:
    if basename(record.get("TargetImage")) != "lsass.exe":
        return
    source = basename(record.get("SourceImage"))
    granted = record.get("GrantedAccess").strip().lower()
    trace = record.get("CallTrace").lower()
    facts = {
        "source_image": record.get("SourceImage"),
        "granted_access": granted,
        "target_image": record.get("TargetImage"),
        "source_user": record.get("SourceUser"),
        "source_process_id": record.get("SourceProcessId"),
        "call_trace": record.get("CallTrace"),
    }
    for rule_id, p in each(ACCESS, LsassAccessParams):
        library = next((lib for lib in p.dump_libraries if lib in trace), None)
        if library:
            _report(result, rule_id, record, {"dump_library": library, **facts})
        elif granted in p.dump_access:
            if benign_accessor(record.get("SourceImage"), granted, p.benign_accessors):
                result.suppress(
                    rule_id, "LSASS read by a monitoring or cloud agent at its installed path, with its usual rights"
                )
            elif source in p.expected_accessors:
                result.suppress(rule_id, "dump-style access to LSASS by a Windows or security process")
            else:
                _report(result, rule_id, record, facts, "dump-access")


def object_access(record: EventRecord, result: Reporter) -> None:
    if basename(record.get("ObjectName")) != "lsass.exe":
        return
    mask = _mask(record.get("AccessMask"))
    if mask is None or not mask & _VM_READ:
        return
    process = basename(record.get("ProcessName"))
    facts = {
        "process": record.get("ProcessName"),
        "access_mask": record.get("AccessMask"),
        "object": record.get("ObjectName"),
        "user": account(record.get("SubjectDomainName"), record.get("SubjectUserName")),
        "process_id": record.get("ProcessId"),
    }
    for rule_id, p in each(HANDLE, LsassHandleParams):
        if process in p.expected_accessors:
            result.suppress(rule_id, "LSASS memory read by a Windows or security process")
        elif benign_accessor(record.get("ProcessName"), f"{mask:#x}", p.benign_accessors):
            result.suppress(
                rule_id, "LSASS read by a monitoring or cloud agent at its installed path, with its usual rights"
            )
        elif process in p.dump_vectors:
            _report(result, rule_id, record, facts, "dump-vector")
        else:
            _report(result, rule_id, record, facts)


def benign_accessor(path: str, access: str, accessors: tuple[tuple[str, ...], ...]) -> bool:
    """True when `path` (full, as the event gives it) is a listed agent's install path and the
    access mask is one of those listed for it (any mask when none is listed)."""
    lowered = path.strip().strip('"').lower()
    mask = _mask(access)
    for pattern, *masks in accessors:
        if fnmatchcase(lowered, pattern) and (not masks or mask in {_mask(m) for m in masks}):
            return True
    return False


def _mask(text: str) -> int | None:
    try:
        return int(text.strip(), 0)
    except ValueError:
        return None
