"""Sysmon file creation (event 11): web shells written into web folders, files the Unified
Messaging worker should not write, memory dumps, the transport agent list
(docs/detection/proxynotshell.md, docs/detection/processes.md)."""

from __future__ import annotations

import re

from exhunt.events.detect.common import (
    PAGE_EXTENSIONS,
    basename,
    each,
    extension,
    in_web_folder,
    pid,
    report,
)
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter
from exhunt.model import AccountRole, FileFacet, ProcessFacet
from exhunt.ruleparams import DumpWritersParams, NoParams, UmFileParams, WebScriptWriteParams, WritersParams

DROP = "event-webshell-drop"
WRITE = "event-web-script-write"
UM_FILE = "event-um-file"
DUMP_FILE = "event-dump-file"
AGENTS = "event-transport-agent-config"

# owa\auth\15.1.2176\..., the resources each Exchange update installs beside the pages
_VERSION_FOLDER = re.compile(r"\\\d+\.\d+\.\d+(?:\.\d+)?\\")


_ROLES = {"user": AccountRole.SUBJECT}


def _report(result: Reporter, rule_id: str, record: EventRecord, facts: dict[str, str], outcome: str = "hit") -> None:
    """A file created (Sysmon 11): the file and the process that wrote it as facets."""
    process = ProcessFacet(
        image=facts.get("image") or None, pid=pid(facts.get("process_id", "")), user=facts.get("user") or None
    )
    file = FileFacet(path=facts["target_file"]) if facts.get("target_file") else None
    report(result, rule_id, record, facts, outcome, roles=_ROLES, process=process, file=file)


def file_created(record: EventRecord, result: Reporter) -> None:
    target = record.get("TargetFilename")
    if not target:
        return
    writer = basename(record.get("Image"))
    name = basename(target)
    ext = extension(name)
    lowered = target.lower()
    facts = {
        "target_file": target,
        "image": record.get("Image"),
        "user": record.get("User"),
        "process_id": record.get("ProcessId"),
        "created": record.get("CreationUtcTime"),
    }
    page = ext in PAGE_EXTENSIONS
    if page and in_web_folder(lowered):
        dropped = [rule_id for rule_id, p in each(DROP, WritersParams) if writer in p.writers]
        for rule_id in dropped:
            _report(result, rule_id, record, facts)
        if dropped:
            return
        _ordinary_writer(writer, name, lowered, facts, record, result)
    for rule_id, um in each(UM_FILE, UmFileParams):
        if writer in um.writers:
            _um_write(rule_id, um, name, ext, page, facts, record, result)
    if ext == ".dmp" or ".dmp." in name:
        for rule_id, dump in each(DUMP_FILE, DumpWritersParams):
            if "lsass" in name:
                _report(result, rule_id, record, facts)
            elif writer in dump.dump_writers:
                _report(result, rule_id, record, facts, "known-writer")
    if name == "agents.config" and "\\transportroles\\" in lowered:
        for rule_id, _ in each(AGENTS, NoParams):
            _report(result, rule_id, record, facts)


def _ordinary_writer(
    writer: str, name: str, lowered: str, facts: dict[str, str], record: EventRecord, result: Reporter
) -> None:
    for rule_id, p in each(WRITE, WebScriptWriteParams):
        if writer in p.installers:
            result.suppress(rule_id, "page installed by Exchange setup or Windows servicing")
        elif _VERSION_FOLDER.search(lowered):
            result.suppress(rule_id, "page in a versioned Exchange resource folder")
        elif name in p.shipped_pages:
            result.suppress(rule_id, "name of a page Exchange ships in owa\\auth or ecp\\auth")
        else:
            _report(result, rule_id, record, facts)


def _um_write(
    rule_id: str,
    p: UmFileParams,
    name: str,
    ext: str,
    page: bool,
    facts: dict[str, str],
    record: EventRecord,
    result: Reporter,
) -> None:
    if name in p.expected_names or ext in p.expected_extensions:
        return
    if page:
        _report(result, rule_id, record, facts, "web-page")
    else:
        _report(result, rule_id, record, facts)
