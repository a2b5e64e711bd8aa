"""What a signed-in reader's preferences do to the pages they read.

Visitors always get the forum's defaults (every warned post closed, standard text size), so a
visitor's page is the same for every visitor and may be cached; only a member's own pages vary.
Words are matched case-insensitively as whole words or phrases (Discourse's watched words do the
same: one alternation per list, bounded by non-word characters), against the text a reader would
see, never against markup, so "class" does not match an HTML attribute.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from forum.storage.preferences import DEFAULTS, Preferences

TEXT_SIZES = {"standard": "Standard", "large": "Large", "larger": "Larger"}
MAX_WORDS = 50
MAX_WORD_LENGTH = 60

_TAG = re.compile(r"<[^>]*>")


class PreferenceProblem(ValueError):
    """A preference the member typed cannot be used; the message says why, kindly."""


def parse_words(raw: str, what: str) -> tuple[str, ...]:
    """One word or phrase per line (commas work too); duplicates and blank lines dropped."""
    words: list[str] = []
    seen: set[str] = set()
    for part in re.split(r"[\n,]", raw):
        word = " ".join(part.split())
        if not word or word.casefold() in seen:
            continue
        if len(word) > MAX_WORD_LENGTH:
            raise PreferenceProblem(
                f"“{word[:20]}…” in {what} is longer than {MAX_WORD_LENGTH} characters."
                " Please shorten it."
            )
        seen.add(word.casefold())
        words.append(word)
    if len(words) > MAX_WORDS:
        raise PreferenceProblem(
            f"{what.capitalize()} can hold up to {MAX_WORDS} words or phrases;"
            f" you have {len(words)}. Please keep the ones that matter most."
        )
    return tuple(words)


def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    # Inner whitespace matches any run of whitespace, so a phrase survives a line break.
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in word.split()) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def visible_text(body_html: str) -> str:
    return html.unescape(_TAG.sub(" ", body_html))


@dataclass(frozen=True, slots=True)
class Reader:
    """Preferences made ready for a page: the patterns are compiled once per request."""

    prefs: Preferences
    _hide: re.Pattern[str] | None
    _collapse: re.Pattern[str] | None

    @property
    def html_class(self) -> str:
        return "" if self.prefs.text_size == "standard" else f"text-{self.prefs.text_size}"

    def hides(self, body_html: str, warning: str = "") -> bool:
        """The post holds a word this reader asked never to be shown without asking."""
        if self._hide is None:
            return False
        return bool(self._hide.search(warning) or self._hide.search(visible_text(body_html)))

    def opens(self, warning: str) -> bool:
        """A warned post starts open only if the reader chose that and no word of theirs is in
        the warning."""
        if not self.prefs.open_warnings:
            return False
        return self._collapse is None or not self._collapse.search(warning)


def reader_for(prefs: Preferences) -> Reader:
    return Reader(prefs, _pattern(prefs.hide_words), _pattern(prefs.collapse_words))


VISITOR = reader_for(DEFAULTS)
