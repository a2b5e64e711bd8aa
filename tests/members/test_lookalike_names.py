"""Names that pass for a role, a system label or a staff member are refused.

`Anonymous_1` beside the forum's own "Anonymous 1", `ADMIN_`, and names a letter or a digit away
from a moderator's used to be accepted. Names are compared by what they look like (`skeleton`):
normalised, case-folded, without separators or trailing digits, look-alike characters folded.
"""

from __future__ import annotations

import asyncpg
import pytest

from forum.members import accounts
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import JOINING, PASSWORD, ClientFactory
from tests.factories import Appoint, MakeGroup, MakeMember


@pytest.mark.parametrize(
    "name",
    [
        "Anonymous_1",
        "anonymous-2",
        "ADMIN_",
        "Adm1n",
        "admin2",
        "moderator-team",
        "Staff-Team",
        "deleted-member",
        "rn0d",
        "5ystem",
        "0fficial_help",
    ],
)
def test_names_that_read_as_a_role_or_a_label_are_reserved(name: str) -> None:
    with pytest.raises(accounts.AccountError, match="is reserved"):
        accounts.check_pseudonym(name)


@pytest.mark.parametrize(
    "name", ["river", "modern_life", "admiral", "helper", "Willow", "mum-of-3"]
)
def test_ordinary_names_are_fine(name: str) -> None:
    assert accounts.check_pseudonym(name) == name


@pytest.mark.parametrize(
    ("first", "second"), [("Adm1n", "ADMIN_"), ("keeper", "KEEPER_2"), ("wi1low", "Willow")]
)
def test_the_skeleton_folds_what_looks_alike(first: str, second: str) -> None:
    assert accounts.skeleton(first) == accounts.skeleton(second)


async def test_a_name_like_a_moderators_is_refused_at_registration(
    make_client: ClientFactory,
    make_group: MakeGroup,
    make_member: MakeMember,
    appoint: Appoint,
) -> None:
    appoint_to = await make_group("grief")
    await appoint(appoint_to, await make_member("keeper"))
    client = await make_client()
    for lookalike in ("KEEPER", "keeper_", "keep3r"):
        resp = await client.post_form(
            "/register", {**JOINING, "pseudonym": lookalike, "password": PASSWORD}
        )
        assert resp.status == 400, lookalike
        assert "looks too much like the name of one of the forum" in await resp.text()
    ok = await client.post_form(
        "/register", {**JOINING, "pseudonym": "keepsake", "password": PASSWORD}
    )
    assert ok.status == 303


async def test_a_group_name_like_an_admins_is_refused(
    make_member: MakeMember, make_group: MakeGroup, member: Member, db: asyncpg.Connection
) -> None:
    await make_member("Overseer", is_admin=True)
    group: Group = await make_group("grief", members_=[member])
    with pytest.raises(accounts.AccountError, match="looks too much like"):
        await accounts.set_group_name(db, group, member, "0verseer")
    assert await accounts.set_group_name(db, group, member, "stillwater") == "stillwater"
