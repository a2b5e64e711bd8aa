"""The crisis model's corpus, training, file and retraining with local verdicts (issue 18).

The corpus here is a small made-up one in tmp_path: each label has its own invented marker
words (which no lexicon lists, so only the model can learn them) amid shared filler, which is
enough for a logistic regression to learn them and fast enough for the suite.
"""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import numpy as np
import pytest

from forum.moderation.crisis import dataset, model, scanner, training
from forum.ops import crisis_model

FILLER = [
    *[
        "today",
        "the",
        "group",
        "my",
        "sister",
        "and",
        "the",
        "doctor",
        "said",
        "we",
        "went",
        "walked",
        "talked",
        "wrote",
        "thought",
    ],
    *[
        "about",
        "week",
        "morning",
        "again",
        "still",
        "maybe",
        "really",
        "just",
        "home",
        "work",
        "kitchen",
        "garden",
        "letter",
    ],
]
MARKERS = {
    "urgent": ["vorpal", "quandle", "brillig", "mimsy"],
    "concern": ["tulgey", "frumious", "manxome", "uffish"],
    "none": ["galumph", "borogove", "jubjub", "slithy"],
}
#: An urgent phrasing the shipped corpus never has: what a forum's verdicts teach.
NEW_URGENT = ["snark", "boojum", "bellman"]


def post_text(rng: Random, markers: list[str]) -> str:
    words = rng.sample(FILLER, 8) + rng.sample(markers, 2)
    rng.shuffle(words)
    return " ".join(words)


def write_writer(
    directory: Path, writer: str, seed: int, per_label: int = 12, extra: list[str] | None = None
) -> None:
    rng = Random(seed)
    rows = []
    for label, markers in MARKERS.items():
        for _ in range(per_label):
            rows.append({"label": label, "text": post_text(rng, markers)})
    for _ in range(per_label if extra else 0):
        rows.append({"label": "urgent", "text": post_text(rng, extra or [])})
    with (directory / f"{writer}.jsonl").open("w", encoding="utf-8") as f:
        for n, row in enumerate(rows, 1):
            f.write(
                json.dumps({"id": f"{writer}-{n:04d}", "lang": "en", "group": "grief", **row})
                + "\n"
            )


