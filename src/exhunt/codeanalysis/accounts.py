"""A page that plants a Windows account of its own, whatever the client sends.

The account rule (capability "account") reports account calls fed by the request: a shell
creating the account its operator names. A page can also carry the account itself: created (ADSI's
`Children.Add(name, "user")`, `new UserPrincipal(...)`, `NetUserAdd`) or given a password, then
added to a group (`Invoke("Add", ...)` on a group entry, `GroupPrincipal.Members.Add`,
`NetLocalGroupAddMembers`), with every name fixed in the code. Each visit then makes or
restores a way back in, as the command `net user x /add & net localgroup administrators x /add`
does, which the fixed-command rules report. Both halves are needed: web applications have no
reason to create Windows accounts and put them into groups from a page; a page that only lists
accounts, or only adds a fixed member to a group (an installer granting its pool a right),
stays quiet.
"""

from __future__ import annotations

from exhunt.codeanalysis.fold import as_text, show
from exhunt.codeanalysis.report import Capability, CodeReport
from exhunt.codeanalysis.taint import SinkHit

# The capability of the account calls (`EXH-WS-CODE-WINDOWS-ACCOUNT`'s), whose rule the hits name.
_ACCOUNT = "account"


def _arg_text(hit: SinkHit, i: int) -> str:
    """Argument `i` of the call as the text it folds to, in lower case ("" when it does not fold)."""
    value = hit.args[i] if len(hit.args) > i else None
    text = as_text(value) if value is not None else None
    return (text or "").lower()


def _makes_account(hit: SinkHit) -> bool:
    """An account created, or given a password."""
    if hit.api == "Children.Add":
        return _arg_text(hit, 1) == "user"
    if hit.api == "DirectoryEntry.Invoke":
        return _arg_text(hit, 0) == "setpassword"
    return hit.api in {"new UserPrincipal", "NetUserAdd", "UserPrincipal.SetPassword", "NetUserSetInfo"}


def _adds_member(hit: SinkHit) -> bool:
    """A member added to a group."""
    if hit.api == "DirectoryEntry.Invoke":
        return _arg_text(hit, 0) == "add"
    return hit.api in {"Members.Add", "NetLocalGroupAddMembers"}


def _named(hit: SinkHit) -> str:
    """The call as a finding shows it: its name and the first names it was given."""
    given = [show(v, 60) for v in hit.args[:2] if v is not None and as_text(v) is not None]
    return f"{hit.api} {', '.join(given)}".strip() + f", line {hit.line}"


def planted_account(hits: list[SinkHit], report: CodeReport) -> None:
    """The account calls of a page no request value reaches: reported once, at the group's
    line, when the page both makes an account and adds a member to a group."""
    fixed = [h for h in hits if h.capability == _ACCOUNT and h.taint is None]
    made = next((h for h in fixed if _makes_account(h)), None)
    added = next((h for h in fixed if _adds_member(h)), None)
    if made is None or added is None:
        return
    if any(c.rule_id == added.rule_id for c in report.capabilities):
        return  # the client's own account already reported
    chain = (
        "creates a Windows account and adds it to a group with names the page fixes, whatever the "
        f"client sends ({_named(made)}; {_named(added)})"
    )
    lines = tuple(sorted({made.line, added.line}))
    report.capabilities.append(Capability(added.rule_id, added.line, chain, lines, added.api))
