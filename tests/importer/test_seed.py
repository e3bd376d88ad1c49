"""The seed live page imports into exactly its seven updates."""

from __future__ import annotations

from pathlib import Path

import pytest

from storylog.domain.payloads import UpdateAddedPayload
from storylog.domain.values import Media, Source, Status, UpdateContent
from storylog.importer import Gazetteer, ParsedPage, parse_page

SEED = Path(__file__).resolve().parents[2] / "src" / "storylog" / "data" / "pokrovsk-live.txt"
LINES = SEED.read_text(encoding="utf-8").split("\n")


def lines(first: int, last: int) -> str:
    """The seed's lines first..last (numbered from 1), as a body."""
    return "\n".join(LINES[first - 1:last])


@pytest.fixture(scope="module")
def page() -> ParsedPage:
    return parse_page(SEED.read_text(encoding="utf-8"), year=2025, tz="Europe/Kyiv")


def by_stamp(page: ParsedPage, stamp: str) -> dict[str, object]:
    [update] = [u for u in page.updates if u.stamp == stamp]
    return update.__dict__


def test_seed_imports_into_its_seven_updates(page: ParsedPage) -> None:
    assert [u.stamp for u in page.updates] == [
        "2025-11-11 08:26", "2025-11-07 08:40", "2025-11-06 13:10", "2025-11-05 14:00",
        "2025-11-04 20:15", "2025-11-04 20:05", "2025-11-04 12:21",
    ]
    assert [u.stamp_line for u in page.updates] == [2, 4, 7, 11, 17, 19, 26]
    assert page.unplaced == []


def test_seed_update_ids_come_from_the_stamps(page: ParsedPage) -> None:
    assert [u.update_id for u in page.updates] == [
        "2025-11-11-0826", "2025-11-07-0840", "2025-11-06-1310", "2025-11-05-1400",
        "2025-11-04-2015", "2025-11-04-2005", "2025-11-04-1221",
    ]


def test_seed_opening_paragraph_is_the_standfirst(page: ParsedPage) -> None:
    assert page.standfirst == LINES[0]
    assert page.headline is None


def test_seed_bodies_are_exactly_the_page_text(page: ParsedPage) -> None:
    assert [u.body for u in page.updates] == [
        lines(3, 3), lines(5, 6), lines(8, 10), lines(12, 14), lines(18, 18),
        lines(20, 23), lines(27, 28),
    ]


def test_seed_picture_caption_and_credit_leave_the_body(page: ParsedPage) -> None:
    update = page.updates[3]
    assert update.media == [{
        "type": "picture",
        "caption": "Russian soldiers move through a destroyed gas station in the city’s northeast.",
        "credit": "Privat",
    }]
    assert "Privat" not in update.body
    assert "gas station" not in update.body


def test_seed_deep_state_map_is_a_link_whose_cue_line_becomes_its_caption(
    page: ParsedPage,
) -> None:
    update = page.updates[5]
    assert update.media == [{
        "type": "link", "label": "Deep State Map",
        "caption": "Occupation of Pokrovsk on the Deep State map.",
    }]
    assert "Deep State Map" not in update.body
    assert "Link to map" not in update.body
    assert any("line 25" in w and "no address" in w for w in page.warnings)


def test_seed_credit_privat_is_not_a_cited_source(page: ParsedPage) -> None:
    names = {s["name"] for u in page.updates for s in u.sources}
    assert "Privat" not in names


def test_seed_sources_name_who_each_update_cites(page: ParsedPage) -> None:
    sources = [u.sources for u in page.updates]
    assert sources[0] == [{"name": "Social media video", "kind": "social-media"}]
    assert sources[1] == [{"name": "Julian Röpcke", "kind": "analyst", "via": "Bild"}]
    assert sources[2] == [
        {"name": "Ukrainian officer", "kind": "anonymous", "via": "Le Monde"},
        {"name": "Marine officer", "kind": "anonymous", "via": "Le Monde"},
    ]
    assert sources[4] == [
        {"name": "Ukraine's General Staff", "kind": "official"},
        {"name": "Andrii Koval", "kind": "official"},
    ]
    assert sources[5] == [
        {"name": "Deep State", "kind": "osint"},
        {"name": "Volodymyr Zelensky", "kind": "official"},
    ]
    assert sources[6] == [
        {"name": "Julian Röpcke", "kind": "analyst"},
        {"name": "Reuters", "kind": "agency"},
        {"name": "Oliver Carroll", "kind": "person", "via": "The Economist"},
    ]
    assert not any(u.unsourced for u in page.updates)


def test_seed_november_five_cites_anonymous_sources_via_bild(page: ParsedPage) -> None:
    assert page.updates[3].sources == [
        {"name": "Ukraine's General Staff", "kind": "official"},
        {"name": "Sources in the army and intelligence", "kind": "anonymous", "via": "Bild"},
        {"name": "Interviewed soldiers", "kind": "anonymous", "via": "Bild"},
        {"name": "Bild", "kind": "outlet"},
        {"name": "Ukrainian diplomat", "kind": "anonymous", "via": "Bild"},
        {"name": "Officers on the ground", "kind": "anonymous", "via": "Bild"},
    ]


def test_seed_november_six_cites_the_second_officer_too(page: ParsedPage) -> None:
    """The marine officer who echoed the first ("His assessment was echoed by a marine
    officer ...") is a second source, not the first officer again."""
    assert [s["name"] for s in page.updates[2].sources] == ["Ukrainian officer",
                                                             "Marine officer"]


def test_seed_zelensky_is_only_mentioned_on_november_five(page: ParsedPage) -> None:
    update = page.updates[3]
    assert "Volodymyr Zelensky" not in [s["name"] for s in update.sources]
    assert update.mentions == ["Volodymyr Zelensky"]


def test_seed_unverified_video_is_marked_unverified(page: ParsedPage) -> None:
    assert page.updates[0].status is Status.UNVERIFIED
    assert all(u.status is None for u in page.updates[1:])


def test_seed_updates_are_valid_storylog_payloads_once_the_map_has_an_address(
    tmp_path: Path,
) -> None:
    gazetteer_file = tmp_path / "sources.txt"
    gazetteer_file.write_text("Deep State | osint | | https://deepstatemap.live\n")
    page = parse_page(SEED.read_text(encoding="utf-8"), year=2025, tz="Europe/Kyiv",
                      gazetteer=Gazetteer.from_file(gazetteer_file))
    for update in page.updates:
        payload = UpdateAddedPayload(
            update_id=update.update_id, stamp=update.stamp,
            content=UpdateContent(**update.content()),
        )
        assert payload.content is not None
        assert payload.content.body == update.body
    link = page.updates[5].media[0]
    assert Media.model_validate(link).url == "https://deepstatemap.live"
    assert all(Source.model_validate(s) for u in page.updates for s in u.sources)
    assert not any("no address" in w for w in page.warnings)
