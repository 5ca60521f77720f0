"""IIS configuration, read once per host: attacker virtual directories, native modules and
mitigation state.

applicationHost.config tells which folders IIS serves; ProxyShell intruders added virtual
directories into ProgramData and Users (docs/detection/proxyshell.md). It also names the native
modules every worker loads, where a back door inside IIS itself is registered
(docs/detection/iis-modules.md). applicationHost.config, the
Default Web Site's web.config and the HttpProxy applications' web.configs together tell whether
Microsoft's URL Rewrite mitigations (EOMT, EOMTv2) would block anything (docs/detection/mitigations.md). Configs that are not well-formed XML are still read line by line for virtual
directories, and reported.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass, field
from enum import StrEnum

from exhunt.analyzers import HostContext
from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.filehunt.locations import locate, normalise
from exhunt.filehunt.rewrite import (
    RuleSection,
    State,
    Verdict,
    eomt_cookie,
    is_eomtv2_candidate,
    judge_eomt,
    judge_eomtv2,
    rule_sections,
)
from exhunt.filehunt.saferegex import compile_linear
from exhunt.filehunt.safexml import MAX_XML_BYTES, Node, XmlRefused, parse_xml
from exhunt.hits import Hit, Reporter
from exhunt.model import (
    ArtefactKind,
    EvidenceRef,
    FileFacet,
    Observation,
    ObservationKind,
    Problem,
    ProblemKind,
    UnitResult,
)
from exhunt.ruleparams import ManagedModuleParams, ModulePathParams, ShippedModuleParams, VdirPathParams
from exhunt.rules import rules_of

DEFAULT_SITE = "default web site"
# The detectors of the catalog this analyzer runs, each rule of them with its own parameters.
VDIR_PATH = "iis-vdir-path"
MITIGATION_STATE = "iis-mitigation-state"
MODULE_PATH = "iis-module-path"
MODULE_UNSHIPPED = "iis-module-unshipped"
MANAGED_MODULE = "iis-managed-module"
# Sections adding a .NET module or handler by its type (IIS's integrated and classic pipelines).
_TYPED_SECTIONS = ("modules", "handlers", "httpmodules", "httphandlers")
# `<pages>` attributes naming a type every page or user control of the application is built on
# or parsed through: its code runs for each of them, whatever the page holds.
_PAGE_TYPES = ("pageBaseType", "userControlBaseType", "pageParserFilterType")
# Folders of Exchange's own applications, where no third party's module belongs.
_EXCHANGE_APPS = ("/frontend/httpproxy/", "/clientaccess/")
_ENV = {
    "%systemdrive%": "c:",
    "%homedrive%": "c:",
    "%systemroot%": "c:\\windows",
    "%windir%": "c:\\windows",
    "%programdata%": "c:\\programdata",
    "%allusersprofile%": "c:\\programdata",
    "%public%": "c:\\users\\public",
    "%userprofile%": "c:\\users\\%username%",
    "%programfiles%": "c:\\program files",
    "%programfiles(x86)%": "c:\\program files (x86)",
    "%programw6432%": "c:\\program files",
    "%temp%": "c:\\windows\\temp",  # the worker's own (SYSTEM, network service, pool identities)
    "%tmp%": "c:\\windows\\temp",
}
_APP_FOLDERS = ("/frontend/httpproxy/", "/clientaccess/", "/inetpub/")
_SERVED_FOLDER = re.compile(r"(?:^|/)[a-z][:$]/(?:(programdata)|users/all users|(users))(?:/|$)([^/]*)")
# Run over the lines of configs that are not well-formed, where one line may be megabytes long:
# on RE2, linear in the line (with `re`, `[^>]*` and `[^"]*` made a 512 KiB line take minutes).
_VDIR_LINE = compile_linear(r"<virtualDirectory\b[^>]*\bphysicalPath\s*=\s*\"([^\"]*)\"", ignore_case=True)
# Only globalModules' entries have an `image` (the native DLL); `name` may come before or after it.
_MODULE_LINE = compile_linear(r"<add\b[^>]*\bimage\s*=\s*\"([^\"]*)\"", ignore_case=True)
_MODULE_NAME = compile_linear(r"\bname\s*=\s*\"([^\"]*)\"", ignore_case=True)
_LOOKS_EOMTV2 = compile_linear(r"autodiscover[^\"]*powershell|powershell\s*-\s*inbound", ignore_case=True)
_LOOKS_EOMT = compile_linear(r"x-beresource|x-anonresource-backend", ignore_case=True)


class Role(StrEnum):
    APPHOST = "applicationHost.config"
    SITE_ROOT = "Default Web Site web.config"
    CHILD = "application web.config"
    OTHER = "configuration file"


@dataclass
class ConfigFile:
    file: EvidenceFile
    role: Role
    text: str = ""
    root: Node | None = None
    refused: XmlRefused | None = None
    lines: list[str] = field(default_factory=list)

    def line_text(self, number: int | None) -> str | None:
        if number is None or not 0 < number <= len(self.lines):
            return None
        return self.lines[number - 1].strip()[:600]


PRODUCER = "iisconfig"


class IisConfigAnalyzer:
    name = PRODUCER

    def files_read(self, host: HostEvidence) -> list[EvidenceFile]:
        return [f for f in host.files if _is_iis_config(f)]

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult:
        result = UnitResult()
        configs = [c for c in (_load(f, result) for f in host.files if _is_iis_config(f)) if c is not None]
        if not configs:
            return result
        site_root = _default_site_root(configs)
        for config in configs:
            if config.role is Role.APPHOST or site_root is None:
                continue
            if _without_drive(_path_of(config.file)) == site_root:
                config.role = Role.SITE_ROOT
        for config in configs:
            if config.role is Role.APPHOST:
                _virtual_directories(config, result)
                _global_modules(config, ctx, result)
            if _exchange_scope(config, ctx):
                _managed_modules(config, result)
        _mitigations(configs, result)
        return result


def _is_iis_config(file: EvidenceFile) -> bool:
    name = file.rel_path.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return file.kind is ArtefactKind.IIS_CONFIG or name in ("web.config", "applicationhost.config")


def _path_of(file: EvidenceFile) -> str:
    return file.windows_path or file.rel_path


def _without_drive(path: str) -> str:
    """'C:\\inetpub\\x' and a mirror's 'C/inetpub/x' alike: '/inetpub/x'."""
    return re.sub(r"^/(?:[a-z](?::|%3a)?)(?=/)", "", normalise(path))


