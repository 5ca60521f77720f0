"""Every detector kind's parameters, one frozen dataclass each, bound by the rule's `detector`.

A rule in `data/rules/*.toml` names its detector (`detector = "iis-ssrf-entry"`); its keys other
than the catalog's own must be exactly the fields of that detector's class here (see
`exhunt.ruleschema` for the types understood). Lists marked LOWER are lower-cased at load, so
detectors compare with lower-cased evidence without converting on every record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, ClassVar

from exhunt.ruleschema import LOWER, REGEX

Lower = Annotated[str, LOWER]
Words = Annotated[tuple[str, ...], LOWER]
WordSet = Annotated[frozenset[str], LOWER]
Groups = Annotated[tuple[tuple[str, ...], ...], LOWER]
Regex = re.Pattern[str]


@dataclass(frozen=True)
class NoParams:
    """A detector whose logic needs nothing from the rule file."""


# ------------------------------------------------------------------------------------- logs


@dataclass(frozen=True, kw_only=True)
class LogParams:
    """What every log rule may set: prefilter literals, regexes and word groups (a line is a
    candidate when one matches), and the cap on findings per source address and file."""

    prefilter: tuple[str, ...] = ()
    prefilter_regex: Annotated[tuple[str, ...], REGEX] = ()
    prefilter_words: tuple[tuple[str, ...], ...] = ()
    max_findings_per_source: int = 200
    # True where the detector is handed lines another way (another rule's candidates, every line
    # of a small log, the values of the indicator lists): its rules need no prefilter of their own.
    fed: ClassVar[bool] = False

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.max_findings_per_source < 1:
            out.append(("max_findings_per_source", "must be at least 1"))
        if not self.fed and not (self.prefilter or self.prefilter_regex or self.prefilter_words):
            why = "needs a literal, regex or word group (prefilter, prefilter_regex, prefilter_words): no line reaches a log rule without one"
            out.append(("prefilter", why))
        return out

    def prefilter_unless(self) -> frozenset[str]:
        """Whole tokens (lower case) for which a `prefilter_regex` match makes no candidate."""
        return frozenset()


@dataclass(frozen=True, kw_only=True)
class FedLogParams(LogParams):
    """A log rule whose detector is handed its lines another way (`LogParams.fed`)."""

    fed: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class ServerInfoAnchorParams(LogParams):
    anchor_prefix: Lower
    success_statuses: frozenset[int]
    success_targets: Words
    scanner_hosts: Words


@dataclass(frozen=True, kw_only=True)
class BackEndCookieParams(LogParams):
    cookie_regex: Regex


@dataclass(frozen=True, kw_only=True)
class ResetVdirAnchorParams(FedLogParams):
    target_regex: Regex
    success_statuses: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class EcpVdirParams(LogParams):
    cmdlet_regex: Regex
    parameter_regex: Regex
    open_tag_regex: Regex
    close_tag_regex: Regex
    fallback_regex: Regex
    fallback_url_regex: Regex


@dataclass(frozen=True, kw_only=True)
class OabDownloadParams(LogParams):
    message_start: str
    message_end: str
    max_path: int
    oab_folder: Lower


@dataclass(frozen=True, kw_only=True)
class IisSsrfEntryParams(LogParams):
    entry_regex: tuple[Regex, ...]
    probe_regex: tuple[Regex, ...]
    success_statuses: frozenset[int]
    reached_statuses: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class IisResetVdirParams(LogParams):
    stem: Lower
    query_regex: Regex


@dataclass(frozen=True, kw_only=True)
class IisUserAgentParams(LogParams):
    user_agent_markers: tuple[str, ...]
    path_prefixes: Words


@dataclass(frozen=True, kw_only=True)
class IisWebshellParams(LogParams):
    folders: Words
    script_extensions: Words
    stock_files: WordSet
    look_alikes: dict[Lower, str]

    def prefilter_unless(self) -> frozenset[str]:
        return frozenset(self.stock_files)  # Exchange's own pages are never web shell access


@dataclass(frozen=True, kw_only=True)
class IisKnownShellParams(LogParams):
    known_paths: WordSet
    known_name_regex: Regex


@dataclass(frozen=True, kw_only=True)
class IisTunnelParams(LogParams):
    open_regex: tuple[Regex, ...]
    data_regex: tuple[Regex, ...]
    script_extensions: Words
    min_requests: int = 3


@dataclass(frozen=True, kw_only=True)
class ProxyShellParams(LogParams):
    stem_suffix: Lower
    query_markers: Words
    sensitive_backends: WordSet
    success_statuses: frozenset[int]
    reached_statuses: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class ProxyNotShellParams(LogParams):
    words: Words
    success_statuses: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class OwaPowerShellParams(LogParams):
    path_regex: Regex
    legit_user_agents: WordSet
    success_statuses: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class RpsClientInfoParams(FedLogParams):
    expected_client_info: WordSet
    success_statuses: frozenset[int]


@dataclass(frozen=True, kw_only=True)
class ExportToolParams(LogParams):
    routing_hint: Lower
    stem_regex: Regex


# ----------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class UmErrorParams:
    provider: Lower
    marker: Lower


@dataclass(frozen=True)
class UmChildParams:
    parents: WordSet
    expected_children: WordSet
    error_reporting: WordSet


@dataclass(frozen=True)
class UmFileParams:
    writers: WordSet
    expected_names: WordSet
    expected_extensions: WordSet


@dataclass(frozen=True)
class ScriptMarkersParams:
    script_markers: Words


@dataclass(frozen=True)
class RoleParams:
    role: Lower


@dataclass(frozen=True)
class CmdletsParams:
    cmdlets: WordSet


@dataclass(frozen=True)
class W3wpShellParams:
    shells: WordSet
    exchange_pool_marker: Lower


@dataclass(frozen=True)
class ExpectedChildrenParams:
    expected_children: WordSet


@dataclass(frozen=True)
class MarkersParams:
    markers: Words


@dataclass(frozen=True)
class OrdinalParams:
    ordinal: Lower


@dataclass(frozen=True)
class PatternGroupsParams:
    """All-of string groups: a command matches a group when it holds every string."""

    patterns: Groups


@dataclass(frozen=True)
class LsassAccessParams:
    dump_libraries: Words
    dump_access: WordSet
    expected_accessors: WordSet
    # [full path (`*` and `?` allowed), access mask, ...]: agents known to open LSASS, by where
    # they are installed and the rights they ask for (no mask: any rights)
    benign_accessors: Groups = ()


@dataclass(frozen=True)
class LsassHandleParams:
    dump_vectors: WordSet
    expected_accessors: WordSet
    benign_accessors: Groups = ()


@dataclass(frozen=True)
class LsassSuspectParams:
    access: WordSet
    trace_markers: Words
    benign_accessors: Groups = ()


@dataclass(frozen=True)
class IisCommandParams(LogParams):
    commands: Words
    shell_folders: Words  # where EXH-IIS-WEBSHELL-ACCESS already reports every script


@dataclass(frozen=True)
class AvWebshellParams:
    event_ids: frozenset[int]
    threat_markers: Words


@dataclass(frozen=True)
class CommandConfigParams:
    """Command-line/script groups, and groups that must all be in an IIS configuration change."""

    patterns: Groups
    config_markers: Groups


@dataclass(frozen=True)
class LogDeletionParams:
    patterns: Groups
    log_folders: Words
    log_extensions: WordSet
    expected_deleters: WordSet


@dataclass(frozen=True)
class ParentChildParams:
    parents: WordSet
    expected_children: WordSet
    shells: WordSet


@dataclass(frozen=True)
class ExportCommandParams:
    patterns: Groups
    web_markers: Words


@dataclass(frozen=True)
class W3wpDropParams:
    writers: WordSet
    extensions: WordSet
    compile_folders: Words
    compile_temp_folders: Words
    compile_temp_extensions: WordSet


@dataclass(frozen=True)
class MimikatzParams:
    patterns: Groups
    file_names: WordSet


@dataclass(frozen=True)
class DumpWritersParams:
    dump_writers: WordSet


@dataclass(frozen=True)
class StagingParams:
    archivers: WordSet
    targets: Words


@dataclass(frozen=True)
class SnapinParams:
    snapins: Words
    setup_parents: WordSet
    setup_marker: Lower


@dataclass(frozen=True)
class WritersParams:
    writers: WordSet


@dataclass(frozen=True)
class WebScriptWriteParams:
    installers: WordSet
    shipped_pages: WordSet


@dataclass(frozen=True)
class GroupAddParams:
    groups: WordSet
    domain_control_groups: WordSet


# ------------------------------------------------------------------------------------ files


@dataclass(frozen=True)
class AttackWindowParams:
    """(name, first day, last day) of each period a chain was exploited at scale."""

    windows: tuple[tuple[str, ...], ...]

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for i, window in enumerate(self.windows):
            try:
                ok = len(window) == 3 and date.fromisoformat(window[1]) <= date.fromisoformat(window[2])
            except ValueError:
                ok = False
            if not ok:
                out.append(("windows", f"item {i + 1}: expected [name, first YYYY-MM-DD, last YYYY-MM-DD]"))
        return out


@dataclass(frozen=True)
class ExtensionsParams:
    extensions: WordSet


# What an indicator list's `kind` column may say (exhunt.filehunt.indicators).
INDICATOR_KINDS = frozenset({"webshell", "ransomware", "malware", "tool", "other"})
# Where a file sat (exhunt.filehunt.locations.Place values).
PLACES = frozenset(
    {
        "exchange-auth",
        "exchange-vdir",
        "aspnet-client",
        "iis-webroot",
        "aspnet-temp",
        "programdata",
        "c-root",
        "windows-temp",
        "other",
        "unknown",
    }
)
AUTH_FOLDERS = frozenset({"owa", "ecp"})


def _unknown(key: str, values: frozenset[str], known: frozenset[str]) -> list[tuple[str, str]]:
    wrong = sorted(values - known)
    return [(key, f"unknown: {', '.join(wrong)} (one of: {', '.join(sorted(known))})")] if wrong else []


@dataclass(frozen=True)
class IndicatorParams:
    """The kinds of the user's and shipped indicators (the list's `kind` column) a rule reports."""

    indicator_kinds: WordSet

    def problems(self) -> list[tuple[str, str]]:
        return _unknown("indicator_kinds", self.indicator_kinds, INDICATOR_KINDS)


@dataclass(frozen=True)
class BinaryPageParams:
    """Page types whose first bytes must be text: a binary or image start is reported."""

    extensions: WordSet


@dataclass(frozen=True)
class AuthFolderParams:
    """The front-end auth folders (`owa`, `ecp`) whose files are compared with the stock ones."""

    folders: WordSet

    def problems(self) -> list[tuple[str, str]]:
        return _unknown("folders", self.folders, AUTH_FOLDERS)


@dataclass(frozen=True)
class PlacesParams:
    """The places (names as `exhunt.filehunt.locations.Place`) a file heuristic reports in: any
    server page there, or a minidump there outside the web roots (in a web root it always is)."""

    places: WordSet

    def problems(self) -> list[tuple[str, str]]:
        return _unknown("places", self.places, PLACES)


@dataclass(frozen=True)
class CompiledPageParams:
    """Virtual folders (`/aspnet_client/`) whose pages, once compiled by IIS, are reported from
    their Temporary ASP.NET Files record; the stock pages of the auth folders are left out."""

    virtual_folders: Words

    def problems(self) -> list[tuple[str, str]]:
        bad = [f for f in self.virtual_folders if not (f.startswith("/") and f.endswith("/"))]
        return [("virtual_folders", f"a folder starts and ends with '/': {', '.join(bad)}")] if bad else []


@dataclass(frozen=True)
class VdirPathParams:
    """Folder names under ProgramData that intruders published as virtual directories (the
    `published-folder` tier); any other ProgramData or Users folder is the plain hit."""

    published_folders: WordSet


@dataclass(frozen=True)
class ModulePathParams:
    """Where a native IIS module's DLL may lie (folders as paths without their drive, lower case
    and `/`-separated, each a prefix: Windows', IIS's, .NET's and Exchange's own; the Exchange
    install root the hunt found counts too), and the folders intruders stage tools in (the
    `staging-folder` tier; each matched anywhere in the path)."""

    known_folders: WordSet
    staging_folders: WordSet

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for key, folders in (("known_folders", self.known_folders), ("staging_folders", self.staging_folders)):
            bad = sorted(f for f in folders if not (f.startswith("/") and f.endswith("/")) or "\\" in f)
            if bad:
                out.append((key, f"folders must start and end with '/' and use no backslash: {', '.join(bad)}"))
        return out


@dataclass(frozen=True)
class ShippedModuleParams:
    """The native IIS modules Windows and IIS ship (their DLLs as paths without their drive, lower
    case and `/`-separated, with the 64-bit folder's name: `/windows/system32/inetsrv/static.dll`)
    and the folders whose other DLLs are reported (prefixes, `/`-ended)."""

    windows_folders: WordSet
    shipped_images: WordSet

    def problems(self) -> list[tuple[str, str]]:
        out = []
        bad = sorted(f for f in self.windows_folders if not (f.startswith("/") and f.endswith("/")) or "\\" in f)
        if bad:
            out.append(
                ("windows_folders", f"folders must start and end with '/' and use no backslash: {', '.join(bad)}")
            )
        bad = sorted(
            i
            for i in self.shipped_images
            if not i.endswith(".dll") or "\\" in i or not any(i.startswith(f) for f in self.windows_folders)
        )
        if bad:
            out.append(
                ("shipped_images", f"images must be .dll paths under windows_folders, '/'-separated: {', '.join(bad)}")
            )
        return out


@dataclass(frozen=True)
class ManagedModuleParams:
    """Namespaces (lower case, each a prefix of the type's full name) whose managed modules and
    handlers are the framework's and Exchange's own."""

    known_namespaces: WordSet


# ------------------------------------------------------------------------------ code analysis

# Capabilities whose call counts whatever its data's source (`codeanalysis.analysis`): clearing
# event logs, running the Exchange cmdlets that export mailboxes or open them to others, and the
# commands that dump credentials, plant a way back in, fetch tools from elsewhere, open the server
# to another host, pack files where the web server serves them, reach other machines, delete
# backups or stop the mail store, run a tool left in a staging folder or survey the server.
ACTS_ALONE_CAPABILITIES = frozenset(
    {
        "log-clear",
        "mailbox",
        "credential-dump",
        "persistence",
        "ingress",
        "remote-access",
        "collection",
        "lateral",
        "impact",
        "staged-tool",
        "recon",
    }
)
# What the code analyzer follows request data to (`CodeFlowParams.capability`).
CODE_CAPABILITIES = ACTS_ALONE_CAPABILITIES | frozenset(
    {
        "dynamic-code",
        "any-method",
        "embedded-assembly",
        "process",
        "file-write",
        "page-write",
        "file-manage",
        "file-read",
        "sql",
        "sql-query",
        "directory-query",
        "wmi-query",
        "com-object",
        "run-page",
        "tunnel",
        "http",
        "http-tunnel",
        "memory-shell",
        "registry",
        "native-code",
        "config-secret",
        "account",
        "mailbox-open",
        "credential-capture",
        "service-control",
        "mail",
        "network-probe",
    }
)


@dataclass(frozen=True)
class CodeFlowParams:
    """A capability of server code: the calls that do it (`apis`: "new Type", "Type.Method",
    ".Method" on any receiver, or a bare "function"; "...[]" for an indexer, `x.Member[key]`;
    "...#N" when only argument N, from 0, carries
    what the call does with it, the others being options or names), how a chain ending there is
    said, and whether it also counts in source files (.cs .vb .js), which are not served pages.
    `requires`: regular expressions of which one must occur in the file's server code for a
    call to count (a deserializer is dangerous only with a type-resolving setting).
    `arguments`: regular expressions of which one must match the text the call's arguments fold
    to; a call that matches counts whatever its data's source (a fixed command line that clears
    the event logs)."""

    capability: str
    phrase: str
    apis: tuple[str, ...]
    in_code_files: bool = False
    requires: Annotated[tuple[str, ...], REGEX] = ()
    arguments: Annotated[tuple[str, ...], REGEX] = ()

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if self.capability not in CODE_CAPABILITIES:
            out.append(("capability", f"unknown capability (one of: {', '.join(sorted(CODE_CAPABILITIES))})"))
        if not self.apis:
            out.append(("apis", "at least one call is needed"))
        for i, api in enumerate(self.apis):
            spec, _, index = api.strip().partition("#")
            spec = spec.strip().removesuffix("[]")  # an indexer: `x.Member[key]`
            body = spec[4:].strip() if spec.lower().startswith("new ") else spec.removeprefix(".")
            if (
                spec.lower() == "new"
                or not all(w.isidentifier() for w in body.split("."))
                or (index and not index.isdigit())
            ):
                out.append(
                    ("apis", f"item {i + 1}: expected 'new Type', 'Type.Method', '.Method' or 'name' (then '#N')")
                )
        return out


@dataclass(frozen=True)
class CodeToolkitParams:
    """Capabilities that, found together in one file, make it a shell's tool kit: a file holds
    at least `min_groups` of `groups`, each group met by any of its capabilities."""

    groups: tuple[tuple[str, ...], ...]
    min_groups: int

    def problems(self) -> list[tuple[str, str]]:
        out = []
        for i, group in enumerate(self.groups):
            unknown = sorted(set(group) - CODE_CAPABILITIES)
            if not group or unknown:
                out.append(("groups", f"item {i + 1}: unknown or no capability ({', '.join(unknown)})"))
        if not 1 < self.min_groups <= len(self.groups):
            out.append(("min_groups", "must be at least 2 and at most the number of groups"))
        return out


@dataclass(frozen=True)
class CodeCloakParams:
    """Crawler names compared with the user agent or referer, and what cloaking code then does."""

    crawlers: Words
    actions: Words


@dataclass(frozen=True)
class CodePlantedDllParams:
    max_page_bytes: int

    def problems(self) -> list[tuple[str, str]]:
        return [] if self.max_page_bytes > 0 else [("max_page_bytes", "must be positive")]


@dataclass(frozen=True)
class CodeUnresolvedParams:
    """Sinks (labels of `code-flow` rules' `apis`) that count when an argument neither folds to
    a constant nor is fixed by the site or its configuration. `"Label#N"`: only argument N (from
    0) counts, the others being options or content. `page_apis`: labels that count only in
    pages (.aspx, .ascx, .master), not in handlers (.ashx) or services."""

    apis: tuple[str, ...]
    page_apis: WordSet = frozenset()  # labels that count in pages only, not in handlers or services

    def problems(self) -> list[tuple[str, str]]:
        out = []
        if not self.apis:
            out.append(("apis", "at least one call is needed"))
        for i, api in enumerate(self.apis):
            label, _, index = api.partition("#")
            if not label.strip() or (index and not index.isdigit()):
                out.append(("apis", f"item {i + 1}: expected 'Label' or 'Label#N'"))
        return out

    def positions(self) -> dict[str, int | None]:
        """Label (lower case) -> the one argument that counts, or None for every argument."""
        out: dict[str, int | None] = {}
        for api in self.apis:
            label, _, index = api.partition("#")
            out[label.strip().lower()] = int(index) if index else None
        return out


@dataclass(frozen=True)
class CodeIncludeParams:
    """Extensions of files a server-side include may pull in without being reported
    (`code_extensions`), and of source files a directive may compile (`source_extensions`: the
    `Src` and `CodeFile` attributes of Page, Control, Master, Application, WebHandler, WebService
    and Assembly directives)."""

    code_extensions: WordSet
    source_extensions: WordSet = frozenset()


# Detectors that report under one fixed rule, whatever the catalog holds: another rule naming
# them would never fire (the user's YARA matches fall back to EXH-FS-USER-YARA).
ONE_RULE_DETECTORS = {"user-yara": "EXH-FS-USER-YARA"}

# Detector name (the rule's `detector` key) -> the class of its parameters.
DETECTORS: dict[str, type] = {
    # logs
    "httpproxy-serverinfo-anchor": ServerInfoAnchorParams,
    "httpproxy-autodiscover-anchor": FedLogParams,
    "httpproxy-becookie": BackEndCookieParams,
    "httpproxy-resetvdir": ResetVdirAnchorParams,
    "ecp-vdir": EcpVdirParams,
    "oab-download": OabDownloadParams,
    "iis-ssrf-entry": IisSsrfEntryParams,
    "iis-resetvdir": IisResetVdirParams,
    "iis-user-agent": IisUserAgentParams,
    "iis-webshell": IisWebshellParams,
    "iis-webshell-known": IisKnownShellParams,
    "iis-tunnel": IisTunnelParams,
    "web-proxyshell": ProxyShellParams,
    "web-proxynotshell": ProxyNotShellParams,
    "web-owassrf": OwaPowerShellParams,
    "rps-clientinfo": RpsClientInfoParams,
    "web-exporttool": ExportToolParams,
    "web-indicator": FedLogParams,
    # events
    "event-um-error": UmErrorParams,
    "event-um-child": UmChildParams,
    "event-um-file": UmFileParams,
    "event-vdir-script": ScriptMarkersParams,
    "event-mailbox-export": NoParams,
    "event-mailbox-export-web": NoParams,
    "event-import-export-role": RoleParams,
    "event-export-removed": NoParams,
    "event-cert-request": NoParams,
    "event-transport-agent": CmdletsParams,
    "event-transport-agent-config": NoParams,
    "event-w3wp-shell": W3wpShellParams,
    "event-w3wp-child": ExpectedChildrenParams,
    "event-chopper": MarkersParams,
    "event-comsvcs": OrdinalParams,
    "event-command-patterns": PatternGroupsParams,
    "event-lsass-dump-tool": PatternGroupsParams,
    "event-lsass-access": LsassAccessParams,
    "event-lsass-handle": LsassHandleParams,
    "event-dump-file": DumpWritersParams,
    "event-staging": StagingParams,
    "event-snapin": SnapinParams,
    "event-hidden-page": NoParams,
    "event-webshell-drop": WritersParams,
    "event-web-script-write": WebScriptWriteParams,
    "event-log-cleared": NoParams,
    "event-indicator": NoParams,
    "event-hash-indicator": NoParams,
    "event-explicit-logon": NoParams,
    "event-group-add": GroupAddParams,
    "event-lsass-suspect": LsassSuspectParams,
    "iis-command": IisCommandParams,
    "event-av-webshell": AvWebshellParams,
    "event-iis-config-change": CommandConfigParams,
    "event-log-deletion": LogDeletionParams,
    "event-parent-child": ParentChildParams,
    "event-cmdlet-patterns": PatternGroupsParams,
    "event-export-command": ExportCommandParams,
    "event-w3wp-drop": W3wpDropParams,
    "event-mimikatz": MimikatzParams,
    # files
    "file-hash-indicator": IndicatorParams,
    "file-path-indicator": IndicatorParams,
    "yara": NoParams,
    "user-yara": NoParams,
    "file-binary-page": BinaryPageParams,
    "file-auth-nonstock": AuthFolderParams,
    "file-auth-lookalike": AuthFolderParams,
    "file-page-in-place": PlacesParams,
    "file-compiled-page": CompiledPageParams,
    "file-minidump": PlacesParams,
    "file-attack-window": AttackWindowParams,
    "file-staged-archive": ExtensionsParams,
    "iis-vdir-path": VdirPathParams,
    "iis-mitigation-state": NoParams,
    "iis-module-path": ModulePathParams,
    "iis-module-unshipped": ShippedModuleParams,
    "iis-managed-module": ManagedModuleParams,
    # code analysis
    "code-flow": CodeFlowParams,
    "code-toolkit": CodeToolkitParams,
    "code-hidden-name": NoParams,
    "code-encoded-page": NoParams,
    "code-pinvoke": NoParams,
    "code-seo-cloak": CodeCloakParams,
    "code-planted-dll": CodePlantedDllParams,
    "code-include": CodeIncludeParams,
    "code-unresolved": CodeUnresolvedParams,
}
