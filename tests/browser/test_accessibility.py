"""axe-core on every page type: no serious or critical accessibility violation (WCAG 2.2 AA).

axe-core is the npm package installed by scripts/ensure-axe (`make browser-deps`); the test
injects its axe.min.js into each page. Contexts bypass the forum's CSP for that one injected
script only because the test asks them to; the pages themselves are unchanged.

To cover a new page, add one line to PAGES: its path (placeholders such as {topic} come from the
`site` fixture) and who looks at it ("visitor", or "admin", who is also every group's moderator).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, TypedDict

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, expect

from tests.browser.steps import PAGE_TIMEOUT_MS, fresh_page, join, sign_in_new_staff, start_topic
from tests.clients import PASSWORD
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
ADMIN = "axe_admin"
FRIEND = "axe_friend"
#: WCAG 2.0-2.2 A and AA rules, plus axe's best practices (only serious/critical ones fail).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

PAGES: list[tuple[str, str]] = [
    ("/", "visitor"),
    ("/", "admin"),
    ("/g/grief", "visitor"),
    ("/g/grief", "admin"),
    ("{topic}", "visitor"),
    ("{topic}", "admin"),
    ("{draft}", "admin"),
    ("/drafts", "admin"),
    ("/notifications", "admin"),
    ("/mod", "admin"),
    ("{mod_item}", "admin"),
    ("/mod/log", "admin"),
    ("/admin/groups", "admin"),
    ("/admin/groups/grief", "admin"),
    ("/admin/groups/grief/crisis", "admin"),
    ("/login", "visitor"),
    ("/register", "visitor"),
    ("/account", "admin"),
    ("/account/preferences", "admin"),
    ("/m/{pseudonym}", "visitor"),
    ("{report}", "admin"),
    ("/no-such-page", "visitor"),
    ("/safety", "visitor"),
    ("/search?q=evening", "visitor"),
    ("/search?q=evening&group=grief", "admin"),
    ("/?tag=grief", "visitor"),
    ("/admin", "admin"),
    ("/admin/groups/grief/health", "admin"),
    ("/admin/moderators", "admin"),
    ("/admin/members?q=axe", "admin"),
    ("/admin/log", "admin"),
    ("/admin/lexicon", "admin"),
    ("/inbox", "admin"),
    ("/account/posts", "admin"),
    ("/account/helped", "admin"),
    ("/account/password", "admin"),
    ("/account/recovery-codes", "admin"),
    ("/recover", "visitor"),
    ("/welcome", "admin"),
    ("/privacy", "visitor"),
    ("/rules", "visitor"),
    ("/admin/pages/rules", "admin"),
    ("/account/two-factor", "admin"),
    ("/admin/two-factor", "admin"),
    ("/rules/accept", "admin"),
    ("{reset}", "admin"),
    ("/admin/retention", "admin"),
]
#: Pages checked in the dark theme too (colour contrast differs; the structure does not).
DARK_TOO = {
    ("/", "visitor"),
    ("{topic}", "admin"),
    ("{draft}", "admin"),
    ("/mod", "admin"),
    ("{mod_item}", "admin"),
    ("/account/preferences", "admin"),
    ("/safety", "visitor"),
    ("/inbox", "admin"),
}
CHECKS = [(p, w, "light") for p, w in PAGES] + [
    (p, w, "dark") for p, w in PAGES if (p, w) in DARK_TOO
]


class Site(TypedDict):
    """The admin's signed-in browser state, and the paths that fill PAGES' placeholders."""

    state: StorageState
    paths: dict[str, str]


class Browse(Protocol):
    """`browse("admin", color_scheme="dark")`: a new page for a visitor or the signed-in admin,
    in a context made with Playwright's `new_context` options."""

    def __call__(self, who: str, **options: Any) -> Page: ...


def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing ({AXE_JS}): run scripts/ensure-axe or make browser-deps")
    return AXE_JS.read_text()


