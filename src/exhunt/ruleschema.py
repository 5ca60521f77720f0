"""Turning a rule's TOML parameters into its detector's typed, frozen parameter object.

Each detector kind declares its parameters as a frozen dataclass (`exhunt.ruleparams`). At
catalog load the rule's keys are checked against that class: every unknown key, every missing
key without a default, every value of the wrong type and every regex that does not compile is
one `ParamProblem` naming the key. All problems of a rule are collected, not just the first.

Field types understood: `str`, `int`, `bool`, `tuple[X, ...]`, `frozenset[str]`,
`dict[str, str]`, `re.Pattern[str]` (compiled case-blind, `.` matching newlines) and
`Annotated[T, LOWER]` (strings lower-cased at load) or `Annotated[T, REGEX]` (strings that must
compile as regular expressions but stay text, e.g. for the hyperscan prefilter).
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

LOWER = "lower"
REGEX = "regex"
REGEX_FLAGS = re.IGNORECASE | re.DOTALL


@dataclass(frozen=True)
class ParamProblem:
    key: str
    message: str


class _Bad(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def build_params(cls: type, raw: Mapping[str, Any]) -> tuple[Any, list[ParamProblem]]:
    """An instance of `cls` from `raw`, or None with every problem found."""
    problems: list[ParamProblem] = []
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    values: dict[str, Any] = {}
    for key in sorted(set(raw) - set(fields)):
        known = ", ".join(sorted(fields)) or "none"
        problems.append(ParamProblem(key, f"unknown parameter (this detector reads: {known})"))
    for name, f in fields.items():
        if name not in raw:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                problems.append(ParamProblem(name, "missing parameter"))
            continue
        try:
            values[name] = convert(raw[name], hints[name])
        except _Bad as exc:
            problems.append(ParamProblem(name, exc.message))
    if problems:
        return None, problems
    made = cls(**values)
    check = getattr(made, "problems", None)
    later = [ParamProblem(key, message) for key, message in check()] if check else []
    return (None, later) if later else (made, [])


def convert(value: Any, hint: Any, marks: tuple[object, ...] = ()) -> Any:
    """`value` read from TOML as `hint`; raises _Bad with a message for the user."""
    origin = typing.get_origin(hint)
    if origin is Annotated:
        inner, *extra = typing.get_args(hint)
        return convert(value, inner, marks + tuple(extra))
    if hint is str:
        if not isinstance(value, str):
            raise _Bad(f"expected a string, got {_kind(value)}")
        if REGEX in marks:
            _compile(value)
        return value.lower() if LOWER in marks else value
    if hint is bool:
        if not isinstance(value, bool):
            raise _Bad(f"expected true or false, got {_kind(value)}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _Bad(f"expected an integer, got {_kind(value)}")
        return value
    if hint is re.Pattern or origin is re.Pattern:
        if not isinstance(value, str):
            raise _Bad(f"expected a regular expression (a string), got {_kind(value)}")
        return _compile(value)
    if origin in (tuple, frozenset):
        if not isinstance(value, list):
            raise _Bad(f"expected a list, got {_kind(value)}")
        item = typing.get_args(hint)[0]
        items = []
        for i, entry in enumerate(value):
            try:
                items.append(convert(entry, item, marks))
            except _Bad as exc:
                raise _Bad(f"item {i + 1}: {exc.message}") from None
        return tuple(items) if origin is tuple else frozenset(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise _Bad(f"expected a table, got {_kind(value)}")
        key_hint, value_hint = typing.get_args(hint)
        return {convert(k, key_hint): convert(v, value_hint) for k, v in value.items()}
    raise TypeError(f"unsupported parameter type {hint!r}")


def _compile(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text, REGEX_FLAGS)
    except re.error as exc:
        raise _Bad(f"regular expression does not compile: {exc}") from None


def _kind(value: Any) -> str:
    names = {str: "a string", int: "an integer", bool: "a boolean", list: "a list", dict: "a table", float: "a number"}
    return names.get(type(value), type(value).__name__)
