"""Scanner figures on labelled posts: what the corpus test checks and `crisis-scan --summary` prints.

Three numbers, as issue 5 states them: urgent recall (urgent posts found urgent), at-least-concern
recall (concern or urgent posts found at least concern) and the false-positive rate (posts
labelled none that the scanner flagged at all).
"""

from __future__ import annotations

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
