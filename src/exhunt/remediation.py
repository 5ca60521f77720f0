"""What to do next on one host, derived from its findings, its build and its mitigations.

`plan(host)` is pure: it reads `host.findings`, `host.exposure` (the build's `BuildAssessment`),
`host.exchange_build`, `host.observations` of kind "mitigation", `host.blind_spots` and the
verdict, and returns steps in a stable order, each saying why (which rule ids and evidence
lines, which CVEs). The facts behind each step are in docs/remediation.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from exhunt.builds import BuildAssessment
from exhunt.model import (
    Category,
    EvidenceRef,
    Exposure,
    Finding,
    HostAssessment,
    HttpFacet,
    Implies,
    ObservationKind,
    RemediationStep,
    Verdict,
    iso,
)
from exhunt.rules import catalog

# Steps in the order a responder does them: keep the evidence, close the hole, clean up,
# then widen the view. The numbers are only for sorting; priorities are renumbered 1..n.
_PRESERVE = 10
_UPDATE = 20
_MITIGATE = 30
_REMOVE_FILES = 40
_CREDENTIALS = 50
_MACHINE_KEYS = 55
_ACCOUNTS = 60
_MAILBOX = 70
_VDIRS = 80
_PERSISTENCE = 90
_FULL_SCAN = 100
_SOURCES = 110
_BUILD_UNKNOWN = 120
_EVIDENCE_GAPS = 130

_VDIR_CVE = "CVE-2021-27065"  # `_vdirs` reads the text of these findings (`light` keeps it)
_VDIR_NAMES = {
    "oab": "Oab",
    "ecp": "Ecp",
    "owa": "Owa",
    "webservices": "WebServices",
    "activesync": "ActiveSync",
    "autodiscover": "Autodiscover",
    "powershell": "PowerShell",
    "mapi": "Mapi",
}
_VDIR_IN_TEXT = re.compile(
    r"(?:reset|set-|get-|new-|remove-)(oab|ecp|owa|webservices|activesync|autodiscover|"
    r"powershell|mapi)virtualdirectory",
    re.IGNORECASE,
)

# What can hold the line until the update is in (docs/detection/mitigations.md, docs/detection/owassrf.md, docs/remediation.md).
_STOPGAPS = {
    "ProxyLogon": "ProxyLogon (CVE-2021-26855): the Exchange On-premises Mitigation Tool (EOMT) URL Rewrite "
    "rules that abort requests carrying X-AnonResource-Backend or X-BEResource cookies; "
    "they do not cover CVE-2021-26857/26858/27065",
    "ProxyNotShell": "ProxyNotShell (CVE-2022-41040): the EOMTv2 URL Rewrite rule "
    "(?=.*autodiscover)(?=.*powershell) on {UrlDecode:{REQUEST_URI}}, or the Exchange "
    "Emergency Mitigation Service; also block remote PowerShell ports 5985/5986",
    "OWASSRF": "OWASSRF (CVE-2022-41080): no URL Rewrite rule helps, the /owa/<mailbox>/powershell path "
    "bypasses the autodiscover rule; only the update closes it",
    "ProxyShell": "ProxyShell (CVE-2021-34473/34523/31207): exhunt knows of no temporary mitigation; only "
    "the update closes it",
}


@dataclass(frozen=True, slots=True)
class _Draft:
    order: int
    action: str
    why: str
    details: tuple[str, ...] = ()


def plan(host: HostAssessment) -> list[RemediationStep]:
    """The remediation steps for one host, most urgent first."""
    findings = sorted(host.findings, key=Finding.sort_key)
    compromise = [f for f in findings if f.implies is Implies.COMPROMISE]
    compromised = bool(compromise) or host.verdict is Verdict.COMPROMISED
    build = host.exposure
    drafts: list[_Draft] = []
    drafts += _preserve(compromise if compromise else findings, compromised, findings)
    drafts += _update(host, build, compromised)
    drafts += _mitigations(host, build)
    drafts += _remove_files(findings)
    drafts += _credentials(findings)
    drafts += _machine_keys(findings)
    drafts += _accounts(findings, compromise, compromised)
    drafts += _mailbox(findings, compromise, compromised)
    drafts += _vdirs(findings)
    drafts += _persistence(findings)
    drafts += _full_scan(compromise, compromised)
    drafts += _sources(findings)
    drafts += _gaps(host)
    drafts.sort(key=lambda d: d.order)
    return [RemediationStep(i, d.action, d.why, d.details) for i, d in enumerate(drafts, start=1)]


def _where(f: Finding, short: bool = False) -> str:
    path = f.evidence.path.rsplit("/", 1)[-1] if short else f.evidence.path
    place = f"{path}:{f.evidence.line}" if f.evidence.line else path
    if f.evidence.record and not f.evidence.line:
        place += f" (record {f.evidence.record})"
    when = iso(f.timestamp)
    return f"{place} at {when}" if when else place


def cite(findings: Iterable[Finding], limit: int = 3) -> str:
    """Name the rules behind a step: id, how many findings, and where the first one is (file name and
    line; the findings in the report and the JSON carry the full path)."""
    by_rule: dict[str, list[Finding]] = {}
    for f in sorted(findings, key=Finding.sort_key):
        by_rule.setdefault(f.rule_id, []).append(f)
    parts = []
    for rule_id, hits in sorted(by_rule.items(), key=lambda kv: (kv[1][0].sort_key(), kv[0])):
        n = len(hits)
        parts.append(f"{rule_id} ({n} finding{'s' if n != 1 else ''}, first {_where(hits[0], short=True)})")
    if len(parts) > limit:
        parts = [*parts[:limit], f"and {len(parts) - limit} more rules"]
    return "; ".join(parts)


def rule_ids(findings: Iterable[Finding], limit: int = 6) -> str:
    """Just the rule ids, for steps that follow from the compromise as a whole."""
    ids = sorted({f.rule_id for f in findings})
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _steps_of(f: Finding) -> tuple[str, ...]:
    """The remediation steps the finding's rule asks for (`remediation` in its rule file)."""
    known = catalog().get(f.rule_id)
    return known.remediation if known is not None else ()


