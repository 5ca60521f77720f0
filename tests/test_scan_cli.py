"""`exhunt scan` end to end against emulated hosts (in a thread or a process of their own: the command runs its own loop)."""

from __future__ import annotations

import csv
import io
import json
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import (
    Emulator,
    EmulatorProcess,
    EmulatorThread,
    ExchangeHost,
    HardenedHost,
    Misbehaving,
    RawHost,
    WebHost,
)
from exhunt.cli import main
from exhunt.scan.checks import CHECKS

FAST = ["--timeout", "2", "--connect-timeout", "1", "--host-timeout", "5", "--no-progress"]
BUILDS = ["15.1.2176.2", "15.1.2176.9", "15.2.1118.20", "15.1.2507.16", "15.0.1497.2", "15.2.986.36"]


@pytest.fixture
def fleet() -> Iterator[tuple[Emulator, dict[str, dict[str, str | None]]]]:
    """200 hosts on 4 addresses: Exchange of several builds and sources, hardened, web, dead."""
    em = Emulator()
    expected: dict[str, dict[str, str | None]] = {}
    for i in range(200):
        ip = f"127.0.5.{i % 4 + 1}"
        build = BUILDS[i % len(BUILDS)]
        kind = i % 10
        if kind < 4:
            profile, want = ExchangeHost(build), {"build": build, "source": "x-owa-version"}
        elif kind < 6:
            profile = ExchangeHost(build, owa_version_header=False)
            want = {"build": build, "source": "exporttool-manifest"}
        elif kind == 6:
            profile = ExchangeHost(build, owa_version_header=False, exporttool=False)
            want = {"build": build.rsplit(".", 1)[0], "source": "owa-logon-page"}
        elif kind == 7:
            profile, want = HardenedHost(), {"build": None, "source": None}
        elif kind == 8:
            profile, want = WebHost(), {"build": None, "source": None}
        else:
            profile, want = RawHost("close"), {"build": None, "source": None}
        addr = em.add(ip, profile)
        expected[f"http://{addr[0]}:{addr[1]}"] = want
    # served from a process of their own: in a thread, the 200 servers and the scan shared one
    # interpreter lock, and on a busy machine a host's answers came too late for the scan's time
    # limits (it came back without its build)
    with EmulatorProcess(em):
        yield em, expected


