"""The same-bytes baseline: a bare aiohttp app serving one fixed body, with N processes.

`python bench/baseline.py --port P --body FILE [--workers 2]` serves FILE's bytes as text/html on
every path, with SO_REUSEPORT across the workers exactly as `forum serve --workers N` does. It is
what aiohttp itself can do on this machine for a page of that size: bench/run.py divides the
forum's figures by it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import signal
from pathlib import Path

from aiohttp import web


def _serve(port: int, body: bytes) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    async def page(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    web.run_app(
        app,
        host="127.0.0.1",
        port=port,
        reuse_port=True,
        access_log=None,
        print=None,
        handle_signals=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    body = args.body.read_bytes()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_serve, args=(args.port, body)) for _ in range(args.workers)]
    for worker in workers:
        worker.start()

    def stop(_signum: int, _frame: object) -> None:
        for worker in workers:
            worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
