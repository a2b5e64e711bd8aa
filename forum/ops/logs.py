"""The serving process's log: one line (or one JSON object) per record, and no floods.

A failure that repeats (a database outage makes every request and every background round fail
the same way; a client can send thousands of malformed requests) is logged once per kind a
minute with a count of the ones held back, never once per occurrence: one outage used to write
2,816 tracebacks in 30 seconds. The kind is the logger, the message's format string and the
exception's type and where it was raised, so different failures are never merged. Libraries' records lose their traceback
(aiohttp's per-request one is always the same, and a probe once wrote 222 MB of them; asyncpg's
says a connection was refused); ours keep it on the first of each kind, which explains the rest.

FORUM_LOG_FORMAT=json writes one JSON object a line (time, level, logger, pid, message, and the
exception's type and traceback when there is one) for log collectors. Nothing here adds fields
from requests: what the forum logs is ids, methods and paths, never bodies, query strings,
passwords, tokens or who wrote an anonymous post.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any, Literal

QUIET_SECONDS = 60.0
TEXT_FORMAT = "%(asctime)s %(process)d %(name)s %(message)s"


#: Kinds remembered at most; beyond, those quiet for a minute are forgotten.
MAX_KINDS = 1000


def _raised_at(record: logging.LogRecord) -> str:
    """Where the exception was raised (file and line of the innermost frame): two different
    bugs behind one log message are two kinds."""
    if not record.exc_info or record.exc_info[2] is None:
        return ""
    tb = record.exc_info[2]
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"


class QuietErrors(logging.Filter):
    """One record per kind of failure a minute, with a count of the ones held back.

    Records below WARNING pass. The first of a kind in a minute passes, without its traceback
    unless it comes from a logger under `tracebacks_of` (ours: a library's traceback of a lost
    connection says nothing the message does not); the rest are counted, and the count goes out
    with the next one logged after the minute.
    """

    def __init__(
        self, seconds: float = QUIET_SECONDS, clock: Any = None, *, tracebacks_of: str = ""
    ) -> None:
        super().__init__()
        self._seconds = seconds
        self._clock = clock or time.monotonic
        self._tracebacks_of = tracebacks_of
        self._last: dict[tuple[str, str, str, str], float] = {}
        self._held: dict[tuple[str, str, str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, str(record.msg), kind, _raised_at(record))
        now = self._clock()
        if now - self._last.get(key, -self._seconds) < self._seconds:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        if len(self._last) >= MAX_KINDS:  # bounded memory, whatever is logged
            self._last = {k: t for k, t in self._last.items() if now - t < self._seconds}
        self._last[key] = now
        held = self._held.pop(key, 0)
        record.msg = f"{record.getMessage()}{f' ({kind})' if kind else ''}" + (
            f" [and {held} more like it in the last {self._seconds:.0f}s]" if held else ""
        )
        record.args = None
        ours = self._tracebacks_of and (
            record.name == self._tracebacks_of or record.name.startswith(self._tracebacks_of + ".")
        )
        if not ours:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[0] is not None:
            out["error"] = record.exc_info[0].__name__
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure(log_format: Literal["text", "json"]) -> None:
    """The worker's logging: INFO and above to stderr, quiet about repeats, in `log_format`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(QuietErrors(tracebacks_of="forum"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
