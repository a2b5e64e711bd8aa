"""forum.markup.render: Markdown in, allow-listed HTML out, whatever the author types."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from forum.markup import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, LINK_REL, render


class Elements(HTMLParser):
    """Every start tag with its attributes (names lower-cased, values unescaped), plus oddities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.ends: list[str] = []
        self.other: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.ends.append(tag)

    def handle_comment(self, data: str) -> None:
        self.other.append(f"comment {data!r}")

    def handle_decl(self, decl: str) -> None:
        self.other.append(f"declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.other.append(f"processing instruction {data!r}")

    def unknown_decl(self, data: str) -> None:
        self.other.append(f"unknown declaration {data!r}")


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def links(html: str) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in elements(html).starts if tag == "a"]


def _scheme(href: str) -> str | None:
    """The scheme a browser would see: control characters and whitespace are ignored in it."""
    squashed = re.sub(r"[\x00-\x20\x7f]", "", href).lower()
    match = re.match(r"([a-z][a-z0-9+.\-]*):", squashed)
    return match.group(1) if match else None


def assert_safe(html: str) -> None:
    found = elements(html)
    assert found.other == [], html
    for tag in [t for t, _ in found.starts] + found.ends:
        assert tag in ALLOWED_TAGS, (tag, html)
    for tag, attrs in found.starts:
        allowed = set(ALLOWED_ATTRIBUTES.get(tag, ())) | ({"rel"} if tag == "a" else set())
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            assert name in allowed, (tag, name, html)
            if name == "href":
                assert value is not None
                squashed = re.sub(r"[\x00-\x20\x7f]", "", value).lower()
                assert "javascript:" not in squashed, html
                scheme = _scheme(value)
                assert scheme is None or scheme in ALLOWED_PROTOCOLS, (value, html)
        if tag == "a":
            assert attrs.get("rel") == LINK_REL, html


# -- Markdown is rendered ---------------------------------------------------------------------


def test_bold_and_italic_are_rendered() -> None:
    assert render("**strong** and *soft*") == "<p><strong>strong</strong> and <em>soft</em></p>"


def test_bullet_list_is_rendered() -> None:
    assert render("- one\n- two") == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"


def test_numbered_list_keeps_its_start_number() -> None:
    html = render("3. three\n4. four")
    assert elements(html).starts[0] == ("ol", {"start": "3"})
    assert "<li>three</li>" in html


def test_link_is_rendered_with_its_text() -> None:
    assert links(render("[a helpline](https://example.org/help)")) == [
        {"href": "https://example.org/help", "rel": LINK_REL}
    ]
    assert ">a helpline</a>" in render("[a helpline](https://example.org/help)")


def test_link_title_is_kept() -> None:
    assert links(render('[a](https://example.org "More")'))[0]["title"] == "More"


def test_inline_code_is_rendered_and_its_html_escaped() -> None:
    assert render("use `<b>` here") == "<p>use <code>&lt;b&gt;</code> here</p>"


def test_fenced_code_block_is_rendered_and_its_html_escaped() -> None:
    assert render("```\n<script>x()</script>\n```") == (
        "<pre><code>&lt;script&gt;x()&lt;/script&gt;\n</code></pre>"
    )


def test_blockquote_is_rendered() -> None:
    assert render("> you are not alone") == "<blockquote>\n<p>you are not alone</p>\n</blockquote>"


def test_strikethrough_is_kept() -> None:
    html = render("I ~~can't~~ can do this")
    assert "can't" in html
    assert {t for t, _ in elements(html).starts} & {"s", "del"}


def test_table_is_rendered() -> None:
    html = render("| day | mood |\n| --- | --- |\n| mon | low |")
    assert [t for t, _ in elements(html).starts] == [
        "table",
        "thead",
        "tr",
        "th",
        "th",
        "tbody",
        "tr",
        "td",
        "td",
    ]


