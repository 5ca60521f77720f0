"""The configuration file: every hunt and scan setting, CLI over file over defaults, errors loud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exhunt.cli import main, parse
from exhunt.codeanalysis.analysis import DEFAULT_DEADLINE
from exhunt.commands.hunt import hunt_options
from exhunt.config import SETTINGS, default_path
from exhunt.filehunt import codehunt


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "exhunt.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_file_settings_reach_the_hunt_options_and_the_cli_wins(tmp_path: Path) -> None:
    cfg = _write(
        tmp_path,
        "[hunt]\nevtx_threads = 3\nfile_scan_timeout = 5\ncode_analysis_timeout = 20\nmax_file_size = 8\njobs = 2\n"
        'yara = ["rules/yara"]\nsigma = ["sigma"]\nsigma_levels = "levels.toml"\nsplit_by_computer = true\n'
        'unit_timeout = 12\nallowlist = ["/abs/allow.csv"]\nno_code_analysis = true\n[output]\nno_color = true\n',
    )
    args = parse(["hunt", "evidence", "--config", str(cfg), "--yara", "mine.yar", "--jobs", "1", "--sigma", "more"])
    options = hunt_options(args)
    assert options.settings["evtx_threads"] == 3 and options.settings["file_scan_timeout"] == 5
    assert options.settings["code_analysis_timeout"] == 20
    assert options.sigma_paths == (str((tmp_path / "sigma").resolve()), "more")
    assert options.sigma_levels == str((tmp_path / "levels.toml").resolve())
    assert options.unit_timeout == 12 and args.split_by_computer is True
    assert options.max_file_size == 8 * 1024 * 1024
    assert options.extra_yara_paths == (str((tmp_path / "rules/yara").resolve()), "mine.yar")
    assert options.allowlist_paths == ("/abs/allow.csv",)
    assert args.jobs == 1 and args.no_color is True
    assert options.settings["code_analysis"] is False
    assert "code_analysis" not in hunt_options(parse(["hunt", "evidence"])).settings


def test_the_code_analysis_timeout_left_unset_is_the_analysis_own() -> None:
    # The option's help says 5: the deadline the analysis takes when none is given.
    settings = hunt_options(parse(["hunt", "evidence"])).settings
    assert "code_analysis_timeout" not in settings
    assert codehunt.deadline(settings) == DEFAULT_DEADLINE == 5


def test_the_code_analysis_deadline_grows_with_the_file_up_to_the_parsed_part() -> None:
    # A large generated file gets 5 s more per MiB; bytes past what the parser reads add nothing,
    # so no file can hold a worker longer than 5 + 5 * 4 s.
    mib = 1024 * 1024
    settings = hunt_options(parse(["hunt", "evidence"])).settings
    assert codehunt.deadline(settings, 0) == 5
    assert codehunt.deadline(settings, mib) == 10
    assert codehunt.deadline(settings, 800 * 1024) == pytest.approx(5 + 5 * 800 / 1024)
    assert codehunt.deadline(settings, 4 * mib) == codehunt.deadline(settings, 400 * mib) == 25
    given = hunt_options(parse(["hunt", "evidence", "--code-analysis-timeout", "2"])).settings
    assert codehunt.deadline(given, mib // 2) == 4.5


def test_scan_settings_from_the_environment_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _write(tmp_path, '[scan]\nconcurrency = 7\ntimeout = 2.5\ncheck = ["proxylogon"]\nno_db = true\n')
    monkeypatch.setenv("EXHUNT_CONFIG", str(cfg))
    args = parse(["scan", "192.0.2.1"])
    assert (args.concurrency, args.timeout, args.check, args.no_db) == (7, 2.5, ["proxylogon"], True)


def test_every_setting_is_an_option_of_its_command() -> None:
    for s in SETTINGS:
        for command in ("hunt", "scan") if s.section == "output" else (s.section,):
            args = parse([command, "x"])
            assert hasattr(args, s.dest), (command, s.key)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[hunt]\nevtx_thread = 2\n", "no setting 'evtx_thread'"),
        ("[hunt]\nevtx_threads = 'two'\n", "is not a whole number"),
        ("[hunt]\nevtx_threads = true\n", "is not a whole number"),
        ("[hunt]\nyara = 'one.yar'\n", "must be a list"),
        ("[hunts]\n", "unknown section"),
        ("[hunt\n", "not valid TOML"),
        ("[scan]\ntimeout = -1\n", "must not be negative"),
    ],
)
def test_a_wrong_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    cfg = _write(tmp_path, text)
    with pytest.raises(SystemExit) as stop:
        main(["hunt", "x", "--config", str(cfg)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert words in err and str(cfg) in err
    assert main(["config", "show", "--config", str(cfg)]) == 2


def test_a_named_file_must_exist_the_default_need_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXHUNT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    assert main(["config", "show"]) == 0
    assert "built-in defaults" in capsys.readouterr().out
    assert default_path() == tmp_path / "nowhere" / "exhunt" / "config.toml"
    assert main(["config", "show", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "no such configuration file" in capsys.readouterr().err


def test_config_show_prints_the_effective_settings_and_their_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "exhunt").mkdir()
    cfg = _write(tmp_path / "exhunt", "")
    cfg.rename(tmp_path / "exhunt" / "config.toml")
    (tmp_path / "exhunt" / "config.toml").write_text(
        '[hunt]\nevtx_threads = 4\nsigma = ["/abs/sigma"]\n[scan]\nconcurrency = 9\n'
    )
    assert main(["config", "show"]) == 0
    text = capsys.readouterr().out
    assert "evtx_threads = 4" in text and "concurrency = 9" in text and "per_rule = 5" in text
    assert 'sigma = ["/abs/sigma"]' in text and "split_by_computer = false" in text
    assert main(["config", "show", "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["hunt"]["evtx_threads"] == {"value": 4, "from": str(tmp_path / "exhunt" / "config.toml")}
    assert doc["settings"]["hunt"]["per_rule"]["from"] == "default"
    assert set(doc["settings"]["hunt"]) == {s.key for s in SETTINGS if s.section == "hunt"}


def test_every_problem_of_a_file_is_named_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Four mistakes are four lines to fix, not four runs to find them."""
    cfg = _write(tmp_path, "[hunt]\njobs = -3\nmax_file_size = 'big'\nfoo = 1\n[scan]\nrate = 'fast'\n[bogus]\n")
    with pytest.raises(SystemExit) as stop:
        main(["hunt", "x", "--config", str(cfg)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "5 problems" in err and len(err.strip().splitlines()) == 1
    for words in (
        "jobs: -3 must not be negative",
        "'big' is not a whole number",
        "no setting 'foo'",
        "rate: 'fast' is not a number",
        "unknown section [bogus]",
    ):
        assert words in err, words


def test_exhunt_db_wins_over_the_file_and_config_show_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Precedence: file < environment < command line. A case's $EXHUNT_DB must not be silently
    # replaced by a shared file's store, and `config show` must name the store actually used.
    cfg = _write(tmp_path, '[scan]\ndb = "team.sqlite"\n')
    env_db = str(tmp_path / "case42.sqlite")
    monkeypatch.setenv("EXHUNT_DB", env_db)
    assert parse(["scan", "192.0.2.1", "--config", str(cfg)]).db is None  # so the store is $EXHUNT_DB's
    assert str(parse(["scan", "192.0.2.1", "--config", str(cfg), "--db", "cli.sqlite"]).db) == "cli.sqlite"
    assert main(["config", "show", "--config", str(cfg), "--json", "-"]) == 0
    db = json.loads(capsys.readouterr().out)["settings"]["scan"]["db"]
    assert db["value"] == env_db
    assert db["from"].startswith("$EXHUNT_DB, over ") and "team.sqlite" in db["from"]
    monkeypatch.delenv("EXHUNT_DB")
    assert str(parse(["scan", "192.0.2.1", "--config", str(cfg)]).db) == str((tmp_path / "team.sqlite").resolve())
    assert main(["config", "show", "--config", str(cfg), "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"]["scan"]["db"]["from"] == str(cfg)
    # Without a file, the environment's store is still the one shown, not "(unset)".
    monkeypatch.setenv("EXHUNT_DB", env_db)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    assert main(["config", "show"]) == 0
    assert f'db = "{env_db}"' in capsys.readouterr().out
