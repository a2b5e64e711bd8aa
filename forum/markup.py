"""Post bodies: Markdown in, safe HTML out. The only module that imports bleach.

`render` is the single function behind both the draft preview and the published post, so what
an author previews is byte for byte what readers get. It runs at publish time and the result is
stored, so reading a topic never renders Markdown.

Two layers, both allow-lists: markdown-it-py with raw HTML turned off (a `<script>` typed into a
post is shown as text), then bleach keeps only the tags, attributes and URL schemes below and
drops everything else. Images are not allowed at all: a remote image in a support group would
tell a third party who is reading, and when. Every link gets rel="nofollow ugc noopener".

Rendering is bounded before it starts. A Markdown table's rows are padded to its header's width,
so a 20,000-character draft with a 300-column header and thousands of one-character lines
becomes a table of hundreds of thousands of cells and seconds of work: `problems` counts the
cells a table can have (its delimiter row's columns times the lines that follow it) and the
depth of quotes, in one pass over the text, and `render` refuses what goes over, saying why.
(markdown-it itself caps list and other nesting at 20 levels.)
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

#: The most cells all of a post's tables may have together, and the deepest quote.
MAX_TABLE_CELLS = 2_000
MAX_QUOTE_DEPTH = 10
_DELIMITER_CHARS = frozenset("|:- \t")


class TooComplex(ValueError):
    """A post whose tables or quotes go over the limits above; the message says which."""


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


def _quote_depth(line: str) -> tuple[int, str]:
    """How many `>` open the line, and the rest of it."""
    depth, rest = 0, line.lstrip(" \t")
    while rest.startswith(">"):
        depth += 1
        rest = rest[1:].lstrip(" \t")
    return depth, rest


def problems(source: str) -> list[str]:
    """What makes `source` too heavy to render, in words for its author (empty: nothing)."""
    cells, deepest, columns = 0, 0, 0
    for line in source.splitlines():
        depth, rest = _quote_depth(line)
        deepest = max(deepest, depth)
        if not rest.strip():
            columns = 0  # a blank line ends any table
        elif "|" in rest and "-" in rest and set(rest) <= _DELIMITER_CHARS:
            columns = max(1, len(rest.strip().strip("|").split("|")))
            cells += 2 * columns  # the header and the delimiter row
        else:
            cells += columns
    found = []
    if cells > MAX_TABLE_CELLS:
        found.append(
            f"Your tables would have about {cells:,} cells; a post can hold at most"
            f" {MAX_TABLE_CELLS:,}. Your text is still here: make the tables smaller (or end"
            " each with an empty line), or split the post."
        )
    if deepest > MAX_QUOTE_DEPTH:
        found.append(
            f"Quotes are nested {deepest} deep; a post can nest them at most {MAX_QUOTE_DEPTH}."
        )
    return found


def render(source: str) -> str:
    """Markdown to sanitised HTML, for previews and for publishing alike; raises TooComplex
    for a post over the limits (see `problems`)."""
    found = problems(source)
    if found:
        raise TooComplex(" ".join(found))
    return _cleaner.clean(_markdown.render(source)).strip()


def list_items(source: str) -> list[str]:
    """The plain text of each top-level list item's first paragraph, in order: how site rules
    and group guidelines become a list a moderator chooses from."""
    tokens = _markdown.parse(source)
    items: list[str] = []
    for at, token in enumerate(tokens[:-2]):
        if token.type == "list_item_open" and token.level == 1:
            inline = tokens[at + 2]
            if inline.type != "inline":
                continue
            words = "".join(
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in inline.children or ()
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            )
            if text := " ".join(words.split()):
                items.append(text)
    return items
