"""Statements of reasons: every rejection, removal and sanction tells the member what was done,
under which rule, the facts in the decider's words, how it came to the moderators' attention,
that a person decided, and how to appeal (forum/moderation/appeals.py).

The rules a moderator chooses from are the numbered or bulleted items of the site rules
(`/rules`) and of the group's guidelines, read from the text the admin wrote, so the list is
never a second copy to keep in step. A decision keeps the rule's text as it read then: rewriting
the rules later does not rewrite what a member was told.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from forum import markup
from forum.members import site_pages
from forum.storage import appeals, notifications
from forum.storage.db import Conn
from forum.storage.groups import Group
from forum.storage.queue_items import Item

APPEAL_DAYS = 30
#: When a decision names no rule (a form of ours always does), it still names where they are.
ANY_RULE = "The site rules (/rules)"

#: What was done, as the member reads it.
DONE = {
    "reject": "Your post was not published",
    "remove-post": "Your post was removed",
    "warn": "You were given a warning",
    "mute": "You were muted in the group",
    "remove": "You were removed from the group",
    "suspend": "Your account was suspended",
}
#: How it came to the moderators' attention. Every decision itself was taken by a person.
DETECTED = {
    "scanner": "The forum's crisis scanner flagged the post for a moderator",
    "reports": "Members reported the post",
    "crisis-report": "A member reported that someone may be at risk",
    "pre-moderation": "Posts in this group are read by a moderator before they appear",
    "moderator": "A moderator came across it",
}
_SHORT = 90


@dataclass(frozen=True, slots=True)
class Rule:
    key: str  # "site-3:1a2b3c4d": its place, and a digest of its text (see `chosen`)
    label: str  # short, for the list
    text: str  # as the decision keeps it


def _rule(place: str, label: str, text: str) -> Rule:
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return Rule(f"{place}:{digest}", label, text)


def _short(text: str) -> str:
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) <= _SHORT else first[: _SHORT - 1].rstrip() + "…"


async def choices(conn: Conn, group: Group | None) -> list[Rule]:
    """The site rules' items, then the group's guidelines' items (the whole text as one, when
    the guidelines are not a list)."""
    site = await site_pages.get(conn, "rules")
    rules = [
        _rule(f"site-{n}", f"Site rule {n}: {_short(text)}", f"Site rule {n}: {text}")
        for n, text in enumerate(markup.list_items(site.source), 1)
    ]
    if group is not None and group.guidelines.strip():
        items = markup.list_items(group.guidelines) or [" ".join(group.guidelines.split())]
        rules += [
            _rule(
                f"group-{n}",
                f"{group.name} guideline {n}: {_short(text)}",
                f"{group.name} guideline {n}: {text}",
            )
            for n, text in enumerate(items, 1)
        ]
    return rules or [_rule("site", ANY_RULE, ANY_RULE)]


async def chosen(conn: Conn, group: Group | None, key: str | None) -> str | None:
    """The text of the rule `key` names, or None for a blank or unknown key. Our forms send the
    key with the digest of the text the moderator read, so a rule rewritten meanwhile is
    refused rather than another one named; a key without a digest ("site-3") names the rule
    there now. No key at all (a client written before rules were named, as the contract
    allows) names ANY_RULE."""
    if key is None:
        return ANY_RULE
    key = key.strip()
    for rule in await choices(conn, group):
        if key in (rule.key, rule.key.split(":")[0]):
            return rule.text[:600]
    return None


def detected_by(item: Item | None) -> str:
    """How the item came to a moderator (a sanction given outside the queue: a moderator)."""
    if item is None:
        return "moderator"
    if item.crisis_level is not None:
        return "scanner"
    return {"crisis": "crisis-report", "report": "reports", "held": "pre-moderation"}.get(
        item.kind, "moderator"
    )


def sentence(text: str) -> str:
    """`text` ending as a sentence does."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


async def tell(
    conn: Conn,
    *,
    member_id: int,
    group: Group | None,
    kind: str,
    notice: str,
    post_id: int | None,
    sanction_id: int | None,
    rule: str,
    facts: str,
    detected: str,
    decided_by: int,
    confirmed_by: int | None = None,
    message: str,
) -> int:
    """Keep the statement of reasons and send it to the member as a notification of kind
    `notice`: `message` (what was done, as before), then the rule, who decided and how to
    appeal. Call inside the decision's transaction; returns the decision's id, which the
    message names."""
    decision_id = await appeals.record(
        conn,
        member_id=member_id,
        group_id=None if group is None or kind == "suspend" else group.id,
        kind=kind,
        post_id=post_id,
        sanction_id=sanction_id,
        rule=rule,
        facts=facts,
        detected_by=detected,
        decided_by=decided_by,
        confirmed_by=confirmed_by,
    )
    statement = (
        f"{sentence(message)} Rule: {sentence(_short(rule))} {DETECTED[detected]}; a person"
        " decided."
        f" This is decision {decision_id}: you can read it in full and appeal within"
        f" {APPEAL_DAYS} days."
    )
    await notifications.notify(
        conn, member_id, notice, statement, post_id=post_id, decision_id=decision_id
    )
    return decision_id
