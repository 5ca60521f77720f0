"""Regular expressions written by users, run on RE2.

Python's `re` backtracks: a pattern such as `(a+)+$` takes exponential time on a path of
a's, and a deeply nested pattern can raise `RecursionError` while compiling. RE2 matches in
time linear in the input and reports what it cannot compile as an error. Its syntax is Python's
without look-around and back-references; a pattern using those is refused with RE2's reason.
"""

from __future__ import annotations

from typing import Any, Protocol

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

MAX_PATTERN_CHARS = 4096


class PathPattern(Protocol):
    def search(self, text: str) -> object | None: ...


# What RE2 raises for a pattern it does not take (look-around, back-references).
LinearRegexError: type[Exception] = re2.error


class UserRegexError(ValueError):
    """The pattern is not one RE2 accepts."""


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # the reason goes into the problem, not to stderr
    return options


def compile_linear(source: str, *, ignore_case: bool = False) -> Any:
    """One of exhunt's own patterns, for text of any length from the evidence (a config whose
    whole body is one line): RE2 keeps the search linear where `re` would backtrack."""
    options = _options()
    options.case_sensitive = not ignore_case
    return re2.compile(source, options)


def compile_user_regex(source: str) -> PathPattern:
    """`source` compiled case-insensitively on RE2. Raises `UserRegexError`."""
    if len(source) > MAX_PATTERN_CHARS:
        raise UserRegexError(f"longer than {MAX_PATTERN_CHARS} characters")
    try:
        return re2.compile(source, _options())  # type: ignore[no-any-return]
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UserRegexError(f"{reason} (patterns run on RE2: no look-around or back-references)") from None
