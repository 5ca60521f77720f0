"""The live server: `exhunt hunt` with no path, run on the Exchange server itself (Windows).

Where to look comes from the server's own configuration: the Exchange install root from the
registry (`MsiInstallPath`) or the `ExchangeInstallPath` variable (docs/logs.md#where-the-logs-are), IIS
log folders from applicationHost.config (per-site log folders are configurable), plus event logs,
web roots and the places attackers staged files (published in the 2021 reports). Registry, environment and file
system are passed in, so this runs and is tested anywhere with stand-ins.
"""

from __future__ import annotations

import importlib
import os
import re
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from exhunt.evidence.base import HostEvidence, HostProblem
from exhunt.evidence.discovery import add_file
from exhunt.evidence.names import clean_host_name
from exhunt.evidence.safe_open import open_evidence
from exhunt.evidence.tree import Counter, Progress, list_folder
from exhunt.model import ProblemKind
from exhunt.registry import live_folders

SETUP_KEYS = (
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\ExchangeServer\v15\Setup",
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\ExchangeServer\v14\Setup",
)
_CONFIG_BYTES = 32 * 1024 * 1024
_LOG_DIRECTORY = re.compile(r"<(?:logFile|centralW3CLogFile)\b[^>]*?\bdirectory\s*=\s*\"([^\"]*)\"", re.I)
_PHYSICAL_PATH = re.compile(r"<virtualDirectory\b[^>]*?\bphysicalPath\s*=\s*\"([^\"]*)\"", re.I)
_VARIABLE = re.compile(r"%([^%\\/]+)%")


class Registry(Protocol):
    def value(self, key: str, name: str) -> str | None:
        """A string value under `key` (a full path such as `HKEY_LOCAL_MACHINE\\SOFTWARE\\...`)."""
        ...


class WindowsRegistry:
    """The real registry, read-only."""

    def value(self, key: str, name: str) -> str | None:
        # Windows only, imported where used; by name, since its stubs exist only for Windows and
        # the tests put a stand-in in its place.
        winreg: Any = importlib.import_module("winreg")

        hive_name, _, sub = key.partition("\\")
        hive = getattr(winreg, hive_name, None)
        if hive is None:
            return None
        # Exchange is 64-bit only: read the 64-bit view even from a 32-bit Python.
        access = winreg.KEY_READ | getattr(winreg, "KEY_WOW64_64KEY", 0)
        try:
            with winreg.OpenKey(hive, sub, 0, access) as handle:
                data, _kind = winreg.QueryValueEx(handle, name)
        except OSError:
            return None
        return data if isinstance(data, str) else None


def _same_path(windows_path: str) -> str:
    return windows_path


@dataclass(frozen=True)
class LiveSystem:
    """What the live hunt reads of the machine."""

    registry: Registry
    environ: Mapping[str, str]
    local_path: Callable[[str], str] = _same_path  # where a Windows path is read from here
    hostname: Callable[[], str] = field(default=socket.gethostname)


def this_machine() -> LiveSystem:
    return LiveSystem(WindowsRegistry(), dict(os.environ))


@dataclass(frozen=True, slots=True)
class _Root:
    windows: str  # no trailing backslash
    why: str
    max_depth: int | None = None
    expected: bool = False  # say so when it is missing


