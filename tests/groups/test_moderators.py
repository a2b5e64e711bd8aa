"""Admin pages: creating groups, appointing and removing moderators; 404 for everyone else."""

from __future__ import annotations

import aiohttp
import asyncpg
import pytest

from forum.storage import groups, moderators
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import ClientFactory, ForumClient
from tests.factories import Appoint, MakeGroup, MakeMember


@pytest.fixture
async def admin(make_client: ClientFactory, make_member: MakeMember) -> ForumClient:
    return await make_client(await make_member("overseer", is_admin=True))


@pytest.fixture
async def candidate(make_member: MakeMember) -> Member:
    return await make_member("keeper")


@pytest.fixture
async def grief(make_group: MakeGroup) -> Group:
    return await make_group("grief", name="Grief and loss")


async def moderator_ids(db: asyncpg.Connection, group: Group) -> list[int]:
    return [m.member_id for m in await moderators.list_for_group(db, group.id)]


async def appoint_by_form(
    admin: ForumClient, pseudonym: str = "keeper", slug: str = "grief", *, csrf: bool = True
) -> aiohttp.ClientResponse:
    """The admin names `pseudonym` a moderator of the group on its admin page."""
    return await admin.post_form(
        f"/admin/groups/{slug}/moderators", {"pseudonym": pseudonym}, csrf=csrf
    )


async def remove_by_form(admin: ForumClient, moderator: Member) -> aiohttp.ClientResponse:
    """The admin ends `moderator`'s appointment in grief."""
    return await admin.post_form(f"/admin/groups/grief/moderators/{moderator.id}/remove")


# -- Only admins -----------------------------------------------------------------------------------

ADMIN_GETS = ["/admin/groups", "/admin/groups/grief"]
ADMIN_POSTS: list[tuple[str, dict[str, str]]] = [
    ("/admin/groups", {"slug": "sneaky", "name": "Sneaky"}),
    ("/admin/groups/grief/moderators", {"pseudonym": "willow"}),
    ("/admin/groups/grief/moderators/{keeper}/remove", {}),
]


@pytest.fixture
async def non_admins(
    make_client: ClientFactory,
    make_member: MakeMember,
    grief: Group,
    candidate: Member,
    appoint: Appoint,
) -> dict[str, ForumClient]:
    """A plain member and a moderator of the group; neither is an admin."""
    await appoint(grief, candidate)
    plain = await make_client(await make_member("willow"))
    return {"member": plain, "moderator": await make_client(candidate)}


@pytest.mark.parametrize("who", ["member", "moderator"])
@pytest.mark.parametrize("path", ADMIN_GETS)
async def test_a_non_admin_gets_404_for_every_admin_page(
    non_admins: dict[str, ForumClient], who: str, path: str
) -> None:
    assert (await non_admins[who].get(path)).status == 404


@pytest.mark.parametrize("who", ["member", "moderator"])
@pytest.mark.parametrize(("path", "fields"), ADMIN_POSTS)
async def test_a_non_admin_gets_404_for_every_admin_action_and_changes_nothing(
    db: asyncpg.Connection,
    non_admins: dict[str, ForumClient],
    candidate: Member,
    grief: Group,
    who: str,
    path: str,
    fields: dict[str, str],
) -> None:
    resp = await non_admins[who].post_form(path.format(keeper=candidate.id), fields)
    assert resp.status == 404
    assert await db.fetchval("SELECT count(*) FROM groups") == 1
    assert await moderator_ids(db, grief) == [candidate.id]


@pytest.mark.parametrize("path", ADMIN_GETS)
async def test_a_visitor_gets_404_for_admin_pages_not_a_sign_in_prompt(
    client: ForumClient, grief: Group, path: str
) -> None:
    resp = await client.get(path)
    assert resp.status == 404


async def test_an_admin_sees_the_groups_page(admin: ForumClient, grief: Group) -> None:
    resp = await admin.get("/admin/groups")
    assert resp.status == 200
    assert "Grief and loss" in await resp.text()


async def test_an_unknown_groups_admin_page_is_not_found(admin: ForumClient) -> None:
    assert (await admin.get("/admin/groups/nowhere")).status == 404


# -- Appointing ------------------------------------------------------------------------------------


