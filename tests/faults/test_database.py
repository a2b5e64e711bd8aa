"""Faults between the forum and PostgreSQL: an outage, a database that hangs, one that is slow
with more members than connections, and a restart. Injected for real with a TCP proxy the test
controls (`tests/faults/proxy.py`) in front of the test's PostgreSQL, and a real restart of the
embedded PostgreSQL the forum started for itself.

The promises: a member is answered quickly (a calm 503 with Retry-After, never a hung request,
never a 500), a member's words sent during the fault are shown back to them, the log says what
is wrong in a few lines rather than one per request, and the forum recovers by itself.
"""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.error
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from forum.ops import embedded_pg
from forum.ops.embedded_pg import EmbeddedPostgres
from tests.clients import JOINING, PASSWORD
from tests.faults.proxy import Proxy, proxied
from tests.processes import (
    CSRF_FIELD,
    Browser,
    Serving,
    child_pids,
    forum_env,
    listening_pids,
    run_forum,
    serving,
)

ACQUIRE_S = 1
STATEMENT_S = 2
#: What a request may take at worst: waiting for a connection, then a statement that never
#: returns (asyncpg gives up 2 s after the statement timeout), plus time to render the page.
WORST_S = ACQUIRE_S + STATEMENT_S + 2 + 2


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    seconds: float


@pytest.fixture
def db_proxy(make_database: Callable[[str], str]) -> Iterator[Proxy]:
    with proxied(make_database("dbfaults")) as proxy:
        yield proxy


@pytest.fixture
def forum(db_proxy: Proxy, tmp_path: Path) -> Iterator[Serving]:
    env = forum_env(
        tmp_path / "data",
        DATABASE_URL=db_proxy.url,
        FORUM_DB_ACQUIRE_SECONDS=str(ACQUIRE_S),
        FORUM_DB_STATEMENT_SECONDS=str(STATEMENT_S),
    )
    with serving(env, tmp_path / "serve.log", "--workers", "2") as running:
        yield running


@pytest.fixture
def member(forum: Serving) -> Browser:
    browser = Browser(forum.base_url)
    browser.submit(
        "/register", "/register", {**JOINING, "pseudonym": "harbour", "password": PASSWORD}
    )
    return browser


def load(browser: Browser, path: str, data: dict[str, str] | None = None) -> Answer:
    started = time.monotonic()
    encoded = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with browser.opener.open(browser.base_url + path, data=encoded, timeout=30) as resp:
            status, headers, body = resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, dict(exc.headers), exc.read().decode()
    return Answer(status, headers, body, time.monotonic() - started)


RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (\S+) ")


def log_lines(forum: Serving) -> list[str]:
    """The records the forum logged (a traceback is part of its record), but the access log's
    (a line per request, by design)."""
    return [
        line
        for line in forum.log.read_text(errors="replace").splitlines()
        if (record := RECORD.match(line)) and record[1] != "aiohttp.access"
    ]


def recovers(browser: Browser, path: str, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while (answer := load(browser, path)).status != 200:
        assert answer.status == 503, answer.body[:500]
        if time.monotonic() > deadline:
            pytest.fail(f"{path} still {answer.status} {within} s after the database came back")
        time.sleep(0.2)


def test_while_the_database_is_down_members_get_a_calm_503_at_once_and_the_log_stays_short(
    forum: Serving, db_proxy: Proxy, member: Browser
) -> None:
    """Fault: PostgreSQL unreachable (every connection dropped, new ones refused) for 200 page
    loads. Promise: each is a 503 page with Retry-After, answered within the acquire timeout;
    the log says so in a few lines, not 200; the forum is back by itself once PostgreSQL is."""
    before = len(log_lines(forum))
    db_proxy.cut()

    answers = [load(member, "/drafts") for _ in range(200)]

    assert {a.status for a in answers} == {503}
    assert load(member, "/readyz").status == 503
    assert {a.headers.get("Retry-After") for a in answers} == {"30"}
    assert all("The forum is resting for a moment" in a.body for a in answers)
    assert max(a.seconds for a in answers) < ACQUIRE_S + 2
    logged = log_lines(forum)[before:]
    assert len(logged) < 40, "\n".join(logged)
    db_proxy.restore()
    recovers(member, "/drafts")
    recovers(member, "/readyz")


def test_words_sent_while_the_database_is_down_are_shown_back(
    forum: Serving, db_proxy: Proxy, member: Browser
) -> None:
    """Fault: PostgreSQL unreachable when a member saves a new post. Promise: the 503 page holds
    what they wrote, so nothing typed is lost."""
    token = CSRF_FIELD.search(member.get("/"))  # the sign-out form in every page's header
    assert token is not None
    db_proxy.cut()

    answer = load(
        member,
        "/drafts",
        {
            "csrf_token": token[1],
            "group": "grief",
            "title": "The first winter without her",
            "body": "I keep setting two cups out <in the morning> & then I remember.",
        },
    )

    assert answer.status == 503
    assert "What you just sent was not saved" in answer.body
    assert "The first winter without her" in answer.body
    assert (
        "I keep setting two cups out &lt;in the morning&gt; &amp; then I remember." in answer.body
    )
    assert PASSWORD not in answer.body


def test_a_database_that_stops_answering_gets_a_503_in_bounded_time(
    forum: Serving, db_proxy: Proxy, member: Browser
) -> None:
    """Fault: every connection stays open but nothing passes either way (a hung network or
    server: nothing fails, everything waits). Promise: members' requests, 30 at once (more than
    the pools hold), are each answered 503 within the acquire and statement timeouts, none
    left hanging; the forum answers again once the database does."""
    db_proxy.hang()

    with ThreadPoolExecutor(30) as pool:
        answers = list(pool.map(lambda _: load(member, "/drafts"), range(30)))

    assert {a.status for a in answers} == {503}
    assert max(a.seconds for a in answers) < WORST_S
    db_proxy.restore()
    recovers(member, "/drafts")


def test_a_slow_database_with_more_members_than_connections_never_fails_a_page(
    forum: Serving, db_proxy: Proxy, member: Browser
) -> None:
    """Fault: every packet 0.2 s late while 40 requests arrive at once, twice the connections
    of both workers' pools. Promise: each is answered, with its page or (after waiting the
    acquire timeout for a connection) a 503, never a 500 and never hung."""
    db_proxy.slow(0.2)

    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(lambda _: load(member, "/drafts"), range(40)))

    assert {a.status for a in answers} <= {200, 503}
    assert 200 in {a.status for a in answers}
    assert max(a.seconds for a in answers) < 30
    assert not [line for line in log_lines(forum) if "unhandled error" in line]


