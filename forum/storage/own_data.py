"""A member's own data: everything they wrote and everything kept about them, to download, and
deleting their account.

The export is the one place where anonymous posts and per-group names appear next to the member's
pseudonym, and it is only ever built for the member themselves.
"""

from __future__ import annotations

from typing import Any

from forum.storage.db import Conn

#: Deleted accounts keep their pseudonym this long (so no one can take it over and be mistaken
#: for them at once), then it becomes "deleted-<random>" and is free again.
RELEASE_AFTER_DAYS = 30
TOMBSTONE_PREFIX = "deleted-"
REMOVED_TITLE = "Topic removed by its author"


#: What else is kept about the member besides what they wrote: (key in the export, a query of
#: the member's id). Never a token, a hash, a key, or another member's name. Sanctions waiting
#: for an admin, or dismissed by one, on a staff author's anonymous post were never told to the
#: member and are left out (forum/moderation/sanctions.py); one they were told of has a
#: statement of reasons (`decisions`), and everything they were told is in their notifications.
_KEPT: tuple[tuple[str, str], ...] = (
    (
        "sessions",
        "SELECT created_at, last_seen_at, expires_at FROM sessions WHERE member_id = $1"
        " ORDER BY created_at",
    ),
    (
        "recovery_codes",
        "SELECT purpose, created_at, used_at FROM recovery_codes WHERE member_id = $1 ORDER BY id",
    ),
    ("two_factor", "SELECT created_at, confirmed_at FROM two_factor WHERE member_id = $1"),
    (
        "password_reset_links",
        "SELECT created_at, expires_at, used_at FROM password_resets WHERE member_id = $1"
        " ORDER BY created_at",
    ),
    (
        "notifications",
        "SELECT kind, post_id, message, created_at, read_at, decision_id FROM notifications"
        " WHERE member_id = $1 ORDER BY id",
    ),
    (
        "inbox",
        "SELECT post_id, reason, created_at, read_at FROM inbox_items WHERE member_id = $1"
        " ORDER BY id",
    ),
    (
        "followed_topics",
        "SELECT topic_id, state, updated_at FROM topic_follows WHERE member_id = $1"
        " ORDER BY topic_id",
    ),
    (
        "responses",
        "SELECT post_id, kind, created_at FROM post_responses WHERE member_id = $1"
        " ORDER BY created_at",
    ),
    ("muted_members", "SELECT created_at FROM member_mutes WHERE member_id = $1 ORDER BY 1"),
    (
        "reports_made",
        "SELECT post_id, reason, details, created_at FROM reports WHERE reporter_id = $1"
        " ORDER BY id",
    ),
    (
        "sanctions",
        "SELECT s.kind, g.slug AS group, s.reason, s.created_at, s.ends_at, s.lifted_at"
        " FROM sanctions s LEFT JOIN groups g ON g.id = s.group_id"
        " WHERE s.member_id = $1 AND NOT s.awaiting_admin AND (NOT (s.identity <> 'member'"
        "   AND s.lifted_by IN (SELECT id FROM members WHERE is_admin))"
        "   OR EXISTS (SELECT 1 FROM decisions d WHERE d.sanction_id = s.id)) ORDER BY s.id",
    ),
    (
        "decisions",
        "SELECT d.id AS decision, d.kind, g.slug AS group, d.post_id, d.rule, d.facts,"
        " d.detected_by, d.created_at, d.reversed_at, a.text AS appeal, a.created_at AS appealed_at,"
        " a.state AS appeal_state, a.outcome AS appeal_outcome, a.decided_at AS appeal_decided_at"
        " FROM decisions d LEFT JOIN groups g ON g.id = d.group_id"
        " LEFT JOIN appeals a ON a.decision_id = d.id WHERE d.member_id = $1 ORDER BY d.id",
    ),
    (
        "moderator_of",
        "SELECT g.slug AS group, gm.appointed_at FROM group_moderators gm"
        " JOIN groups g ON g.id = gm.group_id WHERE gm.member_id = $1 ORDER BY g.slug",
    ),
    (
        "anonymous_labels",
        "SELECT topic_id, label FROM topic_anon_labels WHERE member_id = $1 ORDER BY topic_id",
    ),
    (
        "site_rules",
        "SELECT rules_version AS accepted_version, age_confirmed_at FROM members WHERE id = $1",
    ),
)


