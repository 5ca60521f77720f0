"""`exhunt rules`: list the shipped rules (and the user's, `--rules`), or explain one."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from exhunt.cli_options import add_console, add_output, consoles, write_text
from exhunt.model import CHAINS, Severity
from exhunt.rules import Rule, RuleErrors, catalog, use, user_problems

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
"""
EXIT_CODES = (
    "0  listed",
    "2  no such rule, a shipped rule file is broken, or a rule of --rules did not load (the rest are listed)",
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
    add_output(parser, (("json", "write the catalog as exhunt.rules/2 JSON"),))
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
    floor = Severity(severity).rank if severity else -1
    wanted = {c for c in chains if c != "none"}
    chosen = []
    for r in rules:
        if chains and not (r.chain in wanted or (r.chain is None and "none" in chains)):
            continue
        if Severity(r.severity).rank < floor:
            continue
        chosen.append(r)
    return sorted(chosen, key=lambda r: r.id)


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
    wanted = [r.upper() for r in args.rule_ids]
    unknown = [r for r in wanted if r not in rules]
    if unknown:
        print(f"exhunt rules: no such rule: {', '.join(unknown)} (run `exhunt rules` for the list)", file=sys.stderr)
        return 2
    chosen = [rules[r] for r in wanted] if wanted else select(rules.values(), args.chain, args.severity)
    if args.json:
        write_text(
            args.json, json.dumps({"schema": "exhunt.rules/2", "rules": [r.to_dict() for r in chosen]}, indent=2) + "\n"
        )
        if args.json == "-" or args.quiet:
            return done
    if args.quiet:
        return done
    console, _ = consoles(args, stdout_taken=False)
    if wanted:
        for r in chosen:
            explain(console, r)
        return done
    console.print(rules_table(chosen, len(rules)))
    return done


def explain(console: Console, r: Rule) -> None:
    console.print(Text.assemble((r.id, "bold"), f" v{r.version} - {r.title}"))
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
    for line in lines:
        if line:
            console.print(Padding(Text(line), (0, 0, 0, 2)))
    console.print()


def rules_table(chosen: list[Rule], total: int) -> Table:
    """Ids are the key of `exhunt rules ID`: never cut, the title wraps instead."""
    shown = f"{len(chosen)} rules" if len(chosen) == total else f"{len(chosen)} of {total} rules"
    table = Table(title=shown, box=box.SIMPLE_HEAD, show_lines=False, expand=False, pad_edge=False)
    table.add_column("rule", no_wrap=True, overflow="fold", min_width=max((len(r.id) for r in chosen), default=4))
    table.add_column("sev", no_wrap=True)
    table.add_column("tiers", no_wrap=True)
    table.add_column("chain", no_wrap=True)
    table.add_column("title", overflow="fold")
    for r in chosen:
        table.add_row(r.id, str(r.severity), str(len(r.outcomes)), r.chain or "", r.title)
    return table
