"""The options every result-producing subcommand shares, so they read the same everywhere.

Outputs: `--json`, `--jsonl`, `--csv` (where the result is a table), `--html` and the
command's own formats, each taking a file name or `-` for standard output (at most one may take
`-`). Console: `-q` (outputs and exit code only), `-v` (more detail), `--no-color` (or the
NO_COLOR environment variable), `--progress`/`--no-progress` (default: a bar on a terminal).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from rich.console import Console

from exhunt.outfile import replaced

OUT = "FILE|-"


def add_output(parser: argparse.ArgumentParser, outputs: Sequence[tuple[str, str]]) -> argparse._ArgumentGroup:
    """One `--NAME FILE|-` option per (name, what it writes)."""
    group = parser.add_argument_group("outputs (FILE, or - for standard output)")
    for name, what in outputs:
        group.add_argument(f"--{name}", metavar=OUT, help=what)
    return group


def add_console(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    group = parser.add_argument_group("console")
    group.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors: outputs and exit code only"
    )
    group.add_argument("-v", "--verbose", action="count", default=0, help="show more detail (repeatable)")
    group.add_argument(
        "--no-color", action="store_true", help="no colours (also when the NO_COLOR environment variable is set)"
    )
    group.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only when standard error is a terminal)",
    )
    return group


def to_stdout(args: argparse.Namespace, names: Sequence[str]) -> list[str]:
    """The output options given `-`."""
    return [f"--{n}" for n in names if getattr(args, n.replace("-", "_"), None) == "-"]


def stdout_clash(args: argparse.Namespace, names: Sequence[str]) -> str | None:
    taken = to_stdout(args, names)
    if len(taken) > 1:
        return f"only one output can write to stdout (-), not {' and '.join(taken)}"
    return None


def no_color(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "no_color", False) or os.environ.get("NO_COLOR"))


def consoles(args: argparse.Namespace, stdout_taken: bool) -> tuple[Console, Console]:
    """(where the human summary goes, where messages go). When a machine output is on standard
    output, the summary moves to standard error so the two never mix."""
    plain = no_color(args)
    from exhunt.report.terminal import InertConsole  # evidence text is inert at render time

    err = InertConsole(stderr=True, highlight=False, no_color=plain)
    out = err if stdout_taken else InertConsole(highlight=False, no_color=plain)
    return out, err


def show_progress(args: argparse.Namespace, err: Console) -> bool:
    wanted = getattr(args, "progress", None)
    if getattr(args, "quiet", False):
        return False
    if wanted is None:
        return err.is_terminal
    return bool(wanted)


@contextmanager
def open_output(name: str) -> Iterator[IO[str]]:
    """A text stream for an output option: the file, or standard output for `-`."""
    if name == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    with replaced(name, newline="", errors="backslashreplace") as fh:
        yield fh


def write_text(name: str, text: str) -> None:
    with open_output(name) as out:
        out.write(text)


def write_or_say(prog: str, option: str, name: str, text: str) -> bool:
    """`write_text`; False once why it could not be (a full disk, `/dev/full`, a folder that
    refuses it) is said on standard error as `PROG: cannot write OPTION NAME: reason`."""
    try:
        write_text(name, text)
    except OSError as exc:
        print(f"{prog}: cannot write {option} {name}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def write_with(name: str, write: Callable[[IO[str]], object]) -> None:
    with open_output(name) as out:
        write(out)


def why_unwritable(path: Path, created: Path | None = None) -> str | None:
    """Why `path` could not be written, or None. `created` is a folder the hunt makes before it
    writes anything (`--out-dir`, already checked): a file in it is fine, as in
    `--out-dir results --html results/index.html`."""
    if path.is_dir():
        return "is a folder"
    if path.exists() and not path.is_file():  # a FIFO, /dev/stdout: written in place
        return None if os.access(path, os.W_OK) else "cannot be written (permission)"
    if path.exists():
        if not os.access(path, os.W_OK):
            return "cannot be written (permission)"
        path = Path(os.path.realpath(path))  # written beside the file a link names, then renamed over it
    parent = path.parent if str(path.parent) else Path()
    if created is not None and parent.resolve() == created.resolve():
        return None
    if not parent.is_dir():
        return f"its folder {parent} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"its folder {parent} cannot be written"
    return None


def unwritable(outputs: dict[str, str | None]) -> list[str]:
    """Why each output file (not `-`) could not be written, for commands whose outputs take any
    name (`exhunt scan`): checked before the work, not found after it."""
    return [
        f"--{name} {path}: {why}"
        for name, path in outputs.items()
        if path and path != "-" and (why := why_unwritable(Path(path)))
    ]
