"""The configuration file: every setting of `hunt` and `scan`, in TOML.

Looked for at `--config FILE`, else `$EXHUNT_CONFIG`, else `config.toml` in the user's
configuration folder (`$XDG_CONFIG_HOME/exhunt/` or `~/.config/exhunt/`; `%APPDATA%\\exhunt\\`
on Windows). A file named on purpose must exist; the default one may be absent. Values set
there become the defaults of the command-line options, so an option given on the command line
wins (and list options such as `--yara` add to the file's list). Relative paths in the file are
taken from the file's own folder. An unknown key or a value of the wrong type is an error that
names the file and the key: a setting that silently does nothing is worse than none.

`exhunt config show` prints the effective settings and where each comes from.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV = "EXHUNT_CONFIG"


@dataclass(frozen=True, slots=True)
class Setting:
    section: str  # "hunt", "scan", or "output" (every command that has the option)
    key: str  # as written in the file; the option's dest is the same name
    kinds: tuple[type, ...]
    help: str
    paths: bool = False  # a list of files or folders
    many: bool = False  # a list

    @property
    def dest(self) -> str:
        return self.key


SETTINGS: tuple[Setting, ...] = (
    Setting("hunt", "jobs", (int,), "worker processes (default: all cores)"),
    Setting("hunt", "max_file_size", (int,), "MB; larger files are hashed, their content not scanned"),
    Setting("hunt", "per_rule", (int,), "findings shown per rule on the console"),
    Setting("hunt", "evtx_threads", (int,), "threads per .evtx file"),
    Setting("hunt", "evtx_memory_bound", (int,), "bytes of event records held per .evtx file at once"),
    Setting("hunt", "event_part_mb", (int,), "MB; a larger event log is read in parts of this size (0 = whole)"),
    Setting("hunt", "file_scan_timeout", (int, float), "seconds the YARA scan of one file may take"),
    Setting(
        "hunt",
        "code_analysis_timeout",
        (int, float),
        "seconds the analysis of one file's server code may take, plus 5 s per MiB (up to 4 MiB)",
    ),
    Setting("hunt", "unit_timeout", (int, float), "seconds one analyzer may spend on one file, plus 1 s per MiB"),
    Setting("hunt", "rules", (str,), "your TOML rule files or folders", paths=True, many=True),
    Setting("hunt", "yara", (str,), "your YARA rule files or folders", paths=True, many=True),
    Setting("hunt", "indicators", (str,), "your indicator lists (CSV)", paths=True, many=True),
    Setting("hunt", "allowlist", (str,), "your allow-lists (CSV)", paths=True, many=True),
    Setting("hunt", "sigma", (str,), "your Sigma rule files or folders", paths=True, many=True),
    Setting("hunt", "sigma_levels", (str,), "TOML file overriding what Sigma levels or rule ids imply", paths=True),
    Setting("hunt", "no_code_analysis", (bool,), "do not parse server code in pages"),
    Setting("hunt", "split_by_computer", (bool,), "one host per computer the event files name"),
    Setting("scan", "port", (int,), "port for targets without one"),
    Setting("scan", "check", (str,), "opt-in checks to run", many=True),
    Setting("scan", "concurrency", (int,), "hosts at once"),
    Setting("scan", "timeout", (int, float), "seconds per request, body included"),
    Setting("scan", "connect_timeout", (int, float), "seconds to connect"),
    Setting("scan", "host_timeout", (int, float), "seconds for everything sent to one host"),
    Setting("scan", "total_timeout", (int, float), "seconds for the whole scan"),
    Setting("scan", "rate", (int, float), "requests per second over the whole scan"),
    Setting("scan", "max_targets", (int,), "most addresses one invocation expands to"),
    Setting("scan", "max_body", (int,), "bytes read of each response body"),
    Setting("scan", "sni", (str,), "server name for IP targets"),
    Setting("scan", "legacy_tls", (bool,), "retry a failed handshake once with TLS 1.0"),
    Setting("scan", "db", (str,), "SQLite results store", paths=True),
    Setting("scan", "no_db", (bool,), "keep no results store"),
    Setting("output", "csv_raw", (bool,), "write CSV cells exactly as logged (no formula guard)"),
    Setting("output", "no_color", (bool,), "no colours on the console"),
    Setting("output", "progress", (bool,), "progress bar on (true) or off (false); unset: on a terminal"),
)
SECTIONS = ("hunt", "scan", "output")


class ConfigError(ValueError):
    """The configuration file is missing (when named), unreadable, or says something unusable."""


@dataclass(slots=True)
class Config:
    path: Path | None  # None: no file (the default location holds none)
    named: bool  # given with --config or $EXHUNT_CONFIG
    values: dict[str, dict[str, Any]]  # section -> key -> value (paths resolved)

    def for_command(self, command: str) -> dict[str, Any]:
        """The option defaults this file sets for one subcommand (an environment variable that
        names the same setting wins over the file: see `ENV_OVERRIDES`)."""
        out = dict(self.values.get("output", {}))
        out.update(self.values.get(command, {}))
        for (section, key), variable in ENV_OVERRIDES.items():
            if section == command and os.environ.get(variable):
                out.pop(key, None)
        return out


# Settings an environment variable also gives: the variable wins over the file (it is the more
# particular choice, made for one shell or one case), the command line over both.
ENV_OVERRIDES: dict[tuple[str, str], str] = {("scan", "db"): "EXHUNT_DB"}


def default_path() -> Path:
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "exhunt" / "config.toml"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "exhunt" / "config.toml"


def config_argument(argv: Sequence[str]) -> str | None:
    """The value of `--config` in an argument list, before the parser runs."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


