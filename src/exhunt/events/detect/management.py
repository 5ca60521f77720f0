"""MSExchange Management log: the cmdlets an attacker ran through ECP or remote PowerShell
(docs/logs.md#event-logs, docs/detection/proxyshell.md, docs/detection/proxylogon.md#web-log-rules). Event 1 is a cmdlet that succeeded, event 6 one that failed.

EVTX files carry the cmdlet and its parameters as unnamed data (param1, param2...); exports that
render the message carry "Cmdlet succeeded. Cmdlet <name>, parameters <list>." instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exhunt.events.detect.common import each, is_web_path, report
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter
from exhunt.model import AccountRole
from exhunt.ruleparams import CmdletsParams, NoParams, RoleParams, ScriptMarkersParams

VDIR_SCRIPT = "event-vdir-script"
EXPORT_WEB = "event-mailbox-export-web"
EXPORT = "event-mailbox-export"
ROLE = "event-import-export-role"
REMOVED = "event-export-removed"
CERT_WEB = "event-cert-request"
AGENT = "event-transport-agent"

# "suceeded" is how Exchange spells it in this message
_MESSAGE = re.compile(r"Cmdlet\s+([A-Za-z]+-[A-Za-z0-9]+)\s*,\s*parameters\s*:?\s?(.*)", re.DOTALL)
_PARAMETER = re.compile(r"(?:^|\s)-([A-Za-z][A-Za-z0-9]*)(?=\s|:|$)")
_VDIR_CMDLET = re.compile(r"^(?:set|new)-\w*virtualdirectory$")


@dataclass(slots=True)
class CmdletRun:
    cmdlet: str
    parameters: str
    caller: str
    origin: str
    process: str
    error: str
    outcome: str  # "succeeded" | "failed"

    def facts(self) -> dict[str, str]:
        return {
            "cmdlet": self.cmdlet,
            "parameters": self.parameters,
            "outcome": self.outcome,
            "caller": self.caller,
            "origin": self.origin,
            "process": self.process,
            "error": self.error,
        }


# Who ran the cmdlet, and whom it was about.
_ROLES = {"caller": AccountRole.SUBJECT, "mailbox": AccountRole.TARGET, "user": AccountRole.TARGET}


def _report(result: Reporter, rule_id: str, record: EventRecord, facts: dict[str, str], outcome: str = "hit") -> None:
    report(result, rule_id, record, facts, outcome, roles=_ROLES)


def _report_all(
    result: Reporter, detector: str, record: EventRecord, facts: dict[str, str], outcome: str = "hit"
) -> None:
    """Every rule of a detector whose test is the cmdlet itself."""
    for rule_id, _ in each(detector, NoParams):
        _report(result, rule_id, record, facts, outcome)


def cmdlet_run(record: EventRecord) -> CmdletRun | None:
    outcome = "failed" if record.event_id == 6 else "succeeded"
    get = record.get
    cmdlet = get("param1").strip()
    if cmdlet and "-" in cmdlet and " " not in cmdlet:
        return CmdletRun(
            cmdlet,
            get("param2"),
            get("param3"),
            get("param6"),
            get("param7"),
            get("param12") if outcome == "failed" else "",
            outcome,
        )
    match = _MESSAGE.search(get("Message"))
    if match is None:
        return None
    parameters = match.group(2).strip()
    if parameters.endswith("."):
        parameters = parameters[:-1]
    return CmdletRun(match.group(1), parameters, "", "", "", "", outcome)


def parameters(text: str) -> dict[str, tuple[str, str]]:
    """`-Name value -Other "value"` as {name in lower case: (Name, value)}, quotes stripped.
    Values are whatever lies up to the next ` -Name`, so quotes inside values (as in a script)
    are kept."""
    found = list(_PARAMETER.finditer(text))
    out: dict[str, tuple[str, str]] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        value = text[match.end() : end].strip().lstrip(":").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out.setdefault(match.group(1).lower(), (match.group(1), value))
    return out


def management_event(record: EventRecord, result: Reporter) -> None:
    run = cmdlet_run(record)
    if run is None:
        return
    name = run.cmdlet.lower()
    failed = run.outcome == "failed"
    attempt = "failed" if failed else "hit"
    named = parameters(run.parameters)
    values = {key: value for key, (_, value) in named.items()}
    facts = run.facts()
    if _VDIR_CMDLET.match(name):
        for rule_id, p in each(VDIR_SCRIPT, ScriptMarkersParams):
            _vdir(rule_id, p.script_markers, run, named, facts, attempt, record, result)
    elif name == "new-mailboxexportrequest":
        path = values.get("filepath", "")
        facts = {"file_path": path, "mailbox": values.get("mailbox", ""), **facts}
        if is_web_path(path):
            _report_all(result, EXPORT_WEB, record, facts, attempt)
        else:
            _report_all(result, EXPORT, record, facts)
    elif name == "new-managementroleassignment":
        role = values.get("role", "")
        for rule_id, wanted in each(ROLE, RoleParams):
            if wanted.role in role.lower():
                _report(result, rule_id, record, {"role": role, "user": values.get("user", ""), **facts})
    elif name == "remove-mailboxexportrequest":
        _report_all(result, REMOVED, record, {"identity": values.get("identity", ""), **facts})
    elif name == "new-exchangecertificate":
        path = values.get("requestfile", "")
        if is_web_path(path):
            _report_all(result, CERT_WEB, record, {"request_file": path, **facts}, attempt)
    agent = {
        "agent": values.get("name") or values.get("identity", ""),
        "assembly_path": values.get("assemblypath", ""),
        "factory": values.get("transportagentfactory", ""),
        **facts,
    }
    for rule_id, cmdlets in each(AGENT, CmdletsParams):
        if name in cmdlets.cmdlets:
            _report(result, rule_id, record, agent)


def _vdir(
    rule_id: str,
    markers: tuple[str, ...],
    run: CmdletRun,
    named: dict[str, tuple[str, str]],
    facts: dict[str, str],
    attempt: str,
    record: EventRecord,
    result: Reporter,
) -> None:
    for key, (name, value) in named.items():
        if key.endswith("url") and any(m in value.lower() for m in markers):
            identity = named.get("identity", ("", ""))[1]
            _report(
                result,
                rule_id,
                record,
                {"parameter": f"-{name}", "url": value, "identity": identity, **facts},
                attempt,
            )
            return
    # parameters the parser could not split (odd quoting): the whole list still tells
    text = run.parameters.lower()
    if "url" in text and any(m in text for m in markers):
        _report(result, rule_id, record, facts, attempt)
