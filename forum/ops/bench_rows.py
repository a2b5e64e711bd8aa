"""What `forum seed-bench` loads: the plan, the shape of the data, one row generator per table.

The shape: members `bench_<n>` (the first 1,000 moderate the first group, which is where the
1,000 open queue items are), groups `bench-<n>` (every fifth members-only, anonymity optional in
half), topics of varied length (most short, a few long) with about 10% anonymous and 2% taken-down
posts, drafts, reports, closed and open queue items, notifications. The first topic of the first
group has exactly 21 posts: the benchmark's "topic page with 20 replies". Bodies are drawn from a
pool of paragraphs rendered once with the real renderer, as publishing would have stored them.
Every generator draws from the one seeded `random.Random` in `Bench`, so the order in which
`seed_bench.seed` calls them is part of the data. Rows are plain tuples in the order of the
matching `*_COLUMNS`, ready for binary COPY; the hot loops bind what they use to locals, so a
million posts cost no more per row than they must.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from forum import markup

PREFIX = "bench_"
SLUG_PREFIX = "bench-"
MODERATORS = 1000
OPEN_ITEMS = 1000
HELD = OPEN_ITEMS * 6 // 10  # of the open items, posts waiting for review
BENCH_TOPIC_POSTS = 21
PARAGRAPHS = 400

Row = tuple[Any, ...]

MEMBER_COLUMNS = ["id", "pseudonym", "password_hash", "created_at"]
GROUP_COLUMNS = ["id", "slug", "name", "description", "visibility", "anonymous", "created_at"]
GROUP_MEMBER_COLUMNS = ["group_id", "member_id", "joined_at"]
GROUP_MODERATOR_COLUMNS = ["group_id", "member_id"]
POST_COLUMNS = [
    "id",
    "topic_id",
    "author_id",
    "anonymous",
    "number",
    "body_source",
    "body_html",
    "content_warning",
    "state",
    "created_at",
    "anon_label",
]
TOPIC_COLUMNS = [
    "id",
    "group_id",
    "author_id",
    "anonymous",
    "title",
    "created_at",
    "last_posted_at",
    "last_post_number",
    "reply_count",
]
TOPIC_ANON_LABEL_COLUMNS = ["topic_id", "member_id", "label"]
_ITEM_COLUMNS = ["id", "group_id", "post_id", "kind", "priority"]
OPEN_ITEM_COLUMNS = [*_ITEM_COLUMNS, "created_at", "crisis_level", "reescalated_at"]
CLOSED_ITEM_COLUMNS = [*_ITEM_COLUMNS, "state", "created_at", "closed_at", "closed_by", "outcome"]
REPORT_COLUMNS = ["post_id", "reporter_id", "reason", "created_at"]
DRAFT_COLUMNS = ["author_id", "group_id", "topic_id", "title", "body"]
NOTIFICATION_COLUMNS = ["member_id", "kind", "post_id", "message", "created_at"]

_SENTENCES = [
    "It has been a hard week, and writing this down helps a little.",
    "I didn't expect the evenings to be the worst part.",
    "Thank you for sharing this, it sounds so much like what I went through last year.",
    "My counsellor suggested keeping a small notebook by the bed, and it has helped.",
    "Some days I manage fine, and then a song in the supermarket undoes everything.",
    "You are not alone in this; many of us here have felt exactly that.",
    "I went for a walk this morning for the first time in weeks.",
    "The appointment is on Thursday and I keep rehearsing what to ask.",
    "Has anyone else found that the second year was harder than the first?",
    "I am three months clean today, and I wanted to tell someone who understands.",
    "Be gentle with yourself: grief has no timetable.",
    "We started a small ritual of lighting a candle on Sundays.",
    "The nurses were kind, but the waiting room felt endless.",
    "Reading this thread at 3am made me feel less alone.",
    "I finally told my sister how I have been feeling, and she listened.",
]


@dataclass(frozen=True, slots=True)
class Plan:
    posts: int
    groups: int = 10
    members: int = 2000


@dataclass(frozen=True, slots=True)
class Ids:
    """The first id of each table whose ids the load sends, so foreign keys are known up front."""

    member: int
    group: int
    topic: int
    post: int
    queue_item: int


@dataclass(frozen=True, slots=True)
class Bench:
    """What every step draws on; build it with `Bench.start`, which makes the first draws."""

    plan: Plan
    ids: Ids
    rng: random.Random
    now: datetime
    paragraphs: list[tuple[str, str]]
    members: list[int]
    moderators: list[int]
    writers: list[int]
    groups: list[int]

    @property
    def joined(self) -> datetime:
        return self.now - timedelta(days=800)

    @classmethod
    def start(cls, plan: Plan, ids: Ids, rng: random.Random, now: datetime) -> Bench:
        members = list(range(ids.member, ids.member + plan.members))
        moderators = members[: min(MODERATORS, len(members))]
        return cls(
            plan=plan,
            ids=ids,
            rng=rng,
            now=now,
            paragraphs=_paragraphs(rng, PARAGRAPHS),
            members=members,
            moderators=moderators,
            writers=members[len(moderators) :] or members,
            groups=list(range(ids.group, ids.group + plan.groups)),
        )


@dataclass(slots=True)
class Topics:
    """Filled in by `post_rows` as it goes: topic rows need their last post's time."""

    next_post: int  # the id the next post gets
    rows: list[Row] = field(default_factory=list)
    anon_labels: list[tuple[int, int, int]] = field(default_factory=list)
    group_of: list[int] = field(default_factory=list)  # by topic index

    def in_group(self, first_topic: int, group_id: int) -> list[int]:
        return [first_topic + i for i, gid in enumerate(self.group_of) if gid == group_id]