@pytest.fixture(scope="module")
def site(forum_cli: ForumCommand, chromium: Browser, forum_url: str) -> Site:
    """Something of every kind to look at: a topic, a draft, a report in the queue; and the
    admin's signed-in browser state."""
    forum_cli("create-admin", ADMIN, "--password-stdin", stdin=PASSWORD + "\n")
    forum_cli("create-admin", FRIEND, "--password-stdin", stdin=PASSWORD + "\n")
    with fresh_page(chromium, forum_url) as page:
        sign_in_new_staff(page, ADMIN)
        join(page, "grief", "Grief and loss")
        start_topic(page, "Checking in", "A **quiet** evening, thinking of Dad.")
        page.get_by_label("Content warning (optional)").fill("parent's death")
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page).to_have_url(re.compile(r"/t/\d+"))
        topic = page.url.split("#")[0].removeprefix(forum_url)
        reply_as_friend(chromium, forum_url, topic)  # members report others' posts, not their own
        page.goto(topic)
        page.get_by_role("link", name="Report this post").first.click()
        report = page.url.removeprefix(forum_url)
        page.get_by_role("radio").first.check()
        page.get_by_role("button", name="Send report").click()
        page.goto("/mod")
        page.locator("#queue a[href*='/mod/items/']").first.click()
        mod_item = page.url.removeprefix(forum_url)
        page.goto(topic)
        page.get_by_label("Your reply").fill("Call me on 07700 900123 if you like.")
        page.get_by_role("button", name="Continue to preview").click()
        expect(page.get_by_role("note")).to_be_visible()
        draft = page.url.split("#")[0].removeprefix(forum_url)
        page.goto(f"/admin/members?q={FRIEND}")
        reset = page.get_by_role("link", name=f"Reset link for {FRIEND}").get_attribute("href")
        assert reset is not None
        return {
            "state": page.context.storage_state(),
            "paths": {
                "topic": topic,
                "draft": draft,
                "mod_item": mod_item,
                "report": report,
                "pseudonym": ADMIN,
                "reset": reset,
            },
        }


def reply_as_friend(chromium: Browser, forum_url: str, topic: str) -> None:
    """A second member joins the group and replies, so the admin has someone else's post."""
    with fresh_page(chromium, forum_url) as page:
        sign_in_new_staff(page, FRIEND)
        join(page, "grief", "Grief and loss")
        page.goto(topic)
        page.get_by_label("Your reply").fill("Thinking of you tonight.")
        page.get_by_role("button", name="Continue to preview").click()
        page.get_by_role("button", name="Publish", exact=True).click()
        expect(page).to_have_url(re.compile(r"/t/\d+"))


@pytest.fixture
def browse(chromium: Browser, forum_url: str, site: Site) -> Iterator[Browse]:
    contexts: list[BrowserContext] = []

    def open_(who: str, **options: Any) -> Page:
        context = chromium.new_context(
            base_url=forum_url,
            bypass_csp=True,  # lets the test inject axe.min.js; the forum's pages are unchanged
            storage_state=site["state"] if who == "admin" else None,
            **options,
        )
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def serious_violations(page: Page) -> list[str]:
    page.add_script_tag(content=axe_source())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(("path", "who", "scheme"), CHECKS, ids=[" ".join(c) for c in CHECKS])
def test_axe_finds_no_serious_violation(
    browse: Browse, site: Site, path: str, who: str, scheme: str
) -> None:
    page = browse(who, color_scheme=scheme)
    page.goto(path.format(**site["paths"]))
    assert serious_violations(page) == []


@pytest.mark.parametrize("path", ["/", "{topic}", "{draft}", "/account/preferences", "/safety"])
def test_pages_reflow_at_400_percent_zoom_without_sideways_scrolling(
    browse: Browse, site: Site, path: str
) -> None:
    # 320 CSS pixels wide is a 1280-pixel screen at 400% zoom (WCAG 1.4.10 Reflow).
    page = browse("admin", viewport={"width": 320, "height": 640})
    page.goto(path.format(**site["paths"]))
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_the_skip_link_is_first_and_moves_focus_to_the_main_content(
    browse: Browse,
) -> None:
    page = browse("visitor")
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused_in_main = page.evaluate(
        "() => document.querySelector('main').contains(document.activeElement)"
    )
    assert focused_in_main


def test_quick_exit_is_the_next_stop_after_the_skip_link(browse: Browse) -> None:
    page = browse("visitor")
    page.goto("/g/grief")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name=re.compile("^Quick exit"))).to_be_focused()


def test_axe_does_report_a_serious_violation_when_there_is_one(
    browse: Browse,
) -> None:
    """The check above can fail: an unlabelled text box and an image without text are caught."""
    page = browse("visitor")
    page.goto("/safety")
    page.evaluate(
        "() => { const main = document.querySelector('main');"
        " main.insertAdjacentHTML('beforeend', '<input type=text><img src=/static/favicon.svg>'); }"
    )
    found = " ".join(serious_violations(page))
    assert "label" in found
    assert "image-alt" in found
