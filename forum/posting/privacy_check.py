"""The privacy check at preview: details in a draft that could identify its author or others.

A pure function over the draft's text, run each time the draft page is shown: what it finds is
shown to the author once, as a gentle note, and is never stored, logged or used to block
publishing (HealthUnlocked scans for e-mails and phone numbers when a member posts; we look for
more, earlier, and leave the choice with the author).

The design favours precision over recall: a note that cries wolf at every date, dose or price
would soon be ignored. So phone numbers need the shape of one (an international "+", a trunk
"0", an area code in brackets, or the North American 3-3-4 groups) and enough digits; names count
only as two capitalised words right after "my husband", "my doctor" and the like, or after a
title such as "Dr"; places only with a street or hospital word attached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: What each kind of finding is called in the note, in the order the note lists them.
KINDS = {
    "email": "an e-mail address",
    "phone": "a phone number",
    "address": "a street address or postcode",
    "social": "a link to a personal social media profile",
    "name": "a person's full name",
    "place": "the name of a hospital or clinic",
}


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # a key of KINDS
    text: str  # the words found, so the author can find them in their draft

    @property
    def label(self) -> str:
        return KINDS[self.kind]


# --- e-mail -----------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+@-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"(?![\w-])"
)
# "sam dot jones at gmail dot com": spelled out to dodge filters, still an address. Every run is
# bounded (an address's parts are short): unbounded runs tried from each word made a long run of
# "a.a.a." take seconds per preview, blocking the server for everyone.
_EMAIL_SPELLED = re.compile(
    r"(?<![\w.])[\w.]{2,64}(?:\s{1,3}dot\s{1,3}\w{1,64}){0,4}\s{0,3}[\[(]?\s{0,3}(?:at)\s{0,3}[\])]?"
    r"\s{0,3}[\w-]{2,63}\s{0,3}[\[(]?\s{0,3}(?:dot)\s{0,3}[\])]?\s{0,3}"
    r"(?:com|org|net|co\.uk|co\s{0,3}(?:dot)\s{0,3}uk|de|fr|es|it|nl|ie|ca|au|uk|info|edu)\b",
    re.IGNORECASE,
)

# --- phone numbers -----------------------------------------------------------------------------

# A run of digit groups joined by single spaces, dashes, dots or slashes, optionally opened by
# "+" (international) or an area code in brackets. Colons and commas never join groups, so times
# (22:15) and thousands (1,250) are not candidates at all.
_PHONE_CANDIDATE = re.compile(
    r"(?<![\w+/.,-])"
    r"(?P<number>(?:\+|00)?\s?(?:\(\d{1,5}\)\s?)?\d{1,5}(?:[ .\-/]?(?:\(\d{1,5}\)|\d{1,5})){0,6})"
    r"(?![\w/]|[.,]\d)"
)
_UNIT_AFTER = re.compile(
    r"\s?(?:mg|mcg|µg|ug|g|kg|ml|l|mmol|iu|units?|tablets?|pills?|%|x|times|h|hrs?|hours?|"
    r"min|mins|minutes?|days?|weeks?|months?|years?|steps|calories|kcal|km|miles|lbs?|st)\b",
    re.IGNORECASE,
)
_MONEY_BEFORE = re.compile(r"(?:[$£€¥₹]|\b(?:usd|eur|gbp|chf|rs))\s?$", re.IGNORECASE)
_DATE = re.compile(r"^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}[./-]\d{1,2}[./-]\d{1,2})$")
_YEARS = re.compile(r"^(?:1[89]\d\d|20\d\d)(?:\s?[-/\u2013]\s?(?:1[89]\d\d|20\d\d|\d\d))*$")
_NANP = re.compile(r"^\(?[2-9]\d\d\)?[ .\-]?\d{3}[ .\-]\d{4}$")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_phone(number: str, before: str, after: str) -> bool:
    number = number.strip()
    digits = _digits(number)
    if _MONEY_BEFORE.search(before) or _UNIT_AFTER.match(after):
        return False
    if _DATE.match(number) or _YEARS.match(number):
        return False
    if number.startswith(("+", "00")):
        return 8 <= len(digits) <= 15
    if number.startswith("("):
        return 9 <= len(digits) <= 12
    if number.startswith("0"):
        # A trunk prefix (UK, France, Germany, Australia...): 0 then 9-11 more digits, and not
        # a lone "0" in front of thousands (0 100 000 000).
        return 10 <= len(digits) <= 12 and not re.match(r"0[ .\-/]\d{3}\b", number)
    return bool(_NANP.match(number))


def _phones(text: str) -> list[tuple[int, str]]:
    found = []
    for match in _PHONE_CANDIDATE.finditer(text):
        number = match.group("number").strip()
        start = match.start("number")
        before = text[max(0, start - 6) : start]
        after = text[match.end("number") : match.end("number") + 12]
        if _is_phone(number, before, after):
            found.append((start, number))
    return found


# --- street addresses and postcodes ------------------------------------------------------------

_STREET_WORDS = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Boulevard|Blvd|"
    r"Crescent|Cres|Terrace|Gardens|Grove|Square|Sq|Row|Mews|Parade|Walk|Highway|Hwy"
)
_CAP = r"[A-Z][a-zA-Z'\u2019-]+"
_STREET = re.compile(
    rf"\b\d{{1,5}}[a-zA-Z]?,?\s+(?:{_CAP}\s+){{1,3}}(?:{_STREET_WORDS})\b\.?",
)
_STREET_DE = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß-]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{1,4}[a-z]?\b"
)
_STREET_FR = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|av\.|boulevard|bd|chemin|place|allée|impasse|"
    r"quai)\s+(?:de\s+la\s+|de\s+l'|du\s+|des\s+|de\s+|d')?[A-ZÉÈ][\w'\u2019-]+",
    re.IGNORECASE,
)
_STREET_ES_IT = re.compile(
    r"\b(?i:calle|avenida|carrer|via|viale|piazza|corso|plaza)\s+(?:de\s+(?:la\s+)?|del\s+)?"
    r"[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)?,?\s+(?:n[º°o.]?\s*)?\d{1,4}\b",
)
# UK postcodes are distinctive enough on their own (SW1A 1AA, M1 1AE, B33 8TH).
_UK_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2}\b")


# --- social media profiles ---------------------------------------------------------------------

_SOCIAL_HOSTS = (
    r"(?:facebook|fb|instagram|twitter|x|tiktok|linkedin|youtube|reddit|threads|snapchat|"
    r"pinterest|tumblr|bsky|github|medium|onlyfans|twitch|vk)\.(?:com|net|app|tv|social)"
)
_SOCIAL_URL = re.compile(
    rf"\b(?:https?://)?(?:(?:www|m|mobile|[a-z]{{2}})\.)?{_SOCIAL_HOSTS}/"
    r"(?P<path>[^\s<>()\"']+)",
    re.IGNORECASE,
)
# Paths on those sites that are not a person: help pages, groups, posts, searches, videos.
_NOT_A_PROFILE = re.compile(
    r"^(?:groups?|pages|events|help|about|legal|privacy|policies|terms|search|hashtag|explore|"
    r"watch|shorts|playlist|results|share|sharer|intent|home|login|signup|r/|p/|reel/|"
    r"status(?:es)?/|company/|school/|jobs|i/|settings|notifications|messages|topics|"
    r"discover|tag/|music/|channel/)",
    re.IGNORECASE,
)
_FEDIVERSE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,30}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b")
_HANDLE_NAMED = re.compile(
    r"\b(?:instagram|insta|ig|twitter|tiktok|snapchat|snap|threads|bluesky)\b[\s:]*"
    r"(?:is|at|handle|name)?[\s:]*@[A-Za-z0-9_.]{2,30}",
    re.IGNORECASE,
)


def _social(text: str) -> list[tuple[int, str]]:
    found = []
    for match in _SOCIAL_URL.finditer(text):
        path = match.group("path")
        # A profile is one path segment (x.com/sam, tiktok.com/@sam); reddit's /u/name and
        # linkedin's /in/name are the two-segment exceptions.
        two_part_profile = re.match(r"^(?:u|user|in)/[\w.-]+/?$", path, re.IGNORECASE)
        several_parts = "/" in path.rstrip("/").split("?")[0]
        if not two_part_profile and (_NOT_A_PROFILE.match(path) or several_parts):
            continue
        found.append((match.start(), match.group().rstrip(".,;:!?")))
    for pattern in (_FEDIVERSE, _HANDLE_NAMED):
        found.extend((m.start(), m.group()) for m in pattern.finditer(text))
    return found


# --- names next to relationships and care ------------------------------------------------------

_RELATION = (
    r"husband|wife|partner|fianc[ée]e?|boyfriend|girlfriend|ex|son|daughter|child|baby|mother|"
    r"mum|mom|father|dad|stepdad|stepmum|stepmom|brother|sister|grandmother|grandfather|gran|"
    r"granny|grandma|grandpa|nan|aunt|uncle|cousin|niece|nephew|friend|best friend|flatmate|"
    r"roommate|neighbour|neighbor|boss|manager|colleague|teacher|sponsor|doctor|gp|consultant|"
    r"surgeon|oncologist|psychiatrist|psychologist|therapist|counsellor|counselor|nurse|"
    r"midwife|social worker|key worker|caseworker|case worker|pastor|priest|vicar|rabbi|imam|"
    r"abuser|rapist|attacker|dealer"
)
_TITLE = r"(?:Dr|Doctor|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Nurse|Sister|Father|Rev)\.?"
_NAME_WORD = r"(?:[A-Z]['\u2019][A-Z][a-zà-ÿ]+|[A-Z][a-zà-ÿ'\u2019]+)(?:-[A-Z][a-zà-ÿ]+)?"
# Capitalised words that follow "my mum" without being anyone's name.
_NOT_NAMES_TEXT = """Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Christmas Easter Eid Diwali Hanukkah
    Ramadan Thanksgiving New Year Day Eve God Jesus Lord Mass Church English French Spanish
    German Italian Irish Scottish Welsh British American Canadian Australian I The A And But
    So Then When After Before Because Since He She They We It This That There Today Tonight
    Yesterday Tomorrow Last Next NHS AA NA GP ICU Dr Doctor Mr Mrs Ms Miss Mx Prof Professor
    Nurse Sister Father Rev"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_RELATION_NAME = re.compile(
    rf"\b[Mm]y\s+(?:late\s+|ex-?\s*|former\s+|old\s+)?(?:{_RELATION})\s*,?\s+(?:(?:{_TITLE})\s+)?"
    rf"(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{1,2}})"
)
_TITLED_NAME = re.compile(
    rf"(?<![\w.])(?P<title>Dr|Doctor|Prof|Professor)\.?\s+(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD})?)"
)
_CARE_PLACE = re.compile(
    rf"(?P<place>(?:{_NAME_WORD}[ \t]+|St\.?[ \t]+|Saint[ \t]+){{1,5}}"
    r"(?:Hospital|Clinic|Hospice|Infirmary|Medical\s+Cent(?:re|er)|Health\s+Cent(?:re|er)|"
    r"Surgery|Care\s+Home|Nursing\s+Home|Rehab(?:ilitation)?\s+Cent(?:re|er)|Treatment\s+"
    r"Cent(?:re|er)))\b"
)
_PLACE_LEADS = frozenset({"The", "A", "An", "My", "Our", "Their", "His", "Her", "This", "That"})


