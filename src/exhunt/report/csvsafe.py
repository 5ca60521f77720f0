"""CSV cells a spreadsheet cannot run.

Excel, LibreOffice and Google Sheets evaluate a cell that starts with `=`, `+`, `-` or `@` (and
some also after a leading tab or carriage return) as a formula, so a user agent such as
`=HYPERLINK("http://...")` copied from a log would become a live link or worse (OWASP, "CSV
Injection"). By default every CSV exhunt writes prefixes such a cell with a single quote, which
spreadsheets show but do not evaluate; `--csv-raw` writes the values exactly as logged, for
forensic tools that do not evaluate cells (docs/outputs.md).
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet would take it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text
