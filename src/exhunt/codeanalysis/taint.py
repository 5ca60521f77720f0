"""What the flows carry: a value's taint (where request data came from and what was done to it on
the way), the sink rules the analysis matches calls against, and the calls it reports.

`Taint` is immutable and small: a value's sources and steps are kept in order, at most eight of
each, so a page that joins a value with itself many times does not grow it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from exhunt.codeanalysis.fold import Value, as_text
from exhunt.codeanalysis.vocabulary import SinkPattern


class Budget(Exception):
    """The unit used up its node budget or passed its deadline."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True, slots=True)
class Taint:
    sources: tuple[str, ...]
    kinds: frozenset[str]
    steps: tuple[str, ...]
    lines: frozenset[int]
    # Joined with text the request did not give (`"where id=" + x`, `sql += x`, a builder's
    # `Append`): the value is not the client's text alone, as a query built around it is not.
    joined: bool = False

    def merge(self, other: Taint | None) -> Taint:
        if other is None or other is self:
            return self
        return Taint(
            _ordered(self.sources + other.sources),
            self.kinds | other.kinds,
            _ordered(self.steps + other.steps),
            self.lines | other.lines,
            self.joined or other.joined,
        )

    def step(self, what: str, line: int) -> Taint:
        if what in self.steps:
            return self
        return Taint(self.sources, self.kinds, (*self.steps, what), self.lines | {line}, self.joined)

    def only(self, kinds: frozenset[str]) -> Taint:
        return Taint(self.sources, kinds, self.steps, self.lines, self.joined)

    def join(self) -> Taint:
        return self if self.joined else Taint(self.sources, self.kinds, self.steps, self.lines, True)


def _ordered(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))[:8]


# Names a form field, parameter, header or control holding a password goes by.
_PASSWORD_NAME = re.compile(
    r"(?i)pass(?:word|wd|wort|phrase)|^pass$|pwd|pswd|^pw$|kennwort|contrase|senha|mot_?de_?passe|parol"
    r"|^(?:proxy-)?authorization$"  # the header that carries Basic sign-ins (Outlook on the web, EWS, ActiveSync)
)
# Names of settings about a password, not the password (`PasswordMinLength`, `passwordHint`,
# `pwdExpiryDays`): the word, then what about it.
_ABOUT_A_PASSWORD = re.compile(
    r"(?i)(?:pass(?:word|wd|wort)|pwd|pswd)[-_ .]?(?:min|max|length|len\b|hint|question|format|policy"
    r"|strength|expir|age\b|regex|pattern|reset(?:url|link|token)|recovery|rule|complexity|attempt|count"
    r"|tries|date|time|url|link|label|lbl|mode|type|enabled|required|salt|hash|history|lifetime|validity)"
)
_QUOTED = re.compile(r"'([^']*)'")


def password_named(t: Taint) -> bool:
    """Whether a source of `t` is named like a password (`form field 'password'`, a `txtPwd`
    control, the `Authorization` header), not like a setting about one (`PasswordMinLength`)."""
    return any(
        _PASSWORD_NAME.search(key) and not _ABOUT_A_PASSWORD.search(key)
        for source in t.sources
        for key in _QUOTED.findall(source)
    )


def merge(a: Taint | None, b: Taint | None) -> Taint | None:
    if a is None:
        return b
    return a.merge(b)


@dataclass(frozen=True, slots=True)
class SinkRule:
    rule_id: str
    capability: str
    patterns: tuple[SinkPattern, ...]


@dataclass(slots=True)
class SinkHit:
    rule_id: str
    capability: str
    api: str
    line: int
    taint: Taint | None
    method: str | None
    args: list[Value | None] = field(default_factory=list)
    note: str = ""
    # Arguments the analysis could neither fold to a constant nor place in the site or the
    # configuration: (argument index, or -1 for a property store the call uses; text; line).
    unresolved: tuple[tuple[int, str, int], ...] = ()
    built: bool = False  # reached through what was stored into the object it creates
    content: Taint | None = None  # a file write's: what is written, whatever picks the path
    first: str = ""  # the first argument as written (up to 120 characters)
    # A mail message built before it is sent (`Send(m)`): the addresses it goes to, folded
    # (None: one the code does not fix); None for any other call.
    recipients: tuple[Value | None, ...] | None = None
    # A value set on a registry key the code opened for writing (`OpenSubKey(path, true)
    # .SetValue(...)`): the key's path, hive first (`HKEY_LOCAL_MACHINE\SOFTWARE\...`).
    key: str = ""

    def command_text(self) -> str:
        """What the call's arguments fold to, and the source text of those that do not
        (`"comsvcs.dll, MiniDump " + pid`): the command line or path as the page spells it; a
        registry value's key first."""
        parts = [t for t in (as_text(a) for a in self.args) if t] + [t for _, t, _ in self.unresolved]
        return " ".join([self.key, *parts] if self.key else parts)
