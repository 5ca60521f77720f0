"""Fleet hunts: one queue for all hosts, the hunt store, `exhunt fleet`, resume and Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from exhunt import hunt as hunt_module
from exhunt.cli import main
from exhunt.fleet.outputs import check_outputs
from exhunt.fleet.store import HuntStore
from exhunt.model import Verdict

EXAMPLES = REPO / "examples"


def make_fleet(root: Path, compromised: int = 3, clean: int = 4) -> Path:
    """A folder of host collections: copies of the bundled compromised and clean servers."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(compromised):
        shutil.copytree(EXAMPLES / "EX01-compromised", root / f"BAD{i:02d}")
    for i in range(clean):
        shutil.copytree(EXAMPLES / "EX02-clean", root / f"OK{i:02d}")
    return root


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """A hunt's JSON without what differs between two runs of the same hunt (times, order)."""
    doc = dict(doc)
    doc.pop("started", None)
    doc.pop("finished", None)
    doc["hosts"] = sorted(doc["hosts"], key=lambda h: (h["host"], h["root"]))
    return doc


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    return make_fleet(tmp_path / "fleet")


def test_output_checked_before_any_evidence_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.sqlite"
    missing = tmp_path / "nowhere" / "out.json"
    cases = [
        ["--json", str(missing)],
        ["--html", str(tmp_path / "report.txt")],
        ["--timeline", str(tmp_path / "timeline.txt")],
        ["--html", "-", "--csv", "-"],
        ["--json", "-", "--stix", "-"],
        ["--out-dir", str(EXAMPLES / "README.md")],
    ]
    for extra in cases:
        # The evidence path does not exist: an output problem must be the one reported.
        assert main(["hunt", str(tmp_path / "no-such-evidence"), "--db", str(db), *extra]) == 2
        err = capsys.readouterr().err
        assert "no such file or folder" not in err and extra[0] in err, err
    assert HuntStore(str(db)).hunts() == []  # nothing was started


def test_outputs_may_go_into_the_out_dir_the_hunt_creates(fleet: Path, tmp_path: Path) -> None:
    # As `exhunt hunt --help` shows: `--out-dir results/ --html results/index.html`, results/ not there yet.
    results = tmp_path / "results"
    args = ["hunt", str(fleet), "--no-db", "-q", "--out-dir", f"{results}/", "--html", str(results / "index.html")]
    assert main([*args, "--json", str(results / "all.json")]) == 1
    assert (results / "index.html").is_file() and (results / "all.json").is_file()
    assert len(list(results.glob("*.json"))) > 1  # the hosts' own JSON beside the combined one
    # A folder that is neither there nor the one the hunt creates is still refused before any reading.
    elsewhere = tmp_path / "elsewhere" / "index.html"
    assert check_outputs({"html": str(elsewhere)}, str(tmp_path / "new-out")) == [
        f"--html {elsewhere}: its folder {elsewhere.parent} does not exist"
    ]
    assert check_outputs({"html": str(results / "sub" / "x.html")}, str(results)) != []


