"""Evidence sources: turn what the user pointed at into one `HostEvidence` per host."""

from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence
from exhunt.evidence.discovery import discover
from exhunt.evidence.errors import EvidenceUnavailable

__all__ = ["EvidenceFile", "EvidenceUnavailable", "FileRef", "HostEvidence", "discover"]
