"""The moderator queue (`/mod`), item pages and actions, the audit log and live events.

Everything here is for moderators of the item's group (or admins); anyone else gets 404, the
same answer as for an item that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from forum.moderation import check_ins, events, queue, reasons, review, sanctions
from forum.moderation.crisis import verdicts
from forum.storage import appeals as appeal_store
from forum.storage import audit, group_health, groups, memberships, queue_items
from forum.storage import check_ins as check_in_store
from forum.storage.db import Conn
from forum.storage.groups import Group
from forum.storage.members import Member
from forum.storage.queue_items import Item
from forum.storage.sanctions import Sanction
from forum.web import auth, forms, live, streams
from forum.web.keys import pool_key
from forum.web.pages import render

KIND_LABELS = {"crisis": "Crisis", "held": "Waiting for approval", "report": "Reported"}
LOG_PAGE = 100
#: A moderator's stream that falls this far behind gets one "resync" instead of the backlog.
UNANSWERED_SHOWN = 20


async def _moderator_scope(request: web.Request) -> tuple[Member, list[int] | None]:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        scope = await queue.scope(conn, member)
    if scope is not None and not scope:
        raise web.HTTPNotFound()
    return member, scope


async def _item_or_404(request: web.Request, member: Member) -> Item:
    item_id = forms.int_param(request, "id")
    async with request.app[pool_key].acquire() as conn:
        item = await queue.get_visible_item(conn, item_id, member)
    if item is None:
        raise web.HTTPNotFound()
    return item


async def queue_page(request: web.Request) -> web.Response:
    member, scope = await _moderator_scope(request)
    async with request.app[pool_key].acquire() as conn:
        items = await queue_items.list_open(conn, scope)
        counts = await queue_items.count_open_by_kind(conn, scope)
        join_requests = await memberships.list_pending(conn, scope)
        unanswered = await group_health.list_unanswered(conn, scope, limit=UNANSWERED_SHOWN)
        appeals = await appeal_store.count_open_for(conn, member.id, member.is_admin)
    sections = [
        (kind, KIND_LABELS[kind], [i for i in items if i.kind == kind])
        for kind in ("crisis", "held", "report")
    ]
    return render(
        request,
        "mod/queue.html",
        {
            "sections": sections,
            "counts": counts,
            "total": sum(counts.values()),
            "now": datetime.now(UTC),
            "member": member,
            "join_requests": join_requests,
            "unanswered": unanswered,
            "unanswered_hours": group_health.UNANSWERED_HOURS,
            "appeals": appeals,
        },
    )


async def item_page(request: web.Request) -> web.Response:
    member, _ = await _moderator_scope(request)
    item = await _item_or_404(request, member)
    return await _render_item(request, member, item)


async def _render_item(
    request: web.Request,
    member: Member,
    item: Item,
    *,
    status: int = 200,
    error: str | None = None,
    conflict: bool = False,
    form: dict[str, str] | None = None,
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        view = await review.load(conn, item)
        thread = await check_in_store.list_for_item(conn, item.id)
        rules = await reasons.choices(conn, await groups.get_group_by_slug(conn, item.group_slug))
    return render(
        request,
        "mod/item.html",
        {
            "item": item,
            "post": view.post,
            "source": view.source,
            "context_posts": view.context_posts,
            "reports": view.reports,
            "history": view.history,
            "sanctions": view.sanctions,
            "reasons": queue.REPORT_REASONS,
            "kind_label": KIND_LABELS[item.kind],
            "error": error,
            "conflict": conflict,
            "now": datetime.now(UTC),
            "member": member,
            "form": form or {},
            "durations": sanctions.DURATIONS,
            "longest": sanctions.MODERATOR_LONGEST,
            "verdict_choices": list(verdicts.LABELS.items()),
            "check_ins": thread,
            "check_in_default": check_ins.DEFAULT_MESSAGE,
            "check_in_max": check_ins.MAX_CHARS,
            "verdict_labels": verdicts.LABELS,
            "rules": rules,
        },
        status=status,
    )


async def item_action(request: web.Request) -> web.Response:
    member, _ = await _moderator_scope(request)
    item = await _item_or_404(request, member)
    action = request.match_info["action"]
    form = await forms.read(request)
    text = form.text("reason")[:1000]
    at_risk = form.text("at_risk")
    typed = {  # shown again if the action is refused
        "reason": text,
        "body": form.text("body"),
        "at_risk": at_risk,
        "rule": form.text("rule"),
    }
    try:
        verdict = verdicts.needed(item, action, at_risk)
        async with request.app[pool_key].acquire() as conn:
            if action == "claim":
                await queue.claim(conn, item, member)
            elif action == "approve":
                await queue.approve(conn, item, member)
            elif action == "edit-approve":
                body = form.text("body")
                if not body.strip() or len(body) > 20_000:
                    raise queue.ActionRefused("The edited post must be 1 to 20,000 characters.")
                await queue.approve(conn, item, member, new_body=body, reason=text)
            elif action == "reject":
                group = await groups.get_group_by_slug(conn, item.group_slug)
                assert group is not None
                await queue.reject(
                    conn, item, member, text, group=group, rule=form.optional("rule")
                )
            elif action == "resolve":
                await queue.resolve(conn, item, member, text)
            elif action == "escalate":
                await queue.escalate(conn, item, member, text)
            else:
                raise web.HTTPNotFound()
            if verdict is not None:
                await verdicts.record(conn, item, member, verdict)
    except queue.ActionConflict as exc:
        return await _render_item(
            request, member, exc.item or item, status=409, conflict=True, form=typed
        )
    except queue.ActionRefused as exc:
        return await _render_item(request, member, item, status=400, error=str(exc), form=typed)
    if action == "claim":
        raise web.HTTPSeeOther(request.app.router["mod_item"].url_for(id=str(item.id)))
    raise web.HTTPSeeOther(request.app.router["mod"].url_for())


async def record_verdict(request: web.Request) -> web.Response:
    """The moderator's judgement of an item, open or closed; it can be changed later."""
    member, _ = await _moderator_scope(request)
    item = await _item_or_404(request, member)
    at_risk = (await forms.read(request)).text("at_risk")
    try:
        async with request.app[pool_key].acquire() as conn:
            await verdicts.record(conn, item, member, at_risk)
    except queue.ActionRefused as exc:
        return await _render_item(request, member, item, status=400, error=str(exc))
    raise web.HTTPSeeOther(request.app.router["mod_item"].url_for(id=str(item.id)))


