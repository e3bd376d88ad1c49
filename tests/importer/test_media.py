"""Pictures and links found in an update's text, and taken out of its body."""

from __future__ import annotations

from storylog.domain.values import Media
from storylog.importer import Gazetteer, ParsedUpdate, parse_page

STAMP = "Standfirst.\nUpdated November 5, 2:00 P.M.\n"


def update(text: str, gazetteer: Gazetteer | None = None) -> ParsedUpdate:
    page = parse_page(STAMP + text, year=2025, tz="Europe/Kyiv", gazetteer=gazetteer)
    [only] = page.updates
    return only


def test_caption_and_bare_credit_at_the_end_are_a_picture() -> None:
    found = update(
        "Troops moved in.\nSmoke rises over the city after a strike.\nReuters/Jane Doe\n"
    )
    assert found.body == "Troops moved in."
    assert found.media == [{"type": "picture", "caption": "Smoke rises over the city after a "
                            "strike.", "credit": "Reuters/Jane Doe"}]
    assert Media.model_validate(found.media[0])


def test_explicit_credit_line_makes_a_picture_anywhere() -> None:
    found = update("Troops moved in.\nSmoke rises over the city.\nPhoto: AFP\nMore text follows.\n")
    assert found.body == "Troops moved in.\nMore text follows."
    assert found.media == [{"type": "picture", "caption": "Smoke rises over the city.",
                            "credit": "AFP"}]


def test_caption_ending_with_its_credit_is_a_picture() -> None:
    found = update("Troops moved in.\nSmoke rises over the city. Photo: Reuters\n")
    assert found.body == "Troops moved in."
    assert found.media == [{"type": "picture", "caption": "Smoke rises over the city.",
                            "credit": "Reuters"}]


def test_short_closing_line_is_not_a_credit_when_it_is_page_talk() -> None:
    found = update("Troops moved in.\nThe army said little.\nMore to follow\n")
    assert found.media == []
    assert found.body.endswith("More to follow")


def test_credit_line_without_a_caption_stays_in_the_text_with_a_warning() -> None:
    page = parse_page(STAMP + "Troops moved in, as the long report of the day explained in "
                      "detail. Then more happened. And more.\nPhoto: AFP\n",
                      year=2025, tz="Europe/Kyiv")
    assert page.updates[0].media == []
    assert "Photo: AFP" in page.updates[0].body
    assert any("line 4" in w and "credit" in w for w in page.warnings)


def test_line_with_only_an_address_is_a_link() -> None:
    found = update("Troops moved in.\nFront line map: https://example.org/map\n")
    assert found.body == "Troops moved in."
    assert found.media == [{"type": "link", "url": "https://example.org/map",
                            "label": "Front line map"}]
    assert Media.model_validate(found.media[0])


def test_address_inside_a_sentence_stays_in_the_text() -> None:
    found = update("The ministry published its list at https://example.org/list today.\n")
    assert found.media == []


def test_link_cue_and_label_are_a_link_whose_caption_is_the_cue_line() -> None:
    found = update("Troops moved in.\nThe front on the Deep State map. Link to map.\n"
                   "Deep State Map\n")
    assert found.body == "Troops moved in."
    assert found.media == [{"type": "link", "label": "Deep State Map",
                            "caption": "The front on the Deep State map."}]


def test_link_label_takes_its_address_from_the_gazetteer() -> None:
    gazetteer = Gazetteer.from_text("Deep State | osint | | https://deepstatemap.live")
    found = update("Troops moved in.\nThe front on the map. Link to map.\nDeep State Map\n",
                   gazetteer)
    assert found.media[0]["url"] == "https://deepstatemap.live"


def test_update_is_never_emptied_into_media() -> None:
    found = update("Smoke rises over the city after a strike.\nPrivat\n")
    assert found.media == []
    assert found.body == "Smoke rises over the city after a strike.\nPrivat"
