"""Collection recipes: they parse, name every path exhunt reads, and what they produce is hunted
with the right layout and host name."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from exhunt.cli import main
from exhunt.collect import collected_by, collection, items, kape_target, powershell_script, velociraptor_artifact
from exhunt.registry import collection_paths

EX01 = REPO / "examples" / "EX01-compromised"


def _example_files() -> list[tuple[Path, str]]:
    """(file, its Windows path on the server) for the example server's disk mirror."""
    files = sorted(p for p in (EX01 / "C").rglob("*") if p.is_file())
    return [(p, "C:\\" + "\\".join(p.relative_to(EX01 / "C").parts)) for p in files]


def test_kape_target_parses_with_the_fields_kape_needs_and_names_every_path() -> None:
    doc = yaml.safe_load(kape_target())
    assert {"Description", "Author", "Version", "Id", "RecreateDirectories", "Targets"} <= set(doc)
    targets = doc["Targets"]
    for t in targets:
        assert {"Name", "Category", "Path", "FileMask", "Recursive"} <= set(t)
        assert t["Path"].endswith("\\") and t["Path"][1:3] == ":\\"
    pairs = {(t["Path"], t["FileMask"], t["Recursive"]) for t in targets}
    variables = {"ExchangeInstallPath": r"C:\Program Files\Microsoft\Exchange Server\V15"}
    for it in items():
        folder = it.folder_with(
            variables | {"SystemRoot": r"C:\Windows", "SystemDrive": "C:", "ProgramData": r"C:\ProgramData"}
        )
        assert (folder + "\\", it.mask, it.recursive) in pairs, it.pattern
    assert len(targets) == len(collection_paths())


def test_kape_target_follows_a_given_install_path() -> None:
    doc = yaml.safe_load(kape_target(r"D:\Exchange\V15"))
    paths = [t["Path"] for t in doc["Targets"]]
    assert r"D:\Exchange\V15\Logging\HttpProxy" + "\\" in paths
    assert not any("Program Files\\Microsoft" in p for p in paths)


def test_velociraptor_artifact_parses_with_the_fields_velociraptor_needs() -> None:
    doc = yaml.safe_load(velociraptor_artifact())
    assert doc["name"].startswith("Custom.") and doc["type"] == "CLIENT" and doc["description"]
    assert [p["name"] for p in doc["parameters"]] == ["ExchangeInstallPath"]
    (source,) = doc["sources"]
    query = source["query"]
    for _, pattern in collection_paths():
        assert f"'''{pattern}'''" in query
    assert "upload(" in query and "glob(" in query and "MsiInstallPath" in query


def test_powershell_script_names_every_path_and_reads_the_install_from_the_registry() -> None:
    script = powershell_script()
    assert script.splitlines()[0].startswith("#") and "param(" in script
    for it in items():
        assert f"'{it.folder}', '{it.mask}', ${str(it.recursive).lower()}" in script, it.pattern
    assert "MsiInstallPath" in script and "$env:COMPUTERNAME" in script and "Compress-Archive" in script


def test_the_recipes_are_the_registry() -> None:
    assert [(kind, pattern) for kind, _, pattern in collection()] == collection_paths()


def test_the_recipes_take_every_file_of_the_example_server() -> None:
    missing = [windows for _, windows in _example_files() if collected_by(windows) is None]
    assert missing == []


def test_collect_command_writes_each_recipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["collect", "--print", "kape"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["Targets"]
    out = tmp_path / "a.yaml"
    assert main(["collect", "--print", "velociraptor", "-o", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["name"]
    with pytest.raises(SystemExit):
        main(["collect", "--print", "nmap"])


def test_collect_takes_the_recipe_as_a_word(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`exhunt collect kape` is what a user types first; `--print kape` stays the same recipe."""
    assert main(["collect", "powershell"]) == 0
    word = capsys.readouterr().out
    assert main(["collect", "--print", "powershell"]) == 0
    assert capsys.readouterr().out == word and "exhunt-collect.ps1" in word
    assert main(["collect", "kape", "--print", "kape"]) == 0
    capsys.readouterr()
    assert main(["collect"]) == 2
    assert "say which recipe: kape, powershell, velociraptor" in capsys.readouterr().err
    assert main(["collect", "kape", "--print", "velociraptor"]) == 2
    assert "two recipes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["collect", "nmap"])


def _hunt(path: Path, tmp_path: Path) -> dict:
    out = tmp_path / "result.json"
    assert main(["hunt", str(path), "-q", "--json", str(out)]) == 1
    return json.loads(out.read_text())


def test_a_kape_collection_is_hunted_as_kape(tmp_path: Path) -> None:
    tdest = tmp_path / "EX01"
    for path, windows in _example_files():
        target = tdest / windows[0] / Path(*windows[3:].split("\\"))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (tdest / "2026-12-02T120000_ExhuntExchange_CopyLog.csv").write_text("CopiedTimestamp,SourceFile\n")
    (host,) = _hunt(tdest, tmp_path)["hosts"]
    assert (host["host"], host["layout"], host["verdict"]) == ("EX01", "kape", "compromised")


def test_a_velociraptor_collection_is_hunted_as_velociraptor(tmp_path: Path) -> None:
    archive = tmp_path / "Collection-EX01-2026-12-02T12_00_00Z.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path, windows in _example_files():
            zf.write(path, "uploads/auto/C%3A/" + windows[3:].replace("\\", "/"))
        zf.writestr("client_info.json", json.dumps({"Hostname": "EX01", "Fqdn": "EX01.corp.example.net"}))
    (host,) = _hunt(archive, tmp_path)["hosts"]
    assert host["layout"] == "velociraptor" and host["host"].upper().startswith("EX01")
    assert host["verdict"] == "compromised"


def test_the_powershell_collection_zip_is_hunted_as_a_disk_mirror(tmp_path: Path) -> None:
    archive = tmp_path / "EX01.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path, windows in _example_files():
            zf.write(path, "EX01/C/" + windows[3:].replace("\\", "/"))
        zf.writestr("EX01/exhunt-collection-errors.txt", "")
    (host,) = _hunt(archive, tmp_path)["hosts"]
    assert (host["host"], host["layout"], host["verdict"]) == ("EX01", "disk-mirror", "compromised")
