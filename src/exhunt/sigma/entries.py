"""One rule file's outcome as plain data (what the cache keeps), and its rules compiled from it.

An entry is a dict: `rules` (each with its `meta`, `logsource` as [product, category, service],
`ids`, the event ids its conditions require or null, `trees`, its conditions in the form of
`plain.py`, and `anchors`, per target the (field, literal) pairs the prefilter asks for, as the
compiler found them, or null), `rejected` and `not_applicable` (each [message, rule id, title]).
`compile_rule` needs no pySigma; it raises on anything of the wrong shape, so an entry read from
the cache is either usable in full or not used. Read from the cache (`lazy`), a rule's
conditions are checked when it loads (`compile.check_condition`) but turned into predicates
only when an event first needs them: most rules of a large set never meet an event they could
match, and compiling them all was most of a load from the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import cache, partial
from typing import Any

from exhunt.model import Category, Implies, Severity
from exhunt.sigma.compile import Anchors, Node, check_condition, compile_condition
from exhunt.sigma.logsources import WEB_IIS, Target, logsource_map
from exhunt.sigma.view import EventView

# ATT&CK tactic tags (`attack.<tactic>`) -> exhunt's finding category, first match in tag order
_TACTIC_CATEGORY = {
    "credential-access": Category.CREDENTIAL_ACCESS,
    "persistence": Category.PERSISTENCE,
    "discovery": Category.RECONNAISSANCE,
    "reconnaissance": Category.RECONNAISSANCE,
    "collection": Category.STAGING,
    "exfiltration": Category.STAGING,
    "initial-access": Category.EXPLOITATION_ATTEMPT,
}


def tactic_category(tag: str) -> Category | None:
    """The finding category an ATT&CK tactic tag (lower case) stands for, or None."""
    return _TACTIC_CATEGORY.get(tag.removeprefix("attack.").replace("_", "-"))


@dataclass(frozen=True)
class SigmaMeta:
    """What a finding says about the rule that fired."""

    id: str
    name: str | None  # the rule's `name`, by which filters and correlations may refer to it
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

    def plain(self) -> dict[str, Any]:
        """As the cache writes it (JSON: lists, enum values)."""
        out = asdict(self)
        out.update(category=self.category.value, severity=self.severity.value, implies=self.implies.value)
        out.update(tags=list(self.tags), falsepositives=list(self.falsepositives))
        return out

    @classmethod
    def from_plain(cls, doc: Mapping[str, Any], where: str) -> SigmaMeta:
        strings = ("id", "title", "level", "description")
        if not all(isinstance(doc[k], str) for k in strings) or doc["path"] != where:
            raise ValueError("rule metadata of the wrong shape")
        chain = doc["chain"]
        if chain is not None and not isinstance(chain, str):
            raise ValueError("rule chain of the wrong shape")
        name = doc["name"]
        if name is not None and not isinstance(name, str):
            raise ValueError("rule name of the wrong shape")
        return cls(
            id=doc["id"],
            name=name,
            title=doc["title"],
            level=doc["level"],
            category=Category(doc["category"]),
            severity=Severity(doc["severity"]),
            implies=Implies(doc["implies"]),
            chain=chain,
            tags=_strings(doc["tags"]),
            path=where,
            description=doc["description"],
            falsepositives=_strings(doc["falsepositives"]),
        )


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("list of strings expected")
    return tuple(value)


class LazyNode:
    """A rule's compiled condition, built at its first test; its anchors known beforehand."""

    __slots__ = ("_make", "_test", "anchors")

    def __init__(self, anchors: Anchors, make: Callable[[], Node]) -> None:
        self.anchors = anchors
        self._make = make
        self._test: Callable[[EventView], bool] | None = None

    def test(self, view: EventView) -> bool:
        test = self._test
        if test is None:
            test = self._test = self._make().test
        return test(view)


@dataclass(frozen=True)
class CompiledRule:
    meta: SigmaMeta
    node: Node | LazyNode
    target: Target
    logsource: tuple[str | None, str | None, str | None] = (None, None, None)  # product, category, service
    # the conditions of the Sigma filters that apply to this rule, for its target: each must
    # hold for a match to count (`ruleset.attach_filters`), with the filter's id
    gates: tuple[tuple[str, Node], ...] = ()
    # the correlations naming this rule: (correlation id, how it names the rule, the group-by
    # fields and the counted field as this rule's log calls them) (`ruleset.attach_correlations`)
    links: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = ()
    generate: bool = True  # False: named only by correlations that keep its matches to themselves
    listing: Mapping[str, Any] | None = None  # a correlation as `exhunt rules` lists it (never matched)

    def filtered_by(self, view: EventView) -> str | None:
        """The id of the first filter that turns this rule's match on `view` away, or None."""
        for filter_id, gate in self.gates:
            if not gate.test(view):
                return filter_id
        return None


