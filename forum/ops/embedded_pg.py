"""An embedded PostgreSQL server for when DATABASE_URL is unset.

A real PostgreSQL, not a substitute: its data lives under `$FORUM_DATA_DIR/pg`, it listens on a
Unix socket inside that directory only (no TCP port to collide with, nothing reachable from the
network), and it is stopped by whoever started it.

The server binaries come from the `pgserver` wheel when it is installed (it ships them for
Python <= 3.12 on Linux); otherwise from the machine's PostgreSQL (`pg_ctl` on PATH or Debian's
/usr/lib/postgresql/*/bin). We drive `initdb` and `pg_ctl` ourselves rather than through
pgserver's Python API so that both sources share one code path, the lifetime is explicit (the
serving parent process owns it) and nothing global is written outside the data directory.

PostgreSQL refuses to run as root, so under root the server runs as an unprivileged system
account (`postgres` when the machine has one, else `forum-pg`, created on first use).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

SERVICE_ACCOUNTS = ("postgres", "forum-pg")
#: Unix socket paths are limited to 107 bytes; beyond this the socket goes to a short temp dir.
MAX_SOCKET_DIR = 80


class EmbeddedUnavailable(Exception):
    """No PostgreSQL server binaries could be found, or the server would not start."""


def find_bindir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "pginstall" / "bin"
        if (bundled / "pg_ctl").exists():
            return bundled
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: (
            int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0
        ),
    )
    if debian:
        return Path(debian[-1]).parent
    raise EmbeddedUnavailable(
        "DATABASE_URL is unset and no PostgreSQL server binaries were found for the embedded "
        "database: install the 'pgserver' package (Python <= 3.12) or the machine's PostgreSQL "
        "server (e.g. apt-get install postgresql), or set DATABASE_URL"
    )


def _service_user() -> pwd.struct_passwd | None:
    """The account the server runs as, or None to run as ourselves (when we are not root)."""
    if os.geteuid() != 0:
        return None
    for name in SERVICE_ACCOUNTS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    subprocess.run(  # noqa: S603 - a fixed system tool and fixed arguments
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "forum-pg"],
        check=True,
        capture_output=True,
    )
    return pwd.getpwnam("forum-pg")


def _let_traverse(path: Path) -> None:
    """Give others search (x) permission on every parent, so the service account reaches `path`."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster in `data_dir`; `start()` returns a URL, `stop()` stops it if we started it."""

    data_dir: Path
    fast_and_unsafe: bool = False  # tests only: no fsync, a crash may lose the (throwaway) data
    started_here: bool = field(default=False, init=False)
    socket_dir: Path | None = field(default=None, init=False)

    def _run(self, bindir: Path, args: list[str], user: pwd.struct_passwd | None) -> None:
        result = subprocess.run(  # noqa: S603 - fixed binaries, arguments are ours
            [str(bindir / args[0]), *args[1:]],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
            extra_groups=[] if user else None,
        )
        if result.returncode != 0:
            last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
            log = self.data_dir / "server.log"
            hint = f"; see {log}" if log.exists() else ""
            raise EmbeddedUnavailable(f"embedded PostgreSQL: {args[0]} failed: {last}{hint}")

    def url(self, database: str = "postgres") -> str:
        assert self.socket_dir is not None
        return f"postgresql://postgres@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def _pick_socket_dir(self, user: pwd.struct_passwd | None) -> Path:
        if len(str(self.data_dir)) <= MAX_SOCKET_DIR:
            return self.data_dir
        short = Path(tempfile.mkdtemp(prefix="forum-pg-"))
        if user is not None:
            os.chown(short, user.pw_uid, user.pw_gid)
        return short

    def start(self) -> str:
        bindir = find_bindir()
        user = _service_user()
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if user is not None:
            _let_traverse(self.data_dir.parent)
            _let_traverse(bindir)
            os.chown(self.data_dir, user.pw_uid, user.pw_gid)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                bindir,
                [
                    "initdb",
                    "-D",
                    str(self.data_dir),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-instructions",
                ],
                user,
            )
        pid_file = self.data_dir / "postmaster.pid"
        running = _running_socket_dir(pid_file)
        if running is not None:
            self.socket_dir = running  # someone else's start (another `forum` command): share it
            return self.url()
        pid_file.unlink(missing_ok=True)  # stale, from a server that died
        self.socket_dir = self._pick_socket_dir(user)
        options = f"-c listen_addresses='' -k {self.socket_dir}"
        if self.fast_and_unsafe:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(
            bindir,
            [
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
            ],
            user,
        )
        self.started_here = True
        return self.url()

    def stop(self) -> None:
        if not self.started_here:
            return
        self.started_here = False
        self._run(
            find_bindir(),
            ["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
            _service_user(),
        )


def _running_socket_dir(pid_file: Path) -> Path | None:
    """The socket directory of a live server recorded in postmaster.pid, if there is one."""
    try:
        lines = pid_file.read_text().splitlines()
        pid = int(lines[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    # Line 5 of postmaster.pid is the socket directory (PostgreSQL's LOCK_FILE_LINE_SOCKET_DIR).
    return Path(lines[4]) if len(lines) > 4 and lines[4] else None
