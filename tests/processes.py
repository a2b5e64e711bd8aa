"""The forum as a user runs it: the real console script in subprocesses, and what /proc says
about them. Tests of commands, of `forum serve`, of events across processes and of the browser
journeys all start the forum here, the same way.

Registered as a plugin by `tests/conftest.py` for its one fixture, `two_servers`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.clients import TEST_SECRET

#: Generous: a cold embedded PostgreSQL (initdb + start) takes a few seconds.
COMMAND_TIMEOUT = 120
READY_WITHIN = 30
STOP_WITHIN = 15
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def forum_argv() -> list[str]:
    """The installed console script, or `python -m forum` when it is not on disk."""
    script = Path(sys.executable).with_name("forum")
    return [str(script)] if script.exists() else [sys.executable, "-m", "forum"]


def forum_env(data_dir: Path, **variables: str | None) -> dict[str, str]:
    """The test runner's environment without any forum settings, plus `variables`."""
    env = {
        k: v for k, v in os.environ.items() if k != "DATABASE_URL" and not k.startswith("FORUM_")
    }
    env["FORUM_DATA_DIR"] = str(data_dir)
    for name, value in variables.items():
        if value is not None:
            env[name] = value
    return env


def run_forum(
    args: Sequence[str], env: dict[str, str], *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*forum_argv(), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


@dataclass
class ForumCommand:
    """`forum ...` run with one environment (its database, its data folder): `cli("seed-demo")`.
    A command that fails fails the test, with its stderr."""

    env: dict[str, str]
    data_dir: Path

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        done = run_forum(args, self.env, stdin=stdin)
        assert done.returncode == 0, done.stderr
        return done


def one_line(stream: str) -> str:
    lines = stream.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got: {stream!r}"
    return lines[0]


def query(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def fetch() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(fetch())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pids() -> Iterator[tuple[int, Path]]:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            yield int(proc.name), proc


def child_pids(pid: int) -> set[int]:
    children = set()
    for child, proc in _pids():
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, ...
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            children.add(child)
    return children


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has finished; nobody reaped it yet


def listening_pids(port: int) -> set[int]:
    """Pids holding a TCP socket in LISTEN state on `port` (from /proc/net/tcp and fds)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{inode}]")
    pids = set()
    for pid, proc in _pids():
        try:
            fds = list((proc / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                if str(fd.readlink()) in inodes:
                    pids.add(pid)
                    break
            except OSError:
                continue
    return pids


def postgres_processes_for(data_dir: Path) -> list[int]:
    """Pids of live processes whose command line mentions `data_dir` and postgres."""
    found = []
    for pid, proc in _pids():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv]
        if any("postgres" in w for w in words) and any(str(data_dir) in w for w in words):
            found.append(pid)
    return found


def wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"forum serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as resp:  # noqa: S310
                if json.load(resp) == {"status": "ok"}:
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    pytest.fail(f"/healthz did not say ok within {READY_WITHIN} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a service manager would; whatever is left after STOP_WITHIN is killed."""
    children = child_pids(process.pid)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_WITHIN)
    for pid in children:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


class Browser:
    """Just enough of a browser: cookies, forms with their CSRF token, one connection a request."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=10) as resp:
            return str(resp.read().decode())

    def submit(self, page: str, path: str, fields: dict[str, str]) -> str:
        """POST `fields` to `path` with the CSRF token found on the page at `page`."""
        token = CSRF_FIELD.search(self.get(page))
        assert token is not None, f"no csrf_token on {page}"
        data = urllib.parse.urlencode({**fields, "csrf_token": token[1]}).encode()
        with self.opener.open(self.base_url + path, data=data, timeout=10) as resp:
            return str(resp.read().decode())


@dataclass
class Serving:
    """A running `forum serve`: its process, where it answers, and its log (stdout and stderr)."""

    process: subprocess.Popen[bytes]
    base_url: str
    port: int
    log: Path


@contextmanager
def serving(env: dict[str, str], log: Path, *args: str) -> Iterator[Serving]:
    """`forum serve *args` on a free port, healthy on entry, stopped (SIGTERM) on exit."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*forum_argv(), "serve", *args, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, base_url, log)
        yield Serving(process, base_url, port, log)
    finally:
        stop(process)


@pytest.fixture
def two_servers(
    make_database: Callable[[str], str], tmp_path: Path
) -> Iterator[tuple[str, str, str]]:
    """Two `forum serve` processes sharing one database and nothing else, as two machines behind
    a load balancer would: (database URL, base URL of A, base URL of B)."""
    url = make_database("events")

    def env(name: str) -> dict[str, str]:
        return forum_env(tmp_path / name, DATABASE_URL=url, FORUM_SECRET=TEST_SECRET.decode())

    with (
        serving(env("a"), tmp_path / "a.log") as a,
        serving(env("b"), tmp_path / "b.log") as b,
    ):
        yield url, a.base_url, b.base_url
