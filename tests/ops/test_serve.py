"""`forum serve --workers 2`: two processes on one port, one forum, and a clean stop on SIGTERM.

The server runs as a user would run it, a subprocess of the real console script. Which worker
answered is read from outside the app: the listening sockets in /proc and the process id that
each worker's access log line carries.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.clients import JOINING, PASSWORD
from tests.processes import (
    READY_WITHIN,
    STOP_WITHIN,
    Browser,
    Serving,
    alive,
    child_pids,
    forum_argv,
    forum_env,
    listening_pids,
    postgres_processes_for,
    serving,
)

ACCESS_LINE = re.compile(r" (\d+) aiohttp\.access (GET|POST|HEAD) (\S+) (\d{3}) ")


class Server(Serving):
    """A running `forum serve` whose access log says which worker answered what."""

    def __init__(self, running: Serving) -> None:
        super().__init__(running.process, running.base_url, running.port, running.log)

    def access_log(self) -> list[tuple[int, str, str, int]]:
        return [
            (int(m[1]), m[2], m[3], int(m[4]))
            for m in ACCESS_LINE.finditer(self.log.read_text(errors="replace"))
        ]


@pytest.fixture
def server(make_database: Callable[[str], str], tmp_path: Path) -> Iterator[Server]:
    env = forum_env(tmp_path / "data", DATABASE_URL=make_database("serve"))
    with serving(env, tmp_path / "serve.log", "--workers", "2") as running:
        # /healthz answered as soon as one worker listened; give the other its start-up too.
        deadline = time.monotonic() + READY_WITHIN
        while len(listening_pids(running.port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield Server(running)


def test_two_workers_listen_on_the_one_port(server: Server) -> None:
    workers = child_pids(server.process.pid)

    listeners = listening_pids(server.port)

    assert len(listeners) == 2
    assert listeners <= workers
    assert server.process.pid not in listeners


def test_requests_are_answered_by_both_workers(server: Server) -> None:
    for _ in range(40):  # each a new connection, which SO_REUSEPORT spreads by its port
        with urllib.request.urlopen(server.base_url + "/healthz", timeout=10) as resp:  # noqa: S310
            assert resp.status == 200

    deadline = time.monotonic() + 10  # the access log line follows the response
    answered_by: set[int] = set()
    while len(answered_by) < 2 and time.monotonic() < deadline:
        answered_by = {pid for pid, _m, path, _s in server.access_log() if path == "/healthz"}
        time.sleep(0.1)
    assert len(answered_by) == 2
    assert answered_by <= child_pids(server.process.pid)


def test_a_member_registered_on_one_worker_stays_signed_in_on_every_worker(server: Server) -> None:
    browser = Browser(server.base_url)

    page = browser.submit(
        "/register",
        "/register",
        {**JOINING, "pseudonym": "tidewater", "password": PASSWORD, "next": "/"},
    )

    assert "Signed in as <strong>tidewater</strong>" in page
    for _ in range(30):
        assert "Signed in as <strong>tidewater</strong>" in browser.get("/")
    deadline = time.monotonic() + 10
    answered_by: set[int] = set()
    while len(answered_by) < 2 and time.monotonic() < deadline:
        answered_by = {
            pid
            for pid, method, path, status in server.access_log()
            if (method, path, status) == ("GET", "/", 200)
        }
        time.sleep(0.1)
    assert len(answered_by) == 2
    # The form came from one worker and was accepted by whichever took the POST: both share the
    # secret behind the CSRF token and the sessions table.
    assert [s for _p, m, path, s in server.access_log() if (m, path) == ("POST", "/register")] == [
        303
    ]


def test_sigterm_stops_the_parent_and_every_worker(server: Server) -> None:
    children = child_pids(server.process.pid)
    assert len(children) >= 2

    server.process.send_signal(signal.SIGTERM)

    assert server.process.wait(timeout=STOP_WITHIN) == 0, server.log.read_text()
    deadline = time.monotonic() + 5  # a worker may still be exiting after the parent's join
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in children if alive(pid)] == []
    assert listening_pids(server.port) == set()
    assert "Traceback" not in server.log.read_text()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_second_server_on_a_taken_port_stops_with_one_line(
    server: Server, make_database: Callable[[str], str], tmp_path: Path, workers: str
) -> None:
    env = forum_env(tmp_path / "second", DATABASE_URL=make_database("serve-second"))
    second = subprocess.Popen(
        [*forum_argv(), "serve", "--workers", workers, "--port", str(server.port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _out, err = second.communicate(timeout=READY_WITHIN)
    except subprocess.TimeoutExpired:  # it is serving, beside the first server
        os.killpg(second.pid, signal.SIGKILL)
        second.communicate()
        pytest.fail("a second `forum serve` started on a port that was already taken")

    assert second.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "FORUM_PORT" in lines[0]
    assert listening_pids(server.port) <= child_pids(server.process.pid)  # nobody joined


def test_serve_without_database_url_stops_its_embedded_postgresql_on_sigterm(
    tmp_path: Path,
) -> None:
    with serving(forum_env(tmp_path), tmp_path / "serve.log") as running:
        assert postgres_processes_for(tmp_path / "pg") != []

        running.process.send_signal(signal.SIGTERM)

        assert running.process.wait(timeout=STOP_WITHIN) == 0, running.log.read_text()


def test_metrics_count_the_requests_of_every_worker(server: Server) -> None:
    """One scrape through the shared port sums what both workers answered, exactly."""
    for _ in range(40):
        with urllib.request.urlopen(server.base_url + "/", timeout=10) as resp:  # noqa: S310
            assert resp.status == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        answered = {
            pid for pid, m, path, s in server.access_log() if (m, path, s) == ("GET", "/", 200)
        }
        if len(answered) == 2:
            break
        time.sleep(0.1)

    with urllib.request.urlopen(server.base_url + "/metrics", timeout=10) as resp:  # noqa: S310
        text = resp.read().decode()

    assert len(answered) == 2, "the kernel gave every connection to one worker"
    line = 'forum_http_requests_total{method="GET",route="/",status="200"} '
    (count,) = [float(li.removeprefix(line)) for li in text.splitlines() if li.startswith(line)]
    assert count == 40
    assert 'forum_db_pool_connections{state="max"} 20.0' in text  # two pools of ten
