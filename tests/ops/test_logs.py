"""The worker's log: quiet about repeats (once per kind a minute, with a count), tracebacks kept
only where they explain something (ours), and JSON lines on request."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from forum.ops import logs


def failure(logger: str, message: str = "%s failed") -> logging.LogRecord:
    try:
        raise ConnectionRefusedError("refused")
    except ConnectionRefusedError:
        exc_info = sys.exc_info()
    return logging.LogRecord(logger, logging.ERROR, __file__, 1, message, ("round",), exc_info)


def test_our_first_failure_of_a_kind_keeps_its_traceback_and_a_librarys_does_not() -> None:
    quiet = logs.QuietErrors(clock=lambda: 0.0, tracebacks_of="forum")
    ours, theirs = failure("forum.live.background"), failure("asyncpg.pool")

    assert quiet.filter(ours)
    assert quiet.filter(theirs)

    assert ours.exc_info is not None
    assert theirs.exc_info is None
    assert theirs.getMessage() == "round failed (ConnectionRefusedError)"


def test_a_logger_named_like_ours_is_not_ours() -> None:
    quiet = logs.QuietErrors(clock=lambda: 0.0, tracebacks_of="forum")
    lookalike = failure("forumlike.thing")
    assert quiet.filter(lookalike)
    assert lookalike.exc_info is None


def test_repeats_are_held_per_logger_message_and_exception_type() -> None:
    now = [0.0]
    quiet = logs.QuietErrors(clock=lambda: now[0], tracebacks_of="forum")

    assert quiet.filter(failure("forum.a"))
    assert not quiet.filter(failure("forum.a"))
    assert quiet.filter(failure("forum.b"))  # another logger: another kind
    assert quiet.filter(failure("forum.a", "%s went wrong"))  # another message: another kind
    now[0] = 61
    later = failure("forum.a")
    assert quiet.filter(later)
    assert later.getMessage().endswith("[and 1 more like it in the last 60s]")


def test_json_lines_carry_the_record_and_its_exception() -> None:
    record = failure("forum.web.errors")

    line = json.loads(logs.JsonLines().format(record))

    assert line["level"] == "error"
    assert line["logger"] == "forum.web.errors"
    assert line["message"] == "round failed"
    assert line["error"] == "ConnectionRefusedError"
    assert "ConnectionRefusedError: refused" in line["traceback"]
    assert line["pid"] > 0
    assert line["time"].endswith("+00:00")


@pytest.mark.parametrize(("chosen", "formatter"), [("json", logs.JsonLines), ("text", None)])
def test_configure_installs_one_quiet_handler_in_the_chosen_format(
    chosen: str, formatter: type | None
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("json" if chosen == "json" else "text")
        (handler,) = root.handlers
        assert any(isinstance(f, logs.QuietErrors) for f in handler.filters)
        if formatter is not None:
            assert isinstance(handler.formatter, formatter)
        else:
            assert not isinstance(handler.formatter, logs.JsonLines)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
