"""What a change to a group's crisis phrases would have done to the group's recent posts.

Before an admin adds or removes a phrase, the last `SAMPLE` posts of the group are scanned with
the lexicon as it is and as it would be, and every post whose level would change is listed. So
an admin sees "this would have flagged 40 posts about cooking" before saving, not after.
Only post ids, levels and the matched lexicon phrases are shown: no post text, no authors.
"""

from __future__ import annotations

from dataclasses import dataclass

from forum.moderation.crisis import escalation, scanner
from forum.moderation.crisis.scanner import Lexicon
from forum.storage import crisis
from forum.storage.db import Conn

SAMPLE = 1000
SHOWN = 100
LEVELS = ("none", "concern", "urgent")


@dataclass(frozen=True, slots=True)
class Change:
    post_id: int
    before: str
    after: str
    phrases: tuple[str, ...]  # the lexicon entries behind the new level


@dataclass(frozen=True, slots=True)
class Impact:
    scanned: int
    before: dict[str, int]  # level -> posts
    after: dict[str, int]
    changes: list[Change]  # at most SHOWN of them
    changed: int


async def preview(conn: Conn, group_id: int, phrases_after: list[tuple[str, str]]) -> Impact:
    """Raises ValueError when a phrase would not compile (the caller says so plainly)."""
    after_lexicon = Lexicon.base().with_phrases(phrases_after) if phrases_after else Lexicon.base()
    before_lexicon = await escalation.lexicon_for(conn, group_id)
    texts = await crisis.recent_post_texts(conn, group_id, SAMPLE)
    before = dict.fromkeys(LEVELS, 0)
    after = dict.fromkeys(LEVELS, 0)
    changes: list[Change] = []
    changed = 0
    for post_id, text in texts:
        old = scanner.scan(text, before_lexicon)
        new = scanner.scan(text, after_lexicon)
        before[old.level] += 1
        after[new.level] += 1
        if old.level != new.level:
            changed += 1
            if len(changes) < SHOWN:
                shown = new if new.matches else old
                phrases = tuple(dict.fromkeys(m.phrase for m in shown.matches))
                changes.append(Change(post_id, old.level, new.level, phrases))
    return Impact(len(texts), before, after, changes, changed)
