"""forum.storage.search against a real database: what matches, for whom, in what order, paged."""

from __future__ import annotations

import asyncpg
import pytest

from forum.storage import groups, search, topics
from forum.storage.groups import Group
from forum.storage.members import Member
from tests.factories import MakeGroup, MakeMember, make_reply, make_topic


@pytest.fixture
async def reader(make_member: MakeMember) -> Member:
    return await make_member("reader")


async def results(
    db: asyncpg.Connection, query: str, viewer: Member | None = None, *, group_id: int | None = None
) -> list[search.Result]:
    """The first page of what `viewer` (no one signed in, if None) finds for `query`."""
    return await search.search_posts(
        db,
        query,
        viewer_id=viewer.id if viewer else None,
        viewer_is_admin=bool(viewer and viewer.is_admin),
        group_id=group_id,
    )


async def found(
    db: asyncpg.Connection, query: str, viewer: Member | None = None, *, group_id: int | None = None
) -> list[int]:
    """The ids of the posts in that first page, best first."""
    return [r.post_id for r in await results(db, query, viewer, group_id=group_id)]


async def set_state(db: asyncpg.Connection, post_id: int, state: str) -> None:
    await db.execute("UPDATE posts SET state = $2 WHERE id = $1", post_id, state)


# -- Matching ------------------------------------------------------------------------------------

LLORANDO = "No puedo dormir, sigo llorando cada noche"


@pytest.mark.parametrize(
    ("body", "query"),
    [
        pytest.param("I cannot sleep since the funeral", "sleep", id="a-word-in-it"),
        pytest.param("She was grieving all winter", "grieved", id="another-form-of-its-word"),
        # Words in other languages match as typed.
        pytest.param(LLORANDO, "llorando", id="a-word-in-another-language"),
        pytest.param(LLORANDO, "dormir", id="another-word-in-another-language"),
    ],
)
async def test_a_post_is_found_by(
    db: asyncpg.Connection, group: Group, river: Member, body: str, query: str
) -> None:
    new = await make_topic(db, group, river, body=body)
    assert await found(db, query) == [new.post_id]


async def test_a_title_finds_the_opening_post_only(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, title="Anniversaries", body="opening words")
    await make_reply(db, new.topic_id, river, body="a reply about something else")
    assert await found(db, "anniversary") == [new.post_id]


@pytest.mark.parametrize(
    ("query", "matching", "partly_matching"),
    [
        pytest.param(
            "sleep appetite",
            "sleep and appetite both gone",
            "sleep is fine",
            id="every-word-must-match",
        ),
        pytest.param(
            '"first christmas"',
            "the first christmas without him",
            "christmas was the first time I cried",
            id="a-quoted-phrase-matches-those-words-together",
        ),
    ],
)
async def test_a_post_matching_only_part_of_the_query_is_not_found(
    db: asyncpg.Connection,
    group: Group,
    river: Member,
    query: str,
    matching: str,
    partly_matching: str,
) -> None:
    whole = await make_topic(db, group, river, body=matching)
    await make_topic(db, group, river, body=partly_matching)
    assert await found(db, query) == [whole.post_id]


