"""`forum backup PATH` and `forum restore PATH [--force]`: the whole database, embedded or external.

A backup is `pg_dump`'s custom format (compressed, restorable table by table, readable by any later
`pg_restore`), written to a temporary file beside PATH and renamed only once complete, with mode
0600: it holds members' posts (health data), password hashes and two-factor keys. It is
consistent: the counts printed are read in the very snapshot pg_dump copies (`pg_export_snapshot`).

It never holds FORUM_SECRET, which lives in the environment or in `$FORUM_DATA_DIR/secret`, not in
the database. Sessions, passwords, recovery codes and two-factor keep working without it (they are
stored as hashes or as they are); what a different secret changes is listed in `KEY_NOTE`.

A restore goes into an empty database, or with `--force` replaces everything in the `public`
schema, in one transaction: the SQL `pg_restore` writes is fed to `psql` between BEGIN and COMMIT,
so a truncated or corrupt backup leaves the database exactly as it was. Then pending migrations are
applied, so a backup from an older version of the forum comes up to date.

The client tools are PostgreSQL's own, from the same places as the embedded server's, and of the
lowest major version that can talk to the server (and read the backup): a newer `pg_dump` reads an
older server, but its SQL may not load into one.
"""

from __future__ import annotations

import asyncio
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import asyncpg

MAGIC = b"PGDMP"
#: What a backup is counted by, in the summaries: the tables a person would miss, and their names.
COUNTED = {
    "members": "members",
    "groups": "groups",
    "posts": "posts",
    "drafts": "drafts",
    "audit_log": "moderation-log entries",
}
KEY_NOTE = (
    "the backup holds no FORUM_SECRET: with a different one, group webhook receivers need the new"
    " signing key shown in the admin console and forms left open in browsers must be reloaded;"
    " sign-ins, passwords, recovery codes and two-factor work either way"
)
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
_DUMPED_BY = re.compile(r"Dumped by pg_dump version: (\d+)")


class BackupError(Exception):
    """The backup or restore did not happen; the message says why in one line."""


@dataclass(frozen=True)
class Tools:
    bindir: Path
    major: int

    def __getitem__(self, name: str) -> str:
        return str(self.bindir / name)


