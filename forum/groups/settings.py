"""A group's settings and the one set of rules that checks them.

`forum create-group` and the admin console's create and edit forms all pass what they were given,
as text, to `GroupSettings.parse`; it answers with the checked settings or with every problem, in words a
person can act on. So "the same rules" from the command line and the browser is one function,
not two copies kept in step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_RULE = "lower-case letters, digits and single hyphens (for example “lost-a-parent”)"

#: Condition tags, in the order the directory shows them. An allow-list, so a tag link is always
#: one of these and the directory filter never searches for arbitrary text.
TAGS: dict[str, str] = {
    "grief": "Grief",
    "baby-loss": "Baby loss",
    "cancer": "Cancer",
    "chronic-illness": "Long-term illness",
    "dementia": "Dementia",
    "caring": "Carers",
    "mental-health": "Mental health",
    "addiction": "Addiction",
    "abuse": "Abuse and trauma",
}

CHOICES: dict[str, tuple[str, ...]] = {
    "visibility": ("public", "members"),
    "membership": ("open", "approval"),
    "anonymous": ("off", "optional"),
    "moderation": ("open", "new-members", "all"),
    "crisis_policy": ("hold", "publish"),
    "appeals": ("admins", "moderators"),
}

#: (lowest, highest, default) for the numeric settings.
NUMBERS: dict[str, tuple[int, int, int]] = {
    "moderation_first_posts": (1, 100, 3),
    "report_hide_threshold": (1, 100, 3),
    "crisis_reescalate_minutes": (1, 1440, 10),
}

LIMITS = {"name": 100, "description": 2000, "join_question": 500, "guidelines": 5000}

#: Every setting as text, as a blank create form (and `forum create-group`) starts.
DEFAULTS: dict[str, str] = {
    "slug": "",
    "name": "",
    "description": "",
    "join_question": "",
    "guidelines": "",
    "webhook_url": "",
    **{field: allowed[0] for field, allowed in CHOICES.items()},
    **{field: str(default) for field, (_, _, default) in NUMBERS.items()},
}

_NUMBER_WORDS = {
    "moderation_first_posts": "The number of first posts to review",
    "report_hide_threshold": "The number of reports that hide a post",
    "crisis_reescalate_minutes": "The re-escalation time (minutes)",
}
_CHOICE_WORDS = {
    "visibility": "who can read the group",
    "membership": "who can join",
    "anonymous": "whether anonymous posts are allowed",
    "moderation": "which posts are reviewed",
    "crisis_policy": "what happens to urgent posts",
    "appeals": "who decides appeals",
}


@dataclass(frozen=True, slots=True)
class GroupSettings:
    slug: str
    name: str
    description: str
    condition_tags: list[str]
    visibility: str
    membership: str
    join_question: str
    anonymous: str
    moderation: str
    moderation_first_posts: int
    report_hide_threshold: int
    crisis_policy: str
    crisis_reescalate_minutes: int
    webhook_url: str | None
    guidelines: str
    appeals: str = "admins"  # who decides appeals against its decisions: "admins" or "moderators"

    def as_form(self) -> dict[str, str]:
        """The settings as the form fields that would produce them."""
        values = {field: getattr(self, field) for field in DEFAULTS}
        return {field: "" if value is None else str(value) for field, value in values.items()}

    @classmethod
    def parse(
        cls, raw: Mapping[str, str], tags: Sequence[str]
    ) -> tuple[GroupSettings | None, dict[str, str]]:
        """Check every setting; missing fields take their defaults. The settings, or the problems
        keyed by field (so the form can say which, and the CLI can name its flag)."""
        values = {field: raw.get(field, default).strip() for field, default in DEFAULTS.items()}
        values["name"] = " ".join(values["name"].split())
        problems: dict[str, str] = {}
        if not SLUG.match(values["slug"]) or len(values["slug"]) > 64:
            problems["slug"] = f"The address must be {SLUG_RULE}, at most 64 characters."
        if not values["name"] or len(values["name"]) > LIMITS["name"]:
            problems["name"] = "Please give the group a name of 1 to 100 characters."
        for field, words in (
            ("description", "The description"),
            ("join_question", "The question for people asking to join"),
            ("guidelines", "The guidelines"),
        ):
            if len(values[field]) > LIMITS[field]:
                problems[field] = f"{words} can be at most {LIMITS[field]:,} characters."
        for field, allowed in CHOICES.items():
            if values[field] not in allowed:
                problems[field] = f"Choose {_CHOICE_WORDS[field]} from the list."
        for field in NUMBERS:
            problem = number_problem(field, values[field])
            if problem:
                problems[field] = problem
        unknown = [t for t in tags if t not in TAGS]
        if unknown:
            problems["tags"] = (
                f"Unknown condition tag “{unknown[0]}”: choose from {', '.join(TAGS)}."
            )
        webhook = webhook_problem(values["webhook_url"])
        if webhook:
            problems["webhook_url"] = webhook
        if problems:
            return None, problems
        chosen = [t for t in TAGS if t in set(tags)]
        return (
            cls(
                slug=values["slug"],
                name=values["name"],
                description=values["description"],
                condition_tags=chosen,
                visibility=values["visibility"],
                membership=values["membership"],
                join_question=values["join_question"],
                anonymous=values["anonymous"],
                moderation=values["moderation"],
                moderation_first_posts=int(values["moderation_first_posts"]),
                report_hide_threshold=int(values["report_hide_threshold"]),
                crisis_policy=values["crisis_policy"],
                crisis_reescalate_minutes=int(values["crisis_reescalate_minutes"]),
                webhook_url=values["webhook_url"] or None,
                guidelines=values["guidelines"],
                appeals=values["appeals"],
            ),
            {},
        )


def valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url


def webhook_problem(url: str) -> str | None:
    if url and (len(url) > 300 or not valid_url(url)):
        return "The webhook address must be a full http:// or https:// URL."
    return None


def number_problem(field: str, raw: str) -> str | None:
    low, high, _ = NUMBERS[field]
    if raw.isascii() and raw.isdigit() and len(raw) < 6 and low <= int(raw) <= high:
        return None
    return f"{_NUMBER_WORDS[field]} must be a whole number from {low} to {high}."


def parse_tags(raw: str) -> list[str]:
    """`--tags "grief, cancer"` from the command line: the same list the form's boxes send."""
    return [t for t in re.split(r"[\s,]+", raw.strip().lower()) if t]