def light(f: Finding, same: dict[Any, Any] | None = None) -> Finding:
    """The finding with only what `plan` and the assessment (`exhunt.assess`: correlation,
    verdict, incidents) read of it: the excerpt, the details, the event and process facets and
    most of the web request are left out, except for a finding `_vdirs` reads the text of.
    A host's findings are held this way while it is assessed; the full ones wait on disk.
    Values repeated from finding to finding (rule, title, path, address...) are held once
    through `same`, one dict for a host's findings."""
    if _VDIR_CVE in f.cves:
        return f
    # `once(value, value)`: the value held already if an equal one is (None too, held as itself)
    once = ({} if same is None else same).setdefault
    ev = f.evidence
    http = f.http if f.http is None else HttpFacet(url=f.http.url, request_id=f.http.request_id)
    # Made field by field: `dataclasses.replace` looks the fields up again for every finding.
    return Finding(
        once(f.rule_id, f.rule_id),
        f.rule_version,
        once(f.title, f.title),
        f.severity,
        f.category,
        f.implies,
        once(f.cves, f.cves),
        once(f.chain, f.chain),
        EvidenceRef(once(ev.path, ev.path), ev.line, record=ev.record),
        f.timestamp,
        once(f.source_ip, f.source_ip),
        (),
        http=http,
        file=once(f.file, f.file),
        event=None,
        process=None,
        accounts=once(f.accounts, f.accounts),
    )


def _text_of(f: Finding) -> str:
    return " ".join([f.rule_id, f.title, f.evidence.excerpt or "", *(v for _, v in f.details)]).lower()


def _files(findings: Iterable[Finding]) -> list[tuple[str, str]]:
    """(path, sha256) of files the findings point at, once each, by path."""
    seen: dict[tuple[str, str], None] = {}
    for f in findings:
        if f.file is not None and f.file.sha256 and f.implies is not Implies.NOTHING:
            seen[(f.file.path, f.file.sha256)] = None
    return sorted(seen)


