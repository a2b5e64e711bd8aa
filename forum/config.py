"""Settings read once from the environment into a frozen dataclass.

Every variable of the contract is parsed here and nowhere else, so that a bad value stops start-up
with one line naming the variable (ConfigError) rather than a traceback deep inside a request.
The signing secret is generated once into the data directory so that every process and every
restart share it, which keeps sessions and CSRF tokens valid across N workers. Nothing uses it
directly: `Settings.key(purpose)` derives a separate key for each use (HKDF).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: A neutral, everyday page: what a quick exit leaves on the screen (GOV.UK's pattern uses it too).
DEFAULT_QUICK_EXIT_URL = "https://www.bbc.co.uk/weather"


class ConfigError(Exception):
    """A configuration value is unusable; the message names the variable."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: What a key derived from the secret is for: each use has its own, so one leaked key (a
#: webhook receiver's, say) gives nothing towards the others.
Purpose = Literal["csrf", "rate-limits", "webhooks", "identities", "live-events"]


@functools.lru_cache(maxsize=32)
def derive_key(secret: bytes, purpose: Purpose) -> bytes:
    """HKDF-SHA256 (RFC 5869) of the forum secret, one 32-byte key per purpose."""
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"forum:" + purpose.encode())
    return kdf.derive(secret)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str | None
    data_dir: Path
    host: str
    port: int
    secret: bytes
    #: Where the quick-exit button sends a reader who needs to leave at once: a neutral site.
    quick_exit_url: str = DEFAULT_QUICK_EXIT_URL
    #: FORUM_BENCHMARK_NO_RATE_LIMITS=1: for `make bench` only, never a real forum. Lifts the
    #: per-member draft and publish limits, which a load test would otherwise hit in seconds.
    benchmark_no_rate_limits: bool = False
    #: FORUM_TRUSTED_PROXIES: the proxies whose X-Forwarded-For / X-Forwarded-Proto are believed.
    trusted_proxies: tuple[Network, ...] = ()
    #: FORUM_SHUTDOWN_SECONDS: how long a stopping worker lets requests in flight finish.
    shutdown_seconds: float = 5.0
    #: FORUM_DB_ACQUIRE_SECONDS: how long a request waits for a database connection before the
    #: member gets a calm "try again" page (503) instead of a hung request.
    db_acquire_seconds: float = 5.0
    #: FORUM_DB_STATEMENT_SECONDS: how long one statement may run before PostgreSQL cancels it.
    db_statement_seconds: float = 10.0
    #: FORUM_LOG_FORMAT: "text" (a line each) or "json" (an object each, for log collectors).
    log_format: Literal["text", "json"] = "text"
    #: FORUM_METRICS_FROM: who besides loopback may read /metrics (it tells how long a crisis
    #: has waited, so it is not public).
    metrics_from: tuple[Network, ...] = ()

    def with_database(self, url: str) -> Settings:
        return replace(self, database_url=url)

    def key(self, purpose: Purpose) -> bytes:
        return derive_key(self.secret, purpose)


def parse_networks(name: str, raw: str) -> tuple[Network, ...]:
    """Comma-separated addresses or CIDRs ("10.0.0.0/8, ::1")."""
    found = []
    for part in raw.split(","):
        if not part.strip():
            continue
        try:
            found.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{name} must list IP addresses or CIDRs separated by commas, got {part.strip()!r}"
            ) from None
    return tuple(found)


def check_database_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(f"{name} must be a postgresql:// URL, got scheme {parts.scheme!r}")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise ConfigError(f"{name} has an invalid port: {exc}") from None
    return url


def check_quick_exit_url(name: str, url: str) -> str:
    """An absolute http(s) URL: a relative one would keep the reader on the forum."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an absolute http:// or https:// URL, got {url!r}")
    if any(c < " " or c == "\x7f" for c in url):
        raise ConfigError(f"{name} must not contain control characters")
    return url


def parse_seconds(name: str, raw: str, low: float, high: float) -> float:
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not low <= seconds <= high:  # also refuses nan
        raise ConfigError(f"{name} must be from {low:g} to {high:g} seconds, got {raw}")
    return seconds


def _log_format(raw: str) -> Literal["text", "json"]:
    if raw == "text":
        return "text"
    if raw == "json":
        return "json"
    raise ConfigError(f"FORUM_LOG_FORMAT must be text or json, got {raw!r}")


def parse_port(name: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number from 1 to 65535, got {raw!r}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name} must be a number from 1 to 65535, got {port}")
    return port


def _secret(env: Mapping[str, str], data_dir: Path) -> bytes:
    if env.get("FORUM_SECRET"):
        value = env["FORUM_SECRET"]
        if len(value) < 16:
            raise ConfigError("FORUM_SECRET must be at least 16 characters")
        return value.encode()
    path = data_dir / "secret"
    try:
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two workers starting together must end up with the same secret.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_urlsafe(48))
        value = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"FORUM_DATA_DIR ({data_dir}) is not writable: {exc.strerror}") from None
    if not value:
        raise ConfigError(f"FORUM_DATA_DIR holds an empty secret file: {path}")
    return value.encode()


def load(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    url = env.get("DATABASE_URL") or None
    if url is not None:
        check_database_url("DATABASE_URL", url)
    data_dir = Path(env.get("FORUM_DATA_DIR") or "./var").resolve()
    host = env.get("FORUM_HOST") or "127.0.0.1"
    port = parse_port("FORUM_PORT", env.get("FORUM_PORT") or "8080")
    quick_exit_url = check_quick_exit_url(
        "FORUM_QUICK_EXIT_URL", env.get("FORUM_QUICK_EXIT_URL") or DEFAULT_QUICK_EXIT_URL
    )
    return Settings(
        database_url=url,
        data_dir=data_dir,
        host=host,
        port=port,
        secret=_secret(env, data_dir),
        quick_exit_url=quick_exit_url,
        benchmark_no_rate_limits=_flag(env, "FORUM_BENCHMARK_NO_RATE_LIMITS"),
        trusted_proxies=parse_networks(
            "FORUM_TRUSTED_PROXIES", env.get("FORUM_TRUSTED_PROXIES") or ""
        ),
        shutdown_seconds=parse_seconds(
            "FORUM_SHUTDOWN_SECONDS", env.get("FORUM_SHUTDOWN_SECONDS") or "5", 0.5, 300
        ),
        db_acquire_seconds=parse_seconds(
            "FORUM_DB_ACQUIRE_SECONDS", env.get("FORUM_DB_ACQUIRE_SECONDS") or "5", 0.1, 60
        ),
        db_statement_seconds=parse_seconds(
            "FORUM_DB_STATEMENT_SECONDS", env.get("FORUM_DB_STATEMENT_SECONDS") or "10", 1, 3600
        ),
        log_format=_log_format(env.get("FORUM_LOG_FORMAT") or "text"),
        metrics_from=parse_networks("FORUM_METRICS_FROM", env.get("FORUM_METRICS_FROM") or ""),
    )


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name) or "0"
    if raw not in ("0", "1"):
        raise ConfigError(f"{name} must be 0 or 1, got {raw!r}")
    return raw == "1"
