"""Drafts: write, save, preview, publish, delete. Every failure re-renders the member's own text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from forum.members import limits
from forum.posting import privacy_check, publishing
from forum.posting.publishing import DraftFields
from forum.storage import crisis, drafts, groups, topics
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


async def _own_draft_or_404(request: web.Request, member: Member) -> Draft:
    draft_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        draft = await drafts.get_own_draft(conn, draft_id, member.id)
    if draft is None:
        raise web.HTTPNotFound()
    return draft


async def _editor(
    request: web.Request,
    member: Member,
    target: dict[str, Any],
    fields: DraftFields,
    *,
    draft: Draft | None = None,
    errors: list[str] | None = None,
    conflict: Draft | None = None,
    status: int = 200,
) -> web.Response:
    """The draft page. `target` names the group (and topic) the draft belongs to."""
    support = None
    async with request.app[pool_key].acquire() as conn:
        joined = await groups.is_active_member(conn, target["group_id"], member.id)
        group_name = await groups.get_display_name(conn, target["group_id"], member.id)
        if draft is not None and draft.body.strip():
            # Scanned at every preview, as publishing will: help comes before anything else.
            scanned = await publishing.scan_draft(conn, draft)
            if scanned.level != "none":
                support = await crisis.list_resources(conn, target["group_id"])
    show_preview = draft is not None and not errors and conflict is None and draft.body.strip()
    preview = None
    if show_preview and draft is not None:
        # The same Post shape and template as the topic page: the preview is the published look.
        preview = topics.Post(
            id=0,
            topic_id=draft.topic_id or 0,
            number=0,
            author_name=None
            if draft.anonymous and draft.group_anonymous == "optional"
            else group_name or member.pseudonym,
            body_html=publishing.preview(draft),
            content_warning=draft.content_warning.strip(),
            created_at=datetime.now(UTC),
            edited_at=None,
        )
    # Privacy check: shown with the preview, never stored, never logged, never blocking.
    privacy = (
        privacy_check.find(f"{draft.title}\n{draft.content_warning}\n{draft.body}")
        if preview is not None and draft is not None
        else []
    )
    response = render(
        request,
        "drafts/edit.html",
        {
            "draft": draft,
            "fields": fields,
            "target": target,
            "joined": joined,
            "errors": errors or [],
            "conflict": conflict,
            "version": conflict.version if conflict else draft.version if draft else None,
            "preview": preview,
            "support": support,
            "limits": publishing,
            "privacy": privacy,
        },
        status=status,
    )
    return response


def _target_of(draft: Draft) -> dict[str, Any]:
    return {
        "group_id": draft.group_id,
        "group_slug": draft.group_slug,
        "group_name": draft.group_name,
        "anonymous_allowed": draft.group_anonymous == "optional",
        "topic_id": draft.topic_id,
        "topic_title": draft.topic_title,
    }


async def create_draft(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
    topic_id = form.optional_int("topic")
    if topic_id is not None:
        topic, view = await visible_topic_or_404(request, topic_id)
        target: dict[str, Any] = {"topic_id": topic.id, "topic_title": topic.title}
    else:
        view = await visible_group_or_404(request, form.text("group").strip())
        target = {"topic_id": None, "topic_title": None}
    target.update(
        group_id=view.group.id,
        group_slug=view.group.slug,
        group_name=view.group.name,
        anonymous_allowed=view.group.anonymous == "optional",
    )
    fields = _fields(form)
    problems = publishing.save_problems(fields)
    if problems:
        return await _editor(request, member, target, fields, errors=problems, status=400)
    async with request.app[pool_key].acquire() as conn:
        try:
            await limits.spend(
                conn,
                limits.as_configured(request.app[settings_key], limits.DRAFTS_PER_MEMBER),
                limits.key(request.app[settings_key].secret, f"m:{member.id}"),
            )
        except limits.Limited as exc:
            return await _editor(
                request,
                member,
                target,
                fields,
                status=429,
                errors=[
                    f"You have started many drafts in a short time. Please wait {exc.retry_after}"
                    " seconds, then save again; your text is still here."
                ],
            )
        draft_id = await drafts.create_draft(
            conn,
            member.id,
            view.group.id,
            topic_id,
            title=fields.title,
            body=fields.body,
            anonymous=bool(fields.anonymous and target["anonymous_allowed"]),
            content_warning=fields.content_warning,
        )
    raise web.HTTPSeeOther(_draft_url(request, draft_id))


async def drafts_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        found = await drafts.list_own_drafts(conn, member.id)
    return render(request, "drafts/list.html", {"drafts": found})


async def draft_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    draft = await _own_draft_or_404(request, member)
    fields = DraftFields(draft.title, draft.body, draft.anonymous, draft.content_warning)
    return await _editor(request, member, _target_of(draft), fields, draft=draft)


async def _save(
    request: web.Request, member: Member, draft: Draft, form: forms.Form
) -> Draft | web.Response:
    """Save the submitted fields; the saved draft, or the page to show instead (400/409)."""
    fields = _fields(form)
    target = _target_of(draft)
    problems = publishing.save_problems(fields)
    if problems:
        return await _editor(
            request, member, target, fields, draft=draft, errors=problems, status=400
        )
    async with request.app[pool_key].acquire() as conn:
        saved = await drafts.save_draft(
            conn,
            draft.id,
            member.id,
            version=form.int("version"),
            title=fields.title,
            body=fields.body,
            # An edit keeps the anonymity the post was published with.
            anonymous=draft.anonymous
            if draft.edits_post_id
            else fields.anonymous and target["anonymous_allowed"],
            content_warning=fields.content_warning,
        )
        current = await drafts.get_own_draft(conn, draft.id, member.id)
    if current is None:
        raise web.HTTPNotFound()
    if saved is None:  # saved from another tab since this page was loaded: show both texts
        return await _editor(
            request, member, target, fields, draft=current, conflict=current, status=409
        )
    return current


async def save_draft(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    draft = await _own_draft_or_404(request, member)
    result = await _save(request, member, draft, await forms.read(request))
    if isinstance(result, web.Response):
        return result
    raise web.HTTPSeeOther(_draft_url(request, draft.id) + "#preview")


async def publish_draft(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    draft = await _own_draft_or_404(request, member)
    form = await forms.read(request)
    if "body" in form.data:  # published from the editor: what is in the text box is what goes out
        asked_anonymous = draft.anonymous
        result = await _save(request, member, draft, form)
        if isinstance(result, web.Response):
            return result
        draft = result
        if asked_anonymous and not draft.anonymous and draft.group_anonymous != "optional":
            # The group stopped offering anonymity since this draft was written: never publish
            # under the member's pseudonym before they have seen that in the preview.
            return await _editor(
                request,
                member,
                _target_of(draft),
                DraftFields(draft.title, draft.body, draft.anonymous, draft.content_warning),
                draft=draft,
                status=400,
                errors=[
                    f"{draft.group_name} no longer allows anonymous posts, so this"
                    f" would appear under your pseudonym “{member.pseudonym}”."
                    " Your draft is saved; publish again if that is what you want."
                ],
            )
    elif form.int("version") != draft.version:
        return await _editor(
            request,
            member,
            _target_of(draft),
            DraftFields(draft.title, draft.body, draft.anonymous, draft.content_warning),
            draft=draft,
            conflict=draft,
            status=409,
        )
    fields = DraftFields(draft.title, draft.body, draft.anonymous, draft.content_warning)
    async with request.app[pool_key].acquire() as conn:
        try:
            await limits.spend(
                conn,
                limits.as_configured(request.app[settings_key], limits.PUBLISH_PER_MEMBER),
                limits.key(request.app[settings_key].secret, f"m:{member.id}"),
            )
            published = await publishing.publish(conn, draft)
        except limits.Limited as exc:
            return await _editor(
                request,
                member,
                _target_of(draft),
                fields,
                draft=draft,
                status=429,
                errors=[
                    f"You have published a lot in a short time. Your draft is"
                    f" saved; please publish it in {exc.retry_after} seconds."
                ],
            )
        except publishing.PublishRefused as exc:
            return await _editor(
                request,
                member,
                _target_of(draft),
                fields,
                draft=draft,
                errors=[str(exc)],
                status=400,
            )
        except publishing.StaleDraft:
            current = await drafts.get_own_draft(conn, draft.id, member.id)
            if current is None:
                raise web.HTTPNotFound() from None
            return await _editor(
                request,
                member,
                _target_of(current),
                fields,
                draft=current,
                conflict=current,
                status=409,
            )
    new_post = published.post
    topic_url = request.app.router["topic"].url_for(id=str(new_post.topic_id))
    if published.crisis_level != "none":  # the topic page opens with support for its author
        topic_url = topic_url.with_query(support="1")
        raise web.HTTPSeeOther(f"{topic_url}#support")
    if new_post.number is None:  # held for review: the author sees it, marked, on the topic page
        raise web.HTTPSeeOther(f"{topic_url}#held-{new_post.post_id}")
    raise web.HTTPSeeOther(post_url(request, new_post.topic_id, new_post.number))


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
