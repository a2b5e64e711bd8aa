"""The real forum, served by `forum serve` on a free port, and pages of Debian's Chromium.

Playwright drives the Chromium the machine already has (FORUM_CHROMIUM, else /usr/bin/chromium);
a browser is never downloaded. Every page opened through `open_page` reports into `problems`:
uncaught JavaScript errors, console errors (a CSP violation is one) and any 5xx response, so a
test fails on a page that only looks right.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Response, sync_playwright

from tests.browser.steps import PAGE_TIMEOUT_MS
from tests.processes import ForumCommand, forum_env, serving

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def forum_cli(
    make_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> ForumCommand:
    """Runs a `forum` command against this module's database: `forum_cli("seed-demo")`."""
    data_dir = tmp_path_factory.mktemp("browser-forum")
    return ForumCommand(forum_env(data_dir, DATABASE_URL=make_database("browser")), data_dir)


@pytest.fixture(scope="module")
def forum_url(forum_cli: ForumCommand) -> Iterator[str]:
    """The demo forum (`forum seed-demo`), served by two workers on a free port."""
    forum_cli("seed-demo")
    with serving(forum_cli.env, forum_cli.data_dir / "serve.log", "--workers", "2") as running:
        yield running.base_url


def chromium_path() -> str:
    path = os.environ.get("FORUM_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail(f"no Chromium at {path}: run scripts/ensure-chromium or set FORUM_CHROMIUM")
    return path


@pytest.fixture(scope="module")
def playwright(forum_url: str) -> Iterator[Playwright]:
    # While the sync API is active it keeps an event loop running in this thread, so anything
    # that needs asyncio.run (making the database) must be done before: hence `forum_url` here.
    del forum_url
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def problems() -> list[str]:
    """What went wrong in any page opened by `open_page`, one line each."""
    return []


@pytest.fixture
def open_page(
    chromium: Browser, forum_url: str, problems: list[str]
) -> Iterator[Callable[[], Page]]:
    """`open_page()` is a page in a fresh browser context: its own cookies, a separate person."""
    contexts = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error at {message.location.get('url', '')}: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 500:
            problems.append(f"{response.status} from {response.request.method} {response.url}")

    def open_() -> Page:
        context = chromium.new_context(base_url=forum_url)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        context.on("response", on_response)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
        page.on("console", on_console)
        return page

    yield open_
    for context in contexts:
        context.close()
