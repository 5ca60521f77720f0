"""A hunt with every output leaves the evidence exactly as it was, and never writes inside it."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import site
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from exhunt.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "EX01-compromised"
OLD = 1_000_000_000  # 2001: any read under relatime would move an atime this old


def _state(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every path under `root`: (sha256 or kind, mtime ns, atime ns), without touching atimes."""
    out: dict[str, tuple[str, int, int]] = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
            with os.fdopen(fd, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
        else:
            digest = f"link to {os.readlink(path)}" if path.is_symlink() else "dir"
        # A link's own atime is set by the kernel whenever it is resolved (no O_NOATIME for
        # that): the README says so. Files and folders keep theirs.
        atime = 0 if path.is_symlink() else st.st_atime_ns
        out[str(path.relative_to(root))] = (digest, st.st_mtime_ns, atime)
    return out


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    root = tmp_path / "EX01"
    shutil.copytree(EXAMPLE, root, symlinks=True)
    (root / "C" / "inetpub" / "alias.log").symlink_to(next(root.rglob("*.log")))
    for path in root.rglob("*"):
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    return root


def test_hunt_with_every_output_changes_nothing_in_the_evidence(evidence: Path, tmp_path: Path) -> None:
    before = _state(evidence)
    out = tmp_path / "out"
    out.mkdir()
    code = main(
        [
            "hunt",
            str(evidence),
            "-q",
            "--json",
            str(out / "r.json"),
            "--html",
            str(out / "r.html"),
            "--timeline",
            str(out / "t.jsonl"),
            "--stix",
            str(out / "s.json"),
        ]
    )
    assert code == 1  # the example is compromised: the hunt really read it
    assert json.loads((out / "r.json").read_text())["hosts"][0]["findings"]
    after = _state(evidence)
    assert after.keys() == before.keys(), "files were added or removed inside the evidence"
    changed = {p: (before[p], after[p]) for p in before if before[p] != after[p]}
    assert not changed, f"content, mtime or atime changed: {changed}"


@pytest.mark.parametrize("flag", ["--json", "--html", "--timeline", "--stix"])
def test_an_output_inside_the_evidence_is_refused(
    evidence: Path, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = evidence / "C" / ("t.jsonl" if flag == "--timeline" else "out.json")
    before = _state(evidence)
    assert main(["hunt", str(evidence), "-q", flag, str(target)]) == 2
    assert "inside the evidence" in capsys.readouterr().err
    assert not target.exists()
    assert _state(evidence) == before


def test_an_output_through_a_link_into_the_evidence_is_refused(evidence: Path, tmp_path: Path) -> None:
    door = tmp_path / "door"
    door.symlink_to(evidence / "C", target_is_directory=True)
    assert main(["hunt", str(evidence), "-q", "--json", str(door / "r.json")]) == 2
    assert not (evidence / "C" / "r.json").exists()


def _nobody() -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


def _interpreter_for(drop: Callable[[], None], env: dict[str, str]) -> str | None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, shutil.which(version), f"/usr/bin/{version}"):
        if not candidate:
            continue
        try:
            probe = subprocess.run(
                [candidate, "-c", "import exhunt.cli, orjson, rich"],
                preexec_fn=drop,
                capture_output=True,
                env=env,
                check=False,
                timeout=60,
            )
        except OSError:
            continue
        if probe.returncode == 0:
            return candidate
    return None


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to drop to 'nobody'")
def test_unreadable_files_and_folders_as_an_unprivileged_user() -> None:
    # pytest's own temp folders are private to root: this one must be reachable by 'nobody'.
    tmp_path = Path(tempfile.mkdtemp(prefix="exhunt-nobody-"))
    try:
        _hunt_as_nobody(tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _hunt_as_nobody(tmp_path: Path) -> None:
    ids = _nobody()
    if ids is None:
        pytest.skip("no 'nobody' user to drop to")
    uid, gid = ids
    tmp_path.chmod(0o755)
    root = tmp_path / "EX01"
    shutil.copytree(EXAMPLE, root)
    wwwroot = root / "C" / "inetpub" / "wwwroot"
    locked_file = next(root.rglob("HttpProxy_*.LOG"))
    locked_dir = root / "C" / "Program Files" / "Microsoft" / "Exchange Server" / "V15" / "Logging" / "ECP"
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    locked_file.chmod(0)
    locked_dir.chmod(0)
    out = tmp_path / "out"
    out.mkdir(mode=0o777)
    out.chmod(0o777)
    # The venv's own interpreter may live where 'nobody' cannot go (a pyenv under /root): then
    # a system interpreter of the same version runs the same code and packages.
    paths = [str(REPO / "src"), *site.getsitepackages()]
    # The tests' empty configuration folder is private to root too: give 'nobody' its own.
    env = {**os.environ, "HOME": str(out), "XDG_CONFIG_HOME": str(out), "PYTHONPATH": os.pathsep.join(paths)}

    def drop() -> None:
        os.setgid(gid)
        os.setgroups([])
        os.setuid(uid)

    python = _interpreter_for(drop, env)
    if python is None:
        pytest.skip("no interpreter that 'nobody' may run can import exhunt from this checkout")
    done = subprocess.run(
        [python, "-m", "exhunt", "hunt", str(root), "-q", "--no-db", "--json", str(out / "r.json")],
        preexec_fn=drop,
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr.decode()[-2000:]
    (host,) = json.loads((out / "r.json").read_text())["hosts"]
    problems = {e["path"]: e for e in host["errors"]}
    rel_file = str(locked_file.relative_to(root))
    rel_dir = str(locked_dir.relative_to(root))
    assert rel_file in problems and "permission denied" in problems[rel_file]["message"].lower()
    assert rel_dir in problems and "permission denied" in problems[rel_dir]["message"].lower()
    # The rest of the host was hunted: the web shell in the web root is still found.
    shell = str(wwwroot.relative_to(root) / "aspnet_client" / "Q7kf2LmA.aspx")
    assert any(f["evidence"]["path"] == shell for f in host["findings"])
    assert host["verdict"] == "compromised"


def _atime_recorded(tmp_path: Path) -> bool:
    """Whether this file system moves an old access time on a plain read (relatime does)."""
    probe = tmp_path / "probe"
    probe.write_bytes(b"x")
    os.utime(probe, (OLD, OLD))
    probe.read_bytes()
    return probe.stat().st_atime_ns != OLD * 10**9


def test_hunting_a_zip_keeps_the_archives_access_time(tmp_path: Path) -> None:
    if not hasattr(os, "O_NOATIME") or not _atime_recorded(tmp_path):
        pytest.skip("the file system does not record access times, or there is no O_NOATIME")
    archive = Path(shutil.make_archive(str(tmp_path / "EX01"), "zip", EXAMPLE))
    os.utime(archive, (OLD, OLD))
    out = tmp_path / "r.json"
    assert main(["hunt", str(archive), "-q", "--json", str(out)]) == 1  # really read: compromised
    assert archive.stat().st_atime_ns == OLD * 10**9


def test_report_keeps_the_saved_hunts_access_time(tmp_path: Path) -> None:
    if not hasattr(os, "O_NOATIME") or not _atime_recorded(tmp_path):
        pytest.skip("the file system does not record access times, or there is no O_NOATIME")
    saved = tmp_path / "r.json"
    assert main(["hunt", str(EXAMPLE), "-q", "--json", str(saved)]) == 1
    os.utime(saved, (OLD, OLD))
    assert main(["report", str(saved), "-q", "--json", str(tmp_path / "again.json")]) in (0, 1)
    assert json.loads((tmp_path / "again.json").read_text())["hosts"][0]["findings"]
    assert saved.stat().st_atime_ns == OLD * 10**9
