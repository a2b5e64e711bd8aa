"""Post bodies: Markdown in, safe HTML out. The only module that imports bleach.

`render` is the single function behind both the draft preview and the published post, so what
an author previews is byte for byte what readers get. It runs at publish time and the result is
stored, so reading a topic never renders Markdown.

Two layers, both allow-lists: markdown-it-py with raw HTML turned off (a `<script>` typed into a
post is shown as text), then bleach keeps only the tags, attributes and URL schemes below and
drops everything else. Images are not allowed at all: a remote image in a support group would
tell a third party who is reading, and when. Every link gets rel="nofollow ugc noopener".
"""

from __future__ import annotations

from collections.abc import MutableMapping
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "em",
        "s",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "ol": ["start"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable(["strikethrough", "table"])
    .disable("image")
)


def _heading_level(tag: str) -> int:
    """Headings 1 and 2 would compete with the page's own headings: shift every level down by two."""
    return min(int(tag[1]) + 2, 6)


def _heading_open(renderer: object, tokens: list, idx: int, options: object, env: object) -> str:  # type: ignore[type-arg]
    return f"<h{_heading_level(tokens[idx].tag)}>"


def _heading_close(renderer: object, tokens: list, idx: int, options: object, env: object) -> str:  # type: ignore[type-arg]
    return f"</h{_heading_level(tokens[idx].tag)}>\n"


_markdown.add_render_rule("heading_open", _heading_open)
_markdown.add_render_rule("heading_close", _heading_close)


def _set_link_rel(
    attrs: MutableMapping[tuple[str | None, str], str], new: bool = False
) -> MutableMapping[tuple[str | None, str], str]:
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.sanitizer.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[
        partial(
            LinkifyFilter, callbacks=[_set_link_rel], skip_tags={"pre", "code"}, parse_email=False
        )
    ],
)


def render(source: str) -> str:
    """Markdown to sanitised HTML, for previews and for publishing alike."""
    return _cleaner.clean(_markdown.render(source)).strip()