async def test_appointing_redirects_to_the_groups_admin_page(
    admin: ForumClient, grief: Group, candidate: Member
) -> None:
    resp = await appoint_by_form(admin)
    assert resp.status == 303
    assert resp.headers["Location"] == "/admin/groups/grief"


async def test_appointing_makes_the_member_a_moderator_of_the_group(
    db: asyncpg.Connection, admin: ForumClient, grief: Group, candidate: Member
) -> None:
    await appoint_by_form(admin)
    assert await moderator_ids(db, grief) == [candidate.id]


async def test_an_appointed_moderator_can_open_the_queue(
    admin: ForumClient, grief: Group, candidate: Member, make_client: ClientFactory
) -> None:
    await appoint_by_form(admin)
    assert (await (await make_client(candidate)).get("/mod")).status == 200


async def test_appointing_ignores_surrounding_spaces(
    db: asyncpg.Connection, admin: ForumClient, grief: Group, candidate: Member
) -> None:
    await appoint_by_form(admin, "  keeper ")
    assert await moderator_ids(db, grief) == [candidate.id]


async def test_appointing_makes_them_an_active_member_of_an_approval_group(
    db: asyncpg.Connection, admin: ForumClient, make_group: MakeGroup, candidate: Member
) -> None:
    closed = await make_group("closed-circle", membership="approval", visibility="members")
    await groups.join_group(db, closed, candidate.id)  # asked to join: pending
    await appoint_by_form(admin, slug="closed-circle")
    assert await groups.is_active_member(db, closed.id, candidate.id)


async def test_appointing_twice_keeps_one_appointment(
    db: asyncpg.Connection, admin: ForumClient, grief: Group, candidate: Member
) -> None:
    for _ in range(2):
        resp = await appoint_by_form(admin)
        assert resp.status == 303
    assert await moderator_ids(db, grief) == [candidate.id]


async def test_the_groups_admin_page_lists_its_moderators(
    admin: ForumClient, grief: Group, candidate: Member
) -> None:
    await appoint_by_form(admin)
    page = await (await admin.get("/admin/groups/grief")).text()
    assert "keeper" in page
    assert f"/admin/groups/grief/moderators/{candidate.id}/remove" in page


async def test_appointing_an_unknown_pseudonym_answers_400_with_a_clear_message(
    db: asyncpg.Connection, admin: ForumClient, grief: Group
) -> None:
    resp = await appoint_by_form(admin, "nobody-here")
    assert resp.status == 400
    page = await resp.text()
    assert "No member is called “nobody-here”" in page
    assert 'value="nobody-here"' in page
    assert await moderator_ids(db, grief) == []


async def test_appointing_an_empty_pseudonym_answers_400(
    db: asyncpg.Connection, admin: ForumClient, grief: Group
) -> None:
    resp = await appoint_by_form(admin, "")
    assert resp.status == 400
    assert await moderator_ids(db, grief) == []


async def test_appointing_in_an_unknown_group_is_not_found(
    db: asyncpg.Connection, admin: ForumClient, candidate: Member
) -> None:
    resp = await appoint_by_form(admin, slug="nowhere")
    assert resp.status == 404
    assert await db.fetchval("SELECT count(*) FROM group_moderators") == 0


async def test_appointing_needs_a_csrf_token(
    db: asyncpg.Connection, admin: ForumClient, grief: Group, candidate: Member
) -> None:
    resp = await appoint_by_form(admin, csrf=False)
    assert resp.status == 403
    assert await moderator_ids(db, grief) == []


# -- Removing --------------------------------------------------------------------------------------


async def test_removing_a_moderator_ends_their_appointment(
    db: asyncpg.Connection, admin: ForumClient, grief: Group, candidate: Member
) -> None:
    await appoint_by_form(admin)
    resp = await remove_by_form(admin, candidate)
    assert resp.status == 303
    assert resp.headers["Location"] == "/admin/groups/grief"
    assert await moderator_ids(db, grief) == []


async def test_a_removed_moderator_no_longer_has_the_queue(
    admin: ForumClient, grief: Group, candidate: Member, make_client: ClientFactory
) -> None:
    await appoint_by_form(admin)
    await remove_by_form(admin, candidate)
    assert (await (await make_client(candidate)).get("/mod")).status == 404


