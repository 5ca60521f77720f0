"""Imported once by the fork server that starts a LocalCluster's workers (`--scheduler local:N`).

`exhunt.fleet.backends.DaskPool` names this module in the fork server's preload list: the fork
server is a fresh, single-threaded interpreter that imports it, and every worker process is
forked from it afterwards, so each starts with exhunt imported and the default rules and
prefilters compiled (`exhunt.warmup.warm_up`) instead of paying for both itself. Forking a
single-threaded process is safe; forking the hunting process, whose other threads may hold a
lock at that moment, is not.

A failure here is not reported here: the fork server has no one to tell. The same `warm_up`
runs again on every worker when the pool starts (with the hunt's own options), and a failure
there stops the hunt with its reason.
"""

from __future__ import annotations

import contextlib
import gc
import signal

from exhunt.analyzers import HuntOptions
from exhunt.warmup import warm_up

# Ctrl-C in a terminal reaches every process of its group, the workers forked from here too, whose
# event loops then stopped printing a KeyboardInterrupt traceback each. The hunting process takes
# it and closes the cluster, which stops them: they ignore it, as this server does (it restores
# in every worker it forks the handler set before it started serving: this one).
signal.signal(signal.SIGINT, signal.SIG_IGN)
with contextlib.suppress(Exception):  # reported by DaskPool's warm-up on the workers, see above
    warm_up(HuntOptions())
# What the workers inherit is left out of their garbage collections, which would otherwise write
# to each object and so copy every page they share with this process (and with each other).
gc.freeze()