async def export_kept(conn: Conn, member_id: int) -> dict[str, list[dict[str, Any]]]:
    """The records of `_KEPT`, each a list of rows."""
    return {key: [_jsonable(r) for r in await conn.fetch(sql, member_id)] for key, sql in _KEPT}


def _jsonable(row: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in dict(row).items()}


async def export(conn: Conn, member_id: int) -> dict[str, Any]:
    member = await conn.fetchrow(
        "SELECT pseudonym, created_at FROM members WHERE id = $1 AND deleted_at IS NULL", member_id
    )
    if member is None:
        return {}
    names = await conn.fetch(
        "SELECT g.slug AS group, g.name AS group_name, gm.display_name AS name_in_group,"
        " gm.state AS membership, gm.joined_at FROM group_members gm"
        " JOIN groups g ON g.id = gm.group_id WHERE gm.member_id = $1 ORDER BY g.slug",
        member_id,
    )
    posts = await conn.fetch(
        "SELECT p.id, g.slug AS group, p.topic_id, t.title AS topic_title,"
        " (t.author_id = p.author_id AND p.id = (SELECT min(id) FROM posts WHERE topic_id = t.id))"
        "   AS opened_topic,"
        " p.body_source AS body, p.content_warning, p.anonymous, p.persona AS posted_as,"
        " p.state, p.created_at, p.edited_at"
        " FROM posts p JOIN topics t ON t.id = p.topic_id JOIN groups g ON g.id = t.group_id"
        " WHERE p.author_id = $1 ORDER BY p.id",
        member_id,
    )
    # Earlier texts of the member's posts (their own edits and moderators' "edit and approve",
    # with the moderator's reason; which moderator edited is not the member's data).
    versions = await conn.fetch(
        "SELECT v.post_id, v.body_source AS body, v.content_warning, v.written_at,"
        " v.replaced_at, v.moderator_reason FROM post_versions v JOIN posts p ON p.id = v.post_id"
        " WHERE p.author_id = $1 ORDER BY v.post_id, v.id",
        member_id,
    )
    drafts = await conn.fetch(
        "SELECT d.id, g.slug AS group, d.topic_id, d.title, d.body, d.content_warning,"
        " d.anonymous, d.created_at, d.updated_at FROM drafts d JOIN groups g ON g.id = d.group_id"
        " WHERE d.author_id = $1 ORDER BY d.id",
        member_id,
    )
    reading = await conn.fetchrow(
        "SELECT text_size, open_warnings, collapse_words, hide_words, check_ins, updated_at"
        " FROM reader_preferences WHERE member_id = $1",
        member_id,
    )
    # Check-ins the member received and their answers; which moderator wrote is not theirs.
    check_ins = await conn.fetch(
        "SELECT item_id AS thread, from_author, body, safe, created_at, read_at"
        " FROM check_in_messages WHERE member_id = $1 ORDER BY id",
        member_id,
    )
    return {
        "member": _jsonable(member),
        "groups": [_jsonable(r) for r in names],
        "posts": [_jsonable(r) for r in posts],
        "earlier_versions": [_jsonable(r) for r in versions],
        "check_ins": [_jsonable(r) for r in check_ins],
        "drafts": [_jsonable(r) for r in drafts],
        "reading_preferences": _jsonable(reading) if reading else None,
        **await export_kept(conn, member_id),
    }


