"""Sigma rules from the user's files, compiled and indexed for the hunt.

`load_ruleset(paths)` reads every `.yml`/`.yaml` file under the given files and folders with
pySigma, compiles each rule for every log its logsource maps to (`logsources.py`) and indexes
the compiled rules by (channel, event id), so an event meets only the rules that can match it.
What cannot be used is kept, with file and reason:

- `rejected`: the file or rule does not parse, or uses something the engine cannot evaluate
  (correlation rules, filters, timestamp-part modifiers, regexes Python does not accept); the
  hunt reports each as a `rule-invalid` problem;
- `not_applicable`: the rule is valid but written for a log exhunt does not read (Linux,
  firewall, cloud, ETW file access); counted, not an error.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sigma.collection import SigmaCollection
from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionOR,
)
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule
from sigma.types import SigmaNumber

from exhunt import boundedtoml
from exhunt.events.record import EventRecord
from exhunt.model import Category, Implies, Severity
from exhunt.sigma.compile import Node, Unsupported, compile_condition
from exhunt.sigma.logsources import ANY_CHANNEL, NotApplicable, Target, logsource_map
from exhunt.sigma.prefilter import RulePrefilter, TextPrefilter
from exhunt.sigma.view import EventView, event_view

RULE_SUFFIXES = (".yml", ".yaml")
MAX_RULE_FILE_BYTES = 4 * 1024 * 1024
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BUCKET_CACHE = 4096
# ATT&CK tactic tags (`attack.<tactic>`) -> exhunt's finding category, first match in tag order
_TACTIC_CATEGORY = {
    "credential-access": Category.CREDENTIAL_ACCESS,
    "persistence": Category.PERSISTENCE,
    "discovery": Category.RECONNAISSANCE,
    "reconnaissance": Category.RECONNAISSANCE,
    "collection": Category.STAGING,
    "exfiltration": Category.STAGING,
    "initial-access": Category.EXPLOITATION_ATTEMPT,
}  # (channel, event id) combinations kept; hostile files could invent more


@dataclass(frozen=True, slots=True)
class RuleProblem:
    path: str
    message: str
    rule_id: str | None = None
    title: str | None = None

    def __str__(self) -> str:
        name = f" [{self.rule_id}] {self.title}" if self.rule_id else ""
        return f"{self.path}{name}: {self.message}"


@dataclass(frozen=True)
class SigmaMeta:
    """What a finding says about the rule that fired."""

    id: str
    title: str
    level: str
    category: Category
    severity: Severity
    implies: Implies
    chain: str | None
    tags: tuple[str, ...]
    path: str
    description: str
    falsepositives: tuple[str, ...]

    @property
    def techniques(self) -> tuple[str, ...]:
        return tuple(t.split(".", 1)[1].upper() for t in self.tags if t.startswith("attack.t"))

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple("CVE-" + t.split(".", 1)[1].upper() for t in self.tags if t.startswith("cve."))


@dataclass(frozen=True)
class CompiledRule:
    meta: SigmaMeta
    node: Node
    target: Target


@dataclass
class SigmaRuleset:
    rules: list[CompiledRule] = field(default_factory=list)
    loaded: list[SigmaMeta] = field(default_factory=list)
    rejected: list[RuleProblem] = field(default_factory=list)
    not_applicable: list[RuleProblem] = field(default_factory=list)
    files: int = 0
    _index: dict[tuple[str, int | None], list[int]] = field(default_factory=dict)
    _buckets: dict[tuple[str, int | None], tuple[list[CompiledRule], RulePrefilter]] = field(default_factory=dict)
    _channels: dict[tuple[str, str], str] = field(default_factory=dict)
    _text_prefilters: dict[tuple[str, int | None], bool | TextPrefilter] = field(default_factory=dict)

    def add(self, compiled: CompiledRule, event_ids: frozenset[int] | None) -> None:
        position = len(self.rules)
        self.rules.append(compiled)
        for channel in compiled.target.channels:
            for event_id in event_ids if event_ids is not None else (None,):
                self._index.setdefault((channel, event_id), []).append(position)

    @property
    def web_rules(self) -> bool:
        return any(channel.startswith("web:") for channel, _ in self._index)

    def bucket(self, channel: str, event_id: int | None) -> tuple[list[CompiledRule], RulePrefilter]:
        """The rules that may match events of this channel and id, with their prefilter."""
        key = (channel, event_id)
        found = self._buckets.get(key)
        if found is not None:
            return found
        positions: set[int] = set()
        for k in ((channel, event_id), (channel, None), (ANY_CHANNEL, event_id), (ANY_CHANNEL, None)):
            positions.update(self._index.get(k, ()))
        if channel.startswith("web:"):
            positions -= set(self._index.get((ANY_CHANNEL, event_id), ())) | set(
                self._index.get((ANY_CHANNEL, None), ())
            )
        rules = [self.rules[p] for p in sorted(positions)]
        made = (rules, RulePrefilter([r.node.anchors for r in rules]))
        if len(self._buckets) < _BUCKET_CACHE:
            self._buckets[key] = made
        return made

    def match_view(self, channel: str, event_id: int | None, view: EventView) -> Iterator[CompiledRule]:
        rules, prefilter = self.bucket(channel, event_id)
        if not rules:
            return
        for i in prefilter.candidates(view):
            if rules[i].node.test(view):
                yield rules[i]

    def channel_of(self, channel: str, provider: str) -> str:
        """The lower-case channel the rules are indexed by, for an event's channel and provider."""
        names = (channel, provider)
        found = self._channels.get(names)
        if found is None:
            found = logsource_map().channel_of(channel, provider)
            if len(self._channels) < _BUCKET_CACHE:
                self._channels[names] = found
        return found

    def wants(self, channel: str, provider: str, event_id: int | None) -> bool | TextPrefilter:
        """Whether any rule may match events of this channel, provider and id: False when no
        rule is indexed there; else the prefilter to ask of each event's JSON text, or True
        when every such event must be read."""
        indexed = self.channel_of(channel, provider)
        if not indexed:
            return False
        key = (indexed, event_id)
        found = self._text_prefilters.get(key)
        if found is None:
            rules, _ = self.bucket(indexed, event_id)
            found = bool(rules) and (TextPrefilter.of([r.node.anchors for r in rules]) or True)
            if len(self._text_prefilters) < _BUCKET_CACHE:
                self._text_prefilters[key] = found
        return found

    def match_event(self, record: EventRecord) -> list[CompiledRule]:
        """The rules that fire on one Windows event."""
        channel = self.channel_of(record.channel, record.provider)
        if not channel:
            return []
        rules, prefilter = self.bucket(channel, record.event_id)
        if not rules:
            return []
        view = event_view(record)
        return [rules[i] for i in prefilter.candidates(view) if rules[i].node.test(view)]


