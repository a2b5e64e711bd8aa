"""Search in Chromium: from a group's search box to the post, through the forms a person uses.

A member posts anonymously; a visitor searches the group for a word of it, sees the post under
its anonymous label with the word marked, and follows the result to the post in its topic. The
pseudonym appears nowhere on the way. Any JavaScript or console error (a CSP violation is one),
or a 5xx, fails the test (see `problems`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import join, post_anonymously, register, start_topic
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

AUTHOR = "lantern_keeper"
TITLE = "The quiet after the hospital"
BODY = "Since the hospice closed its doors I keep *rearranging* his books at night."


def test_a_visitor_searches_a_group_and_follows_a_result_to_the_post(
    forum_cli: ForumCommand,
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-group", "evening-light", "--name", "Evening light", "--anonymous", "optional")

    author = open_page()
    register(author, AUTHOR)
    join(author, "evening-light", "Evening light")
    start_topic(author, TITLE, BODY)
    post_anonymously(author)
    author.get_by_role("button", name="Publish", exact=True).click()
    expect(author).to_have_url(re.compile(r"/t/\d+"))
    topic_path = re.sub(r"^https?://[^/]+", "", author.url.split("#")[0])

    visitor = open_page()
    visitor.goto("/g/evening-light")
    box = visitor.get_by_role("search", name="Search Evening light")
    box.get_by_label("Search posts in Evening light").fill("rearranged books")
    box.get_by_role("button", name="Search").click()

    expect(visitor).to_have_url(re.compile(r"/search\?q=rearranged\+books&group=evening-light$"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Search posts in Evening light")
    expect(visitor.get_by_label("Words to look for in Evening light")).to_have_value(
        "rearranged books"
    )
    results = visitor.get_by_role("region", name="Posts matching “rearranged books”")
    result = results.get_by_role("listitem")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("started by Anonymous 1")
    expect(result.locator("mark")).to_have_text(["rearranging", "books"])
    assert AUTHOR not in visitor.content()

    result.get_by_role("link", name=TITLE).click()
    expect(visitor).to_have_url(re.compile(re.escape(topic_path) + "#post-1$"))
    opening = visitor.get_by_role("article", name="Anonymous 1 (started this topic)")
    expect(opening.locator("em")).to_have_text("rearranging")
    assert AUTHOR not in visitor.content()
    assert problems == []
