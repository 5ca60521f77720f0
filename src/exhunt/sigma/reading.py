"""Rule files read with pySigma, into the plain entries of `entries.py`.

pySigma validates each rule (YAML, modifiers, condition grammar) and resolves its condition
into a tree, which `plain.py` writes down as plain data; the rule is then compiled once
(`entries.compile_rule`) so that anything the engine cannot evaluate is rejected here, with the
reason, and never reaches the cache as a usable rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.conditions import ConditionAND, ConditionFieldEqualsValueExpression, ConditionOR
from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule
from sigma.types import SigmaNumber

from exhunt.model import Category, Implies, Severity
from exhunt.sigma import correlation
from exhunt.sigma.compile import Unsupported
from exhunt.sigma.entries import Compiled, SigmaMeta, anchors_plain, compile_rule, tactic_category
from exhunt.sigma.logsources import NotApplicable, logsource_map
from exhunt.sigma.plain import plain_condition

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_rules(text: str, where: str, levels: Mapping[str, Any]) -> tuple[dict[str, Any], list[Compiled]]:
    """The plain entry of one YAML text (without its digest) and the compiled targets of each
    rule it keeps, in the order of `entry["rules"]`."""
    entry: dict[str, Any] = {"rules": [], "filters": [], "correlations": [], "rejected": [], "not_applicable": []}
    compiled: list[Compiled] = []
    rejected: list[list[str | None]] = entry["rejected"]
    try:
        # libyaml's safe loader when present: ten times faster than the pure-Python one pySigma
        # would use, with the same safe semantics; pySigma then reads the documents
        documents = list(yaml.load_all(text, Loader=_YAML_LOADER))
        # filters are kept apart, not applied by pySigma to the rules of their own file only:
        # the rule set applies each to the rules it names in every file (`ruleset.py`)
        # correlations are resolved by the rule set too, so they may name rules of other files
        collection = SigmaCollection.from_dicts(
            documents, collect_errors=True, collect_filters=True, resolve_references=False
        )
    except Exception as exc:  # YAML errors and anything pySigma raises on hostile input
        rejected.append([f"not a Sigma rule file: {short(exc)}", None, None])
        return entry, compiled
    if not collection.rules and not collection.filters and collection.errors:
        rejected.append([short(collection.errors[0]), None, None])
        return entry, compiled
    for found in collection.filters:
        _read_filter(found, where, levels, entry)
    for item in collection.rules:
        rule_id = str(item.id) if item.id else None
        if isinstance(item, SigmaCorrelationRule):
            _read_correlation(item, where, levels, entry)
            continue
        if isinstance(item, SigmaFilter):  # not expected with filters collected apart
            _read_filter(item, where, levels, entry)
            continue
        if not isinstance(item, SigmaRule):
            continue
        if item.errors:
            rejected.append([short(item.errors[0]), rule_id, item.title])
            continue
        made = _compiled(item, where, levels, entry)
        if made is not None:
            entry["rules"].append(made[0])
            compiled.append(made[1])
    return entry, compiled


def _compiled(
    rule: SigmaRule, where: str, levels: Mapping[str, Any], entry: dict[str, Any], what: str = ""
) -> tuple[dict[str, Any], Compiled] | None:
    """A rule (or a filter read as one: `what` names it in the reasons) as plain data with its
    anchors, and compiled; None when it cannot be used, the reason in `entry`."""
    named = [str(rule.id) if rule.id else None, rule.title]
    try:
        plain = _plain_rule(rule, where, levels)
        _, targets = compile_rule(plain, where)
        plain["anchors"] = [anchors_plain(c.node.anchors) for c, _ in targets]
    except NotApplicable as exc:
        entry["not_applicable"].append([f"{what}logsource not read by exhunt: {exc}", *named])
    except (Unsupported, SigmaError) as exc:
        entry["rejected"].append([f"{what}{short(exc)}", *named])
    except RecursionError:
        entry["rejected"].append([f"{what}condition nested too deeply", *named])
    else:
        return plain, targets
    return None


def _read_filter(item: SigmaFilter, where: str, levels: Mapping[str, Any], entry: dict[str, Any]) -> None:
    """A Sigma filter as plain data: the rules it names (ids or names, or "any") and its
    condition, compiled like a rule's (checked now, so a filter the engine cannot evaluate is
    rejected with the reason, never half applied)."""
    filter_id = str(item.id) if item.id else None
    if item.errors or item.id is None:
        reason = short(item.errors[0]) if item.errors else "filter has no id"
        entry["rejected"].append([f"Sigma filter: {reason}", filter_id, item.title])
        return
    named = item.filter.rules
    refs: str | list[str] = "any" if isinstance(named, str) else [_reference(str(r.reference)) for r in named]
    # the filter's detections and condition, read as a rule's would be
    rule = SigmaRule(title=item.title, id=item.id, logsource=item.logsource, detection=item.filter)
    made = _compiled(rule, where, levels, entry, "Sigma filter: ")
    if made is not None:
        entry["filters"].append({"refs": refs, "rule": made[0]})


def _read_correlation(item: SigmaCorrelationRule, where: str, levels: Mapping[str, Any], entry: dict[str, Any]) -> None:
    """A correlation rule as plain data (`correlation.SigmaCorrelation`), or the reason it is
    rejected."""
    named = [str(item.id) if item.id else None, item.title]
    reason = _correlation_problem(item)
    condition = item.condition
    if reason is not None or not isinstance(condition, SigmaCorrelationCondition):
        entry["rejected"].append([f"Sigma correlation: {reason or 'no condition'}", *named])
        return
    aliases = {
        alias.alias: {_reference(str(ref.reference)): str(field) for ref, field in alias.mapping.items()}
        for alias in item.aliases.aliases.values()
    }
    try:
        meta = _meta(item, where, levels, Category.POST_EXPLOITATION)  # type: ignore[arg-type]
    except Unsupported as exc:
        entry["rejected"].append([f"Sigma correlation: {short(exc)}", *named])
        return
    entry["correlations"].append(
        {
            "meta": meta.plain(),
            "type": item.type.name.lower(),
            "refs": [_reference(str(ref.reference)) for ref in item.rules or ()],
            "group_by": [str(g) for g in item.group_by or ()],
            "aliases": aliases,
            "timespan": int(item.timespan.seconds),
            "op": condition.op.name.lower(),
            "count": int(condition.count),
            "field": str(condition.fieldref) if condition.fieldref else None,
            "generate": bool(item.generate),
        }
    )


def _correlation_problem(item: SigmaCorrelationRule) -> str | None:
    """Why a correlation cannot be evaluated, or None."""
    if item.errors:
        return short(item.errors[0])
    if item.id is None:
        return "correlation has no id"
    kind = item.type.name.lower()
    if kind not in correlation.TYPES:
        return f"type {kind} is not supported (event_count, value_count, temporal, temporal_ordered are)"
    if not item.rules:
        return "names no rule"
    if item.timespan is None or not item.timespan.seconds or item.timespan.seconds <= 0:
        return "no time span"
    condition = item.condition
    if condition is not None and not isinstance(condition, SigmaCorrelationCondition):
        return "boolean conditions over the named rules are not supported"
    if condition is None or not isinstance(condition.count, int):
        return "no condition"
    op = condition.op.name.lower()
    if kind in ("event_count", "value_count") and op not in correlation.OPERATORS:
        return f"condition {op} is not supported (gte and gt are: fewer matches than N cannot be bounded)"
    if kind == "value_count" and not condition.fieldref:
        return "value_count without the field whose values it counts"
    return None


def _reference(text: str) -> str:
    """A filter's reference to a rule: an id in its canonical form (as rule ids are kept), else
    a rule name as written."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


