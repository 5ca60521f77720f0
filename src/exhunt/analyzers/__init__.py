"""Detectors, one module per artefact, found by discovery so a new one is a new file.

Each module in this package that defines `ANALYZERS` (a list of objects following
`FileAnalyzer` or `HostAnalyzer`) is registered. A file analyzer is called once per evidence
file of its kinds; a host analyzer once per host (for checks that need several files at once,
such as IIS configuration). Both return a `UnitResult` and never raise for bad evidence: they
record a `Problem` (with its `ProblemKind`) and go on. They must be pure functions of their
input (no printing, no writing), and module-level so a worker process can find them again by
name. A file analyzer may also have `prepare(options)`, building what it needs once per process
(compiled rules, lists); the engine calls it before forking its workers, so they start with it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, runtime_checkable

from exhunt.evidence.base import EvidenceFile, HostEvidence
from exhunt.model import ArtefactKind, UnitResult
from exhunt.rules import RuleFile


@dataclass(frozen=True)
class HuntOptions:
    """User choices every analyzer may read. Picklable, shared by all work units."""

    max_file_size: int = 64 * 1024 * 1024  # file-content rules skip (and report) larger files
    extra_yara_paths: tuple[str, ...] = ()  # user rule files or folders
    extra_indicator_paths: tuple[str, ...] = ()  # user indicator lists and STIX / MISP feeds
    allowlist_paths: tuple[str, ...] = ()  # user allow-list files
    sigma_paths: tuple[str, ...] = ()  # user Sigma rule files or folders
    sigma_levels: str | None = None  # user file overriding what Sigma levels and rules imply
    # The user's TOML rule files, their text read where the hunt starts (`exhunt.rulefiles`):
    # every process adds them to its catalog before it runs a unit (`exhunt.rules.use`).
    user_rules: tuple[RuleFile, ...] = ()
    # Deadline of one unit of work (an analyzer over one file): this many seconds, plus
    # `unit_seconds_per_mib` per MiB of the file. 0 turns deadlines off.
    unit_timeout: float = 300.0
    unit_seconds_per_mib: float = 1.0
    settings: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HostContext:
    """What an analyzer knows about the host a file belongs to."""

    host: str
    exchange_install: str | None  # Windows path of the install root, with trailing backslash
    options: HuntOptions


@runtime_checkable
class FileAnalyzer(Protocol):
    name: str
    kinds: frozenset[ArtefactKind]

    def analyze(self, file: EvidenceFile, ctx: HostContext) -> UnitResult: ...


@runtime_checkable
class PartReader(Protocol):
    """A file analyzer that can also read a large file in parts, each part a unit of work of its
    own, so the parts run on several cores at once (`exhunt.engine.plan_tasks`). `parts(file,
    options)` says into how many (1: whole; asked only of files large enough to be a unit of
    their own); `analyze_part` reads part `(index, count)`. Together the parts must find what
    the whole file gives, counting the file once in coverage and host names (`UnitResult.parts`)."""

    def parts(self, file: EvidenceFile, options: HuntOptions) -> int: ...

    def analyze_part(self, file: EvidenceFile, ctx: HostContext, part: tuple[int, int]) -> UnitResult: ...


@runtime_checkable
class HostAnalyzer(Protocol):
    """Runs once per host over its file list. One may also say which files it reads, with
    `files_read(host) -> list[EvidenceFile]` (optional, so not part of this protocol): its unit
    then carries only those to its worker (`exhunt.engine.host_tasks`), and it must find the
    same in them as in the whole host."""

    name: str

    def analyze_host(self, host: HostEvidence, ctx: HostContext) -> UnitResult: ...


@cache
def registry() -> dict[str, FileAnalyzer | HostAnalyzer]:
    """All analyzers by name, discovered from this package's modules."""
    found: dict[str, FileAnalyzer | HostAnalyzer] = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        for analyzer in _module_analyzers(mod.name):
            if analyzer.name in found:
                raise ValueError(f"two analyzers named {analyzer.name!r}")
            found[analyzer.name] = analyzer
    return found


