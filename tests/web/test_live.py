"""The one Hub behind every live feed: events reach only the streams that asked for their key,
and a stream that falls behind gets one resync instead of an unbounded backlog."""

from __future__ import annotations

import asyncio
from typing import Any

from forum.web.live import RESYNC, Hub


def drain(queue: asyncio.Queue[Any]) -> list[Any]:
    out: list[Any] = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def test_an_event_reaches_the_streams_of_its_key_and_no_others() -> None:
    hub: Hub[int, str] = Hub(backlog=10)
    grief, cancer = hub.subscribe(frozenset({1})), hub.subscribe(frozenset({2}))
    hub.publish(1, "opened")
    assert drain(grief.queue) == ["opened"]
    assert drain(cancer.queue) == []


def test_a_stream_of_every_key_hears_every_event() -> None:
    hub: Hub[int, str] = Hub(backlog=10)
    admin = hub.subscribe(None)
    hub.publish(1, "a")
    hub.publish(7, "b")
    assert drain(admin.queue) == ["a", "b"]


def test_a_stream_of_several_keys_hears_each_of_them_once() -> None:
    hub: Hub[int, str] = Hub(backlog=10)
    moderator = hub.subscribe(frozenset({1, 2}))
    hub.publish(1, "a")
    hub.publish(2, "b")
    hub.publish(3, "c")
    assert drain(moderator.queue) == ["a", "b"]


def test_a_stream_that_falls_behind_gets_one_resync_instead_of_the_backlog() -> None:
    hub: Hub[int, int] = Hub(backlog=3)
    slow = hub.subscribe(frozenset({1}))
    for n in range(5):
        hub.publish(1, n)
    # 0, 1, 2 filled it; 3 found it full, so the backlog went and one resync took its place.
    assert drain(slow.queue) == [RESYNC, 4]
    for n in range(3):
        hub.publish(1, n)
    assert drain(slow.queue) == [0, 1, 2]


def test_an_unsubscribed_stream_hears_nothing_and_is_forgotten() -> None:
    hub: Hub[int, str] = Hub(backlog=10)
    gone, stays = hub.subscribe(frozenset({1})), hub.subscribe(None)
    assert len(hub) == 2
    hub.unsubscribe(gone)
    hub.unsubscribe(stays)
    hub.publish(1, "a")
    assert drain(gone.queue) == []
    assert drain(stays.queue) == []
    assert len(hub) == 0
