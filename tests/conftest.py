from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The public test data beside the clone; tests using it skip with a reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (only present beside a CI clone)")
    return SHARED_DATA


@pytest.fixture
def otrf_host(shared_data: Path, tmp_path: Path) -> Path:
    """A host folder holding the OTRF ProxyLogon event export, unzipped."""
    import zipfile

    host = tmp_path / "EXCH01"
    host.mkdir()
    with zipfile.ZipFile(shared_data / "events" / "proxylogon_ssrf_rce_poc.zip") as zf:
        zf.extractall(host)
    return host


@pytest.fixture(scope="session")
def _no_user_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("no-user-config")


@pytest.fixture(autouse=True)
def _no_user_config(monkeypatch: pytest.MonkeyPatch, _no_user_config_dir: Path) -> None:
    """A configuration file of the person running the tests must not change what they assert."""
    monkeypatch.delenv("EXHUNT_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(_no_user_config_dir))
