"""PowerShell's encoded commands in a command line a page starts: `powershell -enc <base64>` runs
the base64 of the command's UTF-16LE text, so the command a rule's `arguments` look for
(a download cradle, a reverse shell, a new account) is not in the page's text at all. Its
decoded text is added to the command line the act-alone rules search, and shown in the finding.

PowerShell takes the parameter as `-EncodedCommand` or any start of it down to `-e` (and `-ec`),
after `-` or `/` ("about_PowerShell_exe", "about_Pwsh")."""

from __future__ import annotations

import base64
import binascii
import re

# `-e`, `-ec`, `-en`, `-enc` ... `-encodedcommand`, then its base64 argument (quoted or not).
_ENCODED = re.compile(
    r"(?<![\w-])[-/\u2013\u2014](?:ec|e(?:n(?:c(?:o(?:d(?:e(?:d(?:c(?:o(?:m(?:m(?:a(?:n(?:d)?)?)?)?)?)?)?)?)?)?)?)?)?)"
    r"[\s:]+[\"']?(?P<b64>[A-Za-z0-9+/]{8,}={0,2})(?![\w+/=])",
    re.IGNORECASE,
)
MAX_DECODED = 8  # encoded commands decoded per command line
MAX_CHARS = 1 << 16  # of each decoded command kept


def decoded(encoded: str) -> str | None:
    """The text an encoded command's argument stands for, or None where it is no base64 of
    UTF-16LE text (a switch that happens to start with `-e`)."""
    try:
        raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) % 2:
        raw = raw[:-1]
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError:
        return None
    # A script is mostly ASCII: the base64 of other bytes read as UTF-16 is CJK or worse.
    plain = sum(1 for c in text if " " <= c <= "~" or c in "\r\n\t")
    printable = all(c.isprintable() or c in "\r\n\t" for c in text)
    return text[:MAX_CHARS] if text and printable and plain >= 0.9 * len(text) else None


def decoded_commands(command: str) -> tuple[list[str], bool]:
    """The text of each encoded command the command line holds, in order, at most `MAX_DECODED`;
    and whether it holds more than that (the rest not decoded: the caller records a limit)."""
    found: list[str] = []
    for m in _ENCODED.finditer(command):
        text = decoded(m.group("b64"))
        if text is not None:
            if len(found) == MAX_DECODED:
                return found, True
            found.append(text)
    return found, False
