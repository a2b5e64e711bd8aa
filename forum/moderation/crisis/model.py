"""The crisis scanner's second opinion: a learned classifier beside the lexicon (issue 18).

A multinomial logistic regression over hashed, TF-IDF weighted features of the normalised
text: each word, each pair of neighbouring words, and the character 3- to 5-grams of each word
(" kms ", "unali", "suic"), so a misspelling, a regional word or a form the lexicon never listed
still shares most of its features with what the model saw. It was chosen by evaluation on a
validation split (bench/README.md, "Crisis model"); `training.py` fits it with scikit-learn,
this module only scores, with numpy.

Features are hashed with CRC-32 into 2**BITS buckets, so the model file needs no vocabulary and
training and scoring share this one featuriser (no drift between the two). Buckets seen in
fewer than two training posts are masked out at training, so the file stays small and no single
post's oddity carries weight.

The model file (`models/crisis.npz`) holds the idf and coefficients of the buckets it uses, the
classes, the thresholds picked on validation and a description of its training data; it is
loaded once per process (`default()`).
"""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from forum.moderation.crisis.text import LEET, LEET_CHARS, normalise

__all__ = ["BITS", "Model", "Prediction", "default", "featurise", "words"]

BITS = 19
_MASK = (1 << BITS) - 1
CLASSES = ("none", "concern", "urgent")
PATH = Path(__file__).with_name("models") / "crisis.npz"
#: A model retrained with this forum's verdicts (`forum crisis-train --with-local-verdicts`),
#: in the data directory; when present it is used instead of the shipped one.
LOCAL_NAME = "crisis-model.npz"
_WORD = re.compile(r"[a-z0-9$@\x00-\x04]+")
_SQUEEZE3 = re.compile(r"([a-z])\1{2,}")
_DROPPED = str.maketrans("", "", "\x00\x03\x04")
#: Words (and their spellings) memoised at most: about 30 MiB when full, then forgotten at once.
_CACHE_LIMIT = 50_000
# How many of a post's words a moderator is shown as the model's reasons.
EVIDENCE = 3


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode()) & _MASK


def canonical(raw: str) -> str:
    """One spelling per word: dropped marks removed, leet undone, "sooooo" as "soo"."""
    word = raw.replace("\x01", "i").replace("\x02", "l").translate(_DROPPED)
    if not word.isdigit() and not LEET_CHARS.isdisjoint(word) and any(c.isalpha() for c in word):
        word = word.translate(LEET)
    return _SQUEEZE3.sub(r"\1\1", word)


class _Memo(dict[str, Any]):
    """`function(key)`, memoised up to _CACHE_LIMIT keys (then forgotten at once): words repeat
    across posts, and their spellings and n-grams are most of a scan's cost. (Word pairs are
    mostly new, so hashing them again is cheaper than holding them.)"""

    def __init__(self, function: Callable[[str], Any]) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, key: str) -> Any:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        value = self[key] = self.function(key)
        return value


_CANONICAL: dict[str, str] = _Memo(canonical)


def _word_features(word: str) -> array[int]:
    """A word's unigram and character n-gram buckets (a compact array: the memo holds many)."""
    padded = f" {word} "
    grams = {padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1)}
    return array("i", (_bucket("w:" + word), *sorted(_bucket("c:" + g) for g in grams)))


_WORD_FEATURES: dict[str, array[int]] = _Memo(_word_features)


def words(text: str) -> list[tuple[str, int, int]]:
    """(canonical word, start, end) with offsets into the original text."""
    norm = normalise(text)
    out = []
    for m in _WORD.finditer(norm):
        word = _CANONICAL[m.group()]
        if word:
            out.append((word, m.start(), m.end()))
    return out


def featurise(tokens: list[str]) -> Counter[int]:
    """Bucket -> count over the words, their neighbours and their character n-grams."""
    buckets = list(itertools.chain.from_iterable(map(_WORD_FEATURES.__getitem__, tokens)))
    buckets.extend(_bucket(f"b:{a} {b}") for a, b in itertools.pairwise(tokens))
    return Counter(buckets)


def informed(values: np.ndarray) -> bool:
    """Whether a vector from `Model.vector` reached the norm floor: only then may the model's
    "none" overrule the lexicon. Below it ("kms", a two-word reply) the model leans on its prior,
    which says "probably ordinary" of any text it knows little about; that is not being sure."""
    return bool(float(values @ values) > 1.0 - 1e-6)


@dataclass(frozen=True, slots=True)
class Evidence:
    word: str  # the member's own words
    start: int
    end: int
    weight: float  # what this word added to the level's score


@dataclass(frozen=True, slots=True)
class Prediction:
    probabilities: dict[str, float]
    level: str
    evidence: tuple[Evidence, ...]
    # The gravest base-lexicon level the model is sure enough the post is ordinary to overrule:
    # "concern" when its any-risk probability is under veto_at, "urgent" under the stricter
    # veto_urgent_at, else "none" (see scanner.combine).
    overrules: str = "none"


