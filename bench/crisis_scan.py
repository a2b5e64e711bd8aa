"""Crisis scanner speed: a 20,000-character post against a 50-phrase and 5,000-phrase lexicons.

Run: .venv/bin/python bench/crisis_scan.py [--runs N]

Second part (issue 18): both stages, the lexicon and the learned model (`scanner.scan`), on every
post of the corpus's validation splits under 2,000 characters, one scan each after a warm-up:
the mean and the 99th percentile per post, beside the lexicon alone on the same posts (the
baseline of this run); then the 20,000-character posts; then how much the worker's resident
memory grew when the model was loaded (the base lexicon built before), and after it had scanned
every post of the corpus's training split too, its word caches filled.

All lexicons are built in this run, with the repository's context cues and spellings: "50" is
the first 50 repository phrases; "5000 invented" is the same 50 plus 4,950 phrases of made-up
words (lexicon size alone: same text, same matches); "5000 common" is every repository phrase
(about 550) plus generated ones made of everyday words (verb, object, tail), so a walk starts
wherever an ordinary verb meets an ordinary object and there are many more matches to check: a
hard case. Each post is scanned `--runs` times per lexicon after a warm-up, with the garbage
collector paused as timeit does; the table shows the median and the 99th percentile of
time.perf_counter() differences. Two posts: "ordinary" (the evaluation corpus's posts labelled
none) and "dense" (every corpus post, so hundreds of candidate phrases and context checks).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

from forum.moderation.crisis import dataset, model, scanner, sources

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "crisis_corpus.jsonl"
POST_CHARS = 20_000

# Ordinary words for generated phrases (verb, object, tail): a lexicon of rare words would make
# the walk look cheaper than it is, so these are words every post is full of, and a generated
# phrase begins wherever an ordinary verb does.
VERBS = [
    "feel",
    "want",
    "need",
    "think",
    "keep",
    "try",
    "start",
    "stop",
    "going",
    "taking",
    "making",
    "getting",
    "leave",
    "hate",
    "love",
    "miss",
    "lose",
    "lost",
    "hurt",
    "break",
    "find",
    "hide",
    "tell",
    "write",
    "say",
    "call",
    "text",
    "sleep",
    "wake",
    "drink",
    "use",
    "take",
    "give",
]
OBJECT_WORDS = [
    "everything",
    "anything",
    "nothing",
    "myself",
    "today",
    "tonight",
    "again",
    "home",
    "work",
    "the",
    "pills",
    "bottle",
    "my",
    "family",
    "life",
    "pain",
    "it",
    "all",
    "this",
    "week",
    "head",
    "house",
    "room",
    "car",
    "bridge",
    "door",
    "knife",
    "rope",
    "a",
    "note",
    "meds",
    "phone",
    "kids",
    "night",
]
TAILS = [
    "so",
    "much",
    "anymore",
    "right",
    "now",
    "for",
    "good",
    "at",
    "all",
    "again",
    "tonight",
    "this",
    "time",
    "for",
    "real",
    "any",
    "longer",
    "too",
    "every",
    "day",
    "alone",
    "forever",
]


def corpus_post(labels: set[str]) -> str:
    texts = []
    with CORPUS.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row["label"] in labels:
                texts.append(row["text"])
    post = ""
    i = 0
    while len(post) < POST_CHARS:
        post += texts[i % len(texts)] + "\n\n"
        i += 1
    return post[:POST_CHARS]


def generated_phrases(count: int, taken: set[str]) -> list[tuple[str, str]]:
    rng = random.Random(5000)  # noqa: S311 - a fixed, reproducible lexicon, not a secret
    phrases: list[tuple[str, str]] = []
    seen = set(taken)
    while len(phrases) < count:
        words = [rng.choice(VERBS), rng.choice(OBJECT_WORDS), rng.choice(TAILS)]
        if rng.random() < 0.3:
            words.insert(0, rng.choice(["i", "im", "just", "i will", "i want to", "going to"]))
        phrase = " ".join(words)
        if phrase not in seen:
            seen.add(phrase)
            phrases.append((phrase, rng.choice(["concern", "urgent"])))
    return phrases


def invented_phrases(count: int) -> list[tuple[str, str]]:
    """Phrases of made-up words: lexicon size alone, with no extra starts in ordinary text."""
    rng = random.Random(50)  # noqa: S311 - a fixed, reproducible lexicon, not a secret
    phrases = set()
    while len(phrases) < count:
        words = [
            "".join(rng.choice("bcdfghjklmnpqrstvwxz") + rng.choice("aeiou") for _ in range(3))
            for _ in range(rng.randint(1, 3))
        ]
        phrases.add(" ".join(words))
    return [(p, "concern") for p in sorted(phrases)]


def lexicons() -> dict[str, scanner.Lexicon]:
    loaded = sources.load_sources()
    phrases = [r for r in loaded.rules if r[1] != "ignore"]
    small = scanner.Lexicon(dataclasses.replace(loaded, rules=tuple(phrases[:50])))
    ordinary = generated_phrases(5000 - len(phrases), {p for p, _l, _c in phrases})
    large = scanner.Lexicon(dataclasses.replace(loaded, rules=tuple(phrases)), tuple(ordinary))
    invented = invented_phrases(5000 - 50)
    rare = scanner.Lexicon(dataclasses.replace(loaded, rules=tuple(phrases[:50])), tuple(invented))
    return {
        f"{small.size}": small,
        f"{rare.size} invented": rare,
        f"{large.size} common": large,
    }


def measure(post: str, lexicon: scanner.Lexicon, runs: int) -> tuple[float, float, str]:
    for _ in range(20):
        result = scanner.scan_lexicon(post, lexicon)
    times = []
    gc.collect()
    gc.disable()  # as timeit does: a collection in one run is noise, not scanning
    try:
        for _ in range(runs):
            start = time.perf_counter()
            result = scanner.scan_lexicon(post, lexicon)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return statistics.median(times) * 1000, p99 * 1000, f"{result.level}, {len(result.matches)}"


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def per_post(texts: list[str], scan: object) -> tuple[float, float]:
    """Mean and p99 in ms of one scan per text (after one warm-up pass)."""
    assert callable(scan)
    for text in texts:
        scan(text)
    times = []
    gc.collect()
    gc.disable()
    try:
        for text in texts:
            start = time.perf_counter()
            scan(text)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    times.sort()
    return statistics.mean(times) * 1000, times[int(len(times) * 0.99)] * 1000


def both_stages(posts: dict[str, str]) -> None:
    base = scanner.Lexicon.base()  # the lexicon's own memory is not the model's
    before = rss_kib()
    learned = model.default()
    if learned is None:
        print("\nno crisis model shipped: run forum crisis-train")
        return
    learned.predict("warm the caches")
    loaded = rss_kib() - before
    typical = [p.text for p in dataset.load(["validation-a", "validation-b"]) if len(p.text) < 2000]
    print(
        f"\nboth stages, model {learned.meta.get('version')}: {len(typical)} posts under 2,000 characters"
    )
    header = f"{'scanner':<22} {'mean ms':>8} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    lexical = per_post(typical, lambda t: scanner.scan_lexicon(t, base))
    combined = per_post(typical, lambda t: scanner.scan(t, base, learned))
    print(f"{'lexicon alone':<22} {lexical[0]:>8.3f} {lexical[1]:>8.3f}")
    print(f"{'lexicon and model':<22} {combined[0]:>8.3f} {combined[1]:>8.3f}")
    print(f"ratio both / lexicon alone (mean): {combined[0] / lexical[0]:.2f}")
    for name, post in posts.items():
        mean, p99 = per_post([post] * 50, lambda t: scanner.scan(t, base, learned))
        print(
            f"{POST_CHARS:,}-character {name} post, both stages: mean {mean:.3f} ms, p99 {p99:.3f} ms"
        )
    for text in (p.text for p in dataset.load(["train"])):
        learned.predict(text)
    grown = rss_kib() - before
    print(
        f"resident memory grown by loading the model: {loaded / 1024:.1f} MiB; after scanning"
        f" these and the {len(dataset.load(['train']))} training posts too (its word caches):"
        f" {grown / 1024:.1f} MiB"
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()
    posts = {"ordinary": corpus_post({"none"}), "dense": corpus_post({"none", "concern", "urgent"})}
    built = lexicons()
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}; Python {platform.python_version()}")
    print(f"post: {POST_CHARS:,} characters; {args.runs} runs each\n")
    header = f"{'post':<10} {'phrases':<15} {'median ms':>10} {'p99 ms':>8}  level, matches"
    print(header)
    print("-" * len(header))
    medians: dict[tuple[str, str], float] = {}
    for post_name, post in posts.items():
        for lex_name, compiled in built.items():
            median, p99, result = measure(post, compiled, args.runs)
            medians[post_name, lex_name] = median
            print(f"{post_name:<10} {lex_name:<15} {median:>10.3f} {p99:>8.3f}  {result}")
    small, *large = built
    print()
    for post_name in posts:
        for name in large:
            ratio = medians[post_name, name] / medians[post_name, small]
            print(f"ratio {name} / {small} phrases, {post_name} post: {ratio:.2f}")
    both_stages(posts)


if __name__ == "__main__":
    main()
