"""Text normalisation for the crisis scanner (`scanner.py`) and its lexicon (`lexicon.py`).

Normalisation is split so that positions survive it. The first step is one `str.translate`
that maps every character to exactly one character (case, accents, look-alike letters from
other alphabets, full-width and "fancy" letters, zero-width characters), so an offset in the
normalised text is an offset in the original. Spaced-out letters ("s u i c i d e") are then
joined in place and padded with NUL, which the tokeniser keeps inside the word and the
canonical form drops, so the joined word still spans the letters the member typed. Everything
that changes a word's length (leetspeak, repeated letters, known misspellings, apostrophes)
happens per distinct word, once, in a cache on the lexicon. Lexicon phrases go through the
same steps, so a phrase and the text meet in one canonical form.

"""

from __future__ import annotations

import re
import unicodedata

# Inside a word: letters, digits, the leet stand-ins $ and @, NUL (a dropped character) and
# \x01-\x04, which stand for ! | * ' between two word characters (k!ll, ki||, su*cide, don't).
WORD = "a-z0-9$@\x00-\x04"
# ! and | mean i and l only between two letters or digits; ' and * always join (don't, su*cide).
CONTROL = re.compile(r"[\x00-\x04]")
SPLIT = re.compile(rf"([^{WORD}]+)")
# Three or more single characters with one separator between each: "s u i c i d e", "k.i.l.l".
SPACED = re.compile(
    rf"(?:^|(?<=[^{WORD}]))(?:[a-z0-9$@][ .\-_~+/\x03]){{2,}}[a-z0-9$@](?![{WORD}])"
)
# A cheap first look for SPACED: single characters as "a", the separators it allows as " ".
SHAPE = str.maketrans(
    {
        **{c: "a" for c in "abcdefghijklmnopqrstuvwxyz0123456789$@"},
        **{c: " " for c in " .-_~+/\x03"},
    }
)
# Runs made only of these are ordinary chat ("u r a ..."), not a word spelled out.
CHAT_LETTERS = frozenset("iaurykno")
SQUEEZE = re.compile(r"([a-z])\1+")
SQUEEZE3 = re.compile(r"([a-z])\1{2,}")
LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "$": "s",
        "@": "a",
        "\x01": "i",
        "\x02": "l",
    }
)
LEET_CHARS = frozenset("0134578$@\x01\x029")
NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# Separator kinds: 0 joins words of one phrase, 1 ends a clause, 2 ends a sentence.
CLAUSE_MARKS = frozenset(',:()[]{}"')
SENTENCE_MARKS = frozenset(".!?;\n")


# Cyrillic and Greek letters that look Latin, a common way round word filters.
LOOKALIKES = "\u0131\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0455\u0458\u0501\u043a\u043c\u0442\u0432\u043d\u043b\u0410\u0415\u041e\u0420\u0421\u0422\u0425\u041a\u041c\u0412\u041d\u0406\u0405\u03bf\u03b1\u03b5\u03b9\u03ba\u03bd\u03c4\u03c5\u039f\u0391\u0395\u0399\u039a\u03a4"
LOOKALIKES_LATIN = "iaeopcyxisjdkmtbhlaeopctxkmbhisoaeikvtuoaeikt"


class _Table(dict[int, str]):
    """Characters without an entry are separators: one space, so lengths never change."""

    def __missing__(self, code: int) -> str:
        return " "