def _role(file: EvidenceFile) -> Role:
    path = locate(file).path
    name = path.rsplit("/", 1)[-1]
    if "applicationhost" in name:
        return Role.APPHOST
    if path.endswith("/inetpub/wwwroot/web.config"):
        return Role.SITE_ROOT
    if name == "web.config" and any(m in path for m in _APP_FOLDERS):
        return Role.CHILD
    return Role.OTHER  # e.g. a folder of configs with flattened names: judged as site-level


def _load(file: EvidenceFile, result: UnitResult) -> ConfigFile | None:
    if file.size > MAX_XML_BYTES:
        message = f"IIS config larger than {MAX_XML_BYTES} bytes, not read"
        result.errors.append(Problem(file.rel_path, message, None, ProblemKind.LIMIT, PRODUCER))
        return None
    try:
        with file.open() as fh:
            data = fh.read(MAX_XML_BYTES + 1)
    except (OSError, RuntimeError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        result.errors.append(Problem(file.rel_path, f"cannot read: {reason}", None, ProblemKind.UNREADABLE, PRODUCER))
        return None
    config = ConfigFile(file, _role(file), text=_decode(data))
    config.lines = config.text.splitlines()
    try:
        config.root = parse_xml(data)
    except XmlRefused as exc:
        config.refused = exc
        message = f"IIS config {exc}; read line by line instead"
        result.errors.append(Problem(file.rel_path, message, exc.line, ProblemKind.MALFORMED, PRODUCER))
    return config


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def _expand(path: str) -> str:
    lowered = path.lower()
    for var, value in _ENV.items():
        lowered = lowered.replace(var, value)
    return lowered


def _default_site_root(configs: list[ConfigFile]) -> str | None:
    """The Default Web Site's web.config path (normalised), from applicationHost.config."""
    for config in configs:
        if config.role is not Role.APPHOST or config.root is None:
            continue
        for site in config.root.iter("site"):
            if site.get("name").lower() != DEFAULT_SITE:
                continue
            for app in site.children:
                if app.tag == "application" and app.get("path") == "/":
                    roots = (v for v in app.children if v.tag == "virtualdirectory" and v.get("path") == "/")
                    vdir = next(roots, None)
                    if vdir is not None and vdir.get("physicalpath"):
                        return _without_drive(_expand(vdir.get("physicalpath")).rstrip("\\/") + "/web.config")
    return None


# ------------------------------------------------------------------------- virtual directories


def _virtual_directories(config: ConfigFile, result: UnitResult) -> None:
    if config.root is not None:
        for site in config.root.iter("site"):
            for app in site.children:
                if app.tag != "application":
                    continue
                for vdir in app.children:
                    if vdir.tag == "virtualdirectory":
                        where = f"{site.get('name')}{app.get('path').rstrip('/')}{vdir.get('path')}"
                        _judge_vdir(config, vdir.get("physicalpath"), vdir.line, where, result)
        return
    for number, line in enumerate(config.lines, 1):
        found = _VDIR_LINE.search(line)
        if found:
            _judge_vdir(config, found.group(1), number, None, result)


def _judge_vdir(config: ConfigFile, physical: str, line: int, where: str | None, result: UnitResult) -> None:
    path = normalise(_expand(physical))
    found = _SERVED_FOLDER.search(path)
    if not found:
        return
    folder = found.group(3).split(".", 1)[0]
    under = "ProgramData" if found.group(1) or not found.group(2) else "Users"
    details = {"physical_path": physical, "under": under}
    if where:
        details["virtual_directory"] = where
    reporter = Reporter(result)
    for r in rules_of(VDIR_PATH):
        facts = dict(details)
        outcome = "hit"
        if under == "ProgramData" and folder in r.params_as(VdirPathParams).published_folders:
            facts["why"] = f"serves ProgramData\\{found.group(3)}, a folder name published from ProxyShell intrusions"
            outcome = "published-folder"
        reporter.report(
            Hit(r.id, outcome, facts, file=FileFacet(physical, place=f"served as {where}" if where else None)),
            EvidenceRef(config.file.rel_path, line, config.line_text(line)),
            config.file.mtime,
        )


# ------------------------------------------------------------------------------ native modules


def _global_modules(config: ConfigFile, ctx: HostContext, result: UnitResult) -> None:
    if config.root is not None:
        modules = config.root.path("system.webserver", "globalmodules")
        for module in modules.children if modules is not None else ():
            if module.tag == "add" and module.get("image"):
                _judge_module(config, module.get("name"), module.get("image"), module.line, ctx, result)
        return
    for number, line in enumerate(config.lines, 1):
        found = _MODULE_LINE.search(line)
        if found:
            named = _MODULE_NAME.search(line)
            _judge_module(config, named.group(1) if named else "", found.group(1), number, ctx, result)


def _judge_module(
    config: ConfigFile, name: str, image: str, line: int | None, ctx: HostContext, result: UnitResult
) -> None:
    # (`..` resolved first: `System32\..\..\ProgramData` is not under System32)
    path = posixpath.normpath(_without_drive(_expand(image.strip().strip('"'))))
    install = _install_root(ctx)
    reporter = Reporter(result)
    for r in rules_of(MODULE_PATH):
        p = r.params_as(ModulePathParams)
        known = [*p.known_folders, *([install] if install else [])]
        if path.startswith("/") and any(path.startswith(folder) for folder in known):
            continue
        staged = next((folder for folder in sorted(p.staging_folders) if folder in path), None)
        facts = {"module": name, "image": image}
        if staged is not None:
            facts["why"] = f"its DLL lies in a folder intruders stage tools in ({staged.strip('/')})"
        reporter.report(
            Hit(r.id, "staging-folder" if staged else "hit", facts, file=FileFacet(image, place=f"IIS module {name}")),
            EvidenceRef(config.file.rel_path, line, config.line_text(line)),
            config.file.mtime,
        )
    _judge_shipped(config, name, image, path, line, result)


def _judge_shipped(config: ConfigFile, name: str, image: str, path: str, line: int | None, result: UnitResult) -> None:
    """A module in Windows' own folders whose DLL is not one IIS or Windows ships there."""
    # The 32-bit worker reads System32 in the config as SysWOW64: one list serves both.
    as_shipped = path.replace("/windows/syswow64/", "/windows/system32/", 1)
    reporter = Reporter(result)
    for r in rules_of(MODULE_UNSHIPPED):
        p = r.params_as(ShippedModuleParams)
        if not any(path.startswith(folder) for folder in p.windows_folders) or as_shipped in p.shipped_images:
            continue
        facts = {"module": name, "image": image}
        file_name = posixpath.basename(as_shipped)
        near = difflib.get_close_matches(file_name, [posixpath.basename(i) for i in p.shipped_images], 1, 0.85)
        if near and near[0] != file_name:
            facts["why"] = f"its file name is close to IIS's own {near[0]}"
        elif near:
            facts["why"] = f"{near[0]} is IIS's, but not in this folder"
        reporter.report(
            Hit(r.id, "hit", facts, file=FileFacet(image, place=f"IIS module {name}")),
            EvidenceRef(config.file.rel_path, line, config.line_text(line)),
            config.file.mtime,
        )


def _exchange_scope(config: ConfigFile, ctx: HostContext) -> bool:
    """applicationHost.config, the Default Web Site's web.config, or a web.config of Exchange's
    own applications (also under the install root the hunt found)."""
    if config.role in (Role.APPHOST, Role.SITE_ROOT):
        return True
    path = _without_drive(_expand(_path_of(config.file)))
    install = _install_root(ctx)
    return any(folder in path for folder in _EXCHANGE_APPS) or bool(install and path.startswith(install))


def _install_root(ctx: HostContext) -> str | None:
    """The Exchange install root the hunt found, as a folder path without its drive ('/.../')."""
    if not ctx.exchange_install:
        return None
    return _without_drive(_expand(ctx.exchange_install)).rstrip("/") + "/"


def _managed_modules(config: ConfigFile, result: UnitResult) -> None:
    if config.root is None:
        return  # not well-formed: already a problem of the file, so the host is not called clean
    reporter = Reporter(result)
    judged = [(r, tuple(r.params_as(ManagedModuleParams).known_namespaces)) for r in rules_of(MANAGED_MODULE)]
    typed: list[tuple[str, str, str, int]] = []  # (section, name, type, line)
    for section in _TYPED_SECTIONS:
        for holder in config.root.iter(section):
            for entry in holder.children:
                kind = entry.get("type").strip()
                if entry.tag == "add" and kind:
                    typed.append((section, entry.get("name"), kind, entry.line))
    for pages in config.root.iter("pages"):
        for attribute in _PAGE_TYPES:
            kind = pages.get(attribute).strip()
            if kind:
                typed.append(("pages", attribute, kind, pages.line))
    for section, name, kind, line in typed:
        for r, known in judged:
            if kind.lower().startswith(known):
                continue
            facts = {"section": section, "name": name, "type": kind}
            reporter.report(
                Hit(r.id, "hit", facts),
                EvidenceRef(config.file.rel_path, line, config.line_text(line)),
                config.file.mtime,
            )


# --------------------------------------------------------------------------------- mitigations


def _mitigations(configs: list[ConfigFile], result: UnitResult) -> None:
    site: list[RuleSection] = []
    children: list[RuleSection] = []
    broken: list[ConfigFile] = []
    blockers: list[str] = []
    for config in configs:
        if config.root is None:
            if config.role is not Role.CHILD:
                broken.append(config)
            continue
        if config.role is Role.APPHOST:
            site.extend(rule_sections(config.root, config.file.rel_path))
            for location in config.root.children:
                if location.tag != "location":
                    continue
                target = location.get("path").strip("/").lower()
                sections = rule_sections(location, config.file.rel_path)
                if target in ("", ".", DEFAULT_SITE):
                    site.extend(sections)
                elif target.startswith(DEFAULT_SITE + "/"):
                    children.extend(sections)
            modules = config.root.path("system.webserver", "globalmodules")
            if modules is not None and not any("rewrite" in m.get("name").lower() for m in modules.children):
                blockers.append(f"the IIS URL Rewrite module is not installed ({config.file.rel_path})")
        elif config.role is Role.CHILD:
            children.extend(rule_sections(config.root, config.file.rel_path))
        else:
            site.extend(rule_sections(config.root, config.file.rel_path))
            for location in config.root.children:
                if location.tag == "location":
                    target = location.get("path").strip("/")
                    sections = rule_sections(location, config.file.rel_path)
                    (site if target in ("", ".") else children).extend(sections)

    verdicts = [judge_eomt(site, children, blockers), judge_eomtv2(site, children, blockers)]
    relevant = any(c.role in (Role.APPHOST, Role.SITE_ROOT) for c in configs) or any(
        v.state is not State.ABSENT for v in verdicts
    )
    verdicts = [_second_look(v, children, broken) for v in verdicts]
    if not relevant and all(v.state is State.ABSENT for v in verdicts):
        return  # no IIS front-end configuration here: nothing to say either way
    anchor = next((c for c in configs if c.role is Role.APPHOST), None) or next(
        (c for c in configs if c.role is Role.SITE_ROOT), configs[0]
    )
    reporter = Reporter(result)
    for verdict in verdicts:
        source = verdict.source or anchor.file.rel_path
        holder = next((c for c in configs if c.file.rel_path == source), anchor)
        result.observations.append(
            Observation(ObservationKind.MITIGATION, verdict.value, source, holder.file.mtime, verdict.reason)
        )
        details = {
            "mitigation": verdict.mitigation,
            "state": str(verdict.state),
            "reason": verdict.reason,
            "rule": verdict.rule or "",
        }
        for r in rules_of(MITIGATION_STATE):
            reporter.report(
                Hit(r.id, facts=details),
                EvidenceRef(source, verdict.line, holder.line_text(verdict.line)),
            )


def _second_look(verdict: Verdict, children: list[RuleSection], broken: list[ConfigFile]) -> Verdict:
    """An absent verdict may hide a rule in a child application or in a config IIS cannot load."""
    if verdict.state is not State.ABSENT:
        return verdict
    wanted = _LOOKS_EOMTV2 if verdict.mitigation == "EOMTv2" else _LOOKS_EOMT
    for config in broken:
        for number, line in enumerate(config.lines, 1):
            if wanted.search(line):
                refused = config.refused
                why = f"{config.file.rel_path} could not be read"
                if refused is not None:
                    why = (
                        f"{config.file.rel_path} is {refused} (line {refused.line}): "
                        "IIS cannot load it, so its rules do not run"
                    )
                return Verdict(verdict.mitigation, State.INEFFECTIVE, why, config.file.rel_path, number)
    for section in children:
        for r in section.rules:
            if (verdict.mitigation == "EOMTv2" and is_eomtv2_candidate(r)) or (
                verdict.mitigation == "EOMT" and eomt_cookie(r)
            ):
                why = (
                    f"only in {section.source}, a single application: Microsoft applies it to the whole "
                    "Default Web Site"
                )
                return Verdict(verdict.mitigation, State.INEFFECTIVE, why, section.source, r.line, r.name)
    return verdict


IIS_CONFIG = IisConfigAnalyzer()
ANALYZERS = [IIS_CONFIG]
