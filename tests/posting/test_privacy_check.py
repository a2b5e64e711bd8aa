"""The privacy check finds what could identify someone, and stays quiet about everyday numbers.

Hard negatives matter as much as finds: a note that flags every date, dose or price teaches
authors to ignore it.
"""

from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forum.posting.privacy_check import KINDS, Finding, find
from forum.posting.publishing import BODY_MAX


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in find(text)]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("call me on +44 20 7946 0958 tonight", "+44 20 7946 0958"),
        ("my mobile is 07700 900123", "07700 900123"),
        ("ring (020) 7946 0958", "(020) 7946 0958"),
        ("text 555-123-4567 if you want", "555-123-4567"),
        ("US: +1 (555) 123-4567", "+1 (555) 123-4567"),
        ("(555) 123-4567", "(555) 123-4567"),
        ("555.123.4567", "555.123.4567"),
        ("en France: 06 12 34 56 78", "06 12 34 56 78"),
        ("06.12.34.56.78", "06.12.34.56.78"),
        ("+33 6 12 34 56 78", "+33 6 12 34 56 78"),
        ("Berlin +49 30 1234567", "+49 30 1234567"),
        ("Handy 0151 23456789", "0151 23456789"),
        ("Australia 0412 345 678", "0412 345 678"),
        ("Ireland +353 87 123 4567", "+353 87 123 4567"),
        ("international 0044 20 7946 0958", "0044 20 7946 0958"),
        ("no spaces 07700900123", "07700900123"),
    ],
)
def test_phone_numbers_in_common_international_formats_are_found(text: str, number: str) -> None:
    assert ("phone", number) in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "on 15/03/2024 I went back",
        "since 2024-03-15",
        "15.03.2024 was the day",
        "it was 03-04-2023",
        "I take 20mg twice a day",
        "2 x 500 mg paracetamol",
        "20 mg/day for 6 weeks",
        "10000 units of vitamin D",
        "at 10:30 and again at 22:15",
        "back in 1998",
        "from 1990-2005 I drank",
        "2019 2020 2021 were the hard years",
        "it cost $1,250.00",
        "£12.99 a month",
        "€ 2500000 in debt",
        "1.000.000 people",
        "zip 12345",
        "population 67 000 000",
        "0 100 000 000",
        "call 999 or 911 or 112",
        "I walked 5 km",
        "2 500 steps",
        "10000 steps today",
        "week 12 of 40",
        "100 days sober",
        "day 365",
        "ISBN 978-3-16-148410-0",
        "pi is 3.14159",
        "version 1.2.3",
        "I'm 42 and my son is 12",
        "room 101",
        "blood pressure 120/80",
        "INR 2.5",
        "1/2 tablet",
        "covid-19",
        "5 mg 3 times",
        "between 2 and 3 pm",
        "12 Step Program",
        "4 Seasons",
        "my husband and I",
        "my doctor said it was fine",
        "my mum Christmas Day was hard",
        "my husband. Then I cried",
        "My Husband",
        "my mum Mary",
        "the hospital was cold",
        "The Hospital was cold",
        "I emailed the GP",
        "email me here",
        "see nhs.uk/conditions/grief",
        "@everyone hello",
        "facebook.com/groups/grief-support",
        "youtube.com/watch?v=abc123",
        "twitter.com/search?q=grief",
        "instagram.com/p/Cx12ab/",
        "linkedin.com/company/macmillan",
        "3 hard weeks",
        "2 Dr visits",
    ],
)
def test_everyday_numbers_and_words_are_not_flagged(text: str) -> None:
    assert find(text) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("mail sam.jones@example.org please", "sam.jones@example.org"),
        ("SAM_J+forum@mail.example.co.uk", "SAM_J+forum@mail.example.co.uk"),
        ("sam dot jones at gmail dot com", "sam dot jones at gmail dot com"),
    ],
)
def test_email_addresses_are_found(text: str, address: str) -> None:
    assert ("email", address) in kinds(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I live at 221B Baker Street now", "221B Baker Street"),
        ("42 Wallaby Way, Sydney", "42 Wallaby Way"),
        ("12 Acacia Avenue", "12 Acacia Avenue"),
        ("Hauptstraße 12 in Köln", "Hauptstraße 12"),
        ("au 12 rue de la Paix", "12 rue de la Paix"),
        ("en Calle Mayor 5", "Calle Mayor 5"),
        ("postcode SW1A 1AA", "SW1A 1AA"),
    ],
)
def test_street_addresses_and_postcodes_are_found(text: str, found: str) -> None:
    assert ("address", found) in kinds(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("https://www.facebook.com/sam.jones.77", "https://www.facebook.com/sam.jones.77"),
        ("see instagram.com/samjones.", "instagram.com/samjones"),
        ("find me on tiktok.com/@sammy", "tiktok.com/@sammy"),
        ("linkedin.com/in/sam-jones", "linkedin.com/in/sam-jones"),
        ("reddit.com/u/sammy", "reddit.com/u/sammy"),
        ("x.com/sammy", "x.com/sammy"),
        ("I'm @sam@mastodon.social", "@sam@mastodon.social"),
        ("my insta is @sam_j", "insta is @sam_j"),
    ],
)
def test_links_to_personal_social_profiles_are_found(text: str, found: str) -> None:
    assert ("social", found) in kinds(text)


