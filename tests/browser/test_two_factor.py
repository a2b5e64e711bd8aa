"""Two-factor sign-in for staff (issue 19), in Chromium: a new admin's first sign-in opens only
the set-up page; they scan the key (read here from the page, as an app reads the QR code), type
its code and keep the recovery codes; the console opens. Signed out and back in, the password
alone is not enough: the code step asks for the app's code, and then the console opens again.
axe-core finds nothing serious on the set-up page or the code step."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.steps import PAGE_TIMEOUT_MS, app_code
from tests.browser.test_accessibility import serious_violations
from tests.clients import PASSWORD
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

ADMIN = "careful_admin"


def _password(page: Page) -> None:
    page.goto("/login?next=/admin")
    page.get_by_label("Pseudonym").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_admin_turns_on_two_factor_and_signs_in_with_a_code(
    forum_cli: ForumCommand,
    chromium: Browser,
    forum_url: str,
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-admin", ADMIN, "--password-stdin", stdin=PASSWORD + "\n")
    # axe needs its script injected: this one context lets the test do so (the pages are as sent)
    context = chromium.new_context(base_url=forum_url, bypass_csp=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        _password(page)
        expect(page).to_have_url(re.compile(r"/account/two-factor\?next=(/|%2F)admin"))
        expect(page.get_by_role("status")).to_contain_text("the only page you can use")
        assert serious_violations(page) == []
        page.goto("/admin")  # still only the set-up page
        expect(page).to_have_url(re.compile(r"/account/two-factor"))

        expect(page.locator("figure.qr svg")).to_be_visible()
        key = page.locator("#two-factor-secret").inner_text()
        page.get_by_label("The six-digit code your app now shows").fill(app_code(key))
        page.get_by_role("button", name="Turn on two-factor").click()
        codes = page.get_by_role("list", name="Two-factor recovery codes").locator("code")
        expect(codes).to_have_count(10)
        page.get_by_role("link", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/admin$"))

        page.get_by_role("button", name="Sign out").click()
        _password(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Your two-factor code")
        assert serious_violations(page) == []
        page.get_by_label("The six-digit code from your authenticator app").fill("000000")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("That code isn't right")
        # the set-up code's time step is spent: a phone a step fast shows the next, still taken
        page.get_by_label("The six-digit code from your authenticator app").fill(
            app_code(key, ahead=1)
        )
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/admin$"))
        expect(page.get_by_role("navigation", name="Your account")).to_contain_text(
            f"Signed in as {ADMIN}"
        )
    finally:
        context.close()
    assert problems == []
