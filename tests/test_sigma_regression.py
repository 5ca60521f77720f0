"""SigmaHQ's own true-positive regression cases: each rule must fire on its own .evtx file.

Read from ../shared/data/sigma (the rules and cases are test data, never shipped). The events go
through the whole event log analyzer with `--sigma` set to the rules the cases name, so this
also covers reading, normalising, the logsource mapping and the finding each match becomes.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from exhunt.analyzers import HostContext, HuntOptions, registry
from exhunt.evidence.base import EvidenceFile, FileRef
from exhunt.model import ArtefactKind, EventFacet
from exhunt.sigma.cache import cache_dir
from exhunt.sigma.ruleset import build_ruleset, load_ruleset

pytestmark = pytest.mark.shared

RULE_FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting", "rules-dfir")
# Rules of the regression set the engine cannot run, with the reason (also in the README).
UNSUPPORTED: dict[str, str] = {}
_ID = re.compile(r"^id:\s*['\"]?([0-9a-f-]{36})", re.MULTILINE)


def _cases(sigma: Path) -> list[tuple[str, str, Path, int]]:
    out = []
    for info in sorted((sigma / "regression_data").rglob("info.yml")):
        doc = yaml.safe_load(info.read_text(encoding="utf-8"))
        meta = doc["rule_metadata"][0]
        out += [
            (meta["id"], meta["title"], sigma / test["path"], int(test.get("match_count", 1)))
            for test in doc.get("regression_tests_info", ())
            if test.get("type") == "evtx" and (sigma / test["path"]).is_file()
        ]
    return out


def _rule_files(sigma: Path, wanted: set[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in RULE_FOLDERS:
        for path in (sigma / folder).rglob("*.yml"):
            match = _ID.search(path.read_text(encoding="utf-8", errors="replace"))
            if match and match.group(1) in wanted:
                found[match.group(1)] = path
    return found


@pytest.mark.parametrize("cached", [False, True], ids=["read-with-pysigma", "from-the-cache"])
def test_every_regression_case_fires_its_own_rule(shared_data: Path, cached: bool) -> None:
    sigma = shared_data / "sigma"
    if not (sigma / "regression_data").is_dir():
        pytest.skip("no SigmaHQ regression data in ../shared/data/sigma")
    cases = _cases(sigma)
    assert len(cases) >= 100, "the shared set holds 142 cases"
    files = _rule_files(sigma, {rule_id for rule_id, *_ in cases})
    assert set(files) == {rule_id for rule_id, *_ in cases}, "every case names a rule in the shared rules"
    paths = tuple(sorted(str(p) for p in files.values()))
    load_ruleset.cache_clear()
    if cached:  # a first load fills the cache; the hunt's then compiles every rule from it
        assert "built" in build_ruleset(paths, None, cache_dir()).cache_note
    rules = load_ruleset(paths)
    assert (f"{len(files)} of {len(files)} rule files from the cache" in rules.cache_note) is cached
    rejected = {p.rule_id: p.message for p in rules.rejected}
    assert rejected == UNSUPPORTED, "a regression rule the engine rejects must be listed, with its reason"
    assert not rules.not_applicable, [str(p) for p in rules.not_applicable]

    options = HuntOptions(sigma_paths=paths)
    ctx = HostContext("TEST", None, options)
    analyzer = registry()["events"]
    missed = []
    counts: Counter[str] = Counter()
    for rule_id, title, evtx, _expected in cases:
        if rule_id in UNSUPPORTED:
            continue
        rel = evtx.name
        result = analyzer.analyze(EvidenceFile(FileRef(str(evtx)), rel, ArtefactKind.EVTX, evtx.stat().st_size), ctx)
        assert result.errors == [], result.errors
        own = [f for f in result.findings if f.rule_id == rule_id]
        if not own:
            missed.append(f"{rule_id} {title} ({evtx.relative_to(sigma)})")
            continue
        counts[rule_id] += len(own)
        finding = own[0]
        assert finding.title.strip() and finding.severity is not None
        assert finding.detail("sigma_id") == rule_id and finding.evidence.path == rel
        assert isinstance(finding.event, EventFacet) and finding.event.event_id is not None
        assert finding.detail("sigma_rule_file") == str(files[rule_id])
    assert not missed, "rules that did not fire on their own regression case:\n" + "\n".join(missed)
    assert len(counts) == len(cases) - len(UNSUPPORTED)