# --- loading ------------------------------------------------------------------------------


def rule_files(paths: Iterable[str], problems: list[RuleProblem]) -> list[Path]:
    """The rule files under the given files and folders, in a stable order."""
    out: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.suffix.lower() in RULE_SUFFIXES and p.is_file())
        elif path.is_file():
            out.append(path)
        else:
            problems.append(RuleProblem(given, "no such Sigma rule file or folder"))
    return out


@lru_cache(maxsize=4)
def load_ruleset(paths: tuple[str, ...], levels_file: str | None = None) -> SigmaRuleset:
    """Every usable rule under `paths`, compiled once per process and set of paths."""
    ruleset = SigmaRuleset()
    levels = _levels(levels_file, ruleset.rejected)
    for path in rule_files(paths, ruleset.rejected):
        ruleset.files += 1
        load_file(path, ruleset, levels)
    return ruleset


def load_file(path: Path, ruleset: SigmaRuleset, levels: Mapping[str, Any]) -> None:
    where = str(path)
    try:
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            ruleset.rejected.append(RuleProblem(where, f"larger than {MAX_RULE_FILE_BYTES} bytes: not read"))
            return
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        ruleset.rejected.append(RuleProblem(where, f"cannot read: {exc}"))
        return
    load_text(text, where, ruleset, levels)


