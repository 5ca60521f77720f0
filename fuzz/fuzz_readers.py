"""Coverage-guided fuzzing (atheris) of one exhunt reader, or a short run of all of them.

    python fuzz/fuzz_readers.py READER [libFuzzer options]   # e.g. httpproxy -max_total_time=600
    python fuzz/fuzz_readers.py --all SECONDS                 # each reader for SECONDS, as CI does

READER is one of: httpproxy, ecp, oab, iis, rps, events-json, events-json-parts, evtx,
evtx-parts, sniffer, pages. The seeds are the bundled example evidence (and ../shared/data/evtx for
evtx, ../shared/data/webshells/tennc for pages, which the file hunt and its code analysis read
as a page in a web root); a crash is any exception escaping the reader, written by libFuzzer as crash-<hash> in the
working folder. The `-parts` harnesses read each input as an `.evtx` file or an event export
whole and in three parts, and fail where the parts together give other events, spans, host names
or hits than the whole (`parts_agree`). Turn each crash into a
regression test under tests/ with its input checked in under tests/data/fuzz-crashes/.
"""

from __future__ import annotations

import faulthandler
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
READER_NAMES = [
    "httpproxy",
    "ecp",
    "oab",
    "iis",
    "rps",
    "events-json",
    "events-json-parts",
    "evtx",
    "evtx-parts",
    "sniffer",
    "pages",
]


def _corpus(name: str, folder: Path) -> Path:
    from fuzz_targets import READERS

    corpus = folder / f"corpus-{name}"
    corpus.mkdir(parents=True, exist_ok=True)
    seeded = name.removesuffix("-parts")
    seeds = READERS[seeded].seeds() if seeded in READERS else READERS["events-json"].seeds()
    for index, seed in enumerate(seeds[:20]):
        shutil.copyfile(seed, corpus / f"seed-{index}")
    return corpus


def fuzz_one(name: str, options: list[str]) -> None:
    import atheris

    with atheris.instrument_imports():
        if name == "pages":  # the code analysis, imported late by the file hunt: instrumented too
            import exhunt.codeanalysis.analysis
            import exhunt.filehunt.codehunt  # noqa: F401
        from exhunt.evidence.classify import kind_from_content
        from fuzz_targets import READERS, hunt_bytes, parts_agree
    given = os.environ.get(WORK_ENV)
    work = Path(given) if given else Path(tempfile.mkdtemp(prefix=f"exhunt-fuzz-{name}-"))
    watchdog = os.environ.get(WATCHDOG_ENV)
    if watchdog:  # where the run hangs, in Python terms, before the runner stops it
        faulthandler.dump_traceback_later(float(watchdog), exit=False)

    def one_input(data: bytes) -> None:
        if name == "sniffer":
            for file_name in ("x.json", "x.log", "x.csv", "x.txt"):
                kind_from_content(data[:65536], file_name)
            return
        if name.endswith("-parts"):
            parts_agree(data, work, name=name.removesuffix("-parts"))
            return
        hunt_bytes(READERS[name], data, work)

    corpus = _corpus(name, work)
    atheris.Setup([sys.argv[0], *options, str(corpus)], one_input)
    atheris.Fuzz()


def run_all(seconds: int) -> int:
    """Each reader in its own process for `seconds`; 1 if any crashed or hung."""
    failed = []
    for name in READER_NAMES:
        returncode, stderr, work = _run_one(name, seconds)
        stats = [line for line in stderr.splitlines() if line.startswith("Done ")]
        shown = "past its wall-clock bound, stopped" if returncode is None else f"exit {returncode}"
        print(f"fuzz {name}: {shown} {stats[-1] if stats else ''}", flush=True)
        if returncode is None:
            stacks = stderr.rfind("Timeout (")  # the watchdog's stacks: where the harness stood
            if stacks >= 0:
                print(stderr[stacks : stacks + 3000], file=sys.stderr)
            if _hang_is_exhunts(name, work):
                failed.append(name)
                print(stderr[-3000:], file=sys.stderr)
            continue
        if returncode == LIBFUZZER_TIMEOUT and name in ("evtx", "evtx-parts") and _upstream_evtx_hang():
            continue
        if returncode != 0:
            failed.append(name)
            print(stderr[-3000:], file=sys.stderr)
            print(f"fuzz {name}: its log and last inputs are kept in {work}", file=sys.stderr)
            continue
        shutil.rmtree(work, ignore_errors=True)  # nothing to look into: no folder left per run
    return 1 if failed else 0


WORK_ENV = "EXHUNT_FUZZ_WORK"  # the harness's working folder, where it writes each input it hunts
WATCHDOG_ENV = "EXHUNT_FUZZ_WATCHDOG"  # seconds after which the harness prints its threads' stacks
# Past -max_total_time: the last input's own -timeout (30 s), start-up, and libFuzzer's exit.
WALL_MARGIN = 150


