"""Sigma rules from the user's files, compiled and indexed for the hunt.

`load_ruleset(paths)` reads every `.yml`/`.yaml` file under the given files and folders with
pySigma, compiles each rule for every log its logsource maps to (`logsources.py`) and indexes
the compiled rules by (channel, event id), so an event meets only the rules that can match it.
What cannot be used is kept, with file and reason:

- `rejected`: the file or rule does not parse, or uses something the engine cannot evaluate
  (timestamp-part modifiers, regexes Python does not accept, the correlation types and
  conditions `correlation.py` names); the hunt reports each as a `rule-invalid` problem;
- `not_applicable`: the rule is valid but written for a log exhunt does not read (Linux,
  firewall, cloud, ETW file access); counted, not an error.

Sigma filters and correlations of any file reach the rules of every file (`attach`): a
filter's condition gates the matches of the rules it names, a correlation is told of the
matches of its rules (`correlation.py`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from exhunt import boundedtoml
from exhunt.events.record import EventRecord
from exhunt.model import Category
from exhunt.sigma.cache import RuleCache, cache_dir, cache_key, file_digest
from exhunt.sigma.compile import Node, Unsupported
from exhunt.sigma.correlation import SigmaCorrelation
from exhunt.sigma.entries import (
    Compiled,
    CompiledRule,
    SigmaMeta,
    compile_rule,
    tactic_category,
    target_node,
)
from exhunt.sigma.logsources import ANY_CHANNEL, NotApplicable, Target, logsource_map
from exhunt.sigma.prefilter import DatabaseStore, RulePrefilter, TextPrefilter, database_tag
from exhunt.sigma.view import EventView, event_view

__all__ = ["CompiledRule", "RuleProblem", "SigmaMeta", "SigmaRuleset", "load_ruleset", "load_text"]

RULE_SUFFIXES = (".yml", ".yaml")
MAX_RULE_FILE_BYTES = 4 * 1024 * 1024
_BUCKET_CACHE = 4096  # (channel, event id) combinations kept; hostile files could invent more


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
class SigmaFilterGate:
    """A Sigma filter as loaded: the rules it names ("any", or ids and names) and its
    condition (`trees`, checked when loaded), compiled for each log a rule it gates reads."""

    id: str
    title: str
    path: str
    refs: str | tuple[str, ...]
    logsource: tuple[str | None, str | None, str | None]
    trees: list[Any]
    _nodes: dict[tuple[Any, ...], Node] = field(default_factory=dict, compare=False, repr=False)

    def node_for(self, target: Target) -> Node:
        """The filter's condition for a rule's log: under that log's field names (a filter of
        `product: windows` gates a Sysmon rule and its Security 4688 twin alike), compiled now,
        so a filter that cannot be is said when the rules load, never met while matching."""
        key = (target.channels, tuple(sorted(target.renames.items())), tuple(sorted(target.conditions.items())))
        node = self._nodes.get(key)
        if node is None:
            node = self._nodes[key] = target_node(self.trees, target)
        return node

    def names(self, meta: SigmaMeta) -> bool:
        refs = self.refs
        return refs == "any" or meta.id in refs or (meta.name is not None and meta.name in refs)

    def covers(self, logsource: tuple[str | None, str | None, str | None]) -> bool:
        """Whether a rule of `logsource` is within the filter's (each field the filter sets
        is the rule's too)."""
        return all(
            mine is None or (theirs or "").lower() == mine.lower()
            for mine, theirs in zip(self.logsource, logsource, strict=True)
        )