class Model:
    """Scores text; thresholds pick the level from the probabilities."""

    def __init__(
        self,
        idf: np.ndarray,
        coef: np.ndarray,
        intercept: np.ndarray,
        meta: dict[str, Any],
    ) -> None:
        self.idf = idf.astype(np.float32)  # dense, 2**BITS; 0 where a bucket is masked
        self.coef = coef.astype(np.float32)  # (3, 2**BITS)
        self.intercept = intercept.astype(np.float64)
        self.meta = meta
        thresholds = meta.get("thresholds", {})
        self.urgent_at = float(thresholds.get("urgent", 0.5))
        self.concern_at = float(thresholds.get("concern", 0.5))
        self.veto_at = float(thresholds.get("veto", 0.0))
        self.veto_urgent_at = float(thresholds.get("veto_urgent", 0.0))
        self.norm_floor = float(meta.get("norm_floor", 0.0))

    # scoring

    def vector(self, counts: Counter[int]) -> tuple[np.ndarray, np.ndarray]:
        """Bucket indices and their sublinear TF-IDF values, l2-normalised, except that a text
        with less evidence than `norm_floor` (a few words) is divided by the floor instead: its
        values stay small and the model leans on its prior rather than on one or two words."""
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0, np.float64)
        idx = np.fromiter(counts.keys(), np.int64, len(counts))
        tf = np.fromiter(counts.values(), np.float64, len(counts))
        values = (1.0 + np.log(tf)) * self.idf[idx]
        norm = max(math.sqrt(float(values @ values)), self.norm_floor)
        if norm:
            values /= norm
        return idx, values

    def probabilities(self, text: str) -> np.ndarray:
        return self.assess(text)[0]

    def assess(self, text: str) -> tuple[np.ndarray, bool]:
        """The probabilities, and whether the text carries enough evidence for the model to
        overrule the lexicon (`informed`)."""
        idx, values = self.vector(featurise([w for w, _, _ in words(text)]))
        return self._softmax(self.coef[:, idx] @ values + self.intercept), informed(values)

    @staticmethod
    def _softmax(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - z.max())
        return np.asarray(e / e.sum())

    def level_of(self, p: np.ndarray) -> str:
        if p[2] >= self.urgent_at:
            return "urgent"
        if p[1] + p[2] >= self.concern_at:
            return "concern"
        return "none"

    def predict(self, text: str) -> Prediction:
        tokens = words(text)
        counts = featurise([w for w, _, _ in tokens])
        idx, values = self.vector(counts)
        p = self._softmax(self.coef[:, idx] @ values + self.intercept)
        level = self.level_of(p)
        probabilities = dict(zip(CLASSES, map(float, p), strict=True))
        if level == "none":
            p_any = p[1] + p[2]
            overrules = (
                "none"
                if not informed(values)
                else "urgent"
                if p_any < self.veto_urgent_at
                else "concern"
                if p_any < self.veto_at
                else "none"
            )
            return Prediction(probabilities, level, (), overrules)
        evidence = self._evidence(text, tokens, counts, idx, values, level)
        return Prediction(probabilities, level, evidence)

    def _evidence(
        self,
        text: str,
        tokens: list[tuple[str, int, int]],
        counts: Counter[int],
        idx: np.ndarray,
        values: np.ndarray,
        level: str,
    ) -> tuple[Evidence, ...]:
        """The words that pushed the post furthest from "none", towards its level.

        Each bucket's share (value times the difference between the level's and none's
        weight) is split evenly among its occurrences; a word pair's share among its two words.
        """
        c = CLASSES.index(level)
        tf = np.fromiter(counts.values(), np.float64, len(counts))  # aligned with idx
        share = values * (self.coef[c, idx] - self.coef[0, idx]) / tf
        order = np.argsort(idx)
        ranked = idx[order]

        def shares(buckets: np.ndarray) -> np.ndarray:
            return np.asarray(share[order[np.searchsorted(ranked, buckets)]])

        features = [_WORD_FEATURES[w] for w, _, _ in tokens]
        flat = np.fromiter(itertools.chain.from_iterable(features), np.int64)
        owner = np.repeat(np.arange(len(tokens)), [len(f) for f in features])
        per_word = np.bincount(owner, weights=shares(flat), minlength=len(tokens)).astype(
            np.float64
        )
        if len(tokens) > 1:
            pairs = (f"b:{a} {b}" for (a, _, _), (b, _, _) in itertools.pairwise(tokens))
            half = shares(np.fromiter(map(_bucket, pairs), np.int64)) / 2
            per_word[:-1] += half
            per_word[1:] += half
        scores = per_word.tolist()
        best = sorted(range(len(tokens)), key=lambda i: -scores[i])[:EVIDENCE]
        return tuple(
            Evidence(text[tokens[i][1] : tokens[i][2]], tokens[i][1], tokens[i][2], scores[i])
            for i in sorted(best)
            if scores[i] > 0
        )

    # the file

    def to_bytes(self) -> bytes:
        """A byte-for-byte reproducible npz: only the buckets in use, fixed zip timestamps."""
        used = np.flatnonzero(self.idf).astype(np.int32)
        arrays: dict[str, np.ndarray] = {
            "buckets": used,
            "idf": self.idf[used],
            "coef": self.coef[:, used],
            "intercept": self.intercept,
            "meta": np.frombuffer(json.dumps(self.meta, sort_keys=True).encode(), np.uint8),
        }
        import zipfile

        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, buffer.getvalue())
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Model:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            buckets = npz["buckets"]
            idf = np.zeros(1 << BITS, np.float32)
            idf[buckets] = npz["idf"]
            coef = np.zeros((len(CLASSES), 1 << BITS), np.float32)
            coef[:, buckets] = npz["coef"]
            meta = json.loads(npz["meta"].tobytes())
            return cls(idf, coef, npz["intercept"], meta)

    @classmethod
    def load(cls, path: Path = PATH) -> Model:
        return cls.from_bytes(path.read_bytes())


def local_path() -> Path:
    return Path(os.environ.get("FORUM_DATA_DIR") or "./var").resolve() / LOCAL_NAME


@cache
def default() -> Model | None:
    """This forum's own model if it switched to one, else the shipped model; read once per
    process. None if neither file is there (the lexicon then works alone)."""
    for path in (local_path(), PATH):
        if path.exists():
            return Model.load(path)
    return None