async def send_check_in(request: web.Request) -> web.Response:
    """A private message to the item's author; the moderator never learns who that is."""
    member, _ = await _moderator_scope(request)
    item = await _item_or_404(request, member)
    message = (await forms.read(request)).text("message")
    try:
        async with request.app[pool_key].acquire() as conn:
            await check_ins.send(conn, item, member, message)
    except queue.ActionRefused as exc:
        return await _render_item(
            request, member, item, status=400, error=str(exc), form={"check_in": message}
        )
    url = request.app.router["mod_item"].url_for(id=str(item.id))
    raise web.HTTPSeeOther(url.with_fragment("check-in-heading"))


async def sanction_author(request: web.Request) -> web.Response:
    member, _ = await _moderator_scope(request)
    item = await _item_or_404(request, member)
    form = await forms.read(request)
    duration_key = form.text("duration", "7d")
    reason = form.text("reason")
    if duration_key not in sanctions.DURATIONS:
        raise web.HTTPBadRequest(reason="unknown duration")

    async def act(conn: Conn, group: Group) -> None:
        await sanctions.apply(
            conn,
            moderator=member,
            group=group,
            author_id=item.author_id,
            kind=form.text("kind"),
            reason=reason,
            duration=sanctions.DURATIONS[duration_key],
            post_id=item.post_id,
            masked=item.identity != "member",
            rule=form.optional("rule"),
            detected=reasons.detected_by(item),
        )

    typed = {"sanction_reason": reason, "sanction_rule": form.text("rule")}
    return await _on_the_author(request, member, item, act, typed)


async def change_sanction(request: web.Request) -> web.Response:
    """Lift or shorten one of the sanctions listed beside the item (any other id is 404)."""
    member, _ = await _moderator_scope(request)
    item = await _item_or_404(request, member)
    sanction_id = forms.int_param(request, "sanction")
    form = await forms.read(request)
    reason = form.text("reason")
    shorter = form.text("ends", "now")
    if shorter not in sanctions.SHORTER:
        raise web.HTTPBadRequest(reason="unknown end")

    async def act(conn: Conn, group: Group) -> None:
        await sanctions.lift(
            conn,
            actor=member,
            group=group,
            sanction=await _listed_sanction(conn, item, sanction_id),
            author_id=item.author_id,
            reason=reason,
            after=sanctions.SHORTER[shorter],
        )

    return await _on_the_author(request, member, item, act, {"lift_reason": reason})


