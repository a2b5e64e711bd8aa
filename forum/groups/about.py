"""What a group page says about the group: who it is for, its guidelines, how it is moderated
and how active it is, so a newcomer can tell whether it is the right place before posting.

Activity is "posts this week" from the daily counter (`group_daily_posts`): at most seven rows,
never a count over the group's posts.
"""

from __future__ import annotations

from dataclasses import dataclass

from forum.groups.settings import TAGS
from forum.storage import groups, memberships
from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class About:
    tags: list[tuple[str, str]]  # (tag, label)
    moderation: str  # in plain words
    posts_this_week: int
    guidelines: str
    must_accept: bool  # the viewer is a member who has not yet accepted the guidelines


def moderation_words(group: groups.Group) -> str:
    if group.moderation == "all":
        return "Every post is read by a moderator before it appears."
    if group.moderation == "new-members":
        n = group.moderation_first_posts
        first = "first post" if n == 1 else f"first {n} posts"
        return f"A moderator reads each member's {first} here before it appears."
    return "Posts appear at once; moderators look at anything members report."


async def describe(conn: Conn, group: groups.Group, member_id: int | None) -> About:
    """`member_id` is the viewer if they are an active member, else None."""
    must_accept = bool(group.guidelines) and member_id is not None
    if must_accept:
        assert member_id is not None
        must_accept = not await memberships.has_accepted_guidelines(conn, group.id, member_id)
    return About(
        tags=[(t, TAGS[t]) for t in group.condition_tags if t in TAGS],
        moderation=moderation_words(group),
        posts_this_week=await groups.posts_this_week(conn, group.id),
        guidelines=group.guidelines,
        must_accept=must_accept,
    )
