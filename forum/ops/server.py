"""`forum serve`: one process, or N worker processes sharing one port through SO_REUSEPORT.

The parent resolves the database (starting the embedded one if needed) and applies migrations
once, then starts the workers with the resolved settings and keeps them running
(`forum.ops.supervisor`). Workers share nothing but PostgreSQL, which is what lets N processes, or
N machines behind a load balancer, behave as one forum.

A worker told to stop (SIGTERM, SIGINT, or its parent gone) stops taking connections, tells each
live stream to reconnect (to another worker, or to this forum once it is back), lets requests in
flight finish for up to FORUM_SHUTDOWN_SECONDS, and then closes its database pool within what is
left of that time.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import multiprocess

from forum.config import Settings
from forum.moderation.crisis import model, scanner
from forum.ops import logs, supervisor
from forum.ops.runtime import StartupError
from forum.web import metrics
from forum.web.app import create_app

#: How long a connection may sit without a complete request: before its first one, between two
#: on a kept-alive connection, and while its headers trickle in (aiohttp's keep-alive timer runs
#: from the connection's start and is reset only when a request has been answered), so a client
#: sending a header byte now and then (slowloris) is cut off here rather than holding a file
#: descriptor for ever. Live streams are requests being answered, and are not affected.
KEEPALIVE_SECONDS = 15.0
#: Headers aiohttp reads at most, per line and in all (its defaults, stated).
HANDLER_OPTIONS: dict[str, Any] = {
    "keepalive_timeout": KEEPALIVE_SECONDS,
    "max_line_size": 8190,
    "max_field_size": 8190,
}


class AccessLogger(AbstractAccessLogger):
    """Method, path, status and time: no query string (searches can be personal), no address."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms", request.method, request.path, response.status, time * 1000
        )


def check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR as aiohttp's listener has, so connections left in TIME_WAIT by a restart
        # do not count; but not SO_REUSEPORT, with which the probe (and then our workers) would
        # quietly share the port with a server already there, such as another `forum serve`.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            bad_host = isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL
            raise StartupError(
                f"{'FORUM_HOST' if bad_host else 'FORUM_PORT'}: cannot listen on {host}:{port}:"
                f" {exc.strerror}"
            ) from None


async def serve_until_signalled(settings: Settings, reuse_port: bool) -> None:
    """Serve until SIGINT or SIGTERM (or the parent's death), then shut down gracefully.

    The signals only set an event, from the loop (not from inside whatever task is running), so
    a second signal (Ctrl-C reaches the whole process group, then the parent passes SIGTERM on)
    changes nothing and the first shutdown completes. Live streams end at once with a
    "reconnect" event (`forum.web.live`); other requests have the grace period to finish.
    """
    runner = web.AppRunner(
        create_app(settings),
        access_log_class=AccessLogger,
        shutdown_timeout=settings.shutdown_seconds,
        **HANDLER_OPTIONS,
    )
    await runner.setup()
    # Compiled before the first request rather than by it: otherwise the first member to publish
    # in each process waits a second or more for the crisis lexicon (and the model's file).
    await asyncio.to_thread(scanner.Lexicon.base)
    await asyncio.to_thread(model.default)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    orphaned = supervisor.parent_sentinel()
    if orphaned is not None:

        def parent_gone() -> None:
            loop.remove_reader(orphaned)  # it stays readable: once is enough
            stop.set()

        loop.add_reader(orphaned, parent_gone)
    try:
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port)
        await site.start()
        await stop.wait()
    finally:
        await runner.cleanup()


def run_worker(settings: Settings, reuse_port: bool) -> None:
    supervisor.die_with_parent()
    logs.configure(settings.log_format)
    asyncio.run(serve_until_signalled(settings, reuse_port))


def serve(settings: Settings, workers: int) -> int:
    """Serve until stopped; the exit status (1 if the workers crashed in a loop)."""
    check_port_free(settings.host, settings.port)
    print(
        f"forum: serving on http://{settings.host}:{settings.port} with {workers} "
        f"worker{'s' if workers > 1 else ''}",
        flush=True,
    )
    if settings.benchmark_no_rate_limits:
        print(
            "forum: FORUM_BENCHMARK_NO_RATE_LIMITS=1: posting limits are lifted (benchmarks only)",
            file=sys.stderr,
            flush=True,
        )
    if workers == 1:
        run_worker(settings, reuse_port=False)
        return 0
    with metrics_folder() as folder:
        context = multiprocessing.get_context("spawn")
        return supervisor.Supervisor(
            start=lambda: context.Process(target=run_worker, args=(settings, True), daemon=False),
            workers=workers,
            grace=settings.shutdown_seconds,
            on_death=lambda pid: multiprocess.mark_process_dead(pid, folder),  # type: ignore[no-untyped-call]
        ).run()


@contextlib.contextmanager
def metrics_folder() -> Iterator[str]:
    """A fresh folder for the workers' metrics (prometheus_client's multiprocess mode), named to
    them in PROMETHEUS_MULTIPROC_DIR before they start and removed when the forum stops: counts
    from an earlier run must not be added to this one's."""
    folder = tempfile.mkdtemp(prefix="forum-metrics-")
    previous = os.environ.get(metrics.MULTIPROC_DIR)
    os.environ[metrics.MULTIPROC_DIR] = folder
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop(metrics.MULTIPROC_DIR, None)
        else:
            os.environ[metrics.MULTIPROC_DIR] = previous
        shutil.rmtree(folder, ignore_errors=True)
