"""A Sigma rule's condition tree, as pySigma resolves it, written down as plain data.

pySigma does the reading: YAML, modifiers (contains, startswith, endswith, all, base64,
base64offset, wide/utf16, windash, re and its flags, cidr, gt/gte/lt/lte, exists, expand,
fieldref, cased, neq) and condition expressions (`1 of selection*`, `all of them`, `not`,
parentheses) all arrive as one tree of AND/OR/NOT nodes over (field, typed value) leaves. This
module turns that tree into nested lists of strings, numbers and booleans (JSON as it is), which
`compile.py` turns into predicates and the rule cache (`cache.py`) keeps on disk, so a rule
set read before is not parsed by pySigma again.

The forms (fields under the rule's own names; renames are applied when compiling):

    ["and", [item, ...]]  ["or", [item, ...]]  ["not", item]
    ["str", field, parts, cased]     parts: strings and WILDCARD_MULTI / WILDCARD_SINGLE
    ["num", field, number]           ["null", field]          ["exists", field, bool]
    ["re", field, pattern, flags]    ["cidr", field, network] ["cmp", field, op, number]
    ["ref", field, other, startswith, endswith]
    ["kw", parts, cased]             ["kwre", pattern, flags]   (keywords: any field)

Anything the engine cannot evaluate raises `Unsupported` with the reason.
"""

from __future__ import annotations

import re
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
)

from exhunt.sigma.compile import COMPARE_OPS, WILDCARD_MULTI, WILDCARD_SINGLE, Unsupported

Plain = list[Any]
_REGEX_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: re.IGNORECASE,
    SigmaRegularExpressionFlag.MULTILINE: re.MULTILINE,
    SigmaRegularExpressionFlag.DOTALL: re.DOTALL,
}
_COMPARE = {
    CompareOperators.LT: "lt",
    CompareOperators.LTE: "lte",
    CompareOperators.GT: "gt",
    CompareOperators.GTE: "gte",
    CompareOperators.NEQ: "neq",
}
assert set(_COMPARE.values()) <= COMPARE_OPS


def plain_condition(tree: Any) -> Plain:
    """The plain form of a pySigma condition tree."""
    if isinstance(tree, ConditionAND):
        return ["and", [plain_condition(arg) for arg in tree.args]]
    if isinstance(tree, ConditionOR):
        return ["or", [plain_condition(arg) for arg in tree.args]]
    if isinstance(tree, ConditionNOT):
        return ["not", plain_condition(tree.args[0])]
    if isinstance(tree, ConditionFieldEqualsValueExpression):
        return _field_value(str(tree.field), tree.value)
    if isinstance(tree, ConditionValueExpression):
        return _keyword(tree.value)
    if tree is None:
        raise Unsupported("empty condition")
    raise Unsupported(f"condition element {type(tree).__name__}")


def _field_value(field: str, value: Any) -> Plain:
    if isinstance(value, SigmaExpansion):
        return ["or", [_field_value(field, v) for v in value.values]]
    if isinstance(value, SigmaString):  # SigmaCasedString too
        return ["str", field, _parts(value), isinstance(value, SigmaCasedString)]
    if isinstance(value, SigmaTimestampPart):
        raise Unsupported("timestamp part modifiers (minute, hour, day, week, month, year)")
    if isinstance(value, SigmaBool):
        return ["str", field, ["true" if value.boolean else "false"], False]
    if isinstance(value, SigmaNumber):
        return ["num", field, _number(value.number)]
    if isinstance(value, SigmaNull):
        return ["null", field]
    if isinstance(value, SigmaExists):
        return ["exists", field, bool(value.exists)]
    if isinstance(value, SigmaRegularExpression):
        return ["re", field, *_regex(value)]
    if isinstance(value, SigmaCIDRExpression):
        return ["cidr", field, str(value.network)]
    if isinstance(value, SigmaCompareExpression):
        op = _COMPARE.get(value.op)
        if op is None:
            raise Unsupported(f"comparison {value.op}")
        return ["cmp", field, op, _number(value.number.number)]
    if isinstance(value, SigmaFieldReference):
        return ["ref", field, str(value.field), bool(value.starts_with), bool(value.ends_with)]
    raise Unsupported(f"value type {type(value).__name__}")


def _keyword(value: Any) -> Plain:
    """A value without a field: searched in every field of the event (full-text search)."""
    if isinstance(value, SigmaExpansion):
        return ["or", [_keyword(v) for v in value.values]]
    if isinstance(value, SigmaNumber):
        return ["kw", [str(value.number)], False]
    if isinstance(value, SigmaRegularExpression):
        return ["kwre", *_regex(value)]
    if not isinstance(value, SigmaString):
        raise Unsupported(f"keyword of type {type(value).__name__}")
    return ["kw", _parts(value), isinstance(value, SigmaCasedString)]


def _parts(value: SigmaString) -> list[str | int]:
    """The string's parts; `expand` placeholders (%name%) stand for any text, as no value is
    configured for them."""
    out: list[str | int] = []
    for part in value.s:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Placeholder) or part is SpecialChars.WILDCARD_MULTI:
            out.append(WILDCARD_MULTI)
        elif part is SpecialChars.WILDCARD_SINGLE:
            out.append(WILDCARD_SINGLE)
        else:
            raise Unsupported(f"string part {part!r}")
    return out


def _number(number: Any) -> int | float:
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise Unsupported(f"number {number!r}")
    return number


def _regex(value: SigmaRegularExpression) -> tuple[str, int]:
    flags = 0
    for flag in value.flags:
        flags |= _REGEX_FLAGS[flag]
    pattern = str(value.regexp)
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        raise Unsupported(f"regular expression not accepted by Python re: {exc}") from exc
    return pattern, flags
