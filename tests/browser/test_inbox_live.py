"""Issue 9 in Chromium: a reply reaches the topic author's inbox live, across server processes.

The author's inbox page is open; another member, in another browser, publishes an anonymous
reply; without a reload the author's unread count goes to 1 and the list shows "Anonymous 2
replied", never the replier's pseudonym. `forum serve --workers 2` serves both browsers, so the
reply may be published through one process and streamed by the other (LISTEN/NOTIFY).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import join, post_anonymously, publish_from_preview, register, start_topic
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

AUTHOR = "lantern_keeper"
REPLIER = "evening-tide"
TITLE = "The first winter without her"


def test_a_reply_reaches_the_authors_open_inbox_without_a_reload(
    forum_cli: ForumCommand,
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-group", "first-winter", "--name", "First winter", "--anonymous", "optional")

    author = open_page()
    register(author, AUTHOR)
    join(author, "first-winter", "First winter")
    start_topic(author, TITLE, "The house is **so quiet**.")
    post_anonymously(author)
    publish_from_preview(author, "so quiet")
    expect(author.locator("#follow")).to_contain_text("You follow this topic")
    topic_url = author.url.split("#")[0]

    author.get_by_role("link", name="Inbox", exact=True).click()
    expect(author.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(author.locator("#inbox-unread")).to_be_hidden()
    expect(author.locator("#inbox-list")).to_contain_text("No replies yet")
    # Wait until the page's event stream is open, so the reply cannot slip past it.
    expect(author.locator("#inbox-link")).to_have_attribute("data-live", "on")
    author.evaluate("window.stillThisPage = true")  # gone if the page were reloaded

    replier = open_page()
    register(replier, REPLIER)
    join(replier, "first-winter", "First winter")
    replier.goto(topic_url)
    replier.get_by_label("Your reply").fill("I remember that silence. **You are not alone.**")
    replier.get_by_role("button", name="Continue to preview").click()
    post_anonymously(replier)
    publish_from_preview(replier, "You are not alone.")

    badge = author.locator("#inbox-unread")
    expect(badge).to_be_visible()
    expect(badge).to_contain_text("1")
    item = author.get_by_role("listitem").filter(has_text=TITLE)
    expect(item).to_contain_text(f"Anonymous 2 replied to “{TITLE}”")
    expect(item).to_contain_text("I remember that silence.")
    assert REPLIER not in author.content()
    assert author.evaluate("window.stillThisPage === true")

    item.get_by_role("link").click()
    expect(author).to_have_url(re.compile(r"/t/\d+(\?page=\d+)?#post-2$"))
    expect(author.locator("#inbox-unread")).to_be_hidden()
    assert problems == []
