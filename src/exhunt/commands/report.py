"""`exhunt report`: re-render the outputs of a saved hunt (its `exhunt.hunt/2` JSON, or an older `/1`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from exhunt import boundedjson
from exhunt.cli_options import add_console, add_output, consoles, stdout_clash, to_stdout
from exhunt.codec import CodecError
from exhunt.commands.hunt import OUTPUT_NAMES, OUTPUTS, exit_code
from exhunt.evidence.safe_open import NotRegularFile, open_evidence
from exhunt.model import HuntResult
from exhunt.remediation import plan
from exhunt.textencoding import text_encoding
from exhunt.typecheck import WrongType, decode

NAME = "report"
HELP = "re-render a saved hunt result as an HTML report, a forensic timeline or STIX indicators"
DESCRIPTION = """\
Turn the JSON a hunt saved (`exhunt hunt ... --json results.json`) into the outputs a responder
hands on, without hunting again:

  --html      one self-contained HTML file: the verdict per host, exposure of the build, an
              attack timeline, every finding with its evidence, the remediation plan, log
              coverage and blind spots. Opens offline; prints well.
  --timeline  a timeline for forensic tools (Timesketch imports both): .csv or .jsonl.
  --stix      a STIX 2.1 bundle of the observed addresses, files, user agents and URLs, each
              tied to the finding it came from.
  --misp      a MISP event: attack addresses, attacker files, requests, CVEs.
  --jsonl     one JSON line per finding, dated or not, with ECS fields, for a SIEM.
  --csv       one CSV row per finding, dated or not.
  --json      the result again as exhunt.hunt/2 JSON (normalised).

Each takes a file name or - for standard output; RESULTS.json may be - for standard input.

examples:
  exhunt report results.json --html report.html
  exhunt report results.json --timeline timeline.jsonl --stix indicators.json
  exhunt report results.json --html report.html --timeline timeline.csv
  exhunt report results.json --jsonl - | jq -c 'select(.event.severity >= 3)'
  exhunt hunt EX01/ -q --json - | exhunt report - --stix iocs.json   # straight from a hunt
  exhunt report --hunt 12 --html report.html          # a hunt from the store (exhunt fleet hunts)
  exhunt report results.json --html report.html --rules my-rules.toml   # explain your rules too