def locate(explicit: str | None) -> tuple[Path, bool]:
    if explicit:
        return Path(explicit).expanduser(), True
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser(), True
    return default_path(), False


def load(explicit: str | None = None) -> Config:
    path, named = locate(explicit)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if named:
            raise ConfigError(f"{path}: no such configuration file") from None
        return Config(None, False, {})
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    import tomllib  # only when there is a file: tomllib costs every start about 10 ms

    from exhunt import boundedtoml

    try:
        data = boundedtoml.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return Config(path, named, parse(data, path))


def parse(data: Mapping[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """The file's values, checked; every problem in it is named at once, not one per run."""
    known = {(s.section, s.key): s for s in SETTINGS}
    values: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for section, table in data.items():
        if section not in SECTIONS:
            problems.append(f"unknown section [{section}] (known: {', '.join(SECTIONS)})")
            continue
        if not isinstance(table, dict):
            problems.append(f"{section} must be a table ([{section}])")
            continue
        for key, value in table.items():
            setting = known.get((section, key))
            if setting is None:
                names = ", ".join(s.key for s in SETTINGS if s.section == section)
                problems.append(f"[{section}] has no setting {key!r} (known: {names})")
                continue
            try:
                values.setdefault(section, {})[key] = _checked(setting, value, path)
            except ConfigError as exc:
                problems.append(str(exc).removeprefix(f"{path}: "))
    if len(problems) == 1:
        raise ConfigError(f"{path}: {problems[0]}")
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problems: " + "; ".join(problems))
    return values


_KIND_WORDS: dict[type, str] = {int: "a whole number", str: "a string", bool: "true or false"}


def _checked(setting: Setting, value: Any, path: Path) -> Any:
    where = f"{path}: [{setting.section}] {setting.key}"
    items = value if setting.many else [value]
    if setting.many and not isinstance(value, list):
        raise ConfigError(f"{where} must be a list")
    for item in items:
        # bool is an int in Python; a number setting must not take true/false.
        if not isinstance(item, setting.kinds) or (isinstance(item, bool) and bool not in setting.kinds):
            wanted = "a number" if float in setting.kinds else _KIND_WORDS.get(setting.kinds[0], "another type")
            raise ConfigError(f"{where}: {item!r} is not {wanted}")
        if isinstance(item, int | float) and not isinstance(item, bool) and item < 0:
            raise ConfigError(f"{where}: {item!r} must not be negative")
    if setting.paths:
        resolved = [str((path.parent / Path(str(i)).expanduser()).resolve()) for i in items]
        return resolved if setting.many else resolved[0]
    return list(items) if setting.many else value


def settings_for(command: str) -> list[Setting]:
    return [s for s in SETTINGS if s.section in (command, "output")]
