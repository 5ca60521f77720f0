"""Detection and false positives of the file hunt on public ASP.NET shells and WebForms files.

    python bench/code_corpus.py --out /work/corpora          # gather the corpora (manifest in bench/)
    python bench/bench_code.py --corpora /work/corpora --signature-base /path/to/signature-base

Three detectors over the same files, side by side:
  * exhunt's file hunt as it was before code analysis (indicators, YARA content rules,
    heuristics: `settings={"code_analysis": False}`),
  * exhunt's file hunt with code analysis (the default),
  * yara-x with Neo23x0/signature-base's rules (`yara/*.yar` of a local checkout, compiled at
    benchmark time; files that do not compile with yara-x are left out and counted).
A shell is detected by exhunt when a finding of medium or above names it, by signature-base when
any rule matches; a benign file is a false positive on the same terms. Shells are reported per
split of the manifest: `dev` (rules may be written from it) and `held-out` (never looked at).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import yara_x

from exhunt.analyzers import HostContext, HuntOptions
from exhunt.analyzers.files import FILE_HUNT
from exhunt.codeanalysis.analysis import UNKNOWN_ENCODING, analyze_code
from exhunt.codeanalysis.extract import extract
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind

MANIFEST = Path(__file__).resolve().parent / "code_corpus_manifest.tsv"
# Splits of the manifest: `dev` (rules may be written from it), `held-out` (never looked at), and
# the same two halves of the shells added in later passes (`fresh-*` to `fresh27-*`), each measured
# before any rule change for them.
SPLITS = (
    "dev",
    "held-out",
    "fresh-dev",
    "fresh-held-out",
    "fresh2-dev",
    "fresh2-held-out",
    "fresh3-dev",
    "fresh3-held-out",
    "fresh4-dev",
    "fresh4-held-out",
    "fresh5-dev",
    "fresh5-held-out",
    "fresh6-dev",
    "fresh6-held-out",
    "fresh7-dev",
    "fresh7-held-out",
    "fresh8-dev",
    "fresh8-held-out",
    "fresh9-dev",
    "fresh9-held-out",
    "fresh10-dev",
    "fresh10-held-out",
    "fresh11-dev",
    "fresh11-held-out",
    "fresh12-dev",
    "fresh12-held-out",
    "fresh13-dev",
    "fresh13-held-out",
    "fresh14-dev",
    "fresh14-held-out",
    "fresh15-dev",
    "fresh15-held-out",
    "fresh16-dev",
    "fresh16-held-out",
    "fresh17-dev",
    "fresh17-held-out",
    "fresh18-dev",
    "fresh18-held-out",
    "fresh19-dev",
    "fresh19-held-out",
    "fresh20-dev",
    "fresh20-held-out",
    "fresh21-dev",
    "fresh21-held-out",
    "fresh22-dev",
    "fresh22-held-out",
    "fresh23-dev",
    "fresh23-held-out",
    "fresh24-dev",
    "fresh24-held-out",
    "fresh25-dev",
    "fresh25-held-out",
    "fresh26-dev",
    "fresh26-held-out",
    "fresh27-dev",
    "fresh27-held-out",
)
EXTERNALS = ("filename", "filepath", "extension", "filetype", "owner")


def exhunt_verdicts(paths: list[str], code: bool) -> list[tuple[str, bool, str]]:
    options = HuntOptions(settings={"code_analysis": code})
    ctx = HostContext("BENCH", None, options)
    out = []
    for p in paths:
        path = Path(p)
        kind = ArtefactKind.IIS_CONFIG if path.name.endswith("web.config") else ArtefactKind.FILE
        ef = EvidenceFile(FileRef(str(path)), path.name, kind, path.stat().st_size, datetime.now(UTC), None)
        result = FILE_HUNT.analyze(ef, ctx)
        hits = sorted({f.rule_id for f in result.findings if f.severity.rank >= 2})
        out.append((p, bool(hits), ",".join(hits)))
    return out


STAGES = ("no server code found", "parse failed", "no sink", "no source", "sink found but below medium")
# Why no server code was found, from the file's structure alone (its content is not shown): no
# code block or server script at all, only `<%@ %>` directives, or blocks that hold only white
# space; and whether its bytes are text in no known encoding.
NO_CODE = ("no code block or server script", "directives only", "blocks of white space only")


# A shell generator's template, not a shell: a name or a body left as a `{placeholder}` for the
# generator to fill (`public string {pass}(string {pass})`, a body of only `{code}`). No server
# runs such a file; C# allows neither form, so the analysis cannot read what the generator adds.
_COMMENT = re.compile(
    r"/\*.*?\*/|//[^\n]*|\"{3,}.*?\"{3,}|@\"(?:[^\"]|\"\")*\"|\"(?:[^\"\\\n]|\\.)*\"", re.S
)  # comments, strings
_PLACEHOLDER = re.compile(
    r"\)\s*\{[ \t]*\r?\n[ \t]*\{[A-Za-z_]\w{0,40}\}[ \t]*\r?\n[ \t]*\}"  # a method's body left as `{code}`
    r"|\b(?:string|void|object|byte\[\]|public|private|static|class)\s+\{[A-Za-z_]\w{0,40}\}\w*\s*[(),;=]"  # a name left open
)


def template(data: bytes) -> bool:
    """Whether a file is a generator's template (`_PLACEHOLDER`), comments and strings taken out
    first (a `{name}` inside text is a format string's, not a placeholder)."""
    return _PLACEHOLDER.search(_COMMENT.sub("", data.decode("utf-8", "replace"))) is not None


def stage_of(path: str) -> str:
    """Where the code analysis of a missed shell stopped, without showing any of its content:
    no server code, a parser that failed (read token by token), no sink API, sinks that no request
    value reaches, or a reached sink whose finding is below medium (or judged not a back door).
    A generator's template with its placeholders unfilled is said so (`template`)."""
    data = Path(path).read_bytes()
    stage = _stage(path, data)
    return f"{stage} (a template, placeholders unfilled)" if template(data) else stage


def _stage(path: str, data: bytes) -> str:
    report = analyze_code(data, Path(path).name)
    if not report.units:
        return f"{STAGES[0]} ({_no_code(data, Path(path).suffix.lower(), report.encoding)})"
    if not any(r.startswith("tree-sitter") for r in report.readers) and any(
        p.kind == "unsupported" for p in report.problems
    ):
        return STAGES[1]
    if not report.sinks:
        return STAGES[2]
    if not report.reached:
        return STAGES[3]
    return STAGES[4]


def _no_code(data: bytes, extension: str, encoding: str) -> str:
    found = extract(data.decode("utf-8", "replace"), extension)
    if found.units:
        why = NO_CODE[2]
    elif found.directives:
        why = NO_CODE[1]
    else:
        why = NO_CODE[0]
    return why + (", no known encoding" if encoding == UNKNOWN_ENCODING else "")


def stages(paths: list[str]) -> list[tuple[str, bool, str]]:
    return [(p, True, stage_of(p)) for p in paths]


def signature_base(root: Path) -> tuple[yara_x.Rules, int, int]:
    compiler = yara_x.Compiler(relaxed_re_syntax=True)
    for key in EXTERNALS:
        compiler.define_global(key, "")
    good = bad = 0
    for rule_file in sorted((root / "yara").glob("*.yar")):
        text = rule_file.read_text(encoding="utf-8", errors="replace")
        trial = yara_x.Compiler(relaxed_re_syntax=True)
        for key in EXTERNALS:
            trial.define_global(key, "")
        try:
            trial.add_source(text, origin=str(rule_file))
            trial.build()
        except yara_x.CompileError:
            bad += 1
            continue
        compiler.new_namespace(f"n{good}")
        compiler.add_source(text, origin=str(rule_file))
        good += 1
    return compiler.build(), good, bad


_SB: yara_x.Rules | None = None


def _sb_init(root: str) -> None:
    global _SB
    _SB = signature_base(Path(root))[0]


def sb_verdicts(paths: list[str]) -> list[tuple[str, bool, str]]:
    assert _SB is not None
    scanner = yara_x.Scanner(_SB)
    scanner.set_timeout(30)
    out = []
    for p in paths:
        name = Path(p).name
        scanner.set_global("filename", name)
        scanner.set_global("filepath", p)
        scanner.set_global("extension", "." + name.rsplit(".", 1)[-1])
        try:
            rules = [r.identifier for r in scanner.scan(Path(p).read_bytes()).matching_rules]
        except yara_x.ScanError:
            rules = []
        out.append((p, bool(rules), ",".join(rules[:3])))
    return out


def chunks(items: list[str], n: int) -> list[list[str]]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def run_all(
    paths: list[str], jobs: int, fn: object, *args: object, init: object = None, initargs: tuple[object, ...] = ()
) -> dict[str, tuple[bool, str]]:
    out: dict[str, tuple[bool, str]] = {}
    with ProcessPoolExecutor(jobs, initializer=init, initargs=initargs) as pool:  # type: ignore[arg-type]
        futures = [pool.submit(fn, batch, *args) for batch in chunks(paths, 50)]  # type: ignore[arg-type]
        for f in futures:
            for p, hit, why in f.result():
                out[p] = (hit, why)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", type=Path, default=Path("/work/corpora"))
    ap.add_argument("--signature-base", type=Path, help="a checkout of Neo23x0/signature-base (else left out)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--misses", action="store_true", help="list the shells each detector missed (dev splits only)")
    ap.add_argument(
        "--shells-only", action="store_true", help="exhunt with code analysis on the shells alone (no benign, no peers)"
    )
    args = ap.parse_args()

    split: dict[str, str] = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines()[1:]:
        _repo, _commit, _path, digest, corpus, sp = line.split("\t")
        if sp != "near-duplicate":  # left out of the corpus; listed so later evaluations can exclude it
            split[digest[:16]] = sp if corpus == "shells" else "benign"
    shells = sorted(str(p) for p in (args.corpora / "shells").iterdir())
    benign = sorted(str(p) for p in (args.corpora / "benign").iterdir())
    everything = shells + benign
    print(f"corpora: {len(shells)} shells, {len(benign)} benign files", file=sys.stderr)

    results: dict[str, dict[str, tuple[bool, str]]] = {}
    timing: dict[str, float] = {}
    detectors: list[tuple[str, object, tuple[object, ...], object, tuple[object, ...]]] = [
        ("exhunt before code analysis", exhunt_verdicts, (False,), None, ()),
        ("exhunt with code analysis", exhunt_verdicts, (True,), None, ()),
    ]
    if args.shells_only:
        everything = shells
        benign = []
        detectors = detectors[1:]
    elif args.signature_base is not None:
        detectors.append(("yara-x + signature-base", sb_verdicts, (), _sb_init, (str(args.signature_base),)))
    for label, fn, extra, init, initargs in detectors:
        t0 = time.perf_counter()
        results[label] = run_all(everything, args.jobs, fn, *extra, init=init, initargs=initargs)
        timing[label] = time.perf_counter() - t0
        print(f"{label}: {timing[label]:.1f}s", file=sys.stderr)

    if args.signature_base is not None:
        _, good, bad = signature_base(args.signature_base)
        print(f"signature-base: {good} rule files compiled with yara-x, {bad} did not compile (left out)\n")
    groups = {name: [p for p in shells if split.get(Path(p).name.split(".")[0]) == name] for name in SPLITS}
    unlisted = sorted({split.get(Path(p).name.split(".")[0], "none") for p in shells} - set(SPLITS))
    if unlisted:
        # A pass appended to the manifest but not named here would count in "all shells" only.
        raise SystemExit(f"splits of the manifest this benchmark does not name: {', '.join(unlisted)}")
    columns = " | ".join(f"shells {name} ({len(paths)})" for name, paths in groups.items())
    print(f"| detector | {columns} | all shells ({len(shells)}) | FP on benign ({len(benign)}) | time |")
    print("|---|" + "---|" * (len(groups) + 3))
    for label, res in results.items():
        cells = []
        for paths in [*groups.values(), shells]:
            n = sum(res[p][0] for p in paths)
            cells.append(f"{n} ({100 * n / max(1, len(paths)):.1f} %)")
        fp = sum(res[p][0] for p in benign)
        cells.append(f"{fp} ({100 * fp / max(1, len(benign)):.2f} %)")
        print(f"| {label} | {' | '.join(cells)} | {timing[label]:.0f} s |")
    code_rules: Counter[str] = Counter()
    for p in shells:
        for r in results["exhunt with code analysis"][p][1].split(","):
            if r.startswith("EXH-WS-CODE-"):
                code_rules[r] += 1
    print("\ncode rules firing on shells:", ", ".join(f"{r} {n}" for r, n in code_rules.most_common()))
    fps = Counter(r for p in benign for r in results["exhunt with code analysis"][p][1].split(",") if r)
    print("exhunt rules firing on benign files:", ", ".join(f"{r} {n}" for r, n in fps.most_common()) or "none")
    code = results["exhunt with code analysis"]
    missed_all = [p for p in shells if not code[p][0]]
    where = run_all(missed_all, args.jobs, stages) if missed_all else {}
    print("\nwhere the code analysis stopped on missed shells (counts only):")
    for name, paths in groups.items():
        counts = Counter(where[p][1] for p in paths if p in where)
        order = {st: i for i, st in enumerate(STAGES)}
        ranked = sorted(counts.items(), key=lambda c: (order.get(c[0].split(" (")[0], 0), c[0]))
        print(f"  {name}: " + ", ".join(f"{st} {n}" for st, n in ranked))
    peer = results.get("yara-x + signature-base")
    if peer is not None:
        # How far the two complement each other, by half (counts only): shells exhunt misses that
        # the peer finds, and shells either finds.
        print("\nexhunt's misses that signature-base finds, and shells either finds (counts only):")
        for half in ("dev", "held-out"):
            paths = [p for name, ps in groups.items() if name.endswith(half) for p in ps]
            theirs = sum(1 for p in paths if not code[p][0] and peer[p][0])
            either = sum(1 for p in paths if code[p][0] or peer[p][0])
            print(
                f"  {half}: {theirs} of {sum(1 for p in paths if not code[p][0])} misses; either {either} of {len(paths)}"
            )
    if args.misses:
        for label, res in results.items():
            missed = [
                Path(p).name
                for p in shells
                if not res[p][0] and split.get(Path(p).name.split(".")[0], "").endswith("dev")
            ]
            print(f"\nmissed by {label} in dev splits ({len(missed)}): {' '.join(missed)}")
        print(
            "\nbenign hits:",
            " ".join(
                f"{Path(p).name}:{results['exhunt with code analysis'][p][1]}"
                for p in benign
                if results["exhunt with code analysis"][p][0]
            ),
        )


if __name__ == "__main__":
    main()