def test_top_level_heading_becomes_h3() -> None:
    assert render("# My story") == "<h3>My story</h3>"


def test_second_level_heading_becomes_h4() -> None:
    assert render("## Later") == "<h4>Later</h4>"


def test_deep_headings_stop_at_h6() -> None:
    assert render("#### four\n\n##### five\n\n###### six") == (
        "<h6>four</h6>\n<h6>five</h6>\n<h6>six</h6>"
    )


def test_no_heading_level_competes_with_the_page_headings() -> None:
    html = render("# a\n## b\n### c\n\nSetext\n===\n\nSetext two\n---")
    assert {t for t, _ in elements(html).starts} <= {"h3", "h4", "h5"}
    assert "<h1" not in html
    assert "<h2" not in html


def test_bare_url_becomes_a_link() -> None:
    assert links(render("see https://example.org/page now")) == [
        {"href": "https://example.org/page", "rel": LINK_REL}
    ]


def test_bare_www_address_becomes_a_link() -> None:
    assert links(render("see www.example.org")) == [
        {"href": "http://www.example.org", "rel": LINK_REL}
    ]


def test_url_inside_code_is_not_linkified() -> None:
    assert links(render("`https://example.org`")) == []


def test_mailto_link_is_kept() -> None:
    assert links(render("[write](mailto:help@example.org)"))[0]["href"] == (
        "mailto:help@example.org"
    )


def test_relative_link_is_kept() -> None:
    assert links(render("[the grief group](/g/grief)"))[0]["href"] == "/g/grief"


def test_empty_source_renders_empty() -> None:
    assert render("") == ""


def test_unicode_text_survives() -> None:
    assert render("Ça va 💔 — مرحبا") == "<p>Ça va 💔 — مرحبا</p>"


# -- Raw HTML and dangerous links ---------------------------------------------------------------


def test_script_tag_is_shown_as_text() -> None:
    html = render("<script>alert(1)</script>")
    assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_raw_html_block_is_shown_as_text() -> None:
    html = render('<div onclick="steal()">hi</div>')
    assert elements(html).starts == [("p", {})]
    assert "&lt;div" in html


def test_inline_raw_html_is_shown_as_text() -> None:
    html = render("hello <b onmouseover=x()>you</b>")
    assert elements(html).starts == [("p", {})]
    assert "&lt;b onmouseover=x()&gt;" in html


def test_iframe_and_style_are_shown_as_text() -> None:
    html = render("<iframe src=//evil.example></iframe><style>body{display:none}</style>")
    assert [t for t, _ in elements(html).starts] == ["p"]


def test_html_comment_does_not_survive() -> None:
    assert elements(render("a <!-- hidden --> b")).other == []


def test_javascript_link_is_dropped() -> None:
    html = render("[click](javascript:alert(1))")
    assert links(html) == []
    assert_safe(html)


def test_mixed_case_javascript_link_is_dropped() -> None:
    assert links(render("[click](JaVaScRiPt:alert(1))")) == []


def test_entity_encoded_javascript_link_is_dropped() -> None:
    assert links(render("[click](&#106;avascript:alert(1))")) == []


def test_reference_style_javascript_link_is_dropped() -> None:
    assert links(render("[click][x]\n\n[x]: javascript:alert(1)")) == []


def test_autolink_with_javascript_scheme_is_dropped() -> None:
    assert links(render("<javascript:alert(1)>")) == []


def test_data_link_is_dropped() -> None:
    assert links(render("[click](data:text/html;base64,PHNjcmlwdD4=)")) == []


def test_vbscript_link_is_dropped() -> None:
    assert links(render("[click](vbscript:msgbox)")) == []


def test_quote_in_link_destination_cannot_add_an_attribute() -> None:
    html = render('[a](http://x.example/"onmouseover="alert(1))')
    assert_safe(html)
    assert all(set(a) <= {"href", "rel"} for a in links(html))


