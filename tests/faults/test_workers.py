"""Faults in `forum serve --workers N` itself: workers killed, the parent killed, a stop.

Each test names the fault it injects (for real: signals to the real processes of the console
script) and the promise it checks, from outside, as an operator or a member would see it.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.clients import JOINING, PASSWORD
from tests.processes import (
    CSRF_FIELD,
    READY_WITHIN,
    Browser,
    Serving,
    alive,
    child_pids,
    forum_env,
    listening_pids,
    query,
    serving,
)

GRACE = 3


@pytest.fixture
def database(make_database: Callable[[str], str]) -> str:
    return make_database("faults")


@pytest.fixture
def forum(database: str, tmp_path: Path) -> Iterator[Serving]:
    env = forum_env(
        tmp_path / "data",
        DATABASE_URL=database,
        FORUM_SHUTDOWN_SECONDS=str(GRACE),
    )
    with serving(env, tmp_path / "serve.log", "--workers", "2") as running:
        wait_for(lambda: len(workers(running)) == 2, "two workers listening")
        yield running


def workers(forum: Serving) -> set[int]:
    return listening_pids(forum.port) & child_pids(forum.process.pid)


def wait_for(condition: Callable[[], bool], what: str, within: float = READY_WITHIN) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {within} s: {what}")
        time.sleep(0.1)


def healthy(forum: Serving) -> bool:
    try:
        with urllib.request.urlopen(forum.base_url + "/healthz", timeout=2) as resp:  # noqa: S310
            return bool(json.load(resp) == {"status": "ok"})
    except OSError:
        return False


def test_a_worker_killed_with_sigkill_is_replaced(forum: Serving) -> None:
    """Fault: kill -9 one of two workers. Promise: another takes its place, the forum answers
    meanwhile, the log says what happened in one line, and the requests the dead worker had
    answered still count in /metrics."""
    for _ in range(20):
        assert healthy(forum)
    victim = min(workers(forum))
    assert f" {victim} aiohttp.access GET /healthz 200" in forum.log.read_text()
    counted = healthz_count(forum)

    os.kill(victim, signal.SIGKILL)

    wait_for(lambda: victim not in workers(forum) and len(workers(forum)) == 2, "a new worker")
    assert healthy(forum)
    assert f"forum: worker {victim} was killed by SIGKILL" in forum.log.read_text()
    assert healthz_count(forum) == counted + 1  # the dead worker's share is still there


def healthz_count(forum: Serving) -> float:
    with urllib.request.urlopen(forum.base_url + "/metrics", timeout=5) as resp:  # noqa: S310
        text = resp.read().decode()
    line = 'forum_http_requests_total{method="GET",route="/healthz",status="200"} '
    (count,) = [float(li.removeprefix(line)) for li in text.splitlines() if li.startswith(line)]
    return count


def test_workers_that_keep_dying_on_start_stop_the_forum_with_status_1(forum: Serving) -> None:
    """Fault: every worker is killed as soon as it appears (as if each crashed on start).
    Promise: the parent backs off, then gives up: it exits 1, says so in one line, and leaves
    no worker and no listening socket behind."""
    killed: set[int] = set()
    deadline = time.monotonic() + 60
    while forum.process.poll() is None and time.monotonic() < deadline:
        for pid in child_pids(forum.process.pid) - killed:
            if pid in listening_pids(forum.port) or "spawn_main" in _cmdline(pid):
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        time.sleep(0.05)

    assert forum.process.wait(timeout=5) == 1
    said = [line for line in forum.log.read_text().splitlines() if line.startswith("forum: ")]
    assert "in a row died within" in said[-1]
    assert sum("starting another in" in line for line in said) == 4  # the back-off, then done
    assert listening_pids(forum.port) == set()
    assert "Traceback" not in forum.log.read_text()


def test_killing_the_parent_with_sigkill_stops_every_worker(forum: Serving) -> None:
    """Fault: kill -9 the parent (a supervisor's hard stop, an OOM kill). Promise: its workers
    notice and stop too, so none is left holding the port for a restarted forum to collide with."""
    orphans = workers(forum)

    forum.process.kill()
    forum.process.wait(timeout=5)

    wait_for(lambda: not any(alive(pid) for pid in orphans), "the workers gone", GRACE + 5)
    assert listening_pids(forum.port) == set()


def test_sigterm_ends_live_streams_with_a_reconnect_event_within_the_grace_period(
    forum: Serving,
) -> None:
    """Fault: SIGTERM to the parent while a member's live stream is open (a deploy). Promise:
    the stream gets a final "reconnect" event with a retry time, and the whole forum has stopped
    within the grace period (FORUM_SHUTDOWN_SECONDS), exit status 0."""
    browser = Browser(forum.base_url)
    browser.submit(
        "/register", "/register", {**JOINING, "pseudonym": "lantern", "password": PASSWORD}
    )
    stream = browser.opener.open(forum.base_url + "/inbox/events", timeout=GRACE + 5)
    while stream.readline().strip() != b"event: ready":
        pass

    started = time.monotonic()
    forum.process.send_signal(signal.SIGTERM)
    rest = stream.read().decode()
    status = forum.process.wait(timeout=GRACE + 5)
    took = time.monotonic() - started

    assert "event: reconnect" in rest
    assert "retry: 2000" in rest
    assert status == 0, forum.log.read_text()
    assert took < GRACE + 1.5, f"stopping took {took:.1f} s with a {GRACE} s grace period"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


DRAFTS = 15


def _retried(browser: Browser, path: str, fields: dict[str, str], token: str) -> str:
    """POST like a member whose page hung and who pressed the button again: retry on a dropped
    connection or a 5xx until an answer comes; the Location it redirects to."""
    data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
    no_redirects = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(browser.jar), _NoRedirect()
    )
    for _ in range(100):
        try:
            with no_redirects.open(browser.base_url + path, data=data, timeout=10) as resp:
                return str(resp.headers["Location"])
        except urllib.error.HTTPError as exc:
            if exc.code == 303:
                return str(exc.headers["Location"])
            if exc.code < 500:
                pytest.fail(f"{path}: {exc.code}")
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    pytest.fail(f"{path} never answered")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def test_workers_killed_while_members_publish_lose_and_repeat_nothing(
    forum: Serving, database: str
) -> None:
    """Fault: kill -9 both workers, one after the other, while a member publishes fifteen drafts
    five at a time (several tabs), retrying each press that got no answer (as a person would). Promise: every draft became exactly one post,
    none was lost and none published twice, and no draft is left behind."""
    browser = Browser(forum.base_url)
    browser.submit(
        "/register", "/register", {**JOINING, "pseudonym": "ember", "password": PASSWORD}
    )
    query(
        database,
        "WITH g AS (INSERT INTO groups (slug, name) VALUES ('grief', 'Grief') RETURNING id)"
        " INSERT INTO group_members (group_id, member_id, state)"
        " SELECT g.id, m.id, 'active' FROM g, members m WHERE m.pseudonym = 'ember'",
    )
    token = CSRF_FIELD.search(browser.get("/"))
    assert token is not None
    drafts = [
        _retried(
            browser,
            "/drafts",
            {"group": "grief", "title": f"Topic {i}", "body": f"words {i}"},
            token[1],
        )
        for i in range(DRAFTS)
    ]
    originals = sorted(workers(forum))

    publishing = threading.Event()

    def publish(draft: str) -> str:
        publishing.set()
        return _retried(browser, f"{draft}/publish", {"version": "1"}, token[1])

    def kill_both() -> None:  # one, then the other, once publishes are in flight
        publishing.wait(timeout=30)
        for pid, after in zip(originals, (0.01, 0.05), strict=True):
            time.sleep(after)
            os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_both)
    killer.start()
    try:
        with ThreadPoolExecutor(5) as pool:
            landed = list(pool.map(publish, drafts))
    finally:
        killer.join()

    rows = query(database, "SELECT body_source FROM posts ORDER BY id")
    assert sorted(r["body_source"] for r in rows) == sorted(f"words {i}" for i in range(DRAFTS))
    assert query(database, "SELECT count(*) AS n FROM drafts")[0]["n"] == 0
    assert len(set(landed)) == DRAFTS  # each press ended on its own post
    said = [f"worker {pid} was killed by SIGKILL" for pid in originals]
    wait_for(lambda: all(line in forum.log.read_text() for line in said), "both deaths logged")
