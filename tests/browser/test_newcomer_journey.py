"""The newcomer journey of issue 2, in Chromium, through the forms a person would use.

Someone finds the directory, takes a pseudonym, joins the grief group, writes a topic as a
draft, checks the preview and publishes; someone else joins and replies the same way. Locators
go by role and label, so a missing label or an unnamed button fails the test too.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import publish_from_preview, start_topic
from tests.clients import PASSWORD

pytestmark = pytest.mark.browser

TITLE = "Finding my feet after the funeral"
BODY = "It has been a **very hard week** and I wanted to say hello.\n\nThank you for being here."
REPLY = "Welcome. The **first weeks** were the hardest for me too. Be gentle with yourself."


def register(page: Page, pseudonym: str) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a support group")
    page.get_by_role("link", name="Join", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the forum")
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("or older").check()
    page.get_by_label("I accept the site rules").check()
    page.get_by_role("button", name="Join", exact=True).click()
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(
        f"Signed in as {pseudonym}"
    )


def join_grief_from_the_directory(page: Page) -> None:
    page.goto("/")
    page.get_by_role("button", name="Join Grief and loss").click()
    expect(page).to_have_url(re.compile(r"/g/grief$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Grief and loss")


def test_a_newcomer_publishes_a_topic_and_another_member_replies(
    open_page: Callable[[], Page], problems: list[str]
) -> None:
    first = open_page()
    register(first, "willow_tree")
    join_grief_from_the_directory(first)

    start_topic(first, TITLE, BODY)
    expect(first.get_by_role("heading", level=1)).to_have_text("Your new topic in Grief and loss")
    expect(first.get_by_label("Your post")).to_have_value(BODY)
    publish_from_preview(first, "very hard week")

    expect(first.get_by_role("heading", level=1)).to_have_text(TITLE)
    opening = first.get_by_role("article", name="willow_tree")
    expect(opening.locator("strong")).to_have_text("very hard week")
    topic_url = first.url.split("#")[0]
    assert problems == []

    second = open_page()
    register(second, "harbour-light")
    second.goto("/g/grief")
    second.get_by_role("button", name="Join Grief and loss").click()
    second.get_by_role("link", name=TITLE).click()
    expect(second).to_have_url(topic_url)
    second.get_by_label("Your reply").fill(REPLY)
    second.get_by_role("button", name="Continue to preview").click()
    expect(second.get_by_role("heading", level=1)).to_have_text(f"Your reply to “{TITLE}”")
    publish_from_preview(second, "first weeks")

    posts = second.get_by_role("article")
    expect(posts).to_have_count(2)
    expect(posts.nth(0)).to_have_accessible_name("willow_tree")
    expect(posts.nth(0).locator("strong")).to_have_text("very hard week")
    expect(posts.nth(1)).to_have_accessible_name("harbour-light")
    expect(posts.nth(1).locator("strong")).to_have_text("first weeks")
    expect(posts.nth(1)).to_contain_text("Be gentle with yourself.")

    first.reload()  # the first author sees the reply too
    expect(first.get_by_role("article", name="harbour-light")).to_contain_text(
        "Be gentle with yourself."
    )
    assert problems == []


def test_the_watch_reports_script_errors_and_policy_violations(
    open_page: Callable[[], Page], problems: list[str]
) -> None:
    """The journey's `problems == []` means something only if problems are really caught."""
    page = open_page()
    page.goto("/")

    page.evaluate("""() => {
        const inline = document.createElement("script");  // the CSP refuses inline script
        inline.textContent = "document.title = 'injected'";
        document.head.append(inline);
        setTimeout(() => { throw new Error("boom"); }, 0);
    }""")

    page.wait_for_function("new Promise(done => setTimeout(() => done(true), 50))")
    expect(page).not_to_have_title("injected")
    assert any("Content Security Policy" in p for p in problems), problems
    assert any("JavaScript error" in p and "boom" in p for p in problems), problems
    problems.clear()
