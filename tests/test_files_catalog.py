"""The file hunt's rules are consistent: every YARA rule explains itself through a catalog rule,
and every catalog rule of the area is raised by something (its detector, or its id)."""

from __future__ import annotations

import re
import tomllib

from conftest import REPO
from exhunt.filehunt.contentrules import shipped_sources
from exhunt.rules import catalog

AREA = REPO / "src" / "exhunt" / "data" / "rules" / "files.toml"
SRC = REPO / "src" / "exhunt"
CODE = [SRC / "analyzers" / "files.py", SRC / "analyzers" / "iisconfig.py", *sorted((SRC / "filehunt").glob("*.py"))]


def _yara_ids() -> dict[str, str]:
    out: dict[str, str] = {}
    for origin, text in shipped_sources():
        for private, name, body in re.findall(r"^(private\s+)?rule\s+(\w+)\s*\{(.*?)^\}", text, re.M | re.S):
            found = re.search(r'exhunt_id\s*=\s*"([^"]+)"', body)
            if not private:
                assert found, f"{origin}: rule {name} names no exhunt_id"
                out[name] = found.group(1)
    return out


def test_every_shipped_yara_rule_names_a_catalog_rule() -> None:
    ids = _yara_ids()
    assert len(ids) >= 12
    rules = catalog()
    for name, rule_id in ids.items():
        assert rule_id in rules, (name, rule_id)


def test_every_file_hunt_rule_is_raised_somewhere() -> None:
    area = tomllib.loads(AREA.read_text(encoding="utf-8"))
    used = set(_yara_ids().values())
    code = "\n".join(p.read_text(encoding="utf-8") for p in CODE if p.exists())
    used |= set(re.findall(r'"(EXH-[A-Z0-9-]+)"', code))
    # most are run by their detector's name (every rule of that name, each with its parameters)
    used |= {rule_id for rule_id, body in area.items() if f'"{body["detector"]}"' in code}
    assert set(area) - used == set()


def test_file_hunt_rules_use_the_agreed_categories() -> None:
    allowed = {
        "exploitation",
        "exploitation-attempt",
        "webshell",
        "webshell-access",
        "post-exploitation",
        "credential-access",
        "persistence",
        "staging",
        "reconnaissance",
        "mitigation",
        "configuration",
    }
    area = tomllib.loads(AREA.read_text(encoding="utf-8"))
    for rule_id, body in area.items():
        assert body["category"] in allowed, rule_id
        assert rule_id.startswith(("EXH-WS-", "EXH-FS-", "EXH-IIS-")), rule_id
        assert body.get("references"), rule_id
