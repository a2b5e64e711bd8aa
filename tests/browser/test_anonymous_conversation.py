"""Issue 3 in Chromium: one member posts anonymously, another reads and replies.

The reader sees "Anonymous 1 (started this topic)" and never the pseudonym; the author sees
their own post marked "you (anonymous)" and the reply under its writer's name. Any JavaScript or
console error, or a 5xx, fails the test (see `problems`).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import join, post_anonymously, publish_from_preview, register, start_topic
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

AUTHOR = "quiet_heron"
READER = "harbour-light"
TITLE = "About my brother"
# (Not "Something I have never told anyone" / "because **no one knows** it is me": the crisis
# model reads that secrecy as urgent and holds the post, a false alarm bench/README.md records;
# this test is about anonymity.)
BODY = "I can only write about my brother here, where **my name is not shown**."
REPLY = "Thank you for trusting us with this. **You are not alone** here."
STARTER = "Anonymous 1 (started this topic)"


def test_a_member_posts_anonymously_and_another_reads_and_replies(
    forum_cli: ForumCommand,
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-group", "night-watch", "--name", "Night watch", "--anonymous", "optional")

    author = open_page()
    register(author, AUTHOR)
    join(author, "night-watch", "Night watch")
    expect(author.get_by_text("You may post anonymously")).to_be_visible()
    start_topic(author, TITLE, BODY)
    post_anonymously(author)
    preview = author.get_by_role("region", name="Preview")
    expect(preview).to_contain_text("Anonymous")
    expect(preview).not_to_contain_text(AUTHOR)
    publish_from_preview(author, "my name is not shown")

    opening = author.get_by_role("article", name=STARTER)
    expect(opening).to_contain_text("you (anonymous)")
    expect(opening.locator("strong")).to_have_text("my name is not shown")
    topic_url = author.url.split("#")[0]
    assert problems == []

    reader = open_page()
    register(reader, READER)
    join(reader, "night-watch", "Night watch")
    topics = reader.get_by_role("region", name="Topics")
    expect(topics).to_contain_text("by Anonymous")
    expect(reader.locator("main")).not_to_contain_text(AUTHOR)
    reader.get_by_role("link", name=TITLE).click()
    expect(reader).to_have_url(topic_url)
    expect(reader.get_by_role("article", name=STARTER)).to_contain_text("is not shown.")
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
