"""`exhunt report` on a hand-edited results file: renders it, or refuses it naming the bad value."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hypothesis", reason="hypothesis (a test extra) is not installed")
from hypothesis import given, settings
from hypothesis import strategies as st

from exhunt.cli import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("saved") / "r.json"
    assert main(["hunt", str(REPO / "examples"), "-q", "--json", str(out)]) == 1
    data: dict[str, Any] = json.loads(out.read_text())
    # Hosts are written as they finish; the mutations below aim at the compromised one.
    data["hosts"].sort(key=lambda host: host["verdict"] != "compromised")
    return data


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:3]):
            out += _paths(item, (*path, index))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    target = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


def _report(tmp: Path, doc: Any, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    source = tmp / "edited.json"
    source.write_text(json.dumps(doc))
    outs = ["--html", str(tmp / "r.html"), "--timeline", str(tmp / "t.csv"), "--stix", str(tmp / "s.json")]
    code = main(["report", str(source), *outs])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("hosts", 0, "incidents", 0, "source_ip"), ["203.0.113.9"], "$.hosts[0].incidents[0].source_ip"),
        (("hosts", 0, "incidents", 0, "rule_ids"), [7], "$.hosts[0].incidents[0].rule_ids[0]"),
        (("hosts", 0, "findings", 0, "evidence"), "x", "$.hosts[0].findings[0].evidence"),
        (("hosts", 0, "findings", 0, "severity"), "apocalyptic", "$.hosts[0].findings[0].severity"),
        (("hosts", 0, "findings", 0, "timestamp"), "10000-01-01T00:00:00Z", "$.hosts[0].findings[0].timestamp"),
    ],
)
def test_a_wrong_value_is_refused_with_its_json_path(
    saved: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    path: tuple[Any, ...],
    value: Any,
    where: str,
) -> None:
    code, err = _report(tmp_path, _set(copy.deepcopy(saved), path, value), capsys)
    assert code == 2
    assert where in err, err
    assert "Traceback" not in err


def test_a_date_in_year_9999_is_rendered(
    saved: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = copy.deepcopy(saved)
    for finding in doc["hosts"][0]["findings"][:3]:
        finding["timestamp"] = "9999-12-31T23:59:59Z"
    code, err = _report(tmp_path, doc, capsys)
    assert code in (0, 1), err
    assert (tmp_path / "r.html").stat().st_size and (tmp_path / "s.json").stat().st_size
    assert (tmp_path / "t.csv").stat().st_size


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=10),
    st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "critical", "x\x1b"]),
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3),
)


@settings(max_examples=max(20, settings.default.max_examples // 3))  # each example renders three outputs
@given(st.data())
def test_any_one_mutation_is_rendered_or_refused_never_a_crash(
    saved: dict[str, Any], tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    paths = _paths(saved)
    path = data.draw(st.sampled_from(paths[1:]))
    value = data.draw(JSON_VALUES)
    doc = _set(copy.deepcopy(saved), path, value)
    tmp = tmp_path_factory.mktemp("m")
    source = tmp / "edited.json"
    source.write_text(json.dumps(doc))
    outs = ["--html", str(tmp / "r.html"), "--timeline", str(tmp / "t.jsonl"), "--stix", str(tmp / "s.json")]
    code = main(["report", str(source), *outs])  # an exception here fails the test
    assert code in (0, 1, 2)
    if code != 2:
        assert (tmp / "r.html").exists() and (tmp / "t.jsonl").exists() and (tmp / "s.json").exists()
