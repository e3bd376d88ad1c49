"""Synthetic pages: the parser is right at 5,000 updates, not only on the seed.

Timings are printed by ``python -m tests.importer.pagegen``-style runs in the
report, never asserted here.
"""

from __future__ import annotations

import pytest

from storylog.importer import ParsedPage, align, parse_page
from tests.importer.pagegen import Page, make_page


@pytest.fixture(scope="module")
def big() -> tuple[Page, ParsedPage]:
    page = make_page(5000)
    return page, parse_page(page.text, year=2025, tz="Europe/Kyiv")


def test_page_of_5000_updates_parses_into_all_of_them(big: tuple[Page, ParsedPage]) -> None:
    page, parsed = big
    assert len(parsed.updates) == 5000
    assert parsed.standfirst == page.standfirst
    assert parsed.unplaced == [] and parsed.warnings == []


def test_page_of_5000_updates_has_every_stamp_body_and_media_right(
    big: tuple[Page, ParsedPage],
) -> None:
    page, parsed = big
    got = [(u.stamp, u.body, u.media) for u in parsed.updates]
    assert got == [(e.stamp, e.body, e.media) for e in page.updates]


def test_page_of_5000_updates_finds_the_sources_each_cites(
    big: tuple[Page, ParsedPage],
) -> None:
    page, parsed = big
    got = [[s["name"] for s in u.sources] for u in parsed.updates]
    assert got == [e.sources for e in page.updates]
    assert [u.unsourced for u in parsed.updates] == [not e.sources for e in page.updates]


def test_page_of_5000_updates_has_unique_ids(big: tuple[Page, ParsedPage]) -> None:
    ids = [u.update_id for u in big[1].updates]
    assert len(set(ids)) == len(ids)


def test_page_of_5000_updates_aligns_with_itself_without_changes(
    big: tuple[Page, ParsedPage],
) -> None:
    updates = big[1].updates
    assert not align(updates, updates).has_changes


def test_page_of_5000_updates_aligns_one_edit_and_one_new_update(
    big: tuple[Page, ParsedPage],
) -> None:
    page, parsed = big
    old_text = parsed.updates[2500].body.split("\n")[0]
    assert page.text.count(old_text) == 1
    newer = page.text.replace(old_text, old_text[:-1] + " overnight.")
    lines = newer.split("\n")
    newer = "\n".join([lines[0], "Updated December 29, 9:00 A.M.", "Sirens sounded.", *lines[1:]])
    result = align(parsed.updates, parse_page(newer, year=2025, tz="Europe/Kyiv").updates)
    assert [u.stamp for u in result.added] == ["2025-12-29 09:00"]
    assert result.removed == []
    assert [pair.old.update_id for pair in result.changed] == [parsed.updates[2500].update_id]


def test_page_of_5000_updates_with_many_moved_stamps_pairs_them_as_uncertain(
    big: tuple[Page, ParsedPage],
) -> None:
    page, parsed = big
    # Read in another zone, the stamps written in GMT move by an hour; the others stay.
    warsaw = parse_page(page.text, year=2025, tz="Europe/Warsaw").updates
    moved = [u for u, w in zip(parsed.updates, warsaw, strict=True) if u.stamp != w.stamp]
    result = align(parsed.updates, warsaw)
    assert len(moved) > 500
    assert result.added == [] and result.removed == []
    assert len(result.uncertain) == len(moved)
    assert all(pair.stamp_changed and not pair.body_changed for pair in result.uncertain)
