"""Reading a topic page the way a person does (who wrote post N, and is it marked "you
(anonymous)"), and choosing a per-group name through the same rules as the form."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import asyncpg

from forum.members import accounts
from forum.storage import groups
from forum.storage.groups import Group
from forum.storage.members import Member


class _Thread(HTMLParser):
    """Collects, per post number, the visible author text and whether it is marked as yours."""

    def __init__(self) -> None:
        super().__init__()
        self.authors: dict[int, str] = {}
        self.own: set[int] = set()
        self._current: int | None = None
        self._capturing: int | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if tag == "article":
            label = re.fullmatch(r"post-(\d+)-by", found.get("aria-labelledby") or "")
            self._current = int(label.group(1)) if label else None
        if tag != "span":
            return
        if self._capturing is not None:
            self._depth += 1
        elif "post__author" in classes and self._current is not None:
            self._capturing, self._depth = self._current, 1
            self.authors[self._current] = ""
        if "post__you" in classes and self._current is not None:
            self.own.add(self._current)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._capturing is not None:
            self._depth -= 1
            if self._depth == 0:
                number = self._capturing
                self.authors[number] = " ".join(self.authors[number].split())
                self._capturing = None
        elif tag == "article":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._capturing is not None:
            self.authors[self._capturing] += data


def read_thread(page: str) -> _Thread:
    parser = _Thread()
    parser.feed(page)
    parser.close()
    return parser


def post_authors(page: str) -> dict[int, str]:
    """{post number: the author as shown}, e.g. {1: "Anonymous 1 (started this topic)"}."""
    return read_thread(page).authors


def own_marks(page: str) -> set[int]:
    """Numbers of the posts this page marks "you (anonymous)"."""
    return read_thread(page).own


async def set_name(db: asyncpg.Connection, group: Group, member: Member, name: str) -> None:
    """Choose a per-group name through the same rules as the form."""
    await accounts.set_group_name(db, group, member, name)
    assert await groups.get_display_name(db, group.id, member.id) == (name or None)
