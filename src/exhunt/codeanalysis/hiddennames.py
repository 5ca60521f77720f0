"""Names a page hides from string signatures: comment padding, escapes and invisible characters."""

from __future__ import annotations

import re
import unicodedata

from exhunt.codeanalysis.report import Capability, CodeReport
from exhunt.codeanalysis.vocabulary import DANGEROUS_TEXT
from exhunt.rules import rules_of

HIDDEN_NAME = "code-hidden-name"  # the detector of names built at run time or split by comments


_PADDED = re.compile(r"(?<=\w)/\*[^*\n]{0,80}\*/(?=\w)")


_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})")


# A whole word (letters and escapes) holding an escape. It starts only where no letter precedes
# it, the lookahead finds the escape past a run of plain letters taken whole, and the word is
# taken whole: a long word without an escape (a base64 literal) is passed over once, where
# backtracking into it from each of its letters took time in the square of its length.
_ESCAPED_WORD = re.compile(
    r"(?<!\w)(?=\w*+(?:\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}))(?:\w|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8})++"
)


_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")


# Formatting characters (Unicode category Cf: zero-width joiners and marks, the byte-order mark,
# the Mongolian vowel separator, bidirectional marks) written between the letters of a name.
_FORMAT_CHARS = "\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"


_FORMAT_IN_WORD = re.compile(f"(?<=\\w)[{_FORMAT_CHARS}]+(?=\\w)")


_HAS_FORMAT = re.compile(f"[{_FORMAT_CHARS}]")


_ESCAPE_WATCH = {"request", "binaryread", "session", "assembly", "system.reflection"}


def depad(code: str, report: CodeReport, first_line: int) -> str:
    """Join tokens split by comments (`e/*x*/v/*x*/a/*x*/l`), recording what they spelled."""
    if "/*" not in code:
        return code
    joined = _PADDED.sub("", code)
    if joined != code:
        for m in re.finditer(r"\w+", joined):
            word = m.group(0)
            if len(word) > 2 and word not in code:
                line = joined.count("\n", 0, m.start()) + first_line
                report.folded.setdefault(f"{word} (comment-padded)", line)
                if DANGEROUS_TEXT.search(word):
                    for r in rules_of(HIDDEN_NAME):
                        report.capabilities.append(
                            Capability(r.id, line, f"spells '{word}' with comments between its letters", (line,))
                        )
    return joined


def _escaped(m: re.Match[str]) -> str:
    """The character a `\\uXXXX` or `\\UXXXXXXXX` escape stands for ("" beyond Unicode)."""
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code < 0x110000 else ""


def _unescape(m: re.Match[str]) -> str:
    ch = _escaped(m)
    if ch and unicodedata.category(ch) == "Cf":
        return ""  # a formatting character: the compiler drops it from a name
    return ch if _NAME_CHAR.fullmatch(ch) else m.group(0)


def unescape_names(code: str, report: CodeReport) -> str:
    """C# and JScript let identifiers (and strings) spell letters as `\\u0052`: `\\u0052equest`
    is `Request` to the compiler. Letters, digits and `_` written so are read as themselves
    (the meaning is the same in a name and in a string), and each word so spelled is recorded.
    C# also drops formatting characters from names (`Re\\u200Equest`, or the character itself,
    is `Request`): they are removed between letters, escaped or not."""
    if _HAS_FORMAT.search(code, 1) is not None:  # a byte-order mark at the start is not in a name
        code = _drop_format_chars(code, report)
    if "\\u" not in code and "\\U" not in code:
        return code
    out = []
    last = 0
    for m in _ESCAPED_WORD.finditer(code):
        if _escaped_backslash(code, m.start()):
            continue  # `"\\u0053"` in a string: a backslash written as `\\`, then the letter `u`
        word = _ESCAPE.sub(_unescape, m.group(0))
        out.append(code[last : m.start()])
        out.append(word)
        last = m.end()
        if "\\" not in word and len(word) > 2 and _ESCAPE.sub(_unescape_letters_only, m.group(0)) != m.group(0):
            line = code.count("\n", 0, m.start()) + 1
            report.folded.setdefault(f"{word} (unicode escapes)", line)
            _hidden_name(report, word, line, f"spells '{word}' with unicode escapes")
    out.append(code[last:])
    return "".join(out)


def _escaped_backslash(code: str, at: int) -> bool:
    """Whether the backslash at `at` is escaped itself: an odd run of backslashes before it."""
    run = 0
    while at - run > 0 and code[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _unescape_letters_only(m: re.Match[str]) -> str:
    """An escape of a letter, digit or `_` as that character; anything else as written (to tell
    a name spelled with escapes from one that only carries escaped formatting characters)."""
    ch = _escaped(m)
    return ch if _NAME_CHAR.fullmatch(ch) else m.group(0)


def _drop_format_chars(code: str, report: CodeReport) -> str:
    joined = _FORMAT_IN_WORD.sub("", code)
    if joined == code:
        return code
    for m in _FORMAT_IN_WORD.finditer(code):
        start = m.start()
        while start > 0 and (code[start - 1].isalnum() or code[start - 1] == "_" or _HAS_FORMAT.match(code[start - 1])):
            start -= 1
        end = m.end()
        while end < len(code) and (code[end].isalnum() or code[end] == "_" or _HAS_FORMAT.match(code[end])):
            end += 1
        word = _HAS_FORMAT.sub("", code[start:end])
        line = code.count("\n", 0, m.start()) + 1
        report.folded.setdefault(f"{word} (formatting characters)", line)
        _hidden_name(report, word, line, f"spells '{word}' with invisible formatting characters between its letters")
    return joined


def _hidden_name(report: CodeReport, word: str, line: int, said: str) -> None:
    """A dangerous name spelled so that string signatures miss it is a capability of its own
    (once per spelling)."""
    if (DANGEROUS_TEXT.search(word) or word.lower() in _ESCAPE_WATCH) and all(
        c.chain != said for c in report.capabilities
    ):
        for r in rules_of(HIDDEN_NAME):
            report.capabilities.append(Capability(r.id, line, said, (line,)))
