"""Issue 9's surfaces keep anonymous authors anonymous: the inbox, its live events, and the
"this helped me" pages. The anonymous writer is "quietheron" (member id forced to 48613, a number
found nowhere by chance); neither may appear anywhere a reader or thanker can see."""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest

from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.clients import HANG_GUARD, ClientFactory, next_data, open_stream
from tests.factories import MakeGroup, MakeMember, Publish

PSEUDONYM = "quietheron"
AUTHOR_ID = 48613
ID_PATTERN = re.compile(rf"(?<![\w.]){AUTHOR_ID}(?!\w)")


def leaks(text: str) -> bool:
    return PSEUDONYM in text.lower() or bool(ID_PATTERN.search(text))


#: The topic starter, a follower, the anonymous replier and their group.
Cast = tuple[Member, Member, Member, Group]


@pytest.fixture
async def cast(db: asyncpg.Connection, make_member: MakeMember, make_group: MakeGroup) -> Cast:
    starter = await make_member("willow")
    follower = await make_member("harbourlight")
    await db.execute("SELECT setval(pg_get_serial_sequence('members', 'id'), $1)", AUTHOR_ID - 1)
    anonymous = await make_member(PSEUDONYM)
    assert anonymous.id == AUTHOR_ID
    grief = await make_group("grief", anonymous="optional")
    for member in (starter, follower, anonymous):
        await groups.add_member(db, grief.id, member.id)
    return starter, follower, anonymous, grief


async def test_an_anonymous_reply_in_any_inbox_carries_its_label_only(
    cast: Cast, publish: Publish, make_client: ClientFactory
) -> None:
    starter, follower, anonymous, grief = cast
    topic = await publish(starter, grief, title="Evenings")
    await publish(follower, grief, topic_id=topic.topic_id, body="following along")
    await publish(anonymous, grief, topic_id=topic.topic_id, body="unsigned", anonymous=True)
    for reader in (starter, follower):
        client = await make_client(reader)
        page = await (await client.get("/inbox")).text()
        assert "Anonymous 1 replied to “Evenings”" in page
        assert not leaks(page)
        thread = await (await client.get(f"/t/{topic.topic_id}")).text()
        assert not leaks(thread)


async def test_the_live_event_for_an_anonymous_reply_names_no_one(
    cast: Cast, publish: Publish, make_client: ClientFactory
) -> None:
    starter, _, anonymous, grief = cast
    topic = await publish(starter, grief, title="Evenings")
    resp = await open_stream(await make_client(starter), "/inbox/events")
    await publish(anonymous, grief, topic_id=topic.topic_id, body="unsigned", anonymous=True)
    raw = await asyncio.wait_for(next_data(resp.content, "inbox"), HANG_GUARD)
    resp.close()
    assert not leaks(raw)
    assert "unsigned" not in raw


async def test_thanking_an_anonymous_post_names_no_one_on_either_side(
    cast: Cast, publish: Publish, make_client: ClientFactory
) -> None:
    starter, follower, anonymous, grief = cast
    topic = await publish(starter, grief, title="Evenings")
    unsigned = await publish(
        anonymous, grief, topic_id=topic.topic_id, body="unsigned help", anonymous=True
    )
    thanker = await make_client(follower)
    resp = await thanker.post_form(f"/p/{unsigned.post_id}/respond", {"kind": "helped"})
    assert resp.status == 303
    assert not leaks(resp.headers["Location"])
    assert not leaks(await (await thanker.get(f"/t/{topic.topic_id}")).text())
    assert not leaks(await (await thanker.get("/account/helped")).text())
    author = await make_client(anonymous)
    own = await (await author.get("/account/helped")).text()
    assert "unsigned help" in own
    assert "harbourlight" not in own  # nor the thanker, to the author
