"""Saving and publishing drafts (`posting.publishing`): one may-post check and one crisis scan
for new posts and edits alike, and saves that never lose a newer text."""

from __future__ import annotations

import asyncpg
import pytest

from forum.moderation import sanctions
from forum.posting import publishing
from forum.posting.publishing import DraftFields
from forum.storage import drafts, groups, own_posts, topics
from forum.storage.drafts import Draft
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeDraft, MakeGroup, Publish

URGENT = "I have the pills in front of me and I am going to take them all tonight. Goodbye."


@pytest.fixture
async def circle(make_group: MakeGroup, author: Member) -> Group:
    return await make_group("circle", name="Evening circle", members_=[author])


async def edit_of(db: asyncpg.Connection, post: topics.NewPost, author: Member) -> Draft:
    own = await own_posts.get_own_post(db, post.post_id, author.id)
    assert own is not None
    draft = await drafts.get_own_draft(
        db, await own_posts.start_edit(db, own, author.id), author.id
    )
    assert draft is not None
    return draft


async def save(db: asyncpg.Connection, draft: Draft, **fields: str) -> Draft:
    typed = DraftFields.of(draft)
    return await publishing.save(
        db,
        draft,
        DraftFields(
            fields.get("title", typed.title),
            fields.get("body", typed.body),
            typed.anonymous,
            typed.content_warning,
        ),
        version=draft.version,
    )


@pytest.fixture
async def draft(author: Member, circle: Group, make_draft: MakeDraft) -> Draft:
    """The author's draft in the circle, its body "first"."""
    return await make_draft(author, circle, body="first")


async def test_saving_returns_the_draft_with_the_new_text_and_version(
    db: asyncpg.Connection, draft: Draft
) -> None:
    saved = await save(db, draft, body="second")
    assert (saved.body, saved.version) == ("second", draft.version + 1)


async def test_saving_over_a_newer_version_raises_stale_with_the_newer_text(
    db: asyncpg.Connection, draft: Draft
) -> None:
    await save(db, draft, body="tab A")
    with pytest.raises(publishing.StaleDraft) as stale:
        await save(db, draft, body="tab B")
    assert stale.value.current is not None
    assert stale.value.current.body == "tab A"


async def test_saving_a_body_over_the_limit_is_refused_and_changes_nothing(
    db: asyncpg.Connection, author: Member, draft: Draft
) -> None:
    with pytest.raises(publishing.DraftRefused, match="at most 20,000"):
        await save(db, draft, body="x" * (publishing.BODY_MAX + 1))
    kept = await drafts.get_own_draft(db, draft.id, author.id)
    assert kept is not None
    assert kept.body == "first"


@pytest.fixture
async def new_and_edit(
    db: asyncpg.Connection, author: Member, circle: Group, publish: Publish, make_draft: MakeDraft
) -> tuple[Draft, Draft]:
    """Two of the author's drafts waiting in the circle: a new topic, and an edit of a post."""
    post = await publish(author, circle, body="before")
    edit = await save(db, await edit_of(db, post, author), body="after")
    new = await make_draft(author, circle, title="Another topic", body="hello")
    return new, edit


async def test_a_new_post_and_an_edit_are_refused_alike_once_the_group_is_archived(
    db: asyncpg.Connection, circle: Group, new_and_edit: tuple[Draft, Draft]
) -> None:
    await groups.set_archived(db, circle.id, True)
    for draft in new_and_edit:
        with pytest.raises(publishing.DraftRefused, match="closed to new posts"):
            await publishing.publish(db, draft)


async def test_a_new_post_and_an_edit_are_refused_alike_while_the_author_is_muted(
    db: asyncpg.Connection,
    author: Member,
    keeper: Member,
    circle: Group,
    new_and_edit: tuple[Draft, Draft],
) -> None:
    new, edit = new_and_edit
    await sanctions.apply(
        db,
        moderator=keeper,
        group=circle,
        author_id=author.id,
        kind="mute",
        reason="a cooling-off day",
        duration=sanctions.DURATIONS["1d"],
        post_id=None,
    )
    for draft in (new, edit):
        with pytest.raises(publishing.DraftRefused, match="muted"):
            await publishing.publish(db, draft)
    assert (await drafts.get_own_draft(db, edit.id, author.id)) is not None  # kept


async def test_a_new_post_is_scanned_for_crisis_in_its_title(
    db: asyncpg.Connection,
    author: Member,
    circle: Group,
    make_draft: MakeDraft,
) -> None:
    draft = await make_draft(author, circle, title=URGENT, body="Nothing else to say.")
    assert (await publishing.scan_draft(db, draft)).level == "urgent"
    assert (await publishing.publish(db, draft)).crisis_level == "urgent"


async def test_an_edit_is_scanned_for_crisis_in_its_title_as_a_new_post_is(
    db: asyncpg.Connection, author: Member, circle: Group, publish: Publish
) -> None:
    post = await publish(author, circle, title="Evenings", body="Ordinary words.")
    edit = await save(db, await edit_of(db, post, author), title=URGENT, body="Ordinary, edited.")
    assert (await publishing.scan_draft(db, edit)).level == "urgent"  # what the preview showed
    assert (await publishing.publish(db, edit)).crisis_level == "urgent"
