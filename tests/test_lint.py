from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import REPO


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff not installed (pip install -e '.[test]')")
    out = subprocess.run([ruff, "check", "src", "tests", "bench"], cwd=REPO, capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stdout + out.stderr
