from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Tests of Ctrl-C need it delivered. A shell starts a background job (`pytest ... &`, nohup)
    with SIGINT ignored, and exhunt rightly leaves an ignored SIGINT alone; give the test run the
    interpreter's own handler, as in a terminal, so those tests test the same thing either way."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def shared_data() -> Path:
    """The public test data beside the clone; tests using it skip with a reason when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (only present beside a CI clone)")
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def _private_stores_of_shared_fixtures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fixtures shared by a module run before each test's own stores and caches are set (below):
    they too keep theirs out of the user's home (a store left there by another version of exhunt
    would fail them), and read no configuration file of the person running the tests."""
    with pytest.MonkeyPatch.context() as patch:
        stores = tmp_path_factory.mktemp("shared-stores")
        patch.setenv("EXHUNT_DB", str(stores / "scans.sqlite"))
        patch.setenv("EXHUNT_CACHE", str(stores / "cache"))
        patch.setenv("EXHUNT_SIGMA_CACHE", str(stores / "sigma-cache"))
        patch.delenv("EXHUNT_CONFIG", raising=False)
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("shared-no-user-config")))
        yield


@pytest.fixture(autouse=True)
def _private_stores(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hunts and scans are stored by default, compiled Hyperscan databases and Sigma rules cached:
    keep each test's stores and caches out of the user's home."""
    stores = tmp_path_factory.mktemp("stores")
    monkeypatch.setenv("EXHUNT_DB", str(stores / "scans.sqlite"))
    monkeypatch.setenv("EXHUNT_CACHE", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("EXHUNT_SIGMA_CACHE", str(stores / "sigma-cache"))


@pytest.fixture(autouse=True)
def _shipped_rules_only() -> Iterator[None]:
    """A test that hunts with rule files of its own leaves them in the process's catalog (one
    command per process is all the product needs): the next test starts from the shipped rules."""
    yield
    from exhunt.rules import use

    use(())


@pytest.fixture(autouse=True)
def _no_cache_notes() -> None:
    """What one test's caches met (`cachefile.note`) is not shown in another's hunt."""
    from exhunt import cachefile

    cachefile.forget_notes()


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


try:  # property tests: a short run in CI, a long one on demand (HYPOTHESIS_PROFILE=long)
    import os as _os

    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
    )
    settings.register_profile("long", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "ci"))
except ImportError:  # hypothesis is a test extra; the property tests skip without it
    pass
