"""The draft page's view: the editor around a draft, its preview, support and privacy note.

Built the same way for a new draft, a saved one and one whose save or publish was refused, so a
refusal always shows the member's own text again. The preview is the draft as its post will
look (the HTML publishing will store, rendered once per saved version, and the same
`posts/_post.html` as the topic page); it appears only when there is something to preview and
nothing went wrong. A draft with words that suggest risk opens with the crisis lines (scanned
exactly as publishing will scan it), and the privacy check runs on what the preview shows:
never stored, never logged, never blocking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from forum.posting import privacy_check, publishing
from forum.posting.publishing import DraftFields
from forum.storage import crisis, drafts, groups, topics
from forum.storage.db import Conn
from forum.storage.drafts import Draft
from forum.storage.members import Member


@dataclass(frozen=True, slots=True)
class Target:
    """Where a draft will appear: its group, and its topic for a reply."""

    group_id: int
    group_slug: str
    group_name: str
    anonymous_allowed: bool
    topic_id: int | None = None
    topic_title: str | None = None

    @classmethod
    def new(cls, group: groups.Group, topic: topics.Topic | None = None) -> Target:
        """For a draft about to be started in `group` (a reply when `topic` is given)."""
        return cls(
            group_id=group.id,
            group_slug=group.slug,
            group_name=group.name,
            anonymous_allowed=group.anonymous == "optional",
            topic_id=topic.id if topic else None,
            topic_title=topic.title if topic else None,
        )

    @classmethod
    def of(cls, draft: Draft) -> Target:
        return cls(
            group_id=draft.group_id,
            group_slug=draft.group_slug,
            group_name=draft.group_name,
            anonymous_allowed=draft.group_anonymous == "optional",
            topic_id=draft.topic_id,
            topic_title=draft.topic_title,
        )


@dataclass(frozen=True, slots=True)
class Preview:
    """A draft as its post will look: what `posts/_post.html` reads of a post. It has no place
    in a thread yet, so no number, and nothing to edit, report or link to."""

    author_name: str | None  # None: anonymous
    body_html: str
    content_warning: str
    created_at: datetime
    number: int = 0
    state: str = "published"
    edited_at: datetime | None = None
    anon_label: int | None = None
    is_own: bool = False
    has_profile: bool = False


@dataclass(frozen=True, slots=True)
class Editor:
    target: Target
    fields: DraftFields
    draft: Draft | None
    joined: bool
    errors: list[str] = field(default_factory=list)
    conflict: Draft | None = None  # saved from another tab: shown beside what was typed
    preview: Preview | None = None
    support: list[crisis.Resource] | None = None
    privacy: list[privacy_check.Finding] = field(default_factory=list)

    @property
    def version(self) -> int | None:
        """The version the next save is based on."""
        source = self.conflict or self.draft
        return source.version if source else None

    def context(self) -> dict[str, Any]:
        """The template's context for `drafts/edit.html`."""
        return {
            "draft": self.draft,
            "fields": self.fields,
            "target": self.target,
            "joined": self.joined,
            "errors": self.errors,
            "conflict": self.conflict,
            "version": self.version,
            "preview": self.preview,
            "support": self.support,
            "limits": publishing,
            "privacy": self.privacy,
        }


async def start(conn: Conn, author_id: int, target: Target, fields: DraftFields) -> int:
    """Start a draft where `target` says (anonymous only where the group offers it); its id."""
    return await drafts.create_draft(
        conn,
        author_id,
        target.group_id,
        target.topic_id,
        title=fields.title,
        body=fields.body,
        anonymous=fields.anonymous and target.anonymous_allowed,
        content_warning=fields.content_warning,
    )


async def build(
    conn: Conn,
    member: Member,
    target: Target,
    fields: DraftFields,
    *,
    draft: Draft | None = None,
    errors: list[str] | None = None,
    conflict: Draft | None = None,
) -> Editor:
    joined = await groups.is_active_member(conn, target.group_id, member.id)
    if draft is None or not draft.body.strip():
        return Editor(target, fields, draft, joined, errors or [], conflict)
    support = None
    # Scanned at every preview, as publishing will: help comes before anything else.
    if (await publishing.scan_draft(conn, draft)).level != "none":
        support = await crisis.list_resources(conn, target.group_id)
    if errors or conflict is not None:
        return Editor(target, fields, draft, joined, errors or [], conflict, support=support)
    try:
        body_html = await publishing.rendered(conn, draft)
    except publishing.DraftRefused as exc:  # too heavy to render: say why instead of a preview
        return Editor(target, fields, draft, joined, exc.problems, support=support)
    anonymous = draft.anonymous and draft.group_anonymous == "optional"
    name = None if anonymous else await groups.get_display_name(conn, target.group_id, member.id)
    preview = Preview(
        author_name=None if anonymous else name or member.pseudonym,
        body_html=body_html,
        content_warning=draft.content_warning.strip(),
        created_at=datetime.now(UTC),
    )
    text = f"{draft.title}\n{draft.content_warning}\n{draft.body}"
    return Editor(
        target,
        fields,
        draft,
        joined,
        support=support,
        preview=preview,
        privacy=privacy_check.find(text),
    )
