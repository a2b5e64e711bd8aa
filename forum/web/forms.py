"""Reading submitted forms: text normalised the same way everywhere, bad numbers answered 400.

Browsers send newlines as CRLF; we store LF so that a 20,000-character limit means the same in
the textarea, in Python and in PostgreSQL. NUL characters cannot be stored in PostgreSQL text
and have no place in a post, so they are dropped here rather than failing deep in a query.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass

from aiohttp import web
from multidict import MultiDictProxy


class BadForm(web.HTTPBadRequest):
    """A field that a real form of ours would never send (not a number where one is expected)."""


def clean_text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


@dataclass(frozen=True, slots=True)
class Form:
    data: MultiDictProxy[str | bytes | web.FileField]

    def text(self, name: str, default: str = "") -> str:
        value = self.data.get(name, default)
        return clean_text(value) if isinstance(value, str) else default

    def optional(self, name: str) -> str | None:
        """The field's text, or None when the form did not send it at all."""
        return self.text(name) if name in self.data else None

    def flag(self, name: str) -> bool:
        return self.text(name) in ("on", "true", "1", "yes")

    def int(self, name: str) -> int:
        raw = self.text(name).strip()
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            raise BadForm(reason=f"{name} must be a whole number")
        return int(raw)

    def optional_int(self, name: str) -> builtins.int | None:
        return self.int(name) if self.text(name).strip() else None


async def read(request: web.Request) -> Form:
    try:
        return Form(await request.post())  # type: ignore[arg-type]
    except (ValueError, LookupError):  # not UTF-8, or an unknown charset: no form of ours
        raise BadForm(reason="The form could not be read") from None


def int_param(request: web.Request, name: str) -> int:
    """A numeric path segment; anything that is not a plausible id is simply not found."""
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise web.HTTPNotFound()
    return int(raw)


def id_query(request: web.Request, name: str) -> int | None:
    """An id from the query string (a keyset cursor from our own "older" link), or None for
    anything that is not one: a mangled cursor shows the first page rather than an error."""
    raw = request.query.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 18 else None
