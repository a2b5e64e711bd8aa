"""A TCP proxy in front of PostgreSQL that a test controls: the network failing for real.

The forum under test connects to the proxy's port (127.0.0.1) and the proxy to the test's
PostgreSQL (TCP, or the Unix socket of the embedded server). The test can then:

- `cut()`: drop every connection at once and refuse new ones (the listening socket is closed,
  so a connection attempt is refused, as when PostgreSQL is down or restarting);
- `hang()`: keep every connection open but pass nothing, either way (a network or a server that
  stops answering: the worst case, since nothing fails, it only waits);
- `slow(seconds)`: pass everything, each chunk late by `seconds`;
- `restore()`: back to passing everything, on the same port.

The proxy runs its own event loop in a thread, so the test's code stays synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

T = TypeVar("T")


@dataclass
class Proxy:
    target_url: str
    port: int = 0
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _server: asyncio.Server | None = None
    _flowing: asyncio.Event | None = None
    _delay: float = 0.0
    _open: set[asyncio.StreamWriter] = field(default_factory=set)
    _thread: threading.Thread | None = None

    # the test's side

    @property
    def url(self) -> str:
        """`target_url` as the forum should use it: through the proxy."""
        parts = urlsplit(self.target_url)
        user = f"{parts.username}@" if parts.username else ""
        return urlunsplit(("postgresql", f"{user}127.0.0.1:{self.port}", parts.path, "", ""))

    def start(self) -> Proxy:
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self._start())
        return self

    def close(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop.close()

    def cut(self) -> None:
        self._call(self._cut())

    def hang(self) -> None:
        self._call(self._set_flowing(False))

    def slow(self, seconds: float) -> None:
        self._delay = seconds

    def restore(self) -> None:
        self._delay = 0.0
        self._call(self._restore())

    @property
    def connections(self) -> int:
        return len(self._open)

    # the proxy's side

    def _call(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    async def _start(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _set_flowing(self, on: bool) -> None:
        assert self._flowing is not None
        if on:
            self._flowing.set()
        else:
            self._flowing.clear()

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _shutdown(self) -> None:
        await self._cut()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _restore(self) -> None:
        await self._set_flowing(True)
        if self._server is None:
            await self._start()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = urlsplit(self.target_url)
        host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
        port = parts.port or 5432
        if host.startswith("/"):
            return await asyncio.open_unix_connection(f"{host}/.s.PGSQL.{port}")
        return await asyncio.open_connection(host, port)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await self._connect()
        except OSError:
            client_w.transport.abort()
            return
        self._open.update((client_w, server_w))
        try:
            await asyncio.gather(self._pump(client_r, server_w), self._pump(server_r, client_w))
        finally:
            for writer in (client_w, server_w):
                self._open.discard(writer)
                writer.transport.abort()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                await self._flowing.wait()
                if self._delay:
                    await asyncio.sleep(self._delay)
                writer.write(data)
                await writer.drain()
        writer.transport.abort()  # one side ended: end the other, as a real connection would


@contextlib.contextmanager
def proxied(target_url: str) -> Iterator[Proxy]:
    proxy = Proxy(target_url).start()
    try:
        yield proxy
    finally:
        proxy.close()