@dataclass
class SigmaRuleset:
    rules: list[CompiledRule] = field(default_factory=list)
    filters: list[SigmaFilterGate] = field(default_factory=list)
    correlations: list[SigmaCorrelation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what became of the filters, for the load notice
    loaded: list[SigmaMeta] = field(default_factory=list)
    rejected: list[RuleProblem] = field(default_factory=list)
    not_applicable: list[RuleProblem] = field(default_factory=list)
    files: int = 0
    cache_note: str = ""  # what became of the on-disk cache of compiled rules ("" when off)
    databases: DatabaseStore = field(default_factory=DatabaseStore)
    cache: RuleCache | None = None
    _index: dict[tuple[str, int | None], list[int]] = field(default_factory=dict)
    _buckets: dict[tuple[str, int | None], tuple[list[CompiledRule], RulePrefilter]] = field(default_factory=dict)
    _channels: dict[tuple[str, str], str] = field(default_factory=dict)
    _text_prefilters: dict[tuple[str, int | None], bool | TextPrefilter] = field(default_factory=dict)
    # built once per set of rules: events of many channels and ids meet the same rules
    _by_positions: dict[tuple[bool, tuple[int, ...]], tuple[list[CompiledRule], RulePrefilter]] = field(
        default_factory=dict
    )
    _text_by_positions: dict[tuple[int, ...], bool | TextPrefilter] = field(default_factory=dict)

    def add(self, compiled: CompiledRule, event_ids: frozenset[int] | None) -> None:
        position = len(self.rules)
        self.rules.append(compiled)
        for channel in compiled.target.channels:
            for event_id in event_ids if event_ids is not None else (None,):
                self._index.setdefault((channel, event_id), []).append(position)

    @property
    def web_rules(self) -> bool:
        return any(channel.startswith("web:") for channel, _ in self._index)

    def _positions(self, channel: str, event_id: int | None) -> tuple[int, ...]:
        positions: set[int] = set()
        for k in ((channel, event_id), (channel, None), (ANY_CHANNEL, event_id), (ANY_CHANNEL, None)):
            positions.update(self._index.get(k, ()))
        if channel.startswith("web:"):
            positions -= set(self._index.get((ANY_CHANNEL, event_id), ())) | set(
                self._index.get((ANY_CHANNEL, None), ())
            )
        return tuple(sorted(positions))

    def bucket(self, channel: str, event_id: int | None) -> tuple[list[CompiledRule], RulePrefilter]:
        """The rules that may match events of this channel and id, with their prefilter."""
        key = (channel, event_id)
        found = self._buckets.get(key)
        if found is not None:
            return found
        positions = self._positions(channel, event_id)
        joined = not channel.startswith("web:")  # Windows events: one scan of the joined values
        made = self._by_positions.get((joined, positions))
        if made is None:
            rules = [self.rules[p] for p in positions]
            made = (rules, RulePrefilter([r.node.anchors for r in rules], self.databases, joined))
            if len(self._by_positions) < _BUCKET_CACHE:
                self._by_positions[(joined, positions)] = made
        if len(self._buckets) < _BUCKET_CACHE:
            self._buckets[key] = made
        return made

    def prepare(self) -> None:
        """Build the prefilters of every (channel, event id) the rules are indexed under, and
        of the channels no rule names: done in the hunt's first process, the workers it forks
        inherit them instead of each compiling its own."""
        channels = {channel for channel, _ in self._index if channel != ANY_CHANNEL}
        any_ids = {event_id for channel, event_id in self._index if channel == ANY_CHANNEL} | {None}
        unnamed = "\0unnamed"  # stands for any channel no rule is indexed under
        for channel in (*sorted(channels), unnamed):
            ids = {event_id for c, event_id in self._index if c == channel} | any_ids
            for event_id in sorted(ids, key=lambda i: -1 if i is None else i):
                self.bucket(channel, event_id)
                if not channel.startswith("web:"):
                    self._text_prefilter(channel, event_id)
        self._buckets = {k: v for k, v in self._buckets.items() if k[0] != unnamed}
        self._text_prefilters = {k: v for k, v in self._text_prefilters.items() if k[0] != unnamed}

    def attach(self) -> None:
        """What the filters and correlations of every file do to the rules of every file."""
        self.notes = []
        self.attach_filters()
        self.attach_correlations()

    def attach_filters(self) -> None:
        """Give each rule the conditions of the filters that name it and cover its logsource,
        compiled under its own log's field names (a filter is ANDed with the rule: the match
        counts only when the filter's condition holds too). Before the buckets are built
        (`prepare`). A filter naming no loaded rule is said in `notes`."""
        if not self.filters:
            return
        applied: dict[str, int] = {}
        for position, rule in enumerate(self.rules):
            gates: list[tuple[str, Node]] = []
            for gate in self.filters:
                if not gate.names(rule.meta) or not gate.covers(rule.logsource):
                    continue
                try:
                    node = gate.node_for(rule.target)
                except Exception as exc:  # a filter that cannot be compiled for this log
                    self.notes.append(
                        f"Sigma filter {gate.id} ({gate.path}) not applied to rule {rule.meta.id} for "
                        f"{', '.join(rule.target.channels)}: {type(exc).__name__}: {exc}"[:400]
                    )
                    continue
                gates.append((gate.id, node))
                applied[gate.id] = applied.get(gate.id, 0) + 1
            if gates:
                self.rules[position] = replace(rule, gates=tuple(gates))
        for gate in self.filters:
            if gate.id not in applied:
                named = "any rule" if gate.refs == "any" else ", ".join(gate.refs)
                self.notes.append(f"Sigma filter {gate.id} ({gate.path}) applies to no loaded rule (it names {named})")
        self.notes.insert(0, f"{len(self.filters)} Sigma filters, applied to {sum(applied.values())} compiled rules")

    def attach_correlations(self) -> None:
        """Tell each rule a correlation names which correlations it feeds, with the group-by
        fields (aliases resolved) and the counted field under its own log's names. A correlation
        naming what is not loaded (or another correlation) is `rejected`: it is not evaluated as
        written."""
        if not self.correlations:
            return
        found: dict[str, set[str]] = {}
        categories: dict[str, set[Category]] = {}  # correlation id -> its base rules' categories
        for position, rule in enumerate(self.rules):
            links = []
            generate = None
            for corr in self.correlations:
                ref = corr.ref_for(rule.meta)
                if ref is None:
                    continue
                found.setdefault(corr.meta.id, set()).add(ref)
                categories.setdefault(corr.meta.id, set()).add(rule.meta.category)
                renames = rule.target.renames
                fields = tuple(renames.get(f, f) for f in corr.fields_for(ref))
                counted = renames.get(corr.field, corr.field) if corr.field else None
                links.append((corr.meta.id, ref, fields, counted))
                generate = bool(generate) or corr.generate
            if links:
                self.rules[position] = replace(rule, links=tuple(links), generate=bool(generate))
        correlation_names = {n for c in self.correlations for n in (c.meta.id, c.meta.name) if n}
        for position, corr in enumerate(self.correlations):
            # without ATT&CK tactics of its own, a correlation is of the kind its rules are
            # (web rules: exploitation attempts) when they agree
            kinds = categories.get(corr.meta.id, set())
            if len(kinds) == 1 and not any(tactic_category(t) for t in corr.meta.tags):
                self.correlations[position] = corr = replace(corr, meta=replace(corr.meta, category=next(iter(kinds))))
            missing = [ref for ref in corr.refs if ref not in found.get(corr.meta.id, set())]
            if missing:
                left = len(corr.refs) - len(missing)
                never = left == 0 or corr.kind == "temporal_ordered" or (corr.kind == "temporal" and left < corr.count)
                effect = "it can never fire" if never else "it counts the others' matches"
                chained = [ref for ref in missing if ref in correlation_names]
                what = (
                    "correlations (a correlation of correlations is not supported)" if chained else "rules not loaded"
                )
                # not evaluated as written: fewer findings than the user asked for, so a problem
                # (the host is not called clean), not a notice
                self.rejected.append(
                    RuleProblem(
                        corr.meta.path,
                        f"Sigma correlation names {what}: {', '.join(missing)} ({effect})",
                        corr.meta.id,
                        corr.meta.title,
                    )
                )
        self.notes.append(f"{len(self.correlations)} Sigma correlations")

    def match_view(
        self,
        channel: str,
        event_id: int | None,
        view: EventView,
        filtered: list[tuple[CompiledRule, str]] | None = None,
    ) -> Iterator[CompiledRule]:
        """The rules that fire on one view; those a filter turned away go to `filtered`, with
        the filter's id."""
        rules, prefilter = self.bucket(channel, event_id)
        if not rules:
            return
        for i in prefilter.candidates(view):
            rule = rules[i]
            if rule.node.test(view) and _let_through(rule, view, filtered):
                yield rule

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
        return self._text_prefilter(indexed, event_id)

    def _text_prefilter(self, channel: str, event_id: int | None) -> bool | TextPrefilter:
        key = (channel, event_id)
        found = self._text_prefilters.get(key)
        if found is None:
            positions = self._positions(channel, event_id)
            found = self._text_by_positions.get(positions)
            if found is None:
                rules = [self.rules[p] for p in positions]
                found = bool(rules) and (TextPrefilter.of([r.node.anchors for r in rules], self.databases) or True)
                if len(self._text_by_positions) < _BUCKET_CACHE:
                    self._text_by_positions[positions] = found
            if len(self._text_prefilters) < _BUCKET_CACHE:
                self._text_prefilters[key] = found
        return found

    def match_event(
        self, record: EventRecord, filtered: list[tuple[CompiledRule, str]] | None = None
    ) -> list[CompiledRule]:
        """The rules that fire on one Windows event; those a filter turned away go to
        `filtered`, with the filter's id."""
        channel = self.channel_of(record.channel, record.provider)
        if not channel:
            return []
        rules, prefilter = self.bucket(channel, record.event_id)
        if not rules:
            return []
        view = event_view(record)
        return [
            rules[i]
            for i in prefilter.candidates(view)
            if rules[i].node.test(view) and _let_through(rules[i], view, filtered)
        ]


def _let_through(rule: CompiledRule, view: EventView, filtered: list[tuple[CompiledRule, str]] | None) -> bool:
    """Whether a rule's match on `view` counts: every Sigma filter on it lets it through. One
    that does not is noted in `filtered` with the filter's id."""
    if not rule.gates:
        return True
    turned = rule.filtered_by(view)
    if turned is None:
        return True
    if filtered is not None:
        filtered.append((rule, turned))
    return False


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
    """Every usable rule under `paths`, compiled once per process and set of paths (and kept
    compiled on disk between processes: `cache.py`)."""
    folder = cache_dir()
    ruleset = build_ruleset(paths, levels_file, folder)
    ruleset.prepare()
    if ruleset.cache is not None:
        store = ruleset.databases
        try:
            if store.compiled or len(store.known) != store.loaded:
                ruleset.cache.save_databases(database_tag(), store.known)
        except (OSError, TypeError, ValueError) as exc:
            ruleset.cache_note += f"; prefilter databases not written ({exc})"
        else:
            ruleset.cache_note += f"; prefilter databases: {store.loaded} loaded, {store.compiled} compiled"
    return ruleset


def build_ruleset(paths: tuple[str, ...], levels_file: str | None, cache_folder: Path | None) -> SigmaRuleset:
    """The rules under `paths`, each file's taken from the cache in `cache_folder` when it holds
    that file's bytes under the same key, else read with pySigma (and the cache rewritten)."""
    ruleset = SigmaRuleset()
    levels = _levels(levels_file, ruleset.rejected)
    cache = RuleCache.open(cache_folder, paths, levels_file, cache_key(levels)) if cache_folder else None
    if cache is not None:
        ruleset.cache = cache
        ruleset.databases = DatabaseStore(cache.databases(database_tag()))
    seen: set[str] = set()
    for path in rule_files(paths, ruleset.rejected):
        ruleset.files += 1
        where = str(path)
        data = _read(path, ruleset)
        if data is None:
            continue
        digest = file_digest(data)
        seen.add(where)
        entry = cache.get(where, digest) if cache is not None else None
        if cache is not None and entry is not None:
            try:
                compiled = [compile_rule(rule, where, lazy=True) for rule in entry["rules"]]
                gates = _filters(entry, where)
                correlations = [SigmaCorrelation.from_plain(c, where) for c in entry["correlations"]]
                problems = _problems(entry, where)
            except (KeyError, TypeError, ValueError, IndexError, Unsupported, NotApplicable, RecursionError):
                cache.drop(where)  # of the wrong shape: read the file again below
            else:
                cache.used += 1
                _apply(ruleset, [c for _, c in compiled], problems)
                ruleset.filters += gates
                ruleset.correlations += correlations
                continue
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            ruleset.rejected.append(RuleProblem(where, f"cannot read: {exc}"))
            continue
        fresh = _read_text(text, where, ruleset, levels)
        if cache is not None:
            cache.put(where, {"sha256": digest, **fresh})
    if cache is not None:
        ruleset.cache_note = _save(cache, seen)
    ruleset.attach()
    return ruleset


def _read(path: Path, ruleset: SigmaRuleset) -> bytes | None:
    where = str(path)
    try:
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            ruleset.rejected.append(RuleProblem(where, f"larger than {MAX_RULE_FILE_BYTES} bytes: not read"))
            return None
        with path.open("rb") as stream:
            data = stream.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as exc:
        ruleset.rejected.append(RuleProblem(where, f"cannot read: {exc}"))
        return None
    if len(data) > MAX_RULE_FILE_BYTES:
        ruleset.rejected.append(RuleProblem(where, f"larger than {MAX_RULE_FILE_BYTES} bytes: not read"))
        return None
    return data


def _save(cache: RuleCache, files: set[str]) -> str:
    reused = f"{cache.used} of {len(files)} rule files from the cache"
    try:
        note = cache.save(files)
    except (OSError, TypeError, ValueError) as exc:  # read-only home, full disk, unencodable entry
        return f"compiled-rule cache {cache.path} not written ({exc}); {reused}"
    return f"compiled-rule cache {cache.path}: {note}; {reused}"


def load_text(text: str, where: str, ruleset: SigmaRuleset, levels: Mapping[str, Any] | None = None) -> None:
    """Parse and compile the rules of one YAML text into `ruleset`."""
    _read_text(text, where, ruleset, levels if levels is not None else _levels(None, ruleset.rejected))


def _read_text(text: str, where: str, ruleset: SigmaRuleset, levels: Mapping[str, Any]) -> dict[str, Any]:
    from exhunt.sigma.reading import read_rules  # pySigma: only when a rule file is read anew

    # as a text file is read: the YAML is the same, any line ending
    entry, compiled = read_rules(text.replace("\r\n", "\n").replace("\r", "\n"), where, levels)
    _apply(ruleset, compiled, _problems(entry, where))
    ruleset.filters += _filters(entry, where)
    ruleset.correlations += [SigmaCorrelation.from_plain(c, where) for c in entry["correlations"]]
    return entry


def _filters(entry: Mapping[str, Any], where: str) -> list[SigmaFilterGate]:
    """The filters of one file's entry, their conditions checked (raises on an entry of the wrong
    shape); each is compiled for the logs of the rules it gates (`SigmaFilterGate.node_for`)."""
    gates = []
    for item in entry["filters"]:
        refs = item["refs"]
        if refs != "any" and not (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
            raise ValueError("filter references of the wrong shape")
        meta, _ = compile_rule(item["rule"], where, lazy=True)  # checks the conditions
        product, category, service = item["rule"]["logsource"]
        trees = item["rule"]["trees"]
        gates.append(
            SigmaFilterGate(
                meta.id, meta.title, where, "any" if refs == "any" else tuple(refs), (product, category, service), trees
            )
        )
    return gates


def _problems(entry: Mapping[str, Any], where: str) -> tuple[list[RuleProblem], list[RuleProblem]]:
    def problems(items: Any) -> list[RuleProblem]:
        out = []
        for message, rule_id, title in items:
            if not isinstance(message, str) or not all(v is None or isinstance(v, str) for v in (rule_id, title)):
                raise ValueError("rule problem of the wrong shape")
            out.append(RuleProblem(where, message, rule_id, title))
        return out

    return problems(entry["rejected"]), problems(entry["not_applicable"])


def _apply(
    ruleset: SigmaRuleset, compiled: list[Compiled], problems: tuple[list[RuleProblem], list[RuleProblem]]
) -> None:
    for targets in compiled:
        for item, ids in targets:
            ruleset.add(item, ids)
        ruleset.loaded.append(targets[0][0].meta)
    ruleset.rejected += problems[0]
    ruleset.not_applicable += problems[1]


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
