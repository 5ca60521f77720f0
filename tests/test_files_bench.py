"""The benchmark's tree generator and runner still work (on a tiny tree), so the README figures
can be measured again."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import REPO
from exhunt.analyzers import HuntOptions

sys.path.insert(0, str(REPO / "bench"))

from bench_files import evidence, run_hunt
from filetree import SHELLS, TreeSpec, generate


def test_small_tree_has_mixed_files_and_the_planted_shells_are_found(tmp_path: Path) -> None:
    root = generate(tmp_path / "tree", TreeSpec(files=150, seed=7))
    files = evidence(root)
    assert len(files) == 150
    assert len({f.rel_path.rsplit(".", 1)[-1] for f in files}) >= 8
    assert all(f.windows_path and f.windows_path[1:3] == ":\\" for f in files)
    _, rules, errors, shells = run_hunt(files, 1, HuntOptions())
    assert errors == 0
    assert {rel for rel in SHELLS if rel.endswith(".aspx")} <= shells
    assert rules["EXH-WS-PST-ASPX"] == 1 and rules["EXH-WS-AUTH-LOOKALIKE"] == 1
    # generating again with the same spec reuses the tree
    before = (root / ".tree.json").stat().st_mtime_ns
    generate(root, TreeSpec(files=150, seed=7))
    assert (root / ".tree.json").stat().st_mtime_ns == before
