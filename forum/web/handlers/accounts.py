"""Registering, signing in and signing out."""

from __future__ import annotations

import functools

from aiohttp import web

from forum.members import accounts, limits, recovery, resets, site_pages
from forum.members import two_factor as tf
from forum.storage import sessions
from forum.storage import site_pages as site_policy
from forum.storage.db import Conn
from forum.storage.members import Member
from forum.web import auth, forms, security
from forum.web.keys import pool_key, settings_key
from forum.web.pages import render, render_secret
from forum.web.security import SESSION_COOKIE

REGISTER = "accounts/register.html"
LOGIN = "accounts/login.html"
LOGIN_CODE = "accounts/login_code.html"
RECOVER = "accounts/recover.html"


def _address(request: web.Request) -> str:
    return security.client_rate_key(request)


def _signed_in_redirect(request: web.Request, token: str, target: str) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(auth.safe_next(target))
    auth.start_session(request, response, token)
    return response


def _form(
    request: web.Request,
    template: str,
    *,
    pseudonym: str = "",
    target: str | None = None,
    error: str | None = None,
    status: int = 200,
    retry_after: int | None = None,
    minimum_age: int | None = None,
) -> web.Response:
    """The register or sign-in form, again with what was typed (never the password)."""
    next_ = auth.safe_next(request.query.get("next")) if target is None else target
    context = {
        "pseudonym": pseudonym[:64],
        "error": error,
        "next": next_,
        "minimum_age": minimum_age,
    }
    response = render(request, template, context, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


async def register_page(request: web.Request) -> web.Response:
    async with request.app[pool_key].acquire() as conn:
        age = await site_policy.minimum_age(conn)
    return _form(request, REGISTER, minimum_age=age)


async def register(request: web.Request) -> web.Response:
    form = await forms.read(request)
    pseudonym = form.text("pseudonym").strip()
    target = auth.safe_next(form.text("next"))
    async with request.app[pool_key].acquire() as conn:
        age = await site_policy.minimum_age(conn)
        again = functools.partial(
            _form, request, REGISTER, pseudonym=pseudonym, target=target, minimum_age=age
        )
        try:
            accounts.check_pseudonym(pseudonym)
            accounts.check_password(form.text("password"), pseudonym)
            await limits.spend(
                conn,
                request.app[settings_key],
                limits.REGISTER_PER_ADDRESS,
                f"r:{_address(request)}",
            )
            member = await accounts.register(conn, pseudonym, form.text("password"))
            # The form's two boxes are required (a browser will not send it unticked); a client
            # that posts only the contract's pseudonym and password joins with nothing recorded.
            if form.flag("age_ok") and form.flag("rules_ok"):
                rules = await site_pages.get(conn, "rules")
                await site_policy.record_joining(conn, member.id, rules.version)
        except accounts.AccountError as exc:
            return again(error=str(exc), status=400)
        except limits.Limited as exc:
            error = (
                "Too many new accounts have been made from here recently."
                f" Please try again in {_minutes(exc.retry_after)}."
            )
            return again(error=error, status=429, retry_after=exc.retry_after)
        session = await sessions.create_session(conn, member)
    welcome = request.app.router["welcome"].url_for().with_query(next=target)
    raise _signed_in_redirect(request, session.token, str(welcome))


async def welcome(request: web.Request) -> web.Response:
    """Where registration lands: the new member's recovery codes, made and shown the first
    time only (they exist in the clear nowhere else), then on to where they were going."""
    member = auth.require_member(request)
    target = auth.safe_next(request.query.get("next"))
    async with request.app[pool_key].acquire() as conn:
        codes = await recovery.issue_first(conn, member)
    return render_secret(
        request,
        "accounts/welcome.html",
        {"pseudonym": member.pseudonym, "codes": codes, "next": target},
    )


async def login_page(request: web.Request) -> web.Response:
    return _form(request, LOGIN)


async def login(request: web.Request) -> web.Response:
    form = await forms.read(request)
    pseudonym = form.text("pseudonym").strip()
    target = auth.safe_next(form.text("next"))
    again = functools.partial(_form, request, LOGIN, pseudonym=pseudonym, target=target)
    async with request.app[pool_key].acquire() as conn:
        try:
            member = await _sign_in(request, conn, pseudonym, form.text("password"))
        except limits.Limited as exc:
            error = (
                "Too many sign-in attempts. For your safety, please wait"
                f" {_minutes(exc.retry_after)} and try again."
            )
            return again(error=error, status=429, retry_after=exc.retry_after)
        if member is None:
            error = "That pseudonym and password don't match. Please check both and try again."
            return again(error=error, status=400)
        if await tf.enabled(conn, member.id):
            challenge = await tf.begin_sign_in(conn, member)
            if not form.text("code"):
                return _code_form(request, challenge, target)
            return await _finish_with_code(request, conn, challenge, form.text("code"), target)
        session = await sessions.create_session(conn, member)
    raise _signed_in_redirect(request, session.token, target)


def _code_form(
    request: web.Request, challenge: str, target: str, error: str | None = None, status: int = 200
) -> web.Response:
    context = {"challenge": challenge, "next": target, "error": error}
    return render_secret(request, LOGIN_CODE, context, status=status)


async def login_code(request: web.Request) -> web.Response:
    """The second step of signing in to an account with two-factor on."""
    form = await forms.read(request)
    target = auth.safe_next(form.text("next"))
    async with request.app[pool_key].acquire() as conn:
        return await _finish_with_code(
            request, conn, form.text("challenge"), form.text("code"), target
        )


async def _finish_with_code(
    request: web.Request, conn: Conn, challenge: str, code: str, target: str
) -> web.Response:
    """Spend one try of the challenge (and of the member's limit on codes), then sign in if the
    code is right; else the code form again, or the password form once the challenge is over."""
    member_id = await tf.spend_try(conn, challenge)
    if member_id is None:
        return _form(
            request,
            LOGIN,
            target=target,
            error="That sign-in took too long or had too many wrong codes. Please sign in again.",
            status=400,
        )
    try:
        await limits.spend(
            conn, request.app[settings_key], limits.SIGN_IN_CODES_PER_MEMBER, f"m:{member_id}"
        )
    except limits.Limited as exc:
        error = f"Too many codes tried. Please wait {_minutes(exc.retry_after)} and try again."
        response = _code_form(request, challenge, target, error, 429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    member = await tf.finish_sign_in(conn, challenge, member_id, code)
    if member is None:
        error = (
            "That code isn't right, or was used already. Type the code your app shows now, or"
            " one of your two-factor recovery codes."
        )
        return _code_form(request, challenge, target, error, 400)
    session = await sessions.create_session(conn, member)
    raise _signed_in_redirect(request, session.token, target)


async def _sign_in(
    request: web.Request, conn: Conn, pseudonym: str, password: str
) -> Member | None:
    """Each attempt is counted before its password is checked and given back if it succeeds, so
    however many arrive at once, at most a limit's worth of wrong passwords is ever evaluated.
    The limits (see `limits.LOGIN_*`) are per pseudonym and address first, so a stranger's
    guessing does not lock the owner out; any of them, once reached, answers "try again in N
    minutes"."""
    settings = request.app[settings_key]
    name = pseudonym[:64].lower()
    address = _address(request)
    attempt = [
        (limits.LOGIN_PER_PSEUDONYM_AND_ADDRESS, f"pa:{name}:{address}"),
        (limits.LOGIN_PER_ADDRESS, f"a:{address}"),
        (limits.LOGIN_PER_PSEUDONYM, f"p:{name}"),
    ]
    spent: list[tuple[limits.Policy, str]] = []
    try:
        for policy, who in attempt:
            spent.append((policy, who))
            await limits.spend(conn, settings, policy, who)
        member = await accounts.sign_in(conn, pseudonym, password)
    except limits.Limited:
        for policy, who in spent:  # not evaluated: it does not count
            await limits.refund(conn, settings, policy, who)
        raise
    if member is not None:
        for policy, who in spent:
            await limits.refund(conn, settings, policy, who)
    return member


async def recover_page(request: web.Request) -> web.Response:
    return render(request, RECOVER, {"pseudonym": "", "error": None})


async def recover(request: web.Request) -> web.Response:
    """A new password with a recovery code. Every attempt is counted (per pseudonym and
    address, per address, per pseudonym) before any code is checked, and the answer is the same
    whether or not the pseudonym exists."""
    form = await forms.read(request)
    pseudonym = form.text("pseudonym").strip()[:64]
    settings = request.app[settings_key]
    name, address = pseudonym.lower(), _address(request)

    def again(error: str, status: int) -> web.Response:
        return render(request, RECOVER, {"pseudonym": pseudonym, "error": error}, status=status)

    async with request.app[pool_key].acquire() as conn:
        try:
            accounts.check_password(form.text("new_password"), pseudonym)
            for policy, who in (
                (limits.RECOVER_PER_PSEUDONYM_AND_ADDRESS, f"pa:{name}:{address}"),
                (limits.RECOVER_PER_ADDRESS, f"a:{address}"),
                (limits.RECOVER_PER_PSEUDONYM, f"p:{name}"),
            ):
                await limits.spend(conn, settings, policy, who)
            member = await recovery.recover(
                conn, pseudonym, form.text("recovery_code"), form.text("new_password")
            )
        except accounts.AccountError as exc:
            return again(str(exc), 400)
        except limits.Limited as exc:
            response = again(
                "Too many attempts. For your safety, please wait"
                f" {_minutes(exc.retry_after)} and try again.",
                429,
            )
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        if member is None:
            return again(
                "That pseudonym and recovery code don't match, or the code was used already."
                " Please check both and try again.",
                400,
            )
        if await tf.enabled(conn, member.id):  # a recovered password is still one factor
            return _code_form(request, await tf.begin_sign_in(conn, member), "/account")
        session = await sessions.create_session(conn, member)
    raise _signed_in_redirect(request, session.token, "/account")


RESET = "accounts/reset.html"


def _reset_form(
    request: web.Request, token: str, pseudonym: str, error: str | None = None, status: int = 200
) -> web.Response:
    context = {"token": token, "pseudonym": pseudonym, "error": error}
    return render_secret(request, RESET, context, status=status)


async def reset_page(request: web.Request) -> web.Response:
    """An admin's one-time link (`/reset?token=...`: a query string, which the access log
    leaves out): a new password for the member it names; 404 once used or out of time."""
    token = request.query.get("token", "")[:100]
    async with request.app[pool_key].acquire() as conn:
        member = await resets.member_for(conn, token)
    if member is None:
        raise web.HTTPNotFound()
    return _reset_form(request, token, member.pseudonym)


async def reset(request: web.Request) -> web.Response:
    form = await forms.read(request)
    token = form.text("token")[:100]
    async with request.app[pool_key].acquire() as conn:
        member = await resets.member_for(conn, token)
        if member is None:
            raise web.HTTPNotFound()
        try:
            done = await resets.reset(
                conn, token, member, form.text("new_password"), form.text("new_password_confirm")
            )
        except accounts.AccountError as exc:
            return _reset_form(request, token, member.pseudonym, str(exc), 400)
        if not done:
            raise web.HTTPNotFound()
        if await tf.enabled(conn, member.id):  # a reset password is still one factor
            return _code_form(request, await tf.begin_sign_in(conn, member), "/account")
        session = await sessions.create_session(conn, member)
    raise _signed_in_redirect(request, session.token, "/account")


async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with request.app[pool_key].acquire() as conn:
            await sessions.delete_session(conn, token[:200])
    response = web.HTTPSeeOther("/")
    auth.end_session(response)
    raise response


def _minutes(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def setup_routes(r: web.UrlDispatcher) -> None:
    r.add_get("/register", register_page, name="register")
    r.add_post("/register", register)
    r.add_get("/login", login_page, name="login")
    r.add_post("/login", login)
    r.add_post("/login/code", login_code, name="login_code")
    r.add_post("/logout", logout, name="logout")
    r.add_get("/welcome", welcome, name="welcome")
    r.add_get("/recover", recover_page, name="recover")
    r.add_post("/recover", recover)
    r.add_get("/reset", reset_page, name="reset")
    r.add_post("/reset", reset)
