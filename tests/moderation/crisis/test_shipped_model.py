"""The shipped crisis model (issue 18): small, rebuilt from the corpus (to rounding), held to its
floor on validation-b (which tuning never reads), and used by the real publishing flow.

The issue's targets (urgent recall >= 0.95, any-risk >= 0.90, false alarms <= 0.05 per
language) are NOT reached yet: bench/README.md ("Crisis model") has the figures on the frozen
test split. What `make test` holds here is a floor under today's figures on validation-b, so a
retrain or a lexicon change that makes the scanner worse fails.
"""

from __future__ import annotations

import json

import asyncpg
import numpy as np
import pytest

from forum.moderation.crisis import dataset, model, scanner, training
from forum.ops import crisis_model
from forum.storage.groups import Group
from tests.clients import ForumClient

# The escalation tests' group (not pre-moderated, `keeper` its moderator) and helpers.
from tests.moderation.crisis.test_escalation import grief, publish, write_and_preview, writer

__all__ = ["grief", "writer"]  # fixtures, used by name

#: Floors on validation-b for the combined scanner, per language present there. Raise them as
#: the model improves; never lower one to make a change pass.
#: (Each language's 42 ordinary posts give false alarms a wide interval; "all" is held tighter.)
FLOOR = {"urgent": 0.60, "any": 0.70, "false_alarms": 0.20}
FLOOR_ALL_FALSE_ALARMS = 0.15


@pytest.fixture(scope="module")
def shipped() -> model.Model:
    """The shipped file if there is one, else what `forum crisis-train` builds (deterministic).

    Main does not ship the file yet: the browser flows post sentences the model flags."""
    if model.PATH.exists():
        return model.Model.load(model.PATH)
    return crisis_model.retrain(report=lambda line: None)


def test_the_shipped_model_is_small_and_names_its_training_data(shipped: model.Model) -> None:
    assert len(shipped.to_bytes()) < 10 * 1024 * 1024
    train = dataset.split("train")
    assert shipped.meta["writers"] == sorted({p.writer for p in train})
    assert shipped.meta["tuned_on"] == sorted({p.writer for p in dataset.split("validation-a")})
    assert shipped.meta["data"] == training.fingerprint(train)
    assert shipped.meta["trained_on"] == training.describe(train)
    test_writers = {p.writer for p in dataset.split("test")}
    assert not test_writers & set(shipped.meta["writers"] + shipped.meta["tuned_on"])


def test_a_retrain_rebuilds_the_shipped_model(shipped: model.Model) -> None:
    """`forum crisis-train` with the C and floor it chose: the same thresholds and, to the
    solver's rounding, the same weights. Not the same bytes on every machine: the last digits
    of the fit follow the BLAS build (and, before training pinned one thread, the core count);
    on one machine a fit repeats byte for byte (below)."""
    rebuilt = training.build(
        dataset.split("train"),
        dataset.split("validation-a"),
        c_grid=(shipped.meta["C"],),
        floor_grid=(shipped.meta["norm_floor"],),
    )
    assert {k: v for k, v in rebuilt.meta.items() if k != "version"} == {
        k: v for k, v in shipped.meta.items() if k != "version"
    }
    assert np.array_equal(rebuilt.idf, shipped.idf)
    assert np.allclose(rebuilt.coef, shipped.coef, atol=0.02)
    assert np.allclose(rebuilt.intercept, shipped.intercept, atol=0.01)


def test_a_fit_repeats_byte_for_byte() -> None:
    posts = dataset.split("train")[::10]
    first = training.fit(posts, 16.0, norm_floor=70.0)
    assert first.to_bytes() == training.fit(posts, 16.0, norm_floor=70.0).to_bytes()


