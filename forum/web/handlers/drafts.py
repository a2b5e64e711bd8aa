"""Drafts: write, save, preview, publish, delete. Every failure re-renders the member's own text.

The page itself is built by `posting.editor`; saving and publishing are `posting.publishing`'s.
This module reads the form, spends the rate limits and chooses the response: 400 for what cannot
be saved or published as it is, 409 when another tab saved first, 429 when slowed down.

A draft that was published already is not a missing page: publishing it again (a double click,
a retry over a flaky network) goes to its post, and saving it (or publishing different text)
from a tab that did not know keeps what was typed there as a fresh draft and says so (409).
"""

from __future__ import annotations

from aiohttp import web

from forum.members import limits
from forum.posting import editor, publishing
from forum.posting.editor import Target
from forum.posting.publishing import DraftFields
from forum.storage import drafts, groups
from forum.storage.db import Conn
from forum.storage.drafts import Draft
from forum.storage.members import Member
from forum.web import auth, forms
from forum.web.handlers._lookups import post_url, visible_group_or_404, visible_topic_or_404
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render


def _fields(form: forms.Form) -> DraftFields:
    return DraftFields(
        title=form.text("title"),
        body=form.text("body"),
        anonymous=form.flag("anonymous"),
        content_warning=form.text("content_warning"),
    )


def _draft_url(request: web.Request, draft_id: int) -> str:
    return str(request.app.router["draft"].url_for(id=str(draft_id)))


async def _own_draft(request: web.Request, member: Member) -> Draft | None:
    draft_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        return await drafts.get_own_draft(conn, draft_id, member.id)


async def _own_draft_or_404(request: web.Request, member: Member) -> Draft:
    draft = await _own_draft(request, member)
    if draft is None:
        raise web.HTTPNotFound()
    return draft


KEPT_AS_EDIT = (
    "This draft was already published, from another tab or window. What you typed here is kept"
    " as an edit of that post: publish it to update the post, or delete it."
)
KEPT_AS_DRAFT = (
    "This draft was already published, from another tab or window. What you typed here is kept"
    " in a new draft: publish it to post it as well, or delete it."
)


async def _published_meanwhile(
    request: web.Request, member: Member, typed: DraftFields | None
) -> web.Response:
    """The draft is gone: if it was published, go to its post when nothing new was typed (a
    repeat), else keep the typed text as a fresh draft; if it was deleted, 404."""
    async with request.app[pool_key].acquire() as conn:
        became = await drafts.became(conn, forms.int_param(request, "id"), member.id)
        if became is None:
            raise web.HTTPNotFound()
        if typed is None or became.holds(typed.title, typed.body, typed.content_warning):
            raise _to_post(request, became.topic_id, became.post_id, became.number)
        problems = publishing.save_problems(typed)
        if problems:  # too long to keep as a draft: shown back, with what to change
            view = await groups.get_visible_group_by_id(
                conn, became.group_id, member.id, member.is_admin
            )
        else:
            kept = await publishing.keep_typed(conn, member.id, became, typed)
            fresh = await drafts.get_own_draft(conn, kept.draft_id, member.id)
    if problems:
        if view is None:
            raise web.HTTPNotFound()
        return await _editor(
            request,
            member,
            None,
            target=Target.new(view.group),
            fields=typed,
            errors=problems,
            status=400,
        )
    assert fresh is not None
    notice = KEPT_AS_EDIT if kept.as_edit else KEPT_AS_DRAFT
    return await _editor(request, member, fresh, errors=[notice], status=409)


async def _editor(
    request: web.Request,
    member: Member,
    draft: Draft | None,
    *,
    target: Target | None = None,
    fields: DraftFields | None = None,
    errors: list[str] | None = None,
    conflict: Draft | None = None,
    status: int = 200,
) -> web.Response:
    """The draft page; `target` and `fields` default to the draft's own."""
    if target is None or fields is None:
        assert draft is not None
        target, fields = target or Target.of(draft), fields or DraftFields.of(draft)
    async with request.app[pool_key].acquire() as conn:
        view = await editor.build(
            conn, member, target, fields, draft=draft, errors=errors, conflict=conflict
        )
    return render(request, "drafts/edit.html", view.context(), status=status)


async def _spend(request: web.Request, policy: limits.Policy, member: Member) -> None:
    async with request.app[pool_key].acquire() as conn:
        await limits.spend(conn, request.app[settings_key], policy, f"m:{member.id}")