def make_corpus(directory: Path, *, test_extra: list[str] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    write_writer(directory, "en-w01", 1, per_label=20)
    write_writer(directory, "en-w02", 2)
    write_writer(directory, "en-w03", 3)
    write_writer(directory, "en-w04", 4, extra=test_extra)
    writers = {"en-w01": "train", "en-w02": "validation-a", "en-w03": "validation-b"}
    writers["en-w04"] = "test"
    frozen = {"en-w04": dataset.digest(directory / "en-w04.jsonl")}
    (directory / "splits.json").write_text(json.dumps({"writers": writers, "frozen": frozen}))
    return directory


def build(directory: Path, extra: list[dataset.Post] = ()) -> model.Model:  # type: ignore[assignment]
    return training.build(
        [*dataset.split("train", directory), *extra],
        dataset.split("validation-a", directory),
        c_grid=(4.0, 16.0),
        floor_grid=(0.0,),
    )


def lessons(rng: Random, count: int, markers: list[str], label: str) -> list[tuple[int, str, str]]:
    return [(i, post_text(rng, markers), label) for i in range(1, count + 1)]


def recalls(message: str) -> dict[str, tuple[float, float]]:
    """The comparison table's urgent recalls: data -> (current, candidate)."""
    rows = [line.strip("|").split("|") for line in message.splitlines() if line.startswith("| ")]
    return {r[0].strip(): (float(r[1]), float(r[2])) for r in rows[2:]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def current(corpus: Path) -> model.Model:
    return build(corpus)


# the corpus


def test_splits_keep_each_writer_on_one_side(corpus: Path) -> None:
    assert {p.writer for p in dataset.split("train", corpus)} == {"en-w01"}
    assert {p.writer for p in dataset.split("test", corpus)} == {"en-w04"}
    assert len(dataset.load(["validation-a", "validation-b"], corpus)) == 72
    with pytest.raises(ValueError, match="split must be one of"):
        dataset.split("everything", corpus)


def test_a_frozen_file_that_changed_is_refused(tmp_path: Path) -> None:
    directory = make_corpus(tmp_path / "corpus")
    with (directory / "en-w04.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"id": "x", "lang": "en", "label": "none", "text": "one more"}\n')
    with pytest.raises(dataset.CorpusError, match="changed after its split was frozen"):
        dataset.split("test", directory)
    dataset.split("train", directory)  # the other splits still load


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1"),
        ('{"id": "a", "lang": "en", "text": "no label"}', "line 1"),
        ('{"id": "a", "lang": "en", "label": "maybe", "text": "x"}', "label 'maybe'"),
    ],
)
def test_a_malformed_line_names_its_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    directory = make_corpus(tmp_path / "corpus")
    (directory / "en-w01.jsonl").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(dataset.CorpusError, match=message):
        dataset.split("train", directory)


# training and the model file


def test_training_learns_what_no_lexicon_lists(corpus: Path, current: model.Model) -> None:
    rng = Random(99)
    for label, markers in MARKERS.items():
        text = post_text(rng, markers)
        assert scanner.scan_lexicon(text).level == "none"
        assert current.predict(text).level == label, text
    urgent = current.predict("we talked about the vorpal quandle this morning")
    assert urgent.level == "urgent"
    assert {e.word for e in urgent.evidence} <= {"vorpal", "quandle", "talked", "morning", "we"}
    assert {"vorpal", "quandle"} & {e.word for e in urgent.evidence}
    combined = scanner.scan("we talked about the vorpal quandle this morning", model=current)
    assert combined.level == "urgent"
    assert any(m.category == "model" for m in combined.matches)
    assert scanner.scan("the vorpal quandle", model=False).level == "none"
    meta = current.meta
    assert meta["writers"] == ["en-w01"]
    assert meta["tuned_on"] == ["en-w02"]
    assert meta["trained_on"] == {"en": {"concern": 20, "none": 20, "urgent": 20}}


def test_training_is_reproducible_to_the_byte(corpus: Path, current: model.Model) -> None:
    again = build(corpus)
    assert again.to_bytes() == current.to_bytes()
    assert again.meta["version"] == current.meta["version"]
    loaded = model.Model.from_bytes(current.to_bytes())
    text = "my sister said the brillig mimsy again"
    assert loaded.predict(text) == current.predict(text)


def test_the_model_ranks_a_whole_split(corpus: Path, current: model.Model) -> None:
    out = crisis_model.evaluate_split("test", current, corpus)
    assert out[0].startswith("split test: 36 posts by en-w04; 12 none posts, 0 of them hard")
    found = crisis_model.figures(dataset.split("test", corpus), current)
    assert found["en", "model"].urgent_recall == 1.0
    assert found["en", "lexicon"].urgent_recall == 0.0
    assert found["all", "combined"].false_positive_rate == 0.0


# retraining with this forum's verdicts


def test_too_few_verdicts_are_refused(corpus: Path, current: model.Model, tmp_path: Path) -> None:
    few = lessons(Random(5), crisis_model.MIN_VERDICTS - 1, NEW_URGENT, "urgent")
    out = tmp_path / "local.npz"
    outcome = crisis_model.train_with_verdicts(few, out, current=current, directory=corpus)
    assert not outcome.switched
    assert outcome.message == "19 moderator verdicts here; at least 20 are needed"
    assert not out.exists()


def test_verdicts_that_teach_a_new_phrasing_switch_the_model(
    corpus: Path, current: model.Model, tmp_path: Path
) -> None:
    taught = lessons(Random(6), 40, NEW_URGENT, "urgent")
    fresh = post_text(Random(7), NEW_URGENT)
    assert current.predict(fresh).level != "urgent"
    out = tmp_path / "local.npz"
    outcome = crisis_model.train_with_verdicts(taught, out, current=current, directory=corpus)
    assert outcome.switched, outcome.message
    assert "30 local verdicts beside the shipped corpus; 10 held back" in outcome.message
    table = recalls(outcome.message)
    assert table["held-back verdicts"][0] <= 0.2  # the current model misses the new phrasing
    assert table["held-back verdicts"][1] == 1.0
    assert table["frozen test split"] == (1.0, 1.0)
    assert current.meta["version"] in outcome.summary
    switched = model.Model.load(out)
    assert switched.predict(fresh).level == "urgent"
    assert switched.meta["version"] in outcome.summary


def test_a_candidate_that_would_miss_urgent_test_posts_is_not_used(
    tmp_path: Path,
) -> None:
    """The test split holds an urgent phrasing the current model learned elsewhere (the
    forum's earlier verdicts) and the corpus's train split lacks: a candidate retrained from
    the corpus and verdicts that never show it would miss those posts, so it is not used."""
    directory = make_corpus(tmp_path / "corpus", test_extra=NEW_URGENT)
    earlier = [
        dataset.Post(f"v{i}", "en", "", "urgent", False, text, "local")
        for i, text, _ in lessons(Random(8), 20, NEW_URGENT, "urgent")
    ]
    current = build(directory, earlier)
    taught = lessons(Random(9), 40, MARKERS["concern"], "concern")
    out = tmp_path / "local.npz"
    outcome = crisis_model.train_with_verdicts(taught, out, current=current, directory=directory)
    assert not outcome.switched, outcome.message
    assert outcome.message.endswith("kept the current model: urgent recall would drop")
    before, after = recalls(outcome.message)["frozen test split"]
    assert before == 1.0
    assert after < 1.0
    assert not out.exists()


# the shipped corpus


def test_the_shipped_test_split_is_as_frozen_and_covers_every_language() -> None:
    manifest = dataset.manifest()
    writers, frozen = manifest["writers"], manifest["frozen"]
    assert isinstance(writers, dict)
    assert isinstance(frozen, dict)
    tests = {w for w, split in writers.items() if split == "test"}
    assert tests == set(frozen)  # every test writer's file is frozen, and only theirs
    posts = dataset.split("test")  # raises if any frozen file changed
    assert {p.lang for p in posts} == set(dataset.LANGUAGES)
    assert all(p.id.startswith(p.writer + "-") for p in posts)
    assert len({p.id for p in posts}) == len(posts)
    for lang in dataset.LANGUAGES:  # what issue 18 asks of each language's test split
        mine = [p for p in posts if p.lang == lang]
        none = [p for p in mine if p.label == "none"]
        assert sum(p.label == "urgent" for p in mine) >= 100, lang
        assert sum(p.label == "concern" for p in mine) >= 80, lang
        assert len(none) >= 150, lang
        assert sum(p.hard_negative for p in none) >= 0.4 * len(none), lang


# combining the two (scanner.combine)


def _prediction(level: str, p_any: float, overrules: str = "none") -> model.Prediction:
    p_urgent = p_any if level == "urgent" else 0.0
    probabilities = {"none": 1 - p_any, "concern": p_any - p_urgent, "urgent": p_urgent}
    evidence = (model.Evidence("pills", 10, 15, 1.0),) if level != "none" else ()
    return model.Prediction(probabilities, level, evidence, overrules)


@pytest.mark.parametrize(
    ("text", "overrules", "expected"),
    [
        # a concern phrase stands unless the model overrules concern or more
        ("I feel hopeless", "none", "concern"),
        ("I feel hopeless", "concern", "none"),
        ("I feel hopeless", "urgent", "none"),
        # an urgent phrase stands unless the model is sure enough to overrule urgent
        ("I want to kill myself", "none", "urgent"),
        ("I want to kill myself", "concern", "urgent"),
        ("I want to kill myself", "urgent", "none"),
    ],
)
def test_the_model_overrules_the_base_lexicon_only_as_far_as_it_is_sure(
    text: str, overrules: str, expected: str
) -> None:
    lexical = scanner.scan_lexicon(text)
    assert lexical.level in ("concern", "urgent")
    assert scanner.combine(lexical, _prediction("none", 0.001, overrules)).level == expected


def test_the_model_never_overrules_a_groups_own_phrase() -> None:
    lexicon = scanner.Lexicon.base().with_phrases([("going to the quarry", "urgent")])
    lexical = scanner.scan_lexicon("i am going to the quarry", lexicon)
    assert any(m.category == "group" for m in lexical.matches)
    assert scanner.combine(lexical, _prediction("none", 0.0, "urgent")).level == lexical.level


def test_the_model_raises_the_level_with_its_words_as_matches() -> None:
    lexical = scanner.scan_lexicon("some words and pills")
    combined = scanner.combine(lexical, _prediction("urgent", 0.8))
    assert combined.level == "urgent"
    assert [(m.category, m.start, m.end, m.phrase) for m in combined.matches] == [
        ("model", 10, 15, "model 80%")
    ]


def test_the_tuner_overrules_urgent_phrases_only_when_recall_holds() -> None:
    """Ordinary posts whose only alarm is a lexicon urgent phrase the model is sure about are
    quietened; an at-risk post the lexicon alone catches keeps the urgent veto off."""

    def post(n: int, label: str) -> dataset.Post:
        return dataset.Post(f"en-w01-{n:04d}", "en", "grief", label, False, "x", "en-w01")

    posts = [post(i, "none") for i in range(10)] + [post(10 + i, "urgent") for i in range(10)]
    # one ordinary post in ten trips an urgent phrase: within FALSE_ALARM_CAP, which comes first
    lexicon_levels = ["urgent"] + ["none"] * 9 + ["urgent"] * 10
    p = np.zeros((20, 3))
    p[:10] = [0.995, 0.0, 0.005]  # the model is sure the ordinary posts are ordinary
    p[10:] = [0.1, 0.1, 0.8]  # and sees every urgent one
    tuned = training.tune(p, lexicon_levels, posts)
    assert tuned.veto_urgent_at > 0.005
    assert tuned.false_alarms == 0.0
    # one urgent post only the lexicon catches, with the model as sure as on the others
    p[10] = [0.995, 0.0, 0.005]
    tuned = training.tune(p, lexicon_levels, posts)
    assert tuned.veto_urgent_at <= 0.005
    assert tuned.worst_urgent_recall == 1.0


def test_a_text_with_too_little_evidence_overrules_nothing(current: model.Model) -> None:
    """Under the norm floor the model leans on its prior ("probably ordinary"); that must not
    overrule the lexicon: "kms" alone stays urgent."""
    sure = {"urgent": 0.999, "concern": 0.999, "veto": 1.0, "veto_urgent": 1.0}
    eager = model.Model(
        current.idf, current.coef, current.intercept, dict(current.meta, thresholds=sure)
    )
    floored = model.Model(
        current.idf,
        current.coef,
        current.intercept,
        dict(current.meta, thresholds=sure, norm_floor=1e9),
    )
    text = "the group said kms"
    assert scanner.scan_lexicon(text).level == "urgent"
    assert eager.predict(text).overrules == "urgent"
    assert scanner.scan(text, model=eager).level == "none"
    assert floored.predict(text).overrules == "none"
    assert scanner.scan(text, model=floored).level == "urgent"