def load_text(text: str, where: str, ruleset: SigmaRuleset, levels: Mapping[str, Any] | None = None) -> None:
    """Parse and compile the rules of one YAML text into `ruleset`."""
    levels = levels if levels is not None else _levels(None, ruleset.rejected)
    try:
        # libyaml's safe loader when present: ten times faster than the pure-Python one pySigma
        # would use, with the same safe semantics; pySigma then reads the documents
        documents = list(yaml.load_all(text, Loader=_YAML_LOADER))
        collection = SigmaCollection.from_dicts(documents, collect_errors=True)
    except Exception as exc:  # YAML errors and anything pySigma raises on hostile input
        ruleset.rejected.append(RuleProblem(where, f"not a Sigma rule file: {_short(exc)}"))
        return
    if not collection.rules and collection.errors:
        ruleset.rejected.append(RuleProblem(where, _short(collection.errors[0])))
        return
    for item in collection.rules:
        rule_id = str(item.id) if item.id else None
        if isinstance(item, SigmaCorrelationRule):
            ruleset.rejected.append(RuleProblem(where, "correlation rules are not supported yet", rule_id, item.title))
            continue
        if isinstance(item, SigmaFilter):
            ruleset.rejected.append(RuleProblem(where, "Sigma filters are not supported yet", rule_id, item.title))
            continue
        if not isinstance(item, SigmaRule):
            continue
        if item.errors:
            ruleset.rejected.append(RuleProblem(where, _short(item.errors[0]), rule_id, item.title))
            continue
        try:
            _compile_rule(item, where, ruleset, levels)
        except NotApplicable as exc:
            ruleset.not_applicable.append(
                RuleProblem(where, f"logsource not read by exhunt: {exc}", rule_id, item.title)
            )
        except (Unsupported, SigmaError) as exc:
            ruleset.rejected.append(RuleProblem(where, _short(exc), rule_id, item.title))
        except RecursionError:
            ruleset.rejected.append(RuleProblem(where, "condition nested too deeply", rule_id, item.title))


def _compile_rule(rule: SigmaRule, where: str, ruleset: SigmaRuleset, levels: Mapping[str, Any]) -> None:
    if rule.id is None:
        raise Unsupported("rule has no id")
    logsource = rule.logsource
    targets = logsource_map().resolve(logsource.product, logsource.category, logsource.service)
    web = logsource.category == "webserver"
    meta = _meta(rule, where, levels, Category.EXPLOITATION_ATTEMPT if web else Category.POST_EXPLOITATION)
    trees = [condition.parsed for condition in rule.detection.parsed_condition]
    compiled: list[tuple[CompiledRule, frozenset[int] | None]] = []
    for target in targets:
        nodes = [compile_condition(tree, target.renames) for tree in trees]
        node = nodes[0] if len(nodes) == 1 else _either(nodes)
        if target.conditions:
            node = _with_conditions(node, target.conditions)
        ids = target.event_ids
        if ids is None and not target.channels[0].startswith("web:"):
            found = [required_event_ids(tree) for tree in trees]
            ids = None if any(f is None for f in found) else frozenset().union(*(f for f in found if f is not None))
        compiled.append((CompiledRule(meta, node, target), ids))
    for item, ids in compiled:
        ruleset.add(item, ids)
    ruleset.loaded.append(meta)


def _either(nodes: list[Node]) -> Node:
    tests = tuple(n.test for n in nodes)
    anchors = None if any(n.anchors is None for n in nodes) else frozenset().union(*(n.anchors or () for n in nodes))
    return Node(lambda e: any(t(e) for t in tests), anchors)


def _with_conditions(node: Node, conditions: Mapping[str, tuple[str, ...]]) -> Node:
    wanted = {k: frozenset(v.lower() for v in values) for k, values in conditions.items()}
    inner = node.test

    def test(e: EventView) -> bool:
        return all(e.low(k) in values for k, values in wanted.items()) and inner(e)

    return Node(test, node.anchors)


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


# --- levels and overrides -----------------------------------------------------------------


def _levels(user_file: str | None, problems: list[RuleProblem]) -> dict[str, Any]:
    text = (resources.files("exhunt") / "data" / "sigma" / "levels.toml").read_text(encoding="utf-8")
    doc = tomllib.loads(text)
    if user_file:
        try:
            user = boundedtoml.loads(Path(user_file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(RuleProblem(user_file, f"Sigma level mapping not loaded: {exc}"))
        else:
            doc.setdefault("levels", {}).update(user.get("levels", {}))
            doc.setdefault("rules", {}).update(user.get("rules", {}))
    return doc


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
    tactics = (_TACTIC_CATEGORY.get(t.removeprefix("attack.").replace("_", "-")) for t in tags)
    return SigmaMeta(
        id=rule_id,
        title=rule.title,
        level=level,
        category=next((c for c in tactics if c is not None), default),
        severity=severity,
        implies=implies,
        chain=override.get("chain"),
        tags=tags,
        path=where,
        description=" ".join((rule.description or "").split()),
        falsepositives=tuple(str(f) for f in rule.falsepositives or ()),
    )


def _short(exc: object) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:300] + "..."
