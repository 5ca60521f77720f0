"""The `exhunt` command line. Thin: each subcommand lives in `exhunt.commands.<name>`.

A subcommand module defines `NAME`, `HELP` (one line), `DESCRIPTION` (shown by `--help`),
`add_arguments(parser)` and `run(args) -> int`, and may define `EXIT_CODES` (lines for `--help`)
and `CONFIG_SECTION` (which part of the configuration file sets its defaults). Exit codes
everywhere: 0 nothing found, 1 findings or exposed builds, 2 usage or fatal error, 130
interrupted (`exhunt hunt` adds 3, evidence too thin to call a host clean). Options and targets
may come in any order.

Subcommands are found by name and imported only when asked for: `exhunt build` does not load the
scanner's HTTP client, nor the hunt's readers, and `exhunt --version` loads none. Only the
top-level help (`--help`, or no command at all) imports them all, for their one-line help.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from exhunt import __version__, commands
from exhunt.config import ConfigError, config_argument
from exhunt.config import load as load_config
from exhunt.outfile import written_in_place
from exhunt.pipe import ClosablePipe, StdoutUnwritable, stdout_gone

EXIT_OK = 0
EXIT_FOUND = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130

EXIT_LINES = (
    "0  nothing found (every host clean, every build patched)",
    "1  findings, or an exposed build",
    "2  usage error, unreadable input, or an output that could not be written",
    "3  hunt (and report): no findings, but the evidence was insufficient to call a host clean; scan: nothing exposed, but not every target could be judged",
    "130  interrupted (Ctrl-C); some outputs may be missing (none is left cut)",
)
_EPILOG = "exit codes:\n{codes}\nRun `exhunt COMMAND --help` for the options and examples of each command."
MAX_WIDTH = 100


def _width() -> int:
    return max(40, min(_columns(), MAX_WIDTH) - 2)


def _columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` reads it ($COLUMNS, else standard
    output's terminal, else 80), without importing shutil and the compression modules it
    imports: argparse makes a help formatter at every start, help asked for or not."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns or 80


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Wraps prose paragraphs to the terminal and keeps indented lines (examples, lists) as
    written, so help reads at 80 columns and on a wide terminal alike."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_width(), max_help_position=30)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        paragraph: list[str] = []
        item: list[str] = []  # an indented line and the lines continuing it under its text column

        def flush() -> None:
            if paragraph:
                out.append(textwrap.fill(" ".join(paragraph), width, initial_indent=indent, subsequent_indent=indent))
                paragraph.clear()
            if item:
                out.extend(_fit_indented(indent + " ".join(item), width))
                item.clear()

        for line in text.splitlines():
            if not line.strip():
                flush()
                out.append("")
            elif line[0].isspace():
                if item and _lead(line) > _lead(item[0]) and _lead(line) == _hang(item[0]):
                    item.append(line.strip())
                    continue
                flush()
                item.append(line.rstrip())
            elif re.match(r"^[\w -]+:$", line):
                flush()
                out.append(indent + line)
            else:
                if item:
                    flush()
                paragraph.append(line.strip())
        flush()
        return "\n".join(out)


def _lead(line: str) -> int:
    return len(line) - len(line.lstrip())


def _hang(line: str) -> int | None:
    """The column where an item's text starts (`  --html      text`), if it has one."""
    gap = re.search(r"\S\s{2,}(?=\S)", line[_lead(line) :])
    return _lead(line) + gap.end() if gap else None


def _fit_indented(line: str, width: int) -> list[str]:
    """An indented line (an example, a list item) that is too wide: an example's `# comment`
    moves to the next line; anything else wraps under its own text column."""
    if len(line) <= width:
        return [line]
    lead = _lead(line)
    if line.lstrip().startswith("# "):  # a comment on a line of its own, under its example
        return textwrap.wrap(line.strip(), width, initial_indent=" " * lead, subsequent_indent=" " * (lead + 2))
    command, sep, comment = line.partition("  # ")
    if sep and len(command.rstrip()) <= width:
        return [
            command.rstrip(),
            *textwrap.wrap("# " + comment, width, initial_indent=" " * (lead + 4), subsequent_indent=" " * (lead + 6)),
        ]
    hang = _hang(line)
    if hang is None or hang >= width // 2:
        hang = lead + 4
    return textwrap.wrap(line.strip(), width, initial_indent=" " * lead, subsequent_indent=" " * hang)


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on usage errors already; keep the message short and clear."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _module_names(paths: Sequence[str]) -> set[str]:
    """The modules and packages in a package's folders, by their file names."""
    found = set()
    for folder in paths:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            stem, dot, ext = entry.name.partition(".")
            if dot and ext == "py" and stem.isidentifier():
                found.add(stem)
            elif not dot and entry.is_dir() and (Path(entry.path) / "__init__.py").exists():
                found.add(entry.name)
    return found


def command_names() -> list[str]:
    """Every subcommand module's name, without importing any of them."""
    # The package's folder read directly: pkgutil and what it imports cost every start a few ms.
    names = [name for name in _module_names(commands.__path__) if not name.startswith("_")]
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


