"""How a page's lines become a standfirst, updates and unplaced lines."""

from __future__ import annotations

from typing import Any

import pytest

from storylog.importer import ImportRefused, ParsedPage, parse_page


def parse(text: str, **options: Any) -> ParsedPage:
    options.setdefault("year", 2025)
    options.setdefault("tz", "Europe/Kyiv")
    return parse_page(text, **options)


HEADINGS = """\
Live: the battle for the city.
Wednesday 5 November 2025
14:00
The General Staff said the city was holding.
2:00 A.M.
Sirens sounded all night.
Tuesday 4 November 2025
23:10
Deep State reports fighting in the south.
"""


def test_date_heading_dates_the_time_only_entries_below_it() -> None:
    page = parse(HEADINGS, year=None)
    assert [(u.stamp, u.stamp_line, u.body) for u in page.updates] == [
        ("2025-11-05 14:00", 3, "The General Staff said the city was holding."),
        ("2025-11-05 02:00", 5, "Sirens sounded all night."),
        ("2025-11-04 23:10", 8, "Deep State reports fighting in the south."),
    ]
    assert page.standfirst == "Live: the battle for the city."


def test_date_heading_without_year_uses_the_given_year() -> None:
    page = parse("Standfirst.\nNovember 5\n14:00\nText of the update.\n")
    assert page.updates[0].stamp == "2025-11-05 14:00"


def test_date_heading_without_year_and_no_year_given_is_refused() -> None:
    with pytest.raises(ImportRefused, match=r"^line 2: .*no year"):
        parse("Standfirst.\nNovember 5\n14:00\nText of the update.\n", year=None)


def test_time_only_stamp_with_no_date_heading_above_is_refused_naming_the_line() -> None:
    with pytest.raises(ImportRefused, match=r"^line 2: .*date heading"):
        parse("Standfirst.\n14:00\nText of the update.\n")


def test_time_only_entries_take_the_zone_they_name() -> None:
    page = parse("Standfirst.\nNovember 5, 2025\n12:00 GMT\nText of the update.\n")
    assert page.updates[0].stamp == "2025-11-05 14:00"


def test_colon_stamp_starts_an_update_with_the_text_after_the_colon() -> None:
    page = parse(
        "Standfirst.\nNovember 5\n"
        "14:05: Ukraine's General Staff said the city was holding.\n"
        "A second paragraph.\n"
        "13:40: Sirens sounded.\n"
    )
    assert [(u.stamp, u.body) for u in page.updates] == [
        ("2025-11-05 14:05", "Ukraine's General Staff said the city was holding.\n"
                             "A second paragraph."),
        ("2025-11-05 13:40", "Sirens sounded."),
    ]
    assert page.updates[0].sources == [{"name": "Ukraine's General Staff", "kind": "official"}]


def test_colon_stamp_with_a_full_date() -> None:
    page = parse("Standfirst.\nNovember 5, 2:05 P.M.: Sirens sounded.\n")
    assert [(u.stamp, u.body) for u in page.updates] == [("2025-11-05 14:05", "Sirens sounded.")]


def test_lines_between_a_date_heading_and_its_first_entry_are_unplaced() -> None:
    page = parse(
        "Standfirst.\nNovember 5\nRead our full coverage below.\n14:00\nText of the update.\n"
    )
    assert page.unplaced == [(3, "Read our full coverage below.")]
    assert page.updates[0].body == "Text of the update."


def test_lines_before_the_first_stamp_after_the_standfirst_are_unplaced() -> None:
    page = parse(
        "This page is updated as news comes in.\n\nSubscribe to our newsletter.\n"
        "Follow us on X.\nUpdated November 5, 2:00 P.M.\nText of the update.\n"
    )
    assert page.standfirst == "This page is updated as news comes in."
    assert page.unplaced == [(3, "Subscribe to our newsletter."), (4, "Follow us on X.")]
    assert any("unplaced" in warning for warning in page.warnings)