"""
EXIT_CODES = (
    "0  written, and every host is clean",
    "1  written, and a host is compromised, exploitation-attempted or suspicious",
    "2  the file is missing or not an exhunt hunt result, or an output could not be written",
    "3  written; no findings, but a host's evidence was insufficient to call it clean (as `exhunt hunt`)",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "results",
        nargs="?",
        metavar="RESULTS.json",
        help="a hunt result written by `exhunt hunt --json` (- reads it from standard input)",
    )
    parser.add_argument(
        "--hunt", type=int, metavar="HUNT_ID", help="render a stored hunt instead (see `exhunt fleet hunts`)"
    )
    parser.add_argument(
        "--db", metavar="FILE|URL", help="the hunt store for --hunt (default: hunts.sqlite beside the scan store)"
    )
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="PATH",
        help="your TOML rule files the hunt used (`exhunt hunt --rules`), so the HTML explains their findings too",
    )
    out = add_output(parser, OUTPUTS)
    out.add_argument("--csv-raw", action="store_true", help="write CSV cells as logged, formulas included")
    add_console(parser)


def _fail(message: str) -> int:
    print(f"exhunt report: {message}", file=sys.stderr)
    return 2


def load_result(path: Path) -> HuntResult:
    """Read a saved hunt (`-`: from standard input); ValueError with a one-line reason for
    anything that is not one."""
    if str(path) == "-":
        # `exhunt hunt ... --json - | exhunt report - --html report.html`
        try:
            raw = sys.stdin.buffer.read()
        except OSError as exc:
            raise ValueError(f"standard input: cannot read it ({exc.strerror or exc})") from None
        return _parse_result(raw, "standard input")
    try:
        # Opened like evidence (a saved hunt may be kept as such): no atime change, no FIFO or
        # device read. A link the user names is followed.
        with open_evidence(str(path), follow_links=True) as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a folder, not a hunt result file") from None
    except NotRegularFile as exc:
        if path.is_dir():
            raise ValueError(f"{path}: is a folder, not a hunt result file") from None
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return _parse_result(raw, str(path))


def _parse_result(raw: bytes, path: str) -> HuntResult:
    try:
        # A result saved again on a responder's Windows machine arrives as UTF-16.
        data = boundedjson.loads(raw.decode(text_encoding(raw[:2])))
    except UnicodeDecodeError:
        raise ValueError(
            f"{path}: not a text file (UTF-8, or UTF-16 with a byte-order mark), so not a hunt result"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not an exhunt hunt result (expected a JSON object)")
    try:
        # Every value checked against the model's types: a hand-edited file is refused with the
        # JSON path of its first bad value, never half-rendered or a traceback.
        result = decode(data, HuntResult.from_dict)
    except WrongType as exc:
        raise ValueError(f"{path}: not a valid hunt result (bad or missing field: {exc})") from None
    except CodecError as exc:
        raise ValueError(f"{path}: not a valid hunt result ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a valid exhunt.hunt result (bad or missing field: {exc})") from None
    for host in result.hosts:
        if not host.remediation:  # a result written before plans were part of it
            host.remediation = plan(host)
    return result


def run(args: argparse.Namespace) -> int:
    # Imported here so `exhunt --help` stays fast.
    from exhunt.commands.hunt import write_outputs
    from exhunt.outfile import written_in_place
    from exhunt.report.fleet_html import FEW_HOSTS, pages_dir, write_fleet_html

    if not any(getattr(args, name) for name in OUTPUT_NAMES):
        return _fail("nothing to write: give at least one of " + ", ".join(f"--{n}" for n in OUTPUT_NAMES))
    clash = stdout_clash(args, OUTPUT_NAMES)
    if clash:
        return _fail(clash)
    if (args.results is None) == (args.hunt is None):
        return _fail("give either RESULTS.json or --hunt HUNT_ID")
    from exhunt.fleet.outputs import check_outputs

    # Before the result is read (a stored hunt of many hosts takes a while): as `exhunt hunt` does.
    problems = check_outputs({name: getattr(args, name) for name in OUTPUT_NAMES}, None)
    if problems:
        return _fail("; ".join(f"cannot write {problem}" for problem in problems))
    if args.rules:
        from exhunt.rulefiles import read_rule_files
        from exhunt.rules import use, user_problems

        use(read_rule_files(args.rules))
        for problem in user_problems():
            print(f"exhunt report: rule not loaded, its findings are not explained: {problem}", file=sys.stderr)
    if args.hunt is not None:
        from exhunt.fleet.store import HuntStore, HuntStoreError

        try:
            with HuntStore(args.db) as store:
                result = store.result(args.hunt)
        except HuntStoreError as exc:
            return _fail(str(exc))
    else:
        try:
            result = load_result(Path(args.results))
        except ValueError as exc:
            return _fail(str(exc))
    try:
        out, err = consoles(args, stdout_taken=bool(to_stdout(args, OUTPUT_NAMES)))
        skip: set[str] = set()
        # Standard output, a FIFO or a device (/dev/stdout) has no folder for host pages beside
        # it (they would go into /dev): it gets the one page with every host, as `-` does.
        if args.html and args.html != "-" and not written_in_place(args.html) and len(result.hosts) > FEW_HOSTS:
            write_fleet_html(result, args.html)
            skip.add("html")
            if not args.quiet:
                out.print(
                    f"html: {args.html} (index of {len(result.hosts)} hosts, pages in {pages_dir(args.html)})",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
    except OSError as exc:
        return _fail(f"cannot write {exc.filename or 'the output'}: {exc.strerror or exc}")
    if not write_outputs(result, args, out, err, skip=skip):
        return 2
    # the hunt's own exit code: an insufficient-evidence host is not re-rendered as clean
    return exit_code(h.verdict for h in result.hosts)
