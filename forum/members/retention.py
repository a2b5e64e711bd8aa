"""Retention (issue 19): what the forum keeps, for how long, and the job that keeps to it.

An admin sets each period within BOUNDS (safe defaults in storage/retention.Policy); `/privacy`
and the admin console show the policy in force. The housekeeping job (live/background.py) calls
`enforce` hourly; each kind is removed in batches of BATCH rows, at most ROUNDS batches a run, so
a first run on a large forum spreads over several hours instead of one long lock.

- **Drafts** untouched (not saved) for `drafts_days` are deleted, after the author was told at
  least NOTICE before, in their notifications; saving the draft again clears the notice.
- **Sessions** end when unused for `sessions_days` (or at their expiry) and are then deleted.
- **Rate-limit counters** (HMACs of addresses and names) go `rate_limits_hours` after their
  window began.
- **Deleted posts' tombstones**: the text and earlier versions of a post its author deleted go
  after `tombstones_days`; the placeholder keeps its place in the thread.
- **Audit details**: after `audit_details_days`, an entry's reason and the member it was about
  are blanked; what was done, by whom, where and when stays. Statements of reasons sent to the
  member, with their appeals, go after the same time (one still being appealed stays).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, fields
from datetime import UTC, datetime, timedelta

from forum.storage import audit, notifications
from forum.storage import retention as store
from forum.storage.db import Conn
from forum.storage.members import Member
from forum.storage.retention import Policy

NOTICE = timedelta(days=7)
BATCH = 500
ROUNDS = 20
#: (smallest, largest) allowed for each setting, as the migration's CHECKs.
BOUNDS = {
    "drafts_days": (30, 3650),
    "sessions_days": (1, 90),
    "rate_limits_hours": (1, 720),
    "tombstones_days": (0, 3650),
    "audit_details_days": (90, 3650),
}
LABELS = {
    "drafts_days": "Untouched drafts (days)",
    "sessions_days": "Unused sessions (days)",
    "rate_limits_hours": "Rate-limit counters (hours)",
    "tombstones_days": "Text of posts their authors deleted (days)",
    "audit_details_days": "Reasons and members in the audit log (days)",
}


class RetentionError(Exception):
    """A refusal to show the admin as it is."""


def defaults() -> Policy:
    return Policy()


async def get(conn: Conn) -> Policy:
    return await store.get_policy(conn)


async def save(conn: Conn, admin: Member, values: dict[str, int]) -> Policy:
    if not admin.is_admin:
        raise PermissionError("only admins set retention")
    for name, (low, high) in BOUNDS.items():
        if not low <= values[name] <= high:
            raise RetentionError(f"{LABELS[name]} must be between {low} and {high}.")
    policy = Policy(**values)
    async with conn.transaction():
        await store.set_policy(conn, policy)
        await audit.record(
            conn,
            actor_id=admin.id,
            action="retention",
            reason=", ".join(f"{f.name}={getattr(policy, f.name)}" for f in fields(policy)),
        )
    return policy


async def _batches(remove: Callable[[], Awaitable[int]]) -> int:
    total = 0
    for _ in range(ROUNDS):
        done = await remove()
        total += done
        if done < BATCH:
            break
    return total


async def enforce(conn: Conn, now: datetime | None = None) -> dict[str, int]:
    """One run of the policy in force: how many of each kind were removed (or drafts warned)."""
    now = now or datetime.now(UTC)
    policy = await store.get_policy(conn)
    drafts = timedelta(days=policy.drafts_days)
    warned = 0
    for _ in range(ROUNDS):
        due = await store.drafts_to_warn(conn, now, drafts - NOTICE, BATCH)
        for draft in due:
            goes = (max(draft.updated_at + drafts, now + NOTICE)).strftime("%d %B %Y")
            title = f"“{draft.title}”" if draft.title else "without a title"
            await notifications.notify(
                conn,
                draft.author_id,
                "draft_retention",
                f"Your draft {title} has not been saved for a long while and will be deleted on"
                f" {goes}. Open it and save it to keep it.",
            )
        warned += len(due)
        if len(due) < BATCH:
            break
    removed = {
        "drafts": await _batches(lambda: store.delete_drafts(conn, now, drafts, NOTICE, BATCH)),
        "sessions": await _batches(
            lambda: store.delete_sessions(conn, now, timedelta(days=policy.sessions_days), BATCH)
        ),
        "rate_limits": await _batches(
            lambda: store.delete_rate_limits(
                conn, now, timedelta(hours=policy.rate_limits_hours), BATCH
            )
        ),
        "tombstones": await _batches(
            lambda: store.erase_tombstones(conn, now, timedelta(days=policy.tombstones_days), BATCH)
        ),
        "audit_details": await _batches(
            lambda: store.blank_audit_details(
                conn, now, timedelta(days=policy.audit_details_days), BATCH
            )
        ),
        "decisions": await _batches(
            lambda: store.delete_decisions(
                conn, now, timedelta(days=policy.audit_details_days), BATCH
            )
        ),
    }
    return {"drafts_warned": warned, **removed}


def describe(policy: Policy) -> list[tuple[str, str]]:
    """The policy in words, for `/privacy` and the console: (what, for how long)."""
    values = asdict(policy)
    return [
        (
            "Drafts you have not saved for a while",
            f"{values['drafts_days']} days after you last saved one (you are told a week"
            " before it goes)",
        ),
        ("A signed-in session you stop using", f"{values['sessions_days']} days"),
        (
            "Counters that slow down repeated sign-in attempts and posts",
            f"{values['rate_limits_hours']} hours",
        ),
        (
            "The text of a post you deleted (its place in the thread stays)",
            f"{values['tombstones_days']} days",
        ),
        (
            "The reason for a moderation decision and whom it was about, in the moderators' log;"
            " the statement of reasons you were sent, and your appeal",
            f"{values['audit_details_days']} days",
        ),
    ]
