"""What every worker compiles before its first file, done once ahead of the work.

The rule catalog (TOML read and checked, with the user's rule files), each log analyzer's
prefilter (a Hyperscan database, `exhunt.analyzers.prepare`) and the content and indicator
toolkit cost one to two seconds of CPU per process on a fresh interpreter, most of it the
prefilters. `warm_up` compiles what the hunt's artefact kinds need in the process that starts
the workers, which then fork from it and start with all of it: the local workers, and the
workers of a Dask `LocalCluster` (`exhunt.fleet.backends.DaskPool`). Workers of a cluster
elsewhere run it when the pool connects, before any unit, and keep it for as long as they
live. Whatever is not warmed is still compiled on first use: a miss costs time, never a result.
"""

from __future__ import annotations

from collections.abc import Collection

from exhunt.analyzers import HuntOptions
from exhunt.model import ArtefactKind


def warm_up(options: HuntOptions, kinds: Collection[ArtefactKind] | None = None) -> None:
    """Compile now what the analyzers of these artefact kinds (all when None) use."""
    from exhunt.analyzers import prepare
    from exhunt.filehunt.toolkit import toolkit
    from exhunt.rules import catalog
    from exhunt.rules import use as use_rules

    use_rules(options.user_rules)
    catalog()
    toolkit(options)
    prepare(list(ArtefactKind) if kinds is None else kinds)