@pytest.mark.parametrize(
    ("text", "kind", "found"),
    [
        ("my husband John Smith died in May", "name", "my husband John Smith"),
        ("my late wife Mary Ellen O'Brien", "name", "my late wife Mary Ellen O'Brien"),
        ("My therapist, Anna Kowalski, says", "name", "My therapist, Anna Kowalski"),
        ("my doctor, Dr Patel, said", "name", "Dr Patel"),
        ("Dr. Sarah Jones was kind", "name", "Dr Sarah Jones"),
        ("at St Mary's Hospital", "place", "St Mary's Hospital"),
        ("the Royal Marsden Hospital", "place", "Royal Marsden Hospital"),
        ("Priory Rehab Centre", "place", "Priory Rehab Centre"),
    ],
)
def test_full_names_next_to_family_and_care_words_are_found(
    text: str, kind: str, found: str
) -> None:
    assert (kind, found) in kinds(text)


def test_a_name_after_a_relation_is_not_also_reported_with_its_title() -> None:
    assert kinds("my doctor, Dr Patel, said") == [("name", "Dr Patel")]


def test_findings_come_in_order_of_appearance_each_once() -> None:
    text = "Email sam@example.org or call 07700 900123. Again: sam@example.org, 07700 900123."
    assert kinds(text) == [("email", "sam@example.org"), ("phone", "07700 900123")]


def test_digits_of_an_email_address_or_link_are_not_a_phone_number() -> None:
    text = "sam07700900123@example.org and https://example.org/07700900123"
    assert [k for k, _ in kinds(text)] == ["email"]


def test_every_finding_has_a_plain_label() -> None:
    finding = Finding("phone", "07700 900123")
    assert finding.label == "a phone number"
    assert set(KINDS) == {"email", "phone", "address", "social", "name", "place"}


def test_empty_text_finds_nothing() -> None:
    assert find("") == []


@given(st.text(max_size=300))
def test_any_text_is_checked_without_error(text: str) -> None:
    for finding in find(text):
        assert finding.kind in KINDS
        assert finding.text


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["mg", " mg", "ml", "%", " kg"]))
def test_doses_and_amounts_are_never_phone_numbers(amount: int, unit: str) -> None:
    assert find(f"I take {amount}{unit} a day") == []


@given(st.dates())
def test_dates_are_never_phone_numbers(day: date) -> None:
    for text in (day.strftime("%d/%m/%Y"), day.isoformat(), day.strftime("%d.%m.%Y")):
        assert find(f"on {text} it happened") == []


def test_a_name_does_not_run_on_into_the_next_line() -> None:
    assert kinds("my husband John Smith\nHello there\nWestfield Hospital") == [
        ("name", "my husband John Smith"),
        ("place", "Westfield Hospital"),
    ]


@pytest.mark.parametrize("unit", ["a.", "1.", "a-", "(1", "a dot ", "aa "])
def test_a_hostile_post_of_the_largest_size_is_checked_quickly(unit: str) -> None:
    """The check runs on every preview, in the server's event loop: a 20,000-character run of
    "a.a.a." took 18 s (every word start scanned to the end), stalling every page meanwhile.
    Linear patterns take well under a tenth of a second; 2 s leaves room for a busy machine."""
    text = "My " + unit * (BODY_MAX // len(unit))
    started = time.perf_counter()
    find(text)
    assert time.perf_counter() - started < 2
