"""Same findings before and after a change to the event-log path: the shared event logs hunted
with exhunt's own detectors and with SigmaHQ's Windows rules, written as one canonical JSON.

    python bench/events_check.py OUT.json                 hunt and write the canonical results
    python bench/events_check.py OUT.json --compare OLD.json   ... and say what differs from OLD

Hunted (../shared/data, see its README): `evtx/` (the EVTX samples), `events/` (a JSON event
export in a zip), `sigma/regression_data/` (SigmaHQ's regression cases), and `examples/`;
each once without and once with `--sigma sigma/rules/windows`. The hunt's own clock fields
(`started`, `finished`) are dropped and every list is sorted, so only what was found, covered,
counted and reported is compared (worker scheduling may change the order of observations).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
RULES = SHARED / "sigma" / "rules" / "windows"
TARGETS = {
    "evtx": SHARED / "evtx",
    "events": SHARED / "events",
    "regression": SHARED / "sigma" / "regression_data",
    "examples": REPO / "examples",
}


def canonical(value: Any) -> Any:
    """`value` with every list sorted by its JSON text and run clocks removed."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items() if k not in {"started", "finished", "duration_s"}}
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def hunt(target: Path, sigma: bool, tmp: Path) -> Any:
    out = tmp / "hunt.json"
    argv = [sys.executable, "-m", "exhunt", "hunt", str(target), "--json", str(out), "-q"]
    if sigma:
        argv += ["--sigma", str(RULES)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if not out.exists():
        raise SystemExit(f"{' '.join(argv)} wrote nothing (exit {done.returncode}): {done.stderr[-2000:]}")
    doc = json.loads(out.read_text())
    doc.pop("tool_version", None)
    return canonical(doc)


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    if type(old) is not type(new):
        return [f"{path}: {old!r} -> {new!r}"]
    if isinstance(old, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            if key not in old or key not in new:
                out.append(f"{path}/{key}: only in {'new' if key in new else 'old'}")
            else:
                out += differences(old[key], new[key], f"{path}/{key}")
        return out
    if isinstance(old, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} items -> {len(new)}"]
        return [d for i, (a, b) in enumerate(zip(old, new, strict=True)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if old == new else [f"{path}: {old!r} -> {new!r}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as name:
        for label, target in TARGETS.items():
            if not target.exists():
                print(f"{label}: {target} absent, skipped")
                continue
            for sigma in (False, True):
                key = f"{label}{' +sigma' if sigma else ''}"
                results[key] = hunt(target, sigma, Path(name))
                found = sum(len(h["findings"]) for h in results[key]["hosts"])
                print(f"{key}: {found} findings", flush=True)
    args.out.write_text(json.dumps(results, indent=1, sort_keys=True))
    if args.compare:
        diff = differences(json.loads(args.compare.read_text()), results)
        print("\n".join(diff[:50]) if diff else "identical")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