async def test_removing_a_moderator_of_one_group_keeps_them_in_another(
    db: asyncpg.Connection,
    admin: ForumClient,
    grief: Group,
    make_group: MakeGroup,
    candidate: Member,
) -> None:
    cancer = await make_group("cancer")
    for slug in ("grief", "cancer"):
        await appoint_by_form(admin, slug=slug)
    await remove_by_form(admin, candidate)
    assert await moderator_ids(db, cancer) == [candidate.id]


async def test_removing_someone_who_is_not_a_moderator_changes_nothing(
    db: asyncpg.Connection, admin: ForumClient, grief: Group, candidate: Member
) -> None:
    resp = await remove_by_form(admin, candidate)
    assert resp.status == 303
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


# -- Creating groups -------------------------------------------------------------------------------

GROUP = {
    "slug": "lost-a-parent",
    "name": "Lost a parent",
    "description": "For anyone grieving",
    "visibility": "members",
    "membership": "approval",
    "anonymous": "optional",
    "moderation": "new-members",
}


async def test_creating_a_group_redirects_to_its_admin_page(admin: ForumClient) -> None:
    resp = await admin.post_form("/admin/groups", GROUP)
    assert resp.status == 303
    assert resp.headers["Location"] == "/admin/groups/lost-a-parent"


async def test_creating_a_group_stores_every_setting(
    db: asyncpg.Connection, admin: ForumClient
) -> None:
    await admin.post_form("/admin/groups", GROUP)
    group = await groups.get_group_by_slug(db, "lost-a-parent")
    assert group is not None
    assert (
        group.name,
        group.description,
        group.visibility,
        group.membership,
        group.anonymous,
        group.moderation,
    ) == ("Lost a parent", "For anyone grieving", "members", "approval", "optional", "new-members")


async def test_a_duplicate_slug_answers_400_and_keeps_the_typed_values(
    admin: ForumClient, grief: Group
) -> None:
    resp = await admin.post_form(
        "/admin/groups", {**GROUP, "slug": "grief", "name": "Another grief group"}
    )
    assert resp.status == 400
    page = await resp.text()
    assert "There is already a group at /g/grief" in page
    assert 'value="Another grief group"' in page
    assert 'value="grief"' in page
    assert "For anyone grieving" in page
    assert '<option value="new-members" selected>' in page


async def test_a_duplicate_slug_creates_nothing(
    db: asyncpg.Connection, admin: ForumClient, grief: Group
) -> None:
    await admin.post_form("/admin/groups", {**GROUP, "slug": "grief", "name": "Another"})
    assert await db.fetchval("SELECT count(*) FROM groups") == 1
    kept = await groups.get_group_by_slug(db, "grief")
    assert kept is not None
    assert kept.name == "Grief and loss"
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_an_empty_name_answers_400_and_keeps_the_typed_values(
    db: asyncpg.Connection, admin: ForumClient
) -> None:
    resp = await admin.post_form("/admin/groups", {**GROUP, "name": "   "})
    assert resp.status == 400
    page = await resp.text()
    assert "Please give the group a name" in page
    assert 'value="lost-a-parent"' in page
    assert "For anyone grieving" in page
    assert await db.fetchval("SELECT count(*) FROM groups") == 0


@pytest.mark.parametrize("slug", ["Has Capitals", "", "-leading", "a--b", "x" * 65])
async def test_a_bad_slug_answers_400_and_creates_nothing(
    db: asyncpg.Connection, admin: ForumClient, slug: str
) -> None:
    resp = await admin.post_form("/admin/groups", {**GROUP, "slug": slug})
    assert resp.status == 400
    assert "The address must be" in await resp.text()
    assert await db.fetchval("SELECT count(*) FROM groups") == 0


@pytest.mark.parametrize("field", ["visibility", "membership", "anonymous", "moderation"])
async def test_an_unknown_choice_answers_400_and_creates_nothing(
    db: asyncpg.Connection, admin: ForumClient, field: str
) -> None:
    resp = await admin.post_form("/admin/groups", {**GROUP, field: "sometimes"})
    assert resp.status == 400
    assert "from the list" in await resp.text()
    assert await db.fetchval("SELECT count(*) FROM groups") == 0


async def test_a_new_group_is_listed_for_admins(admin: ForumClient) -> None:
    await admin.post_form("/admin/groups", GROUP)
    assert "Lost a parent" in await (await admin.get("/admin/groups")).text()
