"""Issue 9's reader safety in Chromium: quick exit, content warnings with and without
JavaScript, and the privacy note at preview.

The quick exit's neutral site is a tiny local web server on another port (another origin, as a
real weather site would be), so the test needs no network.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.steps import fresh_page, join, register, start_topic
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

NEUTRAL_TITLE = "Weather today"


class _Neutral(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"<!doctype html><title>{NEUTRAL_TITLE}</title><h1>Sunny spells</h1>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def neutral_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Neutral)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def forum_cli(forum_cli: ForumCommand, neutral_site: str) -> ForumCommand:
    """The shared forum, told to send quick exits to the local neutral site."""
    forum_cli.env["FORUM_QUICK_EXIT_URL"] = f"{neutral_site}/weather"
    return forum_cli


def start_draft(page: Page, title: str, body: str, warning: str = "") -> None:
    join(page, "grief", "Grief and loss")
    start_topic(page, title, body)
    if warning:
        page.get_by_label("Content warning (optional)").fill(warning)
        page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_role("region", name="Preview")).to_be_visible()


def leave_forum_by(page: Page, neutral_site: str, how: Callable[[Page], None]) -> None:
    """Open the forum as a tab's second page, leave by `how`, and check Back skips the forum."""
    page.goto(f"{neutral_site}/start")
    page.goto("/g/grief")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grief and loss")
    how(page)
    expect(page).to_have_url(f"{neutral_site}/weather")
    expect(page).to_have_title(NEUTRAL_TITLE)
    page.go_back()
    expect(page).to_have_url(f"{neutral_site}/start")


def test_quick_exit_button_leaves_and_back_does_not_return(
    open_page: Callable[[], Page], neutral_site: str, problems: list[str]
) -> None:
    page = open_page()
    leave_forum_by(
        page, neutral_site, lambda p: p.get_by_role("link", name=re.compile("^Quick exit")).click()
    )
    assert problems == []


def test_shift_pressed_three_times_leaves_and_back_does_not_return(
    open_page: Callable[[], Page], neutral_site: str, problems: list[str]
) -> None:
    def press_shift_three_times(page: Page) -> None:
        for _ in range(3):
            page.keyboard.press("Shift")

    leave_forum_by(open_page(), neutral_site, press_shift_three_times)
    assert problems == []


def test_typing_capitals_does_not_trigger_quick_exit(
    open_page: Callable[[], Page], forum_url: str
) -> None:
    page = open_page()
    page.goto("/login")
    page.get_by_label("Pseudonym").press_sequentially("ABC")
    page.keyboard.press("Shift")
    page.keyboard.press("Shift")
    page.wait_for_timeout(300)
    assert page.url.startswith(forum_url)


def test_quick_exit_without_javascript_is_a_plain_link(
    chromium: Browser, forum_url: str, neutral_site: str
) -> None:
    with fresh_page(chromium, forum_url, java_script_enabled=False) as page:
        page.goto("/")
        page.get_by_role("link", name=re.compile("^Quick exit")).click()
        expect(page).to_have_url(f"{neutral_site}/weather")


@pytest.fixture(scope="module")
def warned_topic(chromium: Browser, forum_url: str) -> str:
    """A topic whose opening post carries a content warning; its URL."""
    with fresh_page(chromium, forum_url) as page:
        register(page, "quiet_lake")
        start_draft(page, "The anniversary", "Today would have been her birthday.", "baby loss")
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page).to_have_url(re.compile(r"/t/\d+"))
        return page.url.split("#")[0]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_warned_post_is_hidden_until_the_reader_reveals_it(
    chromium: Browser, forum_url: str, warned_topic: str, javascript: bool
) -> None:
    with fresh_page(chromium, forum_url, java_script_enabled=javascript) as page:
        page.goto(warned_topic)
        body = page.get_by_text("Today would have been her birthday.")
        warning = page.get_by_text(re.compile("^Content warning: baby loss"))
        expect(warning).to_be_visible()
        expect(body).to_be_hidden()
        warning.click()
        expect(body).to_be_visible()


def test_a_warned_post_opens_from_the_keyboard(
    open_page: Callable[[], Page], warned_topic: str
) -> None:
    page = open_page()
    page.goto(warned_topic)
    body = page.get_by_text("Today would have been her birthday.")
    page.get_by_text(re.compile("^Content warning: baby loss")).focus()
    page.keyboard.press("Enter")
    expect(body).to_be_visible()


def test_privacy_note_names_a_phone_number_and_an_email_and_publishing_still_works(
    open_page: Callable[[], Page], problems: list[str]
) -> None:
    page = open_page()
    register(page, "paper_boat")
    start_draft(
        page,
        "Anyone nearby?",
        "I'd love to talk. Call me on 07700 900123 or write to paper.boat@example.org.",
    )
    note = page.get_by_role("note")
    expect(note).to_contain_text("a gentle privacy check")
    expect(note).to_contain_text("a phone number: “07700 900123”")
    expect(note).to_contain_text("an e-mail address: “paper.boat@example.org”")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page).to_have_url(re.compile(r"/t/\d+"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Anyone nearby?")
    expect(page.get_by_role("note")).to_have_count(0)
    assert problems == []


def test_a_member_folds_away_posts_with_their_words(
    open_page: Callable[[], Page], warned_topic: str
) -> None:
    page = open_page()
    register(page, "soft_rain")
    page.goto("/account/preferences")
    page.get_by_label("Fold away posts that contain").fill("BIRTHDAY")
    page.get_by_label("Larger").check()
    page.get_by_role("button", name="Save my preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator("html")).to_have_class("text-larger")
    page.goto(warned_topic)
    folded = page.get_by_text(re.compile("^Folded away for you"))
    expect(folded).to_be_visible()
    expect(page.get_by_text(re.compile("^Content warning: baby loss"))).to_be_hidden()
    folded.click()
    page.get_by_text(re.compile("^Content warning: baby loss")).click()
    expect(page.get_by_text("Today would have been her birthday.")).to_be_visible()
