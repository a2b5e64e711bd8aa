"""A group's crisis settings as admins change them: the policy for urgent posts, re-escalation,
the webhook, the group's own lexicon phrases and its crisis lines.

Each change is checked here (the same rules whoever calls), then saved with its audit-log entry
in one transaction, so no change goes unrecorded. A refusal is `Refused` with every problem in
words an admin can act on; a removal returns whether there was something to remove, so a repeat
is harmless.
"""

from __future__ import annotations

from collections.abc import Mapping

from forum.groups.settings import valid_url, webhook_problem
from forum.moderation.crisis.lexicon import Lexicon
from forum.storage import audit, crisis
from forum.storage.db import Conn
from forum.storage.groups import Group

LEVELS = ("concern", "urgent")
POLICIES = ("hold", "publish")
#: A crisis line's fields and their longest length.
RESOURCE_FIELDS = {
    "region": 60,
    "name": 120,
    "phone": 80,
    "text_number": 40,
    "url": 300,
    "hours": 60,
}


class Refused(Exception):
    """The change cannot be saved as given; `problems` says why, one sentence each."""

    def __init__(self, *problems: str) -> None:
        super().__init__(" ".join(problems))
        self.problems = list(problems)


async def save(
    conn: Conn,
    group: Group,
    *,
    policy: str,
    reescalate_minutes: str,
    webhook_url: str,
    actor_id: int,
) -> None:
    problems = []
    if policy not in POLICIES:
        problems.append("Choose whether urgent posts are held for a moderator or published.")
    minutes = reescalate_minutes
    if not (minutes.isascii() and minutes.isdigit() and 1 <= int(minutes) <= 1440):
        problems.append("Re-escalation must be a number of minutes from 1 to 1440.")
    webhook = webhook_problem(webhook_url)
    if webhook:
        problems.append(webhook)
    if problems:
        raise Refused(*problems)
    async with conn.transaction():
        await crisis.save_settings(
            conn,
            group.id,
            policy=policy,
            reescalate_minutes=int(minutes),
            webhook_url=webhook_url or None,
        )
        await audit.record(
            conn,
            actor_id=actor_id,
            action="crisis-settings",
            group_id=group.id,
            reason=f"policy {policy}, {minutes} min, webhook " + ("set" if webhook_url else "off"),
        )


def clean_phrase(raw: str) -> str:
    return " ".join(raw.split())


async def phrases_with(conn: Conn, group: Group, phrase: str, level: str) -> list[tuple[str, str]]:
    """The group's phrases with `phrase` added, if it may be: what a preview scans with.

    Raises Refused for a phrase that is too short or long, has no level, would not compile with
    the lexicon files' pattern syntax, or is already on the group's list."""
    if not 2 <= len(phrase) <= 200 or level not in LEVELS:
        raise Refused("A phrase needs 2 to 200 characters and a level (concern or urgent).")
    try:
        Lexicon.base().with_phrases([(phrase, level)])
    except ValueError as exc:
        raise Refused(
            f"That phrase can't be used as written ({exc}). Check brackets and symbols."
        ) from None
    current = await crisis.list_group_phrases(conn, group.id)
    if any(p.lower() == phrase.lower() for p, _ in current):
        raise Refused(f"“{phrase}” is already on this group's list.")
    return [*current, (phrase, level)]


async def add_phrase(conn: Conn, group: Group, phrase: str, level: str, *, actor_id: int) -> None:
    """Add a phrase `phrases_with` accepted; raises Refused if it was added meanwhile."""
    async with conn.transaction():
        if not await crisis.add_phrase(conn, group.id, phrase, level, actor_id):
            raise Refused(f"“{phrase}” is already on this group's list.")
        await audit.record(
            conn,
            actor_id=actor_id,
            action="crisis-phrase-add",
            group_id=group.id,
            reason=f"{level}: {phrase}",
        )


async def remove_phrase(conn: Conn, group: Group, phrase_id: int, *, actor_id: int) -> bool:
    return await audit.record_if_changed(
        conn,
        crisis.remove_phrase(conn, group.id, phrase_id),
        actor_id=actor_id,
        action="crisis-phrase-remove",
        group_id=group.id,
        reason=f"phrase #{phrase_id}",
    )


def clean_resource(raw: Mapping[str, str]) -> dict[str, str]:
    return {k: " ".join(raw.get(k, "").split()) for k in RESOURCE_FIELDS}


async def add_resource(conn: Conn, group: Group, fields: dict[str, str], *, actor_id: int) -> None:
    """Add one of the group's own crisis lines; raises Refused with every problem."""
    problems = [
        f"The {k.replace('_', ' ')} can be at most {n} characters."
        for k, n in RESOURCE_FIELDS.items()
        if len(fields[k]) > n
    ]
    if not fields["name"]:
        problems.append("Please give the resource a name.")
    if not (fields["phone"] or fields["text_number"] or fields["url"]):
        problems.append("Give at least a phone number, a text number or a web address.")
    if fields["url"] and not valid_url(fields["url"]):
        problems.append("The web address must start with http:// or https://.")
    if problems:
        raise Refused(*problems)
    async with conn.transaction():
        await crisis.add_resource(conn, group.id, fields)
        await audit.record(
            conn,
            actor_id=actor_id,
            action="crisis-resource-add",
            group_id=group.id,
            reason=fields["name"],
        )


async def remove_resource(conn: Conn, group: Group, resource_id: int, *, actor_id: int) -> bool:
    return await audit.record_if_changed(
        conn,
        crisis.remove_resource(conn, group.id, resource_id),
        actor_id=actor_id,
        action="crisis-resource-remove",
        group_id=group.id,
        reason=f"resource #{resource_id}",
    )
