"""The file hunt against real public data: web shells it must catch, genuine files it must not.

The figures asserted here are the ones the README reports (## File-system hunt).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.filehunt.indicators import load_indicators, normalise_path_indicator
from exhunt.model import ArtefactKind, Severity
from files_support import hunt

pytestmark = pytest.mark.shared


def _evidence(path: Path, root: Path) -> EvidenceFile:
    kind = ArtefactKind.IIS_CONFIG if path.suffix.lower() == ".config" else ArtefactKind.FILE
    return EvidenceFile(FileRef(str(path)), str(path.relative_to(root)), kind, path.stat().st_size)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_web_shell_collection_is_caught(shared_data: Path) -> None:
    folder = shared_data / "webshells" / "tennc"
    files = _files(folder)
    assert len(files) >= 40
    missed = [p.name for p in files if not any(f.category == "webshell" for f in hunt(_evidence(p, folder)).findings)]
    caught = 1 - len(missed) / len(files)
    assert caught >= 0.95, f"caught {caught:.1%}; missed {missed}"


def test_benign_asp_net_and_exchange_configs_stay_quiet(shared_data: Path) -> None:
    folder = shared_data / "benign"
    files = _files(folder)
    assert len(files) >= 200
    loud = []
    for p in files:
        result = hunt(_evidence(p, folder))
        assert not result.errors, (p, result.errors)
        if any(f.severity.rank >= Severity.MEDIUM.rank for f in result.findings):
            loud.append(p.name)
    assert len(loud) / len(files) <= 0.02, loud


def test_shipped_mstic_list_holds_the_whole_feed(shared_data: Path) -> None:
    feed = shared_data / "iocs" / "MSTICIoCs-ExchangeServerVulnerabilitiesDisclosedMarch2021.csv"
    shipped = load_indicators()
    with feed.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for row in rows:
        value, kind = row["Indicator"], row["IndicatorType"]
        if kind == "sha256":
            entries = shipped.hashes["sha256"].get(value.lower(), [])
            assert any("MSTIC" in e.source for e in entries), value
        elif kind == "filepath":
            assert normalise_path_indicator(value) in shipped.paths, value


def test_shipped_cisa_list_holds_the_alert_addresses_and_rule_hashes(shared_data: Path) -> None:
    text = (shared_data / "iocs" / "CISA-AA21-062A-CHIRP.yaml").read_text(encoding="utf-8")
    shipped = (Path(__file__).parent.parent / "src/exhunt/data/indicators/cisa-aa21-062a.csv").read_text()
    volexity = "893cd3583b49cb706b3e55ecb2ed0757b977a21f5c72e041392d1256f31166e2"
    for value in ("103.77.192.219", "91.192.103.43", volexity, "antSword/v2.1"):
        assert value in text and value in shipped
