"""One JSON codec for exhunt's dataclasses: `to_data` out, `from_data` back, loss-free.

The shape follows the field types: a dataclass is an object of its fields, an enum its value,
a datetime ISO 8601 UTC with a `Z`, a date ISO 8601, a tuple or list an array, a dict an object. Two field
markers (in `dataclasses.field(metadata=...)`) cover the rest:

- `PAIRS`: a tuple of (key, value) pairs written as an object (finding details), order kept;
- `OMIT_EMPTY`: left out when None or empty, so optional facets cost nothing when absent.

A field may also name its own forgiving reader (`field(metadata=read_with(fn))`), for parts a
hand-edited file may spoil without spoiling the rest (a host's build exposure).

Reading is lenient in the way old files need: a missing field takes its default, an unknown
one is ignored, so an `exhunt.hunt/1` document reads into today's classes.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum
from functools import cache
from operator import attrgetter
from typing import Any, TypeVar

PAIRS = "pairs"
OMIT_EMPTY = "omit_empty"
T = TypeVar("T")


# Field metadata: `field(default=None, metadata=OMIT)`.
OMIT: dict[str, frozenset[str]] = {"codec": frozenset({OMIT_EMPTY})}
AS_OBJECT: dict[str, frozenset[str]] = {"codec": frozenset({PAIRS})}


def read_with(reader: Callable[[Any], Any]) -> dict[str, Callable[[Any], Any]]:
    """Field metadata: read this field with `reader` (which never raises) instead of by its type."""
    return {"reader": reader}


def to_data(value: Any) -> Any:
    """JSON-ready data (dicts, lists, strings, numbers, None) for `value`."""
    cls = value.__class__
    if cls in _SCALARS:
        return value
    maker = _MAKERS.get(cls, _UNSEEN)
    if maker is _UNSEEN:
        maker = _MAKERS[cls] = _maker(cls)
    if maker is not None:
        return maker(value)
    if isinstance(value, (list, tuple)):
        return [v if v.__class__ in _SCALARS else to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, collections.abc.Sequence) and not isinstance(value, (str, bytes)):
        return [v if v.__class__ in _SCALARS else to_data(v) for v in value]  # e.g. spilled findings
    return value


_SCALARS = frozenset({str, int, float, bool, type(None)})
_EMPTIABLE = (tuple, list, dict, str)
# Per class: the function making a value's data (a dataclass, an enum, a datetime or a date),
# or None. Walking `dataclasses.fields` and their metadata for every value cost most of writing
# a hunt with thousands of findings; a loop over each class's fields and their markers, and the
# `isinstance` questions for each enum and time, much of what was left.
_MAKERS: dict[type, Callable[[Any], Any] | None] = {}
_UNSEEN: Any = object()


def _maker(cls: type) -> Callable[[Any], Any] | None:
    if dataclasses.is_dataclass(cls):
        return _dataclass_maker(cls)
    if issubclass(cls, Enum):
        return attrgetter("_value_")  # what `.value` gives, without the enum property's Python call
    if issubclass(cls, datetime):
        return _iso
    if issubclass(cls, date):
        return date.isoformat
    return None


def _dataclass_maker(cls: type) -> Callable[[Any], dict[str, Any]]:
    """The function making the data of a `cls` value: its fields in order, each as `to_data`
    makes it, one marked `OMIT_EMPTY` left out when None or empty (`in ((), [], {}, "")` would
    ask a facet's own `__eq__` four times), one marked `PAIRS` made an object."""
    lines = ["def make(value):", "    out = {}"]
    for f in dataclasses.fields(cls):
        marks = f.metadata.get("codec", frozenset())
        lines.append(f"    item = value.{f.name}")  # a field's name is an identifier
        indent = "    "
        if OMIT_EMPTY in marks:
            lines.append("    if not (item is None or (isinstance(item, _EMPTIABLE) and not item)):")
            indent = "        "
        if PAIRS in marks:
            lines.append(
                f"{indent}out[{f.name!r}] = {{(k if k.__class__ is str else str(k)):"
                " (v if v.__class__ in _SCALARS else to_data(v)) for k, v in item}"
            )
        else:  # most fields: no call needed
            lines.append(
                f"{indent}out[{f.name!r}] = item if item.__class__ in _SCALARS"
                " else (_MAKERS.get(item.__class__) or to_data)(item)"
            )
    lines.append("    return out")
    scope: dict[str, Any] = {"_SCALARS": _SCALARS, "_EMPTIABLE": _EMPTIABLE, "_MAKERS": _MAKERS, "to_data": to_data}
    exec("\n".join(lines), scope)  # code made here from the class's own field names
    made: Callable[[Any], dict[str, Any]] = scope["make"]
    return made


class CodecError(ValueError):
    """Data that does not fit the class it is read into; the message names the field."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bad or missing field: {message}")


def from_data(cls: type[T], data: Any, path: str = "$") -> T:
    """An instance of dataclass `cls` from what `to_data` wrote (or an older, sparser form).
    `path` is where `data` sits in the document: errors name the JSON path of the bad value."""
    if not isinstance(data, dict):
        raise CodecError(f"{path}: expected an object ({cls.__name__}), got {type(data).__name__}")
    hints = _hints(cls)  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        marks = f.metadata.get("codec", frozenset())
        raw = data[f.name]
        where = f"{path}.{f.name}"
        reader = f.metadata.get("reader")
        if reader is not None:
            kwargs[f.name] = reader(raw)
        elif PAIRS in marks:
            if raw is not None and not isinstance(raw, dict):
                raise CodecError(f"{where}: expected an object, got {type(raw).__name__}")
            kwargs[f.name] = tuple((str(k), str(v)) for k, v in (raw or {}).items())
        else:
            kwargs[f.name] = _read(raw, hints[f.name], where)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field missing
        raise CodecError(f"{path}: {cls.__name__}: {exc}") from None


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _read(raw: Any, hint: Any, where: str) -> Any:
    if hint is Any:
        return raw
    origin = typing.get_origin(hint)
    if origin is typing.Union or isinstance(hint, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if raw is None:
            return None
        return _read(raw, args[0], where) if len(args) == 1 else raw
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return from_data(hint, raw, where)
        if issubclass(hint, Enum):
            try:
                return hint(raw)
            except ValueError:
                raise CodecError(f"{where}: {raw!r} is not a {hint.__name__}") from None
        if hint is datetime:
            if not isinstance(raw, str):
                raise CodecError(f"{where}: expected a timestamp")
            try:
                return datetime.fromisoformat(raw.replace("Z", "+00:00"))
            except ValueError:
                raise CodecError(f"{where}: {raw[:40]!r} is not an ISO 8601 timestamp") from None
        if hint is date:
            try:
                return date.fromisoformat(raw) if isinstance(raw, str) else _not_a_date(where)
            except ValueError:
                raise CodecError(f"{where}: {raw[:40]!r} is not an ISO 8601 date") from None
        if hint is int and isinstance(raw, str) and raw.lstrip("-").isdigit():
            return int(raw)
        if hint in (str, int, float, bool):
            if not isinstance(raw, hint):
                raise CodecError(f"{where}: expected {hint.__name__}, got {type(raw).__name__}")
            return raw
    if origin in (tuple, list, collections.abc.Sequence):  # a Sequence is read as a list
        if not isinstance(raw, list):
            raise CodecError(f"{where}: expected an array")
        of = typing.get_args(hint)
        items = [_read(v, of[0], f"{where}[{i}]") for i, v in enumerate(raw)] if of else list(raw)
        return tuple(items) if origin is tuple else list(items)
    if origin is dict:
        if not isinstance(raw, dict):
            raise CodecError(f"{where}: expected an object")
        _, value_hint = typing.get_args(hint)
        return {str(k): _read(v, value_hint, f"{where}.{k}") for k, v in raw.items()}
    return raw


def _not_a_date(where: str) -> date:
    raise CodecError(f"{where}: expected a date")


def _iso(ts: datetime) -> str:
    """ISO 8601 in UTC with a `Z` (naive times are taken as UTC), as `exhunt.model.iso`."""
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return ts.isoformat().replace("+00:00", "Z")


class JsonData:
    """Mixin: `to_dict` and `from_dict` through this codec, for dataclasses that want them."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = to_data(self)
        return data

    @classmethod
    def from_dict(cls: type[J], data: dict[str, Any]) -> J:
        return from_data(cls, data)


J = TypeVar("J", bound=JsonData)
