"""Issue 6 in Chromium: an admin starts a members-only, approval-based group with anonymous
posting and pre-moderation, appoints a moderator; a member applies, is approved and posts."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import register, set_up_two_factor, sign_in_new_staff, start_topic
from tests.clients import PASSWORD
from tests.processes import ForumCommand

pytestmark = pytest.mark.browser


def test_an_admin_starts_an_approval_group_and_a_member_applies_is_approved_and_posts(
    forum_cli: ForumCommand,
    open_page: Callable[[], Page],
    problems: list[str],
) -> None:
    forum_cli("create-admin", "group_starter", "--password-stdin", stdin=PASSWORD + "\n")
    moderator = open_page()
    register(moderator, "steady_hand")
    member = open_page()
    register(member, "new_leaf")

    admin = open_page()
    sign_in_new_staff(admin, "group_starter")
    admin.get_by_role("navigation", name="Your account").get_by_role("link", name="Admin").click()
    admin.get_by_role("navigation", name="Admin").get_by_role("link", name="Groups").click()
    form = admin.get_by_role("region", name="Create a group")
    # A first try without a name is refused and keeps what was typed.
    form.get_by_label("Address").fill("baby-loss")
    form.get_by_role("button", name="Create group").click()
    expect(admin.get_by_role("alert")).to_contain_text("Please give the group a name")
    form = admin.get_by_role("region", name="Create a group")
    expect(form.get_by_label("Address")).to_have_value("baby-loss")
    form.get_by_label("Name", exact=True).fill("Parents who lost a baby")
    form.get_by_label("Who is this group for?").fill(
        "For parents after miscarriage, stillbirth or neonatal loss."
    )
    form.get_by_label("Baby loss").check()
    form.get_by_label("Group guidelines").fill("Every loss is real here.\nNo advice unless asked.")
    form.get_by_label("Who can read it").select_option("members")
    form.get_by_label("Who can join").select_option("approval")
    form.get_by_label("Question for people asking to join").fill("What would you like us to know?")
    form.get_by_label("Anonymous posting").select_option("optional")
    form.get_by_label("Review posts before they appear").select_option("all")
    form.get_by_role("button", name="Create group").click()
    expect(admin).to_have_url(re.compile(r"/admin/groups/baby-loss$"))

    admin.get_by_label("Appoint a moderator (their pseudonym)").fill("steady_hand")
    admin.get_by_role("button", name="Appoint").click()
    expect(admin.get_by_role("region", name="Moderators")).to_contain_text("steady_hand")

    # The member finds the group by its tag and asks to join, answering the question.
    member.goto("/")
    member.get_by_role("navigation", name="Filter by condition").get_by_role(
        "link", name="Baby loss"
    ).click()
    member.get_by_role("link", name="Ask to join Parents who lost a baby").click()
    expect(member.get_by_text("Every loss is real here.")).to_be_visible()
    member.get_by_label("I have read the guidelines and accept them").check()
    member.get_by_label("What would you like us to know?").fill("We lost our son in March.")
    member.get_by_role("button", name="Ask to join").click()
    expect(member.get_by_text("Request sent")).to_be_visible()
    response = member.goto("/g/baby-loss")
    assert response is not None
    assert response.status == 404  # members only, not yet a member

    moderator.goto("/mod")  # a moderator of a group with anonymous posting: two-factor first
    set_up_two_factor(moderator)
    moderator.goto("/mod")
    requests = moderator.get_by_role("region", name="Requests to join")
    expect(requests).to_contain_text("new_leaf")
    expect(requests).to_contain_text("We lost our son in March.")
    requests.get_by_role("button", name="Approve new_leaf").click()
    expect(moderator.get_by_role("region", name="Requests to join")).to_contain_text(
        "No one is waiting"
    )

    member.goto("/notifications")
    expect(member.get_by_text("was accepted")).to_be_visible()
    member.goto("/g/baby-loss")
    expect(member.get_by_role("region", name="About this group")).to_contain_text(
        "Every post is read by a moderator"
    )
    start_topic(member, "Three months on", "Some days are easier than others.")
    member.get_by_label(re.compile("Post anonymously")).check()
    member.get_by_role("button", name="Publish", exact=True).click()
    expect(member.get_by_text("Awaiting review")).to_be_visible()

    moderator.goto("/mod")
    moderator.get_by_role("link", name=re.compile("Three months on")).click()
    moderator.get_by_role("button", name="Claim this item").click()
    moderator.get_by_role("button", name="Approve and show").click()

    member.goto("/g/baby-loss")
    expect(member.get_by_role("link", name="Three months on")).to_be_visible()
    expect(member.locator(".topic-list__meta")).to_contain_text("Anonymous")
    admin.goto("/admin/log")
    expect(admin.get_by_role("table")).to_contain_text("join-approve")
    expected = (
        "/admin/groups: Failed to load resource: the server responded with a status of 400",
        "/g/baby-loss: Failed to load resource: the server responded with a status of 404",
    )
    assert [p for p in problems if not any(e in p for e in expected)] == []