def _real_name(words: str) -> str | None:
    """The name, with trailing capitalised non-names trimmed; None if fewer than two remain."""
    parts = words.split()
    while parts and parts[-1] in _NOT_NAMES:
        parts.pop()
    if len(parts) < 2 or any(p in _NOT_NAMES for p in parts):
        return None
    return " ".join(parts)


def _names(text: str) -> list[tuple[int, str, str]]:
    found: list[tuple[int, str, str]] = []
    for match in _RELATION_NAME.finditer(text):
        name = _real_name(match.group("name"))
        if name:
            found.append(
                (match.start(), "name", match.group()[: match.start("name") - match.start()] + name)
            )
    for match in _TITLED_NAME.finditer(text):
        parts = match.group("name").split()
        while parts and parts[-1] in _NOT_NAMES:
            parts.pop()
        if parts:
            found.append((match.start(), "name", f"{match.group('title')} {' '.join(parts)}"))
    for match in _CARE_PLACE.finditer(text):
        words = match.group("place").split()
        while words and words[0] in _PLACE_LEADS:
            words.pop(0)
        if len(words) >= 2:
            found.append((match.start("place"), "place", " ".join(words)))
    return found


_COVERING = re.compile(r"(?<!\S)\S+@\S+|\bhttps?://\S+")