# The modules defining each artefact kind's file analyzers, and those defining host analyzers
# (every hunt runs these): a hunt imports only the modules its evidence needs, so a log hunt
# loads neither the event-log readers nor the file hunt's. `tests/test_analyzer_index.py` holds
# this to what the modules define; a kind missing here imports every module.
KIND_MODULES: dict[ArtefactKind, tuple[str, ...]] = {
    ArtefactKind.HTTPPROXY: ("httpproxy", "sigma"),
    ArtefactKind.ECP_SERVER: ("ecp",),
    ArtefactKind.ECP_ACTIVITY: ("ecp",),
    ArtefactKind.OAB_GENERATOR: ("oab",),
    ArtefactKind.RPS_HTTP: ("rps",),
    ArtefactKind.IIS: ("iis", "sigma"),
    ArtefactKind.HTTPERR: ("httperr",),
    ArtefactKind.EVTX: ("events",),
    ArtefactKind.EVENT_JSON: ("events",),
    ArtefactKind.IIS_CONFIG: ("files",),
    ArtefactKind.FILE: ("files",),
}
HOST_MODULES: tuple[str, ...] = ("cachesetup", "exsetup", "filesetup", "iisconfig", "rulesetup", "sigma")


# Analyzers by name, of the modules imported so far (a forked worker inherits its hunt's).
_named: dict[str, FileAnalyzer | HostAnalyzer] = {}


@cache
def _module_analyzers(name: str) -> tuple[FileAnalyzer | HostAnalyzer, ...]:
    module = importlib.import_module(f"{__name__}.{name}")
    found = tuple(getattr(module, "ANALYZERS", ()))
    for analyzer in found:
        _named.setdefault(analyzer.name, analyzer)
    return found


def _of_modules(names: Iterable[str]) -> list[FileAnalyzer | HostAnalyzer]:
    """The analyzers of these modules, in the order of `registry` (by module name)."""
    return [a for name in sorted(set(names)) for a in _module_analyzers(name)]


def analyzer_named(name: str) -> FileAnalyzer | HostAnalyzer:
    """One analyzer by name, without importing every module when its own is loaded already."""
    found = _named.get(name)
    return found if found is not None else registry()[name]


@cache
def file_analyzers(kind: ArtefactKind) -> tuple[FileAnalyzer, ...]:
    """The analyzers of one artefact kind. Cached: the engine asks once per file, and a
    `runtime_checkable` Protocol check per analyzer per file cost a third of a 20,000-file hunt."""
    modules = KIND_MODULES.get(kind)
    candidates = registry().values() if modules is None else _of_modules(modules)
    return tuple(a for a in candidates if isinstance(a, FileAnalyzer) and kind in a.kinds)


def prepare(kinds: Iterable[ArtefactKind], options: HuntOptions) -> None:
    """Do once in this process what every file of these kinds needs (the user's rules made the
    catalog, then each log analyzer's prefilter compiled from it, the file hunt's rules and lists
    for these `options`), so worker processes forked afterwards inherit it instead of each doing
    it again. An analyzer whose preparation fails is left to fail again on its files, where it is
    reported per file like any other failure."""
    from exhunt.rules import use

    use(options.user_rules)
    analyzers = {a.name: a for kind in set(kinds) for a in file_analyzers(kind)}
    for analyzer in analyzers.values():
        ready = getattr(analyzer, "prepare", None)
        if ready is None:
            continue
        try:
            ready(options)
        except Exception:  # reported by the analyzer itself, on each file it cannot read
            continue
    # rule sets the user named (Sigma rules: seconds to load) are loaded here once, too (by
    # host analyzers, which every hunt runs)
    for any_analyzer in _of_modules(HOST_MODULES):
        load = getattr(any_analyzer, "load_rules", None)
        if load is None:
            continue
        try:
            load(options)
        except Exception:  # reported by the analyzer itself, in the worker
            continue


@cache
def host_analyzers() -> tuple[HostAnalyzer, ...]:
    return tuple(a for a in _of_modules(HOST_MODULES) if isinstance(a, HostAnalyzer))