def test_scan_of_200_hosts_accounts_for_all(
    fleet: tuple[Emulator, dict[str, dict[str, str | None]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, expected = fleet
    (tmp_path / "targets.txt").write_text("# the fleet\n" + "\n".join(expected) + "\nnot..a..host\n")
    out_json, out_csv, out_jsonl, db = (tmp_path / n for n in ("r.json", "r.csv", "r.jsonl", "s.sqlite"))
    code = main(
        [
            "scan",
            "-i",
            str(tmp_path / "targets.txt"),
            "--db",
            str(db),
            "--json",
            str(out_json),
            "--csv",
            str(out_csv),
            "--jsonl",
            str(out_jsonl),
            "--concurrency",
            "50",
            *FAST,
        ]
    )
    assert code == 1  # some hosts run vulnerable builds
    report = json.loads(out_json.read_text())
    assert report["schema"] == "exhunt.scan/1"
    results = {r["key"]: r for r in report["results"]}
    assert len(results) == 201
    for key, want in expected.items():
        r = results[key]
        for field in (
            "target",
            "address",
            "port",
            "reachable",
            "is_exchange",
            "build",
            "build_source",
            "product",
            "exposure",
            "errors",
        ):
            assert field in r
        assert (r["build"], r["build_source"]) == (want["build"], want["source"]), key
        assert r["is_exchange"] == (want["build"] is not None)
        assert set(r["exposure"]) == {"ProxyLogon", "ProxyShell", "ProxyNotShell", "OWASSRF"}
    assert results["not..a..host"]["errors"][0].startswith("not scanned")
    assert report["summary"]["exchange"] == 140
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert len(rows) == 201 and {r["key"] for r in rows} == set(results)
    lines = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert {line["key"] for line in lines} == set(results)
    stored = sqlite3.connect(db).execute("SELECT COUNT(*), SUM(is_exchange) FROM results").fetchone()
    assert stored == (201, 140)
    table = capsys.readouterr().out
    assert all(len(line) <= 80 for line in table.splitlines()), "the table is wider than 80 columns"
    assert "201 targets: 180 answered, 140 Exchange" in table


@pytest.fixture
def four_hosts() -> Iterator[tuple[Emulator, list[tuple[str, int]]]]:
    em = Emulator()
    builds = ("15.1.2176.2", "15.2.1118.20", "15.1.2507.16", "15.2.1118.20")
    addrs = [em.add(f"127.0.6.{i + 1}", ExchangeHost(build)) for i, build in enumerate(builds)]
    with EmulatorThread(em):
        yield em, addrs


def test_diff_between_scans(
    four_hosts: tuple[Emulator, list[tuple[str, int]]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    em, addrs = four_hosts
    specs = [f"http://{ip}:{port}" for ip, port in addrs]
    db = str(tmp_path / "s.sqlite")
    assert main(["scan", *specs[:3], "--db", db, "-q", *FAST]) == 1
    # between the scans: one host patched, one rolled back to an old build, one stops answering,
    # and a fourth joins the list
    em.profiles[addrs[0]] = ExchangeHost("15.1.2308.8")
    em.profiles[addrs[1]] = ExchangeHost("15.2.1118.7")
    em.profiles[addrs[2]] = Misbehaving("reset")
    capsys.readouterr()
    assert main(["scan", *specs, "--db", db, "--diff", *FAST]) == 1
    out = capsys.readouterr().out
    assert "changes from scan 1 to scan 2" in out
    assert "1 gone, 1 new, 1 newly-exposed, 1 newly-patched" in out
    assert main(["scan", "--db", db, "--diff", "--json", str(tmp_path / "d.json")]) == 1
    changes = json.loads((tmp_path / "d.json").read_text())
    assert changes["schema"] == "exhunt.scan-diff/1"
    kinds = {c["key"]: c["kind"] for c in changes["changes"]}
    assert kinds == {specs[0]: "newly-patched", specs[1]: "newly-exposed", specs[2]: "gone", specs[3]: "new"}
    assert main(["scan", "--db", db, "--list-scans"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("yes") == 2
    # a third scan of two of the hosts: the others were not looked at, which is not "gone"
    assert main(["scan", *specs[:2], "--db", db, "-q", *FAST]) == 1
    assert main(["scan", "--db", db, "--diff", "--json", str(tmp_path / "d3.json")]) in (0, 1)
    third = json.loads((tmp_path / "d3.json").read_text())
    assert {c["key"]: c["kind"] for c in third["changes"] if c["key"] not in specs[:2]} == {specs[3]: "not-scanned"}


def test_exit_code_zero_when_nothing_is_exposed(
    four_hosts: tuple[Emulator, list[tuple[str, int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, addrs = four_hosts
    ip, port = addrs[1]
    assert main(["scan", f"http://{ip}:{port}", "--no-db", "-q", *FAST]) == 0
    assert main(["scan", f"http://{ip}:{port}", "--no-db", *FAST]) == 0
    assert "1 target: 1 answered, 1 Exchange" in capsys.readouterr().out  # one target, not "1 targets"


def test_exit_code_three_when_not_every_target_was_judged(
    four_hosts: tuple[Emulator, list[tuple[str, int]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing exposed is not "all patched" when the scan could not tell: a fail-closed exit."""
    _, addrs = four_hosts
    ip, port = addrs[1]
    patched = f"http://{ip}:{port}"
    # the emulated hosts speak plain HTTP: asked over TLS, none answers
    assert main(["scan", f"{ip}:{port}", "--no-db", "-q", *FAST]) == 3
    # the reason is in the JSON too, for scripts that read it rather than the exit code
    assert main(["scan", f"{ip}:{port}", "--no-db", "-q", "--json", "-", *FAST]) == 3
    assert json.loads(capsys.readouterr().out)["summary"]["not_judged"] == "no target answered"
    # an unusable spec beside a patched host
    assert main(["scan", patched, "300.1.1.1", "--no-db", "-q", *FAST]) == 3
    # a patched host beside one that does not answer: a swept range is mostly silent addresses
    assert main(["scan", patched, f"{ip}:{port}", "--no-db", "-q", *FAST]) == 0
    # an exposed host still decides the code
    ip0, port0 = addrs[0]
    assert main(["scan", f"http://{ip0}:{port0}", "300.1.1.1", "--no-db", "-q", *FAST]) == 1
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    assert "not every target was judged" in " ".join(capsys.readouterr().out.split())


def test_exchange_host_of_unknown_exposure_is_not_judged(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from exhunt.scan.result import HostResult, ScanReport, not_judged

    now = datetime.now(UTC)
    seen = HostResult("a", "https://a:443", "a", 443, reachable=True, is_exchange=True)  # X-FEServer, no build
    assert not_judged(ScanReport("t", now, now, results=[seen])) == "1 Exchange host(s) with an unknown exposure"
    assert not_judged(ScanReport("t", now, now, results=[], not_scanned=5)) == "5 target(s) not scanned"
    web = HostResult("b", "https://b:443", "b", 443, reachable=True)
    assert not_judged(ScanReport("t", now, now, results=[web])) is None


def test_targets_from_stdin_and_jsonl_to_stdout(
    four_hosts: tuple[Emulator, list[tuple[str, int]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, addrs = four_hosts
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"http://{ip}:{port}\n" for ip, port in addrs[:2])))
    assert main(["scan", "-", "--no-db", "--jsonl", "-", *FAST]) == 1
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert sorted(r["build"] for r in lines) == ["15.1.2176.2", "15.2.1118.20"]
    assert "2 targets" in captured.err  # the table moves to stderr when stdout carries the data


def test_at_file_and_checks(four_hosts: tuple[Emulator, list[tuple[str, int]]], tmp_path: Path) -> None:
    _, addrs = four_hosts
    ip, port = addrs[0]
    (tmp_path / "t.txt").write_text(f"http://{ip}:{port}\n")
    out = tmp_path / "r.json"
    assert main(["scan", f"@{tmp_path / 't.txt'}", "--no-db", "-q", "--json", str(out), "--check", "all", *FAST]) == 1
    [result] = json.loads(out.read_text())["results"]
    assert [c["name"] for c in result["checks"]] == [c.name for c in CHECKS.values()]
    assert json.loads(out.read_text())["checks"] == list(CHECKS)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan"], "no targets"),
        (["scan", "10.0.0.0/8", "--no-db"], "--max-targets"),
        (["scan", "192.0.2.0/24", "--max-targets", "100", "--no-db"], "--max-targets"),
        (["scan", "-i", "/nonexistent/targets.txt", "--no-db"], "cannot read"),
        (["scan", "--diff", "--no-db"], "need the results store"),
        (["scan", "192.0.2.1", "--sni", "not a name!", "--no-db"], "--sni"),
        (["scan", "192.0.2.1", "--json", "-", "--csv", "-", "--no-db"], "stdout"),
        # Checked before any host is asked (a scan of thousands takes a while), not after.
        (["scan", "127.0.0.1", "--json", "/nonexistent-exhunt/out.json", "--no-db"], "cannot write --json"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_store_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\x00garbage" * 50)
    assert main(["scan", "--db", str(junk), "--diff"]) == 2
    assert "junk.sqlite" in capsys.readouterr().err


def test_help_warns_about_traces(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, check in CHECKS.items():
        assert f" {name} " in text
        assert " ".join(check.traces.split()) in text
    assert "logs" in text and "--check" in text and "--legacy-tls" in text


def test_progress_bar_runs_on_a_terminal(four_hosts: tuple[Emulator, list[tuple[str, int]]]) -> None:
    import asyncio

    from rich.console import Console

    from exhunt.commands.scan import _collect
    from exhunt.scan.scanner import ScanOptions
    from exhunt.scan.targets import expand_targets

    _, addrs = four_hosts
    targets = expand_targets([f"http://{ip}:{port}" for ip, port in addrs])
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    seen: list[str] = []
    asyncio.run(_collect(targets, ScanOptions(), lambda r: seen.append(r.key), console))
    assert sorted(seen) == sorted(t.key for t in targets.targets)
    assert "Exchange" in screen.getvalue()


def test_concurrency_is_fitted_to_the_open_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    resource = pytest.importorskip("resource")
    from exhunt.commands.scan import _fit_concurrency

    def refuse(*_: object) -> None:
        raise ValueError("not allowed")

    # A process capped at 256 open files that may not raise the cap (the real limits stay untouched).
    monkeypatch.setattr(resource, "getrlimit", lambda _: (256, 256))
    monkeypatch.setattr(resource, "setrlimit", refuse)
    fitted, warning = _fit_concurrency(1000)
    assert fitted == (256 - 64) // 2 and warning and "1000" in warning
    assert _fit_concurrency(50) == (50, None)
    raised: list[tuple[int, int]] = []
    monkeypatch.setattr(resource, "getrlimit", lambda _: (256, 4096))
    monkeypatch.setattr(resource, "setrlimit", lambda _, limits: raised.append(limits))
    assert _fit_concurrency(1000) == (1000, None)
    assert raised == [(2064, 4096)]


def _table_report() -> object:
    from datetime import UTC, datetime

    from exhunt.scan.result import HostResult, ScanReport

    long_name = "exchange-frontend-07.emea.subsidiary-holding.example.com:8443"
    exchange = HostResult(
        target=long_name,
        key=f"https://{long_name}",
        host=long_name.rsplit(":", 1)[0],
        port=8443,
        reachable=True,
        is_exchange=True,
        build="15.1.2176.2",
        build_source="x-owa-version",
    )
    unreachable = HostResult(
        target="192.0.2.44:443",
        key="https://192.0.2.44:443",
        host="192.0.2.44",
        port=443,
        errors=[
            "/owa/: tls: TLS handshake failed: wrong version number (the port does not speak TLS: "
            "plain HTTP or another protocol?)"
        ],
    )
    # a web server with nothing of Exchange, or an Exchange behind a front that hides it: not seen
    hidden = HostResult(
        target="192.0.2.45:443", key="https://192.0.2.45:443", host="192.0.2.45", port=443, reachable=True
    )
    now = datetime.now(UTC)
    return ScanReport(tool_version="t", started=now, finished=now, results=[exchange, unreachable, hidden])


def test_table_piped_keeps_whole_targets_and_notes() -> None:
    """A pipe or a file gets every column and whole cells: a host name cut short in a scan of
    thousands is a host nobody can find again."""
    import argparse

    from rich.console import Console

    from exhunt.commands.scan import _render_table

    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=False)
    _render_table(_table_report(), argparse.Namespace(all=True), console)  # type: ignore[arg-type]
    lines = out.getvalue().splitlines()
    header = lines[0].split()
    assert header == ["target", "build", "from", "PL", "PS", "PNS", "OWA", "note"]
    row = next(line for line in lines if line.startswith("exchange-frontend-07"))
    assert row.split()[:3] == ["exchange-frontend-07.emea.subsidiary-holding.example.com:8443", "15.1.2176.2", "header"]
    assert "…" not in out.getvalue()
    assert any(line.rstrip().endswith("plain HTTP or another protocol?)") for line in lines)
    assert all(line == line.rstrip() for line in lines[:5]), "no padding after the text of a table line"
    assert any(line.startswith("192.0.2.45:443") and line.endswith("Exchange not seen") for line in lines)
    assert console.width == 80, "the console's width is given back"


def test_table_on_a_terminal_fits_the_screen_and_cuts_targets_in_the_middle() -> None:
    import argparse

    from rich.console import Console

    from exhunt.commands.scan import _render_table

    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    _render_table(_table_report(), argparse.Namespace(all=True), console)  # type: ignore[arg-type]
    lines = out.getvalue().splitlines()
    table = lines[: next(i for i, line in enumerate(lines) if line.startswith("VULN vulnerable"))]
    assert len(table) == 5 and all(len(line) <= 80 for line in table), [len(line) for line in table]
    row = next(line for line in lines if line.startswith("exchange"))
    target = row.split()[0]
    assert "…" in target and target.endswith(":8443"), "the port stays when a name is cut"
    assert row.split()[1:3] == ["15.1.2176.2", "header"]


@pytest.mark.parametrize(
    "setting", ["concurrency = 0", "timeout = 0", "host_timeout = 0.0", "max_body = 0", "rate = 0"]
)
def test_zero_from_the_configuration_file_is_refused(
    setting: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--timeout 0` was refused, but `timeout = 0` in the configuration file was taken as it was."""
    config = tmp_path / "config.toml"
    config.write_text(f"[scan]\n{setting}\n")
    assert main(["scan", "127.0.0.1:1", "--no-db", "-q", "--config", str(config)]) == 2
    name = setting.split(" =")[0].replace("_", "-")
    assert f"--{name} must be more than 0" in capsys.readouterr().err


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-8"])
def test_a_target_list_saved_by_windows_powershell_is_read(
    encoding: str, four_hosts: tuple[Emulator, list[tuple[str, int]]], tmp_path: Path
) -> None:
    """Windows PowerShell 5's `>` writes UTF-16 with a byte-order mark and CRLF line ends; read as
    UTF-8 every character came with a NUL and no target was a host."""
    _, addrs = four_hosts
    listing = tmp_path / "servers.txt"
    lines = "".join(f"http://{ip}:{port}\r\n" for ip, port in addrs[:2])
    listing.write_bytes(("\ufeff" + lines).encode(encoding))
    out = tmp_path / "r.json"
    assert main(["scan", "-i", str(listing), "--no-db", "-q", "--json", str(out), *FAST]) == 1
    results = json.loads(out.read_text())["results"]
    assert sorted(r["build"] for r in results) == ["15.1.2176.2", "15.2.1118.20"]
    assert all(not r["errors"] for r in results)


def test_ctrl_c_writes_the_hosts_answered_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C an hour into a scan of thousands: what answered is written (marked interrupted) and
    kept in the store as an unfinished scan, not lost; the exit code is 130."""
    from exhunt.commands import scan as scan_command
    from exhunt.scan.result import HostResult

    async def two_then_ctrl_c(targets, options, keep, console):  # type: ignore[no-untyped-def]
        for t in targets.targets[:2]:
            keep(HostResult(t.spec, t.key, t.host, t.port, reachable=True, is_exchange=True, build="15.1.2176.2"))
        raise KeyboardInterrupt

    monkeypatch.setattr(scan_command, "_collect", two_then_ctrl_c)
    out, db = tmp_path / "scan.json", tmp_path / "s.sqlite"
    argv = ["scan", "192.0.2.1", "192.0.2.2", "192.0.2.3", "300.1.1.1", "--json", str(out), "--db", str(db), *FAST]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert "interrupted after 2 of 3 targets; results so far in" in err and str(out) in err
    doc = json.loads(out.read_text())
    assert doc["interrupted"] is True and len(doc["results"]) == 3  # the two answered and the bad spec
    assert doc["summary"]["not_scanned"] == 1
    assert main(["scan", "--db", str(db), "--list-scans"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert any(line.split()[2] == "no" for line in listing[2:]), listing  # not finished: --diff leaves it out


def test_an_exchange_host_without_a_build_says_why_its_chains_are_unknown() -> None:
    # Seen by its headers (X-FEServer) but with no usable X-OWA-Version: '?' in every chain and
    # an empty note, where every other row of the table says something.
    from exhunt.commands.scan import _note
    from exhunt.scan.result import HostResult

    seen = HostResult(
        target="192.0.2.46:443",
        key="https://192.0.2.46:443",
        host="192.0.2.46",
        port=443,
        reachable=True,
        is_exchange=True,
        evidence=["X-OWA-Version header is not a build: '15.1.2176.2?[2J'", "X-FEServer: EX01"],
    )
    assert _note(seen) == "Exchange, no build seen (evidence in --json)"
    several = HostResult(
        target="192.0.2.47:443",
        key="https://192.0.2.47:443",
        host="192.0.2.47",
        port=443,
        reachable=True,
        is_exchange=True,
        build="15.1.2176.2",
        product="Exchange Server 2016",
        evidence=["X-OWA-Version differs between answers: 15.1.2176.2, 15.2.1544.4 (several servers behind one name?)"],
    )
    assert "several builds" in _note(several)


@pytest.mark.parametrize("option", ["--timeout", "--connect-timeout", "--host-timeout", "--total-timeout", "--rate"])
@pytest.mark.parametrize("value", ["inf", "nan"])
def test_an_infinite_limit_is_a_usage_error_not_a_failed_host(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--timeout inf` passed the check and every host then failed with an OverflowError (exit 3)."""
    with pytest.raises(SystemExit) as exc:
        main(["scan", "127.0.0.1:1", "--no-db", "-q", option, value])
    assert exc.value.code == 2
    assert "must be more than 0 and finite" in capsys.readouterr().err


@pytest.mark.parametrize("setting", ["timeout = inf", "total_timeout = inf", "rate = nan"])
def test_an_infinite_limit_from_the_configuration_file_is_refused(
    setting: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[scan]\n{setting}\n")
    assert main(["scan", "127.0.0.1:1", "--no-db", "-q", "--config", str(config)]) == 2
    assert "must be more than 0 and finite" in capsys.readouterr().err


def test_a_host_on_ipv6_loopback_is_scanned_and_keyed_by_host_and_port(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
        em = Emulator()
        ip, port = em.add("::1", ExchangeHost("15.2.1118.20"))
    except OSError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    with EmulatorThread(em):
        assert main(["scan", f"http://[::1]:{port}", "--no-db", "--jsonl", "-", "-q", *FAST]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert json.loads(line)["build"] == "15.2.1118.20"
    assert len(em.requests[(ip, port)]) >= 1  # the request was logged under the address it was served on