def _candidate_bindirs() -> list[Path]:
    found = []
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        found.append(Path(spec.origin).parent / "pginstall" / "bin")
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    found += [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_dump")]
    return found


def _major(bindir: Path) -> int | None:
    needed = ("pg_dump", "pg_restore", "psql")
    if not all((bindir / name).exists() for name in needed):
        return None
    try:
        out = subprocess.run(  # noqa: S603 - a PostgreSQL binary, a fixed flag
            [str(bindir / "pg_dump"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except OSError:
        return None
    match = _VERSION.search(out)
    return int(match.group(1)) if match else None


def tools(at_least: int) -> Tools:
    """pg_dump, pg_restore and psql of the lowest major version >= at_least (else the newest)."""
    found = sorted(
        {Tools(d, m) for d in _candidate_bindirs() if (m := _major(d)) is not None},
        key=lambda t: t.major,
    )
    if not found:
        raise BackupError(
            "PostgreSQL's client tools (pg_dump, pg_restore, psql) were not found: install the"
            " 'pgserver' package (Python <= 3.12) or the machine's PostgreSQL client"
            " (e.g. apt-get install postgresql-client)"
        )
    return next((t for t in found if t.major >= at_least), found[-1])


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password (which would show in `ps`), in the netloc or the query
    string, and an environment carrying it."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        user = parts.username or ""
        host = parts.netloc.rsplit("@", 1)[1]
        parts = parts._replace(netloc=f"{user}@{host}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in query:
        if name == "password":
            env["PGPASSWORD"] = value
    parts = parts._replace(query=urlencode([(n, v) for n, v in query if n != "password"]))
    return urlunsplit(parts), env


def _last_error(text: str, status: int | None = None) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line or "error" in line]
    return (errors or lines or [f"it stopped with status {status} and said nothing"])[0]


async def _server_major(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT current_setting('server_version_num')::int")) // 10000


async def _counts(conn: asyncpg.Connection) -> dict[str, int]:
    present = {
        r["relname"]
        for r in await conn.fetch(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )
    }
    return {
        table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names
        for table in COUNTED
        if table in present
    }


def describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {COUNTED[table]}" for table, n in counts.items()) or "no forum tables"


def backup(url: str, path: Path) -> str:
    """Write the database to `path`; return a one-line summary of what it holds."""
    target = path.resolve()
    if target.is_dir():
        raise BackupError(f"{path} is a directory: give the backup's file name")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} does not exist")
    counts = asyncio.run(_backup_in_snapshot(url, target))
    size = target.stat().st_size
    return f"backed up to {path} ({size / 1e6:.1f} MB): {describe(counts)}; {KEY_NOTE}"


async def _backup_in_snapshot(url: str, target: Path) -> dict[str, int]:
    """Count and dump in one snapshot, held open by this transaction while pg_dump copies it."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        found = tools(await _server_major(conn))
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            counts = await _counts(conn)
            await asyncio.to_thread(_dump, found, url, snapshot, target)
    finally:
        await conn.close()
    return counts


def _dump(found: Tools, url: str, snapshot: str, target: Path) -> None:
    dsn, env = _libpq(url)
    try:
        fd, partial = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
    except OSError as exc:
        raise BackupError(f"cannot write in {target.parent}: {exc.strerror}") from None
    os.close(fd)  # mkstemp made it 0600; pg_dump writes into it
    try:
        done = subprocess.run(  # noqa: S603 - a PostgreSQL binary, our arguments
            [
                found["pg_dump"],
                "--format=custom",
                f"--snapshot={snapshot}",
                # Live events are a day's delivery notices, counted in this server's transaction
                # ids: restored elsewhere they would be replayed, and mean nothing there.
                "--exclude-table-data=live_events",
                f"--file={partial}",
                f"--dbname={dsn}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            check=False,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {_last_error(done.stderr)}")
        try:
            with open(partial, "rb") as f:
                os.fsync(f.fileno())
            os.replace(partial, target)
        except OSError as exc:
            raise BackupError(f"cannot write {target}: {exc.strerror}") from None
    finally:
        Path(partial).unlink(missing_ok=True)


def _read_archive(path: Path) -> int:
    """Check `path` is a forum backup; return the major version of the pg_dump that wrote it."""
    try:
        with path.open("rb") as f:
            head = f.read(len(MAGIC))
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if head != MAGIC:
        raise BackupError(f"{path} is not a backup made by `forum backup` (pg_dump custom format)")
    newest = tools(10_000)
    listing = subprocess.run(  # noqa: S603 - a PostgreSQL binary, our arguments
        [newest["pg_restore"], "--list", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if listing.returncode != 0:
        message = _last_error(listing.stderr, listing.returncode)
        raise BackupError(f"{path} is damaged and cannot be read: {message}")
    if not re.search(r"TABLE public schema_migrations ", listing.stdout):
        raise BackupError(
            f"{path} is a PostgreSQL backup but not of a forum (no schema_migrations)"
        )
    dumped_by = _DUMPED_BY.search(listing.stdout)
    return int(dumped_by.group(1)) if dumped_by else newest.major


async def _relations(conn: asyncpg.Connection) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
            " AND n.nspname NOT LIKE 'pg_temp%' AND c.relkind IN ('r', 'v', 'm', 'S', 'p')"
        )
    )


def restore(url: str, path: Path, *, force: bool) -> str:
    """Load `path` into the database (empty, or replaced with `force`); return a summary."""
    dumped_by = _read_archive(path)
    server_major, present = asyncio.run(_check_target(url, force=force))
    _load(tools(max(server_major, dumped_by)), url, path, replace=bool(present))
    return f"restored {path}: {describe(asyncio.run(_counted(url)))}"


async def _counted(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return await _counts(conn)
    finally:
        await conn.close()


async def _check_target(url: str, *, force: bool) -> tuple[int, int]:
    """The server's major version and how many relations the database holds (refused if any,
    unless `force`)."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        server_major = await _server_major(conn)
        present = await _relations(conn)
        if present and not force:
            counts = await _counts(conn)
            raise BackupError(
                f"the database is not empty ({present} tables and sequences"
                f"{': ' + describe(counts) if counts else ''}); restore into an empty database,"
                " or pass --force to replace everything in it"
            )
    finally:
        await conn.close()
    return server_major, present


def _load(found: Tools, url: str, path: Path, *, replace: bool) -> None:
    """pg_restore's SQL through psql inside one transaction: all of it, or nothing."""
    dsn, env = _libpq(url)
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        psql = subprocess.Popen(  # noqa: S603 - a PostgreSQL binary, our arguments
            [found["psql"], "-X", "-q", "-v", "ON_ERROR_STOP=1", f"--dbname={dsn}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        source = subprocess.Popen(  # noqa: S603 - a PostgreSQL binary, our arguments
            [found["pg_restore"], "--no-owner", "--no-privileges", "--file=-", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=restore_err,
        )
        assert psql.stdin is not None
        whole, psql_stopped = _feed(psql.stdin, source, replace=replace)
        psql.wait()
        if not whole and not psql_stopped:
            restore_err.seek(0)
            message = _last_error(restore_err.read().decode(errors="replace"))
            raise BackupError(f"{path} could not be read to the end ({message}); nothing changed")
        if psql.returncode != 0:
            psql_err.seek(0)
            message = _last_error(psql_err.read().decode(errors="replace"))
            raise BackupError(f"the restore failed and nothing changed: {message}")


def _feed(into: IO[bytes], source: subprocess.Popen[bytes], *, replace: bool) -> tuple[bool, bool]:
    """Copy pg_restore's SQL into psql; COMMIT only if pg_restore read the whole archive (a
    truncated one must change nothing: psql then ends without COMMIT, and the server rolls back).
    Returns whether pg_restore succeeded and whether psql stopped reading (at an error)."""
    assert source.stdout is not None
    stopped = False
    try:
        into.write(b"BEGIN;\n")
        if replace:
            into.write(b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
        while chunk := source.stdout.read(1 << 16):
            into.write(chunk)
        if source.wait() == 0:
            into.write(b"COMMIT;\n")
    except BrokenPipeError:  # psql stopped at an error: the caller reports it
        stopped = True
    finally:
        source.stdout.close()
        try:
            into.close()
        except BrokenPipeError:
            stopped = True
    return source.wait() == 0, stopped