def _file_lines(files: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(f"{path} (SHA-256 {sha})" for path, sha in files)


def _preserve(basis: Sequence[Finding], compromised: bool, findings: Sequence[Finding]) -> list[_Draft]:
    if not compromised:
        return []
    files = _files(findings)
    details = (
        *_file_lines(files),
        "the Exchange Logging folder (HttpProxy, ECP, OABGeneratorLog), the IIS logs and the Windows "
        "event logs, before their retention (about 30 days) rotates them away",
    )
    why = (
        "The server was compromised: " + cite(basis) + ". Cleaning destroys the evidence a forensic "
        "investigation, an insurer or a regulator will ask for."
        if basis
        else "The hunt's verdict is compromised; cleaning destroys the evidence an investigation needs."
    )
    return [
        _Draft(
            _PRESERVE,
            "Preserve evidence before changing anything: copy the files below (check their "
            "SHA-256) and the logs to write-once storage",
            why,
            details,
        )
    ]


def _update(host: HostAssessment, build: BuildAssessment | None, compromised: bool) -> list[_Draft]:
    if build is None or all(c.status is Exposure.UNKNOWN for _, c in build.chains()):
        if host.exchange_build:
            return [
                _Draft(
                    _BUILD_UNKNOWN,
                    f"Look up the exposure of build {host.exchange_build}: run `exhunt build {host.exchange_build}`",
                    "The hunt found the build but holds no exposure verdict for it.",
                )
            ]
        return [
            _Draft(
                _BUILD_UNKNOWN,
                "Find the exact Exchange build (the file version of ExSetup.exe, which "
                "includes the security update) and check it with `exhunt build`",
                "The evidence did not tell the build, so exhunt cannot say which attack chains are still open.",
            )
        ]
    exposed = build.exposed_chains()
    if not exposed:
        return []
    name = f"{build.shown} ({build.name})" if build.name else build.shown
    states = [f"{chain}: {c.status}" + (f" ({', '.join(c.cves)})" if c.cves else "") for chain, c in exposed]
    why = f"Build {name} leaves these chains open: " + "; ".join(states) + "."
    if compromised:
        why += " Installing the update closes the hole but does not remove what an attacker left behind."
    if build.next_update is None:
        action = (
            "Move to a cumulative update that still receives security updates, then install its latest security update"
        )
        why += " No security update exists for this cumulative update."
        return [_Draft(_UPDATE, action, why, tuple(states))]
    label = build.next_update.label()
    if all(c.status is Exposure.VULNERABLE_UNLESS_SU for _, c in exposed):
        action = (
            f"Make sure {label} or a later update is installed (the build is known only to the "
            "cumulative update); install it if it is not"
        )
    else:
        action = f"Install {label}"
    return [_Draft(_UPDATE, action, why, (label, *states))]


def _mitigations(host: HostAssessment, build: BuildAssessment | None) -> list[_Draft]:
    if build is None:
        return []
    exposed = build.exposed_chains()
    if not exposed:
        return []
    chains = ", ".join(chain for chain, _ in exposed)
    in_place = [o for o in host.observations if o.kind == ObservationKind.MITIGATION]
    if in_place:
        details = tuple(f"{o.value} (seen in {o.source})" for o in in_place)
        return [
            _Draft(
                _MITIGATE,
                "Keep these temporary mitigations in place until the update is installed",
                f"The build is still open to {chains}. Mitigations can become insufficient as "
                "attacks change; only the security update fixes the vulnerabilities.",
                details,
            )
        ]
    details = tuple(_STOPGAPS[chain] for chain, _ in exposed if chain in _STOPGAPS)
    return [
        _Draft(
            _MITIGATE,
            "Until the update is installed, put the published temporary mitigations in place "
            "(or take the server off the internet)",
            f"The build is open to {chains} and the evidence shows no mitigation in place.",
            details,
        )
    ]


def _remove_files(findings: Sequence[Finding]) -> list[_Draft]:
    on_disk = [f for f in findings if f.file is not None and f.file.sha256 and f.implies is not Implies.NOTHING]
    requested: dict[str, None] = {}
    accessed = [f for f in findings if f.category == Category.WEBSHELL_ACCESS]
    for f in accessed:
        if f.http is not None and f.http.url:
            requested[f.http.url] = None
    if not on_disk and not requested:
        return []
    details = _file_lines(_files(on_disk)) + tuple(
        f"requested web path {url}: find the file it maps to and treat it the same way" for url in sorted(requested)
    )
    why_parts = []
    if on_disk:
        why_parts.append("Attacker files on disk: " + cite(on_disk) + ".")
    if requested:
        why_parts.append("Requests to web shells in the logs: " + cite(accessed) + ".")
    why_parts.append("Patching does not remove web shells; they keep working after the update.")
    return [
        _Draft(
            _REMOVE_FILES,
            "Remove the web shells and other attacker files once they are preserved",
            " ".join(why_parts),
            details,
        )
    ]


def _machine_keys(findings: Sequence[Finding]) -> list[_Draft]:
    """Rules whose hit means the application's machine keys were read ask for this step
    (`remediation = ["machine-keys"]`; docs/remediation.md)."""
    hits = [f for f in findings if f.implies is not Implies.NOTHING and "machine-keys" in _steps_of(f)]
    if not hits:
        return []
    details = (
        *_file_lines(_files(hits)),
        "every application under the site (and machine.config's default) whose keys the page could read",
        "IIS Manager > the application > Machine Key > Generate Keys, or new keys in its web.config; then iisreset",
        "the web logs since the page appeared: POST requests with a large __VIEWSTATE to pages that take none",
    )
    return [
        _Draft(
            _MACHINE_KEYS,
            "Rotate the ASP.NET machine keys the attacker read",
            "Machine keys read by a planted page: " + cite(hits) + ". With the validation and decryption "
            "keys an attacker can forge view state that the server deserializes, and so run code again "
            "without any file on disk, until the keys change.",
            details,
        )
    ]


def _accounts_named(findings: Iterable[Finding]) -> list[str]:
    names: dict[str, None] = {}
    for f in findings:
        for a in f.accounts:
            names[a.name if not a.sid or a.sid == a.name else f"{a.name} ({a.sid})"] = None
    return sorted(names)


def _credentials(findings: Sequence[Finding]) -> list[_Draft]:
    dumps = [f for f in findings if f.implies is not Implies.NOTHING and f.category == Category.CREDENTIAL_ACCESS]
    if not dumps:
        return []
    details = (
        *_file_lines(_files(dumps)),
        *(f"account named in the evidence: {a}" for a in _accounts_named(findings)),
        "every administrator, service account and user that logged on to this server",
        "the server's computer account",
    )
    return [
        _Draft(
            _CREDENTIALS,
            "Reset the credentials exposed on this server: treat every account that logged "
            "on to it as known to the attacker, privileged accounts first",
            "Credential theft: " + cite(dumps) + ". An LSASS memory dump holds the password hashes and "
            "tickets of the accounts logged on to the server.",
            details,
        )
    ]


def _accounts(findings: Sequence[Finding], compromise: Sequence[Finding], compromised: bool) -> list[_Draft]:
    named = _accounts_named(findings)
    if not compromised and not named:
        return []
    start = next((iso(f.timestamp) for f in compromise if f.timestamp), None)
    since = f" since {start}" if start else ""
    details = (
        *(f"account named in the evidence: {a}" for a in named),
        f"local accounts and Active Directory accounts created or changed{since}",
        "members added to privileged groups (Domain Admins, Organization Management, Exchange Trusted Subsystem)",
    )
    named_in = [f for f in findings if f.implies is not Implies.NOTHING and f.accounts]
    if named_in:
        why = "Accounts appear in the findings: " + cite(named_in) + "."
    elif compromise:
        why = (
            "An attacker who runs code on Exchange can create accounts and add them to groups "
            f"(compromise: {rule_ids(compromise)})."
        )
    else:
        why = "The hunt's verdict is compromised."
    return [_Draft(_ACCOUNTS, "Review accounts for ones the attacker created, used or changed", why, details)]


def _mailbox(findings: Sequence[Finding], compromise: Sequence[Finding], compromised: bool) -> list[_Draft]:
    cues = [f for f in findings if f.implies is not Implies.NOTHING and "mailbox-exports" in _steps_of(f)]
    if not cues and not compromised:
        return []
    details = (
        "Get-MailboxExportRequest: remove export requests nobody in your team created",
        "Get-ManagementRoleAssignment -Role 'Mailbox Import Export': remove assignments nobody in your team made",
        "files the exports wrote (a .pst or an .aspx under a web folder or a \\\\localhost\\c$ path)",
    )
    if cues:
        why = (
            "Mailbox export or role changes in the evidence: " + cite(cues) + ". ProxyShell attackers grant "
            "themselves the Mailbox Import Export role and export a mailbox to a web folder to write a web "
            "shell."
        )
    else:
        why = (
            "An attacker who runs code on Exchange can export mailboxes and grant roles ("
            + (f"compromise: {rule_ids(compromise)}" if compromise else "the verdict is compromised")
            + ")."
        )
    return [
        _Draft(
            _MAILBOX,
            "Review mailbox export requests and Mailbox Import Export role assignments",
            why,
            details,
        )
    ]


def _vdirs(findings: Sequence[Finding]) -> list[_Draft]:
    hits = [f for f in findings if f.implies is not Implies.NOTHING and _VDIR_CVE in f.cves]
    if not hits:
        return []
    names = sorted({_VDIR_NAMES[m.lower()] for f in hits for m in _VDIR_IN_TEXT.findall(_text_of(f))}) or ["Oab"]
    details = tuple(
        f"Get-{n}VirtualDirectory | Format-List Identity,InternalUrl,ExternalUrl; set any URL that "
        f"carries script back with Set-{n}VirtualDirectory"
        for n in names
    )
    return [
        _Draft(
            _VDIRS,
            "Reset the virtual directory URLs the attacker changed",
            "Script written into a virtual directory URL (CVE-2021-27065): " + cite(hits) + ". Exchange "
            "keeps the value and writes it into any file the directory is reset to.",
            details,
        )
    ]


def _persistence(findings: Sequence[Finding]) -> list[_Draft]:
    hits = [f for f in findings if f.category == Category.PERSISTENCE and f.implies is not Implies.NOTHING]
    if not hits:
        return []
    details = tuple(f"{f.rule_id}: {_where(f)}" for f in hits[:20])
    return [
        _Draft(
            _PERSISTENCE,
            "Remove the persistence the attacker set up (scheduled tasks, services, "
            "transport agents, IIS virtual directories and modules)",
            "Persistence in the evidence: " + cite(hits) + ".",
            details,
        )
    ]


def _full_scan(compromise: Sequence[Finding], compromised: bool) -> list[_Draft]:
    if not compromised:
        return []
    details = (
        "Microsoft Safety Scanner full scan: msert.exe /F",
        "the folders where these web shells were found: inetpub\\wwwroot\\aspnet_client, "
        "FrontEnd\\HttpProxy\\owa\\auth, FrontEnd\\HttpProxy\\ecp\\auth and the Temporary ASP.NET Files "
        "folder",
    )
    why = (
        "Patching does not remove web shells or other malware, and attackers rarely leave only the traces "
        "found here" + (f" ({rule_ids(compromise)})." if compromise else ".")
    )
    return [_Draft(_FULL_SCAN, "Run a full antimalware scan and check the web folders by hand", why, details)]


def _sources(findings: Sequence[Finding]) -> list[_Draft]:
    hostile = [f for f in findings if f.source_ip and f.implies in (Implies.COMPROMISE, Implies.ATTEMPT)]
    if not hostile:
        return []
    seen: dict[str, list[Finding]] = {}
    for f in hostile:
        seen.setdefault(str(f.source_ip), []).append(f)
    ranked = sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    details = tuple(
        f"{ip}: {len(fs)} finding{'s' if len(fs) != 1 else ''}, "
        f"{iso(fs[0].timestamp) or 'time unknown'} to {iso(fs[-1].timestamp) or 'time unknown'}"
        for ip, fs in ranked[:25]
    )
    if len(ranked) > 25:
        details += (f"and {len(ranked) - 25} more addresses (see the timeline export)",)
    return [
        _Draft(
            _SOURCES,
            "Look for the attacking addresses elsewhere (firewall, proxy, VPN and other servers' logs) and block them",
            "Exploitation came from these addresses: " + cite(hostile) + ".",
            details,
        )
    ]


def _gaps(host: HostAssessment) -> list[_Draft]:
    if not host.blind_spots and host.verdict is not Verdict.INSUFFICIENT:
        return []
    details = tuple(host.blind_spots) or ("the evidence lacks the key logs (see log coverage)",)
    return [
        _Draft(
            _EVIDENCE_GAPS,
            "Collect the missing evidence and hunt again",
            "A hunt only sees what the evidence holds; these gaps could hide an attack.",
            details,
        )
    ]
