"""Statements of reasons (`decisions`) and the appeals against them (migrations/0025_appeals.sql).

Reading an appeal for the person deciding it never joins the appellant's pseudonym when the
decision was `masked` (an anonymous post or a per-group name): `author_label` is then what the
post itself showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asyncpg import Record

from forum.storage.db import Conn


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    member_id: int
    group_id: int | None
    group_name: str | None
    kind: str
    post_id: int | None
    sanction_id: int | None
    rule: str
    facts: str
    detected_by: str
    masked: bool
    decided_by: int | None
    confirmed_by: int | None
    created_at: datetime
    reversed_at: datetime | None
    appeal_state: str | None  # None: not appealed


@dataclass(frozen=True, slots=True)
class Appeal:
    id: int
    decision: Decision
    text: str
    created_at: datetime
    state: str
    decided_at: datetime | None
    outcome: str | None
    author_label: str  # the pseudonym, or what a masked post showed instead
    post_html: str | None
    post_state: str | None
    appeals_by: str  # the group's choice: "admins" or "moderators"


_DECISION = (
    "d.id, d.member_id, d.group_id, g.name AS group_name, d.kind, d.post_id, d.sanction_id,"
    " d.rule, d.facts, d.detected_by, d.masked, d.decided_by, d.confirmed_by, d.created_at,"
    " d.reversed_at"
)
_DECISION_FIELDS = tuple(Decision.__dataclass_fields__)


def _decision(row: Record) -> Decision:
    return Decision(**{f: row[f] for f in _DECISION_FIELDS})


async def record(
    conn: Conn,
    *,
    member_id: int,
    group_id: int | None,
    kind: str,
    post_id: int | None,
    sanction_id: int | None,
    rule: str,
    facts: str,
    detected_by: str,
    decided_by: int,
    confirmed_by: int | None = None,
) -> int:
    """Keep a decision; it is `masked` when its post was anonymous or under a group name."""
    return int(
        await conn.fetchval(
            "INSERT INTO decisions (member_id, group_id, kind, post_id, sanction_id, rule, facts,"
            " detected_by, masked, decided_by, confirmed_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce((SELECT p.anonymous OR"
            "  p.persona IS NOT NULL FROM posts p WHERE p.id = $4), false), $9, $10) RETURNING id",
            member_id,
            group_id,
            kind,
            post_id,
            sanction_id,
            rule,
            facts,
            detected_by,
            decided_by,
            confirmed_by,
        )
    )


async def get_own(conn: Conn, decision_id: int, member_id: int) -> Decision | None:
    """One of the member's own decisions (anyone else's is None, as if it did not exist)."""
    row = await conn.fetchrow(
        f"SELECT {_DECISION}, a.state AS appeal_state FROM decisions d"
        " LEFT JOIN groups g ON g.id = d.group_id LEFT JOIN appeals a ON a.decision_id = d.id"
        " WHERE d.id = $1 AND d.member_id = $2",
        decision_id,
        member_id,
    )
    return _decision(row) if row else None


async def file(conn: Conn, decision_id: int, text: str) -> int | None:
    """The appeal's id, or None when the decision was appealed already."""
    value = await conn.fetchval(
        "INSERT INTO appeals (decision_id, text) VALUES ($1, $2)"
        " ON CONFLICT (decision_id) DO NOTHING RETURNING id",
        decision_id,
        text,
    )
    return None if value is None else int(value)


# Who may decide: an admin, or a moderator of the group where the group lets its moderators
# decide (never for a site-wide suspension, nor for a sanction an admin confirmed: that one was
# on a staff member's masked post, and a moderator deciding it would learn so); never the
# appellant, nor anyone who took or confirmed this or another decision on the same post.
# $1 is the viewer's id, $2 whether they are an admin.
_MAY_DECIDE = """
    d.member_id <> $1
    AND NOT EXISTS (SELECT 1 FROM decisions same WHERE (same.id = d.id OR same.post_id = d.post_id)
        AND ($1 IN (same.decided_by, same.confirmed_by)))
    AND ($2::boolean OR (g.appeals = 'moderators' AND d.confirmed_by IS NULL AND EXISTS (
        SELECT 1 FROM group_moderators gmod WHERE gmod.group_id = d.group_id
        AND gmod.member_id = $1)))
"""
#: The same rule for each member `c` (a row of `members`) instead of a viewer.
_AS_MEMBER_C = _MAY_DECIDE.replace("$1", "c.id").replace("$2", "c.is_admin")
_APPEAL = f"""
    SELECT {_DECISION}, a.state AS appeal_state, a.id AS appeal_id, a.text, a.created_at AS filed_at,
           a.state, a.decided_at, a.outcome, coalesce(g.appeals, 'admins') AS appeals_by,
           CASE WHEN NOT d.masked THEN m.pseudonym
                WHEN p.anonymous THEN 'An anonymous member'
                ELSE coalesce(p.persona, 'A member under a group name') END AS author_label,
           p.body_html AS post_html, p.state AS post_state
    FROM appeals a JOIN decisions d ON d.id = a.decision_id
    JOIN members m ON m.id = d.member_id
    LEFT JOIN groups g ON g.id = d.group_id
    LEFT JOIN posts p ON p.id = d.post_id
"""


