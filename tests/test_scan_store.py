from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exhunt.scan.checks import CheckResult, CheckVerdict
from exhunt.scan.exposure import apply_build, apply_checks
from exhunt.scan.result import HostResult
from exhunt.scan.store import ChangeKind, ScanStore, StoreError, diff


def host(key: str, build: str | None = None, *, reachable: bool = True, exchange: bool = True) -> HostResult:
    ip, port = key.split(":")
    r = HostResult(
        key,
        f"https://{key}",
        ip,
        int(port),
        address=ip,
        reachable=reachable,
        is_exchange=exchange and reachable,
        build=build,
        scanned_at=datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
    )
    apply_build(r)
    if not reachable:
        r.errors.append("/owa/: connect: cannot connect (Connection refused)")
    return r


def test_results_round_trip(tmp_path: Path) -> None:
    r = host("192.0.2.1:443", "15.1.2176.2")
    r.evidence.append("X-OWA-Version: 15.1.2176.2 on /owa/ '; DROP TABLE results;--")
    r.checks.append(CheckResult("proxylogon-ssrf", "ProxyLogon", CheckVerdict.VULNERABLE, "X-CalculatedBETarget", 500))
    r.tls = {"version": "TLSv1.2", "cipher": "X", "legacy": False, "certificate": {"subject": "CN=\u00e9x"}}
    with ScanStore(tmp_path / "s.sqlite") as store:
        scan_id = store.begin_scan(datetime(2024, 5, 1, tzinfo=UTC), "0.1.0", 1, ["proxylogon"])
        store.add_result(scan_id, r)
        store.finish_scan(scan_id, datetime(2024, 5, 1, 0, 1, tzinfo=UTC))
    with ScanStore(tmp_path / "s.sqlite") as store:
        [back] = store.results(scan_id)
        [record] = store.scans()
    assert back.to_dict() == r.to_dict()
    assert (record.targets, record.hosts, record.exchange, record.exposed, record.checks) == (
        1,
        1,
        1,
        1,
        ("proxylogon",),
    )
    db = sqlite3.connect(tmp_path / "s.sqlite")
    row = db.execute("SELECT build, proxylogon, proxyshell FROM results").fetchone()
    assert row == ("15.1.2176.2", "vulnerable", "vulnerable")


def test_unfinished_scans_are_left_out_of_the_finished_list(tmp_path: Path) -> None:
    with ScanStore(tmp_path / "s.sqlite") as store:
        a = store.begin_scan(datetime.now(UTC), "0.1.0", 0, [])
        store.finish_scan(a, datetime.now(UTC))
        store.begin_scan(datetime.now(UTC), "0.1.0", 0, [])
        assert [s.id for s in store.scans()] == [a, a + 1]
        assert [s.id for s in store.scans(finished_only=True)] == [a]


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite\x00" * 100)
    with pytest.raises(StoreError) as exc:
        ScanStore(junk)
    assert "junk.sqlite" in str(exc.value)
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('format', 'something-else/9');"
    )
    db.commit()
    db.close()
    with pytest.raises(StoreError):
        ScanStore(other)


def test_diff_names_every_kind_of_change() -> None:
    older = [
        host("192.0.2.1:443", "15.1.2176.2"),  # gets patched
        host("192.0.2.2:443", "15.2.1118.20"),  # the name now answers from an old server
        host("192.0.2.3:443", "15.1.2176.9"),  # goes away
        host("192.0.2.4:443", reachable=False),  # comes up
        host("192.0.2.5:443", "15.1.2507.16"),  # build changes, still patched
        host("192.0.2.6:443", "15.1.2176.9"),  # unchanged
        host("192.0.2.7:443", exchange=False),  # hidden from now on... still not Exchange
    ]
    newer = [
        host("192.0.2.1:443", "15.1.2308.8"),
        host("192.0.2.2:443", "15.2.1118.7"),
        host("192.0.2.3:443", reachable=False),
        host("192.0.2.4:443", "15.1.2176.2"),
        host("192.0.2.5:443", "15.1.2507.17"),
        host("192.0.2.6:443", "15.1.2176.9"),
        host("192.0.2.7:443", exchange=False),
        host("192.0.2.8:443", exchange=False),
    ]
    changes = {(c.kind, c.key.split("//")[1]) for c in diff(older, newer)}
    assert changes == {
        (ChangeKind.NEWLY_PATCHED, "192.0.2.1:443"),
        (ChangeKind.NEWLY_EXPOSED, "192.0.2.2:443"),
        (ChangeKind.GONE, "192.0.2.3:443"),
        (ChangeKind.NEW, "192.0.2.4:443"),
        (ChangeKind.CHANGED, "192.0.2.5:443"),
        (ChangeKind.NEW, "192.0.2.8:443"),
    }
    by_key = {c.key: c for c in diff(older, newer)}
    patched = by_key["https://192.0.2.1:443"]
    assert set(patched.chains) == {"ProxyLogon", "ProxyShell"}
    assert patched.before == "15.1.2176.2" and patched.after == "15.1.2308.8"
    exposed = by_key["https://192.0.2.2:443"]
    assert set(exposed.chains) == {"ProxyNotShell", "OWASSRF"}
    assert "Connection refused" in by_key["https://192.0.2.3:443"].detail
    assert by_key["https://192.0.2.4:443"].chains  # a new host that is exposed says so


def test_diff_of_identical_scans_is_empty() -> None:
    scan = [host("192.0.2.1:443", "15.1.2176.2"), host("192.0.2.2:443", reachable=False)]
    assert diff(scan, scan) == []


def test_diff_does_not_call_patched_what_only_a_check_left_out_found() -> None:
    # The build says patched, a check saw the flaw (several servers behind one name): a later
    # scan without the check (or whose check was mitigated) has the build's word alone, which
    # is no news. A later check that ran and saw no flaw is a fix.
    def checked(verdict: CheckVerdict | None) -> HostResult:
        r = host("192.0.2.1:443", "15.2.1748.49")
        if verdict is not None:
            check = CheckResult("proxylogon-ssrf", "ProxyLogon", verdict, "seen", 500)
            r.checks.append(check)
            apply_checks(r, [check])
        return r

    found = checked(CheckVerdict.VULNERABLE)
    assert found.exposure["ProxyLogon"] == "vulnerable"
    for later in (None, CheckVerdict.MITIGATED, CheckVerdict.UNKNOWN):
        (change,) = diff([found], [checked(later)])
        assert change.kind == ChangeKind.CHANGED and change.chains == ("ProxyLogon",)
        assert "not a sign of a fix" in change.detail
    (change,) = diff([found], [checked(CheckVerdict.NOT_VULNERABLE)])
    assert change.kind == ChangeKind.NEWLY_PATCHED and change.chains == ("ProxyLogon",)
