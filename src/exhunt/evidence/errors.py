"""The one fatal evidence problem: nothing usable was given."""

from __future__ import annotations


class EvidenceUnavailable(Exception):
    """The evidence cannot be read at all (missing path, not a folder or zip, nothing to hunt).

    The message is one plain sentence meant for the user; problems with single files or folders
    are never raised but recorded in `HostEvidence.errors`.
    """