def _paragraphs(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(source, html) pairs, rendered once with the real renderer, as publishing stores them."""
    pool = []
    for _ in range(count):
        words = rng.sample(_SENTENCES, rng.randint(1, 6))
        source = " ".join(words)
        if rng.random() < 0.2:
            source = f"**{words[0]}**\n\n" + " ".join(words[1:] or words)
        if rng.random() < 0.1:
            source += "\n\n- one day at a time\n- ask for help early"
        pool.append((source, markup.render(source)))
    return pool


def topic_lengths(rng: random.Random, posts: int) -> list[int]:
    """Posts per topic: most conversations are short, a few run long."""
    lengths = [BENCH_TOPIC_POSTS]
    total = BENCH_TOPIC_POSTS
    while total < posts:
        roll = rng.random()
        n = (
            rng.randint(1, 5)
            if roll < 0.6
            else rng.randint(6, 25)
            if roll < 0.9
            else rng.randint(26, 120)
            if roll < 0.99
            else rng.randint(121, 600)
        )
        n = min(n, posts - total)
        lengths.append(n)
        total += n
    return lengths


def member_rows(bench: Bench, password_hash: str) -> Iterator[Row]:
    """One real argon2 hash shared by all, so signing in works and costs as usual."""
    first, joined = bench.ids.member, bench.joined
    return ((mid, f"{PREFIX}{mid - first + 1}", password_hash, joined) for mid in bench.members)


def group_rows(bench: Bench) -> Iterator[Row]:
    for n, gid in enumerate(bench.groups):
        members_only = n % 5 == 4
        yield (
            gid,
            f"{SLUG_PREFIX}{n + 1}",
            f"Benchmark group {n + 1}",
            "A benchmark group: " + _SENTENCES[n % len(_SENTENCES)],
            "members" if members_only else "public",
            "optional" if n % 2 == 0 else "off",
            bench.joined,
        )


def group_member_rows(bench: Bench) -> Iterator[Row]:
    joined = bench.joined
    return ((gid, mid, joined) for gid in bench.groups for mid in bench.members)


def group_moderator_rows(bench: Bench) -> Iterator[Row]:
    return ((bench.groups[0], mid) for mid in bench.moderators)


def post_rows(bench: Bench, lengths: list[int], topics: Topics) -> Iterator[Row]:
    """The posts of every topic, in id order; fills `topics` as each topic ends.

    The first group is the big one (a deep keyset to page through).
    """
    rng, writers, paragraphs, group_ids = bench.rng, bench.writers, bench.paragraphs, bench.groups
    first_topic, now = bench.ids.topic, bench.now
    span = timedelta(days=700).total_seconds()
    post_id = topics.next_post
    for index, length in enumerate(lengths):
        tid = first_topic + index
        gid = group_ids[0] if index == 0 or rng.random() < 0.3 else rng.choice(group_ids)
        topics.group_of.append(gid)
        start = now - timedelta(seconds=rng.random() * span)
        step = timedelta(minutes=rng.randint(5, 600))
        labels: dict[int, int] = {}
        starter = rng.choice(writers)
        starter_anon = rng.random() < 0.1
        for number in range(1, length + 1):
            author = starter if number == 1 else rng.choice(writers)
            anonymous = starter_anon if number == 1 else rng.random() < 0.1
            label = None
            if anonymous:
                label = labels.setdefault(author, len(labels) + 1)
            state = "published"
            if number > 1 and rng.random() < 0.02:
                state = rng.choice(("removed", "hidden", "deleted"))
            source, html = rng.choice(paragraphs)
            yield (
                post_id,
                tid,
                author,
                anonymous,
                number,
                source,
                html,
                "loss" if rng.random() < 0.03 else "",
                state,
                start + step * number,
                label,
            )
            post_id += 1
        topics.next_post = post_id
        for author, label in labels.items():
            topics.anon_labels.append((tid, author, label))
        topics.rows.append(
            (
                tid,
                gid,
                starter,
                starter_anon,
                f"Topic {index + 1}: " + _SENTENCES[index % len(_SENTENCES)][:120],
                start + step,
                start + step * length,
                length,
                length - 1,
            )
        )


def held_post_rows(bench: Bench, first_id: int, topic_ids: list[int]) -> Iterator[Row]:
    """Posts waiting for review in the first group's queue, newest first."""
    rng = bench.rng
    for n in range(HELD):
        source, html = rng.choice(bench.paragraphs)
        yield (
            first_id + n,
            rng.choice(topic_ids),
            rng.choice(bench.writers),
            n % 4 == 0,
            None,
            source,
            html,
            "",
            "held",
            bench.now - timedelta(minutes=n),
            None,
        )


def open_item_rows(
    bench: Bench, first_held: int, targets: list[int]
) -> tuple[list[Row], list[Row]]:
    """The first group's open queue: the held posts, then reports and crisis matches on `targets`.

    Returns (queue items, reports). One item per post and kind; reports may repeat a reporter.
    """
    rng, group_id, first_item = bench.rng, bench.groups[0], bench.ids.queue_item
    items: list[Row] = []
    reports: list[Row] = []
    for n in range(HELD + len(targets)):
        created = bench.now - timedelta(minutes=OPEN_ITEMS - n)
        if n < HELD:
            items.append(
                (first_item + n, group_id, first_held + n, "held", 20, created, None, None)
            )
            continue
        target = targets[n - HELD]
        crisis = n % 10 == 0
        # Seeded crisis items count as already alerted: the re-escalation timer stays quiet.
        items.append(
            (
                first_item + n,
                group_id,
                target,
                "crisis" if crisis else "report",
                10 if crisis else 30,
                created,
                "concern" if crisis else None,
                created if crisis else None,
            )
        )
        if not crisis:
            reports.append((target, rng.choice(bench.writers), "other", created))
    return items, reports


def closed_item_rows(bench: Bench, posts_written: int) -> Iterator[Row]:
    """Resolved reports across all groups: the queue's history."""
    rng, now, first_item, first_post = bench.rng, bench.now, bench.ids.queue_item, bench.ids.post
    for n in range(bench.plan.posts // 200):
        yield (
            first_item + OPEN_ITEMS + n,
            rng.choice(bench.groups),
            first_post + rng.randrange(posts_written),
            "report",
            30,
            "closed",
            now - timedelta(days=rng.randint(2, 600)),
            now - timedelta(days=1),
            bench.moderators[0],
            "resolved",
        )


def unique_reports(reports: list[Row]) -> Iterator[Row]:
    """A member reports a post once: the first of each (post, reporter) pair."""
    seen: set[tuple[int, int]] = set()
    for row in reports:
        if (row[0], row[1]) not in seen:
            seen.add((row[0], row[1]))
            yield row


def draft_rows(bench: Bench, topics: Topics) -> Iterator[Row]:
    """Drafts in progress, half of them replies, spread over the writers."""
    rng, first_topic = bench.rng, bench.ids.topic
    for n in range(max(bench.plan.posts // 100, 10)):
        source, _html = rng.choice(bench.paragraphs)
        reply = n % 2 == 0
        tid = first_topic + rng.randrange(len(topics.rows)) if reply else None
        gid = topics.group_of[tid - first_topic] if tid else rng.choice(bench.groups)
        yield (rng.choice(bench.writers), gid, tid, "" if reply else "A draft title", source)


def notification_rows(bench: Bench, posts_written: int) -> Iterator[Row]:
    """Unread reply notifications, spread over all members."""
    rng, now, first_post = bench.rng, bench.now, bench.ids.post
    for _ in range(max(bench.plan.posts // 50, 10)):
        yield (
            rng.choice(bench.members),
            "reply",
            first_post + rng.randrange(posts_written),
            "Someone replied to your topic.",
            now - timedelta(hours=rng.randint(1, 2000)),
        )
