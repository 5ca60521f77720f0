"""The documentation the rules and the code cite is in docs/, and every anchor they name exists."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO
from exhunt.rules import catalog

DOCS = REPO / "docs"
REFERENCE = re.compile(r"docs/[\w./-]*[\w/](?:#[\w-]+)?")


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return found


def _resolves(reference: str) -> bool:
    path, _, anchor = reference.partition("#")
    target = REPO / path
    if not target.exists():
        return False
    return not anchor or (target.is_file() and anchor in _anchors(target))


def test_every_rule_reference_is_a_docs_page_or_a_public_source() -> None:
    for rule in catalog().values():
        assert rule.references, rule.id
        for ref in rule.references:
            assert not ref.startswith("detection-spec"), (rule.id, ref)
            for cited in REFERENCE.findall(ref):
                assert _resolves(cited), (rule.id, ref)


def test_every_docs_reference_in_the_code_resolves() -> None:
    cited = 0
    for path in [*REPO.joinpath("src").rglob("*"), REPO / "README.md"]:
        if not path.is_file() or path.suffix not in (".py", ".toml", ".yar", ".tsv", ".md", ".j2"):
            continue
        text = path.read_text(encoding="utf-8")
        assert "detection-spec" not in text, path
        for ref in REFERENCE.findall(text):
            cited += 1
            assert _resolves(ref), (path, ref)
    assert cited > 70


def test_anchor_reading_matches_a_known_heading() -> None:
    assert "test-proxylogon-checks" in _anchors(DOCS / "detection" / "proxylogon.md")
    assert not _resolves("docs/logs.md#no-such-heading")