def test_after_postgresql_restarts_the_forum_answers_without_a_restart_of_its_own(
    forum: Serving, db_proxy: Proxy, member: Browser
) -> None:
    """Fault: every connection to PostgreSQL dropped and reconnected at once (what a restart of
    PostgreSQL or a failover looks like from the forum). Promise: the next pages work, through
    new connections; no worker had to be restarted."""
    assert load(member, "/drafts").status == 200
    workers_before = re.findall(r"serving on", forum.log.read_text())

    db_proxy.cut()
    db_proxy.restore()

    recovers(member, "/drafts", within=10)
    assert re.findall(r"serving on", forum.log.read_text()) == workers_before
    assert "was killed" not in forum.log.read_text()


def test_a_real_postgresql_restart_under_the_embedded_default(tmp_path: Path) -> None:
    """Fault: the forum's own embedded PostgreSQL restarted under it (pg_ctl restart, fast
    mode: every connection is terminated). Promise: members are answered 503 or their page
    meanwhile, never a 500, the forum serves again by itself, no restart of its own, and what
    was saved before is there after."""
    with serving(forum_env(tmp_path), tmp_path / "serve.log", "--workers", "2") as running:
        member = Browser(running.base_url)
        member.submit(
            "/register", "/register", {**JOINING, "pseudonym": "harbour", "password": PASSWORD}
        )
        assert (
            run_forum(["create-group", "grief", "--name", "Grief"], forum_env(tmp_path)).returncode
            == 0
        )
        token = CSRF_FIELD.search(member.get("/"))
        assert token is not None
        saved = load(
            member,
            "/drafts",
            {"csrf_token": token[1], "group": "grief", "title": "Kept", "body": "Saved before."},
        )
        assert saved.status == 200  # followed the redirect to the draft
        assert "Saved before." in saved.body
        pg = tmp_path / "pg"
        before = (pg / "postmaster.pid").read_text().split()[0]
        restart = EmbeddedPostgres(pg)
        restart._run(
            embedded_pg.find_bindir(),
            ["pg_ctl", "-D", str(pg), "-l", str(pg / "server.log"), "-m", "fast", "-w", "restart"],
            embedded_pg._service_user(),
        )

        assert (pg / "postmaster.pid").read_text().split()[0] != before  # a new server
        recovers(member, "/drafts")
        recovers(member, "/readyz")
        assert "Kept" in load(member, "/drafts").body
        assert "unhandled error" not in running.log.read_text()
        assert "was killed" not in running.log.read_text()


def test_a_worker_replaced_during_an_outage_starts_and_the_forum_stays_up(
    forum: Serving, db_proxy: Proxy, member: Browser
) -> None:
    """Fault: PostgreSQL unreachable, and meanwhile a worker dies (kill -9; an OOM kill during
    a database restart). Promise: its replacement starts without the database, answering 503,
    instead of dying again and again until the parent gives up; the forum serves once the
    database is back."""
    workers = listening_pids(forum.port) & child_pids(forum.process.pid)
    db_proxy.cut()
    victim = min(workers)

    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = listening_pids(forum.port) & child_pids(forum.process.pid)
        if victim not in now and len(now) == 2:
            break
        time.sleep(0.2)
    time.sleep(2)  # long enough for a replacement that could not start to have died

    assert forum.process.poll() is None, forum.log.read_text()
    assert load(member, "/drafts").status == 503
    assert "starting without" in forum.log.read_text()
    db_proxy.restore()
    recovers(member, "/drafts")
    assert "in a row died" not in forum.log.read_text()
