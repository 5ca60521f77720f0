"""Collections whose items the code fixes, so a loop over them carries no client data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import INITIALIZERS, LOOPS
from exhunt.codeanalysis.syntax import (
    Role,
    call_parts,
    index_parts,
    last_name,
    loop_parts,
    member_parts,
    role,
    text,
    unwrap,
)

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Collections made with an initializer that `_fixed_texts` reads (last name, lower case).
_LIST_TYPES = frozenset({"list", "hashset", "sortedset", "collection", "readonlycollection"})


# Calls that change a collection after it is made (`_changed_collections`).
_COLLECTION_CHANGES = frozenset({"add", "addrange", "insert", "insertrange", "setvalue", "push", "enqueue"})


def _constant_item(flow: UnitFlow, node: Node) -> bool:
    """An item of an array of texts the code fixes, whatever the index (`tools[i]`, VB's
    `tools(i)`): one of those constants, even where the request picks which."""
    r = role(node)
    if r is Role.INDEX:
        held_in = index_parts(node)[0]
    elif r is Role.CALL and flow.lang is Lang.VB:
        held_in, _ = call_parts(node)
        if held_in is None or role(unwrap(held_in)) is not Role.IDENT or text(unwrap(held_in)).lower() in flow.methods:
            return False
    else:
        return False
    return held_in is not None and flow._fixed_texts(held_in)


def _fixed_texts(flow: UnitFlow, node: Node, depth: int = 0) -> bool:
    """Whether a collection holds only texts the code fixes: an array that folds to them, a
    list or set made with them (`new List<string> { "a", "b" }`), or a variable set only to one
    of these that nothing adds to or stores into."""
    node = unwrap(node)
    held = flow.fold(node)
    if isinstance(held, list):
        return bool(held) and all(isinstance(v, str) for v in held)
    if role(node) is Role.NEW:  # (an array that does not fold is the folder's to judge: it may have been filled)
        callee, made_with = call_parts(node)
        if callee is None or last_name(callee).split("<")[0] not in _LIST_TYPES:
            return False
        made = [a for a in made_with if a.type in INITIALIZERS]
        items = [unwrap(c) for m in made for c in m.named_children if c.type != "comment"]
        return bool(items) and all(isinstance(flow.fold(i), str) for i in items)
    if role(node) is Role.IDENT and depth < 2:
        values = flow._values_of(node)
        key = flow._n(text(node))
        return (
            bool(values)
            and all(flow._fixed_texts(v, depth + 1) for v in values)
            and key not in flow._changed_collections()
        )
    return False


def _changed_collections(flow: UnitFlow) -> set[str]:
    """Variables whose collection the code changes after making it, or may: an item added,
    inserted or stored (`l.Add(x)`, `l[0] = x`, VB's `l(0) = x`), or the list handed whole to a
    call that may fill it (`Fill(l)`); found once."""
    if flow._changed_held is None:
        found: set[str] = set()
        for node, _method in flow.nodes:
            r = role(node)
            if r in {Role.CALL, Role.NEW}:
                callee, passed = call_parts(node)
                found.update(flow._n(text(unwrap(a))) for a in passed if role(unwrap(a)) is Role.IDENT)
            if r is Role.CALL:
                inner = unwrap(callee) if callee is not None else None
                if inner is not None and role(inner) is Role.MEMBER and last_name(inner) in _COLLECTION_CHANGES:
                    held = member_parts(inner)[0]
                    if held is not None and role(held) is Role.IDENT:
                        found.add(flow._n(text(held)))
            elif r is Role.ASSIGN:
                left = flow._targets(node)[0]
                if left is not None and role(left) in {Role.INDEX, Role.CALL}:
                    base = index_parts(left)[0] if role(left) is Role.INDEX else call_parts(left)[0]
                    if base is not None and role(unwrap(base)) is Role.IDENT:
                        found.add(flow._n(text(unwrap(base))))
        flow._changed_held = found
    return flow._changed_held


def _loop_constants(flow: UnitFlow) -> set[str]:
    """Items of loops over a collection the code fixes (`foreach (var t in new[] { "a", "b" })`,
    VB's `For Each t In New String() {...}`): each turn's value is one of its constants. A name
    any other loop or statement sets is left out. Found once."""
    if flow._constant_items is None:
        fixed: set[str] = set()
        other: set[str] = set()
        for node, _method in flow.nodes:
            if node.type not in LOOPS:
                continue
            item, items = loop_parts(node)
            if item is None or items is None or role(unwrap(item)) is not Role.IDENT:
                continue
            key = flow._n(text(unwrap(item)))
            (fixed if flow._fixed_texts(items) else other).add(key)
        flow._constant_items = fixed - other - flow._assignments().keys()
    return flow._constant_items