def test_short_first_line_before_the_standfirst_is_the_headline() -> None:
    page = parse(
        "Battle for Pokrovsk: live\nThis piece compiles verified information.\n"
        "Updated November 5, 2:00 P.M.\nText of the update.\n"
    )
    assert page.headline == "Battle for Pokrovsk: live"
    assert page.standfirst == "This piece compiles verified information."
    assert page.unplaced == []


def test_page_without_standfirst_warns() -> None:
    page = parse("Updated November 5, 2:00 P.M.\nText of the update.\n")
    assert page.standfirst == ""
    assert any("no standfirst" in warning for warning in page.warnings)


def test_blank_lines_separate_paragraphs_and_wrapped_lines_are_joined() -> None:
    page = parse(
        "Standfirst.\n\nUpdated November 5, 2:00 P.M.\n\nThe General Staff said the city\n"
        "was holding on Tuesday.\n\nA second paragraph.\n\n"
    )
    assert page.updates[0].body == (
        "The General Staff said the city was holding on Tuesday.\nA second paragraph."
    )
    assert page.updates[0].last_line == 8


def test_updates_that_share_a_stamp_get_suffixed_ids_oldest_first() -> None:
    page = parse(
        "Standfirst.\nUpdated November 5, 2:00 P.M.\nThird.\nUpdated November 5, 2:00 P.M.\n"
        "Second.\nUpdated November 5, 2:00 P.M.\nFirst.\n"
    )
    assert [(u.update_id, u.body) for u in page.updates] == [
        ("2025-11-05-1400-3", "Third."), ("2025-11-05-1400-2", "Second."),
        ("2025-11-05-1400", "First."),
    ]


def test_stamp_with_no_text_is_refused_naming_its_line() -> None:
    with pytest.raises(ImportRefused, match=r"^line 2: .*no text"):
        parse("Standfirst.\nUpdated November 5, 2:00 P.M.\nUpdated November 5, 1:00 P.M.\nX.\n")


def test_control_character_is_refused_naming_the_line() -> None:
    with pytest.raises(ImportRefused, match=r"^line 3 contains the control character U\+0007"):
        parse("Standfirst.\nUpdated November 5, 2:00 P.M.\nText\x07 here.\n")


def test_windows_line_ends_and_a_byte_order_mark_are_read() -> None:
    page = parse("\ufeffStandfirst.\r\nUpdated November 5, 2:00 P.M.\r\nText here.\r\n")
    assert page.standfirst == "Standfirst."
    assert page.updates[0].body == "Text here."


def test_older_update_above_a_newer_one_is_a_warning() -> None:
    page = parse(
        "Standfirst.\nUpdated January 2, 9:00 A.M.\nNew year.\n"
        "Updated December 31, 11:00 P.M.\nOld year.\n"
    )
    assert any(w.startswith("line 2:") and "check the year" in w for w in page.warnings)


def test_key_event_marker_is_recorded_and_left_out_of_the_body() -> None:
    page = parse("Standfirst.\nUpdated November 5, 2:00 P.M.\nKey event\nText here.\n")
    assert page.updates[0].key_event is True
    assert page.updates[0].body == "Text here."


def test_page_furniture_lines_are_ignored_and_listed_apart_from_unplaced_text() -> None:
    page = parse("Standfirst.\nUpdated November 5, 2:00 P.M.\nText here.\nAdvertisement\nMore.\n")
    assert page.updates[0].body == "Text here.\nMore."
    assert page.ignored == [(4, "Advertisement")]
    assert page.unplaced == []


def test_page_without_stamps_has_no_updates_and_says_so() -> None:
    page = parse("Just a standfirst.\n")
    assert page.updates == []
    assert any("no stamps" in warning for warning in page.warnings)


def test_body_lines_that_merely_start_with_a_date_are_text() -> None:
    page = parse(
        "Standfirst.\nUpdated November 5, 2:00 P.M.\nOn November 5, troops moved.\n"
        "5 November 2025 was a hard day.\n10 soldiers were wounded.\n"
    )
    assert len(page.updates) == 1
    assert page.updates[0].body.count("\n") == 2
