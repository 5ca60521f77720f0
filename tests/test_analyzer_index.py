"""The index of which analyzer modules a hunt imports for its evidence matches the modules."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import exhunt.analyzers as analyzers
from exhunt.model import ArtefactKind


def _modules() -> dict[str, list[object]]:
    return {
        m.name: list(getattr(importlib.import_module(f"exhunt.analyzers.{m.name}"), "ANALYZERS", ()))
        for m in pkgutil.iter_modules(analyzers.__path__)
    }


def test_every_analyzer_is_indexed_under_its_module() -> None:
    for module, found in _modules().items():
        for analyzer in found:
            if isinstance(analyzer, analyzers.FileAnalyzer):
                for kind in analyzer.kinds:
                    assert module in analyzers.KIND_MODULES[kind], (module, kind)
            if isinstance(analyzer, analyzers.HostAnalyzer) or hasattr(analyzer, "load_rules"):
                assert module in analyzers.HOST_MODULES, module


def test_the_index_names_no_module_without_such_analyzers() -> None:
    modules = _modules()
    assert set(analyzers.KIND_MODULES) == set(ArtefactKind)
    for kind, names in analyzers.KIND_MODULES.items():
        for name in names:
            assert any(isinstance(a, analyzers.FileAnalyzer) and kind in a.kinds for a in modules[name]), (kind, name)
    for name in analyzers.HOST_MODULES:
        assert any(isinstance(a, analyzers.HostAnalyzer) for a in modules[name]), name


def test_lookups_by_kind_are_those_of_the_whole_registry_in_its_order() -> None:
    every = list(analyzers.registry().values())
    for kind in ArtefactKind:
        expected = tuple(a for a in every if isinstance(a, analyzers.FileAnalyzer) and kind in a.kinds)
        assert analyzers.file_analyzers(kind) == expected
    assert analyzers.host_analyzers() == tuple(a for a in every if isinstance(a, analyzers.HostAnalyzer))
    for name, analyzer in analyzers.registry().items():
        assert analyzers.analyzer_named(name) is analyzer


LOG = (
    "#Software: Microsoft Exchange Server\n#Version: 15.01.2176.002\n#Log-type: HttpProxy Logs\n"
    "#Date: 2021-03-02T00:00:00.000Z\n#Fields: DateTime,RequestId,Method,UrlStem\n"
    "2021-03-02T00:00:01.000Z,1,GET,/owa/\n"
)


def test_a_log_hunt_imports_neither_the_event_log_nor_the_file_hunt_analyzers(tmp_path: Path) -> None:
    folder = tmp_path / "EX01" / "Logging" / "HttpProxy" / "Owa"
    folder.mkdir(parents=True)
    (folder / "HttpProxy_2021030200-1.LOG").write_text(LOG)
    script = (
        "import sys\n"
        "from exhunt.cli import main\n"
        "try:\n"
        f"    main(['hunt', {str(tmp_path / 'EX01')!r}, '-q', '--json', {str(tmp_path / 'out.json')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('exhunt.analyzers.')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = done.stdout.strip().splitlines()[-1]
    assert (tmp_path / "out.json").is_file(), done.stderr
    assert "exhunt.analyzers.httpproxy" in loaded
    assert "exhunt.analyzers.events'" not in loaded and "exhunt.analyzers.files'" not in loaded, loaded
