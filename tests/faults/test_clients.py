"""Slow and greedy clients against the real `forum serve`: they hold connections, they do not
hold the forum. (That a trickling client is cut off after the keep-alive time is checked in
tests/ops/test_connection_limits.py, in one process, without waiting 15 s here.)"""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.processes import Serving, forum_env, serving

SLOW_CLIENTS = 200


@pytest.fixture
def forum(make_database: Callable[[str], str], tmp_path: Path) -> Iterator[Serving]:
    env = forum_env(tmp_path / "data", DATABASE_URL=make_database("slowclients"))
    with serving(env, tmp_path / "serve.log", "--workers", "2") as running:
        yield running


def test_clients_trickling_their_requests_do_not_slow_anyone_else(forum: Serving) -> None:
    """Fault: 200 connections each send half a request line and then a byte now and then
    (slowloris), and 200 more open and send nothing. Promise: members' pages are answered
    meanwhile, not after the slow ones time out (15 s), and the log is not flooded."""
    held: list[socket.socket] = []
    try:
        for i in range(SLOW_CLIENTS * 2):
            conn = socket.create_connection(("127.0.0.1", forum.port), timeout=5)
            if i % 2 == 0:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: forum\r\nX-Slow: ")
            held.append(conn)
        took = []
        for _ in range(20):
            for conn in held[::2][:50]:
                conn.sendall(b"a")
            started = time.monotonic()
            with urllib.request.urlopen(forum.base_url + "/", timeout=10) as resp:  # noqa: S310
                assert resp.status == 200
            took.append(time.monotonic() - started)
    finally:
        for conn in held:
            conn.close()

    # A bound, not a measurement: a forum held up by them would answer at their 15 s cut-off.
    assert max(took) < 5.0, f"slowest page {max(took):.2f} s with slow clients connected"
    assert forum.log.read_text().count("Traceback") == 0
