"""The `exhunt` command line. Thin: each subcommand lives in `exhunt.commands.<name>`.

A subcommand module defines `NAME`, `HELP` (one line), `DESCRIPTION` (shown by `--help`),
`add_arguments(parser)` and `run(args) -> int`. Exit codes everywhere: 0 nothing found,
1 findings or exposed builds, 2 usage or fatal error (`exhunt hunt` adds 3, evidence too thin to
call a host clean).

Subcommands are found by name and imported only when asked for: `exhunt build` does not load the
scanner's HTTP client, nor the hunt's readers, and `exhunt --version` loads none. Only the
top-level help (`--help`, or no command at all) imports them all, for their one-line help.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType

from exhunt import __version__, commands

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_ERROR = 2

_EPILOG = """\
exit codes: 0 nothing found, 1 findings or exposed builds, 2 usage or fatal error,
3 (hunt) no findings but evidence too thin to call a host clean.
Run `exhunt COMMAND --help` for the options and examples of each command."""


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep the message short and clear."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def command_names() -> list[str]:
    """Every subcommand module's name, without importing any of them."""
    names = [info.name for info in pkgutil.iter_modules(commands.__path__) if not info.name.startswith("_")]
    order = {"hunt": 0, "scan": 1, "build": 2, "report": 3}
    return sorted(names, key=lambda n: (order.get(n, 9), n))


def _command_module(name: str) -> ModuleType | None:
    # Discovery by name: a new subcommand is a new module in `exhunt.commands`.
    mod = importlib.import_module(f"{commands.__name__}.{name}")
    return mod if hasattr(mod, "NAME") and hasattr(mod, "run") else None


def _chosen(argv: Sequence[str], names: list[str]) -> str | None:
    """The subcommand named on the command line, when its first word that is not an option is one."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in names else None
    return None


def _wants_overview(argv: Sequence[str]) -> bool:
    """True when the top-level help will be printed, the one output that lists every subcommand's
    one-line help: `--help` before any command, or no command at all."""
    for word in argv:
        if word in ("-h", "--help"):
            return True
        if word == "--version":
            return False
        if not word.startswith("-"):
            return False
    return True


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv`, only the subcommand it names is imported and given its options
    (none for `--version` or a mistyped command, all for the top-level help)."""
    parser = _Parser(
        prog="exhunt",
        description="Find out whether Microsoft Exchange servers are exposed to, or were compromised "
        "through, ProxyLogon, ProxyShell, ProxyNotShell and OWASSRF - and what to do next.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"exhunt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    names = command_names()
    chosen = _chosen(argv, names) if argv is not None else None
    load_all = argv is None or _wants_overview(argv)
    for name in names:
        if name != chosen and not load_all:
            sub.add_parser(name)  # known, not loaded: nothing of it is needed for this run
            continue
        mod = _command_module(name)
        if mod is None:
            continue
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=getattr(mod, "DESCRIPTION", mod.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.add_argument("--version", action="version", version=f"exhunt {__version__}")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return EXIT_ERROR
    try:
        return int(args._run(args))
    except KeyboardInterrupt:
        print("exhunt: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
