"""Scanner figures on labelled posts: what the corpus test checks and `crisis-scan --summary` prints.

Three numbers, as issue 5 states them: urgent recall (urgent posts found urgent), at-least-concern
recall (concern or urgent posts found at least concern) and the false-positive rate (posts
labelled none that the scanner flagged at all).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

LABELS = ("none", "concern", "urgent")


@dataclass(frozen=True, slots=True)
class Evaluation:
    urgent: int
    urgent_found: int
    at_risk: int  # labelled concern or urgent
    at_risk_found: int
    none: int
    false_positives: int

    @property
    def urgent_recall(self) -> float:
        return self.urgent_found / self.urgent if self.urgent else 1.0

    @property
    def concern_recall(self) -> float:
        return self.at_risk_found / self.at_risk if self.at_risk else 1.0

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.none if self.none else 0.0

    def lines(self) -> list[str]:
        return [
            f"urgent recall {self.urgent_recall:.3f} ({self.urgent_found}/{self.urgent})",
            f"at-least-concern recall {self.concern_recall:.3f}"
            f" ({self.at_risk_found}/{self.at_risk})",
            f"false-positive rate on none {self.false_positive_rate:.3f}"
            f" ({self.false_positives}/{self.none})",
        ]


def evaluate(pairs: Iterable[tuple[str, str]]) -> Evaluation:
    """Figures for (label, level the scanner gave) pairs."""
    counts = dict.fromkeys(
        ("urgent", "urgent_found", "at_risk", "at_risk_found", "none", "false_positives"), 0
    )
    for label, level in pairs:
        if label not in LABELS:
            raise ValueError(f"label must be one of {', '.join(LABELS)}, not {label!r}")
        if label == "urgent":
            counts["urgent"] += 1
            counts["urgent_found"] += level == "urgent"
        if label != "none":
            counts["at_risk"] += 1
            counts["at_risk_found"] += level != "none"
        else:
            counts["none"] += 1
            counts["false_positives"] += level != "none"
    return Evaluation(**counts)


def wilson(found: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of found/total (sound near 0 and 1, unlike p +- 2 se)."""
    if not total:
        return 0.0, 1.0
    p = found / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def cell(found: int, total: int) -> str:
    low, high = wilson(found, total)
    rate = found / total if total else float("nan")
    return f"{rate:.3f} [{low:.2f}-{high:.2f}] {found}/{total}"


def table(rows: Iterable[tuple[str, str, Evaluation]]) -> list[str]:
    """A Markdown table: per (language, scanner) the three figures with their 95% intervals."""
    lines = [
        "| language | scanner | urgent recall | any-risk recall | false alarms |",
        "| --- | --- | --- | --- | --- |",
    ]
    for lang, name, e in rows:
        lines.append(
            f"| {lang} | {name} | {cell(e.urgent_found, e.urgent)} |"
            f" {cell(e.at_risk_found, e.at_risk)} | {cell(e.false_positives, e.none)} |"
        )
    return lines
