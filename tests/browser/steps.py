"""What a person does in the browser, step by step, shared by the journeys: join the forum, sign
in, join a group, start a topic, post it anonymously, publish from the preview. Each step ends by
checking that it happened, so a journey fails at the step that broke."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyotp
from playwright.sync_api import Browser, Page, expect

from tests.clients import PASSWORD

#: Bounds every wait for an element or a navigation; the pages answer in milliseconds.
PAGE_TIMEOUT_MS = 15_000


@contextmanager
def fresh_page(chromium: Browser, base_url: str, **options: Any) -> Iterator[Page]:
    """A page in a browser context of its own (its own cookies), closed on exit."""
    context = chromium.new_context(base_url=base_url, **options)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _signed_in(page: Page, pseudonym: str) -> None:
    expect(page.get_by_role("navigation", name="Your account")).to_contain_text(
        f"Signed in as {pseudonym}"
    )


def register(page: Page, pseudonym: str) -> None:
    page.goto("/register")
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("or older").check()
    page.get_by_label("I accept the site rules").check()
    page.get_by_role("button", name="Join", exact=True).click()
    _signed_in(page, pseudonym)


def sign_in(page: Page, pseudonym: str, *, two_factor_key: str | None = None) -> None:
    """Sign in with the password and, for an account with two-factor on, a code from the app
    that holds `two_factor_key`."""
    page.goto("/login")
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if two_factor_key is not None:
        page.get_by_label("The six-digit code from your authenticator app").fill(
            app_code(two_factor_key, ahead=1)
        )
        page.get_by_role("button", name="Sign in").click()
    _signed_in(page, pseudonym)


def app_code(key: str, *, ahead: int = 0) -> str:
    """What an authenticator app holding `key` shows now, or on a clock `ahead` steps fast
    (each step's code works once, so a sign-in straight after set-up needs the next one)."""
    return pyotp.TOTP(key).at(time.time() + 30 * ahead)


def sign_in_new_staff(page: Page, pseudonym: str) -> str:
    """A new admin's first sign-in: the forum asks for two-factor before anything else. Sets it
    up as a person would with their phone; the key, for later sign-ins."""
    page.goto("/login")
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/account/two-factor\?next="))
    return set_up_two_factor(page)


def set_up_two_factor(page: Page) -> str:
    """On the set-up page: read the key (as an app scanning the QR code would), type its code."""
    expect(page.locator("figure.qr svg")).to_be_visible()
    key = page.locator("#two-factor-secret").inner_text()
    page.get_by_label("The six-digit code your app now shows").fill(app_code(key))
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_role("heading", name="Your two-factor recovery codes")).to_be_visible()
    return key


def join(page: Page, slug: str, name: str) -> None:
    """Open the group's page and join it (unless already a member); its new-topic form shows."""
    page.goto(f"/g/{slug}")
    button = page.get_by_role("button", name=f"Join {name}")
    if button.count():
        button.click()
    expect(page.get_by_role("region", name="Start a new topic")).to_be_visible()


def start_topic(page: Page, title: str, body: str) -> None:
    """Fill the group page's new-topic form and continue to the draft's preview."""
    form = page.get_by_role("region", name="Start a new topic")
    form.get_by_label("Title").fill(title)
    form.get_by_label("What would you like to share?").fill(body)
    form.get_by_role("button", name="Continue to preview").click()


def post_anonymously(page: Page) -> None:
    """On the draft, tick "Post anonymously" and save it; back on the preview the box stays ticked."""
    page.get_by_label("Post anonymously").check()
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_label("Post anonymously")).to_be_checked()


def publish_from_preview(page: Page, bold: str) -> None:
    """Check the preview rendered the Markdown (`bold` in <strong>, no raw `**`), then publish."""
    preview = page.get_by_role("region", name="Preview")
    expect(preview.locator("strong")).to_have_text(bold)
    expect(preview).not_to_contain_text("**")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page).to_have_url(re.compile(r"/t/\d+"))
