"""The labelled crisis corpus: posts written blind by independent writers, and its frozen splits.

`corpus/<writer>.jsonl` holds one writer's posts (docs/crisis-labels.md gives the format and
the labels); `corpus/splits.json` assigns each writer to one split, so no writer's style is on
both sides of an evaluation:

- `train`: what the model learns from;
- `validation-a`: where the regularisation and the thresholds are chosen;
- `validation-b`: what `make test` holds the combined scanner to; tuning never looks at it;
- `test`: frozen before any training (its files' SHA-256 are recorded in splits.json and checked
  on every load), never trained or tuned on; `forum crisis-eval` reports it.

Superseded test splits stay in splits.json under `superseded` and are reported beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DIR", "LABELS", "LANGUAGES", "Post", "load", "split"]

DIR = Path(__file__).with_name("corpus")
LABELS = ("none", "concern", "urgent")
LANGUAGES = ("en", "es", "fr", "de")
SPLITS = ("train", "validation-a", "validation-b", "test")


class CorpusError(Exception):
    """A corpus file that does not parse, or a frozen file that changed."""


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    lang: str
    group: str
    label: str
    hard_negative: bool
    text: str
    writer: str


def _read(path: Path, writer: str) -> list[Post]:
    posts = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            post = Post(
                id=str(row["id"]),
                lang=str(row["lang"]),
                group=str(row.get("group", "")),
                label=str(row["label"]),
                hard_negative=bool(row.get("hard_negative", False)),
                text=str(row["text"]),
                writer=writer,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path.name} line {number}: {exc}") from None
        if post.label not in LABELS:
            raise CorpusError(f"{path.name} line {number}: label {post.label!r}")
        posts.append(post)
    return posts


def manifest(directory: Path = DIR) -> dict[str, object]:
    data: dict[str, object] = json.loads((directory / "splits.json").read_text(encoding="utf-8"))
    return data


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split(name: str, directory: Path = DIR) -> list[Post]:
    """Every post of one split, in file then line order; frozen files are checked first."""
    if name not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    data = manifest(directory)
    writers = data["writers"]
    assert isinstance(writers, dict)
    frozen = data.get("frozen", {})
    assert isinstance(frozen, dict)
    posts: list[Post] = []
    for writer, where in sorted(writers.items()):
        if where != name:
            continue
        path = directory / f"{writer}.jsonl"
        if writer in frozen and digest(path) != frozen[writer]:
            raise CorpusError(f"{path.name} changed after its split was frozen")
        posts.extend(_read(path, writer))
    return posts


def load(names: Iterable[str], directory: Path = DIR) -> list[Post]:
    return [post for name in names for post in split(name, directory)]