async def create_draft(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
    topic_id = form.optional_int("topic")
    topic, view = (
        await visible_topic_or_404(request, topic_id)
        if topic_id is not None
        else (None, await visible_group_or_404(request, form.text("group").strip()))
    )
    target = Target.new(view.group, topic)
    fields = _fields(form)
    problems = publishing.save_problems(fields)
    if problems:
        return await _editor(
            request, member, None, target=target, fields=fields, errors=problems, status=400
        )
    try:
        await _spend(request, limits.DRAFTS_PER_MEMBER, member)
    except limits.Limited as exc:
        wait = (
            f"You have started many drafts in a short time. Please wait {exc.retry_after}"
            " seconds, then save again; your text is still here."
        )
        return await _editor(
            request, member, None, target=target, fields=fields, errors=[wait], status=429
        )
    async with request.app[pool_key].acquire() as conn:
        draft_id = await editor.start(conn, member.id, target, fields)
    raise web.HTTPSeeOther(_draft_url(request, draft_id))


async def drafts_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        found = await drafts.list_own_drafts(conn, member.id)
    return render(request, "drafts/list.html", {"drafts": found})


async def draft_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    return await _editor(request, member, await _own_draft_or_404(request, member))


async def _conflict(
    request: web.Request, member: Member, current: Draft | None, fields: DraftFields
) -> web.Response:
    """409: another tab saved (or published) first; show their text beside what was typed."""
    if current is None:  # published or deleted from another tab
        return await _published_meanwhile(request, member, fields)
    return await _editor(request, member, current, fields=fields, conflict=current, status=409)


async def save_draft(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    draft = await _own_draft(request, member)
    form = await forms.read(request)
    typed = _fields(form)
    if draft is None:
        return await _published_meanwhile(request, member, typed)
    try:
        await _spend(request, limits.DRAFT_SAVES_PER_MEMBER, member)
        async with request.app[pool_key].acquire() as conn:
            await publishing.save(conn, draft, typed, version=form.int("version"))
    except limits.Limited as exc:
        wait = f"You have saved a lot just now: please save again in {exc.retry_after} seconds."
        return await _editor(request, member, draft, fields=typed, errors=[wait], status=429)
    except publishing.DraftRefused as exc:
        return await _editor(request, member, draft, fields=typed, errors=exc.problems, status=400)
    except publishing.StaleDraft as exc:
        return await _conflict(request, member, exc.current, typed)
    raise web.HTTPSeeOther(_draft_url(request, draft.id) + "#preview")


async def publish_draft(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    draft = await _own_draft(request, member)
    form = await forms.read(request)
    if draft is None:  # published already (a second click, a retry) or deleted
        return await _published_meanwhile(
            request, member, _fields(form) if "body" in form.data else None
        )
    typed: DraftFields | None = None  # what the editor sent, until it is saved
    try:
        if "body" in form.data:  # from the editor: what is in the text box is what goes out
            typed = _fields(form)
            async with request.app[pool_key].acquire() as conn:
                saved = await _save_for_publishing(conn, draft, typed, form.int("version"))
            asked, draft, typed = draft, saved, None
            publishing.check_still_anonymous(asked, saved, member.pseudonym)
        elif form.int("version") != draft.version:
            raise publishing.StaleDraft(draft)
        await _spend(request, limits.PUBLISH_PER_MEMBER, member)
        async with request.app[pool_key].acquire() as conn:
            published = await publishing.publish(conn, draft)
    except limits.Limited as exc:
        wait = (
            "You have published a lot in a short time. Your draft is saved; please publish it"
            f" in {exc.retry_after} seconds."
        )
        return await _editor(request, member, draft, errors=[wait], status=429)
    except publishing.DraftRefused as exc:
        return await _editor(request, member, draft, fields=typed, errors=exc.problems, status=400)
    except publishing.StaleDraft as exc:
        if exc.current is None and typed is None:  # published meanwhile, nothing new typed
            return await _published_meanwhile(request, member, None)
        return await _conflict(request, member, exc.current, typed or DraftFields.of(draft))
    raise _to_the_post(request, published)


async def _save_for_publishing(conn: Conn, draft: Draft, typed: DraftFields, version: int) -> Draft:
    """Save what the editor sent before publishing it. A double click sends the same words
    twice: when the draft already holds exactly them (the first click saved them), the second
    publishes that, rather than answering "another tab saved" for the member's own click."""
    try:
        return await publishing.save(conn, draft, typed, version=version)
    except publishing.StaleDraft as exc:
        if exc.current is not None and DraftFields.of(exc.current) == typed:
            return exc.current
        raise


def _to_the_post(request: web.Request, published: publishing.Published) -> web.HTTPSeeOther:
    new_post = published.post
    if published.crisis_level != "none":  # the topic page opens with support for its author
        topic_url = request.app.router["topic"].url_for(id=str(new_post.topic_id))
        return web.HTTPSeeOther(f"{topic_url.with_query(support='1')}#support")
    return _to_post(request, new_post.topic_id, new_post.post_id, new_post.number)


def _to_post(
    request: web.Request, topic_id: int, post_id: int, number: int | None
) -> web.HTTPSeeOther:
    if number is None:  # held for review: the author sees it, marked, on the topic page
        topic_url = request.app.router["topic"].url_for(id=str(topic_id))
        return web.HTTPSeeOther(f"{topic_url}#held-{post_id}")
    return web.HTTPSeeOther(post_url(request, topic_id, number))


async def delete_draft(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    draft = await _own_draft_or_404(request, member)
    async with request.app[pool_key].acquire() as conn:
        await drafts.delete_draft(conn, draft.id, member.id)
    raise web.HTTPSeeOther(request.app.router["drafts"].url_for())


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/drafts", drafts_page, name="drafts")
    r.add_post("/drafts", create_draft)
    r.add_get("/drafts/{id}", draft_page, name="draft")
    r.add_post("/drafts/{id}", save_draft)
    r.add_post("/drafts/{id}/publish", publish_draft, name="publish_draft")
    r.add_post("/drafts/{id}/delete", delete_draft, name="delete_draft")