def live_host(system: LiveSystem | None = None, *, on_progress: Progress | None = None) -> HostEvidence:
    """List the live server's evidence as one host."""
    if system is None:
        if sys.platform != "win32":
            raise RuntimeError("the live server can only be read on Windows")
        system = this_machine()
    env = {k.upper(): v for k, v in system.environ.items()}
    name = clean_host_name(env.get("COMPUTERNAME") or system.hostname() or "") or "localhost"
    host = HostEvidence(name=name, root="(live server)", layout="live")

    def expand(text: str) -> str:
        expanded = _VARIABLE.sub(lambda m: env.get(m.group(1).upper(), m.group(0)), text.strip())
        return expanded.replace("/", "\\").rstrip("\\")

    env.setdefault("SYSTEMDRIVE", "C:")
    env.setdefault("SYSTEMROOT", env.get("WINDIR") or env["SYSTEMDRIVE"] + "\\Windows")
    env.setdefault("WINDIR", env["SYSTEMROOT"])
    env.setdefault("PROGRAMDATA", env["SYSTEMDRIVE"] + "\\ProgramData")
    windir = env["WINDIR"].rstrip("\\")

    install = _install_root(system, env, host)
    roots: list[_Root] = []
    if install is not None:
        roots.append(_Root(install.rstrip("\\"), "Exchange install", expected=True))
    config_dir = windir + r"\System32\inetsrv\config"
    roots.append(_Root(config_dir, "IIS configuration"))
    config = _read_config(system.local_path(config_dir + r"\applicationHost.config"), host)
    log_dirs = [expand(d) for d in _LOG_DIRECTORY.findall(config)]
    default_logs = expand(r"%SystemDrive%\inetpub\logs\LogFiles")
    if log_dirs:
        shown = ", ".join(dict.fromkeys(log_dirs))
        host.notes.append(f"IIS log folders from applicationHost.config: {shown}")
    roots.extend(_Root(d, "IIS logs") for d in [*log_dirs, default_logs] if d)
    # Logs under the Windows folder (event logs, HTTPERR), where the artefact registry says they live.
    for folder, art in live_folders("%SystemRoot%"):
        roots.append(_Root(expand(folder), art.title, expected=art.judged_on))
    web_roots = [expand(p) for p in _PHYSICAL_PATH.findall(config)]
    roots.extend(_Root(p, "web root") for p in [expand(r"%SystemDrive%\inetpub\wwwroot"), *web_roots] if p)
    # Where attackers staged archives, dumps and tools (published in the 2021 reports): shallow, not whole trees.
    roots.append(_Root(env["PROGRAMDATA"].rstrip("\\"), "staging place", max_depth=2))
    roots.append(_Root(windir + r"\Temp", "staging place", max_depth=2))
    roots.append(_Root(env["SYSTEMDRIVE"] + r"\Users\Public", "staging place", max_depth=2))

    counter = Counter(on_progress)
    install_logging = (install or "").lower() + "logging\\"
    seen: set[str] = set()
    for root in _distinct(roots):
        _list_root(system, root, host, counter, install_logging if install else None, seen)
    counter.done()
    return host


def _install_root(system: LiveSystem, env: Mapping[str, str], host: HostEvidence) -> str | None:
    for key in SETUP_KEYS:
        path = system.registry.value(key, "MsiInstallPath")
        if path and path.strip():
            root = path.strip().rstrip("\\") + "\\"
            host.exchange_install = root
            host.notes.append(f"Exchange install found at {root} (registry MsiInstallPath)")
            return root
    path = env.get("EXCHANGEINSTALLPATH", "").strip()
    if path:
        root = path.rstrip("\\") + "\\"
        host.exchange_install = root
        host.notes.append(f"Exchange install found at {root} (ExchangeInstallPath)")
        return root
    host.notes.append("no Exchange install found (no MsiInstallPath in the registry, no ExchangeInstallPath)")
    return None


def _read_config(local: str, host: HostEvidence) -> str:
    try:
        with open_evidence(local) as fh:
            data = fh.read(_CONFIG_BYTES)
    except FileNotFoundError:
        host.notes.append("no applicationHost.config found; IIS logs looked for in the default folder")
        return ""
    except OSError as exc:
        host.errors.append(
            HostProblem(local, f"cannot read applicationHost.config: {exc.strerror or exc}", ProblemKind.UNREADABLE)
        )
        return ""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _distinct(roots: list[_Root]) -> list[_Root]:
    """Each folder once: a root inside a fully listed one (a web root in the install) is skipped."""
    kept: list[_Root] = []
    for root in roots:
        key = root.windows.lower() + "\\"
        if not any(key.startswith(k.windows.lower() + "\\") and k.max_depth is None for k in kept):
            kept.append(root)
    return kept


def _list_root(
    system: LiveSystem, root: _Root, host: HostEvidence, counter: Counter, install_logging: str | None, seen: set[str]
) -> None:
    local = system.local_path(root.windows)
    if not Path(local).is_dir():
        if root.expected:
            host.errors.append(HostProblem(root.windows, f"{root.why} folder not found", ProblemKind.UNREADABLE))
        return
    tree = list_folder(local, counter=counter, max_depth=root.max_depth)
    for parts, message, problem_kind in tree.errors:
        host.errors.append(HostProblem(_shown("\\".join((root.windows, *parts))), message, problem_kind))
    for entry in tree.entries:
        windows = "\\".join((root.windows, *entry.parts))
        lower = windows.lower()
        if lower in seen:  # already listed from a folder that holds this one
            continue
        seen.add(lower)
        context = tuple(lower.split("\\")[1:])
        under_logging = install_logging is not None and lower.startswith(install_logging)
        add_file(host, tree, entry, _shown(windows), windows, context, under_logging)


def _shown(windows: str) -> str:
    return windows.replace("\\", "/")