async def delete_account(conn: Conn, member_id: int, *, remove_posts: bool) -> None:
    """Close the account: sign out everywhere, drop drafts and group names; optionally take
    down everything they wrote, posts under the pseudonym now and each other identity's at its
    own moment (`apply_due_removals`), so the removals do not link the names. Call inside a
    transaction."""
    await conn.execute(
        "UPDATE members SET deleted_at = now(), password_hash = '!' WHERE id = $1", member_id
    )
    await conn.execute("DELETE FROM check_in_messages WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM sessions WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM recovery_codes WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM two_factor WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM sign_in_challenges WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM password_resets WHERE member_id = $1", member_id)
    # Statements of reasons and the member's appeals go; the audit log keeps the moderation record.
    await conn.execute("DELETE FROM decisions WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM drafts WHERE author_id = $1", member_id)
    await conn.execute("DELETE FROM published_drafts WHERE author_id = $1", member_id)
    await conn.execute(
        "DELETE FROM live_events WHERE feed = 'inbox' AND key = $1", member_id
    )  # their inbox's live notices (ids only, kept a day)
    await conn.execute("DELETE FROM reader_preferences WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM group_members WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM group_moderators WHERE member_id = $1", member_id)
    if remove_posts:
        await _remove_posts(
            conn,
            await conn.fetch(
                "SELECT id FROM posts WHERE author_id = $1 AND NOT anonymous AND persona IS NULL",
                member_id,
            ),
        )
        await _schedule_other_identities(conn, member_id)


#: Each anonymous or per-group-name identity of a deleted account loses its posts at a random
#: moment within this many seconds (at least a minute on): see migrations/0015.
SPREAD_SECONDS = 2 * 3600


async def _schedule_other_identities(conn: Conn, member_id: int) -> None:
    await conn.execute(
        "WITH mine AS ("
        "  SELECT p.id, post_identity(p.anonymous, p.topic_id, p.persona, t.group_id) AS identity"
        "  FROM posts p JOIN topics t ON t.id = p.topic_id"
        "  WHERE p.author_id = $1 AND (p.anonymous OR p.persona IS NOT NULL)),"
        " due AS (SELECT identity, now() + make_interval(secs => 60 + random() * $2) AS at"
        "  FROM (SELECT DISTINCT identity FROM mine) i)"
        " INSERT INTO pending_removals (post_id, due_at)"
        " SELECT mine.id, due.at FROM mine JOIN due USING (identity)"
        " ON CONFLICT (post_id) DO NOTHING",
        member_id,
        SPREAD_SECONDS - 60,
    )


async def apply_due_removals(conn: Conn) -> int:
    """Remove the posts whose moment has come (see `delete_account`); how many."""
    async with conn.transaction():
        due = await conn.fetch(
            "DELETE FROM pending_removals WHERE post_id IN (SELECT post_id FROM pending_removals"
            "  WHERE due_at <= now() ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED)"
            " RETURNING post_id AS id"
        )
        await _remove_posts(conn, due)
    return len(due)


async def _remove_posts(conn: Conn, rows: list[Any]) -> None:
    """Blank these posts (and their earlier texts, which moderators could otherwise still read);
    a topic whose opening post is among them is retitled, or rejected if it was still held."""
    ids = [r["id"] for r in rows]
    if not ids:
        return
    await conn.execute("DELETE FROM post_versions WHERE post_id = ANY($1::bigint[])", ids)
    await conn.execute(
        "UPDATE posts SET state = 'deleted', body_source = '-', body_html = '',"
        " content_warning = '' WHERE id = ANY($1::bigint[])",
        ids,
    )
    opened = (
        " WHERE (SELECT min(p.id) FROM posts p WHERE p.topic_id = topics.id) = ANY($1::bigint[])"
    )
    await conn.execute(f"UPDATE topics SET title = $2{opened}", ids, REMOVED_TITLE)
    await conn.execute(f"UPDATE topics SET state = 'rejected'{opened} AND state = 'held'", ids)


async def release_old_pseudonyms(conn: Conn) -> int:
    status = await conn.execute(
        # A random tombstone, not the member id: ids must not surface anywhere (the log shows it).
        "UPDATE members SET pseudonym = $1 || substr(md5(random()::text || id::text), 1, 16)"
        " WHERE deleted_at < now() - make_interval(days => $2) AND pseudonym NOT LIKE $1 || '%'",
        TOMBSTONE_PREFIX,
        RELEASE_AFTER_DAYS,
    )
    return int(status.split()[-1])
