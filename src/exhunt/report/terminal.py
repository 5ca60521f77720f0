"""The one console every command writes to: whatever text reaches it is inert.

Rich writes its own colours as escape sequences; text from evidence, the network or a results
file must never add its own. Every string rich renders passes through `render_str`, so this
console replaces each control character, DEL, C1 control and bidi override in the rendered text
with a visible stand-in of the same length (styles stay where they were): a logged value can
neither move the cursor, clear the screen, ring the bell, write the clipboard (OSC 52) nor
reorder what the reader sees. Writers that want the exact escape show it first with
`safe_text.printable`. Rich's emoji codes are off: a path or a value holding `:x:` is shown as
written, not as a picture.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from exhunt.report.safe_text import inert_same_length


class InertConsole(Console):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        rendered = super().render_str(text, **kwargs)
        plain = rendered.plain
        safe = inert_same_length(plain)
        if safe is not plain:
            rendered.plain = safe
        return rendered