Compiled = list[tuple[CompiledRule, frozenset[int] | None]]


def compile_rule(rule: Mapping[str, Any], where: str, lazy: bool = False) -> tuple[SigmaMeta, Compiled]:
    """A rule entry compiled for every log its logsource maps to, with the event ids each
    target is indexed under; with `lazy`, checked now and compiled at first use, the anchors
    taken from the entry."""
    meta = SigmaMeta.from_plain(rule["meta"], where)
    product, category, service = rule["logsource"]
    targets = logsource_map().resolve(product, category, service)
    trees = rule["trees"]
    if not isinstance(trees, list) or not trees:
        raise ValueError("rule without conditions")
    found = rule["ids"]
    tree_ids = None if found is None else frozenset(int(i) for i in found)
    stored: list[Anchors] = []
    if lazy:
        stored = [anchors_from_plain(a) for a in rule["anchors"]]
        if len(stored) != len(targets):
            raise ValueError("anchors of the wrong shape")
        for tree in trees:
            check_condition(tree)
    compiled: Compiled = []
    for n, target in enumerate(targets):
        node: Node | LazyNode
        if lazy:
            node = LazyNode(stored[n], partial(target_node, trees, target))
        else:
            node = target_node(trees, target)
        ids = target.event_ids
        if ids is None and not target.channels[0].startswith("web:"):
            ids = tree_ids
        compiled.append((CompiledRule(meta, node, target, (product, category, service)), ids))
    return meta, compiled


def target_node(trees: list[Any], target: Target) -> Node:
    if target.channels == (WEB_IIS,):
        fields = _plus_encoded_fields()
        trees = [_as_iis_reads(tree, fields) for tree in trees]
    nodes = [compile_condition(tree, target.renames) for tree in trees]
    node = nodes[0] if len(nodes) == 1 else _either(nodes)
    if target.conditions:
        node = _with_conditions(node, target.conditions)
    return node


@cache
def _plus_encoded_fields() -> frozenset[str]:
    """The Sigma fields whose IIS column is logged with '+' for a space (user agent, referer,
    cookie), which the IIS reader turns back into spaces."""
    from exhunt.artefacts.w3c import PLUS_ENCODED

    columns = logsource_map().web.get(WEB_IIS.removeprefix("web:"), {})
    return frozenset(f for f, column in columns.items() if column.lower() in PLUS_ENCODED)


def _as_iis_reads(tree: Any, fields: frozenset[str]) -> Any:
    """A condition for IIS records: a string value given for a plus-encoded field as IIS logs
    it ('Googlebot/2.1+(+http://...)', as SigmaHQ's Exchange web rules write user agents) has its
    '+' read as the space the reader made of it, so it matches as logged; a value written with
    spaces matches as before. Every other test, and the URI query (whose '+' is kept), as given."""
    if not isinstance(tree, list) or not tree:
        return tree
    kind = tree[0]
    if kind in ("and", "or") and len(tree) == 2 and isinstance(tree[1], list):
        return [kind, [_as_iis_reads(item, fields) for item in tree[1]]]
    if kind == "not" and len(tree) == 2:
        return [kind, _as_iis_reads(tree[1], fields)]
    if kind == "str" and len(tree) == 4 and tree[1] in fields and isinstance(tree[2], list):
        parts = [p.replace("+", " ") if isinstance(p, str) else p for p in tree[2]]
        return ["str", tree[1], parts, tree[3]]
    return tree


def anchors_plain(anchors: Anchors) -> list[list[str]] | None:
    """Anchors as the cache keeps them: sorted [field, literal] pairs, or null."""
    return None if anchors is None else sorted([field, literal] for field, literal in anchors)


def anchors_from_plain(value: Any) -> Anchors:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise ValueError("anchors of the wrong shape")
    out: set[tuple[str, str]] = set()
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2 or not all(isinstance(x, str) and x for x in pair):
            raise ValueError("anchor of the wrong shape")
        out.add((pair[0], pair[1]))
    return frozenset(out)


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