# --- all together ------------------------------------------------------------------------------


def find(text: str) -> list[Finding]:
    """Everything that could identify someone, in order of appearance, each listed once."""
    hits: list[tuple[int, str, str]] = []
    emails = [(m.start(), m.group()) for m in _EMAIL.finditer(text)]
    emails += [(m.start(), m.group()) for m in _EMAIL_SPELLED.finditer(text)]
    hits += [(at, "email", found) for at, found in emails]
    # Digits inside an e-mail address or a link are not a phone number of their own. A word is
    # tried from its start only: from every character, a long word took time squared.
    covered = [(m.start(), m.end()) for m in _COVERING.finditer(text)]
    hits += [
        (at, "phone", number)
        for at, number in _phones(text)
        if not any(start <= at < end for start, end in covered)
    ]
    for pattern in (_STREET, _STREET_DE, _STREET_FR, _STREET_ES_IT, _UK_POSTCODE):
        hits += [(m.start(), "address", m.group().rstrip(".,")) for m in pattern.finditer(text)]
    hits += [(at, "social", link) for at, link in _social(text)]
    hits += _names(text)
    hits.sort(key=lambda hit: hit[0])
    seen: set[tuple[str, str]] = set()
    findings = []
    for _at, kind, found_text in hits:
        key = (kind, found_text.casefold())
        if key not in seen:
            seen.add(key)
            findings.append(Finding(kind, found_text))
    return findings