def _codes(lines: Sequence[str]) -> str:
    return "\n".join(f"  {line}" for line in lines)


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


def build_parsers(
    argv: Sequence[str] | None = None,
) -> tuple[argparse.ArgumentParser, dict[str, tuple[argparse.ArgumentParser, ModuleType]]]:
    """The parser and each loaded subcommand's (parser, module); with `argv`, only the subcommand
    it names is imported and given its options (none for `--version` or a mistyped command, all
    for the top-level help)."""
    parser = _Parser(
        prog="exhunt",
        description="Find out whether Microsoft Exchange servers are exposed to, or were compromised "
        "through, ProxyLogon, ProxyShell, ProxyNotShell and OWASSRF - and what to do next.",
        epilog=_EPILOG.format(codes=_codes(EXIT_LINES)),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"exhunt {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    names = command_names()
    chosen = _chosen(argv, names) if argv is not None else None
    found: dict[str, tuple[argparse.ArgumentParser, ModuleType]] = {}
    load_all = argv is None or _wants_overview(argv)
    for name in names:
        if name != chosen and not load_all:
            # known, not loaded: nothing of it is needed for this run (argparse's own formatter
            # would import shutil to size a help nobody asked for)
            sub.add_parser(name, formatter_class=HelpFormatter)
            continue
        mod = _command_module(name)
        if mod is None:
            continue
        codes = [*getattr(mod, "EXIT_CODES", EXIT_LINES[:3]), EXIT_LINES[-1]]
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=getattr(mod, "DESCRIPTION", mod.HELP),
            epilog=f"exit codes:\n{_codes(codes)}",
            formatter_class=HelpFormatter,
        )
        p.add_argument("--version", action="version", version=f"exhunt {__version__}")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
        found[mod.NAME] = (p, mod)
    return parser, found


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv`, only the subcommand it names is imported and given its options."""
    return build_parsers(argv)[0]


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Parse a command line; a subcommand's options and targets may come in any order, and its
    defaults come from the configuration file when it has a section for them."""
    parser, subs = build_parsers(argv)
    if not argv or argv[0] not in subs:
        return parser.parse_args(argv)
    sub, mod = subs[argv[0]]
    section = getattr(mod, "CONFIG_SECTION", None)
    if section:
        try:
            config = load_config(config_argument(argv[1:]))
        except ConfigError as exc:
            sub.exit(EXIT_ERROR, f"exhunt {argv[0]}: configuration: {exc}\n")
        sub.set_defaults(**config.for_command(section))
    args = sub.parse_intermixed_args(argv[1:])
    args.command = argv[0]
    return args


# Output options; an output named by a path that is standard output itself (/dev/stdout,
# /dev/fd/1, the FIFO stdout is) is written as `-` is, so the human summary moves to stderr
# instead of mixing into the JSON.
_OUTPUT_OPTIONS = ("json", "jsonl", "csv", "html", "timeline", "stix", "misp", "output")


def _stdout_named(args: argparse.Namespace) -> None:
    try:
        out = os.fstat(1)
    except OSError:
        return
    for name in _OUTPUT_OPTIONS:
        value = getattr(args, name, None)
        if not isinstance(value, str) or value in ("", "-") or not written_in_place(value):
            continue
        try:
            named = Path(value).stat()
        except OSError:
            continue
        if (named.st_dev, named.st_ino) == (out.st_dev, out.st_ino):
            setattr(args, name, "-")


def _settle_stdout() -> None:
    if isinstance(sys.stdout, ClosablePipe):
        sys.stdout.settle()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    real_stdout = sys.stdout
    sys.stdout = ClosablePipe(real_stdout)
    try:
        return _main(arguments)
    finally:
        sys.stdout = real_stdout


def _main(arguments: list[str]) -> int:
    try:
        if arguments[:1] == ["hunt"]:
            from exhunt.fleet.forking import local_scheduler_in, start_fork_server

            if local_scheduler_in(arguments):
                # Its warm-up is what a LocalCluster's start waits for longest: begun now, it
                # runs on another core while the parser is built and the rules are read.
                start_fork_server()
        try:
            args = parse(arguments)
        except SystemExit:
            # `--help`, `--version` and usage errors are printed inside parse_args, which drops
            # an error writing them: a full standard output is still one (exit 2).
            _settle_stdout()
            raise
        args._argv = arguments  # the command as given: `exhunt hunt` repeats it to say how to resume
        _stdout_named(args)
        if not getattr(args, "_run", None):
            build_parser(arguments).print_help()
            _settle_stdout()
            return EXIT_ERROR
        return int(args._run(args))
    except KeyboardInterrupt:
        print("exhunt: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # A write that bypassed the closed-pipe guard: end quietly (nothing is known of a verdict).
        stdout_gone()
        return EXIT_OK
    except StdoutUnwritable as exc:
        print(f"exhunt: cannot write standard output: {exc.strerror}", file=sys.stderr)
        return EXIT_ERROR
