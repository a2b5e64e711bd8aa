"""Issue 18 in Chromium: a verdict on a crisis item, and a private check-in to its anonymous author.

The author posts anonymously that they mean to end their life tonight; the group holds crisis
posts for a moderator. The moderator closes the item saying the person was at risk and sends a
check-in; the author reads it in their inbox and answers; the moderator reads the answer. Every
page the moderator opened is checked for the author's pseudonym.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import (
    join,
    post_anonymously,
    register,
    set_up_two_factor,
    sign_in_new_staff,
    start_topic,
)
from tests.clients import PASSWORD
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

AUTHOR = "hidden_sparrow"


def test_a_moderator_checks_in_with_an_anonymous_author_without_learning_who_they_are(
    forum_cli: ForumCommand,
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-admin", "crisis_admin", "--password-stdin", stdin=PASSWORD + "\n")
    forum_cli("create-group", "nights", "--name", "Long nights", "--anonymous", "optional")

    author = open_page()
    register(author, AUTHOR)
    moderator = open_page()
    register(moderator, "steady_lamp")
    admin = open_page()
    sign_in_new_staff(admin, "crisis_admin")
    admin.goto("/admin/groups/nights")
    admin.get_by_label("Appoint a moderator (their pseudonym)").fill("steady_lamp")
    admin.get_by_role("button", name="Appoint").click()
    expect(admin.get_by_role("region", name="Moderators")).to_contain_text("steady_lamp")

    join(author, "nights", "Long nights")
    start_topic(author, "tonight", "I am going to kill myself tonight. I have the pills ready.")
    post_anonymously(author)
    author.get_by_role("button", name="Publish", exact=True).click()
    expect(author.get_by_role("region", name="You don't have to carry this alone")).to_be_visible()

    seen: list[str] = []
    moderator.goto("/mod")  # a moderator of a group with anonymous posting: two-factor first
    set_up_two_factor(moderator)
    moderator.goto("/mod")
    seen.append(moderator.content())
    moderator.get_by_role("link", name=re.compile("tonight")).first.click()
    item_url = moderator.url
    seen.append(moderator.content())
    moderator.get_by_role("button", name="Claim this item").click()
    decide = moderator.locator("form.decide-form")
    decide.get_by_label("Yes, at risk now (urgent)").check()
    decide.get_by_label(re.compile("Reason or note")).fill("Reaching out privately.")
    decide.get_by_role("button", name="Approve and show").click()
    expect(moderator).to_have_url(re.compile(r"/mod$"))
    seen.append(moderator.content())

    moderator.goto(item_url)
    expect(moderator.get_by_text("Recorded:")).to_contain_text("Yes, at risk now")
    message = moderator.get_by_label("Your message")
    message.fill("I saw your post and wanted to check in. Are you safe right now?")
    moderator.get_by_role("button", name="Send the check-in").click()
    expect(moderator.locator(".check-in-thread")).to_contain_text("Are you safe right now?")
    seen.append(moderator.content())

    author.goto("/inbox")
    link = author.get_by_role("link", name=re.compile("A moderator of Long nights checked in"))
    expect(link).to_be_visible()
    link.click()
    expect(author.get_by_text("Are you safe right now?")).to_be_visible()
    expect(author.get_by_role("heading", name="If you are in danger now")).to_be_visible()
    author.get_by_label("Your answer (optional)").fill("Thank you. I called a friend.")
    author.get_by_role("button", name="Send").click()
    expect(author.locator(".check-in-thread")).to_contain_text("I called a friend")
    author.get_by_role("button", name="I'm safe now").click()
    expect(author.get_by_text("You said you are safe now.")).to_be_visible()

    moderator.reload()
    thread = moderator.locator(".check-in-thread")
    expect(thread).to_contain_text("Thank you. I called a friend.")
    expect(thread).to_contain_text("The author says they are safe now.")
    seen.append(moderator.content())
    moderator.goto("/mod/log")
    seen.append(moderator.content())
    for page in seen:
        assert AUTHOR not in page
    assert problems == []