def test_validation_b_holds_the_combined_scanner_to_its_floor(shipped: model.Model) -> None:
    posts = dataset.split("validation-b")
    assert posts, "validation-b has no writers"
    figures = crisis_model.figures(posts, shipped)
    for lang in {p.lang for p in posts}:
        combined = figures[lang, "combined"]
        lexicon = figures[lang, "lexicon"]
        assert combined.urgent_recall >= FLOOR["urgent"], (lang, combined.lines())
        assert combined.concern_recall >= FLOOR["any"], (lang, combined.lines())
        assert combined.false_positive_rate <= FLOOR["false_alarms"], (lang, combined.lines())
        # the second opinion earns its place: it finds more than the lexicon alone
        assert combined.urgent_found > lexicon.urgent_found, lang
    assert figures["all", "combined"].false_positive_rate <= FLOOR_ALL_FALSE_ALARMS


def _only_the_model_finds(shipped: model.Model) -> dataset.Post:
    """An urgent validation-b post the lexicon misses and the combined scanner calls urgent."""
    lexicon = scanner.Lexicon.base()
    for post in dataset.split("validation-b"):
        if post.label != "urgent" or scanner.scan_lexicon(post.text, lexicon).level != "none":
            continue
        if scanner.scan(post.text, model=shipped).level == "urgent":
            return post
    pytest.fail("the model finds no urgent post the lexicon misses")


@pytest.fixture
def in_use(shipped: model.Model, monkeypatch: pytest.MonkeyPatch) -> model.Model:
    """The forum scans with this model, as `forum serve` does with the shipped file."""
    monkeypatch.setattr(model, "default", lambda: shipped)
    return shipped


@pytest.mark.shipped_model
async def test_a_post_only_the_model_catches_is_held_with_its_words_explained(
    writer: ForumClient, grief: Group, db: asyncpg.Connection, in_use: model.Model
) -> None:
    post = _only_the_model_finds(in_use)
    url, page = await write_and_preview(writer, post.text, title="An update")
    assert 'id="support"' in page  # the author sees support before publishing
    resp = await publish(writer, url, page)
    assert resp.status == 303
    assert "support=1" in resp.headers["Location"]
    assert await db.fetchval("SELECT state FROM posts") == "held"
    item = await db.fetchrow("SELECT crisis_level, crisis_matches FROM queue_items")
    assert item is not None
    assert item["crisis_level"] == "urgent"
    matches = json.loads(item["crisis_matches"])
    assert {m["category"] for m in matches} == {"model"}
    for m in matches:  # the member's own words (offsets are into title and body as scanned)
        assert f"An update\n{post.text}"[m["start"] : m["end"]] == m["excerpt"]


@pytest.mark.shipped_model
async def test_an_ordinary_post_with_the_shipped_model_creates_no_crisis_item(
    writer: ForumClient, grief: Group, db: asyncpg.Connection, in_use: model.Model
) -> None:
    body = "The first winter without Mum is hard, but the scarf she knitted keeps me going."
    url, page = await write_and_preview(writer, body, title="Her scarf")
    assert 'id="support"' not in page
    assert (await publish(writer, url, page)).status == 303
    assert await db.fetchval("SELECT count(*) FROM queue_items") == 0


def test_evaluation_intervals_are_reported_for_every_cell(shipped: model.Model) -> None:
    lines = crisis_model.evaluate_split("validation-b", shipped)
    table = [line for line in lines if line.startswith("| ") and "[" in line]
    langs = {p.lang for p in dataset.split("validation-b")}
    assert len(table) == (len(langs) + 1) * len(crisis_model.SCANNERS)
    for line in table:  # "rate [low-high] found/total" in each of the three figures
        for cell in line.split(" | ")[2:]:
            rate, interval, _ = cell.strip(" |").split(" ")
            low, high = map(float, interval.strip("[]").split("-"))
            assert low <= float(rate) <= high or float(rate) != float(rate)


@pytest.mark.parametrize(
    "text",
    ["kms", "im going to kill myself tonight", "goodbye everyone, I'm done", "k.m.s tonight"],
)
def test_short_explicit_posts_stay_urgent(shipped: model.Model, text: str) -> None:
    """However sure the model is of short texts, it never talks the lexicon out of these."""
    assert scanner.scan(text, model=shipped).level == "urgent"
