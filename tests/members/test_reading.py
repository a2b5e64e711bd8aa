"""Reading preferences applied: whole-word, case-insensitive matching, and warnings opened or not."""

from __future__ import annotations

from typing import TypedDict, Unpack

import pytest

from forum.members import reading
from forum.storage.preferences import Preferences


class PreferenceFields(TypedDict, total=False):
    text_size: str
    open_warnings: bool
    collapse_words: tuple[str, ...]
    hide_words: tuple[str, ...]


def reader(**prefs: Unpack[PreferenceFields]) -> reading.Reader:
    return reading.reader_for(Preferences(**prefs))


def test_visitors_read_with_every_warning_closed_and_nothing_hidden() -> None:
    assert not reading.VISITOR.opens("grief")
    assert not reading.VISITOR.hides("<p>anything at all</p>")
    assert reading.VISITOR.html_class == ""


@pytest.mark.parametrize(
    "body", ["<p>I tried to cut myself</p>", "<p>CUT.</p>", "<p>cut</p>", "<p>a\n<em>cut</em></p>"]
)
def test_a_hidden_word_hides_the_post_in_any_capitals(body: str) -> None:
    assert reader(hide_words=("Cut",)).hides(body)


@pytest.mark.parametrize("body", ["<p>a new haircut</p>", "<p>shortcuts</p>", "<p>cutting</p>"])
def test_a_hidden_word_only_counts_as_a_whole_word(body: str) -> None:
    assert not reader(hide_words=("cut",)).hides(body)


def test_a_hidden_phrase_matches_across_a_line_break() -> None:
    assert reader(hide_words=("baby loss",)).hides("<p>after the baby\nloss I</p>")


def test_markup_is_not_matched_only_the_text_readers_see() -> None:
    body = '<p><a href="https://example.org/relapse" rel="nofollow">a link</a></p>'
    assert not reader(hide_words=("relapse", "nofollow")).hides(body)


def test_entities_are_matched_as_the_characters_they_show() -> None:
    assert reader(hide_words=("mum's",)).hides("<p>my mum&#x27;s funeral</p>")


def test_a_hidden_word_in_the_warning_hides_the_post() -> None:
    assert reader(hide_words=("overdose",)).hides("<p>hard night</p>", "overdose")


def test_words_with_regex_characters_are_taken_literally() -> None:
    assert not reader(hide_words=("a.b",)).hides("<p>axb</p>")
    assert reader(hide_words=("c++",)).hides("<p>I code in C++ now</p>")


def test_warned_posts_open_only_for_readers_who_chose_so() -> None:
    assert not reader().opens("grief")
    assert reader(open_warnings=True).opens("grief")


def test_warnings_naming_a_collapse_word_stay_closed_for_readers_who_open_the_rest() -> None:
    chosen = reader(open_warnings=True, collapse_words=("suicide", "baby loss"))
    assert not chosen.opens("Suicide mention")
    assert not chosen.opens("about baby loss")
    assert chosen.opens("alcohol")


def test_text_size_becomes_a_class_on_the_page() -> None:
    assert reader(text_size="larger").html_class == "text-larger"


def test_words_are_read_one_per_line_or_comma_without_blanks_or_repeats() -> None:
    assert reading.parse_words("cut\n\n  baby   loss , Cut\r\nrelapse", "x") == (
        "cut",
        "baby loss",
        "relapse",
    )


def test_too_many_words_are_refused_with_a_kind_message() -> None:
    with pytest.raises(reading.PreferenceProblem, match="up to 50"):
        reading.parse_words("\n".join(f"w{i}" for i in range(51)), "the words that hide posts")


def test_a_very_long_word_is_refused_naming_it() -> None:
    with pytest.raises(reading.PreferenceProblem, match="longer than 60"):
        reading.parse_words("x" * 61, "the words that hide posts")