async def decide_sanction(request: web.Request) -> web.Response:
    """An admin confirms or dismisses a sanction that waits for one (any other id is 404)."""
    member, _ = await _moderator_scope(request)
    if not member.is_admin:
        raise web.HTTPNotFound()
    item = await _item_or_404(request, member)
    sanction_id = forms.int_param(request, "sanction")
    form = await forms.read(request)
    decision = form.text("decision")
    if decision not in ("confirm", "dismiss"):
        raise web.HTTPBadRequest(reason="unknown decision")
    reason = form.text("reason")

    async def act(conn: Conn, group: Group) -> None:
        sanction = await _listed_sanction(conn, item, sanction_id)
        if not sanction.awaiting_admin:
            raise web.HTTPNotFound()
        await sanctions.decide(
            conn,
            admin=member,
            group=group,
            sanction=sanction,
            confirm=decision == "confirm",
            reason=reason,
        )

    return await _on_the_author(request, member, item, act, {"decide_reason": reason})


async def _listed_sanction(conn: Conn, item: Item, sanction_id: int) -> Sanction:
    """One of the sanctions listed beside the item (so its author's, under its identity); any
    other id is 404."""
    for listed in (await review.load(conn, item)).sanctions:
        if listed.id == sanction_id:
            return listed
    raise web.HTTPNotFound()


async def _on_the_author(
    request: web.Request,
    member: Member,
    item: Item,
    act: Callable[[Conn, Group], Awaitable[None]],
    typed: dict[str, str],
) -> web.Response:
    """Run a sanction action in the item's group, then back to the item (with the refusal and
    what was typed, if refused)."""
    try:
        async with request.app[pool_key].acquire() as conn:
            group = await groups.get_group_by_slug(conn, item.group_slug)
            assert group is not None
            await act(conn, group)
    except queue.ActionRefused as exc:
        return await _render_item(request, member, item, status=400, error=str(exc), form=typed)
    raise web.HTTPSeeOther(request.app.router["mod_item"].url_for(id=str(item.id)))


async def log_page(request: web.Request) -> web.Response:
    _, scope = await _moderator_scope(request)
    before_id = forms.id_query(request, "before")
    async with request.app[pool_key].acquire() as conn:
        entries = await audit.list_entries(conn, scope, before_id=before_id, limit=LOG_PAGE + 1)
    older = entries[LOG_PAGE - 1].id if len(entries) > LOG_PAGE else None
    return render(request, "mod/log.html", {"entries": entries[:LOG_PAGE], "older": older})


async def event_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events for the moderator's groups: one event per new or changed item."""
    _, scope = await _moderator_scope(request)
    keys = None if scope is None else frozenset(scope)
    return await streams.stream(request, "mod", keys, _queue_message)


async def _queue_message(payload: str | live.Resync) -> tuple[str, str]:
    if payload is live.RESYNC:  # fell behind: the page reloads the whole queue
        return '{"item": 0, "change": "resync"}', "queue"
    return events.Event.from_json(payload).to_json(), "queue"


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/mod", queue_page, name="mod")
    r.add_get("/mod/log", log_page, name="mod_log")
    r.add_get("/mod/events", event_stream, name="mod_events")
    r.add_get("/mod/items/{id}", item_page, name="mod_item")
    r.add_post("/mod/items/{id}/verdict", record_verdict, name="mod_verdict")
    r.add_post("/mod/items/{id}/check-in", send_check_in, name="mod_check_in")
    r.add_post("/mod/items/{id}/sanction", sanction_author, name="mod_sanction")
    r.add_post("/mod/items/{id}/sanctions/{sanction}", change_sanction, name="mod_change_sanction")
    r.add_post(
        "/mod/items/{id}/sanctions/{sanction}/decision", decide_sanction, name="mod_decide_sanction"
    )
    r.add_post("/mod/items/{id}/{action}", item_action, name="mod_action")
