"""The fork server that forks a LocalCluster's workers (`--scheduler local[:N]`), started as early
as the command line shows it is needed.

Before a `local:N` cluster's first worker exists, its fork server must import `distributed` and
exhunt and compile the default rules (`exhunt.fleet.forkserver_warm`): 1-2 s of CPU, the longest
step of the cluster's start, which the workers, the hunt and so the whole command wait for. This
module imports nothing heavy, so `exhunt hunt` can start the fork server before it builds its
argument parser (which imports every command's module) and reads its rules; the fork server then
warms up on the other core meanwhile.
"""

from __future__ import annotations

import importlib
import multiprocessing
from collections.abc import Sequence

# Imported by the fork server before it forks any worker (exhunt.fleet.forkserver_warm).
FORKSERVER_PRELOAD = ["distributed", "exhunt.fleet.forkserver_warm"]


def is_local(scheduler: str) -> bool:
    """`local` or `local:N`: a LocalCluster this process starts."""
    return scheduler == "local" or scheduler.startswith("local:")


def start_fork_server() -> bool:
    """Start the fork server that forks a LocalCluster's workers, if it is not running yet, and
    return at once: it imports exhunt and compiles the default rules and prefilters (1-2 s of
    CPU, `exhunt.fleet.forkserver_warm`) on the other cores while this process reads the rules,
    discovers the evidence and starts the scheduler. It is started by fork and exec, a fresh
    interpreter that inherits no thread of this one, and it ends when this process does. False
    where there is no fork server (Windows). Needs no `distributed` here: started before Dask
    is imported, it is the one Dask's nannies use."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    multiprocessing.get_context("forkserver").set_forkserver_preload(FORKSERVER_PRELOAD)
    importlib.import_module("multiprocessing.forkserver").ensure_running()
    return True


def local_scheduler_in(arguments: Sequence[str]) -> bool:
    """Whether an `exhunt hunt` command line, not yet parsed, asks for a LocalCluster
    (`--scheduler local[:N]` or `--scheduler=local[:N]`). Only a hint for starting the fork
    server early: the parsed arguments decide, and start it then if this missed it."""
    if not arguments or arguments[0] != "hunt":
        return False
    for i, arg in enumerate(arguments):
        if arg == "--":
            return False
        if arg == "--scheduler" and i + 1 < len(arguments):
            return is_local(arguments[i + 1])
        if arg.startswith("--scheduler="):
            return is_local(arg.partition("=")[2])
    return False
