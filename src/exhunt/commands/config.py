"""`exhunt config show`: the effective settings of `hunt` and `scan`, and where each comes from."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from exhunt.config import ENV_OVERRIDES, SETTINGS, Config, ConfigError, default_path, load

NAME = "config"
HELP = "show the effective settings of hunt and scan (configuration file, defaults)"
DESCRIPTION = f"""\
Print the settings `exhunt hunt` and `exhunt scan` will use, as TOML you can copy into a
configuration file, each with where it comes from: the file, an environment variable
($EXHUNT_DB, which wins over the file's [scan] db), or the built-in default. Options given on
the command line still win over all of them.

The file is --config FILE, else $EXHUNT_CONFIG, else {default_path()} (it may be absent).
Sections: [hunt], [scan] and [output] (settings every command shares). Relative paths are taken
from the file's folder. An unknown key or a wrong type is an error, never ignored.

example file:
  [hunt]
  jobs = 4
  file_scan_timeout = 60
  yara = ["rules/yara"]
  allowlist = ["allow.csv"]
  [scan]
  concurrency = 200
  check = ["proxynotshell"]
  [output]
  no_color = true

examples:
  exhunt config show
  exhunt config show --config case42.toml
  exhunt config show --json -
"""
EXIT_CODES = ("0  shown", "2  the configuration file is missing (when named), unreadable or wrong")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["show"], metavar="show", help="print the effective settings")
    parser.add_argument("--config", metavar="FILE", help="configuration file to read instead of the default one")
    parser.add_argument("--json", metavar="FILE|-", help="write the settings as JSON instead of TOML")


def effective(config: Config) -> dict[str, dict[str, tuple[Any, str]]]:
    """section -> key -> (value, source) for every setting; defaults read from the commands' parsers."""
    from exhunt.cli import build_parsers

    _, subs = build_parsers()
    where = str(config.path) if config.path else ""
    out: dict[str, dict[str, tuple[Any, str]]] = {}
    for s in SETTINGS:
        command = s.section if s.section != "output" else "hunt"
        parser, _ = subs[command]
        variable = ENV_OVERRIDES.get((s.section, s.key))
        if variable and os.environ.get(variable):
            source = f"${variable}"
            if s.key in config.values.get(s.section, {}):
                source += f", over {where}'s {config.values[s.section][s.key]}"
            out.setdefault(s.section, {})[s.key] = (os.environ[variable], source)
        elif s.key in config.values.get(s.section, {}):
            out.setdefault(s.section, {})[s.key] = (config.values[s.section][s.key], where)
        else:
            out.setdefault(s.section, {})[s.key] = (parser.get_default(s.dest), "default")
    return out


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string is a JSON string


def render(config: Config, values: dict[str, dict[str, tuple[Any, str]]]) -> str:
    if config.path:
        lines = [f"# configuration file: {config.path}"]
    else:
        lines = [f"# no configuration file ({default_path()} does not exist): built-in defaults"]
    help_of = {(s.section, s.key): s.help for s in SETTINGS}
    for section, items in values.items():
        lines += ["", f"[{section}]"]
        for key, (value, source) in items.items():
            note = f"  # {help_of[(section, key)]}; from {source}"
            if value is None:
                lines.append(f"# {key} ={note.replace('  #', ' (unset);', 1)}")
            else:
                lines.append(f"{key} = {_toml(value)}{note}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    try:
        config = load(args.config)
    except ConfigError as exc:
        print(f"exhunt config: {exc}", file=sys.stderr)
        return 2
    values = effective(config)
    if args.json:
        from exhunt.cli_options import write_or_say

        doc = {
            "schema": "exhunt.config/1",
            "file": str(config.path) if config.path else None,
            "settings": {
                sec: {k: {"value": v, "from": src} for k, (v, src) in items.items()} for sec, items in values.items()
            },
        }
        text = json.dumps(doc, indent=2, default=str) + "\n"
        return 0 if write_or_say("exhunt config", "--json", args.json, text) else 2
    sys.stdout.write(render(config, values))
    return 0
