"""`exhunt rules`: list the shipped rules (and the user's, `--rules`), or explain one."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from typing import TypeVar

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from exhunt.cli_options import add_console, add_output, consoles, write_or_say
from exhunt.commands import _rules_sigma as rules_sigma
from exhunt.model import CHAINS, Severity
from exhunt.report.safe_text import printable
from exhunt.rules import Rule, RuleErrors, catalog, use, user_problems

T = TypeVar("T")

NAME = "rules"
HELP = "list the detection rules, or explain one (id, severity, CVEs, why it fires)"
DESCRIPTION = """\
List every detection rule exhunt ships, or explain one in full.

Every finding exhunt reports names its rule id (e.g. EXH-PL-26855-SSRF); this command says what
that rule looks for, why, how severe a hit is, and where the logic comes from.

examples:
  exhunt rules                       # table of all rules
  exhunt rules EXH-PL-26855-SSRF     # the full explanation of one rule
  exhunt rules --chain ProxyShell    # the rules of one chain
  exhunt rules --severity high       # high and critical rules
  exhunt rules --json -              # the catalog for machines (exhunt.rules/2)
  exhunt rules --rules mine.toml     # with your rules (checked as a hunt checks them)
  exhunt rules --sigma sigma/rules/windows
      # with your Sigma rules, as `exhunt hunt --sigma` loads them (and the ones it cannot)
  exhunt rules 5ef9853e-4d0e-4a70-846f-a9ca37d876da --sigma sigma/rules
      # explain the Sigma rule a finding names
"""
EXIT_CODES = (
    "0  listed",
    "2  no such rule, a shipped rule file is broken, or a rule of --rules or --sigma did not load"
    " (the rest are listed)",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_ids", nargs="*", metavar="RULE_ID", help="rule ids to explain")
    chains = [str(c) for c in CHAINS]
    parser.add_argument(
        "--chain",
        action="append",
        default=[],
        type=_choice(chains),
        metavar="CHAIN",
        help=f"only rules of this chain ({', '.join(chains)}, or none); repeatable",
    )
    parser.add_argument(
        "--severity",
        type=_choice([str(s) for s in Severity]),
        metavar="LEVEL",
        help="only rules at this severity or worse (critical, high, medium, low, info)",
    )
    parser.add_argument(
        "--rules",
        action="append",
        default=[],
        metavar="PATH",
        help="your TOML rule file or folder, as `exhunt hunt --rules` reads it (repeatable)",
    )
    parser.add_argument(
        "--sigma",
        action="append",
        default=[],
        metavar="PATH",
        help="Sigma rule file or folder, as `exhunt hunt --sigma` reads it (repeatable)",
    )
    parser.add_argument(
        "--sigma-levels", metavar="FILE", help="TOML file overriding what Sigma levels or rule ids imply"
    )
    add_output(parser, (("json", "write the catalog as exhunt.rules/2 JSON (Sigma rules under `sigma`)"),))
    add_console(parser)


def _choice(names: list[str]) -> Callable[[str], str]:
    """Case-insensitive choice: `--chain proxyshell` is ProxyShell."""
    by_lower = {n.lower(): n for n in [*names, "none"]}

    def parse(text: str) -> str:
        try:
            return by_lower[text.lower()]
        except KeyError:
            raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(by_lower.values())}") from None

    return parse


def select(rules: Iterable[Rule], chains: list[str], severity: str | None) -> list[Rule]:
    return chosen_by(rules, chains, severity, lambda r: (r.id, r.chain, r.severity))


def chosen_by(
    items: Iterable[T], chains: list[str], severity: str | None, facts: Callable[[T], tuple[str, str | None, str]]
) -> list[T]:
    """The items of these chains (`none`: of no chain) at this severity or worse, by id;
    `facts` gives an item's id, chain and severity (a shipped rule's, or a Sigma rule's)."""
    floor = Severity(severity).rank if severity else -1
    wanted = {c for c in chains if c != "none"}
    chosen = []
    for item in items:
        _id, chain, level = facts(item)
        if chains and not (chain in wanted or (chain is None and "none" in chains)):
            continue
        if Severity(level).rank < floor:
            continue
        chosen.append(item)
    return sorted(chosen, key=lambda item: facts(item)[0])


