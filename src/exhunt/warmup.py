"""What every worker compiles before its first file, done once ahead of the work.

The rule catalog (TOML read and checked, with the user's rule files) and what each analyzer
of the hunt's artefact kinds prepares (`exhunt.analyzers.prepare`: a log analyzer's Hyperscan
prefilter, the file hunt's content rules and lists) cost one to two seconds of CPU per process
on a fresh interpreter, most of it the prefilters. `warm_up` compiles what the hunt's artefact kinds need: in the process the local
workers fork from, so they start with all of it, and on every Dask worker when the pool starts
or connects (`exhunt.fleet.backends.DaskPool`), all at once before any unit; a Dask worker keeps
it for as long as it lives. Whatever is not warmed is still compiled on first use: a miss costs
time, never a result.
"""

from __future__ import annotations

from collections.abc import Collection

from exhunt.analyzers import HuntOptions
from exhunt.model import ArtefactKind


def warm_up(options: HuntOptions, kinds: Collection[ArtefactKind] | None = None) -> None:
    """Compile now what the analyzers of these artefact kinds (all when None) use."""
    from exhunt.analyzers import prepare
    from exhunt.rules import catalog

    # The file hunt's toolkit comes with the file kinds (its analyzer prepares it): a hunt of
    # logs alone does not compile the YARA rules it will never use.
    prepare(list(ArtefactKind) if kinds is None else kinds, options)  # takes the user's rules first
    catalog()