def _run_one(name: str, seconds: int) -> tuple[int | None, str, Path]:
    """One harness, stopped (with everything it started) when it outlives its wall-clock bound:
    libFuzzer's per-input -timeout is an alarm signal, which an input stuck in native code can
    outlast. None for the exit code of a harness so stopped."""
    work = Path(tempfile.mkdtemp(prefix=f"exhunt-fuzz-{name}-"))
    bound = seconds + WALL_MARGIN
    env = {**os.environ, WORK_ENV: str(work), WATCHDOG_ENV: str(max(bound - 20, 1))}
    command = [sys.executable, __file__, name, f"-max_total_time={seconds}", "-rss_limit_mb=4096", "-timeout=30"]
    log = work / "libfuzzer.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=out, env=env, start_new_session=True)
        try:
            returncode: int | None = process.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            returncode = None
    return returncode, log.read_text(errors="replace"), work


LIBFUZZER_TIMEOUT = 70  # libFuzzer's exit code when one input ran past -timeout
# The parser alone, read as exhunt reads it: past each record or chunk it cannot parse (it raises
# and carries on), at most as many failures as exhunt takes before it gives a file up.
RAW_PARSE = """
import sys
from evtx import PyEvtxParser
records = PyEvtxParser(sys.argv[1], number_of_threads=1).records_json()
failures = 0
while failures < 100_000:
    try:
        next(records)
    except StopIteration:
        break
    except Exception:
        failures += 1
"""


def _upstream_evtx_hang(seconds: int = 60, hung: list[Path] | None = None) -> bool:
    """Whether every input the evtx run timed out on hangs the `evtx` library on its own (a bare
    `records_json()` loop, nothing of exhunt). Such a hang is the parser's, outside exhunt's
    reach within the process; in a hunt the unit's deadline turns it into a `timed-out` problem
    for that file (tests/test_engine.py). The input is kept for an upstream report."""
    if hung is None:
        hung = sorted(Path.cwd().glob("timeout-*"))
    for path in hung:
        try:
            subprocess.run(
                [sys.executable, "-c", RAW_PARSE, str(path)], capture_output=True, timeout=seconds, check=False
            )
        except subprocess.TimeoutExpired:
            continue
        return False  # the library alone finishes: the hang is exhunt's
    for path in hung:
        print(
            f"fuzz evtx: {path} hangs the evtx library itself (no record after {seconds} s); kept for an upstream report"
        )
    return bool(hung)


# One input hunted as the harness hunts it, outside the fuzzer (no instrumentation, no alarm).
REPLAY = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from fuzz_targets import READERS, hunt_bytes, parts_agree
name, data, work = sys.argv[1], Path(sys.argv[2]).read_bytes(), Path(tempfile.mkdtemp())
if name.endswith("-parts"):
    parts_agree(data, work, name=name.removesuffix("-parts"))
else:
    hunt_bytes(READERS[name], data, work)
"""


def _hang_is_exhunts(name: str, work: Path, seconds: int = 120) -> bool:
    """After a harness was stopped past its bound: whether its last input hangs exhunt when hunted
    on its own. The input (the file the harness wrote last in its working folder) is kept in the
    current folder as `hang-<name>-<hash>`, beside libFuzzer's own `timeout-*` files. An input the `evtx` library alone hangs on is the parser's (as with
    libFuzzer's own timeouts); one that finishes on its own is reported, not failed: the stall
    was the fuzzing process's, not the reader's."""
    from fuzz_targets import READERS

    reader = READERS.get(name.removesuffix("-parts"))
    last = work / reader.rel_path if reader is not None else None
    if last is None or not last.is_file():
        print(f"fuzz {name}: stopped with no input on file to replay", flush=True)
        return True
    data = last.read_bytes()
    kept = Path.cwd() / f"hang-{name}-{hashlib.sha1(data).hexdigest()}"
    kept.write_bytes(data)
    tests = str(HERE.parent / "tests")
    try:
        done = subprocess.run(
            [sys.executable, "-c", REPLAY, name, str(kept), tests], capture_output=True, timeout=seconds, check=False
        )
    except subprocess.TimeoutExpired:
        if name in ("evtx", "evtx-parts") and _upstream_evtx_hang(hung=[kept]):
            return False
        print(f"fuzz {name}: {kept} hangs the reader on its own ({seconds} s)", flush=True)
        return True
    if done.returncode != 0:
        print(f"fuzz {name}: {kept} fails the reader on its own:\n{done.stderr.decode(errors='replace')[-3000:]}")
        return True
    print(f"fuzz {name}: {kept} (the last input) is read on its own in under {seconds} s: not the reader's hang")
    return False


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--all":
        sys.exit(run_all(int(sys.argv[2]) if len(sys.argv) > 2 else 15))
    if len(sys.argv) < 2 or sys.argv[1] not in READER_NAMES:
        sys.exit(f"usage: {sys.argv[0]} READER|--all [options]; READER one of {', '.join(READER_NAMES)}")
    fuzz_one(sys.argv[1], sys.argv[2:])
