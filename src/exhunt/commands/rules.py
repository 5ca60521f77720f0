"""`exhunt rules`: list the shipped rules, or explain one."""

from __future__ import annotations

import argparse
import json
import sys

from rich.markup import escape
from rich.table import Table

from exhunt.report.terminal import InertConsole
from exhunt.rules import RuleErrors, catalog

NAME = "rules"
HELP = "list the detection rules, or explain one (id, severity, CVEs, why it fires)"
DESCRIPTION = """\
List every detection rule exhunt ships, or explain one in full.

Every finding exhunt reports names its rule id (e.g. EXH-PL-26855-SSRF); this command says what
that rule looks for, why, how severe a hit is, and where the logic comes from.

examples:
  exhunt rules                       # table of all rules
  exhunt rules EXH-PL-26855-SSRF     # the full explanation of one rule
  exhunt rules --json                # the catalog for machines
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule_ids", nargs="*", metavar="RULE_ID", help="rule ids to explain")
    parser.add_argument("--json", action="store_true", help="print the catalog as JSON")


def run(args: argparse.Namespace) -> int:
    try:
        rules = catalog()
    except RuleErrors as exc:
        print(f"exhunt: the shipped rules are broken ({len(exc.errors)} problems):\n{exc}", file=sys.stderr)
        return 2
    wanted = [r.upper() for r in args.rule_ids]
    unknown = [r for r in wanted if r not in rules]
    if unknown:
        print(f"exhunt rules: no such rule: {', '.join(unknown)} (run `exhunt rules` for the list)", file=sys.stderr)
        return 2
    chosen = [rules[r] for r in wanted] if wanted else sorted(rules.values(), key=lambda r: r.id)
    if args.json:
        print(json.dumps({"schema": "exhunt.rules/2", "rules": [r.to_dict() for r in chosen]}, indent=2))
        return 0
    console = InertConsole()
    if wanted:
        for r in chosen:
            console.print(f"[bold]{escape(r.id)}[/] v{r.version} - {escape(r.title)}")
            console.print(f"  category {r.category}, detector {escape(r.detector)}")
            console.print("  outcomes:")
            for tier in r.outcomes.values():
                when = f" - {escape(tier.when)}" if tier.when else ""
                console.print(f"    {tier.name}: severity {tier.severity}, a hit means: {tier.implies}{when}")
            if r.chain or r.cves:
                console.print(f"  chain {r.chain or '-'}; CVEs {', '.join(r.cves) or '-'}")
            console.print(f"  {escape(r.explanation)}")
            for ref in r.references:
                console.print(f"  see: {escape(ref)}")
            console.print()
        return 0
    table = Table(title=f"{len(chosen)} rules", show_lines=False)
    table.add_column("rule")
    table.add_column("sev")
    table.add_column("tiers")
    table.add_column("chain")
    table.add_column("title")
    for r in chosen:
        table.add_row(escape(r.id), str(r.severity), str(len(r.outcomes)), r.chain or "", escape(r.title))
    console.print(table)
    return 0
