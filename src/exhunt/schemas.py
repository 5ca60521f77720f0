"""The JSON Schemas of exhunt's JSON contracts, shipped in the package (`data/schemas/`).

One file per contract, named after it: `exhunt.hunt/2` is `exhunt.hunt-1.schema.json`. They
refer to each other by file name, so a validator needs them all: `validate` loads them into one
registry. `jsonschema` is needed only to validate, not to use exhunt.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

SUFFIX = ".schema.json"


def file_name(contract: str) -> str:
    """`exhunt.hunt/2` -> `exhunt.hunt-1.schema.json`."""
    return contract.replace("/", "-") + SUFFIX


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """Every shipped schema by its contract name (`exhunt.hunt/2`...)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in resources.files("exhunt").joinpath("data", "schemas").iterdir():
        if entry.name.endswith(SUFFIX):
            schema = json.loads(entry.read_text(encoding="utf-8"))
            found[str(schema["title"])] = schema
    return found


def validate(document: Any, contract: str) -> None:
    """Raise `jsonschema.ValidationError` unless `document` follows `contract`."""
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry()
    for schema in schemas().values():
        resource = Resource.from_contents(schema)
        registry = registry.with_resource(file_name(schema["title"]), resource)
        registry = registry.with_resource(schema["$id"], resource)
    schema = schemas()[contract]
    validator = jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(document)