def _appeal(r: Record) -> Appeal:
    return Appeal(
        id=r["appeal_id"],
        decision=_decision(r),
        text=r["text"],
        created_at=r["filed_at"],
        state=r["state"],
        decided_at=r["decided_at"],
        outcome=r["outcome"],
        author_label=r["author_label"],
        post_html=r["post_html"],
        post_state=r["post_state"],
        appeals_by=r["appeals_by"],
    )


async def list_open_for(
    conn: Conn, viewer_id: int, is_admin: bool, limit: int = 100
) -> list[Appeal]:
    """Open appeals this viewer may decide, oldest first."""
    rows = await conn.fetch(
        f"{_APPEAL} WHERE a.state = 'open' AND {_MAY_DECIDE} ORDER BY a.id LIMIT $3",
        viewer_id,
        is_admin,
        limit,
    )
    return [_appeal(r) for r in rows]


async def get_for_decider(
    conn: Conn, appeal_id: int, viewer_id: int, is_admin: bool
) -> Appeal | None:
    """An appeal (open or decided) this viewer may decide; None for any other viewer."""
    row = await conn.fetchrow(
        f"{_APPEAL} WHERE a.id = $3 AND {_MAY_DECIDE}", viewer_id, is_admin, appeal_id
    )
    return _appeal(row) if row else None


async def get_for_decision(conn: Conn, decision_id: int) -> tuple[str, str | None] | None:
    """The appeal's state and outcome reasons, for the member's statement page."""
    row = await conn.fetchrow(
        "SELECT state, outcome FROM appeals WHERE decision_id = $1", decision_id
    )
    return (row["state"], row["outcome"]) if row else None


async def close(
    conn: Conn, appeal_id: int, *, upheld: bool, by: int, is_admin: bool, outcome: str
) -> bool:
    """Decide an open appeal, if `by` may decide it now (checked in the same statement); False
    when someone decided it first or `by` no longer may."""
    status = await conn.execute(
        "UPDATE appeals a SET state = $4, decided_by = $1, decided_at = now(), outcome = $5"
        " FROM decisions d LEFT JOIN groups g ON g.id = d.group_id"
        f" WHERE a.id = $3 AND d.id = a.decision_id AND a.state = 'open' AND {_MAY_DECIDE}",
        by,
        is_admin,
        appeal_id,
        "upheld" if upheld else "refused",
        outcome,
    )
    return status == "UPDATE 1"


async def mark_reversed(conn: Conn, decision_id: int) -> None:
    await conn.execute("UPDATE decisions SET reversed_at = now() WHERE id = $1", decision_id)


async def count_open_for(conn: Conn, viewer_id: int, is_admin: bool) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM appeals a JOIN decisions d ON d.id = a.decision_id"
            f" LEFT JOIN groups g ON g.id = d.group_id WHERE a.state = 'open' AND {_MAY_DECIDE}",
            viewer_id,
            is_admin,
        )
    )


async def list_own(conn: Conn, member_id: int) -> list[Decision]:
    rows = await conn.fetch(
        f"SELECT {_DECISION}, a.state AS appeal_state FROM decisions d"
        " LEFT JOIN groups g ON g.id = d.group_id LEFT JOIN appeals a ON a.decision_id = d.id"
        " WHERE d.member_id = $1 ORDER BY d.id DESC LIMIT 200",
        member_id,
    )
    return [_decision(r) for r in rows]


async def deciders(conn: Conn, decision_id: int) -> list[int]:
    """Everyone who may decide an appeal against this decision (see _MAY_DECIDE)."""
    rows = await conn.fetch(
        "SELECT c.id FROM members c WHERE c.deleted_at IS NULL AND EXISTS ("
        "  SELECT 1 FROM decisions d LEFT JOIN groups g ON g.id = d.group_id"
        f"  WHERE d.id = $1 AND {_AS_MEMBER_C})"
        " AND (c.is_admin OR EXISTS (SELECT 1 FROM group_moderators gm WHERE gm.member_id = c.id))"
        " ORDER BY c.id LIMIT 200",
        decision_id,
    )
    return [r["id"] for r in rows]
