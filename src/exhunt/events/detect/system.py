"""Application, Security and System log events that are not process or file events: the
CVE-2021-26857 UM error, cleared logs, explicit logons by IIS, Exchange group changes."""

from __future__ import annotations

from exhunt.events.detect.common import account, basename, each, report
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter
from exhunt.model import AccountRole
from exhunt.ruleparams import GroupAddParams, NoParams, UmErrorParams

UM_ERROR = "event-um-error"
CLEARED = "event-log-cleared"
EXPLICIT = "event-explicit-logon"
GROUP_ADD = "event-group-add"
_ERROR_LEVEL = 2


_ROLES = {
    "user": AccountRole.SUBJECT,
    "subject_user": AccountRole.SUBJECT,
    "changed_by": AccountRole.SUBJECT,
    "target_user": AccountRole.TARGET,
    "member": AccountRole.TARGET,
}


def _report(result: Reporter, rule_id: str, record: EventRecord, facts: dict[str, str], outcome: str = "hit") -> None:
    report(result, rule_id, record, facts, outcome, roles=_ROLES)


def unified_messaging(record: EventRecord, result: Reporter) -> None:
    """Test-ProxyLogon's check (docs/detection/proxylogon.md#test-proxylogon-checks): level Error, the exception in the text."""
    if record.level is not None and record.level != _ERROR_LEVEL:
        return
    text = record.text()
    for rule_id, p in each(UM_ERROR, UmErrorParams):
        if p.marker in text.lower():
            _report(result, rule_id, record, {"message": text})


def log_cleared(record: EventRecord, result: Reporter) -> None:
    user = record.get("SubjectUserName")
    domain = record.get("SubjectDomainName")
    facts = {
        "cleared_log": record.get("Channel") or record.channel,
        "user": account(domain, user),
        "backup_path": record.get("BackupPath"),
    }
    for rule_id, _ in each(CLEARED, NoParams):
        _report(result, rule_id, record, facts)


def explicit_logon(record: EventRecord, result: Reporter) -> None:
    if basename(record.get("ProcessName")) != "w3wp.exe":
        return
    facts = {
        "target_user": account(record.get("TargetDomainName"), record.get("TargetUserName")),
        "subject_user": account(record.get("SubjectDomainName"), record.get("SubjectUserName")),
        "target_server": record.get("TargetServerName"),
        "process": record.get("ProcessName"),
    }
    for rule_id, _ in each(EXPLICIT, NoParams):
        _report(result, rule_id, record, facts)


def group_member_added(record: EventRecord, result: Reporter) -> None:
    group = record.get("TargetUserName")
    facts = {
        "group": group,
        "member": record.get("MemberName") or record.get("MemberSid"),
        "changed_by": account(record.get("SubjectDomainName"), record.get("SubjectUserName")),
    }
    for rule_id, p in each(GROUP_ADD, GroupAddParams):
        if group.lower() in p.groups:
            strong = group.lower() in p.domain_control_groups
            _report(result, rule_id, record, facts, "domain-control" if strong else "hit")
