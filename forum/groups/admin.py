"""Creating, changing and archiving groups (what `forum create-group` and `/admin` both call),
and appointing their moderators.

Settings arrive already checked by `GroupSettings.parse`; this adds the rules that need the
database (a slug must be free, and it is settled once the group has its first post) and writes
each change to the audit log in the same transaction, so no change goes unrecorded.
"""

from __future__ import annotations

from dataclasses import asdict

from forum.groups.settings import GroupSettings
from forum.storage import audit, groups, members, moderators
from forum.storage.db import Conn
from forum.storage.groups import Group


class SettingsRefused(Exception):
    """A setting cannot be saved as given; `field` says which, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _taken(slug: str) -> SettingsRefused:
    return SettingsRefused(
        "slug", f"There is already a group at /g/{slug}. Please choose another address."
    )


async def create(conn: Conn, settings: GroupSettings, *, actor_id: int | None) -> Group:
    fields = asdict(settings)
    slug, name = fields.pop("slug"), fields.pop("name")
    async with conn.transaction():
        try:
            group = await groups.create_group(conn, slug, name, **fields)
        except groups.SlugTaken:
            raise _taken(slug) from None
        await audit.record(
            conn, actor_id=actor_id, action="create-group", group_id=group.id, reason=group.name
        )
    return group


def changed_fields(group: Group, settings: GroupSettings) -> list[str]:
    return [f for f, value in asdict(settings).items() if getattr(group, f) != value]


async def save(conn: Conn, group: Group, settings: GroupSettings, *, actor_id: int) -> Group:
    """Save every setting; raises SettingsRefused. Saving what is already there changes nothing
    and records nothing."""
    changed = changed_fields(group, settings)
    if not changed:
        return group
    async with conn.transaction():
        if settings.slug != group.slug and await groups.has_posts(conn, group.id):
            raise SettingsRefused(
                "slug",
                f"The address stays /g/{group.slug} now that people have posted in the group,"
                " so that every link to their posts keeps working.",
            )
        try:
            saved = await groups.save_settings(conn, group, settings)
        except groups.SlugTaken:
            raise _taken(settings.slug) from None
        await audit.record(
            conn,
            actor_id=actor_id,
            action="edit-group",
            group_id=group.id,
            reason="changed " + ", ".join(f.replace("_", " ") for f in changed),
        )
    return saved


async def set_archived(conn: Conn, group: Group, archived: bool, *, actor_id: int) -> bool:
    return await audit.record_if_changed(
        conn,
        groups.set_archived(conn, group.id, archived),
        actor_id=actor_id,
        action="archive-group" if archived else "restore-group",
        group_id=group.id,
        reason=group.name,
    )


class NoSuchMember(Exception):
    """No member goes by that pseudonym (the message says so, to the admin only)."""


async def appoint_moderator(conn: Conn, group: Group, pseudonym: str, *, actor_id: int) -> bool:
    """Make the member called `pseudonym` a moderator (and an active member) of the group.

    Returns False when they already were; raises NoSuchMember for an unknown pseudonym."""
    found = await members.get_credentials(conn, pseudonym) if pseudonym else None
    if found is None:
        raise NoSuchMember(f"No member is called “{pseudonym}”. Check the spelling.")
    member = found.member

    async def appoint() -> bool:
        if not await moderators.appoint(conn, group.id, member.id, actor_id):
            return False
        await groups.add_member(conn, group.id, member.id)
        return True

    return await audit.record_if_changed(
        conn,
        appoint(),
        actor_id=actor_id,
        action="appoint-moderator",
        group_id=group.id,
        subject_id=member.id,
        reason=member.pseudonym,
    )


async def remove_moderator(conn: Conn, group: Group, member_id: int, *, actor_id: int) -> bool:
    return await audit.record_if_changed(
        conn,
        moderators.remove(conn, group.id, member_id),
        actor_id=actor_id,
        action="remove-moderator",
        group_id=group.id,
        subject_id=member_id,
    )