def test_markdown_image_never_becomes_an_img() -> None:
    html = render("![me](https://tracker.example/pixel.png)")
    assert "img" not in [t for t, _ in elements(html).starts]
    assert "<img" not in html


def test_raw_img_tag_never_becomes_an_img() -> None:
    html = render('<img src="https://tracker.example/p.png" onerror="alert(1)">')
    assert "img" not in [t for t, _ in elements(html).starts]


def test_every_link_gets_rel_nofollow_ugc_noopener() -> None:
    html = render(
        "[a](https://a.example.org) <https://b.example.org> https://c.example.org www.d.example.org"
    )
    found = links(html)
    assert len(found) == 4
    assert all(a["rel"] == "nofollow ugc noopener" for a in found)


def test_allowed_tags_do_not_include_img_script_or_style() -> None:
    assert not ALLOWED_TAGS & {"img", "script", "style", "iframe", "object", "embed", "svg"}


# -- Hostile input, generated -------------------------------------------------------------------

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    '<iframe src="//evil.example.org"></iframe>',
    "<style>body{display:none}</style>",
    "<b onmouseover=alert(1)>x</b>",
    "<script>",
    "</script>",
    "<script src=//evil.example/x.js>",
    "alert(1)",
    "<img src=x ",
    "onerror=",
    "onerror=alert(1)>",
    " onload=",
    "<svg/onload=alert(1)>",
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    "java&#x09;script:",
    "&#106;avascript:",
    "&#x6A;avascript:",
    "data:text/html,",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:",
    "<iframe src=",
    "</iframe>",
    "<style>",
    "</style>",
    "<object data=",
    "<embed src=",
    '<a href="',
    "<a href='",
    '">',
    "'>",
    "</a>",
    "[",
    "]",
    "(",
    ")",
    "](",
    "![",
    "](javascript:alert(1))",
    "](https://example.org)",
    "[x]: javascript:alert(1)\n",
    "<",
    ">",
    "<http://",
    "<https://",
    "https://example.org/?q=<b>",
    "www.example.org",
    '"',
    "'",
    "`",
    "```\n",
    "\n",
    "\n\n",
    "\t",
    "    ",
    "*",
    "**",
    "_",
    "#",
    "## ",
    "> ",
    "- ",
    "1. ",
    "|",
    "| --- |\n",
    "~~",
    "&",
    "&lt;",
    "&amp;",
    "&#0;",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE html>",
    "<?php ",
    "<math>",
    "<form action=",
    "<input ",
    "<base href=",
    "<meta http-equiv=refresh ",
    "<body onload=",
    "style=",
    "expression(",
    "\u202e",
    "\u200b",
    "\x00",
    "\x0b",
    "é",
    "💔",
    "مرحبا",
    "\ufeff",
    "\ud7ff",
]

hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_hostile_input_never_yields_a_tag_outside_the_allow_list(source: str) -> None:
    html = render(source)
    found = elements(html)
    assert {t for t, _ in found.starts} | set(found.ends) <= ALLOWED_TAGS, html


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_hostile_input_never_yields_an_event_handler_attribute(source: str) -> None:
    for _tag, attrs in elements(render(source)).starts:
        assert not [name for name in attrs if name.startswith("on")]


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_hostile_input_never_yields_a_script_link(source: str) -> None:
    for attrs in links(render(source)):
        href = re.sub(r"[\x00-\x20\x7f]", "", attrs.get("href") or "").lower()
        # "javascript:" may sit harmlessly inside an http URL's path (hypothesis found
        # http://[x](javascript:alert(1))); what matters is the scheme the browser acts on.
        assert not href.startswith(("javascript:", "vbscript:", "data:"))
        scheme = _scheme(href)
        assert scheme is None or scheme in ALLOWED_PROTOCOLS


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_hostile_input_yields_only_allow_listed_attributes_and_rel_on_every_link(
    source: str,
) -> None:
    assert_safe(render(source))
