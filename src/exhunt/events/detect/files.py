"""Sysmon file creation (event 11): web shells written into web folders, files the Unified
Messaging worker should not write, memory dumps, the transport agent list
(docs/detection/proxynotshell.md, docs/detection/processes.md)."""

from __future__ import annotations

import re

from exhunt.events.detect.common import (
    PAGE_EXTENSIONS,
    basename,
    extension,
    in_web_folder,
    pid,
    report,
)
from exhunt.events.record import EventRecord
from exhunt.hits import Reporter
from exhunt.model import AccountRole, FileFacet, ProcessFacet
from exhunt.ruleparams import DumpWritersParams, UmFileParams, WebScriptWriteParams, WritersParams
from exhunt.rules import params

DROP = "EXH-EVT-WEBSHELL-DROP"
WRITE = "EXH-EVT-WEB-SCRIPT-WRITE"
UM_FILE = "EXH-EVT-26858-UM-FILE"
DUMP_FILE = "EXH-EVT-LSASS-DUMP-FILE"
AGENTS = "EXH-EVT-TRANSPORT-AGENT-CONFIG"

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
        if writer in params(DROP, WritersParams).writers:
            _report(result, DROP, record, facts)
            return
        _ordinary_writer(writer, name, lowered, facts, record, result)
    if writer in params(UM_FILE, UmFileParams).writers:
        _um_write(name, ext, page, facts, record, result)
    if ext == ".dmp" or ".dmp." in name:
        if "lsass" in name:
            _report(result, DUMP_FILE, record, facts)
        elif writer in params(DUMP_FILE, DumpWritersParams).dump_writers:
            _report(result, DUMP_FILE, record, facts, "known-writer")
    if name == "agents.config" and "\\transportroles\\" in lowered:
        _report(result, AGENTS, record, facts)


def _ordinary_writer(
    writer: str, name: str, lowered: str, facts: dict[str, str], record: EventRecord, result: Reporter
) -> None:
    if writer in params(WRITE, WebScriptWriteParams).installers:
        result.suppress(WRITE, "page installed by Exchange setup or Windows servicing")
    elif _VERSION_FOLDER.search(lowered):
        result.suppress(WRITE, "page in a versioned Exchange resource folder")
    elif name in params(WRITE, WebScriptWriteParams).shipped_pages:
        result.suppress(WRITE, "name of a page Exchange ships in owa\\auth or ecp\\auth")
    else:
        _report(result, WRITE, record, facts)


def _um_write(name: str, ext: str, page: bool, facts: dict[str, str], record: EventRecord, result: Reporter) -> None:
    p = params(UM_FILE, UmFileParams)
    if name in p.expected_names or ext in p.expected_extensions:
        return
    if page:
        _report(result, UM_FILE, record, facts, "web-page")
    else:
        _report(result, UM_FILE, record, facts)
