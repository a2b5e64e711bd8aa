"""The crisis scanner: does a post signal risk, and which words say so (issue 5).

Lexicon-based, so every decision points at phrases a moderator can read and an admin can
change: `lexicons/<lang>.txt` hold the phrases (level, category, phrase), `idioms.txt` the
phrases that only look alarming ("killing myself laughing", "suicide prevention"), `cues.txt`
the context words (negation, history, third person, medical talk, immediacy) and
`variants.txt` the spellings and contractions to accept. Admins add per-group phrases
(`Lexicon.with_phrases`).

Design: the text is normalised once (`text`: one character for one character, so
offsets stay those of the original), split into words, and each distinct word is mapped to a
canonical form through a cache (`lexicon`). All phrases of all files live in ONE token
trie (the goto function of an Aho-Corasick automaton over words; up to two "filler" words such
as "just" or "fucking" may sit between phrase words). Each word becomes one code character and
one regex finds where a phrase can start (a one-word phrase, or a first word followed by a
possible second word); a walk from there follows the text, never the list of phrases, so the
cost grows with the text and its matches, not with the size of the lexicon.

Each longest match is then checked against a few words of context in its sentence: a negation
just before, in the same clause ("not suicidal"; "no longer" and "can't stop" are not
negations); history ("used to", "years ago", "when I was", a year) unless something says it is
happening now ("again", "last night"); someone else as the nearest subject ("my brother ...
suicidal"), or advice and questions ("if you feel ...", "asked if I ..."); medical talk ("side
effects", "risk of"). Idioms ("killing myself laughing", "suicide prevention") veto the phrases
they overlap. A concern about wanting to die or a plan becomes urgent when its sentence says
"tonight" or "right now", and two goodbye phrases in one post are urgent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from itertools import accumulate, repeat
from typing import Any, Literal

from forum.moderation.crisis import model as learned
from forum.moderation.crisis.lexicon import CACHE_LIMIT, RANK, Cues, Entry, Lexicon
from forum.moderation.crisis.text import SPLIT, is_disguised, normalise, separator_kind

__all__ = ["LEVELS", "Lexicon", "Match", "ScanResult", "combine", "scan", "scan_lexicon"]

LEVELS = ("none", "concern", "urgent")
# Categories about the author's own safety: another person as the subject, history or medical
# talk around them mean the author is not the one at risk now.
_SELF = frozenset(
    {
        "intent",
        "plan",
        "means",
        "overdose",
        "goodbye",
        "passive-ideation",
        "hopelessness",
        "self-harm",
        "relapse",
        "attempt",
        "disguised-word",
        "group",
    }
)
_ESCALATE = frozenset(
    {"passive-ideation", "disguised-word", "intent", "plan", "means", "unsafe", "harm-others"}
)
_EDGES = "\x03\x04"
_STARTS = re.compile(r"[1357]|[2367](?=[4567])")
_MAX_GAP = 2  # filler words allowed between two words of a phrase
_NEGATION_WINDOW = 4
_SUBJECT_WINDOW = 6
_CONTEXT_WINDOW = 8


@dataclass(frozen=True, slots=True)
class Match:
    phrase: str  # the lexicon entry, as an admin wrote it
    level: str  # "concern" | "urgent"
    category: str  # "intent", "plan", "means", "overdose", "goodbye", "passive-ideation", ...
    start: int  # offsets in the ORIGINAL text (Python str indices)
    end: int
    excerpt: str  # the member's own words that matched

    def to_json(self) -> dict[str, Any]:
        return {
            "phrase": self.phrase,
            "level": self.level,
            "category": self.category,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True, slots=True)
class ScanResult:
    level: str  # "none" | "concern" | "urgent"
    matches: tuple[Match, ...]

    def to_json(self) -> list[dict[str, Any]]:
        """What goes into queue_items.crisis_matches and the crisis-scan output."""
        return [m.to_json() for m in self.matches]


NONE = ScanResult("none", ())


# scanning


def scan(
    text: str, lexicon: Lexicon | None = None, model: learned.Model | Literal[False] | None = None
) -> ScanResult:
    """The lexicon's explained matches and the learned model's opinion, combined (issue 18).

    `model` None is the shipped model, False the lexicon alone (see `combine`).
    """
    lexical = scan_lexicon(text, lexicon)
    chosen = learned.default() if model is None else model
    if chosen is False or chosen is None:
        return lexical
    return combine(lexical, chosen.predict(text))


def combine(lexical: ScanResult, prediction: learned.Prediction) -> ScanResult:
    """The graver of the two levels, with one exception.

    The model adds what no phrase lists, with the words that weighed most as its matches
    (category "model"). It never lowers any phrase an admin wrote for the group (category
    "group"). When it is confident a post is ordinary (`prediction.overrules`, thresholds tuned
    on validation like the others, the one for urgent far stricter) it overrules the base
    lexicon: an ordinary post that merely uses a worrying phrase, a quote, an idiom, a
    crisis told as long over.
    """
    if (
        lexical.level != "none"
        and RANK[lexical.level] <= RANK[prediction.overrules]
        and all(m.category != "group" for m in lexical.matches)
    ):
        return NONE
    if prediction.level == "none" or RANK[prediction.level] <= RANK[lexical.level]:
        return lexical
    p = prediction.probabilities
    percent = round(
        100 * (p["urgent"] if prediction.level == "urgent" else p["urgent"] + p["concern"])
    )
    found = tuple(
        Match(f"model {percent}%", prediction.level, "model", e.start, e.end, e.word)
        for e in prediction.evidence
    )
    matches = tuple(sorted(lexical.matches + found, key=lambda m: m.start))
    return ScanResult(prediction.level, matches)


def scan_lexicon(text: str, lexicon: Lexicon | None = None) -> ScanResult:
    """The lexicon alone: phrases, their context, their explanations."""
    lex = lexicon if lexicon is not None else Lexicon.base()
    norm = normalise(text)
    parts = SPLIT.split(norm)
    raw = parts[0::2]
    canon = list(map(lex.words.__getitem__, raw))
    # Walk only from words that can begin a phrase here: a phrase of one word, or a first word
    # followed by a possible second word (or a filler). Each word becomes one code character
    # and one regex finds the places, so this costs the same for 50 phrases or 5,000.
    codes = "".join(map(lex.start_codes.get, canon, repeat("0")))
    starts = [m.start() for m in _STARTS.finditer(codes)]
    if not starts:
        return NONE
    kinds = list(map(_SEPARATORS.__getitem__, parts[1::2]))
    kinds.append(2)  # after the last word
    found = _walk(canon, starts, lex.trie, kinds, lex.cues)
    if not found:
        return NONE
    offsets = list(accumulate(map(len, parts), initial=0))
    context = _Context(canon, raw, kinds, lex.cues)
    matches = []
    for s, e, entry in _longest(found):
        level = context.verdict(s, e, entry)
        if level is None:
            continue
        phrase, first, last = entry.phrase, s, e
        if level == "concern" and entry.category in _ESCALATE:
            cue = context.immediacy(s, e)
            if cue is not None:
                level = "urgent"
                phrase = f"{phrase} + {' '.join(raw[k] for k in range(cue[0], cue[1] + 1))}"
                first, last = min(s, cue[0]), max(e, cue[1])
        start, end = offsets[2 * first], offsets[2 * last + 1]
        while norm[start] in _EDGES:  # a quote or star around the words is not part of them
            start += 1
        while norm[end - 1] in _EDGES:
            end -= 1
        matches.append(Match(phrase, level, entry.category, start, end, text[start:end]))
    if not matches:
        return NONE
    matches.sort(key=lambda m: m.start)
    goodbyes = [n for n, m in enumerate(matches) if m.category == "goodbye"]
    if len(goodbyes) >= 2 and all(matches[n].level == "concern" for n in goodbyes):
        # One goodbye phrase can be innocent; two in one post are a goodbye.
        earlier, later = matches[goodbyes[0]], matches[goodbyes[1]]
        matches[goodbyes[1]] = replace(
            later, level="urgent", phrase=f"{later.phrase} + {earlier.phrase}"
        )
    return ScanResult(max((m.level for m in matches), key=RANK.__getitem__), tuple(matches))


class _SeparatorKinds(dict[str, int]):
    """Separator text -> 0 (inside a phrase), 1 (clause end) or 2 (sentence end), memoised."""

    def __missing__(self, sep: str) -> int:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        kind = separator_kind(sep)
        self[sep] = kind
        return kind


_SEPARATORS = _SeparatorKinds()


def _walk(
    canon: list[str], starts: list[int], root: dict[str, Any], kinds: list[int], cues: Cues
) -> list[tuple[int, int, Entry]]:
    """Follow the trie from each start; fillers may sit between words, never across a comma."""
    n = len(canon)
    fillers, big, negation = cues.fillers, cues.big_numbers, cues.negation
    found: list[tuple[int, int, Entry]] = []
    for i in starts:
        first = canon[i]
        if first in root:
            stack = [(i + 1, root[first], 0)]
        else:
            stack = [(i + 1, root[r], 0) for r in first.split("|") if r in root]
        while stack:
            j, node, gaps = stack.pop()
            if not gaps and "" in node:
                found.append((i, j - 1, node[""]))
            if j >= n or kinds[j - 1] or not canon[j]:
                continue
            token = canon[j]
            child = node.get(token)
            if child is not None:
                stack.append((j + 1, child, 0))
            elif "|" in token:  # a stretched word with two readings ("tooo": to, too)
                for reading in token.split("|"):
                    if reading in node:
                        stack.append((j + 1, node[reading], 0))
            if gaps < _MAX_GAP and token in fillers:
                stack.append((j + 1, node, gaps + 1))
            if "*" in node and token and token not in negation:
                stack.append((j + 1, node["*"], 0))
            if "#" in node and (token in big or (token.isdigit() and 10 <= int(token) < 10_000)):
                stack.append((j + 1, node["#"], 0))
    return found


def _longest(found: list[tuple[int, int, Entry]]) -> list[tuple[int, int, Entry]]:
    """Of overlapping phrases the longest (then gravest) wins. An idiom vetoes what it overlaps,
    unless a crisis phrase holds the whole idiom and more ("say goodbye to everyone")."""
    idioms = [(s, e) for s, e, entry in found if entry.level == "ignore"]
    chosen: list[tuple[int, int, Entry]] = []
    taken: set[int] = set()
    for s, e, entry in sorted(found, key=lambda f: (f[0] - f[1], -f[2].rank, f[0])):
        if entry.level == "ignore" or any(
            vs <= e and s <= ve and not (s <= vs and ve <= e and e - s > ve - vs)
            for vs, ve in idioms
        ):
            continue
        span = range(s, e + 1)
        if taken.isdisjoint(span):
            taken.update(span)
            chosen.append((s, e, entry))
    return chosen


class _Context:
    """The few words around a match that decide whether it stands."""

    def __init__(self, canon: list[str], raw: list[str], kinds: list[int], cues: Cues) -> None:
        self.canon, self.raw, self.kinds, self.cues = canon, raw, kinds, cues

    def _before(self, s: int, limit: int, boundary: int) -> list[int]:
        out: list[int] = []
        k = s - 1
        while k >= 0 and len(out) < limit and self.kinds[k] < boundary:
            if self.canon[k]:
                out.append(k)
            k -= 1
        return out

    def _after(self, e: int, limit: int, boundary: int) -> list[int]:
        out: list[int] = []
        k, n = e + 1, len(self.canon)
        while k < n and len(out) < limit and self.kinds[k - 1] < boundary:
            if self.canon[k]:
                out.append(k)
            k += 1
        return out

    def _cue(self, k: int, table: dict[str, list[tuple[str, ...]]]) -> tuple[int, int] | None:
        token = self.canon[k]
        key = "#" if token.isdigit() or token in self.cues.numbers else token
        for seq in table.get(key, ()):
            if self._cue_from(k, seq):
                return k, k + len(seq) - 1
        if key == "#":
            for seq in table.get(token, ()):
                if self._cue_from(k, seq):
                    return k, k + len(seq) - 1
        return None

    def _cue_from(self, k: int, seq: tuple[str, ...]) -> bool:
        canon, numbers = self.canon, self.cues.numbers
        if k + len(seq) > len(canon):
            return False
        for n, want in enumerate(seq):
            token = canon[k + n]
            if n and self.kinds[k + n - 1]:
                return False
            if want == "#" and (token.isdigit() or token in numbers):
                continue
            if token != want:
                return False
        return True

    def _stop_at_clause_word(self, indices: list[int]) -> list[int]:
        for n, k in enumerate(indices):
            if self.canon[k] in self.cues.clause_words:
                return indices[:n]
        return indices

    def verdict(self, s: int, e: int, entry: Entry) -> str | None:
        """The level this match stands at, or None when its context takes it back."""
        cues, canon = self.cues, self.canon
        if entry.category == "disguised-word" and not any(
            is_disguised(self.raw[k]) for k in range(s, e + 1)
        ):
            return None
        for k in (
            ()
            if entry.negative
            else self._stop_at_clause_word(self._before(s, _NEGATION_WINDOW, 1))
        ):
            if canon[k] in cues.negation and self._cue(k, cues.negation_exceptions) is None:
                return None
        sentence = self._before(s, _CONTEXT_WINDOW, 2)
        before = sentence[:_SUBJECT_WINDOW]
        if entry.category in _SELF and not entry.speaks_of_self:
            for k in before:
                if canon[k] in cues.first_person:
                    break
                if canon[k] in cues.other_person:
                    return None
        if entry.speaks_to_other and any(canon[k] in cues.conditional for k in before):
            return None
        if self._any_cue(before, cues.addressed):
            return None
        window = self._stop_at_clause_word(sentence) + self._stop_at_clause_word(
            self._after(e, _CONTEXT_WINDOW, 2)
        )
        if self._any_cue(window, cues.history, years=True) and not self._any_cue(
            window, cues.recency
        ):
            return None
        if entry.category in _SELF and self._any_cue(window, cues.medical):
            return None
        return entry.level

    def _any_cue(
        self, indices: list[int], table: dict[str, list[tuple[str, ...]]], *, years: bool = False
    ) -> bool:
        canon, numbers = self.canon, self.cues.numbers
        counted = "#" in table
        for k in indices:
            token = canon[k]
            if (token in table or (counted and (token.isdigit() or token in numbers))) and (
                self._cue(k, table) is not None
            ):
                return True
            if years and len(token) == 4 and token.isdigit() and 1950 <= int(token) <= 2099:
                return True  # "in 2015": a year places it in the past
        return False

    def immediacy(self, s: int, e: int) -> tuple[int, int] | None:
        for k in self._after(e, _CONTEXT_WINDOW, 2) + self._before(s, _CONTEXT_WINDOW, 2):
            cue = self._cue(k, self.cues.immediacy)
            if cue is not None:
                return cue
        return None
