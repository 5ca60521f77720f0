"""The documentation the rules and the code cite is in docs/, every anchor they name exists, and
every example command line in the README and docs/ is one exhunt accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

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


# Working notes kept outside the repository: a user has none of them, so nothing shipped cites them.
RESEARCH_NOTES = ("detection-spec", "indicators.md", "DESIGN.md", "peers-and-building-blocks", "STYLE.md")


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
            assert not any(note in ref for note in RESEARCH_NOTES), (rule.id, ref)
            for cited in REFERENCE.findall(ref):
                assert _resolves(cited), (rule.id, ref)


def test_every_rule_reference_to_the_code_names_a_module_or_folder_that_exists() -> None:
    # A rule's `exhunt/...` reference tells a reader where its detector lives; a module moved or
    # split must take its rules' references along.
    named = 0
    for rule in catalog().values():
        for ref in rule.references:
            if ref.startswith("exhunt/"):
                named += 1
                assert next((REPO / "src").glob(ref), None) is not None, (rule.id, ref)  # a file, a folder or a pattern
    assert named > 60


def test_every_docs_reference_in_the_code_resolves() -> None:
    cited = 0
    for path in [*REPO.joinpath("src").rglob("*"), *DOCS.rglob("*.md"), REPO / "README.md"]:
        if not path.is_file() or path.suffix not in (".py", ".toml", ".yar", ".tsv", ".md", ".j2"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not [note for note in RESEARCH_NOTES if note in text], path
        for ref in REFERENCE.findall(text):
            cited += 1
            assert _resolves(ref), (path, ref)
    assert cited > 70


def test_anchor_reading_matches_a_known_heading() -> None:
    assert "test-proxylogon-checks" in _anchors(DOCS / "detection" / "proxylogon.md")
    assert not _resolves("docs/logs.md#no-such-heading")


def _example_commands() -> list[tuple[str, str]]:
    """Every `exhunt ...` line of the code blocks of the README and docs/, as (where, line)."""
    found = []
    for page in [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]:
        fenced = False
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif fenced and line.lstrip().startswith("exhunt "):
                found.append((f"{page.relative_to(REPO)}:{number}", line.strip()))
    return found


def test_every_example_command_in_the_docs_parses(capsys: pytest.CaptureFixture[str]) -> None:
    """A reader copies them: each must be a command line exhunt accepts (only parsed, not run)."""
    from exhunt.cli import parse

    examples = _example_commands()
    assert len(examples) > 30
    for where, line in examples:
        words = shlex.split(line.replace("\\", "/"), comments=True)
        for cut in ("|", ">"):
            words = words[: words.index(cut)] if cut in words else words
        try:
            parse(words[1:])
        except SystemExit as exc:
            pytest.fail(f"{where}: {line!r} does not parse (exit {exc.code}): {capsys.readouterr().err.strip()}")
