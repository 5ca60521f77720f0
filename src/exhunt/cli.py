"""The `exhunt` command line. Thin: each subcommand lives in `exhunt.commands.<name>`.

A subcommand module defines `NAME`, `HELP` (one line), `DESCRIPTION` (shown by `--help`),
`add_arguments(parser)` and `run(args) -> int`. Exit codes everywhere: 0 nothing found,
1 findings or exposed builds, 2 usage or fatal error.
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
exit codes: 0 nothing found, 1 findings or exposed builds, 2 usage or fatal error.
Run `exhunt COMMAND --help` for the options and examples of each command."""


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep the message short and clear."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _command_modules() -> list[ModuleType]:
    mods = []
    for info in pkgutil.iter_modules(commands.__path__):
        mod = importlib.import_module(f"{commands.__name__}.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "run"):
            mods.append(mod)
    order = {"hunt": 0, "scan": 1, "build": 2, "report": 3}
    return sorted(mods, key=lambda m: (order.get(m.NAME, 9), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="exhunt",
        description="Find out whether Microsoft Exchange servers are exposed to, or were compromised "
        "through, ProxyLogon, ProxyShell, ProxyNotShell and OWASSRF - and what to do next.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"exhunt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod in _command_modules():
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
    parser = build_parser()
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