def _translation_table() -> _Table:
    """One character for one character, so offsets into the result are offsets into the input."""
    table = _Table({ord(c): c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    ranges = [
        (0xC0, 0x250),
        (0x1E00, 0x1F00),
        (0xFF01, 0xFF5F),
        (0x24B6, 0x24EA),
        (0x1D400, 0x1D800),
        (0x2070, 0x20A0),
    ]
    for low, high in ranges:
        for cp in range(low, high):
            base = unicodedata.normalize("NFKD", chr(cp))[:1].lower()
            if base.isascii() and (base.isalnum() or base in "$@!',.?;:"):
                table[cp] = base
    specials = {
        "ß": "s",
        "æ": "a",
        "Æ": "a",
        "ø": "o",
        "Ø": "o",
        "œ": "o",
        "Œ": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "\u0131": "i",  # dotless i
        "þ": "t",
        "ð": "d",
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u00b4": "'",
        "\u2026": ".",
        "\u3002": ".",
        "\u2013": ",",
        "\u2014": ",",
        "\u00bf": " ",
        "\u00a1": " ",
        "\u201c": '"',
        "\u201d": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2028": "\n",
        "\u2029": "\n",
    }
    table.update({ord(k): v for k, v in specials.items()})
    table.update({ord(k): v for k, v in zip(LOOKALIKES, LOOKALIKES_LATIN, strict=True)})
    for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x034F):
        table[cp] = "\x00"
    for cp in range(0x0300, 0x0370):  # combining accents typed after their letter
        table[cp] = "\x00"
    return table


TABLE = _translation_table()


def _non_ascii(match: re.Match[str]) -> str:
    return match.group().translate(TABLE)


def _leet_marks(norm: str) -> str:
    """k!ll, ki||: mark ! and | that stand between two letters or digits as word characters."""
    marked: list[int] = []
    last = len(norm) - 1
    for char in "!|":
        i = norm.find(char)
        while i != -1:
            if 0 < i < last and norm[i - 1].isalnum() and norm[i + 1].isalnum():
                marked.append(i)
            i = norm.find(char, i + 1)
    if not marked:
        return norm
    chars = list(norm)
    for i in marked:
        chars[i] = "\x01" if chars[i] == "!" else "\x02"
    return "".join(chars)


def _join_spaced(match: re.Match[str]) -> str:
    run = match.group()
    letters = run[::2]
    if set(letters) <= CHAT_LETTERS:
        return run
    return letters + "\x00" * (len(run) - len(letters))


def normalise(text: str) -> str:
    """Same length as `text`: lower-case ASCII words, everything else a separator."""
    if CONTROL.search(text):
        text = CONTROL.sub(" ", text)
    if not text.isascii():
        text = NON_ASCII.sub(_non_ascii, text)
    norm = text.lower().replace("`", "'").replace("'", "\x04").replace("*", "\x03")
    if "!" in norm or "|" in norm:
        norm = _leet_marks(norm)
    if _may_be_spaced(norm.translate(SHAPE)):
        norm = SPACED.sub(_join_spaced, norm)
    return norm


def _may_be_spaced(shape: str) -> bool:
    """Three one-character words in a row ("a a a" in the shape), found with str.find."""
    i = 0 if shape.startswith("a a a") else shape.find(" a a a")
    while i != -1:
        end = i + (5 if i == 0 and shape[0] == "a" else 6)
        if end >= len(shape) or shape[end] != "a":
            return True
        i = shape.find(" a a a", i + 1)
    return False


def separator_kind(sep: str) -> int:
    if not SENTENCE_MARKS.isdisjoint(sep):
        # An ellipsis trails off inside a sentence ("i want to... die"); it does not end it.
        if "." in sep and "..." in sep and SENTENCE_MARKS.isdisjoint(sep.replace(".", "")):
            return 0
        return 2
    if not CLAUSE_MARKS.isdisjoint(sep) or " - " in sep or " -- " in sep:
        return 1
    return 0


def plain_form(raw: str) -> str:
    """A word without its dropped characters, leet undone when it mixes letters and digits."""
    word = raw.replace("\x00", "").replace("\x03", "").replace("\x04", "").strip("\x01\x02")
    if not word.isdigit() and not LEET_CHARS.isdisjoint(word) and any(c.isalpha() for c in word):
        word = word.translate(LEET)
    return word


def squeeze(word: str) -> str:
    """Repeated letters once: how "sooo" finds "so" and "kiiiill" finds "kill"."""
    return SQUEEZE.sub(r"\1", word)


def is_disguised(raw: str) -> bool:
    """Written to get past a filter: spelled out, leet digits or symbols, or starred."""
    return (
        "\x00" in raw
        or "\x03" in raw.strip("\x03\x04")
        or (not raw.isdigit() and not LEET_CHARS.isdisjoint(raw) and any(c.isalpha() for c in raw))
    )


def words(text: str) -> list[str]:
    """The raw words of `text` after normalisation (used for lexicon phrases and cues)."""
    return [w for w in SPLIT.split(normalise(text))[0::2] if w]
