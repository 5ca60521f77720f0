"""Where a mail message a unit sends goes: the addresses given to its recipient fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tree_sitter import Node

from exhunt.codeanalysis.flow.nodes import SHARED_FIELD
from exhunt.codeanalysis.fold import Value
from exhunt.codeanalysis.syntax import Role, call_parts, last_name, member_parts, role, text, unwrap
from exhunt.codeanalysis.taint import SinkHit, password_named

if TYPE_CHECKING:
    from exhunt.codeanalysis.flow.unit import UnitFlow


_SHARED_STEPS = frozenset({"keeps it in the application", "keeps it in the cache", SHARED_FIELD})


_RECIPIENT_FIELDS = frozenset({"to", "cc", "bcc"})


def _recipients(flow: UnitFlow, message: Node) -> tuple[Value | None, ...]:
    """Where a mail message held in a variable goes: each address given to its `To`, `CC`
    or `Bcc` (`m.To.Add("x@example.com")`, `m.To.Add(new MailAddress(a))`, System.Web.Mail's
    `m.To = "..."`) or to its constructor (`new MailMessage(from, to)`), folded (None: an
    address the code does not fix). Anywhere in the unit: one it cannot place is no address."""
    inner = unwrap(message)
    if role(inner) is not Role.IDENT:
        return (None,)
    return tuple(flow._mail_addresses().get(flow._n(text(inner)).lower(), ()))


def _mail_addresses(flow: UnitFlow) -> dict[str, list[Value | None]]:
    """Every message variable's addresses (`_recipients`), found in one walk of the unit."""
    if flow._mailed is not None:
        return flow._mailed
    found: dict[str, list[Value | None]] = {}
    flow._mailed = found
    for node, _method in flow.nodes:
        r = role(node)
        if r is Role.NEW and last_name(call_parts(node)[0]) == "mailmessage":
            args = call_parts(node)[1]
            held = flow._stored_in(node)
            if len(args) > 1 and held is not None:
                found.setdefault(flow._n(text(held)).lower(), []).append(flow._address(args[1]))
        elif r is Role.CALL:
            callee, args = call_parts(node)
            inner_callee = unwrap(callee) if callee is not None else None
            if inner_callee is None or role(inner_callee) is not Role.MEMBER or not args:
                continue
            held_list, verb = member_parts(inner_callee)
            owner = flow._mail_field(held_list) if verb.lower() == "add" and held_list is not None else None
            if owner is not None:
                found.setdefault(owner, []).append(flow._address(args[0]))
        elif r is Role.ASSIGN:
            left, right = flow._targets(node)
            owner = flow._mail_field(left) if left is not None and right is not None else None
            if owner is not None and right is not None:
                found.setdefault(owner, []).append(flow._address(right))  # System.Web.Mail's `m.To = "a@x; b@y"`
    return found


def _mail_field(flow: UnitFlow, node: Node) -> str | None:
    """The message variable (`_n`, lower case) whose `To`, `CC` or `Bcc` `node` is, if it is one."""
    if role(node) is not Role.MEMBER:
        return None
    owner, member = member_parts(node)
    if member.lower() not in _RECIPIENT_FIELDS or owner is None or role(owner) is not Role.IDENT:
        return None
    return flow._n(text(owner)).lower()


def _address(flow: UnitFlow, node: Node) -> Value | None:
    """An address as folded: `new MailAddress("x@example.com", "X")` is its first argument."""
    inner = unwrap(node)
    if role(inner) is Role.NEW and last_name(call_parts(inner)[0]) == "mailaddress":
        args = call_parts(inner)[1]
        return flow.fold(args[0]) if args else None
    return flow.fold(inner)


def _served_back(flow: UnitFlow, node: Node, args: list[Node], values: list[Value | None], method: str | None) -> None:
    """`Response.Write(x)` of a value kept where every request sees it (the application, the
    cache, a static field): what one visitor submitted, written to another's response. A
    password among it is a credential trap that hands its harvest to whoever asks."""
    t = flow.taint(args[0], method)
    if t is None or not _SHARED_STEPS.intersection(t.steps) or not password_named(t):
        return
    rule = next((r for r in flow.rules if r.capability == "credential-capture"), None)
    if rule is not None:
        note = "writes what it kept for every request into a response"
        flow.hits.append(
            SinkHit(rule.rule_id, rule.capability, "Response.Write", flow.line(node), t, method, values, note=note)
        )
