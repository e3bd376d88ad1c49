"""Pairing the updates of an older and a newer copy of a page."""

from __future__ import annotations

from pathlib import Path

from storylog.importer import ParsedPage, align, parse_page, similarity

SEED = Path(__file__).resolve().parents[2] / "src" / "storylog" / "data" / "pokrovsk-live.txt"
TEXT = SEED.read_text(encoding="utf-8")


def parse(text: str) -> ParsedPage:
    return parse_page(text, year=2025, tz="Europe/Kyiv")


def test_identical_text_twice_gives_no_changes_at_all() -> None:
    old, new = parse(TEXT), parse(TEXT)
    result = align(old.updates, new.updates)
    assert result.added == [] and result.removed == []
    assert len(result.pairs) == 7
    assert result.changed == [] and result.uncertain == []
    assert not result.has_changes
    assert all(pair.similarity == 1.0 for pair in result.pairs)


def test_reworded_update_pairs_with_its_old_self_and_shows_a_body_change() -> None:
    newer = TEXT.replace("have taken control of about 85% of Pokrovsk",
                         "have seized roughly 85% of Pokrovsk")
    result = align(parse(TEXT).updates, parse(newer).updates)
    assert result.added == [] and result.removed == []
    [changed] = result.changed
    assert changed.old.stamp == changed.new.stamp == "2025-11-04 12:21"
    assert changed.body_changed and not changed.stamp_changed
    assert not changed.sources_changed and not changed.media_changed
    assert not changed.uncertain
    assert 0.85 <= changed.similarity < 1.0


def test_removed_update_is_reported_removed() -> None:
    lines = TEXT.split("\n")
    newer = "\n".join(lines[:16] + lines[18:])  # without the 8:15 P.M. update (lines 17-18)
    result = align(parse(TEXT).updates, parse(newer).updates)
    assert [u.stamp for u in result.removed] == ["2025-11-04 20:15"]
    assert result.added == [] and result.changed == []


def test_new_update_on_top_is_reported_added() -> None:
    lines = TEXT.split("\n")
    newer = "\n".join([lines[0], "Updated November 12, 9:00 A.M.",
                       "Reuters reported that the city had fallen.", *lines[1:]])
    result = align(parse(TEXT).updates, parse(newer).updates)
    assert [(u.stamp, u.sources) for u in result.added] == [
        ("2025-11-12 09:00", [{"name": "Reuters", "kind": "agency"}])
    ]
    assert result.removed == [] and result.changed == []


def test_changed_stamp_pairs_but_is_uncertain() -> None:
    newer = TEXT.replace("Updated November 7, 8:40 A.M.", "Updated November 7, 8:45 A.M.")
    result = align(parse(TEXT).updates, parse(newer).updates)
    [changed] = result.changed
    assert changed.stamp_changed and changed.uncertain and not changed.body_changed
    assert (changed.old.stamp, changed.new.stamp) == ("2025-11-07 08:40", "2025-11-07 08:45")
    assert result.added == [] and result.removed == []


def test_heavily_rewritten_update_pairs_but_is_uncertain() -> None:
    old = parse("S.\nUpdated November 5, 2:00 P.M.\nThe General Staff said the city held. "
                "Troops repelled seven attacks near the station overnight.\n")
    new = parse("S.\nUpdated November 5, 2:00 P.M.\nThe General Staff said the city held on. "
                "Soldiers pushed back several assaults close to the railway depot.\n")
    [pair] = align(old.updates, new.updates).pairs
    assert pair.uncertain and pair.body_changed
    assert 0.5 <= pair.similarity < 0.85


def test_different_text_under_the_same_stamp_is_an_uncertain_pair() -> None:
    old = parse("S.\nUpdated November 5, 2:00 P.M.\nSirens sounded all night in the city.\n")
    new = parse("S.\nUpdated November 5, 2:00 P.M.\nThe bridge to Myrnohrad was destroyed.\n")
    result = align(old.updates, new.updates)
    [pair] = result.pairs
    assert pair.uncertain and pair.body_changed and pair.similarity < 0.5
    assert result.added == [] and result.removed == []


def test_different_text_under_a_new_stamp_is_a_removal_and_an_addition() -> None:
    old = parse("S.\nUpdated November 5, 2:00 P.M.\nSirens sounded all night in the city.\n")
    new = parse("S.\nUpdated November 5, 3:00 P.M.\nThe bridge to Myrnohrad was destroyed.\n")
    result = align(old.updates, new.updates)
    assert result.pairs == []
    assert len(result.added) == 1 and len(result.removed) == 1


def test_update_that_only_grew_pairs_with_certainty() -> None:
    newer = TEXT.replace(
        "The authenticity of the recording has not yet been verified.",
        "The authenticity of the recording has not yet been verified. Officials said they were "
        "checking the footage.",
    )
    result = align(parse(TEXT).updates, parse(newer).updates)
    [changed] = result.changed
    assert changed.body_changed and changed.sources_changed and not changed.uncertain


def test_media_change_is_reported() -> None:
    newer = TEXT.replace("\nPrivat\n", "\nReuters/Jane Doe\n")
    [changed] = align(parse(TEXT).updates, parse(newer).updates).changed
    assert changed.media_changed and not changed.body_changed


def test_updates_sharing_a_stamp_pair_by_their_text() -> None:
    old = parse("S.\nUpdated November 5, 2:00 P.M.\nSirens sounded all night in the city.\n"
                "Updated November 5, 2:00 P.M.\nThe bridge to Myrnohrad was destroyed.\n")
    new = parse("S.\nUpdated November 5, 2:00 P.M.\nThe bridge to Myrnohrad was destroyed.\n"
                "Updated November 5, 2:00 P.M.\nSirens sounded all night in the city.\n")
    result = align(old.updates, new.updates)
    assert not result.has_changes
    assert all(pair.old.body == pair.new.body for pair in result.pairs)


def test_similarity_tolerates_small_rewording() -> None:
    assert similarity("Russian forces took the city.", "Russian forces took the city.") == 1.0
    assert similarity("Russian forces took the city.", "Russian troops took the city.") > 0.85
    assert similarity("Russian forces took the city.", "Sirens sounded in Kyiv.") < 0.5
