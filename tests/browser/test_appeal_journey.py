"""Issue 19 in Chromium: a moderator rejects a post under a named rule; the member reads the
statement of reasons and appeals; the moderator who decided does not see the appeal; an admin
upholds it and the post appears. axe-core checks each new page on the way."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.steps import fresh_page, join, register, sign_in_new_staff, start_topic
from tests.browser.test_accessibility import serious_violations
from tests.clients import PASSWORD
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

RULE = "Site rule 2: Share your own experience, not medical advice"


def no_serious_violations(page: Page) -> None:
    assert serious_violations(page) == [], page.url


def test_a_member_appeals_a_rejection_and_an_admin_puts_the_post_back(
    forum_cli: ForumCommand, chromium: Browser, forum_url: str
) -> None:
    forum_cli("create-admin", "appeal_admin", "--password-stdin", stdin=PASSWORD + "\n")
    forum_cli("create-group", "dosage", "--name", "Living with pain", "--moderation", "all")
    axe = {"bypass_csp": True}  # lets the test inject axe.min.js; the pages are unchanged
    with (
        fresh_page(chromium, forum_url, **axe) as author,
        fresh_page(chromium, forum_url, **axe) as moderator,
        fresh_page(chromium, forum_url, **axe) as admin,
    ):
        register(author, "slow_mornings")
        register(moderator, "pain_keeper")
        sign_in_new_staff(admin, "appeal_admin")
        admin.goto("/admin/groups/dosage")
        admin.get_by_label("Appoint a moderator (their pseudonym)").fill("pain_keeper")
        admin.get_by_role("button", name="Appoint").click()
        expect(admin.get_by_role("region", name="Moderators")).to_contain_text("pain_keeper")

        join(author, "dosage", "Living with pain")
        start_topic(author, "What worked for me", "Pacing my day helped more than anything.")
        author.get_by_role("button", name="Publish", exact=True).click()
        expect(author.get_by_text("Awaiting review")).to_be_visible()

        moderator.goto("/mod")
        moderator.get_by_role("link", name=re.compile("What worked for me")).click()
        moderator.get_by_role("button", name="Claim this item").click()
        moderator.get_by_label(re.compile("Rule it broke")).select_option(label=RULE)
        moderator.get_by_label(re.compile("Reason or note")).fill("It reads as advice to stop.")
        moderator.get_by_role("button", name=re.compile("Reject")).click()
        expect(moderator).to_have_url(re.compile(r"/mod$"))

        author.goto("/notifications")
        expect(author.get_by_text(re.compile(f"Rule: {RULE}"))).to_be_visible()
        author.get_by_role("link", name=re.compile("and how to appeal")).click()
        expect(author.get_by_role("heading", name=re.compile(r"Decision \d+"))).to_be_visible()
        expect(author.get_by_text("It reads as advice to stop.")).to_be_visible()
        no_serious_violations(author)
        author.get_by_label("Why the decision should change").fill(
            "I only said what helped me; I told no one to stop anything."
        )
        author.get_by_role("button", name="Send the appeal").click()
        expect(author.get_by_role("status")).to_contain_text("Your appeal is in")
        no_serious_violations(author)

        # The moderator who decided is not the one to judge it.
        moderator.goto("/mod/appeals")
        expect(moderator.get_by_text("No appeal is waiting for you.")).to_be_visible()

        admin.goto("/mod/appeals")
        no_serious_violations(admin)
        admin.get_by_role("link", name=re.compile(r"Appeal \d+")).click()
        expect(admin.get_by_text("I only said what helped me")).to_be_visible()
        expect(admin.get_by_text("From slow_mornings")).to_be_visible()  # signed, so named
        no_serious_violations(admin)
        admin.get_by_label(re.compile("Uphold the appeal")).check()
        admin.get_by_label("Your reasons (the member reads them)").fill(
            "Sharing what helped you is what the group is for."
        )
        admin.get_by_role("button", name="Decide").click()
        expect(admin).to_have_url(re.compile(r"/mod/appeals$"))

        author.goto("/notifications")
        expect(
            author.get_by_text(re.compile("was upheld: Sharing what helped you"))
        ).to_be_visible()
        author.goto("/decisions")
        expect(author.get_by_text("reversed on appeal")).to_be_visible()
        no_serious_violations(author)
        author.goto("/g/dosage")
        expect(author.get_by_role("link", name="What worked for me")).to_be_visible()
