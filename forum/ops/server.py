"""`forum serve`: one process, or N worker processes sharing one port through SO_REUSEPORT.

The parent resolves the database (starting the embedded one if needed) and applies migrations
once, then starts the workers with the resolved settings. Workers share nothing but PostgreSQL,
which is what lets N processes, or N machines behind a load balancer, behave as one forum.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import multiprocessing
import signal
import socket
import sys
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from forum.config import Settings
from forum.moderation.crisis import scanner
from forum.ops.runtime import StartupError
from forum.web.app import create_app

SHUTDOWN_SECONDS = 5.0


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


async def _serve_until_signalled(settings: Settings, reuse_port: bool) -> None:
    """Serve until SIGINT or SIGTERM, then shut down gracefully.

    The signals only set an event, from the loop (not from inside whatever task is running), so
    a second signal (Ctrl-C reaches the whole process group, then the parent passes SIGTERM on)
    changes nothing and the first shutdown completes. Open event streams are given a few seconds
    before being cut, so a stop never waits on them for long.
    """
    runner = web.AppRunner(
        create_app(settings), access_log_class=AccessLogger, shutdown_timeout=SHUTDOWN_SECONDS
    )
    await runner.setup()
    # Compiled before the first request rather than by it: otherwise the first member to publish
    # in each process waits a second or more for the crisis lexicon.
    await asyncio.to_thread(scanner.Lexicon.base)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port)
        await site.start()
        await stop.wait()
    finally:
        await runner.cleanup()


def run_worker(settings: Settings, reuse_port: bool) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(message)s")
    asyncio.run(_serve_until_signalled(settings, reuse_port))


def serve(settings: Settings, workers: int) -> None:
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
        return
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=run_worker, args=(settings, True), daemon=False)
        for _ in range(workers)
    ]

    def stop(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: aiohttp shuts the worker down gracefully
        for process in processes:
            process.join(timeout=15)
            if process.is_alive():
                process.kill()
    if any(p.exitcode not in (0, -signal.SIGTERM, None) for p in processes):
        print("forum: a worker stopped with an error; see the log above", file=sys.stderr)
