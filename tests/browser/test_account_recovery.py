"""Recovery without e-mail (issue 19), in Chromium: a member joins and keeps the recovery codes
the welcome page shows once, writes a draft, forgets the password, recovers the account with one
code from another browser, and finds the draft; the first browser is signed out."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import join, register, start_topic

pytestmark = pytest.mark.browser

MEMBER = "kept_codes"
NEW_PASSWORD = "a long sentence I will not forget"
TITLE = "Notes for the next meeting"


def test_a_member_recovers_with_a_code_and_finds_their_draft(
    open_page: Callable[[], Page], problems: list[str]
) -> None:
    first = open_page()
    register(first, MEMBER)
    expect(first.get_by_role("heading", level=1)).to_have_text(f"Welcome, {MEMBER}")
    codes = first.get_by_role("list", name="Recovery codes").locator("code").all_inner_texts()
    assert len(codes) == 10
    first.get_by_role("link", name="I have kept them: continue").click()

    join(first, "grief", "Grief and loss")
    start_topic(first, TITLE, "Things I want to say on Thursday.")  # saved as a draft

    # Another day, another browser, and the password is gone.
    second = open_page()
    second.goto("/login")
    second.get_by_role("link", name="Recover your account with a recovery code").click()
    second.get_by_label("Pseudonym").fill(MEMBER)
    second.get_by_label("One recovery code").fill(codes[4].upper())
    second.get_by_label("New password").fill(NEW_PASSWORD)
    second.get_by_role("button", name="Set my new password").click()
    expect(second.get_by_role("navigation", name="Your account")).to_contain_text(
        f"Signed in as {MEMBER}"
    )
    second.goto("/drafts")
    expect(second.get_by_role("main")).to_contain_text(TITLE)

    # the browser signed in with the old password is signed out
    first.goto("/account")
    expect(first.get_by_role("button", name="Sign in")).to_be_visible()  # asked to sign in again
    assert problems == []
