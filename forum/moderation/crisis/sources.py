"""The lexicon files: reading them, and the phrase patterns they are written in.

Lexicon files are plain text, one entry per line: ``LEVEL CATEGORY PHRASE`` (idioms.txt:
``REASON PHRASE``). A phrase may hold ``(a|b c)`` alternatives, ``[optional words]``, ``*``
for any one word and ``#`` for a number of ten or more ("took # pills"), and ``{name}`` for a
set of words from variants.txt. `load_sources` reads and checks every file once per process;
`lexicon.Lexicon` compiles what it returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from forum.moderation.crisis.text import words

LEXICON_PACKAGE = "forum.moderation.crisis"
LEXICON_DIR = "lexicons"


def read_lines(name: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for each non-blank, non-comment line of a lexicon file."""
    path = resources.files(LEXICON_PACKAGE).joinpath(LEXICON_DIR, name)
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield number, line


def lexicon_files() -> list[str]:
    """The phrase files: every two-letter language file in the lexicon folder."""
    folder = resources.files(LEXICON_PACKAGE).joinpath(LEXICON_DIR)
    return sorted(p.name for p in folder.iterdir() if re.fullmatch(r"[a-z]{2}\.txt", p.name))


def read_sections(name: str) -> dict[str, list[str]]:
    """A file of ``[section]`` headers followed by one entry a line (a line starting # is a note)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for number, line in read_lines(name):
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), [])
        elif current is None:
            raise ValueError(f"{name}:{number}: entry before any [section]")
        else:
            current.append(line)
    return sections


# Phrase patterns

PATTERN_TOKEN = re.compile(r"[()\[\]|]|[^\s()\[\]|]+")
MAX_EXPANSIONS = 512


class PatternError(ValueError):
    pass


def expand_sets(pattern: str, sets: dict[str, str]) -> str:
    """Replace each ``{name}`` by its words: ``(a|b)`` at the top level, ``a|b`` inside a group."""
    out, depth, i = [], 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "{":
            close = pattern.find("}", i)
            name = pattern[i + 1 : close] if close > 0 else ""
            if name not in sets:
                raise PatternError(f"unknown set {{{name}}} in {pattern!r}")
            out.append(sets[name] if depth else f"({sets[name]})")
            i = close + 1
            continue
        depth += char in "(["
        depth -= char in ")]"
        out.append(char)
        i += 1
    return "".join(out)


def parse_pattern(pattern: str) -> list[list[tuple[str, ...]]]:
    """A phrase pattern as a sequence of slots, each a list of alternative raw-word tuples."""
    pieces = PATTERN_TOKEN.findall(pattern.replace("#", " # ").replace("*", " * "))
    slots: list[list[tuple[str, ...]]] = []
    i = 0

    def group(end: str) -> tuple[list[tuple[str, ...]], int]:
        nonlocal i
        alternatives: list[tuple[str, ...]] = []
        current: list[str] = []
        while i < len(pieces) and pieces[i] != end:
            piece = pieces[i]
            if piece == "|":
                alternatives.append(tuple(current))
                current = []
            elif piece in "()[]":
                raise PatternError(f"nested or unbalanced brackets in {pattern!r}")
            else:
                current.extend(_pattern_words(piece))
            i += 1
        if i == len(pieces):
            raise PatternError(f"unclosed {'(' if end == ')' else '['} in {pattern!r}")
        alternatives.append(tuple(current))
        i += 1
        return alternatives, i

    while i < len(pieces):
        piece = pieces[i]
        i += 1
        if piece == "(":
            alternatives, i = group(")")
            slots.append(alternatives)
        elif piece == "[":
            alternatives, i = group("]")
            slots.append([(), *alternatives])
        elif piece in ")]|":
            raise PatternError(f"unexpected {piece!r} in {pattern!r}")
        else:
            slots.extend([[(w,)] for w in _pattern_words(piece)])
    if not slots:
        raise PatternError(f"empty phrase {pattern!r}")
    return slots


def _pattern_words(token: str) -> list[str]:
    return [token] if token in ("*", "#") else words(token)


def merge_fixed(slots: list[list[tuple[str, ...]]]) -> list[list[tuple[str, ...]]]:
    """Join runs of plain words into one slot, so "kill myself" can be written "kms"."""
    merged: list[list[tuple[str, ...]]] = []
    for slot in slots:
        if len(slot) == 1 and merged and len(merged[-1]) == 1:
            merged[-1] = [merged[-1][0] + slot[0]]
        else:
            merged.append(slot)
    return merged


def apply_equivalents(
    seq: tuple[str, ...],
    starts: dict[str, list[tuple[str, ...]]],
    classes: dict[tuple[str, ...], list[tuple[str, ...]]],
) -> set[tuple[str, ...]]:
    """Every way of writing `seq` when "going to" may be "gonna", "i am" may be "im", ..."""
    results: set[tuple[str, ...]] = set()

    def walk(i: int, done: tuple[str, ...]) -> None:
        if len(results) >= MAX_EXPANSIONS:
            return
        if i == len(seq):
            results.add(done)
            return
        walk(i + 1, (*done, seq[i]))
        for member in starts.get(seq[i], ()):
            if seq[i : i + len(member)] == member:
                for alternative in classes[member]:
                    walk(i + len(member), done + alternative)

    walk(0, ())
    return results


@dataclass(frozen=True, slots=True)
class Sources:
    rules: tuple[tuple[str, str, str], ...]  # (phrase, level, category) from the files
    spellings: tuple[tuple[str, str], ...]
    equivalents: tuple[tuple[str, ...], ...]
    fuzzy: tuple[str, ...]
    sets: dict[str, str]
    cues: dict[str, list[str]]


@lru_cache(maxsize=1)
def load_sources() -> Sources:
    rules: list[tuple[str, str, str, str]] = []
    for name in lexicon_files():
        for number, line in read_lines(name):
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[0] not in ("concern", "urgent"):
                raise ValueError(f"{name}:{number}: expected 'LEVEL CATEGORY PHRASE'")
            rules.append((parts[2], parts[0], parts[1], f"{name}:{number}"))
    for number, line in read_lines("idioms.txt"):
        parts = line.split(None, 1)
        if len(parts) < 2:
            raise ValueError(f"idioms.txt:{number}: expected 'REASON PHRASE'")
        rules.append((parts[1], "ignore", parts[0], f"idioms.txt:{number}"))
    variants = read_sections("variants.txt")
    spellings: list[tuple[str, str]] = []
    for line in variants.get("spellings", []):
        right, _, wrongs = line.partition("=")
        spellings.extend((w.strip(), right.strip()) for w in wrongs.split("|") if w.strip())
    equivalents = tuple(
        tuple(p.strip() for p in line.replace("=", "|").split("|") if p.strip())
        for line in variants.get("equivalents", [])
    )
    fuzzy = tuple(w for line in variants.get("fuzzy", []) for w in line.split())
    sets = {}
    for line in variants.get("sets", []):
        name, _, members = line.partition("=")
        sets[name.strip()] = "|".join(m.strip() for m in members.split("|") if m.strip())
    for phrase, _level, _category, where in rules:
        try:
            parse_pattern(expand_sets(phrase, sets))
        except PatternError as exc:
            raise ValueError(f"{where}: {exc}") from None
    checked = [(phrase, level, category) for phrase, level, category, _where in rules]
    return Sources(
        tuple(checked), tuple(spellings), equivalents, fuzzy, sets, read_sections("cues.txt")
    )
