"""`forum crisis-scan`, `forum crisis-train` and `forum crisis-eval`: the scanner on the command
line, the crisis model's build and its report card."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from forum.moderation.crisis import dataset, evaluation, model, scanner
from forum.ops.runtime import InputError

__all__ = [
    "SCANNERS",
    "Switch",
    "crisis_scan",
    "evaluate_split",
    "figures",
    "retrain",
    "train_with_verdicts",
]

SCANNERS = ("lexicon", "model", "combined")


def levels(posts: Sequence[dataset.Post], chosen: model.Model) -> dict[str, list[str]]:
    """What each scanner says of each post."""
    lexicon = scanner.Lexicon.base()
    out: dict[str, list[str]] = {name: [] for name in SCANNERS}
    for post in posts:
        lexical = scanner.scan_lexicon(post.text, lexicon)
        prediction = chosen.predict(post.text)
        out["lexicon"].append(lexical.level)
        out["model"].append(prediction.level)
        out["combined"].append(scanner.combine(lexical, prediction).level)
    return out


def figures(
    posts: Sequence[dataset.Post], chosen: model.Model
) -> dict[tuple[str, str], evaluation.Evaluation]:
    """(language or "all", scanner) -> figures."""
    said = levels(posts, chosen)
    langs = [lang for lang in dataset.LANGUAGES if any(p.lang == lang for p in posts)]
    out = {}
    for lang in [*langs, "all"]:
        for name in SCANNERS:
            out[lang, name] = evaluation.evaluate(
                (p.label, level)
                for p, level in zip(posts, said[name], strict=True)
                if lang in ("all", p.lang)
            )
    return out


def evaluate_split(name: str, chosen: model.Model, directory: Path = dataset.DIR) -> list[str]:
    posts = dataset.split(name, directory)
    if not posts:
        return [f"split {name}: no posts"]
    rows = [(lang, scanner_name, e) for (lang, scanner_name), e in figures(posts, chosen).items()]
    hard = sum(p.hard_negative for p in posts)
    none = sum(p.label == "none" for p in posts)
    writers = sorted({p.writer for p in posts})
    return [
        f"split {name}: {len(posts)} posts by {', '.join(writers)};"
        f" {none} none posts, {hard} of them hard negatives;"
        f" model {chosen.meta.get('version', '?')}",
        "",
        *evaluation.table(rows),
    ]


def retrain(report: Callable[[str], None] = print) -> model.Model:
    from forum.moderation.crisis import training

    train = dataset.split("train")
    validation = dataset.split("validation-a")
    report(f"training on {len(train)} posts, tuning on {len(validation)} (validation-a)")
    return training.build(train, validation, report=report)


def crisis_train(out: Path = model.PATH) -> str:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        return "crisis-train needs scikit-learn: pip install 'forum[train]'"
    built = retrain(lambda line: print(line, file=sys.stderr))
    data = built.to_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    t = built.meta["thresholds"]
    return (
        f"wrote {out} ({len(data) // 1024} KiB), model {built.meta['version']},"
        f" C={built.meta['C']:g}, urgent_at {t['urgent']:.2f}, concern_at {t['concern']:.2f}"
    )


def crisis_eval(splits: Sequence[str]) -> str:
    chosen = model.default()
    if chosen is None:
        return f"no crisis model at {model.PATH}: run forum crisis-train"
    lines: list[str] = []
    for name in splits:
        lines.extend(evaluate_split(name, chosen))
        lines.append("")
    return "\n".join(lines).rstrip()


#: Every HOLD_BACK-th verdict (by item id) is kept out of training to judge the candidate.
HOLD_BACK = 4
MIN_VERDICTS = 20


@dataclass(frozen=True, slots=True)
class Switch:
    message: str  # the comparison, printed either way
    switched: bool
    summary: str  # one line for the audit log


def _urgent_recall(posts: Sequence[dataset.Post], chosen: model.Model) -> evaluation.Evaluation:
    said = levels(posts, chosen)["combined"]
    return evaluation.evaluate((p.label, level) for p, level in zip(posts, said, strict=True))


def _comparison(
    rows: Sequence[tuple[str, evaluation.Evaluation, evaluation.Evaluation]],
) -> list[str]:
    """The current model beside the candidate, per data set, as a Markdown table."""
    lines = [
        "| data | current urgent recall | candidate urgent recall | current false alarms"
        " | candidate false alarms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, before, after in rows:
        lines.append(
            f"| {name} | {before.urgent_recall:.3f} | {after.urgent_recall:.3f}"
            f" | {before.false_positive_rate:.3f} | {after.false_positive_rate:.3f} |"
        )
    return lines


def train_with_verdicts(
    lessons: Sequence[tuple[int, str, str]],
    out: Path | None = None,
    *,
    current: model.Model | None = None,
    directory: Path = dataset.DIR,
) -> Switch:
    """Retrain with this forum's verdicts ((item id, text, label)); switch to the candidate only
    if its urgent recall drops neither on the frozen test split nor on held-back verdicts.

    `current` defaults to the model in use, `directory` to the shipped corpus."""
    current = current or model.default()
    if current is None:
        return Switch(f"no crisis model at {model.PATH}: run forum crisis-train", False, "")
    if len(lessons) < MIN_VERDICTS:
        return Switch(
            f"{len(lessons)} moderator verdicts here; at least {MIN_VERDICTS} are needed", False, ""
        )
    local = [
        dataset.Post(f"local-{i}", "local", "", label, False, text, "local")
        for i, text, label in lessons
    ]
    held = [p for p, (i, _, _) in zip(local, lessons, strict=True) if i % HOLD_BACK == 0]
    taught = [p for p, (i, _, _) in zip(local, lessons, strict=True) if i % HOLD_BACK != 0]
    from forum.moderation.crisis import training

    report: Callable[[str], None] = lambda line: print(line, file=sys.stderr)  # noqa: E731
    candidate = training.build(
        [*dataset.split("train", directory), *taught],
        dataset.split("validation-a", directory),
        report=report,
    )
    test = dataset.split("test", directory)
    rows = []
    for name, posts in (("frozen test split", test), ("held-back verdicts", held)):
        before, after = _urgent_recall(posts, current), _urgent_recall(posts, candidate)
        rows.append((name, before, after))
    lines = [
        f"candidate trained on {len(taught)} local verdicts beside the shipped corpus;"
        f" {len(held)} held back",
        *_comparison(rows),
    ]
    switch = all(after.urgent_recall >= before.urgent_recall for _, before, after in rows)
    summary = (
        f"crisis model {current.meta.get('version')} -> {candidate.meta.get('version')}:"
        + "; ".join(
            f" {name} urgent recall {b.urgent_recall:.3f} -> {a.urgent_recall:.3f}"
            for name, b, a in rows
        )
    )
    if switch:
        target = out or model.local_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(candidate.to_bytes())
        lines.append(f"switched: wrote {target}; restart the forum to use it")
    else:
        lines.append("kept the current model: urgent recall would drop")
    return Switch("\n".join(lines), switch, summary)


def crisis_scan(
    lexicon: scanner.Lexicon, stdin: IO[bytes], stdout: IO[str], *, summary: bool
) -> None:
    """`forum crisis-scan`: JSON lines in, one JSON line out per input, each written before the
    next is read; with `summary`, figures for the lines that carry a "label" go to stderr."""
    labelled: list[tuple[str, str]] = []
    for number, raw in enumerate(stdin, 1):
        line = _decode(raw, number).strip()
        if not line:
            continue
        row = _read_row(line, number)
        if "label" in row and row["label"] not in evaluation.LABELS:
            raise InputError(f'line {number}: "label" must be none, concern or urgent')
        result = scanner.scan(row["text"], lexicon)
        out = {"id": row.get("id"), "level": result.level, "matches": result.to_json()}
        try:
            stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
            return
        if "label" in row:
            labelled.append((row["label"], result.level))
    if summary:
        if labelled:
            figures = evaluation.evaluate(labelled)
            print(f"crisis-scan: {len(labelled)} labelled lines", file=sys.stderr)
            for text in figures.lines():
                print(f"crisis-scan: {text}", file=sys.stderr)
        else:
            print('crisis-scan: no line carried a "label"', file=sys.stderr)


def _decode(raw: bytes, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"line {number}: not UTF-8") from None


def _read_row(line: str, number: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise InputError(f"line {number}: not valid JSON ({exc.args[0].split(':')[0]})") from None
    if not isinstance(row, dict):
        raise InputError(f"line {number}: expected a JSON object")
    if not isinstance(row.get("text"), str):
        raise InputError(f'line {number}: expected a "text" string')
    return row
