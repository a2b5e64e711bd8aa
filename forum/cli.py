"""The `forum` command: serve, migrate, create-admin, create-group, seed-demo.

Every failure ends in one line on stderr and an exit status: 2 for bad usage or configuration,
1 for anything else. No traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import asyncpg

from forum import accounts, config, demo
from forum.config import ConfigError, Settings
from forum.runtime import StartupError, database
from forum.storage import groups, migrations
from forum.storage.db import Conn

SLUG_HELP = "lower-case letters, digits and single hyphens, e.g. 'grief' or 'lost-a-parent'"


class CommandError(Exception):
    """The command could not do what was asked; exit status 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forum", description="A support-group forum server.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve HTTP")
    serve.add_argument("--host", help="address to listen on (default: FORUM_HOST or 127.0.0.1)")
    serve.add_argument("--port", help="port to listen on (default: FORUM_PORT or 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port and the database (default 1)",
    )

    sub.add_parser("migrate", help="apply pending SQL migrations")

    admin = sub.add_parser("create-admin", help="create a site admin")
    admin.add_argument("pseudonym")
    admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )

    group = sub.add_parser("create-group", help="create a group")
    group.add_argument("slug", help=SLUG_HELP)
    group.add_argument("--name", required=True)
    group.add_argument("--description", default="")
    group.add_argument("--anonymous", choices=["off", "optional"], default="off")
    group.add_argument("--moderation", choices=["open", "new-members", "all"], default="open")
    group.add_argument("--visibility", choices=["public", "members"], default="public")
    group.add_argument("--membership", choices=["open", "approval"], default="open")

    sub.add_parser("seed-demo", help="create the demo groups and a few posts (idempotent)")
    return parser


def _with_conn(
    settings: Settings,
    work: Callable[[asyncpg.Connection], Awaitable[str]],
    *,
    migrate: bool = True,
) -> str:
    with database(settings, migrate=migrate) as url:

        async def run() -> str:
            conn = await asyncpg.connect(url)
            try:
                return await work(conn)
            finally:
                await conn.close()

        return asyncio.run(run())


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str | None:
    settings = config.load()
    if args.command == "serve":
        from forum import server

        if args.workers < 1:
            parser.error("--workers must be at least 1")
        if args.host:
            settings = replace(settings, host=args.host)
        if args.port:
            settings = replace(settings, port=config.parse_port("--port", args.port))
        with database(settings) as url:
            server.serve(settings.with_database(url), args.workers)
        return None

    if args.command == "migrate":

        async def migrate(conn: Conn) -> str:
            applied = await migrations.apply_pending(conn)
            return "migrations are up to date" if not applied else "applied " + ", ".join(applied)

        return _with_conn(settings, migrate, migrate=False)

    if args.command == "create-admin":
        try:
            accounts.check_pseudonym(args.pseudonym)
        except accounts.AccountError as exc:
            parser.error(str(exc))
        password = _read_password(args.password_stdin)

        async def create_admin(conn: Conn) -> str:
            try:
                await accounts.register(conn, args.pseudonym, password, is_admin=True)
            except accounts.AccountError as exc:
                raise CommandError(str(exc)) from None
            return f"admin {args.pseudonym} created"

        return _with_conn(settings, create_admin)

    if args.command == "create-group":
        if not demo.SLUG.match(args.slug) or len(args.slug) > 64:
            parser.error(f"SLUG {args.slug!r} is not valid: use {SLUG_HELP}")
        if not args.name.strip() or len(args.name) > 100:
            parser.error("--name must be 1 to 100 characters")
        if len(args.description) > 2000:
            parser.error("--description can be at most 2000 characters")

        async def create_group(conn: Conn) -> str:
            try:
                await groups.create_group(
                    conn,
                    args.slug,
                    args.name.strip(),
                    description=args.description.strip(),
                    visibility=args.visibility,
                    membership=args.membership,
                    anonymous=args.anonymous,
                    moderation=args.moderation,
                )
            except groups.SlugTaken:
                raise CommandError(f"a group with the slug {args.slug!r} already exists") from None
            return f"group {args.slug} created"

        return _with_conn(settings, create_group)

    if args.command == "seed-demo":
        return _with_conn(settings, demo.seed)
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        message = _run(args, parser)
    except ConfigError as exc:
        print(f"forum: {exc}", file=sys.stderr)
        return 2
    except (StartupError, CommandError) as exc:
        print(f"forum: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if message:
        print(message)
    return 0
