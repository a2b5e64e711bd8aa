"""Issue 3 in Chromium: one member posts anonymously, another reads and replies.

The reader sees "Anonymous 1 (started this topic)" and never the pseudonym; the author sees
their own post marked "you (anonymous)" and the reply under its writer's name. Any JavaScript or
console error, or a 5xx, fails the test (see `problems`).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

AUTHOR = "quiet_heron"
READER = "harbour-light"
TITLE = "Something I have never told anyone"
BODY = "I am only able to write this because **no one knows** it is me."
REPLY = "Thank you for trusting us with this. **You are not alone** here."
STARTER = "Anonymous 1 (started this topic)"


def register(page: Page, pseudonym: str) -> None:
    page.goto("/register")
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(
        f"Signed in as {pseudonym}"
    )


def join_night_watch(page: Page) -> None:
    page.goto("/g/night-watch")
    page.get_by_role("button", name="Join Night watch").click()
    expect(page.get_by_role("region", name="Start a new topic")).to_be_visible()


def publish_from_preview(page: Page, bold: str) -> None:
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text(bold)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page).to_have_url(re.compile(r"/t/\d+"))


def test_a_member_posts_anonymously_and_another_reads_and_replies(
    forum_cli: Callable[..., subprocess.CompletedProcess[str]],
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-group", "night-watch", "--name", "Night watch", "--anonymous", "optional")

    author = open_page()
    register(author, AUTHOR)
    join_night_watch(author)
    expect(author.get_by_text("You may post anonymously")).to_be_visible()
    new_topic = author.get_by_role("region", name="Start a new topic")
    new_topic.get_by_label("Title").fill(TITLE)
    new_topic.get_by_label("What would you like to share?").fill(BODY)
    new_topic.get_by_role("button", name="Continue to preview").click()
    author.get_by_label("Post anonymously").check()
    author.get_by_role("button", name="Save and preview").click()
    expect(author.get_by_label("Post anonymously")).to_be_checked()
    preview = author.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Anonymous")
    expect(preview).not_to_contain_text(AUTHOR)
    publish_from_preview(author, "no one knows")

    opening = author.get_by_role("article", name=STARTER)
    expect(opening).to_contain_text("you (anonymous)")
    expect(opening.locator("strong")).to_have_text("no one knows")
    topic_url = author.url.split("#")[0]
    assert problems == []

    reader = open_page()
    register(reader, READER)
    join_night_watch(reader)
    topics = reader.get_by_role("region", name="Topics")
    expect(topics).to_contain_text("by Anonymous")
    expect(reader.locator("main")).not_to_contain_text(AUTHOR)
    reader.get_by_role("link", name=TITLE).click()
    expect(reader).to_have_url(topic_url)
    expect(reader.get_by_role("article", name=STARTER)).to_contain_text("is me.")
    expect(reader.locator("main")).not_to_contain_text(AUTHOR)
    expect(reader.locator("main")).not_to_contain_text("you (anonymous)")
    assert AUTHOR not in reader.content()

    reader.get_by_label("Your reply").fill(REPLY)
    reader.get_by_role("button", name="Continue to preview").click()
    publish_from_preview(reader, "You are not alone")
    posts = reader.get_by_role("article")
    expect(posts).to_have_count(2)
    expect(posts.nth(0)).to_have_accessible_name(STARTER)
    expect(posts.nth(1)).to_have_accessible_name(READER)
    expect(posts.nth(1)).to_contain_text("Thank you for trusting us with this.")
    assert AUTHOR not in reader.content()

    author.reload()
    posts = author.get_by_role("article")
    expect(posts).to_have_count(2)
    expect(posts.nth(0)).to_have_accessible_name(STARTER)
    expect(posts.nth(0)).to_contain_text("you (anonymous)")
    expect(posts.nth(1)).to_have_accessible_name(READER)
    expect(posts.nth(1)).to_contain_text("You are not alone")
    expect(posts.nth(1)).not_to_contain_text("you (anonymous)")
    assert problems == []