def _plain_rule(rule: SigmaRule, where: str, levels: Mapping[str, Any]) -> dict[str, Any]:
    if rule.id is None:
        raise Unsupported("rule has no id")
    logsource = rule.logsource
    product, category, service = logsource.product, logsource.category, logsource.service
    logsource_map().resolve(product, category, service)  # NotApplicable before anything else
    web = category == "webserver"
    meta = _meta(rule, where, levels, Category.EXPLOITATION_ATTEMPT if web else Category.POST_EXPLOITATION)
    trees = [condition.parsed for condition in rule.detection.parsed_condition]
    found = [required_event_ids(tree) for tree in trees]
    ids = None if any(f is None for f in found) else sorted(frozenset().union(*(f for f in found if f is not None)))
    return {
        "meta": meta.plain(),
        "logsource": [product, category, service],
        "ids": ids,
        "trees": [plain_condition(tree) for tree in trees],
    }


def required_event_ids(tree: Any) -> frozenset[int] | None:
    """Event ids a condition requires (`EventID: 4104` under an AND), or None when any id may match."""
    if isinstance(tree, ConditionFieldEqualsValueExpression):
        if tree.field == "EventID" and isinstance(tree.value, SigmaNumber) and isinstance(tree.value.number, int):
            return frozenset({tree.value.number})
        return None
    if isinstance(tree, ConditionAND):
        sets = [s for s in (required_event_ids(a) for a in tree.args) if s is not None]
        if not sets:
            return None
        return frozenset.intersection(*sets)
    if isinstance(tree, ConditionOR):
        out: set[int] = set()
        for arg in tree.args:
            found = required_event_ids(arg)
            if found is None:
                return None
            out |= found
        return frozenset(out)
    return None


def _meta(rule: SigmaRule, where: str, levels: Mapping[str, Any], default: Category) -> SigmaMeta:
    rule_id = str(rule.id)
    level = str(rule.level).lower() if rule.level is not None else "medium"
    base = levels.get("levels", {}).get(level, {"severity": "medium", "implies": "suspicious"})
    override = levels.get("rules", {}).get(rule_id, {})
    try:
        severity = Severity(override.get("severity", base["severity"]))
        implies = Implies(override.get("implies", base["implies"]))
    except ValueError as exc:
        raise Unsupported(f"level mapping: {exc}") from exc
    tags = tuple(f"{t.namespace}.{t.name}".lower() for t in rule.tags)
    tactics = (tactic_category(t) for t in tags)
    chain = override.get("chain")
    return SigmaMeta(
        id=rule_id,
        name=str(rule.name) if getattr(rule, "name", None) else None,
        title=rule.title,
        level=level,
        category=next((c for c in tactics if c is not None), default),
        severity=severity,
        implies=implies,
        chain=str(chain) if chain is not None else None,
        tags=tags,
        path=where,
        description=" ".join((rule.description or "").split()),
        falsepositives=tuple(str(f) for f in rule.falsepositives or ()),
    )


def short(exc: object) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "..."
