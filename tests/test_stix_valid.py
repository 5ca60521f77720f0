"""The STIX bundle passes the OASIS validator (stix2-validator) with no errors."""

from __future__ import annotations

import pytest
from stix2validator import ValidationOptions, validate_string

from conftest import REPO
from exhunt.analyzers import HuntOptions
from exhunt.evidence import discover
from exhunt.hunt import hunt_hosts
from exhunt.report.stix import build_bundle
from test_report_fixtures import HOSTILE, clean_host, compromised_host, hunt


def _errors(text: str) -> list[str]:
    results = validate_string(text, ValidationOptions(version="2.1"))
    return [str(e) for e in results.errors]


@pytest.fixture(scope="module")
def examples_bundle() -> str:
    result = hunt_hosts(discover(str(REPO / "examples")), HuntOptions(), jobs=1)
    return str(build_bundle(result).serialize(pretty=True))


def test_bundle_of_the_examples_has_no_validator_errors(examples_bundle: str) -> None:
    assert '"http-request-ext"' in examples_bundle and '"request_header"' in examples_bundle
    assert _errors(examples_bundle) == []


def test_bundle_of_hostile_findings_has_no_validator_errors() -> None:
    text = str(build_bundle(hunt(compromised_host(HOSTILE), clean_host())).serialize())
    assert _errors(text) == []


def test_the_validator_does_catch_a_header_that_is_not_a_list(examples_bundle: str) -> None:
    """The check can fail: the bare-string header the bundle used to carry is an error."""
    marker = '"User-Agent": ['
    start = examples_bundle.index(marker)
    end = examples_bundle.index("]", start)
    value = examples_bundle[start + len(marker) : end].strip()
    broken = examples_bundle[:start] + f'"User-Agent": {value}' + examples_bundle[end + 1 :]
    assert any("User-Agent" in e for e in _errors(broken))
