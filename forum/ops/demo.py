"""`forum seed-demo`: three small groups with a few realistic conversations, for a first look.

Idempotent by slug: a group that exists is left alone, so running it on every `make run` is safe
and never duplicates posts. Demo authors get random passwords that are never shown, so nobody can
sign in as them.
"""

from __future__ import annotations

import secrets
from typing import Any

from forum import markup
from forum.members import passwords
from forum.storage import groups, members, topics
from forum.storage.db import Conn

AUTHORS = ("quiet_harbour", "Morningside", "river-stone", "lanternlight")

GROUPS: list[dict[str, Any]] = [
    {
        "slug": "grief",
        "tags": ["grief"],
        "name": "Grief and loss",
        "description": "For anyone who is grieving: a parent, a partner, a child, a friend. "
        "Early days or many years on, you are welcome here.",
        "anonymous": "optional",
        "topics": [
            (
                "The first winter without Mum",
                "quiet_harbour",
                False,
                "It's been four months. Everyone says the firsts are the hardest, and the first "
                "cold mornings are bringing it all back: she always texted me to wear a scarf.\n\n"
                "How did you get through the first winter?",
                [
                    (
                        "Morningside",
                        "I kept one of my dad's scarves by the door and wore it on the worst "
                        "days. It sounds small but it helped me feel he was still looking out for me.",
                    ),
                    (
                        "river-stone",
                        "The first year I planned something small for each hard date, even "
                        "just a walk. Having a plan made the day less of an ambush. Thinking of you.",
                    ),
                ],
            ),
            (
                "Does anyone else still talk to them out loud?",
                "river-stone",
                True,
                "My husband died two years ago and I still tell him about my day when I'm cooking. "
                "Part of me worries it means I'm not moving on.",
                [
                    (
                        "lanternlight",
                        "I do this too. A counsellor once told me grief is love with "
                        "nowhere to go, and talking is somewhere for it to go. You're not doing it wrong.",
                    )
                ],
            ),
        ],
    },
    {
        "slug": "cancer",
        "tags": ["cancer"],
        "name": "Living with cancer",
        "description": "People with cancer, in treatment or after, and those who care for them. "
        "Share what helps with treatment, side effects, scans and waiting.",
        "anonymous": "off",
        "topics": [
            (
                "Scanxiety: how do you cope with the wait for results?",
                "lanternlight",
                False,
                "My next CT is on Thursday and the results take ten days. I can't concentrate on "
                "anything. What do you do with yourselves in the waiting?",
                [
                    (
                        "quiet_harbour",
                        "I book something for the day after the scan so there is one "
                        "thing to look forward to. And I tell my sister the date so I'm not carrying it "
                        "alone.",
                    ),
                    (
                        "Morningside",
                        "**Puzzles.** Hundreds of them. My hands are busy and my head gets "
                        "a break. Wishing you good news.",
                    ),
                ],
            ),
            (
                "Tips for the first round of chemo",
                "Morningside",
                False,
                "Starting FEC-T next week. For those who've been through it, what do you wish "
                "you'd known?\n\n- what to pack\n- what to eat\n- what to ask the nurses",
                [],
            ),
        ],
    },
    {
        "slug": "addiction",
        "tags": ["addiction"],
        "name": "Recovery from addiction",
        "description": "Alcohol, drugs, gambling or anything else: whether you are thinking about "
        "stopping, in recovery, or supporting someone who is.",
        "anonymous": "optional",
        "topics": [
            (
                "90 days today",
                "river-stone",
                True,
                "I didn't think I would make it past the first week. Today is 90 days without a "
                "drink. Thank you to everyone here who answered my posts at 2am.",
                [
                    (
                        "quiet_harbour",
                        "Ninety days is huge. Well done, and thank you for coming back "
                        "to tell us: it gives the rest of us hope.",
                    ),
                    ("lanternlight", "Congratulations! What helped most in the hardest week?"),
                ],
            ),
        ],
    },
]


async def _author(conn: Conn, pseudonym: str) -> int:
    existing = await members.get_credentials(conn, pseudonym)
    if existing is not None:
        return existing.member.id
    unusable = await passwords.hash_password(secrets.token_urlsafe(32))
    return (await members.create_member(conn, pseudonym, unusable)).id


async def seed(conn: Conn) -> str:
    created = []
    for spec in GROUPS:
        if await groups.get_group_by_slug(conn, str(spec["slug"])) is not None:
            continue
        async with conn.transaction():
            group = await groups.create_group(
                conn,
                str(spec["slug"]),
                str(spec["name"]),
                description=str(spec["description"]),
                anonymous=str(spec["anonymous"]),
                condition_tags=[str(t) for t in spec["tags"]],
            )
            author_ids = {name: await _author(conn, name) for name in AUTHORS}
            for member_id in author_ids.values():
                await groups.join_group(conn, group, member_id)
            for title, author, anonymous, body, replies in spec["topics"]:
                new = await topics.create_topic(
                    conn,
                    group_id=group.id,
                    author_id=author_ids[author],
                    anonymous=anonymous and group.anonymous == "optional",
                    title=title,
                    body_source=body,
                    body_html=markup.render(body),
                    content_warning="",
                )
                for reply_author, reply_body in replies:
                    await topics.create_reply(
                        conn,
                        topic_id=new.topic_id,
                        author_id=author_ids[reply_author],
                        anonymous=False,
                        body_source=reply_body,
                        body_html=markup.render(reply_body),
                        content_warning="",
                    )
        created.append(group.slug)
    return "demo groups created: " + ", ".join(created) if created else "demo groups already exist"
