"""Compiling the crisis lexicon: files to one token trie, plus the canonical form of words.

`Lexicon` compiles what `sources.load_sources` read from `lexicons/*.txt`, once per process:
each phrase pattern is inserted slot by slot into a trie of canonical words (so "(a|b) c" shares
nodes rather than multiplying), each with the ways of writing it from variants.txt ("gonna", "kms"). A text
word's canonical form is found on first sight and remembered: known spelling, then the word as
written, then with stretched letters cut back ("kiiill"), then one typo away from a word marked
[fuzzy]. A word stretched so that it reads two ways ("tooo") keeps both, and the walk tries each.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from operator import or_
from typing import Any

from forum.moderation.crisis.sources import (
    PatternError,
    Sources,
    apply_equivalents,
    expand_sets,
    load_sources,
    merge_fixed,
    parse_pattern,
)
from forum.moderation.crisis.text import CHAT_LETTERS, SQUEEZE3, plain_form, squeeze, words

RANK = {"none": 0, "concern": 1, "urgent": 2, "ignore": 3}
# "kill yourself", "kys": said to someone else, unless as advice ("if you want to ...").
SECOND = frozenset({"you", "yourself", "yourselves", "kys", "u", "ur"})
CACHE_LIMIT = 200_000  # distinct words remembered per lexicon before its cache starts over


@dataclass(frozen=True, slots=True)
class Entry:
    phrase: str
    level: str
    category: str
    rank: int
    speaks_of_self: bool  # the phrase names its subject ("kill myself"): no subject check
    speaks_to_other: bool  # "kill yourself", "kys": said to someone, unless as a rule ("if")
    negative: bool  # "want to live anymore": already negative, a "don't" before it stays


class Words(dict[str, str]):
    """Raw word -> canonical word, filled on first sight (each distinct word is worked once)."""

    __slots__ = ("_work",)

    def __init__(self, work: Any) -> None:
        super().__init__()
        self._work = work

    def __missing__(self, raw: str) -> str:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        value: str = self._work(raw)
        self[raw] = value
        return value


class Cues:
    """Context word lists from cues.txt, in canonical form; sequences keyed by first word."""

    def __init__(self, sections: dict[str, list[str]], canon: Any) -> None:
        every: set[str] = set()

        def seqs(name: str) -> dict[str, list[tuple[str, ...]]]:
            out: dict[str, list[tuple[str, ...]]] = {}
            for line in sections.get(name, []):
                seq = tuple(
                    canon(w)
                    for part in line.split()
                    for w in (["#"] if part == "#" else words(part))
                )
                if seq:
                    out.setdefault(seq[0], []).append(seq)
                    every.update(seq)
            return out

        def flat(name: str) -> frozenset[str]:
            return frozenset(canon(w) for line in sections.get(name, []) for w in words(line))

        self.negation = flat("negation")
        self.negation_exceptions = seqs("negation-exceptions")
        self.negative_polarity = flat("negative-polarity")
        self.clause_words = flat("clause-words")
        self.first_person = flat("first-person")
        self.other_person = flat("other-person")
        self.conditional = flat("conditional")
        self.addressed = seqs("addressed-to-others")
        self.history = seqs("history")
        self.recency = seqs("recency")
        self.medical = seqs("medical")
        self.immediacy = seqs("immediacy")
        self.fillers = flat("fillers")
        self.big_numbers = flat("big-numbers")
        self.numbers = flat("numbers") | self.big_numbers
        self.words = frozenset(every - {"#"}) | (
            self.negation
            | self.clause_words
            | self.first_person
            | self.other_person
            | self.conditional
            | self.fillers
            | self.numbers
        )


class Lexicon:
    """Compiled phrases and context cues; immutable once built (its word cache is a memo).

    What the scanner reads: `words` (raw text word -> canonical word, filled on first sight),
    `trie` (canonical word -> child node; "" holds the Entry a phrase ends in, "*" any one word,
    "#" a number), `start_codes` (canonical word -> one character saying whether a phrase can
    start there, see `scanner._STARTS`) and `cues`. Every compiled lexicon comes from one
    per-process cache: `Lexicon.base()` and `with_phrases` never compile the same phrases twice.
    """

    def __init__(self, sources: Sources, extra: tuple[tuple[str, str], ...] = ()) -> None:
        self._extra = extra
        self._sets = sources.sets
        self._spell = {plain_form(w.lower()): plain_form(r.lower()) for w, r in sources.spellings}
        self.cues = Cues(sources.cues, self._canon_word)
        starts: dict[str, list[tuple[str, ...]]] = {}
        classes: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for line in sources.equivalents:
            members = [tuple(self._canon_word(w) for w in words(m)) for m in line]
            members = [m for m in members if m]
            for member in members:
                starts.setdefault(member[0], []).append(member)
                classes[member] = members
        self.trie: dict[str, Any] = {}
        rules = [*sources.rules, *((p, level, "group") for p, level in extra)]
        for phrase, level, category in rules:
            if level not in RANK or level == "none":
                raise ValueError(f"level must be 'concern' or 'urgent', not {level!r}")
            self._add(phrase, level, category, starts, classes)
        self.size = len(rules)
        self._vocab = self._vocabulary(self.trie)
        # Every word the scanner cares about, and the same words with repeats squeezed out,
        # so "kiiiill" finds "kill" while "of" and "off" stay apart.
        self._known = self._vocab | self.cues.words | frozenset(self._spell.values())
        self._squeezed: dict[str, set[str]] = {}
        for word in self._known:
            self._squeezed.setdefault(squeeze(word), set()).add(word)
        self._spell_squeezed = {squeeze(w): r for w, r in self._spell.items()}
        fuzzy = {self._canon_word(w) for w in sources.fuzzy} & self._vocab
        self._deletes: dict[str, set[str]] = {}
        for word in fuzzy:
            for d in _deletions(word):
                self._deletes.setdefault(d, set()).add(word)
        self._fuzzy = frozenset(fuzzy)
        self._star_pool = sorted(self._known)
        # One character per word for `crisis._STARTS`: 1 = a phrase on its own (or followed by a
        # wildcard), 2 = first word of a longer phrase, 4 = may come second (or is a filler).
        bits: dict[str, int] = {}
        for token, node in self.trie.items():
            alone = "" in node or "*" in node or "#" in node
            bits[token] = bits.get(token, 0) | (1 if alone else 0) | 2
            for second in node:
                if second and second not in ("*", "#"):
                    bits[second] = bits.get(second, 0) | 4
        for filler in self.cues.fillers:
            bits[filler] = bits.get(filler, 0) | 4
        self.start_codes = {token: str(b) for token, b in bits.items()}
        self.words = Words(self._canon_text_word)

    @classmethod
    def base(cls) -> Lexicon:
        """The repository lexicon, compiled once per process."""
        return _compiled(())

    def with_phrases(self, extra: Iterable[tuple[str, str]]) -> Lexicon:
        """This lexicon plus per-group (phrase, level) additions; compiled ones are reused."""
        added = tuple(sorted({(p.strip(), level) for p, level in extra if p.strip()}))
        return _compiled(tuple(sorted(set(self._extra + added))))

    # building

    def _canon_word(self, raw: str) -> str:
        if raw in ("*", "#"):
            return raw
        word = plain_form(raw)
        return self._spell.get(word, word)

    def _add(
        self,
        phrase: str,
        level: str,
        category: str,
        starts: dict[str, list[tuple[str, ...]]],
        classes: dict[tuple[str, ...], list[tuple[str, ...]]],
    ) -> None:
        """Insert a phrase slot by slot, so (a|b) x (c|d) shares nodes instead of multiplying."""
        slots: list[set[tuple[str, ...]]] = []
        for slot in merge_fixed(parse_pattern(expand_sets(phrase, self._sets))):
            alternatives: set[tuple[str, ...]] = set()
            for raw in slot:
                seq = tuple(w for w in map(self._canon_word, raw) if w)
                alternatives |= apply_equivalents(seq, starts, classes) if seq else {()}
            slots.append(alternatives)
        self_words = self.cues.first_person
        entry = Entry(
            phrase,
            level,
            category,
            RANK[level],
            speaks_of_self=any(all(not self_words.isdisjoint(a) for a in alts) for alts in slots),
            speaks_to_other=any(not SECOND.isdisjoint(a) for alts in slots for a in alts),
            negative=any(
                all(not self.cues.negative_polarity.isdisjoint(a) for a in alts) for alts in slots
            ),
        )
        ends = self._insert(self.trie, slots)
        if self.trie in ends:
            raise PatternError(f"no words in phrase {phrase!r}")
        count = 1
        for alts in slots:
            count *= len(alts)
        if count <= 64:  # also as one word: "#killmyself", "k i l l m y s e l f"
            for choice in product(*slots):
                seq = tuple(w for part in choice for w in part)
                if 2 <= len(seq) <= 4 and "*" not in seq and "#" not in seq:
                    ends.extend(self._insert(self.trie, [{("".join(seq),)}]))
        for node in ends:
            old = node.get("")
            if old is None or _precedence(old) < _precedence(entry):
                node[""] = entry

    @staticmethod
    def _insert(root: dict[str, Any], slots: list[set[tuple[str, ...]]]) -> list[dict[str, Any]]:
        nodes = [root]
        for slot in slots:
            reached: dict[int, dict[str, Any]] = {}
            for start in nodes:
                for alternative in slot:
                    node = start
                    for token in alternative:
                        node = node.setdefault(token, {})
                    reached[id(node)] = node
            nodes = list(reached.values())
        return nodes

    @staticmethod
    def _vocabulary(root: dict[str, Any]) -> frozenset[str]:
        vocab: set[str] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            for key, child in node.items():
                if key:
                    vocab.add(key)
                    stack.append(child)
        return frozenset(vocab - {"*", "#"})

    # words of a text

    def _canon_text_word(self, raw: str) -> str:
        canonical = self._canon_one_word(raw)
        if (
            canonical not in self._known
            and "\x00" in raw
            and raw[0] in CHAT_LETTERS
            and len(raw.replace("\x00", "")) > 3
        ):  # "i k i l l": the spelled-out run swallowed the word "i" before it
            rest = self._canon_one_word(raw[1:])
            if rest in self._known or "|" in rest:
                return rest
        return canonical

    def _canon_one_word(self, raw: str) -> str:
        word = raw.replace("\x00", "").replace("\x04", "").strip("\x03")
        if not word:
            return ""
        spelled = self._spell.get(word)
        if spelled is not None:
            return spelled
        if "\x03" in word:
            return self._unstar(word)
        plain = plain_form(raw)
        if plain in self._known:
            return plain
        spelled = self._spell.get(plain)
        if spelled is not None:
            return spelled
        squeezed = squeeze(plain)
        if squeezed != plain:
            readings = self._readings(plain)
            if len(readings) == 1:
                return readings[0]
            if readings:  # "tooo": to or too; the walk tries each
                ambiguous = "|".join(readings)
                self.start_codes[ambiguous] = str(
                    functools.reduce(or_, (int(self.start_codes.get(r, "0")) for r in readings))
                )
                return ambiguous
        found = self._squeezed.get(squeezed, ())
        if len(found) == 1:
            return next(iter(found))
        spelled = self._spell_squeezed.get(squeezed)
        if spelled is not None:
            return spelled
        if len(plain) < 5 or not plain.isalpha():
            return plain
        return self._one_typo(plain) or self._one_typo(squeezed) or plain

    def _readings(self, plain: str) -> list[str]:
        """Known words `plain` can be once each run of a repeated letter is one or two long."""
        runs = SQUEEZE3.split(plain)  # text, letter, text, letter, ... text
        if len(runs) > 9:  # more than four stretched letters: take one of each
            return []
        options = [[part] if n % 2 == 0 else [part, part * 2] for n, part in enumerate(runs)]
        return sorted({w for choice in product(*options) if (w := "".join(choice)) in self._known})

    def _unstar(self, word: str) -> str:
        """'k*ll', 'su**ide': the one lexicon or cue word the stars can stand for."""
        parts = [re.escape(plain_form(p)) for p in word.split("\x03")]
        pattern = re.compile("[a-z]{0,2}".join(parts))
        found = [w for w in self._star_pool if pattern.fullmatch(w)]
        return found[0] if len(found) == 1 else plain_form(word)

    def _one_typo(self, word: str) -> str | None:
        """A misspelling one edit away from exactly one word marked [fuzzy] in variants.txt."""
        found = set(self._deletes.get(word, ()))
        for d in _deletions(word):
            if d in self._fuzzy:
                found.add(d)
            found |= self._deletes.get(d, set())
        found = {w for w in found if w[0] == word[0]}
        return found.pop() if len(found) == 1 else None


def _precedence(entry: Entry) -> tuple[int, bool]:
    """Of two entries for the same words: the graver, then one that needs no disguise."""
    return entry.rank, entry.category != "disguised-word"


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=64)
def _compiled(extra: tuple[tuple[str, str], ...]) -> Lexicon:
    return Lexicon(load_sources(), extra)
