"""A Ctrl-C that Python drops on its way (raised inside a garbage-collector callback, where it is
printed as "Exception ignored" and lost) still stops a hunt, with exit 130."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from exhunt import interrupts

EXAMPLES = REPO / "examples"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGINT sent to the process itself")


def _drop_a_ctrl_c_in_a_gc_callback() -> None:
    """Send SIGINT to this process from inside a collection's callback: its KeyboardInterrupt
    is raised there and dropped by the interpreter."""

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc.callbacks.remove(callback)
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs at one of these steps, still inside the callback
                pass

    gc.callbacks.append(callback)
    gc.collect()


def test_an_interrupt_dropped_in_a_gc_callback_is_raised_by_check() -> None:
    reported: list[BaseException | None] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda dropped: reported.append(dropped.exc_value)
    try:
        with interrupts.recorded():
            _drop_a_ctrl_c_in_a_gc_callback()  # returns: the KeyboardInterrupt was dropped
            with pytest.raises(KeyboardInterrupt):
                interrupts.check()
            interrupts.check()  # raised once only
            gc.callbacks.append(_failing_callback)
            gc.collect()  # another exception dropped the same way is still reported
    finally:
        sys.unraisablehook = previous
    assert [type(e) for e in reported] == [ValueError]


def _failing_callback(phase: str, info: dict[str, Any]) -> None:
    gc.callbacks.remove(_failing_callback)
    raise ValueError("reported")


def test_an_interrupt_taken_by_its_handler_is_not_raised_again() -> None:
    with interrupts.recorded():
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
        interrupts.taken()
        interrupts.check()


def test_an_interrupt_during_a_deferred_block_is_raised_when_it_ends() -> None:
    done: list[str] = []
    with interrupts.recorded():
        with pytest.raises(KeyboardInterrupt), interrupts.deferred():
            with interrupts.deferred():  # nested: raised when the outer one ends
                os.kill(os.getpid(), signal.SIGINT)
                for _ in range(1000):
                    pass
                done.append("inner")
            done.append("outer")
        interrupts.check()  # taken: not raised again
    assert done == ["inner", "outer"]
    with interrupts.deferred():  # without `recorded`, nothing is held back and nothing is raised
        pass


def test_a_handler_of_the_callers_is_left_alone() -> None:
    calls: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: calls.append(signum))
    try:
        with interrupts.recorded():
            assert signal.getsignal(signal.SIGINT) is not interrupts._on_sigint
        assert calls == []
    finally:
        signal.signal(signal.SIGINT, previous)
    with interrupts.recorded():
        assert signal.getsignal(signal.SIGINT) is interrupts._on_sigint
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


_PROBE = """
import gc, os, signal, sys
from exhunt.fleet import backends
from exhunt.cli import main

submit = backends.LocalWorkers.submit
def first_submit(self, unit):
    backends.LocalWorkers.submit = submit
    submit(self, unit)
    def callback(phase, info):
        if phase == "start":
            gc.callbacks.remove(callback)
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):
                pass
    gc.callbacks.append(callback)
    gc.collect()
    print("dropped", file=sys.stderr)
backends.LocalWorkers.submit = first_submit
sys.exit(main(sys.argv[1:]))
"""


def test_a_hunt_stops_on_a_ctrl_c_dropped_in_a_gc_callback(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    for i in range(12):
        shutil.copytree(EXAMPLES / ("EX01-compromised" if i % 3 == 0 else "EX02-clean"), fleet / f"H{i:02d}")
    db = tmp_path / "h.sqlite"
    argv = [sys.executable, "-c", _PROBE, "hunt", str(fleet), "--jobs", "2", "--db", str(db), "--no-color"]
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    run = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=env, check=False)
    assert "dropped" in run.stderr, run.stderr
    assert run.returncode == 130, run.stderr
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr
    assert "resume with: " in run.stderr, run.stderr