def run(args: argparse.Namespace) -> int:
    if args.rules:
        from exhunt.rulefiles import read_rule_files

        use(read_rule_files(args.rules))
    try:
        rules = catalog()
    except RuleErrors as exc:
        print(f"exhunt: the shipped rules are broken ({len(exc.errors)} problems):\n{exc}", file=sys.stderr)
        return 2
    broken = user_problems()
    if broken:
        lines = "\n".join(str(e) for e in broken)
        print(
            f"exhunt rules: {len(broken)} problems in your rule files; those rules are not listed:\n{lines}",
            file=sys.stderr,
        )
    done = 2 if broken else 0
    sigma: dict[str, rules_sigma.SigmaEntry] = {}
    if args.sigma:
        loaded = rules_sigma.load(args.sigma, args.sigma_levels)
        sigma = rules_sigma.by_id(loaded)
        for problem in loaded.rejected:
            print(f"exhunt rules: Sigma rule not loaded: {printable(str(problem))}", file=sys.stderr)
        if not args.quiet:
            print(f"exhunt rules: {rules_sigma.summary(loaded)}", file=sys.stderr)
        done = 2 if loaded.rejected else done
    wanted = [r.upper() for r in args.rule_ids]
    unknown = [r for r in wanted if r not in rules and r not in sigma]
    if unknown:
        shown = ", ".join(printable(r, 80) for r in unknown)
        print(f"exhunt rules: no such rule: {shown} (run `exhunt rules` for the list)", file=sys.stderr)
        return 2
    if wanted:
        chosen = [rules[r] for r in wanted if r in rules]
        chosen_sigma = [sigma[r] for r in wanted if r not in rules]
    else:
        chosen = select(rules.values(), args.chain, args.severity)
        chosen_sigma = chosen_by(sigma.values(), args.chain, args.severity, rules_sigma.facts)
    if args.json:
        doc: dict[str, object] = {"schema": "exhunt.rules/2", "rules": [r.to_dict() for r in chosen]}
        if args.sigma:
            doc["sigma"] = [rules_sigma.to_dict(r) for r in chosen_sigma]
        if not write_or_say("exhunt rules", "--json", args.json, json.dumps(doc, indent=2) + "\n"):
            return 2
        if args.json == "-" or args.quiet:
            return done
    if args.quiet:
        return done
    console, _ = consoles(args, stdout_taken=False)
    if wanted:
        for r in chosen:
            explain(console, r)
        for s in chosen_sigma:
            show(console, *rules_sigma.explanation(s))
        return done
    console.print(rules_table(chosen, len(rules), console.width))
    if args.sigma:
        console.print(rules_sigma.table(chosen_sigma, len(sigma)))
    return done


def explain(console: Console, r: Rule) -> None:
    head = Text.assemble((r.id, "bold"), f" v{r.version} - {r.title}")
    lines = [
        f"category {r.category}, detector {r.detector}"
        + ("" if r.origin.startswith("exhunt/data/rules/") else f", from {r.origin}"),
        "outcomes:",
        *(
            f"  {tier.name}: severity {tier.severity}, a hit means: {tier.implies}"
            + (f" - {tier.when}" if tier.when else "")
            for tier in r.outcomes.values()
        ),
        f"chain {r.chain or '-'}; CVEs {', '.join(r.cves) or '-'}" if r.chain or r.cves else "",
        r.explanation,
        *(f"see: {ref}" for ref in r.references),
    ]
    show(console, head, lines)


def show(console: Console, head: Text, lines: list[str]) -> None:
    """A rule explained: its head line, then each line that is not empty, indented."""
    console.print(head)
    for line in lines:
        if line:
            console.print(Padding(Text(line), (0, 0, 0, 2)))
    console.print()


# Narrower than this, a title column would get a word or two per line (9 columns at 80: one
# rule took eight lines): each rule's title then goes on the line under its id instead.
MIN_TITLE_WIDTH = 30


def rules_table(chosen: list[Rule], total: int, width: int | None = None) -> Table:
    """Ids are the key of `exhunt rules ID`: never cut, the title wraps instead (under the id
    when `width` leaves the title column less than MIN_TITLE_WIDTH)."""
    shown = f"{len(chosen)} rules" if len(chosen) == total else f"{len(chosen)} of {total} rules"
    id_width = max((len(r.id) for r in chosen), default=4)
    # rule, sev, tiers and chain columns and the gaps between the five columns
    if width is not None and width - (id_width + len("critical") + len("tiers") + 13 + 2 * 4) < MIN_TITLE_WIDTH:
        return _rules_stacked(chosen, shown)
    table = Table(title=shown, box=box.SIMPLE_HEAD, show_lines=False, expand=False, pad_edge=False)
    table.add_column("rule", no_wrap=True, overflow="fold", min_width=max((len(r.id) for r in chosen), default=4))
    table.add_column("sev", no_wrap=True)
    table.add_column("tiers", no_wrap=True)
    table.add_column("chain", no_wrap=True)
    table.add_column("title", overflow="fold")
    for r in chosen:
        table.add_row(r.id, str(r.severity), str(len(r.outcomes)), r.chain or "", r.title)
    return table


def _rules_stacked(chosen: list[Rule], shown: str) -> Table:
    """The rules table for a narrow screen: id, severity, tiers and chain on one line, the
    title indented on the next, across the whole width."""
    table = Table(title=shown, box=box.SIMPLE_HEAD, show_lines=False, expand=True, pad_edge=False)
    id_width = max((len(r.id) for r in chosen), default=4)
    table.add_column("rule / title", overflow="fold", ratio=1, min_width=id_width)  # ids fit: never cut
    table.add_column("sev", no_wrap=True)
    table.add_column("tiers", no_wrap=True)
    table.add_column("chain", no_wrap=True)
    for r in chosen:
        table.add_row(r.id, str(r.severity), str(len(r.outcomes)), r.chain or "")
        table.add_row(Padding(Text(r.title, style="dim"), (0, 0, 0, 4)), "", "", "")
    return table
