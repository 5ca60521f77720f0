"""Coverage is exact without parsing every line, and a busy clean server raises nothing."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exhunt.artefacts import reader
from exhunt.model import ArtefactKind
from test_log_samples import (
    benign_httpproxy,
    benign_iis,
    evidence,
    httpproxy_log,
    iis_line,
    iis_log,
    run,
    write,
)

REPO = Path(__file__).resolve().parent.parent


def test_busy_clean_server_raises_nothing(tmp_path: Path) -> None:
    write(tmp_path, "proxy.LOG", httpproxy_log(benign_httpproxy(3000)))
    write(tmp_path, "iis.log", iis_log(benign_iis(3000)))
    for analyzer, rel, kind in (
        ("httpproxy-log", "proxy.LOG", ArtefactKind.HTTPPROXY),
        ("iis-log", "iis.log", ArtefactKind.IIS),
    ):
        result = run(analyzer, evidence(tmp_path, rel, kind))
        assert result.findings == [] and result.suppressed == {} and result.errors == [], analyzer
        assert result.coverage[kind.value].records == 3000


def test_coverage_is_exact_across_blocks_and_header_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "BLOCK_SIZE", 4096)  # many blocks, lines split across them
    day1 = [iis_line(time=f"{h:02d}:{m:02d}:00") for h in range(0, 12) for m in range(0, 60, 5)]
    day1[0] = iis_line(time="00:00:07")
    text = iis_log(day1) + "\r\n" + iis_log([iis_line(time="23:59:58")], date="2021-03-03 12:00:00")
    write(tmp_path, "iis.log", text)
    result = run("iis-log", evidence(tmp_path, "iis.log", ArtefactKind.IIS))
    span = result.coverage["IIS"]
    assert span.first == datetime(2021, 3, 3, 0, 0, 7, tzinfo=UTC)
    assert span.last == datetime(2021, 3, 3, 23, 59, 58, tzinfo=UTC)
    assert span.records == len(day1) + 1 and span.files == 1


def test_last_timestamp_survives_a_cut_off_last_line(tmp_path: Path) -> None:
    rows = benign_httpproxy(50)
    write(tmp_path, "p.LOG", httpproxy_log(rows) + "2021-03-03T0")
    result = run("httpproxy-log", evidence(tmp_path, "p.LOG", ArtefactKind.HTTPPROXY))
    # the last complete row's time, though the cut-off line after it has none
    assert result.coverage["HttpProxy"].last == datetime.fromisoformat(rows[-1].split(",")[0])
    assert result.coverage["HttpProxy"].records == 51


def test_build_and_host_observations(tmp_path: Path) -> None:
    write(tmp_path, "p.LOG", httpproxy_log(benign_httpproxy(20)))
    result = run("httpproxy-log", evidence(tmp_path, "p.LOG", ArtefactKind.HTTPPROXY))
    build = [o for o in result.observations if o.kind == "exchange_build"]
    assert [(o.value, o.source) for o in build] == [("15.1.2176.2", "p.LOG")]
    assert build[0].timestamp == result.coverage["HttpProxy"].last
    assert [o.value for o in result.observations if o.kind == "hostname"] == ["EX01"]


def _bench(name: str) -> object:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_finds_every_injected_attack_on_a_small_corpus(tmp_path: Path) -> None:
    corpus = _bench("corpus")
    bench = _bench("run")
    manifest = corpus.generate(tmp_path / "c", size_mb=3, seed=7, attacks=2)  # type: ignore[attr-defined]
    assert len(manifest.attacks) == 2 * 15
    import json

    expected = json.loads((tmp_path / "c" / "manifest.json").read_text())
    for runner in (bench.via_pool, bench.via_naive):  # type: ignore[attr-defined]
        result = runner(tmp_path / "c", 2)
        found, missed, unexpected = bench.check(result, expected)  # type: ignore[attr-defined]
        assert (found, missed, unexpected) == (30, 0, 0), runner.__name__
    if shutil.which("rg"):
        assert bench.run_rg(tmp_path / "c", 2) >= 30  # type: ignore[attr-defined]
