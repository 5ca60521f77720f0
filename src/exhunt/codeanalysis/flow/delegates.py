"""Delegates and JScript functions called as values: the method a call through one runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.extract import Lang
from exhunt.codeanalysis.flow.nodes import delegate_wrapper
from exhunt.codeanalysis.fold import as_text
from exhunt.codeanalysis.syntax import Role, call_parts, index_parts, last_name, role, text, unwrap

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


# Calls that run a method built at run time with Reflection.Emit (`DynamicMethod.Invoke`), by
# the callee's resolved type and name.
# Delegate types a method group is wrapped in by name (`new Func<string, Process>(Process.Start)`).
_DELEGATE_TYPES = frozenset({"func", "action", "predicate", "converter", "threadstart", "parameterizedthreadstart"})


# A delegate's own methods that run it with the arguments given (`BeginInvoke` adds a callback
# and a state object after them).
_DELEGATE_INVOKES = frozenset({"invoke", "dynamicinvoke", "begininvoke"})


def _js_global_eval(flow: UnitFlow, node: Node) -> bool:
    """JScript's `eval` taken as a value: the bare name, or the global object's member named
    by a folded string (`this["ev" + "al"]`)."""
    node = unwrap(node)
    if role(node) is Role.IDENT:
        return text(node) == "eval"
    if role(node) is not Role.INDEX:
        return False
    obj, keys = index_parts(node)
    if obj is None or text(obj) not in {"this", "globalThis"} or len(keys) != 1:
        return False
    return as_text(flow.fold(keys[0])) == "eval"


def _js_called(
    flow: UnitFlow, receiver: Node | None, name: str, args: list[Node]
) -> tuple[Node | None, str, list[Node]]:
    """JScript's `f.call(self, a, b)` and `f.apply(self, [a, b])` of a function variable or
    a function of the page, read as `f(a, b)`: the receiver, name and arguments of the call
    they make (the call as written for any other)."""
    if flow.lang is not Lang.JSCRIPT or receiver is None or name.lower() not in {"call", "apply"}:
        return receiver, name, args
    held = unwrap(receiver)
    target = text(held)
    if role(held) is not Role.IDENT or (flow._n(target) not in flow._lambdas and target.lower() not in flow.methods):
        return receiver, name, args
    if name.lower() == "call":
        return None, target, args[1:]
    listed = unwrap(args[1]) if len(args) > 1 else None
    return None, target, list(listed.named_children) if listed is not None and listed.type == "array" else []


def _lambda_called(flow: UnitFlow, receiver: Node | None, name: str) -> str | None:
    """The variable whose delegate a call runs, as `_lambdas` keys it: `run` of `run(x)`, and of
    `run.Invoke(x)`, `run.DynamicInvoke(x)` and `run.BeginInvoke(x, callback, state)` (the
    delegate's own ways to be called); None for any other call."""
    if receiver is None:
        return flow._n(name)
    if name.lower() in _DELEGATE_INVOKES and role(unwrap(receiver)) is Role.IDENT:
        return flow._n(text(unwrap(receiver)))
    return None


def _delegate_call(flow: UnitFlow, receiver: Node | None, name: str) -> str | None:
    """The method of this file a call of a delegate variable runs (`run(x)`, `run.Invoke(x)`
    where `run = Go`), by its name in lower case; None for any other call."""
    if not flow.methods:
        return None
    if receiver is None:
        variable = name
    elif name.lower() in _DELEGATE_INVOKES and role(unwrap(receiver)) is Role.IDENT:
        variable = text(unwrap(receiver))
    else:
        return None
    if flow._own_groups is None:
        flow._own_groups = {}
        for held, right in flow._variables_set():
            target = flow._group_target(right, own=True)
            if target is not None and held.lower() not in flow.methods:
                flow._own_groups[held] = text(target).lower()
    return flow._own_groups.get(flow._n(variable))


def _group_target(flow: UnitFlow, value: Node, own: bool = False) -> Node | None:
    """The member a delegate is made from: `Process.Start` of itself, of `AddressOf
    Process.Start`, `(Func<...>)Process.Start` or `new Func<...>(Process.Start)`; with `own`,
    the name of a method of this file made into a delegate the same ways (`Go`)."""
    node = unwrap(value)
    for _ in range(4):
        r = role(node)
        if own and r is Role.IDENT:
            return node if text(node).lower() in flow.methods else None
        if r is Role.MEMBER and not own:
            return node
        if delegate_wrapper(node) and node.named_child_count:
            node = unwrap(node.named_children[-1])
        elif r is Role.NEW:
            callee, args = call_parts(node)
            kind = last_name(callee)
            if len(args) != 1 or kind not in _DELEGATE_TYPES:
                return None
            node = unwrap(args[0])
        else:
            return None
    return None
