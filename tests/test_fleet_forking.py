"""Which command lines start the LocalCluster's fork server before the arguments are parsed."""

from __future__ import annotations

import pytest

from exhunt.fleet.forking import is_local, local_scheduler_in


@pytest.mark.parametrize(
    "argv",
    [
        ["hunt", "cases/", "--scheduler", "local:2"],
        ["hunt", "--scheduler", "local", "cases/"],
        ["hunt", "cases/", "-q", "--scheduler=local:8", "--json", "out.json"],
    ],
)
def test_a_local_cluster_is_seen_before_parsing(argv: list[str]) -> None:
    assert local_scheduler_in(argv)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["hunt", "cases/"],
        ["hunt", "cases/", "--jobs", "2"],
        ["hunt", "cases/", "--scheduler", "tcp://10.0.0.5:8786"],
        ["hunt", "cases/", "--scheduler=tcp://local:8786"],
        ["hunt", "--", "--scheduler", "local:2"],  # a path named like the option, not the option
        ["hunt", "cases/", "--scheduler"],  # no value: the parser reports it
        ["scan", "build/", "--scheduler", "local:2"],  # not a hunt
        ["report", "--scheduler", "local"],
    ],
)
def test_anything_else_waits_for_the_parser(argv: list[str]) -> None:
    assert not local_scheduler_in(argv)


def test_local_names() -> None:
    assert is_local("local") and is_local("local:4")
    assert not is_local("localhost:8786") and not is_local("tcp://local:8786")