async def test_html_tags_typed_in_a_post_are_not_indexed(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    await make_topic(db, group, river, body="some <strong>plain</strong> words")
    assert await found(db, "strong") == []
    assert len(await found(db, "plain")) == 1


async def test_an_edited_post_is_found_by_its_new_words_only(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, body="the old words")
    await db.execute(
        "UPDATE posts SET body_source = 'fresh text', body_html = '<p>fresh text</p>'"
        " WHERE id = $1",
        new.post_id,
    )
    assert await found(db, "old") == []
    assert await found(db, "fresh") == [new.post_id]


# -- Who may see what ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["held", "hidden", "rejected", "removed", "deleted"])
async def test_a_post_that_is_not_published_never_matches(
    db: asyncpg.Connection, group: Group, river: Member, state: str
) -> None:
    new = await make_topic(db, group, river, body="opening")
    kept = await make_reply(db, new.topic_id, river, body="a secret reply")
    await set_state(db, kept.post_id, state)
    assert await found(db, "secret") == []
    assert await found(db, "secret", river) == []  # not even for its river


@pytest.mark.parametrize("state", ["held", "rejected", "removed"])
async def test_nothing_in_a_topic_that_is_not_published_matches(
    db: asyncpg.Connection, group: Group, river: Member, state: str
) -> None:
    new = await make_topic(db, group, river, title="Secret title", body="secret body")
    await db.execute("UPDATE topics SET state = $2 WHERE id = $1", new.topic_id, state)
    assert await found(db, "secret") == []


async def test_a_hidden_opening_post_is_not_found_by_its_title(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, title="Secret title", body="opening")
    await set_state(db, new.post_id, "hidden")
    assert await found(db, "secret") == []


async def test_a_members_only_group_is_searched_only_by_its_members_and_admins(
    db: asyncpg.Connection,
    make_group: MakeGroup,
    make_member: MakeMember,
    river: Member,
    reader: Member,
) -> None:
    quiet = await make_group("quiet", visibility="members", members_=[river])
    new = await make_topic(db, quiet, river, body="behind the door")
    admin = await make_member("overseer", is_admin=True)
    assert await found(db, "door") == []
    assert await found(db, "door", reader) == []
    assert await found(db, "door", river) == [new.post_id]
    assert await found(db, "door", admin) == [new.post_id]


async def test_a_pending_member_of_a_members_only_group_finds_nothing_there(
    db: asyncpg.Connection, make_group: MakeGroup, river: Member, reader: Member
) -> None:
    quiet = await make_group("quiet", visibility="members", membership="approval")
    await groups.add_member(db, quiet.id, river.id)
    await make_topic(db, quiet, river, body="behind the door")
    assert await groups.join_group(db, quiet, reader.id) == "pending"
    assert await found(db, "door", reader) == []


async def test_an_archived_group_is_still_searched(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, body="old memories")
    await db.execute("UPDATE groups SET archived_at = now() WHERE id = $1", group.id)
    assert await found(db, "memories") == [new.post_id]


async def test_a_group_filter_keeps_to_that_group(
    db: asyncpg.Connection, make_group: MakeGroup, group: Group, river: Member
) -> None:
    other = await make_group("other")
    here = await make_topic(db, group, river, body="lonely evenings")
    await make_topic(db, other, river, body="lonely mornings")
    assert await found(db, "lonely", group_id=group.id) == [here.post_id]
    assert len(await found(db, "lonely")) == 2


# -- Names ---------------------------------------------------------------------------------------


async def test_an_anonymous_post_shows_its_topic_label_and_no_name(
    db: asyncpg.Connection, group: Group, river: Member, reader: Member
) -> None:
    await groups.add_member(db, group.id, reader.id)
    new = await make_topic(db, group, reader, body="first words")
    late = await make_reply(db, new.topic_id, river, body="unsigned words", anonymous=True)
    [result] = await results(db, "unsigned")
    assert result.post_id == late.post_id
    assert (result.author_name, result.anon_label, result.has_profile) == (None, 1, False)


async def test_an_authors_pseudonym_does_not_find_their_posts(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    await make_topic(db, group, river, title="Unsigned", body="words", anonymous=True)
    await make_topic(db, group, river, title="Signed", body="words")
    assert await found(db, "river") == []


async def test_a_post_under_a_group_name_shows_that_name_and_no_profile(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    await make_topic(db, group, river, body="words under a name", persona="stillwater")
    [result] = await results(db, "words")
    assert (result.author_name, result.has_profile) == ("stillwater", False)
    assert await found(db, "stillwater") == []


async def test_a_deleted_members_post_shows_as_theirs_no_longer(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    await make_topic(db, group, river, body="remembered words")
    await db.execute("UPDATE members SET deleted_at = now() WHERE id = $1", river.id)
    [result] = await results(db, "remembered")
    assert (result.author_name, result.has_profile) == (topics.DELETED_NAME, False)


# -- Ranking and paging --------------------------------------------------------------------------


async def test_a_title_match_ranks_ahead_of_a_passing_mention(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    passing = await make_topic(
        db,
        group,
        river,
        title="A long week",
        body="Work was busy, the kids were ill, I barely managed any sleep, and then the car"
        " broke down on the way to my mother's house for the weekend visit.",
    )
    titled = await make_topic(db, group, river, title="Sleep after a loss", body="Any tips?")
    assert await found(db, "sleep") == [titled.post_id, passing.post_id]


async def test_a_word_said_more_often_ranks_higher_in_texts_of_one_length(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    once = await make_topic(db, group, river, body="nightmares again, tired, restless night")
    often = await make_topic(db, group, river, body="nightmares again, nightmares, nightmares")
    assert await found(db, "nightmares") == [often.post_id, once.post_id]


async def test_keyset_pages_cover_every_match_once_in_rank_order(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    # Equal ranks (same text) and different ones, so ties are broken by id across page edges.
    for n in range(23):
        body = "tired " * (1 + n % 4) + f"filler {n}"
        await make_topic(db, group, river, title=f"Topic {n}", body=body)
    everything = await search.search_posts(
        db, "tired", viewer_id=None, viewer_is_admin=False, limit=100
    )
    assert len(everything) == 23
    pages, after = [], None
    while True:
        page = await search.search_posts(
            db, "tired", viewer_id=None, viewer_is_admin=False, after=after, limit=5
        )
        if not page:
            break
        pages.append(page)
        after = (page[-1].score, page[-1].post_id)
    paged = [r.post_id for page in pages for r in page]
    assert paged == [r.post_id for r in everything]
    assert len(pages) == 5
    keys = [(r.score, r.post_id) for r in everything]
    assert keys == sorted(keys, reverse=True)
    assert len({r.score for r in everything}) > 1


# -- Snippets ------------------------------------------------------------------------------------


async def test_the_snippet_marks_the_matching_words_and_is_plain_text(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    await make_topic(
        db, group, river, body="I **can't** sleep & I miss her <script>alert(1)</script>"
    )
    [result] = await results(db, "sleep")
    assert ("sleep", True) in result.snippet
    text = "".join(piece for piece, _ in result.snippet)
    assert "can't sleep & I miss her" in text
    assert "<strong>" not in text
    # Readers saw the typed tag as text (bleach escaped it): so does the snippet, as plain text.
    assert "<script>alert(1)" in text


async def test_marks_typed_into_a_post_are_not_taken_for_highlights(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    await make_topic(db, group, river, title="\ue000fake\ue001 mark", body="\ue000sleep well")
    [result] = await results(db, "mark")
    assert result.title == (("fake ", False), ("mark", True))
    assert all(not hit for _, hit in result.snippet)


# -- Queries -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "   ", "!!! ;--", "the", "-grief", "sleep or -loss"])
async def test_a_query_with_no_word_to_look_for_is_not_searchable(
    db: asyncpg.Connection, query: str
) -> None:
    assert not await search.is_searchable(db, query)


@pytest.mark.parametrize("query", ["sleep", "'; DROP TABLE posts; --", '"first christmas"'])
async def test_a_query_with_words_is_searchable(db: asyncpg.Connection, query: str) -> None:
    assert await search.is_searchable(db, query)


async def test_sql_in_a_query_is_only_words(
    db: asyncpg.Connection, group: Group, river: Member
) -> None:
    new = await make_topic(db, group, river, body="drop the table posts")
    assert await found(db, "'; DROP TABLE posts; --") == [new.post_id]
    assert await db.fetchval("SELECT count(*) FROM posts") == 1


HOSTILE = [
    '"',
    '"""',
    '"unclosed phrase',
    "or or or",
    "-",
    "--",
    "- - -",
    "sleep <-> loss",
    "sleep:*",
    "sleep & | ! ( )",
    "\\\\ \\' \\\"",
    "' OR '1'='1",
    "$1 $2 ::tsquery",
    "x" * 3000,
    "😢 sleep 🕯️",
    "\u202esleep\u202c",
    "\uff53\uff4c\uff45\uff45\uff50",  # fullwidth "sleep"
    "日本語のテキスト",
]


@pytest.mark.parametrize("query", HOSTILE)
async def test_hostile_queries_are_answered_without_error(
    db: asyncpg.Connection, group: Group, river: Member, query: str
) -> None:
    new = await make_topic(db, group, river, body="sleep and loss")
    searchable = await search.is_searchable(db, query)
    results = await found(db, query) if searchable else []
    assert set(results) <= {new.post_id}
