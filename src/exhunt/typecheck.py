"""Check a decoded model value against its own type hints, and say where it went wrong.

A results file edited by hand (or by an attacker) may hold any JSON: a list where an address
belongs, a number in a list of rule ids. The model's decoders build objects from whatever they
are given; this walks what they built, field by field along the dataclasses' type hints, and
names the first value of the wrong type by its JSON path (`$.hosts[0].incidents[2].source_ip`).
It checks any decoder's output (the codec names the path of what it refuses itself), so a new
schema version needs no second validator.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")


class WrongType(ValueError):
    """A value does not have the type its field declares. `path` is its JSON path."""

    def __init__(self, path: str, expected: str, found: object) -> None:
        super().__init__(f"{path}: expected {expected}, found {_describe(found)}")
        self.path = path


def _describe(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'...' if len(text) > 60 else ''}"


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def check(value: object, hint: Any = None, path: str = "$") -> None:
    """Raise `WrongType` at the first value that does not match `hint` (default: its own class)."""
    if hint is None:
        hint = type(value)
    _check(value, hint, path)


def _check(value: object, hint: Any, path: str) -> None:
    if hint is Any or hint is object:
        return
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        errors: list[WrongType] = []
        for option in options:
            try:
                _check(value, option, path)
                return
            except WrongType as exc:
                errors.append(exc)
        raise WrongType(path, " or ".join(_name(o) for o in options), value)
    if hint is type(None):
        if value is not None:
            raise WrongType(path, "null", value)
        return
    if origin in (list, tuple, dict):
        if not isinstance(value, origin):
            raise WrongType(path, _name(hint), value)
        args = typing.get_args(hint)
        if origin is dict:
            key_hint, value_hint = args or (Any, Any)
            for key, item in value.items():
                _check(key, key_hint, f"{path}.{key}")
                _check(item, value_hint, f"{path}.{key}")
        elif origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise WrongType(path, f"{len(args)} items", value)
            for index, (item, item_hint) in enumerate(zip(value, args, strict=True)):
                _check(item, item_hint, f"{path}[{index}]")
        else:
            item_hint = args[0] if args else Any
            for index, item in enumerate(value):
                _check(item, item_hint, f"{path}[{index}]")
        return
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, hint):
                raise WrongType(path, hint.__name__, value)
            hints = _hints(hint)
            for field in dataclasses.fields(hint):
                _check(getattr(value, field.name), hints[field.name], f"{path}.{field.name}")
            return
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return
        if hint is int and isinstance(value, bool):
            raise WrongType(path, "int", value)
        if not isinstance(value, hint):
            raise WrongType(path, _name(hint), value)
        return
    # Literal and other typing forms the model does not use: accept.


def _name(hint: Any) -> str:
    if hint is type(None):
        return "null"
    if isinstance(hint, type):
        return {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false"}.get(
            hint.__name__, hint.__name__
        )
    return str(hint).replace("typing.", "")


def decode(data: object, decoder: typing.Callable[[Any], T]) -> T:
    """`decoder(data)`, then checked against the type hints of what it returns: `WrongType`
    (a `ValueError` naming the JSON path) for the first value the decoder let through."""
    value = decoder(data)
    check(value)
    return value
