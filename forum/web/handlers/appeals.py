"""Statements of reasons and appeals: a member reads each decision about them and may appeal it
once; admins (and, where a group chose so, its moderators) decide appeals they took no part in.

Another member's decision, or an appeal the viewer may not decide, is 404 like any page that
does not exist. A refused appeal keeps what the member typed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from forum.moderation import appeals, reasons
from forum.storage import appeals as appeal_store
from forum.storage.appeals import Decision
from forum.storage.members import Member
from forum.web import auth, forms
from forum.web.keys import pool_key
from forum.web.pages import render


def _words() -> dict[str, Any]:
    return {"done": reasons.DONE, "detected": reasons.DETECTED, "days": reasons.APPEAL_DAYS}


async def decisions_page(request: web.Request) -> web.Response:
    return await _decisions(request, auth.require_member(request))


async def _decisions(
    request: web.Request, member: Member, *, error: str | None = None, text: str = ""
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        found = await appeal_store.list_own(conn, member.id)
    now = datetime.now(UTC)
    context = {
        "decisions": found,
        "open": {d.id for d in found if appeals.can_appeal(d, now)},
        "error": error,
        "text": text,
    }
    status = 400 if error else 200
    return render(request, "appeals/decisions.html", {**context, **_words()}, status=status)


async def _own_decision(request: web.Request, member: Member, decision_id: int) -> Decision:
    async with request.app[pool_key].acquire() as conn:
        decision = await appeal_store.get_own(conn, decision_id, member.id)
    if decision is None:
        raise web.HTTPNotFound()
    return decision


async def _decision_response(
    request: web.Request,
    decision: Decision,
    *,
    error: str | None = None,
    text: str = "",
    status: int = 200,
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        appeal = await appeal_store.get_for_decision(conn, decision.id)
    context = {
        "decision": decision,
        "appeal": appeal,
        "can_appeal": appeals.can_appeal(decision, datetime.now(UTC)),
        "deadline": appeals.deadline(decision),
        "error": error,
        "text": text,
        "max_chars": appeals.MAX_CHARS,
        "appealed": request.query.get("appealed") == "1",
    }
    return render(request, "appeals/decision.html", {**context, **_words()}, status=status)


async def decision_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    decision = await _own_decision(request, member, forms.int_param(request, "id"))
    return await _decision_response(request, decision)


async def file_appeal(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
    decision_id = appeals.reference(form.text("decision"))
    text = form.text("text")[: appeals.MAX_CHARS * 2]
    if decision_id is None:
        error = "Name the decision as your notification does, for example “decision 42”."
        return await _decisions(request, member, error=error, text=text)
    decision = await _own_decision(request, member, decision_id)
    try:
        async with request.app[pool_key].acquire() as conn:
            await appeals.file(conn, member, decision, text, datetime.now(UTC))
    except appeals.AppealRefused as exc:
        status = 409 if decision.appeal_state is not None else 400
        return await _decision_response(request, decision, error=str(exc), text=text, status=status)
    url = request.app.router["decision"].url_for(id=str(decision.id))
    raise web.HTTPSeeOther(url.with_query(appealed="1"))


async def _decider(request: web.Request) -> Member:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        if not await appeals.may_decide_any(conn, member):
            raise web.HTTPNotFound()
    return member


async def queue_page(request: web.Request) -> web.Response:
    member = await _decider(request)
    async with request.app[pool_key].acquire() as conn:
        waiting = await appeal_store.list_open_for(conn, member.id, member.is_admin)
    return render(request, "appeals/queue.html", {"appeals": waiting, **_words()})


async def _appeal_response(
    request: web.Request,
    member: Member,
    appeal_id: int,
    *,
    error: str | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        appeal = await appeal_store.get_for_decider(conn, appeal_id, member.id, member.is_admin)
    if appeal is None:
        raise web.HTTPNotFound()
    context = {"appeal": appeal, "error": error, "form": typed or {}}
    return render(request, "appeals/appeal.html", {**context, **_words()}, status=status)


async def appeal_page(request: web.Request) -> web.Response:
    member = await _decider(request)
    return await _appeal_response(request, member, forms.int_param(request, "id"))


async def decide_appeal(request: web.Request) -> web.Response:
    member = await _decider(request)
    appeal_id = forms.int_param(request, "id")
    form = await forms.read(request)
    outcome, why = form.text("outcome"), form.text("reason")
    typed = {"outcome": outcome, "reason": why}
    if outcome not in ("uphold", "refuse"):
        return await _appeal_response(
            request,
            member,
            appeal_id,
            error="Choose to uphold or refuse the appeal.",
            typed=typed,
            status=400,
        )
    async with request.app[pool_key].acquire() as conn:
        appeal = await appeal_store.get_for_decider(conn, appeal_id, member.id, member.is_admin)
        if appeal is None:
            raise web.HTTPNotFound()
        try:
            await appeals.decide(conn, member, appeal, upheld=outcome == "uphold", why=why)
        except appeals.AppealRefused as exc:
            status = 409 if isinstance(exc, appeals.AlreadyDecided) else 400
            error = str(exc)
        else:
            raise web.HTTPSeeOther(request.app.router["mod_appeals"].url_for())
    return await _appeal_response(
        request, member, appeal_id, error=error, typed=typed, status=status
    )


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/decisions", decisions_page, name="decisions")
    r.add_get("/decisions/{id}", decision_page, name="decision")
    r.add_post("/appeals", file_appeal, name="appeals")
    r.add_get("/mod/appeals", queue_page, name="mod_appeals")
    r.add_get("/mod/appeals/{id}", appeal_page, name="mod_appeal")
    r.add_post("/mod/appeals/{id}", decide_appeal, name="mod_decide_appeal")
