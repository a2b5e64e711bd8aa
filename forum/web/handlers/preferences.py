"""`/account/preferences`: how a member likes to read (text size, content warnings, hidden words).

Preferences belong to signed-in members only: pages for visitors never vary by cookie, so that
they can be cached and so that nothing on a shared device reveals what someone chose to avoid.
"""

from __future__ import annotations

from aiohttp import web

from forum.members import reading
from forum.storage import preferences
from forum.storage.preferences import Preferences
from forum.web import auth, forms
from forum.web.keys import pool_key
from forum.web.pages import render


def _page(
    request: web.Request,
    prefs: Preferences,
    *,
    typed: dict[str, str] | None = None,
    error: str | None = None,
    saved: bool = False,
    status: int = 200,
) -> web.Response:
    typed = typed or {
        "collapse_words": "\n".join(prefs.collapse_words),
        "hide_words": "\n".join(prefs.hide_words),
    }
    return render(
        request,
        "account/preferences.html",
        {
            "prefs": prefs,
            "typed": typed,
            "error": error,
            "saved": saved,
            "text_sizes": reading.TEXT_SIZES,
        },
        status=status,
    )


async def preferences_page(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    async with request.app[pool_key].acquire() as conn:
        prefs = await preferences.get_preferences(conn, member.id)
    return _page(request, prefs, saved=request.query.get("saved") == "1")


async def save_preferences(request: web.Request) -> web.Response:
    member = auth.require_member(request)
    form = await forms.read(request)
    text_size = form.text("text_size", "standard")
    if text_size not in reading.TEXT_SIZES:
        text_size = "standard"
    typed = {"collapse_words": form.text("collapse_words"), "hide_words": form.text("hide_words")}
    open_warnings = form.text("warnings") == "open"
    check_ins = form.text("check_ins", "on") != "off"
    try:
        prefs = Preferences(
            text_size=text_size,
            open_warnings=open_warnings,
            check_ins=check_ins,
            collapse_words=reading.parse_words(
                typed["collapse_words"], "the warnings to keep closed"
            ),
            hide_words=reading.parse_words(typed["hide_words"], "the words that hide posts"),
        )
    except reading.PreferenceProblem as exc:
        unsaved = Preferences(text_size=text_size, open_warnings=open_warnings, check_ins=check_ins)
        return _page(request, unsaved, typed=typed, error=str(exc), status=400)
    async with request.app[pool_key].acquire() as conn:
        await preferences.save_preferences(conn, member.id, prefs)
    url = request.app.router["preferences"].url_for().with_query(saved="1")
    raise web.HTTPSeeOther(url)


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/account/preferences", preferences_page, name="preferences")
    r.add_post("/account/preferences", save_preferences)
