"""Appeals: a member contests a decision once, within 30 days, in their own words; someone who
took no part in it decides, with reasons; upheld, the decision is undone. All audited.

Who decides: the admins, or, where the group chose so (`groups.appeals`), that group's moderators
too; a site-wide suspension is always the admins'. Never the appellant, nor whoever took the
decision or confirmed it (`storage.appeals._MAY_DECIDE`): they do not even see the appeal. The
person deciding reads the decision, the post and the member's words, and never the member's
pseudonym when the post was anonymous or under a group name (`Decision.masked`). The audit log
records the appeal without an actor, so it cannot name an anonymous appellant either.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from forum.moderation import reasons
from forum.storage import (
    appeals,
    audit,
    groups,
    inbox,
    moderators,
    notifications,
    posts,
    sanctions,
)
from forum.storage.appeals import Appeal, Decision
from forum.storage.db import Conn
from forum.storage.members import Member

MAX_CHARS = 2000
_REFERENCE = re.compile(r"^\s*(?:decision\s*|d-?|#)?(\d{1,18})\s*$", re.IGNORECASE)


class AppealRefused(Exception):
    """The appeal cannot be taken or decided as asked (the message says why)."""


class AlreadyDecided(AppealRefused):
    """Someone decided the appeal first."""


def reference(raw: str) -> int | None:
    """The decision a member names: "42", "#42", "D-42" or "decision 42", as notifications say."""
    found = _REFERENCE.match(raw)
    return int(found.group(1)) if found else None


def deadline(decision: Decision) -> datetime:
    return decision.created_at + timedelta(days=reasons.APPEAL_DAYS)


def can_appeal(decision: Decision, now: datetime) -> bool:
    return (
        decision.appeal_state is None and decision.reversed_at is None and now < deadline(decision)
    )


async def file(conn: Conn, member: Member, decision: Decision, text: str, now: datetime) -> int:
    """Take the member's appeal against their own `decision`; its id. The eligible deciders are
    told one waits (never by whom)."""
    text = text.strip()
    if decision.appeal_state is not None:
        raise AppealRefused("You have appealed this decision already: each decision once.")
    if decision.reversed_at is not None:
        raise AppealRefused("This decision was reversed already: there is nothing to appeal.")
    if now >= deadline(decision):
        raise AppealRefused(
            f"Appeals are taken within {reasons.APPEAL_DAYS} days of a decision, and this one"
            " was longer ago."
        )
    if not text or len(text) > MAX_CHARS:
        raise AppealRefused(f"Please say why in 1 to {MAX_CHARS:,} characters.")
    async with conn.transaction():
        appeal_id = await appeals.file(conn, decision.id, text)
        if appeal_id is None:
            raise AppealRefused("You have appealed this decision already: each decision once.")
        await audit.record(
            conn,
            actor_id=None,  # the appellant is the subject, which no log view shows
            action="appeal",
            group_id=decision.group_id,
            post_id=decision.post_id,
            subject_id=member.id,
            reason=f"decision {decision.id}",
        )
        where = f" in {decision.group_name}" if decision.group_name else ""
        who = await appeals.deciders(conn, decision.id)
        if who:
            told = (
                f"A member appealed a decision{where}: appeal {appeal_id} waits for someone who"
                " did not take it."
            )
        else:  # everyone who could decide took part: the admins must find someone who did not
            who = await moderators.list_admin_ids(conn)
            told = (
                f"A member appealed a decision{where}, and no one who took no part in it may"
                f" decide appeal {appeal_id}: appoint another admin, or let the group's other"
                " moderators decide appeals."
            )
        await notifications.notify_all(conn, who, "appeal", told)
    return appeal_id


async def decide(conn: Conn, decider: Member, appeal: Appeal, *, upheld: bool, why: str) -> None:
    """Decide an open appeal the `decider` may decide (the caller looked it up for them).
    Upheld, the decision is undone: the post is back as it was, the sanction lifted (a removed
    member back in the group). The member is told the outcome and the reasons."""
    why = why.strip()
    if not why or len(why) > 1000:
        raise AppealRefused(
            "Please give your reasons in 1 to 1,000 characters: the member reads them."
        )
    if appeal.state != "open":
        raise AlreadyDecided("This appeal has been decided already.")
    decision = appeal.decision
    async with conn.transaction():
        closed = await appeals.close(
            conn, appeal.id, upheld=upheld, by=decider.id, is_admin=decider.is_admin, outcome=why
        )
        if not closed:
            raise AlreadyDecided("Someone else decided this appeal a moment ago.")
        if upheld:
            undone = await _undo(conn, decider, decision)
            await appeals.mark_reversed(conn, decision.id)
            told = f"Your appeal against decision {decision.id} was upheld: {why} {undone}"
        else:
            told = (
                f"Your appeal against decision {decision.id} was not upheld: {why}"
                " The decision stands; someone who did not take it has looked at it again."
            )
        await audit.record(
            conn,
            actor_id=decider.id,
            action="appeal-upheld" if upheld else "appeal-refused",
            group_id=decision.group_id,
            post_id=decision.post_id,
            subject_id=decision.member_id,
            reason=why,
        )
        await notifications.notify(
            conn,
            decision.member_id,
            "appeal-decided",
            told,
            post_id=decision.post_id,
            decision_id=decision.id,
        )


async def _undo(conn: Conn, decider: Member, decision: Decision) -> str:
    """Reverse the decision; what the member is told about it."""
    if decision.kind in ("reject", "remove-post"):
        if decision.post_id is None or not await posts.restore(conn, decision.post_id):
            return "The post is no longer here to put back (it was deleted)."
        if decision.kind == "reject":
            await inbox.deliver(conn, decision.post_id)
        return "Your post is back, as you wrote it."
    in_force = decision.sanction_id is not None and await sanctions.withdraw(
        conn, decision.sanction_id, by=decider.id
    )
    if decision.kind == "remove" and decision.group_id is not None:
        if in_force and await groups.rejoin(conn, decision.group_id, decision.member_id):
            return "You are a member of the group again."
        return "The removal has ended: you may join the group again from its page."
    return {
        "warn": "The warning is withdrawn.",
        "mute": "The mute is lifted.",
        "suspend": "Your account's suspension is lifted.",
    }.get(decision.kind, "The decision is withdrawn.")


async def may_decide_any(conn: Conn, member: Member) -> bool:
    """Whether the appeals queue is for this member at all (admins and moderators)."""
    return member.is_admin or bool(await moderators.moderated_group_ids(conn, member.id))
