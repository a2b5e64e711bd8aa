"""The crisis scanner (issue 5): what it catches, what it leaves alone, and how well on a corpus.

No database: the scanner is pure. Hostile spellings are generated with hypothesis; the
evaluation test scores `tests/data/crisis_corpus.jsonl` and fails below the issue's targets.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.moderation.crisis import evaluation
from forum.moderation.crisis.scanner import Lexicon, Match, ScanResult
from forum.moderation.crisis.scanner import scan_lexicon as scan
from tests import DATA

CORPUS = DATA / "crisis_corpus.jsonl"


def level(text: str) -> str:
    return scan(text).level


# The result and its explanation


def test_a_match_points_at_the_members_own_words_in_the_original_text() -> None:
    text = "Ça va? 😔 Honestly I'm going to KILL MYSELF tonight."

    result = scan(text)

    assert result.level == "urgent"
    [match] = [m for m in result.matches if m.category == "intent"]
    assert match.excerpt == text[match.start : match.end]
    assert "KILL MYSELF" in match.excerpt
    assert match.phrase == "kill myself"


def test_to_json_lists_phrase_level_category_offsets_and_excerpt() -> None:
    result = scan("Some days I want to die.")

    assert result.to_json() == [
        {
            "phrase": "want to die",
            "level": "concern",
            "category": "passive-ideation",
            "start": 12,
            "end": 23,
            "excerpt": "want to die",
        }
    ]


def test_an_ordinary_post_scans_none_with_no_matches() -> None:
    assert scan("Round 4 of chemo tomorrow. Packing my fuzzy socks.") == ScanResult("none", ())


def test_the_level_is_the_gravest_match() -> None:
    result = scan("I feel so hopeless. I took all my pills an hour ago.")

    assert {m.level for m in result.matches} == {"concern", "urgent"}
    assert result.level == "urgent"


def test_wanting_to_die_becomes_urgent_when_it_says_tonight() -> None:
    result = scan("I want to die tonight")

    assert result.level == "urgent"
    assert result.matches[0].phrase == "want to die + tonight"
    assert result.matches[0].excerpt == "want to die tonight"


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "!!!", "😔😔😔", "\x00\x01\x02"])
def test_empty_or_wordless_text_scans_none(text: str) -> None:
    assert level(text) == "none"


# The lexicon


def test_the_base_lexicon_is_compiled_once() -> None:
    assert Lexicon.base() is Lexicon.base()


def test_group_phrases_add_to_the_base_without_changing_it() -> None:
    grouped = Lexicon.base().with_phrases([("going to the quarry", "urgent")])

    result = scan("I'm going to the quarry tonight", grouped)

    assert result.level == "urgent"
    assert result.matches[0].category == "group"
    assert scan("I'm going to the quarry tonight").level == "none"
    assert scan("I want to die", grouped).level == "concern"


def test_group_phrases_get_the_same_robustness_as_the_base() -> None:
    grouped = Lexicon.base().with_phrases([("blue whale challenge", "concern")])

    assert scan("doing the BLUE WHAAALE ch4llenge", grouped).level == "concern"


def test_the_same_group_phrases_reuse_the_compiled_lexicon() -> None:
    extra = [("red bridge", "urgent")]

    assert Lexicon.base().with_phrases(extra) is Lexicon.base().with_phrases(list(extra))


def test_a_group_phrase_with_a_bad_level_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        Lexicon.base().with_phrases([("red bridge", "severe")])


# Robustness: the ways members actually write


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I WANT TO KILL MYSELF", "urgent"),
        ("i want to kill myself!!!", "urgent"),
        ("kill... myself", "urgent"),
        ("im soooo done with life, i want to diiiie", "concern"),
        ("i want to kiiiilll myseeelf", "urgent"),
        ("I'm so hopless", "concern"),
        ("been planning my sucide for weeks", "urgent"),
        ("i want to kil myslef", "urgent"),
        ("i feel suicdal", "concern"),
        ("k1ll mys3lf", "urgent"),
        ("su1c1dal again", "concern"),
        ("k!ll myself", "urgent"),
        ("I took 4ll my p1lls", "urgent"),
        ("s u i c i d e", "concern"),
        ("k i l l m y s e l f", "urgent"),
        ("s.u.i.c.i.d.a.l thoughts", "concern"),
        ("su*cidal", "concern"),
        ("sui\u200bcidal", "concern"),
        ("\uff4b\uff49\uff4c\uff4c \uff4d\uff59\uff53\uff45\uff4c\uff46", "urgent"),  # full-width
        ("k\u0456ll m\u0443self", "urgent"),
        ("#killmyself", "urgent"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_case_punctuation_repeats_misspellings_leet_and_spacing_are_read_through(
    text: str, expected: str
) -> None:
    assert level(text) == expected


@pytest.mark.parametrize(
    ("text", "expected", "category"),
    [
        ("kms", "urgent", "intent"),
        ("gonna kms tonight", "urgent", "intent"),
        ("i'm going to unalive myself", "urgent", "intent"),
        ("thinking about unaliving", "concern", "passive-ideation"),
        ("gonna ctb tonight", "urgent", "intent"),
        ("wanna off myself", "urgent", "intent"),
        ("kys loser", "concern", "harm-others"),
        ("imma end it all", "urgent", "intent"),
    ],
)
def test_slang_and_euphemisms_are_caught(text: str, expected: str, category: str) -> None:
    result = scan(text)

    assert result.level == expected
    assert category in {m.category for m in result.matches}


@pytest.mark.parametrize(
    "text",
    [
        "going to end it all tonight",
        "I want to just fucking die",
        "I really really want to die",
        "I took all of my pills",
        "I took all of my sleeping pills",
        "I took 30 of my sertraline",
        "I'm going to literally kill myself",
    ],
)
def test_a_couple_of_filler_words_inside_a_phrase_do_not_hide_it(text: str) -> None:
    assert level(text) != "none"


def test_a_gap_of_ordinary_words_does_not_join_a_phrase() -> None:
    assert level("I kill time by myself") == "none"


def test_a_phrase_does_not_run_across_a_sentence_end() -> None:
    assert level("I want to. Die Hard is on tonight.") == "none"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Me voy a suicidar esta noche.", "urgent"),
        ("Me tomé todas las pastillas.", "urgent"),
        ("Ya no quiero vivir.", "concern"),
        ("Je vais me suicider.", "urgent"),
        ("J'ai envie de mourir.", "concern"),
        ("Adieu à tous.", "urgent"),
        ("Ich bringe mich heute um.", "urgent"),
        ("Ich will nicht mehr leben.", "concern"),
        ("Ich habe alle meine Tabletten genommen.", "urgent"),
    ],
)
def test_the_most_common_spanish_french_and_german_phrases_are_caught(
    text: str, expected: str
) -> None:
    assert level(text) == expected


# What must not fire


@pytest.mark.parametrize(
    "text",
    [
        "This chemo is killing me.",
        "My back is killing me after the hospital chair.",
        "My daughter is killing it at her new school.",
        "I'm dying to see my grandkids.",
        "That lasagne was to die for.",
        "I could kill for a pizza right now.",
        "I nearly died of embarrassment.",
        "I was killing myself laughing at his speech.",
        "Killing time in the waiting room.",
        "My mum would kill me if she knew I skipped it.",
        "I cut myself shaving this morning.",
        "I'm so done with winter.",
        "Esta quimioterapia me está matando.",
        "Cette chimio me tue.",
        "Die Chemo bringt mich noch um.",
    ],
)
def test_idioms_do_not_fire(text: str) -> None:
    assert level(text) == "none"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, just tired.",
        "I would never hurt myself.",
        "I don't want to die, I want the pain to stop.",
        "I have no plans to kill myself.",
        "I'm not going to drink tonight.",
        "I won't use again.",
        "Never once thought about self harm.",
        "No me quiero morir.",
        "Je ne suis pas suicidaire.",
        "Ich bin nicht suizidal.",
    ],
)
def test_negations_do_not_fire(text: str) -> None:
    assert level(text) == "none"


def test_a_negation_in_another_clause_does_not_cancel_a_phrase() -> None:
    assert level("I couldn't sleep so I took all my pills") == "urgent"


def test_a_negation_that_is_part_of_the_phrase_is_not_a_negation() -> None:
    assert level("I don't want to live anymore") == "concern"
    assert level("Not gonna lie, I want to die") == "concern"


@pytest.mark.parametrize(
    "text",
    [
        "My brother died by suicide in 2015.",
        "I used to cut, 5 years clean today.",
        "When I was 19 I tried to kill myself.",
        "Ten years ago I overdosed.",
        "In 2018 I attempted suicide.",
        "Back in high school I self-harmed.",
        "I spent most of my twenties wanting to die.",
        "Relapsed in 2020, three years sober now.",
        "Mi hermano se suicidó en 2016.",
        "Früher habe ich mich geritzt.",
    ],
)
def test_past_history_does_not_fire(text: str) -> None:
    assert level(text) == "none"


def test_history_with_a_sign_of_recency_still_fires() -> None:
    assert level("I used to cut and last night I cut myself again") == "concern"
    assert level("Five years clean and I relapsed again last night") == "concern"


@pytest.mark.parametrize(
    "text",
    [
        "My son has been self-harming.",
        "My best friend is suicidal.",
        "My dad overdosed last month.",
        "My husband keeps saying he wants to die.",
        "My sister relapsed after eight months.",
        "My daughter's friend took her own life.",
    ],
)
def test_someone_elses_crisis_does_not_fire(text: str) -> None:
    assert level(text) == "none"


def test_the_authors_own_words_after_someone_elses_still_fire() -> None:
    assert level("Since my brother died I've been suicidal") == "concern"
    assert level("Anyone else feel suicidal after chemo?") == "concern"


@pytest.mark.parametrize(
    "text",
    [
        "Call 988 if you feel suicidal.",
        "If you're having thoughts of suicide, text SHOUT to 85258.",
        "For anyone who feels like hurting themselves tonight, the line is open.",
        "If you've taken too many pills, call an ambulance.",
        "The suicide prevention training at work was good.",
        "My GP asked if I've had thoughts of killing myself and I said no.",
        "If you want to kill yourself, please call a helpline first.",
    ],
)
def test_resource_sharing_and_questions_do_not_fire(text: str) -> None:
    assert level(text) == "none"


@pytest.mark.parametrize(
    "text",
    [
        "Pharmacist warned me about overdose risk with this drug.",
        "The leaflet lists suicidal thoughts as a rare side effect.",
        "Naloxone reverses an opioid overdose.",
        "He wants to die at home, in his own bed.",
        "We talked about end of life care.",
        "Does anyone know if you can overdose on melatonin?",
    ],
)
def test_medical_talk_does_not_fire(text: str) -> None:
    assert level(text) == "none"


# Hostile input, generated


PHRASES = [
    ("kill myself", "urgent"),
    ("end my life", "urgent"),
    ("took all my pills", "urgent"),
    ("want to die", "concern"),
    ("suicidal thoughts", "concern"),
    ("so hopeless", "concern"),
    ("self harm", "concern"),
    ("overdosed", "urgent"),
]
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    """A lexicon phrase with random case, stretched letters, leet and one word spelled out."""
    phrase, expected = draw(st.sampled_from(PHRASES))
    words = []
    for word in phrase.split():
        letters = []
        for char in word:
            char = char.upper() if draw(st.booleans()) else char
            if draw(st.integers(0, 4)) == 0:
                char = char * draw(st.integers(3, 5))  # "sooo"
            letters.append(char)
        word = "".join(letters)
        leeted = "".join(
            LEET.get(c.lower(), c) if draw(st.integers(0, 3)) == 0 else c for c in word
        )
        if any(c.isalpha() for c in leeted):  # all digits would be a number, not a word
            word = leeted
        words.append(word)
    if len(words[0]) >= 3 and draw(st.booleans()):
        words[0] = draw(st.sampled_from([" ", ".", "-"])).join(words[0])
    separator = draw(st.sampled_from([" ", "  ", "\t", " _ "]))
    opener = draw(st.sampled_from(["", "honestly ", "tbh i ", "ok so i ", "I "]))
    closer = draw(st.sampled_from(["", ".", "...", " :(", "!!", " idk"]))
    return opener + separator.join(words) + closer, expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(disguised())
def test_random_case_stretching_leet_and_spacing_of_lexicon_phrases_still_match(
    case: tuple[str, str],
) -> None:
    text, expected = case

    assert level(text) == expected, text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_scans_without_error_and_every_excerpt_is_its_own_slice(text: str) -> None:
    result = scan(text)

    assert result.level in ("none", "concern", "urgent")
    assert (result.level == "none") == (not result.matches)
    for match in result.matches:
        assert isinstance(match, Match)
        assert 0 <= match.start < match.end <= len(text)
        assert match.excerpt == text[match.start : match.end]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "chemo",
                "today",
                "my",
                "mum",
                "tired",
                "group",
                "thanks",
                "walk",
                "dog",
                "tea",
                "hospital",
                "sleep",
                "garden",
                "work",
                "miss",
                "her",
                "so",
                "much",
                "and",
                "the",
            ]
        ),
        max_size=40,
    )
)
def test_ordinary_words_in_any_order_never_fire(ordinary: list[str]) -> None:
    assert level(" ".join(ordinary)) == "none"


# The evaluation corpus


def load_corpus() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def test_the_corpus_has_300_labelled_posts_with_unique_ids() -> None:
    rows = load_corpus()

    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["label"] for r in rows} == {"none", "concern", "urgent"}
    assert all(r["text"].strip() for r in rows)


def test_the_scanner_meets_the_recall_and_false_positive_targets_on_the_corpus() -> None:
    rows = load_corpus()
    lexicon = Lexicon.base()

    figures = evaluation.evaluate((r["label"], scan(r["text"], lexicon).level) for r in rows)

    print(f"\ncrisis corpus: {len(rows)} posts")
    for line in figures.lines():
        print(f"  {line}")
    assert figures.urgent_recall >= 0.95
    assert figures.concern_recall >= 0.85
    assert figures.false_positive_rate <= 0.05
