"""Evidence sources: turn what the user pointed at into one `HostEvidence` per host."""

from exhunt.evidence.base import EvidenceFile, FileRef, HostEvidence

__all__ = ["EvidenceFile", "FileRef", "HostEvidence"]
