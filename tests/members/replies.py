"""`ReplyTo`, the type of the members tests' `reply_to` fixture: the replier answering a topic."""

from __future__ import annotations

from dataclasses import dataclass

from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.topics import NewPost
from tests.factories import Publish


@dataclass
class ReplyTo:
    """`await reply_to(topic, "words")`: the replier answers a topic in grief."""

    publish: Publish
    replier: Member
    grief: Group

    async def __call__(self, topic: NewPost, body: str, *, anonymous: bool = False) -> NewPost:
        return await self.publish(
            self.replier, self.grief, topic_id=topic.topic_id, body=body, anonymous=anonymous
        )