def test_fleet_hunt_writes_each_host_stores_it_and_lists_it(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, out_dir, index = tmp_path / "h.sqlite", tmp_path / "per-host", tmp_path / "fleet.html"
    combined = tmp_path / "all.json"
    code = main(
        ["hunt", str(fleet), "--db", str(db), "--out-dir", str(out_dir), "--html", str(index), "--json", str(combined)]
    )
    assert code == 1
    out = capsys.readouterr().out
    # Many hosts: details only for hosts not clean, then one line per host, worst first.
    assert out.count("What to do next") == 3
    lines = [line.split() for line in out.splitlines() if line.split() and line.split()[0] in {"compromised", "clean"}]
    assert [v for v, *_ in lines] == ["compromised"] * 3 + ["clean"] * 4
    per_host = sorted(out_dir.glob("*.json"))
    assert len(per_host) == 7
    one = json.loads(per_host[0].read_text())
    assert one["schema"] == "exhunt.hunt/2" and len(one["hosts"]) == 1
    doc = json.loads(combined.read_text())
    assert sorted(h["host"] for h in doc["hosts"]) == [f"BAD{i:02d}" for i in range(3)] + [
        f"OK{i:02d}" for i in range(4)
    ]
    # The store has the hunt, its hosts and their findings with rule ids and facets.
    store = HuntStore(str(db))
    (h,) = store.hunts()
    assert (h.status, h.hosts_done, h.hosts_total) == ("finished", 7, 7)
    rows = store.host_rows(h.id)
    assert sorted(r.verdict for r in rows).count(Verdict.COMPROMISED) == 3
    keys = store.finding_keys(h.id)
    assert {k[0] for k in keys} >= {"BAD00", "BAD01", "BAD02"}
    assert any(k[1].startswith("EXH-") for k in keys)
    # `exhunt fleet` lists the latest verdict per host with counts by verdict.
    assert main(["fleet", "--db", str(db), "--json", "-"]) == 1
    listing = json.loads(capsys.readouterr().out)
    assert listing["counts"]["compromised"] == 3 and listing["counts"]["clean"] == 4
    assert [r["verdict"] for r in listing["hosts"]][:3] == ["compromised"] * 3
    # As text, the counts are one line (longer than 80 columns, never wrapped: grep sees them whole)
    assert main(["fleet", "--db", str(db)]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("compromised: 3") and first.endswith("clean: 4") and len(first) > 80
    # The index page: counts, hosts worst first, each linking to an existing page.
    page = index.read_text()
    assert "compromised: 3" in page and "clean: 4" in page and "<script" not in page
    assert page.index("BAD02") < page.index("OK00")
    pages = sorted((tmp_path / "fleet.hosts").glob("*.html"))
    assert len(pages) == 7 and all(f'href="fleet.hosts/{p.name}"' in page for p in pages)
    # `exhunt report` renders the same hunt from the store.
    assert main(["report", "--hunt", str(h.id), "--db", str(db), "--html", str(tmp_path / "again.html")]) == 1
    assert "compromised: 3" in (tmp_path / "again.html").read_text()


def test_streamed_outputs_equal_the_ones_written_from_the_whole_hunt(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jsonl, --csv and --timeline are fed host by host and hold no host; what they write is
    what `exhunt report` writes from the combined JSON, hosts in the same order."""
    from exhunt.fleet import outputs

    held: list[int] = []
    close = outputs.HuntSink.close

    def spy(self: outputs.HuntSink, interrupted: bool) -> Any:
        held.append(len(self.kept))
        return close(self, interrupted)

    monkeypatch.setattr(outputs.HuntSink, "close", spy)
    names = {"jsonl": "f.jsonl", "csv": "f.txt", "timeline": "t.csv"}
    hunted = [f"--{k}={tmp_path / ('h-' + v)}" for k, v in names.items()]
    assert main(["hunt", str(fleet), "--no-db", "--json", str(tmp_path / "all.json"), "-q", *hunted]) == 1
    assert held == [0]
    reported = [f"--{k}={tmp_path / ('r-' + v)}" for k, v in names.items()]
    assert main(["report", str(tmp_path / "all.json"), "-q", *reported]) == 1
    for v in names.values():
        streamed = (tmp_path / f"h-{v}").read_bytes()
        assert streamed == (tmp_path / f"r-{v}").read_bytes() and streamed.count(b"\n") > 7, v
    assert not [p for p in tmp_path.iterdir() if "spool" in p.name]


def test_fleet_diff_newly_compromised_resolved_and_new_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "h.sqlite"
    week1 = tmp_path / "week1"
    week1.mkdir()
    shutil.copytree(EXAMPLES / "EX02-clean", week1 / "EX01")
    shutil.copytree(EXAMPLES / "EX01-compromised", week1 / "EX02")
    week2 = tmp_path / "week2"
    week2.mkdir()
    shutil.copytree(EXAMPLES / "EX01-compromised", week2 / "EX01")
    shutil.copytree(EXAMPLES / "EX02-clean", week2 / "EX02")
    for folder in (week1, week2):
        assert main(["hunt", str(folder), "--db", str(db), "-q"]) == 1
    assert main(["fleet", "diff", "--db", str(db), "--json", "-"]) == 1
    d = json.loads(capsys.readouterr().out)
    changes = {h["host"]: h["change"] for h in d["hosts"]}
    assert changes == {"EX01": "newly-compromised", "EX02": "resolved"}
    store = HuntStore(str(db))
    week2_ex01 = {k for k in store.finding_keys(2) if k[0] == "EX01"}
    assert week2_ex01 and {(f["host"], f["rule_id"], f["path"], f["line"]) for f in d["new_findings"]} >= week2_ex01
    # As text: one whole line per new finding, however narrow the console; a long path loses its
    # middle, never its file name and line.
    assert main(["fleet", "diff", "--db", str(db)]) == 1
    text = capsys.readouterr().out.splitlines()
    shown = [ln for ln in text if ln.startswith("  EX01  EXH-")]
    assert len(shown) == len([f for f in d["new_findings"] if f["host"] == "EX01"])
    for f in (f for f in d["new_findings"] if f["host"] == "EX01"):
        where = f"{f['path']}:{f['line']}" if f["line"] is not None else f["path"]
        assert any(ln.endswith(where[-60:]) and f["rule_id"] in ln for ln in shown), where
    assert max(map(len, shown)) > 80  # longer than the console is wide, and not wrapped
    # The same hunt twice: nothing changed.
    assert main(["fleet", "diff", "2", "2", "--db", str(db)]) == 0
    assert main(["fleet", "diff", "1", "9", "--db", str(db)]) == 2
    assert "no hunt 9" in capsys.readouterr().err


def test_one_server_hunted_from_another_folder_has_no_new_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case folder hunted whole, then one server of it alone (or its zip, then the folder the
    zip is in): each finding's path starts elsewhere, but it is the same finding."""
    import zipfile

    from exhunt.fleet.diff import within_host

    db = tmp_path / "h.sqlite"
    cases = tmp_path / "cases"
    shutil.copytree(EXAMPLES, cases)
    assert main(["hunt", str(cases), "--db", str(db), "-q"]) == 1
    assert main(["hunt", str(cases / "EX02-clean"), "--db", str(db), "-q"]) == 0
    assert main(["fleet", "diff", "1", "2", "--db", str(db), "--json", "-"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["new_findings"] == [] and {h["host"]: h["change"] for h in d["hosts"]} == {"EX01-compromised": "gone"}
    zipped = tmp_path / "zips"
    zipped.mkdir()
    with zipfile.ZipFile(zipped / "EX01.zip", "w") as z:
        for f in (cases / "EX01-compromised").rglob("*"):
            if f.is_file():
                z.write(f, f.relative_to(cases).as_posix())
    assert main(["hunt", str(zipped / "EX01.zip"), "--db", str(db), "-q"]) == 1
    assert main(["hunt", str(zipped), "--db", str(db), "-q"]) == 1
    assert main(["fleet", "diff", "3", "4", "--db", str(db), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["new_findings"] == []
    # and the same finding hunted from the whole case folder is not new either
    assert main(["fleet", "diff", "1", "4", "--db", str(db), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["new_findings"] == []
    # a finding that really is new still is
    assert main(["fleet", "diff", "2", "4", "--db", str(db), "--json", "-"]) == 1
    assert json.loads(capsys.readouterr().out)["new_findings"]
    assert within_host("/x/cases/EX02", "EX02/C/a.log") == within_host("/x/cases/EX02", "C/a.log") == "C/a.log"
    assert within_host("/x/z/EX01.zip", "EX01.zip/EX01/C/a") == "EX01/C/a"
    assert within_host("D:\\cases\\EX02", "EX02/C/a.log") == "C/a.log"
    assert within_host("/x/EX02", "EX02") == "EX02", "a path that is only the root's name stays"


def test_ctrl_c_keeps_finished_hosts_and_resume_hunts_the_rest(
    fleet: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db, out_dir, combined = tmp_path / "h.sqlite", tmp_path / "out", tmp_path / "all.json"
    real_run_unit = hunt_module.run_unit
    calls = {"n": 0}

    def interrupted_unit(unit: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt  # what Ctrl-C raises in the main process
        return real_run_unit(unit)

    monkeypatch.setattr(hunt_module, "run_unit", interrupted_unit)
    # Deadlines off and small evidence: the units run in this process, where the test interrupts.
    args = ["hunt", str(fleet), "--db", str(db), "--out-dir", str(out_dir), "--json", str(combined), "-q"]
    args += ["--unit-timeout", "0"]
    assert main(args) == 130
    err = capsys.readouterr().err
    store = HuntStore(str(db))
    (h,) = store.hunts()
    assert h.status == "interrupted" and 0 < h.hosts_done < 7
    assert f"{h.hosts_done} of 7 hosts finished" in err
    # The command it prints is the one given (outputs, store, options) with --resume: run as printed.
    (hint,) = [ln.removeprefix("resume with: ") for ln in err.splitlines() if ln.startswith("resume with: ")]
    resume = shlex.split(hint)
    assert resume[0] == "exhunt" and resume[1:] == [*args, "--resume", str(h.id)], hint
    assert len(list(out_dir.glob("*.json"))) == h.hosts_done
    partial = json.loads(combined.read_text())  # a complete JSON document with the finished hosts
    assert partial["interrupted"] is True and len(partial["hosts"]) == h.hosts_done
    done_before = store.done_roots(h.id)

    monkeypatch.setattr(hunt_module, "run_unit", real_run_unit)
    analysed: list[str] = []
    real_queue = hunt_module.hunt_queue

    def watching_queue(hosts: Any, *a: Any, **kw: Any) -> None:
        analysed.extend(hunt_module.host_key(x) for x in hosts)
        real_queue(hosts, *a, **kw)

    monkeypatch.setattr(hunt_module, "hunt_queue", watching_queue)
    assert main(resume[1:]) == 1
    assert not set(analysed) & done_before and len(analysed) == 7 - len(done_before)
    (h,) = store.hunts()
    assert (h.status, h.hosts_done) == ("finished", 7)
    assert len(json.loads(combined.read_text())["hosts"]) == 7
    assert len(list(out_dir.glob("*.json"))) == 7


def test_a_quiet_resume_prints_nothing_but_errors(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-q prints nothing but errors: resuming a hunt says how many hosts were done only without it."""
    db = tmp_path / "h.sqlite"
    assert main(["hunt", str(fleet), "--db", str(db), "-q"]) == 1
    capsys.readouterr()
    (h,) = HuntStore(str(db)).hunts()
    assert main(["hunt", str(fleet), "--db", str(db), "-q", "--resume", str(h.id)]) == 1
    assert capsys.readouterr().err == ""
    assert main(["hunt", str(fleet), "--db", str(db), "--resume", str(h.id), "--no-color"]) == 1
    assert f"resuming hunt {h.id}: 7 of 7 hosts already done" in capsys.readouterr().err


def _local_pool_json(fleet: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    out = tmp_path / f"local{len(extra)}.json"
    assert main(["hunt", str(fleet), "--no-db", "--jobs", "2", "--json", str(out), "-q", *extra]) == 1
    return comparable(json.loads(out.read_text()))


def test_local_pool_survives_a_killed_worker(fleet: Path, tmp_path: Path) -> None:
    """A worker killed mid-hunt: the file it had in flight runs again in a fresh worker; every
    file is analysed or reported, and the result is the same as without the kill."""
    from exhunt.fleet.backends import LocalWorkers
    from exhunt.fleet.queue import FleetProgress

    baseline = _local_pool_json(fleet, tmp_path)
    from exhunt.evidence import discover

    hosts = discover(str(fleet))
    pool = LocalWorkers(2)
    killed: list[int] = []

    def on_progress(p: FleetProgress) -> None:
        busy = [w.process for w in pool._workers.workers if w.busy]
        if not killed and p.bytes_done and p.hosts_done < p.hosts_total and busy:
            busy[0].kill()
            killed.append(busy[0].pid or 0)

    result = hunt_module.hunt_hosts(hosts, backend=pool, on_progress=on_progress)
    assert killed, "the hunt ended before a worker could be killed"
    got = comparable(result.to_dict() | {"schema": baseline["schema"]})
    assert got["hosts"] == baseline["hosts"]


def _without_times(text: str) -> str:
    return re.sub(r'^  "(started|finished)": "[^"]*",?$', "", text, flags=re.M)


def test_dask_gives_the_local_pools_json_byte_for_byte_and_prints_nothing(fleet: Path, tmp_path: Path) -> None:
    """Hosts finish in another order on Dask; the combined JSON lists them in host order all the
    same. The workers' own output reaches stderr: a yara-x scanner dropped at a worker's exit by
    another thread than its own used to print a RuntimeError there."""
    local = tmp_path / "local.json"
    assert main(["hunt", str(fleet), "--no-db", "--jobs", "2", "--json", str(local), "-q"]) == 1
    out = tmp_path / "dask.json"
    cmd = [sys.executable, "-m", "exhunt", "hunt", str(fleet), "--no-db", "--scheduler", "local:2"]
    run = subprocess.run([*cmd, "--json", str(out), "-q"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert "unsendable" not in run.stderr, run.stderr
    assert "Traceback" not in run.stderr and "Error" not in run.stderr and "Warning" not in run.stderr, run.stderr
    hosts = [h["host"] for h in json.loads(out.read_text())["hosts"]]
    assert hosts == sorted(hosts, key=lambda h: (h.casefold(), h)) and len(hosts) == 7
    assert _without_times(out.read_text()) == _without_times(local.read_text())


def test_dask_worker_killed_mid_hunt_every_file_analysed_or_a_problem(fleet: Path, tmp_path: Path) -> None:
    from exhunt.evidence import discover
    from exhunt.fleet.backends import DaskPool

    baseline = {h["host"]: h for h in _local_pool_json(fleet, tmp_path)["hosts"]}
    hosts = discover(str(fleet))
    pool = DaskPool("local:2")
    pids = pool._client.run(os.getpid)
    killed: list[int] = []

    def on_host(_evidence: Any, _host: Any) -> None:
        if not killed:
            pid = next(iter(pids.values()))
            os.kill(pid, 9)
            killed.append(pid)

    result = hunt_module.hunt_hosts(hosts, backend=pool, on_host=on_host)
    assert killed
    assert len(result.hosts) == len(baseline)
    for host in result.hosts:
        d = host.to_dict()
        died = [e for e in d["errors"] if e["kind"] == "worker-died"]
        if d != baseline[host.host] | {}:
            # Whatever differs from the undisturbed run must be owned by a worker-died problem.
            assert died, host.host
        paths = {e["path"] for e in died}
        assert paths <= {f.rel_path for h in hosts if h.name == host.host for f in h.files}


def small_clean_host(dest: Path) -> Path:
    """The bundled clean server cut down to one or two files of each log (23 pairs), still judged
    clean: a unit of few pairs, so a parcel's deadline (the sum of its pairs') stays short."""
    shutil.copytree(EXAMPLES / "EX02-clean", dest)
    logging = dest / "C/Program Files/Microsoft/Exchange Server/V15/Logging"
    for folder in (logging / "HttpProxy").iterdir():
        if folder.name != "Owa":
            shutil.rmtree(folder)
    for folder, keep in ((logging / "HttpProxy/Owa", 2), (logging / "OABGeneratorLog", 1)):
        for extra in sorted(folder.iterdir())[keep:]:
            extra.unlink()
    for extra in sorted((dest / "C/inetpub/logs/LogFiles/W3SVC1").iterdir())[2:]:
        extra.unlink()
    return dest


@pytest.mark.parametrize("hold", [False, True], ids=["sleeping", "holding-the-interpreter"])
def test_a_file_that_hangs_on_dask_is_stopped_at_its_own_deadline_once_and_named(tmp_path: Path, hold: bool) -> None:
    """One analyzer hangs on one file of one host, on every Dask worker (restarted ones too). The
    pair is stopped at its own deadline, as in the local pool, not at its parcel's (the sum of
    every pair's in it), after which the unit ran again alone to its sum, and then the file alone
    once more: it starts once. The problem names the file and the analyzer, the host is not
    clean, and the rest of that host and the other host are hunted as they are without it. A
    parser stuck in C code holds the worker's interpreter, and its event loop with it: the worker
    cannot answer then, its nanny can."""
    import distributed

    from exhunt.analyzers import HuntOptions
    from exhunt.evidence import discover
    from exhunt.fleet.backends import DaskPool
    from exhunt.hunt import artefact_kinds

    fleet = tmp_path / "fleet"
    for name in ("OK00", "OK01"):
        small_clean_host(fleet / name)
    options = HuntOptions(unit_timeout=5.0, unit_seconds_per_mib=0.0)
    baseline = {h.host: h.to_dict() for h in hunt_module.hunt_hosts(discover(str(fleet)), options, jobs=2).hosts}
    assert {h["verdict"] for h in baseline.values()} == {"clean"}
    starts = tmp_path / "starts"
    starts.mkdir()

    class HangOnOneFile(distributed.WorkerPlugin):  # type: ignore[misc]
        """Set up on every worker, those a restart starts too."""

        def __init__(self, starts: str, hold: bool) -> None:
            self.starts = starts
            self.hold = hold

        def setup(self, worker: Any) -> None:
            import re
            import time as clock

            from exhunt import engine

            real, starts, hold = engine.run_batch, self.starts, self.hold

            def run_batch(batch: Any, ctx: Any) -> Any:
                hung = [t for t in batch if t.analyzer == "iis-log" and t.file.rel_path.endswith("u_ex230109.log")]
                if ctx.host == "OK00" and hung:
                    (Path(starts) / f"{os.getpid()}-{clock.monotonic_ns()}").touch()
                    while True:  # a parser stuck for ever on this file
                        if hold:  # in C code that never lets go of the interpreter
                            re.match(r"(a+)+$", "a" * 64 + "b")
                        clock.sleep(60)
                return real(batch, ctx)

            engine.run_batch = run_batch

    hosts = discover(str(fleet))
    pool = DaskPool("local:2", options=options, kinds=artefact_kinds(hosts))
    pool._client.register_plugin(HangOnOneFile(str(starts), hold))
    got = {h.host: h.to_dict() for h in hunt_module.hunt_hosts(hosts, options, backend=pool).hosts}
    assert len(list(starts.iterdir())) == 1, "the hung pair ran again"
    assert got["OK01"] == baseline["OK01"]
    hung, clean = got["OK00"], baseline["OK00"]
    timed_out = [e for e in hung["errors"] if e["kind"] == "timed-out"]
    assert [e["path"] for e in timed_out] == ["OK00/C/inetpub/logs/LogFiles/W3SVC1/u_ex230109.log"]
    assert timed_out[0]["message"] == "iis-log: stopped after 5 s, its deadline (see --unit-timeout)"
    assert hung["verdict"] == "insufficient-evidence" and "u_ex230109.log" in hung["verdict_reason"]
    assert [e for e in hung["errors"] if e["kind"] != "timed-out"] == clean["errors"]
    assert hung["findings"] == clean["findings"]
    # Every other pair of the host was analysed: only the hung pair's file is missing from its log's coverage.
    assert hung["log_coverage"]["IIS"]["files"] == clean["log_coverage"]["IIS"]["files"] - 1
    assert {k: v for k, v in hung["log_coverage"].items() if k != "IIS"} == {
        k: v for k, v in clean["log_coverage"].items() if k != "IIS"
    }


def test_a_file_that_hangs_on_a_dask_worker_without_a_nanny_stops_the_hunt_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Such a worker cannot be restarted, and its thread stays taken: the hunt stops with an
    error that says so (it raised Dask's ValueError through the hunt before)."""
    import threading

    import distributed

    from exhunt import engine
    from exhunt.analyzers import HuntOptions
    from exhunt.evidence import discover
    from exhunt.fleet.backends import BackendError, DaskPool
    from exhunt.hunt import artefact_kinds

    small_clean_host(tmp_path / "fleet" / "OK00")
    options = HuntOptions(unit_timeout=2.0, unit_seconds_per_mib=0.0)
    hosts = discover(str(tmp_path / "fleet"))
    release = threading.Event()
    real = engine.run_batch

    def run_batch(batch: Any, ctx: Any) -> Any:
        if any(t.analyzer == "iis-log" and t.file.rel_path.endswith("u_ex230109.log") for t in batch):
            release.wait(120)  # hung until the test ends
        return real(batch, ctx)

    monkeypatch.setattr(engine, "run_batch", run_batch)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None)
    try:
        pool = DaskPool(cluster.scheduler_address, options=options, kinds=artefact_kinds(hosts))
        with pytest.raises(BackendError, match="cannot be restarted"):
            hunt_module.hunt_hosts(hosts, options, backend=pool)
    finally:
        release.set()
        cluster.close()


@pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT as a terminal sends them")
def test_ctrl_c_in_a_terminal_stops_a_dask_hunt_quietly_and_resume_finishes_it(tmp_path: Path) -> None:
    """A terminal sends Ctrl-C to every process of the command's group: the Dask workers too,
    which printed a KeyboardInterrupt traceback each. The hunt stops as with the local pool: exit
    130, the finished hosts kept, the command to resume printed, and that command finishes it."""
    import signal
    import time

    # Enough hosts that the interrupt lands while many are still to do (the first host's output
    # appears about two thirds into a hunt of 24 on this machine; a faster one narrows that).
    hosts = 60
    fleet = tmp_path / "fleet"
    for i in range(hosts):
        shutil.copytree(EXAMPLES / ("EX01-compromised" if i % 3 == 0 else "EX02-clean"), fleet / f"H{i:02d}")
    out_dir, db = tmp_path / "out", tmp_path / "h.sqlite"
    cmd = [sys.executable, "-m", "exhunt", "hunt", str(fleet), "--scheduler", "local:2", "--db", str(db)]
    cmd += ["--out-dir", str(out_dir), "--no-color"]
    hunt = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        while hunt.poll() is None and not (out_dir.is_dir() and any(out_dir.iterdir())):
            time.sleep(0.05)
        os.killpg(hunt.pid, signal.SIGINT)  # the whole group, as a terminal does
        _, err = hunt.communicate(timeout=120)
    finally:
        if hunt.poll() is None:
            hunt.kill()
    assert hunt.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    (hint,) = [ln.removeprefix("resume with: ") for ln in err.splitlines() if ln.startswith("resume with: ")]
    (h,) = HuntStore(str(db)).hunts()
    assert h.status == "interrupted" and h.hosts_done < hosts
    resume = shlex.split(hint)
    run = subprocess.run([sys.executable, "-m", *resume], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    (h,) = HuntStore(str(db)).hunts()
    assert (h.status, h.hosts_done) == ("finished", hosts)
    assert len(list(out_dir.glob("*.json"))) == hosts


_FORK_SERVER_AT_DISCOVERY = """
import sys, psutil
import exhunt.evidence
from exhunt.cli import main
from exhunt.evidence import EvidenceUnavailable

def discover(path, **kwargs):
    servers = [p for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]
    print("fork servers at discovery:", len(servers), [p.num_threads() for p in servers])
    raise EvidenceUnavailable("stopped here")

exhunt.evidence.discover = discover
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no fork server on Windows: workers are spawned there")
@pytest.mark.parametrize(("scheduler", "servers"), [("local:1", 1), (None, 0)])
def test_local_cluster_fork_server_starts_before_discovery(fleet: Path, scheduler: str | None, servers: int) -> None:
    """It imports exhunt and compiles the rules on another core while the hunt reads its rules and
    discovers the evidence, instead of after; no fork server for the local pool."""
    cmd = [sys.executable, "-c", _FORK_SERVER_AT_DISCOVERY, "hunt", str(fleet), "--no-db", "-q"]
    run = subprocess.run(
        [*cmd, *(["--scheduler", scheduler] if scheduler else [])], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2 and "stopped here" in run.stderr, run.stderr
    expected = f"fork servers at discovery: {servers} {[1] * servers}"
    assert expected in run.stdout, run.stdout


_DASK_START_AT_DISCOVERY = """
import sys, threading, psutil
import exhunt.evidence
import exhunt.fleet.starting
from exhunt.cli import main
from exhunt.evidence import EvidenceUnavailable

kept = []  # held here, so only an explicit close (not the pool being dropped) ends its workers
_init = exhunt.fleet.starting.StartingPool.__init__
def init(self, *args, **kwargs):
    kept.append(self)
    _init(self, *args, **kwargs)
exhunt.fleet.starting.StartingPool.__init__ = init

def discover(path, **kwargs):
    starting = [t.name for t in threading.enumerate() if t.name == "exhunt-dask-start"]
    print("pool starting at discovery:", len(starting))
    raise EvidenceUnavailable("stopped here")

exhunt.evidence.discover = discover
code = main(sys.argv[1:])
print("processes left:", len(psutil.Process().children(recursive=True)))
print("threads left:", [t.name for t in threading.enumerate() if t.name == "exhunt-dask-start"])
sys.exit(code)
"""


@pytest.mark.parametrize(("scheduler", "starting"), [("local:1", 1), (None, 0)])
def test_dask_pool_starts_during_discovery_and_is_closed_when_the_hunt_stops_first(
    fleet: Path, scheduler: str | None, starting: int
) -> None:
    """The cluster starts on a thread while the evidence is found; a hunt that stops before it
    needs the pool closes it: no worker or nanny process is left behind."""
    cmd = [sys.executable, "-c", _DASK_START_AT_DISCOVERY, "hunt", str(fleet), "--no-db", "-q"]
    run = subprocess.run(
        [*cmd, *(["--scheduler", scheduler] if scheduler else [])], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2 and "stopped here" in run.stderr, run.stderr
    assert f"pool starting at discovery: {starting}" in run.stdout, run.stdout
    assert "threads left: []" in run.stdout, run.stdout
    # At most the fork server (it ends with this process; it is not the pool's)
    left = int(re.search(r"processes left: (\d+)", run.stdout).group(1))  # type: ignore[union-attr]
    assert left <= (2 if scheduler else 0), run.stdout  # the fork server and its resource tracker


def test_a_pool_that_cannot_start_says_why_when_taken() -> None:
    from exhunt.analyzers import HuntOptions
    from exhunt.fleet.backends import BackendError
    from exhunt.fleet.starting import StartingPool

    starting = StartingPool("tcp://127.0.0.1:1", connect_timeout=1)
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler"):
        starting.take(HuntOptions(), None)
    starting.close()  # nothing to close: no error, no wait


def test_dask_worker_that_cannot_read_the_evidence_is_a_clear_error(
    fleet: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from exhunt.fleet.backends import BackendError, DaskPool

    pool = DaskPool("local:1")
    try:
        pool.check_readable([str(fleet)])
        with pytest.raises(BackendError, match=r"cannot read .*shared file system"):
            pool.check_readable([str(tmp_path / "only-on-the-client")])
    finally:
        pool.close()
    with pytest.raises(BackendError, match="cannot reach the Dask scheduler"):
        DaskPool("tcp://127.0.0.1:1", connect_timeout=1)


def test_index_escapes_host_names_and_progress_line_says_hosts_bytes_rate_and_eta() -> None:
    from datetime import UTC, datetime

    from exhunt.fleet.queue import FleetProgress
    from exhunt.fleet.run import progress_line
    from exhunt.fleet.verdicts import HostSummary
    from exhunt.report.fleet_html import render_index

    rows = [
        HostSummary("<script>alert(1)</script>", Verdict.CLEAN, "r", 0, 0, None, "p/a.html"),
        HostSummary("EX9", Verdict.INSUFFICIENT, "r", 0, 1, None, "p/b.html"),
    ]
    page = render_index(rows, started=datetime(2026, 1, 1, tzinfo=UTC), finished=None)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.index("EX9") < page.index("&lt;script&gt;")  # insufficient-evidence before clean
    line = progress_line(FleetProgress(12, 200, 3400, 51000, 100 * 2**20, 400 * 2**20, 10.0))
    assert line.startswith("hosts 12/200 · files 3,400/51,000 · 100.0 MB/400.0 MB · 10.0 MB/s · ETA 0m30s")


def _prefilters_compiled() -> int:
    from exhunt.artefacts.prefilter import compiled

    return compiled.cache_info().currsize


def test_dask_workers_start_with_the_hunts_prefilters_compiled() -> None:
    """Warmed when the pool starts (local:N) or connects (a cluster started elsewhere), every
    worker holds the prefilters of the hunt's artefact kinds before its first unit."""
    import distributed

    from exhunt.analyzers import HuntOptions
    from exhunt.fleet.backends import DaskPool
    from exhunt.model import ArtefactKind

    kinds = {ArtefactKind.HTTPPROXY}
    pool = DaskPool("local:1", options=HuntOptions(), kinds=kinds)
    try:
        assert min(pool._client.run(_prefilters_compiled).values()) >= 1
    finally:
        pool.close()
    with distributed.LocalCluster(n_workers=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as fresh:
            assert set(fresh.run(_prefilters_compiled).values()) == {0}  # spawned: nothing compiled
        pool = DaskPool(cluster.scheduler_address, options=HuntOptions(), kinds=kinds)
        try:
            assert min(pool._client.run(_prefilters_compiled).values()) >= 1
        finally:
            pool.close()


def _start_of_worker() -> tuple[int, bool]:
    return os.getppid(), "exhunt.fleet.forkserver_warm" in sys.modules


@pytest.mark.skipif(sys.platform == "win32", reason="no fork server on Windows: workers are spawned there")
def test_local_cluster_workers_are_forked_by_a_single_threaded_fork_server_that_loaded_exhunt() -> None:
    """Forked from the hunting process, a worker once hung at start on a lock another thread held
    at the fork; spawned, each imports exhunt and compiles its rules again."""
    import psutil

    from exhunt.fleet.backends import DaskPool

    pool = DaskPool("local:2")
    try:
        starts = set(pool._client.run(_start_of_worker).values())
        servers = {psutil.Process(ppid) for ppid, _ in starts}
        assert len(servers) == 1 and all(loaded for _, loaded in starts)  # both from one server, warm
        (server,) = servers
        assert server.pid != os.getpid() and server.ppid() == os.getpid()
        assert "forkserver" in " ".join(server.cmdline())
        assert server.num_threads() == 1
    finally:
        pool.close()


def test_resume_command_repeats_the_command_with_this_hunts_id() -> None:
    import argparse

    from exhunt.fleet.run import resume_command

    given = ["hunt", "/cases/my folder", "--scheduler", "local:2", "--resume", "3", "--out-dir", "r", "--resume=4"]
    args = argparse.Namespace(_argv=given, path="/cases/my folder", db=None)
    assert resume_command(args, 9) == "exhunt hunt '/cases/my folder' --scheduler local:2 --out-dir r --resume 9"
    bare = argparse.Namespace(path="/cases", db="h.db")  # not from the command line
    assert resume_command(bare, 2) == "exhunt hunt /cases --db h.db --resume 2"


def test_host_files_keep_names_in_any_script_and_the_index_links_them(tmp_path: Path) -> None:
    """`Сервер-交换机-EX08` stays readable in --out-dir and host page names (it was `-_-EX08`),
    while separators, controls and bidi overrides still become `_`."""
    from exhunt.report.fleet_html import file_stem

    assert file_stem("Сервер-交换机-EX08", "/cases/a").startswith("Сервер-交换机-EX08-")
    assert file_stem("Serveur-e\u0301te\u0301", "k").startswith("Serveur-été-")  # composed (NFC)
    assert file_stem("../../etc/passwd", "k").startswith("etc_passwd-")
    assert file_stem("EX01\u202egnp.exe\x1b[31m", "k").startswith("EX01_gnp.exe_31m-")
    assert file_stem("A", "k1") != file_stem("A", "k2")
    cases = tmp_path / "cases"
    for name in ("Сервер-交换机-EX08", "EX01", "EX02", "EX03", "EX04", "EX05"):
        shutil.copytree(EXAMPLES / "EX02-clean", cases / name)
    index, out_dir = tmp_path / "fleet.html", tmp_path / "out"
    assert main(["hunt", str(cases), "--no-db", "-q", "--html", str(index), "--out-dir", str(out_dir)]) == 0
    assert any(p.name.startswith("Сервер-交换机-EX08-") for p in out_dir.iterdir())
    (page,) = [p for p in (tmp_path / "fleet.hosts").iterdir() if p.name.startswith("Сервер")]
    from urllib.parse import quote

    assert f'href="{quote("fleet.hosts/" + page.name)}"' in index.read_text()


DEV_STDOUT = ("--json", "/dev/stdout")


def _read_fifo(path: Path) -> list[bytes]:
    """Make a FIFO at `path` and read it whole in a thread; the list gets what was read."""
    import threading

    os.mkfifo(path)
    got: list[bytes] = []
    threading.Thread(target=lambda: got.append(path.read_bytes()), daemon=True).start()
    return got


def test_a_fifo_or_device_takes_any_output_whatever_its_name(fleet: Path, tmp_path: Path) -> None:
    """The README: a FIFO or /dev/stdout is written in place. `--json /dev/stdout`, `--html
    >(...)` (/dev/fd/63) and a bare FIFO were refused for not ending in .json or .html."""
    pipe = tmp_path / "pipe"
    got = _read_fifo(pipe)
    assert main(["hunt", str(EXAMPLES / "EX02-clean"), "-q", "--no-db", "--timeline", str(pipe)]) == 0
    lines = [json.loads(line) for line in got_after(got).splitlines()]
    assert lines and all(line["datetime"] for line in lines)  # JSON lines, as for -
    proc = subprocess.run(
        [sys.executable, "-m", "exhunt", "hunt", str(EXAMPLES / "EX02-clean"), "-q", "--no-db", *DEV_STDOUT],
        capture_output=True,
        timeout=120,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout)["schema"] == "exhunt.hunt/2"
    # Many hosts: a fleet's HTML is an index with pages beside it, which a FIFO has no folder
    # for (beside /dev/stdout they would go into /dev): said before anything is read.
    pages = tmp_path / "pages"
    pages.mkdir()
    os.mkfifo(pages / "index")
    code = main(["hunt", str(fleet), "-q", "--no-db", "--html", str(pages / "index")])
    assert code == 2 and sorted(p.name for p in pages.iterdir()) == ["index"]


def got_after(got: list[bytes], seconds: float = 10) -> str:
    import time

    deadline = time.monotonic() + seconds
    while not got and time.monotonic() < deadline:
        time.sleep(0.01)
    return got[0].decode() if got else ""


def test_report_of_many_hosts_to_a_fifo_is_one_page(fleet: Path, tmp_path: Path) -> None:
    saved = tmp_path / "fleet.json"
    assert main(["hunt", str(fleet), "-q", "--no-db", "--json", str(saved)]) == 1
    out = tmp_path / "out"
    out.mkdir()
    got = _read_fifo(out / "report")
    assert main(["report", str(saved), "-q", "--html", str(out / "report")]) == 1
    page = got_after(got)
    assert page.startswith("<!DOCTYPE html>") and "BAD00" in page and "OK03" in page
    assert sorted(p.name for p in out.iterdir()) == ["report"]  # no page folder beside it
