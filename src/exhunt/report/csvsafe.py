"""CSV cells a spreadsheet cannot run.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and
some also after a leading tab or carriage return) as a formula, so a user agent such as
`=HYPERLINK("http://...")` copied from a log would become a live link or worse (OWASP, "CSV
Injection"). By default every CSV exhunt writes prefixes such a cell with a single quote, which
spreadsheets show but do not evaluate; `--csv-raw` writes the values exactly as logged, for
forensic tools that do not evaluate cells (docs/outputs.md). The findings' CSV files (`--csv`,
a `.csv` timeline) also show control characters as `\\xNN` by default (`safe_cell`), as the
scanner's CSV does, so a file name or user agent carrying escape sequences cannot act on the
terminal of whoever looks at the file with `cat` or `less -R`; tabs, carriage returns and line
feeds, which CSV quotes and spreadsheets show as space, stay as they are.
"""

from __future__ import annotations

import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet would take it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


# What a terminal acts on (escape sequences, bell, C1 controls) or reorders (bidi overrides).
_LIVE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe_cell(text: str) -> str:
    """`text` inert for a spreadsheet and a terminal: a leading `'` when a spreadsheet would take
    it as a formula, then control characters but tab, carriage return and line feed as `\\xNN`."""
    return _LIVE.sub(lambda m: f"\\x{ord(m.group()):02x}", spreadsheet_safe(text))
