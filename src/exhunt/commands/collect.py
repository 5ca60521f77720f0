"""`exhunt collect kape|velociraptor|powershell`: what to collect, as a recipe for the tool at hand."""

from __future__ import annotations

import argparse
import sys

from exhunt.cli_options import write_text
from exhunt.collect import DEFAULT_INSTALL, RECIPES

NAME = "collect"
HELP = "print a KAPE target, Velociraptor artifact or PowerShell script collecting what exhunt reads"
DESCRIPTION = """\
Write a collection recipe for exactly the artefacts exhunt reads (Exchange HttpProxy, ECP, OAB
generator and remote PowerShell logs, IIS and HTTPERR logs, event logs, IIS configuration, the
web folders, ProgramData and Windows Temp, ExSetup.exe), laid out the way `exhunt hunt`
recognises them. All three come from one list of paths, so they never drift apart.

  kape          a KAPE target (.tkape): save it in KAPE's Targets folder, run
                kape.exe --tsource C: --target ExhuntExchange --tdest D:\\case\\EX01,
                then exhunt hunt D:\\case\\EX01
  velociraptor  a Velociraptor CLIENT artifact (YAML): add it as a custom artifact, collect
                it, export the collection zip, then exhunt hunt Collection-EX01-....zip
  powershell    a PowerShell script: run it on the server as administrator; it copies into
                <Out>\\<COMPUTERNAME>\\C\\... and zips it; then exhunt hunt <COMPUTERNAME>.zip

Exchange is often installed on another drive: the Velociraptor artifact and the PowerShell
script read the install folder from the registry (MsiInstallPath); for KAPE give it with
--exchange-path.

examples:
  exhunt collect kape > ExhuntExchange.tkape
  exhunt collect kape --exchange-path "D:\\Exchange\\V15" -o ExhuntExchange.tkape
  exhunt collect velociraptor -o Custom.Exhunt.Exchange.Collection.yaml
  exhunt collect powershell -o exhunt-collect.ps1
  (`--print RECIPE` names the recipe too, as earlier versions required)
"""
EXIT_CODES = ("0  written", "2  usage error, or the file could not be written")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    names = sorted(RECIPES)
    parser.add_argument("recipe", nargs="?", choices=names, metavar="RECIPE", help=f"which recipe: {', '.join(names)}")
    parser.add_argument("--print", dest="printed", choices=names, metavar="RECIPE", help="the same, as an option")
    parser.add_argument(
        "--exchange-path",
        default=DEFAULT_INSTALL,
        metavar="PATH",
        help="the Exchange install folder when it is not the default (KAPE cannot read the registry)",
    )
    parser.add_argument("-o", "--output", default="-", metavar="FILE|-", help="where to write it (default: stdout)")


def run(args: argparse.Namespace) -> int:
    if args.recipe and args.printed and args.recipe != args.printed:
        return _usage(f"two recipes given ({args.recipe} and --print {args.printed}); give one")
    recipe = args.recipe or args.printed
    if recipe is None:
        return _usage(f"say which recipe: {', '.join(sorted(RECIPES))} (e.g. exhunt collect kape)")
    make, _ = RECIPES[recipe]
    try:
        write_text(args.output, make(args.exchange_path))
    except OSError as exc:
        print(f"exhunt collect: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


def _usage(message: str) -> int:
    print(f"exhunt collect: {message}", file=sys.stderr)
    return 2
