"""The `forum` command: serve, migrate, create-admin, create-group, clear-two-factor, seed-demo,
backup, restore, seed-bench, crisis-scan, crisis-train, crisis-eval.

Each command is one function, found by name in `COMMANDS`, and each has its own small function
adding its flags to the parser. Every failure ends in one line on stderr and an exit status: 2 for
bad usage or configuration, 1 for anything else. No traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import asyncpg

from forum import config
from forum.config import ConfigError, Settings
from forum.groups import admin
from forum.groups.settings import TAGS, GroupSettings, parse_tags
from forum.members import accounts, two_factor
from forum.ops import backup, demo
from forum.ops.runtime import CommandError, InputError, StartupError, database, prepare
from forum.storage import audit, crisis, groups, migrations
from forum.storage.db import Conn

#: How `create-group` names each setting in an error (the form names them by their label).
CLI_NAMES = {
    "slug": "SLUG",
    "name": "--name",
    "description": "--description",
    "join_question": "--question",
    "moderation_first_posts": "--first-posts",
    "report_hide_threshold": "--report-threshold",
    "crisis_reescalate_minutes": "--reescalate-minutes",
    "webhook_url": "--webhook-url",
    "guidelines": "--guidelines",
    "tags": "--tags",
}
SLUG_HELP = "lower-case letters, digits and single hyphens, e.g. 'grief' or 'lost-a-parent'"


T = TypeVar("T")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="forum", description="A support-group forum server.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_flags(sub.add_parser("serve", help="serve HTTP"))
    sub.add_parser("migrate", help="apply pending SQL migrations")
    _create_admin_flags(sub.add_parser("create-admin", help="create a site admin"))
    _create_group_flags(sub.add_parser("create-group", help="create a group"))
    clear = sub.add_parser(
        "clear-two-factor",
        help="turn off two-factor for a member who lost their app and codes (audited)",
    )
    clear.add_argument("pseudonym")
    clear.add_argument("--note", required=True, help="how you confirmed who is asking")
    sub.add_parser("seed-demo", help="create the demo groups and a few posts (idempotent)")
    _backup_commands(sub)
    _seed_bench_flags(
        sub.add_parser(
            "seed-bench",
            help="bulk-load benchmark data with COPY (see bench/README.md)",
            description="Bulk-load realistic benchmark data with COPY. Refuses a database that"
            " holds members other than benchmark ones unless --force.",
        )
    )
    _crisis_scan_flags(
        sub.add_parser(
            "crisis-scan",
            help="scan JSON lines on stdin with the crisis scanner",
            description='Read JSON lines {"id": ..., "text": ...} on stdin; write one JSON line'
            ' per input, in order: {"id": ..., "level": "none"|"concern"|"urgent",'
            ' "matches": [...]}.',
        )
    )
    train = sub.add_parser(
        "crisis-train",
        help="rebuild the crisis model from the shipped corpus (needs scikit-learn)",
        description="Fit the crisis model deterministically from the shipped corpus's train"
        " split, choose its thresholds on validation-a and write it to"
        " forum/moderation/crisis/models/crisis.npz.",
    )
    train.add_argument(
        "--with-local-verdicts",
        action="store_true",
        help="add this forum's moderator verdicts; switch only if urgent recall does not drop",
    )
    crisis_eval = sub.add_parser(
        "crisis-eval",
        help="score lexicon, model and both on the frozen test split",
        description="Print urgent recall, any-risk recall and false alarms with 95% intervals,"
        " per language, for the lexicon alone, the model alone and both combined.",
    )
    crisis_eval.add_argument(
        "--split",
        action="append",
        choices=["test", "validation-a", "validation-b", "train"],
        help="which split to score (default: test; repeat for several)",
    )
    return parser


def _backup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup_parser = sub.add_parser(
        "backup",
        help="write a consistent backup of the whole database to PATH",
        description="Write the whole database (embedded or external) to PATH in pg_dump's custom"
        " format, readable only by you. FORUM_SECRET is not in it: keep that separately.",
    )
    backup_parser.add_argument("path", metavar="PATH")
    restore_parser = sub.add_parser(
        "restore",
        help="restore a backup into an empty database (--force: replace what is there)",
        description="Restore PATH, made by `forum backup`, in one transaction: a damaged backup"
        " changes nothing. Then apply pending migrations.",
    )
    restore_parser.add_argument("path", metavar="PATH")
    restore_parser.add_argument(
        "--force", action="store_true", help="replace everything in a database that is not empty"
    )


def _serve_flags(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--host", help="address to listen on (default: FORUM_HOST or 127.0.0.1)")
    serve.add_argument("--port", help="port to listen on (default: FORUM_PORT or 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes sharing the port and the database (default 1)",
    )


def _create_admin_flags(create_admin: argparse.ArgumentParser) -> None:
    create_admin.add_argument("pseudonym")
    create_admin.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )


def _create_group_flags(group: argparse.ArgumentParser) -> None:
    group.add_argument("slug", help=SLUG_HELP)
    group.add_argument("--name", required=True)
    group.add_argument("--description", default="")
    group.add_argument("--anonymous", choices=["off", "optional"], default="off")
    group.add_argument("--moderation", choices=["open", "new-members", "all"], default="open")
    group.add_argument("--visibility", choices=["public", "members"], default="public")
    group.add_argument("--membership", choices=["open", "approval"], default="open")
    group.add_argument(
        "--tags", default="", help="condition tags, comma-separated: " + ", ".join(TAGS)
    )
    group.add_argument("--question", default="", help="asked of people applying to join")
    group.add_argument(
        "--first-posts", default="3", help="with --moderation new-members: how many are reviewed"
    )
    group.add_argument("--report-threshold", default="3", help="reports that hide a post")
    group.add_argument("--crisis-policy", choices=["hold", "publish"], default="hold")
    group.add_argument(
        "--appeals",
        choices=["admins", "moderators"],
        default="admins",
        help="who decides appeals against the group's decisions (never whoever took them)",
    )
    group.add_argument("--reescalate-minutes", default="10")
    group.add_argument("--webhook-url", default="")
    group.add_argument("--guidelines", default="", help="accepted once before a first post")


def _seed_bench_flags(bench: argparse.ArgumentParser) -> None:
    bench.add_argument("--posts", type=int, required=True, help="about how many posts to load")
    bench.add_argument("--groups", type=int, default=10, help="how many groups (default 10)")
    bench.add_argument("--members", type=int, default=2000, help="how many members (default 2000)")
    bench.add_argument(
        "--force", action="store_true", help="load even into a database with real members"
    )


def _crisis_scan_flags(scan: argparse.ArgumentParser) -> None:
    scan.add_argument(
        "--group", metavar="SLUG", help="add this group's crisis phrases (needs the database)"
    )
    scan.add_argument(
        "--summary",
        action="store_true",
        help='print recall and false-positive figures to stderr for lines that carry "label"',
    )


def _with_conn(
    settings: Settings,
    work: Callable[[asyncpg.Connection], Awaitable[T]],
    *,
    migrate: bool = True,
) -> T:
    with database(settings, migrate=migrate) as url:

        async def run() -> T:
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


def _serve(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    settings = config.load()
    from forum.ops import server

    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.host:
        settings = replace(settings, host=args.host)
    if args.port:
        settings = replace(settings, port=config.parse_port("--port", args.port))
    with database(settings) as url:
        status = server.serve(settings.with_database(url), args.workers)
    if status:
        raise SystemExit(status)


def _migrate(_args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str:
    settings = config.load()

    async def migrate(conn: Conn) -> str:
        applied = await migrations.apply_pending(conn)
        return "migrations are up to date" if not applied else "applied " + ", ".join(applied)

    return _with_conn(settings, migrate, migrate=False)


def _create_admin(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    settings = config.load()
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


def _clear_two_factor(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str:
    settings = config.load()

    async def clear(conn: Conn) -> str:
        try:
            member = await two_factor.clear_lost(conn, args.pseudonym, args.note)
        except two_factor.TwoFactorError as exc:
            raise CommandError(str(exc)) from None
        return f"two-factor cleared for {member.pseudonym}; they were signed out everywhere"

    return _with_conn(settings, clear)


def _create_group(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    settings = config.load()
    checked, problems = GroupSettings.parse(
        {
            "slug": args.slug,
            "name": args.name,
            "description": args.description,
            "visibility": args.visibility,
            "membership": args.membership,
            "join_question": args.question,
            "anonymous": args.anonymous,
            "moderation": args.moderation,
            "moderation_first_posts": args.first_posts,
            "report_hide_threshold": args.report_threshold,
            "crisis_policy": args.crisis_policy,
            "appeals": args.appeals,
            "crisis_reescalate_minutes": args.reescalate_minutes,
            "webhook_url": args.webhook_url,
            "guidelines": args.guidelines,
        },
        parse_tags(args.tags),
    )
    if checked is None:
        parser.error(
            " ".join(f"{CLI_NAMES.get(f, f)}: {message}" for f, message in problems.items())
        )
    new_group = checked

    async def create_group(conn: Conn) -> str:
        try:
            await admin.create(conn, new_group, actor_id=None)
        except admin.SettingsRefused:
            raise CommandError(f"a group with the slug {args.slug!r} already exists") from None
        return f"group {args.slug} created"

    return _with_conn(settings, create_group)


def _backup(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str:
    with database(config.load(), migrate=False) as url:
        try:
            return backup.backup(url, Path(args.path))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None


def _restore(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str:
    settings = config.load()
    variable = "DATABASE_URL" if settings.database_url else "FORUM_DATA_DIR (embedded PostgreSQL)"
    with database(settings, migrate=False) as url:
        try:
            summary = backup.restore(url, Path(args.path), force=args.force)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        applied = asyncio.run(prepare(url, variable))
    then = f"; applied {', '.join(applied)}" if applied else ""
    return f"{summary}{then}\nforum: {backup.KEY_NOTE}"


def _seed_demo(_args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str:
    return _with_conn(config.load(), demo.seed)


def _seed_bench(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str:
    settings = config.load()
    from forum.members import passwords
    from forum.ops import seed_bench

    if not 1 <= args.posts <= 100_000_000:
        parser.error("--posts must be from 1 to 100000000")
    if not 1 <= args.groups <= 10_000:
        parser.error("--groups must be from 1 to 10000")
    if not 1 <= args.members <= 10_000_000:
        parser.error("--members must be from 1 to 10000000")
    plan = seed_bench.Plan(posts=args.posts, groups=args.groups, members=args.members)

    async def load(conn: Conn) -> str:
        password_hash = await passwords.hash_password(seed_bench.PASSWORD)
        try:
            counts = await seed_bench.seed(
                conn,
                plan,
                password_hash,
                force=args.force,
                report=lambda line: print(line, file=sys.stderr, flush=True),
            )
        except seed_bench.SeedRefused as exc:
            raise CommandError(str(exc)) from None
        seconds = counts.pop("seconds")
        rows = ", ".join(f"{n} {table}" for table, n in counts.items())
        return f"seeded in {seconds} s: {rows}"

    return _with_conn(settings, load)


def _scan_stdin(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str | None:
    """Stream: each line is scanned and written before the next is read."""
    from forum.moderation.crisis import scanner
    from forum.ops import crisis_model

    lexicon = scanner.Lexicon.base()
    if args.group:  # only then is a database needed

        async def group_phrases(conn: Conn) -> list[tuple[str, str]]:
            group = await groups.get_group_by_slug(conn, args.group)
            if group is None:
                raise CommandError(f"no group with the slug {args.group!r}")
            return await crisis.list_group_phrases(conn, group.id)

        try:
            lexicon = lexicon.with_phrases(_with_conn(config.load(), group_phrases))
        except ValueError as exc:
            raise CommandError(
                f"group {args.group!r} has a phrase the scanner cannot read: {exc}"
            ) from None
    crisis_model.crisis_scan(lexicon, sys.stdin.buffer, sys.stdout, summary=args.summary)
    return None


def _crisis_train(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str | None:
    from forum.ops import crisis_model

    if not args.with_local_verdicts:
        return crisis_model.crisis_train()
    settings = config.load()

    async def lessons(conn: Conn) -> list[tuple[int, str, str]]:
        return [(v.item_id, v.text, v.label) for v in await crisis.list_verdicts(conn)]

    outcome = crisis_model.train_with_verdicts(_with_conn(settings, lessons))
    if outcome.switched:

        async def audited(conn: Conn) -> None:
            await audit.record(
                conn, actor_id=None, action="crisis-model-switch", reason=outcome.summary[:1000]
            )

        _with_conn(settings, audited)
    return outcome.message


def _crisis_eval(args: argparse.Namespace, _parser: argparse.ArgumentParser) -> str | None:
    from forum.ops import crisis_model

    return crisis_model.crisis_eval(args.split or ["test"])


Command = Callable[[argparse.Namespace, argparse.ArgumentParser], str | None]
#: Every command but crisis-scan loads the configuration first (it needs no database unless
#: given --group), so a bad variable is reported before any argument is checked.
COMMANDS: dict[str, Command] = {
    "serve": _serve,
    "migrate": _migrate,
    "create-admin": _create_admin,
    "create-group": _create_group,
    "clear-two-factor": _clear_two_factor,
    "seed-demo": _seed_demo,
    "backup": _backup,
    "restore": _restore,
    "seed-bench": _seed_bench,
    "crisis-scan": _scan_stdin,
    "crisis-train": _crisis_train,
    "crisis-eval": _crisis_eval,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        message = COMMANDS[args.command](args, parser)
    except ConfigError as exc:
        print(f"forum: {exc}", file=sys.stderr)
        return 2
    except InputError as exc:
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
