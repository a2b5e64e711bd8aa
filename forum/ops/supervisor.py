"""`forum serve --workers N`: the parent keeps N workers running until it is told to stop.

A worker that dies (a crash, kill -9, the kernel's OOM killer) is replaced. One that had been
running a while is replaced at once; one that dies soon after it started is replaced after a
back-off that doubles each time (0.5 s, 1 s, 2 s... up to 15 s), and after `CRASH_LOOP` such early
deaths in a row the parent stops the rest and exits with status 1 and one line: a worker that
cannot start will not start by being tried forever, and a supervisor above (systemd's
`Restart=on-failure`) should hear that something is wrong, not a cheerful 0.

SIGTERM or SIGINT to the parent passes SIGTERM to every worker, which drains (see
`server.serve_until_signalled`) within the grace period; a worker still there a little after it is
killed. Workers also stop when the parent dies, even by kill -9, so none is left holding the port:
each watches its parent (the pipe `multiprocessing` keeps to it, and on Linux PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

#: A worker that dies sooner than this after starting crashed on start.
EARLY_SECONDS = 10.0
#: This many early deaths in a row: give up.
CRASH_LOOP = 5
FIRST_DELAY = 0.5
MAX_DELAY = 15.0
#: How much longer than the grace period a stopping worker is waited for before SIGKILL.
KILL_MARGIN = 3.0
PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a worker: get SIGTERM when the parent dies (Linux), and exit now if it already has.
    Not in a single `forum serve` process: its parent is a shell or systemd, not ours."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent.pid:  # the parent died before prctl took effect
        os._exit(0)


def parent_sentinel() -> int | None:
    """A file descriptor that becomes readable when the parent dies (None without a parent)."""
    parent = multiprocessing.parent_process()
    return parent.sentinel if parent is not None else None


def how_it_ended(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


@dataclass
class Supervisor:
    """Runs `start()` processes `workers` at a time; `run()` returns the exit status."""

    start: Callable[[], BaseProcess]
    workers: int
    grace: float
    #: Told the pid of each worker that ended (its live metrics are dropped).
    on_death: Callable[[int], None] = lambda _pid: None
    say: Callable[[str], None] = field(
        default=lambda line: print(line, file=sys.stderr, flush=True)
    )
    clock: Callable[[], float] = time.monotonic
    early_seconds: float = EARLY_SECONDS
    crash_loop: int = CRASH_LOOP
    _running: dict[BaseProcess, float] = field(default_factory=dict, init=False)
    _due: list[float] = field(default_factory=list, init=False)
    _early_in_a_row: int = field(default=0, init=False)
    _stopping: bool = field(default=False, init=False)

    def _launch(self) -> None:
        process = self.start()
        process.start()
        self._running[process] = self.clock()

    def _stop(self, _signum: int, _frame: Any) -> None:
        self._stopping = True

    def run(self) -> int:
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGTERM, signal.SIGINT)}
        status = 0
        try:
            for _ in range(self.workers):
                self._launch()
            while not self._stopping:
                timeout = 0.5 if not self._due else max(0.0, min(self._due) - self.clock())
                ended = multiprocessing.connection.wait(
                    [p.sentinel for p in self._running], timeout=min(timeout, 0.5)
                )
                for sentinel in ended:
                    if not self._replace(next(p for p in self._running if p.sentinel == sentinel)):
                        status = 1
                        self._stopping = True
                        break
                now = self.clock()
                for due in [d for d in self._due if d <= now]:
                    self._due.remove(due)
                    if not self._stopping:
                        self._launch()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._stop_all()
        return status

    def _replace(self, process: BaseProcess) -> bool:
        """Schedule a replacement for a dead worker; False if workers are crashing in a loop."""
        process.join()
        lived = self.clock() - self._running.pop(process)
        if process.pid is not None:
            self.on_death(process.pid)
        if lived < self.early_seconds:
            self._early_in_a_row += 1
        else:
            self._early_in_a_row = 0
        ended = f"worker {process.pid} {how_it_ended(process.exitcode)} after {lived:.1f}s"
        if self._early_in_a_row >= self.crash_loop:
            self.say(
                f"forum: {ended}; {self._early_in_a_row} workers in a row died within"
                f" {self.early_seconds:.0f}s of starting, so the forum is stopping (see the log"
                " above)"
            )
            return False
        delay = (
            min(MAX_DELAY, FIRST_DELAY * 2 ** (self._early_in_a_row - 1))
            if self._early_in_a_row
            else 0.0
        )
        self.say(f"forum: {ended}; starting another in {delay:.1f}s")
        self._due.append(self.clock() + delay)
        return True

    def _stop_all(self) -> None:
        for process in self._running:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker drains
        deadline = time.monotonic() + self.grace + KILL_MARGIN
        for process in self._running:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
