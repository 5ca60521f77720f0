"""TOML the user hands over (configuration, rule files, Sigma level mappings) nested thousands of
levels deep is a malformed file, reported where it is read, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from exhunt.cli import main
from exhunt.rules import read_rules
from exhunt.sigma.ruleset import RuleProblem, _levels

DEEP = "x = " + "[" * 100_000 + "\n"


def test_a_deeply_nested_configuration_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "exhunt.toml"
    cfg.write_text("[hunt]\n" + DEEP)
    assert main(["config", "show", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "nested too deeply" in err and str(cfg) in err


def test_a_deeply_nested_rule_file_is_a_rule_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules, errors = read_rules(DEEP, "deep.toml")
    assert rules == [] and len(errors) == 1 and "nested too deeply" in str(errors[0])
    path = tmp_path / "deep.toml"
    path.write_text(DEEP)
    assert main(["rules", "--rules", str(path)]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_a_deeply_nested_sigma_level_mapping_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "levels.toml"
    path.write_text(DEEP)
    problems: list[RuleProblem] = []
    doc = _levels(str(path), problems)
    assert "levels" in doc  # the shipped mapping still holds
    assert len(problems) == 1 and "nested too deeply" in str(problems[0])
